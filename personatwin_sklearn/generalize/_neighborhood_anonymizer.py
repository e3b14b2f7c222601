"""NeighborhoodKAnonymizer: quasi-identifiers and connections, generalised locally."""

from __future__ import annotations

import hashlib
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from personatwin_sklearn._base import SocialDataTransformerMixin, check_social_data
from personatwin_sklearn._graph_features import _canon
from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.exceptions import InfeasibleKError
from personatwin_sklearn.generalize._kanonymizer import PRIVACY_LEVELS, KAnonymizer, resolve_k
from personatwin_sklearn.generalize._neighborhood import (
    SHAPE_WEIGHT,
    ValuePools,
    apply_recoding,
    cheapest_twins,
    last_value,
    plan_recoding,
    shared_value,
    slot_hubs,
    union_label,
)

__all__ = ["NeighborhoodKAnonymizer"]

_WHAT = ("type", "kept", "qi")
#: What the repair of ``cover_ids`` may widen, besides single signature columns.
_COVER_WIDEN = ("qi", "flags", "targets", "own_slots", "hubs", "slot_hubs")


class NeighborhoodKAnonymizer(SocialDataTransformerMixin, TransformerMixin, BaseEstimator):
    """Generalise people *and* their connections locally, in groups of at least k.

    Groups of at least ``k`` people are made candidates for each other under an adversary
    who knows a target's quasi-identifiers and every connection (type and partner
    attributes).

    :class:`KAnonymizer` makes the quasi-identifiers k-anonymous; a person's
    connections still single them out ("the only one whose spouse is a 40-44 year old
    teacher").  This step partitions people (Mondrian) on their quasi-identifiers and the
    shape of their neighbourhood (number of connections, count per type), aligns the
    connections of each group's members, and generalises a value only where the members
    of a group differ: a connection's type becomes a group of types
    (``"CHILD|PARENT|SIBLING"``) only on the connections whose slot mixes types; a
    partner's occupation becomes its ACS major group (or the union of the groups) only
    for the partners of such slots; a flag becomes ``"*"`` only there.  Everything else
    keeps its exact value (local recoding, as Mondrian does for quasi-identifiers; a
    column is never erased for everyone to protect a few).

    Rows and connections are neither added nor removed; only published values change,
    and each published value covers the true one.

    Parameters
    ----------
    k : int, default=None
        Smallest group; ``None``: from ``privacy_level`` (3, 5, 10), else 5.
    privacy_level : {"low", "medium", "high"}, default=None
        k of 3, 5 or 10 when ``k`` is None.
    quasi_identifiers : list of str, default=None
        Columns generalised like :class:`KAnonymizer` (default: those of
        ``age, gender, ethnicity, zipcode`` present).
    signature : list of str, default=None
        Partner columns the adversary knows (default: gender, age, occupation and
        ``has_*`` flags present).
    shape_weight : float, default=4.0
        Weight of the neighbourhood shape in the partition, against a
        quasi-identifier's full range (0: quasi-identifiers only).
    partner_weight : float, default=0.0
        Weight of the partners' occupation groups in the partition.
    generalize : tuple of {"type", "kept", "qi"}, default=("type", "kept")
        What may be generalised: connection types, kept partner columns (occupation,
        flags, other signature columns) and partner quasi-identifiers (widening the
        partner's whole class; costly).
    hierarchies : dict, default=None
        Generalisation hierarchies of quasi-identifiers, as in :class:`KAnonymizer`.
    occupation_level : {"union", "major", "acs"}, default="union"
        A partner occupation that must be generalised is published as the union of the
        groups (ACS major groups; not employed) of its slot's values (``"union"``: every
        member of the group covers every other), or as its own group only
        (``"major"``: finer, fewer candidates), or at the ACS hierarchy only
        (``"acs"``: the person's own ACS C24010 major group, or their own code when it
        has none, as for the people not employed or any code outside the ACS table;
        finest, fewest candidates: meant for use with ``hub_degree``, the search
        measures what it leaves).
    hub_degree : int, default=None
        People with at least this many connections whose occupation the plan widens
        across ACS major groups publish it as ``"*"``.  A hub's occupation shows in the
        neighbourhood of each of its partners, so suppressing that one value makes
        several neighbourhoods alike at once, where finer values (``"acs"``) are kept
        for everyone else.  ``None``: no suppression.
    key_weight : float, default=0.0
        Weight of the whole neighbourhood (each connection's type, partner gender,
        flags and occupation group, as one ordered key) in the partition: equal
        neighbourhoods are kept together, so fewer values need generalising.
    cover_ids : array-like of person ids, default=None
        People whose groups also get their partners' quasi-identifiers (age, gender)
        widened to cover every member's (the repair of people an attack still singles
        out; :func:`~personatwin_sklearn.create_safe_personas` passes those its search
        finds).
    flag_weight : float, default=0.0
        Weight, in the partition, of how many of a person's partners have each
        ``has_*`` flag of the signature: groups of people with as many flagged partners
        need no partner flag published as ``"*"``.
    cover_widen : tuple of str, default=("qi", "flags")
        What the repair of ``cover_ids`` widens in their groups: ``"qi"`` every
        partner quasi-identifier of the signature (or name single ones, e.g. ``"age"``),
        ``"flags"`` the partners' ``has_*`` flags; ``"targets"``: only as far as the
        cover people's own partners' values (the other members' partners come to cover
        them; the cover people's own candidates are the same, fewer values widen);
        ``"own_slots"``: only the slots the cover people have a connection in;
        ``"hubs"``: with ``hub_degree``, the cover people's partners who have
        ``cover_hub_degree`` connections or more also count as hubs (their occupation
        is suppressed where the plan widens it across groups); ``"slot_hubs"``: with
        ``hub_degree``, in each slot a cover person has a connection in, the partners
        of the other owners whose ACS major group differs from the cover person's
        partner's, with ``cover_hub_degree`` connections or more, count as hubs too
        (their suppressed occupation makes those owners candidates for the cover
        person).
    cover_hub_degree : int, default=2
        Fewest connections of a partner that ``"hubs"`` or ``"slot_hubs"`` in
        ``cover_widen`` count as a hub (a value shown in fewer neighbourhoods protects
        fewer people per suppressed occupation).
    twin_ids : array-like of person ids, default=None
        With ``hub_degree``: people who get a twin, whatever the partners' degrees.  Of
        the other owners of their group that have a connection in each of their slots,
        the one whose partners differ least in ACS major group (not counting hubs) is
        made consistent with them by suppressing just those partners' occupations (the
        repair's second round, for the people the first one left with a single
        candidate; :func:`~personatwin_sklearn.create_safe_personas` passes them).
    age_weight : float, default=0.0
        Weight, in the partition, of the ages of a person's first two partners (by
        connection type): groups whose partners are of similar ages need less widening.
    own_weight : float, default=1.0
        Weight, in the partition, of the quasi-identifiers that are not partner columns
        of the signature (a dorm, when the adversary knows partners' gender and year):
        no partner shows them, so only the partition widens them, while partner columns
        are widened by the repair anyway; above 1 they are split first.
    partner_level : {"major", "code"}, default="major"
        What ``partner_weight`` partitions on: the partners' occupation major groups, or
        their occupation codes ordered by major group (finer: with many people, slots
        whose partners share an exact occupation keep it exact).
    edge_age_bin : int, default=None
        Repair for the edge-scope adversary, who knows one true connection of a target
        (its type and the partner's values, partner ages in buckets of this many years;
        1: exact ages).  People such an adversary finds among fewer than ``k`` released
        people (counted on the published labels, each set or range matched as itself: a
        lower bound, so nobody else needs it) are added to ``cover_ids`` and the release
        is planned once more: their groups' slots are widened, so each owner of a slot
        becomes a candidate for its connections (the partition does not change and
        values only widen, so nobody loses candidates).  ``None``: no repair.
    scope : {"neighborhood", "edge"}, default="neighborhood"
        The adversary the groups are made for.  ``"neighborhood"``: one who knows every
        connection of a target; every slot whose members differ is generalised.
        ``"edge"``: one who knows one connection (its type and the partner's values,
        partner ages in buckets of ``edge_age_bin`` years, else 5): only what is rare
        is generalised.  First the values of the kept signature columns other than
        occupation and flags (an area) are pooled for the partners of rare
        connections: the values are ordered (numbers by value, others by frequency)
        and cut into nested blocks of about ``k * 2**L`` people at level ``L``, so a
        frequent value stays exact and the rare tail is published as small sets
        (``"12|13|14"``) or ranges (``"80-129"``); a partner moves up a level while a
        connection to them has fewer than ``k`` consistent holders (counted with every
        person of that level or above at their block, which covers their value).
        Then only the slots holding a connection still rare are generalised (types,
        kept columns).  With ``edge_age_bin`` the repair counts each connection at its
        partner's pool level and widens only the slots of the flagged people's rare
        connections, as far as their partners' values (``cover_widen`` plus
        ``"own_slots"`` and ``"targets"``).
        It does not protect against an adversary who knows every connection (measured
        on the long-tailed area case of ``docs/performance.md``: 73% singled out).
    suppress_share : float in (0, 1] or None, default=0.8
        A quasi-identifier published, for at least this share of the people, as a
        value that covers every value of the column (``"*"``, or a zip code prefix that
        every code shares) is published so for everyone (``"*"``; a number: its whole
        range).  The few finer values keep little (the column's marginal is mostly a
        spread already) and single out their holders, and a model trained on such a
        mix fits its noise (on the sample population's seed 0, 98% of zip codes
        ``"802**"`` and the rest finer: an ML AUC 0.053 below training on real data;
        every code suppressed: 0.005; ``benchmarks/bench_ml_gap.py``).  Values only
        widen.  None: never.

    Attributes
    ----------
    k_ : int
        The group size used.
    quasi_identifiers_ : list of str
        Generalised quasi-identifiers.
    signature_ : tuple of str
        Partner columns of a pattern.
    n_groups_ : int
        Groups of the last :meth:`transform`.
    generalized_ : dict
        Of the last :meth:`transform`: per column, the share of people whose value was
        generalised, and ``"connection_type"``: the share of connections with a type
        group.
    edge_rounds_ : int
        Of the last :meth:`transform`: plans made (2: the ``edge_age_bin`` repair
        widened some groups).
    edge_below_k_ : int
        Of the last :meth:`transform`: real people the repair cannot vouch for (a
        connection in a slot of fewer than ``k`` owners and fewer than ``k`` holders of
        its published pattern; 0 without ``edge_age_bin``).
    pool_rounds_ : int
        Of the last :meth:`transform` with ``scope="edge"``: pool levels raised (0:
        nothing pooled, or the neighbourhood scope).

    See Also
    --------
    KAnonymizer : Quasi-identifiers only.
    personatwin_sklearn.attacks.linkage_attack : The adversary this step defends against.

    Notes
    -----
    A generalised numeric kept column (not a quasi-identifier) is published as the
    sorted set of the values to cover (``"3|17|250"``) when there are at most eight,
    else as their range ``"lo-hi"``: a code-like column (an area code) keeps what it
    says, and every reader of a release (the linkage attack, the utility readings,
    the tests' recount) reads both forms as the values they cover.

    Examples
    --------
    >>> from personatwin_sklearn import NeighborhoodKAnonymizer
    >>> from personatwin_sklearn.datasets import make_social_population
    >>> data = make_social_population(300, random_state=0)
    >>> release = NeighborhoodKAnonymizer(k=5).fit_transform(data)
    >>> len(release) == len(data), release.n_connections == data.n_connections
    (True, True)
    """

    _parameter_constraints: dict = {
        "k": [Interval(Integral, 1, None, closed="left"), None],
        "privacy_level": [StrOptions(set(PRIVACY_LEVELS)), None],
        "quasi_identifiers": [list, tuple, None],
        "signature": [list, tuple, None],
        "shape_weight": [Interval(Real, 0, None, closed="left")],
        "partner_weight": [Interval(Real, 0, None, closed="left")],
        "generalize": [tuple, list],
        "hierarchies": [dict, None],
        "occupation_level": [StrOptions({"union", "major", "acs"})],
        "hub_degree": [Interval(Integral, 1, None, closed="left"), None],
        "key_weight": [Interval(Real, 0, None, closed="left")],
        "cover_ids": ["array-like", None],
        "twin_ids": ["array-like", None],
        "flag_weight": [Interval(Real, 0, None, closed="left")],
        "cover_widen": [tuple, list],
        "cover_hub_degree": [Interval(Integral, 1, None, closed="left")],
        "age_weight": [Interval(Real, 0, None, closed="left")],
        "own_weight": [Interval(Real, 0, None, closed="neither")],
        "partner_level": [StrOptions({"major", "code"})],
        "edge_age_bin": [Interval(Integral, 1, None, closed="left"), None],
        "scope": [StrOptions({"neighborhood", "edge"})],
        "suppress_share": [Interval(Real, 0, 1, closed="right"), None],
    }

    def __init__(
        self,
        k=None,
        *,
        privacy_level=None,
        quasi_identifiers=None,
        signature=None,
        shape_weight=SHAPE_WEIGHT,
        partner_weight=0.0,
        generalize=("type", "kept"),
        hierarchies=None,
        occupation_level="union",
        hub_degree=None,
        key_weight=0.0,
        cover_ids=None,
        flag_weight=0.0,
        cover_widen=("qi", "flags"),
        cover_hub_degree=2,
        twin_ids=None,
        age_weight=0.0,
        own_weight=1.0,
        partner_level="major",
        edge_age_bin=None,
        scope="neighborhood",
        suppress_share=0.8,
    ):
        self.k = k
        self.privacy_level = privacy_level
        self.quasi_identifiers = quasi_identifiers
        self.signature = signature
        self.shape_weight = shape_weight
        self.partner_weight = partner_weight
        self.generalize = generalize
        self.hierarchies = hierarchies
        self.occupation_level = occupation_level
        self.hub_degree = hub_degree
        self.key_weight = key_weight
        self.cover_ids = cover_ids
        self.flag_weight = flag_weight
        self.cover_widen = cover_widen
        self.cover_hub_degree = cover_hub_degree
        self.age_weight = age_weight
        self.own_weight = own_weight
        self.partner_level = partner_level
        self.edge_age_bin = edge_age_bin
        self.scope = scope
        self.twin_ids = twin_ids
        self.suppress_share = suppress_share

    def _anonymizer(self) -> KAnonymizer:
        return KAnonymizer(
            self.k_, quasi_identifiers=self.quasi_identifiers, hierarchies=self.hierarchies
        )

    def fit(self, X, y=None):
        """Check the parameters against ``X``.

        Parameters
        ----------
        X : SocialData
            People and connections.
        y : None
            Ignored.

        Returns
        -------
        self : NeighborhoodKAnonymizer
            The fitted step.
        """
        from personatwin_sklearn.patterns._core import resolve_signature

        self._validate_params()
        data = check_social_data(X, type(self).__name__)
        unknown = [g for g in self.generalize if g not in _WHAT]
        if unknown:
            from personatwin_sklearn.exceptions import InvalidValueError

            raise InvalidValueError(
                f"generalize={tuple(self.generalize)!r} names {unknown}: use any of {_WHAT}."
            )
        self.k_ = resolve_k(self.k, self.privacy_level) if self.k or self.privacy_level else 5
        if self.k_ > len(data):
            raise InfeasibleKError(
                f"k={self.k_} is larger than the number of people ({len(data)}). Lower k "
                "or add synthetic people first (SyntheticAugmenter)."
            )
        anonymizer = self._anonymizer()
        self.quasi_identifiers_ = anonymizer._resolve_qis(data.people)
        self.signature_ = resolve_signature(data, self.signature)
        allowed = set(_COVER_WIDEN) | set(self.signature_)
        unknown = [w for w in self.cover_widen if w not in allowed]
        if unknown:
            from personatwin_sklearn.exceptions import InvalidValueError

            raise InvalidValueError(
                f"cover_widen={tuple(self.cover_widen)!r} names {unknown}: use any of "
                f"{sorted(allowed)} (a signature column widens that partner column only)."
            )
        return self

    def transform(self, X):
        """Publish ``X`` with its quasi-identifiers and connections generalised.

        Parameters
        ----------
        X : SocialData
            People and connections (the same columns as in :meth:`fit`).

        Returns
        -------
        SocialData
            Same people and connections, in the same order; generalised values only.
        """
        check_is_fitted(self, "k_")
        data = check_social_data(X, type(self).__name__)
        people = data._people
        anonymizer = self._anonymizer()

        def encoded():
            columns = [anonymizer._column(people, name) for name in self.quasi_identifiers_]
            return columns, anonymizer._encode(people, columns)

        if self.hierarchies is None:  # the same columns for every point of a search
            key = ("qi-codes", id(people), tuple(self.quasi_identifiers_))
            columns, codes = shared_value(key, people, encoded)
            columns, codes = list(columns), codes.copy()
        else:
            columns, codes = encoded()
        ids = people[data.id_col].to_numpy()
        cover = None if self.cover_ids is None else np.isin(ids, np.asarray(self.cover_ids))
        rare = level = base = None
        self.pool_rounds_ = 0
        if self.scope == "edge":  # pool rare partners' values, then widen rare slots only
            plan, out_people, out_conn = self._plan(data, columns, codes, cover, rare=False)
            rare, level = self._pool_levels(data, out_people, out_conn)
            base = out_people, out_conn  # every later cell covers these
        plan, out_people, out_conn = self._plan(data, columns, codes, cover, rare, level)
        self.edge_rounds_, self.edge_below_k_ = 1, 0
        if self.edge_age_bin is not None:
            low = self._edge_below_k(data, out_people, out_conn, level, base)
            if low.any():
                cover = low if cover is None else cover | low
                plan, out_people, out_conn = self._plan(data, columns, codes, cover, rare, level)
                self.edge_rounds_ = 2
                # a covered person is vouched for when every slot they are in has k
                # owners (each one a candidate), or their published patterns have k holders
                widened = set(self.cover_widen) >= {"qi", "flags"} and {"type", "kept"} <= set(
                    self.generalize
                )
                unsure = cover & (plan.min_slot < self.k_ if widened else True)
                if unsure.any():
                    unsure &= self._edge_below_k(data, out_people, out_conn, level, base)
                self.edge_below_k_ = int(unsure.sum())
        self.n_groups_ = int(plan.group.max(initial=-1)) + 1
        # canonical text (one call per distinct value; a missing value published as
        # "<NA>" is not generalised); the input's is made once per search
        changed = {
            c: float(np.mean(
                _canon(out_people[c])
                != shared_value(("canon", id(people), c), people, lambda c=c: _canon(people[c]))
            ))
            for c in out_people.columns
            if c not in (data.id_col, "is_synthetic")
        }  # fmt: skip
        types = out_conn["connection_type"].astype(str)
        changed["connection_type"] = float(types.str.contains("|", regex=False).mean())
        self.generalized_ = {c: v for c, v in changed.items() if v > 0 or c == "connection_type"}
        return SocialData._from_validated(out_people, out_conn, data)

    def _pooled_columns(self, people):
        """Kept signature columns whose values are pooled (not occupation nor flags)."""
        return [
            c
            for c in self.signature_
            if c not in self.quasi_identifiers_
            and c in people.columns
            and c != "occupation"
            and not str(c).startswith("has_")
            and not pd.api.types.is_bool_dtype(people[c])
        ]

    def _apply_pools(self, data, out_people, level, merge=False):
        """``out_people`` with the pooled values of the people at ``level >= 0`` (with
        ``merge``: each pooled cell also covers the cell it replaces)."""
        people = data._people
        out = out_people.copy()
        for name in self._pooled_columns(people):
            labels = self._pools_[name].labels(level)
            if not len(labels):
                continue
            where = labels.index.to_numpy()
            cells = out[name].astype(object).to_numpy().copy()
            pooled = labels.to_numpy()
            if merge:  # a cell the slots widened: the union of both (distinct pairs only)
                true = pd.Series(people[name].to_numpy()[where], dtype=object).astype(str)
                wide = pd.Series(cells[where], dtype=object).astype(str).to_numpy() != (
                    true.to_numpy()
                )
                if wide.any():
                    numeric = self._pools_[name].numeric
                    pairs = pd.MultiIndex.from_arrays(
                        [pd.Series(pooled[wide]).astype(str), pd.Series(cells[where][wide])
                         .astype(str)]
                    )  # fmt: skip
                    codes_, uniq = pd.factorize(pairs)
                    merged = [union_label(a, b, numeric) for a, b in uniq]
                    pooled = pooled.copy()
                    pooled[wide] = np.asarray(merged, dtype=object)[codes_]
            cells[where] = pooled
            out[name] = cells
        return out

    def _pool_levels(self, data, out_people, out_conn):
        """Pool level of each person (-1: exact value), raised level by level.

        At level ``L`` every person of level ``>= L`` is counted with their block of
        level ``L`` (which covers each true value of the block: the blocks are nested),
        everyone else with their exact value; the partners of level ``L`` whose
        connections are rare in that count move up one level.  A person who moves on
        keeps covering the block, so no count made at a lower level drops.

        Returns the connections (seen from each end) still rare at the top level and
        each person's level.
        """
        people = data._people
        names = self._pooled_columns(people)
        self._pools_ = {c: ValuePools(people[c], self.k_) for c in names}
        top = max([p.top for p in self._pools_.values()], default=-1)
        level = np.full(len(people), -1, dtype=np.int64)
        left, right = data.edge_positions()
        partner = np.r_[right, left].astype(np.int64)
        residual = np.zeros(len(partner), dtype=bool)
        for at in range(-1, top + 1):
            if at >= 0 and not (level == at).any():
                break
            view = self._apply_pools(data, out_people, np.where(level >= at, at, -1))
            rare = self._rare_connections(data, view, out_conn) & (level[partner] == at)
            if at == top:
                residual = rare
                break
            level[np.unique(partner[rare])] = at + 1
            self.pool_rounds_ += 1
        return residual, level

    def _plan(self, data, columns, codes, cover, rare=None, level=None):
        """One plan and its published people and connections (``rare``: per seen
        connection, whether its slot is widened; ``False``: none; ``None``: all;
        ``level``: pool levels of the kept values)."""
        if rare is False:
            rare = np.zeros(2 * data.n_connections, dtype=bool)
        options = dict(
            shape_weight=self.shape_weight,
            widen=tuple(self.generalize),
            partner_weight=self.partner_weight,
            key_weight=self.key_weight,
            flag_weight=self.flag_weight,
            cover_widen=self._cover_widen(),
            age_weight=self.age_weight,
            own_weight=self.own_weight,
            partner_level=self.partner_level,
        )

        def planned():
            return plan_recoding(data, columns, codes, self.k_, self.signature_, cover=cover,
                                 rare=rare, **options)  # fmt: skip

        if rare is None and self.hierarchies is None:
            # the same plan for the repair's second round (only the hubs differ): the
            # last plan is kept
            marks = None if cover is None else hashlib.sha1(np.packbits(cover)).hexdigest()
            frames = (data._people, data._connections)
            key = (
                "plan", *map(id, frames), self.k_, tuple(self.signature_),
                tuple(self.quasi_identifiers_), tuple(sorted(options.items())), marks,
            )  # fmt: skip
            plan = last_value("plan", key, frames, planned)
        else:
            plan = planned()
        out_people, out_conn = apply_recoding(
            data, columns, plan, occupation_level=self.occupation_level,
            hubs=self._hubs(data, cover, plan), suppress_share=self.suppress_share,
        )  # fmt: skip
        if level is not None:
            out_people = self._apply_pools(data, out_people, level, merge=True)
        return plan, out_people, out_conn

    def _hubs(self, data, cover, plan):
        """People whose occupation is suppressed where the plan widens it across groups:
        at least ``hub_degree`` connections; with ``"hubs"`` in ``cover_widen``, also
        the partners of ``cover`` people who have ``cover_hub_degree`` connections or
        more; with ``"slot_hubs"``, those of the partners that differ in the cover
        people's slots."""
        if self.hub_degree is None:
            return None
        degree = np.asarray(data.degree())
        hubs = degree >= self.hub_degree
        if "hubs" in self.cover_widen and cover is not None and np.any(cover):
            left, right = (np.asarray(side, dtype=np.int64) for side in data.edge_positions())
            near = np.zeros(len(hubs), dtype=bool)
            near[right[cover[left]]] = True
            near[left[cover[right]]] = True
            hubs |= near & (degree >= self.cover_hub_degree)
        if "slot_hubs" in self.cover_widen and cover is not None and np.any(cover):
            if "occupation" in data._people.columns:
                hubs |= slot_hubs(data, plan.slot_of, cover) & (degree >= self.cover_hub_degree)
        if self.twin_ids is not None and "occupation" in data._people.columns:
            ids = data._people[data.id_col].to_numpy()
            hubs |= cheapest_twins(
                data, plan.slot_of, np.isin(ids, np.asarray(self.twin_ids)), hubs
            )
        return hubs

    def _cover_widen(self):
        """What the repair widens; in the edge scope only the slots of the repaired
        people's rare connections, as far as their partners' values (``"own_slots"``,
        ``"targets"``), not their whole groups."""
        widen = tuple(self.cover_widen)
        return widen + ("own_slots", "targets") if self.scope == "edge" else widen

    def _rare_connections(self, data, out_people, out_conn):
        """Per connection seen from each end, whether its published pattern has fewer
        than k consistent holders (labels matched as themselves: a lower bound)."""
        from personatwin_sklearn.patterns._consistent import connection_consistent_k

        release = SocialData._from_validated(out_people, out_conn, data)
        age_bin = self.edge_age_bin or 5
        return connection_consistent_k(release, list(self.signature_), age_bin) < self.k_

    def _edge_below_k(self, data, out_people, out_conn, level=None, base=None):
        """Real people whose rarest published pattern has fewer than k consistent holders
        (labels matched as themselves: a lower bound of the adversary's count; with pool
        ``level``, each connection counted at its partner's level, where everyone of that
        level or above shows their block of it, on the ``base`` publication before any
        slot was widened: the published cells cover both)."""
        from personatwin_sklearn.patterns._consistent import person_consistent_k

        real = ~np.asarray(data.is_synthetic, dtype=bool)
        if level is not None:
            out_people, out_conn = base
            left, right = data.edge_positions()
            owner = np.r_[left, right].astype(np.int64)
            partner = np.r_[right, left].astype(np.int64)
            rare = np.zeros(len(owner), dtype=bool)
            for at in np.unique(level[partner]):
                view = self._apply_pools(data, out_people, np.where(level >= at, at, -1))
                here = level[partner] == at
                rare[here] = self._rare_connections(data, view, out_conn)[here]
            low = np.zeros(len(level), dtype=bool)
            low[owner[rare]] = True
            return low & real
        release = SocialData._from_validated(out_people, out_conn, data)
        k = person_consistent_k(release, list(self.signature_), age_bin=self.edge_age_bin)
        return (k < self.k_) & real

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.transformer_tags.preserves_dtype = []
        return tags
