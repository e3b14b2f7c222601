"""Loaders and exporters: DataFrames, CSV/Parquet, networkx, SNAP edge lists, Pajek."""

from __future__ import annotations

import gzip
import os
import stat
import warnings
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from personatwin_sklearn._roles import (
    DEFAULT_AGE_RANGE,
    check_age_range,
    check_flat,
    check_unique_columns,
)
from personatwin_sklearn._social_data import SocialData, domain_checks
from personatwin_sklearn.domains import Domain
from personatwin_sklearn.exceptions import DataQualityWarning, InvalidValueError, SchemaError

__all__ = ["load_data", "normalise_zipcodes", "read_table", "read_snap_edgelist", "read_pajek"]


#: Suffixes read as tab-separated text (Facebook100's ``.nodelist`` among them).
TAB_SUFFIXES = (".tsv", ".tab", ".nodelist", ".tsv.gz", ".tab.gz", ".nodelist.gz")


_READ_ERRORS = (
    pd.errors.ParserError,
    pd.errors.EmptyDataError,
    UnicodeDecodeError,
    EOFError,
    zlib.error,
    gzip.BadGzipFile,
)
#: People columns always read as text (leading zeros survive), besides the id columns.
TEXT_COLUMNS = ("zipcode",)
_LEADING_ZERO = r"^\s*[+-]?0\d"


