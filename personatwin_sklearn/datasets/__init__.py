"""Sample data: a realistic synthetic population and the motivating toy case."""

from personatwin_sklearn.datasets._toy import make_toy_population

__all__ = ["make_toy_population"]
