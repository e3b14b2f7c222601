"""numpydoc validation of the public API, the way scikit-learn's test_docstrings.py does it.

The public API is every name in ``personatwin_sklearn.__all__`` and in the ``__all__``
of its public subpackages: functions, classes and the public methods classes define.
As in scikit-learn, exception and warning classes are not validated (their one-line
docstrings say when they are raised).
Each docstring is checked by ``numpydoc.validate.validate``; the error codes
scikit-learn ignores are ignored here too (see :func:`filter_errors`).  A second test
checks that every fitted attribute of every estimator is documented in its class
docstring's Attributes section.
"""

from __future__ import annotations

import importlib
import inspect

import pytest

import personatwin_sklearn

numpydoc_validation = pytest.importorskip("numpydoc.validate")

SUBPACKAGES = [
    "augmentation",
    "connections",
    "datasets",
    "generalize",
    "metrics",
    "patterns",
    "providers",
    "templates",
    "attacks",
    "api",
    "io",
]


def _public_objects():
    """``(import path, object, owning class or None, method name or None)``."""
    seen = {}
    modules = [("personatwin_sklearn", personatwin_sklearn)]
    modules += [
        (f"personatwin_sklearn.{name}", importlib.import_module(f"personatwin_sklearn.{name}"))
        for name in SUBPACKAGES
    ]
    for module_path, module in modules:
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.ismodule(obj) or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if inspect.isclass(obj) and issubclass(obj, BaseException | Warning):
                continue
            if id(obj) in seen:
                continue
            seen[id(obj)] = (f"{module_path}.{name}", obj, None, None)
            if inspect.isclass(obj):
                for method in sorted(vars(obj)):
                    if method.startswith("_"):
                        continue
                    member = inspect.getattr_static(obj, method)
                    if isinstance(member, staticmethod | classmethod):
                        member = member.__func__
                    if inspect.isfunction(member) or isinstance(member, property):
                        path = f"{module_path}.{name}.{method}"
                        seen[(id(obj), method)] = (path, member, obj, method)
    return sorted(seen.values(), key=lambda item: item[0])


PUBLIC = _public_objects()


def filter_errors(errors, method, klass=None):
    """Drop the error codes scikit-learn's own docstring test ignores."""
    for code, message in errors:
        # RT02 (the Returns line may name the returned object), GL01/GL02 (blank lines
        # around the summary)
        if code in ("RT02", "GL01", "GL02"):
            continue
        # PR02 / GL08 on properties (documented as attributes of the class)
        if code in ("PR02", "GL08") and klass is not None and method is not None:
            if isinstance(inspect.getattr_static(klass, method), property):
                continue
        # Extended summary, See Also and Examples are only required of top-level objects
        if method is not None and code in ("EX01", "SA01", "ES01"):
            continue
        yield code, message


@pytest.mark.parametrize(
    "path, obj, klass, method", PUBLIC, ids=[item[0].split(".", 1)[1] for item in PUBLIC]
)
def test_docstring(path, obj, klass, method):
    result = numpydoc_validation.validate(path)
    errors = list(filter_errors(result["errors"], method, klass))
    if errors:
        message = "\n".join(f"  {code}: {text}" for code, text in errors)
        raise ValueError(f"{path} has {len(errors)} docstring error(s):\n{message}")


def _fitted_estimators():
    from personatwin_sklearn import (
        ConnectionPatternAnalyzer,
        KAnonymizer,
        NetworkTemplateExtractor,
        PeopleSelector,
        SyntheticAugmenter,
        SyntheticConnectionGenerator,
        SyntheticPersonaSampler,
        TemplateConnector,
    )
    from personatwin_sklearn.datasets import make_social_population

    data = make_social_population(n_people=120, random_state=0)
    X = data.people.drop(columns=["person_id", "is_synthetic"])
    y = (X["age"] > 40).to_numpy()
    return [
        (ConnectionPatternAnalyzer(k=3), data),
        (SyntheticConnectionGenerator(target_k=3, max_synthetic_share=None, random_state=0), data),
        (SyntheticAugmenter(strategy="boost_rare", random_state=0), data),
        (TemplateConnector(n_calibration=2, random_state=0), data),
        (NetworkTemplateExtractor(epsilon=1.0, max_degree=10, random_state=0), data),
        (KAnonymizer(5), data),
        (PeopleSelector(), data),
        (SyntheticPersonaSampler(random_state=0), (X, y)),
    ]


def test_fitted_attributes_documented():
    """Every public attribute set by fit (name ending in ``_``) is in Attributes."""
    from numpydoc.docscrape import ClassDoc

    missing = {}
    for estimator, X in _fitted_estimators():
        if isinstance(X, tuple):
            estimator.fit(*X)
        elif hasattr(estimator, "fit_transform"):
            estimator.fit_transform(X)
        else:
            estimator.fit(X)
        documented = {
            name.strip()
            for item in ClassDoc(type(estimator))["Attributes"]
            for name in item.name.split(":")[0].split(",")
        }
        fitted = {k for k in vars(estimator) if k.endswith("_") and not k.startswith("_")}
        if fitted - documented:
            missing[type(estimator).__name__] = sorted(fitted - documented)
    assert not missing, f"fitted attributes missing from the Attributes section: {missing}"
