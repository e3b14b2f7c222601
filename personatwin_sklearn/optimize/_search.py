"""The search for the most useful release under a risk target (ARX's anonymizer, for
people with typed connections).

A *point* is one configuration of the protection (e.g. the group size ``k`` and the
weight of the partners' occupations in the partition).  :func:`search_release` makes the
release of each point it tries, measures its risk (the per-person worst over the
package's linkage adversaries: the share of real people with a single consistent
candidate and the average success) and its utility, and keeps the most useful point that
meets every constraint:

- average risk <= ``target_risk``;
- share of real people with a single consistent candidate <= ``max_certain``;
- synthetic additions within the budget (the points only generalise: none are added).

Points are tried family by family (a family is a list of points from least to most
protective); a family stops at its first point that meets the constraints, since every
later one only loses utility, and for the same reason at a point no more useful than the
best feasible point found so far (it is resumed if that point then fails the full
measure).  A point less useful than the best feasible one cannot be chosen, so its risk
is put off: measured only if the points above it fail the full measure (same walk, same
choice, fewer attacks).  Every point tried is recorded: the frontier.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["Frontier", "search_release", "worst_case_risk"]


@dataclass
class Frontier:
    """Every point the search tried, with its risk and utility, and the chosen one.

    Attributes
    ----------
    points : DataFrame
        One row per point: its parameters, ``risk_average``, ``risk_maximum``,
        ``certain_share`` (NaN for a point whose risk was put off: less useful than a
        feasible point, it could not be chosen), ``utility`` (the score maximised) and
        its parts, ``meets`` (every constraint holds) and ``chosen``.
    target_risk : float
        Bound on the average risk.
    max_certain : float
        Bound on the share of real people with a single consistent candidate.
    notes : list of str
        What the search met on its way (a point that failed the full measure, ...).
    parameters : list of str
        The point parameters (columns of ``points`` that describe a point), in order.
    """

    points: pd.DataFrame
    target_risk: float
    max_certain: float
    notes: list = field(default_factory=list)
    parameters: list = field(default_factory=list)

    @property
    def chosen(self) -> pd.Series:
        """The chosen point's row."""
        return self.points.loc[self.points["chosen"]].iloc[0]

    def to_dict(self) -> dict:
        """Plain values for JSON: the points as records, the bounds and notes."""
        return {
            "target_risk": self.target_risk,
            "max_certain": self.max_certain,
            "points": self.points.replace({np.nan: None}).to_dict(orient="records"),
            "notes": list(self.notes),
            "parameters": list(self.parameters),
        }


