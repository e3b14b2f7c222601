"""Connection protection: edges added, utility kept, speed; against a naive baseline.

Run by hand (figures are not asserted anywhere)::

    python benchmarks/bench_connections.py            # sample, random and Caltech36 cases
    python benchmarks/bench_connections.py --big      # + 1M people / 3M edges (edge scope)
    python benchmarks/bench_connections.py --long-tail  # Zipf-area signature, 10k and 100k
    python benchmarks/bench_connections.py --long-tail --attack  # + the 10k releases
                                                     # against the neighbourhood adversary

Columns: connections added (and as a share of the real connections), synthetic
personas added, the edge-scope lower bound ceil(deficit / 2) of an algorithm that brings
every exact pattern to k (one connection gives at most two (person, pattern) pairs),
smallest exact-count k over *everyone* afterwards (patterns for edge scope, neighbourhood
classes for neighbourhood scope), real people still below k (edge: consistent k on the
released values, as the adversary counts; the plausible method reports them in
``at_risk_`` instead of swamping the graph), total variation distance
between the real people's degree distributions before/after, average clustering of the
real people before/after (networkx), seconds.

The naive baseline is "k-1 copies per rare pattern": for every rare pattern it adds
``target_k - k`` copies of one of its connections, between a new clone of a holder and
a new clone of that holder's partner; the clones' partner-end patterns are then fixed
the same way, round after round, until nothing is rare.
"""

import argparse
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from personatwin_sklearn import NeighborhoodKAnonymizer, SocialData, SyntheticConnectionGenerator
from personatwin_sklearn.attacks import linkage_attack
from personatwin_sklearn.datasets import make_social_population
from personatwin_sklearn.io import read_pajek
from personatwin_sklearn.patterns import compute_patterns, person_consistent_k

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/_recount.py
from tests._recount import edge_scope_candidates  # noqa: E402  (independent recount)

CALTECH = Path(__file__).resolve().parents[2] / "shared/data/graphs/facebook100"
OCCUPATIONS = np.array(
    [
        "management", "business_finance", "computer_math", "engineering", "science",
        "community_social_service", "legal", "education", "arts_media",
        "healthcare_practitioner", "healthcare_support", "protective_service", "food_service",
        "building_maintenance", "personal_care", "sales", "office_admin", "construction",
        "production", "transportation",
    ]
)  # fmt: skip
TYPES = np.array(["SPOUSE", "PARENT", "SIBLING", "CO_DEFENDANT", "FRIEND"])


def random_population(n_people, edges_per_person=3.0, seed=0):
    """Census-like columns (skewed ages and occupations) and random typed edges (numpy)."""
    rng = np.random.default_rng(seed)
    age = np.clip(rng.gamma(4.0, 10.0, n_people), 0, 99).astype(np.int64)
    share = 1.0 / np.arange(1, len(OCCUPATIONS) + 1) ** 1.2  # Zipf-like occupations
    people = pd.DataFrame(
        {
            "person_id": np.arange(n_people, dtype=np.int64),
            "age": age,
            "gender": pd.Categorical(rng.choice(["F", "M"], n_people)),
            "occupation": pd.Categorical(
                OCCUPATIONS[rng.choice(len(OCCUPATIONS), n_people, p=share / share.sum())]
            ),
            "has_criminal_record": rng.random(n_people) < 0.08,
        }
    )
    m = int(edges_per_person * n_people)
    a = rng.integers(0, n_people, m)
    b = (a + rng.integers(1, n_people, m)) % n_people
    edges = pd.DataFrame(
        {
            "person1_id": a,
            "person2_id": b,
            "connection_type": pd.Categorical(
                TYPES[rng.choice(len(TYPES), m, p=[0.15, 0.25, 0.15, 0.05, 0.4])]
            ),
        }
    )
    return SocialData(people, edges, domain="criminal_justice")


