"""Scorers that let ``GridSearchCV`` trade re-identification risk against utility."""

from __future__ import annotations

import numpy as np

from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.exceptions import InvalidValueError
from personatwin_sklearn.metrics._risk import connection_pattern_k, reidentification_risk
from personatwin_sklearn.metrics._utility import information_loss

__all__ = ["make_privacy_scorer", "PRIVACY_METRICS", "UTILITY_METRICS"]

#: Privacy metrics: name -> (function of the release, True when higher is safer).
PRIVACY_METRICS = (
    "population_average_risk",
    "max_risk",
    "records_at_risk",
    "qi_neighborhood_average_risk",
    "combined_average_risk",  # older name of qi_neighborhood_average_risk
    "min_k",
    "min_connection_pattern_k",
)
UTILITY_METRICS = ("information_loss", "synthetic_edge_share", "synthetic_people_share")


def _privacy_score(metric, release, quasi_identifiers) -> float:
    """A privacy score in [0, 1], higher is safer."""
    if metric == "min_connection_pattern_k":
        k = connection_pattern_k(release)
        return 1.0 - 1.0 / k if np.isfinite(k) and k > 0 else 1.0
    risk = reidentification_risk(
        release,
        quasi_identifiers,
        include_connections=metric in ("qi_neighborhood_average_risk", "combined_average_risk"),
    )
    if metric == "min_k":
        return 1.0 - 1.0 / risk.k if risk.k else 0.0
    return 1.0 - float(getattr(risk, metric))


def _utility_loss(utility, original, release, quasi_identifiers) -> float:
    """A utility loss in [0, 1], lower is better (the mean over several)."""
    if isinstance(utility, (list, tuple)):
        losses = [_utility_loss(u, original, release, quasi_identifiers) for u in utility]
        return float(np.mean(losses))
    if callable(utility):
        return float(utility(original, release))
    real = release.real() if isinstance(release, SocialData) else release
    if utility == "information_loss":
        people = original.people if isinstance(original, SocialData) else original
        released = real.people if isinstance(real, SocialData) else real
        return information_loss(people, released, quasi_identifiers)
    if not isinstance(release, SocialData):
        raise InvalidValueError(f"utility={utility!r} needs a SocialData release.")
    if utility == "synthetic_edge_share":
        n = release.n_connections
        return release.n_synthetic_connections / n if n else 0.0
    return release.n_synthetic / len(release) if len(release) else 0.0


def make_privacy_scorer(
    metric="population_average_risk",
    *,
    utility=("information_loss", "synthetic_people_share"),
    utility_weight=0.5,
    quasi_identifiers=None,
):
    """Make a scorer ``scorer(estimator, X, y=None) -> float`` for tuning a release.

    The estimator (e.g. :func:`~personatwin_sklearn.make_persona_pipeline`) transforms
    ``X`` into a release; the score is

    ``privacy - utility_weight * utility_loss``

    where ``privacy`` is in [0, 1] and higher is safer (``1 - risk`` for the risk
    metrics, ``1 - 1/k`` for the k metrics) and ``utility_loss`` is in [0, 1].  Greater
    is better, as ``GridSearchCV`` expects.  Use it with ``cv=release_split(data)``.

    Parameters
    ----------
    metric : str, default="population_average_risk"
        One of ``population_average_risk``, ``max_risk``, ``records_at_risk``,
        ``qi_neighborhood_average_risk`` (the quasi-identifier x neighbourhood class risk;
        older name ``combined_average_risk``), ``min_k``,
        ``min_connection_pattern_k``.
    utility : str, callable, list of those, or None, \
            default=("information_loss", "synthetic_people_share")
        ``information_loss`` (NCP of the real rows' quasi-identifiers),
        ``synthetic_edge_share``, ``synthetic_people_share``, a callable
        ``loss(original, release) -> float``, a list of them (their mean), or None for
        privacy alone.  The default counts both what generalisation takes away and how
        much of the release is synthetic: information loss alone rewards diluting the
        data with ever more synthetic people.
    utility_weight : float, default=0.5
        Weight of the utility loss against privacy.
    quasi_identifiers : list of str, default=None
        Default: those of ``age, gender, ethnicity, zipcode`` present.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``, greater is better.

    See Also
    --------
    personatwin_sklearn.release_split : The ``cv`` to use with it.

    Examples
    --------
    >>> from personatwin_sklearn import KAnonymizer
    >>> from personatwin_sklearn.datasets import make_social_population
    >>> from personatwin_sklearn.metrics import make_privacy_scorer
    >>> data = make_social_population(200, random_state=0)
    >>> scorer = make_privacy_scorer("max_risk", utility=None)
    >>> round(scorer(KAnonymizer(k=10).fit(data), data), 2)  # 1 - max risk (1/10 at most)
    0.9
    """
    if metric not in PRIVACY_METRICS:
        raise InvalidValueError(
            f"metric={metric!r} is not one of {list(PRIVACY_METRICS)}. Pick one of those."
        )
    for item in utility if isinstance(utility, (list, tuple)) else [utility]:
        if item is not None and not callable(item) and item not in UTILITY_METRICS:
            raise InvalidValueError(
                f"utility={item!r} is not one of {list(UTILITY_METRICS)}, a callable, a list "
                "of those or None."
            )
    if not isinstance(utility_weight, (int, float)) or utility_weight < 0:
        raise InvalidValueError(f"utility_weight must be a number >= 0, got {utility_weight!r}.")

    def scorer(estimator, X, y=None):
        release = estimator.transform(X)
        score = _privacy_score(metric, release, quasi_identifiers)
        if utility is not None and utility_weight:
            score -= utility_weight * _utility_loss(utility, X, release, quasi_identifiers)
        return float(score)

    scorer.__name__ = f"privacy_scorer_{metric}"
    return scorer
