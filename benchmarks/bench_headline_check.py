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
of the other seeds (their own flags: leave one seed out) and reports its connection and
person AUC on each seed, beside the package's shadow AUCs (risk_metrics.json), each
with its direction (below 0.5: reversed).

Run: ``python benchmarks/bench_headline_check.py [--seeds 0 1 2 3 4] [--protection local
global] [--augment census] [--outside] [--keep DIR]`` (``--keep`` reuses the demo
outputs already in DIR).
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


# ----------------------------------------------------------------------------- outside detector
def _published(out):
    """People, connections and their flags, from the files (flags: the private files)."""
    people = pd.read_csv(f"{out}/pub/people.csv", dtype=str)
    conn = pd.read_csv(f"{out}/pub/connections.csv", dtype=str)
    pflags = pd.read_csv(f"{out}/priv/people_synthetic_flags.csv", dtype=str)
    cflags = pd.read_csv(f"{out}/priv/connections_synthetic_flags.csv", dtype=str)
    syn_people = set(pflags.loc[pflags["is_synthetic"].str.lower() == "true", "person_id"])
    y_people = people["person_id"].isin(syn_people).to_numpy(int)
    y_conn = (cflags["is_synthetic"].str.lower() == "true").to_numpy(int)
    return people, conn, y_people, y_conn


def _midpoint(label):
    """A released age as a number: ``"20-39"`` -> 29.5, ``"41"`` -> 41, ``"*"`` -> NaN."""
    m = re.fullmatch(r"(\d+)-(\d+)", str(label))
    if m:
        return (int(m.group(1)) + int(m.group(2))) / 2
    try:
        return float(label)
    except ValueError:
        return np.nan


