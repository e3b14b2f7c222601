"""TemplateConnector: wire flagged synthetic connections that follow a NetworkTemplate."""

from __future__ import annotations

import math
import os
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from personatwin_sklearn._base import SocialDataTransformerMixin, check_social_data
from personatwin_sklearn._social_data import SYNTHETIC_EDGE_DEFAULTS
from personatwin_sklearn.exceptions import InvalidValueError
from personatwin_sklearn.templates._graph import SimpleGraph, local_clustering
from personatwin_sklearn.templates._template import NetworkTemplate, load_template

__all__ = ["TemplateConnector", "degree_sequence", "wire"]

#: Largest block density tried by the calibration.
MAX_CLOSURE = 1.0


def resolve_template(template) -> NetworkTemplate:
    """A :class:`NetworkTemplate` from itself, a shipped name, or a JSON path."""
    if isinstance(template, NetworkTemplate):
        return template
    if isinstance(template, (str, os.PathLike)):
        text = str(template)
        if text.endswith(".json") or os.path.sep in text:
            return NetworkTemplate.from_json(template)
        return load_template(text)
    raise InvalidValueError(
        f"template must be a NetworkTemplate, the name of a shipped template or a JSON path; "
        f"got {type(template).__name__}."
    )


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    raw = weights * total
    counts = np.floor(raw).astype(np.int64)
    short = total - int(counts.sum())
    if short > 0:
        order = np.argsort(-(raw - counts), kind="stable")
        counts[order[:short]] += 1
    return counts


def degree_sequence(template: NetworkTemplate, n: int, random_state=None) -> np.ndarray:
    """Target degrees of ``n`` nodes following the template.

    Bin counts are the template distribution times ``n`` rounded by largest
    remainder (so the histogram matches to within one node per bin); nodes of the
    top bin ``>= max_degree`` get ``max_degree`` plus a geometric excess whose mean
    matches the template's average degree.  Degrees are capped at ``n - 1`` and the
    sum made even.
    """
    if not isinstance(random_state, np.random.Generator):
        seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
        random_state = np.random.default_rng(seed)
    rng = random_state
    if n <= 1:
        return np.zeros(n, dtype=np.int64)
    pmf = template.degree_distribution
    top = len(pmf) - 1
    counts = _largest_remainder(pmf, n)
    degrees = np.repeat(np.arange(top + 1), counts)
    tail = degrees == top
    clipped_mean = float((pmf * np.arange(top + 1)).sum())
    if tail.any() and pmf[top] > 0:
        excess = (template.average_degree - clipped_mean) / pmf[top]
        if excess > 0.5:
            degrees[tail] += rng.geometric(1.0 / (excess + 1.0), size=int(tail.sum())) - 1
    degrees = np.minimum(degrees, n - 1)
    degrees = degrees[rng.permutation(n)]
    if degrees.sum() % 2:
        candidates = np.flatnonzero(degrees > 0)
        degrees[candidates[rng.integers(len(candidates))] if len(candidates) else 0] -= 1
    return degrees.astype(np.int64)


class _EdgeSet:
    """Undirected edges on ``0..n-1`` as sorted int64 keys ``lo * n + hi``."""

    def __init__(self, n: int, u=None, v=None):
        self.n = max(int(n), 1)
        self.keys = np.zeros(0, dtype=np.int64)
        self.deg = np.zeros(n, dtype=np.int64)
        if u is not None and len(u):
            u, v = np.asarray(u), np.asarray(v)
            keep = self.new_mask(u, v)  # duplicates of existing connections count once
            self.add(u[keep], v[keep])

    def key(self, a, b):
        return np.minimum(a, b).astype(np.int64) * self.n + np.maximum(a, b)

    def new_mask(self, a, b) -> np.ndarray:
        """Which pairs are not self-loops, not present, and first in the batch."""
        key = self.key(a, b)
        # sort-based membership and first occurrence (numpy's hash-based unique/isin
        # are several times slower on these keys)
        where = np.searchsorted(self.keys, key)
        present = where < len(self.keys)
        present[present] = self.keys[where[present]] == key[present]
        order = np.argsort(key, kind="stable")
        ranked = key[order]
        first_sorted = np.ones(len(key), dtype=bool)
        first_sorted[1:] = ranked[1:] != ranked[:-1]
        once = np.empty(len(key), dtype=bool)
        once[order] = first_sorted
        return (a != b) & ~present & once

    def add(self, a, b):
        """Add pairs that :meth:`new_mask` accepted (absent and distinct)."""
        key = np.sort(self.key(a, b))
        self.keys = np.sort(np.concatenate([self.keys, key]), kind="mergesort")
        self.deg += np.bincount(np.concatenate([a, b]), minlength=len(self.deg))

    def csr(self):
        lo, hi = self.keys // self.n, self.keys % self.n
        rows = np.concatenate([lo, hi])
        cols = np.concatenate([hi, lo])
        order = np.argsort(rows, kind="stable")
        indptr = np.zeros(len(self.deg) + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=len(self.deg)), out=indptr[1:])
        return indptr, cols[order]

    def pairs(self):
        return self.keys // self.n, self.keys % self.n


