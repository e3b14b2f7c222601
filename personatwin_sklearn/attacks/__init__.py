"""Attack simulations that measure what a release protects against.

- :func:`linkage_attack`: an adversary who knows real people's quasi-identifiers and/or
  connection patterns searches the release and re-identifies small candidate sets.
- :func:`headline_risk`: the worst of those adversaries per real person, before and
  after protection (the figure the summary, the CLI and the report lead with).
- :func:`synthetic_edge_detection_attack`: a classifier that tries to tell the synthetic
  connections of a release from the real ones.
"""

from personatwin_sklearn.attacks._edge_detection import (
    EdgeDetectionResult,
    edge_features,
    synthetic_edge_detection_attack,
)
from personatwin_sklearn.attacks._headline import headline_risk
from personatwin_sklearn.attacks._linkage import LinkageAttackResult, linkage_attack

__all__ = [
    "EdgeDetectionResult",
    "LinkageAttackResult",
    "edge_features",
    "headline_risk",
    "linkage_attack",
    "synthetic_edge_detection_attack",
]
