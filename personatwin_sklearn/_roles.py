"""Column roles of a release, and the detection of direct identifiers.

Every people column of a release has one role (as in ARX and sdcMicro):

``id``
    the id column; replaced by pseudonyms in the published files.
``quasi-identifier``
    generalised to k-anonymity and counted in the risk (default: ``age, gender,
    ethnicity, zipcode`` where present).
``kept``
    published as it is, by explicit choice (``keep=[...]``).  ``occupation`` and the
    ``has_*`` event flags are kept by default: they are the partner attributes of the
    connection patterns, which the connection protection makes k-anonymous.
``dropped``
    left out before any work (``drop=[...]``).

Any other column is an error before any work (:class:`UndeclaredColumnError`).  Columns
that look like direct identifiers (by name: ``name``, ``ssn``, ``email``, ``phone``,
``address``, ``dob``, ``*_id``, ...; by content: SSN, e-mail, phone-number and
street-address patterns) are refused even when kept or generalised, unless listed in
``allow_identifiers``.  A kept column that determines a quasi-identifier on the data
(``education_num`` -> ``education``) is refused too: publishing it exactly would undo
the generalisation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from personatwin_sklearn.exceptions import (
    DependentColumnError,
    DirectIdentifierError,
    DuplicateColumnError,
    InvalidValueError,
    MissingColumnError,
    SchemaError,
    UndeclaredColumnError,
)

#: Quasi-identifiers used when none are named (those of them present).
DEFAULT_QUASI_IDENTIFIERS = ("age", "gender", "ethnicity", "zipcode")

__all__ = [
    "ColumnRoles",
    "DEFAULT_KEPT",
    "DEFAULT_AGE_RANGE",
    "check_age_range",
    "check_unique_columns",
    "detect_direct_identifiers",
    "resolve_roles",
]

#: Columns published as they are without a declaration (besides ``has_*`` flags).
DEFAULT_KEPT = ("occupation",)
#: Columns the package itself maintains; never published.
INTERNAL_COLUMNS = ("is_synthetic",)
#: Plausible ages in years (inclusive).
DEFAULT_AGE_RANGE = (0, 120)

# -- direct identifiers by name ---------------------------------------------------------------
_NAME_TOKENS = {
    "name", "names", "fullname", "firstname", "lastname", "surname", "forename", "givenname",
    "familyname", "middlename", "maidenname", "username", "nickname",
    "ssn", "ssns", "socialsecurity", "sin", "nino", "tin", "itin",
    "email", "emails", "mail", "phone", "phones", "telephone", "tel", "mobile", "cellphone",
    "fax", "address", "addresses", "addr", "street", "dob", "birthdate", "birthday",
    "passport", "license", "licence", "iban", "creditcard", "ccn", "ip", "ipaddress", "mrn",
    "medicare", "medicaid", "npi", "url", "website", "latitude", "longitude", "gps",
    "id", "ids", "uuid", "guid",
}  # fmt: skip
_NAME_BIGRAMS = {
    "dateofbirth", "socialsecurity", "securitynumber", "emailaddress", "phonenumber",
    "streetaddress", "homeaddress", "mailingaddress", "postaladdress", "driverslicense",
    "driverlicense", "licensenumber", "passportnumber", "recordnumber", "accountnumber",
    "cardnumber", "taxid", "nationalid", "birthdate", "firstname", "lastname", "fullname",
}  # fmt: skip

# -- direct identifiers by content ------------------------------------------------------------
_CONTENT_PATTERNS = {
    "social security numbers": r"(?<!\d)\d{3}[- ]\d{2}[- ]\d{4}(?!\d)",
    "e-mail addresses": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    "phone numbers": (
        r"(?<![\d-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\d-])"
    ),
    "street addresses": (
        r"(?i:\b\d{1,6}\s+(?:[NSEW]\.?\s+)?"
        r"(?:(?!(?:the|a|an|on|in|of|to|my|his|her|their|our|your|by|at|for|and|or|is|was)"
        r"\s)[A-Za-z0-9.'-]+\s+){1,3}"
        r"(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|way|ct|court|pl|"
        r"place|ter|terrace|pkwy|parkway|cir|circle|hwy|highway|sq|square)\b\.?)"
    ),
}


def _tokens(name) -> list[str]:
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name))
    return [t for t in re.split(r"[^A-Za-z0-9]+", text.lower()) if t]


def _identifier_by_name(name) -> str | None:
    tokens = _tokens(name)
    for token in tokens:
        if token in _NAME_TOKENS:
            return f"its name contains {token!r}"
    for a, b in zip(tokens, tokens[1:]):
        if a + b in _NAME_BIGRAMS:
            return f"its name contains {a + '_' + b!r}"
    joined = "".join(tokens)
    for word in _NAME_BIGRAMS:
        if word in joined:
            return f"its name contains {word!r}"
    return None


#: Look-around-free supersets of the patterns, run first by pyarrow's RE2 (linear time,
#: vectorised); only their matches are checked with the exact (Python) patterns.
_PREFILTERS = {
    "social security numbers": r"\d{3}[- ]\d{2}[- ]\d{4}",
    "e-mail addresses": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    "phone numbers": r"(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}",
    "street addresses": (
        r"(?i)\d{1,6}\s+(?:\S+\s+){1,4}(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|"
        r"drive|ln|lane|way|ct|court|pl|place|ter|terrace|pkwy|parkway|cir|circle|hwy|"
        r"highway|sq|square)\b"
    ),
}


def _candidates(text, what: str) -> np.ndarray:
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pandas 3 installs pyarrow
        return np.ones(len(text), dtype=bool)
    hit = pc.match_substring_regex(pa.array(text), _PREFILTERS[what])
    return np.asarray(hit.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _identifier_by_content(values: pd.Series) -> str | None:
    """Scan the distinct text values (few for coded columns): a vectorised RE2 prefilter,
    then the exact pattern on its matches; name the kind and the first row holding one."""
    if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
        return None
    present = values.dropna()
    if not len(present):
        return None
    if isinstance(values.dtype, pd.StringDtype):
        distinct = present.unique()  # stays an Arrow array for pandas' str dtype
    else:  # object or categorical
        distinct = pd.unique(present.to_numpy(dtype=object))
        distinct = distinct[[isinstance(v, str) for v in distinct]].astype(str)
    if not len(distinct):
        return None
    for what, pattern in _CONTENT_PATTERNS.items():
        candidates = np.asarray(distinct, dtype=object)[_candidates(distinct, what)]
        if not len(candidates):
            continue
        exact = pd.Series(candidates, dtype=object).str.contains(pattern, regex=True)
        found = candidates[exact.to_numpy(dtype=bool)]
        if len(found):
            rows = present.isin(set(found)).to_numpy()
            first = present.index[int(np.flatnonzero(rows)[0])]
            return (
                f"{int(rows.sum())} of its {len(present)} values hold {what} (first at row "
                f"{first})"
            )
    return None


def detect_direct_identifiers(people: pd.DataFrame, columns=None) -> dict:
    """Columns that look like direct identifiers, with the reason.

    Parameters
    ----------
    people : DataFrame
    columns : list, default=None
        Columns to check (default: all).

    Returns
    -------
    dict
        ``{column: reason}``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"email": ["a@b.org"], "notes": ["call 555-123-4567"],
    ...                       "age": [40]})
    >>> sorted(detect_direct_identifiers(frame))
    ['email', 'notes']
    """
    out = {}
    for column in people.columns if columns is None else columns:
        reason = _identifier_by_name(column) or _identifier_by_content(people[column])
        if reason:
            out[column] = reason
    return out


def check_unique_columns(frame: pd.DataFrame, what: str = "people") -> None:
    """Refuse duplicate column names (``age`` twice would publish exact ages)."""
    names = pd.Index([str(c) for c in frame.columns])
    dup = names[names.duplicated()].unique().tolist()
    if dup:
        raise DuplicateColumnError(
            f"The {what} table has duplicate column name(s) {dup}: which one is meant is "
            "ambiguous (and the other would be published as it is). Rename or remove the "
            "duplicates so every column name appears once."
        )


def _nested_columns(frame: pd.DataFrame) -> list[str]:
    """Columns holding lists, arrays, sets or objects in their cells."""
    out = []
    for column in frame.columns:
        values = frame[column]
        if values.dtype != object:
            continue
        kind = pd.api.types.infer_dtype(values, skipna=True)  # in C; no loop in Python
        if kind in ("string", "empty", "integer", "floating", "mixed-integer-float",
                    "boolean", "decimal", "bytes", "date", "datetime"):  # fmt: skip
            continue
        if values.map(lambda v: isinstance(v, (list, tuple, set, dict, np.ndarray))).any():
            out.append(column)
    return out


def check_flat(frame: pd.DataFrame, what: str, source=None) -> None:
    """Refuse a column whose cells hold lists/arrays/objects, naming the column and row."""
    nested = _nested_columns(frame)
    if not nested:
        return
    column = nested[0]
    cells = frame[column].map(lambda v: isinstance(v, (list, tuple, set, dict, np.ndarray)))
    row = frame.index[cells.to_numpy(dtype=bool)][0]
    value = " ".join(repr(frame[column].loc[row]).split())[:40]
    where = f" of {str(source)!r}" if source is not None else ""
    more = f" (and {len(nested) - 1} more column(s))" if len(nested) > 1 else ""
    raise SchemaError(
        f"Column {column!r} of the {what} table{where} holds nested values (lists, arrays "
        f"or objects), e.g. row {row}: {value}{more}; each cell must hold one value. "
        "Remove the column from the file, or turn it into plain columns (one value each)."
    )


def check_age_range(people: pd.DataFrame, age_range=DEFAULT_AGE_RANGE) -> None:
    """Ages outside ``age_range`` (inclusive) are an error naming the rows."""
    if age_range is None or "age" not in people.columns:
        return
    try:
        low, high = (float(v) for v in age_range)
    except (TypeError, ValueError):
        raise InvalidValueError(
            f"age_range must be a pair (min, max) of years, got {age_range!r}."
        ) from None
    age = people["age"]
    if not pd.api.types.is_numeric_dtype(age) or pd.api.types.is_bool_dtype(age):
        return  # generalised ranges, or a dtype problem validate() reports
    values = age.to_numpy(dtype=float, na_value=np.nan)
    bad = (values < low) | (values > high)
    if bad.any():
        rows = people.index[bad].tolist()
        more = f" (and {len(rows) - 5} more)" if len(rows) > 5 else ""
        raise InvalidValueError(
            f"Column 'age' has {int(bad.sum())} value(s) outside the plausible range "
            f"{low:g}-{high:g} at rows {rows[:5]}{more}, e.g. {values[bad][0]:g}. Fix or drop "
            f"those rows, or widen the range (age_range=({low:g}, {high + 10:g}); command "
            f"line: --age-range {low:g} {high + 10:g})."
        )


def _names(value, what) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        return list(value)
    except TypeError:
        raise SchemaError(f"{what} must be a list of column names, got {value!r}.") from None


@dataclass(frozen=True)
class ColumnRoles:
    """The role of every people column of a release (see the module docstring)."""

    id_col: str
    quasi_identifiers: tuple
    kept: tuple
    dropped: tuple
    allowed_identifiers: tuple = ()

    def public_columns(self, people: pd.DataFrame) -> list:
        """The columns of ``people`` that may be published, in table order."""
        allowed = {self.id_col, *self.quasi_identifiers, *self.kept}
        return [c for c in people.columns if c in allowed]

    def to_dict(self) -> dict:
        return {
            "id": self.id_col,
            "quasi_identifiers": list(self.quasi_identifiers),
            "kept": list(self.kept),
            "dropped": list(self.dropped),
            "allowed_identifiers": list(self.allowed_identifiers),
        }


def _listed(names, limit: int = 8) -> str:
    """``['a', 'b', ...]`` with at most ``limit`` names (5,000 columns stay one short line)."""
    names = list(names)
    if len(names) <= limit:
        return repr(names)
    return repr(names[:limit])[:-1] + f", ... and {len(names) - limit} more]"


def _fix_hint(columns) -> str:
    first = columns[0]
    return (
        f"keep=[{first!r}, ...] to publish as is, drop=[{first!r}, ...] to leave out, or "
        f"add to quasi_identifiers=[...] to generalise (command line: --keep-column {first}, "
        f"--drop-column {first}, --quasi-identifiers ...)"
    )


def _check_declared(columns, id_col, keep_l, drop_l, allow_l, qi_l) -> None:
    """The declared roles name existing columns, one role each, never the id or an
    internal column."""
    for what, names in (
        ("keep", keep_l),
        ("drop", drop_l),
        ("allow_identifiers", allow_l),
        ("quasi_identifiers", qi_l),
    ):
        missing = [c for c in names if c not in columns]
        if missing:
            raise MissingColumnError(
                f"{what} names column(s) {missing} that are not in the people table "
                f"(columns: {columns}). Fix the names."
            )
    for (a, la), (b, lb) in (
        (("keep", keep_l), ("drop", drop_l)),
        (("keep", keep_l), ("quasi_identifiers", qi_l)),
        (("drop", drop_l), ("quasi_identifiers", qi_l)),
    ):
        both = [c for c in la if c in lb]
        if both:
            raise SchemaError(
                f"Column(s) {both} are in both {a} and {b}; give each column one role."
            )
    special = [c for c in (id_col, *INTERNAL_COLUMNS) if c in keep_l + drop_l + qi_l]
    if special:
        raise SchemaError(
            f"Column(s) {special} cannot take a role: {id_col!r} is the id (published as "
            "pseudonyms) and 'is_synthetic' is internal. Remove them from keep/drop/"
            "quasi_identifiers."
        )


def _check_undeclared(people, id_col, qis, kept, drop_l, allow_l) -> None:
    """Every column has a role, and no published one looks like a direct identifier
    (unless allowed)."""
    columns = list(people.columns)
    special = {id_col, *INTERNAL_COLUMNS}
    undeclared = [
        c for c in columns if c not in special and c not in qis and c not in kept + drop_l
    ]
    if undeclared:
        suspects = detect_direct_identifiers(people, undeclared)
        note = (
            f" {_listed(sorted(suspects, key=str))} look like direct identifiers: drop them."
            if suspects
            else ""
        )
        raise UndeclaredColumnError(
            f"The people table has {len(undeclared)} column(s) {_listed(undeclared)} with no "
            "declared role; an "
            f"undeclared column is never published by default.{note} Give each one a role: "
            + _fix_hint(undeclared)
            + "."
        )
    to_check = [c for c in qis + kept if c not in allow_l]
    suspects = detect_direct_identifiers(people, to_check)
    if suspects:
        column, reason = next(iter(suspects.items()))
        others = [c for c in suspects if c != column]
        also = f" (also {others})" if others else ""
        raise DirectIdentifierError(
            f"Column {column!r} looks like a direct identifier: {reason}{also}. Direct "
            f"identifiers are never published: drop it (drop=[{column!r}]; command line: "
            f"--drop-column {column}). If it is not one, say so with "
            f"allow_identifiers=[{column!r}] (--allow-identifier {column})."
        )


def resolve_roles(
    people: pd.DataFrame,
    *,
    id_col: str = "person_id",
    quasi_identifiers=None,
    keep=None,
    drop=None,
    allow_identifiers=None,
    check_dependencies: bool = True,
) -> ColumnRoles:
    """Give every people column a role, or raise naming the columns and the fix.

    Parameters
    ----------
    people : DataFrame
    id_col : str, default="person_id"
    quasi_identifiers : list of str, default=None
        Default: those of ``age, gender, ethnicity, zipcode`` present and not in
        ``keep`` / ``drop``.
    keep, drop : list of str, default=None
        Columns published as they are / left out.  ``occupation`` and ``has_*`` flags
        are kept unless dropped or made quasi-identifiers.
    allow_identifiers : list of str, default=None
        Columns that look like direct identifiers but are not (explicit override).
    check_dependencies : bool, default=True
        Refuse a kept column that determines a quasi-identifier on the data.

    Returns
    -------
    ColumnRoles

    Raises
    ------
    UndeclaredColumnError, DirectIdentifierError, DependentColumnError,
    DuplicateColumnError, MissingColumnError

    Examples
    --------
    >>> import pandas as pd
    >>> people = pd.DataFrame({"person_id": [1, 2], "age": [30, 40], "gender": ["F", "M"],
    ...                        "income": [10, 20], "notes": ["a", "b"]})
    >>> roles = resolve_roles(people, keep=["income"], drop=["notes"])
    >>> roles.quasi_identifiers, roles.kept, roles.dropped
    (('age', 'gender'), ('income',), ('notes',))
    """
    check_unique_columns(people)
    keep_l = _names(keep, "keep")
    drop_l = _names(drop, "drop")
    allow_l = _names(allow_identifiers, "allow_identifiers")
    qi_given = quasi_identifiers is not None
    qi_l = _names(quasi_identifiers, "quasi_identifiers")
    columns = list(people.columns)
    _check_declared(columns, id_col, keep_l, drop_l, allow_l, qi_l)
    declared = set(keep_l) | set(drop_l)
    if qi_given:
        qis = qi_l
        if not qis:
            raise SchemaError("quasi_identifiers is empty; name at least one column.")
    else:
        qis = [c for c in DEFAULT_QUASI_IDENTIFIERS if c in columns and c not in declared]
        if not qis:
            raise MissingColumnError(
                f"None of the default quasi-identifiers {list(DEFAULT_QUASI_IDENTIFIERS)} "
                "is a column (or all are kept/dropped); pass quasi_identifiers=[...] "
                "(command line: --quasi-identifiers COL ...)."
            )
    defaults = [
        c
        for c in columns
        if (c in DEFAULT_KEPT or (isinstance(c, str) and c.startswith("has_")))
        and c not in declared
        and c not in qis
    ]
    kept = [c for c in columns if c in keep_l or c in defaults]
    _check_undeclared(people, id_col, qis, kept, drop_l, allow_l)
    if check_dependencies:
        _check_dependencies(people, [c for c in kept if c not in allow_l], qis)
    return ColumnRoles(
        id_col=id_col,
        quasi_identifiers=tuple(qis),
        kept=tuple(kept),
        dropped=tuple(c for c in columns if c in drop_l),
        allowed_identifiers=tuple(allow_l),
    )


def _check_dependencies(people: pd.DataFrame, kept, qis) -> None:
    """A kept column whose every value maps to one value of a quasi-identifier (a
    functional dependency on the data) would undo its generalisation.

    Checked where the kept column has at least 10 rows per value on average, so that a
    dependency is not chance (education_num -> education on UCI Adult: 16 values,
    30,162 rows).
    """
    real = people
    if "is_synthetic" in people.columns:
        real = people.loc[~people["is_synthetic"].to_numpy(dtype=bool)]
    n = len(real)
    qi_codes = {}
    for q in qis:
        codes, uniques = pd.factorize(real[q], use_na_sentinel=False)
        if len(uniques) >= 2:
            qi_codes[q] = codes
    for column in kept:
        values = real[column]
        n_values = values.nunique(dropna=False)
        if n_values < 2 or n < 10 * n_values:
            # constant, or too few rows per value to tell a dependency from chance
            # (a near-unique column is a sensitive value, not a key to a QI)
            continue
        codes = pd.factorize(values, use_na_sentinel=False)[0].astype(np.int64)
        for q, q_codes in qi_codes.items():
            pairs = np.unique(codes * (int(q_codes.max()) + 1) + q_codes)
            if len(pairs) == n_values:  # each value of the kept column -> one value of q
                raise DependentColumnError(
                    f"Kept column {column!r} determines quasi-identifier {q!r} (each of its "
                    f"{n_values} values goes with one value of {q!r} in the data), so "
                    f"publishing it as is would undo the generalisation of {q!r}. Drop it "
                    f"(drop=[{column!r}]; --drop-column {column}) or generalise it too "
                    f"(quasi_identifiers=[..., {column!r}])."
                )
