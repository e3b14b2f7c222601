"""Root conftest: applies to the tests and to the doctests of the package."""

import pytest


# -- diffprivlib ----------------------------------------------------------------------------
# diffprivlib 0.6.6 does not import with scikit-learn 1.9 (ImportError: DOUBLE). Only the
# differentially private templates need it; there, a test (or doctest) that reaches it raises
# an ImportError, which is reported as a skip with this reason instead of a failure.
def _diffprivlib_unavailable():
    try:
        import diffprivlib  # noqa: F401
    except ImportError as error:
        import sklearn

        return (
            f"diffprivlib does not import with scikit-learn {sklearn.__version__} "
            f"({error}); the differentially private templates cannot run here"
        )
    return None


DIFFPRIVLIB_UNAVAILABLE = _diffprivlib_unavailable()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    try:
        return (yield)
    except Exception as error:
        import doctest

        cause = error.exc_info[1] if isinstance(error, doctest.UnexpectedException) else error
        if DIFFPRIVLIB_UNAVAILABLE and isinstance(cause, ImportError):
            pytest.skip(DIFFPRIVLIB_UNAVAILABLE)
        raise
