"""Attack simulations: linkage attack and synthetic-edge detection.

Privacy claims are checked against plain-Python recounts written here (dicts, sets and
Counters walking the people and edges one by one), never against the attack's own code.
"""

import re
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from personatwin_sklearn import SocialData
from personatwin_sklearn.attacks import (
    EdgeDetectionResult,
    LinkageAttackResult,
    edge_features,
    linkage_attack,
    synthetic_edge_detection_attack,
)
from personatwin_sklearn.connections import SyntheticConnectionGenerator
from personatwin_sklearn.datasets import make_social_population
from personatwin_sklearn.exceptions import InvalidValueError, MissingColumnError
from personatwin_sklearn.generalize import KAnonymizer
from tests._baselines import random_edge_addition
from tests._recount import recount

DEFAULT = ["gender", "age", "occupation", "has_criminal_record"]
CALTECH_SIGNATURE = ["gender", "year"]


@pytest.fixture(scope="module")
def population():
    return make_social_population(1000, random_state=0)


@pytest.fixture(scope="module")
def protected(population):
    """Releases of the sample population protected to k in both scopes."""
    out = {}
    for scope in ("edge", "neighborhood"):
        for k in (5, 10):
            # coarsen="none": the plain recounts below match exact values; the linkage's
            # reading of coarsened values is tested in test_plausible.py
            gen = SyntheticConnectionGenerator(
                method="exhaustive", target_k=k, scope=scope, coarsen="none", random_state=0
            )
            out[scope, k] = gen.fit_transform(population)
    return out


# -- independent plain-Python attack ---------------------------------------------------------
def plain_edge_candidates(original, release, signature=DEFAULT, age_bin=5):
    """Per real person of ``original``: the fewest holders in ``release`` of any of their
    true patterns (the "rarest" edge-scope adversary); len(release) without connections."""
    _, known = recount(original, signature, age_bin)
    holders, _ = recount(release, signature, age_bin)
    out = {}
    for pid in original.ids:
        patterns = known.get(pid)
        out[pid] = min(len(holders[p]) for p in patterns) if patterns else len(release)
    return out


def plain_neighborhood_candidates(original, release, ids, signature=DEFAULT, age_bin=5):
    """Per target id: released people holding every true pattern at least as many times."""
    _, known = recount(original, signature, age_bin)
    _, released = recount(release, signature, age_bin)
    everyone = list(release.ids)
    out = {}
    for pid in ids:
        mine = known.get(pid, Counter())
        out[pid] = sum(
            1
            for other in everyone
            if all(released.get(other, Counter())[p] >= m for p, m in mine.items())
        )
    return out


# -- toy: the motivating case -----------------------------------------------------------------
def test_toy_spouse_teacher_reidentifies_c(toy):
    # independent: who has a spouse who is a 40-44 teacher?
    people = {row["person_id"]: row for row in toy.people.to_dict("records")}
    married_to_teacher = set()
    for edge in toy.connections.to_dict("records"):
        if edge["connection_type"] != "SPOUSE":
            continue
        for me, partner in ((edge["person1_id"], edge["person2_id"]),) * 1 + (
            (edge["person2_id"], edge["person1_id"]),
        ):
            p = people[partner]
            if 40 <= p["age"] <= 44 and p["occupation"] == "education":
                married_to_teacher.add(me)
    assert married_to_teacher == {"C"}

    result = linkage_attack(toy, toy, scope="edge")
    row = result.per_target.set_index("target_id").loc["C"]
    assert row["n_candidates"] == 1 and row["reidentified"]
    assert row["known_pattern"].startswith("SPOUSE: gender=F, age=40-44, occupation=education")
    plain = plain_edge_candidates(toy, toy)
    assert dict(zip(result.per_target["target_id"], result.candidate_sizes)) == plain


