"""Synthetic people drawn from the census aggregates shipped with the package."""

from __future__ import annotations

import numpy as np
import pandas as pd

from personatwin_sklearn import census
from personatwin_sklearn.exceptions import InvalidValueError
from personatwin_sklearn.providers._base import SyntheticPersonaProvider

__all__ = ["CensusProvider"]

_GEOGRAPHIES = ("state", "us")


def _band_table(states: np.ndarray):
    """(n_states, n_bands) arrays of band bounds, counts and sex for each state code."""
    arrays = [census._age_sex_arrays(s) for s in states]
    lo = np.stack([a[0] for a in arrays])
    hi = np.stack([a[1] for a in arrays])
    count = np.stack([a[2] for a in arrays])
    sex = arrays[0][3]
    return lo, hi, count, sex


def sample_age_sex_conditional(states, sexes, lo, hi, rng) -> tuple[np.ndarray, np.ndarray]:
    """Age and sex per person from B01001 of their state, within their own bounds.

    ``sexes`` may hold None (drawn); ``lo``/``hi`` are inclusive per-person bounds.
    Vectorised over the distinct (state, sex, lo, hi) conditions, not over people.
    """
    key = pd.DataFrame({"state": states, "sex": sexes, "lo": lo, "hi": hi})
    key["sex"] = key["sex"].fillna("*")
    combo = key.groupby(["state", "sex", "lo", "hi"], sort=True).ngroup().to_numpy()
    uniq = key.drop_duplicates().sort_values(["state", "sex", "lo", "hi"]).reset_index(drop=True)
    state_codes, state_idx = np.unique(uniq["state"].to_numpy(dtype=str), return_inverse=True)
    band_lo, band_hi, count, band_sex = _band_table(state_codes)
    band_lo, band_hi, count = band_lo[state_idx], band_hi[state_idx], count[state_idx]
    u_lo = uniq["lo"].to_numpy()[:, None]
    u_hi = uniq["hi"].to_numpy()[:, None]
    eff_lo = np.maximum(band_lo, u_lo)
    eff_hi = np.minimum(band_hi, u_hi)
    width = (band_hi - band_lo + 1).astype(float)
    weight = count * np.clip(eff_hi - eff_lo + 1, 0, None) / width
    want_sex = uniq["sex"].to_numpy()[:, None]
    weight = np.where((want_sex == "*") | (band_sex[None, :] == want_sex), weight, 0.0)
    # conditions the census cannot meet (ages beyond its 0-100 range): uniform within the
    # bounds, sex as asked (or even odds), instead of failing
    empty = weight.sum(axis=1) <= 0
    weight[empty] = 1.0
    band = census._categorical_by_group(
        census._cumulative(weight), combo, rng.random_sample(len(combo))
    )
    a = eff_lo[combo, band]
    b = eff_hi[combo, band]
    ages = a + np.floor(rng.random_sample(len(combo)) * (b - a + 1)).astype(np.int64)
    sexes_out = band_sex[band].astype(object)
    outside = empty[combo]
    if outside.any():
        lo_o = np.asarray(lo)[outside].astype(np.int64)
        hi_o = np.asarray(hi)[outside].astype(np.int64)
        ages[outside] = lo_o + np.floor(rng.random_sample(int(outside.sum())) * (hi_o - lo_o + 1))
        asked = key["sex"].to_numpy(dtype=object)[outside]
        coin = np.where(rng.random_sample(int(outside.sum())) < 0.5, "F", "M")
        sexes_out[outside] = np.where(asked == "*", coin, asked)
    return ages.astype(np.int64), sexes_out


