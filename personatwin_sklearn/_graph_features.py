"""Plausibility features of connections: what a detector can compute from a release.

A low module (it imports only numpy, pandas, scipy and this package's ``_social_data``,
``exceptions`` and ``domains``, a leaf).  Both sides read it, so that they cannot drift apart:

- :mod:`personatwin_sklearn.attacks` computes these features to tell synthetic
  connections from real ones (:func:`edge_features`);
- :mod:`personatwin_sklearn.connections` can compute the same features for *candidate*
  pairs, as if the connection were added (:meth:`GraphFeatures.pair_features` with
  ``existing=False``), and choose endpoints whose features look like the real
  connections of the same type.

Everything is vectorised over pairs (sparse-matrix products, ``bincount`` and sorted
look-ups); the only Python loops run over *distinct* attribute values or connection
types.
"""

from __future__ import annotations

import functools
import re
from numbers import Integral

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import ArpackError, ArpackNoConvergence, eigsh

from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn._text import factorize
from personatwin_sklearn.exceptions import InvalidValueError

__all__ = [
    "EDGE_ATTRIBUTES",
    "FEATURES",
    "HOMOPHILY_COLUMNS",
    "SPECTRAL_MAX_NODES",
    "SUITE_FEATURES",
    "GraphFeatures",
    "edge_features",
    "household_twins",
    "person_suite_features",
    "suite_edge_features",
]

NA = "<NA>"
WILDCARD = "*"
_NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_INTERVAL = re.compile(rf"^\s*\[?\s*({_NUMBER})\s*(?:(?:-|,)\s*({_NUMBER})\s*)?\]?\s*$")

#: Edge columns that a release must not ship (they mark synthetic connections).
EDGE_ATTRIBUTES = ("strength", "confidence", "context")
#: People columns whose equality at both ends is a homophily feature (when present).
HOMOPHILY_COLUMNS = ("zipcode", "ethnicity", "occupation", "gender")
#: Above this many people the spectral embedding is approximated (subspace iteration).
SPECTRAL_MAX_NODES = 200_000
#: The detector suite's features of a connection (:func:`suite_edge_features`), added by
#: :func:`edge_features` (not by :meth:`GraphFeatures.pair_features`).
SUITE_FEATURES = (
    "twins_min",
    "twins_max",
    "broken_ends",
    "rule_broken",
    "qi_class_min",
    "qi_class_max",
    "at_k_ends",
    "component",
)
#: Feature columns of :func:`edge_features`, in order (``age_*`` and ``same_*`` only where
#: the column exists; the last :data:`SUITE_FEATURES` only with ``suite=True``).
FEATURES = (
    "degree_min",
    "degree_max",
    "type_degree_min",
    "type_degree_max",
    "common_neighbors",
    "jaccard",
    "embeddedness",
    "adamic_adar",
    "triangles_min",
    "triangles_max",
    "clustering_min",
    "clustering_max",
    "spectral_distance",
    "multi_edge",
    "age_gap",
    "age_min",
    "age_max",
    *(f"same_{c}" for c in HOMOPHILY_COLUMNS),
    "connection_type",
    *SUITE_FEATURES,
)


# ----------------------------------------------------------------------------- values
def _canon_scalar(value) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return NA
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (Integral, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if value != value:
            return NA
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value)


def _canon(values) -> np.ndarray:
    """Canonical strings of a column (one Python call per *distinct* value)."""
    codes, labels = _canon_codes(values)
    return labels[codes] if len(codes) else np.array([], dtype=object)


