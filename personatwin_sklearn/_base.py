"""Shared helpers for the estimators that take :class:`SocialData`."""

from __future__ import annotations

import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.exceptions import InfeasibleKError

__all__ = ["check_social_data", "check_k_feasible", "PeopleSelector"]


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


class PeopleSelector(TransformerMixin, BaseEstimator):
    """Turn a :class:`SocialData` into its people DataFrame for ordinary sklearn steps.

    Parameters
    ----------
    columns : list of str, default=None
        Columns to keep (all when ``None``).
    drop_synthetic_flag : bool, default=True
        Drop ``is_synthetic`` so downstream models cannot learn it.

    Examples
    --------
    >>> from personatwin_sklearn import PeopleSelector
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> PeopleSelector(columns=["age"]).fit_transform(make_toy_population()).shape[1]
    1
    """

    _parameter_constraints: dict = {"columns": [list, None], "drop_synthetic_flag": ["boolean"]}

    def __init__(self, columns=None, drop_synthetic_flag=True):
        self.columns = columns
        self.drop_synthetic_flag = drop_synthetic_flag

    def fit(self, X, y=None):
        self._validate_params()
        check_social_data(X, type(self).__name__)
        return self

    def transform(self, X) -> pd.DataFrame:
        people = check_social_data(X, type(self).__name__).people
        if self.drop_synthetic_flag:
            people = people.drop(columns="is_synthetic")
        if self.columns is not None:
            people = people[list(self.columns)]
        return people

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags
