"""ConnectionPatternAnalyzer: find connection patterns shared by fewer than k people."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from personatwin_sklearn._base import (
    SocialDataTransformerMixin,
    check_k_feasible,
    check_social_data,
)
from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.patterns._core import compute_patterns

__all__ = ["ConnectionPatternAnalyzer"]


def _group_lists(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Object array whose item g is the list of ``values`` in group g (numpy split)."""
    order = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[order], np.arange(1, n_groups))
    out = np.empty(n_groups, dtype=object)
    out[:] = [part.tolist() for part in np.split(np.asarray(values)[order], bounds)]
    return out


def _group_join(strings: np.ndarray, groups: np.ndarray, n_groups: int, sep: str) -> np.ndarray:
    """Object array whose item g joins the strings of group g with ``sep`` ("" if none)."""
    out = np.full(n_groups, "", dtype=object)
    if len(strings) == 0:
        return out
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    parts = np.asarray(strings, dtype=object)[order] + sep
    joined = np.add.reduceat(parts, starts)
    out[sorted_groups[starts]] = [text[: -len(sep)] for text in joined]
    return out


class ConnectionPatternAnalyzer(SocialDataTransformerMixin, TransformerMixin, BaseEstimator):
    """Find connection patterns shared by fewer than ``k`` people.

    A pattern is a connection seen from one end: its type (as seen from that
    person: ``PARENT`` seen from the parent's end is ``CHILD``) and the partner's
    signature attributes (by default gender, 5-year age bucket, occupation and every
    ``has_*`` flag).  Its k is the number of distinct people having it.  With
    ``scope="neighborhood"`` the unit is a person's whole multiset of patterns
    (the 1-hop neighbourhood attack): its k is the number of people with the same
    multiset.

    Parameters
    ----------
    k : int, default=5
        Patterns with fewer than ``k`` people are rare.
    signature : list of str, default=None
        Partner columns in a pattern; ``None`` uses gender, age, occupation and
        ``has_*`` columns that exist.
    age_bin : int, default=5
        Width of the partner age buckets in years (1 = exact age).
    scope : {"edge", "neighborhood"}, default="edge"
        Count single patterns or whole 1-hop neighbourhoods.

    Attributes
    ----------
    patterns_ : DataFrame
        One row per pattern (edge scope) or neighbourhood class (neighborhood scope),
        rarest first, with ``pattern`` and ``k`` (and the pattern's parts).
    rare_patterns_ : DataFrame
        Rows of ``patterns_`` with ``k < self.k``, with a ``persons`` column listing
        the ids of the people having them.
    signature_ : tuple of str
        Resolved signature columns.
    min_k_ : float
        Smallest k (NaN when nobody has a connection in edge scope).
    n_people_at_risk_ : int
        People having at least one rare pattern (edge scope) or a rare
        neighbourhood.
    n_people_ : int
        People seen in ``fit``.
    person_k_ : ndarray of float of shape (n_people_,)
        Each person's smallest pattern k (edge scope) or neighbourhood class size.
    index_ : PatternIndex
        The pattern bookkeeping of the training data.
    n_features_in_ : int
        Number of people columns seen in ``fit``.
    feature_names_in_ : ndarray of str objects
        People columns seen in ``fit``.

    See Also
    --------
    SyntheticConnectionGenerator : Adds synthetic connections until every pattern has k.
    personatwin_sklearn.metrics.connection_pattern_k : The same count as a function.

    Examples
    --------
    >>> from personatwin_sklearn import ConnectionPatternAnalyzer
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> data = make_toy_population()
    >>> analyzer = ConnectionPatternAnalyzer(k=2).fit(data)
    >>> int(analyzer.min_k_)
    1
    >>> "pattern_k" in analyzer.transform(data).people.columns
    True
    """

    _added_people_columns = ("pattern_k", "pattern_risk")  # get_feature_names_out

    _parameter_constraints: dict = {
        "k": [Interval(Integral, 1, None, closed="left")],
        "signature": [list, tuple, str, None],
        "age_bin": [Interval(Integral, 1, None, closed="left")],
        "scope": [StrOptions({"edge", "neighborhood"})],
    }

    def __init__(self, k=5, signature=None, age_bin=5, scope="edge"):
        self.k = k
        self.signature = signature
        self.age_bin = age_bin
        self.scope = scope

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Count every pattern of ``X``.

        Parameters
        ----------
        X : SocialData
            People and connections.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted analyzer.
        """
        data = check_social_data(X, type(self).__name__)
        check_k_feasible(self.k, len(data))
        index = compute_patterns(data, self.signature, self.age_bin)
        self.signature_ = index.signature
        self.index_ = index
        ids = data.ids
        if self.scope == "edge":
            table = index.table.drop(columns=["h1", "h2"])
            table["n_connections"] = np.bincount(
                index.pattern, weights=index.multiplicity, minlength=len(table)
            ).astype(np.int64)
            person_k = index.person_min_k
            rare_codes = np.flatnonzero(table["k"].to_numpy() < self.k)
            rare = table.iloc[rare_codes].copy()
            is_rare_pair = np.isin(index.pattern, rare_codes)
            remap = np.full(len(table), -1, dtype=np.int64)
            remap[rare_codes] = np.arange(len(rare_codes))
            rare["persons"] = _group_lists(
                ids.to_numpy()[index.owner[is_rare_pair]],
                remap[index.pattern[is_rare_pair]],
                len(rare_codes),
            )
            self._lookup = pd.Series(table["k"].to_numpy(), index=index.table["h1"].to_numpy())
        else:
            class_id, sizes = index.neighborhoods()
            person_k = sizes.astype(float)
            table = self._neighborhood_table(index, class_id, sizes)
            rare = table.loc[table["k"] < self.k].copy()
            in_rare = sizes < self.k
            remap = np.full(len(table), -1, dtype=np.int64)
            remap[rare["neighborhood_id"].to_numpy()] = np.arange(len(rare))
            rare["persons"] = _group_lists(
                ids.to_numpy()[in_rare], remap[class_id[in_rare]], len(rare)
            )
            keys = index.neighborhood_keys()
            self._lookup = keys.assign(k=sizes).drop_duplicates(["h1", "h2", "n"])
        order = np.argsort(table["k"].to_numpy(), kind="stable")
        self.patterns_ = table.iloc[order].reset_index(drop=True)
        order = np.argsort(rare["k"].to_numpy(), kind="stable")
        self.rare_patterns_ = rare.iloc[order].reset_index(drop=True)
        self.person_k_ = person_k
        self.min_k_ = float(np.nanmin(person_k)) if np.isfinite(person_k).any() else np.nan
        self.n_people_at_risk_ = int(np.sum(person_k < self.k))
        self.n_people_ = len(data)
        return self

    @staticmethod
    def _neighborhood_table(index, class_id, sizes) -> pd.DataFrame:
        n_classes = int(class_id.max()) + 1 if len(class_id) else 0
        first = np.full(n_classes, -1, dtype=np.int64)
        first[class_id[::-1]] = np.arange(len(class_id))[::-1]
        size = np.bincount(class_id, minlength=n_classes)
        # describe each class by its first member's multiset
        rep_of_owner = np.zeros(index.n_people, dtype=bool)
        rep_of_owner[first] = True
        rows = rep_of_owner[index.owner]
        mult = index.multiplicity[rows]
        text = index.table["pattern"].to_numpy(dtype=object)[index.pattern[rows]]
        text = np.where(mult > 1, mult.astype(str).astype(object) + " x " + text, text)
        described = _group_join(text, class_id[index.owner[rows]], n_classes, " | ")
        n_conn = np.zeros(index.n_people, dtype=np.int64)
        if len(index.owner):
            np.add.at(n_conn, index.owner, index.multiplicity)
        return pd.DataFrame(
            {
                "neighborhood_id": np.arange(n_classes),
                "pattern": np.where(described == "", "(no connections)", described),
                "k": size,
                "n_connections": n_conn[first],
            }
        )

    def transform(self, X):
        """Add ``pattern_k`` and ``pattern_risk`` (1/k) columns to the people.

        k is looked up in the fitted counts (a pattern unseen at fit gets k=0); a
        person without connections gets NaN in edge scope.  Other columns are not
        changed.

        Parameters
        ----------
        X : SocialData
            People and connections.

        Returns
        -------
        X_new : SocialData
            ``X`` with the two columns added to its people.
        """
        check_is_fitted(self, "patterns_")
        data = check_social_data(X, type(self).__name__)
        if self.scope == "edge":
            index = compute_patterns(data, self.signature_, self.age_bin)
            k_of_pattern = self._lookup.reindex(index.table["h1"].to_numpy()).fillna(0).to_numpy()
            person_k = np.full(len(data), np.nan)
            if len(index.owner):
                starts = np.flatnonzero(np.r_[True, index.owner[1:] != index.owner[:-1]])
                person_k[index.owner[starts]] = np.minimum.reduceat(
                    k_of_pattern[index.pattern], starts
                )
        else:
            index = compute_patterns(data, self.signature_, self.age_bin)
            keys = index.neighborhood_keys()
            matched = keys.merge(self._lookup, on=["h1", "h2", "n"], how="left")
            person_k = matched["k"].fillna(0).to_numpy(dtype=float)
        people = data.people
        people["pattern_k"] = person_k
        with np.errstate(divide="ignore"):
            people["pattern_risk"] = np.where(person_k > 0, 1.0 / person_k, np.nan)
        return SocialData._from_validated(people, data._connections, data)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.categorical = True
        return tags
