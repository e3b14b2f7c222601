"""The local protection (NeighborhoodKAnonymizer + the search), recounted independently.

The recount below reads a release the way an adversary does, with plain Python and no
package code: a released person is a candidate for a real target when each published
quasi-identifier covers the target's true value, and the target's true connections can be
matched one-to-one (an augmenting-path bipartite matching) to the candidate's published
connections whose type group holds the true type and whose partner's published values
cover the true partner's (partner age: the adversary's 5-year bucket overlaps the
published range).
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone

import personatwin_sklearn as pt
from personatwin_sklearn.datasets import make_social_population
from personatwin_sklearn.exceptions import InvalidValueError

QIS = ["age", "gender", "ethnicity", "zipcode"]
SIG = ["gender", "age", "occupation", "has_criminal_record"]
INVERSE = {"PARENT": "CHILD", "CHILD": "PARENT"}


@pytest.fixture(scope="module")
def data():
    return make_social_population(300, random_state=3)


@pytest.fixture(scope="module")
def result(data):
    return pt.create_safe_personas(
        data, privacy_level="medium", random_state=0, protection="local"
    )


def _interval(label):
    text = str(label)
    if text == "*":
        return -1e9, 1e9
    if "-" in text[1:]:
        lo, hi = text.split("-")
        return float(lo), float(hi)
    return float(text), float(text)


def _covers(column, label, value, *, bucket=False):
    text = str(label)
    if text == "*" or text == str(value):
        return True
    if column == "age":
        lo, hi = _interval(text)
        a = float(value)
        if bucket:
            b = 5 * (a // 5)
            return lo <= b + 4 and b <= hi
        return lo <= a <= hi
    if column == "zipcode" and text.endswith("*"):
        stem = text.rstrip("*")
        return len(text) == len(str(value)) and str(value).startswith(stem)
    return str(value) in text.split("|")


def _seen(people, connections):
    """person -> list of (type as seen, partner id)."""
    out = {pid: [] for pid in people["person_id"]}
    for a, b, t in connections[["person1_id", "person2_id", "connection_type"]].itertuples(
        index=False
    ):
        out[a].append((t, b))
        inverse = "|".join(sorted(INVERSE.get(x, x) for x in str(t).split("|")))
        out[b].append((inverse, a))
    return out


def _match(known, released, ok):
    """Largest one-to-one matching of known to released connections (Kuhn)."""
    owner = {}

    def augment(i, seen):
        for j in range(len(released)):
            if j in seen or not ok(known[i], released[j]):
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    return all(augment(i, set()) for i in range(len(known)))


def independent_worst_risk(original, release):
    """Per real person, 1 / number of consistent candidates (combined adversary)."""
    true = original.people.set_index("person_id")
    pub = release.people.set_index("person_id")
    true_seen = _seen(original.people, original.connections)
    pub_seen = _seen(release.people, release.connections)
    ids = list(pub.index)
    pub_rows = {pid: pub.loc[pid] for pid in ids}
    risks = []
    for t in true.index[~true["is_synthetic"].to_numpy(bool)]:
        row = true.loc[t]
        known = [(ty, true.loc[p]) for ty, p in true_seen[t]]

        def ok(k, r):
            if k[0] not in str(r[0]).split("|"):
                return False
            partner = pub_rows[r[1]]
            return all(
                _covers(c, partner[c], k[1][c], bucket=c == "age") for c in SIG if c in partner
            )

        count, found = 0, False
        for v in ids:
            cand = pub_rows[v]
            if not all(_covers(c, cand[c], row[c]) for c in QIS):
                continue
            if len(pub_seen[v]) < len(known):
                continue
            if _match(known, pub_seen[v], ok):
                count += 1
                found |= v == t
        assert found, f"the true record of {t} is not among its candidates"
        risks.append(1.0 / count)
    return np.asarray(risks)


def test_release_keeps_every_row_and_connection(data, result):
    rel = result.data
    assert len(rel) == len(data) and rel.n_synthetic == 0
    assert rel.n_connections == data.n_connections
    before = data.connections[["person1_id", "person2_id"]].to_numpy()
    after = rel.connections[["person1_id", "person2_id"]].to_numpy()
    np.testing.assert_array_equal(before, after)
    # each published value covers the true one
    true = data.people.set_index("person_id")
    pub = rel.people.set_index("person_id").loc[true.index]
    for c in QIS + ["occupation", "has_criminal_record"]:
        assert all(_covers(c, p, v) for p, v in zip(pub[c], true[c])), c
    types = zip(rel.connections["connection_type"], data.connections["connection_type"])
    assert all(t in str(p).split("|") for p, t in types)


def test_input_not_mutated():
    data = make_social_population(200, random_state=5)
    people, edges = data.people.copy(), data.connections.copy()
    pt.create_safe_personas(data, privacy_level="low", random_state=0, protection="local")
    assert data.people.equals(people) and data.connections.equals(edges)


@pytest.mark.slow
def test_independent_recount_meets_the_target(data, result):
    risk = independent_worst_risk(data, result.data)
    target = result.metadata["target_risk"]
    assert risk.mean() <= target + 1e-9
    assert np.mean(risk >= 1.0) <= result.metadata["max_certain"] + 1e-9
    # the package never reports less than the independent adversary gets
    assert result.metadata["headline"]["after"]["average"] >= risk.mean() - 0.02


def test_frontier_records_every_point(result):
    frontier = result.metadata["frontier"]
    points = frontier["points"]
    assert len(points) >= 2 and sum(p["chosen"] for p in points) == 1
    chosen = next(p for p in points if p["chosen"])
    feasible = [p for p in points if p["meets"]]
    assert chosen["meets"] and chosen["utility"] == max(p["utility"] for p in feasible)
    assert chosen["risk_average"] <= frontier["target_risk"]


def test_privacy_levels_give_different_releases(data):
    releases = {
        level: pt.create_safe_personas(
            data, privacy_level=level, random_state=0, protection="local"
        )
        for level in ("low", "high")
    }
    low, high = releases["low"], releases["high"]
    assert low.metadata["target_risk"] > high.metadata["target_risk"]
    assert not low.personas.equals(high.personas)
    assert high.metadata["headline"]["after"]["average"] <= 0.05


def test_estimator_contract(data):
    est = pt.NeighborhoodKAnonymizer(k=4, partner_weight=3.0)
    assert clone(est).get_params() == est.get_params()
    out = est.fit_transform(data)
    again = pickle.loads(pickle.dumps(est)).transform(data)
    assert out.people.equals(again.people)
    assert est.k_ == 4 and est.n_groups_ >= 1 and "connection_type" in est.generalized_


def test_bad_parameters_are_named(data):
    with pytest.raises(InvalidValueError, match="generalize"):
        pt.NeighborhoodKAnonymizer(generalize=("types",)).fit(data)
    with pytest.raises(InvalidValueError, match="max_certain"):
        pt.create_safe_personas(data, max_certain=2, random_state=0)
    with pytest.raises(InvalidValueError, match="target_risk"):
        pt.create_safe_personas(data, target_risk="high", random_state=0)


@pytest.mark.slow
def test_property_values_cover_the_truth_and_nothing_is_lost():
    """On random populations (any types, string or int ids): same rows and connections in
    the same order, input untouched, every published value covers the true one, and the
    quasi-identifier classes of real people have >= k rows."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from tests.test_properties import SETTINGS, _assert_not_mutated, _deep, populations

    @settings(max_examples=25, **SETTINGS)
    @given(data=populations(min_people=6, max_people=40), k=st.integers(2, 4))
    def check(data, k):
        before = _deep(data)
        signature = ["gender", "age", "occupation", "has_record"]
        release = pt.NeighborhoodKAnonymizer(k=k, signature=signature).fit_transform(data)
        _assert_not_mutated(data, before)
        assert release.people["person_id"].tolist() == data.people["person_id"].tolist()
        pairs = ["person1_id", "person2_id"]
        assert release.connections[pairs].equals(data.connections[pairs])
        for c in QIS + ["occupation", "has_record"]:
            cells = zip(release.people[c], data.people[c], strict=True)
            assert all(_covers(c, p, v) for p, v in cells), c
        types = zip(release.connections["connection_type"], data.connections["connection_type"],
                    strict=True)  # fmt: skip
        assert all(str(t) in str(p).split("|") for p, t in types)
        sizes = release.people.groupby(QIS)["person_id"].transform("size")
        assert sizes.min() >= k

    check()


