"""Shipped census aggregates (personatwin_sklearn/data/census) and the samplers over them."""

import gzip
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from personatwin_sklearn import census

COLORADO = 5_695_564  # ACS 2018 1-year B01001_001E, see ../shared/data/README.md
SHARED_B01001 = (
    Path(__file__).resolve().parents[2]
    / "shared/data/census/acs2018_1yr_by_state/acs1_2018_B01001_by_state.csv"
)
DATA = resources.files("personatwin_sklearn") / "data" / "census"
FILES = [
    "age_sex.csv",
    "ethnicity.csv",
    "occupation_sex.csv",
    "marital.csv",
    "household.csv",
    "living_arrangements.csv",
    "zcta.csv.gz",
    "family.csv",
]


def _first_line(name):
    raw = DATA.joinpath(name).read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return raw.decode("utf-8").splitlines()[0]


# --------------------------------------------------------------------------- shipped files
@pytest.mark.parametrize("name", FILES)
def test_every_file_names_its_source(name):
    assert _first_line(name).startswith("# source: ")


def test_shipped_folder_is_small_and_documented():
    sizes = {p.name: len(p.read_bytes()) for p in DATA.iterdir() if p.is_file()}
    assert set(FILES) | {"SOURCES.md"} <= set(sizes)
    assert sum(sizes.values()) < 1_500_000
    assert sizes["zcta.csv.gz"] < 1_000_000
    sources = DATA.joinpath("SOURCES.md").read_text(encoding="utf-8")
    for name in FILES:
        assert f"`{name}`" in sources
    assert "public domain" in sources.lower() and "MIT" in sources


def test_colorado_total_in_shipped_file():
    with DATA.joinpath("age_sex.csv").open("rb") as handle:
        raw = pd.read_csv(handle, comment="#")
    assert raw.loc[raw["state"] == "CO", "count"].sum() == COLORADO
    assert int(census.age_sex_distribution("CO")["count"].sum()) == COLORADO


def test_colorado_total_rederived_from_shared_data():
    if not SHARED_B01001.exists():
        pytest.skip(f"../shared/data is not available here ({SHARED_B01001} missing)")
    raw = pd.read_csv(SHARED_B01001)
    colorado = raw.loc[raw["GEO_ID"].str.endswith("US08")]
    assert int(colorado["B01001_001E"].iloc[0]) == COLORADO
    # the shipped bands add up to the same total
    bands = census.age_sex_distribution("CO")
    assert int(bands["count"].sum()) == int(colorado["B01001_001E"].iloc[0])


def test_age_sex_table_shape():
    table = census.age_sex_distribution()
    assert list(table.columns) == ["state", "sex", "age_min", "age_max", "count", "p"]
    assert len(table) == 46 and set(table["sex"]) == {"M", "F"}
    assert table["age_min"].min() == 0 and table["age_max"].max() == 100
    assert (table["age_max"] >= table["age_min"]).all()
    # US = 50 states + DC; Puerto Rico listed separately
    us = table["count"].sum()
    states = [s for s in census.state_codes() if s not in ("US", "PR")]
    assert len(states) == 51
    assert us == sum(census.age_sex_distribution(s)["count"].sum() for s in states)


# --------------------------------------------------------------------------- distributions
@pytest.mark.parametrize("state", ["US", "CO", "PR", "dc"])
def test_probabilities_sum_to_one(state):
    assert census.age_sex_distribution(state)["p"].sum() == pytest.approx(1)
    eth = census.ethnicity_distribution(state)
    assert list(eth.index) == list(census.ETHNICITIES)
    assert eth.sum() == pytest.approx(1) and (eth >= 0).all()
    assert census.living_arrangements(state, by_age=False).sum() == pytest.approx(1)
    wide = census.living_arrangements(state)
    assert np.allclose(wide[list(census.ARRANGEMENTS)].sum(axis=1), 1)


@pytest.mark.parametrize("sex", ["M", "F", None])
def test_occupation_distribution(sex):
    occ = census.occupation_distribution(sex)
    assert occ.sum() == pytest.approx(1)
    assert list(occ.index) == list(census.OCCUPATIONS) and len(occ) == 22
    assert (occ > 0).all()


def test_teachers_are_education_and_mostly_women():
    women, men = census.occupation_distribution("F"), census.occupation_distribution("M")
    assert women["education"] > 2 * men["education"]
    assert men["construction"] > 10 * women["construction"]


def test_marital_probability_vectorised():
    p = census.marital_probability([10, 14.9, 15, 30, 45, 80, np.nan], ["M"] * 3 + ["F"] * 4)
    assert p.shape == (7,)
    assert p[0] == 0 and p[1] == 0 and 0 < p[2] < 0.05
    assert 0.4 < p[3] < 0.7 and np.isnan(p[6])
    men = census.marital_probability(np.arange(15, 101), "M")
    assert men.shape == (86,) and men.max() > 0.6 and ((men >= 0) & (men <= 1)).all()
    # unknown sex: mean of the two
    both = census.marital_probability([40, 40, 40], ["M", "F", "X"])
    assert both[2] == pytest.approx(both[:2].mean())