def _check_path(source, what) -> Path:
    """The path of an input file, or a one-line error: missing, a folder, a symlink that
    leads nowhere (or loops), or not a regular file (a FIFO would block the read)."""
    path = Path(source)
    try:
        info = path.stat()
    except OSError as exc:
        if os.path.lexists(path):
            raise SchemaError(
                f"The {what} file {str(path)!r} is a symbolic link that leads nowhere "
                f"({exc.strerror or exc}: a loop or a missing target). Give the path of "
                "the file itself."
            ) from None
        raise FileNotFoundError(
            f"The {what} file {str(path)!r} does not exist. Check the path (relative "
            f"paths are read from {os.getcwd()!r})."
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise SchemaError(f"The {what} path {str(path)!r} is a folder; give a file.")
    if not stat.S_ISREG(info.st_mode):
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else "not a regular file"
        raise SchemaError(
            f"The {what} path {str(path)!r} is {kind}; reading it could block or never "
            "end. Save the data to a regular file and give its path."
        )
    return path


#: Usual names of the connection columns in other tools, for the rename hint.
_EDGE_ALIASES = {
    "person1_id": ("source", "src", "from", "u", "node1", "id1", "person1", "ego", "start"),
    "person2_id": ("target", "dst", "to", "v", "node2", "id2", "person2", "alter", "end"),
    "connection_type": ("type", "relation", "relationship", "kind", "label", "edge_type"),
}


def check_connection_columns(edges: pd.DataFrame, source=None) -> None:
    """Refuse a connections table without ``person1_id, person2_id, connection_type``,
    saying which of its columns look like them and how to rename them."""
    from personatwin_sklearn.exceptions import MissingColumnError

    missing = [c for c in _EDGE_ALIASES if c not in edges.columns]
    if not missing:
        return
    lower = {str(c).strip().lower(): str(c) for c in edges.columns}
    guess = {}
    for column in missing:
        found = next((lower[a] for a in _EDGE_ALIASES[column] if a in lower), None)
        if found is not None and found not in guess:
            guess[found] = column
    where = f" {str(source)!r}" if source is not None else ""
    have = list(map(str, edges.columns[:10])) + (["..."] if len(edges.columns) > 10 else [])
    if guess:
        pairs = " ".join(f"{a}={b}" for a, b in guess.items())
        fix = f"rename yours: --rename {pairs} (API: connection_column_map={guess!r})"
    else:
        fix = (
            "rename the matching columns of yours: --rename YOURS=person1_id ... "
            "(API: connection_column_map={'yours': 'person1_id', ...})"
        )
    raise MissingColumnError(
        f"The connections file{where} has columns {have} but needs person1_id, person2_id "
        f"and connection_type (missing: {missing}); {fix}."
    )


def _csv_header(path: Path, sep: str = ",") -> list[str]:
    """The raw header row (pandas would rename a repeated ``age`` to ``age.1``)."""
    header = pd.read_csv(path, header=None, nrows=1, dtype=str, encoding="utf-8-sig", sep=sep)
    return [str(v) for v in header.iloc[0].tolist()] if len(header) else []


def _infer_types(frame: pd.DataFrame, text_columns=()) -> pd.DataFrame:
    """Columns read as text become numbers or booleans only when that loses nothing.

    ``"0042"`` stays text (a leading zero would be lost), ``"42"`` becomes 42,
    ``"True"``/``"false"`` become booleans; ``text_columns`` stay text.
    """
    out = {}
    for column in frame.columns:
        values = frame[column]
        if column in text_columns or not (
            values.dtype == object or pd.api.types.is_string_dtype(values)
        ):
            out[column] = values
            continue
        present = values.dropna()
        if not len(present):
            out[column] = values
            continue
        lowered = present.str.strip().str.lower()
        if lowered.isin(["true", "false"]).all():
            flags = values.str.strip().str.lower().map({"true": True, "false": False})
            out[column] = flags.astype(bool) if not values.isna().any() else flags.astype(object)
            continue
        numbers = pd.to_numeric(present, errors="coerce")
        if numbers.notna().all() and not present.str.contains(_LEADING_ZERO, regex=True).any():
            out[column] = pd.to_numeric(values, errors="coerce")
        else:
            out[column] = values
    return pd.DataFrame(out, index=frame.index)


def _flatten_nested(frame: pd.DataFrame) -> pd.DataFrame:
    """JSON objects in cells (``address: {street, zip}``) become ``address.street``,
    ``address.zip`` columns, so each part gets a role of its own."""
    nested = [
        c
        for c in frame.columns
        if frame[c].dtype == object and frame[c].map(lambda v: isinstance(v, dict)).any()
    ]
    if not nested:
        return frame
    parts = [frame.drop(columns=nested)]
    for column in nested:
        values = frame[column].map(lambda v: v if isinstance(v, dict) else {})
        flat = pd.json_normalize(values.tolist(), sep=".")
        flat.index = frame.index
        parts.append(flat.add_prefix(f"{column}."))
    return _flatten_nested(pd.concat(parts, axis=1))


def read_table(
    source, *, what: str = "table", text_columns=(), sep: str | None = None
) -> pd.DataFrame:
    """Read a DataFrame from a DataFrame, or a CSV / TSV / Parquet / JSONL path.

    Text files may be plain or ``.gz``.

    ``sep`` is the delimiter of a text file (default: tab for ``.tsv``, ``.tab`` and
    ``.nodelist``, otherwise comma).
    CSV cells are read as text and turned into numbers or booleans only when nothing is
    lost (``"02124"`` stays ``"02124"``); ``text_columns`` always stay text.  JSON
    objects in JSONL cells become ``outer.inner`` columns.  Duplicate column names are
    refused (:class:`~personatwin_sklearn.exceptions.DuplicateColumnError`); unreadable
    files (truncated gzip, bad quoting, not UTF-8) give a one-line
    :class:`~personatwin_sklearn.exceptions.SchemaError` naming the file.

    Parameters
    ----------
    source : DataFrame, str or path-like
        The table or its path (a DataFrame is returned as it is).
    what : str, default="table"
        What the table is, for error messages (e.g. ``"people"``).
    text_columns : sequence of str, default=()
        Columns that always stay text.
    sep : str, default=None
        Delimiter of a text file.

    Returns
    -------
    table : DataFrame
        The table read.

    See Also
    --------
    load_data : Read people and connections into a SocialData.

    Examples
    --------
    >>> import pandas as pd
    >>> from personatwin_sklearn.io import read_table
    >>> read_table(pd.DataFrame({"a": [1]})).shape
    (1, 1)
    """
    if isinstance(source, pd.DataFrame):
        check_unique_columns(source, what)
        check_flat(source, what)
        return source
    if isinstance(source, (str, os.PathLike)):
        path = _check_path(source, what)
        suffixes = "".join(path.suffixes[-2:]).lower()
        try:
            if suffixes.endswith((".parquet", ".pq")):
                frame = pd.read_parquet(path)
            elif suffixes.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")):
                frame = pd.read_json(path, lines=True, dtype=False)
                frame = _flatten_nested(frame)
            else:
                if sep is None:
                    sep = "\t" if suffixes.endswith(TAB_SUFFIXES) else ","
                check_unique_columns(pd.DataFrame(columns=_csv_header(path, sep)), what)
                frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", sep=sep)
                frame = _infer_types(frame, text_columns)
        except _READ_ERRORS as exc:
            detail = " ".join(str(exc).split()) or type(exc).__name__
            if isinstance(exc, (EOFError, zlib.error, gzip.BadGzipFile)):
                detail = f"the compressed file is damaged or truncated ({detail})"
            elif isinstance(exc, UnicodeDecodeError):
                detail = f"it is not UTF-8 text ({detail}); save it as UTF-8"
            raise SchemaError(
                f"Could not read the {what} file {str(path)!r}: {detail}. Expected a CSV "
                "with a header row, a Parquet file, or JSON lines (optionally .gz)."
            ) from exc
        except (ValueError, OSError) as exc:  # pyarrow / json errors
            if isinstance(exc, SchemaError):
                raise
            detail = " ".join(str(exc).split()) or type(exc).__name__
            raise SchemaError(
                f"Could not read the {what} file {str(path)!r}: {detail}. Expected a CSV "
                "with a header row, a Parquet file, or JSON lines (optionally .gz)."
            ) from exc
        check_unique_columns(frame, what)
        check_flat(frame, what, path)
        return frame
    raise SchemaError(
        f"The {what} must be a pandas DataFrame or a path to a CSV/Parquet file, got "
        f"{type(source).__name__}."
    )


_CANONICAL_INT = r"^(?:0|-?[1-9]\d{0,17})$"


def _ids_as_int(columns: list[pd.Series]) -> bool:
    """Text ids become integers only when every one is a canonical integer (no
    leading zero, no sign or space): ``"0001"`` keeps all ids text."""
    text = [c for c in columns if c.dtype == object or pd.api.types.is_string_dtype(c)]
    if not text:
        return False
    return all(c.dropna().astype(str).str.fullmatch(_CANONICAL_INT).all() for c in text)


def _normalise_ids(people, edges, id_col, *, from_files):
    columns = []
    if from_files[0] and id_col in people.columns:
        columns.append(people[id_col])
    if edges is not None and from_files[1]:
        columns += [edges[c] for c in ("person1_id", "person2_id") if c in edges.columns]
    if not columns or not _ids_as_int(columns):
        return people, edges

    def as_int(col):
        if col.dtype == object or pd.api.types.is_string_dtype(col):
            if col.isna().any():
                return col
            return col.astype(np.int64)
        return col

    if from_files[0] and id_col in people.columns:
        people = people.assign(**{id_col: as_int(people[id_col])})
    if edges is not None and from_files[1]:
        edges = edges.assign(
            **{c: as_int(edges[c]) for c in ("person1_id", "person2_id") if c in edges.columns}
        )
    return people, edges


def normalise_zipcodes(values: pd.Series) -> pd.Series:
    """Normalise US zip codes to 5-character text.

    ``2124`` -> ``"02124"``, ``"80202-1234"`` -> ``"80202"``; other text (non-US postal
    codes) is only stripped.

    Parameters
    ----------
    values : Series
        Zip codes as numbers or text.

    Returns
    -------
    zipcodes : Series
        The normalised codes (booleans are returned unchanged).

    See Also
    --------
    load_data : Applies it to the ``zipcode`` column.

    Examples
    --------
    >>> import pandas as pd
    >>> normalise_zipcodes(pd.Series([2124, "80202-1234", " 10001 "])).tolist()
    ['02124', '80202', '10001']
    """
    if pd.api.types.is_bool_dtype(values):
        return values
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        whole = np.isnan(numbers) | ((numbers % 1 == 0) & (numbers >= 0) & (numbers < 1e5))
        if not whole.all():
            return values
        missing = np.isnan(numbers)
        digits = pd.Series(np.where(missing, 0, numbers).astype(np.int64), index=values.index)
        return digits.astype(str).str.zfill(5).astype(object).where(~missing, None)
    text = values.astype(object).where(values.notna(), None)
    numbers = text.map(
        lambda v: isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
    ).to_numpy(dtype=bool)
    if numbers.any():  # numbers mixed with text (e.g. JSON): as in a numeric column
        text = text.copy()
        text[numbers] = normalise_zipcodes(pd.Series(text[numbers].astype(float))).to_numpy()
    mask = text.map(lambda v: isinstance(v, str))
    if not mask.any():
        return text if numbers.any() else values
    stripped = text[mask].str.strip()
    short = stripped.str.fullmatch(r"\d{1,4}")
    plus4 = stripped.str.fullmatch(r"\d{5}-?\d{4}")
    fixed = stripped.where(~short, stripped.str.zfill(5))
    fixed = fixed.where(~plus4, stripped.str[:5])
    out = text.copy()
    out[mask] = fixed
    return out


def load_data(
    people,
    connections=None,
    domain: str | Domain = "custom",
    *,
    id_col: str = "person_id",
    column_map: dict[str, str] | None = None,
    connection_column_map: dict[str, str] | None = None,
    required_columns: tuple[str, ...] = ("age", "gender"),
    age_range=DEFAULT_AGE_RANGE,
    strict: bool = False,
) -> SocialData:
    """Load people (and their connections) into a validated :class:`SocialData`.

    Tables are read from DataFrames or files, renamed by the column maps, then
    validated once (see :meth:`SocialData.validate`).

    Parameters
    ----------
    people : DataFrame, str or path-like
        The people table or a CSV/Parquet/JSONL path (plain or ``.gz``).  A
        :class:`SocialData` is returned unchanged.  Files keep their text: ids, zip
        codes and every text column are read as strings (``"02124"`` stays so), and
        ids become integers only when all are plain integers.
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
    age_range : (min, max) or None, default=(0, 120)
        Plausible ages in years; an age outside is an error naming the rows.
    strict : bool, default=False
        What looks wrong in valid data (PARENT cycles, a pair with two family types,
        connection types differing only in case, gender values with surrounding
        spaces) is a :class:`~personatwin_sklearn.exceptions.DataQualityWarning`, or
        with ``strict=True`` an :class:`~personatwin_sklearn.exceptions.InvalidValueError`.

    Returns
    -------
    data : SocialData
        Zip codes normalised to 5 characters (:func:`normalise_zipcodes`).

    Raises
    ------
    SchemaError
        With a message naming the column/rows and the fix (duplicate column names,
        unreadable files, ...).
    FileNotFoundError
        When a path does not exist.

    See Also
    --------
    read_snap_edgelist : Load a SNAP edge list.
    read_pajek : Load a Pajek network with node attributes.

    Examples
    --------
    >>> import pandas as pd
    >>> from personatwin_sklearn import load_data
    >>> people = pd.DataFrame({"id": [1, 2], "age": [30, 31], "sex": ["F", "M"]})
    >>> edges = pd.DataFrame({"person1_id": [1], "person2_id": [2],
    ...                       "connection_type": ["SPOUSE"]})
    >>> data = load_data(people, edges, id_col="id", column_map={"sex": "gender"})
    >>> len(data), data.n_connections
    (2, 1)
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
    inverse = {new: old for old, new in (column_map or {}).items()}
    text = [inverse.get(c, c) for c in (id_col, *TEXT_COLUMNS)]
    people_df = read_table(people, what="people", text_columns=text)
    if column_map:
        people_df = people_df.rename(columns=column_map)
        check_unique_columns(people_df, "people (after column_map / --rename)")
    edges_df = None
    if connections is not None:
        inverse = {new: old for old, new in (connection_column_map or {}).items()}
        text = [inverse.get(c, c) for c in ("person1_id", "person2_id")]
        edges_df = read_table(connections, what="connections", text_columns=text)
        if connection_column_map:
            edges_df = edges_df.rename(columns=connection_column_map)
            check_unique_columns(edges_df, "connections (after connection_column_map)")
        check_connection_columns(
            edges_df, connections if isinstance(connections, (str, os.PathLike)) else None
        )
    from_files = (
        not isinstance(people, pd.DataFrame),
        connections is not None and not isinstance(connections, pd.DataFrame),
    )
    people_df, edges_df = _normalise_ids(people_df, edges_df, id_col, from_files=from_files)
    if "zipcode" in people_df.columns:
        people_df = people_df.assign(zipcode=normalise_zipcodes(people_df["zipcode"]))
    data = SocialData(
        people_df, edges_df, id_col=id_col, domain=domain, required_columns=required_columns
    )
    check_age_range(data._people, age_range)
    for problem in domain_checks(data):
        if strict:
            raise InvalidValueError(f"{problem} (refused with strict=True / --strict)")
        warnings.warn(problem, DataQualityWarning, stacklevel=2)
    return data


def _read_lines(path: Path, what: str) -> list[str]:
    """The lines of a plain or gzipped text file; damaged gzip -> one-line SchemaError."""
    try:
        if path.suffix.lower() == ".gz":
            with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
                return handle.read().splitlines()
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().splitlines()
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise SchemaError(
            f"Could not read the {what} {str(path)!r}: the compressed file is damaged or "
            f"truncated ({' '.join(str(exc).split()) or type(exc).__name__}). Re-download "
            "or re-compress it."
        ) from exc


def _content_lines(lines, start: int, stop: int, comments=("%",)) -> pd.Series:
    """Stripped non-blank, non-comment lines ``start..stop``, indexed by line number (1-based)."""
    block = pd.Series(lines[start:stop], index=np.arange(start + 1, stop + 1), dtype=object)
    block = block.str.strip()
    keep = block.ne("")
    for mark in comments:
        keep &= ~block.str.startswith(mark)
    return block[keep]


def _split_fields(block: pd.Series, n: int) -> pd.DataFrame:
    """Up to ``n + 1`` whitespace-separated fields per line (missing ones None)."""
    frame = block.str.split(n=n, expand=True) if len(block) else pd.DataFrame(index=block.index)
    for i in range(n + 1):
        if i not in frame.columns:
            frame[i] = None
    return frame


def read_snap_edgelist(
    path,
    *,
    connection_type: str = "CONNECTED",
    id_col: str = "person_id",
    comments: str = "#",
) -> SocialData:
    """Read a SNAP edge list (``u v`` per line, whitespace or tabs; plain or ``.gz``).

    Lines starting with ``comments`` (default ``#``) or ``%`` are comments.  Duplicate
    edges (``u v`` and ``v u``) are kept once; self-loops are dropped (SNAP files
    sometimes contain them).  People get only the id column; ids are integers when
    every id is one.  Errors name the file and the line.

    Parameters
    ----------
    path : str or path-like
        The edge list file.
    connection_type : str, default="CONNECTED"
        Type given to every connection.
    id_col : str, default="person_id"
        Name of the id column.
    comments : str, default="#"
        Lines starting with this (or ``%``) are skipped.

    Returns
    -------
    data : SocialData
        With ``required_columns=()``.

    See Also
    --------
    read_pajek : Load a Pajek network with node attributes.

    Examples
    --------
    >>> import os, tempfile
    >>> from personatwin_sklearn import read_snap_edgelist
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "edges.txt")
    ...     with open(path, "w") as f:
    ...         _ = f.write("# a comment\\n1 2\\n2 1\\n2 3\\n")
    ...     data = read_snap_edgelist(path)
    >>> len(data), data.n_connections
    (3, 2)
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"SNAP edge list {str(path)!r} does not exist.")
    lines = _read_lines(path, "SNAP edge list")
    marks = tuple(dict.fromkeys([m for m in (comments, "#", "%") if m]))
    block = _content_lines(lines, 0, len(lines), marks)
    if not len(block):
        raise SchemaError(
            f"{str(path)!r} holds no edges (every line is blank or a comment); a SNAP edge "
            "list has two node ids per line."
        )
    fields = _split_fields(block, 2)
    lone = fields[1].isna().to_numpy()
    if lone.any():
        line = int(block.index[np.flatnonzero(lone)[0]])
        raise SchemaError(
            f"{str(path)!r}: line {line} has only one node id ({block[line]!r}); each line "
            "needs two (u v), separated by spaces or tabs."
        )
    frame = pd.DataFrame(
        {"person1_id": fields[0].to_numpy(), "person2_id": fields[1].to_numpy()},
        index=block.index,
    )
    is_int = frame["person1_id"].str.fullmatch(r"[+-]?\d+") & frame["person2_id"].str.fullmatch(
        r"[+-]?\d+"
    )
    if is_int.all():
        frame = frame.astype(np.int64)
    elif is_int.mean() > 0.5:
        line = int(frame.index[np.flatnonzero(~is_int.to_numpy())[0]])
        raise SchemaError(
            f"{str(path)!r}: line {line} ({block[line]!r}) does not hold two integer node "
            f"ids, unlike the other lines; if it is a header, comment it out with {marks[0]!r}."
        )
    frame = _canonical_undirected(frame.reset_index(drop=True))
    nodes = pd.unique(np.concatenate([frame["person1_id"], frame["person2_id"]]))
    people = pd.DataFrame({id_col: np.sort(nodes)})
    frame["connection_type"] = connection_type
    return SocialData(people, frame, id_col=id_col, required_columns=())


