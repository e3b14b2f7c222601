"""Neighbourhood scope: every person's whole multiset of patterns shared by ``target``.

One round (Zhou & Pei's 1-hop attack, ICDE 2008, answered by cluster unions):

1. *Members*: everyone whose neighbourhood class is smaller than ``target`` (real or
   synthetic).  When fewer than ``target`` people are at risk, people of the cheapest
   safe class join them (a whole class, or only as many as it can spare while
   keeping ``target``).
2. *Clusters* of ``target`` or more members with similar multisets (greedy seed
   clustering on the multiplicity vectors when small, a degree/pattern sort when
   large).  Each member's goal is the cluster's union (pattern-wise maximum): after
   the round every member of a cluster has the same multiset.
3. *Demands*: one per missing pattern copy ``(member v, type t, signature S)``.
   Two demands ``(v, t, S)`` and ``(w, inverse(t), sig(v))`` with ``sig(w) = S`` are
   met by one connection ``v - w`` (matched in random order, never duplicating a
   connection).
4. The rest go to new synthetic partner personas with signature ``S``; a persona's
   own neighbourhood is ``r`` copies of ``Q = (inverse(t), sig(v))``.  Personas of one
   ``Q`` (and ``r``) are made at least ``target`` strong: ``r`` is chosen so the
   classes are big enough, and a class still short is padded with pairs of new
   personas (source with signature ``sig(v)``, partner with ``S``); the padding sources'
   own class ``{(t, S)}`` is padded to ``target`` the same way.

Non-members are not touched, members reach their cluster's union exactly, every
persona class has ``target`` people: one round leaves no class below ``target``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from personatwin_sklearn.connections._rounds import Additions, Snapshot, SortedKeys, pair_keys

__all__ = ["neighborhood_round", "neighborhood_deficit"]

_GREEDY_WORK = 3e8  # clusters x members x patterns above which the sort-based clustering runs


def neighborhood_deficit(snap: Snapshot) -> int:
    """Sum over people of ``max(0, target - class size)``."""
    _, size = snap.index.neighborhoods()
    return int(np.maximum(snap.target - size, 0).sum())


def _pair_index(snap: Snapshot) -> np.ndarray:
    return snap.index.owner * snap.n_patterns + snap.index.pattern


def _borrow(snap: Snapshot, at_risk, class_id, size, rng) -> np.ndarray:
    """At-risk people plus, when they are fewer than ``target``, people of a safe class."""
    target = snap.target
    need = target - len(at_risk)
    if need <= 0:
        return at_risk
    index = snap.index
    union = np.zeros(snap.n_patterns, dtype=np.int64)
    risky = np.zeros(snap.n, dtype=bool)
    risky[at_risk] = True
    rows = risky[index.owner]
    np.maximum.at(union, index.pattern[rows], index.multiplicity[rows])
    safe = np.flatnonzero(size >= target)
    classes, first = np.unique(class_id[safe], return_index=True)
    rep = safe[first]
    rep_of = np.full(snap.n, -1, dtype=np.int64)
    rep_of[rep] = np.arange(len(rep))
    rows = rep_of[index.owner] >= 0
    who = rep_of[index.owner[rows]]
    pat, mult = index.pattern[rows], index.multiplicity[rows]
    excess = np.bincount(who, np.maximum(mult - union[pat], 0), minlength=len(rep))
    covered = np.bincount(who, np.minimum(mult, union[pat]), minlength=len(rep))
    missing = union.sum() - covered
    class_size = size[rep]
    take = np.where(class_size >= target + need, need, class_size)
    cost = take * missing + len(at_risk) * excess
    best = np.lexsort((-class_size, cost))[0]
    people = safe[class_id[safe] == classes[best]]
    if take[best] < len(people):
        people = rng.choice(people, size=int(take[best]), replace=False)
    return np.concatenate([at_risk, np.sort(people)])


def _cluster(snap: Snapshot, members, rng) -> np.ndarray:
    """Cluster label (0..) of each member; every cluster has ``target`` or more members."""
    target = snap.target
    n_m = len(members)
    if n_m < 2 * target:
        return np.zeros(n_m, dtype=np.int64)
    index = snap.index
    local = np.full(snap.n, -1, dtype=np.int64)
    local[members] = np.arange(n_m)
    rows = local[index.owner] >= 0
    who = local[index.owner[rows]]
    pat_local, pat_uni = pd.factorize(index.pattern[rows])
    mult = index.multiplicity[rows]
    n_pat = len(pat_uni)
    degree = np.bincount(who, mult, minlength=n_m)
    if (n_m / target) * n_m * max(n_pat, 1) <= _GREEDY_WORK:
        return _greedy_clusters(who, pat_local, mult, n_m, n_pat, degree, target, rng)
    return _sorted_clusters(who, pat_local, mult, n_m, n_pat, degree, target, rng)


def _greedy_clusters(who, pat, mult, n_m, n_pat, degree, target, rng):
    """Seed = highest degree left; members = the cheapest to bring to a common union."""
    matrix = np.zeros((n_m, max(n_pat, 1)), dtype=np.int32)
    matrix[who, pat] = mult
    priority = degree + 0.5 * rng.random_sample(n_m)
    label = np.full(n_m, -1, dtype=np.int64)
    alive = np.ones(n_m, dtype=bool)
    cluster = 0
    while alive.sum() >= 2 * target:
        idx = np.flatnonzero(alive)
        sub = matrix[idx]
        seed = int(np.argmax(priority[idx]))
        dist = np.abs(sub - sub[seed]).sum(axis=1)
        dist[seed] = -1
        pick = np.argpartition(dist, target - 1)[:target]
        union = sub[pick].max(axis=0)
        cost = (target - 1) * np.maximum(sub - union, 0).sum(axis=1)
        cost += np.maximum(union - sub, 0).sum(axis=1)
        cost[seed] = -1
        pick = np.argpartition(cost, target - 1)[:target]
        label[idx[pick]] = cluster
        alive[idx[pick]] = False
        cluster += 1
    label[alive] = cluster
    return label


def _sorted_clusters(who, pat, mult, n_m, n_pat, degree, target, rng):
    """Sort by degree, then by the most common patterns each member has; cut in runs."""
    frequency = np.bincount(pat, minlength=n_pat)
    rank = np.empty(n_pat, dtype=np.int64)
    rank[np.argsort(-frequency, kind="stable")] = np.arange(n_pat)
    order = np.lexsort((rank[pat], who))
    w, r = who[order], rank[pat][order]
    start = np.r_[0, np.flatnonzero(np.diff(w)) + 1]
    within = np.arange(len(w)) - np.repeat(start, np.diff(np.r_[start, len(w)]))
    keys = np.full((3, n_m), n_pat, dtype=np.int64)
    for j in range(3):
        sel = within == j
        keys[j, w[sel]] = r[sel]
    order = np.lexsort((rng.random_sample(n_m), keys[2], keys[1], keys[0], -degree))
    label = np.empty(n_m, dtype=np.int64)
    n_clusters = n_m // target
    label[order] = np.minimum(np.arange(n_m) // target, n_clusters - 1)
    return label


def _demands(snap: Snapshot, members, label):
    """(member, pattern code) per missing copy of its cluster's union."""
    index = snap.index
    n_pat = snap.n_patterns
    cluster_of = np.full(snap.n, -1, dtype=np.int64)
    cluster_of[members] = label
    rows = cluster_of[index.owner] >= 0
    frame = pd.DataFrame(
        {
            "c": cluster_of[index.owner[rows]],
            "p": index.pattern[rows],
            "m": index.multiplicity[rows],
        }
    )
    union = frame.groupby(["c", "p"], sort=True)["m"].max()
    u_c = union.index.get_level_values("c").to_numpy()
    u_p = union.index.get_level_values("p").to_numpy()
    u_m = union.to_numpy()
    n_clusters = int(label.max()) + 1 if len(label) else 0
    per_cluster = np.bincount(u_c, minlength=n_clusters)
    start = np.r_[0, np.cumsum(per_cluster)[:-1]]
    reps = per_cluster[label]
    member = np.repeat(members, reps)
    offset = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
    row = np.repeat(start[label], reps) + offset
    key = member * n_pat + u_p[row]
    pairs = _pair_index(snap)
    pos = np.minimum(np.searchsorted(pairs, key), max(len(pairs) - 1, 0))
    have = np.where(pairs[pos] == key, index.multiplicity[pos], 0) if len(pairs) else 0
    deficit = u_m[row] - have
    return np.repeat(member, deficit), np.repeat(u_p[row], deficit)


