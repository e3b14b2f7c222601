"""Edge scope, household copies: new holders of a rare pattern that look like real people.

A connection added between two real people of a household-structured graph (families,
co-defendant groups) cannot close the triangles real family links close: a detector
reading common neighbours finds it.  Where a holder of a rare pattern lives in a small
connected component (a household), the generator instead adds a **copy of that whole
component**: synthetic people with the published values of its members and every
connection between them.  The copy of the holder holds the same pattern (its copied
partner has the same published values), and every other pattern of the household
gains a holder as well.  Degrees, common neighbours, triangles, connection types and
age gaps of the copied connections are those of real connections, and every copied
person sits in a quasi-identifier class that real people have.

Planning is vectorised: one donor component per needy pattern (a random real holder
in a small component), components shared by several patterns are copied as often as
the neediest of them requires, and the cheapest copies (connections per pattern
served) fill the budget first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from personatwin_sklearn.connections._household import DERIVED_COLUMNS
from personatwin_sklearn.connections._rounds import IdMaker, type_codes

__all__ = ["Components", "plan_copies", "apply_copies"]


class Components:
    """Connected components of a snapshot's graph: label, size and edges of each."""

    def __init__(self, data):
        n = len(data)
        self.n = n
        left, right = data.edge_positions()
        self.left = np.asarray(left, np.int64)
        self.right = np.asarray(right, np.int64)
        adj = sp.coo_matrix((np.ones(len(self.left)), (self.left, self.right)), shape=(n, n))
        _, self.label = connected_components(adj, directed=False)
        self.size = np.bincount(self.label)
        self.n_edges = np.bincount(self.label[self.left], minlength=len(self.size))
        self.order = np.argsort(self.label, kind="stable")
        self.start = np.r_[0, np.cumsum(self.size)]
        edge_order = np.argsort(self.label[self.left], kind="stable")
        self.edge_order = edge_order
        self.edge_start = np.r_[0, np.cumsum(self.n_edges)]
        self.rep = self.order[self.start[:-1]]  # a stable member position per component

    def copies_of(self, copied_by_person: np.ndarray) -> np.ndarray:
        """Per component: copies made so far (counted on its representative member)."""
        return copied_by_person[self.rep]


#: Most copies of one component a transform makes (for rare patterns and as camouflage).
MAX_COPIES = 2
#: Most change, as a share, that copies may make to the prevalence of an event flag.
FLAG_TOLERANCE = 0.008