def _canon_codes(values) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(_canon(values))`` (the codes and the distinct canonical labels, in
    order of first appearance) without a Python object per row: the column is coded as
    it is stored, then each distinct value made canonical (values with one canonical
    label share its code; a text column is canonical already, but for a missing value)."""
    codes, uniques = factorize(values, use_na_sentinel=False)
    series = values if isinstance(values, pd.Series) else None
    if series is not None and isinstance(series.dtype, pd.StringDtype):
        labels = uniques.copy()
        labels[pd.isna(uniques)] = NA
    else:
        labels = np.array([_canon_scalar(u) for u in uniques], dtype=object)
    relabel, distinct = pd.factorize(labels)
    return relabel[codes], np.asarray(distinct, dtype=object)


def _intervals(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Closed intervals of labels ``"40"``, ``"40-44"``, ``"[-3, 5]"``, ``"*"`` (NaN: other)."""
    if not len(labels):
        return np.zeros(0), np.zeros(0)
    # distinct labels only, each parsed once per process (the attacks of a search read
    # the same labels release after release)
    pairs = np.array([_interval_of(label) for label in labels], dtype=float)
    return pairs[:, 0].copy(), pairs[:, 1].copy()


@functools.lru_cache(maxsize=1 << 16)
def _interval_of(label) -> tuple[float, float]:
    if label == WILDCARD:
        return -np.inf, np.inf
    match = _INTERVAL.match(label)
    if not match:
        return np.nan, np.nan
    lo = float(match.group(1))
    return lo, float(match.group(2)) if match.group(2) is not None else lo


def _numeric_age(age: pd.Series) -> np.ndarray:
    """Ages as numbers; generalised cells (``"40-44"``) at their midpoint, ``"*"`` NaN."""
    if pd.api.types.is_numeric_dtype(age) and not pd.api.types.is_bool_dtype(age):
        return age.to_numpy(dtype=float, na_value=np.nan)
    text = _canon(age)
    codes, uniques = pd.factorize(text)
    lo, hi = _intervals(np.asarray(uniques, dtype=object))
    mid = np.where(np.isfinite(lo) & np.isfinite(hi), (lo + hi) / 2.0, np.nan)
    return mid[codes]


# ----------------------------------------------------------------------------- graph
#: Up to this many people the spectral embedding is exact (``eigsh``); above it is
#: approximated by subspace iteration, and above ``spectral_max_nodes`` skipped.
_EIGSH_MAX_NODES = 20_000
_SUBSPACE_STEPS = 20
_PAIR_CHUNK = 500_000


def _codes(values) -> tuple[np.ndarray, np.ndarray]:
    """Codes and sorted, distinct canonical labels of a column (factorised first: one
    Python call per distinct value)."""
    codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=False)
    text = np.array([_canon_scalar(u) for u in np.asarray(uniques, dtype=object)], dtype=object)
    labels, remap = np.unique(text.astype(str), return_inverse=True)
    return remap.astype(np.int64)[codes], labels.astype(object)


def _row_products(adj: sp.csr_matrix, u: np.ndarray, v: np.ndarray, weights: np.ndarray):
    """Per pair: common neighbours and ``sum_w weights[w]`` over them (Adamic-Adar with
    ``1 / log degree``), in chunks of pairs to bound the memory of the row products."""
    common = np.zeros(len(u))
    weighted = np.zeros(len(u))
    for start in range(0, len(u), _PAIR_CHUNK):  # chunks of pairs, not a loop over pairs
        both = adj[u[start : start + _PAIR_CHUNK]].multiply(adj[v[start : start + _PAIR_CHUNK]])
        both = both.tocsr()
        common[start : start + _PAIR_CHUNK] = np.asarray(both.sum(axis=1)).ravel()
        weighted[start : start + _PAIR_CHUNK] = np.asarray(both @ weights).ravel()
    return common, weighted


def _orthonormal(block: np.ndarray) -> np.ndarray:
    """Orthonormal columns spanning ``block`` (Cholesky QR: one small d x d factorisation)."""
    gram = block.T @ block
    gram += 1e-12 * max(np.trace(gram), 1e-300) * np.eye(len(gram))
    try:
        lower = np.linalg.cholesky(gram)
    except np.linalg.LinAlgError:  # (nearly) dependent columns: the slower, stable QR
        return np.linalg.qr(block)[0]
    return np.linalg.solve(lower, block.T).T


