"""Synthetic people drawn from a pool of personas: a user DataFrame or Nemotron-Personas."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd

from personatwin_sklearn import census
from personatwin_sklearn.exceptions import (
    InvalidValueError,
    MissingColumnError,
    PersonaTwinError,
)
from personatwin_sklearn.providers._base import SyntheticPersonaProvider

__all__ = ["DataFrameProvider", "NemotronProvider", "NEMOTRON_COLUMNS"]

#: Columns of NVIDIA Nemotron-Personas-USA that the provider reads (others are ignored).
NEMOTRON_COLUMNS = ("sex", "age", "occupation", "zipcode", "state")
_NEMOTRON_OPTIONAL = ("marital_status", "education_level")
_GENDER_MAP = {"m": "M", "male": "M", "man": "M", "f": "F", "female": "F", "woman": "F"}
_DROP = ("person_id", "uuid", "is_synthetic", "persona")


def _normalise_gender(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    mapped = text.str.lower().map(_GENDER_MAP)
    return mapped.fillna(text).astype(object)


def _check_pool(pool, source: str) -> pd.DataFrame:
    if not isinstance(pool, pd.DataFrame):
        raise InvalidValueError(f"{source} must be a pandas DataFrame, got {type(pool).__name__}.")
    missing = [c for c in ("age", "gender") if c not in pool.columns]
    if missing:
        raise MissingColumnError(
            f"{source} is missing column(s) {missing} (it has {list(pool.columns)[:12]}). "
            "A persona pool needs at least 'age' and 'gender'."
        )
    if len(pool) == 0:
        raise InvalidValueError(f"{source} is empty: a persona pool needs at least one row.")
    age = pd.to_numeric(pool["age"], errors="coerce")
    bad = age.isna() | (age < 0)
    if bad.any():
        raise InvalidValueError(
            f"Column 'age' of {source} has {int(bad.sum())} missing, non-numeric or negative "
            f"value(s) at rows {list(np.flatnonzero(bad.to_numpy())[:5])}; fix or drop them."
        )
    frame = pool.drop(columns=[c for c in _DROP if c in pool.columns]).copy()
    frame["age"] = age.round().astype(np.int64).to_numpy()
    frame["gender"] = _normalise_gender(frame["gender"]).to_numpy()
    if "zipcode" in frame:
        frame["zipcode"] = census._normalise_zipcodes(frame["zipcode"])
    return frame.reset_index(drop=True)


def _pick_rows(pool: pd.DataFrame, conditions: pd.DataFrame, rng) -> tuple[np.ndarray, np.ndarray]:
    """A random pool row per condition row, matching sex and age bounds where possible.

    Returns the chosen row positions and a mask of rows that had to be widened (no pool
    row of that sex in the age bounds: any age of that sex, then anyone).
    Vectorised: the pool is sorted by (sex, age) and every request is a ``searchsorted``
    range, so the cost is O((pool + n) log pool).
    """
    n = len(conditions)
    gender = pool["gender"].to_numpy(dtype=object)
    code = np.select([gender == "M", gender == "F"], [0, 1], 2)
    age = np.clip(pool["age"].to_numpy(dtype=np.int64), 0, 999)
    order = np.lexsort((age, code))
    keys = (code * 1000 + age)[order]
    if "gender" in conditions:
        want = np.where(conditions["gender"].to_numpy(dtype=object) == "M", 0, 1)
    else:  # draw the sex from the pool's own shares
        share_f = float(np.mean(code[code < 2] == 1)) if (code < 2).any() else 0.5
        want = (rng.random_sample(n) < share_f).astype(np.int64)
    lo = conditions["age_min"].to_numpy() if "age_min" in conditions else np.zeros(n, np.int64)
    hi = conditions["age_max"].to_numpy() if "age_max" in conditions else np.full(n, 999)
    start = np.searchsorted(keys, want * 1000 + lo, side="left")
    end = np.searchsorted(keys, want * 1000 + np.minimum(hi, 999), side="right")
    widened = end <= start
    if widened.any():
        start = np.where(widened, np.searchsorted(keys, want * 1000, side="left"), start)
        end = np.where(widened, np.searchsorted(keys, want * 1000 + 999, side="right"), end)
        empty = end <= start
        start = np.where(empty, 0, start)
        end = np.where(empty, len(keys), end)
    pick = start + np.floor(rng.random_sample(n) * (end - start)).astype(np.int64)
    return order[pick], widened


class DataFrameProvider(SyntheticPersonaProvider):
    """Synthetic people drawn from a user-supplied pool of personas.

    Each requested person is a random pool row of the requested sex within the
    requested age bounds (the sex's whole pool, then the whole pool, when no row fits:
    the age is then drawn uniformly within the bounds).  Requested zip codes and
    ethnicities override the row's; a pool without ``ethnicity`` gets it from the
    zip code's census race shares, one without ``zipcode`` gets census zip codes.

    Parameters
    ----------
    pool : DataFrame
        Personas with at least ``age`` and ``gender`` (``M``/``F``; ``Male``/``Female``
        are read too); any other columns (``occupation``, ``education_level``, ...)
        are carried over.  Id columns (``person_id``, ``uuid``) are dropped.
    state : str, default="US"
        Census geography for zip codes / ethnicity the pool does not have.

    See Also
    --------
    NemotronProvider : The same over a Nemotron-Personas file.

    Examples
    --------
    >>> import pandas as pd
    >>> from personatwin_sklearn.providers import DataFrameProvider
    >>> pool = pd.DataFrame({"age": [30, 34, 61], "gender": ["F", "F", "M"],
    ...                      "occupation": ["nurse", "teacher", "farmer"]})
    >>> people = DataFrameProvider(pool, state="CO").sample(
    ...     2, random_state=0, distribution=pd.DataFrame({"gender": ["F", "F"]}))
    >>> set(people["occupation"]) <= {"nurse", "teacher"}
    True
    """

    def __init__(self, pool=None, state="US"):
        self.pool = pool
        self.state = state

    def _pool(self) -> pd.DataFrame:
        return _check_pool(self.pool, "DataFrameProvider's pool")

    def _sample(self, conditions: pd.DataFrame, rng) -> pd.DataFrame:
        home = census._check_state(self.state)
        pool = self._pool()
        n = len(conditions)
        rows, widened = _pick_rows(pool, conditions, rng)
        people = pool.iloc[rows].reset_index(drop=True)
        if "gender" in conditions:
            people["gender"] = conditions["gender"].to_numpy(dtype=object)
        lo = conditions["age_min"].to_numpy() if "age_min" in conditions else None
        hi = conditions["age_max"].to_numpy() if "age_max" in conditions else None
        if lo is not None or hi is not None:
            lo = lo if lo is not None else np.zeros(n, np.int64)
            hi = hi if hi is not None else np.full(n, 100)
            age = people["age"].to_numpy()
            outside = (age < lo) | (age > hi)
            redraw = lo + np.floor(rng.random_sample(n) * (hi - lo + 1)).astype(np.int64)
            people["age"] = np.where(outside, redraw, age).astype(np.int64)
        if "zipcode" in conditions:
            people["zipcode"] = conditions["zipcode"].to_numpy(dtype=object)
            if "state" in people and "state" not in conditions:
                state = census._zcta_state().reindex(people["zipcode"]).to_numpy(dtype=object)
                people["state"] = np.where(pd.isna(state), people["state"], state)
        elif "zipcode" not in people:
            people["zipcode"] = census.sample_zipcodes(n, rng, home) if n else []
        if "state" in conditions:
            people["state"] = conditions["state"].to_numpy(dtype=object)
        if "ethnicity" in conditions:
            people["ethnicity"] = conditions["ethnicity"].to_numpy(dtype=object)
        elif "ethnicity" not in people:
            people["ethnicity"] = (
                census.sample_ethnicity(None, rng, state=home, zipcodes=people["zipcode"])
                if n
                else []
            )
        if "occupation" not in people:
            people["occupation"] = (
                census.sample_occupation(people["age"].to_numpy(), people["gender"], rng)
                if n
                else []
            )
        first = ["age", "gender", "ethnicity", "zipcode", "occupation"]
        return people[first + [c for c in people.columns if c not in first]]


def _read_table(path: Path) -> pd.DataFrame:
    name = path.name.lower()
    try:
        if name.endswith(".parquet"):
            return pd.read_parquet(path)
        if name.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
            return pd.read_json(path, lines=True, dtype=False)
        if name.endswith((".json", ".json.gz")):
            return pd.read_json(path, dtype=False)
        if name.endswith((".csv", ".csv.gz", ".tsv")):
            return pd.read_csv(path, sep="\t" if name.endswith(".tsv") else ",", dtype=str)
    except (ValueError, OSError) as exc:
        raise InvalidValueError(
            f"Could not read the Nemotron-Personas file {str(path)!r}: {exc}".rstrip(".")
            + ". Is it a valid file of that format?"
        ) from None
    raise InvalidValueError(
        f"Unknown file type {path.name!r} for NemotronProvider: use .parquet, .csv, .tsv, "
        ".jsonl or .json."
    )


class NemotronProvider(DataFrameProvider):
    """Synthetic people drawn from a local copy of NVIDIA Nemotron-Personas-USA.

    Nothing is downloaded: pass the path of the dataset (CC BY 4.0, about one million
    personas) saved as Parquet, CSV, TSV or JSON Lines.  The columns ``sex, age,
    occupation, zipcode, state`` (and ``marital_status, education_level`` when
    present) are mapped to the project's schema (``sex`` -> ``gender`` M/F, zip codes
    as 5-character strings); the free-text persona columns are not used.  The dataset
    has no ethnicity: it is drawn from each zip code's census race shares (2010 Census
    by ZCTA).  The mapped table is cached as Parquet (never pickle) so later runs skip
    parsing.

    Parameters
    ----------
    path : str or path-like
        The local dataset file.
    cache_dir : str or path-like, default=None
        Where to cache the mapped table; default ``$PERSONATWIN_CACHE`` or
        ``~/.cache/personatwin_sklearn``.  ``False`` disables the cache.
    state : str, default="US"
        Restrict the pool to one state's personas (a 2-letter postal code), or ``"US"``.

    See Also
    --------
    CensusProvider : Needs no file.

    Examples
    --------
    >>> provider = NemotronProvider("nemotron_personas_usa.parquet")  # doctest: +SKIP
    >>> provider.sample(1000, random_state=0)  # doctest: +SKIP
    """

    def __init__(self, path=None, cache_dir=None, state="US"):
        self.path = path
        self.cache_dir = cache_dir
        self.state = state

    def _cache_file(self, path: Path) -> Path | None:
        if self.cache_dir is False:
            return None
        root = self.cache_dir or os.environ.get("PERSONATWIN_CACHE")
        root = Path(root) if root else Path.home() / ".cache" / "personatwin_sklearn"
        stat = path.stat()
        tag = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()
        return root / f"nemotron-{hashlib.sha256(tag).hexdigest()[:16]}.parquet"

    def _pool(self) -> pd.DataFrame:
        cached = getattr(self, "_pool_cache", None)
        if cached is not None and cached[0] == (self.path, self.state):
            return cached[1]
        if self.path is None:
            raise PersonaTwinError(
                "NemotronProvider needs path=: the location of a local copy of "
                "Nemotron-Personas-USA (Parquet/CSV/JSONL). Nothing is downloaded."
            )
        path = Path(self.path)
        if not path.is_file():
            raise PersonaTwinError(
                f"Nemotron-Personas file not found: {str(path)!r}. Download "
                "nvidia/Nemotron-Personas-USA (CC BY 4.0) on a machine with network access, "
                "save it as Parquet/CSV/JSONL and pass its path; or use provider='census'."
            )
        cache = self._cache_file(path)
        if cache is not None and cache.is_file():
            pool = pd.read_parquet(cache)
        else:
            pool = self._map(_read_table(path), path)
            if cache is not None:
                try:
                    cache.parent.mkdir(parents=True, exist_ok=True)
                    tmp = cache.with_suffix(".tmp")
                    pool.to_parquet(tmp, index=False)
                    os.replace(tmp, cache)
                except OSError:  # a read-only home: work without the cache
                    pass
        state = census._check_state(self.state)
        if state != "US":
            pool = pool.loc[pool["state"] == state].reset_index(drop=True)
            if pool.empty:
                raise InvalidValueError(
                    f"The Nemotron-Personas file has no persona in state {state!r}."
                )
        self._pool_cache = ((self.path, self.state), pool)
        return pool

    @staticmethod
    def _map(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
        missing = [c for c in NEMOTRON_COLUMNS if c not in raw.columns]
        if missing:
            raise MissingColumnError(
                f"{str(path)!r} is not in the Nemotron-Personas-USA schema: it lacks "
                f"column(s) {missing} (it has {list(raw.columns)[:12]}). Expected at least "
                f"{list(NEMOTRON_COLUMNS)}."
            )
        keep = list(NEMOTRON_COLUMNS) + [c for c in _NEMOTRON_OPTIONAL if c in raw.columns]
        frame = raw[keep].rename(columns={"sex": "gender"})
        frame = _check_pool(frame, f"Nemotron-Personas file {str(path)!r}")
        frame["occupation"] = frame["occupation"].astype("string").str.strip()
        frame["state"] = frame["state"].astype("string").str.strip().str.upper()
        # the dtypes a Parquet round trip gives, so cached and fresh pools are identical
        for column in frame.columns:
            if not pd.api.types.is_numeric_dtype(frame[column]):
                frame[column] = frame[column].astype("string").astype(str)
        return frame

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_pool_cache", None)  # re-read (from the Parquet cache) after unpickling
        return state
