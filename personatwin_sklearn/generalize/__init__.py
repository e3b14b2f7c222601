"""Generalisation of quasi-identifiers to k-anonymous classes."""

from personatwin_sklearn.generalize._evaluate import accuracy_under_anonymization
from personatwin_sklearn.generalize._hierarchy import read_hierarchy
from personatwin_sklearn.generalize._kanonymizer import PRIVACY_LEVELS, KAnonymizer
from personatwin_sklearn.generalize._neighborhood_anonymizer import NeighborhoodKAnonymizer

__all__ = [
    "KAnonymizer",
    "NeighborhoodKAnonymizer",
    "PRIVACY_LEVELS",
    "accuracy_under_anonymization",
    "read_hierarchy",
]