def _match(snap: Snapshot, src, code, seen: SortedKeys, rng, attempts=3):
    """Pair demands ``(v, t, S)`` with ``(w, inverse(t), sig(v))`` where ``sig(w) = S``."""
    d = len(src)
    matched = np.zeros(d, dtype=bool)
    pairs_a, pairs_b = [], []
    if d == 0:
        return matched, np.zeros(0, np.int64), np.zeros(0, np.int64)
    raw = snap.raw[code]
    t, s_sig = raw // snap.span, raw % snap.span
    sigma = snap.sig[src]
    triples = pd.DataFrame(
        {
            "t": np.r_[t, snap.inverse[t]],
            "a": np.r_[sigma, s_sig],
            "b": np.r_[s_sig, sigma],
        }
    )
    ids = triples.groupby(["t", "a", "b"], sort=True).ngroup().to_numpy()
    own, comp = ids[:d], ids[d:]
    group = np.minimum(own, comp)
    side = (own > comp).astype(np.int64)
    self_group = own == comp
    for _ in range(attempts):
        idx = np.flatnonzero(~matched)
        if len(idx) < 2:
            break
        order = idx[np.lexsort((rng.random_sample(len(idx)), side[idx], group[idx]))]
        run = group[order] * 2 + side[order]
        start = np.r_[0, np.flatnonzero(np.diff(run)) + 1]
        rank = np.arange(len(order)) - np.repeat(start, np.diff(np.r_[start, len(order)]))
        # partner slot: the other side's same rank, or (self-complementary) rank xor 1
        want_run = np.where(self_group[order], run, run + 1)
        want_rank = np.where(self_group[order], rank ^ 1, rank)
        lead = np.where(self_group[order], rank % 2 == 0, side[order] == 0)
        slot = run * (len(order) + 1) + rank
        wanted = want_run * (len(order) + 1) + want_rank
        pos = np.minimum(np.searchsorted(slot, wanted), len(slot) - 1)
        found = (slot[pos] == wanted) & lead
        a, b = order[found], order[pos[found]]
        ok = src[a] != src[b]
        key = pair_keys(src[a], src[b])
        ok &= ~seen.contains(key)
        ok &= ~pd.Series(key).duplicated().to_numpy()
        a, b = a[ok], b[ok]
        if len(a) == 0:
            continue
        matched[a] = True
        matched[b] = True
        seen.add(key[ok])
        pairs_a.append(a)
        pairs_b.append(b)
    a = np.concatenate(pairs_a) if pairs_a else np.zeros(0, np.int64)
    b = np.concatenate(pairs_b) if pairs_b else np.zeros(0, np.int64)
    return matched, a, b


