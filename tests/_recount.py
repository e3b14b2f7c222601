"""Independent plain-Python recounts of connection-pattern k (dict of sets), for tests.

Deliberately written without the package's pattern engine: it walks the edges one by
one and builds the signatures with ordinary Python.
"""

from collections import Counter, defaultdict

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
