"""Bookkeeping shared by the edge and neighbourhood protection rounds.

A round reads one :class:`Snapshot` (pattern counts of the current data), records the
connections and personas it wants in :class:`Additions` (positions, not ids), and
:func:`apply_additions` turns them into one :meth:`SocialData.add` call.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.connections._household import PeopleView, make_personas
from personatwin_sklearn.patterns._consistent import consistent_pattern_k
from personatwin_sklearn.patterns._core import compute_patterns

__all__ = [
    "Snapshot",
    "Additions",
    "SortedKeys",
    "KeySet",
    "apply_additions",
    "IdMaker",
    "type_codes",
]

PAIR_BASE = np.int64(2**31)  # pair keys lo * PAIR_BASE + hi (positions < 2**31)


def pair_keys(a, b) -> np.ndarray:
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    return np.minimum(a, b) * PAIR_BASE + np.maximum(a, b)


def type_codes(index, column: pd.Series) -> np.ndarray:
    """Pattern-index type code of each value of ``column`` (-1 for unseen types).

    Same as ``index.type_code(column.astype(str))``, computed on the distinct values.
    """
    codes, uniques = pd.factorize(column)
    mapped = index.type_code([str(u) for u in uniques]) if len(uniques) else np.zeros(0, int)
    return np.r_[np.asarray(mapped, dtype=np.int64), -1][codes]


class KeySet:
    """A fixed set of int64 keys with vectorised membership (sorted once, binary search).

    A snapshot asks the same sets (its connections, its holders) several times per
    round with a few hundred thousand keys each; the queries are sorted first, so the
    binary searches walk the table in order instead of missing the cache.
    """

    def __init__(self, keys: np.ndarray, *, is_sorted: bool = False):
        keys = np.asarray(keys, dtype=np.int64).ravel()
        self._keys = keys if is_sorted else np.sort(keys)

    def contains(self, keys) -> np.ndarray:
        keys = np.asarray(keys, dtype=np.int64)
        flat = keys.ravel()
        out = np.zeros(len(flat), dtype=bool)
        if len(self._keys) == 0 or len(flat) == 0:
            return out.reshape(keys.shape)
        order = np.argsort(flat, kind="stable")
        queries = flat[order]
        pos = np.minimum(np.searchsorted(self._keys, queries), len(self._keys) - 1)
        out[order] = self._keys[pos] == queries
        return out.reshape(keys.shape)


class SortedKeys:
    """A growing set of int64 keys with vectorised membership (base + sorted additions)."""

    def __init__(self, base: np.ndarray):
        self.base = np.unique(np.asarray(base, dtype=np.int64))
        self.extra = np.zeros(0, dtype=np.int64)

    @staticmethod
    def _has(sorted_keys, keys):
        if len(sorted_keys) == 0:
            return np.zeros(np.shape(keys), dtype=bool)
        pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
        return sorted_keys[pos] == keys

    def contains(self, keys) -> np.ndarray:
        keys = np.asarray(keys, dtype=np.int64)
        return self._has(self.base, keys) | self._has(self.extra, keys)

    def add(self, keys) -> None:
        keys = np.asarray(keys, dtype=np.int64).ravel()
        if len(keys):
            self.extra = np.unique(np.concatenate([self.extra, keys]))


class Snapshot:
    """Pattern counts of one :class:`SocialData` and the lookups a round needs.

    ``sig[i]`` is person ``i``'s signature key; a pattern's raw key is
    ``type_code * span + partner signature key`` (the encoding of
    :func:`compute_patterns`).
    """

    def __init__(self, data: SocialData, signature, age_bin: int, target: int):
        index = compute_patterns(data, signature, age_bin)
        n = len(data)
        self.data = data
        self.index = index
        self.n = n
        self.target = target
        self.span = int(np.prod(index.radices[1:], dtype=np.int64))
        self.sig = index.raw_key(np.zeros(n, dtype=np.int64), np.arange(n))
        self.k = index.k.astype(np.int64)
        self.raw = index.raw_keys
        self.n_patterns = len(self.raw)
        self.types = np.asarray(index.type_index, dtype=object)
        inverse = index.type_code([data.domain.inverse_type(t) for t in self.types])
        self.inverse = np.where(inverse < 0, np.arange(len(self.types)), inverse)
        self.sig_order = np.argsort(self.sig, kind="stable")
        self.sig_sorted = self.sig[self.sig_order]
        self._edge_keys = None
        self._edge_set = None
        self._holder_set = None
        self._consistent = None
        self._type_counts = None
        self._view = None
        self._by_pattern = None

    # -- lookups ---------------------------------------------------------------------------
    def code_of(self, raw) -> np.ndarray:
        """Pattern code of raw keys (-1 for patterns nobody has)."""
        return self.index.code_of(raw)

    def k_of(self, raw) -> np.ndarray:
        code = self.code_of(raw)
        return np.where(code >= 0, self.k[np.maximum(code, 0)], 0)

    def group(self, sig_values):
        """Bounds [lo, hi) in ``sig_order`` of the people with each signature."""
        sig_values = np.asarray(sig_values, dtype=np.int64)
        lo = np.searchsorted(self.sig_sorted, sig_values, side="left")
        hi = np.searchsorted(self.sig_sorted, sig_values, side="right")
        return lo, hi

    @property
    def edge_keys(self) -> np.ndarray:
        if self._edge_keys is None:
            left, right = self.data.edge_positions()
            self._edge_keys = pair_keys(left, right)
        return self._edge_keys

    def has_edge(self, a, b) -> np.ndarray:
        """Whether positions ``a`` and ``b`` are connected (any type)."""
        if self._edge_set is None:
            self._edge_set = KeySet(self.edge_keys)
        return self._edge_set.contains(pair_keys(a, b))

    def has_pattern(self, owner, code) -> np.ndarray:
        """Whether person ``owner`` already holds pattern ``code``."""
        if self._holder_set is None:
            # the index lists (owner, pattern) pairs sorted by owner, then pattern
            keys = self.index.owner * self.n_patterns + self.index.pattern
            self._holder_set = KeySet(keys, is_sorted=True)
        return self._holder_set.contains(np.asarray(owner) * self.n_patterns + np.asarray(code))

    def consistent_k(self) -> tuple[np.ndarray, np.ndarray]:
        """``(pair_k, pattern_k)``: the adversary's (consistent) count, computed once."""
        if self._consistent is None:
            self._consistent = consistent_pattern_k(self.index)
        return self._consistent

    def type_counts(self) -> dict[int, np.ndarray]:
        """Per view type code: connections of that type each person has (computed once)."""
        if self._type_counts is None:
            index = self.index
            types = (self.raw // self.span)[index.pattern]
            n_types = len(self.types)
            if n_types * self.n <= 50_000_000:  # one pass
                flat = np.bincount(types * np.int64(self.n) + index.owner,
                                   weights=index.multiplicity,
                                   minlength=n_types * self.n).astype(np.int64)  # fmt: skip
                table = flat.reshape(n_types, self.n)
                self._type_counts = {int(t): table[t] for t in np.unique(types)}
            else:
                self._type_counts = {
                    int(t): np.bincount(
                        index.owner[types == t],
                        weights=index.multiplicity[types == t],
                        minlength=self.n,
                    ).astype(np.int64)  # fmt: skip
                    for t in np.unique(types)
                }
        return self._type_counts

    @property
    def view(self) -> PeopleView:
        if self._view is None:
            self._view = PeopleView(self.data._people)
        return self._view

    def holders_of(self, code: int) -> np.ndarray:
        """Positions of the people having pattern ``code``."""
        if self._by_pattern is None:
            order = np.argsort(self.index.pattern, kind="stable")
            self._by_pattern = (order, self.index.pattern[order])
        order, sorted_pattern = self._by_pattern
        lo, hi = np.searchsorted(sorted_pattern, [code, code + 1])
        return self.index.owner[order[lo:hi]]

    def deficit(self) -> int:
        """Edge scope: sum over patterns of ``max(0, target - k)``."""
        return int(np.maximum(self.target - self.k, 0).sum())


class Additions:
    """Connections and personas a round wants, by position (personas get n, n+1, ...)."""

    def __init__(self, n: int):
        self.n = n
        self._edges: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._personas: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.n_personas = 0

    def personas(self, template, anchor=None, kind=None) -> np.ndarray:
        """Reserve personas copying the signature of ``template``; return their positions."""
        template = np.asarray(template, dtype=np.int64)
        m = len(template)
        anchor = np.full(m, -1, np.int64) if anchor is None else np.asarray(anchor, np.int64)
        kind = np.full(m, None, dtype=object) if kind is None else np.asarray(kind, dtype=object)
        self._personas.append((template, anchor, kind))
        positions = self.n + self.n_personas + np.arange(m, dtype=np.int64)
        self.n_personas += m
        return positions

    def link(self, src, dst, type_code) -> None:
        src = np.asarray(src, dtype=np.int64)
        dst = np.broadcast_to(np.asarray(dst, dtype=np.int64), src.shape)
        type_code = np.broadcast_to(np.asarray(type_code, dtype=np.int64), src.shape)
        if len(src):
            self._edges.append((src, dst.copy(), type_code.copy()))

    @property
    def n_edges(self) -> int:
        return sum(len(e[0]) for e in self._edges)

    def edges(self):
        if not self._edges:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        return tuple(np.concatenate(parts) for parts in zip(*self._edges))

    def persona_requests(self):
        return tuple(np.concatenate(parts) for parts in zip(*self._personas))


class IdMaker:
    """New person ids that cannot clash with existing ones (integers or ``"syn-<n>"``)."""

    def __init__(self, data: SocialData):
        ids = data._people[data.id_col]
        self.dtype = ids.dtype
        self.numeric = (
            pd.api.types.is_integer_dtype(ids) or pd.api.types.is_float_dtype(ids)
        ) and not pd.api.types.is_bool_dtype(ids)
        # float ids (e.g. read from a CSV with gaps) get whole numbers above the largest
        self.next = int(np.floor(ids.max())) + 1 if self.numeric and len(ids) else 0
        self.existing = None if self.numeric else pd.Index(ids.astype(str))

    def __call__(self, count: int) -> np.ndarray:
        if self.numeric:
            out = np.arange(self.next, self.next + count, dtype=np.int64)
            self.next += count
            return out
        while True:
            out = np.array([f"syn-{i}" for i in range(self.next, self.next + count)], dtype=object)
            self.next += count
            if not self.existing.isin(out).any():
                return out


def apply_additions(
    data: SocialData,
    snap: Snapshot,
    additions: Additions,
    ids: IdMaker,
    rng,
    edge_fields: dict,
) -> SocialData:
    """Append the additions to ``data`` with :meth:`SocialData.add` (flagged synthetic).

    A connection whose type never occurs in ``data`` while its inverse does is written
    in the data's direction (``(a, b, CHILD)`` becomes ``(b, a, PARENT)``).
    """
    if additions.n_edges == 0 and additions.n_personas == 0:
        return data
    people = None
    all_ids = data._people[data.id_col].to_numpy()
    if additions.n_personas:
        template, anchor, kind = additions.persona_requests()
        new_ids = ids(additions.n_personas)
        people = make_personas(
            data._people,
            new_ids,
            snap.sig,
            data.is_synthetic,
            template,
            rng,
            signature=snap.index.signature,
            age_bin=snap.index.age_bin,
            anchor=anchor,
            kind=kind,
            view=snap.view,
            family=data.domain.family_types,
            id_col=data.id_col,
        )
        people[data.id_col] = people[data.id_col].astype(data._people[data.id_col].dtype)
        all_ids = np.concatenate([all_ids, np.asarray(new_ids, dtype=all_ids.dtype)])
    connections = None
    src, dst, type_code = additions.edges()
    if len(src):
        present = [str(t) for t in pd.unique(data._connections["connection_type"])]
        names = snap.types[type_code].astype(str)
        inverse = snap.types[snap.inverse[type_code]].astype(str)
        flip = ~np.isin(names, present) & np.isin(inverse, present)
        p1 = np.where(flip, dst, src)
        p2 = np.where(flip, src, dst)
        kind = np.where(flip, inverse, names).astype(object)
        id_dtype = data._people[data.id_col].dtype
        connections = pd.DataFrame(
            {
                "person1_id": pd.Series(all_ids[p1]).astype(id_dtype),
                "person2_id": pd.Series(all_ids[p2]).astype(id_dtype),
                "connection_type": pd.Series(kind).astype(
                    data._connections["connection_type"].dtype
                ),
            }
        )
    return data.add(people=people, connections=connections, **edge_fields)
