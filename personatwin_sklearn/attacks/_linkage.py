"""Linkage (re-identification) attack on a release: quasi-identifiers and connection patterns.

Adversary model
---------------
The adversary holds background knowledge about real people (the *targets*): their true
quasi-identifiers and/or the true connection patterns of their real 1-hop neighbourhood
(what their partners are: ``"SPOUSE: gender=F, age=40-44, occupation=education"``).  They
search the public release, which may be generalised (ranges, zip prefixes, groupings) and
may contain synthetic people and edges, but which does **not** carry the ``is_synthetic``
flags nor the ``strength`` / ``confidence`` / ``context`` columns (the attack drops them
before searching).  Every released person consistent with the knowledge is a *candidate*.

Ground truth is kept by the person id: the target's own released record is the row with
the same id (a release that renames ids cannot be scored by this simulator).

Everything is computed with pandas merges / group-bys over distinct values, patterns and
(target, candidate) pairs: no Python loop over people or connections.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from personatwin_sklearn._graph_features import (  # noqa: F401 (old import paths)
    _INTERVAL,
    NA,
    WILDCARD,
    _canon,
    _canon_scalar,
    _intervals,
    _numeric_age,
)
from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.exceptions import InvalidValueError, MissingColumnError
from personatwin_sklearn.generalize._hierarchy import as_hierarchy
from personatwin_sklearn.metrics._risk import resolve_quasi_identifiers
from personatwin_sklearn.patterns._core import compute_patterns, resolve_signature

__all__ = ["LinkageAttackResult", "linkage_attack"]

SCOPES = ("edge", "neighborhood", "qi", "combined")
#: Largest number of (known, released) pairs materialised at once in a cross check.
_CHUNK_PAIRS = 2_000_000


# ----------------------------------------------------------------------------- values
def _is_prefix_column(name) -> bool:
    name = str(name).lower()
    return "zip" in name or "postal" in name or "postcode" in name


def _column_kind(series: pd.Series, name, hierarchies) -> str:
    if hierarchies and name in hierarchies:
        return "categorical"
    if _is_prefix_column(name):
        return "prefix"
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return "numeric"
    return "categorical"


class _ColumnMatcher:
    """Consistency of released labels with known true values for one column.

    ``check(kc, rc)`` says, elementwise, whether the released label coded ``rc`` could
    hide the known value coded ``kc``.  Known values may be exact values or, for the
    partner age of a pattern, the adversary's age bucket (``"40-44"``).  Released labels
    may be exact values or generalised cells: numeric ranges ``"lo-hi"`` / ``"[lo, hi]"``
    (consistent when they overlap the known value or bucket), zip prefixes ``"802**"``
    (same length, same prefix), groupings ``"a|b|c"``, hierarchy labels (``hierarchy``:
    frame of :func:`~personatwin_sklearn.generalize._hierarchy.read_hierarchy`) and the
    wildcard ``"*"``.  A label equal to a value of the original column is always exact.
    """

    def __init__(self, known, released, kind, domain, hierarchy=None):
        known = np.asarray(known, dtype=object)
        released = np.asarray(released, dtype=object)
        self.known_codes, k_uni = pd.factorize(known)
        self.released_codes, r_uni = pd.factorize(released)
        k_uni = np.asarray(k_uni, dtype=object)
        r_uni = np.asarray(r_uni, dtype=object)
        shared = pd.Index(pd.unique(np.concatenate([k_uni, r_uni])))
        self.k_shared = shared.get_indexer(k_uni)
        self.r_shared = shared.get_indexer(r_uni)
        self.k_uni, self.r_uni = k_uni, r_uni
        self.matrix = None
        self.r_gen = np.full(len(r_uni), -1, dtype=np.int64)
        if kind == "numeric":
            klo, khi = _intervals(k_uni)
            rlo, rhi = _intervals(r_uni)
            k_point = np.isnan(klo) | (klo == khi)
            r_point = np.isnan(rlo) | (rlo == rhi)
            if k_point.all() and r_point.all():
                self.exact = True
                return
            overlap = (klo[:, None] <= rhi[None, :]) & (rlo[None, :] <= khi[:, None])
            same = k_uni[:, None] == r_uni[None, :]
            self.matrix = overlap | same | (r_uni == WILDCARD)[None, :]
            self.r_gen = np.arange(len(r_uni), dtype=np.int64)
            self.exact = False
            return
        domain = set(domain)
        members = {}
        for j, label in enumerate(r_uni):  # distinct released labels only
            if label in domain:
                continue
            if label == WILDCARD:
                members[j] = None
            elif hierarchy is not None and (hierarchy == label).to_numpy().any():
                members[j] = hierarchy.index[(hierarchy == label).to_numpy().any(axis=1)]
            elif kind == "prefix" and label.endswith(WILDCARD):
                stem = label.rstrip(WILDCARD)
                members[j] = (
                    k_uni[
                        np.array(
                            [len(v) == len(label) and v.startswith(stem) for v in k_uni], bool
                        )
                    ]
                    if len(k_uni)
                    else k_uni
                )
            elif "|" in label:
                members[j] = label.split("|")
        self.exact = not members
        if members:
            self.matrix = np.zeros((len(k_uni), len(members)), dtype=bool)
            for g, (j, allowed) in enumerate(members.items()):
                self.r_gen[j] = g
                self.matrix[:, g] = True if allowed is None else np.isin(k_uni, list(allowed))

    def check(self, kc: np.ndarray, rc: np.ndarray) -> np.ndarray:
        if self.matrix is not None and (self.r_gen >= 0).all():
            return self.matrix[kc, self.r_gen[rc]]
        out = self.k_shared[kc] == self.r_shared[rc]
        if self.matrix is not None:
            gen = self.r_gen[rc]
            sel = gen >= 0
            out[sel] = self.matrix[kc[sel], gen[sel]]
        return out


def _consistent_pairs(known: np.ndarray, released: np.ndarray, matchers) -> tuple:
    """All (i, j) with known row ``i`` consistent with released row ``j`` on every column.

    ``known`` / ``released``: integer arrays (rows x columns) of the matchers' distinct
    codes.  Columns whose matcher is exact are joined with a merge on shared codes; the
    others are checked on the joined pairs, in chunks.
    """
    exact = [c for c, m in enumerate(matchers) if m.exact]
    loose = [c for c, m in enumerate(matchers) if not m.exact]
    n_k, n_r = known.shape[0], released.shape[0]
    if n_k == 0 or n_r == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if exact:
        left = pd.DataFrame({f"c{c}": matchers[c].k_shared[known[:, c]] for c in exact}).assign(
            i=np.arange(n_k)
        )
        right = pd.DataFrame(
            {f"c{c}": matchers[c].r_shared[released[:, c]] for c in exact}
        ).assign(j=np.arange(n_r))
        pairs = left.merge(right, on=[f"c{c}" for c in exact])
        i = pairs["i"].to_numpy(np.int64)
        j = pairs["j"].to_numpy(np.int64)
        keep = np.ones(len(i), dtype=bool)
        for c in loose:
            keep &= matchers[c].check(known[i, c], released[j, c])
        return i[keep], j[keep]
    out_i, out_j = [], []
    step = max(1, _CHUNK_PAIRS // n_r)
    for start in range(0, n_k, step):  # chunks of known rows, not a loop over people
        block = np.arange(start, min(start + step, n_k))
        i = np.repeat(block, n_r)
        j = np.tile(np.arange(n_r), len(block))
        keep = np.ones(len(i), dtype=bool)
        for c in loose:
            keep &= matchers[c].check(known[i, c], released[j, c])
        out_i.append(i[keep])
        out_j.append(j[keep])
    return np.concatenate(out_i), np.concatenate(out_j)


# ----------------------------------------------------------------------------- patterns
_PATTERN_CACHE: ContextVar[dict | None] = ContextVar("_PATTERN_CACHE", default=None)


@contextmanager
def _shared_patterns():
    """Within the block, linkage attacks reuse the pattern tables of data they already
    indexed (same object, signature and age bin): several scopes and several strips of
    one release recount the original's patterns once."""
    token = _PATTERN_CACHE.set({})
    try:
        yield
    finally:
        _PATTERN_CACHE.reset(token)


