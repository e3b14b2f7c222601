"""Template error against the true graph and against a plain Laplace-histogram baseline.

::

    python benchmarks/bench_templates.py                      # both graphs, eps 0.5/1/2, 20 seeds
    python benchmarks/bench_templates.py --seeds 5 --graphs caltech
    python benchmarks/bench_templates.py --connector          # + TemplateConnector fidelity
    python benchmarks/bench_templates.py --methods --seeds 10 # degree_method comparison

Graphs (read-only, ``../shared/data``): SNAP ego-Facebook (4,039 nodes, 88,234 edges)
and Facebook100 Caltech36 (769 nodes, 16,656 edges).  For each epsilon (edge-DP,
default budget split, ``max_degree=None``), means over seeds of:

* ``L1``: L1 distance between the released and the true exact-degree distributions
  (one bin per degree, no clipping);
* ``KS``: Kolmogorov-Smirnov distance of the two degree distributions;
* ``W1/mean``: Wasserstein-1 distance of the degree distributions over the true mean degree;
* ``clust``: relative error of the average clustering;
* ``avg deg``: relative error of the average degree;
* ``cover``: share of the released 95% intervals (average clustering, edge count,
  simultaneous KS band) that hold the true value;
* ``fit (s)``: time of one ``fit`` on a networkx graph.

The baseline ("Laplace histogram") spends the same degree and clustering budgets the
plain way: Laplace noise of sensitivity 4 on each bin of the degree histogram clipped at
the true maximum degree (read from the data, as the extractor's former default did),
negative bins set to 0, normalised; average clustering with Laplace noise of sensitivity
``(2 D + 2) / n``, clipped to ``[0, 1]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from personatwin_sklearn.templates import NetworkTemplateExtractor
from personatwin_sklearn.templates._extractor import DEFAULT_BUDGET_SPLIT

DATA = Path(__file__).resolve().parents[2] / "shared/data/graphs"
GRAPHS = {
    "ego-facebook": DATA / "snap_ego_facebook/facebook_combined.txt",
    "caltech": DATA / "facebook100/Caltech36.net",
}


def load(name: str) -> nx.Graph:
    path = GRAPHS[name]
    if path.suffix == ".net":
        graph = nx.Graph(nx.read_pajek(path))
        return nx.convert_node_labels_to_integers(graph)
    return nx.read_edgelist(path, nodetype=int)


def distances(p: np.ndarray, q: np.ndarray, mean_degree: float) -> tuple[float, float, float]:
    """L1, KS and W1 / mean degree of two distributions over degrees 0, 1, ..."""
    size = max(len(p), len(q))
    a = np.zeros(size)
    b = np.zeros(size)
    a[: len(p)] = p
    b[: len(q)] = q
    gap = np.abs(np.cumsum(a) - np.cumsum(b))
    return float(np.abs(a - b).sum()), float(gap.max()), float(gap.sum() / mean_degree)


def markdown(table: pd.DataFrame) -> str:
    """A markdown table (no tabulate dependency)."""
    cells = [[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row] for row in table.values]
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells])


def baseline(degrees, clustering, eps, rng):
    """Plain Laplace histogram + plain Laplace clustering, default budget shares."""
    total = sum(v for k, v in DEFAULT_BUDGET_SPLIT.items() if k != "connection_types")
    eps_h = eps * DEFAULT_BUDGET_SPLIT["degree_histogram"] / total
    eps_c = eps * DEFAULT_BUDGET_SPLIT["clustering"] / total
    top = int(degrees.max())
    hist = np.bincount(degrees, minlength=top + 1).astype(float)
    noisy = np.clip(hist + rng.laplace(0, 4 / eps_h, len(hist)), 0, None)
    pmf = noisy / noisy.sum()
    c = clustering + rng.laplace(0, (2 * top + 2) / len(degrees) / eps_c)
    return pmf, float(np.clip(c, 0, 1))


def run(name: str, epsilons, seeds: int) -> pd.DataFrame:
    graph = load(name)
    degrees = np.array([d for _, d in graph.degree()], dtype=np.int64)
    true_pmf = np.bincount(degrees) / len(degrees)
    mean = degrees.mean()
    clustering = nx.average_clustering(graph)
    print(
        f"{name}: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges, "
        f"max degree {degrees.max()}, mean degree {mean:.2f}, average clustering "
        f"{clustering:.4f}"
    )
    rows = []
    for eps in epsilons:
        ours, base = [], []
        for seed in range(seeds):
            extractor = NetworkTemplateExtractor(epsilon=eps, random_state=seed)
            t0 = time.perf_counter()
            template = extractor.fit(graph).template_
            secs = time.perf_counter() - t0
            l1, ks, w1 = distances(template.degree_distribution, true_pmf, mean)
            err = template.errors
            lo, hi = err["average_clustering"]["ci95"]
            e_lo, e_hi = err["n_edges"]["ci95"]
            covered = [
                lo <= clustering <= hi,
                e_lo <= graph.number_of_edges() <= e_hi,
                ks <= err["degree_distribution"]["ks95"],
            ]
            ours.append(
                [
                    l1,
                    ks,
                    w1,
                    abs(template.average_clustering - clustering) / clustering,
                    abs(template.average_degree - mean) / mean,
                    float(np.mean(covered)),
                    secs,
                ]
            )
            pmf, c = baseline(degrees, clustering, eps, np.random.default_rng(seed))
            bl1, bks, bw1 = distances(pmf, true_pmf, mean)
            base.append([bl1, bks, bw1, abs(c - clustering) / clustering])
        o, b = np.mean(ours, axis=0), np.mean(base, axis=0)
        rows.append(
            {
                "graph": name,
                "epsilon": eps,
                "L1": o[0],
                "KS": o[1],
                "W1/mean": o[2],
                "clust": o[3],
                "avg deg": o[4],
                "cover": o[5],
                "fit (s)": o[6],
                "base L1": b[0],
                "base KS": b[1],
                "base W1/mean": b[2],
                "base clust": b[3],
            }
        )
    return pd.DataFrame(rows)


def compare_methods(name: str, eps: float, seeds: int) -> pd.DataFrame:
    """The three degree mechanisms at the same budget (all of epsilon on the degrees)."""
    graph = load(name)
    degrees = np.array([d for _, d in graph.degree()], dtype=np.int64)
    true_pmf = np.bincount(degrees) / len(degrees)
    mean = degrees.mean()
    top = np.sort(degrees)[-10:]
    rows = []
    for method in ("cumulative", "sorted", "histogram"):
        res = []
        for seed in range(seeds):
            template = (
                NetworkTemplateExtractor(
                    epsilon=eps,
                    degree_method=method,
                    budget_split={"degree_histogram": 1.0},
                    random_state=seed,
                )
                .fit(graph)
                .template_
            )
            pmf = template.degree_distribution
            l1, ks, w1 = distances(pmf, true_pmf, mean)
            # the 10 largest degrees the released distribution implies
            quantiles = np.searchsorted(
                np.cumsum(pmf), (np.arange(len(degrees) - 10, len(degrees)) + 0.5) / len(degrees)
            )
            res.append([l1, ks, w1, float(np.mean(np.abs(quantiles - top) / top))])
        r = np.mean(res, axis=0)
        rows.append(
            {
                "graph": name,
                "degree_method": method,
                "L1": r[0],
                "KS": r[1],
                "W1/mean": r[2],
                "top-10 degree rel. err": r[3],
            }
        )
    return pd.DataFrame(rows)


def connector_fidelity(name: str) -> None:
    """Wire as many people as the graph has from its epsilon=1 template."""
    from personatwin_sklearn import SocialData
    from personatwin_sklearn.templates import TemplateConnector

    graph = load(name)
    template = NetworkTemplateExtractor(epsilon=1.0, random_state=0).fit(graph).template_
    n = graph.number_of_nodes()
    people = SocialData(pd.DataFrame({"person_id": np.arange(n)}), required_columns=())
    t0 = time.perf_counter()
    out = TemplateConnector(template=template, random_state=0).fit_transform(people)
    secs = time.perf_counter() - t0
    wired = out.to_networkx()
    wdeg = np.array([d for _, d in wired.degree()])
    pmf = template.degree_distribution
    _, ks, _ = distances(np.bincount(wdeg) / n, pmf, max(template.average_degree, 1e-9))
    lo, hi = template.errors["average_clustering"]["ci95"]
    print(
        f"TemplateConnector on {n:,} people from the {name} epsilon=1 template: "
        f"{out.n_connections:,} edges in {secs:.1f} s; degree KS to the template {ks:.3f}; "
        f"average degree {wdeg.mean():.2f} (template {template.average_degree:.2f}); "
        f"clustering {nx.average_clustering(wired):.3f} (template "
        f"{template.average_clustering:.3f}, 95% interval [{lo:.3f}, {hi:.3f}])"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graphs", default="ego-facebook,caltech")
    parser.add_argument("--epsilons", default="0.5,1,2")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--connector", action="store_true")
    parser.add_argument("--methods", action="store_true")
    args = parser.parse_args(argv)
    names = args.graphs.split(",")
    missing = [n for n in names if not GRAPHS[n].exists()]
    if missing:
        raise SystemExit(f"graph files not found for {missing} under {DATA}")
    epsilons = [float(e) for e in args.epsilons.split(",")]
    if args.methods:
        eps = 0.7
        table = pd.concat([compare_methods(n, eps, args.seeds) for n in names])
        print(
            f"degree_method at epsilon {eps} on the degrees ({args.seeds} seeds, max_degree=None):"
        )
        print(markdown(table))
        return
    tables = [run(name, epsilons, args.seeds) for name in names]
    print(f"\nMeans over {args.seeds} seeds (edge-DP, default budget split, max_degree=None):")
    print(markdown(pd.concat(tables, ignore_index=True)))
    if args.connector:
        print()
        for name in names:
            connector_fidelity(name)


if __name__ == "__main__":
    main()
