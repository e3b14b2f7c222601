"""Edge scope, plausible method: few synthetic connections that look like real ones.

A synthetic connection protects nobody once a detector can strip it (link-prediction
attacks find random fake edges with AUC near 1).  So this method

1. **counts patterns as the adversary does** (:mod:`._consistent`): a released age
   range that contains the true age is a match, so Mondrian's overlapping ranges
   already hide many patterns that the exact count calls rare;
2. **coarsens before it adds** (:mod:`._coarsen`): the partner's occupation (major
   group, suppressed), the partner's age (a band twice as wide) or the connection type
   (family types as one group) may be published coarser where additions cannot reach k;
   the release shows what was coarsened;
3. **adds only connections that fit the real ones** (:func:`plausible_round`):
   per-type cardinality (one spouse, two parents; other types at most the real 99th
   percentile), at most ``max_per_person`` synthetic connections per person (no hubs),
   the partner-end pattern already safe (no new rare pattern), and among candidate
   pairs (friends of friends, same zip code, anywhere) the one drawn with weight
   ``p_real(features) / p_candidates(features)`` over the features a detector reads:
   signed age gap, same zip / ethnicity, common neighbours, both ends' degrees and
   same-type degrees.  That importance weight makes the accepted pairs follow the real
   connections' feature distribution of the same type instead of standing out;
4. **stays within a budget** of synthetic connections (``max_synthetic_share`` of the
   released ones) and reports who is left short and why, instead of swamping the graph.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from personatwin_sklearn.connections._rounds import Additions, Snapshot, pair_keys, type_codes
from personatwin_sklearn.patterns._consistent import age_intervals

__all__ = ["plausible_round"]

_GAP_EDGES = np.arange(-60, 61, 5)
_DEG_EDGES = np.array([1, 2, 3, 4, 6, 9, 14, 22, 35, 60, 100, 200])
_CN_EDGES = np.array([0, 1, 2, 4, 8, 16, 32, 64])


# ----------------------------------------------------------------------------- features
def _bins(values, edges) -> np.ndarray:
    """Bin index (0..len(edges)) of each value; NaN gets its own last bin."""
    values = np.asarray(values, dtype=float)
    out = np.searchsorted(edges, values, side="right")
    return np.where(np.isnan(values), len(edges) + 1, out).astype(np.int64)


class _Graph:
    """Adjacency (CSR), degrees and per-type degrees of the current data."""

    def __init__(self, snap: Snapshot):
        self.snap = snap
        n = snap.n
        left, right = snap.data.edge_positions()
        self.left = np.asarray(left, np.int64)
        self.right = np.asarray(right, np.int64)
        u = np.r_[self.left, self.right]
        v = np.r_[self.right, self.left]
        adj = sp.csr_matrix((np.ones(len(u), dtype=np.float32), (u, v)), shape=(n, n))
        adj.sum_duplicates()
        adj.data[:] = 1.0
        self.adj = adj
        self.degree = np.diff(adj.indptr).astype(np.int64)
        # per (person, type seen from the person): counts, from the pattern view
        self.type_count = dict(snap.type_counts())  # count() may add empty types
        view = snap.view
        people = snap.data._people
        self.age_mid = np.full(n, np.nan)
        if "age" in people.columns:
            if pd.api.types.is_numeric_dtype(people["age"]):
                self.age_mid = people["age"].to_numpy(dtype=float, na_value=np.nan)
            else:  # generalised: the range's midpoint; wildcards unknown
                lo, hi = age_intervals(people["age"], snap.index.age_bin)
                self.age_mid = np.where((hi - lo) >= 100, np.nan, (lo + hi) / 2.0)
        self.zip = view.zip_code if view.zip is not None else None
        self.ethnicity = (
            pd.factorize(people["ethnicity"].astype(object))[0] if "ethnicity" in people else None
        )

    def count(self, t: int) -> np.ndarray:
        arr = self.type_count.get(int(t))
        if arr is None:
            arr = np.zeros(self.snap.n, dtype=np.int64)
            self.type_count[int(t)] = arr
        return arr

    def common(self, a, b) -> np.ndarray:
        if len(a) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self.adj[a].multiply(self.adj[b]).sum(axis=1)).ravel().astype(np.int64)

    def walk2(self, start, rng) -> np.ndarray:
        """A random neighbour of a random neighbour of each start (-1 where none)."""
        indptr, indices = self.adj.indptr, self.adj.indices
        out = np.full(len(start), -1, dtype=np.int64)
        deg = self.degree[start]
        ok = deg > 0
        mid = np.full(len(start), -1, dtype=np.int64)
        pick = indptr[start[ok]] + (rng.random_sample(int(ok.sum())) * deg[ok]).astype(np.int64)
        mid[ok] = indices[pick]
        ok2 = mid >= 0
        deg2 = np.where(ok2, self.degree[np.maximum(mid, 0)], 0)
        ok2 &= deg2 > 0
        m2 = mid[ok2]
        pick = indptr[m2] + (rng.random_sample(len(m2)) * deg2[ok2]).astype(np.int64)
        out[ok2] = indices[pick]
        return out

    def frequent_walk2(self, start, n_out, rng, n_walks=160) -> np.ndarray:
        """Per start, ``n_out`` people reached most often by ``n_walks`` two-step walks
        (ties at random; -1 where fewer were reached)."""
        n_walks = int(max(n_out, min(n_walks, _MAX_WALK_CELLS // max(len(start), 1))))
        ends = self.walk2(np.repeat(start, n_walks), rng).reshape(len(start), n_walks)
        row = np.repeat(np.arange(len(start), dtype=np.int64), n_walks)
        keys = row * (self.snap.n + 1) + (ends.ravel() + 1)
        uniq, counts = np.unique(keys, return_counts=True)
        u_row, u_end = uniq // (self.snap.n + 1), uniq % (self.snap.n + 1) - 1
        usable = (u_end >= 0) & (u_end != start[u_row])
        # already connected: not a candidate (the most reached are often friends already)
        usable[usable] = ~self.snap.has_edge(start[u_row[usable]], u_end[usable])
        counts = np.where(usable, counts, 0)
        # one int64 sort key: row, then most reached first, ties at random
        tie = rng.randint(0, 1024, size=len(uniq)).astype(np.int64)
        order = np.argsort((u_row * 256 + (255 - np.minimum(counts, 255))) * 1024 + tie)
        u_row, u_end = u_row[order], u_end[order]
        rank = np.arange(len(u_row)) - np.searchsorted(u_row, u_row, side="left")
        out = np.full((len(start), n_out), -1, dtype=np.int64)
        keep = rank < n_out
        out[u_row[keep], rank[keep]] = u_end[keep]
        return out

    def features(self, owner, partner, t, t_inv, *, added: bool) -> np.ndarray:
        """Binned features of connections ``owner -> partner`` (partner is owner's ``t``).

        ``added=False``: existing connections (their own degree counted); ``True``:
        hypothetical ones, as the release would show them once added.
        """
        plus = 1 if added else 0
        gap = self.age_mid[partner] - self.age_mid[owner]
        cols = [_bins(gap, _GAP_EDGES)]
        if self.zip is not None:
            cols.append((self.zip[owner] == self.zip[partner]).astype(np.int64))
        if self.ethnicity is not None:
            cols.append((self.ethnicity[owner] == self.ethnicity[partner]).astype(np.int64))
        cols.append(_bins(self.common(owner, partner), _CN_EDGES))
        cols.append(_bins(self.degree[owner] + plus, _DEG_EDGES))
        cols.append(_bins(self.degree[partner] + plus, _DEG_EDGES))
        cols.append(np.minimum(self.count(t)[owner] + plus, 4))
        cols.append(np.minimum(self.count(t_inv)[partner] + plus, 4))
        return np.column_stack(cols)


class _Model:
    """Per view type: smoothed histograms of the real connections' binned features."""

    def __init__(self, graph: _Graph, snap: Snapshot):
        real = ~snap.data._connections["is_synthetic"].to_numpy(bool)
        type_code = type_codes(snap.index, snap.data._connections["connection_type"])
        self.tables: dict[int, list] = {}
        owners, partners, types = [], [], []
        for flip in (False, True):
            a = graph.right if flip else graph.left
            b = graph.left if flip else graph.right
            t = snap.inverse[type_code] if flip else type_code
            owners.append(a[real])
            partners.append(b[real])
            types.append(t[real])
        self.owner = np.concatenate(owners)
        self.partner = np.concatenate(partners)
        self.type = np.concatenate(types)
        self.graph = graph
        self.snap = snap

    def log_density(self, t: int, feats: np.ndarray) -> np.ndarray:
        if t not in self.tables:
            rows = np.flatnonzero(self.type == t)
            if len(rows) > _MODEL_EDGES:  # a histogram needs a sample, not every connection
                rows = np.random.RandomState(t).choice(rows, _MODEL_EDGES, replace=False)
            real = self.graph.features(
                self.owner[rows], self.partner[rows], t, int(self.snap.inverse[t]), added=False
            )
            self.tables[t] = [_histogram(real[:, j]) for j in range(real.shape[1])]
        return sum(_lookup(self.tables[t][j], feats[:, j]) for j in range(feats.shape[1]))


def _histogram(values) -> tuple[np.ndarray, np.ndarray]:
    """Laplace-smoothed log frequencies of integer bins."""
    size = int(values.max()) + 2 if len(values) else 2
    counts = np.bincount(values, minlength=size).astype(float) + 0.5
    return np.log(counts / counts.sum()), np.log(0.5 / counts.sum())


def _lookup(hist, values) -> np.ndarray:
    table, floor = hist
    inside = values < len(table)
    return np.where(inside, table[np.minimum(values, len(table) - 1)], floor)


# ----------------------------------------------------------------------------- round
_N_PARTNERS = 16
_MAX_CANDIDATES = 600_000  # candidate pairs scored per round
_MAX_WALK_CELLS = 600_000  # two-step walks per round for the friends-of-friends draw
_MODEL_EDGES = 40_000  # real connections per type behind the feature histograms
_N_WALK, _N_ZIP, _N_ANY = 8, 1, 1


def _draw_owners(graph, snap, partner, n_partners, rng) -> np.ndarray:
    """The other end of each candidate connection (``partner``: slots x candidates):
    friends of friends of the partner (the most often reached first: many common
    neighbours, as the real connections of a dense social graph have), people of the
    partner's zip code, anyone."""
    m, n_c = partner.shape
    owner = np.empty_like(partner)
    cols = np.arange(n_c) % (_N_WALK + _N_ZIP + _N_ANY)
    walk = cols < _N_WALK
    zipc = (cols >= _N_WALK) & (cols < _N_WALK + _N_ZIP)
    starts = partner[:, :: n_c // n_partners]  # one column per distinct partner draw
    owner[:, walk] = graph.frequent_walk2(starts.ravel(), _N_WALK, rng).reshape(m, -1)
    if graph.zip is not None:
        order = np.argsort(graph.zip, kind="stable")
        zs = graph.zip[order]
        zp = graph.zip[partner[:, zipc].ravel()]
        zlo = np.searchsorted(zs, zp, side="left")
        zhi = np.searchsorted(zs, zp, side="right")
        pick = zlo + (rng.random_sample(len(zp)) * (zhi - zlo)).astype(np.int64)
        owner[:, zipc] = order[np.minimum(pick, snap.n - 1)].reshape(m, -1)
    else:
        owner[:, zipc] = rng.randint(snap.n, size=(m, int(zipc.sum())))
    anyc = ~walk & ~zipc
    owner[:, anyc] = rng.randint(snap.n, size=(m, int(anyc.sum())))
    return owner


def _plausibility(graph, snap, model, flat_o, flat_p, flat_t, valid) -> np.ndarray:
    """Per candidate connection: log density of its features under the real connections
    of its type, minus the log proposal density (-inf: not valid)."""
    score = np.full(len(flat_o), -np.inf)
    idx = np.flatnonzero(valid)
    if len(idx):
        for code in np.unique(flat_t[idx]):
            rows = idx[flat_t[idx] == code]
            feats = graph.features(flat_o[rows], flat_p[rows], int(code),
                                   int(snap.inverse[code]), added=True)  # fmt: skip
            proposal = [_histogram(feats[:, j]) for j in range(feats.shape[1])]
            log_q = sum(_lookup(proposal[j], feats[:, j]) for j in range(feats.shape[1]))
            score[rows] = model.log_density(int(code), feats) - log_q
    return score


def _distinct_within_caps(snap, graph, src, dst, code, kind, load, caps,
                          max_per_person) -> np.ndarray:  # fmt: skip
    """Which picks to keep: one new holder per (pattern, owner), one connection per pair,
    each person's load and each type's cap kept (several picks of one person for one type
    count together)."""
    keep = ~pd.Series(src * snap.n_patterns + code).duplicated().to_numpy()
    keep &= ~pd.Series(pair_keys(src, dst)).duplicated().to_numpy()
    idx = np.flatnonzero(keep)
    ends = np.concatenate([src[idx], dst[idx]])
    fits = load[ends] + pd.Series(ends).groupby(ends).cumcount().to_numpy() < max_per_person
    keep[idx] = fits[: len(idx)] & fits[len(idx) :]
    for tc in np.unique(kind[keep]):
        rows_t = np.flatnonzero(keep & (kind == tc))
        for ends_arr, type_idx in ((src, int(tc)), (dst, int(snap.inverse[tc]))):
            e = ends_arr[rows_t]
            rank = pd.Series(e).groupby(e).cumcount().to_numpy()
            ok = graph.count(type_idx)[e] + rank < caps[type_idx]
            keep[rows_t[~ok]] = False
    return keep


def plausible_round(
    snap: Snapshot,
    need: np.ndarray,
    pattern_k: np.ndarray,
    additions: Additions,
    rng,
    *,
    budget: int,
    caps: np.ndarray,
    load: np.ndarray,
    max_per_person: int,
    graph: _Graph | None = None,
) -> dict:
    """Plan up to ``budget`` plausible connections, each a new holder of a needy pattern.

    ``load`` (synthetic connections per person so far) is updated in place.
    """
    info = {"slots": int(need.sum()), "added": 0}
    if budget <= 0 or need.sum() == 0 or snap.n < 2:
        return info
    graph = graph if graph is not None else _Graph(snap)
    model = _Model(graph, snap)
    # cheapest patterns first: the most patterns completed within the budget
    codes = np.flatnonzero(need > 0)
    codes = codes[np.lexsort((rng.random_sample(len(codes)), need[codes]))]
    slot_code = np.repeat(codes, need[codes])[: int(budget) * 3]
    t = snap.raw[slot_code] // snap.span
    lo, hi = snap.group(snap.raw[slot_code] % snap.span)
    ok_group = hi > lo
    slot_code, t, lo, hi = slot_code[ok_group], t[ok_group], lo[ok_group], hi[ok_group]
    m = len(slot_code)
    if m == 0:
        return info
    # partners: members of the pattern's partner signature (fewer candidates per slot
    # when there are many slots: the cost stays linear in the data)
    n_partners = int(np.clip(_MAX_CANDIDATES // (m * (_N_WALK + _N_ZIP + _N_ANY)), 1, _N_PARTNERS))
    # an end of a real connection is a person drawn in proportion to their degree:
    # partners are drawn that way inside their signature group (cumulative degrees)
    weight = (graph.degree[snap.sig_order] + 1).astype(float)
    cum = np.r_[0.0, np.cumsum(weight)]
    v = rng.random_sample((m, n_partners))
    aim = cum[lo][:, None] + v * (cum[hi] - cum[lo])[:, None]
    pos = np.searchsorted(cum, aim, side="right") - 1
    pos = np.clip(pos, lo[:, None], np.maximum(hi - 1, lo)[:, None])
    partner = snap.sig_order[np.minimum(pos, snap.n - 1)]
    partner = np.repeat(partner, _N_WALK + _N_ZIP + _N_ANY, axis=1)
    flat_p = partner.ravel()
    n_c = partner.shape[1]
    owner = _draw_owners(graph, snap, partner, n_partners, rng)
    flat_o = owner.ravel()
    flat_code = np.repeat(slot_code, n_c)
    flat_t = np.repeat(t, n_c)
    flat_inv = snap.inverse[flat_t]
    valid = (flat_o >= 0) & (flat_o != flat_p)
    flat_o = np.maximum(flat_o, 0)
    valid &= ~snap.has_pattern(flat_o, flat_code)
    valid &= ~snap.has_edge(flat_o, flat_p)
    valid &= (load[flat_o] < max_per_person) & (load[flat_p] < max_per_person)
    # cardinality at both ends
    own_count = np.zeros(len(flat_o), dtype=np.int64)
    par_count = np.zeros(len(flat_o), dtype=np.int64)
    for code in np.unique(flat_t):
        rows = flat_t == code
        own_count[rows] = graph.count(code)[flat_o[rows]]
        inv = int(snap.inverse[code])
        par_count[rows] = graph.count(inv)[flat_p[rows]]
    valid &= (own_count < caps[flat_t]) & (par_count < caps[flat_inv])
    # the partner end's pattern (inverse type, owner's signature) must already be safe
    q_code = snap.code_of(flat_inv * snap.span + snap.sig[flat_o])
    valid &= (q_code >= 0) & (pattern_k[np.maximum(q_code, 0)] >= snap.target)
    score = _plausibility(graph, snap, model, flat_o, flat_p, flat_t, valid)
    gumbel = -np.log(-np.log(rng.random_sample(len(score)) + 1e-300) + 1e-300)
    score = (score + gumbel).reshape(m, n_c)
    best = np.argmax(score, axis=1)
    rows = np.arange(m)
    chosen = np.isfinite(score[rows, best])
    src = owner[rows, best][chosen]
    dst = partner[rows, best][chosen]
    code = slot_code[chosen]
    kind = t[chosen]
    keep = _distinct_within_caps(snap, graph, src, dst, code, kind, load, caps, max_per_person)
    # budget and per-pattern need (never more holders than needed)
    rank = pd.Series(code).groupby(code).cumcount().to_numpy()
    keep &= rank < need[code]
    keep &= np.cumsum(keep) <= budget
    src, dst, kind = src[keep], dst[keep], kind[keep]
    if len(src):
        additions.link(src, dst, kind)
        np.add.at(load, src, 1)
        np.add.at(load, dst, 1)
    info["added"] = int(len(src))
    return info