def test_household_and_family():
    assert census.household_size("CO") == pytest.approx(2.56)
    assert 2.5 < census.household_size() < 2.7
    fam = census.family_parameters()
    assert fam["spouse_age_gap_mean"] == pytest.approx(2.3)
    assert fam["spouse_age_gap_sd"] == pytest.approx(4.5)
    assert fam["father_age_at_birth_mean"] == pytest.approx(
        fam["mother_age_at_birth_mean"] + fam["spouse_age_gap_mean"]
    )
    bands = census.living_arrangements("US")
    assert bands["age_min"].tolist() == [18, 35, 65]
    old = bands.set_index("age_min").loc[65]
    young = bands.set_index("age_min").loc[18]
    assert old["alone"] > young["alone"] and young["child_of_householder"] > 0.2


def test_loaders_return_copies():
    table = census.age_sex_distribution("CO")
    table["count"] = 0
    assert census.age_sex_distribution("CO")["count"].sum() == COLORADO
    zctas = census.zcta_table("CO")
    zctas.loc[:, "population"] = -1
    assert (census.zcta_table("CO")["population"] > 0).all()
    fam = census.family_parameters()
    fam["spouse_age_gap_mean"] = 99
    assert census.family_parameters()["spouse_age_gap_mean"] == pytest.approx(2.3)
    eth = census.ethnicity_distribution()
    eth[:] = 0
    assert census.ethnicity_distribution().sum() == pytest.approx(1)


def test_zcta_table():
    table = census.zcta_table()
    assert table["zcta"].str.fullmatch(r"\d{5}").all() and table["zcta"].is_unique
    assert (table["population"] > 0).all()
    races = ["white", "black", "api", "native", "multiple", "hispanic"]
    assert table[races].notna().all().all()
    assert np.allclose(table[races].sum(axis=1), 1, atol=0.01)
    assert set(table["state"]) == set(census.state_codes()) - {"US"}
    co = census.zcta_table("CO")
    assert (co["state"] == "CO").all() and co["zcta"].str.startswith("8").all()
    us = census.zcta_table("US")
    assert len(us) == len(table) - (table["state"] == "PR").sum() and "PR" not in set(us.state)


@pytest.mark.parametrize(
    "call",
    [
        lambda: census.age_sex_distribution("XX"),
        lambda: census.ethnicity_distribution("Colorado"),
        lambda: census.household_size("ZZ"),
        lambda: census.zcta_table("XX"),
        lambda: census.sample_age_sex(3, 0, state="XX"),
        lambda: census.sample_zipcodes(3, 0, state="XX"),
    ],
)
def test_unknown_state_names_the_argument(call):
    with pytest.raises(ValueError, match=r"state='(XX|Colorado|ZZ)'.*CO, CT") as err:
        call()
    assert "'US'" in str(err.value)


def test_bad_arguments():
    with pytest.raises(ValueError, match="sex"):
        census.occupation_distribution("male")
    with pytest.raises(ValueError, match="min_age"):
        census.sample_age_sex(3, 0, min_age=50, max_age=40)
    with pytest.raises(ValueError, match="n must be"):
        census.sample_age_sex(-1, 0)
    with pytest.raises(ValueError, match="n must be"):
        census.sample_ethnicity(None, 0)
    with pytest.raises(ValueError, match="same length"):
        census.sample_occupation([30, 40], ["M"], 0)


# --------------------------------------------------------------------------- samplers
def test_samplers_reproducible_and_sized():
    def draw(seed):
        ages, sexes = census.sample_age_sex(500, seed, state="CO")
        zips = census.sample_zipcodes(500, seed, state="CO")
        eth = census.sample_ethnicity(500, seed, state="CO", zipcodes=zips)
        eth_state = census.sample_ethnicity(500, seed, state="CO")
        occ = census.sample_occupation(ages, sexes, seed)
        return ages, sexes, zips, eth, eth_state, occ

    first, again, other = draw(7), draw(7), draw(8)
    for a, b, c in zip(first, again, other):
        assert a.shape == (500,)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
    assert first[0].dtype == np.int64
    # a RandomState is accepted and advanced
    rng = np.random.RandomState(0)
    a1, _ = census.sample_age_sex(10, rng)
    a2, _ = census.sample_age_sex(10, rng)
    assert not np.array_equal(a1, a2)
    assert census.sample_age_sex(0, 0)[0].shape == (0,)
    assert census.sample_occupation([], [], 0).shape == (0,)


def test_sampled_age_distribution_close_to_table():
    n = 50_000
    for state in ("US", "CO"):
        ages, sexes = census.sample_age_sex(n, 0, state=state)
        table = census.age_sex_distribution(state)
        men = table.loc[table["sex"] == "M"].sort_values("age_min")
        band = np.searchsorted(men["age_min"].to_numpy(), ages, side="right") - 1
        observed = pd.crosstab(sexes, band).stack() / n
        expected = table.assign(band=np.searchsorted(men["age_min"].to_numpy(), table["age_min"]))
        expected = expected.set_index(["sex", "band"])["p"]
        observed = observed.reindex(expected.index, fill_value=0)
        assert 0.5 * np.abs(observed - expected).sum() < 0.03
        assert ages.min() >= 0 and ages.max() <= 100


