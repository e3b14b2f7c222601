"""Attack figures of protected releases: the detector-equipped adversary (nothing asserted).

::

    python benchmarks/bench_attacks.py                  # detector table (~3-5 min, 2 busy cores)
    python benchmarks/bench_attacks.py --quick          # fewer folds and targets (~1-2 min)
    python benchmarks/bench_attacks.py --write          # also into docs/attacks.md
    python benchmarks/bench_attacks.py --linkage        # the linkage grid (~10 min)

**Detector table** (default).  For each release: the connections the protection added
(count and share of the released connections; augmentation's own household connections
apart), the detector suite (:func:`personatwin_sklearn.attacks.detector_suite`:
cross-validated ROC AUC on the release's own flags, TPR at 1% FPR, and the AUC of a
detector trained on a *shadow* release only), and the linkage attack's expected success
(mean 1/|candidates|) in the edge, neighbourhood and combined scopes: on the release as
published, then after the stripped-release attack
(:func:`~personatwin_sklearn.attacks.stripped_release_attack`) with the shadow detector's
scores (what a real adversary can do) and with the cross-validated scores (the generous
upper bound).  The effective k is ``1 / expected success`` of the edge scope after the
shadow strip.

Cases:

- sample population (``make_social_population(1000, random_state=0)``),
  ``create_safe_personas(privacy_level="high", protection="global")``, with and without
  augmentation (``augment_with_synthetic=True, synthetic_source="census",
  synthetic_ratio=2.0``).
  Shadow: the same call on ``make_social_population(1000, random_state=1)``.
- Caltech36 (Facebook100), ``SyntheticConnectionGenerator(target_k=10, scope="edge")``
  with signature ``gender, year``; quasi-identifiers ``gender, year, dorm``.
- SNAP ego-Facebook (4,039 people, 88,234 connections).  Its only usable attributes are
  the egonets' anonymised ``gender`` and ``locale`` feature ids (84 people have no
  gender: "unknown").  An edge-scope pattern of partner gender is never rare there (the
  generator adds nothing), so the protection is the degree-only pattern: signature
  ``()`` in neighbourhood scope, i.e. k-degree anonymity (Liu & Terzi) at k = 10;
  quasi-identifiers ``gender, locale``.  Targets: a sample of 500 (300 with ``--quick``).
- Shadow of the two graphs (no second Facebook100 school is at hand): the same protection
  run on the graph induced by a random half of its people.  It shares real connections
  with the target, so the shadow AUC there is generous.

**Linkage grid** (``--linkage``): the linkage attack in the four scopes on the releases
of the generator at k = 5 and 10 in both scopes, random edge addition and KAnonymizer +
generator, on the sample population and Caltech36 (the earlier table of
``docs/attacks.md``).
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from personatwin_sklearn import (
    KAnonymizer,
    SocialData,
    SyntheticConnectionGenerator,
    create_safe_personas,
)
from personatwin_sklearn._social_data import AUGMENTATION_CONTEXT
from personatwin_sklearn.attacks import (
    detector_suite,
    linkage_attack,
    stripped_release_attack,
    strongest_headline,
    synthetic_edge_detection_attack,
)
from personatwin_sklearn.datasets import make_social_population
from personatwin_sklearn.io import read_pajek, read_snap_edgelist

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "graphs"
CALTECH = DATA / "facebook100"
SNAP = DATA / "snap_ego_facebook"
DOC = ROOT / "docs" / "attacks.md"
STRIP_SCOPES = ("edge", "neighborhood", "combined")
LINKAGE_SCOPES = ("edge", "neighborhood", "qi", "combined")


# ----------------------------------------------------------------------------- data
def snap_attributes(folder: Path, kinds=("gender", "locale")) -> pd.DataFrame:
    """Per node of SNAP ego-Facebook: the anonymised feature id of each kind (first egonet
    that records one), from the egonets' ``.feat`` / ``.egofeat`` / ``.featnames``."""
    frames = []
    for names in sorted((folder / "egonets").glob("*.featnames")):  # 10 egonets
        spec = pd.DataFrame(
            [line.split(" ", 1) for line in names.read_text().splitlines()],
            columns=["col", "name"],
        ).astype({"col": int})
        feat = np.loadtxt(names.with_suffix(".feat"), dtype=np.int64, ndmin=2)
        ego = np.loadtxt(names.with_suffix(".egofeat"), dtype=np.int64, ndmin=2)
        values = np.vstack([feat[:, 1:], ego])
        out = pd.DataFrame({"person_id": np.r_[feat[:, 0], int(names.stem)]})
        for kind in kinds:
            cols = spec[spec["name"].str.startswith(kind + ";")]
            labels = cols["name"].str.rsplit(" ", n=1).str[-1].to_numpy(dtype=object)
            sub = values[:, cols["col"].to_numpy()]
            out[kind] = np.where(sub.any(axis=1), labels[sub.argmax(axis=1)], None)
        frames.append(out)
    return pd.concat(frames, ignore_index=True).groupby("person_id", as_index=False).first()


