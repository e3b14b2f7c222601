"""Domains: the connection types and event flags typical of a field.

A connection row ``(person1_id, person2_id, connection_type)`` reads
"*person2 is person1's <connection_type>*": ``(A, F, "PARENT")`` means F is A's
parent.  Undirected types (spouse, sibling, ...) are seen the same way from both
ends; a directed type is seen from person2's end as its inverse (``PARENT`` ->
``CHILD``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["Domain", "DOMAINS", "get_domain", "rule_violations"]

#: Fewest years a parent is older than their child (where both ages are exact).
MIN_PARENT_GAP = 12


@dataclass(frozen=True)
class Domain:
    """Vocabulary of a field of application.

    Parameters
    ----------
    name : str
        Domain name.
    connection_types : tuple of str
        Connection types accepted by validation (``None`` accepts any type).
    inverse : dict
        Directed types mapped to the type seen from the other end.  Types absent
        from this mapping are undirected.
    event_columns : tuple of str
        Typical boolean event flags (``has_*``) of the domain.
    family_types : tuple of str
        Types whose synthetic instances should follow census household statistics.
    """

    name: str
    connection_types: tuple[str, ...] | None
    inverse: dict[str, str] = field(default_factory=dict)
    event_columns: tuple[str, ...] = ()
    family_types: tuple[str, ...] = ("SPOUSE", "PARENT", "CHILD", "SIBLING")

    def inverse_type(self, connection_type: str) -> str:
        """Type seen from person2's end of a connection of ``connection_type``."""
        if "|" in connection_type:  # a group of types: the group of their inverses
            members = connection_type.split("|")
            return "|".join(sorted(self.inverse.get(t, t) for t in members))
        return self.inverse.get(connection_type, connection_type)

    def is_directed(self, connection_type: str) -> bool:
        """Whether the type reads differently from its two ends."""
        return self.inverse.get(connection_type, connection_type) != connection_type


_FAMILY_INVERSE = {
    "PARENT": "CHILD",
    "CHILD": "PARENT",
    "GRANDPARENT": "GRANDCHILD",
    "GRANDCHILD": "GRANDPARENT",
    "GUARDIAN": "WARD",
    "WARD": "GUARDIAN",
}
_FAMILY = ("SPOUSE", "PARTNER", "SIBLING", "PARENT", "CHILD", "GRANDPARENT", "GRANDCHILD")

DOMAINS: dict[str, Domain] = {
    "criminal_justice": Domain(
        "criminal_justice",
        _FAMILY + ("CO_DEFENDANT", "ASSOCIATE", "VICTIM", "OFFENDER", "HOUSEHOLD", "FRIEND"),
        {**_FAMILY_INVERSE, "VICTIM": "OFFENDER", "OFFENDER": "VICTIM"},
        ("has_criminal_record", "has_prior_arrest", "has_incarceration"),
    ),
    "healthcare": Domain(
        "healthcare",
        _FAMILY + ("CAREGIVER", "CARE_RECIPIENT", "HOUSEHOLD", "SHARED_PROVIDER", "FRIEND"),
        {**_FAMILY_INVERSE, "CAREGIVER": "CARE_RECIPIENT", "CARE_RECIPIENT": "CAREGIVER"},
        ("has_chronic_condition", "has_hospitalization", "has_mental_health_record"),
    ),
    "education": Domain(
        "education",
        _FAMILY + ("CLASSMATE", "FRIEND", "TEAMMATE", "ROOMMATE", "TEACHER", "STUDENT"),
        {**_FAMILY_INVERSE, "TEACHER": "STUDENT", "STUDENT": "TEACHER"},
        ("has_disciplinary_record", "has_special_education", "has_free_lunch"),
    ),
    "custom": Domain("custom", None, dict(_FAMILY_INVERSE), ()),
}


def get_domain(domain: str | Domain) -> Domain:
    """Return the :class:`Domain` named ``domain`` (or ``domain`` itself)."""
    if isinstance(domain, Domain):
        return domain
    try:
        return DOMAINS[domain]
    except (KeyError, TypeError):
        from personatwin_sklearn.exceptions import PersonaTwinError

        raise PersonaTwinError(
            f"Unknown domain {domain!r}. Use one of {sorted(DOMAINS)} or pass a Domain object."
        ) from None


def _flag_false(values: pd.Series) -> np.ndarray:
    """True where a flag is certainly false (False, 0, "False", "0"); generalised or
    missing values ("*", "False|True", NaN) are not."""
    text = values.astype(str).str.strip().str.lower()
    return text.isin(["false", "0", "0.0", "no"]).to_numpy()