def _canonical_undirected(frame: pd.DataFrame) -> pd.DataFrame:
    a, b = frame["person1_id"].to_numpy(), frame["person2_id"].to_numpy()
    keep = a != b
    lo, hi = np.where(a <= b, a, b)[keep], np.where(a <= b, b, a)[keep]
    out = pd.DataFrame({"person1_id": lo, "person2_id": hi}).drop_duplicates(ignore_index=True)
    return out


_PAJEK_EDGE_SECTIONS = ("*edges", "*arcs", "*edgeslist", "*arcslist")


def _pajek_vertices(path, lines, start, stop, n):
    """Vertex numbers and labels of a ``*Vertices`` section (quoted labels keep spaces)."""
    block = _content_lines(lines, start, stop)
    if not len(block):
        return np.arange(1, n + 1), [str(i) for i in range(1, n + 1)]
    pattern = r'^(?P<num>\S+)(?:\s+(?:"(?P<quoted>[^"]*)"|(?P<plain>\S+)))?'
    parts = block.str.extract(pattern)
    numbers = pd.to_numeric(parts["num"], errors="coerce")
    bad = numbers.isna() | (numbers % 1 != 0) | (numbers < 1) | (numbers > n)
    if bad.any():
        line = int(block.index[np.flatnonzero(bad.to_numpy())[0]])
        raise SchemaError(
            f"{str(path)!r}, line {line}: {block[line]!r} is not a vertex line; under "
            f"'*Vertices {n}' each line starts with a vertex number 1..{n}, then an "
            'optional label ("quoted" when it holds spaces).'
        )
    unclosed = block.str.match(r'^\S+\s+"[^"]*$')
    if unclosed.any():
        line = int(block.index[np.flatnonzero(unclosed.to_numpy())[0]])
        raise SchemaError(
            f"{str(path)!r}, line {line}: the quoted vertex label {block[line]!r} has no "
            "closing quote."
        )
    numbers = numbers.astype(np.int64)
    dup = numbers.duplicated(keep=False).to_numpy()
    if dup.any():
        lines_at = block.index[dup].tolist()[:5]
        raise SchemaError(
            f"{str(path)!r}: vertex number {int(numbers[dup].iloc[0])} is declared more "
            f"than once (lines {lines_at}); each vertex has one line."
        )
    labels = parts["quoted"].fillna(parts["plain"]).fillna(parts["num"])
    listed = pd.Series(labels.to_numpy(), index=numbers.to_numpy())
    all_numbers = np.arange(1, n + 1)
    full = listed.reindex(all_numbers)
    full = full.fillna(pd.Series(all_numbers.astype(str), index=all_numbers))
    dup_label = full.duplicated(keep=False).to_numpy()
    if dup_label.any():
        label = full[dup_label].iloc[0]
        raise SchemaError(
            f"{str(path)!r}: vertex label {label!r} is used by vertices "
            f"{full.index[full == label].tolist()[:5]}; labels become person ids and must "
            "be unique."
        )
    return all_numbers, full.tolist()


