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
from personatwin_sklearn._text import factorize
from personatwin_sklearn.attacks._linkage import SCOPES, _shared_patterns, linkage_attack
from personatwin_sklearn.exceptions import InvalidValueError
from personatwin_sklearn.metrics._risk import resolve_quasi_identifiers
from personatwin_sklearn.patterns._core import resolve_signature

__all__ = [
    "HEADLINE_TARGETS",
    "format_certain",
    "format_headline",
    "format_scopes",
    "headline_risk",
    "strongest_headline",
]

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


def _attack(original, release, scopes, tables=None, **kwargs) -> tuple[dict, np.ndarray]:
    """Per-scope figures and the per-target worst case over ``scopes`` (``tables``: a
    dict that receives each scope's per-target table)."""
    figures, worst, ids = {}, None, None
    for scope in scopes:
        result = linkage_attack(original, release, scope=scope, **kwargs)
        table = result.per_target
        if tables is not None:
            tables[scope] = table
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
    _keep_tables=False,
) -> dict:
    """Re-identification risk of real people by the uniform adversaries, before and after.

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
    _keep_tables : bool, default=False
        Internal (:func:`strongest_headline`): also return the per-target tables.

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
    with _shared_patterns():  # the original's patterns and pairs counted once
        if before is not None and set(before.get("scopes", {})) == set(scopes):
            before_scopes = {s: before["scopes"][s]["before"] for s in scopes}
            before_figures = dict(before["before"])
        else:
            before_scopes, worst = _attack(original, original, scopes, **kwargs)
            before_figures = _figures(worst)
        tables = {} if _keep_tables else None
        after_scopes, after = _attack(original, stripped, scopes, tables=tables, **kwargs)
    per_scope = {s: {"before": before_scopes[s], "after": after_scopes[s]} for s in scopes}
    strongest = max(scopes, key=lambda s: (after_scopes[s]["average"], s == "combined"))
    out = {
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
    if _keep_tables:
        out["_tables"] = tables
    return out


def _pct(value) -> str:
    return f"{100 * value:.1f}%"


def format_headline(headline: dict) -> str:
    """The headline as one line, e.g. ``"average 98.7% -> 51.1%, maximum 100.0% -> 100.0%"``.

    The CLI, :meth:`~personatwin_sklearn.ProcessingResult.summary` and the report all
    print it through this function, so the three show the same figures.  A headline
    measured on a sample of real people gives the half-width of the 95% interval of its
    average.

    Examples
    --------
    >>> format_headline({"before": {"average": 0.5, "maximum": 1.0},
    ...                  "after": {"average": 0.05, "maximum": 0.1}})
    'average 50.0% -> 5.0%, maximum 100.0% -> 10.0%'
    >>> format_headline({"before": {"average": 0.5, "maximum": 1.0},
    ...                  "after": {"average": 0.05, "maximum": 0.1, "ci95": 0.004}})
    'average 50.0% -> 5.0% (95% interval +/- 0.4%), maximum 100.0% -> 10.0%'
    """
    b, a = headline["before"], headline["after"]
    # a sampled headline carries the half-width of its 95% interval
    ci = f" (95% interval +/- {_pct(a['ci95'])})" if a.get("ci95") else ""
    return (
        f"average {_pct(b['average'])} -> {_pct(a['average'])}{ci}, "
        f"maximum {_pct(b['maximum'])} -> {_pct(a['maximum'])}"
    )


def format_scopes(headline: dict) -> str:
    """Each scope's average success, before -> after, on one line."""
    return ", ".join(
        f"{scope} {_pct(fig['before']['average'])} -> {_pct(fig['after']['average'])}"
        + (f" ({fig['after']['adversary']})" if fig["after"].get("adversary") else "")
        for scope, fig in headline["scopes"].items()
    )


