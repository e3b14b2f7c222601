"""Synthetic-edge detection attack: can a classifier tell added connections from real ones?

The original, cross-validated-only form of :func:`~personatwin_sklearn.attacks.
detector_suite` (kept for its callers).  The features live in the low module
:mod:`personatwin_sklearn._graph_features` (re-exported here as :func:`edge_features`),
which the connection generator reads too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral

import pandas as pd
from sklearn.utils._param_validation import Interval, validate_params

from personatwin_sklearn._graph_features import (  # noqa: F401 (old import paths)
    EDGE_ATTRIBUTES,
    _numeric_age,
    edge_features,
)
from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.attacks._detector import detector_suite

__all__ = ["EdgeDetectionResult", "edge_features", "synthetic_edge_detection_attack"]


@dataclass(frozen=True)
class EdgeDetectionResult:
    """Outcome of :func:`synthetic_edge_detection_attack`.

    How well a classifier trained on a release tells its synthetic connections from
    the real ones, and which features it relied on.

    Parameters
    ----------
    auc : float
        Mean cross-validated ROC AUC of the classifier (0.5: synthetic edges
        indistinguishable from real ones).
    auc_std : float
        Standard deviation of the AUC over the folds.
    n_real, n_synthetic : int
        Connections of each kind in the release.
    feature_importances : Series
        Permutation importance (drop in ROC AUC on a held-out quarter) of each feature,
        largest first.
    features : list of str
        Features the classifier used.

    See Also
    --------
    synthetic_edge_detection_attack : Runs the attack.

    Examples
    --------
    >>> import pandas as pd
    >>> from personatwin_sklearn.attacks import EdgeDetectionResult
    >>> result = EdgeDetectionResult(0.5, 0.01, 10, 10, pd.Series({"degree_min": 0.0}),
    ...                              ["degree_min"])
    >>> result.to_dict()["top_feature"]
    'degree_min'
    """

    auc: float
    auc_std: float
    n_real: int
    n_synthetic: int
    feature_importances: pd.Series = field(repr=False)
    features: list = field(repr=False)

    def to_dict(self) -> dict:
        """Return the headline figures as a plain dict.

        Returns
        -------
        figures : dict
            AUC, its spread, the counts and the most important feature.
        """
        return {
            "auc": self.auc,
            "auc_std": self.auc_std,
            "n_real": self.n_real,
            "n_synthetic": self.n_synthetic,
            "top_feature": self.feature_importances.index[0]
            if len(self.feature_importances)
            else None,
        }


@validate_params(
    {
        "release_with_flags": [SocialData],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "include_edge_attributes": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def synthetic_edge_detection_attack(
    release_with_flags, *, cv=5, include_edge_attributes=False, random_state=None
):
    """Train a classifier to tell synthetic connections from real ones; report its AUC.

    The adversary model is generous: the classifier learns from labelled connections
    (the release's ``is_synthetic`` flags serve as ground truth, as if the adversary
    knew some edges to be real or fake), so the cross-validated AUC is an upper bound on
    what a real adversary achieves from the same features.  Features are computed from
    the released graph and people only (see :func:`edge_features`); the flags
    themselves and, by default, the ``strength`` / ``confidence`` / ``context`` edge
    columns are **not** features: the synthetic edges carry ``strength="WEAK"``,
    ``confidence=0.5`` and a synthetic ``context``, so shipping those columns gives the
    edges away (``include_edge_attributes=True`` shows it: AUC near 1).  Ship them in a
    separate file, never with the release.

    This is :func:`detector_suite` without the shadow detector and the TPR at 1% false
    positives.

    Parameters
    ----------
    release_with_flags : SocialData
        A release with its ``is_synthetic`` connection flags (ground truth).
    cv : int, default=5
        Number of stratified cross-validation folds.
    include_edge_attributes : bool, default=False
        Also use the edge attribute columns as features.
    random_state : int, RandomState instance or None, default=None
        Seed of the folds and of the classifier.

    Returns
    -------
    result : EdgeDetectionResult
        The AUC and the feature importances.

    See Also
    --------
    detector_suite : The same detector, plus TPR at 1% FPR and a shadow-trained detector.
    linkage_attack : Re-identification by quasi-identifiers and connection patterns.

    Examples
    --------
    >>> from personatwin_sklearn.attacks import synthetic_edge_detection_attack
    >>> from personatwin_sklearn.connections import SyntheticConnectionGenerator
    >>> from personatwin_sklearn.datasets import make_social_population
    >>> data = make_social_population(300, random_state=0)
    >>> gen = SyntheticConnectionGenerator(method="exhaustive", target_k=5, random_state=0)
    >>> release = gen.fit_transform(data)
    >>> result = synthetic_edge_detection_attack(release, cv=3, random_state=0)
    >>> 0.0 <= result.auc <= 1.0, result.n_synthetic == release.n_synthetic_connections
    (True, True)
    """
    suite = detector_suite(
        release_with_flags,
        cv=cv,
        include_edge_attributes=include_edge_attributes,
        random_state=random_state,
    )
    return EdgeDetectionResult(
        auc=suite.auc,
        auc_std=suite.auc_std,
        n_real=suite.n_real,
        n_synthetic=suite.n_synthetic,
        feature_importances=suite.feature_importances,
        features=suite.features,
    )
