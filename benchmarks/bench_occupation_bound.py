"""How much risk keeping occupations costs: a bound for the local search's occupation figure.

::

    python benchmarks/bench_occupation_bound.py            # sample population, seeds 0 1 2

For each seed, the default release (``create_safe_personas(data, random_state=seed)``) and
two releases made from it by hand, measured with the search's quick adversary
(``optimize.worst_case_risk(full=False)``: the combined linkage, uniform pick, and its
minimality adversary) and ``metrics.release_utility``:

- ``occupation major, rest suppressed``: every occupation published as its ACS major group
  (a not-employed code as itself), every other people column ``"*"``, the types as released:
  how low the risk can go while every occupation stays at major group or finer;
- ``occupation major, 20% most connected suppressed, rest suppressed``: the same with the
  fifth of the people who have most connections publishing ``"*"``: 80% at major group or
  finer, as issue 20 asks, for the least risk this shape of release can reach;
- ``default, occupation major``: the default release with every occupation at its major
  group instead: what the occupation target costs if nothing else gives way.

This is how the hub families were found (docs/user_guide.md): suppressing the occupation of
the most connected people makes many neighbourhoods alike at once, so the occupation target
is not infeasible on its own; the last row shows that other columns must give way for it.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd

import personatwin_sklearn as pt
from personatwin_sklearn import census
from personatwin_sklearn.datasets import make_social_population
from personatwin_sklearn.metrics import release_utility
from personatwin_sklearn.optimize import worst_case_risk

QIS = ["age", "gender", "ethnicity", "zipcode"]
SIG = ["gender", "age", "occupation", "has_criminal_record"]
MAJOR = {c: "|".join(sorted(m)) for m in census.OCCUPATION_MAJOR_GROUPS.values() for c in m}


def _row(name, seed, data, release):
    risk = worst_case_risk(data, release, quasi_identifiers=QIS, signature=SIG, full=False)
    u = release_utility(data, release, random_state=0, communities=False, ml=False).figures
    return {
        "seed": seed,
        "release": name,
        "quick risk": f"{risk['average']:.1%}",
        "certain": f"{risk['certain_share']:.1%}",
        "occ. <= major": f"{u['occupation_major_or_finer_share']:.1%}",
        "patterns": f"{u['pattern_histogram_tvd']:.2f}",
        "NCP": f"{u['ncp_mean']:.2f}",
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    rows = []
    for seed in args.seeds:
        data = make_social_population(1000, random_state=seed)
        release = pt.create_safe_personas(data, random_state=seed).data
        occupation = data.people.set_index("person_id")["occupation"]
        major = release.people["person_id"].map(occupation).map(lambda c: MAJOR.get(c, c))
        rows.append(_row("default", seed, data, release))
        bare = release.people.copy()
        for column in ["age", "gender", "ethnicity", "zipcode", "has_criminal_record"]:
            bare[column] = "*"
        bare["occupation"] = major.to_numpy()
        rows.append(
            _row(
                "occupation major, rest suppressed",
                seed,
                data,
                release.with_people(bare, validate=False),
            )  # fmt: skip
        )
        # the 20% with most connections (ties by row) publish "*": 80% stay <= major
        degree = release.people["person_id"].map(
            pd.Series(np.asarray(data.degree()), index=data.people["person_id"])
        )
        top = np.argsort(-degree.to_numpy(), kind="stable")[: len(bare) // 5]
        hubs = bare.copy()
        hubs.iloc[top, hubs.columns.get_loc("occupation")] = "*"
        rows.append(
            _row(
                "occupation major, 20% most connected suppressed, rest suppressed",
                seed,
                data,
                release.with_people(hubs, validate=False),
            )  # fmt: skip
        )
        swapped = release.people.copy()
        swapped["occupation"] = major.to_numpy()
        rows.append(
            _row(
                "default, occupation major",
                seed,
                data,
                release.with_people(swapped, validate=False),
            )  # fmt: skip
        )
    table = pd.DataFrame(rows)
    from _docs import print_markdown

    print_markdown(table)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