def _patterns(key_data: SocialData, data: SocialData, sig, age_bin):
    """``compute_patterns(data, ...)``, cached on ``key_data`` inside :func:`_shared_patterns`
    (``data`` is ``key_data`` or its adversary view: the same rows and connections)."""
    cache = _PATTERN_CACHE.get()
    if cache is None:
        return compute_patterns(data, sig, age_bin)
    key = (id(key_data), tuple(sig), age_bin)
    if key not in cache:
        cache[key] = (key_data, compute_patterns(data, sig, age_bin))  # holds key_data alive
    return cache[key][1]


# ----------------------------------------------------------------------------- result
@dataclass(frozen=True)
class LinkageAttackResult:
    """Outcome of :func:`linkage_attack`.

    For each target, the people of the release an adversary cannot rule out, and
    whether the target is re-identified.

    Parameters
    ----------
    scope : str
        Adversary knowledge (``"edge"``, ``"neighborhood"``, ``"qi"`` or ``"combined"``).
    success_rate : float
        Share of targets re-identified: candidate set of at most ``threshold`` people,
        the target among them.
    expected_success : float
        Mean over targets of ``1 / n_candidates`` when the target is a candidate, else 0
        (also 0 when nobody is a candidate): the chance of naming the target by picking a
        candidate at random.  A release protected to k keeps it at or below ``1 / k``.
    n_targets : int
        Number of targets attacked.
    candidate_sizes : ndarray of int
        Candidate set size per target.
    per_target : DataFrame
        One row per target: ``target_id``, ``n_candidates``, ``target_in_candidates``,
        ``reidentified``, ``success_probability`` and ``known_pattern`` (edge scope).
    threshold : int
        Largest candidate set counted as a re-identification.

    See Also
    --------
    linkage_attack : Runs the attack.

    Examples
    --------
    >>> from personatwin_sklearn.attacks import linkage_attack
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> toy = make_toy_population()
    >>> linkage_attack(toy, toy, scope="edge").to_dict()["n_targets"] > 0
    True
    """

    scope: str
    success_rate: float
    expected_success: float
    n_targets: int
    candidate_sizes: np.ndarray = field(repr=False)
    per_target: pd.DataFrame = field(repr=False)
    threshold: int = 1

    def to_dict(self) -> dict:
        """Return the headline figures as a plain dict.

        Returns
        -------
        figures : dict
            Scope, success rates, number of targets and candidate set sizes.
        """
        return {
            "scope": self.scope,
            "success_rate": self.success_rate,
            "expected_success": self.expected_success,
            "n_targets": self.n_targets,
            "median_candidates": float(np.median(self.candidate_sizes))
            if len(self.candidate_sizes)
            else float("nan"),
        }


