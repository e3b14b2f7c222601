"""The stripped-release attack: remove the connections a detector flags, then re-identify.

Synthetic connections protect a rare pattern only while they cannot be told apart.  An
adversary with a detector (:mod:`personatwin_sklearn.attacks._detector`) removes the
connections it scores as synthetic, then runs the linkage attack on what is left.  The
expected success after stripping is the release's *effective* risk; its inverse the
*effective* k.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from personatwin_sklearn._graph_features import edge_features
from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.attacks._detector import (
    _as_list,
    _labels,
    _out_of_fold,
    _predict,
    fit_detector,
)
from personatwin_sklearn.attacks._linkage import _shared_patterns, linkage_attack
from personatwin_sklearn.exceptions import InvalidValueError

__all__ = ["StrippedAttackResult", "stripped_release_attack", "strip_connections"]

#: Shares of the connections (highest scores first) removed by the default threshold grid.
REMOVAL_FRACTIONS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 0.75)
STRIP_SCOPES = ("edge", "neighborhood", "qi", "combined")
_CROSS_FIT_FOLDS = 3


@dataclass(frozen=True)
class StrippedAttackResult:
    """Outcome of :func:`stripped_release_attack`.

    The linkage adversary's success after removing the connections a detector
    flags, at the threshold that helps it most, per scope.

    Parameters
    ----------
    per_scope : DataFrame
        One row per scope (index): ``expected_success`` and ``success_rate`` after the
        best strip for that scope, ``effective_k`` (``1 / expected_success``),
        ``threshold`` (connections scored above it were removed; ``inf``: none),
        ``n_removed_real``, ``n_removed_synthetic``, and the figures on the unstripped
        release (``expected_success_unstripped``, ``success_rate_unstripped``).
    grid : DataFrame
        One row per threshold tried: ``threshold``, ``n_removed_real``,
        ``n_removed_synthetic`` and ``<scope>_expected_success`` /
        ``<scope>_success_rate``.
    strip_masks : dict
        ``{scope: bool array over the release's connection rows}``: the connections
        removed at that scope's threshold.
    scores : ndarray
        The detector's score of each connection.
    detector : str
        ``"shadow"`` (trained on the shadow release(s)), ``"cross-fitted"`` (trained on
        the release's own flags, out of fold) or ``"given"`` (``scores`` passed in).
    scopes : tuple of str
        The scopes attacked; the first one's strip is :attr:`strip_mask`.
    n_real, n_synthetic : int
        Connections of each kind in the release.

    See Also
    --------
    stripped_release_attack : Computes it.

    Examples
    --------
    >>> from personatwin_sklearn.attacks import stripped_release_attack
    >>> from personatwin_sklearn.connections import SyntheticConnectionGenerator
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> toy = make_toy_population()
    >>> gen = SyntheticConnectionGenerator(target_k=3, method="exhaustive", random_state=0)
    >>> release = gen.fit_transform(toy)
    >>> flags = release.connections["is_synthetic"].to_numpy(dtype=float)
    >>> result = stripped_release_attack(toy, release, scores=flags)
    >>> result.strip_mask.shape == (release.n_connections,)
    True
    """

    per_scope: pd.DataFrame = field(repr=False)
    grid: pd.DataFrame = field(repr=False)
    strip_masks: dict = field(repr=False)
    scores: np.ndarray = field(repr=False)
    detector: str
    scopes: tuple
    n_real: int
    n_synthetic: int

    @property
    def strip_mask(self) -> np.ndarray:
        """Give the connections removed at the first scope's chosen threshold.

        That is the strip that maximises that scope's re-identification.
        """
        return self.strip_masks[self.scopes[0]]

    def effective_k(self, scope: str) -> float:
        """Give ``1 / expected success`` of ``scope`` after stripping (``inf`` at 0).

        Parameters
        ----------
        scope : str
            One of :attr:`scopes`.

        Returns
        -------
        k : float
            The effective k.
        """
        return float(self.per_scope.loc[scope, "effective_k"])

    def to_dict(self) -> dict:
        """Return the figures per scope as a plain dict (JSON-serialisable: ``inf`` -> None).

        Returns
        -------
        figures : dict
            Detector kind, counts and the per-scope figures.
        """

        def plain(value):
            value = value.item() if isinstance(value, np.generic) else value
            return None if isinstance(value, float) and not np.isfinite(value) else value

        return {
            "detector": self.detector,
            "n_real": self.n_real,
            "n_synthetic": self.n_synthetic,
            "scopes": {
                scope: {key: plain(val) for key, val in row.items()}
                for scope, row in self.per_scope.to_dict("index").items()
            },
        }


def strip_connections(release: SocialData, mask) -> SocialData:
    """Remove the connections of ``release`` where ``mask`` is True (people unchanged).

    What an adversary does with the connections a detector flags as synthetic.

    Parameters
    ----------
    release : SocialData
        The release.
    mask : array-like of bool of shape (n_connections,)
        True for the connections to remove.

    Returns
    -------
    stripped : SocialData
        Same people, id column and domain; the kept connections in their order.

    See Also
    --------
    stripped_release_attack : Strips and attacks at several thresholds.

    Examples
    --------
    >>> import numpy as np
    >>> from personatwin_sklearn.attacks import strip_connections
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> toy = make_toy_population()
    >>> mask = np.zeros(toy.n_connections, dtype=bool)
    >>> mask[0] = True
    >>> strip_connections(toy, mask).n_connections == toy.n_connections - 1
    True
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (release.n_connections,):
        raise InvalidValueError(
            f"The strip mask has shape {mask.shape}; it needs one bool per connection "
            f"({release.n_connections},)."
        )
    kept = release._connections.iloc[np.flatnonzero(~mask)]
    return SocialData._from_validated(release._people, kept, release)


def _threshold_grid(scores: np.ndarray, thresholds) -> np.ndarray:
    """Score thresholds, most permissive first; ``inf`` (remove nothing) always in."""
    if thresholds is None:
        ranked = np.sort(scores)[::-1]
        picks = [ranked[int(round(f * len(ranked)))] for f in REMOVAL_FRACTIONS if len(ranked)]
        grid = np.array([0.5, *picks], dtype=float)
    else:
        grid = np.asarray(thresholds, dtype=float).ravel()
        if np.isnan(grid).any():
            raise InvalidValueError("thresholds contain NaN; pass score thresholds in [0, 1].")
    return np.unique(np.r_[np.inf, grid])[::-1]


@validate_params(
    {
        "original": [SocialData],
        "release_with_flags": [SocialData],
        "shadow": [SocialData, list, tuple, None],
        "quasi_identifiers": [list, tuple, str, None],
        "signature": [list, tuple, str, None],
        "age_bin": [Interval(Integral, 1, None, closed="left"), None],
        "hierarchies": [dict, None],
        "scopes": [list, tuple, StrOptions(set(STRIP_SCOPES))],
        "thresholds": ["array-like", None],
        "scores": ["array-like", None],
        "n_targets": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def _strip_scores(release_with_flags, y, scores, shadow, seed) -> tuple[np.ndarray, str]:
    """The detector's score of each connection and its name: ``scores`` as given, a
    detector trained on the ``shadow`` release(s), else one cross-fitted on the
    release's own flags ``y`` (zeros when there is nothing to learn from)."""
    n_conn = len(y)
    if scores is not None:
        scores = np.asarray(scores, dtype=float).ravel()
        if scores.shape != (n_conn,):
            raise InvalidValueError(
                f"scores has {scores.size} value(s); the release has {n_conn} connections."
            )
        return scores, "given"
    if shadow is not None:
        model = fit_detector(_as_list(shadow), random_state=seed)
        return _predict(model, edge_features(release_with_flags)), "shadow"
    n_syn = int(y.sum())
    if min(n_syn, n_conn - n_syn) >= _CROSS_FIT_FOLDS:
        scores, _ = _out_of_fold(edge_features(release_with_flags), y, _CROSS_FIT_FOLDS, seed)
    else:  # nothing to learn from: the adversary removes nothing
        scores = np.zeros(n_conn)
    return scores, "cross-fitted"


def stripped_release_attack(
    original,
    release_with_flags,
    *,
    shadow=None,
    quasi_identifiers=None,
    signature=None,
    age_bin=5,
    hierarchies=None,
    scopes=("edge", "neighborhood", "combined"),
    thresholds=None,
    scores=None,
    n_targets=None,
    random_state=None,
):
    """Strip the connections a detector flags, then run the linkage attack: effective risk.

    1. The adversary scores every connection of the release with a detector:

       - ``shadow`` given: trained on the shadow release(s) only (the tool run on
         populations the adversary controls; :func:`fit_detector`).  This is what a
         real adversary can do.
       - ``shadow=None``: trained on the release's *own* flags by 3-fold cross-fitting
         (each connection scored by a model that did not see it).  No real adversary
         has these labels: the generous upper bound.
       - ``scores`` given: those scores (e.g. :attr:`DetectorResult.shadow_scores`).

    2. For each threshold of a small grid (``inf``: remove nothing, 0.5, and the scores
       that remove the top 0.5, 1, 2, 5, 10, 25, 50 and 75% of the connections) it removes
       the connections scored above the threshold and runs
       :func:`~personatwin_sklearn.attacks.linkage_attack` on the stripped release, for
       every scope.
    3. Per scope it keeps the threshold with the highest expected success (the fewest
       removals on ties).  Choosing it needs the ground truth: the adversary is granted
       the best threshold in hindsight, so the figures bound what a threshold picked
       without labels can reach.

    Stripping only removes connections, so the real people stay candidates of
    themselves in the edge and neighbourhood scopes only while their own real
    connections are kept; removing a real connection can make a target disappear from
    its candidates (the attack then scores 0 for it), which is why the best threshold is
    not simply "remove everything flagged".

    Parameters
    ----------
    original : SocialData
        The data before release (the targets' true values and connections).
    release_with_flags : SocialData
        The release with its ``is_synthetic`` flags and the real people under their
        original ids (the flags are used only by the cross-fitted detector and to count
        what was removed).
    shadow : SocialData or list of SocialData, default=None
        The adversary's shadow release(s), with their flags.
    quasi_identifiers, signature, age_bin, hierarchies : object
        As in :func:`~personatwin_sklearn.attacks.linkage_attack`.
    scopes : tuple of str, default=("edge", "neighborhood", "combined")
        Linkage scopes to run.  The first one's strip is :attr:`StrippedAttackResult.
        strip_mask`.
    thresholds : array-like of float, default=None
        Score thresholds to try instead of the default grid (``inf`` is always added).
    scores : array-like of float, default=None
        Precomputed score of each connection (skips the detector).
    n_targets : int, default=None
        Attack the same random sample of this many real people at every threshold
        (``None``: all of them); with an integer ``random_state``, the sample of
        ``linkage_attack(..., n_targets=n_targets, random_state=random_state)``.  For
        large graphs: the neighbourhood attack's cost grows with targets x holders.
    random_state : int, RandomState instance or None, default=None
        Seed of the detector and of the target sample.

    Returns
    -------
    result : StrippedAttackResult
        Success per scope after the best strip, and the whole threshold grid.

    See Also
    --------
    detector_suite : How well the detector separates the connections.
    strip_connections : The release minus some connections.

    Examples
    --------
    >>> from personatwin_sklearn.attacks import stripped_release_attack
    >>> from personatwin_sklearn.connections import SyntheticConnectionGenerator
    >>> from personatwin_sklearn.datasets import make_social_population
    >>> data = make_social_population(300, random_state=0)
    >>> gen = SyntheticConnectionGenerator(method="exhaustive", target_k=5, random_state=0)
    >>> release = gen.fit_transform(data)
    >>> result = stripped_release_attack(data, release, scopes=("edge",), random_state=0)
    >>> bool(result.per_scope.loc["edge", "expected_success"]
    ...      >= result.per_scope.loc["edge", "expected_success_unstripped"])
    True
    """
    scopes = (scopes,) if isinstance(scopes, str) else tuple(scopes)
    unknown = [s for s in scopes if s not in STRIP_SCOPES]
    if unknown or not scopes:
        raise InvalidValueError(
            f"scopes={list(scopes)!r}: each must be one of {list(STRIP_SCOPES)} (at least one)."
        )
    scopes = tuple(dict.fromkeys(scopes))
    y = _labels(release_with_flags, "release")
    n_conn = len(y)
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    scores, detector = _strip_scores(release_with_flags, y, scores, shadow, seed)
    grid = _threshold_grid(scores, thresholds)
    # the same targets at every threshold: those of linkage_attack(random_state=<int>)
    target_seed = random_state if isinstance(random_state, Integral) else seed

    rows, masks = [], []
    with _shared_patterns():  # the original's patterns counted once
        for threshold in grid:  # a handful of thresholds
            mask = scores > threshold
            stripped = strip_connections(release_with_flags, mask)
            row = {
                "threshold": float(threshold),
                "n_removed_real": int((mask & (y == 0)).sum()),
                "n_removed_synthetic": int((mask & (y == 1)).sum()),
            }
            for scope in scopes:
                res = linkage_attack(
                    original,
                    stripped,
                    scope=scope,
                    quasi_identifiers=quasi_identifiers,
                    signature=signature,
                    age_bin=age_bin,
                    hierarchies=hierarchies,
                    n_targets=n_targets,
                    random_state=target_seed,
                )
                row[f"{scope}_expected_success"] = res.expected_success
                row[f"{scope}_success_rate"] = res.success_rate
            rows.append(row)
            masks.append(mask)
    table = pd.DataFrame(rows)

    per_scope, strip_masks = {}, {}
    for scope in scopes:
        best = int(np.argmax(table[f"{scope}_expected_success"].to_numpy()))  # first max
        expected = float(table.loc[best, f"{scope}_expected_success"])
        per_scope[scope] = {
            "expected_success": expected,
            "success_rate": float(table.loc[best, f"{scope}_success_rate"]),
            "effective_k": 1.0 / expected if expected > 0 else float("inf"),
            "threshold": float(table.loc[best, "threshold"]),
            "n_removed_real": int(table.loc[best, "n_removed_real"]),
            "n_removed_synthetic": int(table.loc[best, "n_removed_synthetic"]),
            "expected_success_unstripped": float(table.loc[0, f"{scope}_expected_success"]),
            "success_rate_unstripped": float(table.loc[0, f"{scope}_success_rate"]),
        }
        strip_masks[scope] = masks[best]
    return StrippedAttackResult(
        per_scope=pd.DataFrame.from_dict(per_scope, orient="index"),
        grid=table,
        strip_masks=strip_masks,
        scores=scores,
        detector=detector,
        scopes=scopes,
        n_real=int(n_conn - y.sum()),
        n_synthetic=int(y.sum()),
    )