@pytest.mark.parametrize(
    "cover_widen", [("qi", "flags"), ("qi", "flags", "targets"), ("age", "flags"), ("flags",)]
)
def test_repair_options_cover_the_truth(data, cover_widen):
    """Every repair option only widens: rows, connections and the truth are kept, and
    covering only the targets' partner values widens no more flags than the whole slot."""
    cover = data.people["person_id"].to_numpy()[::7]
    step = pt.NeighborhoodKAnonymizer(k=3, partner_weight=3.0, flag_weight=4.0, age_weight=3.0,
                                      cover_ids=cover, cover_widen=cover_widen)  # fmt: skip
    rel = step.fit_transform(data)
    true = data.people.set_index("person_id")
    pub = rel.people.set_index("person_id").loc[true.index]
    for c in QIS + ["occupation", "has_criminal_record"]:
        assert all(_covers(c, p, v) for p, v in zip(pub[c], true[c])), c
    pairs = ["person1_id", "person2_id"]
    assert rel.connections[pairs].equals(data.connections[pairs])
    sizes = rel.people.groupby(QIS)["person_id"].transform("size")
    assert sizes.min() >= 3
    if "targets" in cover_widen:
        whole = clone(step).set_params(cover_widen=("qi", "flags")).fit_transform(data)
        stars = (rel.people["has_criminal_record"].astype(str) == "*").sum()
        assert stars <= (whole.people["has_criminal_record"].astype(str) == "*").sum()


def test_bad_cover_widen_is_named(data):
    with pytest.raises(InvalidValueError, match="cover_widen.*'zip'"):
        pt.NeighborhoodKAnonymizer(cover_widen=("qi", "zip")).fit(data)


def test_set_labels_match_a_join_per_person():
    """The bitmask labels of the published value sets equal a "|".join per person."""
    import numpy as np
    import pandas as pd

    from personatwin_sklearn.generalize._neighborhood import _set_labels

    rng = np.random.default_rng(0)
    for _ in range(50):
        vocab = np.array([f"v{i}" for i in rng.permutation(rng.integers(1, 40))], dtype=object)
        n = int(rng.integers(1, 300))
        frame = pd.DataFrame(
            {"p": rng.integers(0, 60, n), "v": vocab[rng.integers(0, len(vocab), n)]}
        )
        frame = frame.drop_duplicates().sort_values(["p", "v"], kind="stable")
        labels, size = _set_labels(frame["p"].to_numpy(), frame["v"].to_numpy(object))
        want = frame.groupby("p", sort=True)["v"].agg("|".join)
        assert labels.tolist() == want.tolist() and labels.index.tolist() == want.index.tolist()
        assert size.tolist() == frame.groupby("p", sort=True)["v"].size().tolist()
    # a repeated value or more than 62 distinct values: the join per person
    assert _set_labels(np.array([0, 0]), np.array(["a", "a"], dtype=object)) is None
    wide = np.array([f"w{i}" for i in range(63)], dtype=object)
    assert _set_labels(np.zeros(63, int), np.sort(wide)) is None