def test_sample_age_sex_respects_range_and_partial_bands():
    ages, _ = census.sample_age_sex(20_000, 1, state="US", min_age=18, max_age=21)
    assert ages.min() == 18 and ages.max() == 21
    # every single year is about equally likely (bands are split uniformly)
    counts = np.bincount(ages - 18, minlength=4) / len(ages)
    assert np.all(np.abs(counts - 0.25) < 0.03)


def test_zipcodes_belong_to_state_and_follow_population():
    zips = census.sample_zipcodes(20_000, 3, state="CO")
    co = census.zcta_table("CO").set_index("zcta")
    assert set(zips) <= set(co.index)
    biggest = co["population"].idxmax()
    expected = co.loc[biggest, "population"] / co["population"].sum()
    assert np.mean(zips == biggest) == pytest.approx(expected, abs=0.01)
    assert set(census.sample_zipcodes(200, 0, state="PR")) <= set(census.zcta_table("PR").zcta)


def test_ethnicity_from_zipcodes():
    table = census.zcta_table().set_index("zcta")
    black = table.loc[table["population"] > 5000, "black"].idxmax()
    hispanic = table.loc[table["population"] > 5000, "hispanic"].idxmax()
    zips = np.array([black] * 5000 + [hispanic] * 5000 + ["99999"] * 20_000, dtype=object)
    eth = census.sample_ethnicity(len(zips), 0, state="CO", zipcodes=zips)
    assert set(eth) <= set(census.ETHNICITIES)
    assert np.mean(eth[:5000] == "black") == pytest.approx(table.loc[black, "black"], abs=0.02)
    assert np.mean(eth[5000:10_000] == "hispanic") == pytest.approx(
        table.loc[hispanic, "hispanic"], abs=0.02
    )
    # unknown zip -> the state's shares (all 8 categories)
    unknown = pd.Series(eth[10_000:]).value_counts(normalize=True)
    expected = census.ethnicity_distribution("CO")
    assert 0.5 * (unknown.reindex(expected.index, fill_value=0) - expected).abs().sum() < 0.02
    # api -> asian; integer zip codes are zero-padded
    assert set(census.sample_ethnicity(200, 0, zipcodes=[601] * 200)) <= {
        "hispanic",
        "white",
        "black",
        "asian",
        "native",
        "multiple",
    }
    # one draw per zip code (n may be None then)
    assert census.sample_ethnicity(None, 0, zipcodes=["80202", "80203"]).shape == (2,)
    np.testing.assert_array_equal(
        census.sample_ethnicity(50, 4, zipcodes=[80202] * 50),
        census.sample_ethnicity(50, 4, zipcodes=["80202"] * 50),
    )


def test_ethnicity_through_sampled_zipcodes_matches_zcta_table():
    rng = np.random.RandomState(0)  # one random state through both calls
    zips = census.sample_zipcodes(200_000, rng)
    eth = census.sample_ethnicity(None, rng, zipcodes=zips)
    table = census.zcta_table("US")
    weights = table["population"] / table["population"].sum()
    for race, code in [("black", "black"), ("hispanic", "hispanic"), ("api", "asian")]:
        expected = float((table[race] * weights).sum())
        assert np.mean(eth == code) == pytest.approx(expected, abs=0.005)


def test_sample_occupation_by_age_and_sex():
    n = 40_000
    rng = np.random.RandomState(0)
    ages = np.concatenate([rng.randint(0, 18, n), np.full(n, 40), np.full(n, 80)])
    sexes = np.tile(np.array(["F", "M"]), 3 * n // 2)
    occ = census.sample_occupation(ages, sexes, 5)
    assert occ.shape == (3 * n,)
    assert set(occ) <= set(census.OCCUPATIONS) | set(census.NOT_EMPLOYED)
    assert (occ[:n] == "student").all()
    adults, old = occ[n : 2 * n], occ[2 * n :]
    assert 0.7 < np.isin(adults, census.OCCUPATIONS).mean() < 0.85
    assert 0.01 < np.mean(adults == "unemployed") < 0.06
    assert 0.1 < np.mean(adults == "not_in_labor_force") < 0.25
    assert np.mean(old == "retired") > 0.8
    # employed adults follow C24010 by sex
    for sex in ("F", "M"):
        jobs = adults[(sexes[n : 2 * n] == sex) & np.isin(adults, census.OCCUPATIONS)]
        observed = pd.Series(jobs).value_counts(normalize=True)
        expected = census.occupation_distribution(sex)
        assert 0.5 * (observed.reindex(expected.index, fill_value=0) - expected).abs().sum() < 0.03
