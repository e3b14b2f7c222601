"""personatwin_sklearn: privacy for person records and the connections between them.

Every step is a scikit-learn estimator on one container, :class:`SocialData`.
Names are imported lazily so that ``import personatwin_sklearn`` stays fast and
diffprivlib is only imported where differential privacy runs.
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "SocialData": "personatwin_sklearn._social_data",
    "load_data": "personatwin_sklearn.io",
    "read_snap_edgelist": "personatwin_sklearn.io",
    "read_pajek": "personatwin_sklearn.io",
    "PeopleSelector": "personatwin_sklearn._base",
    "ConnectionPatternAnalyzer": "personatwin_sklearn.patterns",
    "SyntheticConnectionGenerator": "personatwin_sklearn.connections",
    "KAnonymizer": "personatwin_sklearn.generalize",
    "NeighborhoodKAnonymizer": "personatwin_sklearn.generalize",
    "SyntheticAugmenter": "personatwin_sklearn.augmentation",
    "SyntheticPersonaSampler": "personatwin_sklearn.augmentation",
    "CensusProvider": "personatwin_sklearn.providers",
    "NemotronProvider": "personatwin_sklearn.providers",
    "DataFrameProvider": "personatwin_sklearn.providers",
    "NetworkTemplate": "personatwin_sklearn.templates",
    "NetworkTemplateExtractor": "personatwin_sklearn.templates",
    "TemplateConnector": "personatwin_sklearn.templates",
    "create_safe_personas": "personatwin_sklearn.api",
    "make_persona_pipeline": "personatwin_sklearn.api",
    "ProcessingResult": "personatwin_sklearn.api",
    "release_split": "personatwin_sklearn.api",
}
_SUBMODULES = {
    "metrics",
    "datasets",
    "patterns",
    "connections",
    "generalize",
    "augmentation",
    "providers",
    "templates",
    "census",
    "domains",
    "exceptions",
    "io",
    "api",
    "attacks",
    "optimize",
}

__all__ = sorted(_EXPORTS) + sorted(_SUBMODULES)


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = import_module(f"personatwin_sklearn.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'personatwin_sklearn' has no attribute {name!r}")


def __dir__():
    return __all__
