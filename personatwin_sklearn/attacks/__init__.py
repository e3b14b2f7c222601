"""Attack simulations that measure what a release protects against.

- :func:`linkage_attack`: an adversary who knows real people's quasi-identifiers and/or
  connection patterns searches the release and re-identifies small candidate sets.
- :func:`detector_suite`: a classifier that tries to tell the synthetic connections of a
  release from the real ones (cross-validated, and trained on a *shadow* release as a
  real adversary would: :func:`fit_detector`, :func:`score_connections`).
  :func:`synthetic_edge_detection_attack` is its older, cross-validated-only form.
- :func:`stripped_release_attack`: the adversary removes the connections its detector
  flags, then runs the linkage attack: the *effective* risk and k.
- :func:`make_detector_scorer`: those figures as a ``GridSearchCV`` scorer.

The features of a connection (:func:`edge_features`) live in the low module
``personatwin_sklearn._graph_features``, which the connection generator reads too.
- :func:`strongest_headline`: per real person the worst of every adversary above (each
  scope, with and without the detector strip, uniform, minimality, or ranking candidates
  by how real they look): the figure the summary, the CLI and the report lead with.
  :func:`headline_risk` is its uniform-adversary part; :func:`minimality_attack` reads
  a coarse value as "this pattern was rare" (the minimality attack on local recoding).
- :func:`synthetic_edge_detection_attack`: a classifier that tries to tell the synthetic
  connections of a release from the real ones.
"""

from personatwin_sklearn.attacks._detector import (
    DetectorResult,
    detector_suite,
    fit_detector,
    score_connections,
    shadow_split,
)
from personatwin_sklearn.attacks._edge_detection import (
    EdgeDetectionResult,
    edge_features,
    synthetic_edge_detection_attack,
)
from personatwin_sklearn.attacks._headline import (
    headline_risk,
    minimality_attack,
    strongest_headline,
)
from personatwin_sklearn.attacks._linkage import LinkageAttackResult, linkage_attack
from personatwin_sklearn.attacks._scorer import make_detector_scorer
from personatwin_sklearn.attacks._stripped import (
    StrippedAttackResult,
    strip_connections,
    stripped_release_attack,
)

__all__ = [
    "DetectorResult",
    "EdgeDetectionResult",
    "LinkageAttackResult",
    "StrippedAttackResult",
    "detector_suite",
    "edge_features",
    "fit_detector",
    "headline_risk",
    "linkage_attack",
    "make_detector_scorer",
    "minimality_attack",
    "score_connections",
    "shadow_split",
    "strip_connections",
    "strongest_headline",
    "stripped_release_attack",
    "synthetic_edge_detection_attack",
]
