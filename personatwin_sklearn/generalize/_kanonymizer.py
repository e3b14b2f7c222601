"""KAnonymizer: generalise quasi-identifiers until every equivalence class has k rows."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from personatwin_sklearn._base import SocialDataTransformerMixin, feature_names_in
from personatwin_sklearn._graph_features import NA
from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn._text import factorize
from personatwin_sklearn.exceptions import (
    InfeasibleKError,
    InvalidValueError,
    MissingColumnError,
    PersonaTwinWarning,
)
from personatwin_sklearn.generalize._hierarchy import as_hierarchy
from personatwin_sklearn.generalize._mondrian import build_tree, pair_codes, route
from personatwin_sklearn.metrics._risk import DEFAULT_QUASI_IDENTIFIERS

__all__ = ["KAnonymizer", "PRIVACY_LEVELS"]

#: k for each privacy level preset (also used by :func:`create_safe_personas`).
PRIVACY_LEVELS = {"low": 3, "medium": 5, "high": 10}
DEFAULT_K = 5


def resolve_k(k, privacy_level) -> int:
    """The k in force: ``k``, or the preset of ``privacy_level``; both given is an error."""
    if k is not None and privacy_level is not None:
        raise InvalidValueError(
            f"KAnonymizer got both k={k} and privacy_level={privacy_level!r}; give one. "
            f"privacy_level is a preset for k ({PRIVACY_LEVELS}); to tune k (e.g. a grid "
            "over k), leave privacy_level=None."
        )
    if privacy_level is not None:
        return PRIVACY_LEVELS[privacy_level]
    return DEFAULT_K if k is None else int(k)


SUPPRESSED = "*"
#: A missing value, as published (in a set: ``"2005|<NA>"``): the token every reader of
#: a release takes for missing (the linkage, the utility readings; pandas reads it back
#: from a CSV as missing).
_MISSING = NA


#: People-schema columns that are not quasi-identifiers by default (the id, flags,
#: occupation and the analyzer's columns): left out of the partial-default warning.
_SCHEMA_COLUMNS = ("person_id", "is_synthetic", "occupation", "pattern_k", "pattern_risk")


def _schema_column(name) -> bool:
    return name in _SCHEMA_COLUMNS or (isinstance(name, str) and name.startswith("has_"))


def _is_prefix_column(name) -> bool:
    name = str(name).lower()
    return "zip" in name or "postal" in name or "postcode" in name


def _shared_prefix(a: str, b: str) -> int:
    """Length of the common prefix of two strings."""
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


class _Column:
    """How one quasi-identifier is coded: ordered values and labels of code ranges."""

    # Only numpy arrays and plain values are stored, so a fitted KAnonymizer round-trips
    # through skops as well as pickle; the pandas lookups are rebuilt when used.
    def __init__(self, name, kind, values, hierarchy=None):
        self.name = name
        self.kind = kind  # "numeric", "prefix", "categorical", "hierarchy"
        self.values = values  # ordered distinct values (float array or object array)
        if hierarchy is not None:
            self.hierarchy_values = np.asarray(hierarchy.index, dtype=object)
            self.hierarchy_levels = hierarchy.to_numpy(dtype=object)
        if kind == "numeric":
            span = values[-1] - values[0] if len(values) else 0.0
            self.pos = (values - values[0]) / span if span > 0 else np.zeros(len(values))
            self.integral = bool(np.all(np.mod(values, 1) == 0))
            self.negative = bool(len(values) and values[0] < 0)
        else:
            u = len(values)
            self.pos = np.arange(u) / (u - 1) if u > 1 else np.zeros(u)

    def _index(self, name: str) -> pd.Index:
        """``pd.Index`` of ``values`` or ``hierarchy_values``, cached but never saved."""
        cache = self.__dict__.setdefault("_cache", {})
        if name not in cache:
            cache[name] = pd.Index(getattr(self, name))
        return cache[name]

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_cache", None)
        return state

    def encode(self, column: pd.Series) -> np.ndarray:
        if self.kind == "numeric":
            if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
                raise InvalidValueError(
                    f"Quasi-identifier {self.name!r} was numeric in fit but is "
                    f"{column.dtype} in X, with values like {column.head(3).tolist()}. "
                    f"Convert it, e.g. X[{self.name!r}] = pd.to_numeric(X[{self.name!r}])."
                )
            x = column.to_numpy(dtype=float, na_value=np.nan)
            return np.searchsorted(self.values, x, side="left").astype(np.int64)
        codes, text = _text_codes(column)
        # unseen values: -1 (routed left)
        return self._index("values").get_indexer(text).astype(np.int64)[codes]

    def covers_all(self, los: np.ndarray, his: np.ndarray) -> np.ndarray:
        """Per code range ``[lo, hi]``, whether its :meth:`label` covers every value: the
        whole range, or (a prefix column) a prefix that every value shares."""
        n = len(self.values)
        whole = (los == 0) & (his == n - 1)
        if self.kind == "prefix" and n > 1:
            top = _shared_prefix(str(self.values[0]), str(self.values[-1]))
            width = [_shared_prefix(str(self.values[a]), str(self.values[b]))
                     for a, b in zip(los, his)]  # fmt: skip
            whole |= np.asarray(width, dtype=np.int64) <= top
        return whole

    def label(self, lo: int, hi: int) -> str:
        """Label of the rows whose codes lie in ``[lo, hi]``."""
        if self.kind != "numeric" and lo == 0 and hi == len(self.values) - 1 and hi > lo:
            return SUPPRESSED
        if self.kind == "numeric":
            a, b = self.values[lo], self.values[hi]
            fmt = (lambda v: str(int(v))) if self.integral else (lambda v: f"{v:g}")
            if lo == hi:
                return fmt(a)
            return f"[{fmt(a)}, {fmt(b)}]" if self.negative else f"{fmt(a)}-{fmt(b)}"
        if lo == hi:
            return str(self.values[lo])
        if self.kind == "prefix":
            a, b = str(self.values[lo]), str(self.values[hi])
            common = _shared_prefix(a, b)
            return a[:common] + "*" * (max(len(a), len(b)) - common) if common else SUPPRESSED
        members = [str(v) for v in self.values[lo : hi + 1]]
        if self.kind == "hierarchy":
            rows = self.hierarchy_levels[self._index("hierarchy_values").get_indexer(members)]
            for level in range(rows.shape[1]):
                shared = pd.unique(rows[:, level])
                if len(shared) == 1:
                    return str(shared[0])
            return SUPPRESSED
        return "|".join(sorted(members))

    def midpoint(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        return (self.values[lo] + self.values[hi]) / 2.0


def _text_codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, texts)``: the text of each distinct value (integral floats without
    ``.0``, missing as ``<NA>``) and each row's code into it."""
    if pd.api.types.is_float_dtype(column) and (column.dropna() % 1 == 0).all():
        column = column.astype("Int64")
    codes, uniques = factorize(column, use_na_sentinel=False)  # a Python call per value
    text = pd.Series(uniques, dtype=object)
    return codes, text.where(text.notna(), _MISSING).astype(str).to_numpy(object)