def _single_classes(snap: Snapshot, is_member):
    """Counts of non-members whose neighbourhood is ``r`` copies of one pattern."""
    index = snap.index
    n_distinct = np.bincount(index.owner, minlength=snap.n)
    single = (n_distinct[index.owner] == 1) & ~is_member[index.owner]
    key = pd.Series(1, index=pd.MultiIndex.from_arrays(
        [snap.raw[index.pattern[single]], index.multiplicity[single]]))  # fmt: skip
    counts = key.groupby(level=[0, 1]).size()

    def lookup(raw, r):
        idx = pd.MultiIndex.from_arrays([np.asarray(raw, np.int64), np.asarray(r, np.int64)])
        return counts.reindex(idx, fill_value=0).to_numpy()

    return lookup


def neighborhood_round(
    snap: Snapshot, additions: Additions, rng, budget: int | None, partner_max_degree: int
) -> dict:
    """Plan one round; returns counts (``"aborted"`` when the persona budget is too small)."""
    target = snap.target
    class_id, size = snap.index.neighborhoods()
    at_risk = np.flatnonzero(size < target)
    info = {"at_risk": len(at_risk), "members": 0, "clusters": 0, "demands": 0,
            "matched_edges": 0, "persona_edges": 0, "padding_edges": 0, "personas": 0,
            "aborted": False}  # fmt: skip
    if len(at_risk) == 0:
        return info
    members = _borrow(snap, at_risk, class_id, size, rng)
    label = _cluster(snap, members, rng)
    src, code = _demands(snap, members, label)
    info.update(members=len(members), clusters=int(label.max()) + 1, demands=len(src))
    seen = SortedKeys(snap.edge_keys)
    matched, a, b = _match(snap, src, code, seen, rng)
    is_member = np.zeros(snap.n, dtype=bool)
    is_member[members] = True
    plan = _persona_plan(snap, src[~matched], code[~matched], is_member, partner_max_degree)
    n_personas = plan["n_personas"]
    if budget is not None and n_personas > budget:
        info["aborted"] = True
        return info
    # commit
    t_a = snap.raw[code[a]] // snap.span
    additions.link(src[a], src[b], t_a)
    positions = additions.personas(plan["template"], plan["anchor"], plan["kind"])
    additions.link(plan["edge_src"], positions[plan["edge_dst"]], plan["edge_type"])
    pad_src = positions[plan["pad_src"]]
    additions.link(pad_src, positions[plan["pad_dst"]], plan["pad_type"])
    info.update(
        matched_edges=len(a),
        persona_edges=len(plan["edge_src"]),
        padding_edges=len(plan["pad_src"]),
        personas=n_personas,
    )
    return info


