"""Shared helpers for the estimators that take :class:`SocialData`."""

from __future__ import annotations

from functools import wraps

import numpy as np
import pandas as pd
from sklearn import get_config
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.exceptions import InfeasibleKError, MissingColumnError

__all__ = [
    "check_social_data",
    "check_k_feasible",
    "PeopleSelector",
    "SocialDataTransformerMixin",
    "require_diffprivlib",
    "wrap_output",
    "output_container",
    "feature_names_in",
]


def check_social_data(X, estimator_name: str) -> SocialData:
    """Return ``X`` if it is a :class:`SocialData`, else raise a helpful TypeError."""
    if isinstance(X, SocialData):
        return X
    raise TypeError(
        f"{estimator_name} works on people *and* their connections: pass a SocialData "
        f"(personatwin_sklearn.load_data(people, connections)), got {type(X).__name__}."
    )


def check_k_feasible(k: int, n: int, what: str = "k", population: str = "people") -> None:
    """Raise :class:`InfeasibleKError` when ``k`` exceeds the population size."""
    if k > n:
        raise InfeasibleKError(
            f"{what}={k} is larger than the number of {population} ({n}): no group can "
            f"reach {k}. Use {what} <= {n}, or add synthetic people first "
            "(SyntheticAugmenter)."
        )


def require_diffprivlib(what: str) -> None:
    """Import diffprivlib or raise an ImportError that says why and what to do.

    Only the differentially private steps call this, so that the rest of the package
    works without the ``dp`` extra (diffprivlib, and scikit-learn below 1.9: diffprivlib
    0.6.6 does not import with scikit-learn 1.9, ``ImportError: DOUBLE``).
    """
    try:
        import diffprivlib  # noqa: F401
    except ImportError as error:
        import sklearn

        if isinstance(error, ModuleNotFoundError) and error.name == "diffprivlib":
            why = "diffprivlib is not installed"
        else:
            why = (
                f"diffprivlib failed to import with scikit-learn {sklearn.__version__} "
                f"({type(error).__name__}: {error})"
            )
        raise ImportError(
            f"{what} needs diffprivlib: {why}. Install the differential-privacy extra, "
            "which brings diffprivlib and a scikit-learn it supports: pip install "
            '"personatwin_sklearn[dp]" (in a source checkout: pip install -e ".[test,dp]"). '
            "Only the differentially private templates need it; shipped templates "
            "(TemplateConnector(template='karate_club'), --template karate_club) work "
            "without it."
        ) from error


def output_container(estimator, method: str = "transform") -> str:
    """The container ``set_output`` asks for: ``"default"``, ``"pandas"`` or ``"polars"``.

    The estimator's own ``set_output(transform=...)`` (kept by scikit-learn in
    ``_sklearn_output_config``, which ``clone`` copies), else the global
    ``sklearn.set_config(transform_output=...)``.
    """
    chosen = getattr(estimator, "_sklearn_output_config", {}).get(method, "default")
    return get_config()["transform_output"] if chosen == "default" else chosen


def wrap_output(out, original, estimator, method: str = "transform"):
    """``out`` in the container ``set_output`` asks for, with the step's feature names:
    what scikit-learn's output wrapping does for a dense output, in public API only."""
    container = output_container(estimator, method)
    if container == "default" or not hasattr(estimator, "get_feature_names_out"):
        return out
    if container not in ("pandas", "polars"):
        raise ValueError(
            f"set_output(transform={container!r}) is not supported; use 'default', "
            "'pandas' or 'polars'."
        )
    if hasattr(out, "toarray") or hasattr(out, "tocsr"):
        raise ValueError(
            f"set_output(transform={container!r}) needs a dense output; "
            f"{type(estimator).__name__} gave a sparse matrix."
        )
    columns = [str(c) for c in estimator.get_feature_names_out()]
    if container == "polars":
        import polars as pl  # only when asked for

        frame = out.to_numpy() if isinstance(out, pd.DataFrame) else np.asarray(out)
        return pl.DataFrame(frame, schema=columns, orient="row")
    if isinstance(out, pd.DataFrame):
        out = out.copy(deep=False)
        out.columns = columns
        return out
    index = None
    if isinstance(original, pd.DataFrame) and len(original) == len(out):
        index = original.index
    return pd.DataFrame(out, index=index, columns=columns, copy=False)


def _wrap_output(method, key):
    """Wrap ``transform`` / ``fit_transform``: SocialData out as is, else ``set_output``."""

    @wraps(method)
    def wrapped(self, X, *args, **kwargs):
        out = method(self, X, *args, **kwargs)
        if isinstance(out, SocialData):
            return out  # its people are a pandas DataFrame already
        original = X.people if isinstance(X, SocialData) else X
        return wrap_output(out, original, self, key)

    return wrapped


