"""Sample data: a realistic census-based population and the motivating toy case."""

from personatwin_sklearn.datasets._population import (
    SPOUSE_TEACHER_PATTERN,
    make_social_population,
)
from personatwin_sklearn.datasets._toy import make_toy_population

__all__ = ["SPOUSE_TEACHER_PATTERN", "make_social_population", "make_toy_population"]