def _persona_degrees(c_sub, q_of_sub, max_per_source, q_raw_uni, existing_1, single, target,
                     max_degree) -> np.ndarray:  # fmt: skip
    """Degree r of the personas of each pattern Q: the largest that keeps every class
    >= target (1 when none does)."""
    n_q = len(q_raw_uni)
    r_q = np.ones(n_q, dtype=np.int64)
    chosen = np.zeros(n_q, dtype=bool)
    for r in range(max_degree, 1, -1):
        m_s = c_sub // r
        rest = c_sub % r
        fits = (m_s > 0) & (max_per_source <= m_s)
        all_fit = np.bincount(q_of_sub, ~fits, minlength=n_q) == 0
        cls_r = np.bincount(q_of_sub, m_s, minlength=n_q)
        cls_1 = np.bincount(q_of_sub, rest, minlength=n_q)
        ok = all_fit & (cls_r + single(q_raw_uni, np.full(n_q, r)) >= target)
        ok &= (cls_1 == 0) | (cls_1 + existing_1 >= target)
        take = ok & ~chosen
        r_q[take] = r
        chosen |= take
    return r_q


def _source_padding(pad, r_raw, single, target) -> np.ndarray:
    """More padding pairs per pattern Q so that the padding sources' own classes (raw
    keys ``r_raw``, one per Q) reach ``target`` too: the extra pairs, on the first Q of
    each class."""
    has_pad = pad > 0
    r_id, r_uni = pd.factorize(r_raw[has_pad])
    r_total = np.bincount(r_id, pad[has_pad], minlength=len(r_uni)).astype(np.int64)
    r_short = np.maximum(
        target - r_total - single(np.asarray(r_uni, np.int64), np.ones(len(r_uni))), 0
    )
    extra = np.zeros(len(pad), dtype=np.int64)
    first_of_r = np.flatnonzero(has_pad)[np.unique(r_id, return_index=True)[1]]
    extra[first_of_r] = r_short
    return extra


