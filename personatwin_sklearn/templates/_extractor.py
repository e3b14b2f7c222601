"""NetworkTemplateExtractor: differentially private structure statistics of a graph."""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from personatwin_sklearn._base import require_diffprivlib
from personatwin_sklearn.exceptions import InvalidValueError, PrivacyWarning
from personatwin_sklearn.templates._graph import (
    SimpleGraph,
    as_simple_graph,
    clipped_clustering_sum,
    degree_histogram,
)
from personatwin_sklearn.templates._template import NetworkTemplate

__all__ = ["NetworkTemplateExtractor", "DEFAULT_BUDGET_SPLIT", "sensitivities"]

#: Default share of epsilon per statistic (renormalised over the released ones).
DEFAULT_BUDGET_SPLIT = {
    "degree_histogram": 0.4,
    "n_edges": 0.1,
    "clustering": 0.25,
    "communities": 0.15,
    "connection_types": 0.1,
}

#: Seed of the (deterministic) Louvain community detection; not a privacy parameter.
COMMUNITY_SEED = 0


def sensitivities(privacy: str, max_degree: int) -> dict:
    """L1 sensitivity of each statistic (see :class:`NetworkTemplateExtractor`).

    ``clustering`` is the sensitivity of the *sum* of clipped local clustering
    coefficients (the average divides it by ``n``).
    """
    d = int(max_degree)
    if privacy == "edge":
        return {
            "degree_histogram": 4,
            "n_edges": 1,
            "clustering": 2 * d + 2,
            "communities": 2,
            "connection_types": 1,
        }
    return {
        "degree_histogram": 2 * d + 1,
        "n_edges": d,
        "clustering": d + 1,
        "communities": 2,
        "connection_types": d,
    }


