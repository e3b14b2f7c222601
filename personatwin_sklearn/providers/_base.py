"""The provider interface: where synthetic people's attributes come from."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from personatwin_sklearn.exceptions import InvalidValueError, PersonaTwinError

__all__ = ["SyntheticPersonaProvider", "CONDITION_COLUMNS"]

#: Columns a ``distribution`` frame may hold to fix or bound each requested person.
CONDITION_COLUMNS = ("gender", "age", "age_min", "age_max", "ethnicity", "zipcode", "state")


def _check_n(n) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, Integral) or n < 0:
        raise InvalidValueError(f"n must be an integer >= 0 (people to sample), got {n!r}.")
    return int(n)


def conditions_frame(n: int, zipcodes=None, distribution=None) -> pd.DataFrame:
    """Check and combine ``zipcodes`` / ``distribution`` into one frame of ``n`` rows."""
    n = _check_n(n)
    if distribution is None:
        frame = pd.DataFrame(index=pd.RangeIndex(n))
    else:
        if not isinstance(distribution, pd.DataFrame):
            raise InvalidValueError(
                "distribution must be a DataFrame with one row per requested person and "
                f"columns among {list(CONDITION_COLUMNS)}, got {type(distribution).__name__}."
            )
        if len(distribution) != n:
            raise InvalidValueError(
                f"distribution has {len(distribution)} rows but n={n}: give one row of "
                "conditions per requested person."
            )
        unknown = [c for c in distribution.columns if c not in CONDITION_COLUMNS]
        if unknown:
            raise InvalidValueError(
                f"distribution has column(s) {unknown} a provider cannot condition on; use "
                f"{list(CONDITION_COLUMNS)}."
            )
        frame = distribution.reset_index(drop=True).copy()
    if zipcodes is not None:
        zips = np.asarray(zipcodes, dtype=object).ravel()
        if len(zips) == 1 and n != 1:
            zips = np.repeat(zips, n)
        if len(zips) != n:
            raise InvalidValueError(
                f"zipcodes has {len(zips)} values but n={n}: give one zip code per person "
                "(or a single one for all)."
            )
        from personatwin_sklearn.census import _normalise_zipcodes

        frame["zipcode"] = _normalise_zipcodes(zips)
    if "age" in frame:
        frame["age_min"] = frame["age_max"] = pd.to_numeric(frame.pop("age"))
    for column in ("age_min", "age_max"):
        if column in frame:
            values = pd.to_numeric(frame[column], errors="coerce")
            if values.isna().any() or (values < 0).any():
                raise InvalidValueError(
                    f"distribution column {column!r} must hold ages >= 0 (no NaN)."
                )
            frame[column] = values.astype(np.int64)
    if "age_min" in frame and "age_max" in frame:
        bad = frame["age_min"] > frame["age_max"]
        if bad.any():
            raise InvalidValueError(
                f"distribution has age_min > age_max at rows {list(np.flatnonzero(bad)[:5])}."
            )
    if "gender" in frame:
        bad = ~frame["gender"].isin(["M", "F"])
        if bad.any():
            raise InvalidValueError(
                "distribution column 'gender' must hold 'M' or 'F', got "
                f"{frame.loc[bad, 'gender'].head(3).tolist()}."
            )
    return frame


class SyntheticPersonaProvider(BaseEstimator):
    """Base class of the sources of synthetic people.

    A provider draws people in the project's schema (``age``, ``gender``,
    ``ethnicity``, ``zipcode``, ``occupation``, ...) with ``is_synthetic=True``,
    optionally conditioned per person: :class:`~personatwin_sklearn.SyntheticAugmenter`
    asks for people of a given sex, age band and zip code and lets the provider fill in
    the rest.  Subclasses implement ``_sample(conditions, rng)``.

    Providers take their settings in ``__init__`` (stored as given, sklearn style) so
    they can be used as parameters of estimators, cloned and grid-searched.

    See Also
    --------
    CensusProvider : Draws people from census aggregates.
    DataFrameProvider : Draws people from a table.

    Examples
    --------
    >>> from personatwin_sklearn.providers import CensusProvider, SyntheticPersonaProvider
    >>> isinstance(CensusProvider(), SyntheticPersonaProvider)
    True
    """

    def sample(self, n, random_state=None, zipcodes=None, distribution=None) -> pd.DataFrame:
        """Draw ``n`` synthetic people.

        Parameters
        ----------
        n : int
            Number of people (>= 0).
        random_state : int, RandomState instance or None, default=None
            Seed for reproducible draws.
        zipcodes : array-like of str, optional
            One zip code per person (or one for all): people live there, and their
            ethnicity follows that ZCTA's race shares where the provider has none.
        distribution : DataFrame, optional
            One row of conditions per person, with columns among
            :data:`CONDITION_COLUMNS`: ``gender`` (``"M"``/``"F"``), ``age`` (exact) or
            ``age_min``/``age_max`` (inclusive bounds), ``ethnicity``, ``zipcode``,
            ``state``.  A column given is honoured for every row; the others are drawn.

        Returns
        -------
        people : DataFrame
            ``n`` rows with at least ``age, gender, ethnicity, zipcode, occupation`` and
            ``is_synthetic`` (all True); no id column (the caller assigns ids).
        """
        conditions = conditions_frame(n, zipcodes, distribution)
        rng = check_random_state(random_state)
        people = self._sample(conditions, rng).reset_index(drop=True)
        if len(people) != len(conditions):  # pragma: no cover - a subclass bug
            raise PersonaTwinError(
                f"{type(self).__name__} returned {len(people)} people for n={len(conditions)}."
            )
        people["is_synthetic"] = True
        return people

    def _sample(self, conditions: pd.DataFrame, rng: np.random.RandomState) -> pd.DataFrame:
        raise NotImplementedError  # pragma: no cover

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags
