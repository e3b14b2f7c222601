"""Vectorised multidimensional Mondrian partitioning (LeFevre, DeWitt & Ramakrishnan, ICDE 2006).

The partition is built level by level: every open region of a level is cut at once with
numpy sorts and ``searchsorted``; there is no Python loop over rows or regions.  A region is
cut on its widest quasi-identifier (normalised range) at the median, *strictly*: equal values
stay on one side, so the cuts form a decision tree that routes any row — the rows seen in
``fit`` and new ones — to one region.  A cut is allowed only when both sides keep at least
``k`` rows; when the widest dimension has no allowed cut the next widest is tried.

With a suppression budget, a region that cannot be cut may shed an outlying tail (an
extreme tie block of fewer than ``k`` rows whose removal at least halves the region's width);
the tail becomes a suppressed leaf.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Tree", "build_tree", "pair_codes", "route"]


@dataclass
class Tree:
    """A Mondrian partition as a binary tree over integer codes.

    Internal node ``i`` sends a row left when ``codes[:, feature[i]] <= threshold[i]``.
    Leaves have ``feature == -1``; suppressed leaves are flagged in ``suppressed``.
    """

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    suppressed: np.ndarray

    @property
    def n_nodes(self) -> int:
        return len(self.feature)

    @property
    def leaves(self) -> np.ndarray:
        return np.flatnonzero(self.feature < 0)


def _group_starts(sorted_ids: np.ndarray) -> np.ndarray:
    if len(sorted_ids) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])


def _median_cuts(keys, nodes, U, k):
    """Best strict median cut for each node, given sorted ``node * U + code`` keys."""
    base = nodes * U
    start = np.searchsorted(keys, base, "left")
    end = np.searchsorted(keys, base + U, "left")
    size = end - start
    cm = keys[start + size // 2] - base
    a = np.searchsorted(keys, base + cm, "left")
    b = np.searchsorted(keys, base + cm, "right")
    left_a, right_a = a - start, end - a
    left_b, right_b = b - start, end - b
    ok_a = (left_a >= k) & (right_a >= k)
    ok_b = (left_b >= k) & (right_b >= k)
    use_b = ok_b & (~ok_a | (np.minimum(left_b, right_b) >= np.minimum(left_a, right_a)))
    ok = ok_a | ok_b
    threshold = np.where(use_b, cm, cm - 1)
    return ok, threshold


def _widest_cuts(sub, ci, sizes, width, order, U, k) -> tuple[np.ndarray, np.ndarray]:
    """Per open region (``sizes >= 2k``), the widest dimension with a median cut that
    leaves ``k`` rows on each side, tried in order of width: ``(dimension, threshold)``
    per region (-1: no cut)."""
    m, d = width.shape
    cut_dim = np.full(m, -1, dtype=np.int64)
    cut_thr = np.zeros(m, dtype=np.int64)
    open_ = sizes >= 2 * k
    for r in range(d):
        dim_r = order[:, r]
        try_ = open_ & (cut_dim < 0) & (width[np.arange(m), dim_r] > 0)
        if not try_.any():
            break
        rows = try_[ci]
        keys = np.sort(ci[rows] * U + sub[rows, dim_r[ci[rows]]])
        nodes = np.flatnonzero(try_)
        ok, thr = _median_cuts(keys, nodes, U, k)
        cut_dim[nodes[ok]] = dim_r[nodes[ok]]
        cut_thr[nodes[ok]] = thr[ok]
    return cut_dim, cut_thr


def build_tree(codes: np.ndarray, pos: list[np.ndarray], k: int, budget: int = 0):
    """Partition ``codes`` (n x d integer codes) into regions of at least ``k`` rows.

    Parameters
    ----------
    codes : ndarray of shape (n, d)
        Ordered integer codes of each quasi-identifier (0 .. u_j - 1).
    pos : list of ndarray
        For each dimension, the normalised position in [0, 1] of each code; the width of a
        region on dimension j is ``pos[j][max code] - pos[j][min code]``.
    k : int
        Minimum rows per region.
    budget : int, default=0
        Rows that may be suppressed.

    Returns
    -------
    tree : Tree
    leaf_of_row : ndarray of shape (n,)
    """
    n, d = codes.shape
    U = int(codes.max(initial=0)) + 2
    cap = 2 * n + 1  # a binary tree with at most n leaves
    feature = np.full(cap, -1, dtype=np.int64)
    threshold = np.full(cap, -1, dtype=np.int64)
    left = np.full(cap, -1, dtype=np.int64)
    right = np.full(cap, -1, dtype=np.int64)
    suppressed = np.zeros(cap, dtype=bool)
    n_nodes = 1
    leaf_of_row = np.full(n, -1, dtype=np.int64)
    offsets = np.r_[0, np.cumsum([len(p) for p in pos])[:-1]].astype(np.int64)
    flat_pos = np.concatenate(pos) if d else np.zeros(0)

    act = np.arange(n)  # rows still in open regions, sorted by ci
    ci = np.zeros(n, dtype=np.int64)  # compact region id of each active row
    gid = np.zeros(1, dtype=np.int64)  # tree id of each compact region
    remaining = int(budget)

    while len(act):
        sub = codes[act]
        starts = _group_starts(ci)
        m = len(starts)
        sizes = np.diff(np.r_[starts, len(act)])
        mins = np.minimum.reduceat(sub, starts, axis=0)
        maxs = np.maximum.reduceat(sub, starts, axis=0)
        width = flat_pos[offsets + maxs] - flat_pos[offsets + mins]
        order = np.argsort(-width, axis=1, kind="stable")

        cut_dim, cut_thr = _widest_cuts(sub, ci, sizes, width, order, U, k)
        cut_supp = np.zeros(m, dtype=np.int8)  # 0 none, 1 left suppressed, 2 right suppressed

        if remaining > 0:
            remaining = _trim_outliers(
                sub, ci, sizes, width, order, (cut_dim, cut_thr, cut_supp),
                flat_pos, offsets, mins, maxs, U, k, remaining,
            )  # fmt: skip

        # Regions without a cut become leaves.
        done = cut_dim < 0
        done_rows = done[ci]
        leaf_of_row[act[done_rows]] = gid[ci[done_rows]]
        cut = np.flatnonzero(~done)
        if len(cut) == 0:
            break

        child_left = n_nodes + 2 * np.arange(len(cut))
        n_nodes += 2 * len(cut)
        parents = gid[cut]
        feature[parents] = cut_dim[cut]
        threshold[parents] = cut_thr[cut]
        left[parents] = child_left
        right[parents] = child_left + 1
        supp = cut_supp[cut]
        suppressed[child_left[supp == 1]] = True
        suppressed[child_left[supp == 2] + 1] = True

        # Route the active rows of cut regions to the children.
        keep = ~done_rows
        act, ci_k = act[keep], ci[keep]
        rank = np.full(m, -1, dtype=np.int64)
        rank[cut] = np.arange(len(cut))
        go_right = codes[act, cut_dim[ci_k]] > cut_thr[ci_k]
        child = child_left[rank[ci_k]] + go_right
        is_supp = suppressed[child]
        leaf_of_row[act[is_supp]] = child[is_supp]
        act, child = act[~is_supp], child[~is_supp]
        srt = np.argsort(child, kind="stable")
        act, child = act[srt], child[srt]
        gid, ci = np.unique(child, return_inverse=True)

    tree = Tree(
        feature=feature[:n_nodes].copy(),
        threshold=threshold[:n_nodes].copy(),
        left=left[:n_nodes].copy(),
        right=right[:n_nodes].copy(),
        suppressed=suppressed[:n_nodes].copy(),
    )
    return tree, leaf_of_row


def _trim_outliers(
    sub, ci, sizes, width, order, cuts, flat_pos, offsets, mins, maxs, U, k, budget
):
    """Cut an extreme tie block (< k rows) off regions that could not be cut otherwise."""
    cut_dim, cut_thr, cut_supp = cuts
    m = len(sizes)
    dim0 = order[:, 0]
    cand = (cut_dim < 0) & (sizes > k) & (width[np.arange(m), dim0] > 0)
    if not cand.any():
        return budget
    nodes = np.flatnonzero(cand)
    rows = cand[ci]
    keys = np.sort(ci[rows] * U + sub[rows, dim0[ci[rows]]])
    base = nodes * U
    start = np.searchsorted(keys, base, "left")
    end = np.searchsorted(keys, base + U, "left")
    dim = dim0[nodes]
    lo_code = mins[nodes, dim]
    hi_code = maxs[nodes, dim]
    lo_block = np.searchsorted(keys, base + lo_code, "right") - start
    hi_block = end - np.searchsorted(keys, base + hi_code, "left")
    # The next code inside the region after the low block / before the high block.
    next_lo = keys[np.minimum(start + lo_block, len(keys) - 1)] - base
    prev_hi = keys[np.maximum(end - hi_block - 1, 0)] - base
    at = offsets[dim]
    gain_lo = flat_pos[at + next_lo] - flat_pos[at + lo_code]
    gain_hi = flat_pos[at + hi_code] - flat_pos[at + prev_hi]
    size = sizes[nodes]
    half = 0.5 * width[nodes, dim]
    ok_lo = (lo_block < k) & (size - lo_block >= k) & (gain_lo >= half)
    ok_hi = (hi_block < k) & (size - hi_block >= k) & (gain_hi >= half)
    use_lo = ok_lo & (~ok_hi | (gain_lo / lo_block >= gain_hi / hi_block))
    tail = np.where(use_lo, lo_block, hi_block)
    gain = np.where(use_lo, gain_lo, gain_hi)
    ok = ok_lo | ok_hi
    if not ok.any():
        return budget
    idx = np.flatnonzero(ok)
    idx = idx[np.argsort(-gain[idx] / tail[idx], kind="stable")]
    take = idx[np.cumsum(tail[idx]) <= budget]
    if len(take) == 0:
        return budget
    node = nodes[take]
    cut_dim[node] = dim[take]
    cut_thr[node] = np.where(use_lo[take], lo_code[take], prev_hi[take])
    cut_supp[node] = np.where(use_lo[take], 1, 2)
    return budget - int(tail[take].sum())


def route(tree: Tree, codes: np.ndarray) -> np.ndarray:
    """Leaf of each row of ``codes`` (n x d) in ``tree`` (vectorised, one step per level)."""
    node = np.zeros(len(codes), dtype=np.int64)
    idx = np.flatnonzero(tree.feature[node] >= 0)
    while len(idx):
        current = node[idx]
        f = tree.feature[current]
        go_left = codes[idx, f] <= tree.threshold[current]
        node[idx] = np.where(go_left, tree.left[current], tree.right[current])
        idx = idx[tree.feature[node[idx]] >= 0]
    return node


def pair_codes(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of the distinct ``(lo, hi)`` integer pairs and the pairs themselves.

    One integer key per pair (no tuple per row, as a pandas MultiIndex factorize would
    make): ``codes`` index ``(lo_unique, hi_unique)``, which are sorted by ``(lo, hi)``.
    """
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    if not len(lo):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    base_lo, base_hi = lo.min(), hi.min()
    span = int(hi.max() - base_hi) + 1
    key = (lo - base_lo) * span + (hi - base_hi)
    uniq, first, codes = np.unique(key, return_index=True, return_inverse=True)
    return codes.ravel(), lo[first], hi[first]
