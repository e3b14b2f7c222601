"""Scorers that let ``GridSearchCV`` trade re-identification risk against utility."""

from __future__ import annotations

import numpy as np

from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.exceptions import InvalidValueError
from personatwin_sklearn.metrics._release_utility import release_utility
from personatwin_sklearn.metrics._risk import connection_pattern_k, reidentification_risk
from personatwin_sklearn.metrics._utility import information_loss

__all__ = [
    "make_privacy_scorer",
    "make_utility_scorer",
    "PRIVACY_METRICS",
    "UTILITY_METRICS",
    "DEFAULT_UTILITY_FIGURES",
    "utility_score",
]

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


#: Figures :func:`make_utility_scorer` averages by default (each as "higher is better").
DEFAULT_UTILITY_FIGURES = (
    "exact_type_share",
    "occupation_major_or_finer_share",
    "marginal_tvd_mean",
    "pattern_histogram_tvd",
    "type_degree_tvd",
    "spouse_age_gap_tvd",
    "ml_auc_gap",
)
#: Figure names that are errors (lower is better): they count as ``1 - value``.
_ERROR_MARKERS = ("_tvd", "_error", "ncp_", "_difference", "_gap")


def utility_score(figures: dict, names=DEFAULT_UTILITY_FIGURES, targets=None) -> float:
    """Mean of the named figures as "higher is better" values, less each target missed.

    Shares, AUCs and the community NMI count as they are; errors (names with ``_tvd``,
    ``_error``, ``ncp_``, ``_difference`` or ``_gap``) count as ``1 - |value|``.
    Figures that are NaN (not applicable to the data) are left out.

    Parameters
    ----------
    figures : dict
        ``UtilityReport.figures``.
    names : sequence of str, default=DEFAULT_UTILITY_FIGURES
        The figures to average.
    targets : dict of {str: float}, default=None
        What an analyst needs of some figures: a least share, or a largest error (by
        the same naming rule).  Each miss (how far the figure falls short) is
        subtracted from the mean, so among releases a search compares, one that meets
        the targets outranks one that buys a higher mean with a miss.  NaN figures
        miss nothing.

    Returns
    -------
    score : float
        At most 1 (NaN when every named figure is NaN); below 0 only with targets
        missed by more than the mean.

    See Also
    --------
    make_utility_scorer : Uses it on the figures of each candidate release.

    Examples
    --------
    >>> from personatwin_sklearn.metrics import utility_score
    >>> utility_score({"exact_type_share": 0.9, "pattern_histogram_tvd": 0.3},
    ...               ["exact_type_share", "pattern_histogram_tvd"])
    0.8
    >>> round(utility_score({"exact_type_share": 0.9, "pattern_histogram_tvd": 0.3},
    ...                     ["exact_type_share", "pattern_histogram_tvd"],
    ...                     targets={"exact_type_share": 0.95}), 2)  # 0.05 short
    0.75
    """
    values = []
    for name in names:
        value = float(figures.get(name, float("nan")))
        if np.isnan(value):
            continue
        values.append(min(max(_higher_is_better(name, value), 0.0), 1.0))
    if not values:
        return float("nan")
    missed = 0.0
    for name, target in (targets or {}).items():
        value = float(figures.get(name, float("nan")))
        if not np.isnan(value):
            short = _higher_is_better(name, target) - _higher_is_better(name, value)
            missed += max(short, 0.0)
    return float(np.mean(values)) - missed


def _higher_is_better(name: str, value: float) -> float:
    """A figure as "higher is better": errors count as ``1 - |value|``."""
    return 1.0 - abs(value) if any(marker in name for marker in _ERROR_MARKERS) else value