def _spectral_embedding(adj: sp.csr_matrix, deg: np.ndarray, dims: int, max_nodes: int):
    """Rows of the top-``dims`` eigenvectors of the normalised adjacency, unit length.

    Exact (:func:`~scipy.sparse.linalg.eigsh`) up to ``_EIGSH_MAX_NODES`` people or when
    ARPACK fails to converge, otherwise ``_SUBSPACE_STEPS`` steps of subspace iteration
    on ``(I + D^-1/2 A D^-1/2) / 2`` from a seeded random block (an approximation of
    the same eigenspace; cost ``steps * dims * nnz``).  ``None`` above ``max_nodes``
    people.  Isolated people get a zero row.
    """
    n = adj.shape[0]
    dims = int(min(dims, n - 2)) if n > 2 else 0
    if dims < 1 or adj.nnz == 0 or n > max_nodes:
        return None
    scale = np.where(deg > 0, 1.0 / np.sqrt(np.maximum(deg, 1)), 0.0)
    norm = (sp.diags(scale) @ adj @ sp.diags(scale)).tocsr()
    vectors = None
    if n <= _EIGSH_MAX_NODES:
        v0 = np.random.default_rng(0).random(n) + 0.5
        try:
            _, vectors = eigsh(norm, k=dims, which="LA", tol=1e-4, maxiter=50 * n, v0=v0)
        except ArpackNoConvergence as exc:
            vectors = exc.eigenvectors if exc.eigenvectors.shape[1] else None
        except ArpackError:
            vectors = None
    if vectors is None:
        block = _orthonormal(np.random.default_rng(0).standard_normal((n, dims)))
        for _ in range(_SUBSPACE_STEPS):  # a fixed number of sparse products
            block = _orthonormal(0.5 * (block + norm @ block))
        vectors = block
    length = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.where(length > 0, vectors / np.where(length > 0, length, 1.0), 0.0)


