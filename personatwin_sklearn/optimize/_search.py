"""The search for the most useful release under a risk target (ARX's anonymizer, for
people with typed connections).

A *point* is one configuration of the protection (e.g. the group size ``k`` and the
weight of the partners' occupations in the partition).  :func:`search_release` makes the
release of each point it tries, measures its utility and its risk (the per-person worst
over the package's linkage adversaries: the share of real people with a single
consistent candidate and the average success), and keeps the most useful point that
meets every constraint:

- average risk <= ``target_risk``;
- share of real people with a single consistent candidate <= ``max_certain``;
- synthetic additions within the budget (the points only generalise: none are added).

Points come in families (a family is a list of points from least to most protective:
utility falls along it).  The walk is best first: of the points whose release is made,
the most useful one whose risk is not yet known is measured next; a point that fails
the bounds hands on to its family's next point.  The first point that meets the bounds
(and, with ``verify``, the full measure) is the most useful feasible one: every point
left has less utility, so its risk is never measured.  A point's release may be made in
two stages (``finish_release``, e.g. the repair of the people an attack still singles
out, which only widens values): the utility of the first stage bounds the finished one
from above, so a point is finished only when that bound leads.  A point that fails may be
mended (``mend_release``, e.g. twins for the people its failed measure names most often,
which again only widens values): the mended release takes its place with its new utility
and unknown risk, and its family's next point is made when the mended one was the
family's latest (it may now be the more useful).  The choice is the one a walk that
made and measured every point and every mend would make, with the fewest attacks.
Every point made is recorded: the frontier.
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
        ``certain_share`` (NaN for a point whose risk was never measured: less useful
        than the chosen one, it could not be chosen), ``utility`` (the score maximised)
        and its parts, ``utility_is_bound`` (the point's release was never finished: its
        utility is an upper bound), ``meets`` (every constraint holds) and ``chosen``.
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
    finish_release=None,
    mend_release=None,
):
    """Try the points of each family, best first, and keep the most useful one that meets
    the bounds.

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
    verify : callable or sequence of callables, default=None
        ``verify(release) -> dict`` like ``evaluate_risk``, the full measure: the most
        useful point is checked with it; a point that fails it is out, and its family
        walks on.  A sequence: stages of the full measure, each a lower bound of the
        next (e.g. some of its adversaries, then all of them), run in turn until one
        fails; a point meets the full measure when it meets the last.  The row's
        ``verified_stage`` says which stage decided (the last: the full measure).
    progress : callable, default=None
        Called with each point's row when its release is made (for a progress bar).
    on_skip : callable, default=None
        Called with a finished release whose risk is put off (another point now leads),
        and with the release of a point that failed the bounds when the search lets go
        of it; e.g. to drop tables cached for its risk.
    finish_release : callable, default=None
        ``finish_release(release, point) -> release``: the second stage of a point's
        release, run only when the point leads the walk (its utility is then measured
        again).  It must not add utility (it only widens values): the first stage's
        utility is used as an upper bound until then.  ``None``: ``make_release`` makes
        the whole release.
    mend_release : callable, default=None
        ``mend_release(release, point, risk, attempt) -> release or None``: called when
        a point fails a measure (``risk``: that measure's dict; ``attempt``: how many
        times this point was mended before).  A release returned replaces the point's
        (it must only widen values: its utility is measured again and the point walks
        on from there, its risk unknown); None: the point fails.  The row's ``mends``
        counts the mended releases.

    Returns
    -------
    release : object
        The chosen point's release.
    point : dict
        The chosen point.
    frontier : Frontier
        Every point made.  ``utility_is_bound`` marks the points never finished: their
        utility (and its parts) are those of the first stage, an upper bound.
    """
    rows, releases = [], []
    if verify is None:
        stages = []
    else:  # one full measure, or stages of it (each a lower bound of the next)
        stages = [verify] if callable(verify) else list(verify)
    next_point = [0] * len(families)
    measured = set()  # rows whose risk is known

    def meets(risk):
        return bool(
            risk["average"] <= target_risk + 1e-12 and risk["certain_share"] <= max_certain + 1e-12
        )

    def add(family):
        """Make the family's next point (if any) and record its row."""
        if next_point[family] >= len(families[family]):
            return
        point = families[family][next_point[family]]
        next_point[family] += 1
        release = make_release(point)
        rows.append({
            "family": family, **point, "risk_average": np.nan, "risk_maximum": np.nan,
            "certain_share": np.nan, **evaluate_utility(release), "meets": False,
            "utility_is_bound": finish_release is not None,
            **({} if mend_release is None else {"mends": 0}),
        })  # fmt: skip
        releases.append((release, point))
        if progress is not None:
            progress(rows[-1])

    def leader():
        """The unmeasured row of greatest utility (ties: earlier family, earlier point)."""
        open_rows = [i for i in range(len(rows)) if i not in measured]
        if not open_rows:
            return None
        return max(open_rows, key=lambda i: (rows[i]["utility"], -rows[i]["family"], -i))

    def measure(i):
        risk = dict(evaluate_risk(releases[i][0]))
        row = rows[i]
        row["risk_average"] = risk["average"]
        row["risk_maximum"] = risk["maximum"]
        row["certain_share"] = risk["certain_share"]
        row["meets"] = meets(risk)
        measured.add(i)
        return risk

    def open_next(i):
        """Make the family's next point if row ``i`` is its latest: every point after it
        may now lead (its utility is at most the latest point's unmended utility)."""
        family = rows[i]["family"]
        if max(j for j, r in enumerate(rows) if r["family"] == family) == i:
            add(family)

    def mend(i, risk):
        """Replace the failed row ``i``'s release by its mended one; False: none."""
        row = rows[i]
        release, point = releases[i]
        mended = mend_release(release, point, risk, row["mends"])
        if mended is None:
            return False
        if on_skip is not None:
            on_skip(release)
        releases[i] = (mended, point)
        row.update(evaluate_utility(mended))
        row.update(risk_average=np.nan, risk_maximum=np.nan, certain_share=np.nan,
                   meets=False, mends=row["mends"] + 1)  # fmt: skip
        for name in ("verified_average", "verified_certain", "verified_stage"):
            row.pop(name, None)
        measured.discard(i)
        open_next(i)  # the family's next point may now be the more useful
        if progress is not None:
            progress(row)
        return True

    for family in range(len(families)):
        add(family)
    notes = []
    while (i := leader()) is not None:
        row = rows[i]
        if row["utility_is_bound"]:  # finish it; measured once it still leads
            release, point = releases[i]
            finished = finish_release(release, point)
            if finished is not release:
                releases[i] = (finished, point)
                row.update(evaluate_utility(finished))
            row["utility_is_bound"] = False
            if leader() != i and on_skip is not None:
                on_skip(finished)
            continue
        failed = measure(i)
        if row["meets"] and stages:
            stage = 0
            for check in stages:
                stage += 1
                full = dict(check(releases[i][0]))
                if not meets(full):  # a lower bound of the full measure fails: it fails
                    break
            row["verified_average"] = full["average"]
            row["verified_certain"] = full["certain_share"]
            row["verified_stage"] = stage
            if meets(full):
                row["risk_average"] = full["average"]
                row["risk_maximum"] = full["maximum"]
                row["certain_share"] = full["certain_share"]
            else:
                failed = full
                row["meets"] = False
                notes.append(
                    f"point {releases[i][1]} passed the quick measure but not the full one "
                    f"({'at least ' if stage < len(stages) else ''}{full['average']:.1%} "
                    f"average, {full['certain_share']:.1%} certain)"
                )
        if row["meets"]:  # the most useful feasible point: every other has less utility
            break
        if mend_release is not None and mend(i, failed):
            continue
        # failed: its release is needed again only as the safest point (if none meets)
        safest = min(
            measured, key=lambda j: (rows[j]["certain_share"], rows[j]["risk_average"], j)
        )
        for j in measured - {safest}:
            if releases[j][0] is not None:
                if on_skip is not None:
                    on_skip(releases[j][0])
                releases[j] = (None, releases[j][1])
        open_next(i)
    table = pd.DataFrame(rows)
    feasible = table["meets"].to_numpy(bool)
    if feasible.any():
        best = int(table["utility"].where(feasible).idxmax())
    else:  # nothing meets the bounds (every point measured): the safest, and say so
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
        target), ``at_least_half`` (success >= 0.5), ``per_person`` (a DataFrame:
        ``target_id``, ``success_probability``, ``certain``, one row per attacked real
        person; for the data holder, never to publish), ``sampled`` (whether only a
        sample of the real people was attacked) and, with ``full``, the whole
        ``headline``.
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
            "per_person": pd.DataFrame(
                {
                    "target_id": table["target_id"].to_numpy(),
                    "success_probability": worst,
                    "certain": certain,
                }
            ),  # fmt: skip
            "sampled": n_targets is not None,
        }
    headline, per_person = strongest_headline(
        original, release, quasi_identifiers=quasi_identifiers, signature=list(signature),
        age_bin=age_bin, n_targets=n_targets, random_state=random_state, before=before,
        return_per_person=True,
    )  # fmt: skip
    after = headline["after"]
    return {
        "average": float(after["average"]),
        "maximum": float(after["maximum"]),
        "certain_share": float(after.get("certain", 0.0)),
        "at_least_half": float(after.get("at_least_half", 0.0)),
        "headline": headline,
        "per_person": per_person,
        "sampled": bool(headline.get("sampled", False)),
    }
