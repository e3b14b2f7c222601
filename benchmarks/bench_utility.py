"""The privacy-utility frontier of releases: risk and every utility figure, per setting.

::

    python benchmarks/bench_utility.py                       # sample population, seeds 0 1 2
    python benchmarks/bench_utility.py --per-seed            # one row per seed too
    python benchmarks/bench_utility.py --population caltech  # Caltech36 (Facebook100)
    python benchmarks/bench_utility.py --population 100k --seeds 0   # local settings only
    python benchmarks/bench_utility.py --write               # also into docs/utility.md
    python benchmarks/bench_utility.py --only default,low    # some settings only

One row per setting (:data:`SETTINGS`, a list of ``create_safe_personas`` keyword
arguments: add a dict to add a row), the mean over the seeds of the population:

- ``headline``: ``result.metadata["headline"]["after"]["average"]``, the package's
  strongest adversary (worst per real person over the linkage scopes), averaged;
- ``certain``: share of real people with a single consistent candidate that is them
  (``personatwin_sklearn.attacks.linkage_attack``: ``n_candidates == 1`` and
  ``target_in_candidates``), the worst per person over the scopes ``qi``, ``edge``,
  ``neighborhood`` and ``combined``;
- the utility figures of :func:`personatwin_sklearn.metrics.release_utility` (generalised
  values read as the uniform spread over what they stand for; TVD 0 = the same answer as
  the real data, 1 = nothing in common): exact connection types, occupation exact and
  at major group or finer, mean age width in years, NCP, one-way marginals, the
  connection-pattern histogram, per-type degree, spouse age gap, homophily ratio
  (absolute error), component sizes, degree, clustering (absolute difference),
  same-attribute link shares (relative error), community NMI and the ML-efficacy AUCs
  (trained on the real data / on the release, tested on the same held-out real people).

Populations: ``sample`` (``make_social_population(1000, random_state=seed)``, what
``personatwin demo --seed SEED`` protects), ``100k`` (the same with 100,000 people; the
linkage attack on a sample of 2,000 targets), ``caltech`` (Caltech36 of Facebook100,
as in the README's command: quasi-identifiers gender, year, dorm; signature gender, year;
the other columns dropped; one seed).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "utility.md"
CALTECH = ROOT.parent / "shared" / "data" / "graphs" / "facebook100" / "Caltech36"

#: One row each: a name and the ``create_safe_personas`` keyword arguments (the data,
#: ``random_state`` and the domain come from the population).  Add settings here.
SETTINGS = [
    {"name": "default local, medium (demo, API)", "kwargs": {"privacy_level": "medium"}},
    {"name": "local, high", "kwargs": {"privacy_level": "high"}},
    {"name": "local, low", "kwargs": {"privacy_level": "low"}},
    {
        "name": "global, high (previous default)",
        "kwargs": {"privacy_level": "high", "protection": "global"},
    },
    {
        "name": "global, high, coarsen none",
        "kwargs": {"privacy_level": "high", "protection": "global", "connection_coarsen": "none"},
    },
    {
        "name": "global, high, occupation major",
        "kwargs": {
            "privacy_level": "high",
            "protection": "global",
            "connection_coarsen": {"occupation": "major"},
        },
    },
]

#: Settings of the Caltech36 population (the README's command, and no coarsening).
CALTECH_SETTINGS = [
    {"name": "README command (local, medium)", "kwargs": {}},
    {"name": "global (previous default)", "kwargs": {"protection": "global"}},
    {
        "name": "global, coarsen none",
        "kwargs": {"protection": "global", "connection_coarsen": "none"},
    },
]

SCOPES = ("qi", "edge", "neighborhood", "combined")

#: Table columns: (header, figure key, format).
COLUMNS = [
    ("exact types", "exact_type_share", "pct"),
    ("occ. exact", "occupation_exact_share", "pct"),
    ("occ. <= major", "occupation_major_or_finer_share", "pct"),
    ("age width", "age_interval_width_mean", "1f"),
    ("NCP", "ncp_mean", "2f"),
    ("marginals", "marginal_tvd_mean", "2f"),
    ("patterns", "pattern_histogram_tvd", "2f"),
    ("type degree", "type_degree_tvd", "3f"),
    ("spouse gap", "spouse_age_gap_tvd", "2f"),
    ("homophily ratio", "homophily_ratio_error_mean", "2f"),
    ("components", "component_size_tvd", "2f"),
    ("degree", "degree_tvd", "3f"),
    ("clustering", "clustering_difference", "3f"),
    ("same attr.", "same_attribute_share_error_mean", "2f"),
    ("NMI", "community_nmi", "2f"),
    ("AUC real", "ml_auc_real", "3f"),
    ("AUC release", "ml_auc_release", "3f"),
    ("AUC gap", "ml_auc_gap", "3f"),
    ("gap s.e.", "ml_auc_gap_se", "3f"),
]


# ----------------------------------------------------------------------------- populations
def sample_population(seed: int, n_people: int = 1000):
    from personatwin_sklearn.datasets import make_social_population

    return make_social_population(n_people, random_state=seed, domain="criminal_justice")


def caltech_population():
    from personatwin_sklearn.io import read_pajek

    data = read_pajek(f"{CALTECH}.net", f"{CALTECH}.nodelist", id_col="node_id")
    people = data.people.rename(columns={"node_id": "person_id"})
    for column in ("gender", "dorm", "year"):
        people[column] = people[column].astype("Int64").astype("string")
    people = people.drop(columns=["student_fac", "major_index", "second_major", "high_school"])
    edges = data.connections
    from personatwin_sklearn import SocialData

    return SocialData(people, edges, required_columns=())


def population_cases(name: str, seeds):
    """``(label, seed, data, extra kwargs, settings, n_targets)`` per seed of a population."""
    if name == "sample":
        return [(f"sample seed {s}", s, sample_population(s), {}, SETTINGS, None) for s in seeds]
    if name == "100k":
        local = [s for s in SETTINGS if not s["kwargs"].get("protection") == "global"]
        return [
            (f"100k seed {s}", s, sample_population(s, 100_000), {}, local, 2000) for s in seeds
        ]
    if name == "caltech":
        extra = {
            "quasi_identifiers": ["gender", "year", "dorm"],
            "pattern_signature": ["gender", "year"],
        }
        return [("caltech", 0, caltech_population(), extra, CALTECH_SETTINGS, None)]
    raise SystemExit(f"--population {name!r}: use sample, caltech or 100k.")


# ----------------------------------------------------------------------------- one row
def certain_share(data, release, metadata, n_targets, seed) -> float:
    """Share of real people some scope's adversary names with a single candidate."""
    from personatwin_sklearn.attacks import linkage_attack

    certain = None
    for scope in SCOPES:
        if scope != "qi" and not metadata.get("pattern_signature") and scope != "combined":
            continue
        result = linkage_attack(
            data,
            release,
            scope=scope,
            quasi_identifiers=metadata["quasi_identifiers"],
            signature=metadata["pattern_signature"],
            age_bin=metadata["age_bin"],
            n_targets=n_targets,
            random_state=seed,
        )
        table = result.per_target.set_index("target_id")
        hit = (table["n_candidates"] == 1) & table["target_in_candidates"].astype(bool)
        certain = (
            hit if certain is None else (certain | hit.reindex(certain.index, fill_value=False))
        )
    return float(certain.mean()) if certain is not None and len(certain) else float("nan")


