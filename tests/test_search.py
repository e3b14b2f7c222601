"""optimize.search_release: the walk, its pruning, and the same choice as a full walk;
the linkage pieces that make a sampled attack cost in proportion to the sample."""

import numpy as np
import pytest

from personatwin_sklearn.optimize import search_release

# family -> utility and risk of each point (risk falls and utility falls along a family)
UTILITY = {0: [0.90, 0.80, 0.70, 0.60], 1: [0.95, 0.85, 0.78, 0.65], 2: [0.70, 0.60, 0.50]}
RISK = {0: [0.30, 0.04, 0.02, 0.01], 1: [0.30, 0.20, 0.10, 0.01], 2: [0.20, 0.10, 0.03]}


def _families():
    return [[{"f": f, "i": i} for i in range(len(UTILITY[f]))] for f in sorted(UTILITY)]


def _run(verify=None, families=None):
    tried = []

    def make(point):
        tried.append((point["f"], point["i"]))
        return point

    def risk(point):
        r = RISK[point["f"]][point["i"]]
        return {"average": r, "maximum": r, "certain_share": 0.0}

    def utility(point):
        return {"utility": UTILITY[point["f"]][point["i"]]}

    release, point, frontier = search_release(
        families or _families(), make, risk, utility, target_risk=0.05, verify=verify
    )
    return point, frontier, tried


def _full_walk_choice():
    """Every point of every family: the most useful one under the target."""
    best = max(
        ((f, i) for f in UTILITY for i in range(len(UTILITY[f])) if RISK[f][i] <= 0.05),
        key=lambda fi: UTILITY[fi[0]][fi[1]],
    )
    return {"f": best[0], "i": best[1]}


def test_pruned_walk_chooses_what_the_full_walk_chooses():
    point, frontier, tried = _run()
    assert point == _full_walk_choice() == {"f": 0, "i": 1}
    # below the best feasible utility (0.80): family 1 stops at its third point, family
    # 2 at its first, though neither met the target
    assert [t for t in tried if t[0] == 1] == [(1, 0), (1, 1), (1, 2)]
    assert [t for t in tried if t[0] == 2] == [(2, 0)]
    assert len(frontier.points) == len(tried) < sum(map(len, UTILITY.values()))
    assert frontier.chosen["utility"] == pytest.approx(0.80)


def test_a_pruned_family_resumes_when_the_best_point_fails_the_full_measure():
    def verify(point):  # the full measure rejects the most useful feasible point
        r = 0.5 if point == {"f": 0, "i": 1} else RISK[point["f"]][point["i"]]
        return {"average": r, "maximum": r, "certain_share": 0.0}

    point, frontier, tried = _run(verify=verify)
    # what a full walk without the rejected point chooses, verified
    assert point == {"f": 0, "i": 2}
    assert any("not the full one" in note for note in frontier.notes)
    assert (1, 3) in tried  # family 1 (last point 0.78 > 0.70) walked on after the failure
    assert (2, 1) not in tried  # family 2 (0.70) could not beat the new best
    assert frontier.points["verified_average"].notna().sum() == 2


def test_staged_full_measure_stops_at_the_first_stage_that_fails():
    full_calls = []

    def partial(point):  # a lower bound of the full measure: rejects (0, 1) already
        r = 0.5 if point == {"f": 0, "i": 1} else RISK[point["f"]][point["i"]]
        return {"average": r, "maximum": r, "certain_share": 0.0}

    def full(point):
        full_calls.append((point["f"], point["i"]))
        return partial(point)

    point, frontier, _ = _run(verify=(partial, full))
    assert full_calls == [(0, 2)]  # the point the first stage rejected: never fully measured
    full_calls.clear()
    single, _, _ = _run(verify=full)
    assert full_calls == [(0, 1), (0, 2)]
    assert point == single == {"f": 0, "i": 2}  # the same choice as the full measure alone
    table = frontier.points.set_index(["f", "i"])
    assert table.loc[(0, 1), "verified_stage"] == 1 and table.loc[(0, 2), "verified_stage"] == 2
    assert any("(at least 50.0% average" in note for note in frontier.notes)


def test_nothing_feasible_walks_everything_and_takes_the_safest():
    families = [[{"f": 2, "i": i} for i in range(3)]]
    global RISK
    saved = RISK
    RISK = {2: [0.5, 0.4, 0.3]}
    try:
        point, frontier, tried = _run(families=families)
    finally:
        RISK = saved
    assert tried == [(2, 0), (2, 1), (2, 2)] and point == {"f": 2, "i": 2}
    assert any("no point met" in note for note in frontier.notes)


