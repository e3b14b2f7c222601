"""Local recoding of quasi-identifiers *and* 1-hop neighbourhoods (the engine of
:class:`~personatwin_sklearn.NeighborhoodKAnonymizer`).

The adversary who matters knows a target's quasi-identifiers and the type and partner
attributes of each of the target's connections.  A released person is a candidate for
the target when their published quasi-identifiers are consistent with the target's and
their published connections *contain* the target's (each known connection matched by a
distinct released one whose type and partner values are consistent).

The recoding makes groups of at least ``k`` people who are candidates for each other:

1. **Partition** (Mondrian, :func:`~personatwin_sklearn.generalize._mondrian.build_tree`)
   on the quasi-identifiers *and* the neighbourhood shape: number of connections and the
   count of each connection type, weighted so that the shape is cut first.  A group then
   holds people with the same number of connections wherever at least ``k`` share it.
2. **Align** the connections inside each group: every member's connections are sorted
   by (type, partner gender, partner age) and the j-th connections of the members form a
   *slot*.
3. **Generalise only where a slot differs**: a slot whose members' types differ gets the
   group label of those types (closed under inverse: ``"CHILD|PARENT|SIBLING"``) on
   those connections only; a partner whose age, gender or flags differ from the other
   partners of the slot gets a coarser published value, and occupations that differ
   are published as the ACS major group (or the union of the major groups) of the
   slot's values.  Everything else keeps its exact value.  Partner ages and genders
   widen the partner's whole quasi-identifier class, so that classes of equal published
   quasi-identifiers stay classes.

Each generalisation only ever makes a published value cover more true values, so it can
only add candidates: a real person's true record is always among their candidates.

For the edge scope (an adversary who knows one connection) :func:`plan_recoding` takes
``rare``, the connections whose patterns are rare, and generalises only their slots;
:class:`ValuePools` pools the values of a long-tailed kept column (an area) into nested
blocks for the partners of rare connections, so frequent values stay exact.

Everything is vectorised with sorts, ``bincount`` and ``reduceat`` over connections;
there is no Python loop over people or connections.
"""

from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
import pandas as pd

from personatwin_sklearn import census
from personatwin_sklearn._graph_features import NA
from personatwin_sklearn._scoped import memoised, scoped_cache
from personatwin_sklearn._text import cells_like, factorize
from personatwin_sklearn.generalize._mondrian import build_tree, pair_codes

__all__ = [
    "RecodingPlan",
    "ValuePools",
    "apply_recoding",
    "group_type_label",
    "plan_recoding",
]

WILDCARD = "*"
#: Weight of the neighbourhood shape against a quasi-identifier's full range.
SHAPE_WEIGHT = 4.0
_SPAN = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*$")
#: Most distinct values a bitmask column may hold (int64 bits).
_MAX_BITS = 62


def group_type_label(types, inverse: dict) -> str:
    """Label of a group of connection types, closed under ``inverse`` (sorted members)."""
    members = set(types)
    members |= {inverse.get(t, t) for t in members}
    return "|".join(sorted(members))


def _bit_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and the distinct values (object) of ``values``.  A missing value is
    a value of its own (the last code): ``"<NA>"``, as every reader of a release takes
    it, or NaN in a numeric column (:func:`_number_labels` publishes it as ``"<NA>"``),
    so a published cell covers it like any other."""
    codes, uniques = factorize(values, sort=True)
    missing = codes < 0
    if missing.any():
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        uniques = np.append(uniques, np.array([np.nan if numeric else NA], dtype=object))
        codes = np.where(missing, len(uniques) - 1, codes)
    return codes.astype(np.int64), uniques


def occupation_groups() -> dict:
    """Occupation code -> the members of its group: the ACS C24010 major groups, and
    the people not employed (student, unemployed, retired, not in the labour force)."""
    groups = list(census.OCCUPATION_MAJOR_GROUPS.values()) + [tuple(census.NOT_EMPLOYED)]
    return {code: tuple(sorted(members)) for members in groups for code in members}


def _frequency_codes(values: pd.Series) -> np.ndarray:
    """Code of each value by descending frequency (0: the most frequent; ties by value;
    missing values last): frequent values sit together, the rare tail after them."""
    codes, uniques = factorize(values, sort=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[np.lexsort((np.arange(len(uniques)), -counts))] = np.arange(len(uniques))
    return np.where(codes >= 0, rank[np.maximum(codes, 0)], len(uniques)).astype(np.int64)


def _sort_codes(values: pd.Series, name, major_only=False) -> np.ndarray:
    """Codes that put similar values of a kept column next to each other (occupations:
    by ACS major group, then code)."""
    codes, uniques = factorize(values, use_na_sentinel=False)
    if name == "occupation":
        major = {c: "|".join(g) for c, g in occupation_groups().items()}
        keys = [f"{major.get(v, '~')}" + ("" if major_only else f"/{v}") for v in uniques]
        uniques = np.asarray(keys, dtype=object)
    ranks = pd.factorize(pd.Series(uniques, dtype=object), sort=True)[0]
    return ranks[codes].astype(np.int64)


def _neighbourhood_key(people, names, qi_codes, owner, partner, seen_type, vocab, signature):
    """Per person, the code of their sorted neighbourhood tokens (0: no connections)."""
    token = pd.Series(vocab[seen_type], dtype=object).astype(str)
    if "gender" in names:
        token = token + "/" + pd.Series(qi_codes[partner, names.index("gender")]).astype(str)
    for name in signature:
        if name in names or name not in people.columns:
            continue
        values = people[name].astype(object).to_numpy()[partner]
        if name == "occupation":
            groups = occupation_groups()
            values = np.asarray([groups.get(v, (v,))[0] for v in values], dtype=object)
        token = token + "/" + pd.Series(values, dtype=object).fillna("<NA>").astype(str)
    frame = pd.DataFrame({"o": owner, "t": token.to_numpy()}).sort_values(["o", "t"])
    keys = frame.groupby("o", sort=True)["t"].agg(";".join)
    full = pd.Series("", index=np.arange(len(people)), dtype=object)
    full[keys.index.to_numpy()] = keys.to_numpy()
    return pd.factorize(full, sort=True)[0].astype(np.int64)


def _or_reduce(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Bitwise OR of ``values`` per group (groups need not be sorted)."""
    out = np.zeros(n_groups, dtype=np.int64)
    np.bitwise_or.at(out, groups, values)
    return out


