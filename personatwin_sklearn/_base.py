"""Shared helpers for the estimators that take :class:`SocialData`."""

from __future__ import annotations

from functools import wraps

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._set_output import _wrap_data_with_container
from sklearn.utils.validation import check_is_fitted

from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.exceptions import InfeasibleKError, MissingColumnError

__all__ = [
    "check_social_data",
    "check_k_feasible",
    "PeopleSelector",
    "SocialDataTransformerMixin",
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


def _wrap_output(method, key):
    """Wrap ``transform`` / ``fit_transform``: SocialData out as is, else ``set_output``."""

    @wraps(method)
    def wrapped(self, X, *args, **kwargs):
        out = method(self, X, *args, **kwargs)
        if isinstance(out, SocialData):
            return out  # its people are a pandas DataFrame already
        original = X.people if isinstance(X, SocialData) else X
        return _wrap_data_with_container(key, out, original, self)

    return wrapped


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
        """People columns of the output.

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
    personatwin_sklearn.SocialData : the container this step unpacks.

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
        """Columns of the output DataFrame.

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