def naive(data, target_k, signature=None, max_rounds=10):
    """k-1 copies per rare pattern (clone of a holder + clone of its partner), repeated."""
    for _ in range(max_rounds):
        index = compute_patterns(data, signature)
        rare = np.flatnonzero(index.k < target_k)
        if not len(rare):
            break
        left, right = data.edge_positions()
        types = data.connections["connection_type"].astype(str).to_numpy()
        inverse = np.array([data.domain.inverse_type(t) for t in types], dtype=object)
        owner = np.r_[left, right]
        partner = np.r_[right, left]
        seen = np.r_[types, inverse]
        code = index.encode(index.type_code(seen), partner)
        first = pd.Series(np.arange(len(code))).groupby(code).first()
        row = first.reindex(rare).to_numpy()
        need = target_k - index.k[rare]
        holder, mate, kind = (np.repeat(x[row], need) for x in (owner, partner, seen))
        ids = data.ids.to_numpy()
        start = int(ids.max()) + 1
        new_h = np.arange(start, start + len(holder))
        new_m = np.arange(start + len(holder), start + 2 * len(holder))
        people = pd.concat(
            [
                data.people.iloc[holder].assign(person_id=new_h),
                data.people.iloc[mate].assign(person_id=new_m),
            ]
        )
        present = set(types)
        flip = np.array([k not in present for k in kind])
        kind = np.where(flip, [data.domain.inverse_type(k) for k in kind], kind)
        edges = pd.DataFrame(
            {
                "person1_id": np.where(flip, new_m, new_h),
                "person2_id": np.where(flip, new_h, new_m),
                "connection_type": kind,
            }
        ).astype({"connection_type": data.connections["connection_type"].dtype})
        data = data.add(people=people, connections=edges)
    return data


def min_k(data, signature, scope):
    index = compute_patterns(data, signature)
    if scope == "edge":
        return int(index.k.min())
    _, size = index.neighborhoods()
    return int(size.min())


def below_k(data, signature, scope, target_k):
    """Real people below ``target_k`` (edge: consistent k of their rarest pattern, as the
    adversary counts it on the released values; neighbourhood: their class size)."""
    real = ~data.is_synthetic
    if scope == "edge":
        k = person_consistent_k(data, signature)
        return int(((k < target_k) & real).sum())
    _, size = compute_patterns(data, signature).neighborhoods()
    return int(((size < target_k) & real).sum())


def deficit(data, signature, target_k):
    index = compute_patterns(data, signature)
    return int(np.maximum(target_k - index.k, 0).sum())


def utility(before, after, clustering=True):
    """Degree TVD over the real people; average clustering of the real people."""
    d0 = np.bincount(before.degree())
    d1 = np.bincount(after.degree()[: len(before)])
    size = max(len(d0), len(d1))
    d0 = np.pad(d0, (0, size - len(d0))) / d0.sum()
    d1 = np.pad(d1, (0, size - len(d1))) / d1.sum()
    tvd = 0.5 * np.abs(d0 - d1).sum()
    if not clustering:
        return tvd, np.nan, np.nan
    real = before.ids.tolist()
    c0 = nx.average_clustering(before.to_networkx(), nodes=real)
    c1 = nx.average_clustering(after.to_networkx(), nodes=real)
    return tvd, c0, c1


HEADER = (
    f"{'case':<22} {'k':>3} {'method':<13} {'edges+':>10} {'share':>7} {'people+':>9} "
    f"{'LB':>8} {'min k':>6} {'below k':>8} {'deg TVD':>8} {'clust0':>7} {'clust1':>7} "
    f"{'time s':>7}"
)


def row(case, target_k, method, before, after, seconds, lower, signature, scope="edge"):
    added = after.n_connections - before.n_connections
    clustering = after.n_connections < 200_000
    tvd, c0, c1 = utility(before, after, clustering)
    print(
        f"{case:<22} {target_k:>3} {method:<13} {added:>10,} "
        f"{added / before.n_connections:>7.1%} {len(after) - len(before):>9,} {lower:>8,} "
        f"{min_k(after, signature, scope):>6} {below_k(after, signature, scope, target_k):>8,} "
        f"{tvd:>8.3f} {c0:>7.3f} {c1:>7.3f} {seconds:>7.2f}",
        flush=True,
    )
    return added


