"""Time and peak memory of every step at 10k / 100k / 1M people, with plain-Python baselines.

Run by hand::

    python benchmarks/run_all.py                      # 10k and 100k people
    python benchmarks/run_all.py --sizes 10k,100k,1M --timeout 600
    python benchmarks/run_all.py --steps patterns,kanon-count --sizes 1M

Every (step, size) runs in a fresh subprocess, so its peak RSS
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is its own: it includes the interpreter,
the imports and the population (3 typed edges per person, from
``benchmarks/_populations.py`` with zip codes and ethnicity).  The RSS reached before the
step starts is printed too.  Each worker first runs its step once on 300 people, so
imports and cached census tables are not timed.  Steps:

- ``patterns``: ``ConnectionPatternAnalyzer(k=10).fit`` (edge scope, default signature);
  baseline: one Python loop over the edges filling a dict of sets.
- ``kanon-count``: ``metrics.k_anonymity`` of (age, gender, ethnicity, zipcode);
  baseline: a ``collections.Counter`` of the rows' quasi-identifier tuples.
- ``connections``: ``SyntheticConnectionGenerator(target_k=10).fit_transform``.
- ``kanonymize``: ``KAnonymizer(k=10).fit_transform`` of the people (Mondrian).
- ``templates``: ``NetworkTemplateExtractor(epsilon=1, max_degree=50).fit`` (all
  statistics, including Louvain communities from networkx).
- ``templates-nocomm``: the same without the community-size statistic.
- ``augmentation``: ``SyntheticAugmenter(synthetic_ratio=1).fit_transform`` (only when
  ``personatwin_sklearn.augmentation`` imports).

A baseline runs in its own subprocess with a 60 s limit and prints ``-`` when it does not
finish; vectorised steps get ``--timeout`` seconds (``> N`` when they do not finish).
Each baseline's result is checked against the vectorised step's (same number of patterns
and the same k of every pattern; same smallest class and number of classes).
The table is markdown, ready for ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
QIS = ["age", "gender", "ethnicity", "zipcode"]
BASELINE_TIMEOUT = 60.0

STEPS = {
    # name: (label in the table, baseline step or None)
    "patterns": ("pattern analysis (edge scope)", "patterns-python"),
    "kanon-count": ("k-anonymity count (4 QIs)", "kanon-count-python"),
    "connections": ("connection protection, target_k=10", None),
    "kanonymize": ("k-anonymisation (Mondrian, k=10, 4 QIs)", None),
    "templates": ("DP template extraction (eps=1, all statistics)", None),
    "templates-nocomm": ("DP template extraction (no community sizes)", None),
    "augmentation": ("augmentation (census, ratio 1)", None),
}


# -- the steps (run inside a worker subprocess) ----------------------------------------------
def _patterns(data):
    from personatwin_sklearn import ConnectionPatternAnalyzer

    est = ConnectionPatternAnalyzer(k=10).fit(data)
    return {"n_patterns": len(est.patterns_), "k": sorted(est.patterns_["k"].tolist())}


def summary(step: str, result: dict) -> str:
    """A few words on what the step found or produced."""
    if step == "patterns":
        rare = sum(k < 10 for k in result["k"])
        return f"{result['n_patterns']:,} patterns, {rare:,} with k < 10"
    if step == "kanon-count":
        return f"{result['n_classes']:,} classes, k = {result['min_k']}"
    if step == "connections":
        return (f"{result['rare_patterns']:,} rare patterns; +{result['added_edges']:,} "
                f"edges, +{result['added_people']:,} people")  # fmt: skip
    if step == "kanonymize":
        return f"{result['classes']:,} classes, k = {result['k_out']}"
    if step == "augmentation":
        return f"{result['n_out']:,} people, {result['edges_out']:,} edges out"
    return ""


def _patterns_python(data, age_bin=5):
    """Plain Python: one pass over the edges, a dict of sets of owners per pattern."""
    from _populations import plain_pattern_holders

    holders = plain_pattern_holders(data, age_bin)
    return {"n_patterns": len(holders), "k": sorted(len(s) for s in holders.values())}


def _kanon_count(data):
    from personatwin_sklearn.metrics import equivalence_class_sizes

    sizes = equivalence_class_sizes(data, QIS)
    return {"min_k": int(sizes.min()), "n_classes": int((1.0 / sizes).sum().round())}


def _kanon_count_python(data):
    """Plain Python: a Counter of quasi-identifier tuples."""
    people = data.people
    rows = zip(*(people[c].tolist() for c in QIS))
    counts = Counter(rows)
    return {"min_k": min(counts.values()), "n_classes": len(counts)}


def _connections(data):
    from personatwin_sklearn import SyntheticConnectionGenerator

    gen = SyntheticConnectionGenerator(target_k=10, on_infeasible="ignore", random_state=0)
    out = gen.fit_transform(data)
    return {"added_edges": gen.n_added_, "added_people": gen.n_added_people_,
            "rare_patterns": len(gen.rare_patterns_), "n_out": len(out)}  # fmt: skip


def _kanonymize(data):
    from personatwin_sklearn import KAnonymizer
    from personatwin_sklearn.metrics import k_anonymity

    est = KAnonymizer(k=10, quasi_identifiers=QIS)
    out = est.fit_transform(data.people)
    return {"classes": est.n_classes_, "k_out": k_anonymity(out, QIS)}


def _templates(data, communities=True):
    from personatwin_sklearn.templates import NetworkTemplateExtractor
    from personatwin_sklearn.templates._extractor import DEFAULT_BUDGET_SPLIT

    split = dict(DEFAULT_BUDGET_SPLIT)
    if not communities:
        split.pop("communities")
    est = NetworkTemplateExtractor(
        epsilon=1.0, max_degree=50, budget_split=split, random_state=0
    ).fit(data)
    return {"epsilon_spent": est.epsilon_spent_}


def _augmentation(data):
    from personatwin_sklearn.augmentation import SyntheticAugmenter

    out = SyntheticAugmenter(synthetic_ratio=1.0, random_state=0).fit_transform(data)
    return {"n_out": len(out), "edges_out": out.n_connections}


WORKERS = {
    "patterns": _patterns,
    "patterns-python": _patterns_python,
    "kanon-count": _kanon_count,
    "kanon-count-python": _kanon_count_python,
    "connections": _connections,
    "kanonymize": _kanonymize,
    "templates": _templates,
    "templates-nocomm": lambda data: _templates(data, communities=False),
    "augmentation": _augmentation,
}


def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def worker(step: str, n: int) -> None:
    """Build the population, run one step, print one JSON line."""
    sys.path.insert(0, str(HERE))
    from _populations import random_population

    warnings.simplefilter("ignore")  # PrivacyLeakWarning etc. are expected here
    # warm-up on 300 people: imports, census tables and caches are not timed
    WORKERS[step](random_population(300, seed=1, quasi_identifiers=True))
    data = random_population(n, quasi_identifiers=True)
    before = _rss_gb()
    start = time.perf_counter()
    result = WORKERS[step](data)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_gb": _rss_gb(), "before_gb": before,
                      "edges": data.n_connections, "result": result}))  # fmt: skip


# -- the driver ------------------------------------------------------------------------------
def run(step: str, n: int, timeout: float) -> dict | None:
    """Run ``step`` at ``n`` people in a subprocess; None when it exceeds ``timeout``."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", step, str(n)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        raise RuntimeError(f"{step} at {n:,} people failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def parse_sizes(text: str) -> list[int]:
    sizes = []
    for part in text.split(","):
        part = part.strip().lower()
        scale = {"k": 1_000, "m": 1_000_000}.get(part[-1:], 1)
        sizes.append(int(float(part.rstrip("km")) * scale))
    return sizes


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        ram = f"{mem_kb / 2**20:.0f} GB RAM"
    except (OSError, StopIteration):
        ram = "RAM unknown"
    import numpy
    import pandas
    import sklearn

    return (
        f"{os.cpu_count()} cores ({cpu}), {ram}, Python {platform.python_version()}, "
        f"pandas {pandas.__version__}, numpy {numpy.__version__}, "
        f"scikit-learn {sklearn.__version__}; {time.strftime('%Y-%m-%d')}"
    )


def _augmentation_available() -> bool:
    try:
        import personatwin_sklearn.augmentation  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10k,100k", help="e.g. 10k,100k,1M")
    parser.add_argument("--steps", default=",".join(STEPS), help="comma-separated steps")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per step run")
    parser.add_argument("--worker", nargs=2, metavar=("STEP", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker[0], int(args.worker[1]))
        return
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        parser.error(f"unknown step(s) {unknown}; choose from {list(STEPS)}")
    if "augmentation" in steps and not _augmentation_available():
        print("(personatwin_sklearn.augmentation does not import: augmentation skipped)")
        steps.remove("augmentation")
    sizes = parse_sizes(args.sizes)
    print(f"Machine: {machine()}\n")
    print("| step | people | edges | time s | peak RSS GB (before step) "
          "| plain Python s | speed-up | result |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for step in steps:
        label, baseline = STEPS[step]
        for n in sizes:
            res = run(step, n, args.timeout)
            base = run(baseline, n, BASELINE_TIMEOUT) if baseline else None
            if res is None:
                cells = [f"> {args.timeout:.0f}", "-"]
                edges = "-"
            else:
                cells = [f"{res['seconds']:.2f}", f"{res['peak_gb']:.2f} ({res['before_gb']:.2f})"]
                edges = f"{res['edges']:,}"
            if base is not None and res is not None and base["result"] != res["result"]:
                raise AssertionError(
                    f"{step} at {n:,}: the plain-Python baseline disagrees: "
                    f"{str(base['result'])[:200]} vs {str(res['result'])[:200]}"
                )
            if base is None:
                cells += ["-", "-"]
            else:
                speed = f"{base['seconds'] / res['seconds']:.1f}x" if res else "-"
                cells += [f"{base['seconds']:.2f}", speed]
            cells.append(summary(step, res["result"]) if res else "")
            print(f"| {label} | {n:,} | {edges} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
