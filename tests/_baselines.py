"""Naive protections the tests compare the package against."""

import numpy as np
import pandas as pd


def random_edge_addition(data, copies, seed=0):
    """Naive protection: for every real connection, ``copies`` connections of the same
    type from its first end to people drawn uniformly at random."""
    rng = np.random.default_rng(seed)
    edges = data.connections
    ids = data.ids.to_numpy()
    src = np.repeat(edges["person1_id"].to_numpy(), copies)
    dst = ids[rng.integers(0, len(ids), len(src))]
    ok = src != dst
    new = pd.DataFrame(
        {
            "person1_id": src[ok],
            "person2_id": dst[ok],
            "connection_type": np.repeat(edges["connection_type"].to_numpy(), copies)[ok],
        }
    )
    return data.add(connections=new)
