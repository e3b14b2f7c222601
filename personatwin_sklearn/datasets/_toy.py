"""The motivating example of the user guide, as a tiny SocialData."""

import pandas as pd

from personatwin_sklearn._social_data import SocialData

__all__ = ["make_toy_population"]


def make_toy_population() -> SocialData:
    """Build a toy population of twelve people and their families.

    A and B have fathers (60 and 65) with criminal records, C is the only person
    married to a 40-44 year old teacher.

    Returns
    -------
    data : SocialData
        Domain ``criminal_justice``; ids ``"A"``, ``"B"``, ``"C"``, ... .

    See Also
    --------
    make_social_population : A larger random population.

    Examples
    --------
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> data = make_toy_population()
    >>> len(data), data.n_connections
    (12, 6)
    """
    people = pd.DataFrame(
        {
            "person_id": list("ABCDEFGHIJKL"),
            "age": [34, 38, 41, 60, 65, 42, 36, 39, 44, 33, 67, 62],
            "gender": ["M", "F", "M", "M", "M", "F", "F", "M", "F", "M", "M", "M"],
            "occupation": [
                "sales",
                "office_admin",
                "construction",
                "retired",
                "retired",
                "education",
                "healthcare_support",
                "sales",
                "sales",
                "construction",
                "retired",
                "retired",
            ],
            "has_criminal_record": [
                False,
                True,
                False,
                True,
                True,
                False,
                False,
                False,
                False,
                False,
                True,
                True,
            ],
        }
    )
    edges = pd.DataFrame(
        {
            "person1_id": ["A", "B", "C", "G", "H", "J"],
            "person2_id": ["D", "E", "F", "H", "I", "K"],
            "connection_type": ["PARENT", "PARENT", "SPOUSE", "SPOUSE", "SPOUSE", "PARENT"],
        }
    )
    return SocialData(people, edges, domain="criminal_justice")
