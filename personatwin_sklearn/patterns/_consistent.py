"""Pattern k as the adversary counts it: consistent matching of generalised values.

An adversary who knows a target's true connection ("a spouse who is a 42-year-old
woman") lists every released person holding a pattern *consistent* with it: same
connection type, same partner values, and a released partner age (``"40-44"``,
``"39-58"``, ``"*"``) that contains the true age.  With Mondrian generalisation the
released age ranges overlap, so this count is larger than the exact-match count of
:func:`~personatwin_sklearn.patterns.compute_patterns` (which stays a lower bound).

The generator only sees the released values, not the true age, so it takes the worst
case over the ages the released range allows: the consistent k of a person's pattern
is ``min over a in [lo, hi] of cover(type, other values, a)``, where ``cover`` counts the
distinct people holding a pattern of that type and values whose released age range
contains ``a``.  Everything is vectorised: intervals of one (person, type, values) are
merged with a grouped running maximum, covers are difference arrays over ages, and
the range minimum is a sparse table.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["AGE_MAX", "age_intervals", "connection_consistent_k", "consistent_pattern_k"]

#: Ages are clipped to 0..AGE_MAX for the cover arrays (a wildcard covers all of them).
AGE_MAX = 120
_NUMBER = r"-?\d+(?:\.\d+)?"
_RANGE = re.compile(rf"^\s*\[?\s*({_NUMBER})\s*(?:(?:-|,)\s*({_NUMBER})\s*)?\]?\s*$")
#: Above this many cover cells (value groups x ages) the exact-match count is used.
_MAX_CELLS = 8_000_000


def _label_intervals(labels) -> tuple[np.ndarray, np.ndarray]:
    """Closed integer intervals of distinct age labels (``"*"``/unparsed: everything)."""
    lo = np.zeros(len(labels), dtype=np.int64)
    hi = np.full(len(labels), AGE_MAX, dtype=np.int64)
    for i, label in enumerate(labels):  # distinct labels only
        match = _RANGE.match(str(label))
        if match:
            a = float(match.group(1))
            b = float(match.group(2)) if match.group(2) is not None else a
            lo[i] = int(np.clip(np.floor(a), 0, AGE_MAX))
            hi[i] = int(np.clip(np.ceil(b), 0, AGE_MAX))
    hi = np.maximum(hi, lo)
    return lo, hi


def age_intervals(values, age_bin) -> tuple[np.ndarray, np.ndarray]:
    """Released age of each value as a closed interval of whole years.

    Numeric ages are their ``age_bin`` bucket (the pattern's own resolution); text
    ranges (``"40-44"``, ``"[40, 44]"``) are themselves; ``"*"``, missing and unparsed
    values are ``[0, AGE_MAX]``.
    """
    series = pd.Series(values)
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        age = series.to_numpy(dtype=float, na_value=np.nan)
        width = age_bin if age_bin and age_bin > 1 else 1
        start = np.floor(age / width) * width
        lo = np.where(np.isnan(start), 0, np.clip(start, 0, AGE_MAX)).astype(np.int64)
        hi = np.where(np.isnan(start), AGE_MAX, np.clip(start + width - 1, 0, AGE_MAX))
        return lo, np.maximum(hi.astype(np.int64), lo)
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    lo_u, hi_u = _label_intervals(np.asarray(uniques, dtype=object))
    lo = np.where(codes >= 0, lo_u[np.maximum(codes, 0)], 0)
    hi = np.where(codes >= 0, hi_u[np.maximum(codes, 0)], AGE_MAX)
    return lo.astype(np.int64), hi.astype(np.int64)


def _pattern_parts(index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pattern code: group of (type, non-age values), age interval [lo, hi]."""
    table = index.table
    n_patterns = len(table)
    keys = ["connection_type"] + [f"partner_{c}" for c in index.signature if c != "age"]
    if n_patterns == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    group = table.groupby(keys, sort=False, dropna=False).ngroup().to_numpy(np.int64)
    if "age" in index.signature:
        labels = table["partner_age"]
        lo, hi = age_intervals(labels.astype(object), None)
    else:
        lo = np.zeros(n_patterns, dtype=np.int64)
        hi = np.full(n_patterns, AGE_MAX, dtype=np.int64)
    return group, lo, hi


def _disjoint(group, lo, hi) -> bool:
    """Whether the age intervals of the patterns of each group never overlap."""
    if len(group) < 2:
        return True
    order = np.lexsort((lo, group))
    g, a, b = group[order], lo[order], hi[order]
    same = g[1:] == g[:-1]
    return not bool((same & (a[1:] <= b[:-1])).any())


def consistent_pattern_k(index) -> tuple[np.ndarray, np.ndarray]:
    """Worst-case consistent k of every (person, pattern) pair of a pattern index.

    A released partner age band is consistent with several true ages; the k an
    adversary sees is the smallest count over those.

    Parameters
    ----------
    index : PatternIndex
        From :func:`~personatwin_sklearn.patterns._core.compute_patterns`.

    Returns
    -------
    pair_k : ndarray of int
        For each pair ``(index.owner[i], index.pattern[i])``: the fewest distinct people
        whose released patterns are consistent with it, over the true ages its released
        partner age allows (never below the exact-match ``index.k``).
    pattern_k : ndarray of int
        Per pattern code: the same minimum over its holders (all pairs of a pattern
        share it, so this is ``pair_k`` by pattern).

    See Also
    --------
    person_consistent_k : The same per person, from a SocialData.

    Examples
    --------
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> from personatwin_sklearn.patterns import compute_patterns, consistent_pattern_k
    >>> index = compute_patterns(make_toy_population())
    >>> pair_k, pattern_k = consistent_pattern_k(index)
    >>> bool((pair_k >= index.k[index.pattern]).all())
    True
    """
    owner, pattern = index.owner, index.pattern
    k_exact = index.k.astype(np.int64)
    group, lo, hi = _pattern_parts(index)
    n_groups = int(group.max()) + 1 if len(group) else 0
    width = AGE_MAX + 1
    if len(pattern) == 0:
        return np.zeros(0, dtype=np.int64), k_exact
    if n_groups * (width + 1) > _MAX_CELLS or _disjoint(group, lo, hi):
        # disjoint released ranges within every group (numeric ages in age_bin buckets,
        # exact values): each true age is consistent with one pattern only, so the
        # consistent count is the exact count
        return k_exact[pattern], k_exact
    g, a, b = group[pattern], lo[pattern], hi[pattern]
    # merge the intervals of one (owner, group): distinct people per age
    # one int64 sort key (owner, group, age start): one (owner, group) run per segment
    order = np.argsort((owner * np.int64(n_groups) + g) * np.int64(width) + a, kind="stable")
    o_s, g_s, a_s, b_s = owner[order], g[order], a[order], b[order]
    seg = o_s * np.int64(n_groups) + g_s  # sorted: the order is owner-, then group-major
    seg_id = np.cumsum(np.r_[False, seg[1:] != seg[:-1]])
    big = np.int64(width + 2)
    running = np.maximum.accumulate(b_s + seg_id * big) - seg_id * big
    previous = np.r_[-2, running[:-1]]
    same = np.r_[False, seg_id[1:] == seg_id[:-1]]
    start = ~same | (a_s > previous + 1)
    starts = np.flatnonzero(start)
    ends = np.r_[starts[1:], len(start)] - 1
    seg_lo = a_s[starts]
    seg_hi = running[ends]
    seg_g = g_s[starts]
    cells = n_groups * (width + 1)
    flat = np.bincount(seg_g * (width + 1) + seg_lo, minlength=cells)
    flat -= np.bincount(seg_g * (width + 1) + seg_hi + 1, minlength=cells)
    diff = flat.reshape(n_groups, width + 1).astype(np.int32)
    cover = np.cumsum(diff[:, :width], axis=1, dtype=np.int32)
    # range minimum over [lo, hi] of each pattern's group row: a sparse table
    levels = [cover]
    step = 1
    while 2 * step <= width:
        prev = levels[-1]
        nxt = prev.copy()
        nxt[:, : width - step] = np.minimum(prev[:, : width - step], prev[:, step:])
        levels.append(nxt)
        step *= 2
    length = hi - lo + 1
    level = np.floor(np.log2(np.maximum(length, 1))).astype(np.int64)
    span = np.left_shift(1, level)
    table = np.stack(levels)  # (levels, groups, ages)
    pattern_min = np.minimum(table[level, group, lo], table[level, group, hi - span + 1])
    pattern_k = np.maximum(pattern_min, k_exact)
    return pattern_k[pattern], pattern_k


def person_consistent_k(data, signature=None, age_bin=5) -> np.ndarray:
    """Per person: the worst-case consistent k of their rarest pattern (NaN: no connection).

    The edge-scope k as the linkage adversary counts it (see the module docstring): a
    lower bound on the candidates an adversary who knows one true connection of the
    person finds in the release.

    Parameters
    ----------
    data : SocialData
        The release (generalised values as published).
    signature : list of str, default=None
        Partner columns of a pattern (``None``: the default signature).
    age_bin : int, default=5
        Width of the buckets numeric partner ages are counted in.

    Returns
    -------
    k : ndarray of float
        One value per person, in people order.

    See Also
    --------
    consistent_pattern_k : The same per (person, pattern) pair.

    Examples
    --------
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> from personatwin_sklearn.patterns import person_consistent_k
    >>> person_consistent_k(make_toy_population()).shape
    (12,)
    """
    from personatwin_sklearn.patterns._core import compute_patterns

    index = compute_patterns(data, signature, age_bin)
    pair_k, _ = consistent_pattern_k(index)
    out = np.full(index.n_people, np.nan)
    if len(pair_k):
        starts = np.flatnonzero(np.r_[True, index.owner[1:] != index.owner[:-1]])
        out[index.owner[starts]] = np.minimum.reduceat(pair_k, starts)
    return out


def connection_consistent_k(data, signature=None, age_bin=5) -> np.ndarray:
    """Worst-case consistent k of each connection, seen from each end.

    The k of a (person, pattern) pair of :func:`consistent_pattern_k`, read for each
    connection at both of its ends: how many released people an adversary who knows
    that connection finds consistent with it (published labels other than ages matched
    as themselves, so a lower bound of the adversary's count).

    Parameters
    ----------
    data : SocialData
        People and connections (published values: each label matched as itself, but
        partner ages by consistency, as in :func:`consistent_pattern_k`).
    signature : list of str, default=None
        Partner columns of a pattern.
    age_bin : int or None, default=5
        Width of the buckets numeric partner ages are counted in.

    Returns
    -------
    k : ndarray of int of shape (2 * n_connections,)
        Person1's pattern of each connection (its partner is person2), then person2's.

    See Also
    --------
    person_consistent_k : The rarest of a person's patterns.

    Examples
    --------
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> from personatwin_sklearn.patterns import connection_consistent_k
    >>> data = make_toy_population()
    >>> connection_consistent_k(data).shape == (2 * data.n_connections,)
    True
    """
    from personatwin_sklearn.patterns._core import compute_patterns

    index = compute_patterns(data, signature, age_bin)
    pair_k, _ = consistent_pattern_k(index)
    left, right = data.edge_positions()
    types = data._connections["connection_type"].astype(str).to_numpy(dtype=object)
    uniq, inv = np.unique(types, return_inverse=True)
    flipped = np.asarray([data.domain.inverse_type(t) for t in uniq], dtype=object)[inv]
    owner = np.r_[left, right].astype(np.int64)
    partner = np.r_[right, left].astype(np.int64)
    pattern = index.encode(index.type_code(np.r_[types, flipped]), partner)
    n_patterns = max(len(index.raw_keys), 1)
    pairs = index.owner * n_patterns + index.pattern  # sorted (owner, pattern)
    return pair_k[np.searchsorted(pairs, owner * n_patterns + pattern)].astype(np.int64)
