"""Generalised values read as the uniform spread over what they stand for.

A released value stands for a set of original values: ``"40-44"`` for the ages 40..44,
``"asian|black"`` for two ethnicities, ``"802**"`` for the zip codes starting with 802,
``"*"`` for the column's whole domain in the original.  An analyst who reads the release
can only spread each value uniformly over that set.  A :class:`Reading` holds, for one
column, the original domain (its *cells*) and a sparse matrix with one row per distinct
released label: the probability of each cell.  Every workload answer is then a sum of
rows of that matrix (:func:`explode` for joint answers over several columns), so the
cost is linear in the rows and nothing loops over people or connections: only over
distinct labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from personatwin_sklearn import census
from personatwin_sklearn._text import factorize
from personatwin_sklearn.patterns._consistent import AGE_MAX, age_intervals

#: Cell of a released value that stands for nothing seen in the original.
UNSEEN = "<unseen>"
#: Text of a missing value.
MISSING = "<NA>"
_NUMBER = r"-?\d+(?:\.\d+)?"
_RANGE = re.compile(rf"^\s*\[?\s*({_NUMBER})\s*(?:-|,)\s*({_NUMBER})\s*\]?\s*$")


@dataclass
class Reading:
    """One column read as distributions over its original cells.

    ``matrix[label]`` is the distribution of a released label over ``cells``; ``codes``
    gives each row's label; ``kind`` says per label whether it is ``"exact"`` (one
    original value), ``"group"`` (several) or ``"suppressed"`` (``"*"`` or the whole
    domain); ``width`` is the number of cells a label covers.
    """

    cells: np.ndarray
    matrix: sparse.csr_matrix
    codes: np.ndarray
    kind: np.ndarray
    width: np.ndarray
    labels: np.ndarray
    domain: np.ndarray

    @property
    def n_cells(self) -> int:
        return len(self.cells)

    def rows(self) -> sparse.csr_matrix:
        """The per-row distributions (``n_rows x n_cells``)."""
        return self.matrix[self.codes]

    def totals(self, weights=None) -> np.ndarray:
        """Sum of the rows' distributions (optionally weighted)."""
        counts = np.bincount(self.codes, weights=weights, minlength=self.matrix.shape[0])
        return np.asarray(self.matrix.T @ counts, dtype=float).ravel()

    def coarsen(self, cell_map: np.ndarray, cells: np.ndarray) -> Reading:
        """The same reading over coarser cells (``cell_map[i]``: new cell of cell ``i``)."""
        n = len(self.cells)
        to_new = sparse.csr_matrix((np.ones(n), (np.arange(n), cell_map)), shape=(n, len(cells)))
        return Reading(
            np.asarray(cells, dtype=object),
            sparse.csr_matrix(self.matrix @ to_new),
            self.codes,
            self.kind,
            self.width,
            self.labels,
            np.unique(cell_map[self.domain]),
        )


def _csr(members: list, n_cells: int) -> sparse.csr_matrix:
    """Rows uniform over the given member lists."""
    lengths = np.array([len(m) for m in members], dtype=np.int64)
    cols = np.concatenate([np.asarray(m, dtype=np.int64) for m in members]) if members else []
    rows = np.repeat(np.arange(len(members)), lengths)
    data = np.repeat(1.0 / np.maximum(lengths, 1), lengths)
    return sparse.csr_matrix((data, (rows, cols)), shape=(len(members), n_cells))


def _distinct_text(values) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, text)``: the text of each distinct value of ``values`` (a Python call
    per distinct value), a missing value coded -1 (the last text, ``MISSING``)."""
    plain = isinstance(values, np.ndarray) and values.dtype == object  # no str inference
    series = pd.Series(values, dtype=object if plain else None).reset_index(drop=True)
    codes, uniques = factorize(series)
    return codes, np.asarray([_text_of(u) for u in uniques] + [MISSING], dtype=object)


def as_text(values: pd.Series) -> pd.Series:
    """Values as comparable text: integral numbers without ``.0``, missing as ``<NA>``."""
    codes, text = _distinct_text(values)
    return pd.Series(text[codes], dtype=object)


def text_codes(values) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(as_text(values), use_na_sentinel=False)``, with one Python call
    per distinct value: ``(codes, labels)``, labels in order of first appearance."""
    codes, text = _distinct_text(values)
    merged, labels = pd.factorize(text)  # two values may read as one text
    codes = merged[codes]  # a missing value (-1): the last, MISSING
    if len(codes) == 0:
        return codes.astype(np.int64), np.asarray([], dtype=object)
    # number the labels in order of first appearance among the rows
    first = np.full(len(labels), len(codes), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(codes), dtype=np.int64))
    seen = np.flatnonzero(first < len(codes))
    order = seen[np.argsort(first[seen], kind="stable")]
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[codes], np.asarray(labels, dtype=object)[order]


