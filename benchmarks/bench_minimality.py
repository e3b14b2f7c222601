"""The minimality attack on the local protection, measured from the release alone.

    python benchmarks/bench_minimality.py              # sample population, seeds 0 1 2
    python benchmarks/bench_minimality.py --seeds 0    # one seed
    python benchmarks/bench_minimality.py --write      # also into docs/attacks.md

The local recoding (``NeighborhoodKAnonymizer``) coarsens a connection type, a partner's
occupation or a partner's flag only where a group of people differs: a coarse value says
"this slot mixed values", that is, "this pattern was rare" (the minimality attack of Wong et
al., 2007). An adversary who knows the algorithm and its group size ``k`` (both public:
the release's metadata names them) can use it. For each known connection of a target (type,
partner gender, partner age in 5-year buckets, partner occupation, partner flag), the
released people consistent with it split into those consistent through an *exact*
connection (single type, exact occupation and flag) and those consistent only through a
*coarse* one; the minimality adversaries then guess:

- ``common => exact``: when at least ``k`` released people hold the pattern exactly, the
  target's own connection was not coarsened: the candidates are the exact holders;
- ``rare => coarse``: when fewer than ``k`` do, the target's connection was coarsened: the
  candidates are the coarse holders.

Success is 1 / candidates when the target is among them, else 0 (a wrong guess loses the
target). Per real person the strongest of the plain edge adversary (every consistent
holder) and the two guesses, over the person's connections. The attack is computed from
the published values and plain pandas, without the package's linkage; the package's
combined-scope linkage (every connection known: the scope the headline takes on this
population) is run only to count the people for whom the minimality guess does better.

The headline counts the package's own minimality adversary
(``personatwin_sklearn.attacks.minimality_attack``, every pattern scope); its combined-scope
average is printed beside the uniform pick's. The table also gives how well "has a coarse
connection" predicts "the true pattern was rare" (fewer than ``k`` people hold it exactly in
the original, 5-year partner ages): the signal the attack reads, as an AUC (0.5: none).
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "attacks.md"
SIGNATURE = ("gender", "age", "occupation", "has_criminal_record")
AGE_BIN = 5


def _ends(connections, inverse):
    """Each connection from both ends: owner, partner, type as the owner sees it."""
    a = connections["person1_id"].to_numpy()
    b = connections["person2_id"].to_numpy()
    t = connections["connection_type"].astype(str).to_numpy()
    seen = np.array(["|".join(sorted({inverse.get(x, x) for x in s.split("|")})) for s in t])
    return pd.DataFrame({"owner": np.r_[a, b], "partner": np.r_[b, a], "type": np.r_[t, seen]})


def _interval(label):
    text = str(label)
    if text == "*":
        return (-1.0, 1e9)
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)", text)
    if m:
        return (float(m.group(1)), float(m.group(2)))
    return (float(text), float(text))


def _covers(label, value) -> bool:
    text = str(label)
    return text == "*" or str(value) in text.split("|")


def _consistent(known, published) -> bool:
    """A known connection (type, gender, age bucket start, occupation, flag) against a
    published one (type label, gender, age label, occupation, flag labels)."""
    t, g, a, o, f = known
    pt, pg, pa, po, pf = published
    lo, hi = _interval(pa)
    return (
        t in pt.split("|")
        and _covers(pg, g)
        and lo <= a + AGE_BIN - 1
        and hi >= a
        and _covers(po, o)
        and _covers(pf, f)
    )


def _coarse(published) -> bool:
    """Coarsened for a pattern's sake: a type group, an occupation set or a flag "*"."""
    pt, _, _, po, pf = published
    return "|" in pt or "|" in str(po) or str(po) == "*" or str(pf) == "*"