def rule_violations(people, connections, domain=None, *, id_col="person_id"):
    """Connections and people that break a rule of real social data (vectorised).

    Rules (each applied only where the data can tell):

    - no self-relations (``person1_id == person2_id``);
    - ``CO_DEFENDANT``: both ends have ``has_criminal_record`` True (when the column
      exists; the end whose flag is certainly false is the person flagged);
    - at most one ``SPOUSE`` per person (every spouse connection of a person with
      several is flagged, and those people);
    - ``PARENT`` / ``CHILD``: the parent is at least :data:`MIN_PARENT_GAP` (12) years
      older than the child, where both ages are exact numbers.

    Generalised values (``"40-49"``, ``"*"``, ``"CHILD|PARENT"``) never count as a
    violation: only what is certain is flagged.

    Parameters
    ----------
    people : DataFrame
        People, with ``id_col`` and (where present) ``age`` and ``has_criminal_record``.
    connections : DataFrame
        ``person1_id``, ``person2_id``, ``connection_type``: row ``(A, F, "PARENT")``
        reads "F is A's parent".
    domain : str or Domain, default=None
        Reserved for domain-specific rules (the rules above hold in every built-in
        domain).
    id_col : str, default="person_id"
        Id column of ``people``.

    Returns
    -------
    edge_mask : ndarray of bool of shape (len(connections),)
        Connections that break a rule.
    person_mask : ndarray of bool of shape (len(people),)
        People that break a rule (an end of such a connection, as described above).

    Examples
    --------
    >>> import pandas as pd
    >>> people = pd.DataFrame({"person_id": [1, 2, 3], "age": [40, 38, 10],
    ...                        "has_criminal_record": [True, False, False]})
    >>> edges = pd.DataFrame({"person1_id": [1, 3], "person2_id": [2, 1],
    ...                       "connection_type": ["CO_DEFENDANT", "PARENT"]})
    >>> edge_mask, person_mask = rule_violations(people, edges)
    >>> edge_mask.tolist(), person_mask.tolist()
    ([True, False], [False, True, False])
    """
    if domain is not None:
        get_domain(domain)  # a bad name is an error
    n_p, n_e = len(people), len(connections)
    edge_mask = np.zeros(n_e, dtype=bool)
    person_mask = np.zeros(n_p, dtype=bool)
    if n_e == 0:
        return edge_mask, person_mask
    index = pd.Index(people[id_col])
    a = index.get_indexer(connections["person1_id"])
    b = index.get_indexer(connections["person2_id"])
    known = (a >= 0) & (b >= 0)
    kind = connections["connection_type"].astype(str).to_numpy()
    ends = np.zeros(n_e, dtype=bool)  # flag both ends of these
    # self-relations
    self_loop = (connections["person1_id"] == connections["person2_id"]).to_numpy()
    edge_mask |= self_loop
    ends |= self_loop
    # co-defendants without a record
    if "has_criminal_record" in people.columns:
        clean = _flag_false(people["has_criminal_record"])
        co = (kind == "CO_DEFENDANT") & known
        bad_a = co & clean[np.maximum(a, 0)]
        bad_b = co & clean[np.maximum(b, 0)]
        edge_mask |= bad_a | bad_b
        person_mask[a[bad_a]] = True
        person_mask[b[bad_b]] = True
    # at most one spouse
    spouse = (kind == "SPOUSE") & known & ~self_loop
    if spouse.any():
        n_spouses = np.bincount(np.r_[a[spouse], b[spouse]], minlength=n_p)
        many = n_spouses > 1
        hit = spouse & (many[np.maximum(a, 0)] | many[np.maximum(b, 0)])
        edge_mask |= hit
        person_mask |= many
    # parents older than children
    if "age" in people.columns:
        age = pd.to_numeric(people["age"], errors="coerce").to_numpy(dtype=float)
        ok = known & ~np.isnan(age[np.maximum(a, 0)]) & ~np.isnan(age[np.maximum(b, 0)])
        gap = age[np.maximum(b, 0)] - age[np.maximum(a, 0)]  # person2 older by
        parent = ok & (kind == "PARENT") & (gap < MIN_PARENT_GAP)
        child = ok & (kind == "CHILD") & (-gap < MIN_PARENT_GAP)
        edge_mask |= parent | child
        ends |= parent | child
    person_mask[a[ends & (a >= 0)]] = True
    person_mask[b[ends & (b >= 0)]] = True
    return edge_mask, person_mask
