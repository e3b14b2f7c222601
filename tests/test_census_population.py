"""Shipped census aggregates, samplers, and the sample population."""

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from personatwin_sklearn import census
from personatwin_sklearn.datasets import SPOUSE_TEACHER_PATTERN, make_social_population
from personatwin_sklearn.exceptions import PersonaTwinError

from ._recount import recount

SHARED_B01001 = (
    Path(__file__).resolve().parents[2]
    / "shared/data/census/acs2018_1yr_by_state/acs1_2018_B01001_by_state.csv"
)


def test_colorado_total_matches_table():
    table = census.age_sex_distribution("CO")
    assert table["count"].sum() == 5_695_564
    assert table["p"].sum() == pytest.approx(1.0)


def test_colorado_total_rederived_from_shared_data():
    if not SHARED_B01001.exists():
        pytest.skip(f"shared data not available: {SHARED_B01001}")
    raw = pd.read_csv(SHARED_B01001)
    assert int(raw.loc[raw["GEO_ID"].str.endswith("US08"), "B01001_001E"].iloc[0]) == 5_695_564


def test_distributions_sum_to_one():
    assert census.ethnicity_distribution("CO").sum() == pytest.approx(1)
    assert census.occupation_distribution("F").sum() == pytest.approx(1)
    assert "education" in census.occupation_distribution().index
    p = census.marital_probability([10, 30, 45, 80], ["M", "F", "M", "F"])
    assert p[0] == 0 and 0.3 < p[1] < 0.8 and 0.5 < p[2] < 0.8
    assert 2 < census.household_size("CO") < 3


def test_sampled_ages_follow_table():
    ages, sexes = census.sample_age_sex(50_000, 0, state="US")
    table = census.age_sex_distribution("US")
    band = np.searchsorted(table.loc[table.sex == "M", "age_min"].to_numpy(), ages, "right") - 1
    edges = table.loc[table.sex == "M", "age_min"].to_numpy()
    observed = np.bincount(band, minlength=len(edges)) / len(ages)
    expected = table.groupby("age_min")["count"].sum().reindex(edges).to_numpy()
    expected = expected / expected.sum()
    assert 0.5 * np.abs(observed - expected).sum() < 0.03
    assert set(sexes) == {"M", "F"}


def test_samplers_reproducible_and_zips_in_state():
    a = census.sample_zipcodes(100, 3, state="CO")
    b = census.sample_zipcodes(100, 3, state="CO")
    assert (a == b).all()
    co = set(census.zcta_table("CO")["zcta"])
    assert set(a) <= co
    eth = census.sample_ethnicity(200, 1, zipcodes=a)
    assert set(eth) <= set(census.ETHNICITIES)


def test_unknown_state():
    with pytest.raises(PersonaTwinError, match="state='XX'"):
        census.age_sex_distribution("XX")


def test_sample_population_is_realistic_and_has_the_teacher_case():
    data = make_social_population(1000, random_state=0)
    people, edges = data.people, data.connections
    assert len(people) == 1000 and people["person_id"].is_unique
    assert {"SPOUSE", "PARENT", "SIBLING", "CO_DEFENDANT"} <= set(edges["connection_type"])
    by_id = people.set_index("person_id")
    spouse = edges[edges.connection_type == "SPOUSE"]
    gap = by_id.loc[spouse.person1_id, "age"].to_numpy() - by_id.loc[spouse.person2_id, "age"]
    assert np.abs(np.median(np.abs(gap.to_numpy()))) <= 6  # spouses are of similar age
    parent = edges[edges.connection_type == "PARENT"]
    gap = by_id.loc[parent.person2_id, "age"].to_numpy() - by_id.loc[parent.person1_id, "age"]
    assert 18 <= np.median(gap.to_numpy()) <= 40
    # exactly one person holds the planted pattern (independent recount)
    holders, _ = recount(data, ["gender", "age", "occupation", "has_criminal_record"])
    planted = [
        owners
        for (kind, sig), owners in holders.items()
        if kind == "SPOUSE" and dict(sig) == {
            "gender": "F", "age": "40-44", "occupation": "education",
            "has_criminal_record": "False",
        }
    ]  # fmt: skip
    assert len(planted) == 1 and len(planted[0]) == 1
    assert SPOUSE_TEACHER_PATTERN.startswith("SPOUSE: gender=F, age=40-44")


def test_sample_population_reproducible_and_domains():
    a = make_social_population(300, random_state=7)
    b = make_social_population(300, random_state=7)
    assert a.equals(b)
    for domain, column in [
        ("healthcare", "has_chronic_condition"),
        ("education", "has_disciplinary_record"),
    ]:
        data = make_social_population(200, random_state=1, domain=domain)
        assert column in data.people.columns and data.domain.name == domain
    with pytest.raises(PersonaTwinError, match="n_people"):
        make_social_population(5)
    ethnic = Counter(make_social_population(2000, random_state=2).people["ethnicity"])
    assert ethnic["white"] > ethnic["asian"]
