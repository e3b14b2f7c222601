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
    "accuracy_under_anonymization",
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


def _text_columns(frame: pd.DataFrame) -> list:
    return [
        c
        for c in frame.columns
        if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])
    ]


def _numeric_columns(frame: pd.DataFrame) -> list:
    return [c for c in frame.columns if c not in _text_columns(frame)]


def accuracy_under_anonymization(
    X,
    y,
    ks=(2, 5, 10, 50),
    *,
    quasi_identifiers=None,
    estimator=None,
    cv=5,
    scoring="accuracy",
    random_state=0,
    progress=False,
    **anonymizer_params,
) -> pd.DataFrame:
    """Cross-validated score of a classifier on the raw table and after k-anonymisation.

    For each k, the pipeline ``KAnonymizer(k) -> one-hot (text) / scaling (numbers) ->
    estimator`` is cross-validated; the anonymiser is fitted on each training fold only.

    Parameters
    ----------
    X : DataFrame
        Features, including the quasi-identifiers.
    y : array-like
        Target.
    ks : iterable of int, default=(2, 5, 10, 50)
        The k values to compare.
    quasi_identifiers : list of str, default=None
        Passed to :class:`~personatwin_sklearn.KAnonymizer`.
    estimator : classifier, default=None
        ``LogisticRegression(max_iter=1000)`` when None.
    cv : int or CV splitter, default=5
        Stratified and shuffled with ``random_state`` when an int.
    scoring : str, default="accuracy"
        Any scikit-learn scorer name.
    random_state : int, default=0
        Seed of the fold shuffle.
    progress : bool, default=False
        Show a progress bar (tqdm, on stderr) over the settings: each one is a whole
        cross-validation (about 20 s on UCI Adult).
    **anonymizer_params
        Further :class:`~personatwin_sklearn.KAnonymizer` parameters.

    Returns
    -------
    DataFrame
        One row per setting (``k`` is 0 for the raw table): ``k``, ``score``,
        ``score_std``, ``information_loss`` (of the whole table at that k),
        ``n_classes``.

    See Also
    --------
    personatwin_sklearn.KAnonymizer : The anonymiser compared.

    Examples
    --------
    >>> from personatwin_sklearn.datasets import make_social_population
    >>> from personatwin_sklearn.metrics import accuracy_under_anonymization
    >>> people = make_social_population(200, random_state=0).people
    >>> X, y = people[["age", "gender"]], people["has_criminal_record"]
    >>> table = accuracy_under_anonymization(X, y, ks=(5,), quasi_identifiers=["age", "gender"],
    ...                                      cv=2)
    >>> table["k"].tolist()
    [0, 5]
    """
    from sklearn.base import clone
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from personatwin_sklearn.generalize import KAnonymizer

    if not isinstance(X, pd.DataFrame):
        raise InvalidValueError("accuracy_under_anonymization needs X as a DataFrame.")
    estimator = LogisticRegression(max_iter=1000) if estimator is None else estimator
    if isinstance(cv, int):
        cv = StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    encode = ColumnTransformer(
        [
            ("text", OneHotEncoder(handle_unknown="ignore"), _text_columns),
            ("numbers", StandardScaler(), _numeric_columns),
        ]
    )
    from tqdm.auto import tqdm

    rows = []
    settings = [0, *ks]
    for k in tqdm(settings, desc="k (0 = raw)", disable=not progress, leave=False):
        steps = [("encode", clone(encode)), ("model", clone(estimator))]
        loss = 0.0
        if quasi_identifiers is not None:
            n_classes = X.groupby(list(quasi_identifiers), dropna=False, observed=True).ngroups
        else:
            n_classes = len(X.drop_duplicates())
        if k:
            anonymizer = KAnonymizer(k, quasi_identifiers=quasi_identifiers, **anonymizer_params)
            steps.insert(0, ("anonymize", anonymizer))
            fitted = clone(anonymizer).fit(X)
            loss, n_classes = fitted.information_loss_, fitted.n_classes_
        scores = cross_val_score(Pipeline(steps), X, y, cv=cv, scoring=scoring)
        rows.append(
            {
                "k": k,
                "score": float(scores.mean()),
                "score_std": float(scores.std()),
                "information_loss": float(loss),
                "n_classes": int(n_classes),
            }
        )
    return pd.DataFrame(rows)
