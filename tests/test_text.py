"""``_text``: codes of a column's values without a Python string per row, equal to the
object-dtype computation they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from personatwin_sklearn._text import cells_like, factorize
from personatwin_sklearn.metrics._spread import as_text, text_codes

COLUMNS = {
    "str": pd.Series(["b", "a", None, "b", "c"], dtype="str"),
    "object text": pd.Series(["b", "a", np.nan, "b", "c"], dtype=object),
    "mixed": pd.Series([True, "*", False, "*", True], dtype=object),
    "bool": pd.Series([True, False, True]),
    "float": pd.Series([1.0, np.nan, 2.5, 1.0]),
    "int": pd.Series([3, 1, 3, 2]),
    "Int64": pd.Series([3, None, 3], dtype="Int64"),
    "empty": pd.Series([], dtype="str"),
}


def _same(a, b) -> bool:
    def one(x, y):
        if pd.isna(x) or pd.isna(y):
            return bool(pd.isna(x) and pd.isna(y))
        return x == y

    return len(a) == len(b) and all(one(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("name", sorted(COLUMNS))
@pytest.mark.parametrize("sort", [False, True])
@pytest.mark.parametrize("sentinel", [False, True])
def test_factorize_equals_the_object_factorize(name, sort, sentinel):
    column = COLUMNS[name]
    if sort and name == "mixed":
        return  # bools and text do not sort together (neither way)
    codes, uniques = factorize(column, sort=sort, use_na_sentinel=sentinel)
    expected_codes, expected = pd.factorize(
        column.astype(object), sort=sort, use_na_sentinel=sentinel
    )
    assert codes.tolist() == list(expected_codes)
    assert uniques.dtype == object and _same(list(uniques), list(expected))
    assert _same(list(uniques[codes[codes >= 0]]), list(column.astype(object)[codes >= 0]))


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_cells_like_infers_what_the_object_column_would(name):
    column = COLUMNS[name]
    codes, uniques = factorize(column, use_na_sentinel=False)
    built = pd.Series(cells_like(codes, uniques))
    expected = pd.Series(column.astype(object).to_numpy())
    assert built.dtype == expected.dtype
    assert _same(list(built.astype(object)), list(expected.astype(object)))


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_text_codes_equal_factorizing_the_text(name):
    column = COLUMNS[name]
    codes, labels = text_codes(column)
    expected_codes, expected = pd.factorize(as_text(column), use_na_sentinel=False)
    assert codes.tolist() == list(expected_codes)
    assert list(labels) == list(expected)


def test_intervals_parsed_once_per_label_read_the_same():
    from personatwin_sklearn._graph_features import _intervals

    for _ in range(2):  # the second read comes from the per-label memo
        lo, hi = _intervals(np.array(["40-44", "*", "7", "x", "40-44"], dtype=object))
        assert lo.tolist()[:3] == [40.0, -np.inf, 7.0] and hi.tolist()[:3] == [44.0, np.inf, 7.0]
        assert np.isnan(lo[3]) and (lo[4], hi[4]) == (40.0, 44.0)