@pytest.mark.parametrize("scope", ["edge", "neighborhood"])
@pytest.mark.parametrize("k", [2, 4])
def test_toy_protected_to_k(toy, scope, k):
    release = SyntheticConnectionGenerator(
        method="exhaustive", target_k=k, scope=scope, coarsen="none", random_state=0
    ).fit_transform(toy)
    result = linkage_attack(toy, release, scope=scope)
    if scope == "edge":
        plain = plain_edge_candidates(toy, release)
    else:
        plain = plain_neighborhood_candidates(toy, release, toy.ids)
    assert dict(zip(result.per_target["target_id"], result.candidate_sizes)) == plain
    assert plain["C"] >= k
    assert np.mean([1 / c for c in plain.values()]) <= 1 / k
    assert result.expected_success <= 1 / k
    assert result.per_target["target_in_candidates"].all()


# -- the key property on the sample population -----------------------------------------------
def test_edge_scope_matches_plain_recount(population, protected):
    for release in (population, protected["edge", 5]):
        result = linkage_attack(population, release, scope="edge")
        plain = plain_edge_candidates(population, release)
        assert dict(zip(result.per_target["target_id"], result.candidate_sizes)) == plain


@pytest.mark.parametrize("scope", ["edge", "neighborhood"])
@pytest.mark.parametrize("k", [5, 10])
def test_protection_bounds_expected_success(population, protected, scope, k):
    release = protected[scope, k]
    # independent figure: plain-Python candidate counts for every real person (edge) or
    # a sample of 60 (neighbourhood: the plain count is quadratic)
    if scope == "edge":
        plain = plain_edge_candidates(population, release)
        before = plain_edge_candidates(population, population)
        result = linkage_attack(population, release, scope="edge")
    else:
        result = linkage_attack(population, release, scope=scope, n_targets=60, random_state=1)
        ids = list(result.per_target["target_id"])
        plain = plain_neighborhood_candidates(population, release, ids)
        before = plain_neighborhood_candidates(population, population, ids)
        assert dict(zip(ids, result.candidate_sizes)) == plain
    plain_expected = np.mean([1 / c for c in plain.values()])
    plain_before = np.mean([1 / c for c in before.values()])
    assert min(plain.values()) >= k and plain_expected <= 1 / k
    assert plain_before > 2 / k  # much higher before protection (0.44 / 0.61 measured)
    assert result.expected_success <= 1 / k and result.success_rate == 0.0
    assert result.per_target["target_in_candidates"].all()
    unprotected = linkage_attack(population, population, scope=scope)
    assert unprotected.expected_success > 2 / k and unprotected.success_rate > 0.2


def test_exact_neighborhood_match_is_naive(population, protected):
    release = protected["neighborhood", 5]
    exact = linkage_attack(population, release, scope="neighborhood", neighborhood_match="exact")
    contains = linkage_attack(population, release, scope="neighborhood")
    # exact matching loses targets that received synthetic connections
    assert not exact.per_target["target_in_candidates"].all()
    assert contains.per_target["target_in_candidates"].all()
    # on the unaltered data, exact = equal multisets: the neighbourhood classes
    plain_exact = Counter()
    _, multisets = recount(population, DEFAULT)
    keys = {pid: frozenset(multisets.get(pid, Counter()).items()) for pid in population.ids}
    plain_exact.update(keys.values())
    result = linkage_attack(
        population, population, scope="neighborhood", neighborhood_match="exact"
    )
    assert list(result.candidate_sizes) == [plain_exact[keys[p]] for p in population.ids]


def test_random_known_pattern_is_never_better_than_rarest(population):
    rarest = linkage_attack(population, population, scope="edge")
    rand = linkage_attack(
        population, population, scope="edge", known_pattern="random", random_state=0
    )
    assert (rand.candidate_sizes >= rarest.candidate_sizes).all()
    assert rand.expected_success <= rarest.expected_success
    again = linkage_attack(
        population, population, scope="edge", known_pattern="random", random_state=0
    )
    pd.testing.assert_frame_equal(rand.per_target, again.per_target)


# -- quasi-identifiers and generalised releases ----------------------------------------------
def _consistent(label, value, numeric, prefix):
    """Independent: could released ``label`` hide true ``value``?"""
    label, value = str(label), str(value)
    if label == "*" or label == value:
        return True
    if numeric:
        m = re.fullmatch(r"(\d+)-(\d+)", label)
        return bool(m) and int(m.group(1)) <= float(value) <= int(m.group(2))
    if prefix and label.endswith("*"):
        stem = label.rstrip("*")
        return len(label) == len(value) and value.startswith(stem)
    return "|" in label and value in label.split("|")


