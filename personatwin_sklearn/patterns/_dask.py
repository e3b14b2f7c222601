"""Out-of-core connection-pattern counts on Dask DataFrames (optional extra ``dask``).

The people and connections tables stay partitioned (on disk or spread over workers):
the connections are turned into directed rows (one per connection end), joined with the
partner's signature attributes, and counted with two Dask group-bys.  Only the per-pattern
table -- one row per distinct pattern, usually a few thousand -- is brought into memory.

Dask is imported lazily: importing :mod:`personatwin_sklearn` never needs it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from personatwin_sklearn._social_data import event_columns
from personatwin_sklearn.domains import get_domain
from personatwin_sklearn.exceptions import (
    DanglingEdgeError,
    DuplicateIdError,
    MissingColumnError,
    PersonaTwinError,
)
from personatwin_sklearn.patterns._core import _DEFAULT_SIGNATURE, age_bucket_labels

__all__ = ["pattern_counts_dask", "is_dask_frame", "require_dask"]

_INSTALL_HINT = 'python -m pip install "dask[dataframe]>=2024.1" (the "dask" extra)'
_EDGE_COLUMNS = ("person1_id", "person2_id", "connection_type")


def require_dask():
    """Import and return :mod:`dask.dataframe`, or explain how to install it."""
    try:
        import dask.dataframe as dd
    except ImportError as exc:
        raise ImportError(
            f"The out-of-core (Dask) path needs dask[dataframe], which is not installed: "
            f"{_INSTALL_HINT}"
        ) from exc
    return dd


def is_dask_frame(obj) -> bool:
    """Whether ``obj`` is a Dask DataFrame (checked without importing dask)."""
    module = type(obj).__module__ or ""
    return module.split(".")[0] == "dask" and hasattr(obj, "npartitions")


def _as_dask(frame, name: str, dd):
    if is_dask_frame(frame):
        return frame
    if isinstance(frame, pd.DataFrame):
        return dd.from_pandas(frame, npartitions=1)
    raise TypeError(
        f"{name} must be a Dask or pandas DataFrame, got {type(frame).__name__}. "
        f"Read large files with dask.dataframe.read_parquet(...) / read_csv(...)."
    )


def _resolve_signature(columns, signature) -> tuple[str, ...]:
    if signature is None:
        cols = [c for c in _DEFAULT_SIGNATURE if c in columns]
        return tuple(cols + event_columns(pd.DataFrame(columns=columns)))
    cols = (signature,) if isinstance(signature, str) else tuple(signature)
    missing = [c for c in cols if c not in columns]
    if missing:
        raise MissingColumnError(
            f"signature names column(s) {missing} that the people table does not have; it "
            f"has {list(columns)}. Pass signature=None for the default or existing columns."
        )
    return cols


def _checked_tables(people, connections, age_bin, id_col, dd) -> tuple:
    """Both tables as Dask DataFrames, with the columns :func:`pattern_counts_dask` reads
    and a valid ``age_bin``; errors name the fix."""
    if age_bin is not None and (
        isinstance(age_bin, bool) or not isinstance(age_bin, (int, np.integer)) or age_bin < 1
    ):
        raise PersonaTwinError(
            f"age_bin must be an integer >= 1 (years per age bucket) or None, got {age_bin!r}."
        )
    people = _as_dask(people, "people", dd)
    connections = _as_dask(connections, "connections", dd)
    if id_col not in people.columns:
        raise MissingColumnError(
            f"The people table has no id column {id_col!r} (columns: {list(people.columns)}); "
            "pass id_col=..."
        )
    missing = [c for c in _EDGE_COLUMNS if c not in connections.columns]
    if missing:
        raise MissingColumnError(
            f"The connections table lacks column(s) {missing} (it has "
            f"{list(connections.columns)}); rename them to person1_id, person2_id, "
            "connection_type."
        )
    return people, connections


def pattern_counts_dask(
    people,
    connections,
    *,
    signature=None,
    age_bin: int | None = 5,
    id_col: str = "person_id",
    domain="custom",
) -> pd.DataFrame:
    """Count edge-scope connection patterns of a population held in Dask DataFrames.

    The out-of-core counterpart of ``ConnectionPatternAnalyzer(scope="edge").fit(data)
    .patterns_``: same patterns, same ``k`` (number of distinct people having the
    pattern) and ``n_connections``, computed with Dask group-bys so that neither table
    has to fit in memory.  Only the per-pattern table is computed into pandas.

    Parameters
    ----------
    people : dask.dataframe.DataFrame or pandas.DataFrame
        One row per person: ``id_col`` and the signature columns.
    connections : dask.dataframe.DataFrame or pandas.DataFrame
        ``person1_id``, ``person2_id``, ``connection_type`` (read "person2 is
        person1's <type>").
    signature : sequence of str, default=None
        Partner attributes in a pattern; ``None``: ``gender``, ``age`` (bucketed) and
        ``occupation`` where present, and every ``has_*`` flag (as in
        :func:`~personatwin_sklearn.patterns.resolve_signature`).
    age_bin : int or None, default=5
        Width of the partner age buckets in years (``None``: exact ages).
    id_col : str, default="person_id"
        People identifier column.
    domain : str or Domain, default="custom"
        Gives the inverse of directed connection types (``PARENT`` seen from the
        other end is ``CHILD``), as in :class:`~personatwin_sklearn.SocialData`.

    Returns
    -------
    DataFrame
        One row per pattern: ``pattern`` (readable), ``connection_type``,
        ``partner_<col>`` for each signature column, ``k`` and ``n_connections``;
        sorted by ``k`` then ``pattern``.

    Raises
    ------
    ImportError
        If dask is not installed (``python -m pip install "dask[dataframe]>=2024.1"``).
    DanglingEdgeError, DuplicateIdError
        If connection ends are missing from ``people`` or person ids repeat.

    See Also
    --------
    personatwin_sklearn.ConnectionPatternAnalyzer : The same counts in memory.

    Examples
    --------
    >>> import dask.dataframe as dd  # doctest: +SKIP
    >>> people = dd.read_parquet("people/")  # doctest: +SKIP
    >>> edges = dd.read_parquet("connections/")  # doctest: +SKIP
    >>> counts = pattern_counts_dask(people, edges, domain="criminal_justice")  # doctest: +SKIP
    >>> counts.loc[counts["k"] < 5]  # the rare patterns  # doctest: +SKIP
    """
    dd = require_dask()
    import dask

    people, connections = _checked_tables(people, connections, age_bin, id_col, dd)
    sig = _resolve_signature(list(people.columns), signature)
    dom = get_domain(domain)
    attr = [f"_a{j}" for j in range(len(sig))]
    width = age_bin if age_bin and age_bin > 1 else 1

    # per person: the signature attributes as they enter a pattern
    person = people[[id_col, *sig]].rename(columns={id_col: "_partner"})
    age_cols = set()
    for column, name in zip(sig, attr, strict=True):
        dtype = people[column].dtype
        values = person[column]
        if column == "age" and pd.api.types.is_numeric_dtype(dtype):
            values = np.floor(values.astype("float64") / width).astype("int64")
            age_cols.add(name)
        elif pd.api.types.is_bool_dtype(dtype) or column.startswith("has_"):
            values = values.astype("boolean")
        person = person.assign(**{name: values})
    person = person[["_partner", *attr]]

    # directed rows: each connection once from each end (type inverted from person2's end)
    types = connections["connection_type"].astype(str)
    inverse = dict(dom.inverse)  # types without an inverse read the same from both ends
    fwd = dd.concat(
        [
            connections[["person1_id", "person2_id"]]
            .rename(columns={"person1_id": "_owner", "person2_id": "_partner"})
            .assign(_type=types),
            connections[["person2_id", "person1_id"]]
            .rename(columns={"person2_id": "_owner", "person1_id": "_partner"})
            .assign(_type=types.replace(inverse) if inverse else types),
        ]
    )
    directed = fwd.merge(person, on="_partner", how="inner")
    keys = ["_type", *attr]
    per_owner = (
        directed.groupby(["_owner", *keys], dropna=False, observed=True)
        .size(split_out=True)
        .rename("_m")
        .reset_index()
    )
    counts = per_owner.groupby(keys, dropna=False, observed=True)["_m"].agg(["count", "sum"])
    table, n_edges = dask.compute(counts, connections.shape[0])
    table = table.reset_index()

    n_ends = int(table["sum"].sum())
    if n_ends < 2 * n_edges:
        raise DanglingEdgeError(
            f"{2 * n_edges - n_ends} of {2 * n_edges} connection ends (person1_id/person2_id) "
            f"name a person that is not in the people table's {id_col!r} column; drop those "
            "connections or add the people."
        )
    if n_ends > 2 * n_edges:
        raise DuplicateIdError(
            f"The people table's {id_col!r} column repeats ids that connections refer to "
            "(a connection end matched more than one person); make the ids unique."
        )

    out = pd.DataFrame({"connection_type": table["_type"].to_numpy(dtype=object)})
    text = pd.Series(out["connection_type"], dtype=str)
    for j, (column, name) in enumerate(zip(sig, attr, strict=True)):
        values = table[name]
        if name in age_cols:
            values = age_bucket_labels(values.to_numpy(dtype=float) * width, age_bin)
        values = np.asarray(values, dtype=object)
        out[f"partner_{column}"] = values
        part = pd.Series(values, dtype=object).astype(str).fillna("<NA>")
        text = text + (": " if j == 0 else ", ") + column + "=" + part.to_numpy()
    out.insert(0, "pattern", text.to_numpy(dtype=object))
    out["k"] = table["count"].to_numpy(dtype=np.int64)
    out["n_connections"] = table["sum"].to_numpy(dtype=np.int64)
    return out.sort_values(["k", "pattern"], kind="stable").reset_index(drop=True)