def _popcount(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.uint64)
    count = np.zeros(len(x), dtype=np.int64)
    while (x != 0).any():
        count += (x & np.uint64(1)).astype(np.int64)
        x = x >> np.uint64(1)
    return count


def _members(mask: int, vocabulary: np.ndarray) -> list:
    return [vocabulary[b] for b in range(len(vocabulary)) if mask >> b & 1]


@dataclass
class RecodingPlan:
    """What the recoding publishes, computed by :func:`plan_recoding`.

    Attributes
    ----------
    group : ndarray of shape (n_people,)
        Group (Mondrian leaf) of each person.
    qi_lo, qi_hi : ndarray of shape (n_people, n_qi)
        Code range of each person's published quasi-identifiers (their group's range,
        widened where the person is a partner in a slot that needs it).
    column_masks : dict
        Kept signature column -> (frame of (person position ``p``, value code ``v``)
        pairs for the people whose cell must cover several values, vocabulary).
    type_mask : ndarray of shape (n_connections,)
        Bitmask over ``type_vocabulary`` of the published type of each connection.
    type_vocabulary : ndarray
        Connection types (as written and their inverses).
    min_slot : ndarray of shape (n_people,)
        Per person, the fewest owners of a slot they have a connection in (``inf``:
        no connection): where a slot is widened, each of its owners is a candidate for
        a target who knows the person's connection of that slot.
    slot_of : ndarray of shape (2 * n_connections,)
        Slot of each connection seen from each end (person1's side, then person2's).
    """

    group: np.ndarray
    qi_lo: np.ndarray
    qi_hi: np.ndarray
    column_masks: dict
    type_mask: np.ndarray
    type_vocabulary: np.ndarray
    min_slot: np.ndarray = None
    slot_of: np.ndarray = None


def _seen(data, type_codes, inv_code):
    """Each connection seen from both ends: owner, partner, seen type code, row."""
    p1, p2 = data.edge_positions()
    m = len(p1)
    owner = np.r_[p1, p2]
    partner = np.r_[p2, p1]
    seen_type = np.r_[type_codes, inv_code[type_codes]]
    row = np.r_[np.arange(m), np.arange(m)]
    return owner, partner, seen_type, row


