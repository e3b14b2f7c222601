"""Utility of a release, measured from the original and the release.

An analyst sees every released row and cannot tell synthetic rows apart, so each
workload is answered on the whole release and compared with the same answer on the real
original.  Generalised values are read as the uniform spread over what they stand for
(:mod:`personatwin_sklearn.metrics._spread`).  Errors are total variation distances
(TVD): 0 = the same answer as the real data, 1 = nothing in common.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.utils import check_random_state

from personatwin_sklearn import census
from personatwin_sklearn._scoped import memoised, scoped_cache
from personatwin_sklearn._social_data import SocialData, event_columns
from personatwin_sklearn._text import factorize
from personatwin_sklearn.domains import get_domain
from personatwin_sklearn.exceptions import InvalidValueError, MissingColumnError
from personatwin_sklearn.metrics._spread import (
    Reading,
    age_reader,
    categorical_reader,
    explode,
    suppressed_reading,
    tvd,
    tvd_vectors,
)

__all__ = ["UtilityReport", "release_utility", "shared_readings", "UTILITY_HEADLINE"]

_READERS: ContextVar = ContextVar("personatwin_original_readings", default=None)


@contextmanager
def shared_readings():
    """Within the block, :func:`release_utility` reads each column of an original once
    (a search measures many releases of one original)."""
    with scoped_cache(_READERS):
        yield


#: Width of the partner age bands of the connection-pattern histogram.
PATTERN_AGE_BAND = 10
#: Lower edges of the spouse age-gap bins (0-2, 3-5, 6-10, 11-20, 21+ years).
SPOUSE_GAP_BINS = (0, 3, 6, 11, 21)
#: Lower edges of the component-size bins (people weighted).
COMPONENT_BINS = (1, 2, 3, 4, 5, 10, 50)
#: Lower edges of the degree bins.
DEGREE_BINS = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 50, 100, 200)
#: Connection types whose age gap is measured.
SPOUSE_TYPE = "SPOUSE"
#: Most one-hot columns a categorical attribute gives the ML-efficacy model.
ML_MAX_CATEGORIES = 24
#: Boosting iterations of the ML-efficacy model (small: the figure compares two fits).
ML_MAX_ITER = 50
#: Most rows each ML-efficacy model trains on, and most test rows (a seeded sample):
#: the figure is a comparison of two fits, and 10,000 rows pin an AUC to about 0.005.
ML_MAX_ROWS = 10_000
#: Stratified folds of the real people: each fold is held out once to test both models
#: (every real person is tested once; one 30% split left a seed-to-seed noise of about
#: 0.05 AUC on 1,000 people, more than the figure it measures).
ML_FOLDS = 5
#: Figures quoted by :meth:`UtilityReport.summary` and the benchmark, in that order.
UTILITY_HEADLINE = (
    "exact_type_share",
    "occupation_exact_share",
    "occupation_major_or_finer_share",
    "age_interval_width_mean",
    "ncp_mean",
    "marginal_tvd_mean",
    "pattern_histogram_tvd",
    "type_degree_tvd",
    "spouse_age_gap_tvd",
    "homophily_ratio_error_mean",
    "component_size_tvd",
    "degree_tvd",
    "clustering_difference",
    "same_attribute_share_error_mean",
    "community_nmi",
    "ml_auc_real",
    "ml_auc_release",
    "ml_auc_gap",
    "ml_auc_gap_se",
)


@dataclass
class UtilityReport:
    """What a release keeps of the original, read by an analyst who sees every row.

    Returned by :func:`release_utility`.  ``figures`` is a flat dict of floats (NaN
    where a figure does not apply, e.g. no ``SPOUSE`` connection); errors are total
    variation distances (0 = the same answer as the real data, 1 = nothing in common).

    Parameters
    ----------
    figures : dict of str to float
        Every figure, by name (see :func:`release_utility`).
    n_real : int
        Real people of the original.
    n_release : int
        Rows of the release (real and synthetic).
    n_synthetic : int
        Synthetic rows of the release.
    columns : list of str
        People columns measured.
    connection_types : list of str
        Connection types of the original, seen from either end.

    See Also
    --------
    release_utility : Computes it.

    Examples
    --------
    >>> from personatwin_sklearn.datasets import make_social_population
    >>> from personatwin_sklearn.metrics import release_utility
    >>> data = make_social_population(200, random_state=0)
    >>> report = release_utility(data, data, random_state=0)
    >>> report.figures["pattern_histogram_tvd"], report.figures["exact_type_share"]
    (0.0, 1.0)
    """

    figures: dict = field(default_factory=dict)
    n_real: int = 0
    n_release: int = 0
    n_synthetic: int = 0
    columns: list = field(default_factory=list)
    connection_types: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """Return the report as a plain dict (JSON-ready: NaN becomes None).

        Returns
        -------
        report : dict
            Field name to value; ``figures`` is a dict of floats or None.
        """
        out = asdict(self)
        out["figures"] = {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in self.figures.items()
        }
        return out

    def summary(self) -> str:
        """Return one line with the figures an analyst looks at first.

        Returns
        -------
        line : str
            Exact types and occupations, workload errors and the ML-efficacy gap.
        """
        f = self.figures

        def pct(key):
            value = f.get(key, float("nan"))
            return "n/a" if math.isnan(value) else f"{value:.0%}"

        def num(key):
            value = f.get(key, float("nan"))
            return "n/a" if math.isnan(value) else f"{value:.2f}"

        return (
            f"utility: exact types {pct('exact_type_share')}, occupation exact "
            f"{pct('occupation_exact_share')} (major group or finer "
            f"{pct('occupation_major_or_finer_share')}); errors (TVD): marginals "
            f"{num('marginal_tvd_mean')}, patterns {num('pattern_histogram_tvd')}, "
            f"per-type degree {num('type_degree_tvd')}, spouse age gap "
            f"{num('spouse_age_gap_tvd')}; ML AUC {num('ml_auc_release')} "
            f"(real {num('ml_auc_real')})"
        )


# ----------------------------------------------------------------------------- readings
class _Side:
    """One table (original or release) as the measures need it."""

    def __init__(self, data: SocialData):
        self.data = data
        self.people = data._people
        self.n = len(self.people)
        left, right = data.edge_positions()
        self.left, self.right = np.asarray(left, np.int64), np.asarray(right, np.int64)
        types = data._connections["connection_type"]
        codes, labels = factorize(types, use_na_sentinel=False)
        self.type_codes = codes
        self.type_labels = [str(v) for v in labels]
        self.real = ~data.is_synthetic
        self.readings: dict = {}


def _type_members(label: str, vocabulary: list) -> list:
    if label == "*":
        return list(vocabulary)
    return label.split("|")


def _type_matrices(side: _Side, vocabulary: list, domain) -> sparse.csr_matrix:
    """Rows 0..L-1: each type label seen from person1; L..2L-1: from person2."""
    index = {t: i for i, t in enumerate(vocabulary)}
    unseen = len(vocabulary)
    members = []
    for direction in (0, 1):
        for label in side.type_labels:
            names = _type_members(label, vocabulary)
            if direction:
                names = [domain.inverse_type(t) for t in names]
            cells = sorted({index.get(t, unseen) for t in names})
            members.append(cells)
    lengths = np.array([len(m) for m in members], dtype=np.int64)
    cols = np.concatenate([np.asarray(m, np.int64) for m in members]) if members else []
    rows = np.repeat(np.arange(len(members)), lengths)
    data = np.repeat(1.0 / np.maximum(lengths, 1), lengths)
    return sparse.csr_matrix((data, (rows, cols)), shape=(len(members), unseen + 1))


def _half_edges(side: _Side, n_labels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Owner, partner and type-row of each connection seen from both ends."""
    owner = np.concatenate([side.left, side.right])
    partner = np.concatenate([side.right, side.left])
    type_row = np.concatenate([side.type_codes, side.type_codes + n_labels])
    return owner, partner, type_row


