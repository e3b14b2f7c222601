"""SyntheticConnectionGenerator: k reached for everyone (independent recount), real data untouched.

The privacy claims are checked with ``recount`` below: a plain-Python dict-of-sets count
that walks the connections one by one, written without the package's pattern engine.
The generators run with ``coarsen="none"`` (exact values, which the recount matches), but
for the toy test that checks the default coarsening is the only change to real rows.
"""

import pickle
from collections import Counter, defaultdict

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline

from personatwin_sklearn import (
    ConnectionPatternAnalyzer,
    SocialData,
    SyntheticConnectionGenerator,
)
from personatwin_sklearn.exceptions import InfeasibleKError, MissingColumnError, PrivacyWarning
from tests._recount import assert_real_edges_kept

DEFAULT = ["gender", "age", "occupation", "has_criminal_record"]
CALTECH_SIGNATURE = ["gender", "year"]
TARGETS = [2, 5, 10, 20]
SCOPES = ["edge", "neighborhood"]
# the types seen from person2's end (criminal_justice and custom domains)
INVERSE = {"PARENT": "CHILD", "CHILD": "PARENT", "VICTIM": "OFFENDER", "OFFENDER": "VICTIM"}


# -- the independent recount ------------------------------------------------------------------
def _signature(row, columns, age_bin):
    out = []
    for column in columns:
        value = row[column]
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            text = "<NA>"
        elif column == "age" and isinstance(value, str):  # a released range, as published
            text = value
        elif column == "age":
            low = int(float(value) // age_bin) * age_bin
            text = f"{low}-{low + age_bin - 1}"
        else:
            text = str(value.item() if hasattr(value, "item") else value)
        out.append(text)
    return tuple(out)


def recount(data, signature, age_bin=5):
    """(pattern -> set of owners, person -> Counter of patterns), by walking every edge."""
    id_col = data.id_col
    by_id = {row[id_col]: row for row in data.people.to_dict("records")}
    holders = defaultdict(set)
    multisets = {pid: Counter() for pid in by_id}
    for edge in data.connections.to_dict("records"):
        a, b, kind = edge["person1_id"], edge["person2_id"], str(edge["connection_type"])
        for owner, partner, seen in ((a, b, kind), (b, a, INVERSE.get(kind, kind))):
            pattern = (seen, _signature(by_id[partner], signature, age_bin))
            holders[pattern].add(owner)
            multisets[owner][pattern] += 1
    return holders, multisets


def min_pattern_k(data, signature):
    holders, _ = recount(data, signature)
    return min(len(owners) for owners in holders.values())


def min_neighborhood_k(data, signature):
    """Smallest number of people sharing one multiset (people without connections included)."""
    _, multisets = recount(data, signature)
    sizes = Counter(frozenset(m.items()) for m in multisets.values())
    return min(sizes.values())


def min_k(data, signature, scope):
    return (
        min_pattern_k(data, signature) if scope == "edge" else min_neighborhood_k(data, signature)
    )


# -- data ----------------------------------------------------------------------------------
OCCUPATIONS = ["education", "sales", "construction", "retired", "student", "legal", "healthcare"]


def random_population(n=300, m=420, seed=0, id_prefix=None):
    """Census-like columns (categoricals too) and random typed edges, built with numpy."""
    rng = np.random.default_rng(seed)
    ids = np.arange(n) if id_prefix is None else np.array([f"{id_prefix}{i}" for i in range(n)])
    people = pd.DataFrame(
        {
            "person_id": ids,
            "age": rng.integers(0, 90, n),
            "gender": pd.Categorical(rng.choice(["F", "M"], n)),
            "occupation": rng.choice(OCCUPATIONS, n, p=[0.05, 0.3, 0.2, 0.2, 0.15, 0.05, 0.05]),
            "zipcode": rng.choice(["80202", "80203", "10001", "94110"], n),
            "has_criminal_record": rng.random(n) < 0.15,
        }
    )
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    types = rng.choice(["SPOUSE", "PARENT", "SIBLING", "CO_DEFENDANT"], m, p=[0.3, 0.4, 0.2, 0.1])
    edges = pd.DataFrame(
        {"person1_id": ids[a], "person2_id": ids[b], "connection_type": pd.Categorical(types)}
    )
    return SocialData(people, edges, domain="criminal_justice")


@pytest.fixture(scope="module")
def population():
    return random_population()


def assert_real_unchanged(before, after, context="synthetic (privacy protection)", coarsened=()):
    """Real rows and connections as they went in, but for what the generator says it
    ``coarsened`` (its ``coarsening_``)."""
    real = ~after.is_synthetic
    assert real[: len(before)].all() and not real[len(before) :].any()
    columns = [c for c in before.people.columns if c not in coarsened]
    people = after.people.iloc[: len(before)][columns]
    pd.testing.assert_frame_equal(people, before.people[columns])
    edges = after.connections
    flagged = edges["is_synthetic"].to_numpy(bool)
    assert not flagged[: before.n_connections].any() and flagged[before.n_connections :].all()
    assert_real_edges_kept(edges.iloc[: before.n_connections], before.connections, coarsened)
    added = edges.iloc[before.n_connections :]
    assert (added["strength"] == "WEAK").all() and (added["confidence"] == 0.5).all()
    assert (added["context"] == context).all()
    assert (added["person1_id"] != added["person2_id"]).all()
    released = edges.iloc[: before.n_connections]["connection_type"].astype(str)
    assert set(added["connection_type"].astype(str)) <= set(released)


# -- the guarantee: everyone's patterns reach target_k -----------------------------------------
@pytest.mark.parametrize("target_k", TARGETS)
@pytest.mark.parametrize("scope", SCOPES)
def test_random_population_reaches_target(population, scope, target_k):
    gen = SyntheticConnectionGenerator(
        method="exhaustive", coarsen="none", target_k=target_k, scope=scope, random_state=0
    )
    out = gen.fit_transform(population)
    assert min_k(population, DEFAULT, scope) < target_k  # there was something to do
    assert min_k(out, DEFAULT, scope) >= target_k  # everyone, both ends, personas included
    assert_real_unchanged(population, out)
    assert gen.n_added_ == out.n_connections - population.n_connections > 0
    assert gen.n_added_people_ == len(out) - len(population)
    assert gen.report_.loc["real people at risk", "after"] == 0
    assert gen.report_.loc["min k", "after"] >= target_k


@pytest.mark.parametrize("target_k", TARGETS)
@pytest.mark.parametrize("scope", SCOPES)
def test_caltech_reaches_target(caltech, scope, target_k):
    assert "age" not in caltech.people.columns
    gen = SyntheticConnectionGenerator(
        method="exhaustive",
        coarsen="none",
        target_k=target_k,
        scope=scope,
        signature=CALTECH_SIGNATURE,
        random_state=0,
    )
    out = gen.fit_transform(caltech)
    assert min_k(out, CALTECH_SIGNATURE, scope) >= target_k
    assert_real_unchanged(caltech, out)
    if scope == "edge":  # Caltech's partner-end patterns are common: few edges, no personas
        assert gen.n_added_ < 0.01 * caltech.n_connections and gen.n_added_people_ == 0


@pytest.mark.parametrize("target_k", [2, 5, 10])
@pytest.mark.parametrize("scope", SCOPES)
def test_toy_reaches_target(toy, scope, target_k):
    gen = SyntheticConnectionGenerator(  # default coarsening: real rows change only there
        method="exhaustive", target_k=target_k, scope=scope, random_state=0
    )
    out = gen.fit_transform(toy)
    assert min_k(out, DEFAULT, scope) >= target_k
    assert_real_unchanged(toy, out, coarsened=gen.coarsening_)


def test_toy_target_larger_than_population(toy):
    with pytest.raises(InfeasibleKError, match="target_k=20 is larger than the number of people"):
        SyntheticConnectionGenerator(method="exhaustive", coarsen="none", target_k=20).fit(toy)


def test_motivating_example_person_c(toy):
    """C is the only one married to a 40-44 year old teacher; afterwards 4 people are."""
    holders, _ = recount(toy, DEFAULT)
    teacher = ("SPOUSE", ("F", "40-44", "education", "False"))
    assert holders[teacher] == {"C"}
    out = SyntheticConnectionGenerator(
        method="exhaustive", coarsen="none", target_k=4, random_state=0
    ).fit_transform(toy)
    holders, _ = recount(out, DEFAULT)
    assert "C" in holders[teacher] and len(holders[teacher]) >= 4
    assert min(len(owners) for owners in holders.values()) >= 4


# -- termination and monotone progress -----------------------------------------------------------
@pytest.mark.parametrize("scope", SCOPES)
def test_one_round_no_k_decreases(population, scope):
    before_holders, before_sets = recount(population, DEFAULT)
    gen = SyntheticConnectionGenerator(
        method="exhaustive", coarsen="none", target_k=10, scope=scope, random_state=0
    )
    out = gen.fit_transform(population)
    holders, multisets = recount(out, DEFAULT)
    # adding connections only adds (person, pattern) pairs: no holder is lost anywhere
    for pattern, owners in before_holders.items():
        assert owners <= holders[pattern]
    if scope == "edge":  # edge scope: and no real person's multiset loses a pattern copy
        assert all(multisets[p][q] >= c for p, m in before_sets.items() for q, c in m.items())
    # the construction closes every gap in one round; the deficit strictly falls
    assert gen.n_rounds_ == 1
    history = gen.history_
    assert history["deficit_before"].iloc[0] > 0 and history["deficit_after"].iloc[-1] == 0
    assert (history["deficit_after"] < history["deficit_before"]).all()


def test_joint_fixes_and_personas_when_safe_sources_run_out(population):
    """k=20 on 300 people: most partner-end patterns are rare, so P and Q are fixed together."""
    gen = SyntheticConnectionGenerator(
        method="exhaustive", coarsen="none", target_k=20, random_state=0
    ).fit(population)
    out = gen.transform(population)
    assert gen.history_["joint_edges"].sum() > 0 and gen.n_added_people_ > 0
    assert min_pattern_k(out, DEFAULT) >= 20
    personas = out.people.iloc[len(population) :]
    assert personas["is_synthetic"].all()
    assert personas["age"].between(0, 120).all()
    assert set(personas["occupation"]) <= set(OCCUPATIONS)


def test_neighborhood_borrows_when_few_people_are_at_risk():
    """30 couples (everyone shares a neighbourhood) and one person with two spouses."""
    n = 60
    people = pd.DataFrame(
        {
            "person_id": np.arange(n + 1),
            "age": np.r_[np.full(n // 2, 40), np.full(n // 2, 38), 41],
            "gender": ["M"] * (n // 2) + ["F"] * (n // 2) + ["F"],
        }
    )
    edges = pd.DataFrame(
        {
            "person1_id": np.r_[np.arange(n // 2), 0],
            "person2_id": np.r_[np.arange(n // 2, n), n],
            "connection_type": "SPOUSE",
        }
    )
    data = SocialData(people, edges, domain="criminal_justice")
    signature = ["gender", "age"]
    assert min_neighborhood_k(data, signature) == 1
    gen = SyntheticConnectionGenerator(
        method="exhaustive",
        coarsen="none",
        target_k=5,
        scope="neighborhood",
        signature=signature,
        random_state=0,
    )
    out = gen.fit_transform(data)
    assert min_neighborhood_k(out, signature) >= 5
    row = gen.history_.iloc[0]
    assert row["members"] >= 5 > row["at_risk"]
    assert_real_unchanged(data, out)


# -- infeasible targets: an error or a warning that names the patterns ---------------------------
@pytest.mark.parametrize("scope", SCOPES)
def test_persona_budget_exhausted_raises_or_warns(population, scope):
    gen = SyntheticConnectionGenerator(
        method="exhaustive",
        coarsen="none",
        target_k=20,
        scope=scope,
        max_new_partners=0,
        on_infeasible="raise",
        random_state=0,
    )
    with pytest.raises(InfeasibleKError, match=r"target_k=20 was not reached for \d+ .*k=\d"):
        gen.fit_transform(population)
    gen.set_params(on_infeasible="warn")
    with pytest.warns(PrivacyWarning, match="was not reached .* Raise max_new_partners"):
        out = gen.fit_transform(population)
    assert_real_unchanged(population, out)
    assert gen.report_.loc["deficit", "after"] > 0
    assert gen.n_added_people_ == 0


def test_target_larger_than_population(population):
    with pytest.raises(InfeasibleKError, match="target_k=1000 is larger than the number of"):
        SyntheticConnectionGenerator(method="exhaustive", coarsen="none", target_k=1000).fit(
            population
        )
    gen = SyntheticConnectionGenerator(method="exhaustive", coarsen="none", target_k=50).fit(
        population
    )
    with pytest.raises(InfeasibleKError, match="target_k=50 is larger"):
        gen.transform(population.take(np.arange(40)))


# -- plausibility ------------------------------------------------------------------------------
def test_family_links_follow_census_statistics():
    data = random_population(n=2000, m=2400, seed=1)
    out = SyntheticConnectionGenerator(
        method="exhaustive", coarsen="none", target_k=10, random_state=0
    ).fit_transform(data)
    people = out.people.set_index("person_id")
    edges = out.connections.iloc[data.n_connections :]
    rng = np.random.default_rng(0)
    for kind, expected in (("SPOUSE", 2.3), ("PARENT", 28.0)):
        added = edges[edges["connection_type"] == kind]
        assert len(added) > 50
        first = people.loc[added["person1_id"], "age"].to_numpy()
        second = people.loc[added["person2_id"], "age"].to_numpy()
        gap = second - first  # PARENT: "person2 is person1's parent"
        gap = np.abs(gap) if kind == "SPOUSE" else gap
        uniform = rng.choice(people["age"], len(gap)) - rng.choice(people["age"], len(gap))
        uniform = np.abs(uniform) if kind == "SPOUSE" else uniform
        assert abs(np.median(gap) - expected) < abs(np.median(uniform) - expected)
        assert np.mean(np.abs(gap - expected) < 10) > 2 * np.mean(np.abs(uniform - expected) < 10)
    family = edges[edges["connection_type"].isin(["SPOUSE", "PARENT", "SIBLING"])]
    same_zip = (
        people.loc[family["person1_id"], "zipcode"].to_numpy()
        == people.loc[family["person2_id"], "zipcode"].to_numpy()
    )
    assert same_zip.mean() > 0.5  # random pairs share one of the 4 zips ~1 time in 4


def test_personas_take_the_partner_signature_not_a_whole_real_row(population):
    gen = SyntheticConnectionGenerator(
        method="exhaustive", coarsen="none", target_k=20, random_state=0
    )
    out = gen.fit_transform(population)
    personas = out.people.iloc[len(population) :]
    assert personas["person_id"].min() > population.people["person_id"].max()
    real = population.people.drop(columns="person_id")
    copies = personas.drop(columns="person_id").merge(real.drop_duplicates(), how="inner")
    assert len(copies) < 0.5 * len(personas)  # columns are drawn separately


def test_string_ids_never_clash():
    data = random_population(n=200, m=260, seed=2, id_prefix="syn-")
    out = SyntheticConnectionGenerator(
        method="exhaustive", coarsen="none", target_k=10, random_state=0
    ).fit_transform(data)
    assert out.people["person_id"].is_unique and len(out) > len(data)
    assert min_pattern_k(out, DEFAULT) >= 10


# -- sklearn semantics -----------------------------------------------------------------------
@pytest.mark.slow
def test_fit_transform_equals_fit_then_transform_and_is_seeded(population):
    a = SyntheticConnectionGenerator(
        method="exhaustive", coarsen="none", target_k=5, random_state=7
    ).fit_transform(population)
    b = SyntheticConnectionGenerator(
        method="exhaustive", coarsen="none", target_k=5, random_state=7
    ).fit(population)
    assert a.equals(b.transform(population))
    assert a.equals(b.transform(population))  # transform is repeatable
    c = SyntheticConnectionGenerator(
        method="exhaustive", coarsen="none", target_k=5, random_state=8
    ).fit_transform(population)
    assert not a.equals(c)


def test_fit_learns_rare_patterns_transform_protects_other_data(population):
    gen = SyntheticConnectionGenerator(
        method="exhaustive", coarsen="none", target_k=5, random_state=0
    ).fit(population)
    analyzer = ConnectionPatternAnalyzer(k=5).fit(population)
    pd.testing.assert_frame_equal(gen.rare_patterns_, analyzer.rare_patterns_)
    assert gen.signature_ == tuple(DEFAULT)
    other = random_population(n=250, m=300, seed=5)
    out = gen.transform(other)
    assert min_pattern_k(out, DEFAULT) >= 5
    assert_real_unchanged(other, out)


def test_inputs_not_mutated(population):
    people, edges = population.people.copy(), population.connections.copy()
    SyntheticConnectionGenerator(
        method="exhaustive", coarsen="none", target_k=10, scope="neighborhood", random_state=0
    ).fit_transform(population)
    pd.testing.assert_frame_equal(population.people, people)
    pd.testing.assert_frame_equal(population.connections, edges)


@pytest.mark.parametrize("scope", SCOPES)
def test_in_pipeline_after_analyzer(population, scope):
    pipe = Pipeline(
        [
            ("analyze", ConnectionPatternAnalyzer(k=5, scope=scope)),
            (
                "connections",
                SyntheticConnectionGenerator(
                    method="exhaustive", coarsen="none", target_k=5, scope=scope, random_state=0
                ),
            ),
        ]
    )
    out = pipe.fit_transform(population)
    analyzed = ConnectionPatternAnalyzer(k=5, scope=scope).fit_transform(population)
    assert_real_unchanged(analyzed, out)  # real pattern_k / pattern_risk kept as they were
    personas = out.people.iloc[len(population) :]
    assert personas["pattern_k"].isna().all() and personas["pattern_risk"].isna().all()
    assert min_k(out, DEFAULT, scope) >= 5
    assert clone(pipe).get_params()["connections__target_k"] == 5


def test_clone_pickle_and_params(population):
    gen = SyntheticConnectionGenerator(
        method="exhaustive", coarsen="none", target_k=5, context="privacy", random_state=0
    )
    assert clone(gen).get_params() == gen.get_params()
    fitted = pickle.loads(pickle.dumps(gen.fit(population)))
    out = fitted.transform(population)
    assert_real_unchanged(population, out, context="privacy")
    assert out.equals(gen.transform(population))


def test_edge_fields_are_configurable(population):
    gen = SyntheticConnectionGenerator(
        method="exhaustive", coarsen="none", target_k=5, strength="MEDIUM", confidence=0.3
    )
    out = gen.set_params(random_state=0).fit_transform(population)
    added = out.connections.iloc[population.n_connections :]
    assert (added["strength"] == "MEDIUM").all() and (added["confidence"] == 0.3).all()
    assert added["is_synthetic"].all()


def test_nothing_to_do_returns_the_input(caltech):
    gen = SyntheticConnectionGenerator(
        method="exhaustive", coarsen="none", target_k=1, signature=CALTECH_SIGNATURE
    )
    out = gen.fit_transform(caltech)
    assert out.equals(caltech) and gen.n_added_ == 0 and gen.n_rounds_ == 0


def test_bad_input(population):
    with pytest.raises(ValueError, match="'scope' parameter"):
        SyntheticConnectionGenerator(method="exhaustive", coarsen="none", scope="global").fit(
            population
        )
    with pytest.raises(ValueError, match="'target_k' parameter"):
        SyntheticConnectionGenerator(method="exhaustive", coarsen="none", target_k=0).fit(
            population
        )
    with pytest.raises(ValueError, match="'on_infeasible' parameter"):
        SyntheticConnectionGenerator(
            method="exhaustive", coarsen="none", on_infeasible="silent"
        ).fit(population)
    with pytest.raises(TypeError, match="pass a SocialData"):
        SyntheticConnectionGenerator(
            method="exhaustive",
            coarsen="none",
        ).fit(population.people)
    with pytest.raises(MissingColumnError, match=r"signature names column\(s\) \['income'\]"):
        SyntheticConnectionGenerator(
            method="exhaustive", coarsen="none", signature=["income"]
        ).fit(population)
    with pytest.raises(NotFittedError):
        SyntheticConnectionGenerator(
            method="exhaustive",
            coarsen="none",
        ).transform(population)
    gen = SyntheticConnectionGenerator(method="exhaustive", coarsen="none", target_k=5).fit(
        population
    )
    with pytest.raises(MissingColumnError, match="occupation"):
        gen.transform(population.with_people(population.people.drop(columns="occupation")))


def test_max_synthetic_per_person_caps_what_one_person_receives():
    from personatwin_sklearn.datasets import make_social_population

    data = make_social_population(n_people=400, random_state=0)
    generator = SyntheticConnectionGenerator(
        method="exhaustive",
        coarsen="none",
        target_k=10,
        max_synthetic_per_person=12,
        random_state=0,
    )
    out = generator.fit_transform(data)
    edges = out.connections
    added = edges[edges["is_synthetic"]]
    ends = pd.concat([added["person1_id"], added["person2_id"]])
    received = ends[ends.isin(data.ids)].value_counts()  # existing (real) people only
    assert received.max() <= 12
    # the promise still holds (independent recount)
    assert min_pattern_k(out, ["gender", "age", "occupation", "has_criminal_record"]) >= 10
    uncapped = SyntheticConnectionGenerator(
        method="exhaustive", coarsen="none", target_k=10, random_state=0
    ).fit_transform(data)
    e = uncapped.connections[uncapped.connections["is_synthetic"]]
    ends = pd.concat([e["person1_id"], e["person2_id"]])
    assert ends[ends.isin(data.ids)].value_counts().max() > 12  # what the cap prevents
