"""A detector-equipped adversary: tell the synthetic connections of a release from the real.

Published attacks on edge perturbation separate fake from real edges with an AUC above
0.95 from structural features alone ("Ctrl+Z", NDSS 2020).  The detector here is a
:class:`~sklearn.ensemble.HistGradientBoostingClassifier` on the features of
:func:`~personatwin_sklearn.attacks.edge_features` (link-prediction scores, triangles,
type-specific degrees, a spectral embedding distance, attribute homophily, age gap and
connection type), all computable from the published people and connections.

Two adversaries:

- **cross-validated** (:func:`detector_suite` ``auc``): trained on the release's own
  ``is_synthetic`` flags, out of fold.  Generous (no real adversary has these labels): an
  upper bound on what the features reveal.
- **shadow** (:func:`fit_detector` / :func:`score_connections`, ``shadow_auc``): trained
  on the flags of a *shadow* release, the public tool run on another population, then
  applied to the target release.  This is what a real adversary can do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params
from threadpoolctl import threadpool_limits

from personatwin_sklearn._graph_features import edge_features, person_suite_features
from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.exceptions import InvalidValueError

__all__ = [
    "DetectorResult",
    "detector_suite",
    "fit_detector",
    "person_features",
    "score_connections",
    "shadow_split",
]

#: False-positive rate at which the true-positive rate is reported.
FPR = 0.01


@dataclass(frozen=True)
class DetectorResult:
    """Outcome of :func:`detector_suite`.

    How well a detector separates a release's synthetic connections from its real
    ones, cross-validated on the release and trained on shadow releases.

    Parameters
    ----------
    auc : float
        Mean ROC AUC over the cross-validation folds, trained on the release's own
        flags (0.5: synthetic connections indistinguishable; 1.0: every one found).
    auc_std : float
        Standard deviation of the AUC over the folds.
    tpr_at_1pct_fpr : float
        Share of the synthetic connections found while at most 1% of the real ones are
        wrongly flagged (pooled out-of-fold scores).
    shadow_auc : float or None
        ROC AUC on this release of a detector trained on the shadow release(s) only
        (``None`` without ``shadow``).
    shadow_tpr_at_1pct_fpr : float or None
        The shadow detector's true-positive rate at 1% false positives.
    n_real, n_synthetic : int
        Connections of each kind in the release.
    feature_importances : Series
        Permutation importance (drop in ROC AUC on a held-out quarter) of each feature,
        largest first.
    features : list of str
        Features the detector used.
    scores : ndarray
        Out-of-fold score of each connection (probability of being synthetic).
    shadow_scores : ndarray or None
        The shadow detector's score of each connection.
    person_auc : float or None
        ROC AUC of the person detector (synthetic people vs real) trained on the
        release's own person flags, out of fold (``None`` with fewer than ``cv`` of
        either).
    shadow_person_auc : float or None
        The person detector trained on the shadow release(s) only, on this release.

    See Also
    --------
    detector_suite : Computes it.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from personatwin_sklearn.attacks import DetectorResult
    >>> result = DetectorResult(0.5, 0.0, 0.01, None, None, 2, 2, pd.Series(dtype=float), [],
    ...                         np.zeros(4))
    >>> result.to_dict()["auc"]
    0.5
    """

    auc: float
    auc_std: float
    tpr_at_1pct_fpr: float
    shadow_auc: float | None
    shadow_tpr_at_1pct_fpr: float | None
    n_real: int
    n_synthetic: int
    feature_importances: pd.Series = field(repr=False)
    features: list = field(repr=False)
    scores: np.ndarray = field(repr=False)
    shadow_scores: np.ndarray | None = field(default=None, repr=False)
    person_auc: float | None = None
    shadow_person_auc: float | None = None

    def to_dict(self) -> dict:
        """Return the headline figures as a plain dict (JSON-serialisable).

        Returns
        -------
        figures : dict
            AUCs, true-positive rates, counts and the most important feature.
        """
        return {
            "auc": self.auc,
            "auc_std": self.auc_std,
            "tpr_at_1pct_fpr": self.tpr_at_1pct_fpr,
            "shadow_auc": self.shadow_auc,
            "shadow_tpr_at_1pct_fpr": self.shadow_tpr_at_1pct_fpr,
            "n_real": self.n_real,
            "n_synthetic": self.n_synthetic,
            "person_auc": self.person_auc,
            "shadow_person_auc": self.shadow_person_auc,
            "top_feature": self.feature_importances.index[0]
            if len(self.feature_importances)
            else None,
        }


# ----------------------------------------------------------------------------- helpers
def auc_direction(auc) -> str:
    """An AUC read with its direction: 0.32 is a signal of 0.68 (scores reversed).

    Parameters
    ----------
    auc : float or None
        A ROC AUC.

    Returns
    -------
    text : str
        ``"0.68 signal"`` style text; ``"none"`` for ``None`` / NaN.

    Examples
    --------
    >>> auc_direction(0.32)
    '0.32 (0.68 signal, reversed)'
    >>> auc_direction(0.81)
    '0.81 (0.81 signal)'
    """
    if auc is None or not np.isfinite(auc):
        return "none"
    signal = max(auc, 1.0 - auc)
    return f"{auc:.2f} ({signal:.2f} signal{', reversed' if auc < 0.5 else ''})"


def _labels(release: SocialData, what: str) -> np.ndarray:
    if "is_synthetic" not in release._connections.columns:
        raise InvalidValueError(
            f"The {what} has no 'is_synthetic' connection flags; pass the release with its "
            "flags (ProcessingResult.data, or the generator's output), not the public files."
        )
    return release._connections["is_synthetic"].to_numpy(dtype=bool).astype(np.int8)


def _model(y_train: np.ndarray, seed: int) -> HistGradientBoostingClassifier:
    # few connections of one class: smaller leaves, so that they can be isolated at all
    minority = int(min(y_train.sum(), len(y_train) - y_train.sum()))
    return HistGradientBoostingClassifier(
        categorical_features="from_dtype",
        class_weight="balanced",
        min_samples_leaf=int(np.clip(minority // 5, 1, 20)),
        random_state=seed,
    )


def _fit(model: HistGradientBoostingClassifier, X: pd.DataFrame, y: np.ndarray):
    """``model.fit(X, y)`` with all-missing numeric columns read as a constant.

    A feature missing for every connection (``spectral_distance`` above
    ``spectral_max_nodes``) carries no information, and scikit-learn 1.9's binning fails
    on it ("window shape cannot be larger than input array shape").
    """
    empty = [c for c in X.columns if pd.api.types.is_float_dtype(X[c].dtype) and X[c].isna().all()]
    return model.fit(X.assign(**{c: 0.0 for c in empty}) if empty else X, y)


def _tpr_at(y: np.ndarray, scores: np.ndarray, fpr_max: float = FPR) -> float:
    fpr, tpr, _ = roc_curve(y, scores, drop_intermediate=False)
    return float(tpr[fpr <= fpr_max].max())


def _check_counts(y: np.ndarray, cv: int, what: str) -> tuple[int, int]:
    n_syn = int(y.sum())
    n_real = int(len(y) - n_syn)
    if min(n_syn, n_real) < cv:
        raise InvalidValueError(
            f"The {what} has {n_real} real and {n_syn} synthetic connection(s); "
            f"cv={cv} folds need at least {cv} of each. Lower cv or attack a release "
            "with more synthetic connections."
        )
    return n_real, n_syn


def _out_of_fold(X: pd.DataFrame, y: np.ndarray, cv: int, seed: int):
    """Out-of-fold scores of every connection and the per-fold AUCs."""
    scores = np.zeros(len(y))
    aucs = []
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    # one OpenMP thread: busy-waiting threads stall badly on a loaded machine
    with threadpool_limits(1, user_api="openmp"):
        for train, test in folds.split(X, y):  # cv folds
            clf = _fit(_model(y[train], seed), X.iloc[train], y[train])
            scores[test] = clf.predict_proba(X.iloc[test])[:, 1]
            aucs.append(roc_auc_score(y[test], scores[test]))
    return scores, aucs


def _as_list(shadow) -> list:
    shadows = list(shadow) if isinstance(shadow, (list, tuple)) else [shadow]
    for item in shadows:
        if not isinstance(item, SocialData):
            raise InvalidValueError(
                f"A shadow release must be a SocialData with its is_synthetic flags, got "
                f"{type(item).__name__}."
            )
    if not shadows:
        raise InvalidValueError("shadow is an empty list; pass at least one shadow release.")
    return shadows


# ----------------------------------------------------------------------------- shadow
#: ``shadow_split(n_repeats="auto")`` draws splits until the shadow populations hold
#: about this many people in all (at most :data:`SHADOW_MAX_REPEATS` splits).
SHADOW_PEOPLE = 4000
SHADOW_MAX_REPEATS = 4


def shadow_split(
    data: SocialData, n_parts: int = 2, random_state=None, *, n_repeats="auto"
) -> list:
    """Split a population into parts that keep connected people together: shadow populations.

    The adversary's shadow detector must train on releases that look like the target's.
    Random halves of the people keep each connection only when both ends fall in the
    same half (one in four): the shadow graph is thinned, its degrees, households and
    twins are not the target's, and a detector trained on it transfers badly.  Here the connected
    components are put in a seeded random order (so that each part is a sample of the
    whole: households of every size and isolated people alike), the people of a component in
    reverse Cuthill-McKee order (:func:`scipy.sparse.csgraph.reverse_cuthill_mckee`:
    a large component with a small bandwidth), and the list is cut into ``n_parts``
    contiguous pieces of (nearly) equal size: a component is cut only at the
    ``n_parts - 1`` cut points.

    Small populations give small shadows, and a detector trained on a few hundred
    people's connections is noisy: ``n_repeats`` independent splits (``"auto"``: until
    the parts hold about :data:`SHADOW_PEOPLE` people, at most
    :data:`SHADOW_MAX_REPEATS` splits; one split from 4,000 people on) give
    ``n_parts * n_repeats`` shadow populations.  ``personatwin demo --protection
    global``, seeds 0-4 (``benchmarks/bench_headline_check.py --protection global
    --outside``): the package's shadow AUC, connections / people, 0.71-0.79 /
    0.75-0.80 against an outside detector trained on 4 whole releases of other
    populations 0.73-0.80 / 0.75-0.81 (with 2 random halves: 0.67-0.72 / 0.68-0.71).

    Parameters
    ----------
    data : SocialData
        The population (its people and connections).
    n_parts : int, default=2
        Number of parts.
    random_state : int, RandomState instance or None, default=None
        Seed of the order of the components.
    n_repeats : int or "auto", default="auto"
        Independent splits (``"auto"``: ``ceil(SHADOW_PEOPLE / n_people)``, between 1
        and :data:`SHADOW_MAX_REPEATS`).

    Returns
    -------
    parts : list of ndarray of int
        Sorted row positions of each part, ``n_parts`` per split (within a split every
        person is in exactly one part).

    See Also
    --------
    fit_detector : Trains on the releases of the parts.

    Examples
    --------
    >>> from personatwin_sklearn.attacks import shadow_split
    >>> from personatwin_sklearn.datasets import make_social_population
    >>> data = make_social_population(200, random_state=0)
    >>> parts = shadow_split(data, random_state=0, n_repeats=1)
    >>> [len(p) for p in parts], sum(len(p) for p in parts) == len(data)
    ([100, 100], True)
    >>> len(shadow_split(data, random_state=0))  # "auto": 4 splits of 200 people
    8
    """
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components, reverse_cuthill_mckee

    if not isinstance(data, SocialData):
        raise InvalidValueError(
            f"shadow_split needs the population as a SocialData, got {type(data).__name__}."
        )
    if not isinstance(n_parts, Integral) or isinstance(n_parts, bool) or n_parts < 1:
        raise InvalidValueError(f"n_parts must be an integer >= 1, got {n_parts!r}.")
    n = len(data)
    if isinstance(n_repeats, str) and n_repeats == "auto":
        n_repeats = int(np.clip(-(-SHADOW_PEOPLE // max(n, 1)), 1, SHADOW_MAX_REPEATS))
    if not isinstance(n_repeats, Integral) or isinstance(n_repeats, bool) or n_repeats < 1:
        raise InvalidValueError(f"n_repeats must be an integer >= 1 or 'auto', got {n_repeats!r}.")
    rng = check_random_state(random_state)
    u, v = data.edge_positions()
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    adj = sp.coo_matrix(
        (np.ones(2 * len(u), dtype=np.int8), (np.r_[u, v], np.r_[v, u])), shape=(n, n)
    ).tocsr()
    rcm = np.empty(n, dtype=np.int64)
    rcm[np.asarray(reverse_cuthill_mckee(adj, symmetric_mode=True), dtype=np.int64)] = np.arange(n)
    _, component = connected_components(adj, directed=False)
    bounds = np.linspace(0, n, int(n_parts) + 1).round().astype(np.int64)
    parts = []
    for _ in range(int(n_repeats)):  # a few splits
        shuffled = rng.permutation(component.max() + 1 if n else 0)
        order = np.lexsort((rcm, shuffled[component]))  # components in random order
        parts += [np.sort(order[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:])]
    return parts


def fit_detector(shadow_release_with_flags, random_state=None, *, include_edge_attributes=False):
    """Train a detector on the flags of the adversary's own (shadow) release(s).

    The adversary runs the public tool on populations it controls, so it knows which of
    *those* connections are synthetic; it never sees the target release's flags.

    Parameters
    ----------
    shadow_release_with_flags : SocialData or list of SocialData
        Shadow release(s) with their ``is_synthetic`` connection flags (several are
        pooled).
    random_state : int, RandomState instance or None, default=None
        Seed of the classifier.
    include_edge_attributes : bool, default=False
        Also learn from ``strength`` / ``confidence`` / ``context`` (a release must not
        ship them).

    Returns
    -------
    HistGradientBoostingClassifier
        Fitted on :func:`edge_features`; its ``feature_names_in_`` lists the features.

    See Also
    --------
    score_connections : Apply the detector to a target release.

    Examples
    --------
    >>> from personatwin_sklearn.attacks import fit_detector, score_connections
    >>> from personatwin_sklearn.connections import SyntheticConnectionGenerator
    >>> from personatwin_sklearn.datasets import make_social_population
    >>> gen = SyntheticConnectionGenerator(method="exhaustive", target_k=5, random_state=0)
    >>> shadow = gen.fit_transform(make_social_population(300, random_state=1))
    >>> target = gen.fit_transform(make_social_population(300, random_state=2))
    >>> detector = fit_detector(shadow, random_state=0)
    >>> score_connections(detector, target).shape == (target.n_connections,)
    True
    """
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    frames, labels = [], []
    for item in _as_list(shadow_release_with_flags):
        labels.append(_labels(item, "shadow release"))
        frames.append(edge_features(item, include_edge_attributes=include_edge_attributes))
    y = np.concatenate(labels)
    if y.sum() == 0 or y.sum() == len(y):
        raise InvalidValueError(
            f"The shadow release(s) hold {int(y.sum())} synthetic and {int(len(y) - y.sum())} "
            "real connection(s); a detector needs both. Protect the shadow population "
            "with the tool first."
        )
    X = _concat_features(frames)
    with threadpool_limits(1, user_api="openmp"):
        return _fit(_model(y, seed), X, y)


def _concat_features(frames: list) -> pd.DataFrame:
    if len(frames) == 1:
        return frames[0]
    out = pd.concat(frames, ignore_index=True)
    for column in frames[0].columns:
        if isinstance(frames[0][column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype("category")
    return out


def _align(X: pd.DataFrame, detector) -> pd.DataFrame:
    """The target's features in the detector's column order; a feature the target lacks
    (e.g. no zipcode column) is missing (NaN), which the detector handles."""
    names = list(detector.feature_names_in_)
    missing = [c for c in names if c not in X.columns]
    if missing:
        X = X.assign(**{c: np.nan for c in missing})
    return X[names]


def score_connections(detector, release) -> np.ndarray:
    """Score each connection of ``release`` with the detector's probability of being synthetic.

    Only the published people and connections are used (no flags, no edge attributes
    unless the detector was trained with them).

    Parameters
    ----------
    detector : fitted classifier
        From :func:`fit_detector`.
    release : SocialData
        The target release.

    Returns
    -------
    scores : ndarray of shape (n_connections,)
        Probability that each connection is synthetic.

    See Also
    --------
    fit_detector : Trains the detector.
    strip_connections : Remove the connections scored above a threshold.

    Examples
    --------
    >>> from personatwin_sklearn.attacks import fit_detector, score_connections
    >>> from personatwin_sklearn.connections import SyntheticConnectionGenerator
    >>> from personatwin_sklearn.datasets import make_social_population
    >>> gen = SyntheticConnectionGenerator(target_k=5, method="exhaustive", random_state=0)
    >>> shadow = gen.fit_transform(make_social_population(300, random_state=1))
    >>> release = gen.fit_transform(make_social_population(300, random_state=0))
    >>> scores = score_connections(fit_detector(shadow, random_state=0), release)
    >>> scores.shape == (release.n_connections,)
    True
    """
    if not isinstance(release, SocialData):
        raise InvalidValueError(
            f"score_connections needs the release as a SocialData, got {type(release).__name__}."
        )
    names = set(getattr(detector, "feature_names_in_", ()))
    leaky = bool({"strength", "confidence", "context"} & names)
    return _predict(detector, edge_features(release, include_edge_attributes=leaky))


# ----------------------------------------------------------------------------- people
def _person_labels(release: SocialData) -> np.ndarray:
    return np.asarray(release.is_synthetic, dtype=bool).astype(np.int8)


def person_features(release: SocialData, edge_scores=None) -> pd.DataFrame:
    """Features of the person detector: :func:`~personatwin_sklearn._graph_features.
    person_suite_features` and, with ``edge_scores`` (one per connection), the largest
    and the mean score of the person's connections (NaN without connections).

    Parameters
    ----------
    release : SocialData
        The release (flags are not read).
    edge_scores : array-like of shape (n_connections,), default=None
        A connection detector's scores.

    Returns
    -------
    DataFrame
        One row per person, in row order.
    """
    X = person_suite_features(release)
    if edge_scores is not None:
        scores = np.asarray(edge_scores, dtype=float)
        edges = release._connections
        index = pd.Index(release._people[release.id_col])
        ends = np.r_[
            index.get_indexer(edges["person1_id"]), index.get_indexer(edges["person2_id"])
        ]
        both = np.r_[scores, scores]
        keep = ends >= 0
        n = len(X)
        deg = np.bincount(ends[keep], minlength=n)
        total = np.bincount(ends[keep], weights=both[keep], minlength=n)
        top = np.full(n, -np.inf)
        np.maximum.at(top, ends[keep], both[keep])
        X["edge_score_max"] = np.where(deg > 0, top, np.nan)
        X["edge_score_mean"] = np.where(deg > 0, total / np.maximum(deg, 1), np.nan)
    return X


def _person_auc(release, edge_scores, cv, seed):
    """Out-of-fold person AUC on the release's own person flags (None: too few)."""
    y = _person_labels(release)
    if min(int(y.sum()), int(len(y) - y.sum())) < cv:
        return None
    _, aucs = _out_of_fold(person_features(release, edge_scores), y, cv, seed)
    return float(np.mean(aucs))