def search_release(
    families,
    make_release,
    evaluate_risk,
    evaluate_utility,
    *,
    target_risk,
    max_certain=0.01,
    verify=None,
    progress=None,
    on_skip=None,
):
    """Try the points of each family and keep the most useful one that meets the bounds.

    Parameters
    ----------
    families : list of list of dict
        Points (parameter dicts), each family from least to most protective.
    make_release : callable
        ``make_release(point) -> release``.
    evaluate_risk : callable
        ``evaluate_risk(release) -> dict`` with ``average``, ``maximum`` and
        ``certain_share``: a quick measure used to walk the families.
    evaluate_utility : callable
        ``evaluate_utility(release) -> dict`` with ``utility`` (greater is better).
    target_risk : float
        Bound on the average risk.
    max_certain : float, default=0.01
        Bound on the share of real people with a single consistent candidate.
    verify : callable, default=None
        ``verify(release) -> dict`` like ``evaluate_risk``, the full measure: the most
        useful point is checked with it; a point that fails it is out, and its family
        walks on.
    progress : callable, default=None
        Called with each point's row (for a progress bar).
    on_skip : callable, default=None
        Called with the release of a point whose risk is put off (less useful than a
        feasible point already found, so it cannot be chosen unless that point fails
        the full measure); e.g. to drop tables cached for its risk.

    Returns
    -------
    release : object
        The chosen point's release.
    point : dict
        The chosen point.
    frontier : Frontier
        Every point tried.
    """
    rows, releases = [], []
    next_point = [0] * len(families)
    met = [False] * len(families)  # the family's last point met the bounds
    last = [None] * len(families)  # utility of the family's last point tried
    pending = set()  # rows whose risk is put off (less useful than a feasible point)

    def meets(risk):
        return bool(
            risk["average"] <= target_risk + 1e-12 and risk["certain_share"] <= max_certain + 1e-12
        )

    def best_utility():
        feasible = [r["utility"] for r in rows if r["meets"]]
        return max(feasible) if feasible else -np.inf

    def open_family(family):
        """Worth walking: points left, none met yet, and the last one tried still beats
        the best feasible point (every later point only loses utility)."""
        return (
            not met[family]
            and next_point[family] < len(families[family])
            and (last[family] is None or last[family] > best_utility())
        )

    def measure(i):
        """The quick risk of row ``i`` (its release made and its utility known)."""
        risk = dict(evaluate_risk(releases[i][0]))
        risk.pop("headline", None)
        row = rows[i]
        row["risk_average"] = risk["average"]
        row["risk_maximum"] = risk["maximum"]
        row["certain_share"] = risk["certain_share"]
        row["meets"] = meets(risk)
        pending.discard(i)
        if row["meets"]:
            met[row["family"]] = True

    def walk(family):
        """Try the family's next points until one meets the bounds, none is left, or the
        last one tried is no more useful than the best feasible point (pruned: the
        family's later points only lose utility, so none of them could be chosen).  A
        point less useful than the best feasible one cannot be chosen: its risk is put
        off (measured only if the best feasible points fail the full measure)."""
        points = families[family]
        while next_point[family] < len(points):
            point = points[next_point[family]]
            next_point[family] += 1
            release = make_release(point)
            utility = evaluate_utility(release)
            row = {
                "family": family,
                **point,
                "risk_average": np.nan,
                "risk_maximum": np.nan,
                "certain_share": np.nan,
                **utility,
                "meets": False,
            }
            rows.append(row)
            releases.append((release, point))
            last[family] = row["utility"]
            if row["utility"] < best_utility():  # cannot be chosen: risk put off
                pending.add(len(rows) - 1)
                if on_skip is not None:
                    on_skip(release)
            else:
                measure(len(rows) - 1)
            if progress is not None:
                progress(row)
            if row["meets"]:
                return
            if row["utility"] <= best_utility():
                return

    def resolve():
        """Measure the put-off points that could now be chosen (the best feasible point
        failed the full measure), most useful first: every put-off point stays strictly
        less useful than the best feasible one, so the walk and the choice are those of
        a walk that measured every point."""
        while pending:
            i = max(pending, key=lambda j: (rows[j]["utility"], -j))
            if rows[i]["utility"] < best_utility():
                return
            measure(i)

    notes = []
    while True:
        for family in range(len(families)):
            if open_family(family):
                walk(family)
        feasible = [i for i, r in enumerate(rows) if r["meets"]]
        if not feasible:  # every family walked to its end: nothing left to try
            break
        best = max(feasible, key=lambda i: rows[i]["utility"])
        if verify is None or "verified_average" in rows[best]:
            break
        full = dict(verify(releases[best][0]))
        rows[best]["verified_average"] = full["average"]
        rows[best]["verified_certain"] = full["certain_share"]
        if meets(full):
            rows[best]["risk_average"] = full["average"]
            rows[best]["risk_maximum"] = full["maximum"]
            rows[best]["certain_share"] = full["certain_share"]
            break
        rows[best]["meets"] = False
        met[rows[best]["family"]] = False
        resolve()
        notes.append(
            f"point {releases[best][1]} passed the quick measure but not the full one "
            f"({full['average']:.1%} average, {full['certain_share']:.1%} certain)"
        )
    table = pd.DataFrame(rows)
    feasible = table["meets"].to_numpy(bool)
    if feasible.any():
        best = int(table["utility"].where(feasible).idxmax())
    else:  # nothing meets the bounds: the safest point, and say so
        best = int(table.sort_values(["certain_share", "risk_average"], kind="stable").index[0])
        notes.append(
            f"no point met target_risk={target_risk:.1%} with at most {max_certain:.1%} "
            "certain: the safest point tried is used"
        )
    table["chosen"] = False
    table.loc[best, "chosen"] = True
    release, point = releases[best]
    parameters = list(dict.fromkeys(name for family in families for p in family for name in p))
    frontier = Frontier(table, float(target_risk), float(max_certain), notes, parameters)
    return release, point, frontier


