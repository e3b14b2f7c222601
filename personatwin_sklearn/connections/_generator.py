"""SyntheticConnectionGenerator: add flagged connections until every pattern has k people."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from personatwin_sklearn._base import (
    SocialDataTransformerMixin,
    check_k_feasible,
    check_social_data,
)
from personatwin_sklearn.connections._clone import (
    MAX_COPIES,
    Components,
    apply_copies,
    balance_flags,
    copied_edge_rows,
    essential_copies,
    plan_copies,
    plan_decoys,
)
from personatwin_sklearn.connections._coarsen import (
    check_coarsen,
    choose_coarsening,
    pattern_needs,
    type_caps,
)
from personatwin_sklearn.connections._edge import edge_round
from personatwin_sklearn.connections._neighborhood import (
    neighborhood_deficit,
    neighborhood_round,
)
from personatwin_sklearn.connections._plausible import _Graph, plausible_round
from personatwin_sklearn.connections._rounds import (
    Additions,
    IdMaker,
    Snapshot,
    apply_additions,
)
from personatwin_sklearn.exceptions import InfeasibleKError, PrivacyWarning
from personatwin_sklearn.patterns._analyzer import ConnectionPatternAnalyzer
from personatwin_sklearn.patterns._core import resolve_signature

__all__ = ["SyntheticConnectionGenerator"]

_AT_RISK_COLUMNS = ["person_id", "pattern", "k", "reason"]


def _decoy_slots(snap, pattern_k, n, rng) -> np.ndarray:
    """``n`` slots over safe patterns, drawn like the patterns of the real connections."""
    index = snap.index
    real = ~snap.data.is_synthetic
    rows = np.flatnonzero(real[index.owner] & (pattern_k[index.pattern] >= snap.target))
    need = np.zeros(snap.n_patterns, dtype=np.int64)
    if len(rows) == 0 or n <= 0:
        return need
    weight = index.multiplicity[rows].astype(float)
    pick = rng.choice(rows, size=int(n), replace=True, p=weight / weight.sum())
    np.add.at(need, index.pattern[pick], 1)
    return need


def _short_text(text, limit=120) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _copy_positions(comps, comp_ids, copies, first, essential) -> np.ndarray:
    """Positions the copies of ``essential`` members get when appended from ``first``."""
    if len(essential) == 0:
        return np.zeros(0, dtype=np.int64)
    member_count = np.repeat(comps.size[comp_ids], copies)
    comp_rep = np.repeat(comp_ids, copies)
    offsets = np.arange(member_count.sum()) - np.repeat(
        np.cumsum(member_count) - member_count, member_count
    )
    members = comps.order[np.repeat(comps.start[comp_rep], member_count) + offsets]
    return first + np.flatnonzero(np.isin(members, essential))


def _diminishing(gained, deficit, previous_gain, n_rounds) -> bool:
    """Diminishing returns: from the second round, a round that adds under 2% of the
    deficit it started from, or under a fifth of what the round before added."""
    return n_rounds >= 2 and (gained < 0.02 * deficit or gained < 0.2 * previous_gain)


def _caps_for(snap, graph, caps_real):
    """Per-type caps of a round: learned from the input's real people (``caps_real``);
    types seen later get their own."""
    caps_now = type_caps(snap, graph.type_count)
    shared = min(len(caps_now), len(caps_real))
    caps_now[:shared] = caps_real[:shared]
    return caps_now


def _copy_mode(data, max_size) -> tuple[bool, float]:
    """Copies fit a household-structured graph: most real connections in small components.

    Returns ``(copy mode, connections one copy brings on average)``.
    """
    if max_size <= 0 or data.n_connections == 0:
        return False, 1.0
    comps = Components(data)
    real = ~data._connections["is_synthetic"].to_numpy(bool)
    small = comps.size[comps.label[comps.left]] <= max_size
    if not real.any() or small[real].mean() < 0.5:
        return False, 1.0
    donors = (comps.size <= max_size) & (comps.n_edges > 0)
    return True, float(comps.n_edges[donors].mean()) if donors.any() else 1.0


def _small_holder(snap, need, max_size, comps) -> np.ndarray:
    """Per pattern: whether a real holder lives in a component of at most ``max_size``."""
    out = np.zeros(snap.n_patterns, dtype=bool)
    if max_size <= 0 or not need.any():
        return out
    index = snap.index
    real = ~snap.data.is_synthetic
    small = (comps.size[comps.label[index.owner]] <= max_size) & real[index.owner]
    out[index.pattern[small]] = True
    return out


#: Hard cap on protection rounds.  One round suffices by construction; the loop also
#: stops as soon as a round does not lower the deficit, so it always terminates.
MAX_ROUNDS = 10


class SyntheticConnectionGenerator(SocialDataTransformerMixin, TransformerMixin, BaseEstimator):
    """Add flagged synthetic connections, few and plausible, until patterns reach ``target_k``.

    Every connection pattern (or whole 1-hop neighbourhood) ends up shared by at
    least ``target_k`` people.

    A pattern is a connection seen from one end: ``(type, partner signature)``
    (see :class:`ConnectionPatternAnalyzer`).  Every connection gives a pattern to
    *both* ends.

    **Edge scope, ``method="plausible"`` (default).**  Synthetic connections protect
    nobody once a detector can strip them, so this method adds as few as it can and
    only ones that look like the real connections of their type:

    1. Patterns are counted as the adversary counts them: a released partner age range
       (``"39-58"``) matches every true age it contains, so the consistent k of a
       pattern is the fewest people holding a consistent pattern over the ages its range
       allows (never below the exact-match count).
    2. Coarsening first (``coarsen``): where additions cannot reach k (the budget, or
       too few partners with room for one more connection), the partner's occupation
       may be published as its census major group (``"sales|office_admin"``) or
       suppressed (``"*"``), ages in bands twice as wide (``"40-49"``), and the family
       connection types as one group (``"CHILD|PARENT|SIBLING|SPOUSE"``), one step at a
       time, the step that saves the most people first (``coarsening_`` says what was
       done; the release shows it).
    3. New holders of a rare pattern are **copies of the holder's household** (its
       connected component, at most ``max_copy_size`` people) where the graph is made of
       small components: synthetic people with the members' published values and every
       connection between them, so degrees, common neighbours, triangles, types and age
       gaps are those of real connections.  At most two copies per household; a share
       ``camouflage`` of the budget copies typical households so that the copies as a
       whole follow the real connections' feature distribution; event flags of the
       copies follow the real prevalence.  On a graph with one large component (a
       social network), new holders get **plausible links** instead: per-type
       cardinality (one spouse, two parents, other types the real 99th percentile), at
       most ``max_synthetic_per_person`` (``"auto"``: one) synthetic link per person, the
       partner-end pattern already safe, and endpoints drawn among friends of friends,
       people of the same zip code and anyone, weighted by ``p_real / p_candidates`` of the
       features a detector reads (age gap, homophily, common neighbours, degrees).
    4. A budget: protection connections are at most ``max_synthetic_share`` of the
       released connections.  Who stays below ``target_k``, by person and pattern, and
       why, is in ``at_risk_`` (``on_infeasible`` says whether that warns or raises).

    **Edge scope, ``method="exhaustive"``.**  The earlier guarantee-first algorithm: a
    rare pattern ``P = (t, S)`` held by ``m < target_k`` people gets ``target_k - m`` new
    holders; sources are chosen where the partner-end pattern ``Q`` is already safe, or
    ``P`` and ``Q`` are lifted together with single-connection partner personas.  Every
    pattern reaches ``target_k`` (exact count), but the added connections are many and
    a detector finds them (ROC AUC about 0.99 on the sample population).

    **Neighbourhood scope.**  People whose multiset of patterns is shared by fewer
    than ``target_k`` people are clustered (similar multisets together, clusters of
    ``target_k`` or more) and each member gets connections until its multiset is
    the cluster's union.  A missing copy ``(t, S)`` of member ``v`` is met, where
    possible, by a connection to another member who misses ``(inverse(t),
    signature of v)``; the rest go to synthetic partner personas grouped so that
    their own neighbourhoods are shared by ``target_k`` personas too.  Rounds repeat
    while the deficit decreases, at most ten times.

    Parameters
    ----------
    target_k : int, default=10
        Every pattern (edge scope) or neighbourhood (neighborhood scope) must end up
        shared by at least this many people.
    scope : {"edge", "neighborhood"}, default="edge"
        Protect single patterns, or each person's whole multiset of patterns (the
        1-hop neighbourhood attack of Zhou & Pei, ICDE 2008).
    signature : list of str, default=None
        Partner columns in a pattern; ``None`` uses gender, age, occupation and
        ``has_*`` columns that exist (as in :class:`ConnectionPatternAnalyzer`).
    age_bin : int, default=5
        Width of the partner age buckets in years.
    method : {"plausible", "exhaustive"}, default="plausible"
        Edge-scope algorithm, see above (the neighbourhood scope has one).
    max_synthetic_share : float in [0, 1) or None, default=0.25
        Plausible method: protection connections are at most this share of the
        released connections (connections added by augmentation do not count).
        ``None``: no budget.
    coarsen : {"auto", "none", "major", "suppressed"} or dict, default="auto"
        Plausible method: which published attributes may be coarsened (globally) so
        that a rare pattern merges with others instead of needing additions.  Levels:
        ``occupation`` exact / ``"major"`` (ACS C24010 group) / ``"suppressed"``;
        ``age`` exact / ``"wide"`` (bands of ``2 * age_bin`` years); ``connection_type``
        exact / ``"family"`` (the family types present as one group,
        ``"CHILD|PARENT|SIBLING|SPOUSE"``).  ``"auto"`` walks from the exact patterns,
        one step at a time, taking the step that most lowers the estimated number of
        real people the budgeted additions cannot protect, while a step lowers it by
        at least 10% (the cheapest mix of coarsening and additions; tried points in
        ``coarsening_trials_``).  ``"none"``: nothing coarsened; ``"major"`` /
        ``"suppressed"``: that occupation level only; a dict such as
        ``{"occupation": "major", "connection_type": "family"}``: those levels.  The
        neighbourhood scope walks the same lattice and takes every step that lowers its
        deficit (what its rounds will add: detectable personas).
    max_copy_size : int, default=12
        Plausible method: largest household (connected component) copied to make new
        holders; ``0`` turns copies off (links only).  Copies are used only when most
        real connections lie in components of at most this size.
    camouflage : "auto" or float in [0, 0.95], default="auto"
        Plausible method: share of the synthetic connections spent on camouflage, so
        that the ones a rare pattern needs are not a cluster a detector isolates.  With
        copies: the share of the budget kept for copies of typical households; with
        links: camouflage links between ordinary pairs, ``c / (1 - c)`` per needed link.
        ``"auto"``: 0.5 with copies, 0.8 with links (links are cheap: on Caltech36, 22
        needed links get 88 more, 0.7% of the connections).
    max_new_partners : int, default=None
        Exhaustive method and neighbourhood scope: most synthetic personas one
        ``transform`` may add (``None``: no limit).  When the limit stops protection,
        ``on_infeasible`` applies.
    max_synthetic_per_person : "auto", int or None, default="auto"
        Edge scope: most synthetic connections one existing person may receive.
        ``"auto"``: one for the plausible method (no hubs of synthetic links), no limit
        for the exhaustive method (there one real person of the sample's high release
        gets 148 synthetic spouses; ``2 * target_k`` keeps everyone at 20 for about
        4,100 more personas).  ``None``: no limit.
    partner_max_degree : int, default=3
        Neighbourhood scope: connections one synthetic partner persona may take
        (used only where its neighbourhood class still reaches ``target_k``).
    strength : str, default="WEAK"
        ``strength`` of the added connections.
    confidence : float, default=0.5
        ``confidence`` of the added connections.
    context : str, default="synthetic (privacy protection)"
        ``context`` of the added connections.
    on_infeasible : {"warn", "raise", "ignore"}, default="warn"
        When ``target_k`` is not reached: warn with :class:`PrivacyWarning`, raise
        :class:`InfeasibleKError` (naming the patterns left short) or only report it in
        ``at_risk_`` / ``report_``.
    random_state : int, RandomState instance or None, default=None
        Seed of the choice of sources, partners and persona attributes.  It is drawn
        once in ``fit`` (``seed_``), so ``transform`` on a fitted generator is
        deterministic even with ``None``.

    Attributes
    ----------
    signature_ : tuple of str
        Resolved signature columns.
    rare_patterns_ : DataFrame
        Rare patterns (edge scope) or neighbourhood classes (neighborhood scope) of
        the data seen in ``fit``, with the ids of the people having them.
    min_k_ : float
        Smallest k in the data seen in ``fit``.
    seed_ : int
        Seed drawn from ``random_state`` in ``fit``; every ``transform`` uses it.
    coarsening_ : dict
        Attributes the last ``transform`` coarsened and their level
        (``{"occupation": "major", "connection_type": "family"}``).
    coarsening_trials_ : DataFrame
        Plausible method: the coarsening points tried, with their deficit, the real
        people below k before additions, the estimate of those the budgeted additions
        cannot protect (``estimated_short``) and which point was ``chosen``.
    at_risk_ : DataFrame
        Real people still below ``target_k`` after the last ``transform`` (plausible
        method: consistent count), one row per (person, pattern): ``person_id``,
        ``pattern``, ``k``, ``reason``.
    n_camouflage_ : int
        Connections of the camouflage copies of the last ``transform``.
    n_added_ : int
        Connections added by the last ``transform``.
    n_added_people_ : int
        Synthetic personas added by the last ``transform``.
    n_rounds_ : int
        Protection rounds run by the last ``transform`` (0 when nothing was rare).
    history_ : DataFrame
        One row per round: deficit before/after, connections and personas added and
        how they were found.
    report_ : DataFrame
        Before/after summary of the last ``transform`` (patterns, rare patterns,
        people at risk, real people at risk, min k, deficit, connections, people).
    n_features_in_ : int
        Number of people columns seen in ``fit``.
    feature_names_in_ : ndarray of str objects
        People columns seen in ``fit``.

    See Also
    --------
    ConnectionPatternAnalyzer : Finds the rare patterns.
    personatwin_sklearn.metrics.connection_pattern_k : Smallest k after protection.

    Examples
    --------
    >>> from personatwin_sklearn import SyntheticConnectionGenerator
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> from personatwin_sklearn.metrics import connection_pattern_k
    >>> data = make_toy_population()
    >>> gen = SyntheticConnectionGenerator(target_k=4, method="exhaustive", random_state=0)
    >>> out = gen.fit_transform(data)
    >>> connection_pattern_k(out, population="all") >= 4
    True
    >>> bool(out.real().people.equals(data.people)), gen.n_added_ > 0
    (True, True)
    >>> from personatwin_sklearn.datasets import make_social_population
    >>> sample = make_social_population(300, random_state=0)
    >>> gen = SyntheticConnectionGenerator(target_k=5, on_infeasible="ignore", random_state=0)
    >>> out = gen.fit_transform(sample)
    >>> bool(out.n_synthetic_connections <= 0.25 * out.n_connections)
    True
    """

    _parameter_constraints: dict = {
        "target_k": [Interval(Integral, 1, None, closed="left")],
        "scope": [StrOptions({"edge", "neighborhood"})],
        "signature": [list, tuple, str, None],
        "age_bin": [Interval(Integral, 1, None, closed="left")],
        "max_new_partners": [Interval(Integral, 0, None, closed="left"), None],
        "method": [StrOptions({"plausible", "exhaustive"})],
        "max_synthetic_share": [Interval(Real, 0, 1, closed="left"), None],
        "coarsen": [StrOptions({"auto", "none", "major", "suppressed"}), dict],
        "max_copy_size": [Interval(Integral, 0, None, closed="left")],
        "camouflage": [StrOptions({"auto"}), Interval(Real, 0, 0.95, closed="both")],
        "max_synthetic_per_person": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
        "partner_max_degree": [Interval(Integral, 1, None, closed="left")],
        "strength": [str],
        "confidence": [Interval(Real, 0, 1, closed="both")],
        "context": [str],
        "on_infeasible": [StrOptions({"raise", "warn", "ignore"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        target_k=10,
        *,
        scope="edge",
        signature=None,
        age_bin=5,
        method="plausible",
        max_synthetic_share=0.25,
        coarsen="auto",
        max_copy_size=12,
        camouflage="auto",
        max_new_partners=None,
        max_synthetic_per_person="auto",
        partner_max_degree=3,
        strength="WEAK",
        confidence=0.5,
        context="synthetic (privacy protection)",
        on_infeasible="warn",
        random_state=None,
    ):
        self.target_k = target_k
        self.scope = scope
        self.signature = signature
        self.age_bin = age_bin
        self.method = method
        self.max_synthetic_share = max_synthetic_share
        self.coarsen = coarsen
        self.max_copy_size = max_copy_size
        self.camouflage = camouflage
        self.max_new_partners = max_new_partners
        self.max_synthetic_per_person = max_synthetic_per_person
        self.partner_max_degree = partner_max_degree
        self.strength = strength
        self.confidence = confidence
        self.context = context
        self.on_infeasible = on_infeasible
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Find the patterns (or neighbourhoods) shared by fewer than ``target_k``.

        Parameters
        ----------
        X : SocialData
            People and connections.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted generator.
        """
        data = check_social_data(X, type(self).__name__)
        check_k_feasible(self.target_k, len(data), "target_k")
        analyzer = ConnectionPatternAnalyzer(
            k=self.target_k, signature=self.signature, age_bin=self.age_bin, scope=self.scope
        ).fit(data)
        self.signature_ = analyzer.signature_
        self.rare_patterns_ = analyzer.rare_patterns_
        self.min_k_ = analyzer.min_k_
        # randomness fixed at fit: transform on the fitted estimator is deterministic
        check_coarsen(self.coarsen)
        self.seed_ = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        return self

    def transform(self, X):
        """Add synthetic connections (and personas where needed) to ``X``.

        Parameters
        ----------
        X : SocialData
            People and connections to protect.

        Returns
        -------
        SocialData
            ``X`` with the additions appended and flagged ``is_synthetic``; the real
            rows and connections are unchanged.
        """
        check_is_fitted(self, "signature_")
        data = check_social_data(X, type(self).__name__)
        check_k_feasible(self.target_k, len(data), "target_k")
        signature = resolve_signature(data, list(self.signature_))
        rng = check_random_state(self.seed_)
        if self.scope == "edge" and self.method == "plausible":
            return self._transform_plausible(data, signature, rng)
        self.coarsening_ = {}
        self.coarsening_trials_ = pd.DataFrame()
        self.at_risk_ = pd.DataFrame(columns=_AT_RISK_COLUMNS)
        self.n_camouflage_ = 0
        ids = IdMaker(data)
        fields = {"strength": self.strength, "confidence": self.confidence,
                  "context": self.context}  # fmt: skip
        family = tuple(data.domain.family_types)
        current = data
        if self.scope == "neighborhood" and data.n_connections:
            # coarser patterns merge neighbourhood classes: fewer additions to reach k
            point, current, snap, trials = choose_coarsening(
                data, signature, self.age_bin, int(self.target_k), 0, self.coarsen,
                link_mode=False, scope="neighborhood",
            )  # fmt: skip
            self.coarsening_, self.coarsening_trials_ = dict(point), trials
        else:
            snap = Snapshot(current, signature, self.age_bin, self.target_k)
        first = snap
        deficit = self._deficit(snap)
        history = []
        while deficit > 0 and len(history) < MAX_ROUNDS:
            additions = Additions(snap.n)
            budget = self.max_new_partners
            if budget is not None:
                budget -= len(current) - len(data)
            if self.scope == "edge":
                info = edge_round(snap, additions, rng, budget, family, self._cap())
            else:
                info = neighborhood_round(snap, additions, rng, budget, self.partner_max_degree)
            row = {"round": len(history) + 1, "deficit_before": deficit,
                   "connections": additions.n_edges, "personas": additions.n_personas}  # fmt: skip
            if additions.n_edges:
                current = apply_additions(current, snap, additions, ids, rng, fields)
                snap = Snapshot(current, signature, self.age_bin, self.target_k)
            previous, deficit = deficit, self._deficit(snap)
            history.append({**row, "deficit_after": deficit, **info})
            if deficit >= previous:
                break  # no progress: stop (the deficit is a non-negative integer)
        self.n_added_ = current.n_connections - data.n_connections
        self.n_added_people_ = len(current) - len(data)
        self.n_rounds_ = len(history)
        self.history_ = pd.DataFrame(history)
        self.report_ = self._report(first, snap)
        if deficit > 0:
            self._short(current, signature)
        return current

    # -- plausible method (edge scope) -----------------------------------------------------
    def _budget(self, data) -> int:
        """Most protection connections the release may hold (``max_synthetic_share``)."""
        if self.max_synthetic_share is None:
            return np.iinfo(np.int64).max // 4
        share = float(self.max_synthetic_share)
        protection = data.is_protection_connection
        others = data.n_connections - int(protection.sum())
        return max(int(np.floor(others * share / (1.0 - share))) - int(protection.sum()), 0)

    def _transform_plausible(self, data, signature, rng):
        target = int(self.target_k)
        budget = self._budget(data) if data.n_connections else 0
        copy_mode, unit_cost = _copy_mode(data, self.max_copy_size)
        copy_size = self.max_copy_size if copy_mode else 0
        reserve = int(np.floor(budget * self._camouflage(copies=True))) if copy_size else 0
        point, current, snap, trials = choose_coarsening(
            data, signature, self.age_bin, target, budget - reserve, self.coarsen,
            link_mode=not copy_mode, unit_cost=unit_cost,
        )  # fmt: skip
        self.coarsening_ = dict(point)
        self.coarsening_trials_ = trials
        fields = {"strength": self.strength, "confidence": self.confidence,
                  "context": self.context}  # fmt: skip
        ids = IdMaker(current)
        first = snap
        caps_real = type_caps(snap, snap.type_counts())
        per_person = self._cap()
        load = np.zeros(snap.n, dtype=np.int64)
        pattern_k, need = pattern_needs(snap)
        history, left = [], budget - reserve
        donor_edges, kept = [], []
        previous_gain = 0
        copied = np.zeros(snap.n, dtype=np.int64)  # copies made of each person's component
        while need.sum() > 0 and left > 0 and len(history) < MAX_ROUNDS:
            row = {"round": len(history) + 1, "deficit_before": int(need.sum())}
            # 1. copies of small components (households) that hold the needy patterns
            comps = Components(current) if copy_size else None
            added_people = n_copy_edges = 0
            if copy_size:
                copied_now = self._copy_round(
                    current, snap, need, comps, left, copy_size, copied, donor_edges, kept,
                    ids, fields, signature, rng,
                )  # fmt: skip
                if copied_now is not None:
                    current, snap, copied, added_people, n_copy_edges = copied_now
                    left -= n_copy_edges
                    load = np.r_[load, np.zeros(added_people, dtype=np.int64)]
                    pattern_k, need = pattern_needs(snap)
            # 2. plausible links for patterns whose holders sit in large components only
            if copy_size and added_people:
                comps = Components(current)
            link_need = need * ~_small_holder(snap, need, copy_size, comps)
            additions = Additions(snap.n)
            info = {"slots": int(link_need.sum()), "added": 0}
            if link_need.sum() and left > 0:
                graph = _Graph(snap)
                load = _padded(load, snap.n)
                info = plausible_round(snap, link_need, pattern_k, additions, rng, budget=left,
                                       caps=_caps_for(snap, graph, caps_real), load=load,
                                       max_per_person=per_person, graph=graph)  # fmt: skip
            if additions.n_edges:
                current = apply_additions(current, snap, additions, ids, rng, fields)
                left -= additions.n_edges
                snap, pattern_k, need = self._snapshot(current, signature)
            history.append({**row, "copied_people": added_people, "copied_connections":
                            n_copy_edges, "links": additions.n_edges,
                            "deficit_after": int(need.sum()), **info})  # fmt: skip
            if added_people == 0 and additions.n_edges == 0:
                break
            gained = added_people + additions.n_edges
            if _diminishing(gained, row["deficit_before"], previous_gain, len(history)):
                break  # the constraints leave little more to add
            previous_gain = gained
        # 3. camouflage: copies of typical households so the copies as a whole look real
        left += reserve
        current, snap, pattern_k, left, n_decoy_edges = self._camouflage_copies(
            current, snap, pattern_k, left, donor_edges, copied, copy_size, ids, fields,
            signature, rng,
        )  # fmt: skip
        # 3b. camouflage links: links between ordinary pairs (patterns drawn like the real
        # connections, all already safe), so the needed links are not a visible cluster
        n_links = int(sum(h["links"] for h in history))
        current, snap, pattern_k, left, n_links_added = self._camouflage_links(
            current, snap, pattern_k, left, n_links, load, per_person, caps_real, ids, fields,
            signature, rng,
        )  # fmt: skip
        self.n_camouflage_ = n_decoy_edges + n_links_added
        # 4. the copies' event flags follow the real prevalence
        if len(current) > len(data) and current.event_columns:
            current, snap, pattern_k = self._balanced_copies(
                current, len(data), kept, signature, rng
            )
        self._record_plausible(data, current, first, snap, pattern_k, left, history)
        return current

    def _record_plausible(self, data, current, first, snap, pattern_k, left, history) -> None:
        """The fitted attributes of a plausible run: what was added, the rounds, the
        report, the real people still at risk (and the warning about them)."""
        self.n_added_ = current.n_connections - data.n_connections
        self.n_added_people_ = len(current) - len(data)
        self.n_rounds_ = len(history)
        self.history_ = pd.DataFrame(history)
        self.report_ = self._report(first, snap)
        self.at_risk_ = self._at_risk(snap, pattern_k, left)
        if len(self.at_risk_):
            self._short_plausible(left)

    def _copy_round(self, current, snap, need, comps, left, copy_size, copied, donor_edges,
                    kept, ids, fields, signature, rng):  # fmt: skip
        """Copies of the small components (households) holding the needy patterns, within
        ``left``: ``(current, snap, copied, added people, added connections)``, or None
        when nothing is copied.  ``donor_edges`` and ``kept`` (the copies' rows whose flags
        a pattern needs) get this round's part."""
        comp_ids, copies = plan_copies(snap, need, comps, left, copy_size, rng,
                                       comps.copies_of(copied))  # fmt: skip
        if not len(comp_ids):
            return None
        before = len(current)
        donor_edges.append(copied_edge_rows(comps, comp_ids, copies))
        essential = essential_copies(snap, need, comps, comp_ids)
        kept.append(_copy_positions(comps, comp_ids, copies, len(current), essential))
        copied = copied.copy()
        copied[comps.rep[comp_ids]] += copies
        current, n_copy_edges = apply_copies(current, comps, comp_ids, copies, ids, fields)
        added_people = len(current) - before
        snap = Snapshot(current, signature, self.age_bin, int(self.target_k))
        copied = np.r_[copied, np.full(added_people, MAX_COPIES, dtype=np.int64)]
        return current, snap, copied, added_people, n_copy_edges

    def _camouflage_copies(self, current, snap, pattern_k, left, donor_edges, copied,
                           copy_size, ids, fields, signature, rng) -> tuple:  # fmt: skip
        """Copies of typical households (drawn like the copies' donors) within ``left``,
        so the copies as a whole look real: ``(current, snap, pattern_k, left, n_edges)``."""
        if not (left > 0 and donor_edges):
            return current, snap, pattern_k, left, 0
        comps = Components(current)
        comp_ids, copies = plan_decoys(_Graph(snap), comps, np.concatenate(donor_edges),
                                       left, copy_size, rng,
                                       comps.copies_of(copied))  # fmt: skip
        if not len(comp_ids):
            return current, snap, pattern_k, left, 0
        current, n_edges = apply_copies(current, comps, comp_ids, copies, ids, fields)
        snap, pattern_k, _ = self._snapshot(current, signature)
        return current, snap, pattern_k, left - n_edges, n_edges

    def _camouflage_links(self, current, snap, pattern_k, left, n_links, load, per_person,
                          caps_real, ids, fields, signature, rng) -> tuple:  # fmt: skip
        """Links between ordinary pairs (their share of the ``n_links`` needed ones set by
        the camouflage), within ``left``: ``(current, snap, pattern_k, left, n_edges)``."""
        c = self._camouflage(copies=False)
        if not (n_links and left > 0 and c > 0):
            return current, snap, pattern_k, left, 0
        n_decoys = min(int(np.ceil(n_links * c / (1.0 - c))), left)
        decoy_need = _decoy_slots(snap, pattern_k, n_decoys, rng)
        additions = Additions(snap.n)
        graph = _Graph(snap)
        load = _padded(load, snap.n)  # the camouflage copies added people
        plausible_round(snap, decoy_need, pattern_k, additions, rng, budget=n_decoys,
                        caps=_caps_for(snap, graph, caps_real), load=load,
                        max_per_person=per_person, graph=graph)  # fmt: skip
        if not additions.n_edges:
            return current, snap, pattern_k, left, 0
        current = apply_additions(current, snap, additions, ids, rng, fields)
        snap, pattern_k, _ = self._snapshot(current, signature)
        return current, snap, pattern_k, left - additions.n_edges, additions.n_edges

    def _balanced_copies(self, current, n_input, kept, signature, rng) -> tuple:
        """The copies' event flags drawn to the real prevalence (``kept``: the copies'
        rows whose flags a pattern needs): ``(current, snap, pattern_k)``."""
        keep = np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64)
        people = balance_flags(current._people, n_input, current.event_columns, keep, rng)
        current = current.with_people(people, validate=False)
        snap, pattern_k, _ = self._snapshot(current, signature)
        return current, snap, pattern_k

    def _snapshot(self, current, signature) -> tuple:
        """``(snap, pattern_k, need)``: the snapshot of ``current`` and its patterns'
        consistent counts and missing holders."""
        snap = Snapshot(current, signature, self.age_bin, int(self.target_k))
        return (snap, *pattern_needs(snap))

    def _at_risk(self, snap, pattern_k, left) -> pd.DataFrame:  # noqa: D401
        """Real people with a pattern below ``target_k`` (consistent count), and why."""
        index = snap.index
        real = ~snap.data.is_synthetic
        pair_k = pattern_k[index.pattern]
        rows = (pair_k < self.target_k) & real[index.owner]
        if not rows.any():
            return pd.DataFrame(columns=_AT_RISK_COLUMNS)
        ids = snap.data._people[snap.data.id_col].to_numpy()
        reason = (
            "budget: max_synthetic_share reached"
            if left <= 0
            else "no plausible connection within the cardinality, per-person and "
            "partner-end constraints"
        )
        frame = pd.DataFrame(
            {
                "person_id": ids[index.owner[rows]],
                "pattern": index.table["pattern"].to_numpy()[index.pattern[rows]],
                "k": pair_k[rows],
                "reason": reason,
            }
        )
        return frame.sort_values(["k", "pattern"], kind="stable").reset_index(drop=True)

    def _short_plausible(self, left) -> None:
        risk = self.at_risk_
        n_people = risk["person_id"].nunique()
        n_patterns = risk["pattern"].nunique()
        listed = "; ".join(
            f"{_short_text(p)} (k={k})"
            for p, k in risk.drop_duplicates("pattern")[["pattern", "k"]]
            .head(3)
            .itertuples(index=False)
        )
        message = (
            f"target_k={self.target_k} was not reached for {n_patterns} pattern(s) of "
            f"{n_people} real people ({risk['reason'].iloc[0]}), e.g. {listed}. They are "
            "listed in at_risk_. Raise max_synthetic_share, let more be coarsened "
            "(coarsen='auto', or a dict such as {'occupation': 'suppressed', 'age': 'wide', "
            "'connection_type': 'family'}), use a larger age_bin or lower target_k."
        )
        self._infeasible(message)

    # -- helpers -------------------------------------------------------------------------
    def _camouflage(self, *, copies: bool) -> float:
        if self.camouflage == "auto":
            return 0.5 if copies else 0.8
        return float(self.camouflage)

    def _cap(self):
        if self.max_synthetic_per_person == "auto":
            if self.method == "plausible":
                return 1
            return None
        return self.max_synthetic_per_person

    def _deficit(self, snap: Snapshot) -> int:
        return snap.deficit() if self.scope == "edge" else neighborhood_deficit(snap)

    def _figures(self, snap: Snapshot) -> list:
        target = self.target_k
        real = ~snap.data.is_synthetic
        if self.scope == "edge":
            person_k = snap.index.person_min_k
            n_units = snap.n_patterns
            n_rare = int((snap.k < target).sum())
            min_k = float(snap.k.min()) if snap.n_patterns else np.nan
        else:
            class_id, person_k = snap.index.neighborhoods()
            sizes = np.bincount(class_id)
            n_units, n_rare = len(sizes), int((sizes < target).sum())
            min_k = float(sizes.min()) if len(sizes) else np.nan
        at_risk = person_k < target
        data = snap.data
        return [n_units, n_rare, int(at_risk.sum()), int((at_risk & real).sum()), min_k,
                self._deficit(snap), data.n_connections, len(data),
                data.n_synthetic_connections, data.n_synthetic]  # fmt: skip

    def _report(self, before: Snapshot, after: Snapshot) -> pd.DataFrame:
        unit = "patterns" if self.scope == "edge" else "neighborhoods"
        index = [unit, f"rare {unit}", "people at risk", "real people at risk", "min k",
                 "deficit", "connections", "people", "synthetic connections",
                 "synthetic people"]  # fmt: skip
        return pd.DataFrame(
            {"before": self._figures(before), "after": self._figures(after)}, index=index
        )

    def _short(self, data, signature) -> None:
        short = (
            ConnectionPatternAnalyzer(
                k=self.target_k, signature=list(signature), age_bin=self.age_bin, scope=self.scope
            )
            .fit(data)
            .rare_patterns_
        )
        listed = "; ".join(
            f"{text} (k={k})" for text, k in zip(short["pattern"].head(5), short["k"].head(5))
        )
        unit = "pattern(s)" if self.scope == "edge" else "neighbourhood class(es)"
        message = (
            f"target_k={self.target_k} was not reached for {len(short)} {unit}, e.g. {listed}. "
            "Raise max_new_partners (or leave it None), lower target_k, or use a coarser "
            "signature / larger age_bin."
        )
        self._infeasible(message)

    def _infeasible(self, message) -> None:
        """``target_k`` was not reached: raise, warn or stay silent (``on_infeasible``)."""
        if self.on_infeasible == "raise":
            raise InfeasibleKError(message)
        if self.on_infeasible == "warn":
            warnings.warn(message, PrivacyWarning, stacklevel=4)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.non_deterministic = False
        return tags


def _padded(load: np.ndarray, n: int) -> np.ndarray:
    """``load`` (synthetic connections per person) grown with zeros to ``n`` people.

    Copies and partner personas are appended after the people ``load`` was sized for.
    """
    if len(load) >= n:
        return load
    return np.r_[load, np.zeros(n - len(load), dtype=load.dtype)]