def _pajek_edges(path, lines, start, stop, kind, n) -> pd.DataFrame:
    block = _content_lines(lines, start, stop)
    if not len(block):
        return pd.DataFrame({"a": [], "b": []}, dtype=np.int64)
    if kind in ("*edgeslist", "*arcslist"):
        parts = block.str.split()
        exploded = parts.explode()
        position = exploded.groupby(level=0).cumcount().to_numpy()
        heads = exploded[position == 0]
        tails = exploded[position > 0]
        pairs = pd.DataFrame(
            {"a": heads.reindex(tails.index).to_numpy(), "b": tails.to_numpy()},
            index=tails.index,
        )
        lone = ~block.index.isin(tails.index)
        if lone.any():
            line = int(block.index[np.flatnonzero(lone)[0]])
            raise SchemaError(
                f"{str(path)!r}, line {line}: {block[line]!r} lists no neighbour; a "
                f"'{kind}' line is a vertex number followed by its neighbours."
            )
    else:
        fields = _split_fields(block, 2)
        pairs = pd.DataFrame({"a": fields[0], "b": fields[1]}, index=block.index)
    numbers = pairs.apply(pd.to_numeric, errors="coerce")
    bad = (numbers.isna() | (numbers % 1 != 0)).any(axis=1).to_numpy()
    if bad.any():
        line = int(pairs.index[np.flatnonzero(bad)[0]])
        raise SchemaError(
            f"{str(path)!r}, line {line}: {block[line]!r} does not hold two vertex numbers; "
            f"under '{kind}' each line is 'from to [weight]'."
        )
    numbers = numbers.astype(np.int64)
    out = ((numbers < 1) | (numbers > n)).any(axis=1).to_numpy()
    if out.any():
        line = int(numbers.index[np.flatnonzero(out)[0]])
        raise SchemaError(
            f"{str(path)!r}, line {line}: {block[line]!r} uses a vertex number not declared "
            f"under *Vertices {n} (1..{n})."
        )
    return numbers.reset_index(drop=True)