def plain_qi_candidates(original, release, qis):
    numeric = {q: q == "age" for q in qis}
    prefix = {q: "zip" in q for q in qis}
    rel = release.people.to_dict("records")
    out = {}
    for row in original.people.to_dict("records"):
        out[row["person_id"]] = sum(
            all(_consistent(r[q], row[q], numeric[q], prefix[q]) for q in qis) for r in rel
        )
    return out


def test_qi_scope_handles_generalised_cells():
    people = pd.DataFrame(
        {
            "person_id": [1, 2, 3, 4, 5, 6],
            "age": [41, 43, 47, 30, 62, 41],
            "gender": ["F", "F", "M", "M", "F", "F"],
            "zipcode": ["80202", "80210", "80301", "90001", "80202", "81000"],
            "occupation": ["education", "sales", "sales", "legal", "retired", "sales"],
        }
    )
    original = SocialData(people)
    released = people.astype({"age": object}).assign(
        age=["40-44", "40-44", "45-49", "30", "*", "40-44"],
        zipcode=["802**", "802**", "803**", "*", "80202", "8****"],
        occupation=["education|sales", "education|sales", "sales", "legal", "*", "sales"],
    )
    release = SocialData(released)
    qis = ["age", "gender", "zipcode", "occupation"]
    result = linkage_attack(original, release, scope="qi", quasi_identifiers=qis)
    plain = plain_qi_candidates(original, release, qis)
    assert dict(zip(result.per_target["target_id"], result.candidate_sizes)) == plain
    assert plain == {1: 3, 2: 3, 3: 1, 4: 1, 5: 1, 6: 1}
    assert result.per_target["target_in_candidates"].all()


def test_qi_scope_hierarchy_labels():
    people = pd.DataFrame(
        {
            "person_id": [1, 2, 3],
            "age": [40, 40, 40],
            "gender": ["F", "F", "F"],
            "occupation": ["nurse", "doctor", "lawyer"],
        }
    )
    hierarchy = {"nurse": ["health"], "doctor": ["health"], "lawyer": ["legal"]}
    release = SocialData(people.assign(occupation=["health", "health", "lawyer"]))
    result = linkage_attack(
        SocialData(people),
        release,
        scope="qi",
        quasi_identifiers=["occupation"],
        hierarchies={"occupation": hierarchy},
    )
    assert list(result.candidate_sizes) == [2, 2, 1]
    assert result.success_rate == pytest.approx(1 / 3)


def test_kanonymized_release_bounds_qi_attack(population):
    qis = ["age", "gender", "zipcode"]
    release = KAnonymizer(k=5, quasi_identifiers=qis).fit_transform(population)
    before = linkage_attack(population, population, scope="qi", quasi_identifiers=qis)
    after = linkage_attack(population, release, scope="qi", quasi_identifiers=qis)
    sample = population.take(np.arange(0, 1000, 25))
    plain = plain_qi_candidates(sample, release, qis)
    sizes = dict(zip(after.per_target["target_id"], after.candidate_sizes))
    assert {pid: sizes[pid] for pid in plain} == plain
    assert min(plain.values()) >= 5
    assert after.expected_success <= 1 / 5 < before.expected_success
    assert after.per_target["target_in_candidates"].all()


def test_generalised_partner_signature(population, protected):
    """Patterns over a release with generalised ages match consistently: never fewer
    candidates than over the ungeneralised release, the target always among them."""
    release = protected["edge", 5]
    coarse = KAnonymizer(k=5, quasi_identifiers=["age"]).fit_transform(release)
    assert coarse.people["age"].astype(str).str.contains("-").any()
    fine = linkage_attack(population, release, scope="edge")
    gen = linkage_attack(population, coarse, scope="edge")
    assert gen.per_target["target_in_candidates"].all()
    assert (gen.candidate_sizes >= fine.candidate_sizes).all()
    nb = linkage_attack(population, coarse, scope="combined", quasi_identifiers=["age", "gender"])
    assert nb.per_target["target_in_candidates"].all()