def _shadow_edge_scores(shadows, cv, seed, include_edge_attributes=False) -> list:
    """Connection scores of each shadow release as the target's are made: by a detector
    that never saw that release's flags.

    With several shadows, they are dealt into two groups (``i % 2``) and each group is
    scored by a detector trained on the other (like the target, scored by one trained
    on other populations; two fits whatever the number of shadows); a single shadow is
    scored out of fold.  The person detector learns from these scores, so they must
    read like the target's.
    """
    frames = [edge_features(s, include_edge_attributes=include_edge_attributes) for s in shadows]
    labels = [_labels(s, "shadow release") for s in shadows]
    out = []
    groups = min(len(shadows), 2)
    models = {}
    for g in range(groups if groups > 1 else 0):  # two fits
        others = [j for j in range(len(shadows)) if j % groups != g]
        yo = np.concatenate([labels[j] for j in others])
        if 0 < yo.sum() < len(yo):
            with threadpool_limits(1, user_api="openmp"):
                models[g] = _fit(
                    _model(yo, seed), _concat_features([frames[j] for j in others]), yo
                )
    for i, (Xs, ys) in enumerate(zip(frames, labels)):  # a few shadows
        if groups > 1 and i % groups in models:
            out.append(_predict(models[i % groups], Xs))
            continue
        folds = min(cv, int(ys.sum()), int(len(ys) - ys.sum()))
        out.append(_out_of_fold(Xs, ys, folds, seed)[0] if folds >= 2 else np.full(len(ys), 0.5))
    return out


