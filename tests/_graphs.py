"""Small graphs shared by the tests."""

import numpy as np
import pandas as pd

from personatwin_sklearn import SocialData


def dense_friends() -> SocialData:
    """A ring of cliques (300 people, ~3,000 friendships, one component) with exact ages."""
    rng = np.random.default_rng(0)
    n = 300
    people = pd.DataFrame(
        {
            "person_id": np.arange(n),
            "age": rng.integers(18, 80, n),
            "gender": rng.choice(["F", "M"], n),
        }
    )
    a = rng.integers(0, n, 3000)
    b = (a + rng.integers(1, 15, 3000)) % n
    edges = pd.DataFrame({"person1_id": a, "person2_id": b, "connection_type": "FRIEND"})
    return SocialData(people, edges.drop_duplicates().reset_index(drop=True))