def test_combined_is_intersection(population, protected):
    release = protected["neighborhood", 5]
    qi = linkage_attack(population, release, scope="qi", n_targets=40, random_state=2)
    both = linkage_attack(population, release, scope="combined", n_targets=40, random_state=2)
    nb = linkage_attack(population, release, scope="neighborhood", n_targets=40, random_state=2)
    assert (both.candidate_sizes <= np.minimum(qi.candidate_sizes, nb.candidate_sizes)).all()
    # independent: intersection of the QI-consistent and neighbourhood-containing sets
    qis = ["age", "gender", "ethnicity", "zipcode"]
    _, known = recount(population, DEFAULT)
    _, released = recount(release, DEFAULT)
    by_id = {r["person_id"]: r for r in release.people.to_dict("records")}
    truth = {r["person_id"]: r for r in population.people.to_dict("records")}
    for pid, size in zip(both.per_target["target_id"], both.candidate_sizes):
        mine = known.get(pid, Counter())
        count = sum(
            1
            for other, row in by_id.items()
            if all(row[q] == truth[pid][q] for q in qis)
            and all(released.get(other, Counter())[p] >= m for p, m in mine.items())
        )
        assert size == count


# -- flags, inputs, determinism, errors ------------------------------------------------------
def test_flags_are_not_used(population, protected):
    release = protected["edge", 5]
    people = release.people.assign(is_synthetic=False)
    edges = release.connections.assign(
        is_synthetic=False, strength="STRONG", confidence=1.0, context="x"
    )
    hidden = SocialData(people, edges, domain="criminal_justice")
    for scope in ("edge", "neighborhood", "combined"):
        a = linkage_attack(population, release, scope=scope)
        b = linkage_attack(population, hidden, scope=scope)
        np.testing.assert_array_equal(a.candidate_sizes, b.candidate_sizes)


def test_inputs_not_mutated_and_result(population, protected):
    release = protected["neighborhood", 10]
    p0, c0 = population.people.copy(), release.connections.copy()
    result = linkage_attack(population, release, scope="combined", n_targets=50, random_state=0)
    pd.testing.assert_frame_equal(population.people, p0)
    pd.testing.assert_frame_equal(release.connections, c0)
    assert isinstance(result, LinkageAttackResult) and result.n_targets == 50
    assert len(result.per_target) == 50 and result.per_target["target_id"].is_unique
    assert set(result.to_dict()) >= {"success_rate", "expected_success", "n_targets"}
    again = linkage_attack(population, release, scope="combined", n_targets=50, random_state=0)
    pd.testing.assert_frame_equal(result.per_target, again.per_target)


def test_threshold(toy):
    one = linkage_attack(toy, toy, scope="edge")
    two = linkage_attack(toy, toy, scope="edge", threshold=2)
    assert one.success_rate == pytest.approx(7 / 12) and two.success_rate == pytest.approx(11 / 12)


def test_missing_people_are_not_candidates(population):
    release = population.loc[population.ids.to_numpy() % 2 == 0]
    result = linkage_attack(population, release, scope="qi")
    odd = result.per_target["target_id"] % 2 == 1
    assert not result.per_target.loc[odd, "target_in_candidates"].any()
    assert (result.per_target.loc[odd, "success_probability"] == 0).all()


def test_caltech(caltech):
    qis = ["gender", "year", "dorm"]
    before = linkage_attack(caltech, caltech, scope="neighborhood", signature=CALTECH_SIGNATURE)
    release = SyntheticConnectionGenerator(
        method="exhaustive",
        target_k=5,
        scope="neighborhood",
        signature=CALTECH_SIGNATURE,
        random_state=0,
    ).fit_transform(caltech)
    after = linkage_attack(caltech, release, scope="neighborhood", signature=CALTECH_SIGNATURE)
    assert after.expected_success <= 1 / 5 < before.expected_success
    qi = linkage_attack(caltech, release, scope="qi", quasi_identifiers=qis)
    assert qi.per_target["target_in_candidates"].all()


