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

from personatwin_sklearn import census
from personatwin_sklearn._base import check_k_feasible, check_social_data
from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.exceptions import InfeasibleKError, PrivacyWarning
from personatwin_sklearn.patterns._analyzer import ConnectionPatternAnalyzer
from personatwin_sklearn.patterns._core import compute_patterns

__all__ = ["SyntheticConnectionGenerator"]

_DERIVED = ("pattern_k", "pattern_risk")


def _age_midpoint(people: pd.DataFrame) -> np.ndarray:
    """Numeric ages (the midpoint of generalised "lo-hi" ranges), NaN if unknown."""
    if "age" not in people.columns:
        return np.full(len(people), np.nan)
    age = people["age"]
    if pd.api.types.is_numeric_dtype(age):
        return age.to_numpy(dtype=float)
    parts = age.astype(str).str.extract(r"^\s*(\d+)\s*(?:-\s*(\d+))?")
    lo = pd.to_numeric(parts[0], errors="coerce")
    hi = pd.to_numeric(parts[1], errors="coerce").fillna(lo)
    return ((lo + hi) / 2).to_numpy(dtype=float)


class SyntheticConnectionGenerator(TransformerMixin, BaseEstimator):
    """Add flagged, weak, plausible synthetic connections until every connection
    pattern is shared by at least ``target_k`` people.

    **Edge scope.**  For each rare pattern ``P = (type t, partner signature S)``
    held by ``m < target_k`` people, ``target_k - m`` people who do not have ``P``
    get a synthetic ``t`` connection to a person with signature ``S``.  A new
    connection also gives its partner a pattern ``Q = (inverse(t), signature of the
    source)``.  Sources are chosen so that ``Q`` is already shared by
    ``target_k`` people ("safe" sources) — then no new rare pattern appears.  Where
    no safe source exists, ``P`` and ``Q`` are fixed together: ``e`` distinct
    sources of one signature are matched with ``e`` distinct partners of signature
    ``S`` (``e`` large enough for both), cloning a synthetic persona of the
    needed signature where too few people fit.  Adding connections only adds
    (person, pattern) pairs, so no k ever decreases; every step raises a rare
    pattern to ``target_k`` without creating a rare one, so one pass suffices and a
    check pass confirms it (``n_rounds_``).

    **Neighbourhood scope.**  People whose 1-hop pattern multiset is shared by
    fewer than ``target_k`` people are grouped (greedily, similar neighbourhoods
    together) into clusters of at least ``target_k``; every member gets
    connections to synthetic personas until its multiset equals the cluster's
    union.  Only members and new synthetic personas change, so every cluster ends
    with ``target_k`` identical neighbourhoods in one pass.

    Plausibility: among candidate sources, the choice is weighted by census
    household statistics for family types (spouse age gap, parent/child age gap:
    :func:`personatwin_sklearn.census.family_parameters`) and by a same-zip
    preference.  Every added connection has ``is_synthetic=True``,
    ``strength="WEAK"``, ``confidence=0.5`` and
    ``context="synthetic (privacy protection)"`` by default.

    Parameters
    ----------
    target_k : int, default=10
        Every pattern (edge scope) or neighbourhood (neighborhood scope) must be
        shared by at least this many people.
    scope : {"edge", "neighborhood"}, default="edge"
    signature : list of str, default=None
        Partner columns in a pattern (as in ConnectionPatternAnalyzer).
    age_bin : int, default=5
        Width of partner age buckets.
    max_new_partners : int, default=None
        Upper bound on synthetic personas that may be created (None: no bound).
        When the bound stops protection, ``on_infeasible`` applies.
    partner_max_degree : int, default=3
        Neighbourhood scope: connections one synthetic partner persona may take.
    strength, confidence, context : default "WEAK", 0.5, "synthetic (privacy protection)"
        Fields of the added connections.
    on_infeasible : {"raise", "warn"}, default="raise"
        What to do when ``target_k`` cannot be reached: raise
        :class:`InfeasibleKError` or warn with :class:`PrivacyWarning`, naming the
        patterns left short.
    random_state : int, RandomState instance or None, default=None

    Attributes
    ----------
    rare_patterns_ : DataFrame
        Rare patterns (or neighbourhoods) of the data seen in ``fit``.
    n_added_ : int
        Connections added by the last ``transform``.
    n_added_people_ : int
        Synthetic personas added by the last ``transform``.
    n_rounds_ : int
        Passes made by the last ``transform`` (including the final check).
    report_ : DataFrame
        Before/after summary of the last ``transform``.

    See Also
    --------
    ConnectionPatternAnalyzer : Finds the rare patterns.

    Examples
    --------
    >>> from personatwin_sklearn import SyntheticConnectionGenerator
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> from personatwin_sklearn.metrics import connection_pattern_k
    >>> data = make_toy_population()
    >>> out = SyntheticConnectionGenerator(target_k=4, random_state=0).fit_transform(data)
    >>> connection_pattern_k(out, population="all") >= 4
    True
    """

    _parameter_constraints: dict = {
        "target_k": [Interval(Integral, 1, None, closed="left")],
        "scope": [StrOptions({"edge", "neighborhood"})],
        "signature": [list, tuple, str, None],
        "age_bin": [Interval(Integral, 1, None, closed="left")],
        "max_new_partners": [Interval(Integral, 0, None, closed="left"), None],
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
        scope="edge",
        signature=None,
        age_bin=5,
        max_new_partners=None,
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
        self.partner_max_degree = partner_max_degree
        self.strength = strength
        self.confidence = confidence
        self.context = context
        self.on_infeasible = on_infeasible
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Find the patterns below ``target_k``.

        Parameters
        ----------
        X : SocialData
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        data = check_social_data(X, type(self).__name__)
        check_k_feasible(self.target_k, len(data), "target_k")
        analyzer = ConnectionPatternAnalyzer(
            k=self.target_k, signature=self.signature, age_bin=self.age_bin, scope=self.scope
        ).fit(data)
        self.analyzer_ = analyzer
        self.signature_ = analyzer.signature_
        self.rare_patterns_ = analyzer.rare_patterns_
        return self

    def transform(self, X):
        """Add synthetic connections (and personas where needed) to ``X``.

        Parameters
        ----------
        X : SocialData

        Returns
        -------
        SocialData
            ``X`` with the additions flagged ``is_synthetic``; real rows unchanged.
        """
        check_is_fitted(self, "analyzer_")
        data = check_social_data(X, type(self).__name__)
        rng = check_random_state(self.random_state)
        before = ConnectionPatternAnalyzer(
            k=self.target_k, signature=self.signature_, age_bin=self.age_bin, scope=self.scope
        ).fit(data)
        self._next_id = _IdMaker(data)
        if self.scope == "edge":
            out, rounds = self._protect_edges(data, rng)
        else:
            out, rounds = self._protect_neighborhoods(data, rng)
        after = ConnectionPatternAnalyzer(
            k=self.target_k, signature=self.signature_, age_bin=self.age_bin, scope=self.scope
        ).fit(out)
        self.n_added_ = out.n_connections - data.n_connections
        self.n_added_people_ = len(out) - len(data)
        self.n_rounds_ = rounds
        self.report_ = pd.DataFrame(
            {
                "before": [
                    len(before.patterns_),
                    len(before.rare_patterns_),
                    before.n_people_at_risk_,
                    int(np.sum(before.person_k_[~data.is_synthetic] < self.target_k)),
                    before.min_k_,
                    data.n_connections,
                    len(data),
                ],
                "after": [
                    len(after.patterns_),
                    len(after.rare_patterns_),
                    after.n_people_at_risk_,
                    int(np.sum(after.person_k_[~out.is_synthetic] < self.target_k)),
                    after.min_k_,
                    out.n_connections,
                    len(out),
                ],
            },
            index=[
                "patterns",
                "rare patterns",
                "people at risk",
                "real people at risk",
                "min k",
                "connections",
                "people",
            ],
        )
        short = after.rare_patterns_
        if self.scope == "neighborhood":
            real_rare = after.person_k_[~out.is_synthetic] < self.target_k
            short = short if real_rare.any() else short.iloc[:0]
        if len(short):
            listed = "; ".join(short["pattern"].astype(str).head(5))
            message = (
                f"target_k={self.target_k} was not reached for {len(short)} pattern(s), e.g. "
                f"{listed}. Raise max_new_partners, lower target_k, or add people "
                "(SyntheticAugmenter)."
            )
            if self.on_infeasible == "raise":
                raise InfeasibleKError(message)
            warnings.warn(message, PrivacyWarning, stacklevel=2)
        return out

    # -- helpers -------------------------------------------------------------------------
    def _edges(self, src_ids, dst_ids, types) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "person1_id": np.asarray(src_ids),
                "person2_id": np.asarray(dst_ids),
                "connection_type": np.asarray(types, dtype=object),
            }
        )

    def _add(self, data, people, edges) -> SocialData:
        return data.add(
            people=people,
            connections=edges,
            strength=self.strength,
            confidence=self.confidence,
            context=self.context,
        )

    def _clones(self, data: SocialData, template_pos: np.ndarray) -> pd.DataFrame:
        """Synthetic personas copying the rows of ``template_pos`` (new ids)."""
        people = data._people.iloc[template_pos].reset_index(drop=True).copy()
        people[data.id_col] = self._next_id(len(people))
        for column in _DERIVED:
            if column in people.columns:
                people[column] = np.nan
        return people

    def _plausibility(self, kind, src_age, dst_age, src_zip, dst_zip) -> np.ndarray:
        fam = census.family_parameters()
        weight = np.ones(len(src_age))
        gap = dst_age - src_age  # partner minus source
        with np.errstate(invalid="ignore"):
            if kind in ("SPOUSE", "PARTNER"):
                z = (np.abs(gap) - abs(fam["spouse_age_gap_mean"])) / fam["spouse_age_gap_sd"]
                weight = np.exp(-0.5 * z**2)
            elif kind in ("PARENT", "GUARDIAN"):  # partner is the source's parent
                z = (gap - fam["mother_age_at_birth_mean"]) / fam["mother_age_at_birth_sd"]
                weight = np.exp(-0.5 * z**2)
            elif kind in ("CHILD", "WARD"):
                z = (-gap - fam["mother_age_at_birth_mean"]) / fam["mother_age_at_birth_sd"]
                weight = np.exp(-0.5 * z**2)
            elif kind == "SIBLING":
                weight = np.exp(-0.5 * (gap / 6.0) ** 2)
        weight = np.where(np.isnan(weight), 1.0, weight) + 1e-6
        if src_zip is not None:
            weight = weight * np.where(src_zip == dst_zip, 3.0, 1.0)
        return weight

    # -- edge scope ----------------------------------------------------------------------
    def _protect_edges(self, data: SocialData, rng) -> tuple[SocialData, int]:
        rounds = 0
        created = 0
        for _ in range(3):  # one pass fixes everything; the rest are checks
            rounds += 1
            data, created, changed = self._edge_round(data, rng, created)
            if not changed:
                break
        return data, rounds

    def _edge_round(self, data: SocialData, rng, created: int):
        """One pass over the rare patterns; returns (data, personas created, changed)."""
        target = self.target_k
        index = compute_patterns(data, self.signature_, self.age_bin)
        k = index.k.astype(np.int64).copy()
        rare = np.flatnonzero(k < target)
        if len(rare) == 0:
            return data, created, False
        n = len(data)
        person_sig = index.raw_key(np.zeros(n, np.int64), np.arange(n))
        attr_span = int(np.prod(index.radices[1:], dtype=np.int64))
        ids = data.ids.to_numpy()
        ages = _age_midpoint(data._people)
        zips = (
            data._people["zipcode"].astype(str).to_numpy()
            if "zipcode" in data._people.columns
            else None
        )
        sig_order = np.argsort(person_sig, kind="stable")
        sorted_sig = person_sig[sig_order]
        pat_order = np.argsort(index.pattern, kind="stable")
        pat_sorted = index.pattern[pat_order]
        inverse = index.type_code([data.domain.inverse_type(t) for t in index.type_index])
        # extra holders added during this pass, so k stays exact without recomputing
        extra_holders: dict[int, set] = {}
        raw_keys = index.raw_keys
        new_src, new_dst, new_type, new_people = [], [], [], []
        n_total = n

        def members(sig_value):
            lo, hi = np.searchsorted(sorted_sig, [sig_value, sig_value + 1])
            return sig_order[lo:hi]

        def holders(code):
            lo, hi = np.searchsorted(pat_sorted, [code, code + 1])
            base = index.owner[pat_order[lo:hi]]
            extra = extra_holders.get(code)
            return np.union1d(base, np.fromiter(extra, np.int64)) if extra else base

        def k_of(raw):
            pos = np.searchsorted(raw_keys, raw)
            pos = np.minimum(pos, len(raw_keys) - 1)
            found = raw_keys[pos] == raw
            return np.where(found, k[pos], 0), np.where(found, pos, -1)

        batch = self._safe_batch(
            index,
            k,
            rare,
            person_sig,
            sorted_sig,
            sig_order,
            inverse,
            attr_span,
            k_of,
            ages,
            zips,
            rng,
        )
        if batch is not None:
            b_src, b_dst, b_code = batch
            new_src.append(ids[b_src])
            new_dst.append(ids[b_dst])
            new_type.append(
                np.asarray(index.type_index, dtype=object)[raw_keys[b_code] // attr_span]
            )
            np.add.at(k, b_code, 1)
            for code_value, src_pos in zip(b_code.tolist(), b_src.tolist()):
                if k[code_value] < target:  # only the few patterns the loop still needs
                    extra_holders.setdefault(code_value, set()).add(src_pos)
        for code in rare:  # the patterns the batch could not finish, vectorised inside
            if k[code] >= target:
                continue  # fixed as a side effect
            raw = raw_keys[code]
            t_code, partner_sig = divmod(int(raw), attr_span)
            t_inv = int(inverse[t_code])
            kind = str(index.type_index[t_code])
            need = target - int(k[code])
            partners = members(partner_sig)
            have = holders(code)
            # candidate sources: a random sample of people, safe ones first
            size = min(n, max(200, 40 * need))
            cand = rng.choice(n, size=size, replace=False) if n > size else np.arange(n)
            cand = cand[~np.isin(cand, have)]
            q_k, _ = k_of(t_inv * attr_span + person_sig[cand])
            safe = cand[q_k >= target]
            if len(safe) >= need and len(partners):
                dst = partners[rng.randint(len(partners), size=len(safe))]
                ok = safe != dst
                safe, dst = safe[ok], dst[ok]
                w = self._plausibility(
                    kind, ages[safe], ages[dst],
                    None if zips is None else zips[safe],
                    None if zips is None else zips[dst],
                )  # fmt: skip
                if len(safe) >= need:
                    pick = rng.choice(len(safe), size=need, replace=False, p=w / w.sum())
                    src, dst = safe[pick], dst[pick]
                    new_src.append(ids[src])
                    new_dst.append(ids[dst])
                    new_type.append(np.full(need, kind, dtype=object))
                    k[code] += need
                    extra_holders.setdefault(int(code), set()).update(src.tolist())
                    continue
            # joint fix of P and Q = (inverse t, sigma) with matched pairs
            sources_sig = person_sig[have] if len(have) else person_sig[partners[:1]]
            values, counts = np.unique(sources_sig, return_counts=True)
            sigma = int(values[np.argmax(counts)])
            q_raw = t_inv * attr_span + sigma
            q_k, q_code = k_of(np.array([q_raw]))
            q_holders = holders(int(q_code[0])) if q_code[0] >= 0 else np.zeros(0, np.int64)
            e = max(need, target - int(q_k[0]))
            src_pool = members(sigma)
            src_pool = rng.permutation(src_pool[~np.isin(src_pool, have)])[:e]
            dst_pool = rng.permutation(partners[~np.isin(partners, q_holders)])[:e]
            template_src = have[0] if len(have) else members(sigma)[0]
            template_dst = partners[0] if len(partners) else None
            n_src_new = e - len(src_pool)
            n_dst_new = e - len(dst_pool)
            if template_dst is None:
                continue  # no partner signature template: reported as short
            budget = None if self.max_new_partners is None else (self.max_new_partners - created)
            if budget is not None and n_src_new + n_dst_new > budget:
                continue
            src_ids = list(ids[src_pool])
            dst_ids = list(ids[dst_pool])
            if n_src_new:
                clones = self._clones(data, np.full(n_src_new, template_src))
                new_people.append(clones)
                src_ids += clones[data.id_col].tolist()
            if n_dst_new:
                clones = self._clones(data, np.full(n_dst_new, template_dst))
                new_people.append(clones)
                dst_ids += clones[data.id_col].tolist()
            src_ids, dst_ids = (
                np.asarray(src_ids, dtype=object),
                np.asarray(dst_ids, dtype=object),
            )
            # a person on both sides must not be matched with themselves
            clash = src_ids == dst_ids
            if clash.any():
                dst_ids = np.roll(dst_ids, 1)
            created += n_src_new + n_dst_new
            n_total += n_src_new + n_dst_new
            new_src.append(src_ids)
            new_dst.append(dst_ids)
            new_type.append(np.full(e, kind, dtype=object))
            k[code] = max(k[code], target)
            if q_code[0] >= 0:
                k[int(q_code[0])] = max(int(k[int(q_code[0])]), target)
        if not new_src:
            return data, created, False
        edges = self._edges(
            np.concatenate(new_src), np.concatenate(new_dst), np.concatenate(new_type)
        )
        people = pd.concat(new_people, ignore_index=True) if new_people else None
        edges = edges.astype({"person1_id": data.ids.dtype, "person2_id": data.ids.dtype})
        data = self._add(data, people, edges)
        return data, created, True

    def _safe_batch(
        self,
        index,
        k,
        rare,
        person_sig,
        sorted_sig,
        sig_order,
        inverse,
        attr_span,
        k_of,
        ages,
        zips,
        rng,
        n_candidates=8,
    ):
        """Vectorised first try for all rare patterns at once: for each missing holder,
        draw ``n_candidates`` random sources and keep the most plausible safe one
        (not yet holding the pattern, inverse pattern already >= target_k)."""
        target = self.target_k
        n = len(person_sig)
        need = target - k[rare]
        slot = np.repeat(rare, need)
        if len(slot) == 0 or n < 2:
            return None
        raw = index.raw_keys[slot]
        t_code, partner_sig = raw // attr_span, raw % attr_span
        lo = np.searchsorted(sorted_sig, partner_sig)
        hi = np.searchsorted(sorted_sig, partner_sig + 1)
        has_partner = hi > lo
        pick = lo + np.floor(rng.random_sample(len(slot)) * (hi - lo)).astype(np.int64)
        dst = sig_order[np.minimum(pick, n - 1)]
        cand = rng.randint(n, size=(len(slot), n_candidates))
        n_patterns = len(index.raw_keys)
        pairs = np.sort(index.owner * n_patterns + index.pattern)
        keys = cand * n_patterns + slot[:, None]
        pos = np.minimum(np.searchsorted(pairs, keys), max(len(pairs) - 1, 0))
        is_holder = pairs[pos] == keys if len(pairs) else np.zeros(keys.shape, bool)
        q_k, _ = k_of(inverse[t_code][:, None] * attr_span + person_sig[cand])
        valid = ~is_holder & (q_k >= target) & (cand != dst[:, None]) & has_partner[:, None]
        weight = np.ones(cand.shape)
        kinds = np.asarray(index.type_index, dtype=object)[t_code]
        for kind in pd.unique(kinds):
            rows = kinds == kind
            c = cand[rows]
            d = np.repeat(dst[rows][:, None], n_candidates, axis=1)
            w = self._plausibility(
                str(kind), ages[c].ravel(), ages[d].ravel(),
                None if zips is None else zips[c].ravel(),
                None if zips is None else zips[d].ravel(),
            )  # fmt: skip
            weight[rows] = w.reshape(c.shape)
        gumbel = -np.log(-np.log(rng.random_sample(cand.shape)))
        score = np.where(valid, np.log(weight) + gumbel, -np.inf)
        best = np.argmax(score, axis=1)
        ok = valid[np.arange(len(slot)), best]
        src = cand[np.arange(len(slot)), best]
        # one new holder per (pattern, source)
        key = pd.Series(slot * n + src)
        ok &= ~key.duplicated().to_numpy()
        if not ok.any():
            return None
        return src[ok], dst[ok], slot[ok]

    # -- neighbourhood scope ----------------------------------------------------------
    def _protect_neighborhoods(self, data: SocialData, rng) -> tuple[SocialData, int]:
        target = self.target_k
        index = compute_patterns(data, self.signature_, self.age_bin)
        _, size = index.neighborhoods()
        real = ~data.is_synthetic
        at_risk = np.flatnonzero((size < target) & real)
        if len(at_risk) == 0:
            return data, 1
        n = len(data)
        n_patterns = len(index.table)
        # per person multiplicity vectors of the people at risk (sparse: owner, pattern, mult)
        risky = np.zeros(n, dtype=bool)
        risky[at_risk] = True
        rows = risky[index.owner]
        owner, pattern, mult = index.owner[rows], index.pattern[rows], index.multiplicity[rows]
        # greedy clustering: order by the patterns a person has (similar people adjacent)
        first_pattern = np.full(n, n_patterns, dtype=np.int64)
        np.minimum.at(first_pattern, owner, pattern)
        n_conn = np.bincount(owner, weights=mult, minlength=n)
        order = at_risk[
            np.lexsort((rng.random_sample(len(at_risk)), n_conn[at_risk], first_pattern[at_risk]))
        ]
        if len(order) < target:
            # too few people at risk to form a cluster: borrow the nearest safe people
            safe = np.setdiff1d(np.flatnonzero(real), order)
            extra = rng.choice(safe, size=min(target - len(order), len(safe)), replace=False)
            order = np.concatenate([order, extra])
            risky[extra] = True
            rows = risky[index.owner]
            owner, pattern, mult = index.owner[rows], index.pattern[rows], index.multiplicity[rows]
        n_clusters = max(len(order) // target, 1)
        cluster_of = np.full(n, -1, dtype=np.int64)
        cluster_of[order] = np.minimum(np.arange(len(order)) // target, n_clusters - 1)
        # union multiset of each cluster: max multiplicity per (cluster, pattern)
        frame = pd.DataFrame({"c": cluster_of[owner], "o": owner, "p": pattern, "m": mult})
        union = frame.groupby(["c", "p"], sort=False)["m"].max().rename("u").reset_index()
        members = pd.DataFrame({"o": order, "c": cluster_of[order]})
        want = members.merge(union, on="c")
        have = frame[["o", "p", "m"]]
        want = want.merge(have, on=["o", "p"], how="left").fillna({"m": 0})
        deficit = (want["u"] - want["m"]).astype(np.int64).to_numpy()
        want = want.loc[deficit > 0]
        deficit = deficit[deficit > 0]
        if len(want) == 0:
            return data, 1
        src = np.repeat(want["o"].to_numpy(), deficit)
        pat = np.repeat(want["p"].to_numpy(), deficit)
        # synthetic partner personas of the pattern's partner signature, shared up to
        # partner_max_degree connections each (grouped per pattern)
        raw = index.raw_keys[pat]
        attr_span = int(np.prod(index.radices[1:], dtype=np.int64))
        t_code = raw // attr_span
        order_p = np.argsort(pat, kind="stable")
        src, pat, t_code = src[order_p], pat[order_p], t_code[order_p]
        start = np.r_[0, np.flatnonzero(np.diff(pat)) + 1]
        rank = np.arange(len(pat)) - np.repeat(start, np.diff(np.r_[start, len(pat)]))
        slot = rank // self.partner_max_degree
        slot_key = pd.factorize(pd.MultiIndex.from_arrays([pat, slot]))[0]
        n_new = int(slot_key.max()) + 1
        # template for each new persona: an existing partner with the pattern's signature
        partner_sig = raw[order_p] % attr_span
        person_sig = index.raw_key(np.zeros(n, np.int64), np.arange(n))
        sig_sorted = np.argsort(person_sig, kind="stable")
        loc = np.searchsorted(person_sig[sig_sorted], partner_sig)
        template = sig_sorted[np.minimum(loc, n - 1)]
        first_of_slot = np.unique(slot_key, return_index=True)[1]
        if self.max_new_partners is not None and n_new > self.max_new_partners:
            keep_slots = np.arange(n_new) < self.max_new_partners
            keep = keep_slots[slot_key]
            src, t_code, slot_key = src[keep], t_code[keep], slot_key[keep]
            first_of_slot = first_of_slot[: self.max_new_partners]
            n_new = self.max_new_partners
        clones = self._clones(data, template[first_of_slot])
        dst_ids = clones[data.id_col].to_numpy()[slot_key]
        types = np.asarray(index.type_index, dtype=object)[t_code]
        edges = self._edges(data.ids.to_numpy()[src], dst_ids, types)
        edges = edges.astype({"person1_id": data.ids.dtype, "person2_id": data.ids.dtype})
        return self._add(data, clones, edges), 1

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.non_deterministic = False
        return tags


class _IdMaker:
    """New person ids that cannot clash with existing ones."""

    def __init__(self, data: SocialData):
        ids = data._people[data.id_col]
        self.numeric = pd.api.types.is_integer_dtype(ids)
        self.next = int(ids.max()) + 1 if self.numeric and len(ids) else 0
        self.existing = set() if self.numeric else set(ids.astype(str))

    def __call__(self, count: int):
        if self.numeric:
            out = np.arange(self.next, self.next + count, dtype=np.int64)
            self.next += count
            return out
        out = [f"syn-{self.next + i}" for i in range(count)]
        self.next += count
        return out
