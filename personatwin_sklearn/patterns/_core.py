"""Vectorised connection-pattern engine shared by the analyzer, the generator and metrics.

A *pattern* is a connection as seen from one of its ends:
``(connection_type as seen from the owner, partner's signature attributes)``.
k of a pattern is the number of distinct people having it.  A *neighbourhood* is
the multiset of a person's patterns (the 1-hop neighbourhood attack of Zhou & Pei,
ICDE 2008); its k is the number of people sharing the same multiset.

Everything is computed with numpy sorts and ``reduceat`` on integer codes: no
Python loop over people or connections.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.exceptions import MissingColumnError, PersonaTwinError

__all__ = ["PatternIndex", "compute_patterns", "resolve_signature", "age_bucket_labels"]

_HASH_KEYS = ("personatwin-h1-0", "personatwin-h2-1")
_DEFAULT_SIGNATURE = ("gender", "age", "occupation")


def resolve_signature(data: SocialData, signature=None) -> tuple[str, ...]:
    """Choose the partner attributes making up a pattern.

    ``None`` means ``gender``, ``age`` (bucketed), ``occupation`` (where present) and
    every ``has_*`` event flag.  An explicit list must name existing columns.

    Parameters
    ----------
    data : SocialData
        The people whose columns are checked.
    signature : str, sequence of str or None, default=None
        The requested signature.

    Returns
    -------
    signature : tuple of str
        The partner columns, checked to exist.

    See Also
    --------
    compute_patterns : Counts the patterns of this signature.

    Examples
    --------
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> from personatwin_sklearn.patterns import resolve_signature
    >>> resolve_signature(make_toy_population(), ["gender", "age"])
    ('gender', 'age')
    """
    people = data._people
    if signature is None:
        cols = [c for c in _DEFAULT_SIGNATURE if c in people.columns] + data.event_columns
        return tuple(cols)
    if isinstance(signature, str):
        signature = [signature]
    cols = tuple(signature)
    missing = [c for c in cols if c not in people.columns]
    if missing:
        raise MissingColumnError(
            f"signature names column(s) {missing} that the people table does not have; it has "
            f"{list(people.columns)}. Pass signature=None for the default or existing columns."
        )
    return cols


def age_bucket_labels(age: np.ndarray, age_bin: int | None) -> np.ndarray:
    """Labels such as ``"40-44"`` for ages bucketed by ``age_bin`` years."""
    age = np.asarray(age, dtype=float)
    if age_bin is None or age_bin <= 1:
        return age.astype(np.int64).astype(str)
    lo = (np.floor(age / age_bin) * age_bin).astype(np.int64)
    return np.char.add(np.char.add(lo.astype(str), "-"), (lo + age_bin - 1).astype(str))


def _column_codes(people: pd.DataFrame, column: str, age_bin) -> tuple[np.ndarray, np.ndarray]:
    values = people[column]
    if column == "age" and pd.api.types.is_numeric_dtype(values):
        width = age_bin if age_bin and age_bin > 1 else 1
        bucket = np.floor(values.to_numpy(dtype=float) / width).astype(np.int64)
        codes, uniques = pd.factorize(bucket)
        labels = age_bucket_labels(uniques.astype(float) * width, age_bin)
        return codes.astype(np.int64), labels.astype(object)
    if pd.api.types.is_bool_dtype(values) or column.startswith("has_"):
        try:
            values = values.astype("boolean")
        except (TypeError, ValueError):  # a generalised flag ("*") is read as a label
            values = values.astype(object)
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


@dataclass
class PatternIndex:
    """Pattern bookkeeping for one :class:`SocialData`.

    Made by :func:`compute_patterns`; the estimators look hypothetical connections
    up in it (:meth:`encode`) and count neighbourhoods (:meth:`neighborhoods`).

    Parameters
    ----------
    signature : tuple of str
        Partner attributes in a pattern.
    age_bin : int or None
        Width of the partner age buckets.
    n_people : int
        People of the data.
    table : DataFrame
        One row per pattern code: ``connection_type``, ``partner_<col>`` for each
        signature column, ``pattern`` (readable), ``k`` (distinct people having it)
        and stable 64-bit hashes ``h1``/``h2`` of the readable pattern.
    owner, pattern, multiplicity : ndarray
        Distinct (person position, pattern code) pairs sorted by owner, and how many
        connections give that person that pattern.
    person_min_k : ndarray of float
        Smallest k over each person's patterns (NaN for people without connections).
    type_index : Index
        The connection types, in code order.
    attr_codes, radices, raw_keys : ndarray
        Each person's signature codes, the mixed-radix bases and the sorted raw keys
        of the patterns present (for :meth:`encode`).
    _neighborhood, _person_key : object, default=None
        Caches filled on first use; leave them None.

    See Also
    --------
    compute_patterns : Builds it.

    Examples
    --------
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> from personatwin_sklearn.patterns import compute_patterns
    >>> index = compute_patterns(make_toy_population())
    >>> index.n_people, len(index.person_min_k)
    (12, 12)
    """

    signature: tuple[str, ...]
    age_bin: int | None
    n_people: int
    table: pd.DataFrame
    owner: np.ndarray
    pattern: np.ndarray
    multiplicity: np.ndarray
    person_min_k: np.ndarray
    type_index: pd.Index
    attr_codes: np.ndarray
    radices: np.ndarray
    raw_keys: np.ndarray
    _neighborhood: tuple | None = field(default=None, repr=False)
    _person_key: np.ndarray | None = field(default=None, repr=False)

    # -- hypothetical edges ----------------------------------------------------------------
    def raw_key(self, type_codes: np.ndarray, partner_pos: np.ndarray) -> np.ndarray:
        """Compute the mixed-radix key of the pattern of a type code and a partner.

        Parameters
        ----------
        type_codes : ndarray of int
            Connection type codes (see :meth:`type_code`).
        partner_pos : ndarray of int
            Row positions of the partners.

        Returns
        -------
        keys : ndarray of int64
            One key per connection.
        """
        if self._person_key is None:
            person_key = np.zeros(self.attr_codes.shape[0], dtype=np.int64)
            for j in range(self.attr_codes.shape[1]):
                person_key = person_key * self.radices[j + 1] + self.attr_codes[:, j]
            self._person_key = person_key
        attr_span = int(np.prod(self.radices[1:], dtype=np.int64))
        key = np.asarray(type_codes, dtype=np.int64) * attr_span
        return key + self._person_key[np.asarray(partner_pos, dtype=np.int64)]

    def encode(self, type_codes: np.ndarray, partner_pos: np.ndarray) -> np.ndarray:
        """Look up the pattern codes of hypothetical connections.

        Parameters
        ----------
        type_codes : ndarray of int
            Connection type codes (see :meth:`type_code`).
        partner_pos : ndarray of int
            Row positions of the partners.

        Returns
        -------
        codes : ndarray of int
            Row of ``table`` of each pattern, -1 where the pattern is new.
        """
        return self.code_of(self.raw_key(type_codes, partner_pos))

    def code_of(self, raw) -> np.ndarray:
        """Look up the pattern codes of raw keys (see :meth:`raw_key`).

        Parameters
        ----------
        raw : array-like of int
            Mixed-radix pattern keys.

        Returns
        -------
        codes : ndarray of int
            Row of ``table`` of each key, -1 for patterns nobody has.
        """
        raw = np.asarray(raw, dtype=np.int64)
        if len(self.raw_keys) == 0:
            return np.full(raw.shape, -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.raw_keys, raw), len(self.raw_keys) - 1)
        return np.where(self.raw_keys[pos] == raw, pos, -1)

    def type_code(self, types) -> np.ndarray:
        """Give the codes of connection types.

        Parameters
        ----------
        types : str or array-like of str
            Connection types.

        Returns
        -------
        codes : ndarray of int
            -1 for types never seen.
        """
        return self.type_index.get_indexer(pd.Index(np.atleast_1d(types)))

    @property
    def k(self) -> np.ndarray:
        return self.table["k"].to_numpy()

    # -- neighbourhoods --------------------------------------------------------------------
    def neighborhoods(self) -> tuple[np.ndarray, np.ndarray]:
        """Give the class id and class size (k) of each person's neighbourhood multiset.

        People without connections share the empty neighbourhood.  Multisets are
        compared through two independent 64-bit multiset hashes (sums of per-pattern
        hashes times multiplicity, modulo 2**64): a false match needs a 128-bit
        collision.

        Returns
        -------
        class_id, size : ndarray of int of shape (n_people,)
            Each person's class and its size.
        """
        if self._neighborhood is None:
            n = self.n_people
            h1 = self.table["h1"].to_numpy(dtype=np.uint64)
            h2 = self.table["h2"].to_numpy(dtype=np.uint64)
            acc1 = np.zeros(n, dtype=np.uint64)
            acc2 = np.zeros(n, dtype=np.uint64)
            count = np.zeros(n, dtype=np.int64)
            if len(self.owner):
                starts = np.flatnonzero(np.r_[True, self.owner[1:] != self.owner[:-1]])
                who = self.owner[starts]
                mult = self.multiplicity.astype(np.uint64)
                with np.errstate(over="ignore"):
                    acc1[who] = np.add.reduceat(h1[self.pattern] * mult, starts)
                    acc2[who] = np.add.reduceat(h2[self.pattern] * mult, starts)
                count[who] = np.add.reduceat(self.multiplicity, starts)
            keys = pd.DataFrame({"h1": acc1, "h2": acc2, "n": count})
            class_id = keys.groupby(["h1", "h2", "n"], sort=False).ngroup().to_numpy()
            sizes = np.bincount(class_id)
            self._neighborhood = (class_id, sizes[class_id], keys)
        return self._neighborhood[:2]

    def neighborhood_keys(self) -> pd.DataFrame:
        """Give each person's multiset hashes ``h1``, ``h2`` and connection count ``n``.

        They are stable across datasets: they hash the readable patterns.

        Returns
        -------
        keys : DataFrame
            Columns ``h1``, ``h2``, ``n``, one row per person.
        """
        self.neighborhoods()
        return self._neighborhood[2]

    def person_patterns(self, ids: pd.Series) -> pd.DataFrame:
        """List everyone's patterns as a long table (person id, pattern, k, multiplicity).

        Parameters
        ----------
        ids : Series
            The person ids, in row order.

        Returns
        -------
        patterns : DataFrame
            One row per (person, pattern).
        """
        return pd.DataFrame(
            {
                "person_id": ids.to_numpy()[self.owner],
                "pattern": self.table["pattern"].to_numpy()[self.pattern],
                "k": self.k[self.pattern],
                "multiplicity": self.multiplicity,
            }
        )


def compute_patterns(
    data: SocialData, signature=None, age_bin: int | None = 5, *, _text: bool = True
) -> PatternIndex:
    """Compute every person's connection patterns and their k.

    A pattern is a connection type with the partner's signature attributes; its k
    is the number of distinct people who have it.

    Parameters
    ----------
    data : SocialData
        People and connections.
    signature : sequence of str, default=None
        Partner columns in a pattern (see :func:`resolve_signature`).
    age_bin : int or None, default=5
        Width of the partner age buckets in years (``None``: exact ages).
    _text : bool, default=True
        Internal (the linkage attacks' released side): False leaves out the table's
        ``pattern`` text and its ``h1`` / ``h2`` hashes (columns, codes and ``k`` only).

    Returns
    -------
    index : PatternIndex
        The patterns, their k and each person's patterns.

    See Also
    --------
    personatwin_sklearn.ConnectionPatternAnalyzer : The estimator built on it.

    Examples
    --------
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> from personatwin_sklearn.patterns import compute_patterns
    >>> int(compute_patterns(make_toy_population()).table["k"].min()) >= 1
    True
    """
    if not isinstance(data, SocialData):
        raise TypeError(
            f"Expected a SocialData, got {type(data).__name__}. Build one with "
            "personatwin_sklearn.load_data(people, connections)."
        )
    sig = resolve_signature(data, signature)
    people = data._people
    n = len(people)
    edges = data._connections
    left, right = data.edge_positions()

    type_codes, unique_types = pd.factorize(edges["connection_type"])
    unique_types = [str(t) for t in unique_types]
    inverse_of = {t: data.domain.inverse_type(t) for t in unique_types}
    vocabulary = pd.Index(sorted(set(unique_types) | set(inverse_of.values())))
    fwd = vocabulary.get_indexer(unique_types).astype(np.int64)[type_codes]
    inv_map = vocabulary.get_indexer([inverse_of.get(t, t) for t in vocabulary])
    inv_map = np.where(inv_map < 0, np.arange(len(vocabulary)), inv_map)
    bwd = inv_map[fwd] if len(fwd) else fwd

    codes, uniques = [], []
    for column in sig:
        c, u = _column_codes(people, column, age_bin)
        codes.append(c)
        uniques.append(u)
    attr_codes = np.column_stack(codes) if codes else np.zeros((n, 0), dtype=np.int64)
    radices = np.array([max(len(vocabulary), 1)] + [max(len(u), 1) for u in uniques])
    if float(np.prod(radices.astype(float))) * max(n, 1) >= 2.0**62:
        raise PersonaTwinError(
            f"The pattern signature {list(sig)} has too many distinct value combinations "
            f"({radices.tolist()} per column) to encode; bucket high-cardinality columns "
            "first or use fewer signature columns."
        )

    owner_all = np.concatenate([left, right]).astype(np.int64)
    partner_all = np.concatenate([right, left]).astype(np.int64)
    type_all = np.concatenate([fwd, bwd])

    index = PatternIndex(
        signature=sig,
        age_bin=age_bin,
        n_people=n,
        table=pd.DataFrame(),
        owner=np.zeros(0, np.int64),
        pattern=np.zeros(0, np.int64),
        multiplicity=np.zeros(0, np.int64),
        person_min_k=np.full(n, np.nan),
        type_index=vocabulary,
        attr_codes=attr_codes,
        radices=radices,
        raw_keys=np.zeros(0, np.int64),
    )
    raw = index.raw_key(type_all, partner_all)
    # hash-based factorize (O(n)), then relabel so that codes follow sorted raw keys
    pattern_all, raw_keys = pd.factorize(raw)
    order = np.argsort(raw_keys, kind="stable")
    relabel = np.empty_like(order)
    relabel[order] = np.arange(len(order))
    raw_keys = np.asarray(raw_keys)[order]
    pattern_all = relabel[pattern_all].astype(np.int64)
    n_patterns = len(raw_keys)
    pair = np.sort(owner_all * max(n_patterns, 1) + pattern_all)
    if len(pair):
        first = np.r_[True, pair[1:] != pair[:-1]]
        starts = np.flatnonzero(first)
        multiplicity = np.diff(np.r_[starts, len(pair)])
        uniq = pair[starts]
    else:
        multiplicity = uniq = np.zeros(0, np.int64)
    owner = uniq // max(n_patterns, 1)
    pattern = uniq % max(n_patterns, 1)
    k = np.bincount(pattern, minlength=n_patterns)

    person_min_k = np.full(n, np.nan)
    if len(owner):
        ostarts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        person_min_k[owner[ostarts]] = np.minimum.reduceat(k[pattern], ostarts)

    table = _decode(raw_keys, radices, vocabulary, sig, uniques, text=_text)
    table["k"] = k
    index.table = table
    index.owner, index.pattern, index.multiplicity = owner, pattern, multiplicity
    index.person_min_k = person_min_k
    index.raw_keys = raw_keys
    return index


def _decode(raw_keys, radices, vocabulary, sig, uniques, text=True) -> pd.DataFrame:
    digits = []
    rest = raw_keys.copy()
    for radix in radices[::-1]:
        digits.append(rest % radix)
        rest = rest // radix
    digits = digits[::-1]
    table = pd.DataFrame({"connection_type": np.asarray(vocabulary, dtype=object)[digits[0]]})
    if not text:  # the columns only (no pattern text, no hashes of it)
        for j, column in enumerate(sig):
            values = uniques[j][digits[j + 1]] if len(raw_keys) else np.array([], dtype=object)
            table[f"partner_{column}"] = values
        return table
    text = pd.Series(table["connection_type"], dtype=str)
    for j, column in enumerate(sig):
        values = uniques[j][digits[j + 1]] if len(raw_keys) else np.array([], dtype=object)
        table[f"partner_{column}"] = values
        part = pd.Series(values, dtype=object).astype(str).fillna("<NA>")
        text = text + (": " if j == 0 else ", ") + column + "=" + part.to_numpy()
    table.insert(0, "pattern", text.to_numpy(dtype=object))
    strings = table["pattern"].to_numpy(dtype=object)
    table["h1"] = pd.util.hash_array(strings, hash_key=_HASH_KEYS[0], categorize=False)
    table["h2"] = pd.util.hash_array(strings, hash_key=_HASH_KEYS[1], categorize=False)
    return table
