"""Synthetic connections that close rare connection patterns."""

from personatwin_sklearn.connections._generator import SyntheticConnectionGenerator

__all__ = ["SyntheticConnectionGenerator"]