def measure(original, release, k):
    """Per real person: plain edge success, minimality success, coarse flag, rare flag."""
    inverse = original.domain.inverse
    truth = original.people.set_index(original.id_col)
    pub = release.people.set_index(release.id_col)
    known = _ends(original.connections, inverse)
    known = known[~truth["is_synthetic"].reindex(known["owner"]).to_numpy(bool)]
    p = truth.loc[known["partner"].to_numpy()]
    known["key"] = list(
        zip(
            known["type"],
            p["gender"].astype(str),
            (p["age"].to_numpy() // AGE_BIN * AGE_BIN).astype(int),
            p["occupation"].astype(str),
            p["has_criminal_record"].astype(str),
            strict=True,
        )
    )
    released = _ends(release.connections, inverse)
    q = pub.loc[released["partner"].to_numpy()]
    released["key"] = list(
        zip(
            released["type"],
            q["gender"].astype(str),
            q["age"].astype(str),
            q["occupation"].astype(str),
            q["has_criminal_record"].astype(str),
            strict=True,
        )
    )
    released["coarse"] = [_coarse(key) for key in released["key"]]
    kk, rk = pd.unique(known["key"]), pd.unique(released["key"])
    pairs = [(i, j) for i, a in enumerate(kk) for j, b in enumerate(rk) if _consistent(a, b)]
    pairs = pd.DataFrame(pairs, columns=["kk", "rk"])
    released["rk"] = pd.Index(rk).get_indexer(released["key"])
    known["kk"] = pd.Index(kk).get_indexer(known["key"])
    hold = pairs.merge(released[["rk", "owner", "coarse"]], on="rk")
    # per known pattern: owners consistent through an exact / a coarse connection
    exact = hold[~hold["coarse"]][["kk", "owner"]].drop_duplicates()
    coarse = hold[hold["coarse"]][["kk", "owner"]].drop_duplicates()
    every = hold[["kk", "owner"]].drop_duplicates()
    n = {
        name: frame.groupby("kk").size().reindex(range(len(kk)), fill_value=0).to_numpy()
        for name, frame in (("P", every), ("E", exact), ("C", coarse))
    }
    member = {
        name: set(zip(frame["kk"], frame["owner"], strict=True))
        for name, frame in (("P", every), ("E", exact), ("C", coarse))
    }
    rows = known[["owner", "kk"]].to_numpy()
    success = {}
    for name in ("P", "E", "C"):
        inside = np.array([(c, o) in member[name] for o, c in rows])
        size = n[name][rows[:, 1].astype(int)]
        success[name] = np.where(inside & (size > 0), 1.0 / np.maximum(size, 1), 0.0)
    sizes_e = n["E"][rows[:, 1].astype(int)]
    common = np.where(sizes_e >= k, success["E"], success["P"])
    rare = np.where((sizes_e < k) & (n["C"][rows[:, 1].astype(int)] > 0), success["C"],
                    success["P"])  # fmt: skip
    frame = pd.DataFrame(
        {"owner": rows[:, 0], "plain": success["P"], "common": common, "rare": rare}
    )
    per = frame.groupby("owner").max()
    per["minimality"] = per[["plain", "common", "rare"]].max(axis=1)
    # the signal: does a person's own released connection look coarse where the pattern
    # was rare in the original?
    own = released.groupby("owner")["coarse"].any()
    exact_holders = known.groupby("kk")["owner"].nunique()
    known["rare"] = exact_holders.reindex(known["kk"]).to_numpy() < k
    per["coarse"] = own.reindex(per.index).fillna(False).to_numpy(bool)
    per["rare_truth"] = known.groupby("owner")["rare"].any().reindex(per.index).to_numpy(bool)
    return per


def _auc(score, label) -> float:
    from sklearn.metrics import roc_auc_score

    if label.all() or not label.any():
        return float("nan")
    return float(roc_auc_score(label, score.astype(float)))


def _combined(data, result, ids):
    """Per person of ``ids``, the package's combined-scope success (uniform pick): the
    adversary who knows every connection, whose figure the headline takes."""
    from personatwin_sklearn.attacks import linkage_attack

    md = result.metadata
    table = linkage_attack(
        data, result.data, quasi_identifiers=list(md["quasi_identifiers"]), scope="combined",
        signature=list(md["pattern_signature"]), age_bin=md["age_bin"], random_state=0,
    ).per_target  # fmt: skip
    success = table.set_index("target_id")["success_probability"]
    return success.reindex(ids).fillna(0.0).to_numpy(float)


def run(seeds):
    from personatwin_sklearn import create_safe_personas
    from personatwin_sklearn.datasets import make_social_population

    lines = [
        "| seed | k | headline | combined, uniform | combined, minimality | edge (package) | "
        "edge, plain (here) | edge + minimality (here) | people it helps | "
        "above their combined-scope success | certain, minimality (here) | "
        "coarse predicts rare (AUC) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for seed in seeds:
        data = make_social_population(1000, random_state=seed)
        result = create_safe_personas(data, random_state=seed)
        k = int(result.metadata["k"])
        per = measure(data, result.data, k)
        n_real = int((~data.is_synthetic).sum())
        # people without connections: the edge adversary knows nothing of them (success 0)
        plain = per["plain"].sum() / n_real
        mini = per["minimality"].sum() / n_real
        helped = int((per["minimality"] > per["plain"] + 1e-12).sum())
        certain = int((per["minimality"] >= 1.0).sum())
        combined = _combined(data, result, per.index)
        above = int((per["minimality"].to_numpy() > combined + 1e-12).sum())
        head = result.metadata["headline"]
        listed = {
            a["name"].split(" ")[0]: a["average"]
            for a in head["adversaries"]
            if a["scope"] == "combined"
        }
        edge = head["scopes"]["edge"]["after"]["average"]
        lines.append(
            f"| {seed} | {k} | {head['after']['average']:.1%} | {listed['uniform']:.1%} | "
            f"{listed.get('minimality', float('nan')):.1%} | {edge:.1%} | {plain:.1%} | "
            f"{mini:.1%} | {helped} ({helped / n_real:.1%}) | {above} | {certain / n_real:.1%} | "
            f"{_auc(per['coarse'].to_numpy(), per['rare_truth'].to_numpy()):.2f} |"
        )
        print(lines[-1], flush=True)
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--write", action="store_true", help="also into docs/attacks.md")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    lines = run(args.seeds)
    print("\n".join(lines[:2]))
    print("\n".join(lines[2:]))
    print(f"\n{time.perf_counter() - start:.0f} s")
    if args.write:
        from _docs import write_block

        write_block(DOC, "bench_minimality", "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