def feature_names_in(estimator, input_features=None) -> np.ndarray:
    """Input feature names as scikit-learn's ``get_feature_names_out`` gives them:
    ``input_features`` (checked against ``feature_names_in_``), else
    ``feature_names_in_``, else ``x0, x1, ...`` for ``n_features_in_`` columns."""
    seen = getattr(estimator, "feature_names_in_", None)
    if input_features is not None:
        names = np.asarray([str(c) for c in input_features], dtype=object)
        if seen is not None and not np.array_equal(names, np.asarray(seen, dtype=object)):
            raise ValueError(
                f"input_features {list(names)[:10]} are not the columns seen in fit "
                f"{list(seen)[:10]}: pass those, or None."
            )
        n = getattr(estimator, "n_features_in_", None)
        if seen is None and n is not None and len(names) != n:
            raise ValueError(
                f"input_features has {len(names)} names, but fit saw {n} columns: give "
                f"{n} names, or None."
            )
        return names
    if seen is not None:
        return np.asarray(seen, dtype=object)
    return np.asarray([f"x{i}" for i in range(estimator.n_features_in_)], dtype=object)


def _record_people_columns(method):
    """Wrap ``fit`` / ``fit_transform`` to record a SocialData's people columns."""

    @wraps(method)
    def wrapped(self, X, *args, **kwargs):
        out = method(self, X, *args, **kwargs)
        if isinstance(X, SocialData):
            columns = X._people.columns
            self.feature_names_in_ = np.asarray(columns, dtype=object)
            self.n_features_in_ = len(columns)
        return out

    return wrapped


# ----------------------------------------------------------------------------- skops
# skops persists an object through ``__getstate__`` but cannot persist pandas objects
# (their ``__reduce__`` needs pandas internals), and the fitted state of the graph steps
# holds DataFrames (pattern tables, rare patterns, ...).  ``__getstate__`` therefore
# stores pandas objects as ``_PandasState`` records of plain lists and numpy arrays;
# ``__setstate__`` rebuilds them.  Pickle and ``copy`` keep the original state
# (``__reduce_ex__``), so only skops sees the records.
class _PandasState:
    """A DataFrame, Series or Index as plain values (for skops)."""

    def __init__(self, obj):
        if isinstance(obj, pd.DataFrame):
            self.kind = "DataFrame"
            self.columns = _PandasState(obj.columns)
            self.index = _PandasState(obj.index)
            self.data = [_values_state(obj.iloc[:, j]) for j in range(obj.shape[1])]
        elif isinstance(obj, pd.Series):
            self.kind = "Series"
            self.name = obj.name
            self.index = _PandasState(obj.index)
            self.data = [_values_state(obj)]
        elif isinstance(obj, pd.RangeIndex):
            self.kind = "RangeIndex"
            self.name = obj.name
            self.data = [int(obj.start), int(obj.stop), int(obj.step)]
        elif isinstance(obj, pd.MultiIndex):
            raise TypeError("a MultiIndex cannot be stored for skops")
        else:
            self.kind = "Index"
            self.name = obj.name
            self.data = [_values_state(pd.Series(obj, copy=False))]

    def rebuild(self):
        if self.kind == "RangeIndex":
            return pd.RangeIndex(*self.data, name=self.name)
        if self.kind == "Index":
            return pd.Index(_values(self.data[0]), name=self.name)
        index = self.index.rebuild()
        if self.kind == "Series":
            return pd.Series(_values(self.data[0]), index=index, name=self.name)
        columns = self.columns.rebuild()
        frame = pd.DataFrame({j: _values(state) for j, state in enumerate(self.data)}, index=index)
        frame.columns = columns
        return frame


def _values_state(series: pd.Series) -> dict:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return {
            "dtype": "category",
            "codes": series.cat.codes.to_numpy(),
            "categories": _PandasState(dtype.categories),
            "ordered": bool(dtype.ordered),
        }
    if isinstance(dtype, np.dtype) and dtype.kind in "biufcmM":
        return {"dtype": None, "values": series.to_numpy(copy=True)}
    # object and pandas extension dtypes (str, string, Int64, boolean, ...): a list
    values = [None if v is pd.NA else v for v in series.astype(object).tolist()]
    plain = isinstance(dtype, np.dtype) and dtype.kind == "O"
    return {"dtype": None if plain else str(dtype), "values": values}


