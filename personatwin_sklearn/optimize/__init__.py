"""The search for the most useful release that meets a risk target."""

from personatwin_sklearn.optimize._search import (
    Frontier,
    search_release,
    worst_case_risk,
)

__all__ = ["Frontier", "search_release", "worst_case_risk"]