def small_cases(targets):
    cases = [
        ("sample 1000", make_social_population(1000, random_state=0), None),
        ("random 5000", random_population(5000, 3.0, seed=1), None),
    ]
    if (CALTECH / "Caltech36.net").exists():
        caltech = read_pajek(CALTECH / "Caltech36.net", CALTECH / "Caltech36.nodelist")
        cases.append(("Caltech36", caltech, ["gender", "year"]))
    print(HEADER)
    wins = []
    for name, data, signature in cases:
        for target_k in targets:
            lower = -(-deficit(data, signature, target_k) // 2)
            added = {}
            for scope in ("edge", "neighborhood"):
                gen = SyntheticConnectionGenerator(
                    target_k=target_k,
                    scope=scope,
                    signature=signature,
                    on_infeasible="ignore",
                    random_state=0,
                )
                start = time.perf_counter()
                out = gen.fit_transform(data)
                seconds = time.perf_counter() - start
                added[scope] = row(
                    name, target_k, scope, data, out, seconds, lower, signature, scope
                )
            start = time.perf_counter()
            out = naive(data, target_k, signature)
            seconds = time.perf_counter() - start
            added["naive"] = row(
                name, target_k, "naive", data, out, seconds, lower, signature, "edge"
            )
            wins.append(added["edge"] < added["naive"])
    print(
        f"\nedge scope adds fewer connections than the naive baseline in {sum(wins)}/{len(wins)}"
    )


def _coarsened(gen) -> str:
    return ", ".join(f"{k} {v}" for k, v in gen.coarsening_.items()) or "-"


def _protect_row(name, data, signature, width, **params):
    """Protect ``data`` at k=10 and print one table row (with what was coarsened)."""
    rare = int((compute_patterns(data, signature).k < 10).sum())
    gen = SyntheticConnectionGenerator(
        target_k=10, signature=signature, on_infeasible="ignore", random_state=0, **params
    )
    start = time.perf_counter()
    out = gen.fit_transform(data)
    seconds = time.perf_counter() - start
    print(
        f"{name:<{width}} {rare:>8,} {gen.n_added_:>9,} {gen.n_added_ / out.n_connections:>6.1%} "
        f"{gen.n_added_people_:>8,} {gen.at_risk_['person_id'].nunique():>8,} "
        f"{seconds:>7.1f}  {_coarsened(gen)}",
        flush=True,
    )
    return gen


def _header(first, width):
    print(
        f"{first:<{width}} {'rare':>8} {'edges+':>9} {'share':>6} {'people+':>8} "
        f"{'below k':>8} {'time s':>7}  coarsened"
    )


def _zipf_area(data):
    rng = np.random.default_rng(0)
    area = np.minimum(rng.zipf(1.3, len(data)), 3000)  # long-tailed: many rare patterns
    return data.with_people(data.people.assign(area=area))


def _exact_share(published, true) -> float:
    return float(np.mean(published.astype(str).to_numpy() == true.astype(str).to_numpy()))


def _set_share(published, true) -> float:
    text = published.astype(str).to_numpy()
    differs = text != true.astype(str).to_numpy()
    return float(np.mean(pd.Series(text).str.contains("|", regex=False).to_numpy() & differs))


def _long_tail_row(n, method, data, out, seconds, signature):
    """One row: below k by the independent edge-scope recount, and what was kept exact."""
    start = time.perf_counter()
    real = ~data.is_synthetic
    candidates = edge_scope_candidates(data, out, signature, age_bin=5)
    recount = time.perf_counter() - start
    people = out.people.iloc[: len(data)]
    conns = out.connections.iloc[: data.n_connections]
    rare = int(((edge_scope_candidates(data, data, signature, age_bin=5) < 10) & real).sum())
    print(
        f"{n:>9,} {method:<7} {rare:>7,} {out.n_connections - data.n_connections:>7,} "
        f"{int(((candidates < 10) & real).sum()):>8,} {int(candidates[real].min()):>6} "
        f"{seconds:>7.1f} {recount:>8.1f} "
        f"{_exact_share(people['area'], data.people['area']):>11.1%} "
        f"{_exact_share(conns['connection_type'], data.connections['connection_type']):>11.1%} "
        f"{_set_share(people['area'], data.people['area']):>9.1%}",
        flush=True,
    )


def long_tail_cases(sizes=(10_000, 100_000), attack=False):
    """The long-tailed case: Zipf-distributed ``area`` in the signature (many rare patterns).

    ``global``: :class:`SyntheticConnectionGenerator` (links, then the coarsening lattice,
    where ``area`` has no level); ``local``: :class:`NeighborhoodKAnonymizer` (groups of
    k whose connections are aligned in slots; a partner value is widened where a slot's
    partners differ: the neighbourhood adversary's protection); ``edge``: the same with
    ``scope="edge"`` (only what is rare for an adversary who knows one connection: the
    partners' areas of rare connections pooled into nested blocks of the tail, then the
    slots still rare widened).  ``below k``: real people whom an adversary who knows one of their
    true connections (type, partner gender, 5-year age bucket, area) finds among fewer
    than 10 released people, counted by an independent recount on the published values
    (``tests/_recount.py::edge_scope_candidates``, not the package's pattern engine);
    ``rare``: the same count before protection; ``min cand``: the fewest candidates of a
    real person; ``area exact`` / ``type exact``: shares of real people and connections
    published with their true value; ``area set``: share of real people whose area is a
    set of at most 8 values (the rest of the generalised ones are ranges).  With
    ``attack``: for the 10k releases, the adversary who knows every connection
    (``certain``: share of targets with a single candidate; ``below k``: fewer than 10).
    """
    signature = ["gender", "age", "area"]
    attacks = []
    print("\nlong-tailed signature (gender, age, Zipf area over 3,000 values), target_k=10")
    print(
        f"{'people':>9} {'method':<7} {'rare':>7} {'edges+':>7} {'below k':>8} "
        f"{'min cand':>6} {'time s':>7} {'recount s':>8} {'area exact':>11} {'type exact':>11} "
        f"{'area set':>9}"
    )
    for n in sizes:
        hard = _zipf_area(random_population(n, 3.0, seed=0))
        gen = SyntheticConnectionGenerator(
            target_k=10, signature=signature, on_infeasible="ignore", random_state=0
        )
        start = time.perf_counter()
        out = gen.fit_transform(hard)
        _long_tail_row(n, "global", hard, out, time.perf_counter() - start, signature)
        for method, scope in (("local", "neighborhood"), ("edge", "edge")):
            local = NeighborhoodKAnonymizer(k=10, signature=signature, scope=scope)
            start = time.perf_counter()
            out = local.fit_transform(hard)
            _long_tail_row(n, method, hard, out, time.perf_counter() - start, signature)
            if attack and n <= 10_000:
                attacks.append((n, method, hard, out))
    if attacks:
        _neighbourhood_attacks(attacks, signature)


def _neighbourhood_attacks(cases, signature, n_targets=1000):
    """The adversary who knows a target's quasi-identifiers (age, gender) and *every*
    connection (``linkage_attack(scope="neighborhood")``, 1,000 seeded targets)."""
    print(f"\nadversary who knows every connection and age, gender ({n_targets:,} targets)")
    print(f"{'people':>9} {'method':<7} {'certain':>8} {'below k':>8} {'time s':>7}")
    for n, method, data, out in cases:
        start = time.perf_counter()
        result = linkage_attack(data, out, scope="neighborhood", signature=signature,
                                age_bin=5, quasi_identifiers=["age", "gender"],
                                n_targets=n_targets, random_state=0)  # fmt: skip
        sizes = result.per_target["n_candidates"].to_numpy()
        print(
            f"{n:>9,} {method:<7} {result.success_rate:>8.1%} {np.mean(sizes < 10):>8.1%} "
            f"{time.perf_counter() - start:>7.1f}",
            flush=True,
        )


def big_cases():
    print("\n1M people / 3M connections, edge scope, target_k=10 (fit_transform)")
    width = 52
    _header("case", width)
    data = random_population(1_000_000, 3.0, seed=0)
    _protect_row("default signature (gender, age, occupation, record)", data, None, width)
    _protect_row("  the same, coarsen='none' (links only)", data, None, width, coarsen="none")
    hard = _zipf_area(data)
    gen = _protect_row("gender, age, Zipf area over 3,000 values", hard,
                       ["gender", "age", "area"], width)  # fmt: skip
    print(gen.history_.to_string(index=False))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="also 1M people / 3M connections")
    parser.add_argument("--only-big", action="store_true", help="only the 1M cases")
    parser.add_argument(
        "--long-tail", action="store_true", help="only the long-tailed case at 10k and 100k"
    )
    parser.add_argument(
        "--attack",
        action="store_true",
        help="with --long-tail: the 10k releases against the adversary who knows every connection",
    )
    args = parser.parse_args()
    if args.long_tail:
        long_tail_cases(attack=args.attack)
        return
    if not args.only_big:
        small_cases((5, 10, 20))
    if args.big or args.only_big:
        big_cases()


if __name__ == "__main__":
    main()