def _per_half_edge_types(side: _Side, matrix):
    """(half-edge index, type cell, probability) for every nonzero of the type spread."""
    n_labels = len(side.type_labels)
    owner, partner, type_row = _half_edges(side, n_labels)
    sub = matrix[type_row].tocoo() if len(type_row) else sparse.coo_matrix((0, matrix.shape[1]))
    return owner[sub.row], partner[sub.row], sub.col.astype(np.int64), sub.data, sub.row


# ----------------------------------------------------------------------------- granularity
def _granularity(figures, column, after: Reading, real: np.ndarray, is_age: bool):
    kind = after.kind[after.codes][real]
    n = max(len(kind), 1)
    figures[f"{column}_exact_share"] = float((kind == "exact").sum() / n) if len(kind) else np.nan
    figures[f"{column}_group_share"] = float((kind == "group").sum() / n) if len(kind) else np.nan
    figures[f"{column}_suppressed_share"] = (
        float((kind == "suppressed").sum() / n) if len(kind) else np.nan
    )
    width = after.width[after.codes][real].astype(float)
    domain = max(len(after.domain), 1)
    if is_age:
        figures["age_interval_width_mean"] = float(width.mean()) if len(width) else np.nan
        span = max(domain - 1, 1)
        ncp = (width - 1) / span
    else:
        ncp = (width - 1) / max(domain - 1, 1) if domain > 1 else width * 0.0
    figures[f"ncp_{column}"] = float(np.clip(ncp, 0, 1).mean()) if len(ncp) else np.nan


def _occupation_major(figures, after: Reading, real: np.ndarray):
    """Share of real people whose occupation is within one ACS major group (or exact)."""
    cells = [census.MAJOR_GROUP_OF.get(str(c), f"own:{c}") for c in after.cells]
    coo = after.matrix.tocoo()
    cell_group = pd.factorize(np.asarray(cells, dtype=object))[0]
    label_groups = pd.DataFrame({"label": coo.row, "group": cell_group[coo.col]})
    n_groups = (
        label_groups.groupby("label")["group"]
        .nunique()
        .reindex(range(after.matrix.shape[0]), fill_value=0)
    )
    within = (n_groups.to_numpy() <= 1) & (after.kind != "suppressed")
    ok = within[after.codes][real]
    figures["occupation_major_or_finer_share"] = float(ok.mean()) if len(ok) else np.nan


