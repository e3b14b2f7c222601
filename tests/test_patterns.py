"""ConnectionPatternAnalyzer against an independent plain-Python recount."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from personatwin_sklearn import ConnectionPatternAnalyzer, SocialData
from personatwin_sklearn.exceptions import InfeasibleKError, MissingColumnError
from personatwin_sklearn.metrics import connection_pattern_k, person_pattern_k

from ._recount import neighborhood_k, person_min_k, recount


def random_population(n=300, n_edges=600, seed=0):
    rng = np.random.default_rng(seed)
    people = pd.DataFrame(
        {
            "person_id": np.arange(n) * 3 + 7,
            "age": rng.integers(0, 90, n),
            "gender": rng.choice(["F", "M"], n),
            "occupation": rng.choice(["sales", "education", "retired", "construction"], n),
            "has_criminal_record": rng.random(n) < 0.2,
        }
    )
    a = rng.integers(0, n, n_edges)
    b = (a + rng.integers(1, n, n_edges)) % n
    edges = pd.DataFrame(
        {
            "person1_id": people["person_id"].to_numpy()[a],
            "person2_id": people["person_id"].to_numpy()[b],
            "connection_type": rng.choice(["SPOUSE", "PARENT", "CO_DEFENDANT"], n_edges),
        }
    )
    return SocialData(people, edges, domain="criminal_justice")


def _check_against_recount(data, signature, k=5):
    analyzer = ConnectionPatternAnalyzer(k=k, signature=signature).fit(data)
    holders, _ = recount(data, analyzer.signature_)
    # every pattern's k equals the recount
    assert len(analyzer.patterns_) == len(holders)
    expected = sorted(len(s) for s in holders.values())
    assert sorted(analyzer.patterns_["k"].tolist()) == expected
    # per-person pattern_k equals the recount
    out = analyzer.transform(data).people
    want = person_min_k(data, analyzer.signature_)
    got = dict(zip(out[data.id_col], out["pattern_k"]))
    for pid, value in got.items():
        if pid in want:
            assert value == want[pid], pid
        else:
            assert np.isnan(value), pid
    # rare patterns list exactly the people the recount finds
    rare_people = {p for s in holders.values() if len(s) < k for p in s}
    listed = {p for persons in analyzer.rare_patterns_["persons"] for p in persons}
    assert listed == rare_people
    # neighbourhood scope
    nb = ConnectionPatternAnalyzer(k=k, signature=signature, scope="neighborhood").fit(data)
    got = dict(zip(data.ids, nb.transform(data).people["pattern_k"]))
    assert got == {pid: float(v) for pid, v in neighborhood_k(data, nb.signature_).items()}
    return analyzer


def test_random_population_matches_recount():
    _check_against_recount(random_population(), None)


def test_toy_spouse_teacher_is_rare(toy):
    analyzer = _check_against_recount(toy, None, k=2)
    rare = analyzer.rare_patterns_
    teacher = rare[
        rare["pattern"].str.contains("SPOUSE: gender=F, age=40-44, occupation=education")
    ]
    assert teacher["persons"].iloc[0] == ["C"] and teacher["k"].iloc[0] == 1


def test_directed_types_use_inverse_at_other_end(toy):
    analyzer = ConnectionPatternAnalyzer(k=2).fit(toy)
    types = set(analyzer.patterns_["connection_type"])
    assert {"PARENT", "CHILD", "SPOUSE"} == types
    # D is A's parent: D sees a CHILD pattern
    child = analyzer.rare_patterns_[analyzer.rare_patterns_["connection_type"] == "CHILD"]
    assert ["D"] in child["persons"].tolist()


def test_caltech_matches_recount(caltech):
    analyzer = _check_against_recount(caltech, ["gender", "year"], k=5)
    assert analyzer.min_k_ >= 1


def test_metrics_agree_with_analyzer():
    data = random_population(seed=3)
    analyzer = ConnectionPatternAnalyzer(k=5).fit(data)
    assert connection_pattern_k(data) == analyzer.min_k_
    np.testing.assert_array_equal(person_pattern_k(data), analyzer.person_k_)


def test_transform_keeps_columns_and_rows():
    data = random_population(seed=1)
    out = ConnectionPatternAnalyzer().fit_transform(data)
    pd.testing.assert_frame_equal(out.people[data.people.columns], data.people)
    pd.testing.assert_frame_equal(out.connections, data.connections)


def test_transform_unseen_pattern_gets_zero():
    data = random_population(seed=2)
    analyzer = ConnectionPatternAnalyzer().fit(data.take(np.arange(100)))
    out = analyzer.transform(data).people["pattern_k"]
    assert (out == 0).any()


def test_bad_parameters():
    data = random_population(n=20, n_edges=30)
    with pytest.raises(InfeasibleKError, match="k=50 is larger than the number of people"):
        ConnectionPatternAnalyzer(k=50).fit(data)
    with pytest.raises(ValueError, match="scope"):
        ConnectionPatternAnalyzer(scope="global").fit(data)
    with pytest.raises(ValueError, match="'k' parameter"):
        ConnectionPatternAnalyzer(k=0).fit(data)
    with pytest.raises(MissingColumnError, match=r"signature names column\(s\) \['income'\]"):
        ConnectionPatternAnalyzer(signature=["income"]).fit(data)
    with pytest.raises(TypeError, match="pass a SocialData"):
        ConnectionPatternAnalyzer().fit(data.people)


def test_clone_params_pickle():
    data = random_population(seed=4)
    est = ConnectionPatternAnalyzer(k=3, scope="neighborhood")
    assert clone(est).get_params() == est.get_params()
    est.set_params(k=4)
    assert est.k == 4
    fitted = pickle.loads(pickle.dumps(est.fit(data)))
    assert (
        fitted.transform(data).people["pattern_k"].equals(est.transform(data).people["pattern_k"])
    )


def test_grid_search_on_social_data():
    data = random_population(seed=5)

    def scorer(estimator, X, y=None):
        return -estimator.transform(X).people["pattern_risk"].mean()

    pipe = Pipeline([("patterns", ConnectionPatternAnalyzer())])
    search = GridSearchCV(
        pipe,
        {"patterns__age_bin": [5, 10, 20], "patterns__scope": ["edge", "neighborhood"]},
        scoring=scorer,
        cv=[(np.arange(len(data)), np.arange(len(data)))],
    )
    search.fit(data)
    # coarser buckets make patterns less unique
    assert search.best_params_["patterns__age_bin"] == 20
    assert search.best_params_["patterns__scope"] == "edge"


def test_empty_connections():
    people = random_population().people
    data = SocialData(people.drop(columns="is_synthetic"))
    analyzer = ConnectionPatternAnalyzer().fit(data)
    assert len(analyzer.patterns_) == 0 and np.isnan(analyzer.min_k_)
    assert analyzer.transform(data).people["pattern_k"].isna().all()


def test_sample_population_matches_recount():
    from personatwin_sklearn.datasets import make_social_population

    _check_against_recount(make_social_population(800, random_state=1), None, k=10)