def load_snap() -> SocialData:
    graph = read_snap_edgelist(SNAP / "facebook_combined.txt")
    people = graph.people.merge(snap_attributes(SNAP), on="person_id", how="left")
    people = people.fillna({"gender": "unknown", "locale": "unknown"})
    return SocialData(people, graph.connections, required_columns=())


def load_caltech() -> SocialData:
    return read_pajek(
        CALTECH / "Caltech36.net", CALTECH / "Caltech36.nodelist", missing_value=None
    )


def half(data: SocialData, seed: int) -> SocialData:
    """The graph induced by a random half of the people (a shadow population)."""
    keep = np.random.default_rng(seed).random(len(data)) < 0.5
    return data.loc[keep]


# ----------------------------------------------------------------------------- cases
def sample_case(augment: bool):
    def protect(seed):
        data = make_social_population(1000, random_state=seed)
        kwargs = (
            dict(augment_with_synthetic=True, synthetic_source="census", synthetic_ratio=2.0)
            if augment
            else {}
        )
        result = create_safe_personas(
            data, privacy_level="high", protection="global", random_state=seed, **kwargs
        )
        return data, result.data

    original, release = protect(0)
    _, shadow = protect(1)
    label = "high, augmented x2" if augment else "high"
    return dict(
        case="sample 1000",
        release=label,
        original=original,
        protected=release,
        shadow=shadow,
        signature=None,
        qis=["age", "gender", "ethnicity", "zipcode"],
        n_targets=None,
    )


def graph_case(name, data, generator, signature, qis, n_targets):
    release = generator.fit_transform(data)
    shadow = generator.fit_transform(half(data, seed=1))
    return dict(
        case=name,
        release=f"generator {generator.scope} k={generator.target_k}",
        original=data,
        protected=release,
        shadow=shadow,
        signature=signature,
        qis=qis,
        n_targets=n_targets,
    )


def cases(quick: bool):
    yield sample_case(augment=False)
    yield sample_case(augment=True)
    if (CALTECH / "Caltech36.net").exists():
        gen = SyntheticConnectionGenerator(
            target_k=10,
            scope="edge",
            signature=["gender", "year"],
            on_infeasible="ignore",
            random_state=0,
        )
        yield graph_case(
            "Caltech36", load_caltech(), gen, ["gender", "year"], ["gender", "year", "dorm"], None
        )
    else:
        print(f"(Caltech36 skipped: {CALTECH} is absent)", file=sys.stderr)
    if (SNAP / "facebook_combined.txt").exists():
        gen = SyntheticConnectionGenerator(
            target_k=10, scope="neighborhood", signature=[], random_state=0
        )
        yield graph_case(
            "SNAP ego-Facebook", load_snap(), gen, [], ["gender", "locale"], 300 if quick else 500
        )
    else:
        print(f"(SNAP ego-Facebook skipped: {SNAP} is absent)", file=sys.stderr)


# ----------------------------------------------------------------------------- figures
def _triple(values) -> str:
    return " / ".join(f"{v:.3f}" for v in values)


