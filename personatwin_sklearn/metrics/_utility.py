"""Utility metrics of a generalised release: how much information k-anonymity cost."""

from __future__ import annotations

import numpy as np
import pandas as pd

from personatwin_sklearn.exceptions import InvalidValueError
from personatwin_sklearn.metrics._risk import (
    _people_of,
    equivalence_class_sizes,
    resolve_quasi_identifiers,
)

__all__ = [
    "average_equivalence_class_size",
    "discernibility",
    "information_loss",
]


def _suppressed_rows(people: pd.DataFrame, qis: list) -> np.ndarray:
    return np.logical_and.reduce([people[c].astype(str).eq("*").to_numpy() for c in qis])


def discernibility(data, quasi_identifiers=None, *, normalize: bool = False) -> float:
    """Discernibility metric (Bayardo & Agrawal, ICDE 2005): sum of squared class sizes.

    Every row is charged the size of its equivalence class; a suppressed row (every
    quasi-identifier ``"*"``) is charged the number of rows.  Lower is better; the
    minimum for a k-anonymous table is about ``n * k``.

    Parameters
    ----------
    data : SocialData or DataFrame
        The released (generalised) table.
    quasi_identifiers : list of str, default=None
        Default: those of ``age, gender, ethnicity, zipcode`` present.
    normalize : bool, default=False
        Divide by ``n ** 2`` (1 = a single class).

    Returns
    -------
    discernibility : float
        The sum (or its share of ``n ** 2``).

    See Also
    --------
    average_equivalence_class_size : Another utility measure of the same classes.

    Examples
    --------
    >>> import pandas as pd
    >>> discernibility(pd.DataFrame({"age": ["30-39"] * 3 + ["40-49"] * 2}))
    13.0
    """
    people, _ = _people_of(data)
    qis = resolve_quasi_identifiers(people, quasi_identifiers)
    n = len(people)
    if n == 0:
        return 0.0
    sizes = equivalence_class_sizes(people, qis).astype(float)
    suppressed = _suppressed_rows(people, qis)
    value = float(np.where(suppressed, n, sizes).sum())
    return value / n**2 if normalize else value


def average_equivalence_class_size(data, quasi_identifiers=None, *, k=None) -> float:
    """Average equivalence class size ``n / n_classes`` (LeFevre et al., C_AVG when ``k``).

    The smaller, the finer the released classes; a k-anonymous release has at
    least ``k``.

    Parameters
    ----------
    data : SocialData or DataFrame
        The released (generalised) table.
    quasi_identifiers : list of str, default=None
        Default: those of ``age, gender, ethnicity, zipcode`` present.
    k : int, default=None
        When given, the result is divided by ``k``: 1.0 is the ideal for a k-anonymous
        release, larger values mean classes bigger than needed.

    Returns
    -------
    size : float
        The average (divided by ``k`` when given).

    See Also
    --------
    discernibility : Charges each row its class size.

    Examples
    --------
    >>> import pandas as pd
    >>> average_equivalence_class_size(pd.DataFrame({"age": ["30-39"] * 3 + ["40-49"] * 3}), k=2)
    1.5
    """
    people, _ = _people_of(data)
    qis = resolve_quasi_identifiers(people, quasi_identifiers)
    if len(people) == 0:
        return 0.0
    n_classes = people.groupby(qis, sort=False, dropna=False, observed=True).ngroups
    value = len(people) / n_classes
    return value / k if k else value


def information_loss(original, generalized, quasi_identifiers=None, *, per_column=False):
    """Normalised certainty penalty (NCP, Xu et al. 2006), a.k.a. generalisation intensity.

    For each quasi-identifier cell, the share of the column's domain that its released
    value covers, measured on the data: for a numeric column the range of the original
    values of all rows released with the same value, divided by the column's range; for
    any other column the number of distinct original values released under the same value
    minus one, divided by the domain size minus one.  0 means unchanged, 1 means ``"*"``.
    The definition needs no parsing of labels, so it applies to ranges, zip prefixes,
    hierarchy levels and groupings alike.

    Parameters
    ----------
    original : SocialData or DataFrame
        The table before generalisation.
    generalized : SocialData or DataFrame
        The same rows, in the same order, after generalisation.
    quasi_identifiers : list of str, default=None
        Default: those of ``age, gender, ethnicity, zipcode`` present.
    per_column : bool, default=False
        Return ``{column: loss}`` instead of the mean over columns.

    Returns
    -------
    loss : float or dict
        0 = nothing generalised, 1 = everything ``"*"``.

    See Also
    --------
    personatwin_sklearn.KAnonymizer : Reports it as ``information_loss_``.

    Examples
    --------
    >>> import pandas as pd
    >>> before = pd.DataFrame({"age": [30, 35, 40, 50]})
    >>> after = pd.DataFrame({"age": ["30-35", "30-35", "40-50", "40-50"]})
    >>> information_loss(before, after)  # (2 * 5/20 + 2 * 10/20) / 4
    0.375
    """
    a, _ = _people_of(original)
    b, _ = _people_of(generalized)
    if len(a) != len(b):
        raise InvalidValueError(
            f"original has {len(a)} rows and generalized {len(b)}: information_loss compares "
            "the same rows in the same order."
        )
    qis = resolve_quasi_identifiers(a, quasi_identifiers)
    losses = {}
    for column in qis:
        if column not in b.columns:
            raise InvalidValueError(f"Column {column!r} is missing from the generalized table.")
        if len(a) == 0:
            losses[column] = 0.0
            continue
        before = a[column].reset_index(drop=True)
        label = b[column].astype(str).reset_index(drop=True)
        numeric = pd.api.types.is_numeric_dtype(before) and not pd.api.types.is_bool_dtype(before)
        if numeric:
            x = before.astype(float)
            span = x.max() - x.min()
            group = x.groupby(label, sort=False)
            width = group.transform("max") - group.transform("min")
            cell = width / span if span > 0 else width * 0.0
        else:
            text = before.astype(str)
            u = text.nunique()
            distinct = text.groupby(label, sort=False).transform("nunique")
            cell = (distinct - 1) / (u - 1) if u > 1 else distinct * 0.0
        cell = cell.where(label != "*", 1.0)
        losses[column] = float(cell.mean())
    if per_column:
        return losses
    return float(np.mean(list(losses.values())))