def _values(state: dict):
    if state["dtype"] == "category":
        categories = state["categories"].rebuild()
        dtype = pd.CategoricalDtype(categories, ordered=state["ordered"])
        return pd.Categorical.from_codes(state["codes"], dtype=dtype)
    values = state["values"]
    if isinstance(values, np.ndarray):
        return values
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return pd.array(array, dtype=state["dtype"]) if state["dtype"] else array


def _to_plain(value, depth=0):
    """``value`` with every pandas object inside replaced by a ``_PandasState``."""
    if isinstance(value, pd.DataFrame | pd.Series | pd.Index):
        try:
            return _PandasState(value)
        except TypeError:
            return value
    if depth > 5 or isinstance(value, BaseEstimator):
        return value  # estimators convert their own state
    if isinstance(value, dict):
        return {k: _to_plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple) and not hasattr(value, "_fields"):
        return type(value)(_to_plain(v, depth + 1) for v in value)
    if type(value).__module__.startswith("personatwin_sklearn") and hasattr(value, "__dict__"):
        state = {k: _to_plain(v, depth + 1) for k, v in vars(value).items()}
        if all(state[k] is v for k, v in vars(value).items()):
            return value
        copy = object.__new__(type(value))
        copy.__dict__.update(state)
        return copy
    return value


def _from_plain(value, depth=0):
    """Undo :func:`_to_plain`; anything without a ``_PandasState`` inside is kept as is."""
    if isinstance(value, _PandasState):
        return value.rebuild()
    if depth > 5 or isinstance(value, BaseEstimator):
        return value
    if isinstance(value, dict):
        items = {k: _from_plain(v, depth + 1) for k, v in value.items()}
        return value if all(items[k] is v for k, v in value.items()) else items
    if isinstance(value, list | tuple) and not hasattr(value, "_fields"):
        items = [_from_plain(v, depth + 1) for v in value]
        same = all(a is b for a, b in zip(items, value, strict=True))
        return value if same else type(value)(items)
    if type(value).__module__.startswith("personatwin_sklearn") and hasattr(value, "__dict__"):
        for k, v in list(vars(value).items()):
            rebuilt = _from_plain(v, depth + 1)
            if rebuilt is not v:
                value.__dict__[k] = rebuilt
    return value


def _rebuild_estimator(cls, state):
    obj = cls.__new__(cls)
    obj.__setstate__(state)
    return obj


class SocialDataTransformerMixin(TransformerMixin, auto_wrap_output_keys=None):
    """``set_output`` and ``get_feature_names_out`` for steps that take a SocialData.

    scikit-learn's output wrapping turns whatever ``transform`` returns into the
    configured container, which fails on a :class:`SocialData`.  With this mixin
    (placed before ``BaseEstimator``):

    - a :class:`SocialData` comes out unchanged whatever ``set_output`` says (its
      people table is a pandas DataFrame already); any other output (a DataFrame or
      an array) is wrapped exactly as scikit-learn does;
    - ``fit`` on a SocialData records its people columns as ``feature_names_in_`` and
      ``n_features_in_``, so ``get_feature_names_out()`` returns the people columns
      of the output: the input's, plus the class's ``_added_people_columns``.

    Subclasses override :meth:`get_feature_names_out` when they change the columns
    otherwise.
    """

    #: People columns the step adds to its output (after the input's).
    _added_people_columns: tuple = ()

    def __getstate__(self):
        # skops reads this: pandas objects as plain records (see _PandasState)
        return _to_plain(super().__getstate__())

    def __setstate__(self, state):
        super().__setstate__(_from_plain(state))

    def __reduce_ex__(self, protocol):
        # pickle and copy: the state as it is (BaseEstimator's, with _sklearn_version)
        return _rebuild_estimator, (type(self), BaseEstimator.__getstate__(self))

    def __init_subclass__(cls, **kwargs):
        kwargs.setdefault("auto_wrap_output_keys", None)  # wrapped below instead
        super().__init_subclass__(**kwargs)
        cls._sklearn_auto_wrap_output_keys = {"transform"}
        for name in ("transform", "fit_transform"):
            if name in cls.__dict__:
                setattr(cls, name, _wrap_output(cls.__dict__[name], "transform"))
        for name in ("fit", "fit_transform"):
            if name in cls.__dict__:
                setattr(cls, name, _record_people_columns(getattr(cls, name)))

    def fit_transform(self, X, y=None, **fit_params):
        """Fit to ``X``, then transform it.

        Parameters
        ----------
        X : SocialData, DataFrame or array-like
            Input of ``fit`` and ``transform``.
        y : array-like or None, default=None
            Passed to ``fit``.
        **fit_params : dict
            Passed to ``fit``.

        Returns
        -------
        X_new : SocialData, DataFrame or ndarray
            ``fit(X, y, **fit_params).transform(X)``.
        """
        # TransformerMixin.fit_transform without scikit-learn's output wrapping, which
        # cannot hold a SocialData; ``transform`` (wrapped by this mixin) does it.
        return TransformerMixin.fit_transform.__wrapped__(self, X, y, **fit_params)

    def get_feature_names_out(self, input_features=None):
        """Get the people columns of the output.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            People columns of the input; ``None``: those seen in ``fit``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The input's columns followed by the columns the step adds.
        """
        check_is_fitted(self)
        names = self._input_names(input_features)
        added = [c for c in self._added_people_columns if c not in names]
        return np.asarray(names + added, dtype=object)

    def _input_names(self, input_features) -> list:
        if input_features is not None:
            return [str(c) for c in input_features]
        if not hasattr(self, "feature_names_in_"):
            raise AttributeError(
                f"{type(self).__name__} was not fitted on a SocialData or a DataFrame, so "
                "it has no column names: pass input_features."
            )
        return [str(c) for c in self.feature_names_in_]