def plan_copies(snap, need, comps: Components, budget: int, max_size: int, rng, copied=None):
    """Components to copy and how often: ``(component ids, copies)`` within ``budget``.

    Only components of at most ``max_size`` people whose holder of the pattern is real
    serve as donors.
    """
    codes = np.flatnonzero(need > 0)
    empty = np.zeros(0, dtype=np.int64)
    copied = np.zeros(len(comps.size), dtype=np.int64) if copied is None else copied
    if len(codes) == 0 or budget <= 0:
        return empty, empty
    index = snap.index
    real = ~snap.data.is_synthetic
    rows = np.isin(index.pattern, codes) & real[index.owner]
    owner, pattern = index.owner[rows], index.pattern[rows]
    comp = comps.label[owner]
    small = (comps.size[comp] <= max_size) & (comps.n_edges[comp] > 0)
    owner, pattern, comp = owner[small], pattern[small], comp[small]
    if len(owner) == 0:
        return empty, empty
    # one random donor component per pattern
    shuffle = rng.permutation(len(owner))
    pick = pd.DataFrame({"pattern": pattern[shuffle], "comp": comp[shuffle]})
    pick = pick.drop_duplicates("pattern")
    pick["need"] = need[pick["pattern"].to_numpy()]
    plan = pick.groupby("comp", sort=False).agg(copies=("need", "max"), served=("need", "size"))
    # many copies of one household form a cluster of identical connections that a
    # detector isolates: at most MAX_COPIES per household (the rest stays at risk)
    plan["copies"] = np.minimum(plan["copies"], MAX_COPIES - copied[plan.index.to_numpy()])
    plan = plan[plan["copies"] > 0]
    plan["cost"] = plan["copies"] * comps.n_edges[plan.index.to_numpy()]
    plan["per_pattern"] = plan["cost"] / plan["served"]
    plan = plan.sort_values(["per_pattern", "cost"], kind="stable")
    # fill the budget: whole copies, the last component possibly fewer times
    cum = plan["cost"].cumsum().to_numpy()
    edges = comps.n_edges[plan.index.to_numpy()]
    before = np.r_[0, cum[:-1]]
    room = np.maximum(budget - before, 0)
    copies = np.minimum(plan["copies"].to_numpy(), room // np.maximum(edges, 1))
    keep = copies > 0
    # once the budget is short, smaller components may still fit: allow them (room stays)
    spent = np.cumsum(copies * edges)
    keep &= spent <= budget
    comp_ids = plan.index.to_numpy()
    # event flags: copies of flagged people may not move the release's prevalence of any
    # flag by more than FLAG_TOLERANCE (a copy of a household copies its flags)
    people = snap.data._people
    flags = [c for c in snap.data.event_columns if c in people.columns]
    if flags and keep.any():
        values = people[flags].to_numpy(dtype=bool, na_value=False)
        n_real = int(real.sum())
        prevalence = values[real].mean(axis=0)
        size = comps.size[comp_ids]
        n_syn = 2 * int((copies[keep] * size[keep]).sum()) + int((~real).sum())
        allowed = np.floor(prevalence * n_syn + FLAG_TOLERANCE * (n_real + n_syn))
        allowed -= values[~real].sum(axis=0)
        for j in range(len(flags)):
            per_comp = np.bincount(comps.label[values[:, j]], minlength=len(comps.size))
            flagged = per_comp[comp_ids] * copies * keep
            keep &= (flagged == 0) | (np.cumsum(flagged) <= max(allowed[j], 0))
    return comp_ids[keep].astype(np.int64), copies[keep].astype(np.int64)


def apply_copies(data, comps: Components, comp_ids, copies, ids: IdMaker, edge_fields):
    """``data`` with ``copies[i]`` copies of component ``comp_ids[i]`` appended (flagged)."""
    if len(comp_ids) == 0:
        return data, 0
    sizes = comps.size[comp_ids]
    # people: members of each component, repeated per copy
    member_count = np.repeat(sizes, copies)
    comp_rep = np.repeat(comp_ids, copies)
    starts = comps.start[comp_rep]
    offsets = np.arange(member_count.sum()) - np.repeat(np.cumsum(member_count) - member_count,
                                                        member_count)  # fmt: skip
    members = comps.order[np.repeat(starts, member_count) + offsets]
    new_ids = ids(len(members))
    people = data._people.iloc[members].reset_index(drop=True).copy()
    people[data.id_col] = pd.Series(new_ids).astype(data._people[data.id_col].dtype)
    for column in DERIVED_COLUMNS:
        if column in people.columns:
            people[column] = np.nan
    # position of each member's copy: old position -> new id, per copy
    copy_no = np.repeat(np.arange(len(comp_rep)), member_count)
    lookup = pd.Series(new_ids, index=pd.MultiIndex.from_arrays([copy_no, members]))
    # connections: every connection inside the component, per copy
    n_e = comps.n_edges[comp_rep]
    e_starts = comps.edge_start[comp_rep]
    e_off = np.arange(n_e.sum()) - np.repeat(np.cumsum(n_e) - n_e, n_e)
    edge_rows = comps.edge_order[np.repeat(e_starts, n_e) + e_off]
    e_copy = np.repeat(np.arange(len(comp_rep)), n_e)
    left = comps.left[edge_rows]
    right = comps.right[edge_rows]
    p1 = lookup.reindex(pd.MultiIndex.from_arrays([e_copy, left])).to_numpy()
    p2 = lookup.reindex(pd.MultiIndex.from_arrays([e_copy, right])).to_numpy()
    id_dtype = data._people[data.id_col].dtype
    connections = pd.DataFrame(
        {
            "person1_id": pd.Series(p1).astype(id_dtype),
            "person2_id": pd.Series(p2).astype(id_dtype),
            "connection_type": data._connections["connection_type"].iloc[edge_rows].to_numpy(),
        }
    )
    out = data.add(people=people.drop(columns=["is_synthetic"], errors="ignore"),
                   connections=connections, **edge_fields)  # fmt: skip
    return out, len(connections)


def plan_decoys(graph, comps: Components, donor_edges, budget, max_size, rng, copied,
                n_batches=4):  # fmt: skip
    """Extra copies of real components that make the copied connections look typical.

    Copies made for rare patterns over-represent unusual households; a detector learns
    that.  Decoy copies are drawn so that the copied connections' feature cells
    (type, age gap, common neighbours, degrees: those of :class:`._plausible._Graph`)
    approach the real connections' distribution: each small component is weighted by
    how much its connections' cells are still under-represented, in a few batches.

    ``donor_edges`` are the real edge rows already copied (with repetition).  Returns
    ``(component ids, copies)``.
    """
    empty = np.zeros(0, dtype=np.int64)
    if budget <= 0 or len(comps.left) == 0:
        return empty, empty
    snap = graph.snap
    real = ~snap.data._connections["is_synthetic"].to_numpy(bool)
    type_code = type_codes(snap.index, snap.data._connections["connection_type"])
    feats = np.column_stack([
        type_code,
        graph.features(comps.left, comps.right, 0, 0, added=False)[:, :-2],
    ])  # fmt: skip
    cell = pd.MultiIndex.from_arrays(feats.T).factorize()[0]
    n_cells = int(cell.max()) + 1
    real_count = np.bincount(cell[real], minlength=n_cells).astype(float)
    syn_count = np.bincount(cell[donor_edges], minlength=n_cells).astype(float)
    comp_of_edge = comps.label[comps.left]
    eligible = (comps.size <= max_size) & (comps.n_edges > 0)
    real_comp = np.ones(len(comps.size), dtype=bool)
    real_comp[comp_of_edge[~real]] = False  # components with synthetic edges: not donors
    eligible &= real_comp
    room = MAX_COPIES - copied
    # copies of rare-pattern households carry rare event flags: prefer flag-free decoys
    people = snap.data._people
    flags = [c for c in snap.data.event_columns if c in people.columns]
    if flags:
        flagged = people[flags].to_numpy(dtype=bool, na_value=False).any(axis=1)
        has_flag = np.bincount(comps.label[flagged], minlength=len(comps.size)) > 0
        penalty = np.where(has_flag, 0.2, 1.0)
    else:
        penalty = np.ones(len(comps.size))
    edges_of = comps.n_edges.astype(float)
    chosen = []
    total = syn_count.sum() + budget
    left = int(budget)
    for batch in range(n_batches):
        if left <= 0:
            break
        target = total * real_count / max(real_count.sum(), 1.0)
        deficit = np.maximum(target - syn_count, 0)
        gain = np.where(real_count > 0, deficit / np.maximum(real_count, 1), 0)[cell]
        weight = np.bincount(comp_of_edge[real], gain[real], minlength=len(comps.size))
        weight = np.where(eligible & (room > 0), penalty * weight / np.maximum(edges_of, 1), 0)
        if weight.sum() <= 0:
            break
        per_batch = max(left // max(n_batches - batch, 1), 1)
        n_draw = int(min(np.count_nonzero(weight), per_batch))
        draw = rng.choice(len(weight), size=n_draw, replace=False, p=weight / weight.sum())
        cost = np.cumsum(comps.n_edges[draw])
        draw = draw[cost <= min(per_batch, left)]
        if len(draw) == 0:
            break
        chosen.append(draw)
        room[draw] -= 1
        left -= int(comps.n_edges[draw].sum())
        rows = np.isin(comp_of_edge, draw) & real
        syn_count += np.bincount(cell[rows], minlength=n_cells)
    if not chosen:
        return empty, empty
    ids, copies = np.unique(np.concatenate(chosen), return_counts=True)
    return ids.astype(np.int64), copies.astype(np.int64)


def copied_edge_rows(comps: Components, comp_ids, copies) -> np.ndarray:
    """Edge rows (of the donor data) that copies of ``comp_ids`` reproduce, repeated."""
    if len(comp_ids) == 0:
        return np.zeros(0, dtype=np.int64)
    n_e = comps.n_edges[comp_ids]
    rep = np.repeat(np.arange(len(comp_ids)), n_e)
    off = np.arange(n_e.sum()) - np.repeat(np.cumsum(n_e) - n_e, n_e)
    rows = comps.edge_order[comps.edge_start[comp_ids][rep] + off]
    return np.repeat(rows, np.repeat(copies, n_e))


def essential_copies(snap, need, comps: Components, comp_ids) -> np.ndarray:
    """Positions (in ``snap``) of people whose values make a needy pattern in ``comp_ids``.

    They are the partners, inside the components, of the holders of patterns with a
    need: their copies must keep every signature value.
    """
    left, right = comps.left, comps.right
    if len(left) == 0 or len(comp_ids) == 0:
        return np.zeros(0, dtype=np.int64)
    t = type_codes(snap.index, snap.data._connections["connection_type"])
    owner = np.r_[left, right]
    partner = np.r_[right, left]
    types = np.r_[t, snap.inverse[t]]
    code = snap.code_of(types * snap.span + snap.sig[partner])
    inside = np.isin(comps.label[owner], comp_ids)
    needy = (code >= 0) & (need[np.maximum(code, 0)] > 0) & inside
    return np.unique(partner[needy])


def balance_flags(people, first_synthetic, columns, keep, rng) -> pd.DataFrame:
    """Synthetic rows' ``has_*`` flags moved towards the real prevalence (a copy).

    Copies of the households that hold rare patterns over-represent rare flags; the
    flags of copied people who are not ``keep`` (partners of a needy pattern) are
    switched, at random, until each column's prevalence among the synthetic rows is
    the real rows' prevalence (as far as the free rows allow).
    """
    if not columns or first_synthetic >= len(people):
        return people
    out = people.copy()
    n = len(out)
    free = np.ones(n, dtype=bool)
    free[:first_synthetic] = False
    free[np.asarray(keep, dtype=np.int64)] = False
    real = ~out["is_synthetic"].to_numpy(bool)
    syn = ~real
    syn[:first_synthetic] = False
    for column in columns:
        values = out[column].to_numpy(dtype=bool, na_value=False).copy()
        allowed = int(round(values[real].mean() * syn.sum())) if real.any() else 0
        excess = int(values[syn].sum()) - allowed
        pool = np.flatnonzero(free & syn & (values if excess > 0 else ~values))
        flip = rng.permutation(pool)[: abs(excess)]
        values[flip] = excess < 0
        out[column] = pd.Series(values, index=out.index).astype(out[column].dtype)
    return out
