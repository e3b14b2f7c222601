"""The headline risk: re-identification of real people by the strongest modelled adversary.

One figure, the same in ``ProcessingResult.summary()``, ``risk_metrics.json["headline"]``,
the CLI output and the report's top cards.  Per real person it is the *worst* of the
linkage-attack scopes (:func:`~personatwin_sklearn.attacks.linkage_attack`): the
adversary who knows the target's quasi-identifiers (``"qi"``), one connection pattern
(``"edge"``), the whole 1-hop neighbourhood (``"neighborhood"``) or both
(``"combined"``) picks a candidate at random; the person's risk is the largest of those
success probabilities.  The headline is the average and the maximum over real people,
before (the input attacked as if it were published) and after protection.

With ``strip_mask`` the adversary first removes the release's connections a detector
flags as synthetic (the stripped-release attack): the "after" figures are then what
that adversary gets.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd

from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.attacks._linkage import SCOPES, linkage_attack
from personatwin_sklearn.exceptions import InvalidValueError
from personatwin_sklearn.metrics._risk import resolve_quasi_identifiers
from personatwin_sklearn.patterns._core import resolve_signature

__all__ = ["HEADLINE_TARGETS", "format_headline", "format_scopes", "headline_risk"]

#: Real people attacked when there are more (a seeded random sample; the result says so).
HEADLINE_TARGETS = 5_000
_PATTERN_SCOPES = ("edge", "neighborhood", "combined")


def _figures(prob: np.ndarray) -> dict:
    if len(prob) == 0:
        return {"average": 0.0, "maximum": 0.0}
    return {"average": float(prob.mean()), "maximum": float(prob.max())}


def _stripped(release: SocialData, strip_mask) -> tuple[SocialData, int]:
    if strip_mask is None:
        return release, 0
    mask = np.asarray(strip_mask, dtype=bool)
    if mask.shape != (release.n_connections,):
        raise InvalidValueError(
            f"strip_mask must be a boolean array with one entry per release connection "
            f"({release.n_connections}), got shape {mask.shape}."
        )
    edges = release._connections.loc[~mask]
    return SocialData._from_validated(release._people, edges, release), int(mask.sum())


def _attack(original, release, scopes, **kwargs) -> tuple[dict, np.ndarray]:
    """Per-scope figures and the per-target worst case over ``scopes``."""
    figures, worst, ids = {}, None, None
    for scope in scopes:
        result = linkage_attack(original, release, scope=scope, **kwargs)
        table = result.per_target
        prob = table["success_probability"].to_numpy(dtype=float)
        if ids is None:
            ids = table["target_id"].to_numpy()
            worst = prob.copy()
        else:  # same seed and sample: same targets in the same order
            if not np.array_equal(table["target_id"].to_numpy(), ids):  # pragma: no cover
                prob = pd.Series(prob, index=table["target_id"].to_numpy()).reindex(ids).to_numpy()
            worst = np.maximum(worst, prob)
        figures[scope] = _figures(prob)
    if worst is None:
        worst = np.zeros(0)
    return figures, worst


def headline_risk(
    original,
    release,
    *,
    quasi_identifiers=None,
    signature=None,
    age_bin=5,
    hierarchies=None,
    strip_mask=None,
    scopes=("qi", "edge", "neighborhood", "combined"),
    n_targets="auto",
    random_state=0,
    before=None,
) -> dict:
    """Re-identification risk of real people by the strongest adversary, before and after.

    Every scope of :func:`linkage_attack` is run on the input and on the release
    (optionally stripped of detected connections); the headline is the scope with
    the highest average success after protection.

    Parameters
    ----------
    original : SocialData
        The input (the real people and their real connections).
    release : SocialData
        The release, real people under their original ids (as in memory, before
        :func:`~personatwin_sklearn.write_release` renames them).
    quasi_identifiers : list of str, default=None
        Columns the adversary knows (default: age, gender, ethnicity, zipcode present).
    signature : list of str, default=None
        Partner columns of a connection pattern (default: gender, age, occupation,
        ``has_*``).
    age_bin : int or None, default=5
        Partner age bucket of a pattern.
    hierarchies : dict, default=None
        Generalisation hierarchies the release used, so their labels match.
    strip_mask : array of bool, default=None
        One entry per row of ``release.connections``: connections the adversary removes
        before matching (flagged by a detector).  ``None``: nothing is removed.
    scopes : sequence of {"qi", "edge", "neighborhood", "combined"}
        Adversaries combined into the headline.  Pattern scopes are left out (and listed
        under ``"skipped"``) when the input has no connections.
    n_targets : "auto", int or None, default="auto"
        Real people attacked: ``"auto"`` attacks everyone up to
        :data:`HEADLINE_TARGETS` (5,000) and a seeded random sample of that many beyond;
        ``None`` everyone.
    random_state : int, default=0
        Seed of the target sample.
    before : dict, default=None
        A previous result of this function for the same ``original`` and options: its
        "before" figures are reused instead of attacking ``original`` again (when
        comparing several releases of one input).

    Returns
    -------
    dict
        ``before`` / ``after``: ``{"average", "maximum"}`` of the per-person worst-case
        success probability; ``scopes``: ``{scope: {"before": ..., "after": ...}}``;
        ``strongest_scope``: the scope with the highest average after; ``skipped``
        (scope -> reason), ``quasi_identifiers``, ``signature``, ``age_bin``,
        ``n_real``, ``n_targets``, ``sampled``, ``stripped_connections``.

    See Also
    --------
    linkage_attack : One scope's attack.
    stripped_release_attack : The detector-equipped adversary.

    Examples
    --------
    >>> from personatwin_sklearn.attacks import headline_risk
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> toy = make_toy_population()
    >>> h = headline_risk(toy, toy, quasi_identifiers=["age"])
    >>> h["before"] == h["after"], h["before"]["maximum"]
    (True, 1.0)
    """
    if not isinstance(original, SocialData) or not isinstance(release, SocialData):
        raise InvalidValueError(
            "headline_risk needs two SocialData (the input and the release), got "
            f"{type(original).__name__} and {type(release).__name__}."
        )
    scopes = tuple(scopes)
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise InvalidValueError(f"scopes must be a non-empty subset of {SCOPES}, got {scopes!r}.")
    qis = resolve_quasi_identifiers(original._people, quasi_identifiers)
    sig = resolve_signature(original, signature)
    skipped = {}
    if original.n_connections == 0:
        for scope in scopes:
            if scope in _PATTERN_SCOPES:
                skipped[scope] = "no connections in the input: the adversary has none to use"
        scopes = tuple(s for s in scopes if s not in _PATTERN_SCOPES) or ("qi",)
    n_real = int((~original.is_synthetic).sum())
    if n_targets == "auto":
        n_targets = HEADLINE_TARGETS if n_real > HEADLINE_TARGETS else None
    elif n_targets is not None and not (isinstance(n_targets, Integral) and n_targets >= 1):
        raise InvalidValueError(
            f"n_targets must be 'auto', None or an int >= 1, got {n_targets!r}."
        )
    if n_targets is not None and n_targets >= n_real:
        n_targets = None
    stripped, n_stripped = _stripped(release, strip_mask)
    kwargs = dict(
        quasi_identifiers=qis,
        signature=list(sig),
        age_bin=age_bin,
        hierarchies=hierarchies,
        n_targets=n_targets,
        random_state=random_state,
    )
    if before is not None and set(before.get("scopes", {})) == set(scopes):
        before_scopes = {s: before["scopes"][s]["before"] for s in scopes}
        before_figures = dict(before["before"])
    else:
        before_scopes, worst = _attack(original, original, scopes, **kwargs)
        before_figures = _figures(worst)
    after_scopes, after = _attack(original, stripped, scopes, **kwargs)
    per_scope = {s: {"before": before_scopes[s], "after": after_scopes[s]} for s in scopes}
    strongest = max(scopes, key=lambda s: (after_scopes[s]["average"], s == "combined"))
    return {
        "before": before_figures,
        "after": _figures(after),
        "scopes": per_scope,
        "strongest_scope": strongest,
        "skipped": skipped,
        "quasi_identifiers": list(qis),
        "signature": list(sig),
        "age_bin": age_bin,
        "n_real": n_real,
        "n_targets": n_real if n_targets is None else int(n_targets),
        "sampled": n_targets is not None,
        "stripped_connections": n_stripped,
    }


def _pct(value) -> str:
    return f"{100 * value:.1f}%"


def format_headline(headline: dict) -> str:
    """The headline as one line, e.g. ``"average 98.7% -> 51.1%, maximum 100.0% -> 100.0%"``.

    The CLI, :meth:`~personatwin_sklearn.ProcessingResult.summary` and the report all
    print it through this function, so the three show the same figures.

    Examples
    --------
    >>> format_headline({"before": {"average": 0.5, "maximum": 1.0},
    ...                  "after": {"average": 0.05, "maximum": 0.1}})
    'average 50.0% -> 5.0%, maximum 100.0% -> 10.0%'
    """
    b, a = headline["before"], headline["after"]
    return (
        f"average {_pct(b['average'])} -> {_pct(a['average'])}, "
        f"maximum {_pct(b['maximum'])} -> {_pct(a['maximum'])}"
    )


def format_scopes(headline: dict) -> str:
    """Each scope's average success, before -> after, on one line."""
    return ", ".join(
        f"{scope} {_pct(fig['before']['average'])} -> {_pct(fig['after']['average'])}"
        for scope, fig in headline["scopes"].items()
    )