def _pajek_sections(path, lines) -> tuple[list, int, int]:
    """The sections of a Pajek file (``(line, word, text)``; *Vertices first, then edge
    sections), the *Vertices line and the number of vertices; errors name the line."""
    heads = [(i, line.strip()) for i, line in enumerate(lines) if line.lstrip().startswith("*")]
    sections = []
    for i, line in heads:
        word = line.split()[0].lower() if line.split() else "*"
        if word != "*vertices" and word not in _PAJEK_EDGE_SECTIONS:
            raise SchemaError(
                f"{str(path)!r}, line {i + 1}: unknown or unsupported Pajek section "
                f"{line!r}; expected *Vertices, *Edges, *Arcs, *Edgeslist or *Arcslist."
            )
        sections.append((i, word, line))
    if not sections or sections[0][1] != "*vertices":
        raise SchemaError(
            f"{str(path)!r} is not a Pajek file: expected a '*vertices N' line followed by "
            "'*edges' or '*arcs'."
        )
    if sum(word == "*vertices" for _, word, _ in sections) > 1:
        line = [i + 1 for i, word, _ in sections if word == "*vertices"][1]
        raise SchemaError(f"{str(path)!r}, line {line}: a second *Vertices section.")
    v0, _, head = sections[0]
    fields = head.split()
    if len(fields) < 2 or not fields[1].isdigit():
        raise SchemaError(
            f"{str(path)!r}, line {v0 + 1}: {head!r} does not give the number of vertices "
            "('*Vertices N')."
        )
    n = int(fields[1])
    if len(sections) == 1:
        raise SchemaError(
            f"{str(path)!r} is not a Pajek file: expected a '*vertices N' line followed by "
            "'*edges' or '*arcs'."
        )
    return sections, v0, n