def _persona_plan(snap: Snapshot, src, code, is_member, max_degree):
    """Personas (by local index) for the unmatched demands, plus padding pairs."""
    target, span = snap.target, snap.span
    empty = np.zeros(0, np.int64)
    plan = {"n_personas": 0, "template": empty, "anchor": empty, "kind": np.zeros(0, object),
            "edge_src": empty, "edge_dst": empty, "edge_type": empty,
            "pad_src": empty, "pad_dst": empty, "pad_type": empty}  # fmt: skip
    if len(src) == 0:
        return plan
    single = _single_classes(snap, is_member)
    raw = snap.raw[code]
    t, s_sig = raw // span, raw % span
    sigma = snap.sig[src]
    q_raw = snap.inverse[t] * span + sigma  # the persona's pattern
    qid, q_uni = pd.factorize(q_raw)
    n_q = len(q_uni)
    sid = pd.DataFrame({"q": qid, "s": s_sig}).groupby(["q", "s"], sort=True).ngroup().to_numpy()
    n_sub = int(sid.max()) + 1
    c_sub = np.bincount(sid, minlength=n_sub)
    q_of_sub = np.zeros(n_sub, dtype=np.int64)
    q_of_sub[sid] = qid
    s_of_sub = np.zeros(n_sub, dtype=np.int64)
    s_of_sub[sid] = s_sig
    per_source = pd.DataFrame({"sid": sid, "src": src}).groupby(["sid", "src"]).size()
    max_per_source = per_source.groupby(level=0).max().reindex(np.arange(n_sub)).to_numpy()
    q_raw_uni = np.asarray(q_uni, dtype=np.int64)
    c_q = np.bincount(qid, minlength=n_q)
    existing_1 = single(q_raw_uni, np.ones(n_q))
    r_q = _persona_degrees(c_sub, q_of_sub, max_per_source, q_raw_uni, existing_1, single,
                           target, max_degree)  # fmt: skip
    r_sub = r_q[q_of_sub]
    m_sub = np.where(r_sub > 1, c_sub // r_sub, c_sub)
    rest_sub = np.where(r_sub > 1, c_sub % r_sub, 0)
    n_per_sub = m_sub + rest_sub
    base = np.r_[0, np.cumsum(n_per_sub)[:-1]]
    order = np.lexsort((src, sid))
    sid_o = sid[order]
    start = np.r_[0, np.flatnonzero(np.diff(sid_o)) + 1]
    pos = np.arange(len(order)) - np.repeat(start, np.diff(np.r_[start, len(order)]))
    m_d, r_d = m_sub[sid_o], r_sub[sid_o]
    local = np.where(pos < m_d * r_d, pos % np.maximum(m_d, 1), m_d + (pos - m_d * r_d))
    persona = base[sid_o] + local
    n_main = int(n_per_sub.sum())
    lo, _ = snap.group(s_of_sub)
    template = np.repeat(snap.sig_order[np.minimum(lo, snap.n - 1)], n_per_sub)
    anchor = np.full(n_main, -1, dtype=np.int64)
    kind = np.full(n_main, None, dtype=object)
    first = np.unique(persona, return_index=True)[1]
    anchor[persona[first]] = src[order][first]
    kind[persona[first]] = snap.types[t[order][first]]
    plan.update(edge_src=src[order], edge_dst=persona, edge_type=t[order])
    # padding: Q classes of single-connection personas still below target
    pad = np.where(r_q == 1, np.maximum(target - c_q - existing_1, 0), 0)
    pad = np.where(c_q > 0, pad, 0)
    q_first = np.unique(qid, return_index=True)[1]  # a demand of each Q
    biggest = pd.Series(c_sub).groupby(q_of_sub).idxmax().reindex(np.arange(n_q)).to_numpy()
    pad_t = t[q_first]
    pad_sigma = sigma[q_first]
    pad_s = s_of_sub[biggest]
    # the padding sources' own class {(t, S)} must reach target as well
    pad = pad + _source_padding(pad, pad_t * span + pad_s, single, target)
    n_pad = int(pad.sum())
    pad_q = np.repeat(np.arange(n_q), pad)
    lo_sigma, _ = snap.group(pad_sigma[pad_q])
    lo_s, _ = snap.group(pad_s[pad_q])
    pad_src_tmpl = snap.sig_order[np.minimum(lo_sigma, snap.n - 1)]
    pad_dst_tmpl = snap.sig_order[np.minimum(lo_s, snap.n - 1)]
    pad_src = n_main + np.arange(n_pad)
    pad_dst = n_main + n_pad + np.arange(n_pad)
    plan.update(
        n_personas=n_main + 2 * n_pad,
        template=np.concatenate([template, pad_src_tmpl, pad_dst_tmpl]),
        anchor=np.concatenate([anchor, np.full(2 * n_pad, -1, dtype=np.int64)]),
        kind=np.concatenate([kind, np.full(2 * n_pad, None, dtype=object)]),
        pad_src=pad_src,
        pad_dst=pad_dst,
        pad_type=pad_t[pad_q],
    )
    return plan
