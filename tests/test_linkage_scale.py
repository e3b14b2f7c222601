"""Linear-time neighbourhood linkage: same candidates as a brute-force matching recount.

The recount here is plain Python: for each target and each released person it tries to
assign the target's known connections to *distinct* released connections (a bipartite
matching, one connection at a time), with its own reading of generalised labels.
"""

import numpy as np
import pandas as pd
import pytest

from personatwin_sklearn import SocialData
from personatwin_sklearn.attacks import linkage_attack
from personatwin_sklearn.datasets import make_social_population
from tests._recount import INVERSE

SIG = ["gender", "age", "occupation"]


def _fits(known, released):
    """Whether a released label could hide a known value (plain reading)."""
    if released == "*" or known == released:
        return True
    if "|" in released:
        return known in released.split("|")
    return False


def _age_fits(true_age, released, age_bin=5):
    lo = int(true_age // age_bin) * age_bin
    hi = lo + age_bin - 1
    text = str(released)
    if text == "*":
        return True
    if "-" in text:
        a, b = text.split("-")
        return int(a) <= hi and lo <= int(b)
    value = float(text)
    return lo <= value <= hi


def _connections(data, person, true=True):
    by_id = data.people.set_index(data.id_col)
    out = []
    for e in data.connections.to_dict("records"):
        a, b, kind = e["person1_id"], e["person2_id"], e["connection_type"]
        if a == person:
            out.append((kind, by_id.loc[b]))
        elif b == person:
            out.append((INVERSE.get(kind, kind) if "|" not in kind else kind, by_id.loc[a]))
    return out


def _consistent(known_conn, released_conn):
    ktype, kp = known_conn
    rtype, rp = released_conn
    if not _fits(ktype, rtype):
        return False
    if not _age_fits(kp["age"], rp["age"]):
        return False
    return all(_fits(str(kp[c]), str(rp[c])) for c in ("gender", "occupation"))


def _matches(known, released):
    """Kuhn's augmenting paths: can every known connection get its own released one?"""
    owner = [-1] * len(released)

    def augment(i, seen):
        for j, rc in enumerate(released):
            if j in seen or not _consistent(known[i], rc):
                continue
            seen.add(j)
            if owner[j] < 0 or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    return all(augment(i, set()) for i in range(len(known)))


def brute_force(original, release, qis=()):
    rel_people = release.people.set_index(release.id_col)
    orig_people = original.people.set_index(original.id_col)
    rel_conn = {v: _connections(release, v) for v in rel_people.index}
    out = {}
    for t in original.people[original.id_col]:
        known = _connections(original, t)
        cands = []
        for v in rel_people.index:
            if any(not _fits(str(orig_people.loc[t, c]), str(rel_people.loc[v, c])) for c in qis):
                continue
            if _matches(known, rel_conn[v]):
                cands.append(v)
        out[t] = (len(cands), t in cands)
    return out


def _generalised_release(n, seed):
    rng = np.random.default_rng(seed)
    data = make_social_population(n, random_state=seed)
    people = data.people.copy()
    people["age"] = people["age"].astype(object)
    pick = rng.random(len(people)) < 0.4
    people.loc[pick, "age"] = [f"{int(a) // 10 * 10}-{int(a) // 10 * 10 + 9}" for a in
                               data.people["age"][pick]]  # fmt: skip
    pick = rng.random(len(people)) < 0.3
    people.loc[pick, "occupation"] = "sales|office_admin|" + people.loc[pick, "occupation"]
    pick = rng.random(len(people)) < 0.1
    people.loc[pick, "occupation"] = "*"
    edges = data.connections.copy()
    family = edges["connection_type"].isin(["CHILD", "PARENT", "SIBLING", "SPOUSE"])
    pick = family.to_numpy() & (rng.random(len(edges)) < 0.5)
    edges.loc[pick, "connection_type"] = "CHILD|PARENT|SIBLING|SPOUSE"
    release = SocialData._from_validated(people, edges, data)
    return data, release


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("scope", ["neighborhood", "combined"])
def test_generalised_release_matches_brute_force_matching(seed, scope):
    data, release = _generalised_release(60, seed)
    qis = ["gender"] if scope == "combined" else []
    got = linkage_attack(
        data, release, scope=scope, signature=SIG, quasi_identifiers=qis or None
    ).per_target.set_index("target_id")
    want = brute_force(data, release, qis)
    for t, (size, inside) in want.items():
        if not _connections(data, t):
            continue  # no knowledge: everyone (tested elsewhere)
        assert got.loc[t, "n_candidates"] == size, t
        assert bool(got.loc[t, "target_in_candidates"]) == inside, t


def test_one_released_connection_cannot_serve_two_known_ones():
    people = pd.DataFrame(
        {
            "person_id": ["T", "A", "B", "D", "X", "Y"],
            "age": [40, 30, 30, 40, 30, 30],
            "gender": ["F", "M", "F", "F", "M", "F"],
            "occupation": ["x", "sales", "office", "x", "sales", "office"],
        }
    )
    edges = pd.DataFrame(
        {
            "person1_id": ["T", "T", "D"],
            "person2_id": ["A", "B", "X"],
            "connection_type": ["SIBLING", "SPOUSE", "SIBLING"],
        }
    )
    data = SocialData(people, edges)
    rel_people = people.copy()
    rel_people["gender"] = rel_people["gender"].astype(object)
    rel_people.loc[rel_people["person_id"] == "X", ["gender", "occupation"]] = "*"
    rel_edges = edges.copy()
    rel_edges.loc[2, "connection_type"] = "SIBLING|SPOUSE"
    release = SocialData._from_validated(rel_people, rel_edges, data)
    res = linkage_attack(data, release, scope="neighborhood", signature=SIG)
    row = res.per_target.set_index("target_id").loc["T"]
    # D has one connection that could stand for either of T's two: not a candidate
    assert row["n_candidates"] == 1 and row["target_in_candidates"]


@pytest.mark.slow
def test_fan_out_of_50000_connections_stays_small():
    import resource

    n = 50_001
    rng = np.random.default_rng(0)
    people = pd.DataFrame(
        {
            "person_id": np.arange(n),
            "age": rng.integers(18, 80, n),
            "gender": rng.choice(["F", "M"], n),
            "occupation": rng.choice(["a", "b", "c"], n),
        }
    )
    edges = pd.DataFrame(
        {"person1_id": 0, "person2_id": np.arange(1, n), "connection_type": "FRIEND"}
    )
    data = SocialData(people, edges)
    res = linkage_attack(data, data, scope="neighborhood", signature=SIG)
    assert res.per_target.set_index("target_id").loc[0, "n_candidates"] == 1
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    assert peak_gb < 2.0


@pytest.mark.parametrize(
    "scope, up_to",
    [("edge", None), ("neighborhood", None), ("combined", None), ("combined", 2)],
)
def test_small_blocks_give_the_same_candidates(scope, up_to, monkeypatch):
    """Holders and neighbourhood candidates made in chunks (of known patterns, of groups,
    of candidates, of Hall's subsets) count exactly what one block counts; so does a
    count that stops early."""
    import personatwin_sklearn.attacks._linkage as linkage

    data, release = _generalised_release(60, 0)
    kwargs = dict(scope=scope, signature=SIG, quasi_identifiers=["gender"], count_up_to=up_to)
    whole = linkage_attack(data, release, **kwargs).per_target
    monkeypatch.setattr(linkage, "_BLOCK_ROWS", 7)
    monkeypatch.setattr(linkage, "_HASH_KEYS", 0)  # the binary-search look-up too
    chunked = linkage_attack(data, release, **kwargs).per_target
    pd.testing.assert_frame_equal(whole, chunked)


@pytest.mark.parametrize("seed", [0, 1])
def test_combined_alone_equals_combined_after_the_neighbourhood(seed):
    """The combined adversary alone (QIs checked while its candidates are drawn) and after
    the neighbourhood candidates (split by known QI tuple) give the same table, with and
    without a candidate pool, and the targets without connections counted alike."""
    from personatwin_sklearn.attacks._linkage import _shared_patterns

    data, release = _generalised_release(300, seed)
    people = release.people.drop(columns="is_synthetic")
    people["zipcode"] = people["zipcode"].astype(str).str[:3] + "**"  # coarse QIs
    release = SocialData._from_validated(people, release._connections, release)
    pool = np.random.default_rng(seed).random(len(release)) < 0.6
    kwargs = dict(signature=SIG, quasi_identifiers=["age", "gender", "zipcode"],
                  n_targets=200, random_state=seed)  # fmt: skip
    with _shared_patterns():
        alone = [
            linkage_attack(data, release, scope="combined", candidate_pool=p, **kwargs)
            for p in (None, pool, ~pool)
        ]
    with _shared_patterns():
        linkage_attack(data, release, scope="neighborhood", **kwargs)
        after = [
            linkage_attack(data, release, scope="combined", candidate_pool=p, **kwargs)
            for p in (None, pool, ~pool)
        ]
    with _shared_patterns():  # the QI tuple pairs made first (by the QI scope)
        linkage_attack(data, release, scope="qi", **kwargs)
        first = linkage_attack(data, release, scope="combined", **kwargs)
    for a, b in zip(alone, after):
        pd.testing.assert_frame_equal(a.per_target, b.per_target)
    pd.testing.assert_frame_equal(alone[0].per_target, first.per_target)
    sizes = alone[0].candidate_sizes
    assert (alone[1].candidate_sizes + alone[2].candidate_sizes == sizes).all()
    assert alone[0].per_target["target_in_candidates"].all()
    assert (sizes == 1).any() and (sizes > 5).any()  # single and several candidates


@pytest.mark.parametrize("high", [50, 10**12, -1])
def test_join_matches_a_plain_join_on_any_key_range(high):
    """The run table (small range), the hash of distinct keys (large range) and the
    binary searches (negative keys) give the same pairs as a plain join."""
    from personatwin_sklearn.attacks._linkage import _join

    rng = np.random.default_rng(1)
    values = rng.integers(0, 50, 40) if high == 50 else rng.integers(-5, 10**12, 40)
    if high == -1:
        values = -values
    lk, rk = rng.choice(values, 120), rng.choice(values, 90)
    a, b = _join(lk, rk)
    want = {(i, j) for i in range(len(lk)) for j in range(len(rk)) if lk[i] == rk[j]}
    assert set(zip(a.tolist(), b.tolist())) == want and len(a) == len(want)
    assert np.all(np.diff(a) >= 0)


@pytest.mark.parametrize("bound", [1_000, 2**40])
def test_key_set_membership(bound):
    from personatwin_sklearn.attacks._linkage import _KeySet

    rng = np.random.default_rng(2)
    keys = rng.integers(0, bound, 200)
    query = np.r_[keys[:50], rng.integers(0, bound, 200)]
    got = _KeySet(keys, bound).has(query)
    assert got.tolist() == np.isin(query, keys).tolist()


def test_canon_codes_match_factorized_canonical_labels():
    """Columns coded as stored, then canonical per distinct value: the same codes and
    labels, in the same order, as factorizing the canonical strings of every row (each
    row made canonical on its own, in plain Python, where no bool meets a number)."""
    from personatwin_sklearn.attacks._linkage import _canon, _canon_codes, _canon_scalar

    data, release = _generalised_release(60, 0)
    columns = [release.people[c] for c in release.people.columns]
    columns += [data.people[c] for c in data.people.columns]
    columns += [
        pd.Series([40, 40.0, "40", None, np.nan, True, 1, "a|b", "*"], dtype=object),
        pd.Series([1.5, np.nan, 2.0, 1.5]),
        pd.Series(pd.array([1, None, 3, 1], dtype="Int64")),
        pd.Series([], dtype=object),
        pd.Series(["b", "a", None, "b"], dtype="str"),  # text: canonical but for NA
        pd.Series(["b", None, "b"], dtype="string"),
    ]
    for i, column in enumerate(columns):
        want_codes, want_labels = pd.factorize(_canon(column))
        codes, labels = _canon_codes(column)
        assert np.array_equal(codes, want_codes)
        assert list(labels) == list(want_labels)
        if column.dtype == object and column.map(type).isin([bool]).any():
            continue  # True == 1 to a hash: the first one seen names both (as ever)
        # and each row made canonical on its own, in plain Python
        rows = np.array([_canon_scalar(v) for v in column.astype(object)], dtype=object)
        assert list(_canon(column)) == list(rows), i