# ----------------------------------------------------------------------------- strongest
#: Shares of the connections (highest scores first) the strip grid removes.
STRIP_FRACTIONS = (0.01, 0.05, 0.1, 0.25, 0.5)
#: Real people attacked when choosing a strip threshold (the same sample at each).
STRIP_TARGETS = 2_000
#: A ranker keeps the candidates whose mean connection score is below this quantile.
RANK_QUANTILE = 0.75


def _realness_pools(release, view_columns, scores) -> dict:
    """The ranking adversaries' "looks real" masks over the released people."""
    from personatwin_sklearn._graph_features import household_twins
    from personatwin_sklearn.attacks._linkage import _adversary_view
    from personatwin_sklearn.domains import rule_violations

    view = _adversary_view(release, view_columns)
    pools = {}
    twins = household_twins(view)
    pools["ranker: no twin household"] = twins == 0
    _, broken = rule_violations(release._people, view._connections, id_col=release.id_col)
    pools["ranker: no broken domain rule"] = ~broken
    pools["ranker: no twin, no broken rule"] = (twins == 0) & ~broken
    for name, score in scores.items():
        if len(score) == 0:
            continue
        index = pd.Index(view._people[view.id_col])
        ends = np.r_[
            index.get_indexer(view._connections["person1_id"]),
            index.get_indexer(view._connections["person2_id"]),
        ]
        total = np.bincount(ends, weights=np.r_[score, score], minlength=len(view))
        deg = np.bincount(ends, minlength=len(view))
        mean = np.where(deg > 0, total / np.maximum(deg, 1), 0.0)
        cut = np.quantile(mean[deg > 0], RANK_QUANTILE) if (deg > 0).any() else 0.0
        pools[f"ranker: {name} detector score"] = mean <= cut
    n = len(view)
    out, seen = {}, set()
    for name, pool in pools.items():  # an identical pool is the same adversary: once
        key = np.packbits(pool).tobytes()
        if 0 < int(pool.sum()) < n and key not in seen:
            seen.add(key)
            out[name] = pool
    return out


#: Consistent exact holders from which the minimality adversary believes a pattern common.
MINIMALITY_THRESHOLDS = (2, 3, 5, 10)
#: A published cell that covers several values: a set, a wildcard or a numeric range.
_COARSE_CELL = r"\||^\*$|^-?\d+(?:\.\d+)?-\d"


def _minimality_pools(release, qis, sig):
    """The released people with no connection coarsened for a pattern's sake (None when
    nobody or everybody has one): a coarse type, or a partner's coarse cell of a kept
    column (a signature column that is not a quasi-identifier)."""
    from personatwin_sklearn.attacks._linkage import _adversary_view

    kept = [c for c in sig if c not in qis and c in release._people.columns]
    view = _adversary_view(release, [*qis, *sig])
    if view.n_connections == 0:
        return None
    a, b = view.edge_positions()
    cell = np.zeros(len(view), dtype=bool)
    for column in kept:  # a look at each distinct value
        codes, uniques = factorize(view._people[column], use_na_sentinel=False)
        text = pd.Series([str(v) for v in uniques], dtype=object)
        cell |= text.str.contains(_COARSE_CELL, regex=True).to_numpy(bool)[codes]
    codes, uniques = factorize(view._connections["connection_type"], use_na_sentinel=False)
    typed = np.asarray(["|" in str(v) for v in uniques], dtype=bool)[codes]
    coarse = np.zeros(len(view), dtype=bool)
    coarse[a[typed | cell[b]]] = True
    coarse[b[typed | cell[a]]] = True
    return ~coarse if 0 < int(coarse.sum()) < len(view) else None


