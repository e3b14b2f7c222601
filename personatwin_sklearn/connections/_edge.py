"""Edge scope: one round that lifts every rare pattern to ``target`` without creating one.

A rare pattern ``P = (t, S)`` held by ``m < target`` people needs ``target - m`` new
holders: people without ``P`` who get a ``t`` connection to someone with signature
``S``.  The partner then gains ``Q = (inverse(t), source signature)``.

1. *Safe sources* (vectorised over every missing holder of every rare pattern at once):
   sources are drawn only among people whose ``Q`` already has ``target`` holders, so
   the partner end stays safe.  Among a few random (source, partner) candidates the
   census-plausible pair wins (Gumbel-max over the log weights).
2. *Joint fix* (a loop over the few patterns still short): choose one source signature
   ``sigma`` and add ``e = max(need(P), target - k(Q))`` connections between ``e``
   distinct non-holders of ``P`` with signature ``sigma`` and ``e`` distinct
   non-holders of ``Q`` with signature ``S``, cloning synthetic personas where too
   few exist: both ``P`` and ``Q`` reach ``target``.

Adding connections only adds (person, pattern) pairs, so no k decreases; every
connection either goes to a safe ``Q`` or raises ``Q`` to ``target``.  Hence after one
round no pattern is rare (unless the persona budget ran out).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from personatwin_sklearn.connections._household import age_gap_model, link_weights
from personatwin_sklearn.connections._rounds import (
    Additions,
    Snapshot,
    SortedKeys,
    pair_keys,
)

__all__ = ["edge_round"]

_PASSES = (8, 8, 32, 128)  # candidates per missing holder in the vectorised passes
_MAX_CELLS = 40_000_000  # cap on slots x candidates per pass (memory)


#: Family-link candidates less plausible than this (about 3 sd from the census age gap)
#: are not used for a safe-source connection: the pattern goes to the joint fix instead.
MIN_WEIGHT = float(np.exp(-4.5))
_AGE_SLOTS = 10_000  # ages are rounded and clipped to 0..9999 in the search keys
_WINDOW = 8  # candidates are drawn among the nearest ages within this many positions


class _Pools:
    """Per connection type ``t``: the people whose ``(inverse(t), own signature)`` is safe,
    sorted by (type, zipcode, age) and by (type, age) for targeted candidate draws."""

    def __init__(self, snap: Snapshot):
        self.snap = snap
        self.view = snap.view
        self.age = np.clip(np.nan_to_num(np.round(self.view.age), nan=0), 0, _AGE_SLOTS - 1)
        self.age = self.age.astype(np.int64)
        self.n_zip = int(self.view.zip_code.max()) + 1 if snap.n else 1
        self._built = None

    def _pool(self, t: int) -> np.ndarray:
        snap = self.snap
        q_raw = snap.inverse[t] * snap.span + snap.sig
        return np.flatnonzero(snap.k_of(q_raw) >= snap.target)

    def build(self, types: np.ndarray) -> None:
        unique = np.unique(types)
        parts = [self._pool(int(t)) for t in unique]
        rank = np.repeat(np.arange(len(unique)), [len(p) for p in parts])
        pool = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        zip_key = (rank * self.n_zip + self.view.zip_code[pool]) * _AGE_SLOTS + self.age[pool]
        age_key = rank * _AGE_SLOTS + self.age[pool]
        by_zip = np.argsort(zip_key, kind="stable")
        by_age = np.argsort(age_key, kind="stable")
        self._built = (unique, pool[by_zip], zip_key[by_zip], pool[by_age], age_key[by_age])

    def draw(self, t, zip_code, target_age, n_local, n_global, rng):
        """Candidates per slot: ``n_local`` of the same zip and ``n_global`` from anywhere,
        each near ``target_age`` in the sorted pool (random where the age is unknown)."""
        unique, zpool, zkeys, apool, akeys = self._built
        rank = np.searchsorted(unique, t)[:, None]
        known = ~np.isnan(target_age)
        age = np.clip(np.round(np.nan_to_num(target_age)), 0, _AGE_SLOTS - 1).astype(np.int64)
        out = []
        for pool, keys, base, cols in (
            (zpool, zkeys, (rank * self.n_zip + zip_code) * _AGE_SLOTS, slice(0, n_local)),
            (apool, akeys, rank * _AGE_SLOTS, slice(n_local, n_local + n_global)),
        ):
            if cols.stop == cols.start:
                continue
            base = np.broadcast_to(base, age.shape)[:, cols]
            lo = np.searchsorted(keys, base)
            hi = np.searchsorted(keys, base + _AGE_SLOTS)
            aim = np.searchsorted(keys, base + age[:, cols])
            jitter = rng.randint(-_WINDOW, _WINDOW + 1, size=lo.shape)
            uniform = lo + (rng.random_sample(lo.shape) * (hi - lo)).astype(np.int64)
            pos = np.where(known[:, cols], aim + jitter, uniform)
            pos = np.clip(pos, lo, np.maximum(hi - 1, lo))
            ok = hi > lo
            picked = pool[np.minimum(pos, max(len(pool) - 1, 0))] if len(pool) else pos
            out.append(np.where(ok, picked, -1))
        return np.concatenate(out, axis=1)


def _plausibility(snap: Snapshot, type_codes, src, dst, family) -> np.ndarray:
    weight = np.ones(src.shape)
    for t in np.unique(type_codes):
        rows = type_codes == t
        kind = str(snap.types[t])
        weight[rows] = link_weights(kind, snap.view, src[rows], dst[rows], family)
    return weight


def _owner_age_target(snap: Snapshot, t, dst) -> np.ndarray:
    """Age a source should have to take ``dst`` as its ``t`` (census gap; peers otherwise)."""
    view = snap.view
    target = view.age[dst].astype(float)
    for code in np.unique(t):
        rows = np.broadcast_to((t == code)[:, None], dst.shape)
        model = age_gap_model(str(snap.types[code]), np.zeros(int(rows.sum()), np.int8),
                              view.gender[dst[rows]])  # fmt: skip
        if model is not None:
            target[rows] -= model[0]
    return target


def _safe_pass(snap, slot_code, pools, holders, seen, rng, n_cand, family, load=None, cap=None):
    """One vectorised try for every slot; returns accepted (src, dst, code).

    ``load`` counts the synthetic connections each person has; no one takes more
    than ``cap`` (a person with dozens of added spouses would stand out).
    """
    m = len(slot_code)
    raw = snap.raw[slot_code]
    t = raw // snap.span
    lo, hi = snap.group(raw % snap.span)
    v = rng.random_sample((m, n_cand))
    dst = snap.sig_order[
        np.minimum(lo[:, None] + (v * (hi - lo)[:, None]).astype(np.int64), snap.n - 1)
    ]
    target_age = _owner_age_target(snap, t, dst)
    n_local = n_cand // 2 if snap.view.zip is not None else 0
    cand = pools.draw(t, snap.view.zip_code[dst], target_age, n_local, n_cand - n_local, rng)
    valid = (cand >= 0) & (hi > lo)[:, None] & (cand != dst)
    cand = np.maximum(cand, 0)
    valid &= ~holders.contains(cand * snap.n_patterns + slot_code[:, None])
    valid &= ~seen.contains(pair_keys(cand, dst))
    tt = np.broadcast_to(t[:, None], cand.shape)
    weight = _plausibility(snap, tt.ravel(), cand.ravel(), dst.ravel(), family).reshape(cand.shape)
    valid &= weight >= MIN_WEIGHT
    if cap is not None:
        valid &= (load[cand] < cap) & (load[dst] < cap)
    gumbel = -np.log(-np.log(rng.random_sample(cand.shape) + 1e-300) + 1e-300)
    score = np.where(valid, np.log(weight) + gumbel, -np.inf)
    best = np.argmax(score, axis=1)
    rows = np.arange(m)
    ok = valid[rows, best]
    src, dst, code = cand[rows, best][ok], dst[rows, best][ok], slot_code[ok]
    # one new holder per (pattern, source) and one connection per pair of people
    keep = ~pd.Series(src * snap.n_patterns + code).duplicated().to_numpy()
    keep &= ~pd.Series(pair_keys(src, dst)).duplicated().to_numpy()
    if cap is not None:  # several slots may have picked one person in this pass
        idx = np.flatnonzero(keep)
        ends = np.concatenate([src[idx], dst[idx]])
        fits = load[ends] + pd.Series(ends).groupby(ends).cumcount().to_numpy() < cap
        keep[idx] = fits[: len(idx)] & fits[len(idx) :]
    return src[keep], dst[keep], code[keep]


def edge_round(
    snap: Snapshot, additions: Additions, rng, budget: int | None, family, cap=None
) -> dict:
    """Plan the connections (and personas) that lift every rare pattern of ``snap``."""
    target = snap.target
    k_now = snap.k.copy()
    rare = np.flatnonzero(k_now < target)
    info = {"rare": len(rare), "safe_edges": 0, "joint_edges": 0, "joint_patterns": 0,
            "short_patterns": 0, "personas": 0}  # fmt: skip
    if len(rare) == 0:
        return info
    holders = SortedKeys(snap.index.owner * snap.n_patterns + snap.index.pattern)
    seen = SortedKeys(snap.edge_keys)
    pools = _Pools(snap)
    pools.build(snap.raw[rare] // snap.span)
    remaining = np.zeros(snap.n_patterns, dtype=np.int64)
    remaining[rare] = target - k_now[rare]
    load = None
    if cap is not None:  # synthetic connections each person has so far
        a, b = snap.data.edge_positions()
        # protection links only: an augmented persona's own family does not count
        synthetic = snap.data.is_protection_connection
        load = np.bincount(np.concatenate([a[synthetic], b[synthetic]]), minlength=snap.n)
    new_src, new_code = [], []
    for n_cand in _PASSES:
        slot_code = np.repeat(np.arange(snap.n_patterns), remaining)
        if len(slot_code) == 0:
            break
        if len(slot_code) * n_cand > _MAX_CELLS:
            n_cand = max(2, _MAX_CELLS // len(slot_code))
        found = _safe_pass(snap, slot_code, pools, holders, seen, rng, n_cand, family, load, cap)
        if found is None or len(found[0]) == 0:
            continue
        src, dst, code = found
        if load is not None:
            load += np.bincount(np.concatenate([src, dst]), minlength=snap.n)
        additions.link(src, dst, snap.raw[code] // snap.span)
        holders.add(src * snap.n_patterns + code)
        seen.add(pair_keys(src, dst))
        got = np.bincount(code, minlength=snap.n_patterns)
        remaining -= got
        k_now += got
        new_src.append(src)
        new_code.append(code)
        info["safe_edges"] += len(src)
    short = np.flatnonzero(remaining > 0)
    if len(short):
        added_src = np.concatenate(new_src) if new_src else np.zeros(0, np.int64)
        added_code = np.concatenate(new_code) if new_code else np.zeros(0, np.int64)
        _joint_fixes(snap, short, remaining, k_now, added_src, added_code, holders, seen,
                     additions, rng, budget, family, info, load, cap)  # fmt: skip
    return info


def _joint_source(snap, pattern, have_p, partners_all, ages, current_k, family, rng):
    """The source signature of a joint fix of ``pattern`` (``(type, inverse type, type
    name, raw key, holders needed)``): among the holders' signatures (alike people),
    those of people of the age a source should have and a random sample, the plausible
    one needing the fewest connections and clones.  ``(sigma, connections, Q is P)``."""
    t, t_inv, kind, raw_p, need = pattern
    by_age, ages_sorted = ages
    n, view, target = snap.n, snap.view, snap.target
    probe = partners_all[rng.randint(len(partners_all), size=16)]
    aim = _owner_age_target(snap, np.full(1, t), probe[None, :]).ravel()
    near = np.searchsorted(ages_sorted, aim[~np.isnan(aim)])
    near = (near[:, None] + np.arange(-4, 4)[None, :]).ravel()
    near = by_age[np.clip(near, 0, n - 1)]
    sample = rng.randint(n, size=min(n, 64))
    sigmas = np.unique(np.concatenate([snap.sig[have_p], snap.sig[near], snap.sig[sample]]))
    lo, hi = snap.group(sigmas)
    member = snap.sig_order[lo + (rng.random_sample(len(sigmas)) * (hi - lo)).astype(np.int64)]
    weight = link_weights(kind, view, member, np.resize(probe, len(member)), family)
    implausible = weight < MIN_WEIGHT
    holders_per_sig = pd.Series(snap.sig[have_p]).value_counts()
    n_have = holders_per_sig.reindex(sigmas, fill_value=0).to_numpy()
    available = (hi - lo) - n_have
    q_raw = t_inv * snap.span + sigmas
    kq = current_k(q_raw)
    same = q_raw == raw_p  # Q is P itself (symmetric type, sigma == S)
    e = np.where(same, -(-need // 2), np.maximum(need, target - kq))
    clones = np.maximum(e - available, 0)
    best = np.lexsort((-n_have, clones, e, implausible))[0]
    return int(sigmas[best]), int(e[best]), bool(same[best])


def _joint_fixes(snap, short, remaining, k_now, added_src, added_code, holders, seen,
                 additions, rng, budget, family, info, load=None, cap=None):  # fmt: skip
    """Fix ``P`` and its partner-end pattern ``Q`` together (loop over the few short P)."""
    target = snap.target
    span = snap.span
    view = snap.view
    extra_k: dict[int, int] = {}  # raw key -> holders gained this round (patterns not in k_now)
    extra_holders: dict[int, list] = {}  # raw key -> positions gained this round
    order = np.argsort(added_code, kind="stable")
    added_sorted = added_code[order]
    by_age = np.argsort(np.nan_to_num(view.age, nan=-1.0), kind="stable")
    ages_sorted = np.nan_to_num(view.age, nan=-1.0)[by_age]
    n = snap.n
    used = 0

    def current_k(raw):
        code = snap.code_of(raw)
        base = np.where(code >= 0, k_now[np.maximum(code, 0)], 0)
        return base + np.array([extra_k.get(int(r), 0) for r in np.atleast_1d(raw)])

    def holders_now(raw):
        code = int(snap.code_of(raw))
        parts = [np.asarray(extra_holders.get(int(raw), []), dtype=np.int64)]
        if code >= 0:
            parts.append(snap.holders_of(code))
            lo, hi = np.searchsorted(added_sorted, [code, code + 1])
            parts.append(added_src[order[lo:hi]])
        return np.unique(np.concatenate(parts))

    for code in short:
        need = int(target - k_now[code])
        if need <= 0:
            continue  # fixed as a side effect of an earlier joint fix
        raw_p = int(snap.raw[code])
        t, s_sig = divmod(raw_p, span)
        t_inv = int(snap.inverse[t])
        kind = str(snap.types[t])
        have_p = holders_now(raw_p)
        plo, phi = snap.group([s_sig])
        partners_all = snap.sig_order[plo[0] : phi[0]]
        sigma, e, same_p = _joint_source(
            snap, (t, t_inv, kind, raw_p, need), have_p, partners_all, (by_age, ages_sorted),
            current_k, family, rng,
        )  # fmt: skip
        # sources: e distinct non-holders of P with signature sigma
        glo, ghi = snap.group([sigma])
        pool = snap.sig_order[glo[0] : ghi[0]]
        free = ~np.isin(pool, have_p)
        if cap is not None:  # people already at the cap are replaced by personas
            free &= load[pool] < cap
        src = rng.permutation(pool[free])[:e]
        # partners: e distinct non-holders of Q with signature S (not the sources)
        have_q = have_p if same_p else holders_now(t_inv * span + sigma)
        keep = ~np.isin(partners_all, have_q) & ~np.isin(partners_all, src)
        if cap is not None:
            keep &= load[partners_all] < cap
        dst = rng.permutation(partners_all[keep])[:e]
        # pair alike: sources and partners both in (zip, age) order
        src = src[np.lexsort((view.age[src], view.zip_code[src]))]
        dst = dst[np.lexsort((view.age[dst], view.zip_code[dst]))]
        n_src_new = e - len(src)
        # existing pairs cannot take a second connection: those partners become personas
        both = min(len(src), len(dst))
        bad = np.zeros(e, dtype=bool)
        bad[:both] = seen.contains(pair_keys(src[:both], dst[:both]))
        dst_full = np.full(e, -1, dtype=np.int64)
        dst_full[: len(dst)] = dst
        need_new = np.flatnonzero((dst_full < 0) | bad)
        if budget is not None and used + n_src_new + len(need_new) > budget:
            info["short_patterns"] += 1
            continue
        template_src = snap.sig_order[glo[0]]
        template_dst = snap.sig_order[plo[0]]
        if n_src_new:
            src = np.concatenate([src, additions.personas(np.full(n_src_new, template_src))])
        if len(need_new):
            anchor = np.where(src[need_new] < n, src[need_new], -1)
            dst_full[need_new] = additions.personas(
                np.full(len(need_new), template_dst), anchor, np.full(len(need_new), kind)
            )
        used += n_src_new + len(need_new)
        additions.link(src, dst_full, t)
        if load is not None:
            real_ends = np.concatenate([src, dst_full])
            real_ends = real_ends[(real_ends >= 0) & (real_ends < n)]
            load += np.bincount(real_ends, minlength=n)
        seen.add(pair_keys(src, dst_full))
        info["joint_edges"] += e
        info["joint_patterns"] += 1
        # bookkeeping: P and Q gained e distinct holders each (2e when they coincide)
        k_now[code] += 2 * e if same_p else e
        extra_holders.setdefault(raw_p, []).extend(src.tolist())
        if not same_p:
            q = int(t_inv * span + sigma)
            q_code = int(snap.code_of(q))
            if q_code >= 0:
                k_now[q_code] += e
            else:
                extra_k[q] = extra_k.get(q, 0) + e
            extra_holders.setdefault(q, []).extend(dst_full.tolist())
        else:
            extra_holders[raw_p].extend(dst_full.tolist())
    info["personas"] = used
