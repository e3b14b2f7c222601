"""Loaders and exporters: DataFrames, CSV/Parquet, networkx, SNAP edge lists, Pajek."""

from __future__ import annotations

import gzip
import io as _io
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.domains import Domain
from personatwin_sklearn.exceptions import SchemaError

__all__ = ["load_data", "read_table", "read_snap_edgelist", "read_pajek"]


#: Suffixes read as tab-separated text (Facebook100's ``.nodelist`` among them).
TAB_SUFFIXES = (".tsv", ".tab", ".nodelist", ".tsv.gz", ".tab.gz", ".nodelist.gz")


def read_table(source, *, what: str = "table", sep: str | None = None) -> pd.DataFrame:
    """Read a DataFrame from a DataFrame, or a CSV / TSV / Parquet / JSONL path.

    ``sep`` is the delimiter of a text file (default: tab for ``.tsv``, ``.tab`` and
    ``.nodelist``, otherwise comma).
    """
    if isinstance(source, pd.DataFrame):
        return source
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(
                f"The {what} file {str(path)!r} does not exist. Check the path (relative "
                f"paths are read from {os.getcwd()!r})."
            )
        suffixes = "".join(path.suffixes[-2:]).lower()
        try:
            if suffixes.endswith(".parquet") or suffixes.endswith(".pq"):
                return pd.read_parquet(path)
            if suffixes.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
                return pd.read_json(path, lines=True)
            if sep is None:
                sep = "\t" if suffixes.endswith(TAB_SUFFIXES) else ","
            return pd.read_csv(path, sep=sep)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise SchemaError(
                f"Could not read the {what} file {str(path)!r}: {exc}. Expected a CSV with a "
                "header row, a Parquet file, or JSON lines."
            ) from exc
    raise SchemaError(
        f"The {what} must be a pandas DataFrame or a path to a CSV/Parquet file, got "
        f"{type(source).__name__}."
    )


def load_data(
    people,
    connections=None,
    domain: str | Domain = "custom",
    *,
    id_col: str = "person_id",
    column_map: dict[str, str] | None = None,
    connection_column_map: dict[str, str] | None = None,
    required_columns: tuple[str, ...] = ("age", "gender"),
) -> SocialData:
    """Load people (and their connections) into a validated :class:`SocialData`.

    Parameters
    ----------
    people : DataFrame, str or path-like
        The people table or a CSV/Parquet/JSONL path.  A :class:`SocialData` is
        returned unchanged.
    connections : DataFrame, str, path-like or None, default=None
        The connections table or a path to it.
    domain : {"criminal_justice", "healthcare", "education", "custom"}, default="custom"
        Vocabulary of connection types and event flags.
    id_col : str, default="person_id"
        Name of the id column.
    column_map, connection_column_map : dict, default=None
        Renames applied to the people / connections columns before validation,
        e.g. ``{"sex": "gender"}``.
    required_columns : tuple of str, default=("age", "gender")
        People columns that must be present.

    Returns
    -------
    SocialData

    Raises
    ------
    SchemaError
        With a message naming the column/rows and the fix.
    FileNotFoundError
        When a path does not exist.
    """
    if isinstance(people, SocialData):
        return people
    for name, mapping in (
        ("column_map", column_map),
        ("connection_column_map", connection_column_map),
    ):
        if mapping is not None and not isinstance(mapping, Mapping):
            raise SchemaError(
                f"{name} must be a dict {{'your_column': 'expected_name'}}, got "
                f"{type(mapping).__name__} {mapping!r}."
            )
    people_df = read_table(people, what="people")
    if column_map:
        people_df = people_df.rename(columns=column_map)
    edges_df = None
    if connections is not None:
        edges_df = read_table(connections, what="connections")
        if connection_column_map:
            edges_df = edges_df.rename(columns=connection_column_map)
    return SocialData(
        people_df, edges_df, id_col=id_col, domain=domain, required_columns=required_columns
    )


