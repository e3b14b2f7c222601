"""SyntheticConnectionGenerator: k reached (independent recount), real data untouched."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from personatwin_sklearn import ConnectionPatternAnalyzer, SyntheticConnectionGenerator
from personatwin_sklearn.datasets import make_social_population
from personatwin_sklearn.exceptions import InfeasibleKError, PrivacyWarning

from ._recount import neighborhood_k, recount

SIGNATURE = ["gender", "age", "occupation", "has_criminal_record"]


@pytest.fixture(scope="module")
def population():
    return make_social_population(600, random_state=3)


def _assert_real_unchanged(before, after):
    real_people = after.people.loc[~after.is_synthetic, before.people.columns]
    pd.testing.assert_frame_equal(real_people.reset_index(drop=True), before.people)
    edges = after.connections
    real_edges = edges.loc[~edges["is_synthetic"].to_numpy(bool)].reset_index(drop=True)
    pd.testing.assert_frame_equal(real_edges, before.connections)
    added = edges.loc[edges["is_synthetic"].to_numpy(bool)]
    assert (added["strength"] == "WEAK").all() and (added["confidence"] == 0.5).all()
    assert (added["context"] == "synthetic (privacy protection)").all()
    assert (added["person1_id"] != added["person2_id"]).all()


def _min_k_edge(data, signature):
    holders, _ = recount(data, signature)
    return min(len(owners) for owners in holders.values())


def _min_k_neighborhood_real(data, signature):
    sizes = neighborhood_k(data, signature)
    real = data.ids[~data.is_synthetic]
    return min(sizes[pid] for pid in real)


@pytest.mark.parametrize("target_k", [2, 5, 10, 20])
@pytest.mark.parametrize("scope", ["edge", "neighborhood"])
def test_sample_population_reaches_target(population, target_k, scope):
    gen = SyntheticConnectionGenerator(target_k=target_k, scope=scope, random_state=0)
    out = gen.fit_transform(population)
    if scope == "edge":
        assert _min_k_edge(out, SIGNATURE) >= target_k  # every pattern, both ends
    else:
        assert _min_k_neighborhood_real(out, SIGNATURE) >= target_k
    _assert_real_unchanged(population, out)
    assert gen.n_added_ == out.n_connections - population.n_connections > 0
    assert gen.report_.loc["real people at risk", "after"] == 0


@pytest.mark.parametrize("target_k", [2, 5, 10, 20])
@pytest.mark.parametrize("scope", ["edge", "neighborhood"])
def test_caltech_reaches_target(caltech, target_k, scope):
    signature = ["gender", "year"]
    gen = SyntheticConnectionGenerator(
        target_k=target_k, scope=scope, signature=signature, random_state=0
    )
    out = gen.fit_transform(caltech)
    if scope == "edge":
        assert _min_k_edge(out, signature) >= target_k
    else:
        assert _min_k_neighborhood_real(out, signature) >= target_k
    _assert_real_unchanged(caltech, out)


def test_motivating_example_person_c(toy):
    out = SyntheticConnectionGenerator(target_k=4, random_state=0).fit_transform(toy)
    holders, _ = recount(out, ["gender", "age", "occupation", "has_criminal_record"])
    teacher = [
        owners
        for (kind, sig), owners in holders.items()
        if kind == "SPOUSE" and dict(sig)["occupation"] == "education" and "C" in owners
    ]
    assert len(teacher) == 1 and len(teacher[0]) >= 4


def test_spouse_links_are_plausible(population):
    out = SyntheticConnectionGenerator(target_k=5, random_state=1).fit_transform(population)
    people = out.people.set_index("person_id")
    edges = out.connections
    added = edges[edges["is_synthetic"].to_numpy(bool) & (edges["connection_type"] == "SPOUSE")]
    gap = np.abs(
        people.loc[added["person1_id"], "age"].to_numpy()
        - people.loc[added["person2_id"], "age"].to_numpy()
    )
    rng = np.random.default_rng(0)  # uniform choice of spouse would give a wide gap
    uniform = np.abs(rng.choice(people["age"], len(gap)) - rng.choice(people["age"], len(gap)))
    assert np.median(gap) < np.median(uniform)


def test_fit_transform_equals_fit_then_transform_and_seeded(population):
    a = SyntheticConnectionGenerator(target_k=5, random_state=7).fit_transform(population)
    b = SyntheticConnectionGenerator(target_k=5, random_state=7).fit(population)
    assert a.equals(b.transform(population))


def test_termination_in_bounded_passes(population):
    gen = SyntheticConnectionGenerator(target_k=10, random_state=0).fit(population)
    gen.transform(population)
    assert gen.n_rounds_ <= 3
    assert gen.report_.loc["rare patterns", "after"] == 0


def test_inputs_not_mutated(population):
    people, edges = population.people.copy(), population.connections.copy()
    SyntheticConnectionGenerator(target_k=5, random_state=0).fit_transform(population)
    pd.testing.assert_frame_equal(population.people, people)
    pd.testing.assert_frame_equal(population.connections, edges)


def test_infeasible_target(population):
    with pytest.raises(InfeasibleKError, match="target_k=10000 is larger"):
        SyntheticConnectionGenerator(target_k=10_000).fit(population)
    gen = SyntheticConnectionGenerator(target_k=10, max_new_partners=0, random_state=0)
    with pytest.raises(InfeasibleKError, match="was not reached for .* pattern"):
        gen.fit_transform(population)
    gen.set_params(on_infeasible="warn")
    with pytest.warns(PrivacyWarning, match="was not reached"):
        gen.fit_transform(population)


def test_in_pipeline_after_analyzer(population):
    pipe = Pipeline(
        [
            ("analyze", ConnectionPatternAnalyzer(k=5)),
            ("connections", SyntheticConnectionGenerator(target_k=5, random_state=0)),
        ]
    )
    out = pipe.fit_transform(population)
    assert out.people.loc[out.is_synthetic, "pattern_k"].isna().all()
    assert _min_k_edge(out, SIGNATURE) >= 5
    assert clone(pipe).get_params()["connections__target_k"] == 5


def test_bad_params(population):
    with pytest.raises(ValueError, match="scope"):
        SyntheticConnectionGenerator(scope="global").fit(population)
    with pytest.raises(TypeError, match="SocialData"):
        SyntheticConnectionGenerator().fit(population.people)
