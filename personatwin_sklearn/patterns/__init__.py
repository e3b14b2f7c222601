"""Connection-pattern analysis."""

from personatwin_sklearn.patterns._analyzer import ConnectionPatternAnalyzer
from personatwin_sklearn.patterns._core import PatternIndex, compute_patterns, resolve_signature

__all__ = ["ConnectionPatternAnalyzer", "PatternIndex", "compute_patterns", "resolve_signature"]