def _certain(table: pd.DataFrame) -> np.ndarray:
    """Per target of a linkage table: a single consistent candidate, the target."""
    return table["target_in_candidates"].to_numpy(bool) & (table["n_candidates"].to_numpy() == 1)


def worst_case_risk(original, release, *, quasi_identifiers, signature, age_bin=5,
                    n_targets=None, random_state=0, before=None,
                    full=True) -> dict:  # fmt: skip
    """Per real person, the worst success over every adversary the package models
    (:func:`~personatwin_sklearn.attacks.strongest_headline`: each scope, uniform or
    ranking), summarised: the same figure as the release's headline.

    Parameters
    ----------
    original, release : SocialData
        The input and the release (real people under their original ids).
    quasi_identifiers, signature : list of str
        What the adversary knows of a target and of each partner.
    age_bin : int, default=5
        Partner age bucket.
    n_targets : int, default=None
        Attack a seeded sample of this many real people (None: all).
    random_state : int, default=0
        Seed of the sample.
    before : dict, default=None
        An earlier ``headline`` of the same ``original``: its "before" is reused.
    full : bool, default=True
        Every adversary (:func:`~personatwin_sklearn.attacks.strongest_headline`);
        False: the combined linkage adversary with a uniform pick, and its minimality
        adversary (quicker, never above the full figure; its candidates are a subset of
        every other scope's, so it is the worst of the four uniform scopes for every
        person).

    Returns
    -------
    risk : dict
        ``average``, ``maximum``, ``certain_share`` (a single consistent candidate, the
        target), ``at_least_half`` (success >= 0.5) and the whole ``headline``.
    """
    from personatwin_sklearn.attacks import linkage_attack, minimality_attack, strongest_headline

    n_real = int((~original.is_synthetic).sum())
    if n_targets is not None and n_targets >= n_real:
        n_targets = None
    if not full:
        # more knowledge, fewer candidates: the combined adversary's candidates are a
        # subset of every other scope's, so with a uniform pick it is the worst per person
        scope = "combined" if original.n_connections else "qi"
        kwargs = dict(
            quasi_identifiers=quasi_identifiers, signature=list(signature), age_bin=age_bin,
            n_targets=n_targets, random_state=random_state,
        )  # fmt: skip
        table = linkage_attack(original, release, scope=scope, **kwargs).per_target
        worst, certain = table["success_probability"].to_numpy(float), _certain(table)
        # and the combined scope's minimality adversary (a coarse value reads as "this
        # pattern was rare"), per target in the same order
        found = None
        if scope == "combined":
            found = minimality_attack(original, release, scope=scope, **kwargs)
        if found is not None:
            worst = np.maximum(worst, found[1]["success_probability"].to_numpy(float))
            certain = certain | _certain(found[1])
        return {
            "average": float(worst.mean()) if len(worst) else 0.0,
            "maximum": float(worst.max()) if len(worst) else 0.0,
            "certain_share": float(certain.mean()) if len(worst) else 0.0,
            "at_least_half": float(np.mean(worst >= 0.5)) if len(worst) else 0.0,
        }
    headline = strongest_headline(
        original, release, quasi_identifiers=quasi_identifiers, signature=list(signature),
        age_bin=age_bin, n_targets=n_targets, random_state=random_state, before=before,
    )  # fmt: skip
    after = headline["after"]
    return {
        "average": float(after["average"]),
        "maximum": float(after["maximum"]),
        "certain_share": float(after.get("certain", 0.0)),
        "at_least_half": float(after.get("at_least_half", 0.0)),
        "headline": headline,
    }