# ----------------------------------------------------------------------------- attack
def _adversary_view(release: SocialData, columns) -> SocialData:
    """The release as the adversary sees it: no synthetic flags, no edge attributes."""
    keep = list(dict.fromkeys([release.id_col, *columns]))
    people = release._people[keep]
    edges = release._connections[["person1_id", "person2_id", "connection_type"]]
    return SocialData._from_validated(people, edges, release)


def _check_columns(data: SocialData, columns, what: str, name: str) -> None:
    missing = [c for c in columns if c not in data._people.columns]
    if missing:
        raise MissingColumnError(
            f"The {what} people table has no column(s) {missing} needed as {name}; it has "
            f"{[c for c in data._people.columns if c != 'is_synthetic']}. Release the "
            f"column (generalised if needed) or leave it out of {name}."
        )


def _hierarchy(hierarchies, column):
    if hierarchies and column in hierarchies:
        return as_hierarchy(hierarchies[column], column)
    return None


def _qi_matchers(original, release, qis, targets, hierarchies):
    matchers = []
    for col in qis:
        true_col = original._people[col]
        domain = _canon(true_col)
        matchers.append(
            _ColumnMatcher(
                domain[targets],
                _canon(release._people[col]),
                _column_kind(true_col, col, hierarchies),
                pd.unique(domain),
                _hierarchy(hierarchies, col),
            )
        )
    known = np.column_stack([m.known_codes for m in matchers]).astype(np.int64)
    released = np.column_stack([m.released_codes for m in matchers]).astype(np.int64)
    return matchers, known, released