def minimality_attack(original, release, *, scope="combined", quasi_identifiers=None,
                      signature=None, **kwargs):  # fmt: skip
    """The minimality adversary: a coarse value says "this pattern was rare".

    A local recoding coarsens a connection's type or a partner's kept column (a signature
    column that is not a quasi-identifier: occupation, flags) only where a group's
    members differ.  For each target, this adversary keeps the candidates of
    :func:`~personatwin_sklearn.attacks.linkage_attack` (``scope``) *without* a coarse
    connection when at least ``threshold`` of them are consistent (a common pattern is
    published exactly), else those *with* one, and picks uniformly among them; the
    threshold of :data:`MINIMALITY_THRESHOLDS` where it succeeds most on average.

    Parameters
    ----------
    original, release : SocialData
        The input and the release (real people under their original ids).
    scope : {"edge", "neighborhood", "combined"}, default="combined"
        What the adversary knows of the target.
    quasi_identifiers, signature : list of str, default=None
        As in :func:`~personatwin_sklearn.attacks.linkage_attack` (None: its defaults).
    **kwargs
        Passed to :func:`~personatwin_sklearn.attacks.linkage_attack` (``age_bin``,
        ``n_targets``, ``random_state``, ...).

    Returns
    -------
    (threshold, per_target) or None
        The threshold used and the per-target table of ``linkage_attack``'s columns;
        None when no released person, or every one, has a coarse connection (the
        adversary learns nothing).

    See Also
    --------
    strongest_headline : Counts this adversary for every pattern scope.

    Examples
    --------
    >>> from personatwin_sklearn.attacks import minimality_attack
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> toy = make_toy_population()
    >>> minimality_attack(toy, toy, quasi_identifiers=["age"], signature=["age"]) is None
    True
    """
    qis = resolve_quasi_identifiers(original._people, quasi_identifiers)
    sig = list(resolve_signature(original, signature))
    exact = _minimality_pools(release, qis, sig)
    if exact is None:
        return None
    tables = [
        linkage_attack(
            original,
            release,
            scope=scope,
            quasi_identifiers=qis,
            signature=sig,
            candidate_pool=pool,
            **kwargs,
        ).per_target  # fmt: skip
        for pool in (exact, ~exact)
    ]
    return _minimality_choice(*tables)


def _minimality_choice(exact: pd.DataFrame, coarse: pd.DataFrame):
    """The minimality adversary's guess per target: the candidates without a coarse
    connection when at least ``threshold`` of them are consistent (a common pattern is
    published exactly), else those with one (a rare pattern was coarsened); the
    threshold of :data:`MINIMALITY_THRESHOLDS` where it succeeds most.  Returns
    ``(threshold, per-target table)``."""
    coarse = coarse.set_index("target_id").reindex(exact["target_id"]).reset_index()
    common = exact["n_candidates"].to_numpy()
    best = (-1.0, None, None)
    for threshold in MINIMALITY_THRESHOLDS:
        use = common >= threshold
        table = pd.DataFrame(
            {c: np.where(use, exact[c].to_numpy(), coarse[c].to_numpy()) for c in coarse}
        )
        success = float(table["success_probability"].mean()) if len(table) else 0.0
        if success > best[0]:
            best = (success, threshold, table)
    return best[1], best[2]


def _strip_grid(scores: np.ndarray) -> np.ndarray:
    ranked = np.sort(scores)[::-1]
    if len(ranked) == 0:
        return np.zeros(0)
    picks = [ranked[min(int(round(f * len(ranked))), len(ranked) - 1)] for f in STRIP_FRACTIONS]
    return np.unique(np.r_[0.5, picks])[::-1]


