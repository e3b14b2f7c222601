"""create_safe_personas, make_persona_pipeline, privacy scorers and grid search."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV

import personatwin_sklearn as pt
from personatwin_sklearn.datasets import make_social_population
from personatwin_sklearn.exceptions import InvalidValueError, PrivacyWarning
from tests._recount import assert_real_edges_kept, assert_type_caps, consistent_min_k

QIS = ["age", "gender", "ethnicity", "zipcode"]


@pytest.fixture(scope="module")
def data():
    return make_social_population(600, random_state=1)


def check_connection_protection(result, data):
    """The default protection: few plausible connections; whoever an independent
    recount (worst-case consistent k) finds below k is reported, and no one else."""
    gen = result.pipeline.named_steps["connections"]
    signature = ["gender", "age", "occupation", "has_criminal_record"]
    k = consistent_min_k(result.data, signature)
    short = {pid for pid, v in k.items() if v < gen.target_k}
    assert short == set(gen.at_risk_["person_id"])
    summary = result.metadata["connection_protection"]
    assert summary["real_people_below_k"] == len(short)
    assert summary["protection_share"] <= 0.25
    assert_type_caps(result.connections)


def independent_risk(people: pd.DataFrame, qis) -> tuple[float, float]:
    """Average and maximum 1/class size over real rows, counted with a plain dict."""
    counts = {}
    keys = [tuple(row) for row in people[qis].astype(str).itertuples(index=False)]
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    real = ~people["is_synthetic"].to_numpy(dtype=bool)
    risks = np.array([1 / counts[key] for key in keys])[real]
    return float(risks.mean()), float(risks.max())


def test_usage_example_1_no_augmentation(data):
    """The global protection (quasi-identifier k-anonymity, then synthetic connections);
    the local default is tested in test_local_protection.py."""
    result = pt.create_safe_personas(
        data, privacy_level="high", random_state=0, protection="global"
    )
    people = result.personas
    avg, mx = independent_risk(people, QIS)
    assert avg == pytest.approx(result.risk_metrics.population_average_risk)
    assert mx == pytest.approx(result.risk_metrics.max_risk)
    assert avg <= 0.05  # target_risk default
    assert mx <= 1 / 10  # privacy_level="high" is k=10 at least
    assert result.metadata["target_risk_met"]
    # Connection patterns of the release, recounted independently.
    check_connection_protection(result, data)
    # Real rows: same people, same order, non-QI columns untouched (occupation only as
    # coarsened by the connection step, which says so); real edges identical.
    before = data.people
    assert people["person_id"].iloc[: len(before)].tolist() == before["person_id"].tolist()
    coarsened = list(result.metadata["connection_protection"]["coarsened"])
    rest = [c for c in before.columns if c not in QIS + coarsened]
    pd.testing.assert_frame_equal(people[rest].iloc[: len(before)], before[rest])
    real_edges = result.connections[~result.connections["is_synthetic"]]
    assert_real_edges_kept(real_edges, data.connections, coarsened)
    assert result.metadata["synthetic_count"] == int(people["is_synthetic"].sum())
    assert result.metadata["synthetic_connections"] == int(
        result.connections["is_synthetic"].sum()
    )


@pytest.mark.slow
def test_target_risk_unreachable_warns_and_says_what_was_reached(data):
    with pytest.warns(PrivacyWarning, match="was not reached"):
        result = pt.create_safe_personas(
            data.take(np.arange(40)), privacy_level="low", target_risk=0.001, random_state=0
        )
    assert not result.metadata["target_risk_met"]
    assert result.metadata["attempts"]


@pytest.mark.slow
def test_same_seed_same_release(data):
    a = pt.create_safe_personas(data, privacy_level="medium", random_state=3)
    b = pt.create_safe_personas(data, privacy_level="medium", random_state=3)
    pd.testing.assert_frame_equal(a.personas, b.personas)
    pd.testing.assert_frame_equal(a.connections, b.connections)


@pytest.mark.slow
def test_input_not_mutated(data):
    people, edges = data.people.copy(deep=True), data.connections.copy(deep=True)
    pt.create_safe_personas(data, privacy_level="low", random_state=0)
    pd.testing.assert_frame_equal(data.people, people)
    pd.testing.assert_frame_equal(data.connections, edges)


def test_grid_search_with_privacy_scorer(data):
    pipe = pt.make_persona_pipeline(privacy_level="high", random_state=0, protection="global")
    search = GridSearchCV(
        pipe,
        {
            "connections__target_k": [2, 10],
            "generalize__privacy_level": [None],  # the pipeline sets the level, not k
            "generalize__k": [3, 10],
        },
        scoring=pt.metrics.make_privacy_scorer("max_risk", utility="information_loss"),
        cv=pt.release_split(data),
    ).fit(data)
    scores = pd.DataFrame(search.cv_results_)
    assert len(scores) == 4
    assert search.best_params_ in list(scores["params"])
    assert np.isfinite(scores["mean_test_score"]).all()


def test_scorer_measures_risk_and_utility(data):
    fitted = pt.KAnonymizer(k=10).fit(data)
    privacy_only = pt.metrics.make_privacy_scorer("max_risk", utility=None)(fitted, data)
    release = fitted.transform(data)
    _, mx = independent_risk(release.people, QIS)
    assert privacy_only == pytest.approx(1 - mx)
    scorer = pt.metrics.make_privacy_scorer(
        "max_risk", utility="information_loss", utility_weight=1.0
    )
    loss = pt.metrics.information_loss(data, release)
    assert scorer(fitted, data) == pytest.approx(1 - mx - loss)
    # default utility: mean of information loss and the share of synthetic people
    default = pt.metrics.make_privacy_scorer("max_risk", utility_weight=1.0)(fitted, data)
    share = release.people["is_synthetic"].mean()  # 0 for KAnonymizer alone
    assert default == pytest.approx(1 - mx - (loss + share) / 2)
    generator = pt.SyntheticConnectionGenerator(
        target_k=5, on_infeasible="ignore", random_state=0
    ).fit(data)
    diluted = generator.transform(data)
    share = diluted.people["is_synthetic"].mean()
    assert share > 0
    risk = pt.metrics.reidentification_risk(diluted, QIS).max_risk
    # the generator's coarsening (here of the partner ages) is an information loss too
    loss = pt.metrics.information_loss(data, diluted.real())
    assert (loss > 0) == bool(generator.coarsening_)
    got = pt.metrics.make_privacy_scorer("max_risk", utility_weight=1.0)(generator, data)
    assert got == pytest.approx(1 - risk - (loss + share) / 2)


@pytest.mark.slow
def test_save_writes_release_without_flags(data, tmp_path):
    result = pt.create_safe_personas(data, privacy_level="medium", random_state=0)
    written = result.save(tmp_path / "out", original=data)
    names = sorted(p.name for p in written)
    assert names == sorted(
        [
            "people.csv",
            "people_synthetic_flags.csv",
            "connections.csv",
            "connections_synthetic_flags.csv",
            "risk_metrics.json",
            "report.html",
        ]
    )
    people = pd.read_csv(tmp_path / "out" / "people.csv")
    assert "is_synthetic" not in people.columns
    edges = pd.read_csv(tmp_path / "out" / "connections.csv")
    assert not {"is_synthetic", "strength", "confidence", "context"} & set(edges.columns)
    metrics = json.loads((tmp_path / "out" / "risk_metrics.json").read_text())
    assert metrics["risk_after"]["max_risk"] == pytest.approx(result.risk_metrics.max_risk)
    assert not [p for p in (tmp_path).iterdir() if p.name.startswith(".out")]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"privacy_level": "extreme"}, "privacy_level"),
        ({"target_risk": 0}, "target_risk"),
        ({"connection_pattern_k": -1}, "connection_pattern_k"),
        ({"augment_with_synthetic": True, "synthetic_strategy": "clone"}, "synthetic_strategy"),
        ({"use_external_network": True}, "external_network"),
    ],
)
def test_bad_arguments(data, kwargs, match):
    with pytest.raises(InvalidValueError, match=match):
        pt.create_safe_personas(data, **kwargs)


def test_people_frame_only_and_release_split():
    people = make_social_population(200, random_state=0).people.drop(columns="is_synthetic")
    result = pt.create_safe_personas(people, privacy_level="low", random_state=0)
    assert len(result.personas) == len(people)
    [(train, test)] = pt.release_split(people)
    assert (train == test).all() and len(train) == len(people)


def _real_rows_kept(data, result):
    before = data.people
    people = result.personas
    assert people["person_id"].iloc[: len(before)].tolist() == before["person_id"].tolist()
    coarsened = list((result.metadata["connection_protection"] or {}).get("coarsened", {}))
    rest = [c for c in before.columns if c not in QIS + coarsened]
    pd.testing.assert_frame_equal(people[rest].iloc[: len(before)], before[rest])
    real_edges = result.connections[~result.connections["is_synthetic"]]
    assert_real_edges_kept(real_edges, data.connections, coarsened)


@pytest.mark.slow
def test_usage_example_2_augmentation_times_two(data):
    from personatwin_sklearn.metrics import distinguishability_auc

    result = pt.create_safe_personas(
        data,
        privacy_level="high",
        augment_with_synthetic=True,
        synthetic_source="census",
        synthetic_ratio=2.0,
        random_state=0,
        protection="global",
    )
    n = len(data)
    assert result.metadata["augmented_count"] == 2 * n  # 600 real -> 1,800 personas
    assert result.metadata["synthetic_count"] == int(result.personas["is_synthetic"].sum())
    assert result.metadata["synthetic_count"] == (
        result.metadata["augmented_count"] + result.metadata["connection_personas"]
    )
    _real_rows_kept(data, result)
    avg, mx = independent_risk(result.personas, QIS)
    assert avg == pytest.approx(result.risk_metrics.population_average_risk)
    assert avg <= 0.05 and mx <= 1 / 10
    check_connection_protection(result, data)
    # the released people cannot be told apart from the real ones
    assert distinguishability_auc(result.data, cv=3) < 0.65
    assert result.metadata["distinguishability_auc"] < 0.65  # the same check, reported
    assert "AUC" in result.summary()


@pytest.mark.slow
def test_usage_example_3_boost_rare(data):
    result = pt.create_safe_personas(
        data,
        privacy_level="high",
        augment_with_synthetic=True,
        synthetic_strategy="boost_rare",
        random_state=0,
        protection="global",
    )
    augment = result.pipeline.named_steps["augment"]
    assert augment.strategy == "boost_rare" and augment.boost_to_k == 20
    # before generalisation, every group below rare_threshold was lifted to 20 (recount)
    boosted = augment.transform(data).people
    cells = boosted.assign(age=boosted["age"] // 5).groupby(QIS).size()
    before = data.people.assign(age=data.people["age"] // 5).groupby(QIS).size()
    assert (cells.loc[before.index[before < 5]] >= 20).all()
    assert result.metadata["augmented_count"] == int((20 - before[before < 5]).sum())
    _real_rows_kept(data, result)
    avg, mx = independent_risk(result.personas, QIS)
    assert avg <= 0.05 and mx <= 1 / 10


@pytest.mark.slow
def test_no_release_class_gives_synthetic_rows_away():
    """Every quasi-identifier class of the release has >= k rows and a real person in it.

    A class with fewer than k rows (or only synthetic rows) in a release that claims k
    tells the adversary its rows are synthetic.  (Before partner personas copied their
    quasi-identifiers jointly from one donor, 15 classes of this release had < 10 rows.)
    """
    data = make_social_population(300, random_state=0)
    result = pt.create_safe_personas(data, privacy_level="high", random_state=0)
    people = result.personas
    classes = people.groupby(QIS)["is_synthetic"].agg(["size", "sum"])
    assert (classes["size"] >= result.metadata["k"]).all()
    assert (classes["size"] > classes["sum"]).all()  # a real person in every class


@pytest.mark.slow
def test_usage_grid_search_as_written():
    """The grid search of USAGE.md, verbatim, on a 200-person sample population."""
    data = make_social_population(200, random_state=0)
    pipe = pt.make_persona_pipeline(
        privacy_level="high", augment_with_synthetic=True, protection="global"
    )
    search = GridSearchCV(
        pipe,
        {"connections__target_k": [5, 10, 20], "augment__synthetic_ratio": [0.5, 1, 2]},
        scoring=pt.metrics.make_privacy_scorer(),
        cv=pt.release_split(data),
    )
    search.fit(data)
    results = pd.DataFrame(search.cv_results_)
    assert len(results) == 9 and np.isfinite(results["mean_test_score"]).all()
    # the chosen release, recounted: its real people sit in classes of >= 10 rows
    release = search.best_estimator_.transform(data)
    people = release.people
    size = people.groupby(QIS)["person_id"].transform("size")
    assert size[~people["is_synthetic"]].min() >= 10
    ratio = search.best_params_["augment__synthetic_ratio"]
    assert search.best_estimator_.named_steps["augment"].n_synthetic_ == int(200 * ratio)


@pytest.mark.slow
def test_custom_quasi_identifiers_are_the_ones_generalised():
    """quasi_identifiers reach KAnonymizer, not only the risk measure (found on Adult: the
    default QIs were generalised while the risk was measured on others, max risk 100%)."""
    data = make_social_population(300, random_state=2)
    qis = ["age", "gender", "occupation"]
    result = pt.create_safe_personas(
        data,
        privacy_level="medium",
        quasi_identifiers=qis,
        drop=["ethnicity", "zipcode"],  # every column needs a role (issue 12)
        target_risk=None,
        random_state=0,
    )
    people = result.personas
    size = people.groupby(qis)["person_id"].transform("size")  # independent recount
    assert size[~people["is_synthetic"]].min() >= 5
    assert result.risk_metrics.max_risk <= 1 / 5
    assert result.pipeline.named_steps["generalize"].quasi_identifiers == qis


@pytest.mark.slow
def test_connection_coarsen_is_checked_before_any_work_and_obeyed(data):
    with pytest.raises(InvalidValueError, match="unknown attribute 'gender'"):
        pt.create_safe_personas(data, connection_coarsen={"gender": "major"})
    with pytest.raises(InvalidValueError, match="coarsen='all' is not an option"):
        pt.make_persona_pipeline(connection_coarsen="all")
    result = pt.create_safe_personas(data, privacy_level="high", random_state=0,
                                     connection_coarsen="none", protection="global")  # fmt: skip
    assert result.metadata["connection_protection"]["coarsened"] == {}
    assert "coarsened:" not in result.summary()
    assert set(result.connections["connection_type"]) == set(data.connections["connection_type"])