def measure(data, seed, extra, setting, n_targets) -> dict:
    from personatwin_sklearn import create_safe_personas
    from personatwin_sklearn.metrics import release_utility

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = create_safe_personas(data, random_state=seed, **extra, **setting["kwargs"])
    protect_s = time.perf_counter() - start
    metadata = result.metadata
    row = {"headline": float(metadata["headline"]["after"]["average"])}
    row["certain"] = certain_share(data, result.data, metadata, n_targets, seed)
    start = time.perf_counter()
    report = release_utility(data, result.data, random_state=seed)
    row["utility_s"] = time.perf_counter() - start
    row["protect_s"] = protect_s
    row.update(report.figures)
    return row


# ----------------------------------------------------------------------------- output
def _fmt(value, how) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if how == "pct":
        return f"{value:.1%}"
    return f"{value:.{how[0]}f}"


def markdown(rows: list) -> str:
    headers = ["setting", "seeds", "headline", "certain"] + [c[0] for c in COLUMNS]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        cells = [row["setting"], row["seeds"], _fmt(row["headline"], "pct")]
        cells.append(_fmt(row["certain"], "pct"))
        cells += [_fmt(row.get(key), how) for _, key, how in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_block(text: str, name: str) -> None:
    """Replace the text between ``<!-- bench_utility:NAME -->`` and its end marker."""
    from _docs import write_block as write

    write(DOC, f"bench_utility:{name}", text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", default="sample", choices=("sample", "caltech", "100k"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--only", default=None, help="comma-separated setting names (prefixes)")
    parser.add_argument("--per-seed", action="store_true", help="one row per seed as well")
    parser.add_argument("--write", action="store_true", help="write the table into the doc")
    args = parser.parse_args(argv)
    cases = population_cases(args.population, args.seeds)
    wanted = None if args.only is None else [s.strip() for s in args.only.split(",")]
    start = time.perf_counter()
    rows, per_seed = [], []
    for setting in cases[0][4]:
        if wanted and not any(setting["name"].startswith(w) for w in wanted):
            continue
        measured = []
        for label, seed, data, extra, _, n_targets in cases:
            row = measure(data, seed, extra, setting, n_targets)
            measured.append(row)
            per_seed.append({"setting": setting["name"], "seeds": str(seed), **row})
            print(
                f"  {setting['name']} / {label}: headline {row['headline']:.1%}, "
                f"protect {row['protect_s']:.1f} s, utility {row['utility_s']:.2f} s",
                file=sys.stderr,
            )
        mean = pd.DataFrame(measured).mean(numeric_only=True).to_dict()
        seeds = ",".join(str(c[1]) for c in cases)
        rows.append({"setting": setting["name"], "seeds": seeds, **mean})
    elapsed = time.perf_counter() - start
    command = "python benchmarks/bench_utility.py" + (
        f" --population {args.population}" if args.population != "sample" else ""
    )
    if args.seeds != [0, 1, 2]:
        command += " --seeds " + " ".join(map(str, args.seeds))
    text = markdown(rows)
    if args.per_seed:
        text += "\n\nPer seed:\n\n" + markdown(per_seed)
    utility_s = np.mean([r["utility_s"] for r in per_seed]) if per_seed else float("nan")
    text += (
        f"\n\n`{command}`: {elapsed / 60:.1f} min on this machine; release_utility "
        f"{utility_s:.2f} s per release on average (indicative only on shared cores)."
    )
    print(text)
    if args.write:
        if wanted:
            raise SystemExit("--write writes the whole table: run it without --only.")
        write_block(text, args.population)


if __name__ == "__main__":
    main()