class NetworkTemplateExtractor(BaseEstimator):
    r"""Release a graph's structure as a differentially private :class:`NetworkTemplate`.

    ``fit`` reads a graph (networkx graph, :class:`SocialData`, or a path to a SNAP
    edge list / Pajek ``.net`` file) and releases, with noise from diffprivlib
    mechanisms at the sensitivity of each statistic: the degree histogram (degrees
    clipped at ``max_degree``), the number of edges (hence the average degree), the
    average local clustering coefficient, the distribution of community sizes and,
    where the graph has connection types, the mix of types.  No node or edge of the
    source is kept.

    **Neighbouring graphs.**  ``privacy="edge"``: graphs that differ by one
    connection (one edge added or removed; the node set, hence ``n``, is public).
    ``privacy="node"``: graphs that differ by one node and all its connections,
    *among graphs whose every node has at most* ``max_degree`` *connections*
    (bounded-degree node privacy, the "restricted sensitivity" setting of Blocki,
    Blum, Datta & Sheffet, ITCS 2013).  A node-private fit of a graph with larger
    degrees first removes those nodes and warns: the guarantee is not claimed for
    such inputs.

    **Sensitivities** (``D = max_degree``; derivations in ``docs/templates.md``):

    * Degree histogram ``h_d = #{v : min(deg v, D) = d}``, ``d = 0..D``.  Edge-DP:
      adding edge ``{u, v}`` moves ``u`` from bin ``min(d_u, D)`` to
      ``min(d_u + 1, D)`` (``-1`` in one cell, ``+1`` in the next, or nothing once
      clipped) and the same for ``v``: at most 4 cells change by 1, so
      :math:`\Delta_1 = 4` (not 1, which diffprivlib's ``histogram`` assumes).
      Node-DP: the removed node leaves its bin (1) and each of its at most ``D``
      neighbours moves one bin down (2 each): :math:`\Delta_1 = 2D + 1`.
      Noise: ``Geometric(epsilon_h, sensitivity=Delta)``, i.e. two-sided geometric
      with :math:`P(k) \propto e^{-\epsilon_h |k| / \Delta}` per bin
      (variance :math:`2p/(1-p)^2`, :math:`p = e^{-\epsilon_h/\Delta}`).
    * Edge count: 1 (edge-DP), ``D`` (node-DP); ``Geometric``.
    * Clustering: with ``B = {v : deg v <= D}``, the statistic is
      :math:`S = \sum_{v \in B, \deg v \ge 2} t_B(v) / \binom{\deg v}{2}`, where
      :math:`t_B(v)` counts edges between neighbours of ``v`` that are both in
      ``B`` (:math:`S/n` is networkx's ``average_clustering`` when ``D`` is at least
      the maximum degree).  Edge-DP: the two endpoints change their own term by at
      most 1 each; another node ``w`` changes only if the new edge closes a triangle
      at ``w`` (``w`` a common neighbour of ``u, v`` with ``u, v`` in ``B``: at most
      ``D - 1`` such ``w``) or if ``u`` or ``v`` leaves ``B`` (their at most ``2D``
      neighbours), each term staying in ``[0, 1]``: :math:`\Delta_1 \le 2D + 2`, so
      the average has sensitivity :math:`(2D + 2)/n`.  Node-DP: the removed node and
      its at most ``D`` neighbours: :math:`D + 1` (the average divides by the noisy
      ``n``).  Noise: ``Laplace``; the average is clipped to ``[0, 1]``.
    * Community sizes: Louvain communities (networkx, fixed seed; label propagation
      above ``LOUVAIN_MAX_NODES`` = 20,000 nodes, for speed), and the fraction
      of nodes whose community size falls in each bucket ``[2^i, 2^{i+1})``.
      Community detection is not stable (one edge can reshuffle every community), so
      the only sound bound is the worst case: two probability vectors differ by at
      most 2 in L1.  ``Laplace(sensitivity=2)`` per bucket, then clip and
      renormalise.  This statistic is only informative at large epsilon.
    * Connection types: count of connection rows per type, 1 (edge-DP) or ``D``
      (node-DP; every node has at most ``D`` connection rows); ``Geometric``.

    Epsilon is split across the statistics by ``budget_split`` (sequential
    composition: the template is ``epsilon``-DP, ``delta = 0``).  Derived values
    (distribution, average degree, clipping negative counts) are post-processing.

    Parameters
    ----------
    epsilon : float, default=1.0
        Total privacy budget, ``> 0``.
    privacy : {"edge", "node"}, default="edge"
        Neighbouring relation (see above).
    max_degree : int, default=None
        Degree clipping bound ``D`` (``>= 2``).  ``None`` reads the maximum degree
        from the data and warns with ``diffprivlib.utils.PrivacyLeakWarning``: the
        bound itself then leaks, so set it from public knowledge.
    budget_split : dict, default=None
        Weights of ``"degree_histogram"`` (must be > 0), ``"n_edges"``,
        ``"clustering"``, ``"communities"`` and ``"connection_types"``; missing keys
        or 0 mean "not released".  Renormalised to sum to 1 over the statistics
        released.  ``None`` uses :data:`DEFAULT_BUDGET_SPLIT`.
    connection_types : "auto", list of str or None, default="auto"
        Types of the connection mix.  ``"auto"``: the domain vocabulary of a
        :class:`SocialData` (public), else the types read from the data (warns with
        ``PrivacyLeakWarning``) when there are at least two; files and untyped
        graphs release no mix.  ``None``: no mix.
    accountant : diffprivlib.accountant.BudgetAccountant, default=None
        Accountant charged ``epsilon`` per fit (``None``: diffprivlib's default
        accountant).  The budget is checked *before* any statistic is computed, so
        an overspend raises ``diffprivlib.utils.BudgetError`` and releases nothing.
        ``clone`` (and so ``GridSearchCV``) deep-copies it: sum ``epsilon_spent_``
        with :func:`~personatwin_sklearn.templates.total_epsilon_spent` instead.
    random_state : int, RandomState instance or None, default=None
        Seed of the noise.  A fixed seed reproduces a release; for a real release
        leave it ``None``.

    Attributes
    ----------
    template_ : NetworkTemplate
        The released template.
    epsilon_spent_ : float
        Budget spent by this fit (equals ``epsilon``).
    epsilon_split_ : dict
        Budget spent on each released statistic.
    sensitivity_ : dict
        L1 sensitivity used for each released statistic.
    max_degree_ : int
        Clipping bound used.

    See Also
    --------
    TemplateConnector : wires connections that follow a template.
    total_epsilon_spent : sums ``epsilon_spent_`` over pipelines and searches.

    Examples
    --------
    >>> import networkx as nx
    >>> from personatwin_sklearn.templates import NetworkTemplateExtractor
    >>> extractor = NetworkTemplateExtractor(epsilon=2.0, max_degree=10, random_state=0)
    >>> template = extractor.fit(nx.karate_club_graph()).template_
    >>> len(template.degree_counts), extractor.epsilon_spent_
    (11, 2.0)
    >>> extractor.sensitivity_["degree_histogram"]
    4
    """

    _parameter_constraints: dict = {
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "privacy": [StrOptions({"edge", "node"})],
        "max_degree": [Interval(Integral, 2, None, closed="left"), None],
        "budget_split": [dict, None],
        "connection_types": [StrOptions({"auto"}), list, None],
        "accountant": "no_validation",
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        epsilon=1.0,
        *,
        privacy="edge",
        max_degree=None,
        budget_split=None,
        connection_types="auto",
        accountant=None,
        random_state=None,
    ):
        self.epsilon = epsilon
        self.privacy = privacy
        self.max_degree = max_degree
        self.budget_split = budget_split
        self.connection_types = connection_types
        self.accountant = accountant
        self.random_state = random_state

    # -- helpers ---------------------------------------------------------------------------
    def _weights(self) -> dict:
        split = DEFAULT_BUDGET_SPLIT if self.budget_split is None else self.budget_split
        unknown = sorted(set(split) - set(DEFAULT_BUDGET_SPLIT))
        if unknown:
            raise InvalidValueError(
                f"budget_split has unknown key(s) {unknown}; use {sorted(DEFAULT_BUDGET_SPLIT)}."
            )
        weights = {}
        for key, value in split.items():
            if not isinstance(value, Real) or not math.isfinite(value) or value < 0:
                raise InvalidValueError(
                    f"budget_split[{key!r}] must be a finite number >= 0, got {value!r}."
                )
            if value > 0:
                weights[key] = float(value)
        if "degree_histogram" not in weights:
            raise InvalidValueError(
                "budget_split['degree_histogram'] must be > 0: the degree histogram is the "
                "core of a template."
            )
        return weights

    def _type_vocabulary(self, graph: SimpleGraph):
        from diffprivlib.utils import PrivacyLeakWarning

        if self.connection_types is None or graph.types is None:
            return None
        if isinstance(self.connection_types, list):
            return sorted({str(t) for t in self.connection_types})
        if graph.vocabulary:
            return sorted(graph.vocabulary)
        observed = sorted({str(t) for t in np.unique(graph.types.astype(str))})
        if len(observed) < 2:
            return None
        warnings.warn(
            "connection_types='auto' read the connection types from the data "
            f"({len(observed)} types); the set of types itself is not protected. Pass "
            "connection_types=[...] from public knowledge to avoid this leak.",
            PrivacyLeakWarning,
            stacklevel=3,
        )
        return observed

    # -- fit ---------------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Release the template of graph ``X``.

        Parameters
        ----------
        X : networkx.Graph, SocialData, str or path-like
            The graph, or a SNAP edge list (``u v`` per line, ``#`` comments, plain
            or ``.gz``) or a Pajek ``.net`` file.
        y : None
            Ignored.

        Returns
        -------
        self : NetworkTemplateExtractor

        Raises
        ------
        diffprivlib.utils.BudgetError
            When the accountant cannot afford ``epsilon`` (nothing is released).
        SchemaError
            For a malformed file (the message names the line).
        """
        require_diffprivlib("NetworkTemplateExtractor.fit")
        from diffprivlib.accountant import BudgetAccountant
        from diffprivlib.mechanisms import Geometric, Laplace
        from diffprivlib.utils import PrivacyLeakWarning

        weights = self._weights()
        accountant = BudgetAccountant.load_default(self.accountant)
        # Charge check first: an overspend raises before anything is computed.
        accountant.check(self.epsilon, 0.0)
        rng = check_random_state(self.random_state)

        graph = as_simple_graph(X)
        vocabulary = self._type_vocabulary(graph) if "connection_types" in weights else None
        if vocabulary is None:
            weights.pop("connection_types", None)
        total = sum(weights.values())
        split = {key: self.epsilon * w / total for key, w in weights.items()}

        degree = graph.degree
        notes = []
        if self.max_degree is None:
            max_degree = max(int(degree.max()) if graph.n else 2, 2)
            warnings.warn(
                f"max_degree=None: the degree bound ({max_degree}) was read from the data, "
                "which leaks it. Set max_degree from public knowledge.",
                PrivacyLeakWarning,
                stacklevel=2,
            )
            notes.append("max_degree read from the data")
        else:
            max_degree = int(self.max_degree)
        if self.privacy == "node" and graph.n and degree.max() > max_degree:
            graph = _truncate(graph, max_degree)
            degree = graph.degree
            warnings.warn(
                f"privacy='node' assumes every node has at most max_degree={max_degree} "
                "connections; nodes above it were removed before release, and the node-DP "
                "guarantee is not claimed for this input. Raise max_degree or use "
                "privacy='edge'.",
                PrivacyWarning,
                stacklevel=2,
            )
            notes.append("node-DP: nodes above max_degree removed (guarantee not claimed)")
        sens = sensitivities(self.privacy, max_degree)
        sens = {key: sens[key] for key in split}

        # Degree histogram: two-sided geometric noise at sensitivity 4 (edge) / 2D+1 (node).
        true_hist = degree_histogram(degree, max_degree)
        mech = Geometric(
            epsilon=split["degree_histogram"],
            sensitivity=sens["degree_histogram"],
            random_state=rng,
        )
        noisy_hist = [int(mech.randomise(int(c))) for c in true_hist]  # loop over bins
        if self.privacy == "edge":
            n_nodes = float(graph.n)
        else:
            n_nodes = float(max(np.clip(noisy_hist, 0, None).sum(), 1))

        if "n_edges" in split:
            mech = Geometric(
                epsilon=split["n_edges"], sensitivity=sens["n_edges"], random_state=rng
            )
            n_edges = float(max(mech.randomise(int(len(graph.u))), 0))
        else:  # post-processing of the histogram (degrees above D count as D)
            counts = np.clip(np.asarray(noisy_hist, dtype=float), 0, None)
            n_edges = float((counts * np.arange(max_degree + 1)).sum() / 2.0)

        average_clustering = float("nan")
        if "clustering" in split:
            total_c = clipped_clustering_sum(graph, max_degree)
            mech = Laplace(
                epsilon=split["clustering"],
                sensitivity=float(sens["clustering"]),
                random_state=rng,
            )
            noisy = mech.randomise(total_c)
            average_clustering = float(np.clip(noisy / max(n_nodes, 1.0), 0.0, 1.0))

        bins, community = [], []
        if "communities" in split:
            bins, true_fractions = _community_fractions(graph, n_nodes)
            if community_method(graph.n) != "louvain":
                notes.append(f"communities by label propagation ({graph.n:,} nodes)")
            mech = Laplace(epsilon=split["communities"], sensitivity=2.0, random_state=rng)
            noisy = np.clip([mech.randomise(float(f)) for f in true_fractions], 0, None)
            community = (
                (noisy / noisy.sum()).tolist()
                if noisy.sum() > 0
                else [1.0 / len(bins)] * len(bins)
            )

        mix = None
        if "connection_types" in split:
            kinds = np.asarray(graph.types, dtype=str)
            counts = [int((kinds == t).sum()) for t in vocabulary]  # loop over types
            mech = Geometric(
                epsilon=split["connection_types"],
                sensitivity=sens["connection_types"],
                random_state=rng,
            )
            noisy = np.clip([mech.randomise(c) for c in counts], 0, None).astype(float)
            shares = (
                noisy / noisy.sum() if noisy.sum() > 0 else np.full(len(noisy), 1 / len(noisy))
            )
            mix = {t: float(s) for t, s in zip(vocabulary, shares)}

        for eps in split.values():
            accountant.spend(eps, 0.0)

        self.max_degree_ = max_degree
        self.epsilon_split_ = split
        self.epsilon_spent_ = float(self.epsilon)
        self.sensitivity_ = sens
        self.template_ = NetworkTemplate(
            degree_counts=noisy_hist,
            max_degree=max_degree,
            n_nodes=n_nodes,
            n_edges=n_edges,
            average_clustering=average_clustering,
            community_size_bins=bins,
            community_size_distribution=community,
            connection_types=mix,
            epsilon=self.epsilon_spent_,
            epsilon_split=dict(split),
            sensitivity=dict(sens),
            privacy=self.privacy,
            source=_describe(X),
            seed=self.random_state if isinstance(self.random_state, Integral) else None,
            notes="; ".join(notes),
        )
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.non_deterministic = True
        return tags


def _truncate(graph: SimpleGraph, max_degree: int) -> SimpleGraph:
    """Drop every node of degree > max_degree (and its edges); keeps node positions."""
    deg = graph.degree
    keep = (deg[graph.u] <= max_degree) & (deg[graph.v] <= max_degree)
    alive = deg <= max_degree
    position = np.cumsum(alive) - 1
    return SimpleGraph(
        int(alive.sum()),
        position[graph.u[keep]],
        position[graph.v[keep]],
        None if graph.types is None else graph.types,
        graph.vocabulary,
    )


def community_bins(n_nodes: float) -> list[int]:
    """Lower edges ``1, 2, 4, ...`` of the community-size buckets for ``n`` nodes."""
    top = max(int(math.ceil(math.log2(max(n_nodes, 1.0) + 1))), 1)
    return [2**i for i in range(top)]


#: Above this many nodes communities come from label propagation instead of Louvain
#: (networkx's pure-Python Louvain takes minutes from ~100k nodes; label propagation
#: ~6 s at 100k).  The statistic's sensitivity (2, worst case) does not depend on it.
LOUVAIN_MAX_NODES = 20_000


def community_method(n: int) -> str:
    """``"louvain"`` up to :data:`LOUVAIN_MAX_NODES` nodes, ``"label_propagation"`` above."""
    return "louvain" if n <= LOUVAIN_MAX_NODES else "label_propagation"


def _community_fractions(graph: SimpleGraph, n_nodes: float):
    import networkx as nx

    bins = community_bins(n_nodes)
    if graph.n == 0:
        return bins, np.zeros(len(bins))
    if community_method(graph.n) == "louvain":
        communities = nx.community.louvain_communities(graph.to_networkx(), seed=COMMUNITY_SEED)
    else:
        communities = nx.community.label_propagation_communities(graph.to_networkx())
    sizes = np.array([len(c) for c in communities], dtype=np.int64)
    bucket = np.minimum(np.searchsorted(bins, sizes, side="right") - 1, len(bins) - 1)
    fractions = np.bincount(bucket, weights=sizes, minlength=len(bins)) / graph.n
    return bins, fractions


def _describe(X) -> str:
    import os

    if isinstance(X, (str, os.PathLike)):
        return f"file {os.path.basename(str(X))}"
    name = getattr(X, "name", "") or ""
    return f"{type(X).__name__} {name}".strip()
