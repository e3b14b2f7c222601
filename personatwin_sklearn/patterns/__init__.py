"""Connection-pattern analysis."""

from personatwin_sklearn.patterns._analyzer import ConnectionPatternAnalyzer
from personatwin_sklearn.patterns._core import PatternIndex, compute_patterns, resolve_signature
from personatwin_sklearn.patterns._dask import pattern_counts_dask

__all__ = [
    "ConnectionPatternAnalyzer",
    "PatternIndex",
    "compute_patterns",
    "pattern_counts_dask",
    "resolve_signature",
]
