"""Independent plain-Python recounts of connection-pattern k (dict of sets), for tests.

Deliberately written without the package's pattern engine: it walks the edges one by
one and builds the signatures with ordinary Python.
"""

import re
from collections import Counter, defaultdict

import numpy as np
import pandas as pd

INVERSE = {
    "PARENT": "CHILD",
    "CHILD": "PARENT",
    "GRANDPARENT": "GRANDCHILD",
    "GRANDCHILD": "GRANDPARENT",
    "GUARDIAN": "WARD",
    "WARD": "GUARDIAN",
    "VICTIM": "OFFENDER",
    "OFFENDER": "VICTIM",
    "CAREGIVER": "CARE_RECIPIENT",
    "CARE_RECIPIENT": "CAREGIVER",
    "TEACHER": "STUDENT",
    "STUDENT": "TEACHER",
}


def _signature(row, columns, age_bin):
    out = []
    for column in columns:
        value = row[column]
        if column == "age" and not isinstance(value, str):  # generalised ages stay as released
            lo = int(value // age_bin) * age_bin
            value = f"{lo}-{lo + age_bin - 1}"
        elif value != value or value is None:  # NaN / NA
            value = "<NA>"
        elif hasattr(value, "item"):
            value = value.item()
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        out.append((column, str(value)))
    return tuple(out)


def recount(data, signature, age_bin=5):
    """Return (pattern -> set of owners, person -> Counter of patterns)."""
    people = data.people
    by_id = {row[data.id_col]: row for row in people.to_dict("records")}
    holders = defaultdict(set)
    multisets = defaultdict(Counter)
    for edge in data.connections.to_dict("records"):
        a, b, kind = edge["person1_id"], edge["person2_id"], edge["connection_type"]
        for owner, partner, seen in ((a, b, kind), (b, a, INVERSE.get(kind, kind))):
            pattern = (seen, _signature(by_id[partner], signature, age_bin))
            holders[pattern].add(owner)
            multisets[owner][pattern] += 1
    return holders, multisets


def person_min_k(data, signature, age_bin=5):
    """Per person id: smallest k of their patterns (absent if no connection)."""
    holders, multisets = recount(data, signature, age_bin)
    return {
        person: min(len(holders[p]) for p in patterns) for person, patterns in multisets.items()
    }


def neighborhood_k(data, signature, age_bin=5):
    """Per person id: number of people with exactly the same multiset of patterns."""
    _, multisets = recount(data, signature, age_bin)
    keys = {
        pid: frozenset(multisets[pid].items()) if pid in multisets else frozenset()
        for pid in data.ids
    }
    sizes = Counter(keys.values())
    return {pid: sizes[key] for pid, key in keys.items()}


def _interval(label, age_bin):
    """Released age label -> (lo, hi) whole years; '*' / unparsed -> (0, 120)."""
    text = str(label)
    if text.replace(".", "", 1).isdigit():
        value = float(text)
        lo = int(value // age_bin) * age_bin
        return lo, lo + age_bin - 1
    parts = text.split("-")
    if len(parts) == 2 and all(p.strip().isdigit() for p in parts):
        return int(parts[0]), int(parts[1])
    return 0, 120


def consistent_min_k(data, signature, age_bin=5, ages=range(0, 121)):
    """Per real person id: the worst-case consistent k of their rarest pattern.

    Plain Python: a pattern (type, partner values with an age range) is matched by every
    person holding a pattern of the same type and other values whose released age range
    contains the true age; the true age is unknown, so the smallest count over the ages
    the range allows is taken.
    """
    people = data.people
    by_id = {row[data.id_col]: row for row in people.to_dict("records")}
    other = [c for c in signature if c != "age"]
    cover = defaultdict(lambda: defaultdict(set))  # (type, values) -> age -> owners
    owned = defaultdict(set)
    for edge in data.connections.to_dict("records"):
        a, b, kind = edge["person1_id"], edge["person2_id"], edge["connection_type"]
        for owner, partner, seen in ((a, b, kind), (b, a, INVERSE.get(kind, kind))):
            row = by_id[partner]
            key = (seen, _signature(row, other, age_bin))
            lo, hi = _interval(row["age"], age_bin) if "age" in signature else (0, 120)
            for age in range(lo, hi + 1):
                cover[key][age].add(owner)
            owned[owner].add((key, lo, hi))
    out = {}
    for owner, patterns in owned.items():
        if by_id[owner].get("is_synthetic", False):
            continue
        out[owner] = min(
            min(len(cover[key][age]) for age in range(lo, hi + 1)) for key, lo, hi in patterns
        )
    return out


def assert_real_edges_kept(released: pd.DataFrame, original: pd.DataFrame, coarsened) -> None:
    """Real connections come out as they went in, but for a documented type grouping,
    where each released type must list the original one (``"CHILD|PARENT|SPOUSE"``)."""
    released = released.reset_index(drop=True)
    original = original.reset_index(drop=True)
    columns = [c for c in original.columns if c != "connection_type"]
    pd.testing.assert_frame_equal(released[columns], original[columns])
    before = original["connection_type"].astype(str).tolist()
    after = released["connection_type"].astype(str).tolist()
    if "connection_type" in coarsened:
        assert all(a == b or b in a.split("|") for a, b in zip(after, before))
    else:
        assert after == before
        assert released["connection_type"].dtype == original["connection_type"].dtype


def assert_type_caps(edges: pd.DataFrame) -> None:
    """Nobody has more than one spouse or two parents in the release (types as released)."""
    kind = edges["connection_type"].astype(str)
    spouse = edges[kind == "SPOUSE"]
    ends = pd.concat([spouse["person1_id"], spouse["person2_id"]])
    assert ends.value_counts().max() <= 1 if len(ends) else True
    parents = edges.loc[kind == "PARENT", "person1_id"]
    assert parents.value_counts().max() <= 2 if len(parents) else True


# --------------------------------------------------------------------------------------
# Edge scope, vectorised (for 100k people): the candidates an adversary who knows one true
# connection of a target finds in a release.  Written with numpy / pandas only, without
# the package's pattern engine: every published value is read as the set of true values
# it covers, and a released connection is consistent with a known one when its published
# type covers the true type and each published partner value covers the true value.
# --------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*$")
_SPAN = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*$")


def _text(values) -> np.ndarray:
    """Values as text, missing values as ``"<NA>"`` (the same on both sides)."""
    series = pd.Series(np.asarray(values, dtype=object))
    text = series.map(lambda v: "<NA>" if v is None or v != v else str(v))
    return text.to_numpy(dtype=object)


def _as_number(text: str):
    match = _NUMBER.match(text)
    return float(match.group(1)) if match else None


class _Axis:
    """The true values of one signature column, as sorted codes, and what a published
    label covers of them: a list of closed code intervals."""

    def __init__(self, true_text, name, age_bin):
        self.bin = age_bin if name == "age" and age_bin and age_bin > 1 else 1
        numbers = [_as_number(t) for t in pd.unique(true_text) if t != "<NA>"]
        self.numeric = bool(numbers) and all(x is not None for x in numbers)
        if self.numeric:  # sorted numbers (ages: the start of their bucket)
            values = self._bucket(np.asarray(numbers, dtype=float))
            self.values = np.unique(values)
            self.has_na = bool((true_text == "<NA>").any())
        else:
            self.values = np.unique(true_text.astype(str))

    def _bucket(self, x):
        return np.floor(x / self.bin) * self.bin

    def codes(self, true_text) -> np.ndarray:
        """Code of each true value (numeric: the position of its bucket; NA: the end)."""
        if self.numeric:
            x = np.asarray([_as_number(t) if t != "<NA>" else np.nan for t in true_text])
            code = np.searchsorted(self.values, self._bucket(x))
            return np.where(np.isnan(x), len(self.values), code).astype(np.int64)
        return np.searchsorted(self.values, true_text.astype(str)).astype(np.int64)

    @property
    def size(self) -> int:
        return len(self.values) + int(self.numeric and self.has_na)

    def cover(self, label: str) -> list:
        """Code intervals a published ``label`` covers (``"*"``: everything)."""
        if label == "*":
            return [(0, self.size - 1)]
        if self.numeric:
            if label == "<NA>":
                return [(len(self.values), len(self.values))] if self.has_na else []
            out = []
            for part in label.split("|"):
                if part == "<NA>":
                    out.extend([(len(self.values), len(self.values))] if self.has_na else [])
                    continue
                span = _SPAN.match(part)
                lo, hi = (float(span.group(1)), float(span.group(2))) if span else (None, None)
                if span is None:
                    lo = hi = _as_number(part)
                if lo is None:
                    continue  # covers no true value
                # a bucket [b, b + bin) is consistent when it overlaps [lo, hi]
                if self.bin == 1:
                    a = np.searchsorted(self.values, lo, side="left")
                else:
                    a = np.searchsorted(self.values, lo - self.bin, side="right")
                b = np.searchsorted(self.values, hi, side="right") - 1
                if a <= b:
                    out.append((int(a), int(b)))
            return out
        members = label.split("|") if label not in self.values else [label]
        code = np.searchsorted(self.values, members)
        found = (code < len(self.values)) & (
            self.values[np.minimum(code, len(self.values) - 1)]
            == np.asarray(members, dtype=object)
        )
        return [(int(c), int(c)) for c in code[found]]


def _explode(label_codes, intervals_of):
    """Rows of (row index, lo, hi): each row's label replaced by its code intervals."""
    counts = np.array([len(iv) for iv in intervals_of], dtype=np.int64)
    flat = np.array([x for iv in intervals_of for x in iv], dtype=np.int64).reshape(-1, 2)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    n = counts[label_codes]
    row = np.repeat(np.arange(len(label_codes)), n)
    offset = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    pick = starts[label_codes[row]] + offset
    return row, flat[pick, 0], flat[pick, 1]


def _members(lo, hi):
    """Expand closed intervals into their members: (row index, member)."""
    n = hi - lo + 1
    row = np.repeat(np.arange(len(lo)), n)
    member = np.repeat(lo, n) + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    return row, member


def _seen_ends(connections, id_to_pos, inverse_label):
    """Each connection from both ends: owner position, partner position, type text."""
    a = id_to_pos.reindex(connections["person1_id"].to_numpy()).to_numpy()
    b = id_to_pos.reindex(connections["person2_id"].to_numpy()).to_numpy()
    kind = _text(connections["connection_type"].to_numpy())
    return np.r_[a, b], np.r_[b, a], np.r_[kind, inverse_label(kind)]


def edge_scope_candidates(original, release, signature, age_bin=5, inverse=None):
    """Per real person of ``original`` (its people order): the fewest released people an
    adversary who knows one of their true connections finds consistent with it.

    The adversary knows the connection's true type and the partner's true values of
    ``signature`` (``age`` in buckets of ``age_bin`` years, ``age_bin=1``: exact ages).  A
    released person is a candidate when one of their published connections has a type
    label covering the true type (``"CHILD|PARENT"`` covers both) and a partner whose
    published values cover the true ones (``"*"``, ``"a|b"`` sets and ``"lo-hi"`` ranges
    cover their members; an age range covers a bucket it overlaps).  The adversary picks
    the target's connection with the fewest candidates.  People without connections get
    ``inf`` (nothing known).  Vectorised: labels become code intervals; all columns but
    the widest are expanded to members, and per (owner, expanded values) the intervals of
    the widest are merged, so that each candidate is counted once (sorted-key counts).
    """
    inverse = INVERSE if inverse is None else inverse

    def inverse_label(kind):
        uniq, inv = np.unique(kind.astype(str), return_inverse=True)
        flipped = ["|".join(sorted(inverse.get(t, t) for t in u.split("|"))) for u in uniq]
        return np.asarray(flipped, dtype=object)[inv]

    true_people = original.people.reset_index(drop=True)
    pub_people = release.people.reset_index(drop=True)
    id_col = original.id_col
    t_pos = pd.Series(np.arange(len(true_people)), index=true_people[id_col].to_numpy())
    r_pos = pd.Series(np.arange(len(pub_people)), index=pub_people[id_col].to_numpy())
    k_owner, k_partner, k_type = _seen_ends(original.connections, t_pos, inverse_label)
    r_owner, r_partner, r_type = _seen_ends(release.connections, r_pos, inverse_label)

    # axes: the connection type, then the signature columns (true values of the partners)
    types = _Axis(k_type, "connection_type", 1)
    axes = [types]
    known = [types.codes(k_type)]
    pub_labels = [r_type]
    for name in signature:
        true_text = _text(true_people[name].to_numpy())
        axis = _Axis(true_text[k_partner], name, age_bin)
        axes.append(axis)
        known.append(axis.codes(true_text[k_partner]))
        pub_labels.append(_text(pub_people[name].to_numpy())[r_partner])

    # published labels -> code intervals (per distinct label)
    covers, widths = [], []
    for axis, labels in zip(axes, pub_labels):
        uniq, code = np.unique(labels.astype(str), return_inverse=True)
        intervals = [axis.cover(u) for u in uniq]
        width = np.array([sum(b - a + 1 for a, b in iv) for iv in intervals], dtype=float)
        covers.append((code.astype(np.int64), intervals))
        widths.append(width[code].mean() if len(code) else 0.0)
    wide = int(np.argmax(widths))  # kept as intervals; the others are expanded

    # expand the released connections: one row per covered value of every other axis
    rows = np.arange(len(r_owner))
    values = []  # per expanded axis, the member code of each row
    for j, (code, intervals) in enumerate(covers):
        if j == wide:
            continue
        sub, lo, hi = _explode(code[rows], intervals)
        sub2, member = _members(lo, hi)
        rows = rows[sub][sub2]
        values = [v[sub][sub2] for v in values] + [member]
    sub, lo, hi = _explode(covers[wide][0][rows], covers[wide][1])
    rows = rows[sub]
    values = [v[sub] for v in values]
    sizes = [a.size for j, a in enumerate(axes) if j != wide]
    key = np.zeros(len(rows), dtype=np.int64)
    for v, size in zip(values, sizes):
        key = key * (size + 1) + v
    owner = r_owner[rows]

    # merge the intervals of each (key, owner): disjoint, so an owner counts once
    order = np.lexsort((lo, owner, key))
    key, owner, lo, hi = key[order], owner[order], lo[order], hi[order]
    group = np.r_[0, np.cumsum((key[1:] != key[:-1]) | (owner[1:] != owner[:-1]))]
    span = int(axes[wide].size) + 2
    reach = np.maximum.accumulate(group * span + hi + 1)  # grouped running max of hi
    start = np.r_[True, (group[1:] != group[:-1]) | (lo[1:] + group[1:] * span > reach[:-1])]
    run = np.cumsum(start) - 1
    m_key = key[start]
    m_lo = lo[start]
    m_hi = np.zeros(int(run[-1]) + 1 if len(run) else 0, dtype=np.int64)
    np.maximum.at(m_hi, run, hi)

    # candidates of each known connection: merged intervals of its key holding its value
    k_key = np.zeros(len(k_owner), dtype=np.int64)
    for j, (v, axis) in enumerate(zip(known, axes)):
        if j != wide:
            k_key = k_key * (axis.size + 1) + v
    z = known[wide]
    big = span
    starts_sorted = np.sort(m_key * big + m_lo)
    ends_sorted = np.sort(m_key * big + m_hi)
    base, query = k_key * big, k_key * big + z
    opened = np.searchsorted(starts_sorted, query, "right") - np.searchsorted(starts_sorted, base)
    closed = np.searchsorted(ends_sorted, query, "left") - np.searchsorted(ends_sorted, base)
    count = (opened - closed).astype(float)
    out = np.full(len(true_people), np.inf)
    np.minimum.at(out, k_owner, count)
    return out
