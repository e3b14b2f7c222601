"""A ``GridSearchCV`` scorer from the detector-equipped adversary."""

from __future__ import annotations

from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.attacks._detector import _labels, detector_suite
from personatwin_sklearn.attacks._stripped import STRIP_SCOPES, stripped_release_attack
from personatwin_sklearn.exceptions import InvalidValueError

__all__ = ["make_detector_scorer", "DETECTOR_METRICS"]

DETECTOR_METRICS = ("auc", "shadow_auc", "effective_risk")


def make_detector_scorer(
    metric="effective_risk",
    *,
    scope="edge",
    shadow=None,
    cv=3,
    quasi_identifiers=None,
    signature=None,
    age_bin=5,
    hierarchies=None,
    random_state=0,
):
    """A scorer ``scorer(estimator, X, y=None) -> float`` from the detector adversary.

    The estimator (a generator or a whole pipeline) transforms ``X`` into a release with
    its flags; the score is negative, so that greater is better as ``GridSearchCV``
    expects:

    - ``"auc"``: ``-`` the cross-validated detector AUC (:func:`detector_suite`, trained
      on the release's own flags).  A release with fewer than ``cv`` synthetic (or real)
      connections scores ``-0.5``: there is nothing to detect.  Pair it with a risk
      scorer: adding nothing is undetectable but protects nobody.
    - ``"shadow_auc"``: ``-`` the AUC of a detector trained on ``shadow`` (required).
    - ``"effective_risk"`` (default): ``-`` the expected success of the ``scope``
      linkage attack after the stripped-release attack (:func:`stripped_release_attack`,
      with ``shadow`` or, without it, the cross-fitted upper bound); ``X`` is the
      adversary's ground truth.

    Use it with ``cv=release_split(data)`` (fit and score on all the data).

    Parameters
    ----------
    metric : {"effective_risk", "auc", "shadow_auc"}, default="effective_risk"
    scope : {"edge", "neighborhood", "qi", "combined"}, default="edge"
        Linkage scope of ``"effective_risk"``.
    shadow : SocialData or list of SocialData, default=None
        The adversary's shadow release(s) with their flags.
    cv : int, default=3
        Folds of the cross-validated detector (``"auc"``).
    quasi_identifiers, signature, age_bin, hierarchies : object
        As in :func:`linkage_attack`.
    random_state : int, RandomState instance or None, default=0
        Seed of the detector (fixed by default, so candidates are compared alike).

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``, greater is better.

    See Also
    --------
    personatwin_sklearn.metrics.make_privacy_scorer : Scores without the detector.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from personatwin_sklearn import SyntheticConnectionGenerator, release_split
    >>> from personatwin_sklearn.attacks import make_detector_scorer
    >>> from personatwin_sklearn.datasets import make_social_population
    >>> data = make_social_population(200, random_state=0)
    >>> search = GridSearchCV(
    ...     SyntheticConnectionGenerator(method="exhaustive", random_state=0),
    ...     {"target_k": [2, 5]},
    ...     scoring=make_detector_scorer("effective_risk"), cv=release_split(data),
    ... ).fit(data)
    >>> bool(-search.best_score_ <= 1.0)
    True
    """
    if metric not in DETECTOR_METRICS:
        raise InvalidValueError(
            f"metric={metric!r} is not one of {list(DETECTOR_METRICS)}. Pick one of those."
        )
    if scope not in STRIP_SCOPES:
        raise InvalidValueError(f"scope={scope!r} is not one of {list(STRIP_SCOPES)}.")
    if metric == "shadow_auc" and shadow is None:
        raise InvalidValueError(
            "metric='shadow_auc' needs shadow=: the adversary's own protected release(s) "
            "with their flags."
        )

    def scorer(estimator, X, y=None):
        release = estimator.transform(X)
        if not isinstance(release, SocialData) or not isinstance(X, SocialData):
            raise InvalidValueError(
                "make_detector_scorer needs X and the estimator's output to be SocialData "
                f"(got {type(X).__name__} -> {type(release).__name__})."
            )
        if metric == "effective_risk":
            result = stripped_release_attack(
                X,
                release,
                shadow=shadow,
                scopes=(scope,),
                quasi_identifiers=quasi_identifiers,
                signature=signature,
                age_bin=age_bin,
                hierarchies=hierarchies,
                random_state=random_state,
            )
            return -float(result.per_scope.loc[scope, "expected_success"])
        flags = _labels(release, "release")
        if metric == "auc" and min(flags.sum(), len(flags) - flags.sum()) < cv:
            return -0.5
        suite = detector_suite(
            release,
            cv=cv,
            shadow=shadow if metric == "shadow_auc" else None,
            importances=False,
            random_state=random_state,
        )
        return -float(suite.auc if metric == "auc" else suite.shadow_auc)

    scorer.__name__ = f"detector_scorer_{metric}"
    return scorer