def plan_recoding(
    data,
    columns,
    qi_codes,
    k,
    signature,
    *,
    shape_weight=SHAPE_WEIGHT,
    widen=("qi", "kept", "type"),
    partner_weight=0.0,
    key_weight=0.0,
    cover=None,
    flag_weight=0.0,
    cover_widen=("qi", "flags"),
    age_weight=0.0,
    own_weight=1.0,
    partner_level="major",
    rare=None,
):
    """Partition ``data`` and find the generalisation of each group's slots.

    Parameters
    ----------
    data : SocialData
        People and connections (synthetic ones included: they are candidates too).
    columns : list of _Column
        The quasi-identifier codings (:class:`~personatwin_sklearn.KAnonymizer`'s).
    qi_codes : ndarray of shape (n_people, n_qi)
        The people's quasi-identifier codes.
    k : int
        Smallest group.
    signature : tuple of str
        Partner columns of a connection pattern.
    shape_weight : float
        Weight of the neighbourhood shape in the partition (0: quasi-identifiers only).
    rare : ndarray of bool of shape (2 * n_connections,), default=None
        Per connection seen from each end (person1's side, then person2's), whether its
        pattern is rare: only the slots holding a rare connection are widened (the
        edge scope).  ``None``: every slot whose members differ (the neighbourhood
        scope).

    Returns
    -------
    plan : RecodingPlan
    """
    people = data._people
    names = [c.name for c in columns]
    types = _types(data)
    owner, partner, seen_type, row = _seen(data, types.codes, types.inverse)
    seen = _Seen(owner, partner, seen_type, row)
    weights = (shape_weight, partner_weight, key_weight, flag_weight, age_weight, own_weight)

    def partition():
        dims, pos = _partition_dims(people, columns, qi_codes, seen, types.vocabulary,
                                    signature, *weights, partner_level)  # fmt: skip
        codes = np.column_stack(dims) if len(dims) > 1 else qi_codes
        _, group = build_tree(codes, pos, k)
        return pd.factorize(group)[0].astype(np.int64)

    # the partition does not depend on the repair (cover) or the scope (rare): a refit
    # with cover ids inside :func:`shared_partitions` reuses it
    key = (id(data), k, tuple(names), tuple(signature), weights, partner_level,
           hashlib.blake2b(np.ascontiguousarray(qi_codes).tobytes()).hexdigest())  # fmt: skip
    group = _cached_partition(key, data, partition)
    slot_of, n_slots = _slots(people, names, qi_codes, seen, group, signature)
    if rare is None:  # neighbourhood scope: every slot whose members differ
        needed = np.ones(n_slots, dtype=bool)
    else:  # edge scope: only the slots holding a connection of a rare pattern
        needed = np.bincount(slot_of[np.asarray(rare, dtype=bool)], minlength=n_slots) > 0
    type_mask = _type_needs(types, seen, slot_of, n_slots, ("type" in widen) & needed)
    cover_widen = tuple(cover_widen)
    src = None  # the connections whose partner values the selected slots must cover
    widened_qis = list(signature)  # partner quasi-identifiers the cover widens
    if "qi" in widen:  # where partner values are widened: everywhere, or cover's groups
        sel = needed[slot_of]
    elif cover is not None and np.any(cover):
        cover = np.asarray(cover, dtype=bool)
        if "own_slots" in cover_widen:  # only the slots a cover person is an owner in
            sel = np.zeros(n_slots, dtype=bool)  # (edge scope: of their rare connections)
            own = cover[owner] if rare is None else cover[owner] & np.asarray(rare, bool)
            sel[slot_of[own]] = True
            sel = sel[slot_of]
        else:  # every slot of a cover person's group
            sel = np.zeros(int(group.max(initial=-1)) + 1, dtype=bool)
            sel[group[cover]] = True
            sel = sel[group[owner]]
        if "qi" not in cover_widen:
            widened_qis = [c for c in signature if c in cover_widen]
        if "targets" in cover_widen:  # cover the targets' partner values, not the slot's
            src = sel & cover[owner]
    else:
        sel = np.zeros(len(owner), dtype=bool)
    qi_lo, qi_hi = _qi_ranges(
        names, qi_codes, seen, group, slot_of, n_slots, widened_qis, sel, src
    )
    keep = needed[slot_of] | sel if "kept" in widen else sel
    flags = [c for c in signature if str(c).startswith("has_")]
    if "flags" not in widen and flags:  # flags: only in the groups of ``cover`` people
        column_masks = _kept_needs(people, names, seen, slot_of,
                                   [c for c in signature if c not in flags], keep)  # fmt: skip
        flag_sel = sel if "flags" in cover_widen or "qi" in widen else np.zeros_like(sel)
        column_masks.update(_kept_needs(people, names, seen, slot_of, flags, flag_sel, src))
    else:
        column_masks = _kept_needs(people, names, seen, slot_of, signature, keep)
    min_slot = np.full(len(people), np.inf)
    np.minimum.at(min_slot, owner, np.bincount(slot_of, minlength=n_slots)[slot_of])
    return RecodingPlan(group, qi_lo, qi_hi, column_masks, type_mask, types.vocabulary, min_slot,
                        slot_of)  # fmt: skip


_PARTITIONS: ContextVar[dict | None] = ContextVar("_PARTITIONS", default=None)


@contextmanager
def shared_partitions():
    """Within the block, :func:`plan_recoding` reuses the partition of data it already
    partitioned with the same group size, weights and quasi-identifier codes (the search
    refits each point with the repair's cover ids: same groups, wider values)."""
    with scoped_cache(_PARTITIONS):
        yield


def _cached_partition(key, data, compute) -> np.ndarray:
    """:func:`shared_value`, a copy (the caller may change it)."""
    return shared_value(key, data, compute).copy()


def shared_value(key, data, compute):
    """``compute()``, memoised under ``key`` inside :func:`shared_partitions` (the cache
    holds ``data`` alive, so its ``id`` in the key is not reused); the value itself is
    returned: callers must not change it."""
    return memoised(_PARTITIONS, key, data, compute)


def last_value(slot, key, data, compute):
    """``compute()``, kept inside :func:`shared_partitions` until another ``key`` is asked
    for under the same ``slot`` (one value per slot: a plan of 1M people is large, and only
    the next fit may ask for it again)."""
    cache = _PARTITIONS.get()
    if cache is None:
        return compute()
    held = cache.get(("last", slot))
    if held is None or held[0] != key:
        cache[("last", slot)] = held = (key, data, compute())
    return held[2]


@dataclass
class _Types:
    vocabulary: np.ndarray  # types as written and their inverses
    codes: np.ndarray  # per connection row
    inverse: np.ndarray  # per vocabulary code, its inverse's code


@dataclass
class _Seen:
    owner: np.ndarray
    partner: np.ndarray
    type: np.ndarray
    row: np.ndarray


