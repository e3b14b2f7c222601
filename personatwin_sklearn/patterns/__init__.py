"""Connection-pattern analysis."""

from personatwin_sklearn.patterns._analyzer import ConnectionPatternAnalyzer
from personatwin_sklearn.patterns._consistent import (
    connection_consistent_k,
    consistent_pattern_k,
    person_consistent_k,
)
from personatwin_sklearn.patterns._core import PatternIndex, compute_patterns, resolve_signature
from personatwin_sklearn.patterns._dask import pattern_counts_dask

__all__ = [
    "ConnectionPatternAnalyzer",
    "PatternIndex",
    "compute_patterns",
    "connection_consistent_k",
    "consistent_pattern_k",
    "person_consistent_k",
    "pattern_counts_dask",
    "resolve_signature",
]
