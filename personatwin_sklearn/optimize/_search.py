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
later one only loses utility.  Every point tried is recorded: the frontier.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["Frontier", "granularity", "search_release", "worst_case_risk"]


@dataclass
class Frontier:
    """Every point the search tried, with its risk and utility, and the chosen one.

    Attributes
    ----------
    points : DataFrame
        One row per point: its parameters, ``risk_average``, ``risk_maximum``,
        ``certain_share``, ``utility`` (the score maximised) and its parts, ``meets``
        (every constraint holds) and ``chosen``.
    target_risk : float
        Bound on the average risk.
    max_certain : float
        Bound on the share of real people with a single consistent candidate.
    """

    points: pd.DataFrame
    target_risk: float
    max_certain: float
    notes: list = field(default_factory=list)

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
        }


def _members(label: str) -> int:
    return label.count("|") + 1


def granularity(original, release, quasi_identifiers, kept) -> dict:
    """How much of the real people's values the release keeps (1 = all exact).

    Parameters
    ----------
    original, release : SocialData
        The input and the release (real people under their original ids).
    quasi_identifiers : list of str
        Generalised quasi-identifiers: their NCP (0 unchanged, 1 all ``"*"``).
    kept : list of str
        Kept columns (occupation, flags): the share of real people whose published value
        is exact, and for occupation at a group or finer (an ACS major group, or "not
        employed": student, unemployed, retired, not in the labour force).

    Returns
    -------
    figures : dict
        ``exact_type_share``, ``qi_ncp``, ``<column>_exact`` for each kept column,
        ``occupation_major_or_finer`` and ``utility`` (their mean, NCP as 1 - NCP).
    """
    from personatwin_sklearn import census
    from personatwin_sklearn.metrics import information_loss

    id_col = original.id_col
    real = original._people.loc[~original.is_synthetic]
    out = release._people.set_index(id_col).reindex(real[id_col].to_numpy())
    types = release._connections.loc[
        ~release._connections["is_synthetic"].to_numpy(bool), "connection_type"
    ].astype(str)
    figures = {
        "exact_type_share": float((~types.str.contains("|", regex=False)).mean())
        if len(types)
        else 1.0,
        "qi_ncp": float(
            information_loss(real[quasi_identifiers], out[quasi_identifiers], quasi_identifiers)
        )
        if quasi_identifiers
        else 0.0,
    }
    parts = [figures["exact_type_share"], 1.0 - figures["qi_ncp"]]
    groups = list(census.OCCUPATION_MAJOR_GROUPS.values()) + [tuple(census.NOT_EMPLOYED)]
    majors = {"|".join(sorted(m)) for m in groups}
    for column in kept:
        if column not in out.columns:
            continue
        before = real[column].astype(str).to_numpy()
        after = out[column].astype(str).to_numpy()
        exact = float(np.mean(before == after))
        figures[f"{column}_exact"] = exact
        if column == "occupation":
            coarse = float(np.mean((before == after) | np.isin(after, list(majors))))
            figures["occupation_major_or_finer"] = coarse
            parts.append((exact + coarse) / 2)
        else:
            parts.append(exact)
    figures["utility"] = float(np.mean(parts))
    return figures


def search_release(
    families,
    make_release,
    evaluate_risk,
    evaluate_utility,
    *,
    target_risk,
    max_certain=0.01,
    progress=None,
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
        ``certain_share``.
    evaluate_utility : callable
        ``evaluate_utility(release) -> dict`` with ``utility`` (greater is better).
    target_risk : float
        Bound on the average risk.
    max_certain : float, default=0.01
        Bound on the share of real people with a single consistent candidate.
    progress : callable, default=None
        Called with each point's row (for a progress bar).

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
    for family, points in enumerate(families):
        for point in points:
            release = make_release(point)
            risk = dict(evaluate_risk(release))
            risk.pop("headline", None)
            utility = evaluate_utility(release)
            meets = bool(
                risk["average"] <= target_risk + 1e-12
                and risk["certain_share"] <= max_certain + 1e-12
            )
            row = {
                "family": family,
                **point,
                "risk_average": risk["average"],
                "risk_maximum": risk["maximum"],
                "certain_share": risk["certain_share"],
                **utility,
                "meets": meets,
            }
            rows.append(row)
            releases.append((release, point))
            if progress is not None:
                progress(row)
            if meets:
                break
    table = pd.DataFrame(rows)
    notes = []
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
    return release, point, Frontier(table, float(target_risk), float(max_certain), notes)


def worst_case_risk(original, release, *, quasi_identifiers, signature, age_bin=5,
                    n_targets=None, random_state=0, before=None) -> dict:  # fmt: skip
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

    Returns
    -------
    risk : dict
        ``average``, ``maximum``, ``certain_share`` (a single consistent candidate, the
        target), ``at_least_half`` (success >= 0.5) and the whole ``headline``.
    """
    from personatwin_sklearn.attacks import strongest_headline

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