class PeopleSelector(SocialDataTransformerMixin, BaseEstimator):
    """Turn a :class:`SocialData` into its people DataFrame for ordinary sklearn steps.

    By default the output holds every people column except the person identifier
    (``SocialData.id_col``) and ``is_synthetic``, so a model downstream learns neither.

    Parameters
    ----------
    columns : list of str, default=None
        Columns to keep, in this order, exactly as listed (the id column too, if
        listed).  ``None``: every column but those dropped by ``drop_id`` and
        ``drop_synthetic_flag``.
    drop_id : bool, default=True
        Drop the person identifier column (when ``columns`` is None).
    drop_synthetic_flag : bool, default=True
        Drop ``is_synthetic`` (when ``columns`` is None) so downstream models
        cannot learn it.

    Attributes
    ----------
    id_col_ : str
        The identifier column of the SocialData seen in ``fit``.
    n_features_in_ : int
        Number of people columns seen in ``fit``.
    feature_names_in_ : ndarray of str objects
        People columns seen in ``fit``.

    See Also
    --------
    personatwin_sklearn.SocialData : The container this step unpacks.

    Examples
    --------
    >>> from personatwin_sklearn import PeopleSelector
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> data = make_toy_population()
    >>> "person_id" in PeopleSelector().fit_transform(data).columns
    False
    >>> PeopleSelector(columns=["age"]).fit_transform(data).shape[1]
    1
    """

    _parameter_constraints: dict = {
        "columns": [list, None],
        "drop_id": ["boolean"],
        "drop_synthetic_flag": ["boolean"],
    }

    def __init__(self, columns=None, drop_id=True, drop_synthetic_flag=True):
        self.columns = columns
        self.drop_id = drop_id
        self.drop_synthetic_flag = drop_synthetic_flag

    def fit(self, X, y=None):
        """Check that ``X`` is a SocialData and record its people columns.

        Parameters
        ----------
        X : SocialData
            People and their connections.
        y : None
            Ignored.

        Returns
        -------
        self : PeopleSelector
            The fitted selector.
        """
        self._validate_params()
        data = check_social_data(X, type(self).__name__)
        self._check_columns(data._people.columns)
        self.id_col_ = data.id_col
        return self

    def _selected(self, names, id_col) -> list:
        if self.columns is not None:
            return list(self.columns)
        drop = set()
        if self.drop_id:
            drop.add(id_col)
        if self.drop_synthetic_flag:
            drop.add("is_synthetic")
        return [c for c in names if c not in drop]

    def _check_columns(self, names):
        if self.columns is None:
            return
        missing = [c for c in self.columns if c not in set(names)]
        if missing:
            raise MissingColumnError(
                f"PeopleSelector(columns=...) names {missing}, which are not people columns "
                f"(columns: {list(names)[:20]}). Fix the names."
            )

    def transform(self, X) -> pd.DataFrame:
        """Return the selected people columns.

        Parameters
        ----------
        X : SocialData
            People and their connections.

        Returns
        -------
        people : DataFrame
            The people table (same row order and index), connections left out.
        """
        data = check_social_data(X, type(self).__name__)
        people = data.people
        self._check_columns(people.columns)
        return people[self._selected(list(people.columns), data.id_col)]

    def get_feature_names_out(self, input_features=None):
        """Get the columns of the output DataFrame.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            People columns of the input; ``None``: those seen in ``fit``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The selected columns.
        """
        names = self._input_names(input_features)
        self._check_columns(names)
        id_col = getattr(self, "id_col_", "person_id")
        return np.asarray(self._selected(names, id_col), dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags
