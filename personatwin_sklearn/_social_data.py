"""The one container that flows through every step: :class:`SocialData`."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from personatwin_sklearn._roles import check_flat
from personatwin_sklearn.domains import Domain, get_domain
from personatwin_sklearn.exceptions import (
    DanglingEdgeError,
    DuplicateIdError,
    InvalidValueError,
    MissingColumnError,
    SchemaError,
    SelfLoopError,
    UnknownConnectionTypeError,
)

__all__ = [
    "SocialData",
    "CONNECTION_COLUMNS",
    "REAL_EDGE_DEFAULTS",
    "SYNTHETIC_EDGE_DEFAULTS",
    "AUGMENTATION_CONTEXT",
    "event_columns",
]

CONNECTION_COLUMNS = ("person1_id", "person2_id", "connection_type")
REAL_EDGE_DEFAULTS = {
    "strength": "STRONG",
    "context": "recorded",
    "confidence": 1.0,
    "is_synthetic": False,
}
#: ``context`` of the connections SyntheticAugmenter gives its synthetic people (their
#: families, copied from real households), as opposed to privacy-protection links.
AUGMENTATION_CONTEXT = "synthetic persona (augmentation)"
SYNTHETIC_EDGE_DEFAULTS = {
    "strength": "WEAK",
    "context": "synthetic (privacy protection)",
    "confidence": 0.5,
    "is_synthetic": True,
}
_MAX_EXAMPLES = 5


def event_columns(people: pd.DataFrame) -> list[str]:
    """Names of the event-flag columns (``has_*``) of a people table."""
    return [c for c in people.columns if isinstance(c, str) and c.startswith("has_")]


def _py(value):
    """A numpy scalar as a plain Python value (for readable messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _rows(index: Iterable, limit: int = _MAX_EXAMPLES) -> str:
    items = list(index)
    more = f" (and {len(items) - limit} more)" if len(items) > limit else ""
    return f"{items[:limit]}{more}"


class _Indexer:
    """``data.iloc[...]`` / ``data.loc[...]``: select people, keep their induced subgraph."""

    def __init__(self, data: SocialData, kind: str):
        self._data = data
        self._kind = kind

    def __getitem__(self, key):
        if isinstance(key, tuple):
            raise TypeError(
                "SocialData selects people (rows) only; index columns on data.people instead."
            )
        people = self._data._people
        selected = people.iloc[key] if self._kind == "iloc" else people.loc[key]
        if isinstance(selected, pd.Series):  # a single scalar key
            selected = selected.to_frame().T.astype(people.dtypes.to_dict())
        return self._data._subset(selected)


_GENERALIZED_AGE = r"^(?:\*|\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?)$"


def _is_generalized_age(age: pd.Series) -> bool:
    """True when non-missing ages are strings like ``"40-44"``, ``"40"`` or ``"*"``."""
    if not (pd.api.types.is_string_dtype(age) or age.dtype == object):
        return False
    values = age.dropna()
    if not len(values):
        return True  # nothing to convert (e.g. a header-only file)
    return bool(values.map(lambda v: isinstance(v, str)).all()) and bool(
        values.str.fullmatch(_GENERALIZED_AGE).all()
    )


class SocialData:
    """People and the connections between them, validated and immutable.

    ``SocialData`` behaves as ``X`` for scikit-learn: its length is the number of
    people, and selecting people with ``take``, ``iloc``, ``loc`` or ``[...]``
    returns the *induced subgraph* (the selected people and the connections among
    them).  It cannot be turned into a numpy array: put
    :class:`~personatwin_sklearn.PeopleSelector` in front of ordinary sklearn steps.

    Parameters
    ----------
    people : DataFrame
        One row per person.  Required columns: the id column and
        ``required_columns`` (by default ``age`` and ``gender``).  Optional:
        ``ethnicity``, ``zipcode``, ``occupation``, event flags named ``has_*`` and
        ``is_synthetic`` (added as ``False`` when absent).
    connections : DataFrame, default=None
        One row per connection with ``person1_id``, ``person2_id`` and
        ``connection_type`` (read "person2 is person1's <type>").  Optional
        ``strength``, ``context``, ``confidence`` and ``is_synthetic`` are filled
        with defaults for real connections when absent.
    id_col : str, default="person_id"
        Name of the people identifier column.
    domain : str or Domain, default="custom"
        Vocabulary of connection types and event flags; see
        :mod:`personatwin_sklearn.domains`.  ``"custom"`` accepts any type.
    required_columns : tuple of str, default=("age", "gender")
        People columns that must be present besides the id.  Graph loaders pass
        ``()`` for networks without demographics.
    validate : bool, default=True
        Run :meth:`validate` on construction.

    Attributes
    ----------
    people : DataFrame
        The people (a shallow copy: changing it does not change this object).
    connections : DataFrame
        The connections (a shallow copy).

    See Also
    --------
    personatwin_sklearn.load_data : Build one from files, DataFrames or a graph.
    personatwin_sklearn.PeopleSelector : Its people table for ordinary sklearn steps.

    Examples
    --------
    >>> import pandas as pd
    >>> from personatwin_sklearn import SocialData
    >>> people = pd.DataFrame({"person_id": [1, 2, 3], "age": [40, 42, 70],
    ...                        "gender": ["F", "M", "F"]})
    >>> edges = pd.DataFrame({"person1_id": [1], "person2_id": [2],
    ...                       "connection_type": ["SPOUSE"]})
    >>> data = SocialData(people, edges)
    >>> len(data), data.n_connections
    (3, 1)
    >>> data.take([0, 2]).n_connections
    0
    """

    def __init__(
        self,
        people: pd.DataFrame,
        connections: pd.DataFrame | None = None,
        *,
        id_col: str = "person_id",
        domain: str | Domain = "custom",
        required_columns: tuple[str, ...] = ("age", "gender"),
        validate: bool = True,
    ):
        if not isinstance(people, pd.DataFrame):
            raise SchemaError(
                f"people must be a pandas DataFrame, got {type(people).__name__}. "
                "Use personatwin_sklearn.load_data(...) to read CSV/Parquet files."
            )
        if connections is None:
            connections = pd.DataFrame(
                {
                    "person1_id": pd.Series([], dtype=people[id_col].dtype)
                    if id_col in people
                    else [],
                    "person2_id": pd.Series([], dtype=people[id_col].dtype)
                    if id_col in people
                    else [],
                    "connection_type": pd.Series([], dtype=object),
                }
            )
        elif not isinstance(connections, pd.DataFrame):
            raise SchemaError(
                f"connections must be a pandas DataFrame or None, got "
                f"{type(connections).__name__}."
            )
        people = people.copy()
        connections = connections.copy()
        if "is_synthetic" not in people.columns:
            people["is_synthetic"] = False
        for column, default in REAL_EDGE_DEFAULTS.items():
            if column not in connections.columns:
                connections[column] = pd.Series(
                    [default] * len(connections), index=connections.index, dtype=object
                ).infer_objects()
        if isinstance(required_columns, str):  # one column name, not its characters
            required_columns = (required_columns,)
        self._init(people, connections, id_col, get_domain(domain), tuple(required_columns))
        if validate:
            self.validate()

    # -- construction helpers ------------------------------------------------------------
    def _init(self, people, connections, id_col, domain, required_columns):
        object.__setattr__(self, "_people", people)
        object.__setattr__(self, "_connections", connections)
        object.__setattr__(self, "id_col", id_col)
        object.__setattr__(self, "domain", domain)
        object.__setattr__(self, "required_columns", required_columns)

    @classmethod
    def _from_validated(cls, people, connections, like: SocialData) -> SocialData:
        obj = cls.__new__(cls)
        obj._init(people, connections, like.id_col, like.domain, like.required_columns)
        return obj

    def __setattr__(self, name, value):
        raise AttributeError(
            "SocialData is immutable; use with_people(), with_connections() or add()."
        )

    def __reduce__(self):
        return (
            _rebuild,
            (self._people, self._connections, self.id_col, self.domain, self.required_columns),
        )

    # -- views -----------------------------------------------------------------------------
    @property
    def people(self) -> pd.DataFrame:
        return self._people.copy(deep=False)

    @property
    def connections(self) -> pd.DataFrame:
        return self._connections.copy(deep=False)

    @property
    def ids(self) -> pd.Series:
        """The person identifiers, in row order."""
        return self._people[self.id_col].copy(deep=False)

    @property
    def shape(self) -> tuple[int, int]:
        return self._people.shape

    def __len__(self) -> int:
        return len(self._people)

    @property
    def n_connections(self) -> int:
        return len(self._connections)

    @property
    def event_columns(self) -> list[str]:
        """Event-flag columns (``has_*``) of the people table."""
        return event_columns(self._people)

    @property
    def is_synthetic(self) -> np.ndarray:
        """Boolean mask of synthetic people."""
        return self._people["is_synthetic"].to_numpy(dtype=bool)

    @property
    def n_synthetic(self) -> int:
        return int(self.is_synthetic.sum())

    @property
    def n_synthetic_connections(self) -> int:
        return int(self._connections["is_synthetic"].to_numpy(dtype=bool).sum())

    @property
    def is_protection_connection(self) -> np.ndarray:
        """Boolean mask of the synthetic connections added by privacy protection.

        Synthetic connections minus those of augmented personas' own households
        (``context == AUGMENTATION_CONTEXT``).  The context is compared on its distinct
        values, so a column of millions of rows is not converted to text.
        """
        edges = self._connections
        codes, uniques = pd.factorize(edges["context"])
        augmented = np.asarray([str(u) == AUGMENTATION_CONTEXT for u in uniques], dtype=bool)
        return edges["is_synthetic"].to_numpy(dtype=bool) & ~np.r_[augmented, False][codes]

    def real(self) -> SocialData:
        """Return the real people and the real connections among them.

        Returns
        -------
        real : SocialData
            Synthetic people and synthetic connections left out.
        """
        keep_people = self._people.loc[~self.is_synthetic]
        edges = self._connections
        keep_edges = edges.loc[~edges["is_synthetic"].to_numpy(dtype=bool)]
        return SocialData._from_validated(keep_people, keep_edges, self)

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "SocialData holds people *and* connections and cannot become a numpy array. "
            "Put personatwin_sklearn.PeopleSelector() in the pipeline before ordinary "
            "sklearn steps, or use data.people."
        )

    def __repr__(self) -> str:
        return (
            f"SocialData(people={len(self)} ({self.n_synthetic} synthetic), "
            f"connections={self.n_connections} ({self.n_synthetic_connections} synthetic), "
            f"domain={self.domain.name!r})"
        )

    def equals(self, other: object) -> bool:
        """Tell whether ``other`` holds the same people and connections.

        Parameters
        ----------
        other : object
            Another SocialData (anything else compares unequal).

        Returns
        -------
        equal : bool
            True when the tables, the id column and the domain are equal.
        """
        return (
            isinstance(other, SocialData)
            and self.id_col == other.id_col
            and self._people.equals(other._people)
            and self._connections.equals(other._connections)
        )

    # -- selection (what sklearn's _safe_indexing uses) --------------------------------------
    def _subset(self, people: pd.DataFrame) -> SocialData:
        ids = people[self.id_col]
        edges = self._connections
        keep = edges["person1_id"].isin(ids).to_numpy() & edges["person2_id"].isin(ids).to_numpy()
        return SocialData._from_validated(people, edges.loc[keep], self)

    def take(self, indices, axis: int = 0) -> SocialData:
        """Select people at integer positions and the connections among them.

        Parameters
        ----------
        indices : array-like of int
            Row positions (what cross-validation splitters give).
        axis : {0}, default=0
            Only rows can be taken.

        Returns
        -------
        subset : SocialData
            The induced subgraph of the selected people.
        """
        if axis != 0:
            raise ValueError("SocialData.take selects people (axis=0) only.")
        return self._subset(self._people.take(np.asarray(indices, dtype=np.intp)))

    @property
    def iloc(self) -> _Indexer:
        """Select people by position; returns the induced subgraph."""
        return _Indexer(self, "iloc")

    @property
    def loc(self) -> _Indexer:
        """Select people by index label or boolean mask; returns the induced subgraph."""
        return _Indexer(self, "loc")

    def __getitem__(self, key) -> SocialData:
        if isinstance(key, str):
            raise TypeError(
                f"data[{key!r}]: SocialData selects people, not columns; use data.people[{key!r}]."
            )
        key_arr = np.asarray(key) if not isinstance(key, slice) else key
        if isinstance(key_arr, np.ndarray) and key_arr.dtype == bool:
            return self._subset(self._people.loc[key_arr])
        return self.iloc[key]

    def select_ids(self, ids) -> SocialData:
        """Select people by id and the connections among them.

        Parameters
        ----------
        ids : array-like
            Person identifiers (values of ``id_col``).

        Returns
        -------
        subset : SocialData
            The induced subgraph of the people whose id is in ``ids``.
        """
        return self._subset(self._people.loc[self._people[self.id_col].isin(ids).to_numpy()])

    # -- derived copies ----------------------------------------------------------------------
    def with_people(self, people: pd.DataFrame, *, validate: bool = True) -> SocialData:
        """Return a copy with another people table (same connections).

        Parameters
        ----------
        people : DataFrame
            The new people table.
        validate : bool, default=True
            Run :meth:`validate` on the result.

        Returns
        -------
        data : SocialData
            The new container; this one is unchanged.
        """
        return self._rebuild(people, self._connections, validate)

    def with_connections(self, connections: pd.DataFrame, *, validate: bool = True) -> SocialData:
        """Return a copy with another connections table (same people).

        Parameters
        ----------
        connections : DataFrame
            The new connections table.
        validate : bool, default=True
            Run :meth:`validate` on the result.

        Returns
        -------
        data : SocialData
            The new container; this one is unchanged.
        """
        return self._rebuild(self._people, connections, validate)

    def _rebuild(self, people, connections, validate) -> SocialData:
        return SocialData(
            people,
            connections,
            id_col=self.id_col,
            domain=self.domain,
            required_columns=self.required_columns,
            validate=validate,
        )

    def add(
        self,
        people: pd.DataFrame | None = None,
        connections: pd.DataFrame | None = None,
        **edge_defaults,
    ) -> SocialData:
        """Return a copy with synthetic people and/or connections appended.

        Everything added is flagged ``is_synthetic=True``; added connections get
        :data:`SYNTHETIC_EDGE_DEFAULTS` (``strength="WEAK"``, ``confidence=0.5``,
        ``context="synthetic (privacy protection)"``) unless given, either as
        columns or as keyword arguments.  Existing rows are not touched.

        Parameters
        ----------
        people : DataFrame, default=None
            People to append (same columns as ``people``).
        connections : DataFrame, default=None
            Connections to append (at least the three connection columns).
        **edge_defaults : dict
            Values for the added connections' flag columns, e.g. ``context=...``.

        Returns
        -------
        data : SocialData
            The validated container with the additions; this one is unchanged.
        """
        new_people = self._people
        if people is not None and len(people):
            people = people.copy()
            people["is_synthetic"] = True
            new_people = pd.concat([self._people, people], ignore_index=True)
            for col in self._people.columns:
                if self._people[col].dtype == bool and new_people[col].dtype != bool:
                    new_people[col] = new_people[col].fillna(False).astype(bool)
        new_edges = self._connections
        if connections is not None and len(connections):
            connections = connections.copy()
            defaults = {**SYNTHETIC_EDGE_DEFAULTS, **edge_defaults}
            for column, default in defaults.items():
                if column not in connections.columns or column == "is_synthetic":
                    connections[column] = default
            connections["is_synthetic"] = True
            new_edges = pd.concat([self._connections, connections], ignore_index=True)
        return self._rebuild(new_people, new_edges, True)

    # -- validation --------------------------------------------------------------------------
    def validate(self) -> SocialData:
        """Check the tables; raise a :class:`~personatwin_sklearn.exceptions.SchemaError`.

        Checks: required columns, duplicate or missing ids, missing/negative/non-numeric
        ages, non-boolean event flags, connections to unknown people, self-loops, and
        connection types outside the domain's vocabulary.

        Returns
        -------
        self : SocialData
            This container, when every check passes.
        """
        people, edges, id_col = self._people, self._connections, self.id_col
        check_flat(people, "people")
        check_flat(edges, "connections")
        required = (id_col, *self.required_columns)
        missing = [c for c in required if c not in people.columns]
        if missing:
            raise MissingColumnError(
                f"The people table is missing required column(s) {missing}; it has "
                f"{list(people.columns)}. Add them or rename yours, e.g. "
                f"load_data(..., column_map={{'your_name': {missing[0]!r}}}) (command line: "
                f"--rename your_name={missing[0]})."
            )
        for column in required:
            na = people[column].isna().to_numpy()
            if na.any():
                raise InvalidValueError(
                    f"Column {column!r} of the people table has {int(na.sum())} missing "
                    f"value(s) at rows {_rows(people.index[na])}. Impute or drop those rows."
                )
        dup = people[id_col].duplicated(keep=False).to_numpy()
        if dup.any():
            examples = people.loc[dup, id_col].drop_duplicates().head(_MAX_EXAMPLES).tolist()
            examples = [_py(v) for v in examples]
            raise DuplicateIdError(
                f"Column {id_col!r} has {int(dup.sum())} rows with duplicate ids, e.g. "
                f"{examples} at rows {_rows(people.index[dup])}. Ids must be unique: drop "
                "the duplicate rows or renumber them."
            )
        if "age" in people.columns:
            _check_ages(people)
        _check_flags(people)
        missing = [c for c in CONNECTION_COLUMNS if c not in edges.columns]
        if missing:
            raise MissingColumnError(
                f"The connections table is missing required column(s) {missing}; it has "
                f"{list(edges.columns)}. Rename your columns to person1_id, person2_id and "
                "connection_type (load_data(..., connection_column_map=...))."
            )
        for column in CONNECTION_COLUMNS:
            na = edges[column].isna().to_numpy()
            if na.any():
                raise InvalidValueError(
                    f"Column {column!r} of the connections table has {int(na.sum())} missing "
                    f"value(s) at rows {_rows(edges.index[na])}. Drop or fill those rows."
                )
        if len(edges):
            self._check_edges()
        if not pd.api.types.is_bool_dtype(edges["is_synthetic"]) and len(edges):
            raise InvalidValueError(
                "Column 'is_synthetic' of the connections table must be boolean, got "
                f"{edges['is_synthetic'].dtype}."
            )
        return self

    def _check_edges(self) -> None:
        """Connections: known endpoints, no self-loops, types of the domain, confidences
        in [0, 1]."""
        people, edges, id_col = self._people, self._connections, self.id_col
        ids = people[id_col]
        for column in ("person1_id", "person2_id"):
            known = edges[column].isin(ids).to_numpy()
            if not known.all():
                pos = int(np.flatnonzero(~known)[0])  # positional: the index may repeat
                first = edges.index[pos]
                value = _py(edges[column].to_numpy()[pos])
                raise DanglingEdgeError(
                    f"{int((~known).sum())} connection(s) refer to people not in the people "
                    f"table, e.g. row {first}: {column}={value!r} "
                    f"(rows {_rows(edges.index[~known])}). Add those people or drop the "
                    f"connections. (Check that ids have the same dtype: people "
                    f"{ids.dtype}, connections {edges[column].dtype}.)"
                )
        loops = edges["person1_id"].to_numpy() == edges["person2_id"].to_numpy()
        if loops.any():
            pos = int(np.flatnonzero(loops)[0])
            first = edges.index[pos]
            value = _py(edges["person1_id"].to_numpy()[pos])
            raise SelfLoopError(
                f"{int(loops.sum())} connection(s) link a person to themselves, e.g. row "
                f"{first} ({id_col}={value!r}; rows "
                f"{_rows(edges.index[loops])}). Remove the self-loops."
            )
        allowed = self.domain.connection_types
        if allowed is not None:
            # a coarsened type lists its members ("CHILD|PARENT|SIBLING|SPOUSE")
            codes, uniques = pd.factorize(edges["connection_type"])
            ok = np.asarray(
                [all(m in allowed for m in str(u).split("|")) for u in uniques], dtype=bool
            )
            unknown = ~np.r_[ok, False][codes]
            if unknown.any():
                values = sorted(map(str, edges.loc[unknown, "connection_type"].unique()))[:5]
                raise UnknownConnectionTypeError(
                    f"Connection type(s) {values} (rows {_rows(edges.index[unknown])}) are "
                    f"not part of domain {self.domain.name!r}, which has "
                    f"{list(allowed)}. Map them to one of those or load with "
                    "domain='custom'."
                )
        conf = pd.to_numeric(edges["confidence"], errors="coerce").to_numpy(dtype=float)
        bad = ~((conf >= 0) & (conf <= 1))
        if bad.any():
            raise InvalidValueError(
                f"Column 'confidence' of the connections table must lie in [0, 1]; rows "
                f"{_rows(edges.index[bad])} do not."
            )

    # -- graph views -------------------------------------------------------------------------
    def edge_positions(self) -> tuple[np.ndarray, np.ndarray]:
        """Give the row positions (in ``people``) of each connection's two ends.

        Returns
        -------
        person1, person2 : ndarray of int
            For each connection, the row of its first and of its second person.
        """
        ids = self._people[self.id_col].to_numpy()
        p1 = self._connections["person1_id"].to_numpy()
        p2 = self._connections["person2_id"].to_numpy()
        if (
            len(ids)
            and ids.dtype.kind in "iu"
            and p1.dtype.kind in "iu"
            and p2.dtype.kind in "iu"
            and ids[-1] - ids[0] == len(ids) - 1
            and (np.diff(ids) == 1).all()
        ):  # consecutive integer ids: positions by arithmetic
            return (p1 - ids[0]).astype(np.intp), (p2 - ids[0]).astype(np.intp)
        index = pd.Index(ids)
        return index.get_indexer(p1), index.get_indexer(p2)

    def degree(self) -> np.ndarray:
        """Count the connections of each person (both ends count), in row order.

        Returns
        -------
        degree : ndarray of int of shape (n_people,)
            Connections per person.
        """
        left, right = self.edge_positions()
        return np.bincount(np.concatenate([left, right]), minlength=len(self)).astype(np.int64)

    def to_networkx(self, *, multigraph: bool = False):
        """Export as a networkx graph.

        Node attributes come from ``people``, edge attributes from ``connections``.

        Parameters
        ----------
        multigraph : bool, default=False
            Return a ``MultiGraph``, which keeps parallel connections.

        Returns
        -------
        graph : networkx.Graph or networkx.MultiGraph
            One node per person (keyed by id), one edge per connection.
        """
        import networkx as nx

        graph = nx.MultiGraph() if multigraph else nx.Graph()
        records = self._people.set_index(self.id_col, drop=True).to_dict("index")
        graph.add_nodes_from(records.items())
        attrs = [c for c in self._connections.columns if c not in ("person1_id", "person2_id")]
        graph.add_edges_from(
            zip(
                self._connections["person1_id"],
                self._connections["person2_id"],
                self._connections[attrs].to_dict("records"),
            )
        )
        return graph

    @classmethod
    def from_networkx(
        cls,
        graph,
        *,
        id_col: str = "person_id",
        connection_type: str = "CONNECTED",
        domain: str | Domain = "custom",
        required_columns: tuple[str, ...] = (),
    ) -> SocialData:
        """Build from a networkx graph.

        Node attributes become people columns, edge attributes connection columns.

        Parameters
        ----------
        graph : networkx.Graph
            The graph; its nodes are the person ids.
        id_col : str, default="person_id"
            Name of the id column.
        connection_type : str, default="CONNECTED"
            Type of the edges that have no ``connection_type`` attribute.
        domain : str or Domain, default="custom"
            Vocabulary of connection types, see :class:`SocialData`.
        required_columns : tuple of str, default=()
            People columns that must be present besides the id.

        Returns
        -------
        data : SocialData
            The validated container.
        """
        nodes = list(graph.nodes(data=True))
        people = pd.DataFrame([attrs for _, attrs in nodes])
        people.insert(0, id_col, [n for n, _ in nodes])
        if id_col in people.columns[1:]:
            raise SchemaError(f"Node attribute {id_col!r} clashes with the id column name.")
        rows = [
            {"person1_id": u, "person2_id": v, **attrs} for u, v, attrs in graph.edges(data=True)
        ]
        edges = pd.DataFrame(rows, columns=None if rows else list(CONNECTION_COLUMNS))
        if "connection_type" not in edges.columns:
            edges["connection_type"] = connection_type
        else:
            edges["connection_type"] = edges["connection_type"].fillna(connection_type)
        return cls(people, edges, id_col=id_col, domain=domain, required_columns=required_columns)

    # -- export ------------------------------------------------------------------------------
    def save(self, directory: str | os.PathLike, *, format: str = "csv") -> dict[str, Path]:
        """Write ``people`` and ``connections`` to ``directory`` as CSV or Parquet.

        Files are written to temporary names first and renamed, so an error never
        leaves half a release behind.

        Parameters
        ----------
        directory : str or path-like
            Folder to write to (created if needed).
        format : {"csv", "parquet"}, default="csv"
            File format.

        Returns
        -------
        paths : dict of str to Path
            The written files, keyed ``"people"`` and ``"connections"``.
        """
        if format not in ("csv", "parquet"):
            raise ValueError(f"format must be 'csv' or 'parquet', got {format!r}.")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        out = {}
        tmp = []
        try:
            for name, frame in (("people", self._people), ("connections", self._connections)):
                path = directory / f"{name}.{format}"
                part = directory / f".{name}.{format}.partial"
                if format == "csv":
                    frame.to_csv(part, index=False)
                else:
                    frame.to_parquet(part, index=False)
                tmp.append((part, path))
                out[name] = path
            for part, path in tmp:
                os.replace(part, path)
        finally:
            for part, _ in tmp:
                if part.exists():
                    part.unlink()
        return out


def _rebuild(people, connections, id_col, domain, required_columns):
    obj = SocialData.__new__(SocialData)
    obj._init(people, connections, id_col, domain, required_columns)
    return obj


_FAMILY = ("SPOUSE", "PARENT", "CHILD", "SIBLING")


def domain_checks(data: SocialData) -> list[str]:
    """What looks wrong in valid data, one sentence each (vectorised, linear).

    PARENT cycles (someone their own ancestor), one pair with two family types (e.g.
    SPOUSE and PARENT), connection types differing only in case, and gender values with
    surrounding spaces.  (A person connected to themselves is an error in
    :meth:`SocialData.validate`.)
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    problems = []
    people, edges = data._people, data._connections
    if "gender" in people.columns:
        gender = people["gender"]
        textual = gender.dtype == object or pd.api.types.is_string_dtype(gender)
        text = gender.dropna().astype(str) if textual else gender.iloc[:0].astype(str)
        spaced = text[text.str.strip() != text]
        if len(spaced):
            problems.append(
                f"Column 'gender' has {len(spaced)} value(s) with surrounding spaces, e.g. "
                f"row {spaced.index[0]}: {spaced.iloc[0]!r} (read as a gender of its own); "
                "strip them (e.g. people['gender'] = people['gender'].str.strip())."
            )
    if not len(edges):
        return problems
    types = edges["connection_type"].astype(str)
    uniques = pd.Series(types.unique())
    folded = uniques.str.upper()
    variants = uniques[folded.duplicated(keep=False)]
    if len(variants):
        problems.append(
            f"Connection types {sorted(variants)[:6]} differ only in case and are counted as "
            "different types; write each type one way (e.g. all upper case)."
        )
    positions = pd.Index(people[data.id_col])
    a = positions.get_indexer(edges["person1_id"])
    b = positions.get_indexer(edges["person2_id"])
    upper = types.str.upper().to_numpy()
    family = np.isin(upper, _FAMILY)
    if family.any():
        lo, hi = np.minimum(a, b)[family], np.maximum(a, b)[family]
        kind = pd.Series(upper[family]).replace({"CHILD": "PARENT"})
        pairs = pd.DataFrame({"lo": lo, "hi": hi, "kind": kind.to_numpy()})
        n_kinds = pairs.groupby(["lo", "hi"], sort=False)["kind"].nunique()
        clash = n_kinds[n_kinds > 1]
        if len(clash):
            lo0, hi0 = clash.index[0]
            kinds = sorted(set(upper[family][(lo == lo0) & (hi == hi0)]))
            problems.append(
                f"{len(clash)} pair(s) of people have conflicting family connections, e.g. "
                f"{data.id_col} {positions[lo0]!r} and {positions[hi0]!r}: {kinds}; keep "
                "the right one."
            )
    parent = upper == "PARENT"  # person1 -> person2 is child -> parent
    child = upper == "CHILD"
    src = np.r_[a[parent], b[child]]
    dst = np.r_[b[parent], a[child]]
    if len(src):
        n = len(people)
        graph = coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n)).tocsr()
        n_comp, labels = connected_components(graph, directed=True, connection="strong")
        sizes = np.bincount(labels, minlength=n_comp)
        looped = np.flatnonzero(sizes[labels] > 1)
        if len(looped):
            example = [_py(v) for v in people[data.id_col].to_numpy()[looped[:3]]]
            problems.append(
                f"PARENT connections form a cycle (someone would be their own ancestor) "
                f"through {len(looped)} people, e.g. {example}; check the direction "
                "(person1_id is the child, person2_id the parent)."
            )
    return problems


def _check_ages(people: pd.DataFrame) -> None:
    """Ages: numeric years or generalised ranges, none missing, negative or infinite."""
    age = people["age"]
    numeric = pd.api.types.is_numeric_dtype(age) and not pd.api.types.is_bool_dtype(age)
    if not numeric and not _is_generalized_age(age):
        number = pd.to_numeric(age, errors="coerce")
        cells = (number.isna() & age.notna()).to_numpy()
        if cells.any() and not number[~cells].isna().any():
            pos = int(np.flatnonzero(cells)[0])
            raise InvalidValueError(
                f"Column 'age', row {people.index[pos]}: {_py(age.iloc[pos])!r} is not "
                f"numeric (a number of years; {int(cells.sum())} such cell(s), rows "
                f"{_rows(people.index[cells])}). Write the ages as numbers (e.g. 40) "
                "or generalised ranges such as '40-44', or drop those rows."
            )
        raise InvalidValueError(
            f"Column 'age' must be numeric (years) or generalised ranges such as "
            f"'40-44' or '*' (KAnonymizer output), got dtype {age.dtype} with values "
            f"like {age.head(3).tolist()}. Convert it, e.g. "
            "people['age'] = pd.to_numeric(people['age'])."
        )
    values = (
        age.to_numpy(dtype=float, na_value=np.nan)
        if numeric
        else np.where(age.isna().to_numpy(), np.nan, 0.0)
    )
    bad = np.isnan(values)
    if bad.any():
        raise InvalidValueError(
            f"Column 'age' has {int(bad.sum())} missing (NaN) value(s) at rows "
            f"{_rows(people.index[bad])}. Impute or drop those rows."
        )
    bad = values < 0
    if bad.any():
        raise InvalidValueError(
            f"Column 'age' has {int(bad.sum())} negative value(s) at rows "
            f"{_rows(people.index[bad])}, e.g. {values[bad][0]:g}. Ages are years >= 0."
        )
    bad = np.isinf(values)
    if bad.any():
        raise InvalidValueError(
            f"Column 'age' has {int(bad.sum())} infinite value(s) at rows "
            f"{_rows(people.index[bad])}. Ages are finite years >= 0: fix or drop "
            "those rows."
        )


def _check_flags(people: pd.DataFrame) -> None:
    """Event flags (``has_*``) and ``is_synthetic``: boolean."""
    for column in event_columns(people):
        col = people[column]
        if pd.api.types.is_bool_dtype(col) and not col.isna().any():
            continue
        ok = col.isin([0, 1, True, False]).to_numpy()
        if not ok.all():
            raise InvalidValueError(
                f"Event column {column!r} must be boolean (True/False or 0/1); rows "
                f"{_rows(people.index[~ok])} hold {col[~ok].head(3).tolist()}. "
                "Columns named has_* are event flags: convert or rename the column."
            )
    if not pd.api.types.is_bool_dtype(people["is_synthetic"]):
        raise InvalidValueError(
            "Column 'is_synthetic' of the people table must be boolean, got "
            f"{people['is_synthetic'].dtype}."
        )
