"""Re-identification risk: k-anonymity, connection-pattern k, prosecutor-model risk."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.exceptions import MissingColumnError, PersonaTwinError
from personatwin_sklearn.patterns._core import compute_patterns
from personatwin_sklearn.patterns._dask import is_dask_frame as _is_dask

__all__ = [
    "DEFAULT_QUASI_IDENTIFIERS",
    "equivalence_class_sizes",
    "k_anonymity",
    "connection_pattern_k",
    "person_pattern_k",
    "reidentification_risk",
    "RiskReport",
]

# defined with the column roles (a lower module): _social_data -> _roles must not
# reach metrics, which imports _social_data
from personatwin_sklearn._roles import DEFAULT_QUASI_IDENTIFIERS  # noqa: E402


def _people_of(data) -> tuple[pd.DataFrame, np.ndarray]:
    if isinstance(data, SocialData):
        return data._people, data.is_synthetic
    if isinstance(data, pd.DataFrame):
        synth = (
            data["is_synthetic"].to_numpy(dtype=bool)
            if "is_synthetic" in data.columns
            else np.zeros(len(data), dtype=bool)
        )
        return data, synth
    raise TypeError(f"Expected a SocialData or a people DataFrame, got {type(data).__name__}.")


# -- out-of-core (Dask) path ---------------------------------------------------------------
def _dask_class_table(people, quasi_identifiers) -> tuple[list[str], pd.DataFrame]:
    """Equivalence classes of a Dask people table: one row per class with the
    quasi-identifier values, ``size`` (all rows) and ``n_real`` (non-synthetic rows).

    Only this per-class table is computed into memory.
    """
    from personatwin_sklearn.patterns._dask import require_dask

    require_dask()  # a Dask frame implies dask, but keep the message uniform
    qis = resolve_quasi_identifiers(people, quasi_identifiers)
    frame = people[qis].assign(size=1)
    if "is_synthetic" in people.columns:
        frame = frame.assign(n_real=(~people["is_synthetic"].astype(bool)).astype("int64"))
    else:
        frame = frame.assign(n_real=1)
    table = (
        frame.groupby(qis, dropna=False, observed=True)[["size", "n_real"]]
        .sum()
        .compute()
        .reset_index()
    )
    return qis, table


def _dask_row_sizes(people, qis, table) -> np.ndarray:
    """Class size of every row of a Dask people table, in row order."""
    sizes = table[[*qis, "size"]]

    def lookup(part: pd.DataFrame) -> pd.Series:
        merged = part[qis].merge(sizes, on=qis, how="left", sort=False)
        return pd.Series(merged["size"].to_numpy(dtype=np.int64), index=part.index)

    return people.map_partitions(lookup, meta=("size", "int64")).compute().to_numpy()


def resolve_quasi_identifiers(people: pd.DataFrame, quasi_identifiers=None) -> list[str]:
    """Choose the quasi-identifier columns (default: age, gender, ethnicity, zipcode present).

    The same rule is used by every metric and step, so they agree on the columns.

    Parameters
    ----------
    people : DataFrame
        The people table.
    quasi_identifiers : str, list of str or None, default=None
        Columns to use; ``None``: the default ones present.

    Returns
    -------
    quasi_identifiers : list of str
        The columns, checked to exist.

    See Also
    --------
    k_anonymity : Uses these columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from personatwin_sklearn.metrics import resolve_quasi_identifiers
    >>> resolve_quasi_identifiers(pd.DataFrame(columns=["age", "zipcode", "income"]))
    ['age', 'zipcode']
    """
    if quasi_identifiers is None:
        qis = [c for c in DEFAULT_QUASI_IDENTIFIERS if c in people.columns]
        if not qis:
            raise MissingColumnError(
                "None of the default quasi-identifiers "
                f"{list(DEFAULT_QUASI_IDENTIFIERS)} is a column; pass quasi_identifiers=[...]."
            )
        return qis
    qis = [quasi_identifiers] if isinstance(quasi_identifiers, str) else list(quasi_identifiers)
    missing = [c for c in qis if c not in people.columns]
    if missing:
        raise MissingColumnError(
            f"quasi_identifiers names column(s) {missing} that are not in the people table "
            f"(columns: {list(people.columns)}). Fix the names or drop them from the list."
        )
    if not qis:
        raise PersonaTwinError("quasi_identifiers is empty; name at least one column.")
    return qis


def _check_age_bin(age_bin) -> None:
    """``age_bin`` must be a whole number of years >= 1 (or None for exact ages)."""
    if age_bin is None:
        return
    if isinstance(age_bin, bool) or not isinstance(age_bin, (int, np.integer)) or age_bin < 1:
        raise PersonaTwinError(
            f"age_bin must be an integer >= 1 (years per age bucket) or None, got {age_bin!r}."
        )


def equivalence_class_sizes(data, quasi_identifiers=None) -> np.ndarray:
    """Give the size of each row's equivalence class (rows sharing all QI values).

    Missing values form a class of their own.  Synthetic rows count: an adversary
    cannot tell them apart.  ``data`` may be a Dask DataFrame (optional extra
    ``dask``): the classes are counted with Dask and only the per-class table and
    the returned array (one integer per row) are held in memory.

    Parameters
    ----------
    data : SocialData, DataFrame or dask.dataframe.DataFrame
        The people.
    quasi_identifiers : list of str, default=None
        Default: those of ``age, gender, ethnicity, zipcode`` present.

    Returns
    -------
    sizes : ndarray of int of shape (n_rows,)
        The class size of every row, in row order.

    See Also
    --------
    k_anonymity : The smallest of these sizes.

    Examples
    --------
    >>> import pandas as pd
    >>> from personatwin_sklearn.metrics import equivalence_class_sizes
    >>> equivalence_class_sizes(pd.DataFrame({"age": [30, 30, 40]})).tolist()
    [2, 2, 1]
    """
    if _is_dask(data):
        qis, table = _dask_class_table(data, quasi_identifiers)
        return _dask_row_sizes(data, qis, table)
    people, _ = _people_of(data)
    qis = resolve_quasi_identifiers(people, quasi_identifiers)
    if len(people) == 0:
        return np.zeros(0, dtype=np.int64)
    class_id = people.groupby(qis, sort=False, dropna=False, observed=True).ngroup().to_numpy()
    return np.bincount(class_id)[class_id]


def k_anonymity(data, quasi_identifiers=None) -> int:
    """Compute the smallest equivalence class size (the k of k-anonymity) over all rows.

    A table is k-anonymous when every combination of quasi-identifier values it
    releases is shared by at least k rows.

    Parameters
    ----------
    data : SocialData, DataFrame or dask.dataframe.DataFrame
        A Dask DataFrame is counted out of core (optional extra ``dask``): only the
        per-class table is brought into memory.
    quasi_identifiers : list of str, default=None
        Default: those of ``age, gender, ethnicity, zipcode`` present.

    Returns
    -------
    k : int
        0 for an empty table.

    See Also
    --------
    reidentification_risk : Risk figures from the same classes.

    Examples
    --------
    >>> import pandas as pd
    >>> from personatwin_sklearn.metrics import k_anonymity
    >>> k_anonymity(pd.DataFrame({"age": [30, 30, 40], "gender": ["F", "F", "M"]}))
    1
    """
    if _is_dask(data):
        _, table = _dask_class_table(data, quasi_identifiers)
        return int(table["size"].min()) if len(table) else 0
    sizes = equivalence_class_sizes(data, quasi_identifiers)
    return int(sizes.min()) if len(sizes) else 0


def person_pattern_k(data: SocialData, *, signature=None, age_bin=5, scope="edge") -> np.ndarray:
    """Give each person's connection-pattern k.

    That is the smallest k of their connection patterns (``scope="edge"``, NaN
    without connections) or the size of their neighbourhood class
    (``scope="neighborhood"``).

    Parameters
    ----------
    data : SocialData
        People and connections.
    signature : list of str or None, default=None
        Pattern signature, as in :class:`~personatwin_sklearn.ConnectionPatternAnalyzer`.
    age_bin : int, default=5
        Width of the partners' age buckets.
    scope : {"edge", "neighborhood"}, default="edge"
        Single patterns or whole 1-hop neighbourhoods.

    Returns
    -------
    k : ndarray of float of shape (n_people,)
        One value per person, in row order.

    See Also
    --------
    connection_pattern_k : The smallest of these values.

    Examples
    --------
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> from personatwin_sklearn.metrics import person_pattern_k
    >>> person_pattern_k(make_toy_population()).shape
    (12,)
    """
    if not isinstance(data, SocialData):
        raise TypeError(
            f"Expected a SocialData (people and connections), got {type(data).__name__}. "
            "Use personatwin_sklearn.load_data(people, connections)."
        )
    if scope not in ("edge", "neighborhood"):
        raise PersonaTwinError(f"scope must be 'edge' or 'neighborhood', got {scope!r}.")
    _check_age_bin(age_bin)
    index = compute_patterns(data, signature, age_bin)
    if scope == "edge":
        return index.person_min_k
    return index.neighborhoods()[1].astype(float)


def connection_pattern_k(
    data: SocialData, *, signature=None, age_bin=5, scope="edge", population="real"
) -> float:
    """Compute the smallest connection-pattern k over the people of ``population``.

    A connection pattern (connection type and partner attributes) with k = 1
    identifies its owner; the release promise is that this minimum is at least
    the target k.

    Parameters
    ----------
    data : SocialData
        People and connections.
    signature, age_bin, scope : object
        As in :class:`~personatwin_sklearn.ConnectionPatternAnalyzer`.
    population : {"real", "all"}, default="real"
        Whose patterns must be protected: the real people only (synthetic
        personas need no protection, but they do count towards k) or everyone.

    Returns
    -------
    k : float
        ``inf`` when nobody in ``population`` has a connection (edge scope).

    See Also
    --------
    person_pattern_k : The value of every person.

    Examples
    --------
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> from personatwin_sklearn.metrics import connection_pattern_k
    >>> connection_pattern_k(make_toy_population()) >= 1
    True
    """
    if population not in ("real", "all"):
        raise PersonaTwinError(f"population must be 'real' or 'all', got {population!r}.")
    person_k = person_pattern_k(data, signature=signature, age_bin=age_bin, scope=scope)
    mask = ~data.is_synthetic if population == "real" else np.ones(len(data), bool)
    values = person_k[mask]
    values = values[~np.isnan(values)]
    return float(values.min()) if len(values) else float("inf")


@dataclass(frozen=True)
class RiskReport:
    """Prosecutor-model re-identification risk (as in ARX).

    Returned by :func:`reidentification_risk`; a record's risk is 1 / the size of its
    equivalence class.

    Parameters
    ----------
    population_average_risk : float
        Mean over records of 1 / (equivalence class size).
    max_risk : float
        Highest record risk (1 / smallest class).
    records_at_risk : float
        Share of records whose risk exceeds ``threshold``.
    threshold : float
        Risk above which a record counts as at risk.
    n_records : int
        Records the averages are taken over.
    k : int
        Smallest equivalence class size among the records of ``population``.
    qi_neighborhood_average_risk, qi_neighborhood_max_risk, \
