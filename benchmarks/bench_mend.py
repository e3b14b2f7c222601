"""What the search's utility targets and its mends change: risk and utility side by side.

::

    python benchmarks/bench_mend.py           # prints the table
    python benchmarks/bench_mend.py --write   # also into docs/utility.md

On 36 populations (``make_social_population(n, random_state=s)`` for n = 300, 500 and
1,000, s = 0..11; ``create_safe_personas(data, random_state=0)``, privacy level medium),
three versions of the local search:

- ``plain``: points ranked by the mean of ``SEARCH_UTILITY`` alone, no mends (the search
  before both changes; ``suppress_share`` on in all three);
- ``targets``: ranked by that mean less each miss of ``SEARCH_UTILITY_TARGETS``, no mends;
- ``targets + mends`` (the default): and a point that misses its risk target by at most a
  quarter is mended (twins for the people its measure names at 1/2, 1/3, 1/4 or more).

Each row (one size, one version): the mean over the 12 populations of the headline, the
share named with certainty and the utility figures of the chosen release, how many
populations meet each of issue 20's sample-population targets (exact types >= 90%,
occupations at major group or finer >= 80%, pattern error <= 0.40, per-type degree error
<= 0.03, spouse age-gap error <= 0.50) and all of them, the releases made per search and
the seconds per search.  The versions are switched by the module constants
``api.SEARCH_UTILITY_TARGETS`` and ``api._MEND_LEVELS``.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import personatwin_sklearn as pt
from personatwin_sklearn import api
from personatwin_sklearn.datasets import make_social_population
from personatwin_sklearn.metrics import release_utility

SIZES = (300, 500, 1000)
SEEDS = tuple(range(12))
TARGETS = dict(api.SEARCH_UTILITY_TARGETS)
VERSIONS = {
    "plain": ({}, ()),
    "targets": (TARGETS, ()),
    "targets + mends (default)": (TARGETS, api._MEND_LEVELS),
}


def _one(data, targets, levels):
    saved = api.SEARCH_UTILITY_TARGETS, api._MEND_LEVELS
    api.SEARCH_UTILITY_TARGETS, api._MEND_LEVELS = targets, levels
    try:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = pt.create_safe_personas(data, random_state=0)
        seconds = time.perf_counter() - start
    finally:
        api.SEARCH_UTILITY_TARGETS, api._MEND_LEVELS = saved
    u = release_utility(data, result.data, random_state=0, communities=False, ml=False).figures
    points = pd.DataFrame(result.metadata["frontier"]["points"])
    made = len(points) + int(points["mends"].sum() if "mends" in points else 0)
    after = result.metadata["headline"]["after"]
    met = {
        f"met {name}": (u[name] <= target if "_tvd" in name else u[name] >= target)
        for name, target in TARGETS.items()
    }
    return {
        "headline": after["average"], "certain": after["certain"], **u, **met,
        "met all": all(met.values()), "made": made, "seconds": seconds,
    }  # fmt: skip


def _summary(size, name, frame) -> dict:
    met = {
        f"{short} met": f"{int(frame[f'met {col}'].sum())}/{len(frame)}"
        for short, col in (
            ("types", "exact_type_share"),
            ("occ.", "occupation_major_or_finer_share"),
            ("patterns", "pattern_histogram_tvd"),
            ("type degree", "type_degree_tvd"),
            ("spouse gap", "spouse_age_gap_tvd"),
            ("all", "all"),
        )
    }
    mean = frame.drop(columns=[c for c in frame if c.startswith("met ")]).mean()
    return {
        "people": f"{size:,}",
        "search": name,
        "headline": f"{mean['headline']:.1%}",
        "certain": f"{mean['certain']:.1%}",
        "exact types": f"{mean['exact_type_share']:.1%}",
        "occ. <= major": f"{mean['occupation_major_or_finer_share']:.1%}",
        "patterns": f"{mean['pattern_histogram_tvd']:.3f}",
        "type degree": f"{mean['type_degree_tvd']:.3f}",
        "spouse gap": f"{mean['spouse_age_gap_tvd']:.3f}",
        "NCP": f"{mean['ncp_mean']:.3f}",
        **met,
        "releases made": f"{mean['made']:.1f}",
        "seconds": f"{mean['seconds']:.1f}",
    }


def rows() -> pd.DataFrame:
    out = []
    for size in SIZES:
        found = {name: [] for name in VERSIONS}
        for seed in SEEDS:
            data = make_social_population(size, random_state=seed)
            for name, (targets, levels) in VERSIONS.items():
                found[name].append(_one(data, targets, levels))
        for name, runs in found.items():
            out.append(_summary(size, name, pd.DataFrame(runs)))
            print(" | ".join(map(str, out[-1].values())), flush=True)
    return pd.DataFrame(out)


def main(argv=None) -> int:
    from _docs import markdown, write_block

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="also write docs/utility.md")
    parser.parse_args(argv)
    np.seterr(all="ignore")
    text = markdown(rows())
    print(text)
    if parser.parse_args(argv).write:
        doc = Path(__file__).resolve().parents[1] / "docs" / "utility.md"
        note = (
            "\n`python benchmarks/bench_mend.py` (means over 12 populations per size, "
            "seeds 0-11; seconds indicative only)."
        )
        write_block(doc, "bench_mend", text + "\n" + note, append=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
