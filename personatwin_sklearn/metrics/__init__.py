"""Privacy and utility metrics."""

from personatwin_sklearn.metrics._distinguish import (
    distinguishability_auc,
    marginal_tvd,
    person_features,
)
from personatwin_sklearn.metrics._release_utility import UtilityReport, release_utility
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
from personatwin_sklearn.metrics._scorers import (
    make_privacy_scorer,
    make_utility_scorer,
    utility_score,
)
from personatwin_sklearn.metrics._utility import (
    average_equivalence_class_size,
    discernibility,
    information_loss,
)

__all__ = [
    "average_equivalence_class_size",
    "discernibility",
    "distinguishability_auc",
    "marginal_tvd",
    "person_features",
    "information_loss",
    "make_privacy_scorer",
    "make_utility_scorer",
    "utility_score",
    "release_utility",
    "UtilityReport",
    "DEFAULT_QUASI_IDENTIFIERS",
    "RiskReport",
    "connection_pattern_k",
    "equivalence_class_sizes",
    "k_anonymity",
    "person_pattern_k",
    "reidentification_risk",
    "resolve_quasi_identifiers",
]