def test_bad_input(population, toy):
    with pytest.raises(InvalidParameterError, match="'scope' parameter"):
        linkage_attack(population, population, scope="global")
    with pytest.raises(InvalidParameterError, match="'release' parameter"):
        linkage_attack(population, population.people)
    with pytest.raises(InvalidParameterError, match="'threshold' parameter"):
        linkage_attack(population, population, threshold=0)
    with pytest.raises(InvalidParameterError, match="'count_up_to' parameter"):
        linkage_attack(population, population, scope="combined", count_up_to=0)
    with pytest.raises(InvalidValueError, match="pass count_up_to=None with it"):
        linkage_attack(
            population, population, scope="combined", count_up_to=2,
            candidate_pool=np.ones(len(population.people), bool),
        )  # fmt: skip
    with pytest.raises(InvalidValueError, match="n_targets=5000 exceeds the 1000 real people"):
        linkage_attack(population, population, n_targets=5000)
    release = population.with_people(population.people.drop(columns="zipcode"))
    with pytest.raises(MissingColumnError, match=r"no column\(s\) \['zipcode'\]"):
        linkage_attack(population, release, scope="qi")
    with pytest.raises(MissingColumnError, match=r"signature names column\(s\) \['income'\]"):
        linkage_attack(population, population, signature=["income"])
    with pytest.raises(InvalidParameterError, match="'cv' parameter"):
        synthetic_edge_detection_attack(population, cv=1)
    with pytest.raises(InvalidValueError, match="0 synthetic connection"):
        synthetic_edge_detection_attack(population)


# -- synthetic-edge detection ----------------------------------------------------------------


@pytest.mark.slow
def test_naive_random_edges_are_detected(population):
    release = random_edge_addition(population, copies=4)
    result = synthetic_edge_detection_attack(release, cv=3, random_state=0)
    assert isinstance(result, EdgeDetectionResult)
    assert result.auc > 0.95  # measured 0.99+
    assert result.n_synthetic == release.n_synthetic_connections
    assert result.feature_importances.index[0] in result.features


@pytest.mark.slow
def test_edge_attributes_give_synthetic_edges_away(protected):
    release = protected["edge", 5]
    leaky = synthetic_edge_detection_attack(
        release, cv=3, include_edge_attributes=True, random_state=0
    )
    assert leaky.auc > 0.999
    assert {"strength", "confidence", "context"} <= set(leaky.features)
    plain = synthetic_edge_detection_attack(release, cv=3, random_state=0)
    assert not {"strength", "confidence", "context"} & set(plain.features)
    again = synthetic_edge_detection_attack(release, cv=3, random_state=0)
    assert plain.auc == again.auc


def test_edge_features_independent(population):
    data = random_edge_addition(population, copies=1)
    feats = edge_features(data)
    # independent common neighbours / degrees with sets
    nbrs = {pid: set() for pid in data.ids}
    for a, b in zip(data.connections["person1_id"], data.connections["person2_id"]):
        nbrs[a].add(b)
        nbrs[b].add(a)
    for row, (a, b) in enumerate(
        zip(data.connections["person1_id"], data.connections["person2_id"])
    ):
        if row % 37:
            continue
        assert feats.loc[row, "common_neighbors"] == len(nbrs[a] & nbrs[b])
        assert feats.loc[row, "degree_min"] == min(len(nbrs[a]), len(nbrs[b]))
        union = len(nbrs[a] | nbrs[b])
        assert feats.loc[row, "jaccard"] == pytest.approx(len(nbrs[a] & nbrs[b]) / union)


def test_target_ids_attack_those_people_only():
    """``target_ids``: the per-target rows of those people are the full attack's rows
    (a target's candidates do not depend on who else is attacked); unknown ids are
    ignored; with ``n_targets`` a sample of them."""
    from personatwin_sklearn import NeighborhoodKAnonymizer
    from personatwin_sklearn.attacks import linkage_attack
    from personatwin_sklearn.datasets import make_social_population

    data = make_social_population(400, random_state=1)
    release = NeighborhoodKAnonymizer(k=3).fit_transform(data)
    ids = data.people["person_id"].to_numpy()
    every = linkage_attack(data, release, scope="combined").per_target.set_index("target_id")
    some = linkage_attack(data, release, scope="combined", target_ids=[*ids[::9], -5])
    table = some.per_target.set_index("target_id")
    assert sorted(table.index) == sorted(ids[::9])
    pd.testing.assert_frame_equal(table, every.loc[table.index])
    sampled = linkage_attack(
        data, release, scope="combined", target_ids=ids[::9], n_targets=5, random_state=0
    )
    assert set(sampled.per_target["target_id"]) <= set(ids[::9])
    assert len(sampled.per_target) == 5