def detector_row(spec, cv: int) -> dict:
    start = time.perf_counter()
    release, original = spec["protected"], spec["original"]
    edges = release.connections
    synthetic = edges["is_synthetic"].to_numpy(dtype=bool)
    augmentation = synthetic & (edges["context"].astype(str) == AUGMENTATION_CONTEXT).to_numpy()
    protection = synthetic & ~augmentation
    row = {
        "case": spec["case"],
        "release": spec["release"],
        "added connections (share)": f"{protection.sum():,} ({protection.mean():.1%})",
        "augmentation connections": f"{augmentation.sum():,}",
        "added people": f"{release.n_synthetic:,}",
    }
    shadow = spec["shadow"]
    has_shadow = 0 < shadow.n_synthetic_connections < shadow.n_connections
    suite = detector_suite(
        release,
        cv=cv,
        shadow=shadow if has_shadow else None,
        importances=False,
        random_state=0,
    )
    row["AUC"] = f"{suite.auc:.3f}"
    row["TPR@1%FPR"] = f"{suite.tpr_at_1pct_fpr:.3f}"
    row["shadow AUC"] = f"{suite.shadow_auc:.3f}" if has_shadow else "-"
    common = dict(
        scopes=STRIP_SCOPES,
        signature=spec["signature"],
        quasi_identifiers=spec["qis"],
        n_targets=spec["n_targets"],
        random_state=0,
    )
    unprotected = [
        linkage_attack(
            original,
            original,
            scope=scope,
            signature=spec["signature"],
            quasi_identifiers=spec["qis"],
            n_targets=spec["n_targets"],
            random_state=0,
        ).expected_success
        for scope in STRIP_SCOPES
    ]
    row["expected success e / n / c: unprotected"] = _triple(unprotected)
    cross = stripped_release_attack(original, release, scores=suite.scores, **common)
    row["published"] = _triple(
        cross.per_scope.loc[list(STRIP_SCOPES), "expected_success_unstripped"]
    )
    if has_shadow:
        strip = stripped_release_attack(original, release, scores=suite.shadow_scores, **common)
        row["stripped (shadow)"] = _triple(
            strip.per_scope.loc[list(STRIP_SCOPES), "expected_success"]
        )
        row["edge k eff. (shadow)"] = f"{strip.effective_k('edge'):.1f}"
    else:
        row["stripped (shadow)"] = "-"
        row["edge k eff. (shadow)"] = "-"
    row["stripped (cross-val.)"] = _triple(
        cross.per_scope.loc[list(STRIP_SCOPES), "expected_success"]
    )
    scores = {"cross-validated": suite.scores}
    if has_shadow:
        scores["shadow"] = suite.shadow_scores
    strongest = strongest_headline(
        original,
        release,
        quasi_identifiers=spec["qis"],
        signature=spec["signature"],
        scores=scores,
        n_targets=spec["n_targets"],
        random_state=0,
    )
    after = strongest["after"]
    row["strongest headline: average / certain"] = (
        f"{after['average']:.3f} / {after['certain']:.3f}"
    )
    row["strongest adversary"] = strongest["strongest_adversary"]
    row["s"] = f"{time.perf_counter() - start:.0f}"
    return row


# ----------------------------------------------------------------------------- linkage grid
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


def linkage_releases(data, signature, qis):
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


def linkage_rows(cv: int) -> list:
    cases = [
        (
            "sample 1000",
            make_social_population(1000, random_state=0),
            None,
            ["age", "gender", "ethnicity", "zipcode"],
        )
    ]
    if (CALTECH / "Caltech36.net").exists():
        cases.append(("Caltech36", load_caltech(), ["gender", "year"], ["gender", "year", "dorm"]))
    rows = []
    for name, data, signature, qis in cases:
        for label, release in linkage_releases(data, signature, qis):
            start = time.perf_counter()
            row = {
                "case": name,
                "release": label,
                "+edges": release.n_synthetic_connections,
                "+people": release.n_synthetic,
            }
            for scope in LINKAGE_SCOPES:
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