def strongest_headline(
    original,
    release,
    *,
    quasi_identifiers=None,
    signature=None,
    age_bin=5,
    hierarchies=None,
    scores=None,
    shadow=None,
    n_targets="auto",
    random_state=0,
    before=None,
    return_per_person=False,
):
    """Per real person, the worst over every adversary the package models.

    Adversaries (each picks uniformly at random among the candidates it keeps):

    - every scope of :func:`~personatwin_sklearn.attacks.linkage_attack` (``qi``,
      ``edge``, ``neighborhood``, ``combined``) on the release as published;
    - each pattern scope after stripping the connections a detector scores above a
      threshold, the threshold chosen from a small grid (0.5 and the scores that remove
      the top 1, 5, 10, 25 and 50% of connections) where that scope succeeds most on a
      sample of :data:`STRIP_TARGETS` real people.  Detectors: ``scores`` (named arrays,
      one value per release connection) and, with ``shadow``, one trained on the shadow
      release(s) (:func:`~personatwin_sklearn.attacks.fit_detector`);
    - rankers, each scope: candidates that "look real" only (no exact twin household
      elsewhere in the release, no broken domain rule, a connection score below the 75th
      percentile), falling back to everyone (the uniform adversary) when none is left;
    - a minimality adversary, each pattern scope: a local recoding coarsens a type or a
      partner's occupation or flag only where a group differs, so a coarse value says
      "this pattern was rare".  It keeps the candidates without a coarse connection when
      at least a threshold of them are consistent with the target (a common pattern is
      published exactly), else those with one; the threshold (2, 3, 5 or 10) where it
      succeeds most.

    Stripping can take a target's own record out of its candidates, so it is never
    *forced*: the unstripped adversary is always counted, and a person's risk is the
    largest success probability over all of them.

    Parameters
    ----------
    original : SocialData
        The input: the real people and their real connections.
    release : SocialData
        The release, real people under their original ids, with its flags.
    quasi_identifiers, signature, age_bin, hierarchies : object
        As in :func:`headline_risk`.
    scores : dict of {str: array-like}, default=None
        Named detector scores of the release's connections (e.g. ``{"cross-fitted":
        suite.scores}``).
    shadow : SocialData or list of SocialData, default=None
        Shadow release(s) with flags: a detector trained on them is one more strip.
    n_targets : "auto", int or None, default="auto"
        As in :func:`headline_risk`.
    random_state : int, default=0
        Seed of the target samples and the shadow detector.
    before : dict, default=None
        An earlier result for the same ``original``: its "before" figures are reused.
    return_per_person : bool, default=False
        Also return each attacked real person's worst success (who the release still
        exposes: for the data holder, never to publish).

    Returns
    -------
    dict
        The keys of :func:`headline_risk` (``before``, ``after``, ``scopes``,
        ``strongest_scope`` ...), with ``after`` also holding ``certain`` (share of real
        people some adversary names with certainty: a single consistent candidate, the
        target) and ``at_least_half``; ``scopes[s]["after"]["adversary"]`` names the
        adversary reaching that scope's figure; ``adversaries``: every adversary's
        scope, average and, for strips, threshold and removed connections;
        ``strongest_adversary``.
    per_person : DataFrame
        With ``return_per_person``: one row per attacked real person (``target_id``,
        ``success_probability``: the worst over every adversary, ``certain``: some
        adversary names them with a single consistent candidate), in target order.

    See Also
    --------
    headline_risk : The uniform adversaries only.

    Examples
    --------
    >>> from personatwin_sklearn.attacks import strongest_headline
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> toy = make_toy_population()
    >>> h = strongest_headline(toy, toy, quasi_identifiers=["age"])
    >>> h["after"]["maximum"], 0 <= h["after"]["certain"] <= 1
    (1.0, True)
    """
    with _shared_patterns():  # one set of pattern tables and candidates for every attack
        result = _strongest(
            original, release, quasi_identifiers=quasi_identifiers, signature=signature,
            age_bin=age_bin, hierarchies=hierarchies, scores=scores, shadow=shadow,
            n_targets=n_targets, random_state=random_state, before=before,
        )  # fmt: skip
    per_person = result.pop("_per_person")
    return (result, per_person) if return_per_person else result


def _ci95(prob: np.ndarray, n_population: int) -> float:
    """Half-width of the 95% normal interval of a sample mean (finite population)."""
    n = len(prob)
    if n < 2 or n >= n_population:
        return 0.0
    fpc = (n_population - n) / max(n_population - 1, 1)
    return float(1.96 * prob.std(ddof=1) / np.sqrt(n) * np.sqrt(fpc))