def _types(data) -> _Types:
    inverse = data.domain.inverse
    codes, uniques = factorize(data._connections["connection_type"], use_na_sentinel=False)
    raw = [str(t) for t in uniques]
    vocab = np.array(sorted(set(raw) | {inverse.get(t, t) for t in raw}), dtype=object)
    if len(vocab) > _MAX_BITS:  # pragma: no cover - domains have a handful of types
        raise ValueError(f"too many connection types ({len(vocab)}) for the recoding")
    index = pd.Index(vocab, dtype=object)
    return _Types(
        vocab,
        index.get_indexer(raw).astype(np.int64)[codes],
        index.get_indexer([inverse.get(t, t) for t in vocab]).astype(np.int64),
    )


def _first_two_partners(codes, owner, partner, seen_type, n):
    """Per person, the codes of the first two partners (connections sorted by type, then
    code); a person without such a connection gets a code of its own (the largest + 1)."""
    order = np.lexsort([codes[partner], seen_type, owner])
    o_sorted = owner[order]
    first = np.r_[True, o_sorted[1:] != o_sorted[:-1]]
    second = np.r_[False, first[:-1]] & ~first
    top = int(codes.max(initial=0)) + 1
    out = []
    for pick in (first, second):
        col = np.full(n, top, dtype=np.int64)
        col[o_sorted[pick]] = codes[partner[order][pick]]
        out.append(col)
    return out


def _partition_dims(people, columns, qi_codes, seen, vocab, signature, shape_weight,
                    partner_weight, key_weight, flag_weight=0.0, age_weight=0.0,
                    own_weight=1.0, partner_level="major"):  # fmt: skip
    """Mondrian dimensions: the quasi-identifiers (those no partner shows weighted by
    ``own_weight``), then the weighted neighbourhood ones."""
    n = len(people)
    owner, partner, seen_type = seen.owner, seen.partner, seen.type
    dims = [qi_codes]
    pos = [c.pos * (1.0 if c.name in signature else own_weight) for c in columns]

    def add(col, weight):
        top = int(col.max(initial=0))
        dims.append(col[:, None])
        pos.append(np.arange(top + 1) / max(top, 1) * weight)

    if shape_weight > 0 and len(owner):  # number of connections, count of each type
        counts = np.zeros((n, len(vocab)), dtype=np.int64)
        np.add.at(counts, (owner, seen_type), 1)
        add(np.bincount(owner, minlength=n), shape_weight)
        for t in np.flatnonzero(counts.any(axis=0)):
            add(counts[:, t], shape_weight / 2)
    if partner_weight > 0 and len(owner) and "occupation" in people.columns:
        # the partners' occupation groups, or codes ordered by group (first two
        # connections by type and group)
        major = _sort_codes(people["occupation"], "occupation",
                            major_only=partner_level == "major")  # fmt: skip
        for col in _first_two_partners(major, owner, partner, seen_type, n):
            add(col, partner_weight)
    names = [c.name for c in columns]
    if age_weight > 0 and len(owner) and "age" in names:
        # the partners' ages (first two connections by type and age): slots of similar
        # partners need their ages widened less
        age = qi_codes[:, names.index("age")]
        for col in _first_two_partners(age, owner, partner, seen_type, n):
            add(col, age_weight)
    if flag_weight > 0 and len(owner):
        # per flag, how many of a person's partners have it: a group of people with as
        # many flagged partners needs no flag widened
        for name in signature:
            if str(name).startswith("has_") and name in people.columns:
                flag = people[name].fillna(False).to_numpy(dtype=bool)
                add(np.bincount(owner, weights=flag[partner], minlength=n).astype(np.int64),
                    flag_weight)  # fmt: skip
    if key_weight > 0 and len(owner):
        # the whole neighbourhood as one ordered key: (type, partner gender, flags,
        # occupation group) of every connection, so that equal neighbourhoods are kept
        # together and similar ones are next to each other
        names = [c.name for c in columns]
        add(_neighbourhood_key(people, names, qi_codes, owner, partner, seen_type, vocab,
                               signature), key_weight)  # fmt: skip
    return dims, pos


def _slots(people, names, qi_codes, seen, group, signature):
    """Slot of each seen connection: the j-th connection of a group's members, sorted by
    (type, partner gender, kept partner columns, partner age)."""
    owner, partner = seen.owner, seen.partner
    sort_cols = [seen.type]
    if "gender" in names:
        sort_cols.append(qi_codes[partner, names.index("gender")])
    kept = [c for c in signature if c not in names and c in people.columns]
    for name in sorted(kept, key=lambda c: not str(c).startswith("has_")):  # flags first
        sort_cols.append(_sort_codes(people[name], name)[partner])
    if "age" in names:
        sort_cols.append(qi_codes[partner, names.index("age")])
    order = np.lexsort([*reversed(sort_cols), owner])
    o_sorted = owner[order]
    starts = np.r_[0, np.cumsum(np.bincount(o_sorted, minlength=len(people)))[:-1]]
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - starts[o_sorted]
    width = int(rank.max(initial=-1)) + 1
    slot, slot_of = np.unique(group[owner] * max(width, 1) + rank, return_inverse=True)
    return slot_of, len(slot)


