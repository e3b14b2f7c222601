"""Graph inputs for the template extractor and vectorised structure statistics.

Every input (networkx graph, :class:`SocialData`, SNAP edge list, Pajek file) becomes
a :class:`SimpleGraph`: ``n`` nodes and the distinct undirected pairs ``(u, v)``
(``u < v``, positions ``0..n-1``, self-loops dropped), plus the type of each
connection row where the input has types.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.exceptions import SchemaError

__all__ = [
    "SimpleGraph",
    "as_simple_graph",
    "check_edge_lines",
    "clipped_clustering_sum",
    "damped_clustering",
    "degree_histogram",
    "local_clustering",
]


@dataclass(frozen=True)
class SimpleGraph:
    """An undirected simple graph on nodes ``0..n-1``.

    ``types`` holds the connection type of each connection *row* of the input
    (``None`` when the input carries no types); ``vocabulary`` the public list of
    types when the input's domain fixes one.
    """

    n: int
    u: np.ndarray
    v: np.ndarray
    types: np.ndarray | None = None
    vocabulary: tuple | None = None

    @property
    def degree(self) -> np.ndarray:
        return np.bincount(np.concatenate([self.u, self.v]), minlength=self.n).astype(np.int64)

    def adjacency(self) -> sparse.csr_matrix:
        rows = np.concatenate([self.u, self.v])
        cols = np.concatenate([self.v, self.u])
        data = np.ones(len(rows), dtype=np.int32)
        return sparse.csr_matrix((data, (rows, cols)), shape=(self.n, self.n))

    def to_networkx(self):
        import networkx as nx

        graph = nx.Graph()
        graph.add_nodes_from(range(self.n))
        graph.add_edges_from(zip(self.u.tolist(), self.v.tolist()))
        return graph


def _canonical_pairs(a: np.ndarray, b: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    keep = a != b
    lo = np.minimum(a, b)[keep]
    hi = np.maximum(a, b)[keep]
    key = np.unique(lo * np.int64(max(n, 1)) + hi)
    return (key // max(n, 1)).astype(np.int64), (key % max(n, 1)).astype(np.int64)


def _from_networkx(graph, type_attr: str = "connection_type") -> SimpleGraph:
    # positions in node order, as networkx's convert_node_labels_to_integers(ordering=
    # "default") gives, without copying the graph (that copy took 2 s of a 2.5 s fit on
    # SNAP ego-Facebook)
    index = {node: i for i, node in enumerate(graph.nodes())}
    n = len(index)
    m = graph.number_of_edges()
    triples = list(graph.edges(data=type_attr))
    ends = np.fromiter(
        (index[x] for a, b, _ in triples for x in (a, b)), dtype=np.int64, count=2 * m
    ).reshape(-1, 2)
    types = None
    values = [t for _, _, t in triples]
    if values and all(t is not None for t in values):
        types = np.asarray(values, dtype=object)
    u, v = _canonical_pairs(ends[:, 0], ends[:, 1], n)
    return SimpleGraph(n, u, v, types, None)


def _from_social_data(data: SocialData) -> SimpleGraph:
    left, right = data.edge_positions()
    u, v = _canonical_pairs(left, right, len(data))
    types = data.connections["connection_type"].astype(str).to_numpy(dtype=object)
    vocabulary = data.domain.connection_types
    return SimpleGraph(len(data), u, v, types, tuple(vocabulary) if vocabulary else None)


def _read_lines(path: Path) -> list[str]:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
            return handle.read().splitlines()
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read().splitlines()


def check_edge_lines(
    lines: list[str],
    path: str,
    *,
    first_line: int = 1,
    comments: str | None = "#",
    what: str = "a SNAP edge list",
    require_int: bool = False,
) -> None:
    """Raise :class:`SchemaError` naming the first malformed line of an edge list.

    A data line needs two node ids (``u v``; more columns, e.g. weights, are
    ignored).  Ids must all be integers when ``require_int`` (Pajek vertex numbers),
    or when most lines use integer ids (a stray header such as ``source target``).
    """
    text = pd.Series(lines, dtype=object).astype(str)
    if comments:
        text = text.str.split(comments, n=1).str[0]
    tokens = text.str.split()
    count = tokens.str.len().fillna(0).astype(int).to_numpy()
    data_line = count > 0
    if not data_line.any():
        raise SchemaError(
            f"{path!r} holds no edges: {what} needs one 'u v' pair of node ids per line."
        )
    short = np.flatnonzero(data_line & (count < 2))
    if len(short):
        pos = int(short[0])
        raise SchemaError(
            f"{path!r}, line {pos + first_line}: {lines[pos]!r} has one field; {what} needs "
            "two whitespace-separated node ids per line ('u v', e.g. '0 1')"
            + (f"; comment lines start with {comments!r}." if comments else ".")
        )
    rows = np.flatnonzero(data_line)
    first = tokens.iloc[rows].str[0]
    second = tokens.iloc[rows].str[1]
    is_int = first.str.fullmatch(r"[+-]?\d+").to_numpy(dtype=bool) & second.str.fullmatch(
        r"[+-]?\d+"
    ).to_numpy(dtype=bool)
    if (require_int or is_int.mean() > 0.5) and not is_int.all():
        pos = int(rows[np.flatnonzero(~is_int)[0]])
        hint = f" If it is a header, comment it out with {comments!r}." if comments else ""
        raise SchemaError(
            f"{path!r}, line {pos + first_line}: {lines[pos]!r} does not hold two integer "
            f"node ids, unlike the other lines of {what}.{hint}"
        )


def _read_path(source) -> SocialData:
    from personatwin_sklearn.io import read_pajek, read_snap_edgelist

    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(
            f"Graph file {str(path)!r} does not exist (relative paths are read from "
            f"{os.getcwd()!r})."
        )
    lines = _read_lines(path)
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".net", ".pajek", ".paj")):
        heads = [i for i, line in enumerate(lines) if line.startswith("*")]
        edge_heads = [i for i in heads if lines[i].split()[0].lower() in ("*edges", "*arcs")]
        if not edge_heads:
            raise SchemaError(
                f"{str(path)!r} is not a Pajek file: expected a '*vertices N' line followed "
                "by '*edges' or '*arcs'."
            )
        start = edge_heads[0] + 1
        stop = next((i for i in heads if i >= start), len(lines))
        check_edge_lines(
            lines[start:stop],
            str(path),
            first_line=start + 1,
            comments=None,
            what="a Pajek *edges section",
            require_int=True,
        )
        return read_pajek(path)
    check_edge_lines(lines, str(path))
    return read_snap_edgelist(path)


def as_simple_graph(X) -> SimpleGraph:
    """Convert a networkx graph, a :class:`SocialData` or a path to a :class:`SimpleGraph`."""
    if isinstance(X, SocialData):
        return _from_social_data(X)
    if isinstance(X, (str, os.PathLike)):
        data = _read_path(X)
        graph = _from_social_data(data)
        # SNAP and Pajek files carry no connection types: do not release a type mix.
        return SimpleGraph(graph.n, graph.u, graph.v, None, None)
    try:
        import networkx as nx
    except ImportError:  # pragma: no cover - networkx is a dependency
        nx = None
    if nx is not None and isinstance(X, nx.Graph):
        return _from_networkx(X)
    raise TypeError(
        "NetworkTemplateExtractor.fit expects a networkx graph, a SocialData, or a path to "
        f"a SNAP edge list / Pajek .net file; got {type(X).__name__}."
    )


def degree_histogram(degree: np.ndarray, max_degree: int) -> np.ndarray:
    """Number of nodes of each degree ``0..max_degree``; the last bin holds every node
    of degree ``>= max_degree`` (clipping)."""
    return np.bincount(np.minimum(degree, max_degree), minlength=max_degree + 1).astype(np.int64)


def clipped_clustering_sum(graph: SimpleGraph, max_degree: int, chunk: int = 16384) -> float:
    """Sum over nodes of the clipped local clustering coefficient.

    With ``B = {v : deg(v) <= D}``, a node ``v`` in ``B`` of degree ``>= 2`` contributes
    ``t_B(v) / C(deg(v), 2)`` where ``t_B(v)`` counts the edges ``{x, y}`` with
    ``x, y`` neighbours of ``v`` *both in* ``B``; other nodes contribute 0.  When
    ``D >= max degree`` this is ``n`` times networkx's ``average_clustering``.
    """
    n = graph.n
    deg = graph.degree
    in_b = deg <= max_degree
    if n == 0 or len(graph.u) == 0:
        return 0.0
    adjacency = graph.adjacency()
    restricted = adjacency[:, np.flatnonzero(in_b)].tocsr()
    rows = np.concatenate([graph.u, graph.v])
    cols = np.concatenate([graph.v, graph.u])
    keep = in_b[cols] & in_b[rows] & (deg[rows] >= 2)
    rows, cols = rows[keep], cols[keep]
    common = np.zeros(len(rows), dtype=np.float64)
    for start in range(0, len(rows), chunk):  # chunks of edges (bounded memory)
        part = slice(start, start + chunk)
        left = restricted[rows[part]]
        right = restricted[cols[part]]
        common[part] = np.asarray(left.multiply(right).sum(axis=1)).ravel()
    triangles = np.bincount(rows, weights=common, minlength=n) / 2.0
    pairs = deg * (deg - 1) / 2.0
    valid = in_b & (deg >= 2)
    local = np.zeros(n)
    local[valid] = triangles[valid] / pairs[valid]
    return float(local.sum())


def _row_chunks(n: int, adjacency, budget: int = 4_000_000):
    """Row ranges whose products ``A[rows] @ A`` hold about ``budget`` entries."""
    deg = np.diff(adjacency.indptr)
    # cost of row r ~ sum of the degrees of its neighbours
    cost = np.zeros(n)
    if len(adjacency.indices):
        nbr_deg = deg[adjacency.indices].astype(float)
        rows = np.repeat(np.arange(n), deg)
        cost = np.bincount(rows, weights=nbr_deg, minlength=n)
    bounds = np.searchsorted(np.cumsum(cost), np.arange(budget, cost.sum() + budget, budget))
    edges = np.unique(np.concatenate([[0], np.minimum(bounds + 1, n), [n]]))
    return list(zip(edges[:-1], edges[1:]))


def local_clustering(graph: SimpleGraph) -> tuple[np.ndarray, np.ndarray]:
    """Triangles at each node and its local clustering coefficient (0 below degree 2)."""
    n = graph.n
    deg = graph.degree
    triangles = np.zeros(n)
    if n and len(graph.u):
        adjacency = graph.adjacency().astype(np.float64)
        for start, stop in _row_chunks(n, adjacency):  # bounded memory
            block = adjacency[start:stop]
            triangles[start:stop] = (
                np.asarray((block @ adjacency).multiply(block).sum(axis=1))[:, 0] / 2.0
            )
    pairs = deg * (deg - 1) / 2.0
    local = np.divide(triangles, pairs, out=np.zeros(n), where=pairs > 0)
    return triangles, local


def damped_clustering(graph: SimpleGraph, floor: int) -> tuple[float, float]:
    """The damped clustering sum and the largest damped common-neighbour weight.

    ``f = sum_v t_v / C(max(deg v, k), 2)`` with ``k = floor`` (nodes of degree
    ``>= k`` keep their local clustering; below it, ``t_v / C(k, 2)`` shrinks it), and
    ``M = max_{u != v} sum_{w in N(u) & N(v)} 1 / C(max(deg w, k), 2)``, which bounds
    the local sensitivity of ``f`` (``4 / k + M``; ``docs/templates.md``).
    """
    n = graph.n
    k = max(int(floor), 2)
    if n == 0 or len(graph.u) == 0:
        return 0.0, 0.0
    deg = graph.degree
    weight = 2.0 / (np.maximum(deg, k) * (np.maximum(deg, k) - 1.0))
    adjacency = graph.adjacency().astype(np.float64)
    weighted = adjacency.multiply(weight[None, :]).tocsr()
    total, largest = 0.0, 0.0
    for start, stop in _row_chunks(n, adjacency):
        block = adjacency[start:stop]
        common = (block @ adjacency).multiply(block)
        total += float(np.asarray(common.sum(axis=1))[:, 0] @ weight[start:stop]) / 2.0
        shared = (weighted[start:stop] @ adjacency).tocoo()
        off = shared.row + start != shared.col
        if off.any():
            largest = max(largest, float(shared.data[off].max()))
    return total, largest
