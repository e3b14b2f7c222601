"""Codes of a column's values without a Python string per row.

With pandas 3 a text column is a pyarrow string array: ``series.astype(object)`` makes
one Python string per row (a second per row when an object array of strings is put
back in a frame), which was about a tenth of the protection's time at 1M people.
pyarrow factorizes a string array itself; only the distinct values become Python
objects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def factorize(values, *, sort=False, use_na_sentinel=True) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` of ``values`` read as objects: ``(codes, uniques)``, the uniques
    an object array.

    Equal to ``pd.factorize(pd.Series(values).astype(object), ...)`` (a missing text
    value is NaN there and here), without the per-row objects for a string column (or a
    numpy number or bool column).
    """
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    direct = isinstance(series.dtype, pd.StringDtype) or (
        isinstance(series.dtype, np.dtype) and series.dtype.kind in "biuf"
    )
    direct &= use_na_sentinel or not sort  # where a sorted NaN goes differs between them
    if not direct:
        series = series.astype(object)
    codes, uniques = pd.factorize(series, sort=sort, use_na_sentinel=use_na_sentinel)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


def cells_like(codes: np.ndarray, uniques) -> pd.api.extensions.ExtensionArray | np.ndarray:
    """The column ``uniques[codes]`` with the dtype pandas infers for those values (a
    string dtype for text, object for mixed values), built from the distinct values."""
    column = pd.Series(np.asarray(uniques, dtype=object))
    return column.array.take(np.asarray(codes, dtype=np.int64))
