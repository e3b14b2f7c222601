"""Large random populations for benchmarks (built with numpy in a second or two)."""

from collections import defaultdict

import numpy as np
import pandas as pd

from personatwin_sklearn import SocialData

OCCUPATIONS = np.array(
    [
        "management", "business_finance", "computer_math", "engineering", "science",
        "community_social_service", "legal", "education", "arts_media",
        "healthcare_practitioner", "healthcare_support", "protective_service", "food_service",
        "building_maintenance", "personal_care", "sales", "office_admin", "construction",
        "production", "transportation", "student", "retired",
    ]
)  # fmt: skip


def random_population(
    n_people: int, edges_per_person: float = 3.0, seed: int = 0, *, quasi_identifiers=False
):
    """``n_people`` people with census-like columns and ``edges_per_person * n`` typed edges.

    With ``quasi_identifiers=True`` the people also get ``zipcode`` (census ZCTAs of
    Colorado, population-weighted) and ``ethnicity`` (the census shares of that zip), so
    k-anonymisation and augmentation have the usual four quasi-identifiers.
    """
    rng = np.random.default_rng(seed)
    people = pd.DataFrame(
        {
            "person_id": np.arange(n_people, dtype=np.int64),
            "age": rng.integers(0, 95, n_people),
            "gender": pd.Categorical(rng.choice(["F", "M"], n_people)),
            "occupation": pd.Categorical(OCCUPATIONS[rng.integers(0, len(OCCUPATIONS), n_people)]),
            "has_criminal_record": rng.random(n_people) < 0.1,
        }
    )
    if quasi_identifiers:
        from personatwin_sklearn.census import sample_ethnicity, sample_zipcodes

        state = np.random.RandomState(seed)
        zipcodes = sample_zipcodes(n_people, state, state="CO")
        people["zipcode"] = pd.Categorical(zipcodes)
        people["ethnicity"] = pd.Categorical(sample_ethnicity(n_people, state, zipcodes=zipcodes))
    m = int(edges_per_person * n_people)
    a = rng.integers(0, n_people, m)
    b = (a + rng.integers(1, n_people, m)) % n_people
    types = np.array(["SPOUSE", "PARENT", "SIBLING", "CO_DEFENDANT", "FRIEND"])
    edges = pd.DataFrame(
        {
            "person1_id": a,
            "person2_id": b,
            "connection_type": pd.Categorical(types[rng.integers(0, len(types), m)]),
        }
    )
    return SocialData(people, edges, domain="criminal_justice")


def plain_pattern_holders(data: SocialData, age_bin: int = 5) -> dict:
    """Plain-Python baseline: pattern -> set of owners, from one loop over the edges.

    A pattern is (connection type as seen from the owner, partner's gender, age bucket,
    occupation and event flags), as ConnectionPatternAnalyzer counts it by default.
    """
    people = data.people
    inverse = data.domain.inverse
    signature = ["gender", "age", "occupation", *data.event_columns]
    columns = [
        (people[c] // age_bin).tolist() if c == "age" else people[c].astype(str).tolist()
        for c in signature
    ]
    sig = dict(zip(people[data.id_col].tolist(), zip(*columns)))
    holders = defaultdict(set)
    edges = data.connections
    for a, b, t in zip(
        edges["person1_id"].tolist(),
        edges["person2_id"].tolist(),
        edges["connection_type"].astype(str).tolist(),
    ):
        holders[(t, sig[b])].add(a)
        holders[(inverse.get(t, t), sig[a])].add(b)
    return holders
