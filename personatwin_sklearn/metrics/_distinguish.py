"""Can synthetic people be told apart from real ones?"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.exceptions import InvalidValueError
from personatwin_sklearn.metrics._risk import resolve_quasi_identifiers

__all__ = ["distinguishability_auc", "marginal_tvd", "person_features"]

_MAX_CATEGORIES = 250  # HistGradientBoosting's categorical limit is max_bins (255)


def _check(data) -> SocialData:
    if not isinstance(data, SocialData):
        raise TypeError(f"Expected a SocialData, got {type(data).__name__}.")
    n_syn = int(data.is_synthetic.sum())
    n_real = len(data) - n_syn
    if n_syn < 2 or n_real < 2:
        raise InvalidValueError(
            f"Need at least 2 real and 2 synthetic people to compare, got {n_real} real and "
            f"{n_syn} synthetic (augment first: SyntheticAugmenter)."
        )
    return data


def _age_values(people: pd.DataFrame, age_bin: int) -> pd.Series:
    age = people["age"]
    if pd.api.types.is_numeric_dtype(age):
        lo = (np.floor(age.to_numpy(float) / age_bin) * age_bin).astype(np.int64)
        return pd.Series(lo, index=people.index)
    return age.astype(str)


def marginal_tvd(data: SocialData, columns=None, *, age_bin: int = 5) -> pd.Series:
    """Total variation distance between real and synthetic people, per column.

    TVD = half the L1 distance between the two normalised value counts (0: same
    distribution, 1: disjoint).  Ages are compared in ``age_bin``-year bands.

    Parameters
    ----------
    data : SocialData
        With real and synthetic people (``is_synthetic``).
    columns : list of str, default=None
        Default: the quasi-identifiers present (``age, gender, ethnicity, zipcode``).
    age_bin : int, default=5
        Width of the age bands.

    Returns
    -------
    tvd : Series
        TVD per column.

    See Also
    --------
    distinguishability_auc : A classifier's view of the same question.

    Examples
    --------
    >>> from personatwin_sklearn import SyntheticAugmenter
    >>> from personatwin_sklearn.datasets import make_social_population
    >>> data = make_social_population(n_people=300, random_state=0)
    >>> out = SyntheticAugmenter(synthetic_ratio=2, random_state=0).fit_transform(data)
    >>> bool((marginal_tvd(out) < 0.05).all())
    True
    """
    data = _check(data)
    people = data.people
    columns = resolve_quasi_identifiers(people, columns)
    syn = data.is_synthetic
    out = {}
    for column in columns:  # a loop over columns
        values = _age_values(people, age_bin) if column == "age" else people[column].astype(str)
        real = values[~syn].value_counts(normalize=True)
        fake = values[syn].value_counts(normalize=True)
        real, fake = real.align(fake, fill_value=0.0)
        out[column] = 0.5 * float(np.abs(real - fake).sum())
    return pd.Series(out, name="tvd")


def person_features(data: SocialData) -> pd.DataFrame:
    """Compute the per-person features an adversary sees in a release (no flags, no ids).

    Attributes (every people column but the id and ``is_synthetic``; categorical
    columns as integer codes), degree, connections of each type (either end), the
    neighbours' mean / min / max age and share of neighbours of the same gender.

    Parameters
    ----------
    data : SocialData
        The release.

    Returns
    -------
    features : DataFrame
        One row per person, in row order.

    See Also
    --------
    distinguishability_auc : Trains a classifier on these features.

    Examples
    --------
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> from personatwin_sklearn.metrics import person_features
    >>> len(person_features(make_toy_population()))
    12
    """
    people = data.people
    n = len(people)
    frame = pd.DataFrame(index=pd.RangeIndex(n))
    for column in people.columns:
        if column in (data.id_col, "is_synthetic"):
            continue
        values = people[column].reset_index(drop=True)
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            frame[column] = values.astype(float)
        else:
            codes = pd.factorize(values.astype(str))[0]
            frame[column] = pd.Categorical(codes) if codes.max() < _MAX_CATEGORIES else codes
    a, b = data.edge_positions()
    ends = np.concatenate([a, b])
    other = np.concatenate([b, a])
    frame["degree"] = np.bincount(ends, minlength=n).astype(float)
    types = data.connections["connection_type"].astype(str).to_numpy()
    both = np.concatenate([types, types])
    for t in np.unique(types):  # a loop over connection types
        sel = both == t
        frame[f"n_{t}"] = np.bincount(ends[sel], minlength=n).astype(float)
    if "age" in people and pd.api.types.is_numeric_dtype(people["age"]):
        age = people["age"].to_numpy(float)
        deg = np.maximum(frame["degree"].to_numpy(), 1)
        frame["neighbour_age_mean"] = np.where(
            frame["degree"] > 0, np.bincount(ends, weights=age[other], minlength=n) / deg, np.nan
        )
        lo = np.full(n, np.inf)
        hi = np.full(n, -np.inf)
        np.minimum.at(lo, ends, age[other])
        np.maximum.at(hi, ends, age[other])
        frame["neighbour_age_min"] = np.where(np.isfinite(lo), lo, np.nan)
        frame["neighbour_age_max"] = np.where(np.isfinite(hi), hi, np.nan)
    if "gender" in people:
        g = pd.factorize(people["gender"])[0]
        same = (g[ends] == g[other]).astype(float)
        frame["neighbour_same_gender"] = np.where(
            frame["degree"] > 0,
            np.bincount(ends, weights=same, minlength=n) / np.maximum(frame["degree"], 1),
            np.nan,
        )
    return frame


def distinguishability_auc(
    data: SocialData, *, cv: int = 5, max_rows: int | None = None, random_state=0
) -> float:
    """Cross-validated ROC AUC of a classifier telling synthetic from real people.

    The adversary sees the release without the synthetic flags: every attribute,
    the degree, the connections of each type and the neighbours' ages and genders
    (:func:`person_features`).  A gradient-boosting classifier
    (``HistGradientBoostingClassifier``, class-balanced) is trained to predict
    ``is_synthetic``; the mean AUC over ``cv`` stratified folds is returned.  0.5: the
    synthetic people cannot be told apart; 1.0: they all can.

    Parameters
    ----------
    data : SocialData
        Real and synthetic people (``is_synthetic``) and their connections.
    cv : int, default=5
        Stratified folds.
    max_rows : int, default=None
        Train and test on a random sample of this many people (features are computed
        on the whole release first, so degrees are not cut); ``None``: everyone.
    random_state : int, RandomState instance or None, default=0
        Seed of the sample, the folds and the classifier.

    Returns
    -------
    auc : float
        Mean ROC AUC over the folds.

    See Also
    --------
    marginal_tvd : Per-column distances between real and synthetic people.

    Examples
    --------
    >>> from personatwin_sklearn import SyntheticAugmenter
    >>> from personatwin_sklearn.datasets import make_social_population
    >>> from personatwin_sklearn.metrics import distinguishability_auc
    >>> data = make_social_population(n_people=150, random_state=0)
    >>> out = SyntheticAugmenter(synthetic_ratio=1, random_state=0).fit_transform(data)
    >>> 0.0 <= distinguishability_auc(out, cv=2) <= 1.0
    True
    """
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    data = _check(data)
    X = person_features(data)
    y = data.is_synthetic.astype(int)
    rng = check_random_state(random_state)
    if max_rows is not None and len(y) > max_rows:
        rows = np.sort(rng.choice(len(y), size=int(max_rows), replace=False))
        X, y = X.iloc[rows].reset_index(drop=True), y[rows]
    cv = int(min(cv, y.sum(), len(y) - y.sum()))
    if cv < 2:
        raise InvalidValueError("cv must be >= 2 (and each class needs cv people).")
    seed = int(rng.randint(np.iinfo(np.int32).max))
    categorical = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    aucs = []
    folds = StratifiedKFold(cv, shuffle=True, random_state=seed).split(X, y)
    # one OpenMP thread: small data, and busy-waiting threads stall on a loaded machine
    with threadpool_limits(1, user_api="openmp"):
        aucs = [_fold_auc(X, y, train, test, categorical, seed) for train, test in folds]
    return float(np.mean(aucs))


def _fold_auc(X, y, train, test, categorical, seed) -> float:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    clf = HistGradientBoostingClassifier(
        categorical_features=categorical or None, class_weight="balanced", random_state=seed
    ).fit(X.iloc[train], y[train])
    return float(roc_auc_score(y[test], clf.predict_proba(X.iloc[test])[:, 1]))
