"""
03. Tune a release with GridSearchCV
====================================

A release trades privacy for utility: a larger k lowers the re-identification risk but
coarsens the quasi-identifiers (information loss), and a larger connection-pattern k adds
more synthetic connections.  :func:`~personatwin_sklearn.make_persona_pipeline` is an
ordinary scikit-learn pipeline, so ``GridSearchCV`` can search its parameters with the
scorer of :func:`~personatwin_sklearn.metrics.make_privacy_scorer`:

    score = (1 - population average risk)
            - 0.5 x mean(information loss, share of synthetic people)

A release is made from all the data at once (k shrinks on folds, and folds cut
connections), so ``cv=release_split(data)`` fits and scores every candidate on the whole
population instead of on cross-validation folds.

The grid below searches the connection-pattern k (``connections__target_k``) and the
quasi-identifier k (``generalize__k``; ``generalize__privacy_level=None`` lets that k
replace the privacy level's: the step refuses both at once).  A second grid searches the
privacy levels themselves (``generalize__privacy_level``: low, medium, high).  With
``augment_with_synthetic=True`` the pipeline gains an ``augment`` step, and
``augment__synthetic_ratio`` can join the grid the same way.
"""

import time

import pandas as pd
from sklearn.model_selection import GridSearchCV

import personatwin_sklearn as pt
from personatwin_sklearn.datasets import make_social_population
from personatwin_sklearn.metrics import information_loss, reidentification_risk

data = make_social_population(n_people=500, random_state=0)
print(data)

pipeline = pt.make_persona_pipeline(privacy_level="high", random_state=0)
print("steps:", [name for name, _ in pipeline.steps])

# %% The scorer GridSearchCV maximises, and the figures printed for every candidate
privacy_scorer = pt.metrics.make_privacy_scorer()


def release_scores(estimator, X, y=None):
    """The privacy score, plus the risk and utility figures behind it."""
    release = estimator.transform(X)
    risk = reidentification_risk(release, include_connections=True)
    return {
        "score": privacy_scorer(estimator, X),
        "average_risk": risk.population_average_risk,
        "max_risk": risk.max_risk,
        "min_pattern_k": risk.min_connection_pattern_k,
        # NCP of the real people's quasi-identifiers (0 = as recorded, 1 = suppressed)
        "information_loss": information_loss(X.people, release.real().people),
        "synthetic_edge_share": release.n_synthetic_connections / release.n_connections,
        "synthetic_people_share": release.n_synthetic / len(release),
    }


param_grid = {
    "connections__target_k": [5, 10, 20],
    "generalize__privacy_level": [None],
    "generalize__k": [5, 10, 20],
}
search = GridSearchCV(
    pipeline,
    param_grid,
    scoring=release_scores,
    refit="score",
    cv=pt.release_split(data),
)
start = time.perf_counter()
search.fit(data)
print(f"\n{len(search.cv_results_['params'])} candidates in {time.perf_counter() - start:.1f} s")

# %% Every candidate's risk and utility, best first
results = pd.DataFrame(search.cv_results_)
table = pd.DataFrame(
    {
        "pattern k": results["param_connections__target_k"],
        "QI k": results["param_generalize__k"],
        "avg risk": results["mean_test_average_risk"].map("{:.1%}".format),
        "max risk": results["mean_test_max_risk"].map("{:.1%}".format),
        "min pattern k": results["mean_test_min_pattern_k"],
        "info loss": results["mean_test_information_loss"].round(3),
        "synthetic edges": results["mean_test_synthetic_edge_share"].map("{:.0%}".format),
        "synthetic people": results["mean_test_synthetic_people_share"].map("{:.0%}".format),
        "score": results["mean_test_score"].round(4),
        "rank": results["rank_test_score"],
    }
).sort_values("rank")
print(table.to_string(index=False))

# %% The chosen parameters, and the release they give
print("\nchosen:", search.best_params_)
release = search.best_estimator_.transform(data)
risk = reidentification_risk(release, include_connections=True)
print(
    f"release: {len(release):,} people ({release.n_synthetic:,} synthetic), "
    f"average risk {risk.population_average_risk:.1%}, max risk {risk.max_risk:.1%}, "
    f"smallest connection-pattern k {risk.min_connection_pattern_k:g}"
)

# %% A grid over the privacy levels
# make_persona_pipeline sets only the generalize step's privacy_level (its k stays None), so
# the levels are a parameter like any other; each one fits, and each gives its own k.
levels = GridSearchCV(
    pipeline,
    {"generalize__privacy_level": ["low", "medium", "high"]},
    scoring=release_scores,
    refit="score",
    cv=pt.release_split(data),
).fit(data)
by_level = pd.DataFrame(levels.cv_results_)
print("\nprivacy level  QI k  avg risk  info loss  score")
for params, risk_, loss, score in zip(
    by_level["params"],
    by_level["mean_test_average_risk"],
    by_level["mean_test_information_loss"],
    by_level["mean_test_score"],
):
    level = params["generalize__privacy_level"]
    k = pt.generalize.PRIVACY_LEVELS[level]
    print(f"{level:<13s}  {k:>4d}  {risk_:>8.1%}  {loss:>9.3f}  {score:.4f}")
print("chosen level:", levels.best_params_["generalize__privacy_level"])

# %% Why the default utility counts synthetic people too
# With information loss alone (make_privacy_scorer(utility="information_loss")) diluting
# the real people among ever more synthetic personas would cost nothing; computed here
# from the same measurements:
info_only = 1 - results["mean_test_average_risk"] - 0.5 * results["mean_test_information_loss"]
best = results.loc[info_only.idxmax(), "params"]
share = results.loc[info_only.idxmax(), "mean_test_synthetic_people_share"]
print(f"\nbest by information loss alone: {best} ({share:.0%} of the release synthetic)")
