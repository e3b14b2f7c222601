"""What keeping the same-year link share costs on Caltech36: a bound for issue 20's target.

::

    python benchmarks/bench_caltech_bound.py           # prints the table
    python benchmarks/bench_caltech_bound.py --write   # also into docs/utility.md

Caltech36 (Facebook100) as in the README's command (quasi-identifiers gender, year, dorm;
the adversary knows each partner's gender and year).  Issue 20 asks for a headline no
worse than 25.5% with the same-year and same-dorm link shares within 20% of the
original's.  Rows: the README's release, then releases made by hand from it with every
year published exact, except for the most connected people (a share of them publish
``"*"``), with gender and dorm as released or suppressed for everyone.  Each is measured
with the search's quick adversary (``optimize.worst_case_risk(full=False)``: the combined
linkage, uniform pick, and its minimality adversary; a lower bound of the headline) and
``metrics.release_utility`` (the same-attribute link shares, generalised values read as
the uniform spread over what they stand for).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import personatwin_sklearn as pt
from personatwin_sklearn.metrics import release_utility
from personatwin_sklearn.optimize import worst_case_risk

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "utility.md"
QIS = ["gender", "year", "dorm"]
SIG = ["gender", "year"]


def _row(name, data, release):
    risk = worst_case_risk(data, release, quasi_identifiers=QIS, signature=SIG, full=False)
    u = release_utility(data, release, random_state=0, communities=False, ml=False).figures
    return {
        "release": name,
        "quick risk": f"{risk['average']:.1%}",
        "certain": f"{risk['certain_share']:.1%}",
        "same year": f"{u['same_year_share_release']:.2f} ({u['same_year_share_original']:.2f})",
        "same dorm": f"{u['same_dorm_share_release']:.2f} ({u['same_dorm_share_original']:.2f})",
        "same gender": (
            f"{u['same_gender_share_release']:.2f} ({u['same_gender_share_original']:.2f})"
        ),
    }


def rows():
    from bench_occupation_bound import degree_rank
    from bench_utility import caltech_population

    data = caltech_population()
    release = pt.create_safe_personas(
        data, random_state=0, quasi_identifiers=QIS, pattern_signature=SIG
    ).data
    year = release.people["person_id"].map(data.people.set_index("person_id")["year"])
    order = degree_rank(data, release)  # most connected first
    out = [_row("README command", data, release)]
    for share in (0.0, 0.05, 0.25):
        for suppressed in ([], ["gender", "dorm"]):
            people = release.people.copy()
            people["year"] = year.astype("string").to_numpy()
            people.iloc[order[: int(len(people) * share)], people.columns.get_loc("year")] = "*"
            for column in suppressed:
                people[column] = "*"
            name = "year exact" + (f", {share:.0%} most connected suppressed" if share else "")
            name += f", {' and '.join(suppressed)} suppressed" if suppressed else ""
            out.append(_row(name, data, release.with_people(people, validate=False)))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="also into docs/utility.md")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    from _docs import markdown, write_block

    text = markdown(pd.DataFrame(rows()))
    text += "\n\n`python benchmarks/bench_caltech_bound.py` (shares: release (original))."
    print(text)
    if args.write:
        write_block(DOC, "bench_caltech_bound", text)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