def _type_needs(types, seen, slot_of, n_slots, widen):
    """Per connection row, the bitmask of its published type: a slot that mixes types
    publishes their group (closed under inverse, so it reads the same from both ends)."""
    slot_types = _or_reduce(np.left_shift(np.int64(1), seen.type), slot_of, n_slots)
    mixed = _popcount(slot_types) > 1
    closed = slot_types.copy()
    for t in range(len(types.vocabulary)):
        has = (slot_types >> t & 1).astype(bool)
        closed[has] |= np.int64(1) << types.inverse[t]
    need = np.where(mixed & widen, closed, 0)[slot_of]
    type_mask = np.left_shift(np.int64(1), types.codes)
    np.bitwise_or.at(type_mask, seen.row, need)
    return type_mask


def _qi_ranges(names, qi_codes, seen, group, slot_of, n_slots, signature, sel, src=None):
    """Per person, the code range of each published quasi-identifier: the group's range,
    widened on the selected slots to every partner value of the slot (on the partner's
    whole group, so that groups of equal published values stay groups); with ``src``,
    only to the values of the slot's ``src`` connections (those of the targets)."""
    src = sel if src is None else src
    n_groups = int(group.max(initial=-1)) + 1
    q = qi_codes.shape[1]
    g_lo = np.full((n_groups, q), np.iinfo(np.int64).max, dtype=np.int64)
    g_hi = np.full((n_groups, q), -1, dtype=np.int64)
    for j in range(q):
        np.minimum.at(g_lo[:, j], group, qi_codes[:, j])
        np.maximum.at(g_hi[:, j], group, qi_codes[:, j])
    partner = seen.partner
    for name in signature if sel.any() else ():
        if name not in names:
            continue
        j = names.index(name)
        values = qi_codes[partner, j]
        s_lo = np.full(n_slots, np.iinfo(np.int64).max, dtype=np.int64)
        s_hi = np.full(n_slots, -1, dtype=np.int64)
        np.minimum.at(s_lo, slot_of[src], values[src])
        np.maximum.at(s_hi, slot_of[src], values[src])
        np.minimum.at(g_lo[:, j], group[partner[sel]], s_lo[slot_of[sel]])
        np.maximum.at(g_hi[:, j], group[partner[sel]], s_hi[slot_of[sel]])
    return g_lo[group], g_hi[group]


def _kept_needs(people, names, seen, slot_of, signature, keep, src=None):
    """Kept signature columns (occupation, flags, ...): the people whose cell must cover
    several values (every value of the selected slots they are a partner in; with
    ``src``, their own value and those of the slot's ``src`` connections)."""
    column_masks = {}
    partner = seen.partner
    src = keep if src is None else src
    uses = pd.DataFrame({"p": partner[keep], "s": slot_of[keep]}).drop_duplicates()
    for name in signature if keep.any() else ():
        if name in names or name not in people.columns:
            continue
        codes_c, vocab_c = _bit_codes(people[name])
        slot_values = pd.DataFrame(
            {"s": slot_of[src], "v": codes_c[partner[src]]}
        ).drop_duplicates()
        needs = uses.merge(slot_values, on="s")[["p", "v"]]
        own = pd.DataFrame({"p": uses["p"].to_numpy(), "v": codes_c[uses["p"].to_numpy()]})
        needs = pd.concat([needs, own], ignore_index=True)
        needs = needs[needs["v"].to_numpy() >= 0].drop_duplicates()
        n_values = np.bincount(needs["p"].to_numpy(), minlength=len(people))
        column_masks[name] = (needs[n_values[needs["p"].to_numpy()] > 1], vocab_c)
    return column_masks


#: Most values a set label lists; more are published as "*".
MAX_SET = 8


def _acs_group(code) -> str:
    """An occupation's ACS C24010 major group (its members joined), else the code itself
    (the codes of people not employed have no group above them in the ACS table)."""
    group = census.MAJOR_GROUP_OF.get(code)
    return code if group is None else "|".join(sorted(census.OCCUPATION_MAJOR_GROUPS[group]))


def _partner_groups(data):
    """``(owner, partner, group)`` of each connection seen from each end: the ACS major
    group code of the partner's occupation (a code without a group counts as its own)."""
    left, right = (np.asarray(side, dtype=np.int64) for side in data.edge_positions())
    owner, partner = np.r_[left, right], np.r_[right, left]
    codes, uniques = factorize(data._people["occupation"], use_na_sentinel=False)
    group = pd.factorize(np.asarray([_acs_group(str(v)) for v in uniques], dtype=object))[0]
    return owner, partner, group[codes][partner]


def slot_hubs(data, slot_of: np.ndarray, cover: np.ndarray) -> np.ndarray:
    """Per person, whether they are the partner, in a slot a ``cover`` person owns a
    connection in, of another owner whose partner's ACS major group differs from the
    cover person's partner's (a code without a group counts as its own).

    Under the ACS level a slot's partners keep their own groups, so an owner is a
    candidate for a cover person only where their partners' groups agree; suppressing
    the partners that differ makes the slot's other owners candidates for them.
    """
    owner, partner, group = _partner_groups(data)
    mine = np.asarray(cover, dtype=bool)[owner]
    targets = pd.DataFrame({"s": slot_of[mine], "g": group[mine]}).drop_duplicates()
    seen = pd.DataFrame({"s": slot_of, "g": group, "p": partner, "o": owner})
    pairs = seen.merge(targets, on="s", suffixes=("", "_t"))
    differ = pairs["g"].to_numpy() != pairs["g_t"].to_numpy()
    out = np.zeros(len(data), dtype=bool)
    out[pairs["p"].to_numpy()[differ]] = True
    return out