@pytest.mark.parametrize("scope", ["neighborhood", "combined"])
def test_count_up_to_is_exact_for_the_small_sets(scope):
    """``count_up_to``: a target with at most that many candidates gets the full attack's
    row; one with more gets ``count_up_to + 1`` and is not looked for (the search's
    repair needs only the small sets).  The same once the exact table is made."""
    from personatwin_sklearn import NeighborhoodKAnonymizer
    from personatwin_sklearn.attacks._linkage import _PATTERN_CACHE, _forget, _shared_patterns

    data = make_social_population(400, random_state=1)
    release = NeighborhoodKAnonymizer(k=3).fit_transform(data)
    exact = linkage_attack(data, release, scope=scope).per_target
    n = exact["n_candidates"].to_numpy()
    assert (n <= 2).any() and (n > 6).any()  # both kinds of target
    with _shared_patterns():  # tables kept: the exact one serves a count that stops early
        for up_to in (1, 2, 5):
            for cached in (False, True):
                if not cached:
                    _forget(release)  # the count that stops early, not the exact table
                table = linkage_attack(data, release, scope=scope, count_up_to=up_to)
                table = table.per_target
                small = n <= up_to
                pd.testing.assert_frame_equal(table[small], exact[small])
                assert (table.loc[~small, "n_candidates"] == up_to + 1).all()
                assert not table.loc[~small, "target_in_candidates"].any()
                if not cached:  # the exact table, for the next
                    linkage_attack(data, release, scope=scope)
                    keys = [k for k in _PATTERN_CACHE.get() if k[0] == scope]
                    assert any("up to" not in k for k in keys)


def test_large_neighbourhood_needs_a_full_matching():
    """Beyond eight distinct known patterns the check is a maximum flow, not totals.

    The target has 12 female and 7 male friends of distinct ages (19 patterns); another
    released person has 19 friends too, 10 female and 9 male, every age published "*".
    Each known pattern has 10 or 9 released friends that could stand for it, and the
    totals match (19 of 19, all friends), but 12 female partners cannot go to 10 female
    friends: that person is no candidate, the target is named with certainty."""
    ages = np.arange(20, 20 + 5 * 38, 5)[:38]
    genders = ["F"] * 12 + ["M"] * 7 + ["F"] * 10 + ["M"] * 9
    people = pd.DataFrame(
        {
            "person_id": np.arange(40),
            "age": np.r_[70, 70, ages].astype(int),
            "gender": ["F", "F", *genders],
        }
    )
    edges = pd.DataFrame(
        {
            "person1_id": [0] * 19 + [1] * 19,
            "person2_id": np.arange(2, 40),
            "connection_type": "FRIEND",
        }
    )
    original = SocialData(people, edges)
    published = people.astype({"age": object})
    published.loc[:, "age"] = "*"
    release = original.with_people(published, validate=False)
    table = linkage_attack(
        original, release, scope="combined", quasi_identifiers=["age", "gender"],
        signature=["gender", "age"], target_ids=[0],
    ).per_target  # fmt: skip
    assert table["n_candidates"].tolist() == [1]
    assert table["target_in_candidates"].tolist() == [True]
    # with two more female friends published for the other person, it is one again
    more = edges.copy()
    more.loc[more["person2_id"].isin([31, 32]), "person2_id"] = [2, 3]  # two of 0's F
    both = SocialData(people, more.drop_duplicates().reset_index(drop=True))
    table = linkage_attack(
        original, both.with_people(published, validate=False), scope="combined",
        quasi_identifiers=["age", "gender"], signature=["gender", "age"], target_ids=[0],
    ).per_target  # fmt: skip
    assert table["n_candidates"].tolist() == [2]