class CensusProvider(SyntheticPersonaProvider):
    """Synthetic people from ACS 2018 aggregates shipped with the package.

    Age x sex from table B01001 (of each person's state, or the US), zip codes
    weighted by ZCTA population (ACS 2014-2018), ethnicity from the zip's race shares
    (2010 Census, by ZCTA) or the state's B03002 shares, occupation by sex and age
    from C24010 with labour status by age.  Household statistics for families
    (living arrangements B09021, marital status B12002, household size B25010) are
    exposed as methods.  See ``personatwin_sklearn/data/census/SOURCES.md``.

    Parameters
    ----------
    geography : {"state", "us"}, default="state"
        ``"state"``: each person's age and sex follow their own state's table (the
        state of their zip code); ``"us"``: the national table for everyone.
    state : str, default="US"
        Where people live when no zip codes are requested: a 2-letter postal code
        or ``"US"`` (the 50 states and DC).

    See Also
    --------
    DataFrameProvider : Draws people from a table instead.

    Examples
    --------
    >>> from personatwin_sklearn.providers import CensusProvider
    >>> people = CensusProvider(state="CO").sample(5, random_state=0)
    >>> list(people.columns)
    ['age', 'gender', 'ethnicity', 'zipcode', 'state', 'occupation', 'is_synthetic']
    >>> bool(people["zipcode"].str.startswith("8").all())
    True
    """

    def __init__(self, geography="state", state="US"):
        self.geography = geography
        self.state = state

    def _check(self) -> str:
        if self.geography not in _GEOGRAPHIES:
            raise InvalidValueError(
                f"CensusProvider(geography={self.geography!r}) is not one of {list(_GEOGRAPHIES)}."
            )
        return census._check_state(self.state)

    def _sample(self, conditions: pd.DataFrame, rng) -> pd.DataFrame:
        home = self._check()
        n = len(conditions)
        if "zipcode" in conditions:
            zips = conditions["zipcode"].astype(str).to_numpy(dtype=object)
        else:
            zips = census.sample_zipcodes(n, rng, home) if n else np.array([], dtype=object)
        if "state" in conditions:
            states = conditions["state"].astype(str).to_numpy(dtype=object)
        else:
            states = census._zcta_state().reindex(zips).to_numpy(dtype=object)
            states = np.where(pd.isna(states), home, states)
        states = states.astype(object)
        age_states = states if self.geography == "state" else np.full(n, "US", dtype=object)
        sexes = conditions["gender"].to_numpy(dtype=object) if "gender" in conditions else None
        lo = conditions["age_min"].to_numpy() if "age_min" in conditions else np.zeros(n, int)
        hi = conditions["age_max"].to_numpy() if "age_max" in conditions else np.full(n, 100)
        if n == 0:
            ages, sexes_out = np.array([], dtype=np.int64), np.array([], dtype=object)
        else:
            ages, sexes_out = sample_age_sex_conditional(
                age_states, sexes if sexes is not None else np.full(n, None), lo, hi, rng
            )
        if "ethnicity" in conditions:
            ethnicity = conditions["ethnicity"].to_numpy(dtype=object)
        elif n:
            ethnicity = census.sample_ethnicity(None, rng, state=home, zipcodes=zips)
        else:
            ethnicity = np.array([], dtype=object)
        occupation = (
            census.sample_occupation(ages, sexes_out, rng) if n else np.array([], dtype=object)
        )
        return pd.DataFrame(
            {
                "age": ages,
                "gender": sexes_out,
                "ethnicity": np.asarray(ethnicity, dtype=object),
                "zipcode": zips,
                "state": states,
                "occupation": np.asarray(occupation, dtype=object),
            }
        )

    # -- household statistics -----------------------------------------------------------
    def living_arrangements(self, by_age: bool = True):
        """Give the living arrangements of adults (ACS 2018 B09021), by age band.

        Parameters
        ----------
        by_age : bool, default=True
            One row per age band (else one row for all adults).

        Returns
        -------
        shares : DataFrame
            Share of adults living alone, with a spouse, a partner, ...
        """
        return census.living_arrangements(self._check(), by_age=by_age)

    def marital_probability(self, ages, sexes) -> np.ndarray:
        """Give P(married) by age and sex (ACS 2018 B12002).

        Parameters
        ----------
        ages : array-like of int
            Ages.
        sexes : array-like of str
            ``"M"`` or ``"F"``, one per age.

        Returns
        -------
        probability : ndarray of float
            One value per person.
        """
        self._check()
        return census.marital_probability(ages, sexes)

    def household_size(self) -> float:
        """Give the average household size (ACS 2018 B25010) of :attr:`state`.

        Returns
        -------
        size : float
            People per household.
        """
        return census.household_size(self._check())