def cheapest_twins(data, slot_of: np.ndarray, twins: np.ndarray, hubs: np.ndarray) -> np.ndarray:
    """Per person, whether to suppress their occupation so that each ``twins`` person
    gets one more owner consistent with them in every slot they own a connection in
    (under the ACS level a slot's partners keep their own major groups).

    For each such person, the other owners that have a connection in each of their
    slots are ranked by how many of those partners' groups differ (and are not already
    ``hubs``); the cheapest is made consistent by suppressing just those partners (ties:
    the earlier owner).
    """
    owner, partner, group = _partner_groups(data)
    mine = np.asarray(twins, dtype=bool)[owner]
    out = np.zeros(len(data), dtype=bool)
    if not mine.any():
        return out
    targets = pd.DataFrame({"c": owner[mine], "s": slot_of[mine], "g": group[mine]})
    n_slots = targets.groupby("c")["s"].size()
    seen = pd.DataFrame({"s": slot_of, "o": owner, "p": partner, "g_o": group})
    pairs = targets.merge(seen, on="s")
    pairs = pairs[pairs["o"].to_numpy() != pairs["c"].to_numpy()]
    cost = (pairs["g_o"].to_numpy() != pairs["g"].to_numpy()) & ~hubs[pairs["p"].to_numpy()]
    pairs = pairs.assign(cost=cost.astype(np.int64))
    per = pairs.groupby(["c", "o"], sort=True).agg(n=("s", "size"), cost=("cost", "sum"))
    per = per[per["n"].to_numpy() == n_slots.reindex(per.index.get_level_values(0)).to_numpy()]
    per = per.reset_index().sort_values(["c", "cost", "o"], kind="stable")
    chosen = per.groupby("c", sort=False).head(1)[["c", "o"]]
    picked = pairs.merge(chosen, on=["c", "o"])
    out[picked["p"].to_numpy()[picked["cost"].to_numpy() > 0]] = True
    return out


def _crosses_groups(wide: pd.DataFrame, vocab) -> pd.Series:
    """Per person of ``wide``, whether the occupations it must cover span more than one
    ACS major group (a code without a group counts as its own)."""
    groups = pd.factorize(np.asarray([_acs_group(str(v)) for v in vocab], dtype=object))[0]
    frame = pd.DataFrame({"p": wide["p"].to_numpy(), "g": groups[wide["v"].to_numpy()]})
    return frame.groupby("p", sort=True)["g"].nunique() > 1


def _column_labels(name, wide: pd.DataFrame, vocab, own=None, level="union") -> pd.Series:
    """Published cell of the people in ``wide`` (person -> the values it must cover).

    Occupation codes are published as the union of their groups
    (:func:`occupation_groups`); with ``level="major"`` as the person's own group only
    (finer, but it covers only the slot's values of that group); with ``level="acs"``
    as the person's own ACS major group, or their own code when it has none (not
    employed).
    """
    values = vocab[wide["v"].to_numpy()]
    people = wide["p"].to_numpy()
    if name == "occupation" and level == "acs" and own is not None:
        who = np.unique(people)
        uniq, inverse = np.unique(own[who].astype(str), return_inverse=True)
        labels = np.asarray([_acs_group(v) for v in uniq], dtype=object)[inverse.ravel()]
        return pd.Series(labels, index=who, dtype=object)
    if name == "occupation":
        group_of = occupation_groups()
        limit = len(group_of) - 1  # whole groups: "*" only when every value is in
        group_of[NA] = (NA,)  # a missing occupation: a group of its own
        if level == "major" and own is not None:
            mine = own[np.unique(people)]
            if all(v in group_of for v in pd.unique(mine)):
                labels = ["|".join(group_of[v]) for v in mine]
                return pd.Series(labels, index=np.unique(people), dtype=object)
        if all(v in group_of for v in pd.unique(values)):
            lookup = pd.DataFrame(
                [(v, c) for v, members in group_of.items() for c in members], columns=["v", "c"]
            )
            frame = pd.DataFrame({"p": people, "v": values}).merge(lookup, on="v")
            frame = frame[["p", "c"]].drop_duplicates()
            people, values = frame["p"].to_numpy(), frame["c"].to_numpy()
        else:
            limit = MAX_SET
    else:
        limit = MAX_SET
    frame = pd.DataFrame({"p": people, "v": pd.Series(values).astype(str)})
    frame = frame.sort_values(["p", "v"], kind="stable")
    labels = _set_labels(frame["p"].to_numpy(), frame["v"].to_numpy(object))
    if labels is None:  # duplicates or a wide vocabulary: a join per person
        size = frame.groupby("p", sort=True)["v"].size()
        labels = frame.groupby("p", sort=True)["v"].agg("|".join)
    else:
        labels, size = labels
    return labels.where(size <= limit, WILDCARD)