def _within_capacity(a, b, capacity) -> np.ndarray:
    """Keep edges (in order) while both endpoints still have free capacity."""
    ends = np.concatenate([a, b])
    position = np.concatenate([np.arange(len(a)), np.arange(len(b))])
    order = np.lexsort((position, ends))
    sorted_ends = ends[order]
    start = np.searchsorted(sorted_ends, sorted_ends, side="left")
    rank = np.empty(len(ends), dtype=np.int64)
    rank[order] = np.arange(len(ends)) - start
    fits = rank < capacity[ends]
    return fits[: len(a)] & fits[len(a) :]


def _pair_stubs(edges: _EdgeSet, stubs_per_node, rng, rounds: int = 4, group=None):
    """Configuration-model matching of free stubs (self-loops/duplicates re-drawn).

    With ``group`` (a code per node), stubs are matched only between nodes of the
    same group.  Vectorised rounds over stubs.
    """
    want = np.asarray(stubs_per_node, dtype=np.int64).copy()
    for _ in range(rounds):
        stubs = np.repeat(np.arange(len(want)), want)
        if len(stubs) < 2:
            break
        if group is None:
            stubs = stubs[rng.permutation(len(stubs))]
        else:  # random order inside each group, groups one after the other
            stubs = stubs[np.lexsort((rng.random(len(stubs)), group[stubs]))]
        stubs = stubs[: len(stubs) // 2 * 2].reshape(-1, 2)
        a, b = stubs[:, 0], stubs[:, 1]
        keep = edges.new_mask(a, b)
        if group is not None:
            keep &= group[a] == group[b]
        if not keep.any():
            break
        a, b = a[keep], b[keep]
        edges.add(a, b)
        want -= np.bincount(np.concatenate([a, b]), minlength=len(want))
        np.clip(want, 0, None, out=want)


#: Largest affinity block (nodes of higher degree share blocks of this size).
MAX_BLOCK = 2000


def affinity_blocks(degrees: np.ndarray, rng) -> np.ndarray:
    """BTER affinity blocks (Seshadhri, Kolda & Pinar, Phys. Rev. E 2012): nodes of
    degree >= 2 in ascending degree order (ties in random order), cut into consecutive
    blocks of ``d + 1`` nodes, ``d`` the degree of a block's first node (at most
    :data:`MAX_BLOCK`).  Returns the block of each node (-1: degree < 2)."""
    n = len(degrees)
    order = np.lexsort((rng.random(n), degrees))
    eligible = order[degrees[order] >= 2]
    sizes = np.minimum(degrees[eligible], MAX_BLOCK - 1) + 1
    starts, i = [], 0
    while i < len(eligible):  # one step per block (a few per hundred nodes)
        starts.append(i)
        i += int(sizes[i])
    block = np.full(n, -1, dtype=np.int64)
    block[eligible] = np.searchsorted(starts, np.arange(len(eligible)), side="right") - 1
    return block


def _block_pairs(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs of nodes inside the same block (vectorised per block size)."""
    members = np.flatnonzero(block >= 0)
    if len(members) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    members = members[np.argsort(block[members], kind="stable")]
    ids, first, size = np.unique(block[members], return_index=True, return_counts=True)
    left, right = [], []
    for s in np.unique(size):  # one step per distinct block size
        if s < 2:
            continue
        a, b = np.triu_indices(int(s), k=1)
        offsets = first[size == s]
        left.append((offsets[:, None] + a[None, :]).ravel())
        right.append((offsets[:, None] + b[None, :]).ravel())
    if not left:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return members[np.concatenate(left)], members[np.concatenate(right)]


def wire(n, degrees, density, rng, existing=None) -> _EdgeSet:
    """Edges on ``n`` nodes with degrees close to ``degrees`` and tunable clustering.

    Two-level (BTER) construction: inside each affinity block every pair is linked
    with probability ``density`` (an Erdős–Rényi block: a node of degree ``d`` in a
    block of ``d + 1`` gets about ``density * d`` local links, its clustering is about
    ``density ** 3``); each node's remaining degree is then matched as in the
    configuration model.  A block's size is at most its first (smallest) degree + 1,
    so no node gets more local links than its degree.  ``existing`` edges (pairs of
    positions) count towards the degrees.  Vectorised.
    """
    degrees = np.asarray(degrees, dtype=np.int64)
    edges = _EdgeSet(n, *(existing if existing is not None else (None, None)))
    if density > 0 and n > 2:
        block = affinity_blocks(degrees, rng)
        a, b = _block_pairs(block)
        keep = np.flatnonzero(rng.random(len(a)) < density)
        keep = keep[rng.permutation(len(keep))]
        a, b = a[keep], b[keep]
        keep = edges.new_mask(a, b)
        a, b = a[keep], b[keep]
        room = np.clip(degrees - edges.deg, 0, None)
        fits = _within_capacity(a, b, room)
        if fits.any():
            edges.add(a[fits], b[fits])
    _pair_stubs(edges, np.clip(degrees - edges.deg, 0, None), rng, rounds=6)
    return edges


def average_clustering(n: int, edges: _EdgeSet) -> float:
    """Average local clustering (networkx convention: nodes of degree < 2 count 0)."""
    if n == 0:
        return 0.0
    u, v = edges.pairs()
    return float(local_clustering(SimpleGraph(n, u, v))[1].mean())


class TemplateConnector(SocialDataTransformerMixin, TransformerMixin, BaseEstimator):
    """Wire flagged synthetic connections that follow a :class:`NetworkTemplate`.

    The chosen people's degree distribution and clustering follow the template.

    Target degrees are drawn from the template's degree distribution (bin counts
    rounded by largest remainder, so the histogram of targets matches the template's
    to within one node per bin); edges are then laid in two vectorised levels (BTER,
    Seshadhri, Kolda & Pinar 2012): Erdős–Rényi links of density ``closure_ratio_``
    inside affinity blocks of nodes of similar degree, then a configuration-model
    matching of every node's remaining degree.  ``fit`` calibrates ``closure_ratio_``
    by bisection so that the average clustering approaches the template's.
    Connections among the targets that already exist count towards their degrees and
    are never changed; every added connection is flagged synthetic
    (``strength="WEAK"``, ``confidence=0.5``).

    The template carries no edge of its source graph, so no real connection of the
    source is copied.

    Parameters
    ----------
    template : NetworkTemplate or str, default="karate_club"
        A template, the name of a shipped one (:func:`list_templates`) or a path to
        a template JSON file.
    target : {"auto", "synthetic", "all"}, default="auto"
        People to wire: the synthetic people (``"synthetic"``), everyone
        (``"all"``), or the synthetic people when there are any and everyone
        otherwise (``"auto"``).
    connection_type : str, default=None
        Type of the added connections.  ``None``: drawn from the template's
        connection mix when every type of it is valid in the data's domain, else
        ``"CONNECTED"`` for the custom domain or ``"FRIEND"`` where the domain
        has it.
    match_clustering : bool, default=True
        Calibrate the block density to the template's clustering; ``False`` gives a
        plain configuration model.
    n_calibration : int, default=8
        Bisection steps of the calibration.
    random_state : int, RandomState instance or None, default=None
        Seed of degree sampling and wiring (same seed, same output).  With ``None``
        the seed is drawn once at ``fit`` (``seed_``).

    Attributes
    ----------
    template_ : NetworkTemplate
        The resolved template.
    closure_ratio_ : float
        Link density inside the affinity blocks (0: plain configuration model).
    calibration_clustering_ : float
        Average clustering reached on the fit data during calibration.
    n_targets_ : int
        Number of people wired in the fit data.
    n_features_in_ : int
        Number of people columns seen in ``fit``.
    feature_names_in_ : ndarray of str objects
        People columns seen in ``fit``.
    seed_ : int
        Seed of the wiring, drawn once from ``random_state`` at ``fit``:
        ``transform`` gives the same output every time, also with
        ``random_state=None``.

    See Also
    --------
    NetworkTemplateExtractor : Releases a template from a graph.

    Examples
    --------
    >>> import pandas as pd
    >>> from personatwin_sklearn import SocialData
    >>> from personatwin_sklearn.templates import TemplateConnector
    >>> people = pd.DataFrame({"person_id": range(200)})
    >>> data = SocialData(people, required_columns=())
    >>> out = TemplateConnector(template="karate_club", random_state=0).fit_transform(data)
    >>> out.n_connections > 0, bool(out.connections["is_synthetic"].all())
    (True, True)
    """

    _parameter_constraints: dict = {
        "template": [NetworkTemplate, str, os.PathLike],
        "target": [StrOptions({"auto", "synthetic", "all"})],
        "connection_type": [str, None],
        "match_clustering": ["boolean"],
        "n_calibration": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        template="karate_club",
        *,
        target="auto",
        connection_type=None,
        match_clustering=True,
        n_calibration=8,
        random_state=None,
    ):
        self.template = template
        self.target = target
        self.connection_type = connection_type
        self.match_clustering = match_clustering
        self.n_calibration = n_calibration
        self.random_state = random_state

    def _targets(self, X) -> np.ndarray:
        synthetic = np.asarray(X.is_synthetic, dtype=bool)
        if self.target == "all" or (self.target == "auto" and not synthetic.any()):
            return np.arange(len(X))
        if not synthetic.any():
            raise InvalidValueError(
                "target='synthetic' but the data has no synthetic people: add synthetic "
                "personas first (SyntheticAugmenter) or use target='all'."
            )
        return np.flatnonzero(synthetic)

    def _existing(self, X, targets):
        left, right = X.edge_positions()
        local = np.full(len(X), -1, dtype=np.int64)
        local[targets] = np.arange(len(targets))
        a, b = local[left], local[right]
        keep = (a >= 0) & (b >= 0) & (a != b)
        return a[keep], b[keep]

    def _generate(self, n, existing, closure, rng):
        degrees = degree_sequence(self.template_, n, rng)
        return wire(n, degrees, closure, rng, existing=existing)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Resolve the template and calibrate the block density on ``X``'s targets.

        Parameters
        ----------
        X : SocialData
            People (and connections) to wire.
        y : None
            Ignored.

        Returns
        -------
        self : TemplateConnector
            The fitted connector.
        """
        X = check_social_data(X, type(self).__name__)
        self.template_ = resolve_template(self.template)
        rng = check_random_state(self.random_state)
        # drawn once: transform reuses it, so it repeats itself even when random_state=None
        self.seed_ = int(rng.randint(np.iinfo(np.int32).max))
        targets = self._targets(X)
        existing = self._existing(X, targets)
        n = len(targets)
        self.n_targets_ = n
        goal = self.template_.average_clustering
        closure = 0.0
        reached = float("nan")
        if n > 2 and self.match_clustering and goal is not None and math.isfinite(goal):
            seed = self.seed_
            low, high = 0.0, MAX_CLOSURE
            best = (math.inf, 0.0, float("nan"))
            for step in range(self.n_calibration + 1):
                closure = 0.0 if step == 0 else (low + high) / 2
                edges = self._generate(n, existing, closure, np.random.default_rng(seed))
                reached = average_clustering(n, edges)
                if abs(reached - goal) < best[0]:
                    best = (abs(reached - goal), closure, reached)
                if step == 0 and reached >= goal:
                    break
                if step > 0:
                    low, high = (closure, high) if reached < goal else (low, closure)
            _, closure, reached = best
        self.closure_ratio_ = float(closure)
        self.calibration_clustering_ = float(reached)
        return self

    def _types(self, X, m, rng) -> np.ndarray:
        if self.connection_type is not None:
            return np.full(m, self.connection_type, dtype=object)
        vocabulary = X.domain.connection_types
        mix = self.template_.connection_types
        if mix and (vocabulary is None or set(mix) <= set(vocabulary)):
            names = np.array(sorted(mix), dtype=object)
            shares = np.array([mix[k] for k in names], dtype=float)
            return names[rng.choice(len(names), size=m, p=shares / shares.sum())]
        if vocabulary is None:
            return np.full(m, "CONNECTED", dtype=object)
        if "FRIEND" in vocabulary:
            return np.full(m, "FRIEND", dtype=object)
        raise InvalidValueError(
            f"The data's domain {X.domain.name!r} has no 'FRIEND' type and the template "
            "has no usable connection mix: pass connection_type='<one of "
            f"{sorted(vocabulary)}>'."
        )

    def transform(self, X):
        """Return ``X`` with the synthetic connections added.

        Parameters
        ----------
        X : SocialData
            People (and connections) to wire.

        Returns
        -------
        X_new : SocialData
            Same people; real and existing connections unchanged, new connections
            appended and flagged ``is_synthetic``.
        """
        check_is_fitted(self, "template_")
        X = check_social_data(X, type(self).__name__)
        targets = self._targets(X)
        n = len(targets)
        if n < 2:
            return X
        existing = self._existing(X, targets)
        rng = np.random.default_rng(self.seed_)
        edges = self._generate(n, existing, self.closure_ratio_, rng)
        u, v = edges.pairs()
        old = _EdgeSet(n, *existing)
        new = ~np.isin(edges.keys, old.keys)
        u, v = u[new], v[new]
        if len(u) == 0:
            return X
        ids = X.ids.to_numpy()
        frame = pd.DataFrame(
            {
                "person1_id": ids[targets[u]],
                "person2_id": ids[targets[v]],
                "connection_type": self._types(X, len(u), rng),
                "context": "synthetic (network template)",
            }
        )
        if X.n_connections == 0:
            # SocialData.add concatenates onto an empty (object-typed) connections table,
            # which fails validation of the boolean flag: start the table from our rows.
            for column, default in SYNTHETIC_EDGE_DEFAULTS.items():
                if column not in frame.columns:
                    frame[column] = default
            frame["is_synthetic"] = True
            return X.with_connections(frame)
        return X.add(connections=frame)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        return tags