class GraphFeatures:
    """Node-level quantities of a release, computed once, and the features of any pairs.

    The graph is the release's *simple* graph: parallel connections between two people
    count once in degrees, neighbourhoods and triangles; the connection type degrees
    count every connection.  Building it costs about one sparse row product over the
    distinct connected pairs; the spectral embedding adds ``eigsh`` up to 20,000 people,
    20 steps of subspace iteration up to ``spectral_max_nodes`` and nothing above
    (``spectral_distance`` is then NaN).  Measured on 2 busy cores (load 5-8), random
    graphs: 100k people / 300k connections 3.6 s to build (subspace iteration included)
    and 1.4 s for the features of every connection; 1M / 3M 9-13 s and 7 s (no
    spectral embedding).

    Parameters
    ----------
    data : SocialData
        The release (its ``is_synthetic`` flags and edge attributes are not used).
    spectral : bool, default=True
        Compute the spectral embedding (``spectral_distance`` is NaN without it).
    n_components : int, default=8
        Dimensions of the spectral embedding.
    spectral_max_nodes : int, default=200_000
        Above this many people the spectral embedding is skipped.

    Attributes
    ----------
    adjacency : scipy.sparse.csr_matrix
        0/1 simple adjacency over people positions (row order of ``data.people``).
    degree : ndarray of int
        Distinct neighbours of each person.
    triangles : ndarray of int
        Triangles through each person.
    clustering : ndarray of float
        Local clustering coefficient (0 below degree 2).
    embedding : ndarray of shape (n_people, d) or None
        Unit-length spectral embedding rows (zero for isolated people).

    Examples
    --------
    >>> from personatwin_sklearn._graph_features import GraphFeatures
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> toy = make_toy_population()
    >>> graph = GraphFeatures(toy)
    >>> u, v = graph.positions(["C", "A"]), graph.positions(["F", "C"])
    >>> added = graph.pair_features(u, v, "SPOUSE")  # as if added: C-F exists, A-C not
    >>> added[["degree_min", "type_degree_max", "multi_edge"]].to_numpy().tolist()
    [[1, 2, 1], [2, 2, 0]]
    """

    def __init__(
        self,
        data: SocialData,
        *,
        spectral: bool = True,
        n_components: int = 8,
        spectral_max_nodes: int = SPECTRAL_MAX_NODES,
    ):
        if not isinstance(data, SocialData):
            raise InvalidValueError(
                f"GraphFeatures needs a SocialData, got {type(data).__name__}; build one "
                "with SocialData(people, connections)."
            )
        people = data._people
        edges = data._connections
        n = len(people)
        self.data = data
        self.n_nodes = n
        self._ids = pd.Index(people[data.id_col].to_numpy())
        u, v = data.edge_positions()
        u = np.asarray(u, dtype=np.int64)
        v = np.asarray(v, dtype=np.int64)
        self._edge_u, self._edge_v = u, v
        adj = sp.coo_matrix(
            (np.ones(2 * len(u)), (np.r_[u, v], np.r_[v, u])), shape=(n, n)
        ).tocsr()
        adj.sum_duplicates()
        adj.sort_indices()
        # entry numbers (1-based) in the adjacency's own structure: pair look-ups by
        # scipy's per-row binary search (cache-friendly, unlike one global search)
        rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(adj.indptr))
        self._entry = sp.csr_matrix(
            (np.arange(1, adj.nnz + 1, dtype=np.int64), adj.indices, adj.indptr), shape=(n, n)
        )
        self._mult = adj.data.astype(np.int64)
        adj.data[:] = 1.0
        self.adjacency = adj
        deg = np.diff(adj.indptr).astype(np.int64)
        self.degree = deg
        with np.errstate(divide="ignore"):
            self._inv_log = np.where(deg > 1, 1.0 / np.log(np.maximum(deg, 2)), 0.0)
        # common neighbours and Adamic-Adar of every connected pair, once (upper half)
        cols = adj.indices.astype(np.int64)
        upper = np.flatnonzero(rows < cols)
        common_up, adamic_up = _row_products(adj, rows[upper], cols[upper], self._inv_log)
        lower = self._lookup(cols[upper], rows[upper])
        self._common = np.zeros(len(rows))
        self._adamic = np.zeros(len(rows))
        self._common[upper], self._common[lower] = common_up, common_up
        self._adamic[upper], self._adamic[lower] = adamic_up, adamic_up
        # triangles through i = half the sum of common neighbours over i's edges
        self.triangles = np.rint(0.5 * np.bincount(rows, weights=self._common, minlength=n))
        self.triangles = self.triangles.astype(np.int64)
        pairs = deg * (deg - 1) / 2.0
        self.clustering = np.where(pairs > 0, self.triangles / np.where(pairs > 0, pairs, 1), 0.0)
        # connection counts per (person, type as seen from that person)
        self._type_index = pd.Index([], dtype=object)
        seen1, seen2, _, _ = self._seen_types(edges["connection_type"], grow=True)
        n_types = max(len(self._type_index), 1)
        self._type_counts = sp.csr_matrix(
            (np.ones(2 * len(u), dtype=np.int64), (np.r_[u, v], np.r_[seen1, seen2])),
            shape=(n, n_types),
        )
        self._type_counts.sum_duplicates()
        # attributes
        self._age = _numeric_age(people["age"]) if "age" in people.columns else None
        self._attr = {}
        for column in HOMOPHILY_COLUMNS:
            if column in people.columns:
                self._attr[column] = pd.factorize(people[column], use_na_sentinel=False)[0]
        self.embedding = (
            _spectral_embedding(adj, deg, n_components, spectral_max_nodes) if spectral else None
        )

    # -- helpers -----------------------------------------------------------------------
    def positions(self, ids) -> np.ndarray:
        """Row positions of person ids (``-1`` for unknown ids)."""
        return self._ids.get_indexer(pd.Index(np.asarray(ids)))

    def _lookup(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Index of the stored adjacency entry ``(u, v)``, ``-1`` when not connected."""
        if not len(u):
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self._entry[u, v]).ravel().astype(np.int64) - 1

    def _seen_types(self, connection_type, grow: bool = False) -> tuple:
        """Codes (in ``_type_index``; ``-1`` unknown) of each connection's canonical type
        as seen from person1's end and from person2's (its inverse), then the codes and
        labels of the types themselves."""
        codes, labels = _codes(connection_type)
        inverse = np.array(
            [self.data.domain.inverse_type(t) for t in labels], dtype=object
        )  # distinct types only
        if grow:
            self._type_index = pd.Index(pd.unique(np.r_[labels, inverse]))
        first = self._type_index.get_indexer(pd.Index(labels, dtype=object))
        second = self._type_index.get_indexer(pd.Index(inverse, dtype=object))
        return first[codes], second[codes], codes, labels

    def _type_degree(self, nodes: np.ndarray, seen: np.ndarray) -> np.ndarray:
        known = seen >= 0
        out = np.zeros(len(nodes), dtype=np.int64)
        if known.any():
            counts = self._type_counts[nodes[known], seen[known]]
            out[known] = np.asarray(counts).ravel()
        return out

    # -- features ----------------------------------------------------------------------
    def _checked_pairs(self, u, v) -> tuple[np.ndarray, np.ndarray]:
        """``u`` and ``v`` as int arrays of one length, positions of the release."""
        u = np.asarray(u, dtype=np.int64).ravel()
        v = np.asarray(v, dtype=np.int64).ravel()
        if len(u) != len(v):
            raise InvalidValueError(f"u and v differ in length ({len(u)} and {len(v)}).")
        bad = (u < 0) | (v < 0) | (u >= self.n_nodes) | (v >= self.n_nodes)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InvalidValueError(
                f"Pair {row} has position ({u[row]}, {v[row]}) outside the {self.n_nodes} "
                "people of the release; map ids with GraphFeatures.positions first."
            )
        return u, v

    def pair_features(self, u, v, connection_type, *, existing: bool = False) -> pd.DataFrame:
        """Features of the connections ``(u, v, connection_type)``.

        Parameters
        ----------
        u, v : array-like of int
            Row positions of the two ends (see :meth:`positions`).
        connection_type : str or array-like of str
            Type of each connection (as stored: from ``u``'s end).
        existing : bool, default=False
            ``True``: the pairs are connections of the release (their own connection is
            already counted).  ``False``: features *as if* each connection were added,
            one at a time, to the release (degrees, type degrees and triangles include
            it), so candidates compare with :func:`edge_features` of real connections.

        Returns
        -------
        DataFrame
            One row per pair, columns :data:`FEATURES` but the suite's (``age_*`` /
            ``same_*`` where the column exists); ``connection_type`` is categorical.
        """
        u, v = self._checked_pairs(u, v)
        if isinstance(connection_type, str):
            connection_type = np.full(len(u), connection_type, dtype=object)
        seen1, seen2, type_codes, labels = self._seen_types(connection_type)
        if len(seen1) != len(u):
            raise InvalidValueError(
                f"connection_type has {len(seen1)} value(s) for {len(u)} pair(s)."
            )
        du = self.degree[u].astype(float)
        dv = self.degree[v].astype(float)
        at = self._lookup(u, v)
        mult = np.zeros(len(u), dtype=np.int64)
        common = np.zeros(len(u))
        adamic = np.zeros(len(u))
        hit = np.flatnonzero(at >= 0)
        mult[hit] = self._mult[at[hit]]
        common[hit] = self._common[at[hit]]
        adamic[hit] = self._adamic[at[hit]]
        far = np.flatnonzero(at < 0)
        if len(far):
            common[far], adamic[far] = _row_products(self.adjacency, u[far], v[far], self._inv_log)
        tu = self.triangles[u].astype(float)
        tv = self.triangles[v].astype(float)
        ku = self._type_degree(u, seen1)
        kv = self._type_degree(v, seen2)
        if existing:
            multi = mult > 1
        else:
            new = mult == 0
            du, dv = du + new, dv + new
            tu, tv = tu + np.where(new, common, 0), tv + np.where(new, common, 0)
            ku, kv = ku + 1, kv + 1
            multi = ~new
        union = du + dv - common
        lo = np.minimum(du, dv)
        with np.errstate(divide="ignore", invalid="ignore"):
            jaccard = np.where(union > 0, common / union, 0.0)
            embedded = np.where(lo > 1, common / (lo - 1), 0.0)
            cu = np.where(du > 1, tu / (du * (du - 1) / 2), 0.0)
            cv = np.where(dv > 1, tv / (dv * (dv - 1) / 2), 0.0)
        if self.embedding is not None and len(u):
            eu, ev = self.embedding[u], self.embedding[v]
            cosine = np.einsum("ij,ij->i", eu, ev)
            zero = ~(eu.any(axis=1) & ev.any(axis=1))
            spectral = np.where(zero, np.nan, np.clip(1.0 - cosine, 0.0, 2.0))
        else:
            spectral = np.full(len(u), np.nan)
        out = pd.DataFrame(
            {
                "degree_min": lo.astype(np.int64),
                "degree_max": np.maximum(du, dv).astype(np.int64),
                "type_degree_min": np.minimum(ku, kv),
                "type_degree_max": np.maximum(ku, kv),
                "common_neighbors": common.astype(np.int64),
                "jaccard": jaccard,
                "embeddedness": embedded,
                "adamic_adar": adamic,
                "triangles_min": np.minimum(tu, tv).astype(np.int64),
                "triangles_max": np.maximum(tu, tv).astype(np.int64),
                "clustering_min": np.minimum(cu, cv),
                "clustering_max": np.maximum(cu, cv),
                "spectral_distance": spectral,
                "multi_edge": multi.astype(np.int8),
            }
        )
        if self._age is not None:
            au, av = self._age[u], self._age[v]
            out["age_gap"] = np.abs(au - av)
            out["age_min"] = np.fmin(au, av)
            out["age_max"] = np.fmax(au, av)
        for column, codes in self._attr.items():
            out[f"same_{column}"] = (codes[u] == codes[v]).astype(np.int8)
        out["connection_type"] = pd.Categorical.from_codes(type_codes, categories=labels)
        return out

    def edge_features(self, *, include_edge_attributes: bool = False) -> pd.DataFrame:
        """Features of the release's own connections, in connection order (see
        :func:`edge_features`)."""
        edges = self.data._connections
        out = self.pair_features(
            self._edge_u, self._edge_v, edges["connection_type"], existing=True
        )
        if include_edge_attributes:
            for column in EDGE_ATTRIBUTES:
                if column not in edges.columns:
                    continue
                values = edges[column]
                if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(
                    values
                ):
                    out[column] = values.to_numpy(dtype=float, na_value=np.nan)
                else:
                    out[column] = pd.Categorical(_canon(values))
        return out


def edge_features(
    data: SocialData,
    *,
    include_edge_attributes: bool = False,
    spectral: bool = True,
    suite: bool = True,
) -> pd.DataFrame:
    """Per connection, features an adversary computes from a release.

    Structural (on the simple graph): endpoint degrees (smaller and larger); the
    connection type's degree at each end (connections of this type, as seen from that
    end: a ``PARENT`` connection counts the child's parents and the parent's children);
    common neighbours, Jaccard similarity of the neighbourhoods, embeddedness (common
    neighbours over the largest possible, ``min degree - 1``), Adamic-Adar index;
    triangles through each end and local clustering (smaller and larger); the spectral
    distance of the ends (cosine distance of their rows in the top-8 eigenvectors of the
    normalised adjacency, :func:`scipy.sparse.linalg.eigsh`; above
    :data:`SPECTRAL_MAX_NODES` people approximated by subspace iteration); whether
    the connection is one of several between its ends.  Attributes of the ends: absolute
    age gap and the smaller and larger age (generalised ages at their midpoints), same
    zipcode / ethnicity / occupation / gender, and the connection type.  With
    ``include_edge_attributes=True`` also the ``strength``, ``confidence`` and
    ``context`` columns (a release must not ship them: they mark synthetic edges).
    With ``suite=True`` (default) also :func:`suite_edge_features`.

    Parameters
    ----------
    data : SocialData
        The release (flags are not used).
    include_edge_attributes : bool, default=False
        Add the edge attribute columns as features.
    spectral : bool, default=True
        Compute ``spectral_distance`` (NaN without it).
    suite : bool, default=True
        Add the detector suite's features (:func:`suite_edge_features`: twin
        households, broken domain rules, class sizes at exactly k, component size).

    Returns
    -------
    DataFrame
        One row per connection, in connection order.  Categorical columns have a
        ``category`` dtype.

    See Also
    --------
    GraphFeatures.pair_features : The same features for candidate pairs.

    Examples
    --------
    >>> from personatwin_sklearn.attacks import edge_features
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> edge_features(make_toy_population())[["degree_min", "common_neighbors"]].sum().tolist()
    [6, 0]
    """
    graph = GraphFeatures(data, spectral=spectral)
    out = graph.edge_features(include_edge_attributes=include_edge_attributes)
    if suite:
        extra = suite_edge_features(data)
        for column in extra.columns:
            out[column] = extra[column].to_numpy()
    return out


def _mix64(x: np.ndarray, salt: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x.astype(np.uint64) + np.uint64(salt) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def household_twins(data: SocialData, columns=None) -> np.ndarray:
    """Per person: how many *other* people have an identical 1-hop household.

    A household is the person's own values of ``columns`` and the multiset of their
    connections, each read as (type seen from the person, partner's values of
    ``columns``), all as released (generalised labels compared as labels).  A
    synthetic persona copied from a real household has an exact twin elsewhere; a real
    person without one stands out as real.  People without connections get 0.

    Parameters
    ----------
    data : SocialData
        The release (flags are not read).
    columns : list of str, default=None
        Person columns compared (``None``: every people column but the id and
        ``is_synthetic``).

    Returns
    -------
    twins : ndarray of int of shape (n_people,)
        Number of other people with the same household.

    Examples
    --------
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> household_twins(make_toy_population()).shape
    (12,)
    """
    people = data._people
    if columns is None:
        columns = [c for c in people.columns if c not in (data.id_col, "is_synthetic")]
    n = len(people)
    own = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j, col in enumerate(columns):
            codes = pd.factorize(_canon(people[col]))[0].astype(np.int64)
            own = own * np.uint64(1_000_003) + _mix64(codes, 11 + j)
    edges = data._connections
    if len(edges) == 0:
        return np.zeros(n, dtype=np.int64)
    index = pd.Index(people[data.id_col])
    a = index.get_indexer(edges["person1_id"])
    b = index.get_indexer(edges["person2_id"])
    kind = edges["connection_type"].astype(str)
    types = pd.Index(sorted(set(kind)))
    inverse = [data.domain.inverse_type(t) for t in types]
    t_all = pd.Index(sorted(set(types) | set(inverse)))
    t_fwd = t_all.get_indexer(kind).astype(np.int64)
    t_inv = t_all.get_indexer(pd.Index(inverse).take(types.get_indexer(kind))).astype(np.int64)
    owner = np.r_[a, b]
    partner = np.r_[b, a]
    seen = np.r_[t_fwd, t_inv]
    with np.errstate(over="ignore"):
        item = _mix64(seen, 3) ^ _mix64(own[partner], 5)
        h1 = np.zeros(n, dtype=np.uint64)
        h2 = np.zeros(n, dtype=np.uint64)
        np.add.at(h1, owner, _mix64(item, 7))
        np.add.at(h2, owner, _mix64(item, 9))
    deg = np.bincount(owner, minlength=n)
    frame = pd.DataFrame({"o": own, "d": deg, "h1": h1, "h2": h2})
    size = frame.groupby(["o", "d", "h1", "h2"], sort=False)["d"].transform("size").to_numpy()
    return np.where(deg > 0, size - 1, 0).astype(np.int64)


#: Columns the suite reads as quasi-identifiers (those present) for class sizes.
SUITE_QUASI_IDENTIFIERS = ("age", "gender", "ethnicity", "zipcode")


def person_suite_features(data: SocialData) -> pd.DataFrame:
    """Per person, what tells a synthetic persona from a real one in a published release.

    - ``degree``: connections;
    - ``twins``: other people with an identical household (:func:`household_twins`;
      a persona copied from a real household has one);
    - ``broken_rule``: the person breaks a rule of real data
      (:func:`~personatwin_sklearn.domains.rule_violations`: a co-defendant without a
      record, two spouses, a parent younger than the child);
    - ``qi_class``: people with the same released quasi-identifiers (age, gender,
      ethnicity, zipcode present) and ``at_k``: the class is of exactly the smallest size
      in the release (the minimality attack: a k-anonymiser stops at k, so classes of
      exactly k are where it added or merged);
    - ``component``: size of the person's connected component.

    Parameters
    ----------
    data : SocialData
        The release (flags are not read).

    Returns
    -------
    DataFrame
        One row per person, in row order.

    Examples
    --------
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> list(person_suite_features(make_toy_population()).columns)
    ['degree', 'twins', 'broken_rule', 'qi_class', 'at_k', 'component']
    """
    from scipy.sparse.csgraph import connected_components

    from personatwin_sklearn.domains import rule_violations

    people = data._people
    n = len(people)
    edges = data._connections
    index = pd.Index(people[data.id_col])
    a = index.get_indexer(edges["person1_id"])
    b = index.get_indexer(edges["person2_id"])
    ok = (a >= 0) & (b >= 0)
    degree = np.bincount(np.r_[a[ok], b[ok]], minlength=n)
    _, broken = rule_violations(people, edges, id_col=data.id_col)
    qis = [c for c in SUITE_QUASI_IDENTIFIERS if c in people.columns]
    if qis:
        codes = pd.DataFrame({c: pd.factorize(_canon(people[c]))[0] for c in qis})
        qi_class = codes.groupby(qis, sort=False)[qis[0]].transform("size").to_numpy()
    else:
        qi_class = np.full(n, n)
    smallest = qi_class.min() if n else 0
    adj = sp.coo_matrix((np.ones(int(ok.sum())), (a[ok], b[ok])), shape=(n, n)).tocsr()
    _, label = connected_components(adj, directed=False)
    component = np.bincount(label)[label]
    return pd.DataFrame(
        {
            "degree": degree.astype(np.int64),
            "twins": household_twins(data),
            "broken_rule": broken.astype(np.int8),
            "qi_class": qi_class.astype(np.int64),
            "at_k": (qi_class == smallest).astype(np.int8),
            "component": component.astype(np.int64),
        }
    )


def suite_edge_features(data: SocialData, persons: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per connection, the detector suite's features of its two ends and itself.

    From :func:`person_suite_features` of the ends: ``twins_min`` / ``twins_max``,
    ``broken_ends`` (ends that break a rule), ``qi_class_min`` / ``qi_class_max``,
    ``at_k_ends`` (ends in a class of exactly the smallest size), ``component``; and
    ``rule_broken``: the connection itself breaks a rule.

    Parameters
    ----------
    data : SocialData
        The release (flags are not read).
    persons : DataFrame, default=None
        Precomputed :func:`person_suite_features` of ``data``.

    Returns
    -------
    DataFrame
        One row per connection, in connection order.
    """
    from personatwin_sklearn.domains import rule_violations

    if persons is None:
        persons = person_suite_features(data)
    edges = data._connections
    index = pd.Index(data._people[data.id_col])
    a = np.maximum(index.get_indexer(edges["person1_id"]), 0)
    b = np.maximum(index.get_indexer(edges["person2_id"]), 0)
    edge_mask, _ = rule_violations(data._people, edges, id_col=data.id_col)
    tw = persons["twins"].to_numpy()
    qc = persons["qi_class"].to_numpy()
    return pd.DataFrame(
        {
            "twins_min": np.minimum(tw[a], tw[b]),
            "twins_max": np.maximum(tw[a], tw[b]),
            "broken_ends": persons["broken_rule"].to_numpy()[a]
            + persons["broken_rule"].to_numpy()[b],
            "rule_broken": edge_mask.astype(np.int8),
            "qi_class_min": np.minimum(qc[a], qc[b]),
            "qi_class_max": np.maximum(qc[a], qc[b]),
            "at_k_ends": persons["at_k"].to_numpy()[a] + persons["at_k"].to_numpy()[b],
            "component": persons["component"].to_numpy()[a],
        },
        index=None,
    )
