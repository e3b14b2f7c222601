"""Connection protection: edges added, utility kept, speed; against a naive baseline.

Run by hand: ``python benchmarks/bench_connections.py [--big]``.
The naive baseline gives each rare pattern (target_k - k) new synthetic partner
personas ("k-1 copies per rare pattern"), then repeats for the rare patterns those
edges create at their other end, until none is left.
"""

import argparse
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _populations import random_population

from personatwin_sklearn import SyntheticConnectionGenerator
from personatwin_sklearn.datasets import make_social_population
from personatwin_sklearn.io import read_pajek
from personatwin_sklearn.metrics import connection_pattern_k
from personatwin_sklearn.patterns import compute_patterns

CALTECH = Path(__file__).resolve().parents[2] / "shared/data/graphs/facebook100"


def naive(data, target_k, signature=None, max_rounds=20):
    """k-1 copies per rare pattern: new partner personas cloned per missing holder."""
    rounds = 0
    while rounds < max_rounds:
        rounds += 1
        index = compute_patterns(data, signature)
        rare = np.flatnonzero(index.k < target_k)
        if not len(rare):
            break
        # for each rare pattern: (target_k - k) new source personas cloned from a holder,
        # each linked to a partner of the holder's pattern
        code_of_pair = index.pattern
        first = pd.Series(np.arange(len(code_of_pair))).groupby(code_of_pair).first()
        rows = first.reindex(rare).to_numpy()
        holder = index.owner[rows]
        need = target_k - index.k[rare]
        src_template = np.repeat(holder, need)
        ids = data.ids.to_numpy()
        edges = data.connections
        # partner: any partner of the template holder on an edge of that pattern's type
        pairs = pd.concat(
            [
                pd.DataFrame({"o": edges.person1_id, "p": edges.person2_id}),
                pd.DataFrame({"o": edges.person2_id, "p": edges.person1_id}),
            ]
        ).drop_duplicates("o")
        partner = pairs.set_index("o")["p"].reindex(ids[src_template]).to_numpy()
        types = index.table["connection_type"].to_numpy()[np.repeat(rare, need)]
        new_ids = np.arange(len(src_template)) + int(ids.max()) + 1
        people = data.people.iloc[src_template].assign(person_id=new_ids)
        new_edges = pd.DataFrame(
            {"person1_id": new_ids, "person2_id": partner, "connection_type": types}
        )
        data = data.add(people=people, connections=new_edges)
    return data


def utility(before, after):
    g0, g1 = before.to_networkx(), after.to_networkx()
    d0 = np.bincount(before.degree())
    d1 = np.bincount(after.degree()[: len(before)])
    size = max(len(d0), len(d1))
    d0 = np.pad(d0, (0, size - len(d0))) / d0.sum()
    d1 = np.pad(d1, (0, size - len(d1))) / d1.sum()
    return 0.5 * np.abs(d0 - d1).sum(), nx.average_clustering(g0), nx.average_clustering(g1)


def row(name, before, after, seconds, signature, scope="edge"):
    added = after.n_connections - before.n_connections
    tvd, c0, c1 = utility(before, after)
    population = "all" if scope == "edge" else "real"
    k = connection_pattern_k(after, signature=signature, scope=scope, population=population)
    print(
        f"{name:<34} {added:>8,} {added / before.n_connections:>7.1%} "
        f"{len(after) - len(before):>8,} {k:>6g} {tvd:>9.3f} {c0:>7.3f} {c1:>7.3f} "
        f"{seconds:>7.2f}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big", action="store_true", help="also 1M people / 3M edges")
    args = parser.parse_args()
    print(
        f"{'case':<34} {'edges+':>8} {'share':>7} {'people+':>8} {'min k':>6} "
        f"{'deg TVD':>9} {'clust0':>7} {'clust1':>7} {'time s':>7}"
    )
    cases = [("sample 1000", make_social_population(1000, random_state=0), None)]
    if (CALTECH / "Caltech36.net").exists():
        caltech = read_pajek(CALTECH / "Caltech36.net", CALTECH / "Caltech36.nodelist")
        cases.append(("Caltech36", caltech, ["gender", "year"]))
    for name, data, signature in cases:
        for target_k in (5, 10, 20):
            for scope in ("edge", "neighborhood"):
                gen = SyntheticConnectionGenerator(
                    target_k=target_k, scope=scope, signature=signature, random_state=0
                )
                start = time.perf_counter()
                out = gen.fit_transform(data)
                row(
                    f"{name} k={target_k} {scope}",
                    data,
                    out,
                    time.perf_counter() - start,
                    signature,
                    scope,
                )
            start = time.perf_counter()
            out = naive(data, target_k, signature)
            row(f"{name} k={target_k} naive", data, out, time.perf_counter() - start, signature)
    if args.big:
        data = random_population(1_000_000, 3.0)
        # a long-tailed attribute (Zipf over 3,000 areas) makes many patterns rare
        rng = np.random.default_rng(0)
        area = np.minimum(rng.zipf(1.3, len(data)), 3000)
        data = data.with_people(data.people.assign(area=area))
        signature = ["gender", "age", "area"]
        rare = int((compute_patterns(data, signature).k < 10).sum())
        print(f"1M people: {rare:,} rare patterns at k=10 with signature {signature}")
        gen = SyntheticConnectionGenerator(target_k=10, signature=signature, random_state=0)
        start = time.perf_counter()
        out = gen.fit_transform(data)
        seconds = time.perf_counter() - start
        added = out.n_connections - data.n_connections
        print(
            f"1M people / 3M edges k=10 edge: {seconds:.1f} s, {added:,} edges added, "
            f"min k {connection_pattern_k(out, signature=signature, population='all'):g}"
        )


if __name__ == "__main__":
    main()
