"""Privacy and utility metrics."""

from personatwin_sklearn.metrics._risk import (
    DEFAULT_QUASI_IDENTIFIERS,
    RiskReport,
    connection_pattern_k,
    equivalence_class_sizes,
    k_anonymity,
    person_pattern_k,
    reidentification_risk,
    resolve_quasi_identifiers,
)

__all__ = [
    "DEFAULT_QUASI_IDENTIFIERS",
    "RiskReport",
    "connection_pattern_k",
    "equivalence_class_sizes",
    "k_anonymity",
    "person_pattern_k",
    "reidentification_risk",
    "resolve_quasi_identifiers",
]