def make_utility_scorer(
    utility=DEFAULT_UTILITY_FIGURES,
    *,
    risk="population_average_risk",
    max_risk=None,
    penalty=-1.0,
    quasi_identifiers=None,
    **utility_params,
):
    """Make a scorer that maximises utility under a risk constraint.

    The scorer ``scorer(estimator, X, y=None) -> float`` transforms ``X`` into a release,
    measures it with :func:`release_utility` against ``X`` and returns the utility
    (greater is better, in [0, 1]) when the release's risk is at most ``max_risk``; a
    release above it scores ``penalty - (risk - max_risk)``, below every admissible
    release and ordered by how far it misses the target.  ``GridSearchCV`` then picks
    the most useful release that meets the target.  Use it with
    ``cv=release_split(data)``.

    Parameters
    ----------
    utility : str, sequence of str or callable, default=DEFAULT_UTILITY_FIGURES
        Figure name(s) of :func:`release_utility` averaged as "higher is better"
        (errors count as ``1 - error``, see :func:`utility_score`), or a callable
        ``utility(report) -> float`` on the :class:`UtilityReport`.
    risk : str or callable, default="population_average_risk"
        The constrained risk: one of ``population_average_risk``, ``max_risk``,
        ``records_at_risk``, ``combined_average_risk``, ``min_k`` (risk ``1/k``),
        ``min_connection_pattern_k`` (``1/k``), or a callable
        ``risk(original, release) -> float`` such as the headline of
        :func:`personatwin_sklearn.attacks.headline_risk` (``metrics`` does not import
        the attacks: pass it in).
    max_risk : float or None, default=None
        The target; None scores utility alone.
    penalty : float, default=-1.0
        Score of a release that just misses the target (minus the excess risk).
    quasi_identifiers : list of str, default=None
        Quasi-identifiers of the named risk metrics (default: age, gender, ethnicity,
        zipcode present).
    **utility_params
        Passed to :func:`release_utility` (``signature``, ``age_bin``, ``target``,
        ``random_state``, ``communities``).

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``, greater is better.

    See Also
    --------
    make_privacy_scorer : Trades risk against utility with a weight instead.
    release_utility : The figures.

    Examples
    --------
    >>> from personatwin_sklearn import KAnonymizer
    >>> from personatwin_sklearn.datasets import make_social_population
    >>> from personatwin_sklearn.metrics import make_utility_scorer
    >>> data = make_social_population(200, random_state=0)
    >>> scorer = make_utility_scorer("marginal_tvd_mean", risk="max_risk", max_risk=0.1,
    ...                              random_state=0, communities=False)
    >>> 0 < scorer(KAnonymizer(k=10).fit(data), data) < 1  # k=10: max risk 0.1
    True
    >>> scorer(KAnonymizer(k=2).fit(data), data) < 0  # max risk 0.5 misses the target
    True
    """
    names = (utility,) if isinstance(utility, str) else utility
    if not callable(utility):
        if not isinstance(names, (list, tuple)) or not names:
            raise InvalidValueError(
                f"utility={utility!r} must be a figure name of release_utility, a list of "
                "them or a callable utility(report) -> float."
            )
        names = tuple(names)
    if not callable(risk) and risk not in PRIVACY_METRICS:
        raise InvalidValueError(
            f"risk={risk!r} is not one of {list(PRIVACY_METRICS)} or a callable "
            "risk(original, release) -> float."
        )
    if max_risk is not None and (
        not isinstance(max_risk, (int, float)) or isinstance(max_risk, bool) or max_risk < 0
    ):
        raise InvalidValueError(f"max_risk must be a number >= 0 or None, got {max_risk!r}.")
    if not isinstance(penalty, (int, float)) or isinstance(penalty, bool):
        raise InvalidValueError(f"penalty must be a number, got {penalty!r}.")

    def scorer(estimator, X, y=None):
        release = estimator.transform(X)
        if max_risk is not None:
            if callable(risk):
                value = float(risk(X, release))
            else:
                value = 1.0 - _privacy_score(risk, release, quasi_identifiers)
            if value > max_risk:
                return float(penalty - (value - max_risk))
        original = X if isinstance(X, SocialData) else None
        if original is None or not isinstance(release, SocialData):
            raise InvalidValueError(
                "make_utility_scorer needs X and the release as SocialData (the utility "
                "compares people and connections); got "
                f"{type(X).__name__} -> {type(release).__name__}."
            )
        report = release_utility(original, release, **utility_params)
        if callable(utility):
            return float(utility(report))
        return utility_score(report.figures, names)

    scorer.__name__ = "utility_scorer"
    return scorer
