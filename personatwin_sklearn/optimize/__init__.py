"""The search for the most useful release that meets a risk target."""

from personatwin_sklearn.optimize._search import (
    Frontier,
    granularity,
    search_release,
    worst_case_risk,
)

__all__ = ["Frontier", "granularity", "search_release", "worst_case_risk"]
