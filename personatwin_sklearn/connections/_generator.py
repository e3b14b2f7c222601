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
from personatwin_sklearn.connections._edge import edge_round
from personatwin_sklearn.connections._neighborhood import (
    neighborhood_deficit,
    neighborhood_round,
)
from personatwin_sklearn.connections._rounds import Additions, IdMaker, Snapshot, apply_additions
from personatwin_sklearn.exceptions import InfeasibleKError, PrivacyWarning
from personatwin_sklearn.patterns._analyzer import ConnectionPatternAnalyzer
from personatwin_sklearn.patterns._core import resolve_signature

__all__ = ["SyntheticConnectionGenerator"]

#: Hard cap on protection rounds.  One round suffices by construction; the loop also
#: stops as soon as a round does not lower the deficit, so it always terminates.
MAX_ROUNDS = 10


class SyntheticConnectionGenerator(SocialDataTransformerMixin, TransformerMixin, BaseEstimator):
    """Add flagged, weak, plausible synthetic connections until every connection
    pattern (or whole 1-hop neighbourhood) is shared by at least ``target_k`` people.

    A pattern is a connection seen from one end: ``(type, partner signature)``
    (see :class:`ConnectionPatternAnalyzer`).  Every connection gives a pattern to
    *both* ends, so the guarantee covers everyone after the transform: the real
    people, the synthetic personas added here, and the partners of new connections.

    **Edge scope.**  A rare pattern ``P = (t, S)`` held by ``m < target_k`` people
    gets ``target_k - m`` new holders: people without ``P`` receive a ``t``
    connection to someone with signature ``S``.  The partner then gains
    ``Q = (inverse(t), source signature)``; sources are chosen where ``Q`` already has
    ``target_k`` holders.  Where no such source is left, ``P`` and ``Q`` are lifted
    together by matching ``e = max(need(P), target_k - k(Q))`` sources of one
    signature with ``e`` partners of signature ``S`` (new synthetic personas where
    too few people fit).  No pattern's count ever decreases and no new rare pattern
    is created, so one round reaches ``target_k``; a check round confirms it.

    **Neighbourhood scope.**  People whose multiset of patterns is shared by fewer
    than ``target_k`` people are clustered (similar multisets together, clusters of
    ``target_k`` or more) and each member gets connections until its multiset is
    the cluster's union.  A missing copy ``(t, S)`` of member ``v`` is met, where
    possible, by a connection to another member who misses ``(inverse(t),
    signature of v)``; the rest go to synthetic partner personas grouped so that
    their own neighbourhoods are shared by ``target_k`` personas too.

    Rounds repeat while the *deficit* (sum of ``target_k - k`` over rare patterns,
    or over people in rare neighbourhoods) decreases, at most ten times: each round
    lowers a non-negative integer or stops the loop.

    Plausibility: census household statistics
    (:func:`personatwin_sklearn.census.family_parameters`: spouse age gap, mother's
    and father's age at birth) weight family links, with a same-zip / same-state
    preference; synthetic personas take the partner signature and draw their other
    columns from people with that signature (family personas share the household's
    zipcode and ethnicity).

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
    max_new_partners : int, default=None
        Most synthetic personas one ``transform`` may add (``None``: no limit).
        When the limit stops protection, ``on_infeasible`` applies.
    max_synthetic_per_person : "auto", int or None, default=None
        Edge scope: most synthetic connections one existing person may receive
        (``"auto"``: ``2 * target_k``; ``None``: no limit).  Past it, synthetic
        personas take the connections.  Without a limit the few people whose own
        pattern is already safe take most of them: in the sample population's high
        release one real person gets 148 synthetic spouses; with ``"auto"`` nobody
        gets more than 20, for about 4,100 more personas (1,819 -> 5,936 people).
        Not the default: with augmentation it multiplies the partner personas (600
        real people: 10,359 synthetic people, distinguishability AUC 0.59 -> 0.92).
    partner_max_degree : int, default=3
        Neighbourhood scope: connections one synthetic partner persona may take
        (used only where its neighbourhood class still reaches ``target_k``).
    strength : str, default="WEAK"
        ``strength`` of the added connections.
    confidence : float, default=0.5
        ``confidence`` of the added connections.
    context : str, default="synthetic (privacy protection)"
        ``context`` of the added connections.
    on_infeasible : {"raise", "warn"}, default="raise"
        When ``target_k`` is not reached: raise :class:`InfeasibleKError` or warn
        with :class:`PrivacyWarning`, naming the patterns left short.
    random_state : int, RandomState instance or None, default=None
        Seed of the choice of sources, partners and persona attributes.

    Attributes
    ----------
    signature_ : tuple of str
        Resolved signature columns.
    rare_patterns_ : DataFrame
        Rare patterns (edge scope) or neighbourhood classes (neighborhood scope) of
        the data seen in ``fit``, with the ids of the people having them.
    min_k_ : float
        Smallest k in the data seen in ``fit``.
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
    >>> gen = SyntheticConnectionGenerator(target_k=4, random_state=0)
    >>> out = gen.fit_transform(data)
    >>> connection_pattern_k(out, population="all") >= 4
    True
    >>> bool(out.real().people.equals(data.people)), gen.n_added_ > 0
    (True, True)
    """

    _parameter_constraints: dict = {
        "target_k": [Interval(Integral, 1, None, closed="left")],
        "scope": [StrOptions({"edge", "neighborhood"})],
        "signature": [list, tuple, str, None],
        "age_bin": [Interval(Integral, 1, None, closed="left")],
        "max_new_partners": [Interval(Integral, 0, None, closed="left"), None],
        "max_synthetic_per_person": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
        "partner_max_degree": [Interval(Integral, 1, None, closed="left")],
        "strength": [str],
        "confidence": [Interval(Real, 0, 1, closed="both")],
        "context": [str],
        "on_infeasible": [StrOptions({"raise", "warn"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        target_k=10,
        *,
        scope="edge",
        signature=None,
        age_bin=5,
        max_new_partners=None,
        max_synthetic_per_person=None,
        partner_max_degree=3,
        strength="WEAK",
        confidence=0.5,
        context="synthetic (privacy protection)",
        on_infeasible="raise",
        random_state=None,
    ):
        self.target_k = target_k
        self.scope = scope
        self.signature = signature
        self.age_bin = age_bin
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
        rng = check_random_state(self.random_state)
        ids = IdMaker(data)
        fields = {"strength": self.strength, "confidence": self.confidence,
                  "context": self.context}  # fmt: skip
        family = tuple(data.domain.family_types)
        current = data
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

    # -- helpers -------------------------------------------------------------------------
    def _cap(self):
        if self.max_synthetic_per_person == "auto":
            return 2 * int(self.target_k)
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
        if self.on_infeasible == "raise":
            raise InfeasibleKError(message)
        warnings.warn(message, PrivacyWarning, stacklevel=3)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.non_deterministic = False
        return tags