def _outside_features(people, conn):
    """Simple features from the published files, written without the package."""
    pid = people["person_id"].tolist()
    pos = {p: i for i, p in enumerate(pid)}
    cols = [c for c in people.columns if c != "person_id"]
    attrs = [tuple(r) for r in people[cols].itertuples(index=False)]
    n = len(pid)
    a = [pos[x] for x in conn["person1_id"]]
    b = [pos[x] for x in conn["person2_id"]]
    kinds = conn["connection_type"].tolist()
    house = defaultdict(list)
    nbrs = defaultdict(set)
    for i, j, t in zip(a, b, kinds):
        house[i].append((t, attrs[j]))
        house[j].append((t if "|" in t else INVERSE.get(t, t), attrs[i]))
        nbrs[i].add(j)
        nbrs[j].add(i)
    key = [(attrs[i], tuple(sorted(house[i]))) if house[i] else None for i in range(n)]
    count = Counter(k for k in key if k is not None)
    twins = [count[k] - 1 if k is not None else 0 for k in key]
    qcols = [c for c in QIS if c in people.columns]
    qkey = [tuple(r) for r in people[qcols].itertuples(index=False)]
    qcount = Counter(qkey)
    qclass = [qcount[k] for k in qkey]
    k_min = min(qclass) if qclass else 0
    record = people.get("has_criminal_record", pd.Series(["*"] * n)).str.lower().tolist()
    spouses = Counter()
    for i, j, t in zip(a, b, kinds):
        if t == "SPOUSE":
            spouses[i] += 1
            spouses[j] += 1

    def age(i):
        try:
            return float(people["age"].iloc[i])
        except (ValueError, KeyError):
            return np.nan

    broken_edge, broken_person = [], [0] * n
    for i, j, t in zip(a, b, kinds):
        bad = i == j
        if t == "CO_DEFENDANT":
            for e in (i, j):
                if record[e] in ("false", "0"):
                    bad = True
                    broken_person[e] = 1
        if t == "SPOUSE" and (spouses[i] > 1 or spouses[j] > 1):
            bad = True
        if t in ("PARENT", "CHILD"):
            gap = age(j) - age(i) if t == "PARENT" else age(i) - age(j)
            if gap == gap and gap < 12:
                bad = True
                broken_person[i] = broken_person[j] = 1
        broken_edge.append(int(bad))
    for i in range(n):
        if spouses[i] > 1:
            broken_person[i] = 1
    deg = [len(house[i]) for i in range(n)]
    types = sorted(set(kinds))
    # connections of the same type (as seen from each end) and the ends' ages (midpoints)
    seen = Counter()
    for i, j, t in zip(a, b, kinds):
        seen[i, t] += 1
        seen[j, t if "|" in t else INVERSE.get(t, t)] += 1
    tdeg = [
        (seen[i, t], seen[j, t if "|" in t else INVERSE.get(t, t)]) for i, j, t in zip(a, b, kinds)
    ]
    mid = [_midpoint(x) for x in people["age"]] if "age" in people.columns else [np.nan] * n
    parent = list(range(n))  # components (union-find)

    def root(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in zip(a, b):
        parent[root(i)] = root(j)
    comp = Counter(root(i) for i in range(n))
    component = [comp[root(i)] for i in range(n)]
    edges = pd.DataFrame(
        {
            "deg_min": [min(deg[i], deg[j]) for i, j in zip(a, b)],
            "deg_max": [max(deg[i], deg[j]) for i, j in zip(a, b)],
            "type": [types.index(t) for t in kinds],
            "twins_min": [min(twins[i], twins[j]) for i, j in zip(a, b)],
            "twins_max": [max(twins[i], twins[j]) for i, j in zip(a, b)],
            "broken": broken_edge,
            "qclass_min": [min(qclass[i], qclass[j]) for i, j in zip(a, b)],
            "at_k": [int(qclass[i] == k_min) + int(qclass[j] == k_min) for i, j in zip(a, b)],
            "common": [len(nbrs[i] & nbrs[j]) for i, j in zip(a, b)],
            "tdeg_min": [min(x) for x in tdeg],
            "tdeg_max": [max(x) for x in tdeg],
            "age_gap": [abs(mid[i] - mid[j]) for i, j in zip(a, b)],
            "age_min": [min(mid[i], mid[j]) for i, j in zip(a, b)],
            "qclass_max": [max(qclass[i], qclass[j]) for i, j in zip(a, b)],
            "component": [component[i] for i in a],
            **{
                f"same_{c}": (people[c].to_numpy()[a] == people[c].to_numpy()[b]).astype(int)
                for c in ("zipcode", "ethnicity", "occupation", "gender")
                if c in people.columns
            },
        }
    )
    persons = pd.DataFrame(
        {
            "deg": deg,
            "twins": twins,
            "broken": broken_person,
            "qclass": qclass,
            "at_k": [int(q == k_min) for q in qclass],
            "component": component,
            "age": mid,
        }
    )
    return edges, persons, np.array(a), np.array(b)


def outside_detector(outs: dict) -> dict:
    """Leave one seed out: trained on the other seeds' releases and their own flags,
    the connection and person AUC on each seed (person features add the largest
    connection score of the person)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    data = {}
    for seed, out in outs.items():
        people, conn, yp, yc = _published(out)
        edges, persons, a, b = _outside_features(people, conn)
        data[seed] = (edges, persons, a, b, yp, yc)

    def fit(X, y):
        return HistGradientBoostingClassifier(random_state=0).fit(X, y)

    def person_x(persons, a, b, scores):
        top = np.zeros(len(persons))
        np.maximum.at(top, a, scores)
        np.maximum.at(top, b, scores)
        return persons.assign(edge_max=top)

    result = {}
    for seed in outs:
        others = [s for s in outs if s != seed and 0 < data[s][5].sum() < len(data[s][5])]
        edges, persons, a, b, yp, yc = data[seed]
        if not others or not (0 < yc.sum() < len(yc)):
            result[seed] = (None, None)
            continue
        model = fit(
            pd.concat([data[s][0] for s in others], ignore_index=True),
            np.concatenate([data[s][5] for s in others]),
        )
        edge_auc = roc_auc_score(yc, model.predict_proba(edges)[:, 1])
        px = [
            person_x(data[s][1], data[s][2], data[s][3], model.predict_proba(data[s][0])[:, 1])
            for s in others
        ]
        pmodel = fit(
            pd.concat(px, ignore_index=True), np.concatenate([data[s][4] for s in others])
        )
        mine = person_x(persons, a, b, model.predict_proba(edges)[:, 1])
        person_auc = (
            roc_auc_score(yp, pmodel.predict_proba(mine)[:, 1]) if 0 < yp.sum() < len(yp) else None
        )
        result[seed] = (float(edge_auc), None if person_auc is None else float(person_auc))
    return result


def _direction(auc):
    if auc is None or auc != auc:
        return None
    return f"{auc:.2f}" + (f" ({1 - auc:.2f} reversed)" if auc < 0.5 else "")


def write_block(table: pd.DataFrame, argv) -> None:
    """The table as markdown between ``<!-- bench_headline_check:NAME -->`` markers of
    docs/attacks.md (NAME: the protection(s) and augmentation of the run)."""
    doc = Path(__file__).resolve().parents[1] / "docs" / "attacks.md"
    argv = [a for a in argv if a != "--write"]
    keep = [i for i, a in enumerate(argv) if a == "--keep"]
    for i in reversed(keep):  # a local folder is not part of the command
        del argv[i : i + 2]
    name = "-".join(sorted(set(table["protection"]))) + (
        "-" + table.attrs["augment"] if table.attrs.get("augment") else ""
    )
    cols = [c for c in table.columns]
    head = "| " + " | ".join(cols) + " |"
    rule = "|" + "|".join("---" for _ in cols) + "|"
    body = [
        "| " + " | ".join("" if v != v or v is None else str(v) for v in row) + " |"
        for row in table.to_numpy()
    ]
    command = "python benchmarks/bench_headline_check.py " + " ".join(argv)
    text = "\n".join([head, rule, *body, "", f"`{command.strip()}`"])
    from _docs import write_block as write

    write(doc, f"bench_headline_check:{name}", text, append=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--protection", nargs="+", default=["local", "global"])
    parser.add_argument("--augment", default=None, help="e.g. census (demo --augment)")
    parser.add_argument("--keep", default=None, help="folder for (and reuse of) demo outputs")
    parser.add_argument(
        "--outside", action="store_true", help="also train the outside shadow detector"
    )
    parser.add_argument("--write", action="store_true", help="write the table into the doc")
    args = parser.parse_args(argv)
    rows, outs = [], defaultdict(dict)
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
                outs[protection][seed] = out
                meta = json.loads((out / "pub" / "risk_metrics.json").read_text())
                det = (meta.get("metadata") or meta).get("detector") or {}
                rows.append(
                    {
                        **row,
                        "printed_average": round(printed, 3),
                        "independent_average": round(indep, 3),
                        "ok (printed >= indep - 0.02)": bool(printed >= indep - 0.02),
                        "printed_certain": None
                        if printed_certain is None
                        else round(printed_certain, 3),
                        "independent_certain": round(indep_certain, 3),
                        "package_shadow_edge_auc": _direction(det.get("shadow_auc")),
                        "package_shadow_person_auc": _direction(det.get("shadow_person_auc")),
                    }
                )
        if args.outside:
            for protection, by_seed in outs.items():
                for seed, (edge_auc, person_auc) in outside_detector(by_seed).items():
                    for row in rows:
                        if row["protection"] == protection and row["seed"] == seed:
                            row["outside_edge_auc"] = _direction(edge_auc)
                            row["outside_person_auc"] = _direction(person_auc)
    table = pd.DataFrame(rows)
    table.attrs["augment"] = args.augment
    print(table.to_string(index=False))
    if args.write:
        write_block(table, argv if argv is not None else sys.argv[1:])
    ok = table.get("ok (printed >= indep - 0.02)")
    return 0 if ok is not None and ok.fillna(False).all() else 1


if __name__ == "__main__":
    sys.exit(main())