def _text_of(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else str(float(value))
    return str(value)


def _numeric_domain(domain: list) -> np.ndarray | None:
    """The domain as numbers (NaN for missing), or None if a value is not a number."""
    try:
        return np.array([np.nan if v == MISSING else float(v) for v in domain])
    except ValueError:
        return None


def _resolve(label: str, index: dict, domain: list, numbers) -> list:
    """Cells a released categorical label stands for (``[len(domain)]``: unseen)."""
    if label in index:
        return [index[label]]
    everything = [i for i, v in enumerate(domain) if v != MISSING] or list(range(len(domain)))
    if label == "*":
        return everything
    if label in census.OCCUPATION_MAJOR_GROUPS:
        label = "|".join(census.OCCUPATION_MAJOR_GROUPS[label])
    if "|" in label:
        found = sorted(
            {c for part in label.split("|") for c in _resolve(part, index, domain, None)}
        )
        seen = [c for c in found if c < len(domain)]
        return seen or [len(domain)]
    try:
        number = float(label)
    except ValueError:
        number = None
    if number is not None and _text_of(number) in index:
        return [index[_text_of(number)]]
    if "*" in label:  # a masked prefix such as 802**
        pattern = re.compile(re.escape(label).replace(r"\*", "."))
        found = [i for i, v in enumerate(domain) if pattern.fullmatch(v)]
        return found or [len(domain)]
    match = _RANGE.match(label)
    if match and numbers is not None:
        lo, hi = float(match.group(1)), float(match.group(2))
        found = [i for i, v in enumerate(numbers) if lo <= v <= hi]
        return found or [len(domain)]
    return [len(domain)]


def categorical_reading(original: pd.Series, released: pd.Series | None) -> tuple:
    """Readings of a categorical column in the original and in a release.

    The cells are the original's distinct values and :data:`UNSEEN`; ``released=None``
    (a column the release does not publish) gives ``after=None``: see
    :func:`suppressed_reading`.

    Returns
    -------
    before, after : Reading
    """
    before, read = categorical_reader(original)
    return before, None if released is None else read(released)


def categorical_reader(original: pd.Series) -> tuple:
    """``(before, read)``: the original's reading, and ``read(series) -> Reading`` of a
    published column in the original's cells (:func:`categorical_reading`)."""
    text = as_text(original)
    domain = list(pd.unique(text))
    index = {v: i for i, v in enumerate(domain)}
    cells = np.asarray([*domain, UNSEEN], dtype=object)
    numbers = _numeric_domain(domain)
    everything = np.array(
        [i for i, v in enumerate(domain) if v != MISSING] or list(range(len(domain))),
        dtype=np.int64,
    )

    def read(series) -> Reading:
        codes, labels = text_codes(series)
        members = [_resolve(str(label), index, domain, numbers) for label in labels]
        width = np.array([len(m) for m in members], dtype=np.int64)
        full = max(len([v for v in domain if v != MISSING]), 1)
        kind = np.where(
            (np.asarray(labels, dtype=object) == "*") | ((width >= full) & (full > 1)),
            "suppressed",
            np.where(width == 1, "exact", "group"),
        )
        return Reading(cells, _csr(members, len(cells)), codes.astype(np.int64), kind, width,
                       np.asarray(labels, dtype=object), everything)  # fmt: skip

    return read(original), read


def suppressed_reading(like: Reading, n_rows: int) -> Reading:
    """Every row ``"*"``: uniform over the original domain of ``like``."""
    return Reading(
        like.cells,
        _csr([list(like.domain)], len(like.cells)),
        np.zeros(n_rows, dtype=np.int64),
        np.array(["suppressed"]),
        np.array([len(like.domain)]),
        np.array(["*"], dtype=object),
        like.domain,
    )


def age_reading(original: pd.Series, released: pd.Series | None) -> tuple:
    """Readings of ages over whole years ``0..AGE_MAX``.

    Numeric ages are exact; ranges (``"40-44"``, ``"2-38"``) are uniform over their
    years; ``"*"`` is uniform over the original's range of ages (``released=None``
    gives ``after=None``: see :func:`suppressed_reading`).

    Returns
    -------
    before, after : Reading
    """
    before, read = age_reader(original)
    return before, None if released is None else read(released)


def age_reader(original: pd.Series) -> tuple:
    """``(before, read)``: the original's reading, and ``read(series) -> Reading`` of a
    published age column (:func:`age_reading`)."""
    lo0, hi0 = age_intervals(original, 1)
    known = ~pd.Series(original).isna().to_numpy()
    span = (int(lo0[known].min()), int(hi0[known].max())) if known.any() else (0, AGE_MAX)
    cells = np.arange(AGE_MAX + 1)

    def read(series) -> Reading:
        series = pd.Series(series).reset_index(drop=True)
        lo, hi = age_intervals(series, 1)
        wildcard = (lo <= 0) & (hi >= AGE_MAX)
        lo = np.where(wildcard, span[0], lo)
        hi = np.where(wildcard, span[1], hi)
        keys = lo * (AGE_MAX + 1) + hi
        codes, uniq = pd.factorize(keys)
        ulo, uhi = uniq // (AGE_MAX + 1), uniq % (AGE_MAX + 1)
        width = (uhi - ulo + 1).astype(np.int64)
        rows = np.repeat(np.arange(len(uniq)), width)
        start = np.repeat(ulo - np.r_[0, np.cumsum(width)[:-1]], width)
        cols = np.arange(len(rows)) + start
        data = np.repeat(1.0 / width, width)
        matrix = sparse.csr_matrix((data, (rows, cols)), shape=(len(uniq), len(cells)))
        whole = (ulo <= span[0]) & (uhi >= span[1]) & (span[1] > span[0])
        was_wild = np.zeros(len(uniq), dtype=bool)
        np.logical_or.at(was_wild, codes, wildcard)
        kind = np.where(whole | was_wild, "suppressed", np.where(width == 1, "exact", "group"))
        labels = np.asarray([f"{a}-{b}" for a, b in zip(ulo, uhi, strict=True)], dtype=object)
        domain = np.arange(span[0], span[1] + 1, dtype=np.int64)
        return Reading(cells, matrix, codes.astype(np.int64), kind, width, labels, domain)

    return read(original), read


def explode(dims: list, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Joint distribution of several independent readings, summed over rows.

    Parameters
    ----------
    dims : list of (codes, matrix)
        Per dimension, each row's label code and the label-by-cell matrix.
    weights : ndarray, default=None
        Row weights (1 each by default).

    Returns
    -------
    cells, mass : ndarray
        Joint cell keys (mixed radix over the dimensions' cell counts) and their mass.
    """
    n = len(dims[0][0])
    weights = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    frame = pd.DataFrame({f"d{i}": codes for i, (codes, _) in enumerate(dims)})
    frame["w"] = weights
    grouped = frame.groupby([f"d{i}" for i in range(len(dims))], sort=False).sum()
    keys = grouped.index.to_frame(index=False).to_numpy(np.int64).reshape(len(grouped), -1)
    cell = np.zeros(len(grouped), dtype=np.int64)
    mass = grouped["w"].to_numpy(dtype=float)
    radix = 1
    for i, (_, matrix) in enumerate(dims):
        matrix = sparse.csr_matrix(matrix)
        radix *= matrix.shape[1]
        if radix >= 2**62:
            raise OverflowError("too many joint cells to key in 64 bits")
        labels = keys[:, i]
        start, stop = matrix.indptr[labels], matrix.indptr[labels + 1]
        nnz = stop - start
        rep = np.repeat(np.arange(len(labels)), nnz)
        offset = np.arange(len(rep)) - np.repeat(np.cumsum(nnz) - nnz, nnz)
        pos = start[rep] + offset
        cell = cell[rep] * matrix.shape[1] + matrix.indices[pos]
        mass = mass[rep] * matrix.data[pos]
        keys = keys[rep]
    return cell, mass


def tvd(cells_a, mass_a, cells_b, mass_b) -> float:
    """Total variation distance of two mass functions over cell keys (NaN if both empty)."""
    total_a, total_b = float(np.sum(mass_a)), float(np.sum(mass_b))
    if total_a <= 0 and total_b <= 0:
        return float("nan")
    if total_a <= 0 or total_b <= 0:
        return 1.0
    keys, inverse = np.unique(np.concatenate([cells_a, cells_b]), return_inverse=True)
    a = np.bincount(inverse[: len(cells_a)], weights=mass_a, minlength=len(keys)) / total_a
    b = np.bincount(inverse[len(cells_a) :], weights=mass_b, minlength=len(keys)) / total_b
    return float(0.5 * np.abs(a - b).sum())


def tvd_vectors(a, b) -> float:
    """Total variation distance of two histograms over the same bins."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    idx = np.arange(len(a))
    return tvd(idx, a, idx, b)