def _strongest(original, release, *, quasi_identifiers, signature, age_bin, hierarchies,
               scores, shadow, n_targets, random_state, before) -> dict:  # fmt: skip
    """:func:`strongest_headline` inside a shared-table block."""
    base = headline_risk(
        original,
        release,
        quasi_identifiers=quasi_identifiers,
        signature=signature,
        age_bin=age_bin,
        hierarchies=hierarchies,
        n_targets=n_targets,
        random_state=random_state,
        before=before,
        _keep_tables=True,
    )
    scopes = tuple(base["scopes"])
    qis, sig = base["quasi_identifiers"], base["signature"]
    sampled_n = base["n_targets"] if base["sampled"] else None
    kwargs = dict(
        quasi_identifiers=qis,
        signature=list(sig),
        age_bin=age_bin,
        hierarchies=hierarchies,
        random_state=random_state,
    )
    tables = base.pop("_tables")
    # every adversary: (name, scope, per-target table, extra figures)
    found = [("uniform", scope, table, {}) for scope, table in tables.items()]
    score_sets = _score_sets(release, scores, shadow, random_state)
    pattern_scopes = [s for s in scopes if s in _PATTERN_SCOPES]
    for name, score in score_sets.items():
        found += _strip_adversaries(
            original, release, name, score, pattern_scopes, base["n_real"], sampled_n, kwargs
        )
    pools = _realness_pools(release, [*qis, *sig], score_sets)
    for name, pool in pools.items():
        for scope in scopes:
            res = linkage_attack(
                original, release, scope=scope, n_targets=sampled_n, candidate_pool=pool,
                **kwargs,
            )  # fmt: skip
            found.append((name, scope, res.per_target, {}))
    for scope in pattern_scopes:
        minimal = minimality_attack(original, release, scope=scope, n_targets=sampled_n,
                                    **kwargs)  # fmt: skip
        if minimal is not None:
            threshold, table = minimal
            name = f"minimality (exact when >= {threshold})"
            found.append((name, scope, table, {"threshold": float(threshold)}))
    ids = next(iter(tables.values()))["target_id"].to_numpy()
    return _worst_of(base, ids, found, scopes, sorted(score_sets))


def _score_sets(release, scores, shadow, random_state) -> dict:
    """The detectors' scores of the release's connections: ``scores`` and, with
    ``shadow``, a detector trained on the shadow release(s); one value per connection."""
    from personatwin_sklearn._graph_features import edge_features
    from personatwin_sklearn.attacks._detector import _as_list, _predict, fit_detector

    score_sets = {k: np.asarray(v, dtype=float).ravel() for k, v in (scores or {}).items()}
    if shadow is not None and release.n_connections:
        model = fit_detector(_as_list(shadow), random_state=random_state)
        score_sets["shadow"] = _predict(model, edge_features(release))
    for name, score in score_sets.items():
        if score.shape != (release.n_connections,):
            raise InvalidValueError(
                f"scores[{name!r}] has {score.size} value(s); the release has "
                f"{release.n_connections} connections."
            )
    return score_sets


def _strip_adversaries(original, release, name, score, pattern_scopes, n_real, sampled_n,
                       kwargs) -> list:  # fmt: skip
    """The strip adversaries of one detector: per pattern scope, the release without the
    connections scoring above the threshold of the grid where that scope succeeds most
    (chosen on :data:`STRIP_TARGETS` real people).  ``(name, scope, table, extra)`` each."""
    from personatwin_sklearn.attacks._linkage import _forget

    grid = _strip_grid(score)
    if not pattern_scopes or len(grid) == 0:
        return []
    small = min(STRIP_TARGETS, n_real) if n_real > STRIP_TARGETS else None
    best = {s: (-1.0, None, None) for s in pattern_scopes}
    for threshold in grid:  # a handful of thresholds
        mask = score > threshold
        if not mask.any():
            continue
        stripped, _ = _stripped(release, mask)
        for scope in pattern_scopes:
            res = linkage_attack(original, stripped, scope=scope, n_targets=small, **kwargs)
            if res.expected_success > best[scope][0]:
                # the grid attacked everyone the headline attacks: the table is final
                table = res.per_target if small == sampled_n else None
                best[scope] = (res.expected_success, threshold, table)
        _forget(stripped)
    chosen = {t for _, t, _ in best.values() if t is not None}
    found = {}
    for threshold in sorted(chosen, reverse=True):  # one stripped release per threshold
        stripped, n_removed = _stripped(release, score > threshold)
        for scope, (_, t, table) in best.items():
            if t != threshold:
                continue
            if table is None:
                table = linkage_attack(
                    original, stripped, scope=scope, n_targets=sampled_n, **kwargs
                ).per_target
            found[scope] = (table, threshold, n_removed)
        _forget(stripped)
    out = []
    for scope in pattern_scopes:  # listed in scope order
        if scope in found:
            table, threshold, n_removed = found[scope]
            out.append((
                f"strip ({name} detector, {n_removed:,} connections removed)", scope, table,
                {"threshold": float(threshold), "removed": n_removed},
            ))  # fmt: skip
    return out