def _pattern_matchers(original, kidx, ridx, sig, hierarchies):
    """Matchers over the known (original) and released pattern tables."""
    ktab, rtab = kidx.table, ridx.table
    matchers = [
        _ColumnMatcher(
            _canon(ktab["connection_type"]),
            _canon(rtab["connection_type"]),
            "categorical",
            pd.unique(_canon(ktab["connection_type"])),
        )
    ]
    for col in sig:
        true_col = original._people[col]
        kind = "numeric" if col == "age" else _column_kind(true_col, col, hierarchies)
        matchers.append(
            _ColumnMatcher(
                _canon(ktab[f"partner_{col}"]),
                _canon(rtab[f"partner_{col}"]),
                kind,
                pd.unique(_canon(true_col)),
                _hierarchy(hierarchies, col),
            )
        )
    known = np.column_stack([m.known_codes for m in matchers]).astype(np.int64)
    released = np.column_stack([m.released_codes for m in matchers]).astype(np.int64)
    return matchers, known, released


def _holders(pairs_p, pairs_q, ridx) -> pd.DataFrame:
    """(p, v, mult): released people v holding patterns consistent with known pattern p,
    with the total multiplicity of those patterns."""
    links = pd.DataFrame({"p": pairs_p, "q": pairs_q})
    held = pd.DataFrame({"q": ridx.pattern, "v": ridx.owner, "mult": ridx.multiplicity})
    pv = links.merge(held, on="q")
    return pv.groupby(["p", "v"], sort=False, as_index=False)["mult"].sum()