def test_points_below_the_best_feasible_utility_put_off_their_risk():
    measured = []

    def risk(point):
        measured.append((point["f"], point["i"]))
        r = RISK[point["f"]][point["i"]]
        return {"average": r, "maximum": r, "certain_share": 0.0}

    release, point, frontier = search_release(
        _families(), lambda p: p, risk, lambda p: {"utility": UTILITY[p["f"]][p["i"]]},
        target_risk=0.05,
    )  # fmt: skip
    assert point == _full_walk_choice()
    # (1, 2) at 0.78 and (2, 0) at 0.70 are tried after (0, 1) met at 0.80: no risk
    assert (1, 2) not in measured and (2, 0) not in measured
    rows = frontier.points.set_index(["f", "i"])
    assert rows.loc[[(1, 2), (2, 0)], "risk_average"].isna().all()
    assert not rows.loc[[(1, 2), (2, 0)], "meets"].any()


@pytest.mark.parametrize("seed", range(40))
def test_put_off_risks_choose_what_a_full_walk_chooses(seed):
    """Random families (utility falling along each), random quick risks and random
    rejections by the full measure: the choice is the most useful point that passes
    both, as when every point's risk is measured."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 6, rng.integers(1, 5))
    util = [np.sort(rng.random(n))[::-1] for n in sizes]
    quick = [rng.random(n) for n in sizes]
    full_fail = [rng.random(n) < 0.4 for n in sizes]
    families = [[{"f": f, "i": i} for i in range(n)] for f, n in enumerate(sizes)]

    def risk(p):
        r = float(quick[p["f"]][p["i"]])
        return {"average": r, "maximum": r, "certain_share": 0.0}

    def verify(p):
        r = 1.0 if full_fail[p["f"]][p["i"]] else float(quick[p["f"]][p["i"]])
        return {"average": r, "maximum": r, "certain_share": 0.0}

    _, point, frontier = search_release(
        families, lambda p: p, risk, lambda p: {"utility": float(util[p["f"]][p["i"]])},
        target_risk=0.5, verify=verify,
    )  # fmt: skip
    ok = [
        (float(util[f][i]), -f, -i)
        for f, n in enumerate(sizes)
        for i in range(n)
        if quick[f][i] <= 0.5 and not full_fail[f][i]
    ]
    if ok:
        _, f, i = max(ok)
        assert point == {"f": -f, "i": -i}
    else:  # nothing passes both: the safest point measured
        assert frontier.points["chosen"].sum() == 1 and "no point met" in frontier.notes[-1]
    chosen = frontier.chosen
    assert not np.isnan(chosen["risk_average"])


@pytest.mark.parametrize("seed", range(40))
def test_two_stage_points_choose_what_a_full_walk_chooses(seed):
    """Points made in two stages (the second only loses utility, as the repair only
    widens): the walk finishes a point only when its first-stage utility leads, and
    chooses the most useful finished point that meets the bounds, as a walk that
    finished and measured every point would."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 6, rng.integers(1, 5))
    final = [np.sort(rng.random(n))[::-1] for n in sizes]  # falls along each family
    loss = [rng.random(n) * 0.3 * (rng.random(n) < 0.6) for n in sizes]  # the repair's
    quick = [rng.random(n) for n in sizes]
    families = [[{"f": f, "i": i} for i in range(n)] for f, n in enumerate(sizes)]
    finished, measured = [], []

    def finish(release, point):
        finished.append((point["f"], point["i"]))
        return {**release, "done": True}

    def utility(r):
        f, i = r["f"], r["i"]
        return {"utility": float(final[f][i] + (0 if "done" in r else loss[f][i]))}

    def risk(r):
        assert "done" in r  # only finished releases are measured
        measured.append((r["f"], r["i"]))
        x = float(quick[r["f"]][r["i"]])
        return {"average": x, "maximum": x, "certain_share": 0.0}

    release, point, frontier = search_release(
        families, dict, risk, utility, target_risk=0.5, finish_release=finish
    )
    ok = [
        (float(final[f][i]), -f, -i)
        for f, n in enumerate(sizes)
        for i in range(n)
        if quick[f][i] <= 0.5
    ]
    if ok:
        _, f, i = max(ok)
        assert point == {"f": -f, "i": -i} and "done" in release
    else:
        assert "no point met" in frontier.notes[-1]
    assert set(measured) <= set(finished)
    for (f, i), row in frontier.points.set_index(["f", "i"]).iterrows():
        bound = row["utility_is_bound"]  # unfinished: the first stage's utility
        assert bound == ((f, i) not in finished)
        assert row["utility"] == pytest.approx(final[f][i] + (loss[f][i] if bound else 0))


def test_sorted_key_join_matches_a_plain_join():
    from personatwin_sklearn.attacks._linkage import _join, _join_keys

    rng = np.random.default_rng(0)
    left = [rng.integers(0, 4, 150), rng.integers(0, 7, 150)]
    right = [rng.integers(0, 4, 100), rng.integers(0, 7, 100)]
    a, b = _join(*_join_keys(left, right, [4, 7]))
    got = set(zip(a.tolist(), b.tolist()))
    want = {
        (i, j)
        for i in range(150)
        for j in range(100)
        if left[0][i] == right[0][j] and left[1][i] == right[1][j]
    }
    assert got == want and np.all(np.diff(a) >= 0)