def _worst_of(base, ids, found, scopes, detectors) -> dict:
    """The headline from every adversary's per-target table (``found``: ``(name, scope,
    table, extra)``): per real person the largest success probability, the certain share,
    each scope's worst and the adversary reaching it."""
    probs, certain = [], []
    for _, _, table, _ in found:
        table = table.set_index("target_id").reindex(ids)
        probs.append(table["success_probability"].fillna(0).to_numpy(dtype=float))
        certain.append(
            table["target_in_candidates"].fillna(False).to_numpy(bool)
            & (table["n_candidates"].fillna(0).to_numpy() == 1)
        )
    probs = np.vstack(probs)
    certain = np.vstack(certain).any(axis=0)
    worst = probs.max(axis=0)
    listing = [
        {"name": name, "scope": scope, "average": float(p.mean()) if len(ids) else 0.0, **extra}
        for (name, scope, _, extra), p in zip(found, probs)
    ]
    per_scope = {}
    for scope in scopes:
        rows = [i for i, a in enumerate(found) if a[1] == scope]
        scope_worst = probs[rows].max(axis=0)
        top = max(rows, key=lambda i: listing[i]["average"])
        per_scope[scope] = {
            "before": base["scopes"][scope]["before"],
            "after": {
                **_figures(scope_worst),
                "adversary": listing[top]["name"],
                "adversary_average": listing[top]["average"],
            },
        }
    strongest = max(scopes, key=lambda s: (per_scope[s]["after"]["average"], s == "combined"))
    top = max(range(len(listing)), key=lambda i: listing[i]["average"])
    stripped_best = [a for a in listing if "removed" in a]
    per_person = pd.DataFrame({"target_id": ids, "success_probability": worst,
                               "certain": certain})  # fmt: skip
    return {
        **base,
        "_per_person": per_person,
        "after": {
            **_figures(worst),
            "certain": float(certain.mean()) if len(ids) else 0.0,
            "at_least_half": float((worst >= 0.5).mean()) if len(ids) else 0.0,
            "ci95": _ci95(worst, base["n_real"]) if base["sampled"] else 0.0,
        },
        "scopes": per_scope,
        "strongest_scope": strongest,
        "strongest_adversary": f"{listing[top]['scope']} / {listing[top]['name']}",
        "adversaries": listing,
        "detectors": detectors,
        "stripped_connections": max((a["removed"] for a in stripped_best), default=0),
    }


def format_certain(headline: dict) -> str:
    """The shares of real people named with certainty and at 50% or more, one line.

    Examples
    --------
    >>> format_certain({"after": {"certain": 0.08, "at_least_half": 0.12}})[:41]
    'named with certainty (a single consistent'
    """
    a = headline["after"]
    if "certain" not in a:
        return ""
    return (
        f"named with certainty (a single consistent candidate): {_pct(a['certain'])} of real "
        f"people; at 50% or more: {_pct(a['at_least_half'])}"
    )