@validate_params(
    {
        "original": [SocialData],
        "release": [SocialData],
        "quasi_identifiers": [list, tuple, str, None],
        "scope": [StrOptions(set(SCOPES))],
        "signature": [list, tuple, str, None],
        "age_bin": [Interval(Integral, 1, None, closed="left"), None],
        "n_targets": [Interval(Integral, 1, None, closed="left"), None],
        "threshold": [Interval(Integral, 1, None, closed="left")],
        "hierarchies": [dict, None],
        "known_pattern": [StrOptions({"rarest", "random"})],
        "neighborhood_match": [StrOptions({"contains", "exact"})],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def linkage_attack(
    original,
    release,
    *,
    quasi_identifiers=None,
    scope="edge",
    signature=None,
    age_bin=5,
    n_targets=None,
    threshold=1,
    hierarchies=None,
    known_pattern="rarest",
    neighborhood_match="contains",
    random_state=None,
):
    """Simulate a linkage attack on ``release`` by an adversary who knows real people.

    For each target (a real person of ``original``) the adversary lists the released
    people consistent with what they know, then names the target when at most
    ``threshold`` candidates remain.

    Knowledge by ``scope``:

    - ``"qi"``: the target's true quasi-identifiers.  A released cell is consistent when
      it equals the true value or generalises it (``"40-44"``, ``"802**"``,
      ``"a|b|c"``, a hierarchy label, ``"*"``).
    - ``"edge"``: one true connection pattern of the target (``"spouse who is a 40-44
      year old teacher"``, the pattern of :func:`~personatwin_sklearn.patterns._core.
      compute_patterns` with the same ``signature`` and ``age_bin``).  Candidates are
      the released people holding a consistent pattern.  ``known_pattern="rarest"``
      (default, worst case for the release) gives the adversary, of the target's
      patterns, the one with the fewest candidates in the release, at least one (the
      adversary can compute that: the release is public); ``"random"`` one drawn at
      random.
    - ``"neighborhood"``: the multiset of all the target's true patterns (the 1-hop
      neighbourhood attack of Zhou & Pei, ICDE 2008).  With
      ``neighborhood_match="contains"`` (default) a candidate's released neighbourhood
      must *contain* it: each known pattern held at least as many times.  This is the
      sound adversary: protection only adds connections, so a real person's released
      neighbourhood contains their true one and the target is always a candidate.
      ``"exact"`` also requires the same number of connections (equal multisets without
      generalisation): a naive adversary who assumes an unaltered release and misses
      targets that received synthetic connections.
    - ``"combined"``: quasi-identifiers and neighbourhood together.

    Under generalised partner attributes a known pattern's count is met by the sum over
    the consistent released patterns (a relaxation of exact multiset matching: it never
    drops the target, and is exact without generalisation).  A target without
    connections gives no pattern knowledge: everyone is a candidate (``"exact"``:
    everyone without connections).  The release's ``is_synthetic`` flags and its
    ``strength`` / ``confidence`` / ``context`` columns are dropped before the search.

    Parameters
    ----------
    original : SocialData
        The data before release: the targets' true values and true connections.
    release : SocialData
        The released data (possibly generalised and with synthetic people and edges),
        with the real people under their original ids (the ground truth).
    quasi_identifiers : list of str, default=None
        Columns the adversary knows (``"qi"`` and ``"combined"`` scopes).  ``None``:
        those of ``age, gender, ethnicity, zipcode`` present.
    scope : {"edge", "neighborhood", "qi", "combined"}, default="edge"
        Adversary knowledge, see above.
    signature : list of str, default=None
        Partner columns of a pattern (``None``: gender, age, occupation, ``has_*``).
    age_bin : int or None, default=5
        Partner age bucket width of a pattern (``None``: exact ages).
    n_targets : int, default=None
        Attack a random sample of this many real people (``None``: all of them).
    threshold : int, default=1
        Largest candidate set that counts as a re-identification.
    hierarchies : dict, default=None
        ``{column: spec}`` generalisation hierarchies used by the release (as in
        :class:`~personatwin_sklearn.KAnonymizer`), so hierarchy labels can be matched.
    known_pattern : {"rarest", "random"}, default="rarest"
        Edge scope: which of the target's patterns the adversary knows.
    neighborhood_match : {"contains", "exact"}, default="contains"
        Neighbourhood / combined scopes: containment or equality of neighbourhoods.
    random_state : int, RandomState instance or None, default=None
        Seed of the target sample and of ``known_pattern="random"``.

    Returns
    -------
    result : LinkageAttackResult
        Success rates and the per-target candidate sets.

    See Also
    --------
    synthetic_edge_detection_attack : Tells whether synthetic edges stand out.
    personatwin_sklearn.metrics.reidentification_risk : Risk from class sizes alone.

    Examples
    --------
    >>> from personatwin_sklearn.attacks import linkage_attack
    >>> from personatwin_sklearn.connections import SyntheticConnectionGenerator
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> toy = make_toy_population()
    >>> before = linkage_attack(toy, toy, scope="edge")
    >>> int(before.per_target.set_index("target_id").loc["C", "n_candidates"])
    1
    >>> gen = SyntheticConnectionGenerator(method="exhaustive", target_k=4, random_state=0)
    >>> release = gen.fit_transform(toy)
    >>> after = linkage_attack(toy, release, scope="edge")
    >>> bool(after.expected_success <= 1 / 4), int(after.candidate_sizes.min()) >= 4
    (True, True)
    """
    rng = check_random_state(random_state)
    people = original._people
    real = np.flatnonzero(~original.is_synthetic)
    if n_targets is not None:
        if n_targets > len(real):
            raise InvalidValueError(
                f"n_targets={n_targets} exceeds the {len(real)} real people of original; "
                "pass n_targets=None to attack all of them or a smaller sample."
            )
        real = np.sort(rng.choice(real, size=n_targets, replace=False))
    targets = real
    target_ids = people[original.id_col].to_numpy()[targets]
    n_t = len(targets)

    use_qi = scope in ("qi", "combined")
    use_patterns = scope != "qi"
    qis = resolve_quasi_identifiers(people, quasi_identifiers) if use_qi else []
    sig = resolve_signature(original, signature) if use_patterns else ()
    _check_columns(release, [*qis, *sig], "release", "quasi_identifiers / signature")
    view = _adversary_view(release, [*qis, *sig])
    n_r = len(view)
    truth = pd.Index(view._people[view.id_col]).get_indexer(pd.Index(target_ids))

    if use_qi:
        qm, kq, rq = _qi_matchers(original, view, qis, targets, hierarchies)

    known_text = np.full(n_t, None, dtype=object)
    if scope == "qi":
        sizes = _qi_counts(qm, kq, rq, np.arange(n_r))
        in_cand = truth >= 0
        if in_cand.any():
            rows = np.flatnonzero(in_cand)
            ok = np.ones(len(rows), dtype=bool)
            for c, m in enumerate(qm):
                ok &= m.check(kq[rows, c], rq[truth[rows], c])
            in_cand[rows] = ok
    else:
        kidx = _patterns(original, original, sig, age_bin)
        ridx = _patterns(release, view, sig, age_bin)
        pm, kp, rp = _pattern_matchers(original, kidx, ridx, sig, hierarchies)
        pp, qq = _consistent_pairs(kp, rp, pm)
        pv = _holders(pp, qq, ridx)
        # the targets' known patterns: (t, p, m) with t the target's row in `targets`
        tpos = pd.Series(np.arange(n_t), index=targets)
        sel = np.isin(kidx.owner, targets)
        known = pd.DataFrame(
            {
                "t": tpos.loc[kidx.owner[sel]].to_numpy(),
                "p": kidx.pattern[sel],
                "m": kidx.multiplicity[sel],
            }
        )
        n_known = np.bincount(known["t"], minlength=n_t)
        has_any = n_known > 0
        if scope == "edge":
            count_p = np.bincount(pv["p"], minlength=len(kidx.table))
            known["n"] = count_p[known["p"]]
            if known_pattern == "rarest":
                # a pattern nobody in the release holds names nobody: last resort only
                # (after a strip, some of a target's real connections may be gone)
                n_holders = known["n"].to_numpy(dtype=float)
                known["key"] = np.where(n_holders > 0, n_holders, np.inf)
            else:
                known["key"] = rng.random_sample(len(known))
            chosen = known.sort_values(["t", "key", "p"], kind="stable").drop_duplicates("t")
            sizes = np.full(n_t, n_r, dtype=np.int64)
            sizes[chosen["t"].to_numpy()] = chosen["n"].to_numpy()
            own = pd.DataFrame({"p": chosen["p"].to_numpy(), "v": truth[chosen["t"]]})
            hit = own.merge(pv[["p", "v"]], on=["p", "v"], how="left", indicator=True)
            in_cand = truth >= 0
            in_cand[chosen["t"].to_numpy()] = (hit["_merge"] == "both").to_numpy()
            known_text[chosen["t"].to_numpy()] = kidx.table["pattern"].to_numpy()[chosen["p"]]
        else:
            links = known.merge(pv, on="p")
            links = links[links["mult"] >= links["m"]]
            cand = links.groupby(["t", "v"], sort=False).size().rename("hits").reset_index()
            cand = cand[cand["hits"].to_numpy() == n_known[cand["t"].to_numpy()]]
            rdeg = np.zeros(n_r, dtype=np.int64)
            np.add.at(rdeg, ridx.owner, ridx.multiplicity)
            kdeg = np.zeros(len(people), dtype=np.int64)
            np.add.at(kdeg, kidx.owner, kidx.multiplicity)
            kdeg = kdeg[targets]
            if neighborhood_match == "exact":
                cand = cand[rdeg[cand["v"].to_numpy()] == kdeg[cand["t"].to_numpy()]]
            # the empty known neighbourhood: everyone, or everyone without connections
            empty_pool = rdeg == 0 if neighborhood_match == "exact" else np.ones(n_r, bool)
            if scope == "combined":
                tv_t = cand["t"].to_numpy()
                tv_v = cand["v"].to_numpy()
                ok = np.ones(len(tv_t), dtype=bool)
                for c, m in enumerate(qm):
                    ok &= m.check(kq[tv_t, c], rq[tv_v, c])
                cand = cand[ok]
            sizes = np.bincount(cand["t"], minlength=n_t).astype(np.int64)
            own = pd.DataFrame({"t": np.arange(n_t), "v": truth})
            hit = own.merge(cand[["t", "v"]], on=["t", "v"], how="left", indicator=True)
            in_cand = (hit["_merge"] == "both").to_numpy().copy()
            empty = np.flatnonzero(~has_any)
            if len(empty):
                pool = np.flatnonzero(empty_pool)
                if scope == "combined":
                    sub = _qi_counts(qm, kq[empty], rq, pool)
                    sizes[empty] = sub
                else:
                    sizes[empty] = len(pool)
                ok = truth[empty] >= 0
                ok[ok] = empty_pool[truth[empty][ok]]
                if scope == "combined":
                    rows = empty[ok]
                    good = np.ones(len(rows), dtype=bool)
                    for c, m in enumerate(qm):
                        good &= m.check(kq[rows, c], rq[truth[rows], c])
                    ok[ok] = good
                in_cand[empty] = ok

    prob = np.where(in_cand & (sizes > 0), 1.0 / np.maximum(sizes, 1), 0.0)
    reid = in_cand & (sizes >= 1) & (sizes <= threshold)
    per_target = pd.DataFrame(
        {
            "target_id": target_ids,
            "n_candidates": sizes,
            "target_in_candidates": in_cand,
            "reidentified": reid,
            "success_probability": prob,
        }
    )
    if scope == "edge":
        per_target["known_pattern"] = known_text
    return LinkageAttackResult(
        scope=scope,
        success_rate=float(reid.mean()) if n_t else 0.0,
        expected_success=float(prob.mean()) if n_t else 0.0,
        n_targets=int(n_t),
        candidate_sizes=sizes,
        per_target=per_target,
        threshold=int(threshold),
    )


def _qi_counts(matchers, known, released, pool) -> np.ndarray:
    """Number of released people in ``pool`` consistent with each known QI row."""
    if len(known) == 0:
        return np.zeros(0, dtype=np.int64)
    sub = released[pool]
    ktup = pd.DataFrame(known).groupby(list(range(known.shape[1])), sort=False).ngroup()
    ktup = ktup.to_numpy()
    if len(sub) == 0:
        return np.zeros(len(known), dtype=np.int64)
    rtup = pd.DataFrame(sub).groupby(list(range(sub.shape[1])), sort=False).ngroup().to_numpy()
    kfirst = pd.Series(np.arange(len(known))).groupby(ktup).first().to_numpy()
    rfirst = pd.Series(np.arange(len(sub))).groupby(rtup).first().to_numpy()
    i, j = _consistent_pairs(known[kfirst], sub[rfirst], matchers)
    per_tuple = np.bincount(i, weights=np.bincount(rtup)[j], minlength=len(kfirst))
    return per_tuple[ktup].astype(np.int64)