qi_neighborhood_records_at_risk : float or None
        The *quasi-identifier x neighbourhood class risk*: the same over classes of equal
        quasi-identifiers and equal multiset of connection patterns (exact labels).  Not
        the headline's ``combined`` adversary (a linkage attack that matches generalised
        cells); ``combined_average_risk``, ``combined_max_risk`` and
        ``combined_records_at_risk`` are read-only aliases kept for older code.
    min_connection_pattern_k : float or None
        Smallest edge-scope connection-pattern k of the records.

    See Also
    --------
    reidentification_risk : Computes it.

    Examples
    --------
    >>> import pandas as pd
    >>> from personatwin_sklearn.metrics import reidentification_risk
    >>> reidentification_risk(pd.DataFrame({"age": [30, 30]})).to_dict()["max_risk"]
    0.5
    """

    population_average_risk: float
    max_risk: float
    records_at_risk: float
    threshold: float
    n_records: int
    k: int
    qi_neighborhood_average_risk: float | None = None
    qi_neighborhood_max_risk: float | None = None
    qi_neighborhood_records_at_risk: float | None = None
    min_connection_pattern_k: float | None = None

    # "combined" names the headline's adversary only; these aliases keep older code working
    @property
    def combined_average_risk(self) -> float | None:
        """Alias of ``qi_neighborhood_average_risk`` (older name)."""
        return self.qi_neighborhood_average_risk

    @property
    def combined_max_risk(self) -> float | None:
        """Alias of ``qi_neighborhood_max_risk`` (older name)."""
        return self.qi_neighborhood_max_risk

    @property
    def combined_records_at_risk(self) -> float | None:
        """Alias of ``qi_neighborhood_records_at_risk`` (older name)."""
        return self.qi_neighborhood_records_at_risk

    def to_dict(self) -> dict:
        """Return the figures as a plain dict.

        Returns
        -------
        figures : dict
            Field name to value.
        """
        return asdict(self)


def _risk_figures(sizes: np.ndarray, threshold: float) -> tuple[float, float, float]:
    if len(sizes) == 0:
        return 0.0, 0.0, 0.0
    risk = 1.0 / sizes
    return float(risk.mean()), float(risk.max()), float(np.mean(risk > threshold))


def reidentification_risk(
    data,
    quasi_identifiers=None,
    *,
    threshold: float = 0.2,
    include_connections: bool | None = None,
    signature=None,
    age_bin: int = 5,
    population: str = "real",
) -> RiskReport:
    """Prosecutor-model re-identification risk of a release.

    Each record's risk is 1 / the size of its equivalence class; classes are
    counted over *all* released rows (synthetic ones included, since an adversary
    cannot tell them apart) and the figures are averaged over ``population``.

    Parameters
    ----------
    data : SocialData, DataFrame or dask.dataframe.DataFrame
        A Dask DataFrame of people (optional extra ``dask``) gets the
        quasi-identifier figures, computed from the per-class table only; the
        connection figures need a SocialData (for Dask connection tables see
        :func:`personatwin_sklearn.patterns.pattern_counts_dask`).
    quasi_identifiers : list of str, default=None
        Default: those of ``age, gender, ethnicity, zipcode`` present.
    threshold : float, default=0.2
        Risk above which a record counts as "at risk" (0.2 = class smaller than 5).
    include_connections : bool, default=None
        Also compute the quasi-identifier x neighbourhood class risk (classes of
        quasi-identifiers x connection neighbourhood; default: when ``data`` is a
        SocialData).
    signature : list of str or None, default=None
        Connection pattern signature (see ConnectionPatternAnalyzer).
    age_bin : int, default=5
        Width of the partners' age buckets.
    population : {"real", "all"}, default="real"
        Records the averages are taken over.

    Returns
    -------
    report : RiskReport
        The risk figures.

    See Also
    --------
    k_anonymity : The k alone.

    Examples
    --------
    >>> import pandas as pd
    >>> from personatwin_sklearn.metrics import reidentification_risk
    >>> people = pd.DataFrame({"age": [30, 30, 40], "gender": ["F", "F", "M"]})
    >>> r = reidentification_risk(people)
    >>> round(r.population_average_risk, 3), r.max_risk
    (0.667, 1.0)
    """
    if not 0 <= threshold <= 1:
        raise PersonaTwinError(f"threshold must lie in [0, 1], got {threshold!r}.")
    if population not in ("real", "all"):
        raise PersonaTwinError(f"population must be 'real' or 'all', got {population!r}.")
    if _is_dask(data):
        if include_connections:
            raise TypeError(
                "include_connections=True needs a SocialData; for a Dask DataFrame of people "
                "the connection patterns are counted by "
                "personatwin_sklearn.patterns.pattern_counts_dask(people, connections)."
            )
        return _dask_risk(data, quasi_identifiers, threshold, population)
    people, synth = _people_of(data)
    qis = resolve_quasi_identifiers(people, quasi_identifiers)
    sizes = equivalence_class_sizes(people, qis)
    mask = ~synth if population == "real" else np.ones(len(people), bool)
    avg, mx, at_risk = _risk_figures(sizes[mask], threshold)
    report = dict(
        population_average_risk=avg,
        max_risk=mx,
        records_at_risk=at_risk,
        threshold=threshold,
        n_records=int(mask.sum()),
        k=int(sizes[mask].min()) if mask.any() else 0,
    )
    if include_connections is None:
        include_connections = isinstance(data, SocialData)
    if include_connections:
        if not isinstance(data, SocialData):
            raise TypeError("include_connections=True needs a SocialData.")
        _check_age_bin(age_bin)
        index = compute_patterns(data, signature, age_bin)
        class_id, _ = index.neighborhoods()
        qi_class = people.groupby(qis, sort=False, dropna=False, observed=True).ngroup()
        combined = pd.DataFrame({"q": qi_class.to_numpy(), "n": class_id})
        cid = combined.groupby(["q", "n"], sort=False).ngroup().to_numpy()
        csizes = np.bincount(cid)[cid] if len(cid) else cid
        cavg, cmx, cat = _risk_figures(csizes[mask], threshold)
        pk = index.person_min_k[mask]
        pk = pk[~np.isnan(pk)]
        report.update(
            qi_neighborhood_average_risk=cavg,
            qi_neighborhood_max_risk=cmx,
            qi_neighborhood_records_at_risk=cat,
            min_connection_pattern_k=float(pk.min()) if len(pk) else float("inf"),
        )
    return RiskReport(**report)


def _dask_risk(people, quasi_identifiers, threshold, population) -> RiskReport:
    """Quasi-identifier part of :func:`reidentification_risk` from the per-class table."""
    _, table = _dask_class_table(people, quasi_identifiers)
    size = table["size"].to_numpy(dtype=np.int64)
    weight = table["n_real" if population == "real" else "size"].to_numpy(dtype=np.int64)
    present = weight > 0
    n_records = int(weight.sum())
    if n_records == 0:
        avg = mx = at_risk = 0.0
        k = 0
    else:
        risk = 1.0 / size[present]
        avg = float(np.sum(weight[present] * risk) / n_records)
        mx = float(risk.max())
        at_risk = float(weight[present][risk > threshold].sum() / n_records)
        k = int(size[present].min())
    return RiskReport(
        population_average_risk=avg,
        max_risk=mx,
        records_at_risk=at_risk,
        threshold=threshold,
        n_records=n_records,
        k=k,
    )
