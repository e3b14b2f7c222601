"""Shared fixtures (skrub-style): sample populations and the real graphs in ../shared/data."""

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CALTECH = SHARED_DATA / "graphs" / "facebook100"
SNAP_FACEBOOK = SHARED_DATA / "graphs" / "snap_ego_facebook" / "facebook_combined.txt"


@pytest.fixture
def toy():
    from personatwin_sklearn.datasets import make_toy_population

    return make_toy_population()


@pytest.fixture(scope="session")
def caltech():
    """Caltech36 from Facebook100 with its nodelist (gender, year, dorm, ...)."""
    net = CALTECH / "Caltech36.net"
    if not net.exists():
        pytest.skip(f"shared data not available: {net} is absent")
    from personatwin_sklearn.io import read_pajek

    return read_pajek(net, CALTECH / "Caltech36.nodelist")


@pytest.fixture(scope="session")
def snap_facebook_path():
    if not SNAP_FACEBOOK.exists():
        pytest.skip(f"shared data not available: {SNAP_FACEBOOK} is absent")
    return SNAP_FACEBOOK


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
