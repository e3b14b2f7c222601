"""Privacy budget over pipelines and searches.

``sklearn.base.clone`` deep-copies parameters, so a diffprivlib ``BudgetAccountant``
passed to an estimator inside ``GridSearchCV`` is copied for every fit and the
original never sees the fold fits.  Every DP estimator of this package records what
one fit spent in ``epsilon_spent_``; these helpers add it up.
"""

from __future__ import annotations

from numbers import Real

from sklearn.base import clone

__all__ = ["total_epsilon_spent", "grid_search_epsilon", "planned_epsilon"]


def grid_search_epsilon(epsilon: float, n_candidates: int, n_splits: int, refit: bool = True):
    """Compute the budget of a grid search over an estimator spending ``epsilon`` per fit.

    Every candidate is fitted once per split, and the best one once more on all the
    data when ``refit``: ``epsilon * (n_candidates * n_splits + 1)``.

    Parameters
    ----------
    epsilon : float
        Spent by one fit.
    n_candidates : int
        Parameter combinations.
    n_splits : int
        Cross-validation splits.
    refit : bool, default=True
        Whether the best candidate is refitted on all the data.

    Returns
    -------
    epsilon : float
        The total spend (sequential composition).

    See Also
    --------
    total_epsilon_spent : What a fitted search actually spent.

    Examples
    --------
    >>> from personatwin_sklearn.templates import grid_search_epsilon
    >>> grid_search_epsilon(0.5, n_candidates=4, n_splits=3)
    6.5
    """
    return float(epsilon) * (int(n_candidates) * int(n_splits) + (1 if refit else 0))


def _children(obj):
    """Sub-estimators of a (fitted or unfitted) meta-estimator."""
    if hasattr(obj, "steps"):  # Pipeline
        return [step for _, step in obj.steps]
    if hasattr(obj, "transformer_list"):  # FeatureUnion
        return [step for _, step in obj.transformer_list]
    if hasattr(obj, "transformers_"):  # fitted ColumnTransformer
        return [step for _, step, _ in obj.transformers_]
    return []


def _is_estimator_like(step) -> bool:
    return step is not None and not isinstance(step, str) and hasattr(step, "get_params")


def planned_epsilon(estimator) -> float:
    """Compute the epsilon that one ``fit`` of ``estimator`` will spend.

    An estimator (or a step of a pipeline) with an ``epsilon`` parameter is taken to
    spend exactly ``epsilon`` per fit, as this package's and diffprivlib's DP
    estimators do.

    Parameters
    ----------
    estimator : estimator, Pipeline or search
        Fitted or not.

    Returns
    -------
    epsilon : float
        The sum over its DP steps.

    See Also
    --------
    total_epsilon_spent : The spend after fitting.

    Examples
    --------
    >>> from personatwin_sklearn.templates import NetworkTemplateExtractor, planned_epsilon
    >>> planned_epsilon(NetworkTemplateExtractor(epsilon=0.5))
    0.5
    """
    total = 0.0
    for step in _children(estimator):
        if _is_estimator_like(step):
            total += planned_epsilon(step)
    if not _children(estimator):
        params = estimator.get_params(deep=False) if _is_estimator_like(estimator) else {}
        value = params.get("epsilon")
        if isinstance(value, Real):
            total += float(value)
    return total


def total_epsilon_spent(obj) -> float:
    """Total epsilon spent by a fitted DP estimator, pipeline or hyper-parameter search.

    * an estimator: its ``epsilon_spent_`` (0 if it has none);
    * a ``Pipeline`` / ``FeatureUnion`` / ``ColumnTransformer``: the sum over steps;
    * a fitted ``GridSearchCV`` / ``RandomizedSearchCV`` (``cv_results_``): the fold
      fits are not kept, so each candidate's planned spend (its ``epsilon``
      parameters, see :func:`planned_epsilon`) counts once per split, plus what the
      refitted ``best_estimator_`` spent.  For a constant ``epsilon`` this is
      :func:`grid_search_epsilon` = ``epsilon * (candidates * splits + 1)``.

    Parameters
    ----------
    obj : estimator, Pipeline or search
        Fitted.

    Returns
    -------
    epsilon : float
        The total spent.

    See Also
    --------
    planned_epsilon : The spend of one fit, before fitting.

    Examples
    --------
    >>> import networkx as nx
    >>> from sklearn.pipeline import make_pipeline
    >>> from personatwin_sklearn.templates import NetworkTemplateExtractor, total_epsilon_spent
    >>> pipe = make_pipeline(NetworkTemplateExtractor(epsilon=0.5, max_degree=8, random_state=0))
    >>> total_epsilon_spent(pipe.fit(nx.karate_club_graph()))
    0.5
    """
    if hasattr(obj, "cv_results_") and hasattr(obj, "estimator"):
        n_splits = int(getattr(obj, "n_splits_", 1))
        total = 0.0
        for params in obj.cv_results_["params"]:
            candidate = clone(obj.estimator).set_params(**params)
            total += planned_epsilon(candidate) * n_splits
        if getattr(obj, "refit", False) and hasattr(obj, "best_estimator_"):
            total += total_epsilon_spent(obj.best_estimator_)
        return total
    children = _children(obj)
    if children:
        return float(sum(total_epsilon_spent(s) for s in children if _is_estimator_like(s)))
    return float(getattr(obj, "epsilon_spent_", 0.0))