def read_pajek(
    path,
    nodelist=None,
    *,
    id_col: str = "person_id",
    connection_type: str = "CONNECTED",
    missing_value=0,
) -> SocialData:
    """Read a Pajek ``.net`` file as an undirected network.

    An optional node-attribute table gives the people their columns.

    Parameters
    ----------
    path : str or path-like
        Pajek file (plain or ``.gz``): ``*Vertices N``, vertex lines ``number
        ["label with spaces"]``, then any of ``*Edges``, ``*Arcs`` (read as
        undirected), ``*Edgeslist`` and ``*Arcslist``; ``%`` starts a comment line.
        Vertex labels become person ids (integers where all labels are integers); a
        vertex without a line is labelled by its number.  Every error names the line.
    nodelist : str, path-like or DataFrame, default=None
        Tab-separated attribute table whose first column is the vertex label (e.g.
        Facebook100's ``.nodelist``: ``node_id, student_fac, gender, ...``).
    id_col : str, default="person_id"
        Name of the id column.
    connection_type : str, default="CONNECTED"
        Type given to every connection.
    missing_value : scalar, default=0
        Code meaning "missing" in the nodelist (Facebook100 uses 0); it becomes
        ``<NA>``.

    Returns
    -------
    data : SocialData
        With ``required_columns=()``.

    See Also
    --------
    read_snap_edgelist : Load a SNAP edge list.

    Examples
    --------
    >>> import os, tempfile
    >>> from personatwin_sklearn import read_pajek
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "g.net")
    ...     with open(path, "w") as f:
    ...         _ = f.write('*vertices 3\\n1 "1"\\n2 "2"\\n3 "3"\\n*edges\\n1 2\\n2 3\\n')
    ...     data = read_pajek(path)
    >>> len(data), data.n_connections
    (3, 2)
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Pajek file {str(path)!r} does not exist.")
    lines = _read_lines(path, "Pajek file")
    sections, v0, n = _pajek_sections(path, lines)
    bounds = [i for i, _, _ in sections] + [len(lines)]
    numbers, labels = _pajek_vertices(path, lines, v0 + 1, bounds[1], n)
    pieces = [
        _pajek_edges(path, lines, start + 1, bounds[j + 2], word, n)
        for j, (start, word, _) in enumerate(sections[1:])
    ]
    edges = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame({"a": [], "b": []})
    label_series = pd.Series(labels, dtype=object)
    is_int = label_series.str.fullmatch(r"[+-]?\d+")
    ids = label_series.astype(np.int64) if is_int.all() and len(labels) else label_series
    lookup = pd.Series(ids.to_numpy(), index=numbers)
    frame = pd.DataFrame(
        {
            "person1_id": lookup.reindex(edges["a"].to_numpy()).to_numpy(),
            "person2_id": lookup.reindex(edges["b"].to_numpy()).to_numpy(),
        }
    )
    frame = _canonical_undirected(frame)
    frame["connection_type"] = connection_type
    people = pd.DataFrame({id_col: ids.to_numpy()})
    if nodelist is not None:
        attrs = (
            nodelist.copy()
            if isinstance(nodelist, pd.DataFrame)
            else _read_nodelist(Path(nodelist))
        )
        key = attrs.columns[0]
        attrs = attrs.rename(columns={key: id_col})
        try:
            attrs[id_col] = attrs[id_col].astype(people[id_col].dtype)
        except (TypeError, ValueError) as exc:
            raise SchemaError(
                f"The nodelist's first column {key!r} must hold the vertex labels of "
                f"{str(path)!r} ({people[id_col].dtype}); got values like "
                f"{attrs[id_col].head(3).tolist()}."
            ) from exc
        for column in attrs.columns[1:]:
            col = attrs[column]
            if missing_value is not None:
                col = col.mask(col == missing_value)
            if pd.api.types.is_float_dtype(col) and (col.dropna() % 1 == 0).all():
                col = col.astype("Int64")
            attrs[column] = col
        try:
            people = people.merge(attrs, on=id_col, how="left", validate="one_to_one")
        except pd.errors.MergeError as exc:
            raise SchemaError(
                f"The nodelist lists a vertex label more than once; each of {key!r} must be "
                "unique."
            ) from exc
    return SocialData(people, frame, id_col=id_col, required_columns=())


def _read_nodelist(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise FileNotFoundError(f"Nodelist {str(path)!r} does not exist.")
    try:
        return pd.read_csv(path, sep="\t")
    except _READ_ERRORS as exc:
        raise SchemaError(
            f"Could not read the nodelist {str(path)!r}: {' '.join(str(exc).split())}. "
            "Expected a tab-separated table with a header row."
        ) from exc
