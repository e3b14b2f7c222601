"""Independent plain-Python recounts of connection-pattern k (dict of sets), for tests.

Deliberately written without the package's pattern engine: it walks the edges one by
one and builds the signatures with ordinary Python.
"""

from collections import Counter, defaultdict

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
