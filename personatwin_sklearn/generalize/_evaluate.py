"""How a classifier fares on k-anonymised features: the anonymiser, evaluated.

It lives next to :class:`KAnonymizer` rather than in ``metrics``: ``metrics`` is the
bottom of the measuring stack and imports no estimator package.
"""

from __future__ import annotations

import pandas as pd

from personatwin_sklearn.exceptions import InvalidValueError
from personatwin_sklearn.generalize._kanonymizer import KAnonymizer

__all__ = ["accuracy_under_anonymization"]


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
    >>> from personatwin_sklearn.generalize import accuracy_under_anonymization
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