def _open_text(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def read_snap_edgelist(
    path,
    *,
    connection_type: str = "CONNECTED",
    id_col: str = "person_id",
    comments: str = "#",
) -> SocialData:
    """Read a SNAP edge list (``u v`` per line, ``#`` comments; plain or ``.gz``).

    Duplicate edges (``u v`` and ``v u``) are kept once; self-loops are dropped
    (SNAP files sometimes contain them).  People get only the id column.

    Returns
    -------
    SocialData
        With ``required_columns=()``.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"SNAP edge list {str(path)!r} does not exist.")
    with _open_text(path) as handle:
        text = handle.read()
    try:
        frame = pd.read_csv(
            _io.StringIO(text),
            sep=r"\s+",
            comment=comments,
            header=None,
            usecols=[0, 1],
            names=["person1_id", "person2_id"],
            dtype=str,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError, pd.errors.EmptyDataError) as exc:
        raise SchemaError(
            f"{str(path)!r} is not a SNAP edge list (two whitespace-separated node ids per "
            f"line, '#' comments): {exc}"
        ) from exc
    if frame["person2_id"].isna().any():
        row = int(np.flatnonzero(frame["person2_id"].isna().to_numpy())[0])
        raise SchemaError(
            f"{str(path)!r}: data line {row + 1} has only one node id; each line needs two (u v)."
        )
    frame = _as_int_ids(frame)
    frame = _canonical_undirected(frame)
    nodes = pd.unique(np.concatenate([frame["person1_id"], frame["person2_id"]]))
    people = pd.DataFrame({id_col: np.sort(nodes)})
    frame["connection_type"] = connection_type
    return SocialData(people, frame, id_col=id_col, required_columns=())


def _as_int_ids(frame: pd.DataFrame) -> pd.DataFrame:
    converted = {}
    for column in ("person1_id", "person2_id"):
        values = pd.to_numeric(frame[column], errors="coerce")
        if values.isna().any():
            return frame.astype({"person1_id": str, "person2_id": str})
        converted[column] = values.astype(np.int64)
    return pd.DataFrame(converted)


def _canonical_undirected(frame: pd.DataFrame) -> pd.DataFrame:
    a, b = frame["person1_id"].to_numpy(), frame["person2_id"].to_numpy()
    keep = a != b
    lo, hi = np.where(a <= b, a, b)[keep], np.where(a <= b, b, a)[keep]
    out = pd.DataFrame({"person1_id": lo, "person2_id": hi}).drop_duplicates(ignore_index=True)
    return out


def read_pajek(
    path,
    nodelist=None,
    *,
    id_col: str = "person_id",
    connection_type: str = "CONNECTED",
    missing_value=0,
) -> SocialData:
    """Read an undirected Pajek ``.net`` file, with an optional node-attribute table.

    Parameters
    ----------
    path : str or path-like
        Pajek file (``*vertices N`` then ``*edges`` or ``*arcs``).  Vertex labels
        become person ids (integers where all labels are integers).
    nodelist : str, path-like or DataFrame, default=None
        Tab-separated attribute table whose first column is the vertex label (e.g.
        Facebook100's ``.nodelist``: ``node_id, student_fac, gender, ...``).
    missing_value : scalar, default=0
        Code meaning "missing" in the nodelist (Facebook100 uses 0); it becomes
        ``<NA>``.

    Returns
    -------
    SocialData
        With ``required_columns=()``.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Pajek file {str(path)!r} does not exist.")
    with _open_text(path) as handle:
        lines = handle.read().splitlines()
    starts = {line.split()[0].lower(): i for i, line in enumerate(lines) if line.startswith("*")}
    if "*vertices" not in starts or not ({"*edges", "*arcs", "*edgeslist"} & set(starts)):
        raise SchemaError(
            f"{str(path)!r} is not a Pajek file: expected a '*vertices N' line followed by "
            "'*edges' or '*arcs'."
        )
    v0 = starts["*vertices"]
    e0 = starts.get("*edges", starts.get("*arcs"))
    vertex_lines = [ln for ln in lines[v0 + 1 : e0] if ln.strip()]
    numbers, labels = [], []
    for line in vertex_lines:
        parts = line.split()
        numbers.append(int(parts[0]))
        labels.append(parts[1].strip('"') if len(parts) > 1 else parts[0])
    label_series = pd.Series(labels)
    as_int = pd.to_numeric(label_series, errors="coerce")
    ids = as_int.astype(np.int64) if not as_int.isna().any() else label_series
    lookup = pd.Series(ids.to_numpy(), index=numbers)
    edge_text = "\n".join(ln for ln in lines[e0 + 1 :] if ln.strip() and not ln.startswith("*"))
    edges = pd.read_csv(
        _io.StringIO(edge_text), sep=r"\s+", header=None, usecols=[0, 1], names=["a", "b"]
    )
    unknown = ~edges["a"].isin(lookup.index) | ~edges["b"].isin(lookup.index)
    if unknown.any():
        raise SchemaError(
            f"{str(path)!r}: {int(unknown.sum())} edge(s) use vertex numbers not declared "
            f"under *vertices, e.g. {edges.loc[unknown].iloc[0].tolist()}."
        )
    frame = pd.DataFrame(
        {
            "person1_id": lookup.loc[edges["a"]].to_numpy(),
            "person2_id": lookup.loc[edges["b"]].to_numpy(),
        }
    )
    frame = _canonical_undirected(frame)
    frame["connection_type"] = connection_type
    people = pd.DataFrame({id_col: ids.to_numpy()})
    if nodelist is not None:
        attrs = (
            nodelist.copy()
            if isinstance(nodelist, pd.DataFrame)
            else pd.read_csv(nodelist, sep="\t")
        )
        key = attrs.columns[0]
        attrs = attrs.rename(columns={key: id_col})
        attrs[id_col] = attrs[id_col].astype(people[id_col].dtype)
        for column in attrs.columns[1:]:
            col = attrs[column]
            if missing_value is not None:
                col = col.mask(col == missing_value)
            if pd.api.types.is_float_dtype(col) and (col.dropna() % 1 == 0).all():
                col = col.astype("Int64")
            attrs[column] = col
        people = people.merge(attrs, on=id_col, how="left", validate="one_to_one")
    return SocialData(people, frame, id_col=id_col, required_columns=())