# ----------------------------------------------------------------------------- scale
def scale_release(n: int, seed: int = 0):
    """``random_population(n)`` (benchmarks/_populations.py) and a release of it: the
    quasi-identifiers k-anonymised (k=10) and 10% more connections, flagged synthetic,
    between random people; a detector score per connection (the flags plus noise)."""
    from _populations import random_population

    data = random_population(n, seed=seed, quasi_identifiers=True)
    anon = KAnonymizer(k=10, quasi_identifiers=["age", "gender", "ethnicity", "zipcode"])
    release = anon.fit_transform(data)
    rng = np.random.default_rng(seed)
    m = n // 10 * 3 // 10  # 10% of the 3 connections per person
    ids = release.ids.to_numpy()
    a, b = ids[rng.integers(0, n, m)], ids[rng.integers(0, n, m)]
    kinds = release.connections["connection_type"].astype(str).to_numpy()[rng.integers(0, n, m)]
    ok = a != b
    new = pd.DataFrame({"person1_id": a[ok], "person2_id": b[ok], "connection_type": kinds[ok]})
    release = release.add(connections=new)
    flags = release.connections["is_synthetic"].to_numpy(float)
    scores = 0.6 * flags + 0.4 * rng.random(len(flags))
    return data, release, scores


def scale_row(n: int) -> dict:
    """Time and peak memory of :func:`~personatwin_sklearn.attacks.strongest_headline`
    on :func:`scale_release` (targets sampled beyond 5,000 real people, CI printed)."""
    import resource

    from personatwin_sklearn.attacks import strongest_headline

    data, release, scores = scale_release(n)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    start = time.perf_counter()
    h = strongest_headline(data, release, scores={"noisy flags": scores})
    elapsed = time.perf_counter() - start
    after = h["after"]
    return {
        "people": f"{n:,}",
        "connections": f"{release.n_connections:,}",
        "targets": f"{h['n_targets']:,}" + (" (sampled)" if h["sampled"] else ""),
        "adversaries": len(h["adversaries"]),
        "headline average": f"{after['average']:.3f} +/- {after['ci95']:.3f}",
        "certain": f"{after['certain']:.3f}",
        "seconds": f"{elapsed:.1f}",
        "peak GB (process)": f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f}",
        "GB before the attack": f"{base:.2f}",
    }


# ----------------------------------------------------------------------------- output
def markdown(rows: list) -> str:
    table = pd.DataFrame(rows)
    head = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in table.to_numpy()]
    return "\n".join([head, rule, *body])


def write_block(text: str, name: str) -> None:
    """Replace the text between ``<!-- bench_attacks:NAME -->`` and its end marker."""
    from _docs import write_block as write

    write(DOC, f"bench_attacks:{name}", text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="cv=3 and fewer SNAP targets")
    parser.add_argument("--cv", type=int, default=None, help="detector folds (default 5, quick 3)")
    parser.add_argument("--write", action="store_true", help="write the table into the doc")
    parser.add_argument("--linkage", action="store_true", help="the linkage grid instead")
    parser.add_argument(
        "--scale", type=int, nargs="+", default=None, help="strongest_headline at these sizes"
    )
    parser.add_argument("--scale-one", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_one:
        print(json.dumps(scale_row(args.scale_one)))
        return
    if args.scale:  # one process per size: its own peak memory
        rows = []
        for n in args.scale:
            done = subprocess.run(
                [sys.executable, __file__, "--scale-one", str(n)],
                capture_output=True,
                text=True,
                check=True,
            )
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        text = markdown(rows) + (
            f"\n\n`python benchmarks/bench_attacks.py --scale {' '.join(map(str, args.scale))}`"
        )
        print(text)
        if args.write:
            write_block(text, "scale")
        return
    cv = args.cv or (3 if args.quick else 5)
    start = time.perf_counter()
    if args.linkage:
        rows, name = linkage_rows(cv), "linkage"
    else:
        rows, name = [detector_row(spec, cv) for spec in cases(args.quick)], "detector"
    elapsed = time.perf_counter() - start
    command = "python benchmarks/bench_attacks.py" + (" --linkage" if args.linkage else "")
    command += " --quick" if args.quick else ""
    command += f" --cv {args.cv}" if args.cv else ""
    text = (
        markdown(rows) + f"\n\n`{command}`: cv={cv}, {elapsed / 60:.1f} min on this machine "
        f"(s: seconds per row, indicative only on shared cores)."
    )
    print(text)
    if args.write:
        write_block(text, name)


if __name__ == "__main__":
    main()
