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

Everything is computed with sorted keys, CSR offsets and group-bys over distinct values,
patterns and distinct known neighbourhoods: no Python loop over people or connections and
no target x holder table.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from numbers import Integral
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from personatwin_sklearn._graph_features import (  # noqa: F401 (old import paths)
    _INTERVAL,
    NA,
    WILDCARD,
    _canon,
    _canon_codes,
    _canon_scalar,
    _intervals,
    _numeric_age,
)
from personatwin_sklearn._scoped import memoised, scoped_cache
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
        self.known_codes, k_uni = pd.factorize(known)
        if isinstance(released, tuple):  # already coded: :func:`_canon_codes`
            self.released_codes, r_uni = released
        else:
            self.released_codes, r_uni = pd.factorize(np.asarray(released, dtype=object))
        k_uni = np.asarray(k_uni, dtype=object)
        r_uni = np.asarray(r_uni, dtype=object)
        # one code per distinct label of either side (a single hashing pass)
        shared = pd.factorize(np.concatenate([k_uni, r_uni]))[0]
        self.k_shared, self.r_shared = shared[: len(k_uni)], shared[len(k_uni) :]
        self.k_uni, self.r_uni = k_uni, r_uni
        self.matrix = None
        self.r_gen = np.full(len(r_uni), -1, dtype=np.int64)
        if kind == "numeric":
            klo, khi = _intervals(k_uni)
            rlo, rhi = _intervals(r_uni)
            k_point = np.isnan(klo) | (klo == khi)
            r_point = np.isnan(rlo) | (rlo == rhi)
            is_set = np.array(["|" in str(label) for label in r_uni], dtype=bool)
            if k_point.all() and r_point.all() and not is_set.any():
                self.exact = True
                return
            overlap = (klo[:, None] <= rhi[None, :]) & (rlo[None, :] <= khi[:, None])
            same = k_uni[:, None] == r_uni[None, :]
            self.matrix = overlap | same | (r_uni == WILDCARD)[None, :]
            known_na = k_uni == NA
            for j in np.flatnonzero(is_set):  # a set of numbers or ranges: any member
                members = np.asarray(str(r_uni[j]).split("|"), dtype=object)
                plo, phi = _intervals(members)
                hit = (klo[:, None] <= phi[None, :]) & (plo[None, :] <= khi[:, None])
                # "<NA>" in the set covers a missing value
                self.matrix[:, j] = hit.any(axis=1) | (known_na & (members == NA).any())
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

    def density(self) -> float:
        """Share of (known value, generalised label) pairs that are consistent (computed
        once per matcher)."""
        if not hasattr(self, "_density"):
            self._density = float(self.matrix.mean())
        return self._density

    def hiding(self) -> tuple:
        """``(gi, g_order, g_start)``: the generalised labels hiding each known code, as
        CSR offsets over the matrix's non-zero cells (computed once per matcher)."""
        if not hasattr(self, "_hiding"):
            ki, gi = np.nonzero(self.matrix)
            g_order, g_start = _csr(ki, self.matrix.shape[0])
            self._hiding = (gi, g_order, g_start)
        return self._hiding

    def hidden(self) -> tuple:
        """``(ki, k_order, k_start)``: the known codes each generalised label hides, as
        CSR offsets (computed once per matcher)."""
        if not hasattr(self, "_hidden"):
            gi, ki = np.nonzero(self.matrix.T)
            k_order, k_start = _csr(gi, self.matrix.shape[1])
            self._hidden = (ki, k_order, k_start)
        return self._hidden

    def table(self):
        """Consistency of every (known code, released code) as one bool matrix (computed
        once per matcher; None when it would exceed 4M cells)."""
        if not hasattr(self, "_table"):
            n_k, n_r = len(self.k_uni), len(self.r_uni)
            self._table = None
            if n_k * n_r <= 1 << 22:
                kc = np.repeat(np.arange(n_k), n_r)
                rc = np.tile(np.arange(n_r), n_k)
                self._table = self.check(kc, rc).reshape(n_k, n_r)
        return self._table

    def check_loose(self, kc: np.ndarray, rc: np.ndarray) -> np.ndarray:
        """:meth:`check` for released codes that are all generalised labels (a shape
        group's loose column): one look-up in the matrix."""
        return self.matrix[kc, self.r_gen[rc]]

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
    codes.  Released rows whose cell is an exact value on some columns are joined on
    those columns with a merge on shared codes (a local recoding leaves most cells of a
    column exact: the released rows are split by which columns they hold exactly, so
    the cross product is only ever taken over rows generalised on every column); the
    other columns are checked on the joined pairs.  Returned sorted by (i, j).
    """
    n_k, n_r = known.shape[0], released.shape[0]
    if n_k == 0 or n_r == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    gen = np.column_stack([m.r_gen[released[:, c]] >= 0 for c, m in enumerate(matchers)])
    out_i, out_j = [], []
    # released rows grouped by the set of columns they hold exactly
    weights = np.left_shift(1, np.arange(gen.shape[1], dtype=np.int64))
    shape_codes = (gen.astype(np.int64) * weights).sum(axis=1)  # a bit per generalised column
    for s_code in np.unique(shape_codes):
        rows = np.flatnonzero(shape_codes == s_code)
        exact = [c for c in range(len(matchers)) if not gen[rows[0], c]]
        loose = [c for c in range(len(matchers)) if gen[rows[0], c]]
        i, j = _pairs_of(known, released, matchers, rows, exact, loose)
        out_i.append(i)
        out_j.append(j)
    # sorted by (i, j): one int64 key per pair (a sort of keys, not a lexsort of two)
    key = np.concatenate(out_i).astype(np.int64) * np.int64(n_r)
    key += np.concatenate(out_j)
    key.sort(kind="stable")  # runs of sorted keys: an adaptive sort
    return key // n_r, key % n_r


def _pairs_of(known, released, matchers, rows, exact, loose):
    """Consistent pairs with the released ``rows``, exact on ``exact``, generalised on
    ``loose`` (a sorted-key join on the exact columns and on the most selective
    generalised column, whose known values are expanded to the released labels that could
    hide them; chunks of the cross product when no column can be joined on)."""
    n_k = known.shape[0]
    expand = _expansion_column(matchers, loose)
    if exact or expand is not None:
        li = np.arange(n_k, dtype=np.int64)
        lcols = [matchers[c].k_shared[known[:, c]] for c in exact]
        rcols = [matchers[c].r_shared[released[rows, c]] for c in exact]
        sizes = [len(matchers[c].k_shared) + len(matchers[c].r_shared) for c in exact]
        rr = None  # released side expanded: position in ``rows`` of each right row
        if expand is not None:
            m = matchers[expand]
            gi, g_order, g_start = m.hiding()  # known code -> generalised labels hiding it
            ki, k_order, k_start = m.hidden()  # generalised label -> known codes it hides
            kc = known[:, expand]
            rg = m.r_gen[released[rows, expand]]
            left = g_start[kc + 1] - g_start[kc]
            right = k_start[rg + 1] - k_start[rg]
            if int(left.sum()) <= int(right.sum()):  # expand the known rows to labels
                li, k = _expand(left)
                lcols = [col[li] for col in lcols] + [gi[g_order[g_start[kc[li]] + k]]]
                rcols.append(rg)
                sizes.append(m.matrix.shape[1])
            else:  # fewer released rows: expand each to the known codes its label hides
                rr, k = _expand(right)
                rcols = [col[rr] for col in rcols] + [ki[k_order[k_start[rg[rr]] + k]]]
                lcols.append(kc)
                sizes.append(m.matrix.shape[0])
            loose = [c for c in loose if c != expand]
        a, b = _join(*_join_keys(lcols, rcols, sizes))
        i, j = li[a], rows[b if rr is None else rr[b]]
        for c in loose:  # each generalised column on the pairs still consistent
            keep = matchers[c].check_loose(known[i, c], released[j, c])
            i, j = i[keep], j[keep]
        return i, j
    out_i, out_j = [], []
    n_r = len(rows)
    step = max(1, _CHUNK_PAIRS // n_r)
    for start in range(0, n_k, step):  # chunks of known rows, not a loop over people
        block = np.arange(start, min(start + step, n_k))
        i = np.repeat(block, n_r)
        j = np.tile(rows, len(block))
        for c in loose:  # each generalised column on the pairs still consistent
            keep = matchers[c].check_loose(known[i, c], released[j, c])
            i, j = i[keep], j[keep]
        out_i.append(i)
        out_j.append(j)
    return np.concatenate(out_i), np.concatenate(out_j)


def _expansion_column(matchers, loose):
    """The generalised column to join on (the released rows of a shape group read every
    ``loose`` column through its matcher's table): the one whose known values are each
    hidden by the fewest generalised labels (None: none rules out half of them)."""
    best, density = None, 0.5
    for c in loose:
        m = matchers[c]
        if m.matrix is None or m.matrix.size == 0:
            continue
        share = m.density()
        if share < density:
            best, density = c, share
    return best


def _join_keys(lcols, rcols, sizes):
    """One int64 key per row from several code columns (mixed radix, recoded when the
    radix would overflow)."""
    lk = np.zeros(len(lcols[0]) if lcols else 0, dtype=np.int64)
    rk = np.zeros(len(rcols[0]) if rcols else 0, dtype=np.int64)
    bound = 1
    for lc, rc, size in zip(lcols, rcols, sizes):
        size = max(int(size), 1)
        if bound * size >= 2**62:
            _, inv = np.unique(np.r_[lk, rk], return_inverse=True)
            inv = inv.ravel()
            lk, rk, bound = inv[: len(lk)], inv[len(lk) :], int(inv.max()) + 1
        lk = lk * size + np.asarray(lc, dtype=np.int64)
        rk = rk * size + np.asarray(rc, dtype=np.int64)
        bound *= size
    return lk, rk


def _join(lk, rk):
    """Every (a, b) with ``lk[a] == rk[b]`` (a sort of ``rk``, then per left key the
    start and length of its run: a table over the key range when it is small, else a
    hash look-up of the distinct keys), sorted by ``a``."""
    order = np.argsort(rk, kind="stable")
    sorted_r = rk[order]
    if len(lk) == 0 or len(rk) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    top = int(max(lk.max(), sorted_r[-1])) + 1
    if min(int(lk.min()), int(sorted_r[0])) < 0:  # not codes: binary searches
        lo = np.searchsorted(sorted_r, lk, side="left")
        n = np.searchsorted(sorted_r, lk, side="right") - lo
    elif top <= 4 * (len(lk) + len(rk)) + 1024:
        counts = np.bincount(sorted_r, minlength=top)
        lo = (np.cumsum(counts) - counts)[lk]
        n = counts[lk]
    else:
        first = np.flatnonzero(np.r_[True, sorted_r[1:] != sorted_r[:-1]])
        bounds = np.r_[first, len(sorted_r)]
        at = pd.Index(sorted_r[first]).get_indexer(lk)
        hit = at >= 0
        lo = np.where(hit, bounds[at], 0)
        n = np.where(hit, bounds[np.minimum(at + 1, len(first))] - lo, 0)
    a, k = _expand(n)
    return a, order[lo[a] + k]


# ----------------------------------------------------------------------------- patterns
_PATTERN_CACHE: ContextVar[dict | None] = ContextVar("_PATTERN_CACHE", default=None)


@contextmanager
def _shared_patterns():
    """Within the block, linkage attacks reuse the pattern tables of data they already
    indexed (same object, signature and age bin): several scopes and several strips of
    one release recount the original's patterns once."""
    with scoped_cache(_PATTERN_CACHE):  # nested: the outer block's tables
        yield


def _patterns(key_data: SocialData, data: SocialData, sig, age_bin, text=True):
    """``compute_patterns(data, ...)``, cached on ``key_data`` inside :func:`_shared_patterns`
    (``data`` is ``key_data`` or its adversary view: the same rows and connections).
    ``text=False``: without the pattern text (the released side reads only the columns);
    a table with text serves both."""
    cache = _PATTERN_CACHE.get()
    if cache is None:
        return compute_patterns(data, sig, age_bin, _text=text)
    key = (id(key_data), tuple(sig), age_bin)
    if key in cache:
        return cache[key][1]
    bare = (*key, "bare")
    if not text and bare in cache:
        return cache[bare][1]
    index = compute_patterns(data, sig, age_bin, _text=text)
    cache[key if text else bare] = (key_data, index)  # holds key_data alive
    return index


def _cached(key, alive, compute):
    """``compute()``, memoised inside :func:`_shared_patterns` under ``key`` (built from
    ``id`` of the objects in ``alive``, which the cache keeps alive so no id is reused).
    Outside the block: computed every time."""
    return memoised(_PATTERN_CACHE, key, alive, compute)


def _is_cached(key) -> bool:
    """Is ``key`` memoised in the current :func:`_shared_patterns` block?"""
    cache = _PATTERN_CACHE.get()
    return cache is not None and key in cache


def _forget(data) -> None:
    """Drop the cached tables of ``data`` (a stripped release that will not be attacked
    again), so a grid of strips holds one at a time."""
    cache = _PATTERN_CACHE.get()
    if not cache:
        return
    for key in [k for k, v in cache.items() if any(o is data for o in _as_tuple(v[0]))]:
        del cache[key]


def _as_tuple(alive):
    return alive if isinstance(alive, tuple) else (alive,)


def _hier_key(hierarchies):
    return None if not hierarchies else id(hierarchies)


# ----------------------------------------------------------------------------- neighbourhoods
#: Largest number of expanded (candidate, released pattern, known pattern) rows per block.
_BLOCK_ROWS = 1_000_000
#: Largest holders table looked up through a hash index (beyond: binary searches).
_HASH_KEYS = 4_000_000
#: Known neighbourhoods with at most this many distinct patterns get the exact Hall check
#: (every subset) when a released pattern could serve two of them; larger ones get the
#: necessary conditions (each pattern, each connection type, the whole neighbourhood),
#: then, for the candidates that pass them, a maximum flow (exact too).
_HALL_EXACT = 8
#: ``enough`` x these: the holders of each group's rarest pattern drawn in the first
#: rounds of a count that stops at ``enough`` (then all of the groups still short).
_ENOUGH_ROUNDS = (4, 32)
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix(x: np.ndarray, salt: int) -> np.ndarray:
    """splitmix64 of ``x + salt``: a fixed pseudo-random 64-bit value per integer."""
    with np.errstate(over="ignore"):
        z = x.astype(np.uint64) + np.uint64(salt) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _unique(x: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an integer array (a sort: numpy >= 2.3's hash-based
    ``np.unique`` is an order of magnitude slower on large arrays of int64 keys)."""
    x = np.sort(np.asarray(x).ravel(), kind="stable")  # adaptive: often sorted runs
    if len(x) < 2:
        return x
    return x[np.r_[True, x[1:] != x[:-1]]]


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(item, k)`` for every item repeated ``counts[item]`` times, ``k`` = 0, 1, ..."""
    counts = np.asarray(counts, dtype=np.int64)
    item = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return item, np.arange(len(item), dtype=np.int64) - starts[item]


def _csr(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Stable order of ``keys`` and the start of each key 0..n in it."""
    keys = np.asarray(keys)
    order = np.argsort(keys, kind="stable")
    if len(keys) and keys.min() < 0:  # pragma: no cover (keys are row numbers)
        return order, np.searchsorted(keys[order], np.arange(n + 1))
    start = np.zeros(n + 1, dtype=np.int64)  # keys below each value: counts, summed
    np.cumsum(np.bincount(keys, minlength=n)[:n], out=start[1:])
    return order, start


#: Largest key range held as a bitmap by :class:`_KeySet` (bits: 2**28 is 32 MB).
_BITMAP_BITS = 1 << 28


class _KeySet:
    """Membership of non-negative int64 keys below ``bound`` in a fixed set: a bitmap when
    the range is small (one read per look-up), else a hash index (no binary search over
    a large sorted array per look-up)."""

    def __init__(self, keys: np.ndarray, bound: int):
        keys = np.asarray(keys, dtype=np.int64)
        if bound <= _BITMAP_BITS:
            self.bits = np.zeros((int(bound) + 7) // 8, dtype=np.uint8)
            np.bitwise_or.at(self.bits, keys >> 3, np.left_shift(1, keys & 7).astype(np.uint8))
            self.index = None
        else:
            self.bits = None
            self.index = pd.Index(_unique(keys))

    def has(self, query: np.ndarray) -> np.ndarray:
        """Bool per key of ``query``: is it in the set?"""
        query = np.asarray(query, dtype=np.int64)
        if self.bits is not None:
            return ((self.bits[query >> 3] >> (query & 7).astype(np.uint8)) & 1).astype(bool)
        return self.index.get_indexer(query) >= 0


def _group_neighborhoods(t, p, m, n_t, split=None):
    """Targets with the same known multiset of patterns share one group (and, with
    ``split``, the same value of it: one int per target).

    Returns ``group`` per target (-1 without patterns) and the groups' known rows
    ``(g, p, m)`` sorted by group (one representative target each)."""
    key = p.astype(np.int64) * np.int64(1_000_003) + m.astype(np.int64)
    with np.errstate(over="ignore"):
        h1 = np.bincount(t, minlength=n_t).astype(np.uint64)  # count, then 2 hash sums
        s1 = np.zeros(n_t, dtype=np.uint64)
        s2 = np.zeros(n_t, dtype=np.uint64)
        np.add.at(s1, t, _mix(key, 1))
        np.add.at(s2, t, _mix(key, 2))
    has = h1 > 0
    group = np.full(n_t, -1, dtype=np.int64)
    frame = pd.DataFrame({"a": h1[has], "b": s1[has], "c": s2[has]})
    if split is not None:
        frame["d"] = np.asarray(split, dtype=np.int64)[has]
    codes = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()
    group[has] = codes
    n_g = int(codes.max()) + 1 if len(codes) else 0
    rep = np.full(n_g, -1, dtype=np.int64)
    rep[codes[::-1]] = np.flatnonzero(has)[::-1]  # first target of each group
    rep_of_t = np.full(n_t, -1, dtype=np.int64)
    rep_of_t[rep] = np.arange(n_g)
    sel = rep_of_t[t] >= 0
    g = rep_of_t[t[sel]]
    order = np.lexsort((p[sel], g))
    return group, g[order], p[sel][order], m[sel][order], n_g


def _neighborhood_candidates(kidx, ridx, targets, pp, qq, ktypes, exact, n_r, holders=None,
                             split=None, keep_pair=None, enough=None):  # fmt: skip
    """Candidates of each target's known neighbourhood, in memory linear in the data.

    An injective assignment is required: the target's known connections must go to
    *distinct* released connections of the candidate, each consistent with the known
    pattern it stands for (Hall's condition for the bipartite b-matching, checked
    exactly: every subset for neighbourhoods of up to :data:`_HALL_EXACT` distinct
    patterns where a released pattern could stand for two known ones; beyond that the
    necessary counts per pattern, per connection type and in total, then a maximum
    flow for the candidates that pass them).  Candidates are generated from the holders of each
    group's rarest known pattern only, then checked pattern by pattern: the work is
    bounded by (distinct neighbourhoods) x (holders of their rarest pattern) x their
    size, not targets x holders.

    With ``split`` (one int per target) targets of one neighbourhood but different
    ``split`` values are kept apart, and ``keep_pair(split of the group, released person)``
    (bool per pair) drops candidates before any pattern is checked: the combined
    adversary's quasi-identifiers, applied first (far fewer pairs to check).

    With ``enough`` (an int) a group's candidates are drawn and checked in rounds (the
    first ``enough`` x :data:`_ENOUGH_ROUNDS` holders of its rarest pattern, then the
    rest) and a group stops once ``enough`` pass: its candidates are then some of them
    only (at least ``enough``), the others' all of them.  For a search that needs only
    the small candidate sets.

    Returns
    -------
    group : ndarray of int, per target (-1: no known pattern)
    cand_g, cand_v : ndarray of int
        The (group, released person) candidate pairs.
    n_g : int
    """
    n_t = len(targets)
    tpos = np.full(kidx.n_people, -1, dtype=np.int64)
    tpos[targets] = np.arange(n_t)
    sel = tpos[kidx.owner] >= 0
    t = tpos[kidx.owner[sel]]
    group, gg, gp, gm, n_g = _group_neighborhoods(
        t, kidx.pattern[sel].astype(np.int64), kidx.multiplicity[sel].astype(np.int64), n_t,
        split=split,
    )  # fmt: skip
    empty = np.zeros(0, dtype=np.int64)
    if n_g == 0:
        return group, empty, empty, 0
    split_g = None
    if keep_pair is not None:  # the split value of each group (shared by its targets)
        split_g = np.zeros(n_g, dtype=np.int64)
        split_g[group[group >= 0]] = np.asarray(split, dtype=np.int64)[group >= 0]
    n_q = len(ridx.table)
    n_pk = len(kidx.table)
    g_start = np.searchsorted(gg, np.arange(n_g + 1))
    n_pat = np.diff(g_start)
    local = np.arange(len(gg)) - g_start[gg]
    demand_total = np.bincount(gg, weights=gm, minlength=n_g)

    # released holders by pattern and patterns by holder
    r_owner = ridx.owner.astype(np.int64)
    r_pat = ridx.pattern.astype(np.int64)
    r_mult = ridx.multiplicity.astype(np.int64)
    q_order, q_start = _csr(r_pat, n_q)
    o_order, o_start = _csr(r_owner, n_r)
    holders_q = np.diff(q_start)
    # consistent (known p, released q) pairs: sorted keys and by-p CSR
    pp = np.asarray(pp, dtype=np.int64)
    qq = np.asarray(qq, dtype=np.int64)
    # the groups' known patterns, numbered 0.. for a compact (pattern, released) key set
    p_local = np.full(n_pk, -1, dtype=np.int64)
    used = _unique(gp)
    p_local[used] = np.arange(len(used))
    in_groups = p_local[pp] >= 0
    pair_set = _KeySet(p_local[pp[in_groups]] * n_q + qq[in_groups], len(used) * n_q)
    p_order, p_start = _csr(pp, n_pk)
    reach = np.bincount(pp, weights=holders_q[qq], minlength=n_pk)  # holders, upper bound
    if holders is not None:  # sorted by (p, v): each known pattern's holders are a slice
        h_p = holders["p"].to_numpy()
        h_v = holders["v"].to_numpy()
        h_mult = holders["mult"].to_numpy()
        h_start = np.searchsorted(h_p, np.arange(n_pk + 1))
        reach = np.diff(h_start)  # the exact number of holders

    # 1. candidates: holders of each group's rarest known pattern
    rank = np.lexsort((gp, reach[gp], gg))
    first = rank[g_start[:-1]]
    star = gp[first]
    rdeg = np.bincount(r_owner, weights=r_mult, minlength=n_r)
    supply = None
    if holders is not None:  # the holders table is sorted by (p, v): its keys are sorted
        h_key = np.array(holders["p"].to_numpy(), dtype=np.int64)  # a copy, then in place
        h_key *= np.int64(n_r)
        h_key += holders["v"].to_numpy()
        index = pd.Index(h_key) if len(h_key) <= _HASH_KEYS else None
        supply = (h_key, holders["mult"].to_numpy(), index)
    n_types = int(ktypes.max()) + 1 if len(ktypes) else 1
    gtype = ktypes[gp]
    demand_type = np.bincount(gg * n_types + gtype, weights=gm, minlength=n_g * n_types)

    def survive(cg, cv, c_mult):
        """Per (group, candidate) pair: can the candidate's released neighbourhood hold
        the group's known one?  (Its number of connections, each pattern's supply, then
        every known pattern against the candidate's released patterns: after the supply
        filter a one-pattern neighbourhood is decided, Hall's condition for one pattern
        being its supply.)  Each pair is decided on its own."""
        # the candidate's number of released connections: equal (exact), or at least
        # the known ones (Hall's condition for the whole neighbourhood: no look-up)
        ok = rdeg[cv] == demand_total[cg] if exact else rdeg[cv] >= demand_total[cg]
        if supply is not None and ok.any():
            idx = np.flatnonzero(ok)
            g, v = cg[idx], cv[idx]
            if c_mult is not None:  # one known pattern: its supply is the holder's mult
                mult = c_mult[idx]
                one = n_pat[g] == 1
                keep = np.ones(len(g), dtype=bool)
                keep[one] = mult[one] >= gm[g_start[g[one]]]
                more = np.flatnonzero(~one)
                keep[more] = _supply_filter(
                    g[more], v[more], supply, g_start, n_pat, gp, gm, n_r, star=first,
                    star_mult=mult[more],
                )  # fmt: skip
            else:
                keep = _supply_filter(g, v, supply, g_start, n_pat, gp, gm, n_r)
            ok[idx] = keep
        todo = np.flatnonzero(ok & (n_pat[cg] > 1)) if supply is not None else np.flatnonzero(ok)
        tg, tv = cg[todo], cv[todo]
        per_c = (o_start[tv + 1] - o_start[tv]) * n_pat[tg]  # expanded rows per candidate
        cum_c = np.cumsum(per_c)
        cuts = np.searchsorted(
            cum_c, np.arange(_BLOCK_ROWS, cum_c[-1] if len(cum_c) else 0, _BLOCK_ROWS)
        )
        bounds = np.unique(np.r_[0, cuts, len(tg)])
        for lo, hi_ in zip(bounds[:-1], bounds[1:]):  # blocks of candidates, bounded memory
            ok[todo[lo:hi_]] = _check_block(
                tg[lo:hi_], tv[lo:hi_], o_order, o_start, r_pat, r_mult, g_start, n_pat, gp,
                gm, local, gtype, n_types, demand_total, demand_type, pair_set, p_local, n_q,
            )  # fmt: skip
        return ok

    # chunks of groups, each bounded by the holders it expands to (a fan-out of 50,000
    # connections stays in bounded memory): generated, filtered and checked in turn;
    # the chunks follow the group order, so the pairs stay sorted by (group, person)
    cum = np.cumsum(reach[star])
    cuts = np.searchsorted(cum, np.arange(_BLOCK_ROWS, cum[-1] if len(cum) else 0, _BLOCK_ROWS))
    chunks = np.unique(np.r_[0, cuts, n_g])
    out_g, out_v = [], []
    keep = None
    if keep_pair is not None:

        def keep(cg, cv):
            return keep_pair(split_g[cg], cv)

    for g0, g1 in zip(chunks[:-1], chunks[1:]):
        if holders is None:  # every consistent holder of the rarest pattern, at once
            cg, cv = _draw_from_pairs(star[g0:g1], g0, (p_order, p_start, qq), (q_order, q_start),
                                      holders_q, r_owner, n_r, keep)  # fmt: skip
            ok = survive(cg, cv, None)
            cg, cv = cg[ok], cv[ok]
        else:
            cg, cv = _draw_from_holders(star[g0:g1], g0, reach, (h_start, h_v, h_mult), keep,
                                        survive, enough)  # fmt: skip
        out_g.append(cg)
        out_v.append(cv)
    return group, np.concatenate(out_g), np.concatenate(out_v), n_g


def _draw_from_pairs(sl, g0, p_csr, q_csr, holders_q, r_owner, n_r, keep) -> tuple:
    """Candidate pairs ``(group, released person)`` of the groups ``g0, g0 + 1, ...``
    whose rarest known patterns are ``sl``: every holder of a released pattern consistent
    with it (``p_csr``: the consistent pairs by known pattern; ``q_csr``: the released
    connections by pattern), then ``keep(cg, cv)`` (None: all)."""
    p_order, p_start, qq = p_csr
    q_order, q_start = q_csr
    gi, k = _expand(p_start[sl + 1] - p_start[sl])
    q = qq[p_order[p_start[sl[gi]] + k]]
    hi, k2 = _expand(holders_q[q])
    cand = _unique((gi[hi] + g0) * np.int64(n_r) + r_owner[q_order[q_start[q[hi]] + k2]])
    del gi, k, q, hi, k2
    cg, cv = cand // n_r, cand % n_r
    if keep is not None and len(cg):
        kept = keep(cg, cv)
        cg, cv = cg[kept], cv[kept]
    return cg, cv


def _draw_from_holders(sl, g0, reach, holders, keep, survive, enough) -> tuple:
    """The candidates ``(group, released person)`` of the groups ``g0, g0 + 1, ...``
    whose rarest known patterns are ``sl``: the holders of that pattern (``holders``:
    ``(start per pattern, person, multiplicity)`` sorted by pattern then person;
    ``reach``: holders per pattern), ``keep(cg, cv)``-filtered (None: all), then those
    ``survive(cg, cv, mult)`` passes.  With ``enough``, in rounds: each group's first
    holders, then more for the groups still short of ``enough`` candidates.  Sorted by
    (group, person)."""
    h_start, h_v, h_mult = holders
    size = reach[sl]
    taken = np.zeros(len(sl), dtype=np.int64)
    found = np.zeros(len(sl), dtype=np.int64)
    rounds = () if enough is None else tuple(enough * r for r in _ENOUGH_ROUNDS)
    parts_g, parts_v = [], []
    for cap in (*rounds, None):
        upto = size if cap is None else np.minimum(size, cap)
        more = np.where(found < (enough or 1), upto - taken, 0)
        gi, k = _expand(more)
        rows = h_start[sl[gi]] + taken[gi] + k
        cg, cv, c_mult = gi + g0, h_v[rows].astype(np.int64), h_mult[rows]
        del gi, k, rows
        taken += more
        if keep is not None and len(cg):
            kept = keep(cg, cv)
            cg, cv, c_mult = cg[kept], cv[kept], c_mult[kept]
        ok = survive(cg, cv, c_mult)
        parts_g.append(cg[ok])
        parts_v.append(cv[ok])
        if enough is None:
            break
        found += np.bincount(parts_g[-1] - g0, minlength=len(sl))
        if not ((found < enough) & (taken < size)).any():  # every group decided
            break
    cg, cv = np.concatenate(parts_g), np.concatenate(parts_v)
    if len(parts_g) > 1:  # the rounds' pairs, sorted by (group, person) again
        order = np.lexsort((cv, cg))
        cg, cv = cg[order], cv[order]
    return cg, cv


def _supply_filter(cg, cv, supply, g_start, n_pat, gp, gm, n_r, star=None,
                   star_mult=None) -> np.ndarray:  # fmt: skip
    """Per (group, candidate) pair: does the candidate hold, for each known pattern of the
    group, at least as many consistent released connections as the pattern's
    multiplicity?  (Necessary for Hall's condition; a sorted-key look-up per known
    pattern, in blocks, so the full check runs on far fewer pairs.)  ``star`` (the known
    row of each group the candidates were drawn from) and ``star_mult`` (per pair, the
    candidate's supply of it): that row is checked without a look-up."""
    # (p * n_r + v) of the holders table, sorted and distinct; their multiplicity; a hash
    # index of the keys (None: a table too large to index beside it)
    key, mult, index = supply
    if len(key) == 0:  # nobody holds a consistent pattern
        return np.zeros(len(cg), dtype=bool)
    out = np.ones(len(cg), dtype=bool)
    # a neighbourhood of one pattern held once is met: its candidates were drawn from
    # the holders of a pattern consistent with it (nothing to look up)
    todo = np.flatnonzero((n_pat[cg] > 1) | (gm[g_start[cg]] > 1))
    cg, cv = cg[todo], cv[todo]
    ok = np.ones(len(cg), dtype=bool)
    rows = n_pat[cg]
    if star is not None:  # the drawing row: its supply is known
        ok &= star_mult[todo] >= gm[star[cg]]
        rows = rows - 1
    cum = np.cumsum(rows)
    cuts = np.searchsorted(cum, np.arange(_BLOCK_ROWS, cum[-1] if len(cum) else 0, _BLOCK_ROWS))
    bounds = np.unique(np.r_[0, cuts, len(cg)])
    mult0 = np.r_[mult, 0] if index is not None else None  # position -1: not held, 0
    for lo, hi in zip(bounds[:-1], bounds[1:]):  # blocks of pairs, bounded memory
        ci, k = _expand(rows[lo:hi])
        g = cg[lo:hi][ci]
        j = g_start[g] + k
        if star is not None:  # skip the drawing row
            j += j >= star[g]
        want = gp[j] * np.int64(n_r) + cv[lo:hi][ci]
        if index is not None:  # a hash look-up
            have = mult0[index.get_indexer(want)]
        else:  # a large table: binary searches (no hash table beside it)
            pos = np.minimum(np.searchsorted(key, want), max(len(key) - 1, 0))
            have = np.where(key[pos] == want, mult[pos], 0)
        short = ci[have < gm[j]]  # the pairs short of some pattern
        ok[lo:hi] &= np.bincount(short, minlength=hi - lo) == 0
    out[todo] = ok
    return out


def _check_block(cg, cv, o_order, o_start, r_pat, r_mult, g_start, n_pat, gp, gm, local,
                 gtype, n_types, demand_total, demand_type, pair_set, p_local,
                 n_q):  # fmt: skip
    """Hall's condition for a block of (group, candidate) pairs: bool per pair."""
    n_c = len(cg)
    if n_c == 0:
        return np.zeros(0, dtype=bool)
    # rows (c, released pattern row) then x (known pattern of the group)
    ci, k = _expand(o_start[cv + 1] - o_start[cv])
    rrow = o_order[o_start[cv[ci]] + k]
    ri, k2 = _expand(n_pat[cg[ci]])
    c = ci[ri]
    j = g_start[cg[c]] + k2  # known row of the group
    hit = pair_set.has(p_local[gp[j]] * np.int64(n_q) + r_pat[rrow[ri]])
    ri, c, j = ri[hit], c[hit], j[hit]
    mult = r_mult[rrow[ri]].astype(float)
    # demand rows of the block: (c, i) for i < n_pat
    d_start = np.cumsum(n_pat[cg]) - n_pat[cg]
    supply = np.bincount(d_start[c] + local[j], weights=mult, minlength=int(n_pat[cg].sum()))
    dc, dk = _expand(n_pat[cg])
    short = supply < gm[g_start[cg[dc]] + dk]
    ok = np.bincount(dc, weights=short, minlength=n_c) == 0
    # a released row that could stand for two known patterns: overlapping supplies
    serves = np.bincount(ri, minlength=len(ci))
    if not (serves > 1).any():
        return ok  # disjoint supplies: each pattern's own count is Hall's condition
    # only candidates with an overlap and every pattern supplied need more (disjoint
    # supplies: each pattern's own count is Hall's condition, and implies the totals);
    # up to _HALL_EXACT patterns every subset is checked below (the whole set and each
    # type's patterns among them), beyond it the total and per-type counts
    overlap = np.bincount(ci, weights=serves > 1, minlength=n_c) > 0
    chk = np.flatnonzero(overlap & ok & (n_pat[cg] > _HALL_EXACT))
    if len(chk) == 0:
        return _hall_exact(overlap & ok & (n_pat[cg] <= _HALL_EXACT), ok, ci, ri, c, j,
                           dc, dk, rrow, r_mult, g_start, cg, gm, local, n_pat)  # fmt: skip
    in_chk = np.zeros(n_c, dtype=bool)
    in_chk[chk] = True
    rows_used = (serves > 0) & in_chk[ci]
    total = np.bincount(ci[rows_used], weights=r_mult[rrow[rows_used]], minlength=n_c)
    ok[chk] &= total[chk] >= demand_total[cg[chk]]
    h = in_chk[c]  # hit rows of those candidates
    tkey = ri[h] * np.int64(n_types) + gtype[j[h]]  # (released row, type) pairs, distinct
    if len(ci) * n_types <= 1 << 25:  # a mark per possible pair (<= 32 MB): no sort
        seen = np.zeros(len(ci) * n_types, dtype=bool)
        seen[tkey] = True
        tkey = np.flatnonzero(seen)
    else:
        tkey = _unique(tkey)
    t_ri, t_ty = tkey // n_types, tkey % n_types
    by_type = np.bincount(
        ci[t_ri] * n_types + t_ty, weights=r_mult[rrow[t_ri]], minlength=n_c * n_types
    )
    need = demand_type.reshape(-1, n_types)[cg[chk]]
    ok[chk] &= (by_type.reshape(n_c, n_types)[chk] >= need).all(axis=1)
    # the totals are necessary, not sufficient (twelve known partners of one gender, ten
    # released ones who can stand for them, other released ones of the other gender):
    # the candidates that pass them get the exact check, a maximum flow
    _hall_flow(chk[ok[chk]], ok, ci, ri, c, j, rrow, r_mult, g_start, cg, gm, local, n_pat,
               demand_total)  # fmt: skip
    small = overlap & ok & (n_pat[cg] <= _HALL_EXACT)
    return _hall_exact(small, ok, ci, ri, c, j, dc, dk, rrow, r_mult, g_start, cg, gm, local,
                       n_pat)  # fmt: skip


def _hall_flow(idx, ok, ci, ri, c, j, rrow, r_mult, g_start, cg, gm, local, n_pat,
               demand_total) -> None:  # fmt: skip
    """Exact Hall for the candidates ``idx`` of any size: one maximum flow over all of
    them (source -> each known pattern, its multiplicity; pattern -> each released
    connection that can stand for it; released connection -> sink, its multiplicity).
    The candidates are disjoint parts of one graph, so each one's flow is its own
    maximum b-matching; a candidate stays when it matches every known connection.
    ``ok`` is updated in place."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_flow

    if len(idx) == 0:
        return
    compact = np.full(len(ok), -1, dtype=np.int64)
    compact[idx] = np.arange(len(idx))
    kn = n_pat[cg[idx]]
    k_off = np.cumsum(kn) - kn
    n_known = int(kn.sum())
    rows = np.flatnonzero(compact[ci] >= 0)  # released connections of those candidates
    r_node = np.full(len(ci), -1, dtype=np.int64)
    r_node[rows] = np.arange(len(rows))
    source, sink, k0 = 0, 1, 2
    r0 = k0 + n_known
    ka, kk = _expand(kn)  # known nodes: (selected candidate, local pattern)
    k_need = gm[g_start[cg[idx[ka]]] + kk]
    hit = compact[c] >= 0
    h_from = k0 + k_off[compact[c[hit]]] + local[j[hit]]
    h_to = r0 + r_node[ri[hit]]
    src = np.r_[np.full(n_known, source), h_from, r0 + np.arange(len(rows))]
    dst = np.r_[k0 + np.arange(n_known), h_to, np.full(len(rows), sink)]
    cap = np.r_[k_need, gm[j[hit]], r_mult[rrow[rows]]].astype(np.int32)
    n_nodes = r0 + len(rows)
    graph = csr_matrix((cap, (src.astype(np.int32), dst.astype(np.int32))),
                       shape=(n_nodes, n_nodes))  # fmt: skip
    flow = maximum_flow(graph, source, sink).flow
    out = np.asarray(flow[source].toarray()).ravel()[k0:r0]  # per known node
    got = np.bincount(ka, weights=out, minlength=len(idx))
    ok[idx] &= got >= demand_total[cg[idx]]


def _hall_exact(small, ok, ci, ri, c, j, dc, dk, rrow, r_mult, g_start, cg, gm, local,
                n_pat) -> np.ndarray:  # fmt: skip
    """Exact Hall for small neighbourhoods with overlaps (``small``): every subset of
    known patterns; ``ok`` updated in place and returned."""
    n_c = len(ok)
    if small.any():
        sel = small[c]
        mask = np.zeros(len(ci), dtype=np.int64)
        np.bitwise_or.at(mask, ri[sel], np.left_shift(1, local[j[sel]]))
        rows = np.flatnonzero(small[ci] & (mask > 0))
        rc, rmask, rmult = ci[rows], mask[rows], r_mult[rrow[rows]]
        d_rows = np.flatnonzero(small[dc])
        ddc, dmask = dc[d_rows], np.left_shift(1, dk[d_rows])
        dneed = gm[g_start[cg[ddc]] + dk[d_rows]]
        width = n_pat[cg]
        for w in np.unique(width[small]):  # by width: 2**w - 1 subsets, on those pairs only
            idx = np.flatnonzero(small & (width == w))
            compact = np.full(n_c, -1, dtype=np.int64)
            compact[idx] = np.arange(len(idx))
            r_sel, d_sel = compact[rc] >= 0, compact[ddc] >= 0
            rc_w, rm_w, rmult_w = compact[rc[r_sel]], rmask[r_sel], rmult[r_sel]
            dc_w, dm_w, dn_w = compact[ddc[d_sel]], dmask[d_sel], dneed[d_sel]
            # every subset of two patterns or more (one pattern: its supply is in ``ok``),
            # as many at once as keep (rows x subsets) within a block
            subsets = np.arange(1, 1 << int(w), dtype=np.int64)
            subsets = subsets[(subsets & (subsets - 1)) != 0]
            good = np.ones(len(idx), dtype=bool)
            step = max(1, _BLOCK_ROWS // max(len(rc_w), len(dc_w), 1))
            for lo in range(0, len(subsets), step):  # blocks of subsets, not people
                sub = subsets[lo : lo + step]
                n_s = len(sub)
                cells = len(idx) * n_s
                sup = np.bincount(
                    (rc_w[:, None] * n_s + np.arange(n_s)).ravel(),
                    weights=(rmult_w[:, None] * ((rm_w[:, None] & sub) > 0)).ravel(),
                    minlength=cells,
                )
                dem = np.bincount(
                    (dc_w[:, None] * n_s + np.arange(n_s)).ravel(),
                    weights=(dn_w[:, None] * ((dm_w[:, None] & sub) > 0)).ravel(),
                    minlength=cells,
                )
                good &= (sup >= dem).reshape(len(idx), n_s).all(axis=1)
            ok[idx] &= good
    return ok


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


def _canon_of(frame: pd.DataFrame, col) -> tuple[np.ndarray, np.ndarray]:
    """``_canon(frame[col])`` and its distinct values, memoised inside
    :func:`_shared_patterns` (the input's columns and pattern table are read by every
    attack of a search)."""

    def compute():
        values = _canon(frame[col])
        return values, pd.unique(values)

    return _cached(("canon", id(frame), col), frame, compute)


def _qi_matchers(original, release, qis, targets, hierarchies):
    matchers = []
    for col in qis:
        true_col = original._people[col]
        domain, distinct = _canon_of(original._people, col)
        matchers.append(
            _ColumnMatcher(
                domain[targets],
                _canon_codes(release._people[col]),
                _column_kind(true_col, col, hierarchies),
                distinct,
                _hierarchy(hierarchies, col),
            )
        )
    known = np.column_stack([m.known_codes for m in matchers]).astype(np.int64)
    released = np.column_stack([m.released_codes for m in matchers]).astype(np.int64)
    return matchers, known, released


def _pattern_matchers(original, kidx, ridx, sig, hierarchies):
    """Matchers over the known (original) and released pattern tables."""
    ktab, rtab = kidx.table, ridx.table
    k_types, k_type_set = _canon_of(ktab, "connection_type")
    matchers = [
        _ColumnMatcher(k_types, _canon_codes(rtab["connection_type"]), "categorical", k_type_set)
    ]
    for col in sig:
        true_col = original._people[col]
        kind = "numeric" if col == "age" else _column_kind(true_col, col, hierarchies)
        matchers.append(
            _ColumnMatcher(
                _canon_of(ktab, f"partner_{col}")[0],
                _canon_codes(rtab[f"partner_{col}"]),
                kind,
                _canon_of(original._people, col)[1],
                _hierarchy(hierarchies, col),
            )
        )
    known = np.column_stack([m.known_codes for m in matchers]).astype(np.int64)
    released = np.column_stack([m.released_codes for m in matchers]).astype(np.int64)
    return matchers, known, released


def _holders(pairs_p, pairs_q, ridx) -> pd.DataFrame:
    """(p, v, mult): released people v holding patterns consistent with known pattern p,
    with the total multiplicity of those patterns; rows sorted by (p, v).  Sorted keys
    and CSR offsets, no join: rows = sum over consistent (p, q) of q's holders, made in
    chunks of known patterns (at most about :data:`_BLOCK_ROWS` rows at once)."""
    pairs_p = np.asarray(pairs_p, dtype=np.int64)
    pairs_q = np.asarray(pairs_q, dtype=np.int64)
    r_pat = np.asarray(ridx.pattern, dtype=np.int64)
    r_owner = np.asarray(ridx.owner, dtype=np.int64)
    r_mult = np.asarray(ridx.multiplicity, dtype=np.int64)
    n_q = len(ridx.table)
    n_v = int(r_owner.max()) + 1 if len(r_owner) else 1
    q_order, q_start = _csr(r_pat, n_q)
    # the pairs sorted by p (their order within a p does not matter: rows are summed)
    by_p = np.argsort(pairs_p, kind="stable")
    pairs_p, pairs_q = pairs_p[by_p], pairs_q[by_p]
    size = q_start[pairs_q + 1] - q_start[pairs_q]
    cum = np.cumsum(size)
    # chunk bounds on changes of p, so the chunks' (p, v) keys never overlap
    cuts = np.searchsorted(cum, np.arange(_BLOCK_ROWS, cum[-1] if len(cum) else 0, _BLOCK_ROWS))
    p_first = np.flatnonzero(np.r_[True, pairs_p[1:] != pairs_p[:-1]]) if len(pairs_p) else cuts
    cuts = p_first[np.minimum(np.searchsorted(p_first, cuts), len(p_first) - 1)]
    bounds = np.unique(np.r_[0, cuts, len(pairs_p)])
    ps, vs, ms = [], [], []
    # ids and multiplicities as int32 when they fit: the attacks keep this table
    ids = np.int32 if max(n_v, len(ridx.table)) < 2**31 else np.int64
    counts = np.int32 if len(r_mult) == 0 or int(r_mult.sum()) < 2**31 else np.int64
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        li, k = _expand(size[lo:hi])
        row = q_order[q_start[pairs_q[lo:hi][li]] + k]
        key = pairs_p[lo:hi][li] * np.int64(n_v) + r_owner[row]
        del li, k
        order = np.argsort(key, kind="stable")
        key, mult = key[order], r_mult[row][order]
        del order, row
        if len(key):
            starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
            key, mult = key[starts], np.add.reduceat(mult, starts)
        ps.append((key // n_v).astype(ids))
        vs.append((key % n_v).astype(ids))
        ms.append(mult.astype(counts))
        del key, mult
    out = {}
    for name, parts, dtype in (("p", ps, ids), ("v", vs, ids), ("mult", ms, counts)):
        out[name] = np.concatenate(parts) if parts else np.zeros(0, dtype)
        parts.clear()  # one column's chunks and its whole at a time
    return pd.DataFrame(out, copy=False)


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
        "candidate_pool": ["array-like", None],
        "random_state": ["random_state"],
        "target_ids": ["array-like", None],
        "count_up_to": [Interval(Integral, 1, None, closed="left"), None],
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
    candidate_pool=None,
    random_state=None,
    target_ids=None,
    count_up_to=None,
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

    Under generalised partner attributes or grouped connection types one released
    connection may be consistent with several known patterns; it still stands for only
    one of them: the target's known connections must go to *distinct* released
    connections of the candidate (Hall's condition of the bipartite matching, exact:
    every subset of up to 8 distinct known patterns, beyond that a maximum flow).
    Candidates are generated from the holders of the
    rarest known pattern of each distinct known neighbourhood and checked by sorted-key
    look-ups, so memory is linear in people + connections (a person with 50,000
    connections is handled).  A target without
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
    candidate_pool : array-like of bool of shape (n_release_people,), default=None
        The ranking adversary: only the released people marked True are considered
        (those that "look real": no twin household, no broken domain rule, a low
        detector score).  ``None``: everyone.
    random_state : int, RandomState instance or None, default=None
        Seed of the target sample and of ``known_pattern="random"``.
    target_ids : array-like of person ids, default=None
        Attack only these real people (with ``n_targets``, a sample of them); ids that
        are not real people of ``original`` are ignored.  ``None``: every real person.
    count_up_to : int, default=None
        Neighbourhood / combined scopes: count each target's candidates only up to this
        many, for a search that needs only the small candidate sets (the protection's
        repair of the people an attack narrows to a few).  A target with more gets
        ``n_candidates = count_up_to + 1`` and ``target_in_candidates = False`` (not
        looked for): the rates then count only the targets with at most
        ``count_up_to`` candidates.  The others are exact, and the cost falls with the
        candidate sets no longer listed in full.  ``None``: every count exact.  Not with
        ``candidate_pool``.

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
    targets = _attack_targets(original, target_ids, n_targets, rng)
    case = _attack_case(
        original, release, targets, scope, quasi_identifiers, signature, age_bin, hierarchies,
        candidate_pool, count_up_to,
    )  # fmt: skip
    known_text = None
    if scope == "qi":
        sizes, in_cand = _qi_scope(case)
    elif scope == "edge":
        sizes, in_cand, known_text = _edge_scope(case, known_pattern, rng)
    else:
        sizes, in_cand = _neighborhood_scope(case, scope, neighborhood_match, count_up_to)
    if case.pool is not None:
        pool, truth = case.pool, case.truth
        in_cand = in_cand & (truth >= 0) & pool[np.maximum(truth, 0)]
    if count_up_to is not None and scope in ("neighborhood", "combined"):
        more = sizes > count_up_to  # counted only up to count_up_to + 1
        sizes = np.where(more, count_up_to + 1, sizes)
        in_cand = in_cand & ~more
    return _linkage_result(case, scope, sizes, in_cand, known_text, threshold)


# ----------------------------------------------------------------------------- the scopes
@dataclass
class _QiKnowledge:
    """The combined and qi adversaries' quasi-identifiers: a matcher per column, the
    targets' known codes and the released codes, the targets' distinct known tuples
    (``ktup`` per target, ``kfirst`` a row of each) and the cache key of the tables."""

    matchers: list
    known: np.ndarray
    released: np.ndarray
    ktup: np.ndarray
    kfirst: np.ndarray
    key: tuple
    alive: tuple

    def tuple_pairs(self):
        """Consistent (known QI tuple, released QI tuple) pairs: every pool counts on
        them (made when a count over the QIs alone is asked for)."""
        return _cached(
            ("qi_tuples", *self.key),
            self.alive,
            lambda: _qi_tuple_pairs(self.matchers, self.known, self.released),
        )

    def consistent(self, rows, released_rows) -> np.ndarray:
        """Bool per target row of ``rows``: are its known QIs consistent with the
        released row ``released_rows`` (same length)?"""
        ok = np.ones(len(rows), dtype=bool)
        for c, m in enumerate(self.matchers):
            ok &= m.check(self.known[rows, c], self.released[released_rows, c])
        return ok

    def keep(self):
        """``keep(known tuple, released person)``: :func:`_qi_keep` of these QIs."""
        return _qi_keep(self.matchers, self.known, self.released, self.kfirst)


@dataclass
class _AttackCase:
    """What one linkage attack works on: the data and the adversary's view of the
    release, the targets (rows of ``original``), their ids and released rows
    (``truth``, -1: not released), the candidate pool, the adversary's columns and, for
    the qi and combined scopes, their quasi-identifier knowledge."""

    original: SocialData
    release: SocialData
    view: SocialData
    targets: np.ndarray
    target_ids: np.ndarray
    truth: np.ndarray
    pool: np.ndarray | None
    qis: list
    sig: tuple
    age_bin: int | None
    hierarchies: dict | None
    qi: _QiKnowledge | None

    @property
    def n_r(self) -> int:
        return len(self.view)

    @property
    def n_t(self) -> int:
        return len(self.targets)

    @property
    def t_key(self) -> bytes:
        return self.targets.tobytes()


def _attack_targets(original, target_ids, n_targets, rng) -> np.ndarray:
    """Rows of the real people attacked: those of ``target_ids`` (every real person when
    None), then a sorted sample of ``n_targets`` of them."""
    people = original._people
    real = np.flatnonzero(~original.is_synthetic)
    if target_ids is not None:  # only these real people
        ids = people[original.id_col].to_numpy()[real]
        real = real[np.isin(ids, np.asarray(target_ids))]
    if n_targets is not None:
        if n_targets > len(real):
            raise InvalidValueError(
                f"n_targets={n_targets} exceeds the {len(real)} real people of original; "
                "pass n_targets=None to attack all of them or a smaller sample."
            )
        real = np.sort(rng.choice(real, size=n_targets, replace=False))
    return real


def _attack_case(original, release, targets, scope, quasi_identifiers, signature, age_bin,
                 hierarchies, candidate_pool, count_up_to) -> _AttackCase:  # fmt: skip
    """Check the columns and the pool, and gather what every scope reads."""
    people = original._people
    target_ids = people[original.id_col].to_numpy()[targets]
    use_qi = scope in ("qi", "combined")
    qis = resolve_quasi_identifiers(people, quasi_identifiers) if use_qi else []
    sig = resolve_signature(original, signature) if scope != "qi" else ()
    _check_columns(release, [*qis, *sig], "release", "quasi_identifiers / signature")
    view = _adversary_view(release, [*qis, *sig])
    n_r = len(view)
    t_key = targets.tobytes()
    # each target's own released row (-1: not released); one hash of the ids per release
    truth = _cached(
        ("truth", id(original), id(release), t_key),
        (original, release),
        lambda: pd.Index(view._people[view.id_col]).get_indexer(pd.Index(target_ids)),
    )
    pool = None
    if candidate_pool is not None and count_up_to is not None:
        raise InvalidValueError(
            "candidate_pool needs every candidate: pass count_up_to=None with it (a count "
            "that stops early cannot be narrowed to a pool afterwards)."
        )
    if candidate_pool is not None:
        pool = np.asarray(candidate_pool, dtype=bool).ravel()
        if pool.shape != (n_r,):
            raise InvalidValueError(
                f"candidate_pool has {pool.size} value(s); the release has {n_r} people "
                "(pass one bool per released person, in row order)."
            )
    qi = None
    if use_qi:
        qi_key = (id(original), id(release), tuple(qis), t_key, _hier_key(hierarchies))
        qi_alive = (original, release, hierarchies)
        qm, kq, rq = _cached(
            ("qi", *qi_key),
            qi_alive,
            lambda: _qi_matchers(original, view, qis, targets, hierarchies),
        )
        # the targets' distinct known QI tuples (their first rows)
        ktup, kfirst = _cached(("qi_known", *qi_key), qi_alive, lambda: _tuples(kq))
        qi = _QiKnowledge(qm, kq, rq, ktup, kfirst, qi_key, qi_alive)
    return _AttackCase(
        original, release, view, targets, target_ids, truth, pool, qis, sig, age_bin,
        hierarchies, qi,
    )  # fmt: skip


def _qi_scope(case: _AttackCase) -> tuple[np.ndarray, np.ndarray]:
    """``(sizes, in_cand)`` of the qi adversary: released people whose QIs are consistent."""
    everyone = np.arange(case.n_r) if case.pool is None else np.flatnonzero(case.pool)
    sizes = _qi_counts(case.qi.tuple_pairs(), np.arange(case.n_t), everyone)
    in_cand = case.truth >= 0
    if in_cand.any():
        rows = np.flatnonzero(in_cand)
        in_cand[rows] = case.qi.consistent(rows, case.truth[rows])
    return sizes, in_cand


class _PatternTables(NamedTuple):
    """What the pattern scopes read: the original's (``kidx``) and the release's
    (``ridx``) pattern indexes, the cache ``key`` and the objects kept ``alive`` for the
    tables made from them, the consistent (known, released) pattern pairs ``pp, qq`` of
    the targets' patterns and the ``holders`` table of :func:`_holders`."""

    kidx: object
    ridx: object
    key: tuple
    alive: tuple
    pp: np.ndarray
    qq: np.ndarray
    holders: pd.DataFrame


def _pattern_tables(case: _AttackCase) -> _PatternTables:
    """The :class:`_PatternTables` of an attack case: the consistent pattern pairs of the
    targets' patterns only (a sample of targets costs in proportion to the sample, not to
    every known pattern: the rest are never looked up)."""
    original, release, sig, age_bin = case.original, case.release, case.sig, case.age_bin
    kidx = _patterns(original, original, sig, age_bin)
    ridx = _patterns(release, case.view, sig, age_bin, text=release is original)
    base_key = (
        id(original), id(release), tuple(sig), age_bin, _hier_key(case.hierarchies), case.t_key,
    )  # fmt: skip
    alive = (original, release, case.hierarchies)

    def pairs():
        pm, kp, rp = _pattern_matchers(original, kidx, ridx, sig, case.hierarchies)
        own = _unique(kidx.pattern[np.isin(kidx.owner, case.targets)].astype(np.int64))
        i, j = _consistent_pairs(kp[own], rp, pm)
        return own[i], j

    pp, qq = _cached(("pairs", *base_key), alive, pairs)
    holders = _cached(("holders", *base_key), alive, lambda: _holders(pp, qq, ridx))
    return _PatternTables(kidx, ridx, base_key, alive, pp, qq, holders)


def _edge_scope(case: _AttackCase, known_pattern, rng) -> tuple:
    """``(sizes, in_cand, known_text)`` of the edge adversary: the holders of one known
    pattern (the rarest in the release, or one drawn at random)."""
    tables = _pattern_tables(case)
    kidx, pv = tables.kidx, tables.holders
    pool, truth, n_r = case.pool, case.truth, case.n_r
    # the targets' known patterns: (t, p, m) with t the target's row in `targets`
    tpos = pd.Series(np.arange(case.n_t), index=case.targets)
    sel = np.isin(kidx.owner, case.targets)
    known = pd.DataFrame(
        {
            "t": tpos.loc[kidx.owner[sel]].to_numpy(),
            "p": kidx.pattern[sel],
            "m": kidx.multiplicity[sel],
        }
    )
    if pool is not None:
        pv = pv[pool[pv["v"].to_numpy()]]
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
    sizes = np.full(case.n_t, n_r if pool is None else int(pool.sum()), dtype=np.int64)
    sizes[chosen["t"].to_numpy()] = chosen["n"].to_numpy()
    # is (chosen pattern, own record) a holder?  pv is sorted by (p, v)
    pv_key = np.array(pv["p"].to_numpy(), dtype=np.int64)  # a copy, then in place
    pv_key *= np.int64(n_r)
    pv_key += pv["v"].to_numpy()
    own_v = truth[chosen["t"].to_numpy()]
    want = chosen["p"].to_numpy(np.int64) * np.int64(n_r) + np.maximum(own_v, 0)
    pos = np.minimum(np.searchsorted(pv_key, want), max(len(pv_key) - 1, 0))
    found = (own_v >= 0) & (pv_key[pos] == want) if len(pv_key) else own_v < -1
    in_cand = truth >= 0
    in_cand[chosen["t"].to_numpy()] = found
    known_text = np.full(case.n_t, None, dtype=object)
    known_text[chosen["t"].to_numpy()] = kidx.table["pattern"].to_numpy()[chosen["p"]]
    return sizes, in_cand, known_text


def _neighborhood_pairs(case: _AttackCase, tables: _PatternTables, scope, exact,
                        count_up_to) -> tuple:  # fmt: skip
    """``(group, cg, cv, n_g)`` of the neighbourhood or combined adversary: each target's
    group and the (group, released person) candidate pairs (:func:`_neighborhood_candidates`),
    from the cached tables when they are at hand."""
    kidx, ridx, base_key, alive, pp, qq, pv = tables
    targets, n_r, qi = case.targets, case.n_r, case.qi
    ktypes = pd.factorize(kidx.table["connection_type"].astype(str))[0]
    n_key = ("neighborhood", *base_key, exact)
    # the combined adversary alone (no neighbourhood candidates made yet): its
    # quasi-identifiers drop candidates before any pattern is checked; groups
    # are then (neighbourhood, known QI tuple), so a group's candidates are the
    # target's combined candidates (the same sets as filtering afterwards)
    c_key = ("combined", *base_key, exact, tuple(case.qis))
    # a count that stops early: only when no exact table is at hand (its own key)
    enough = None
    if count_up_to is not None and not _is_cached(n_key):
        if scope == "neighborhood" or not _is_cached(c_key):
            enough = count_up_to + 1
    if scope == "combined" and not _is_cached(n_key):
        return _cached(
            c_key if enough is None else (*c_key, "up to", enough),
            alive,
            lambda: _neighborhood_candidates(
                kidx, ridx, targets, pp, qq, ktypes, exact, n_r, holders=pv,
                split=qi.ktup, keep_pair=qi.keep(), enough=enough,
            ),
        )  # fmt: skip
    if enough is not None:  # the neighbourhood scope, counted up to enough
        return _cached(
            (*n_key, "up to", enough),
            alive,
            lambda: _neighborhood_candidates(
                kidx, ridx, targets, pp, qq, ktypes, exact, n_r, holders=pv, enough=enough
            ),
        )  # fmt: skip
    found = _cached(
        n_key,
        alive,
        lambda: _neighborhood_candidates(
            kidx, ridx, targets, pp, qq, ktypes, exact, n_r, holders=pv
        ),
    )
    if scope == "combined":  # split once by known QI tuple: every pool counts on the
        # same unit candidates
        found = _cached(c_key, alive, lambda: _split_candidates(qi.ktup, qi.keep(), *found))
    return found


def _neighborhood_scope(case: _AttackCase, scope, neighborhood_match, count_up_to) -> tuple:
    """``(sizes, in_cand)`` of the neighbourhood or combined adversary."""
    exact = neighborhood_match == "exact"
    tables = _pattern_tables(case)
    ridx = tables.ridx
    group, cg, cv, n_g = _neighborhood_pairs(case, tables, scope, exact, count_up_to)
    pool, truth, n_r = case.pool, case.truth, case.n_r
    if pool is not None:
        keep = pool[cv]
        cg, cv = cg[keep], cv[keep]
    t_has = group >= 0
    # is the target's own record a candidate of its group?
    member = cg * np.int64(max(n_r, 1)) + cv
    if len(member) > 1 and not (member[1:] > member[:-1]).all():  # made sorted
        member = _unique(member)
    tkey = group * np.int64(max(n_r, 1)) + truth
    pos = np.searchsorted(member, tkey)
    in_cand = (
        t_has
        & (truth >= 0)
        & (pos < len(member))
        & (member[np.minimum(pos, max(len(member) - 1, 0))] == tkey)
        if len(member)
        else np.zeros(case.n_t, dtype=bool)
    )
    # neighbourhood: the group's candidates; combined: the (group, QI tuple)
    # unit's, whose QIs were checked with the candidates (the target's own too)
    per_group = np.bincount(cg, minlength=max(n_g, 1))  # no group: one empty slot
    sizes = np.where(t_has, per_group[np.maximum(group, 0)], 0).astype(np.int64)
    empty = np.flatnonzero(~t_has)
    if len(empty):
        if exact:  # the empty known neighbourhood: everyone without connections
            rdeg = np.bincount(ridx.owner, weights=ridx.multiplicity, minlength=n_r)
            empty_pool = rdeg == 0
        else:  # everyone
            empty_pool = np.ones(n_r, bool)
        sizes[empty], in_cand[empty] = _without_neighborhood(case, scope, empty_pool, empty)
    return sizes, in_cand


def _without_neighborhood(case: _AttackCase, scope, empty_pool, empty) -> tuple:
    """``(sizes, in_cand)`` of the targets ``empty`` (no known connection): the released
    people of ``empty_pool`` (and of the pool), within the QIs for the combined scope."""
    pool, truth, qi = case.pool, case.truth, case.qi
    if pool is not None:
        empty_pool &= pool
    open_pool = np.flatnonzero(empty_pool)
    if scope == "combined" and _is_cached(("qi_tuples", *qi.key)):
        sizes = _qi_counts(qi.tuple_pairs(), empty, open_pool)
    elif scope == "combined":  # the tuple pairs of these targets only
        part = _cached(
            ("qi_tuples_of", *qi.key, empty.tobytes()),
            qi.alive,
            lambda: _qi_tuple_pairs(qi.matchers, qi.known[empty], qi.released),
        )
        sizes = _qi_counts(part, np.arange(len(empty)), open_pool)
    else:
        sizes = len(open_pool)
    ok = truth[empty] >= 0
    ok[ok] = empty_pool[truth[empty][ok]]
    if scope == "combined":
        rows = empty[ok]
        ok[ok] = qi.consistent(rows, truth[rows])
    return sizes, ok


def _linkage_result(case, scope, sizes, in_cand, known_text, threshold) -> LinkageAttackResult:
    """The attack's rates and per-target table."""
    n_t = case.n_t
    prob = np.where(in_cand & (sizes > 0), 1.0 / np.maximum(sizes, 1), 0.0)
    reid = in_cand & (sizes >= 1) & (sizes <= threshold)
    per_target = pd.DataFrame(
        {
            "target_id": case.target_ids,
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


def _qi_tuple_pairs(matchers, known, released) -> tuple:
    """The distinct known and released QI tuples and their consistent pairs.

    Returns ``(ktup, rtup, i, j, n_kt, n_rt)``: the tuple of each known and released
    row, the consistent (known tuple ``i``, released tuple ``j``) pairs and the numbers
    of tuples.  Counting candidates over a pool or a candidate set is then a bincount
    (computed once per release and targets, shared by every pool)."""
    ktup, kfirst = _tuples(known)
    rtup, rfirst = _tuples(released)
    i, j = _consistent_pairs(known[kfirst], released[rfirst], matchers)
    return ktup, rtup, i, j, len(kfirst), len(rfirst)


def _qi_counts(tuple_pairs, rows, pool) -> np.ndarray:
    """Number of released people in ``pool`` consistent with the QIs of each known row of
    ``rows`` (``tuple_pairs``: :func:`_qi_tuple_pairs`)."""
    ktup, rtup, i, j, n_kt, n_rt = tuple_pairs
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    per_rt = np.bincount(rtup[pool], minlength=n_rt)
    per_kt = np.bincount(i, weights=per_rt[j], minlength=n_kt)
    return per_kt[ktup[rows]].astype(np.int64)


def _split_candidates(ktup, keep_pair, group, cg, cv, n_g) -> tuple:
    """Neighbourhood candidates (``group`` per target, pairs sorted by (group, person))
    split by the targets' known QI tuples (``ktup``): ``(unit per target, pairs of each
    unit, number of units)`` with a unit's candidates those of its group whose released
    QIs are consistent with the unit's (``keep_pair(known tuple, released person)``; the
    combined candidates, sorted by (unit, person))."""
    n_kt = int(ktup.max()) + 1 if len(ktup) else 1
    unit = np.full(len(group), -1, dtype=np.int64)
    has = np.flatnonzero(group >= 0)
    empty = np.zeros(0, dtype=np.int64)
    if len(has) == 0:
        return unit, empty, empty, 0
    u, inv = np.unique(group[has] * np.int64(n_kt) + ktup[has], return_inverse=True)
    unit[has] = inv.ravel()
    ug, uk = u // n_kt, u % n_kt
    g_start = np.searchsorted(cg, np.arange(n_g + 1))
    size = g_start[ug + 1] - g_start[ug]
    cum = np.cumsum(size)
    cuts = np.searchsorted(cum, np.arange(_BLOCK_ROWS, cum[-1] if len(cum) else 0, _BLOCK_ROWS))
    bounds = np.unique(np.r_[0, cuts, len(u)])
    out_u, out_v = [], []
    for lo, hi in zip(bounds[:-1], bounds[1:]):  # blocks of units, bounded memory
        ui, k = _expand(size[lo:hi])
        ui += lo
        v = cv[g_start[ug[ui]] + k]
        ok = keep_pair(uk[ui], v)
        out_u.append(ui[ok])
        out_v.append(v[ok])
    return unit, np.concatenate(out_u), np.concatenate(out_v), len(u)


def _qi_keep(matchers, known, released, first):
    """``keep(known tuple, released person) -> bool``: are their QIs consistent?
    (``first``: a known row of each tuple; every column checked by its matcher, the
    columns that rule out most first.)"""
    kcols = [np.ascontiguousarray(known[first, c]) for c in range(known.shape[1])]
    rcols = [np.ascontiguousarray(released[:, c]) for c in range(released.shape[1])]
    order = sorted(
        range(len(matchers)),
        key=lambda c: matchers[c].density() if matchers[c].matrix is not None else 0.0,
    )

    def keep(kt, v):
        kt = np.asarray(kt, dtype=np.int64)
        v = np.asarray(v, dtype=np.int64)
        ok = np.ones(len(v), dtype=bool)
        for c in order:
            table = matchers[c].table()
            if table is not None:  # one look-up per pair
                ok &= table[kcols[c][kt], rcols[c][v]]
            else:
                ok &= matchers[c].check(kcols[c][kt], rcols[c][v])
        return ok

    return keep


def _tuples(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a code matrix: the tuple of each row (numbered in order of first
    appearance) and each tuple's first row.  One int64 key per row (mixed radix over the
    columns, renumbered when it would overflow), then a hash of the keys."""
    n = len(codes)
    if codes.shape[1] == 0 or n == 0:
        return np.zeros(n, dtype=np.int64), np.zeros(min(n, 1), np.int64)
    key = np.zeros(n, dtype=np.int64)
    bound = 1
    for c in range(codes.shape[1]):
        col = np.asarray(codes[:, c], dtype=np.int64)
        low = int(col.min())
        size = int(col.max()) - low + 1
        if bound * size >= 2**62:  # renumber the key so far: at most n values
            key = pd.factorize(key)[0].astype(np.int64)
            bound = int(key.max()) + 1
        key = key * size + (col - low)
        bound *= size
    tup = pd.factorize(key)[0].astype(np.int64)
    # numbered in order of appearance: a tuple's first row is where the running maximum
    # of the numbers grows
    first = np.flatnonzero(tup > np.maximum.accumulate(np.r_[-1, tup[:-1]]))
    return tup, first