def _number_labels(wide: pd.DataFrame, vocab) -> pd.Series:
    """Published cell of a numeric column: the values to cover as a sorted set
    (``"3|17|250"``) when at most :data:`MAX_SET`, else their range ``"lo-hi"``.

    A set is never wider than the range (a code-like column such as an area code: a
    range of codes covers unrelated areas; an amount: the set lists the amounts); every
    reader of published labels reads both forms as the values they cover.
    """
    values = pd.Series(vocab[wide["v"].to_numpy()].astype(float), index=wide.index)
    by = wide["p"].to_numpy()
    known = values.notna().to_numpy()  # a missing value is listed as "<NA>"
    span = values[known].groupby(by[known]).agg(["min", "max", "size"])
    labels = span["min"].map("{:g}".format) + "-" + span["max"].map("{:g}".format)
    few = span["size"].to_numpy() <= MAX_SET
    if few.any():
        frame = pd.DataFrame({"p": by[known], "x": values.to_numpy()[known]})
        frame = frame.sort_values(["p", "x"])
        frame = frame[np.isin(frame["p"].to_numpy(), span.index.to_numpy()[few])]
        text = frame["x"].map("{:g}".format)
        sets = text.groupby(frame["p"].to_numpy(), sort=True).agg("|".join)
        labels.loc[sets.index] = sets.to_numpy()
    if not known.all():
        holed = np.unique(by[~known])
        labels = labels.reindex(np.union1d(labels.index.to_numpy(), holed))
        text = labels.loc[holed]
        labels.loc[holed] = np.where(text.isna(), NA, text.astype(object) + "|" + NA)
    return labels


def _set_labels(people: np.ndarray, values: np.ndarray):
    """``("|".join of each person's values, their number)`` as two Series indexed by
    person, for rows sorted by (person, value) without duplicates: each person's set is
    a bitmask over the distinct values, and each distinct set is joined once (people
    share sets: no Python call per person).  ``None`` when a set cannot be a bitmask
    (more than 62 distinct values, or a repeated value)."""
    if len(people) == 0:
        return None
    codes, uniques = pd.factorize(values, sort=True)  # code order = sorted text order
    if len(uniques) > 62:
        return None
    first = np.flatnonzero(np.r_[True, people[1:] != people[:-1]])
    if np.any((people[1:] == people[:-1]) & (codes[1:] == codes[:-1])):
        return None  # a repeated value is listed twice by a join
    masks = np.bitwise_or.reduceat(np.left_shift(np.int64(1), codes.astype(np.int64)), first)
    distinct, which = np.unique(masks, return_inverse=True)
    bits = ((distinct[:, None] >> np.arange(len(uniques))) & 1).astype(bool)
    texts = np.array(["|".join(uniques[row]) for row in bits], dtype=object)  # per set
    index = pd.Index(people[first], name="p")
    size = pd.Series(np.diff(np.r_[first, len(people)]), index=index, name="v")
    return pd.Series(texts[which.ravel()], index=index, name="v"), size


def apply_recoding(data, columns, plan: RecodingPlan, *, occupation_level="union", hubs=None,
                   suppress_share=None):  # fmt: skip
    """The published people and connections of ``plan`` (new frames; ``data`` is kept).

    ``hubs`` (boolean per person, or None): those whose occupation the plan widens across
    ACS major groups publish it as ``"*"``.  ``suppress_share``: a quasi-identifier whose
    label covers every value of the column for at least this share of the people is
    published at the column's top (``"*"``, a number's whole range) for everyone.

    Returns
    -------
    people : DataFrame
    connections : DataFrame
    """
    people = data._people.copy()
    for j, column in enumerate(columns):
        codes, los, his = pair_codes(plan.qi_lo[:, j], plan.qi_hi[:, j])
        if suppress_share is not None and len(codes) and len(column.values) > 1:
            if column.covers_all(los, his)[codes].mean() >= suppress_share:
                codes = np.zeros(len(codes), dtype=np.int64)
                los, his = np.array([0]), np.array([len(column.values) - 1])
        texts = np.array([column.label(a, b) for a, b in zip(los, his)], dtype=object)
        people[column.name] = pd.array(texts, dtype="str").take(codes)
    for name, (wide, vocab) in plan.column_masks.items():
        if len(wide) == 0:
            continue  # nothing to generalise: the column keeps its values and dtype
        codes, uniques = factorize(people[name], use_na_sentinel=False)
        own = uniques[codes]  # the values as objects (one per distinct value)
        if pd.api.types.is_numeric_dtype(people[name]) and not pd.api.types.is_bool_dtype(
            people[name]
        ):  # a number: the values to cover as a set, or their range when many
            labels = _number_labels(wide, vocab)
        else:
            labels = _column_labels(name, wide, vocab, own, occupation_level)
            if name == "occupation" and hubs is not None:
                cross = _crosses_groups(wide, vocab).reindex(labels.index, fill_value=False)
                hub = np.asarray(hubs, dtype=bool)[labels.index.to_numpy()]
                labels = labels.where(~(cross.to_numpy() & hub), WILDCARD)
        if pd.api.types.is_bool_dtype(people[name]):
            labels[:] = WILDCARD  # "False|True" says nothing more than "*"
        # the column rebuilt from its distinct values (no Python object per row)
        new, fresh = pd.factorize(labels.to_numpy(dtype=object))
        codes[labels.index.to_numpy()] = len(uniques) + new
        people[name] = cells_like(codes, np.r_[uniques, np.asarray(fresh, dtype=object)])
    conn = data._connections.copy()
    single = _popcount(plan.type_mask) == 1
    if not single.all():
        uniq, inv = np.unique(plan.type_mask[~single], return_inverse=True)
        texts = np.array(["|".join(sorted(_members(int(m), plan.type_vocabulary))) for m in uniq])
        codes, uniques = factorize(conn["connection_type"], use_na_sentinel=False)
        codes[~single] = len(uniques) + inv.ravel()
        conn["connection_type"] = cells_like(codes, np.r_[uniques, texts.astype(object)])
    return people, conn