def _as_text(column: pd.Series) -> np.ndarray:
    codes, text = _text_codes(column)
    return text[codes]


class KAnonymizer(SocialDataTransformerMixin, BaseEstimator):
    """Generalise quasi-identifiers so every equivalence class has at least ``k`` rows.

    Multidimensional Mondrian partitioning (LeFevre, DeWitt & Ramakrishnan, ICDE 2006):
    the rows are split recursively at the median of their widest quasi-identifier, as long
    as both halves keep ``k`` rows; each final region becomes one equivalence class and its
    quasi-identifiers are released as the region's extent:

    - numeric columns as ranges, e.g. age ``"40-44"`` (a class with one value keeps it);
    - zip / postal code columns (by name) by prefix, e.g. ``"802**"``;
    - categorical columns with a hierarchy as the lowest level shared by the class's
      values; without one as the sorted members joined by ``"|"`` (categories are ordered
      by frequency, so rare categories are grouped together);
    - ``"*"`` where a non-numeric class spans the whole domain, and for suppressed rows.

    Row count, row order, the index and every column that is not a quasi-identifier are
    unchanged.  The cuts form a tree, so :meth:`transform` routes new rows (e.g. a test set
    in a pipeline) to the classes learned in :meth:`fit`; only the data seen in ``fit`` is
    guaranteed to be k-anonymous.

    Parameters
    ----------
    k : int or None, default=None
        Minimum size of every equivalence class.  ``None``: the preset of
        ``privacy_level``, or 5 when that is None too.  Giving both ``k`` and
        ``privacy_level`` raises an error (never a silent override, so a grid over
        ``k`` cannot be ignored).
    quasi_identifiers : list of str, default=None
        Columns to generalise.  ``None``: those of ``age, gender, ethnicity, zipcode``
        present, or every column when none of them is (e.g. for arrays).  For a
        DataFrame, when that choice leaves other columns unchanged a
        :class:`~personatwin_sklearn.exceptions.PersonaTwinWarning` names them (e.g.
        inside a ``ColumnTransformer`` given other quasi-identifiers, or a table with
        an ``income`` column): pass the columns explicitly to silence it.  Columns of
        the package's people schema that are not quasi-identifiers (``person_id``,
        ``is_synthetic``, ``occupation``, ``has_*`` event flags, ``pattern_k``,
        ``pattern_risk``) do not count.  A SocialData gives no warning: its people
        follow that schema, where other columns are kept attributes.
    hierarchies : dict, default=None
        ``{column: spec}`` where ``spec`` is a path to an ARX-style CSV
        (``value;level1;level2;*``), a DataFrame in that layout, or a dict
        ``{value: [level1, level2, ...]}``.
    suppression_limit : float in [0, 1), default=0.0
        Share of rows that may be suppressed (all quasi-identifiers ``"*"``) to cut
        outliers off classes: a tail of fewer than ``k`` rows is suppressed when that
        at least halves the class's range.  Non-suppressed classes have ``k`` rows or more.
    method : {"mondrian"}, default="mondrian"
        Partitioning algorithm.
    privacy_level : {"low", "medium", "high"} or None, default=None
        Preset for k (low 3, medium 5, high 10), used when ``k`` is None.
    numeric_output : {"range", "midpoint"}, default="range"
        ``"range"`` releases numeric quasi-identifiers as text ranges; ``"midpoint"`` as
        the class's midpoint (numbers, for estimators that need them).

    Attributes
    ----------
    k_ : int
        The k in force (from ``k`` or ``privacy_level``, see ``k``).
    quasi_identifiers_ : list
        The generalised columns.
    column_kinds_ : dict
        ``{column: "numeric" | "prefix" | "categorical" | "hierarchy"}``.
    n_classes_ : int
        Equivalence classes (leaves of the partition) on the training data.
    n_suppressed_ : int
        Training rows suppressed.
    information_loss_ : float
        Normalised certainty penalty of the training data's generalisation (0 = none,
        1 = everything ``"*"``), see :func:`personatwin_sklearn.metrics.information_loss`.
    tree_ : Tree
        The Mondrian cuts as a binary tree over the coded quasi-identifiers
        (``feature``, ``threshold``, ``left``, ``right``, ``suppressed`` arrays);
        :meth:`transform` routes rows through it.
    leaf_lo_, leaf_hi_ : ndarray of shape (n_nodes, n_quasi_identifiers)
        Per tree node (leaves only), the lowest and highest code of each
        quasi-identifier among the training rows of that class: the released extent.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of str objects
        Column names seen in ``fit``; defined when ``X`` has column names.

    See Also
    --------
    personatwin_sklearn.metrics.k_anonymity : Recompute k of the output.
    personatwin_sklearn.metrics.information_loss : Utility cost of the generalisation.

    Examples
    --------
    >>> import pandas as pd
    >>> from personatwin_sklearn import KAnonymizer
    >>> people = pd.DataFrame({"age": [31, 33, 35, 52, 55, 58],
    ...                        "zipcode": ["80202", "80203", "80210", "80301", "80302", "80305"],
    ...                        "income": [1, 2, 3, 4, 5, 6]})
    >>> KAnonymizer(k=3, quasi_identifiers=["age", "zipcode"]).fit_transform(people)
         age zipcode  income
    0  31-35   802**       1
    1  31-35   802**       2
    2  31-35   802**       3
    3  52-58   8030*       4
    4  52-58   8030*       5
    5  52-58   8030*       6
    """

    _parameter_constraints: dict = {
        "k": [Interval(Integral, 1, None, closed="left"), None],
        "quasi_identifiers": [list, tuple, None],
        "hierarchies": [dict, None],
        "suppression_limit": [Interval(Real, 0, 1, closed="left")],
        "method": [StrOptions({"mondrian"})],
        "privacy_level": [StrOptions(set(PRIVACY_LEVELS)), None],
        "numeric_output": [StrOptions({"range", "midpoint"})],
    }

    def __init__(
        self,
        k=None,
        *,
        quasi_identifiers=None,
        hierarchies=None,
        suppression_limit=0.0,
        method="mondrian",
        privacy_level=None,
        numeric_output="range",
    ):
        self.k = k
        self.quasi_identifiers = quasi_identifiers
        self.hierarchies = hierarchies
        self.suppression_limit = suppression_limit
        self.method = method
        self.privacy_level = privacy_level
        self.numeric_output = numeric_output

    # ------------------------------------------------------------------ input handling
    def _frame(self, X, *, reset: bool) -> pd.DataFrame:
        """The table to generalise as a DataFrame (people of a SocialData)."""
        if isinstance(X, SocialData):
            X = X.people
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=reset, skip_check_array=True)
            if X.shape[1] == 0 or (reset and len(X) == 0):
                raise InvalidValueError(
                    f"KAnonymizer needs a non-empty table, got shape {X.shape}."
                )
            return X
        array = validate_data(self, X, reset=reset, dtype="numeric")
        return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])

    def _resolve_qis(self, frame: pd.DataFrame, *, warn: bool = False) -> list:
        if self.quasi_identifiers is None:
            qis = [c for c in DEFAULT_QUASI_IDENTIFIERS if c in frame.columns]
            left = [c for c in frame.columns if c not in qis and not _schema_column(c)]
            if warn and qis and left:
                warnings.warn(
                    f"KAnonymizer(quasi_identifiers=None) generalises only {qis} (the "
                    f"default quasi-identifiers present) and releases the other "
                    f"{len(left)} column(s) of X unchanged: {[str(c) for c in left][:10]}. "
                    "If some of them are quasi-identifiers, they stay identifying. Pass "
                    "quasi_identifiers=[...] explicitly to choose (and to silence this).",
                    PersonaTwinWarning,
                    stacklevel=4,
                )
            return qis or list(frame.columns)
        qis = list(self.quasi_identifiers)
        missing = [c for c in qis if c not in frame.columns]
        if missing:
            raise MissingColumnError(
                f"quasi_identifiers {missing} are not columns of X (columns: "
                f"{list(frame.columns)[:20]}). Fix the names or rename the columns."
            )
        if not qis:
            raise InvalidValueError("quasi_identifiers is empty: name at least one column.")
        return qis

    def _column(self, frame: pd.DataFrame, name) -> _Column:
        series = frame[name]
        hierarchies = self.hierarchies or {}
        if name in hierarchies:
            hierarchy = as_hierarchy(hierarchies[name], name)
            text = _as_text(series)
            unknown = pd.Index(text).difference(hierarchy.index)
            if len(unknown):
                raise InvalidValueError(
                    f"The hierarchy for column {name!r} has no line for value(s) "
                    f"{sorted(map(str, unknown))[:5]}. Add lines 'value;level1;...;*'."
                )
            present = hierarchy.loc[pd.unique(text)]
            sort_keys = [present[c] for c in reversed(present.columns)] + [present.index]
            order = np.lexsort([np.asarray(key, dtype=str) for key in reversed(sort_keys)])
            values = np.asarray(present.index[order], dtype=object)
            return _Column(name, "hierarchy", values, hierarchy)
        numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        if numeric and not _is_prefix_column(name):
            x = series.to_numpy(dtype=float, na_value=np.nan)
            bad = ~np.isfinite(x)
            if bad.any():
                raise InvalidValueError(
                    f"Quasi-identifier {name!r} has {int(bad.sum())} missing or infinite "
                    f"value(s) at rows {series.index[bad][:5].tolist()}. Impute them, or "
                    "cast the column to text to treat missing as its own category."
                )
            return _Column(name, "numeric", np.unique(x))
        text = _as_text(series)
        if _is_prefix_column(name):
            return _Column(name, "prefix", np.unique(text).astype(object))
        counts = pd.Series(text, dtype=object).value_counts(sort=False)
        order = np.lexsort((counts.index.to_numpy(dtype=str), -counts.to_numpy()))
        return _Column(name, "categorical", counts.index.to_numpy(dtype=object)[order])

    # ------------------------------------------------------------------ fit / transform
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the Mondrian partition of ``X``'s quasi-identifiers.

        Parameters
        ----------
        X : DataFrame, SocialData or array-like of shape (n_samples, n_features)
            The table (or a SocialData's people) to anonymise.
        y : None
            Ignored.

        Returns
        -------
        self : KAnonymizer
            The fitted anonymizer.
        """
        frame = self._frame(X, reset=True)
        qis = self._resolve_qis(frame, warn=isinstance(X, pd.DataFrame))
        k = resolve_k(self.k, self.privacy_level)
        n = len(frame)
        if k > n:
            raise InfeasibleKError(
                f"k={k} is larger than the number of rows ({n} sample{'s' * (n != 1)}): no "
                f"class can have {k} rows. Lower k (at most {n}) or add rows."
            )
        hierarchies = self.hierarchies or {}
        stray = [c for c in hierarchies if c not in qis]
        if stray:
            raise InvalidValueError(
                f"hierarchies name column(s) {stray} that are not quasi-identifiers "
                f"{qis}. Add them to quasi_identifiers or drop their hierarchy."
            )
        columns = [self._column(frame, name) for name in qis]
        codes = self._encode(frame, columns)
        budget = int(np.floor(self.suppression_limit * n))
        tree, leaf = build_tree(codes, [c.pos for c in columns], k, budget)

        leaves = tree.leaves
        lo = np.full((tree.n_nodes, len(columns)), -1, dtype=np.int64)
        hi = np.full((tree.n_nodes, len(columns)), -1, dtype=np.int64)
        srt = np.argsort(leaf, kind="stable")
        sorted_leaf = leaf[srt]
        starts = np.flatnonzero(np.r_[True, sorted_leaf[1:] != sorted_leaf[:-1]])
        ids = sorted_leaf[starts]
        lo[ids] = np.minimum.reduceat(codes[srt], starts, axis=0)
        hi[ids] = np.maximum.reduceat(codes[srt], starts, axis=0)

        self.k_ = k
        self.quasi_identifiers_ = qis
        self.column_kinds_ = {c.name: c.kind for c in columns}
        self._columns = columns
        self.tree_ = tree
        self.leaf_lo_ = lo
        self.leaf_hi_ = hi
        self._labels = self._leaf_labels(tree, columns, lo, hi)
        self.n_classes_ = int(len(leaves) - tree.suppressed[leaves].sum())
        self.n_suppressed_ = int(tree.suppressed[leaf].sum())
        out = self._generalize(frame, leaf, numeric_output="range")
        from personatwin_sklearn.metrics._utility import information_loss

        self.information_loss_ = information_loss(frame, out, quasi_identifiers=qis)
        return self

    @staticmethod
    def _encode(frame, columns) -> np.ndarray:
        if not columns:
            return np.zeros((len(frame), 0), dtype=np.int64)
        return np.column_stack([c.encode(frame[c.name]) for c in columns])

    @staticmethod
    def _leaf_labels(tree, columns, lo, hi) -> list[np.ndarray]:
        """Per quasi-identifier, the label of every tree node (leaves only matter)."""
        labels = []
        leaves = tree.leaves
        for j, column in enumerate(columns):
            out = np.full(tree.n_nodes, SUPPRESSED, dtype=object)
            codes, los, his = pair_codes(lo[leaves, j], hi[leaves, j])
            texts = np.array([column.label(a, b) for a, b in zip(los, his)], dtype=object)
            out[leaves] = texts[codes]
            out[leaves[tree.suppressed[leaves]]] = SUPPRESSED
            labels.append(out)
        return labels

    def _generalize(self, frame: pd.DataFrame, leaf: np.ndarray, numeric_output=None):
        numeric_output = numeric_output or self.numeric_output
        out = frame.copy(deep=False)
        for j, column in enumerate(self._columns):
            if column.kind == "numeric" and numeric_output == "midpoint":
                lo, hi = self.leaf_lo_[leaf, j], self.leaf_hi_[leaf, j]
                values = column.midpoint(np.maximum(lo, 0), np.maximum(hi, 0))
                values[self.tree_.suppressed[leaf]] = np.nan
                out[column.name] = values
            else:
                out[column.name] = pd.array(self._labels[j][leaf], dtype="str")
        return out

    def transform(self, X):
        """Replace the quasi-identifiers by the labels of each row's class.

        Parameters
        ----------
        X : DataFrame, SocialData or array-like of shape (n_samples, n_features)
            Same columns as in :meth:`fit`.

        Returns
        -------
        X_generalized : same type as ``X``
            DataFrame in, DataFrame out (same index, column order and non-QI columns);
            SocialData in, SocialData out (people generalised, connections unchanged);
            array in, array out (float when every output column is numeric).
        """
        check_is_fitted(self, "tree_")
        table = X.people if isinstance(X, SocialData) else X
        if isinstance(table, pd.DataFrame):  # before sklearn's generic feature-name check
            missing = [c for c in self.quasi_identifiers_ if c not in table.columns]
            if missing:
                raise MissingColumnError(
                    f"Columns {missing} were quasi-identifiers in fit but are missing from X "
                    f"(columns: {list(table.columns)[:20]}). Pass the same columns as in fit."
                )
        frame = self._frame(X, reset=False)
        leaf = route(self.tree_, self._encode(frame, self._columns))
        out = self._generalize(frame, leaf)
        if isinstance(X, SocialData):
            return SocialData._from_validated(out, X.connections, X)
        if isinstance(X, pd.DataFrame):
            return out
        if all(pd.api.types.is_numeric_dtype(out[c]) for c in out.columns):
            return out.to_numpy(dtype=float)
        return out.to_numpy(dtype=object)

    def get_feature_names_out(self, input_features=None):
        """Get output feature names: the input's, unchanged.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input column names; ``None``: those seen in ``fit`` (``x0, x1, ...`` for
            arrays).

        Returns
        -------
        feature_names_out : ndarray of str objects
            The same names: generalisation replaces values, not columns.
        """
        check_is_fitted(self, "tree_")
        return feature_names_in(self, input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags
