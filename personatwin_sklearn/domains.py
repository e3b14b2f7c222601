"""Domains: the connection types and event flags typical of a field.

A connection row ``(person1_id, person2_id, connection_type)`` reads
"*person2 is person1's <connection_type>*": ``(A, F, "PARENT")`` means F is A's
parent.  Undirected types (spouse, sibling, ...) are seen the same way from both
ends; a directed type is seen from person2's end as its inverse (``PARENT`` ->
``CHILD``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Domain", "DOMAINS", "get_domain"]


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