def _major_map(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    names = np.asarray([census.MAJOR_GROUP_OF.get(str(c), str(c)) for c in cells], dtype=object)
    codes, uniques = pd.factorize(names)
    return codes, np.asarray(uniques, dtype=object)


def _age_band_map(cells: np.ndarray, band: int) -> tuple[np.ndarray, np.ndarray]:
    codes = (np.asarray(cells, dtype=np.int64) // band).astype(np.int64)
    return codes, np.arange(codes.max() + 1)


# ----------------------------------------------------------------------------- workloads
def _marginal(before: Reading, after: Reading, age_bin: int | None) -> float:
    if age_bin:
        cell_map, cells = _age_band_map(before.cells, age_bin)
        before, after = before.coarsen(cell_map, cells), after.coarsen(cell_map, cells)
    return tvd_vectors(before.totals(), after.totals())


def _pattern_histogram(sides, readings, type_matrices, signature) -> float:
    results = []
    for side, reading, matrix in zip(sides, readings, type_matrices, strict=True):
        n_labels = len(side.type_labels)
        owner, partner, type_row = _half_edges(side, n_labels)
        dims = [(type_row, matrix)]
        for column in signature:
            r = reading[column]
            dims.append((r.codes[partner], r.matrix))
        if not len(owner):
            results.append((np.zeros(0, np.int64), np.zeros(0)))
            continue
        results.append(explode(dims))
    (ca, ma), (cb, mb) = results
    return tvd(ca, ma, cb, mb)


def _degree_distribution(side: _Side, matrix, n_types: int) -> np.ndarray:
    """``(n_types, 4)``: expected people with 0, 1, 2, 3+ connections of each type.

    Each connection of a generalised type is of type ``t`` with probability ``p``; a
    person's count of type ``t`` is then a Poisson-binomial variable, whose first terms
    come from the sums of ``log(1 - p)``, ``p / (1 - p)`` and its square.
    """
    owner, _, cell, prob, _ = _per_half_edge_types(side, matrix)
    keep = cell < n_types
    owner, cell, prob = owner[keep], cell[keep], prob[keep]
    size = side.n * n_types
    key = owner * n_types + cell
    certain = prob >= 1 - 1e-12
    c = np.bincount(key[certain], minlength=size).reshape(side.n, n_types)
    p = prob[~certain]
    k = key[~certain]
    r = p / (1 - p)
    s_log = np.bincount(k, weights=np.log1p(-p), minlength=size).reshape(side.n, n_types)
    s1 = np.bincount(k, weights=r, minlength=size).reshape(side.n, n_types)
    s2 = np.bincount(k, weights=r * r, minlength=size).reshape(side.n, n_types)
    q0 = np.exp(s_log)
    q1 = q0 * s1
    q2 = q0 * np.maximum(s1 * s1 - s2, 0) / 2
    p0 = np.where(c == 0, q0, 0.0)
    p1 = np.where(c == 0, q1, np.where(c == 1, q0, 0.0))
    p2 = np.where(c == 0, q2, np.where(c == 1, q1, np.where(c == 2, q0, 0.0)))
    p3 = np.clip(1 - p0 - p1 - p2, 0, 1)
    return np.stack([p0.sum(0), p1.sum(0), p2.sum(0), p3.sum(0)], axis=1)


def _spouse_gaps(side: _Side, age: Reading, matrix, spouse: int) -> tuple:
    """Mass of each spouse age-gap bin and the mean gap (ages spread uniformly)."""
    n_bins = len(SPOUSE_GAP_BINS)
    if spouse < 0 or not len(side.type_codes):
        return np.zeros(n_bins), float("nan")
    weight = np.asarray(matrix[: len(side.type_labels), spouse].todense()).ravel()
    p = weight[side.type_codes]
    keep = p > 0
    a1, a2, w = age.codes[side.left[keep]], age.codes[side.right[keep]], p[keep]
    if not len(w):
        return np.zeros(n_bins), float("nan")
    pairs = pd.DataFrame({"a": a1, "b": a2, "w": w}).groupby(["a", "b"], sort=False).sum()
    ua = pairs.index.get_level_values(0).to_numpy()
    ub = pairs.index.get_level_values(1).to_numpy()
    mass = pairs["w"].to_numpy()
    x = age.matrix[ua].toarray()
    y = age.matrix[ub].toarray()
    used = np.flatnonzero((x.sum(0) > 0) | (y.sum(0) > 0))  # years any age covers
    x, y = x[:, used], y[:, used]
    years = np.asarray(age.cells, dtype=float)[used]
    gap = np.abs(years[:, None] - years[None, :])
    bins = np.digitize(gap, SPOUSE_GAP_BINS) - 1
    # mass of each (year of one spouse, year of the other) cell: one product over pairs
    joint = (x * mass[:, None]).T @ y
    out = np.bincount(bins.ravel(), weights=joint.ravel(), minlength=n_bins)[:n_bins]
    mean_gap = float((joint * gap).sum() / mass.sum())
    return out, mean_gap


def _flag_probability(reading: Reading) -> np.ndarray:
    """Per row, the probability that a boolean flag is True."""
    cells = [str(c) for c in reading.cells]
    column = np.zeros(reading.n_cells)
    for i, c in enumerate(cells):
        if c in ("True", "1", "true"):
            column[i] = 1.0
    per_label = np.asarray(reading.matrix @ column).ravel()
    return per_label[reading.codes]


def _homophily(side: _Side, flag: np.ndarray) -> tuple[float, float]:
    """Prevalence among people with a neighbour who has the flag, and its ratio to the rest."""
    owner = np.concatenate([side.left, side.right])
    partner = np.concatenate([side.right, side.left])
    q = flag[partner]
    certain = np.bincount(owner[q >= 1 - 1e-12], minlength=side.n)
    logs = np.bincount(owner, weights=np.log1p(-np.minimum(q, 1 - 1e-12)), minlength=side.n)
    exposed = np.where(certain > 0, 1.0, 1 - np.exp(logs))
    n_exposed, n_rest = exposed.sum(), (1 - exposed).sum()
    if n_exposed <= 0 or n_rest <= 0:
        return float("nan"), float("nan")
    prevalence = float((flag * exposed).sum() / n_exposed)
    rest = float((flag * (1 - exposed)).sum() / n_rest)
    return prevalence, prevalence / rest if rest > 0 else float("nan")


def _simple_graph(side: _Side) -> sparse.csr_matrix:
    keep = (side.left != side.right) & (side.left >= 0) & (side.right >= 0)
    u, v = side.left[keep], side.right[keep]
    graph = sparse.coo_matrix(
        (np.ones(2 * len(u)), (np.r_[u, v], np.r_[v, u])), shape=(side.n, side.n)
    ).tocsr()
    graph.data[:] = 1.0
    return graph


def _binned(values: np.ndarray, edges, weights=None) -> np.ndarray:
    idx = np.digitize(values, edges) - 1
    return np.bincount(idx, weights=weights, minlength=len(edges)).astype(float)


def _components(graph) -> np.ndarray:
    from scipy.sparse.csgraph import connected_components

    if graph.shape[0] == 0:
        return np.zeros(len(COMPONENT_BINS))
    _, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)[labels]
    return _binned(sizes, COMPONENT_BINS)


#: Largest number of wedges (paths of two edges) checked at once by :func:`_triangles`.
_WEDGE_BLOCK = 4_000_000


def _triangles(graph) -> np.ndarray:
    """Triangles through each node of a simple undirected graph (binary, symmetric).

    Each edge points from its end of lower (degree, index) to the other; a triangle is
    found once, at its lowest end, as two out-edges closed by a third.  Out-degrees are
    at most sqrt(2 m), so the wedges checked are O(m^1.5) and a person with 50,000
    connections costs nothing (``graph @ graph`` asked for 2.5 billion entries there).
    """
    n = graph.shape[0]
    upper = sparse.triu(graph, k=1).tocoo()
    u, v = upper.row.astype(np.int64), upper.col.astype(np.int64)
    degree = np.diff(sparse.csr_matrix(graph).indptr)
    pos = np.empty(n, dtype=np.int64)
    pos[np.lexsort((np.arange(n), degree))] = np.arange(n)
    swap = pos[u] > pos[v]
    a, b = np.where(swap, v, u), np.where(swap, u, v)
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    key = a * np.int64(n) + b  # sorted
    start = np.searchsorted(a, np.arange(n + 1))
    later = start[a + 1] - np.arange(len(a)) - 1  # out-edges after this one, same tail
    tri = np.zeros(n, dtype=float)
    cum = np.cumsum(later)
    cuts = np.searchsorted(cum, np.arange(_WEDGE_BLOCK, cum[-1] if len(cum) else 0, _WEDGE_BLOCK))
    bounds = np.unique(np.r_[0, cuts, len(a)])
    for lo, hi in zip(bounds[:-1], bounds[1:]):  # blocks of edges, bounded memory
        count = later[lo:hi]
        ei = np.repeat(np.arange(lo, hi), count)
        ej = ei + 1 + (np.arange(len(ei)) - np.repeat(np.cumsum(count) - count, count))
        y, z = b[ei], b[ej]
        first = pos[y] < pos[z]
        want = np.where(first, y, z) * np.int64(n) + np.where(first, z, y)
        at = np.minimum(np.searchsorted(key, want), max(len(key) - 1, 0))
        hit = key[at] == want if len(key) else np.zeros(len(want), dtype=bool)
        for ends in (a[ei][hit], y[hit], z[hit]):
            tri += np.bincount(ends, minlength=n)
    return tri


def _clustering(graph) -> float:
    if graph.shape[0] == 0:
        return float("nan")
    degree = np.asarray(graph.sum(1)).ravel()
    triangles = _triangles(graph)
    pairs = degree * (degree - 1) / 2
    local = np.divide(triangles, pairs, out=np.zeros_like(triangles), where=pairs > 0)
    return float(local.mean())


def _same_share(side: _Side, reading: Reading) -> float:
    if not len(side.left):
        return float("nan")
    pairs = pd.DataFrame({"a": reading.codes[side.left], "b": reading.codes[side.right]})
    counted = pairs.value_counts(sort=False)
    a = counted.index.get_level_values(0).to_numpy()
    b = counted.index.get_level_values(1).to_numpy()
    same = np.asarray(reading.matrix[a].multiply(reading.matrix[b]).sum(1)).ravel()
    return float((same * counted.to_numpy()).sum() / counted.to_numpy().sum())


def _communities(graph, seed: int) -> np.ndarray:
    import random

    from personatwin_sklearn._quiet import quiet_import

    with quiet_import():  # igraph imports matplotlib for drawing
        import igraph

    coo = sparse.triu(graph, k=1).tocoo()
    g = igraph.Graph(n=graph.shape[0], edges=np.column_stack([coo.row, coo.col]))
    igraph.set_random_number_generator(random.Random(seed))
    try:
        found = g.community_leiden(objective_function="modularity", n_iterations=2)
    finally:
        igraph.set_random_number_generator(random)
    return np.asarray(found.membership, dtype=np.int64)


# ----------------------------------------------------------------------------- ML efficacy
def _ml_features(side: _Side, readings: dict, top_cells, columns, matrix, n_types, flags, target):
    blocks = []
    for column in columns:
        if column == target:
            continue
        r = readings[column]
        if column == "age":
            mid = np.asarray(r.matrix @ np.arange(r.n_cells, dtype=float)).ravel()
            blocks.append(mid[r.codes][:, None])
            continue
        top = top_cells[column]
        blocks.append(np.asarray((r.matrix[:, top])[r.codes].todense()))
    owner, partner, cell, prob, _ = _per_half_edge_types(side, matrix)
    keep = cell < n_types
    by_type = np.bincount(
        owner[keep] * n_types + cell[keep], weights=prob[keep], minlength=side.n * n_types
    ).reshape(side.n, n_types)
    blocks.append(by_type)
    all_owner = np.concatenate([side.left, side.right])
    all_partner = np.concatenate([side.right, side.left])
    blocks.append(np.bincount(all_owner, minlength=side.n)[:, None].astype(float))
    for flag in flags:
        p = _flag_probability(readings[flag])
        blocks.append(np.bincount(all_owner, weights=p[all_partner], minlength=side.n)[:, None])
    return np.hstack(blocks) if blocks else np.zeros((side.n, 0))


def _ml_efficacy(sides, readings, columns, matrices, n_types, flags, target, seed):
    """``(auc_real, auc_release, gap_se)``: mean test AUC over stratified folds of the real
    people of a model trained on the other real folds and of one trained on the release
    without the fold's people, and the standard error of the mean per-fold gap."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    nan = (float("nan"),) * 3
    original, release = sides
    y = _flag_probability(readings[0][target]) >= 0.5
    n_folds = min(ML_FOLDS, int(y.sum()), int((~y).sum()))
    if n_folds < 2 or original.n < 10:
        return nan
    top = {  # the one-hot cells an attribute gives: the original's commonest values
        column: np.sort(
            np.argsort(-readings[0][column].totals(), kind="stable")[:ML_MAX_CATEGORIES]
        )
        for column in columns
        if column not in ("age", target)
    }
    x0 = _ml_features(original, readings[0], top, columns, matrices[0], n_types, flags, target)
    x1 = _ml_features(release, readings[1], top, columns, matrices[1], n_types, flags, target)
    p1 = _flag_probability(readings[1][target])
    real_ids = original.people[original.data.id_col].to_numpy()
    release_ids = release.people[release.data.id_col].to_numpy()
    sample = np.random.RandomState(seed)

    def capped(rows):
        if len(rows) > ML_MAX_ROWS:
            rows = np.sort(sample.choice(rows, ML_MAX_ROWS, replace=False))
        return rows

    def fit_auc(x, labels, weights, test):
        if labels.all() or not labels.any():
            return float("nan")
        model = HistGradientBoostingClassifier(
            max_iter=ML_MAX_ITER, max_leaf_nodes=15, random_state=seed, early_stopping=False
        )
        with threadpool_limits(1):
            model.fit(x, labels, sample_weight=weights)
            score = model.predict_proba(x0[test])[:, 1]
        return float(roc_auc_score(y[test], score))

    folds = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    real, synthetic = [], []
    for train, test in folds.split(np.zeros(original.n), y):
        train, test = capped(train), capped(test)
        rows = capped(np.flatnonzero(~np.isin(release_ids, real_ids[test])))
        sure = (p1[rows] <= 0) | (p1[rows] >= 1)  # rows whose label is a spread: both
        spread = rows[~sure]  # labels, weighted by their probability
        x_rel = np.vstack([x1[rows[sure]], x1[spread], x1[spread]])
        y_rel = np.r_[p1[rows[sure]] >= 1, np.ones(len(spread), bool), np.zeros(len(spread), bool)]
        w_rel = np.r_[np.ones(sure.sum()), p1[spread], 1 - p1[spread]]
        real.append(fit_auc(x0[train], y[train], None, test))
        synthetic.append(fit_auc(x_rel, y_rel, w_rel, test))
    real, synthetic = np.asarray(real), np.asarray(synthetic)
    if np.isnan(real).all() or np.isnan(synthetic).all():
        return nan
    gaps = real - synthetic
    gaps = gaps[~np.isnan(gaps)]
    se = float(gaps.std(ddof=1) / np.sqrt(len(gaps))) if len(gaps) > 1 else float("nan")
    return float(np.nanmean(real)), float(np.nanmean(synthetic)), se


# ----------------------------------------------------------------------------- entry point
def _check(data, name) -> SocialData:
    if not isinstance(data, SocialData):
        raise InvalidValueError(
            f"{name} must be a SocialData, got {type(data).__name__}. Build one with "
            "personatwin_sklearn.load_data(...) or SocialData(people, connections)."
        )
    return data


def release_utility(
    original,
    release,
    *,
    signature=None,
    age_bin=5,
    target=None,
    random_state=None,
    communities=True,
    ml=True,
) -> UtilityReport:
    """Measure what a release keeps of the original, as an analyst reads it.

    The analyst sees every released row (real and synthetic alike), so each workload is
    answered on the whole release and compared with the answer on the real original.
    A generalised value is read as the uniform spread over what it stands for: an age
    range (``"40-44"``, ``"2-38"``) over its years, a set (``"a|b|c"``, a grouped
    connection type ``"CHILD|PARENT|SIBLING|SPOUSE"``, an occupation major group written
    as its members) over its members, a masked code (``"802**"``) over the original
    values it matches, ``"*"`` over the column's domain in the original.  A column the
    release leaves out reads as ``"*"``.  Real people keep their ids in a release, so
    the granularity figures are taken over them.

    Figures (keys of ``report.figures``; ``<col>`` is every people column but the id
    and ``is_synthetic``, ``<flag>`` every ``has_*`` column):

    - granularity: ``exact_type_share`` (released connections with one exact type);
      ``<col>_exact_share``, ``<col>_group_share``, ``<col>_suppressed_share`` (real
      people); ``occupation_major_or_finer_share``; ``age_interval_width_mean`` (years
      an age covers, 1 = exact); ``ncp_<col>`` and ``ncp_mean`` (normalised certainty
      penalty: share of the domain a value covers);
    - workload errors (TVD): ``marginal_tvd_<col>`` and ``marginal_tvd_mean`` (ages in
      ``age_bin`` bands); ``pattern_histogram_tvd`` (type x partner gender x partner
      10-year age band x partner occupation major group x partner flags, each
      connection seen from both ends, directed types inverted); ``type_degree_tvd``
      (people with 0/1/2/3+ connections of each type, mean over the original's types);
      ``spouse_age_gap_tvd`` (bins 0-2, 3-5, 6-10, 11-20, 21+ years) with
      ``spouse_age_gap_mean_original`` / ``_release``; ``homophily_prevalence_error_<flag>``
      and ``homophily_ratio_error_<flag>`` (prevalence among people connected to
      someone who has the flag, and its ratio to the rest: absolute errors),
      ``homophily_ratio_error_mean``; ``component_size_tvd`` (people by the size of
      their component);
    - graphs: ``degree_tvd``; ``clustering_original``, ``clustering_release``,
      ``clustering_difference`` (average local clustering, absolute difference);
      ``same_<col>_share_original`` / ``_release`` / ``_error`` (share of links whose two
      ends share the value; relative error) and ``same_attribute_share_error_mean``;
      ``community_nmi`` (Leiden modularity communities, seeded, compared on the real
      people);
    - ML efficacy, over 5 seeded stratified folds of the real people (each fold held
      out once): ``ml_auc_real`` (a seeded ``HistGradientBoostingClassifier`` trained on
      the other folds, with their own attributes and neighbour counts by type and by
      partner flag), ``ml_auc_release`` (the same model trained on the release without
      the held-out fold's people), both tested on the held-out fold and averaged over the
      folds; ``ml_auc_gap`` (real minus release) and ``ml_auc_gap_se`` (the standard error
      of the mean per-fold gap).

    Parameters
    ----------
    original : SocialData
        The real data (its synthetic rows, if any, are left out).
    release : SocialData
        The release: real people under their original ids, synthetic rows and
        connections flagged ``is_synthetic``.
    signature : list of str, default=None
        Partner attributes of the connection-pattern histogram.  Default: ``gender``,
        ``age``, ``occupation`` (those present) and every ``has_*`` flag.
    age_bin : int, default=5
        Width of the age bands of the age marginal.
    target : str, default=None
        Boolean column the ML-efficacy model predicts.  Default: the first ``has_*``
        flag; without one the ML figures are NaN.
    random_state : int, RandomState instance or None, default=None
        Seeds the hold-out split, the model and the communities.
    communities : bool, default=True
        Compute ``community_nmi`` (Leiden on both graphs; NaN when False).
    ml : bool, default=True
        Compute the ML-efficacy figures (NaN when False: the search of
        :func:`~personatwin_sklearn.create_safe_personas` leaves them to the chosen
        release).

    Returns
    -------
    report : UtilityReport
        ``report.figures`` holds the figures; ``report.summary()`` one line.

    Raises
    ------
    InvalidValueError
        When ``original`` or ``release`` is not a SocialData, or ``age_bin`` is not a
        positive integer.
    MissingColumnError
        When ``signature`` or ``target`` names a column the original does not have.

    See Also
    --------
    information_loss : NCP of matched rows, measured on the data.
    make_utility_scorer : These figures as a ``GridSearchCV`` scorer.

    Examples
    --------
    >>> from personatwin_sklearn.datasets import make_social_population
    >>> from personatwin_sklearn.metrics import release_utility
    >>> data = make_social_population(300, random_state=0)
    >>> report = release_utility(data, data, random_state=0)
    >>> report.figures["type_degree_tvd"], report.figures["ml_auc_gap"]
    (0.0, 0.0)
    """
    original, release, columns, flags, signature, target = _utility_inputs(
        original, release, signature, target, age_bin
    )
    rng = check_random_state(random_state)
    seed = int(rng.randint(np.iinfo(np.int32).max))
    sides = (_Side(original), _Side(release))
    readings = _readings(original, release, sides, columns)
    before, after = readings

    figures: dict = {}
    _granularity_figures(figures, sides, after, columns)
    # -- one-way marginals
    marginals = []
    for column in columns:
        value = _marginal(before[column], after[column], age_bin if column == "age" else None)
        figures[f"marginal_tvd_{column}"] = value
        marginals.append(value)
    figures["marginal_tvd_mean"] = float(np.nanmean(marginals)) if marginals else float("nan")

    # -- connection types: the original's, seen from either end
    domain = get_domain(original.domain)
    vocabulary = list(
        dict.fromkeys(
            t for label in sides[0].type_labels for t in (label, domain.inverse_type(label))
        )
    )
    n_types = len(vocabulary)
    matrices = tuple(_type_matrices(side, vocabulary, domain) for side in sides)
    _connection_figures(figures, sides, readings, matrices, vocabulary, signature, columns, flags)
    _graph_figures(figures, sides, readings, columns, seed if communities else None)

    # -- ML efficacy
    if target is not None and ml:
        auc_real, auc_release, gap_se = _ml_efficacy(
            sides, readings, columns, matrices, n_types, flags, target, seed
        )
    else:
        auc_real = auc_release = gap_se = float("nan")
    figures["ml_auc_real"], figures["ml_auc_release"] = auc_real, auc_release
    figures["ml_auc_gap"] = auc_real - auc_release
    figures["ml_auc_gap_se"] = gap_se
    figures = {k: float(v) for k, v in figures.items()}
    return UtilityReport(
        figures=figures,
        n_real=sides[0].n,
        n_release=sides[1].n,
        n_synthetic=int((~sides[1].real).sum()),
        columns=columns,
        connection_types=vocabulary,
    )


def _utility_inputs(original, release, signature, target, age_bin) -> tuple:
    """Check the inputs of :func:`release_utility`: ``(original without synthetic rows,
    release, people columns, flags, signature, target)``."""
    original = _check(original, "original")
    release = _check(release, "release")
    if not isinstance(age_bin, (int, np.integer)) or isinstance(age_bin, bool) or age_bin < 1:
        raise InvalidValueError(f"age_bin must be an integer >= 1, got {age_bin!r}.")
    if original.n_synthetic or original.n_synthetic_connections:
        original = original.real()
    people = original._people
    columns = [c for c in people.columns if c not in (original.id_col, "is_synthetic")]
    flags = event_columns(people)
    if signature is None:
        signature = [c for c in ("gender", "age", "occupation") if c in columns] + flags
    else:
        signature = [signature] if isinstance(signature, str) else list(signature)
        missing = [c for c in signature if c not in columns]
        if missing:
            raise MissingColumnError(
                f"signature names column(s) {missing} that the original people table does "
                f"not have; it has {columns}. Pass existing columns or signature=None."
            )
    if target is None:
        target = flags[0] if flags else None
    elif target not in columns:
        raise MissingColumnError(
            f"target={target!r} is not a column of the original people table ({columns}). "
            "Pass a boolean column such as a has_* flag, or target=None."
        )
    return original, release, columns, flags, signature, target


def _readings(original, release, sides, columns) -> tuple:
    """``(before, after)``: each column read on the original and on the release (a
    column the release leaves out reads as suppressed)."""
    people = original._people
    before, after = {}, {}
    for column in columns:
        published = release._people[column] if column in release._people.columns else None
        reader = age_reader if column == "age" else categorical_reader
        b, read = memoised(
            _READERS, ("reader", id(original), column), original,
            lambda reader=reader, column=column: reader(people[column]),
        )  # fmt: skip
        before[column] = b
        after[column] = (
            read(published) if published is not None else suppressed_reading(b, sides[1].n)
        )
    return before, after


def _granularity_figures(figures, sides, after, columns) -> None:
    """Exact connection types, each column's exact / group / suppressed shares and NCP
    (real people), occupations at major group or finer, the mean age-interval width."""
    labels = sides[1].type_labels
    exact = np.array([("|" not in t) and t != "*" for t in labels], dtype=bool)
    n_edges = len(sides[1].type_codes)
    figures["exact_type_share"] = (
        float(exact[sides[1].type_codes].mean()) if n_edges else float("nan")
    )
    real = sides[1].real
    for column in columns:
        _granularity(figures, column, after[column], real, column == "age")
    if "occupation" in columns:
        _occupation_major(figures, after["occupation"], real)
    else:
        figures["occupation_major_or_finer_share"] = float("nan")
    figures.setdefault("age_interval_width_mean", float("nan"))
    ncp = [figures[f"ncp_{c}"] for c in columns]
    figures["ncp_mean"] = float(np.nanmean(ncp)) if columns else float("nan")


def _connection_figures(figures, sides, readings, matrices, vocabulary, signature, columns,
                        flags) -> None:  # fmt: skip
    """The connection workloads: pattern histogram, per-type degrees, spouse age gaps,
    homophily of each flag."""
    before, after = readings
    n_types = len(vocabulary)
    # -- connection-pattern histogram (partner ages in 10-year bands, occupation groups)
    pattern_readings = []
    for reading in readings:
        coarse = {}
        for column in signature:
            r = reading[column]
            if column == "age":
                cell_map, cells = _age_band_map(r.cells, PATTERN_AGE_BAND)
                r = r.coarsen(cell_map, cells)
            elif column == "occupation":
                cell_map, cells = _major_map(r.cells)
                r = r.coarsen(cell_map, cells)
            coarse[column] = r
        pattern_readings.append(coarse)
    figures["pattern_histogram_tvd"] = _pattern_histogram(
        sides, pattern_readings, matrices, signature
    )

    # -- per-type degree distribution
    degree_real = _degree_distribution(sides[0], matrices[0], n_types)
    degree_release = _degree_distribution(sides[1], matrices[1], n_types)
    per_type = [
        tvd_vectors(degree_real[t], degree_release[t])
        for t in range(n_types)
        if degree_real[t, 1:].sum() > 0
    ]
    figures["type_degree_tvd"] = float(np.mean(per_type)) if per_type else float("nan")

    # -- spouse age gap
    spouse = vocabulary.index(SPOUSE_TYPE) if SPOUSE_TYPE in vocabulary else -1
    if "age" in columns and spouse >= 0:
        gap_real, mean_real = _spouse_gaps(sides[0], before["age"], matrices[0], spouse)
        gap_release, mean_release = _spouse_gaps(sides[1], after["age"], matrices[1], spouse)
        figures["spouse_age_gap_tvd"] = tvd_vectors(gap_real, gap_release)
    else:
        mean_real = mean_release = float("nan")
        figures["spouse_age_gap_tvd"] = float("nan")
    figures["spouse_age_gap_mean_original"] = mean_real
    figures["spouse_age_gap_mean_release"] = mean_release

    # -- homophily of each flag
    ratio_errors = []
    for flag in flags:
        prev_a, ratio_a = _homophily(sides[0], _flag_probability(before[flag]))
        prev_b, ratio_b = _homophily(sides[1], _flag_probability(after[flag]))
        figures[f"homophily_prevalence_error_{flag}"] = abs(prev_a - prev_b)
        figures[f"homophily_ratio_error_{flag}"] = abs(ratio_a - ratio_b)
        ratio_errors.append(abs(ratio_a - ratio_b))
    figures["homophily_ratio_error_mean"] = (
        float(np.nanmean(ratio_errors))
        if ratio_errors and not np.isnan(ratio_errors).all()
        else float("nan")
    )


def _graph_figures(figures, sides, readings, columns, seed) -> None:
    """Component sizes, degrees, clustering, same-attribute link shares and, with a
    ``seed`` (None: NaN), the communities' NMI on the real people."""
    before, after = readings
    graphs = [_simple_graph(side) for side in sides]
    figures["component_size_tvd"] = tvd_vectors(*[_components(g) for g in graphs])
    figures["degree_tvd"] = tvd_vectors(
        *[_binned(side.data.degree(), DEGREE_BINS) for side in sides]
    )
    clustering = [_clustering(g) for g in graphs]
    figures["clustering_original"], figures["clustering_release"] = clustering
    figures["clustering_difference"] = abs(clustering[0] - clustering[1])
    errors = []
    for column in columns:
        if column == "age":
            continue
        share_a = _same_share(sides[0], before[column])
        share_b = _same_share(sides[1], after[column])
        error = abs(share_b - share_a) / share_a if share_a > 0 else abs(share_b - share_a)
        figures[f"same_{column}_share_original"] = share_a
        figures[f"same_{column}_share_release"] = share_b
        figures[f"same_{column}_share_error"] = error
        errors.append(error)
    figures["same_attribute_share_error_mean"] = (
        float(np.nanmean(errors)) if errors and not np.isnan(errors).all() else float("nan")
    )
    figures["community_nmi"] = float("nan")
    if seed is not None and sides[0].n and sides[1].n:
        from sklearn.metrics import normalized_mutual_info_score

        original, release = sides[0].data, sides[1].data
        found = [_communities(g, seed) for g in graphs]
        ids0 = pd.Index(original._people[original.id_col].to_numpy())
        ids1 = release._people[release.id_col].to_numpy()
        pos = ids0.get_indexer(ids1)
        shared = (pos >= 0) & sides[1].real
        figures["community_nmi"] = float(
            normalized_mutual_info_score(found[0][pos[shared]], found[1][shared])
        )