def test_sampled_attack_counts_the_same_as_the_whole_population_attack():
    """A sample of targets gets the same per-target figures as attacking everyone (the
    pattern pairs are computed for the sample's own patterns only)."""
    from personatwin_sklearn import NeighborhoodKAnonymizer
    from personatwin_sklearn.attacks import linkage_attack
    from personatwin_sklearn.datasets import make_social_population

    data = make_social_population(600, random_state=1)
    release = NeighborhoodKAnonymizer(k=3).fit_transform(data)
    kwargs = dict(quasi_identifiers=["age", "gender", "zipcode"], random_state=0)
    for scope in ("edge", "neighborhood", "combined"):
        every = linkage_attack(data, release, scope=scope, **kwargs).per_target
        some = linkage_attack(data, release, scope=scope, n_targets=150, **kwargs).per_target
        every = every.set_index("target_id").loc[some["target_id"]]
        assert np.array_equal(every["n_candidates"].to_numpy(), some["n_candidates"].to_numpy())
        assert np.array_equal(
            every["target_in_candidates"].to_numpy(), some["target_in_candidates"].to_numpy()
        )


def test_tuples_number_distinct_rows_in_order_of_first_appearance():
    from personatwin_sklearn.attacks._linkage import _tuples

    rng = np.random.RandomState(0)
    for high in (3, 50, 2**40):  # the last overflows a mixed-radix key: renumbered
        codes = rng.randint(-1, high, size=(500, 3)).astype(np.int64)
        codes[250:] = codes[:250]  # repeated rows
        tup, first = _tuples(codes)
        seen = {}  # plain Python: row -> number, in order of first appearance
        for i, row in enumerate(map(tuple, codes)):
            seen.setdefault(row, (len(seen), i))
        assert tup.tolist() == [seen[tuple(row)][0] for row in codes]
        assert first.tolist() == [i for _, i in sorted(seen.values())]


@pytest.mark.parametrize("seed", range(40))
def test_mended_points_choose_what_a_full_walk_chooses(seed):
    """A point that fails may be mended (its release replaced by one that only loses
    utility): the walk then compares the mended release with every other point, opens
    its family's next point when that may now lead, and chooses what a walk that made
    every point and every mend would choose."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 5, rng.integers(1, 4))
    n_mends = 3
    # utility of each point after m mends (falls with m, and along each family at m=0)
    base = [np.sort(rng.random(n))[::-1] for n in sizes]
    drop = [np.cumsum(np.c_[np.zeros(n), rng.random((n, n_mends)) * 0.2], axis=1) for n in sizes]
    risk_of = [np.sort(rng.random((n, n_mends + 1)), axis=1)[:, ::-1] for n in sizes]
    families = [[{"f": f, "i": i} for i in range(n)] for f, n in enumerate(sizes)]
    calls = []

    def mend(release, point, risk, attempt):
        assert risk["average"] > 0.5 and attempt == release["m"]
        calls.append((point["f"], point["i"], attempt))
        return None if attempt >= n_mends else {**release, "m": attempt + 1}

    def utility(r):
        return {"utility": float(base[r["f"]][r["i"]] - drop[r["f"]][r["i"], r["m"]])}

    def risk(r):
        x = float(risk_of[r["f"]][r["i"], r["m"]])
        return {"average": x, "maximum": x, "certain_share": 0.0}

    release, point, frontier = search_release(
        families, lambda p: {**p, "m": 0}, risk, utility, target_risk=0.5, mend_release=mend
    )
    ok = [
        (float(base[f][i] - drop[f][i, m]), m)
        for f, n in enumerate(sizes)
        for i in range(n)
        for m in range(n_mends + 1)
        if risk_of[f][i, m] <= 0.5 and (m == 0 or risk_of[f][i, :m].min() > 0.5)
    ]
    if ok:
        assert utility(release)["utility"] == pytest.approx(max(ok)[0])
        assert frontier.chosen["mends"] == release["m"]
    else:
        assert "no point met" in frontier.notes[-1]
    assert len(calls) == len(set(calls))  # each mend at most once
    assert frontier.points["mends"].between(0, n_mends).all()


def test_a_mend_replaces_the_release_and_resets_its_risk():
    def mend(release, point, risk, attempt):
        return {**release, "mended": True} if point == {"f": 0, "i": 0} else None

    def risk(r):
        x = 0.01 if r.get("mended") else RISK[r["f"]][r["i"]]
        return {"average": x, "maximum": x, "certain_share": 0.0}

    def utility(r):
        return {"utility": UTILITY[r["f"]][r["i"]] - (0.05 if r.get("mended") else 0)}

    release, point, frontier = search_release(
        _families(), dict, risk, utility, target_risk=0.05, mend_release=mend
    )
    # (0, 0) mended: 0.85 and feasible, above (0, 1) at 0.80; (1, 1) at 0.85 came first
    # (earlier families lead ties only; (1, 1) fails its risk)
    assert point == {"f": 0, "i": 0} and release["mended"]
    chosen = frontier.chosen
    assert chosen["mends"] == 1 and chosen["utility"] == pytest.approx(0.85)
    assert chosen["risk_average"] == pytest.approx(0.01)
