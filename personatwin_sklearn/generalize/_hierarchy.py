"""Generalisation hierarchies for categorical quasi-identifiers (ARX format)."""

from __future__ import annotations

import os
from collections.abc import Mapping

import pandas as pd

from personatwin_sklearn.exceptions import InvalidValueError

__all__ = ["read_hierarchy", "as_hierarchy"]


def read_hierarchy(path, *, sep: str = ";") -> pd.DataFrame:
    """Read an ARX-style hierarchy file: one line per value, ``value;level1;level2;*``.

    Such a file tells :class:`KAnonymizer` how a categorical quasi-identifier may be
    generalised: a class of values is released as the lowest level they share.
    Every line must have the same number of levels.

    Parameters
    ----------
    path : str or path-like
        A text file without header.  Every line starts with a value found in the data,
        followed by its ever coarser generalisations; the last level is usually ``*``.
    sep : str, default=";"
        Field separator (ARX writes ``;``).

    Returns
    -------
    hierarchy : DataFrame
        Indexed by the value (as text), one column per level ``level1 .. levelH``.

    See Also
    --------
    KAnonymizer : Uses hierarchies through its ``hierarchies`` parameter.

    Examples
    --------
    >>> import io
    >>> text = io.StringIO("teacher;education;*\\nprofessor;education;*\\nnurse;health;*\\n")
    >>> read_hierarchy(text).loc["nurse"].tolist()
    ['health', '*']
    """
    try:
        rows = pd.read_csv(path, sep=sep, header=None, dtype=str, keep_default_na=False)
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            f"Hierarchy file {os.fspath(path)!r} does not exist. Pass a path to an ARX-style "
            "CSV (value;level1;...;*) or a dict {value: [level1, ...]}."
        ) from exc
    except pd.errors.ParserError as exc:
        raise InvalidValueError(
            f"Hierarchy file {path!r} is not in the ARX format value;level1;...;* "
            f"(every line the same number of fields): {exc}"
        ) from exc
    return _finish(rows, source=repr(path))


def _finish(rows: pd.DataFrame, *, source: str) -> pd.DataFrame:
    if rows.shape[1] < 2:
        raise InvalidValueError(
            f"Hierarchy {source} needs at least two fields per value (value;level1), got "
            f"{rows.shape[1]}. Example line: 'teacher;education;*'."
        )
    rows = rows.astype(str)
    values = rows.iloc[:, 0]
    dup = values.duplicated(keep=False)
    if dup.any():
        raise InvalidValueError(
            f"Hierarchy {source} lists values more than once: "
            f"{sorted(values[dup].unique().tolist())[:5]}. Each value needs exactly one line."
        )
    levels = rows.iloc[:, 1:].copy()
    levels.columns = [f"level{i + 1}" for i in range(levels.shape[1])]
    levels.index = pd.Index(values.to_numpy(), name="value")
    if not (levels.iloc[:, -1] == "*").all():
        levels[f"level{levels.shape[1] + 1}"] = "*"
    return levels


def as_hierarchy(spec, column: str) -> pd.DataFrame:
    """Normalise a hierarchy (path, DataFrame or dict) to the frame of :func:`read_hierarchy`."""
    if isinstance(spec, (str, os.PathLike)):
        return read_hierarchy(spec)
    if isinstance(spec, pd.DataFrame):
        return _finish(spec.reset_index(drop=True), source=f"for column {column!r}")
    if isinstance(spec, Mapping):
        rows = []
        for value, levels in spec.items():
            if isinstance(levels, str):
                levels = [levels]
            rows.append([str(value), *[str(level) for level in levels]])
        widths = {len(r) for r in rows}
        if len(widths) > 1:
            raise InvalidValueError(
                f"Hierarchy for column {column!r}: every value needs the same number of "
                f"levels, got {sorted(w - 1 for w in widths)}."
            )
        if not rows:
            raise InvalidValueError(f"Hierarchy for column {column!r} is empty.")
        return _finish(pd.DataFrame(rows), source=f"for column {column!r}")
    raise InvalidValueError(
        f"hierarchies[{column!r}] must be a path to an ARX CSV, a DataFrame or a dict "
        f"{{value: [level1, ...]}}, got {type(spec).__name__}."
    )
