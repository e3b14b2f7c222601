"""Providers of synthetic people: census, Nemotron-Personas (local file), DataFrame."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from personatwin_sklearn import census
from personatwin_sklearn.exceptions import InvalidValueError, MissingColumnError, PersonaTwinError
from personatwin_sklearn.providers import (
    CensusProvider,
    DataFrameProvider,
    NemotronProvider,
    get_provider,
)

SCHEMA = {"age", "gender", "ethnicity", "zipcode", "occupation", "is_synthetic"}
NEMOTRON_SCHEMA = [
    "uuid", "persona", "professional_persona", "sports_persona", "arts_persona",
    "travel_persona", "culinary_persona", "cultural_background", "skills_and_expertise",
    "skills_and_expertise_list", "hobbies_and_interests", "hobbies_and_interests_list",
    "career_goals_and_ambitions", "sex", "age", "marital_status", "education_level",
    "bachelors_field", "occupation", "city", "state", "zipcode", "country",
]  # fmt: skip


def nemotron_fixture(n=400, seed=0) -> pd.DataFrame:
    """A small table in the documented Nemotron-Personas-USA schema."""
    rng = np.random.RandomState(seed)
    zips = census.zcta_table("CO")["zcta"].to_numpy()[:30]
    frame = pd.DataFrame({c: [f"{c} text {i}" for i in range(n)] for c in NEMOTRON_SCHEMA})
    frame["sex"] = rng.choice(["Male", "Female"], n)
    frame["age"] = rng.randint(18, 95, n)
    frame["occupation"] = rng.choice(["registered_nurse", "teacher", "retail_salesperson"], n)
    frame["zipcode"] = rng.choice(zips, n)
    frame["state"] = "CO"
    frame.loc[: n // 4, "state"] = "TX"
    frame["marital_status"] = rng.choice(["married_present", "never_married"], n)
    frame["education_level"] = rng.choice(["high_school", "bachelors"], n)
    frame["country"] = "USA"
    return frame


# ----------------------------------------------------------------------------- census
def test_census_sample_schema_and_flags():
    people = CensusProvider(state="CO").sample(50, random_state=0)
    assert len(people) == 50
    assert SCHEMA <= set(people.columns)
    assert people["is_synthetic"].all()
    assert set(people["gender"]) <= {"M", "F"}
    assert people["zipcode"].str.len().eq(5).all()
    assert (people["state"] == "CO").all()


def test_census_sample_reproducible():
    a = CensusProvider().sample(100, random_state=3)
    b = CensusProvider().sample(100, random_state=3)
    c = CensusProvider().sample(100, random_state=4)
    assert a.equals(b)
    assert not a.equals(c)


def test_census_conditions_are_honoured():
    conditions = pd.DataFrame(
        {"gender": ["F", "M"] * 50, "age_min": [40] * 100, "age_max": [44] * 100}
    )
    zips = ["80202"] * 100
    people = CensusProvider().sample(100, random_state=0, zipcodes=zips, distribution=conditions)
    assert (people["gender"].to_numpy() == conditions["gender"].to_numpy()).all()
    assert people["age"].between(40, 44).all()
    assert (people["zipcode"] == "80202").all()
    assert (people["state"] == "CO").all()


def test_census_sex_shares_follow_b01001():
    people = CensusProvider(state="CO").sample(20000, random_state=0)
    table = census.age_sex_distribution("CO")
    expected = table.loc[table["sex"] == "F", "p"].sum()
    assert abs((people["gender"] == "F").mean() - expected) < 0.015
    over_65 = table.loc[table["age_min"] >= 65, "p"].sum()
    assert abs((people["age"] >= 65).mean() - over_65) < 0.015


def test_census_exposes_household_statistics():
    provider = CensusProvider(state="CO")
    assert 1.5 < provider.household_size() < 4
    p = provider.marital_probability(np.array([35, 70]), np.array(["F", "M"]))
    assert ((p > 0) & (p < 1)).all()
    assert len(provider.living_arrangements()) > 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n": -1}, "n must be"),
        ({"n": 2, "distribution": pd.DataFrame({"gender": ["F"]})}, "1 rows but n=2"),
        ({"n": 1, "distribution": pd.DataFrame({"income": [1]})}, "income"),
        ({"n": 1, "distribution": pd.DataFrame({"gender": ["X"]})}, "gender"),
        ({"n": 1, "distribution": pd.DataFrame({"age_min": [50], "age_max": [40]})}, "age_min"),
        ({"n": 2, "zipcodes": ["80202", "80203", "80204"]}, "zip"),
    ],
)
def test_census_bad_requests(kwargs, match):
    with pytest.raises(InvalidValueError, match=match):
        CensusProvider().sample(**kwargs)


def test_census_bad_settings():
    with pytest.raises(InvalidValueError, match="geography"):
        CensusProvider(geography="county").sample(3)
    with pytest.raises(PersonaTwinError, match="ZZ"):
        CensusProvider(state="ZZ").sample(3)


# ----------------------------------------------------------------------------- pools
def test_dataframe_provider_conditions_pick_matching_rows():
    pool = pd.DataFrame(
        {
            "age": [30, 31, 70, 71, 42],
            "gender": ["F", "F", "M", "M", "F"],
            "occupation": ["nurse", "nurse", "farmer", "farmer", "teacher"],
            "person_id": [1, 2, 3, 4, 5],
        }
    )
    conditions = pd.DataFrame({"gender": ["M"] * 20, "age_min": [65] * 20, "age_max": [75] * 20})
    people = DataFrameProvider(pool, state="CO").sample(
        20, random_state=0, distribution=conditions
    )
    assert (people["occupation"] == "farmer").all()
    assert people["age"].isin([70, 71]).all()
    assert "person_id" not in people.columns  # ids are never carried over
    assert people["ethnicity"].notna().all()  # filled from census
    # no one in the bounds: widened to the sex, age redrawn inside the bounds
    conditions = pd.DataFrame({"gender": ["F"] * 10, "age_min": [80] * 10, "age_max": [84] * 10})
    people = DataFrameProvider(pool).sample(10, random_state=0, distribution=conditions)
    assert people["age"].between(80, 84).all()
    assert set(people["occupation"]) <= {"nurse", "teacher"}


@pytest.mark.parametrize(
    "pool, error, match",
    [
        (pd.DataFrame({"age": [1]}), MissingColumnError, "gender"),
        (pd.DataFrame({"age": [-1], "gender": ["F"]}), InvalidValueError, "age"),
        (pd.DataFrame({"age": ["old"], "gender": ["F"]}), InvalidValueError, "age"),
        (pd.DataFrame({"age": [], "gender": []}), InvalidValueError, "empty"),
        ("people.csv", InvalidValueError, "DataFrame"),
    ],
)
def test_dataframe_provider_bad_pools(pool, error, match):
    with pytest.raises(error, match=match):
        DataFrameProvider(pool).sample(2)


# ----------------------------------------------------------------------------- nemotron
@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_nemotron_reads_schema_and_maps(tmp_path, suffix):
    raw = nemotron_fixture()
    path = tmp_path / f"personas{suffix}"
    if suffix == ".parquet":
        raw.to_parquet(path)
    elif suffix == ".csv":
        raw.to_csv(path, index=False)
    else:
        raw.to_json(path, orient="records", lines=True)
    provider = NemotronProvider(path, cache_dir=tmp_path / "cache")
    people = provider.sample(200, random_state=0)
    assert SCHEMA <= set(people.columns)
    assert {"marital_status", "education_level"} <= set(people.columns)
    assert set(people["gender"]) <= {"M", "F"}
    assert set(people["occupation"]) <= set(raw["occupation"])
    assert people["ethnicity"].isin(census.ETHNICITIES).all()  # no ethnicity in Nemotron
    assert not any(c in people.columns for c in ("persona", "uuid", "city"))
    # a sampled persona is a real row of the file (age/sex/occupation kept together)
    key = raw.assign(gender=raw["sex"].str[0])[["age", "gender", "occupation"]]
    merged = people[["age", "gender", "occupation"]].merge(
        key.drop_duplicates(), how="left", indicator=True
    )
    assert (merged["_merge"] == "both").all()


def test_nemotron_cache_is_parquet_and_reused(tmp_path, monkeypatch):
    path = tmp_path / "personas.csv"
    nemotron_fixture().to_csv(path, index=False)
    cache = tmp_path / "cache"
    first = NemotronProvider(path, cache_dir=cache).sample(50, random_state=1)
    files = list(cache.glob("*.parquet"))
    assert len(files) == 1
    pd.read_parquet(files[0])  # a plain Parquet file, never a pickle

    from personatwin_sklearn.providers import _pool

    def no_parsing(*args, **kwargs):
        raise AssertionError("the cache was not used")

    monkeypatch.setattr(_pool, "_read_table", no_parsing)
    second = NemotronProvider(path, cache_dir=cache).sample(50, random_state=1)
    assert first.equals(second)


def test_nemotron_state_filter_and_conditions(tmp_path):
    path = tmp_path / "p.parquet"
    nemotron_fixture().to_parquet(path)
    provider = NemotronProvider(path, cache_dir=False, state="TX")
    conditions = pd.DataFrame({"gender": ["F"] * 30, "age_min": [30] * 30, "age_max": [60] * 30})
    people = provider.sample(30, random_state=0, distribution=conditions)
    assert (people["state"] == "TX").all()
    assert (people["gender"] == "F").all() and people["age"].between(30, 60).all()


def test_nemotron_missing_file_and_wrong_schema(tmp_path):
    with pytest.raises(PersonaTwinError, match="not found"):
        NemotronProvider(tmp_path / "absent.parquet").sample(2)
    with pytest.raises(PersonaTwinError, match="path="):
        NemotronProvider().sample(2)
    wrong = nemotron_fixture().drop(columns=["sex", "zipcode"])
    path = tmp_path / "wrong.csv"
    wrong.to_csv(path, index=False)
    with pytest.raises(MissingColumnError, match="sex"):
        NemotronProvider(path, cache_dir=False).sample(2)
    bad = tmp_path / "bad.xlsx"
    bad.write_text("x")
    with pytest.raises(InvalidValueError, match="Unknown file type"):
        NemotronProvider(bad, cache_dir=False).sample(2)


def test_nemotron_pickle_and_clone(tmp_path):
    path = tmp_path / "p.parquet"
    nemotron_fixture().to_parquet(path)
    provider = NemotronProvider(path, cache_dir=False)
    provider.sample(5, random_state=0)
    restored = pickle.loads(pickle.dumps(provider))
    assert "_pool_cache" not in restored.__dict__
    assert restored.sample(5, random_state=0).equals(provider.sample(5, random_state=0))
    assert clone(provider).get_params() == provider.get_params()


def test_get_provider(monkeypatch, tmp_path):
    assert isinstance(get_provider("census"), CensusProvider)
    assert isinstance(get_provider(pd.DataFrame({"age": [1], "gender": ["F"]})), DataFrameProvider)
    monkeypatch.delenv("PERSONATWIN_NEMOTRON_PATH", raising=False)
    with pytest.raises(InvalidValueError, match="PERSONATWIN_NEMOTRON_PATH"):
        get_provider("nemotron")
    monkeypatch.setenv("PERSONATWIN_NEMOTRON_PATH", str(tmp_path / "x.parquet"))
    assert isinstance(get_provider("nemotron"), NemotronProvider)
    with pytest.raises(InvalidValueError, match="Unknown provider"):
        get_provider("wikipedia")
