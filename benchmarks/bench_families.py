"""The local search's families one at a time: what each reaches on its own, per seed.

::

    python benchmarks/bench_families.py                  # sample population, seeds 0 1 2
    python benchmarks/bench_families.py --only default-0,hub3-w
    python benchmarks/bench_families.py --level high

For each family of :data:`FAMILIES` (a name and its ``NeighborhoodKAnonymizer``
parameters: the ``default-i`` rows are ``api._LOCAL_FAMILIES[i]``, the five ACS ones;
the others are variants of them measured for issue 20) and each seed,
``create_safe_personas`` runs with that family alone (its k ladder walked as usual: the
first point that meets the privacy level's target under the full measure is chosen, else
the safest), and the row gives the
chosen ``k``, the headline (the strongest adversary, every real person), the share of real
people singled out with certainty, and the utility figures issue 20 sets targets for
(``metrics.release_utility``): exact connection types (>= 90%), occupation at major group
or finer (>= 80%), the connection-pattern histogram (<= 0.40), per-type degree (<= 0.03),
the spouse age gap (<= 0.50); ``all`` says whether every target (and headline <= 10%,
certain <= 1% at ``medium``) holds.

The frontier the search chooses from is the union of these rows' points: a family that
meets every target on every seed would be chosen wherever it is also the most useful.
"""

from __future__ import annotations

import argparse
import time
import warnings
from unittest import mock

import numpy as np
import pandas as pd

import personatwin_sklearn as pt
from personatwin_sklearn import api
from personatwin_sklearn.datasets import make_social_population
from personatwin_sklearn.metrics import release_utility

#: Name -> family (NeighborhoodKAnonymizer parameters besides k).
FAMILIES = {
    **{
        f"default-{i}": dict(family)
        for i, family in enumerate(api._LOCAL_FAMILIES)
        if family.get("occupation_level") == "acs"
    },
    # default-0 with the repair's partners of 2+ connections
    "hub4-slot2": {**api._LOCAL_FAMILIES[0], "cover_hub_degree": 2},
    # default-0 with the whole neighbourhood as a key (more types kept at k=4)
    "hub4-slot-key": {**api._LOCAL_FAMILIES[0], "key_weight": 16.0},
    # default-1 without the repair's hubs
    "hub3-w": {**api._LOCAL_FAMILIES[1], "cover_widen": ("qi", "flags")},
}
TARGETS = {
    "exact_type_share": (">=", 0.90),
    "occupation_major_or_finer_share": (">=", 0.80),
    "pattern_histogram_tvd": ("<=", 0.40),
    "type_degree_tvd": ("<=", 0.03),
    "spouse_age_gap_tvd": ("<=", 0.50),
}


def _meets(figures, headline, certain, level):
    ok = headline <= api.PRIVACY_TARGETS[level] + 1e-12 and certain <= 0.01 + 1e-12
    for name, (op, bound) in TARGETS.items():
        value = figures[name]
        ok &= bool(value >= bound if op == ">=" else value <= bound)
    return ok


def _row(name, family, seed, data, level):
    start = time.process_time()
    with mock.patch.object(api, "_LOCAL_FAMILIES", (family,)):
        result = pt.create_safe_personas(data, random_state=seed, privacy_level=level)
    seconds = time.process_time() - start
    figures = release_utility(data, result.data, random_state=0, ml=False).figures
    after = result.metadata["headline"]["after"]
    chosen = pd.DataFrame(result.metadata["frontier"]["points"]).query("chosen").iloc[0]
    headline, certain = after["average"], after.get("certain", 0.0)
    return {
        "family": name,
        "seed": seed,
        "k": int(chosen["k"]),
        "headline": f"{headline:.1%}",
        "certain": f"{certain:.1%}",
        "exact types": f"{figures['exact_type_share']:.1%}",
        "occ. <= major": f"{figures['occupation_major_or_finer_share']:.1%}",
        "occ. exact": f"{figures['occupation_exact_share']:.1%}",
        "patterns": f"{figures['pattern_histogram_tvd']:.3f}",
        "degree": f"{figures['type_degree_tvd']:.3f}",
        "spouse": f"{figures['spouse_age_gap_tvd']:.2f}",
        "all": "yes" if _meets(figures, headline, certain, level) else "no",
        "CPU s": f"{seconds:.1f}",
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--only", default=None, help="comma-separated family names")
    parser.add_argument("--level", default="medium", choices=sorted(api.PRIVACY_TARGETS))
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    names = list(FAMILIES) if args.only is None else args.only.split(",")
    rows = []
    for seed in args.seeds:
        data = make_social_population(1000, random_state=seed)
        for name in names:
            rows.append(_row(name, FAMILIES[name], seed, data, args.level))
            print(f"  {name} / seed {seed}: done", flush=True)
    table = pd.DataFrame(rows).sort_values(["family", "seed"], kind="stable")
    from _docs import print_markdown

    print_markdown(table)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
