"""Attack figures before and after protection (run by hand, nothing is asserted).

::

    python benchmarks/bench_attacks.py              # sample population + Caltech36
    python benchmarks/bench_attacks.py --cv 3       # fewer folds for the edge classifier

For each case and release: the linkage attack (:func:`personatwin_sklearn.attacks.
linkage_attack`, all real people as targets, re-identified = a single candidate) in the
four adversary scopes, as ``success rate / expected success`` (expected success = mean
1/|candidates|), and the cross-validated ROC AUC of the synthetic-edge detector
(:func:`~personatwin_sklearn.attacks.synthetic_edge_detection_attack`, released features
only; in brackets with the ``strength``/``confidence``/``context`` columns shipped).

Releases: the unprotected data, :class:`SyntheticConnectionGenerator` with
``target_k`` 5 and 10 in both scopes, and the naive baseline "random edge addition":
``k - 1`` copies of every real connection's type from its first end to a uniformly random
person (network-structure protection that ignores what the partners are); and
:class:`KAnonymizer` (``k``, the case's quasi-identifiers) followed by the generator in
neighbourhood scope.  The attacks always use the true, ungeneralised values of
``original`` as the adversary's knowledge.
"""

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from personatwin_sklearn import KAnonymizer, SyntheticConnectionGenerator
from personatwin_sklearn.attacks import linkage_attack, synthetic_edge_detection_attack
from personatwin_sklearn.datasets import make_social_population
from personatwin_sklearn.io import read_pajek

CALTECH = Path(__file__).resolve().parents[2] / "shared/data/graphs/facebook100"
SCOPES = ("edge", "neighborhood", "qi", "combined")


def random_edge_addition(data, k, seed=0):
    """Naive baseline: k-1 random connections of the same type per real connection."""
    rng = np.random.default_rng(seed)
    edges = data.connections
    ids = data.ids.to_numpy()
    src = np.repeat(edges["person1_id"].to_numpy(), k - 1)
    dst = ids[rng.integers(0, len(ids), len(src))]
    ok = src != dst
    kinds = np.repeat(edges["connection_type"].to_numpy(), k - 1)[ok]
    new = pd.DataFrame({"person1_id": src[ok], "person2_id": dst[ok], "connection_type": kinds})
    return data.add(connections=new)


def releases(data, signature, qis):
    yield "none", data
    for k in (5, 10):
        for scope in ("edge", "neighborhood"):
            gen = SyntheticConnectionGenerator(
                target_k=k, scope=scope, signature=signature, random_state=0
            )
            yield f"generator {scope} k={k}", gen.fit_transform(data)
        yield f"random edges k={k}", random_edge_addition(data, k)
        anon = KAnonymizer(k=k, quasi_identifiers=qis).fit_transform(data)
        gen = SyntheticConnectionGenerator(
            target_k=k, scope="neighborhood", signature=signature, random_state=0
        )
        yield f"KAnonymizer + generator nbhd k={k}", gen.fit_transform(anon)


def run_case(name, data, signature, qis, cv):
    rows = []
    for label, release in releases(data, signature, qis):
        start = time.perf_counter()
        row = {
            "case": name,
            "release": label,
            "+edges": release.n_synthetic_connections,
            "+people": release.n_synthetic,
        }
        for scope in SCOPES:
            res = linkage_attack(
                data, release, scope=scope, signature=signature, quasi_identifiers=qis
            )
            row[scope] = f"{res.success_rate:.3f}/{res.expected_success:.3f}"
        if release.n_synthetic_connections >= cv:
            auc = synthetic_edge_detection_attack(release, cv=cv, random_state=0)
            leak = synthetic_edge_detection_attack(
                release, cv=cv, include_edge_attributes=True, random_state=0
            )
            row["edge AUC"] = f"{auc.auc:.3f} ({leak.auc:.3f})"
            row["top feature"] = auc.feature_importances.index[0]
        else:
            row["edge AUC"] = "-"
            row["top feature"] = "-"
        row["s"] = f"{time.perf_counter() - start:.1f}"
        rows.append(row)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", type=int, default=5)
    args = parser.parse_args()
    cases = [
        (
            "sample 1000",
            make_social_population(1000, random_state=0),
            None,
            ["age", "gender", "ethnicity", "zipcode"],
        ),
    ]
    net = CALTECH / "Caltech36.net"
    if net.exists():
        caltech = read_pajek(net, CALTECH / "Caltech36.nodelist", missing_value=None)
        cases.append(("Caltech36", caltech, ["gender", "year"], ["gender", "year", "dorm"]))
    else:
        print(f"(Caltech36 skipped: {net} is absent)")
    rows = []
    for name, data, signature, qis in cases:
        rows.extend(run_case(name, data, signature, qis, args.cv))
    table = pd.DataFrame(rows)
    print("linkage: success rate / expected success (mean 1/|candidates|), all real people")
    print(table.to_markdown(index=False) if _has_tabulate() else table.to_string(index=False))


def _has_tabulate():
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