class ValuePools:
    """Nested pools of the values of a kept column, for partners whose patterns are rare.

    The values are ordered (numbers by value, other values by descending frequency) and
    cut into consecutive blocks by the number of people holding them: at level ``L`` a
    block holds values of about ``base * 2**L`` people, so a frequent value stays alone
    (exact) while the rare tail is pooled; each level's blocks are unions of the blocks
    of the level below.  A block is published as the sorted set of its values
    (``"a|b|c"``) when it has at most :data:`MAX_SET` values, else as the range
    ``"lo-hi"`` of its numbers (numbers ordered by value: a range covers the block) or
    ``"*"``.

    Parameters
    ----------
    values : Series
        The column's true values (people order).
    base : int
        People of a level-0 block.
    """

    def __init__(self, values: pd.Series, base: int):
        self.numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(
            values
        )
        if self.numeric:
            codes, uniques = pd.factorize(values, sort=True)
        else:
            codes = _frequency_codes(values)
            first, uniques = factorize(values, sort=True)
            order = np.full(len(uniques), -1, dtype=np.int64)
            order[codes[first >= 0]] = first[first >= 0]  # rank -> sorted-unique position
            uniques = np.asarray(uniques, dtype=object)[order]
        self.codes = np.asarray(codes, dtype=np.int64)  # -1: missing (never pooled)
        self.uniques = np.asarray(uniques, dtype=object)
        mass = np.bincount(self.codes[self.codes >= 0], minlength=len(self.uniques))
        self.start = np.r_[0, np.cumsum(mass)[:-1]]  # people before each value
        self.base = max(int(base), 1)
        total = max(int(mass.sum()), 1)
        self.top = int(np.ceil(np.log2(max(total / self.base, 1.0))))  # one block: all

    def block(self, level: np.ndarray) -> np.ndarray:
        """Per person, the block of their value at ``level`` (-1: not pooled)."""
        level = np.minimum(level, self.top)
        ok = (level >= 0) & (self.codes >= 0)
        size = self.base * np.left_shift(np.int64(1), np.maximum(level, 0))
        out = self.start[np.maximum(self.codes, 0)] // size
        return np.where(ok, out, -1)

    def labels(self, level: np.ndarray) -> pd.Series:
        """Published cells of the pooled people (``level >= 0``), by person position."""
        level = np.minimum(level, self.top)
        block = self.block(level)
        who = np.flatnonzero(block >= 0)
        if not len(who):
            return pd.Series([], dtype=object)
        key = pd.MultiIndex.from_arrays([level[who], block[who]])
        kc, kinds = pd.factorize(key)
        texts = []
        for lev, blk in kinds:  # distinct (level, block) pairs only
            size = self.base * (1 << int(lev))
            a, b = np.searchsorted(self.start, [blk * size, (blk + 1) * size])  # increasing
            texts.append(self._label(np.arange(a, b)))
        return pd.Series(np.asarray(texts, dtype=object)[kc], index=who, dtype=object)

    def _label(self, inside: np.ndarray) -> str:
        members = self.uniques[inside]
        if len(members) == 1:
            return members[0]
        if len(members) <= MAX_SET:
            if self.numeric:
                return "|".join(f"{float(v):g}" for v in sorted(members))
            return "|".join(sorted(str(v) for v in members))
        if self.numeric:
            return f"{float(members.min()):g}-{float(members.max()):g}"
        return WILDCARD


def union_label(a, b, numeric: bool):
    """A published cell covering both cells ``a`` and ``b`` (sets, ranges, ``"*"``)."""
    if isinstance(a, str) and a == WILDCARD or isinstance(b, str) and b == WILDCARD:
        return WILDCARD
    if not isinstance(a, str) and not isinstance(b, str) and a == b:
        return a
    parts = [p for x in (a, b) for p in (str(x).split("|") if isinstance(x, str) else [x])]
    if numeric:
        spans = []
        for p in parts:
            text = f"{p:g}" if isinstance(p, (int, float, np.integer, np.floating)) else p
            match = _SPAN.match(str(text))
            spans.append((float(match[1]), float(match[2])) if match else (float(text),) * 2)
        if all(lo == hi for lo, hi in spans) and len({lo for lo, _ in spans}) <= MAX_SET:
            return "|".join(f"{v:g}" for v in sorted({lo for lo, _ in spans}))
        return f"{min(lo for lo, _ in spans):g}-{max(hi for _, hi in spans):g}"
    members = sorted({str(p) for p in parts})
    return "|".join(members) if len(members) <= MAX_SET else WILDCARD