def _shadow_person_auc(release, edge_scores, shadows, shadow_edge_scores, seed):
    """A person detector trained on the shadow release(s) only, AUC on ``release``."""
    y = _person_labels(release)
    if not shadows or y.sum() == 0 or y.sum() == len(y):
        return None
    frames = [person_features(item, sc) for item, sc in zip(shadows, shadow_edge_scores)]
    ys = np.concatenate([_person_labels(item) for item in shadows])
    if ys.sum() == 0 or ys.sum() == len(ys):
        return None
    with threadpool_limits(1, user_api="openmp"):
        model = _model(ys, seed).fit(_concat_features(frames), ys)
    return float(roc_auc_score(y, _predict(model, person_features(release, edge_scores))))


# ----------------------------------------------------------------------------- suite
@validate_params(
    {
        "release_with_flags": [SocialData],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "shadow": [SocialData, list, tuple, None],
        "include_edge_attributes": ["boolean"],
        "importances": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def detector_suite(
    release_with_flags,
    *,
    cv=5,
    shadow=None,
    include_edge_attributes=False,
    importances=True,
    random_state=None,
):
    """Measure how well a detector tells the synthetic connections of a release from the real.

    Features: :func:`edge_features` of the published release (the flags and, by default,
    the ``strength`` / ``confidence`` / ``context`` columns are not features).
    Classifier: :class:`~sklearn.ensemble.HistGradientBoostingClassifier` with
    ``class_weight="balanced"`` and leaves of at most 20 and at least one fifth of the
    training fold's minority class, one OpenMP thread.

    - ``auc`` / ``auc_std``: mean and spread over ``cv`` stratified folds, trained on the
      release's own flags: a generous adversary, an upper bound on the features' power.
      The folds split connections, not households: connections of one household share
      features and, often, their label, which leaks across folds (on labels that are
      pure chance by construction the AUC reads about 0.6, see ``tests/
      test_detector.py``).  Exact twins of real connections leak the other way (below
      0.5).  The shadow AUC has neither leak.
    - ``tpr_at_1pct_fpr``: from the pooled out-of-fold scores.
    - ``shadow_auc``: a detector trained on ``shadow`` only (the tool run on another
      population, as a real adversary would), scoring this release.

    Parameters
    ----------
    release_with_flags : SocialData
        A release with its ``is_synthetic`` connection flags (ground truth).
    cv : int, default=5
        Number of stratified cross-validation folds.
    shadow : SocialData or list of SocialData, default=None
        The adversary's shadow release(s), with their flags.
    include_edge_attributes : bool, default=False
        Also use the edge attribute columns as features.
    importances : bool, default=True
        Compute permutation importances (one more fit; empty Series when False).
    random_state : int, RandomState instance or None, default=None
        Seed of the folds and of the classifiers.

    Returns
    -------
    result : DetectorResult
        AUCs, true-positive rates at 1% false positives, importances and scores.

    See Also
    --------
    stripped_release_attack : Remove the detected connections, then re-identify.

    Examples
    --------
    >>> from personatwin_sklearn.attacks import detector_suite
    >>> from personatwin_sklearn.connections import SyntheticConnectionGenerator
    >>> from personatwin_sklearn.datasets import make_social_population
    >>> gen = SyntheticConnectionGenerator(method="exhaustive", target_k=5, random_state=0)
    >>> release = gen.fit_transform(make_social_population(300, random_state=0))
    >>> shadow = gen.fit_transform(make_social_population(300, random_state=1))
    >>> result = detector_suite(release, cv=3, shadow=shadow, importances=False, random_state=0)
    >>> 0.0 <= result.auc <= 1.0 and 0.0 <= result.shadow_auc <= 1.0
    True
    """
    cross = _cross_fitted(release_with_flags, cv, random_state, include_edge_attributes)
    return _suite_from(
        release_with_flags, cross, cv=cv, shadow=shadow,
        include_edge_attributes=include_edge_attributes, importances=importances,
    )  # fmt: skip


def _suite_from(release_with_flags, cross, *, cv, shadow, include_edge_attributes,
                importances) -> DetectorResult:  # fmt: skip
    """:func:`detector_suite` from its cross-fitted part (:func:`_cross_fitted`): a caller
    that already has it (the search's first stage) does not train it again."""
    y, (n_real, n_syn), X, seed, (scores, aucs) = cross
    if importances:
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=0.25, stratify=y, random_state=seed
        )
        with threadpool_limits(1, user_api="openmp"):
            clf = _fit(_model(y_tr, seed), X_tr, y_tr)
            imp = permutation_importance(
                clf, X_te, y_te, scoring="roc_auc", n_repeats=3, random_state=seed
            )
        ranked = pd.Series(imp.importances_mean, index=list(X.columns), name="auc_drop")
        ranked = ranked.sort_values(ascending=False)
    else:
        ranked = pd.Series(dtype=float, name="auc_drop")
    shadow_auc = shadow_tpr = shadow_scores = None
    shadows, shadow_edge_scores = [], []
    if shadow is not None:
        shadows = _as_list(shadow)
        detector = fit_detector(
            shadow, random_state=seed, include_edge_attributes=include_edge_attributes
        )
        shadow_scores = _predict(detector, X)
        shadow_auc = float(roc_auc_score(y, shadow_scores))
        shadow_tpr = _tpr_at(y, shadow_scores)
        shadow_edge_scores = _shadow_edge_scores(shadows, cv, seed, include_edge_attributes)
    person_auc = _person_auc(release_with_flags, scores, cv, seed)
    shadow_person_auc = None
    if shadow is not None:  # reads the shadow connection detector's scores of this release
        shadow_person_auc = _shadow_person_auc(
            release_with_flags, shadow_scores, shadows, shadow_edge_scores, seed
        )
    return DetectorResult(
        auc=float(np.mean(aucs)),
        auc_std=float(np.std(aucs)),
        tpr_at_1pct_fpr=_tpr_at(y, scores),
        shadow_auc=shadow_auc,
        shadow_tpr_at_1pct_fpr=shadow_tpr,
        n_real=n_real,
        n_synthetic=n_syn,
        feature_importances=ranked,
        features=list(X.columns),
        scores=scores,
        shadow_scores=shadow_scores,
        person_auc=person_auc,
        shadow_person_auc=shadow_person_auc,
    )


def _cross_fitted(release_with_flags, cv, random_state, include_edge_attributes=False):
    """The first part of :func:`detector_suite`: ``(labels, (n_real, n_synthetic),
    features, seed, (out-of-fold scores, fold AUCs))`` (the same seed, the same scores:
    a caller that needs only the cross-fitted scores stops here)."""
    rng = check_random_state(random_state)
    y = _labels(release_with_flags, "release")
    counts = _check_counts(y, cv, "release")
    X = edge_features(release_with_flags, include_edge_attributes=include_edge_attributes)
    seed = int(rng.randint(np.iinfo(np.int32).max))
    return y, counts, X, seed, _out_of_fold(X, y, cv, seed)


def _predict(detector, X: pd.DataFrame) -> np.ndarray:
    """The detector's scores of precomputed features ``X`` (columns aligned)."""
    if not len(X):
        return np.zeros(0)
    with threadpool_limits(1, user_api="openmp"):
        return detector.predict_proba(_align(X, detector))[:, 1]
