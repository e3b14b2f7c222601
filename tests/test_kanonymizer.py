"""KAnonymizer: k measured by an independent group-by, sklearn conventions, bad input."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from personatwin_sklearn import KAnonymizer, SocialData
from personatwin_sklearn.datasets import make_social_population
from personatwin_sklearn.exceptions import InfeasibleKError, InvalidValueError, MissingColumnError
from personatwin_sklearn.generalize import accuracy_under_anonymization, read_hierarchy
from personatwin_sklearn.metrics import (
    average_equivalence_class_size,
    discernibility,
    information_loss,
)

ADULT = Path(__file__).resolve().parents[1] / "examples" / "data" / "adult.csv.gz"
ADULT_QIS = [
    "age",
    "workclass",
    "education",
    "marital_status",
    "occupation",
    "race",
    "sex",
    "native_country",
]


@pytest.fixture(scope="module")
def adult():
    return pd.read_csv(ADULT)


def min_class(frame: pd.DataFrame, qis) -> int:
    """Independent k: the smallest group of rows with equal released quasi-identifiers."""
    return int(frame.groupby(list(qis), dropna=False).size().min())


def suppressed(frame, qis) -> np.ndarray:
    return (frame[list(qis)].astype(str) == "*").all(axis=1).to_numpy()


def covers(label: str, value) -> bool:
    """Plain-Python reading of a released cell: does it admit the original value?"""
    if label == "*":
        return True
    if isinstance(value, (int, float, np.integer, np.floating)):
        if "-" in label:
            lo, hi = label.split("-")
            return float(lo) <= float(value) <= float(hi)
        return float(label) == float(value)
    value = str(value)
    if label.endswith("*"):
        return value.startswith(label.rstrip("*"))
    return value in label.split("|")


@pytest.mark.parametrize("k", [2, 5, 10, 50])
def test_adult_every_class_has_k_rows(adult, k):
    out = KAnonymizer(k, quasi_identifiers=ADULT_QIS).fit_transform(adult)
    assert min_class(out, ADULT_QIS) >= k
    # Row count, order, index and non-QI columns are untouched.
    assert out.index.equals(adult.index)
    assert list(out.columns) == list(adult.columns)
    rest = [c for c in adult.columns if c not in ADULT_QIS]
    pd.testing.assert_frame_equal(out[rest], adult[rest])
    # Every released cell admits the original value (generalised, never altered).
    sample = adult.sample(300, random_state=k)
    for i, row in sample.iterrows():
        for c in ADULT_QIS:
            assert covers(out.at[i, c], row[c]), (c, out.at[i, c], row[c])


@pytest.mark.parametrize("limit", [0.01, 0.05])
def test_suppression_stays_within_the_limit(adult, limit):
    est = KAnonymizer(10, quasi_identifiers=ADULT_QIS, suppression_limit=limit)
    out = est.fit_transform(adult)
    gone = suppressed(out, ADULT_QIS)
    assert gone.sum() / len(out) <= limit
    assert gone.sum() == est.n_suppressed_
    assert min_class(out[~gone], ADULT_QIS) >= 10


def test_outlier_is_suppressed_when_allowed():
    ages = [30] * 10 + [95]
    frame = pd.DataFrame({"age": ages, "gender": ["F"] * 11})
    strict = KAnonymizer(5).fit_transform(frame)
    assert set(strict["age"]) == {"30-95"}
    trimmed = KAnonymizer(5, suppression_limit=0.1).fit_transform(frame)
    assert trimmed["age"].tolist() == ["30"] * 10 + ["*"]


def test_zip_prefix_and_groupings():
    frame = pd.DataFrame(
        {
            "zipcode": ["80202", "80203", "80204", "80301", "80302", "80303"],
            "ethnicity": ["white", "white", "asian", "black", "black", "black"],
        }
    )
    out = KAnonymizer(3, quasi_identifiers=["zipcode"]).fit_transform(frame)
    assert out["zipcode"].tolist() == ["8020*"] * 3 + ["8030*"] * 3
    out = KAnonymizer(3, quasi_identifiers=["ethnicity"]).fit_transform(frame)
    assert min_class(out, ["ethnicity"]) >= 3
    assert set(out["ethnicity"]) == {"black", "asian|white"}


def test_hierarchy_from_arx_csv(tmp_path):
    path = tmp_path / "occupation.csv"
    path.write_text(
        "teacher;education;*\nprofessor;education;*\nnurse;health;*\ndoctor;health;*\n"
    )
    frame = pd.DataFrame({"occupation": ["teacher", "professor", "nurse", "doctor"] * 2})
    est = KAnonymizer(4, quasi_identifiers=["occupation"], hierarchies={"occupation": path})
    out = est.fit_transform(frame)
    assert sorted(set(out["occupation"])) == ["education", "health"]
    assert est.column_kinds_ == {"occupation": "hierarchy"}
    assert read_hierarchy(path).shape == (4, 2)


def test_hierarchy_missing_value_is_named():
    frame = pd.DataFrame({"occupation": ["teacher", "pilot"] * 3})
    est = KAnonymizer(
        2, quasi_identifiers=["occupation"], hierarchies={"occupation": {"teacher": ["education"]}}
    )
    with pytest.raises(InvalidValueError, match="pilot"):
        est.fit(frame)


@pytest.mark.parametrize("level, k", [("low", 3), ("medium", 5), ("high", 10)])
def test_privacy_levels(adult, level, k):
    est = KAnonymizer(privacy_level=level, quasi_identifiers=ADULT_QIS)
    out = est.fit_transform(adult.head(3000))
    assert est.k_ == k
    assert min_class(out, ADULT_QIS) >= k


def test_k_and_privacy_level_one_rule(adult):
    """k alone, privacy_level alone, neither (k=5); both is an error, also in a grid."""
    frame = adult.head(500)
    assert KAnonymizer(quasi_identifiers=ADULT_QIS).fit(frame).k_ == 5
    assert KAnonymizer(7, quasi_identifiers=ADULT_QIS).fit(frame).k_ == 7
    with pytest.raises(InvalidValueError, match="give one"):
        KAnonymizer(7, privacy_level="high", quasi_identifiers=ADULT_QIS).fit(frame)
    pipe = Pipeline([("generalize", KAnonymizer(privacy_level="high", quasi_identifiers=["age"]))])
    search = GridSearchCV(
        pipe,
        {"generalize__k": [2, 50]},
        scoring=lambda est, X, y=None: 0.0,
        cv=[(np.arange(len(frame)), np.arange(len(frame)))],
        error_score="raise",
    )
    with pytest.raises(InvalidValueError, match="leave privacy_level=None"):
        search.fit(frame)


def test_partial_default_columns_warn(adult):
    """The default QIs on a table with other columns (e.g. in a ColumnTransformer)."""
    from sklearn.compose import make_column_transformer

    from personatwin_sklearn.exceptions import PersonaTwinWarning

    frame = adult.head(300)
    ct = make_column_transformer((KAnonymizer(5), ADULT_QIS), remainder="drop")
    with pytest.warns(PersonaTwinWarning, match=r"generalises only \['age'\].*workclass"):
        ct.fit(frame)
    # explicit columns, a SocialData and schema columns give no warning
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_column_transformer((KAnonymizer(5, quasi_identifiers=ADULT_QIS), ADULT_QIS)).fit(
            frame
        )
        data = make_social_population(200, random_state=0)
        KAnonymizer(5).fit(data)
        KAnonymizer(5).fit(data.people)


@pytest.mark.parametrize("container", ["DataFrame", "SocialData"])
def test_pandas_output(container):
    """set_output(transform="pandas") and the global config: same type out as in."""
    import sklearn

    data = make_social_population(300, random_state=0)
    X = data if container == "SocialData" else data.people
    plain = KAnonymizer(5).fit_transform(X)
    out = KAnonymizer(5).set_output(transform="pandas").fit_transform(X)
    assert type(out) is type(X)
    with sklearn.config_context(transform_output="pandas"):
        again = KAnonymizer(5).fit(X).transform(X)
    people = (lambda d: d.people) if container == "SocialData" else (lambda d: d)
    pd.testing.assert_frame_equal(people(out), people(plain))
    pd.testing.assert_frame_equal(people(again), people(plain))


def test_skops_round_trip_with_hierarchy(adult):
    sio = pytest.importorskip("skops.io")
    hierarchy = {"sex": {"Male": ["person"], "Female": ["person"]}}
    est = KAnonymizer(10, quasi_identifiers=ADULT_QIS, hierarchies=hierarchy)
    est.fit(adult.head(2000))
    blob = sio.dumps(est)
    expected = {
        "personatwin_sklearn.generalize._kanonymizer.KAnonymizer",
        "personatwin_sklearn.generalize._kanonymizer._Column",
        "personatwin_sklearn.generalize._mondrian.Tree",
    }
    assert set(sio.get_untrusted_types(data=blob)) == expected
    loaded = sio.loads(blob, trusted=sorted(expected))
    pd.testing.assert_frame_equal(
        loaded.transform(adult.tail(500)), est.transform(adult.tail(500))
    )


def test_social_data_in_social_data_out():
    data = make_social_population(400, random_state=3)
    est = KAnonymizer(5)
    out = est.fit_transform(data)
    assert isinstance(out, SocialData)
    people = out.people
    assert min_class(people, est.quasi_identifiers_) >= 5
    assert est.quasi_identifiers_ == ["age", "gender", "ethnicity", "zipcode"]
    pd.testing.assert_frame_equal(out.connections, data.connections)
    other = [c for c in data.people.columns if c not in est.quasi_identifiers_]
    pd.testing.assert_frame_equal(people[other], data.people[other])
    # The generalised release is still a valid SocialData (age ranges are accepted).
    out.validate()


def test_input_is_not_mutated(adult):
    frame = adult.head(2000)
    before = frame.copy(deep=True)
    KAnonymizer(5, quasi_identifiers=ADULT_QIS).fit_transform(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_transform_routes_new_rows_and_matches_fit_transform(adult):
    est = KAnonymizer(10, quasi_identifiers=ADULT_QIS).fit(adult.iloc[:20000])
    again = est.transform(adult.iloc[:20000])
    pd.testing.assert_frame_equal(again, clone(est).fit_transform(adult.iloc[:20000]))
    new = est.transform(adult.iloc[20000:])
    assert len(new) == len(adult) - 20000
    assert set(new["age"]) <= set(again["age"])


def test_clone_pickle_and_params(adult):
    est = KAnonymizer(7, quasi_identifiers=ADULT_QIS, suppression_limit=0.01)
    assert clone(est).get_params() == est.get_params()
    fitted = est.fit(adult.head(5000))
    restored = pickle.loads(pickle.dumps(fitted))
    pd.testing.assert_frame_equal(
        restored.transform(adult.head(5000)), fitted.transform(adult.head(5000))
    )
    assert est.set_params(k=3).k == 3


@pytest.mark.slow
def test_pipeline_grid_search_with_y(adult):
    data = adult.sample(4000, random_state=0)
    X = data[["age", "sex", "race", "education", "hours_per_week"]]
    y = (data["income"] == ">50K").to_numpy()
    pipe = Pipeline(
        [
            ("kanonymizer", KAnonymizer(quasi_identifiers=["age", "sex", "race", "education"])),
            ("onehot", OneHotEncoder(handle_unknown="ignore")),
            ("model", LogisticRegression(max_iter=500)),
        ]
    )
    search = GridSearchCV(pipe, {"kanonymizer__k": [5, 50]}, cv=3).fit(X, y)
    assert search.best_params_["kanonymizer__k"] in (5, 50)
    assert 0.6 < search.best_score_ <= 1.0


def test_impossible_k_is_a_clear_error():
    frame = pd.DataFrame({"age": [30, 40, 50], "gender": ["F", "M", "F"]})
    with pytest.raises(InfeasibleKError, match=r"k=5 is larger than the number of rows \(3"):
        KAnonymizer(5).fit(frame)


@pytest.mark.parametrize(
    "params, frame, error, match",
    [
        ({"quasi_identifiers": ["zip"]}, {"age": [1, 2]}, MissingColumnError, "zip"),
        ({"k": 0}, {"age": [1, 2]}, ValueError, "'k' parameter"),
        ({"suppression_limit": 1.5}, {"age": [1, 2]}, ValueError, "suppression_limit"),
        ({"method": "datafly"}, {"age": [1, 2]}, ValueError, "method"),
        ({"privacy_level": "max"}, {"age": [1, 2]}, ValueError, "privacy_level"),
        ({"k": 1}, {"age": [1.0, np.nan]}, InvalidValueError, "'age' has 1 missing"),
        ({"k": 1, "hierarchies": {"sex": {"a": "b"}}}, {"age": [1, 2]}, InvalidValueError, "sex"),
    ],
)
def test_bad_parameters_and_data(params, frame, error, match):
    with pytest.raises(error, match=match):
        KAnonymizer(**params).fit(pd.DataFrame(frame))


def test_utility_metrics_by_hand():
    before = pd.DataFrame({"age": [30, 32, 40, 48], "gender": ["F", "M", "F", "M"]})
    after = pd.DataFrame({"age": ["30-32", "30-32", "40-48", "40-48"], "gender": ["*"] * 4})
    assert discernibility(after) == 2**2 + 2**2
    assert average_equivalence_class_size(after, k=2) == 1.0
    losses = information_loss(before, after, per_column=True)
    assert losses == {"age": pytest.approx((2 / 18 * 2 + 8 / 18 * 2) / 4), "gender": 1.0}


@pytest.mark.slow
def test_accuracy_comparison_table(adult):
    data = adult.sample(3000, random_state=1)
    X = data[["age", "sex", "race", "education"]]
    y = data["income"]
    table = accuracy_under_anonymization(X, y, ks=(5, 100), quasi_identifiers=list(X), cv=3)
    assert table["k"].tolist() == [0, 5, 100]
    assert table["information_loss"].is_monotonic_increasing
    assert (table["score"] > 0.6).all()


# parametrize_with_checks runs in tests/test_common.py
