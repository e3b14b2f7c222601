"""Independent check of the printed headline: ``personatwin demo --seed S``, S = 0..4.

For each seed it runs the CLI, reads the printed headline average and certain share,
then recomputes a per-person worst-scope linkage from the *published files only*
(people.csv, connections.csv) plus the private flag files for the ground truth, and the
original population (``make_social_population(1000, random_state=S)``, what the demo
protects) for the adversary's knowledge.  Written in plain Python and pandas, without
the package's matchers or pattern engine:

- a released label is consistent with a true value when equal, a ``lo-hi`` range that
  overlaps it (ages: the adversary knows the partner's 5-year bucket), a ``802**``
  prefix, a ``a|b`` group containing it, or ``*``;
- scopes: qi (age, gender, ethnicity, zipcode), edge (any one true connection pattern:
  the holders of a consistent released connection), neighbourhood (every true
  connection assigned to a distinct consistent released connection: Kuhn's matching),
  combined (both); uniform pick among the candidates; per person the worst scope.

It also trains an *outside* shadow detector (HistGradientBoosting on simple published-
file features: endpoint degrees, type, twin household, broken rule) on the releases
of the other seeds and reports its connection and person AUC on each seed, beside the
package's shadow AUC (risk_metrics.json).

Run: ``python benchmarks/bench_headline_check.py [--seeds 0 1 2 3 4]``
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

INVERSE = {"PARENT": "CHILD", "CHILD": "PARENT", "GRANDPARENT": "GRANDCHILD",
           "GRANDCHILD": "GRANDPARENT", "GUARDIAN": "WARD", "WARD": "GUARDIAN",
           "VICTIM": "OFFENDER", "OFFENDER": "VICTIM"}  # fmt: skip
QIS = ["age", "gender", "ethnicity", "zipcode"]
SIG = ["gender", "age", "occupation", "has_criminal_record"]


def fits(true, label, *, bucket=None, column=""):
    label = str(label)
    if label == "*":
        return True
    if column == "age":
        lo, hi = (true, true) if bucket is None else bucket
        m = re.fullmatch(r"(\d+)-(\d+)", label)
        if m:
            return int(m.group(1)) <= hi and lo <= int(m.group(2))
        try:
            v = float(label)
        except ValueError:
            return False
        return lo <= v <= hi
    true = str(true)
    if label == true:
        return True
    if "|" in label:
        return true in label.split("|")
    if label.endswith("*"):
        stem = label.rstrip("*")
        return len(label) == len(true) and true.startswith(stem)
    return False


def run_demo(seed, out, protection="local", augment=None):
    """Run the demo into ``out`` (or reuse its printed output there); the printed text."""
    log = Path(out) / "stdout.txt"
    if log.exists():
        text = log.read_text()
    else:
        cmd = ["personatwin", "demo", "--seed", str(seed), "--out", f"{out}/pub",
               "--private-out", f"{out}/priv", "--protection", protection]  # fmt: skip
        if augment:
            cmd += ["--augment", augment]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["?"])[-1]
            raise RuntimeError(f"demo --seed {seed} --protection {protection} failed: {tail}")
        text = done.stdout
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(text)
    avg = re.search(r"headline risk.*?: average [\d.]+% -> ([\d.]+)%", text)
    cert = re.search(r"certainty[^:]*: ([\d.]+)%", text)
    return (
        float(avg.group(1)) / 100 if avg else float("nan"),
        float(cert.group(1)) / 100 if cert else None,
    )


def independent(seed, out):
    from personatwin_sklearn.datasets import make_social_population

    original = make_social_population(1000, random_state=seed, domain="criminal_justice")
    op = original.people.set_index("person_id")
    pub = pd.read_csv(f"{out}/pub/people.csv", dtype=str).set_index("person_id")
    conn = pd.read_csv(f"{out}/pub/connections.csv", dtype=str)
    flags = pd.read_csv(f"{out}/priv/people_synthetic_flags.csv", dtype=str)
    real = flags[flags["is_synthetic"].str.lower() == "false"]
    truth = dict(zip(real["original_person_id"].astype(str), real["person_id"]))
    # released connections per released person: (type seen, partner labels)
    rel = defaultdict(list)
    for a, b, t in conn[["person1_id", "person2_id", "connection_type"]].itertuples(False):
        rel[a].append((t, tuple(pub.loc[b, c] for c in SIG)))
        rel[b].append((t if "|" in t else INVERSE.get(t, t), tuple(pub.loc[a, c] for c in SIG)))
    known = defaultdict(list)
    for a, b, t in original.connections[
        ["person1_id", "person2_id", "connection_type"]
    ].itertuples(False):
        for o, p, s in ((a, b, t), (b, a, INVERSE.get(t, t))):
            row = op.loc[p]
            lo = int(row["age"] // 5 * 5)
            known[str(o)].append((s, tuple(row[c] for c in SIG), (lo, lo + 4)))

    cache = {}

    def consistent(k, r):
        key = (k, r)
        if key not in cache:
            (ks, kv, kb), (rs, rv) = k, r
            ok = fits(ks, rs, column="type")
            for c, tv, lv in zip(SIG, kv, rv):
                ok = ok and fits(tv, lv, bucket=kb if c == "age" else None, column=c)
            cache[key] = ok
        return cache[key]

    pattern_holders = defaultdict(set)
    distinct_r = defaultdict(set)
    for v, lst in rel.items():
        for r in lst:
            distinct_r[r].add(v)

    def holders(k):
        if k not in pattern_holders:
            out = set()
            for r, vs in distinct_r.items():
                if consistent(k, r):
                    out |= vs
            pattern_holders[k] = out
        return pattern_holders[k]

    def matches(ks, rs):
        owner = [-1] * len(rs)

        def aug(i, seen):
            for j, r in enumerate(rs):
                if j not in seen and consistent(ks[i], r):
                    seen.add(j)
                    if owner[j] < 0 or aug(owner[j], seen):
                        owner[j] = i
                        return True
            return False

        return all(aug(i, set()) for i in range(len(ks)))

    everyone = list(pub.index)
    qi_arr = {c: pub[c].to_numpy() for c in QIS}
    worst, certain = [], []
    for pid, v in truth.items():
        row = op.loc[int(pid)] if int(pid) in op.index else op.loc[pid]
        qi_ok = np.ones(len(everyone), bool)
        for c in QIS:
            qi_ok &= np.array([fits(row[c], x, column=c) for x in qi_arr[c]])
        qi_set = {everyone[i] for i in np.flatnonzero(qi_ok)}
        probs = [1 / len(qi_set) if v in qi_set else 0.0]
        ks = known.get(pid, [])
        if ks:
            sets = [holders(k) for k in set(ks)]
            probs.append(max((1 / len(s) if v in s else 0.0) for s in sets))
            base = set.intersection(*sets)
            need = Counter(ks)
            nb = {u for u in base if len(rel[u]) >= len(ks) and matches(list(ks), rel[u])}
            del need
            probs.append(1 / len(nb) if v in nb else 0.0)
            comb = nb & qi_set
            probs.append(1 / len(comb) if v in comb else 0.0)
        worst.append(max(probs))
        certain.append(max(probs) == 1.0)
    return float(np.mean(worst)), float(np.mean(certain))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--protection", nargs="+", default=["local", "global"])
    parser.add_argument("--augment", default=None, help="e.g. census (demo --augment)")
    parser.add_argument("--keep", default=None, help="folder for (and reuse of) demo outputs")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep or tmp)
        for protection in args.protection:
            for seed in args.seeds:
                out = (
                    root / f"{protection}{'-' + args.augment if args.augment else ''}" / f"s{seed}"
                )
                row = {"protection": protection, "seed": seed}
                try:
                    printed, printed_certain = run_demo(seed, out, protection, args.augment)
                except RuntimeError as exc:
                    rows.append({**row, "failed": str(exc)[:120]})
                    continue
                indep, indep_certain = independent(seed, out)
                meta = json.loads((out / "pub" / "risk_metrics.json").read_text())
                det = (meta.get("metadata") or meta).get("detector") or {}
                rows.append(
                    {
                        **row,
                        "printed_average": round(printed, 3),
                        "independent_average": round(indep, 3),
                        "ok (printed >= indep - 0.02)": bool(printed >= indep - 0.02),
                        "printed_certain": printed_certain,
                        "independent_certain": round(indep_certain, 3),
                        "package_shadow_auc": det.get("shadow_auc_direction")
                        or det.get("shadow_auc"),
                    }
                )
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    ok = table.get("ok (printed >= indep - 0.02)")
    return 0 if ok is not None and ok.fillna(False).all() else 1


if __name__ == "__main__":
    sys.exit(main())
