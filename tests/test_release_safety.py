"""Release safety (issue 12): nothing identifying leaves by accident, and the release
cannot be undone from its own files.

* A corpus of malformed and hostile inputs runs through the command line and the API:
  every case ends in a correct release or a one-line error naming the column, row or
  line and the fix, with no traceback and no partial or stale file.
* Direct identifiers are refused by default; with explicit roles none reaches a public
  file.
* The same ``random_state`` gives the same protected content, but fresh pseudonyms and
  row order (from ``secrets``): knowing the seed tells real from synthetic rows no better
  than chance.
* A save killed with SIGKILL leaves no file linking pseudonyms to ids outside the
  private folder, and the next run cleans up.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from personatwin_sklearn import create_safe_personas, load_data, read_pajek, read_snap_edgelist
from personatwin_sklearn._release import (
    MARKER,
    csprng_permutation,
    neutralise_formulas,
    synthetic_ids_like,
)
from personatwin_sklearn._roles import detect_direct_identifiers, resolve_roles
from personatwin_sklearn.cli import main
from personatwin_sklearn.exceptions import (
    DependentColumnError,
    DirectIdentifierError,
    PersonaTwinError,
    ReleaseError,
    SchemaError,
    UndeclaredColumnError,
    UnknownTemplateError,
)

PUBLIC = {"people.csv", "connections.csv", "risk_metrics.json", "report.html", MARKER}
PRIVATE = {"people_synthetic_flags.csv", "connections_synthetic_flags.csv", MARKER}
N = 40


# -- inputs -----------------------------------------------------------------------------------
def people_frame(n=N) -> pd.DataFrame:
    i = np.arange(n)
    return pd.DataFrame(
        {
            "person_id": i + 1,
            "age": 20 + (i * 7) % 50,
            "gender": np.where(i % 2, "F", "M"),
            "ethnicity": np.array(["white", "black", "asian"])[i % 3],
            "zipcode": np.array(["80202", "80203", "80301", "80302"])[i % 4],
            "occupation": np.array(["sales", "education", "health", "office"])[(i // 2) % 4],
            "has_record": i % 5 == 0,
        }
    )


def _cycle(values, n=N):
    """Values by pairs of rows, so that they determine neither gender nor ethnicity."""
    return np.array(values, dtype=object)[(np.arange(n) // 2) % len(values)]


def edge_frame(n=N) -> pd.DataFrame:
    a = np.arange(1, n // 2)
    return pd.DataFrame(
        {
            "person1_id": a,
            "person2_id": a + 1,
            "connection_type": np.array(["SPOUSE", "FRIEND", "SIBLING"])[a % 3],
        }
    )


@dataclass
class Inputs:
    people: object
    edges: object = None
    opts: dict = field(default_factory=dict)  # roles, k, ... (both CLI and API)
    cli: list = field(default_factory=list)  # command-line only extras
    out: str = "release"


def _csv(d: Path, frame: pd.DataFrame, name="people.csv") -> Path:
    path = d / name
    frame.to_csv(path, index=False)
    return path


def _text(d: Path, text, name="people.csv") -> Path:
    path = d / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _people(d, frame=None, **kw):
    return Inputs(_csv(d, people_frame() if frame is None else frame), **kw)


def _with_edges(d, people=None, edges=None, **kw):
    people = people_frame() if people is None else people
    edges = edge_frame() if edges is None else edges
    return Inputs(_csv(d, people), _csv(d, edges, "edges.csv"), **kw)


# -- checks of a successful release -------------------------------------------------------------
def _public_text(out: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(out.iterdir()))


def no_value_of(column):
    """None of the input's values of ``column`` appears in a public file."""

    def check(out, private, source):
        text = _public_text(out)
        for value in source[column].dropna().astype(str):
            assert value not in text, f"{column} value {value!r} is published"

    return check


def zips_keep_leading_zero(out, private, source):
    zips = pd.read_csv(out / "people.csv", dtype=str)["zipcode"]
    assert (zips.str.len() == 5).all(), zips.tolist()
    assert zips.str.startswith(("0", "*")).all(), zips.tolist()


def ids_keep_leading_zeros(out, private, source):
    flags = pd.read_csv(private / "people_synthetic_flags.csv", dtype=str)
    real = flags.loc[flags["is_synthetic"] == "False", "original_person_id"]
    assert set(real) == set(source["person_id"].astype(str)), real.head().tolist()


def formulas_neutralised(out, private, source):
    people = pd.read_csv(out / "people.csv", dtype=str)
    risky = people["occupation"].str.startswith(("=", "+", "-", "@"))
    assert not risky.any(), people["occupation"][risky].tolist()
    assert people["occupation"].str.startswith("'=").any()


def column_published(column, exact=True):
    def check(out, private, source):
        people = pd.read_csv(out / "people.csv", dtype=str)
        assert column in people.columns
        if exact:  # as in the input, or coarsened by the connection step ('*', 'a|b')
            values = set(people[column].dropna())
            coarsened = {v for v in values if v == "*" or "|" in v}
            assert values - coarsened <= set(source[column].astype(str))

    return check


def column_absent(*columns):
    def check(out, private, source):
        people = pd.read_csv(out / "people.csv", nrows=1)
        assert not set(columns) & set(people.columns)
        for column in columns:
            if column in source:
                no_value_of(column)(out, private, source)

    return check


def no_connections(out, private, source):
    assert len(pd.read_csv(out / "connections.csv")) == 0


# -- the corpus -----------------------------------------------------------------------------------
CASES: dict[str, tuple] = {}


def case(name, expect=None, check=None, cli_only=False):
    """Register ``builder(d) -> Inputs``; ``expect``: words of the one-line error (a
    pair ``(cli, api)`` when they differ), None for a release; ``check(out, private,
    source)`` checks a release."""

    def register(builder):
        assert name not in CASES
        CASES[name] = (builder, expect, check, cli_only)
        return builder

    return register


def _bad(name, expect, mutate, check=None, **kw):
    case(name, expect, check, **kw)(lambda d: _people(d, mutate(people_frame())))


# unreadable or empty people files
case("empty file", "people")(lambda d: Inputs(_text(d, "")))
case("header only", ("larger than the number of people", "only 0 real people"))(
    lambda d: Inputs(_text(d, "person_id,age,gender\n"))
)
case("unterminated quote", "people.csv")(
    lambda d: Inputs(_text(d, 'person_id,age,gender\n1,40,M\n"2,41,F\n3,42,M\n'))
)
case("semicolon separated", "missing required column")(
    lambda d: Inputs(_text(d, "person_id;age;gender\n1;40;M\n"))
)
case("latin-1 bytes", "UTF-8")(
    lambda d: Inputs(
        _text(d, "person_id,age,gender,occupation\n1,40,M,caf\xe9\n".encode("latin-1"))
    )
)
case("binary garbage", "people")(lambda d: Inputs(_text(d, bytes(range(256)) * 4)))


def _gz(d, data: bytes, name="people.csv.gz"):
    path = d / name
    path.write_bytes(data)
    return path


def _truncated_gz(d):
    full = gzip.compress(people_frame().to_csv(index=False).encode())
    return Inputs(_gz(d, full[: len(full) // 2]))


case("truncated gzip", "damaged or truncated")(_truncated_gz)
case("not gzip despite .gz", "damaged or truncated")(lambda d: Inputs(_gz(d, b"person_id\n1\n")))
case("gzip csv", check=column_published("occupation"))(
    lambda d: Inputs(_gz(d, gzip.compress(people_frame().to_csv(index=False).encode())))
)
case("missing file", "does not exist")(lambda d: Inputs(d / "absent.csv"))
case("folder as file", "is a folder")(lambda d: Inputs(d))
case("corrupt parquet", "Could not read")(
    lambda d: Inputs(_text(d, "not parquet", "people.parquet"))
)
case("invalid jsonl", "Could not read")(
    lambda d: Inputs(_text(d, '{"person_id": 1, "age": 40\n', "people.jsonl"))
)


def _jsonl(d, records, name="people.jsonl"):
    path = d / name
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path


def _nested(frame):
    records = frame.drop(columns="zipcode").to_dict("records")
    for record, z in zip(records, frame["zipcode"], strict=True):
        record["has_record"] = bool(record["has_record"])
        record["address"] = {"street": f"{int(record['person_id'])} Main Street", "zip": z}
    return records


case("nested jsonl address", ["address.street", "direct identifiers"])(
    lambda d: Inputs(_jsonl(d, _nested(people_frame())))
)
case(
    "nested jsonl address dropped",
    check=lambda out, private, source: (
        no_value_of("zipcode")(out, private, people_frame()),
        column_absent("address.zip")(out, private, source),
    ),
)(
    lambda d: Inputs(
        _jsonl(d, _nested(people_frame())), opts={"drop": ["address.street", "address.zip"]}
    )
)
case("jsonl with zip as number", check=zips_keep_leading_zero)(
    lambda d: Inputs(
        _jsonl(
            d,
            people_frame()
            .assign(zipcode=2124, has_record=lambda f: f["has_record"].astype(bool))
            .to_dict("records"),
        )
    )
)

# bad columns and values
# the CLI needs gender only as a quasi-identifier or signature column, and generates ids
# when there are none and no connections (issue 15); the API's load_data still wants them
_bad("missing gender", (None, "['gender']"), lambda f: f.drop(columns="gender"))
_bad("missing id column", (None, "person_id"), lambda f: f.drop(columns="person_id"))
_bad("age twice", "duplicate column", lambda f: pd.concat([f, f[["age"]]], axis=1))
_bad("gender twice", "duplicate column", lambda f: pd.concat([f, f[["gender"]]], axis=1))
case("rename onto an existing column", "duplicate column")(
    lambda d: _people(d, people_frame().assign(sex="M"), opts={"rename": {"sex": "gender"}})
)
_bad(
    "age as text",
    ["'age', row 0", "'forty'", "numbers"],
    lambda f: f.assign(age=["forty"] + [40] * (N - 1)),
)
_bad("age missing", "age", lambda f: f.assign(age=[None] + [40.0] * (N - 1)))
_bad("age negative", "negative", lambda f: f.assign(age=[-3] + [40] * (N - 1)))
_bad("age 1e12", "plausible range", lambda f: f.assign(age=[1e12] + [40] * (N - 1)))
_bad("age 150", "rows [3]", lambda f: f.assign(age=[40] * 3 + [150] + [40] * (N - 4)))
case("age 150 with a wider range", check=column_published("occupation"))(
    lambda d: _people(
        d, people_frame().assign(age=[150] + [40] * (N - 1)), opts={"age_range": (0, 200)}
    )
)
_bad("age infinite", "age", lambda f: f.assign(age=[np.inf] + [40.0] * (N - 1)))
_bad("duplicate ids", "duplicate ids", lambda f: f.assign(person_id=[1] + list(range(1, N))))
_bad("missing id", "person_id", lambda f: f.assign(person_id=[None] + list(range(2, N + 1))))
_bad(
    "missing gender value",
    (None, "gender"),
    lambda f: f.assign(gender=[None] + ["M"] * (N - 1)),
)
_bad("event flag as text", "has_record", lambda f: f.assign(has_record="yes"))
_bad("is_synthetic as text", "is_synthetic", lambda f: f.assign(is_synthetic="maybe"))

# column roles
_bad("undeclared notes", ["notes", "--keep-column"], lambda f: f.assign(notes="ok"))
_bad("undeclared name", ["direct identifiers", "name"], lambda f: f.assign(name="Ann Lee"))
_bad(
    "undeclared household id",
    ["household_id", "--drop-column"],
    lambda f: f.assign(household_id=1),
)
for _column, _values, _word in [
    ("ssn", "123-45-6789", "ssn"),
    ("email", "ann@example.org", "email"),
    ("phone", "555-123-4567", "phone"),
    ("dob", "1980-01-01", "dob"),
    ("first_name", "Ann", "first_name"),
    ("home_address", "12 Oak Street", "address"),
    ("household_id", 7, "id"),
    ("contact", "ann@example.org", "e-mail addresses"),
    ("info", "(555) 123-4567", "phone numbers"),
    ("home", "12 Oak Street", "street addresses"),
    ("code", "123-45-6789", "social security numbers"),
]:
    case(f"kept direct identifier {_column}", [_word, "--drop-column", "--allow-identifier"])(
        lambda d, c=_column, v=_values: _people(
            d, people_frame().assign(**{c: v}), opts={"keep": [c]}
        )
    )
case("kept notes with one phone number", ["notes", "phone numbers", "row 5"])(
    lambda d: _people(
        d,
        people_frame().assign(notes=["fine"] * 5 + ["call 555-123-4567"] + ["fine"] * (N - 6)),
        opts={"keep": ["notes"]},
    )
)
case("kept column determining a QI", ["'grade_code' determines", "'ethnicity'", "--drop-column"])(
    lambda d: _people(
        d,
        people_frame().assign(
            grade_code=lambda f: f["ethnicity"].map({"white": 1, "black": 2, "asian": 3})
        ),
        opts={"keep": ["grade_code"]},
    )
)
case("keep and drop the same column", "both keep and drop")(
    lambda d: _people(
        d, people_frame().assign(notes="x"), opts={"keep": ["notes"], "drop": ["notes"]}
    )
)
case("keep an unknown column", "['nope']")(lambda d: _people(d, opts={"keep": ["nope"]}))
case("drop an unknown column", "['nope']")(lambda d: _people(d, opts={"drop": ["nope"]}))
case("unknown quasi-identifier", "nope")(lambda d: _people(d, opts={"qis": ["nope"]}))
case("keep the id column", "cannot take a role")(
    lambda d: _people(d, opts={"keep": ["person_id"]})
)
case("ssn dropped", check=column_absent("ssn"))(
    lambda d: _people(
        d,
        people_frame().assign(ssn=[f"{100 + i}-45-{6789 + i}" for i in range(N)]),
        opts={"drop": ["ssn"]},
    )
)
case("false positive allowed", check=column_published("pet_name"))(
    lambda d: _people(
        d,
        people_frame().assign(pet_name="Rex"),
        opts={"keep": ["pet_name"], "allow": ["pet_name"]},
    )
)
case("kept income published as is", check=column_published("income"))(
    lambda d: _people(
        d, people_frame().assign(income=np.arange(N) * 1000), opts={"keep": ["income"]}
    )
)
case("default QI kept instead", check=column_published("ethnicity"))(
    lambda d: _people(d, opts={"keep": ["ethnicity"]})
)
case("default QI dropped", check=column_absent("zipcode"))(
    lambda d: _people(d, opts={"drop": ["zipcode"]})
)
case("occupation dropped", check=column_absent("occupation"))(
    lambda d: _people(d, opts={"drop": ["occupation"]})
)

# hostile cells and odd encodings that must simply work
_occupations = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-1+2", "sales"]
case("formula cells", check=formulas_neutralised)(
    lambda d: _people(d, people_frame().assign(occupation=(_occupations * N)[:N]))
)
case("zip with leading zero", check=zips_keep_leading_zero)(
    lambda d: _people(d, people_frame().assign(zipcode=(["02124", "02125", "01001"] * N)[:N]))
)
case("zip written as 4 digits", check=zips_keep_leading_zero)(
    lambda d: Inputs(
        _text(d, people_frame().assign(zipcode=(["2124", "2125"] * N)[:N]).to_csv(index=False))
    )
)
case("zip+4", check=zips_keep_leading_zero)(
    lambda d: _people(d, people_frame().assign(zipcode=(["02124-1234", "021251234"] * N)[:N]))
)
case("ids with leading zeros", check=ids_keep_leading_zeros)(
    lambda d: Inputs(
        _text(
            d,
            people_frame()
            .assign(person_id=[f"{i:04d}" for i in range(1, N + 1)])
            .to_csv(index=False),
        )
    )
)
case("string ids", check=column_published("occupation"))(
    lambda d: _people(d, people_frame().assign(person_id=[f"p-{i}" for i in range(N)]))
)
case("unicode values", check=column_published("occupation"))(
    lambda d: _people(
        d, people_frame().assign(occupation=_cycle(["ñandú 中文", "Ελληνικά 🙂", "x"]))
    )
)
case("10k-character values", check=column_published("occupation"))(
    lambda d: _people(d, people_frame().assign(occupation=_cycle(["x" * 10_000, "y", "z"])))
)
case("CRLF line endings", check=column_published("occupation"))(
    lambda d: Inputs(_text(d, people_frame().to_csv(index=False).replace("\n", "\r\n").encode()))
)
case("byte-order mark", check=column_published("occupation"))(
    lambda d: Inputs(_text(d, b"\xef\xbb\xbf" + people_frame().to_csv(index=False).encode()))
)
case("blank lines at the end", check=column_published("occupation"))(
    lambda d: Inputs(_text(d, people_frame().to_csv(index=False) + "\n\n\n"))
)
case("numeric gender codes", check=column_published("occupation"))(
    lambda d: _people(d, people_frame().assign(gender=np.arange(N) % 2 + 1))
)
case("fractional ages", check=column_published("occupation"))(
    lambda d: _people(d, people_frame().assign(age=lambda f: f["age"] + 0.5))
)
case("one age for all", check=column_published("occupation"))(
    lambda d: _people(d, people_frame().assign(age=40))
)
case("parquet input", check=column_published("occupation"))(
    lambda d: Inputs(_parquet(d, people_frame()))
)


def _parquet(d, frame):
    path = d / "people.parquet"
    frame.to_parquet(path)
    return path


# connections
case("connections file missing", "does not exist")(
    lambda d: Inputs(_csv(d, people_frame()), d / "absent.csv")
)
case("connections without type", "connection_type")(
    lambda d: _with_edges(d, edges=edge_frame().drop(columns="connection_type"))
)
case("dangling connection", "not in the people table")(
    lambda d: _with_edges(
        d,
        edges=pd.concat(
            [
                edge_frame(),
                pd.DataFrame(
                    {"person1_id": [1], "person2_id": [999], "connection_type": ["FRIEND"]}
                ),
            ]
        ),
    )
)
case("self-loop", "themselves")(
    lambda d: _with_edges(d, edges=edge_frame().assign(person2_id=edge_frame()["person1_id"]))
)
case("ids of another form in connections", "not in the people table")(
    lambda d: Inputs(
        _text(
            d,
            people_frame()
            .assign(person_id=[f"{i:04d}" for i in range(1, N + 1)])
            .to_csv(index=False),
        ),
        _csv(d, edge_frame(), "edges.csv"),
    )
)
case("unknown connection type", "ENEMY")(
    lambda d: _with_edges(
        d, edges=edge_frame().assign(connection_type="ENEMY"), opts={"domain": "criminal_justice"}
    )
)
case("confidence out of range", "confidence")(
    lambda d: _with_edges(d, edges=edge_frame().assign(confidence=2.0))
)
case("empty connections file", "connections")(
    lambda d: Inputs(_csv(d, people_frame()), _text(d, "", "edges.csv"))
)
case("connections header only", check=no_connections)(
    lambda d: Inputs(
        _csv(d, people_frame()), _text(d, "person1_id,person2_id,connection_type\n", "edges.csv")
    )
)
case("connections column twice", "duplicate column")(
    lambda d: _with_edges(d, edges=pd.concat([edge_frame(), edge_frame()[["person2_id"]]], axis=1))
)


def _edge_columns_only(out, private, source):
    columns = pd.read_csv(out / "connections.csv").columns.tolist()
    assert columns == ["person1_id", "person2_id", "connection_type"], columns
    assert "Oak Street" not in _public_text(out)


case("connections with extra columns", check=_edge_columns_only)(
    lambda d: _with_edges(d, edges=edge_frame().assign(note="met at 12 Oak Street"))
)
case("connections in gzip", check=column_published("occupation"))(
    lambda d: Inputs(
        _csv(d, people_frame()),
        _gz(d, gzip.compress(edge_frame().to_csv(index=False).encode()), "edges.csv.gz"),
    )
)


# output folders
def _out_is_file(d):
    inputs = _people(d)
    (d / "release").write_text("x")
    return inputs


def _out_not_empty(d):
    inputs = _people(d)
    (d / "release").mkdir()
    (d / "release" / "old.csv").write_text("stale")
    return inputs


def _out_not_empty_user(d):
    inputs = _people(d)
    (d / "release" / "src").mkdir(parents=True)
    (d / "release" / "src" / "code.py").write_text("print('mine')")
    (d / "release" / "thesis.tex").write_text("my thesis")
    return inputs


def _private_not_empty(d):
    inputs = _people(d)
    (d / "release.private").mkdir()
    (d / "release.private" / "people_synthetic_flags.csv").write_text("old flags")
    return inputs


def _stale_replaced(out, private, source):
    assert not (out / "old.csv").exists()


case("out is a file", "is an existing file")(_out_is_file)
case("out not empty", ["not empty", "--overwrite"])(_out_not_empty)


def _earlier_release(d, extra=None, private_extra=None):
    """An earlier release (marker files listing what it wrote), and maybe a user file."""
    inputs = _people(d)
    for folder, names in (("release", ["old.csv"]), ("release.private", ["old_flags.csv"])):
        (d / folder).mkdir()
        for name in names:
            (d / folder / name).write_text("stale")
        (d / folder / MARKER).write_text(
            json.dumps({"written_by": "personatwin_sklearn", "files": names})
        )
    if extra:
        (d / "release" / extra).write_text("the user's own file")
    if private_extra:
        (d / "release.private" / private_extra).write_text("the user's own file")
    return Inputs(**{**inputs.__dict__, "opts": {"overwrite": True}})


def _stale_private_replaced(out, private, source):
    _stale_replaced(out, private, source)
    assert not (private / "old_flags.csv").exists()


def _inputs_in_subfolder(d, out):
    (d / "in").mkdir()
    return Inputs(_csv(d / "in", people_frame()), out=out, opts={"overwrite": True})


case("out not empty, --overwrite", ["thesis.tex", "did not write", "earlier release"])(
    lambda d: Inputs(**{**_out_not_empty_user(d).__dict__, "opts": {"overwrite": True}})
)
case("earlier release replaced with --overwrite", check=_stale_private_replaced)(_earlier_release)
case("earlier release plus a user file", ["notes.txt", "did not write"])(
    lambda d: _earlier_release(d, extra="notes.txt")
)
case("earlier private folder plus a user file", ["key.pem", "did not write"])(
    lambda d: _earlier_release(d, private_extra="key.pem")
)
case("private folder not empty", ["not empty", "--overwrite"])(_private_not_empty)
case("private folder not empty, --overwrite", ["people_synthetic_flags.csv", "did not write"])(
    lambda d: Inputs(**{**_private_not_empty(d).__dict__, "opts": {"overwrite": True}})
)
case("out is the current folder", ["current folder", "folder of its own"])(
    lambda d: Inputs(**{**_people(d).__dict__, "out": ".", "opts": {"overwrite": True}})
)
case("out is the current folder by another path", "current folder")(
    lambda d: Inputs(**{**_people(d).__dict__, "out": str(d / "sub" / "..")})
)
case("out is a parent of the current folder", "holds the current folder")(
    lambda d: Inputs(**{**_people(d).__dict__, "out": "..", "opts": {"overwrite": True}})
)
case("out is empty", ["is empty", "--out release"])(
    lambda d: Inputs(**{**_people(d).__dict__, "out": "", "opts": {"overwrite": True}})
)
case("out is blank", "is empty")(lambda d: Inputs(**{**_people(d).__dict__, "out": "  "}))
case("out holds the input", "holds the input file")(lambda d: _inputs_in_subfolder(d, "in"))
case("out is the input's folder by another path", "holds the input file")(
    lambda d: _inputs_in_subfolder(d, str(d / "in" / "x" / ".."))
)
case("private folder holds the input", "holds the input file")(
    lambda d: Inputs(**{**_inputs_in_subfolder(d, "rel").__dict__, "opts": {"private_out": "in"}})
)
case("out in the parent folder", check=column_published("occupation"))(
    lambda d: Inputs(**{**_people(d).__dict__, "out": f"../{d.name}-release"})
)
case("private folder inside out", "inside one another")(
    lambda d: _people(d, opts={"private_out": "release/private"})
)
case("out with missing parents", check=column_published("occupation"))(
    lambda d: Inputs(**{**_people(d).__dict__, "out": "a/b/release"})
)
case("private folder elsewhere", check=column_published("occupation"))(
    lambda d: _people(d, opts={"private_out": "vault/flags"})
)

# parameters
case("k zero", ("--k: expected a whole number", "connection_pattern_k"))(
    lambda d: _people(d, opts={"k": 0})
)
case("k above the population", ("--k 41 is larger", "41"))(lambda d: _people(d, opts={"k": 41}))
case("bad privacy level", ("invalid choice", "privacy_level"))(
    lambda d: _people(d, opts={"privacy_level": "extreme"})
)
case("target risk above 1", ("expected a share", "target_risk"))(
    lambda d: _people(d, opts={"target_risk": 2})
)
case("age range not numbers", "--age-range", cli_only=True)(
    lambda d: _people(d, cli=["--age-range", "zero", "old"])
)
case("short pseudonym key", "at least 16", cli_only=True)(
    lambda d: Inputs(
        **{
            **_people(d).__dict__,
            "cli": ["--pseudonym-key-file", str(_text(d, "short", "key.txt"))],
        }
    )
)
case("missing pseudonym key file", "does not exist", cli_only=True)(
    lambda d: _people(d, cli=["--pseudonym-key-file", str(d / "nokey.txt")])
)
# the default connection protection adds no synthetic people here (links and copies within
# the budget), so the real ids can be kept
case("keep ids that fill their range")(lambda d: _with_edges(d, opts={"keep_ids": True, "k": 3}))
case("keep ids that are SSNs", ["person_id", "direct identifiers"])(
    lambda d: _people(
        d,
        people_frame().assign(person_id=[f"{100 + i}-45-{6789 + i}" for i in range(N)]),
        opts={"keep_ids": True},
    )
)


def _ids_kept(out, private, source):
    assert set(pd.read_csv(out / "people.csv")["person_id"]) == set(source["person_id"])


case("keep ids without synthetic people", check=_ids_kept)(
    lambda d: _people(d, opts={"keep_ids": True})
)
case("augment from a missing file", "nope.parquet", cli_only=True)(
    lambda d: _people(d, cli=["--augment", str(d / "nope.parquet")])
)
case("malformed rename", "YOUR_COLUMN=OUR_COLUMN", cli_only=True)(
    lambda d: _people(d, cli=["--rename", "sexgender"])
)


# issue 22: hostile files, one line each
def _symlink_loop(d):
    path = d / "people.csv"
    path.symlink_to(path)
    return Inputs(path)


def _fifo(d):
    path = d / "people.csv"
    os.mkfifo(path)
    return Inputs(path)


case("nested parquet column", ["'tags'", "nested", "row 0"])(
    lambda d: Inputs(_parquet(d, people_frame().assign(tags=[[1, 2]] * N)))
)
case("nested jsonl list", ["'tags'", "nested", "row 0"])(
    lambda d: Inputs(
        _jsonl(
            d,
            [
                {**r, "has_record": bool(r["has_record"]), "tags": ["a", "b"]}
                for r in people_frame().to_dict("records")
            ],
        )
    )
)
case("symlink loop", ["leads nowhere", "people.csv"])(_symlink_loop)
case("fifo input", ["named pipe", "regular file"])(_fifo)
case("5,000 undeclared columns", ["5000 column(s)", "and 4992 more", "--keep-column"])(
    lambda d: _people(
        d,
        pd.concat(
            [
                people_frame(),
                pd.DataFrame(0, index=range(N), columns=[f"c{i}" for i in range(5000)]),
            ],
            axis=1,
        ),
    )
)
case(
    "connections with source,target,type",
    ["source=person1_id", "type=connection_type", "connection_column_map"],
)(
    lambda d: _with_edges(
        d,
        edges=edge_frame().rename(
            columns={"person1_id": "source", "person2_id": "target", "connection_type": "type"}
        ),
    )
)


# -- running a case through the CLI and the API -------------------------------------------------
def _argv(inputs: Inputs) -> list[str]:
    o = inputs.opts
    argv = ["protect", str(inputs.people), "--out", str(inputs.out), "--quiet", "--seed", "0"]
    if inputs.edges is not None:
        argv += ["--connections", str(inputs.edges)]
    argv += ["--k", str(o.get("k", 2)), "--privacy-level", o.get("privacy_level", "low")]
    argv += ["--target-risk", str(o.get("target_risk", "none"))]
    for key, flag in (
        ("keep", "--keep-column"),
        ("drop", "--drop-column"),
        ("allow", "--allow-identifier"),
        ("qis", "--quasi-identifiers"),
    ):
        if o.get(key):
            argv += [flag, *o[key]]
    if "rename" in o:
        argv += ["--rename", *(f"{a}={b}" for a, b in o["rename"].items())]
    if "age_range" in o:
        argv += ["--age-range", *(str(v) for v in o["age_range"])]
    if "domain" in o:
        argv += ["--domain", o["domain"]]
    if o.get("keep_ids"):
        argv.append("--keep-ids")
    if o.get("overwrite"):
        argv.append("--overwrite")
    if "private_out" in o:
        argv += ["--private-out", o["private_out"]]
    return argv + inputs.cli


def _api(inputs: Inputs):
    o = inputs.opts
    kwargs = {"age_range": o["age_range"]} if "age_range" in o else {}
    data = load_data(
        inputs.people,
        inputs.edges,
        domain=o.get("domain", "custom"),
        column_map=o.get("rename"),
        **kwargs,
    )
    result = create_safe_personas(
        data,
        privacy_level=o.get("privacy_level", "low"),
        target_risk=None if o.get("target_risk", "none") == "none" else o["target_risk"],
        connection_pattern_k=o.get("k", 2),
        random_state=0,
        quasi_identifiers=o.get("qis"),
        keep=o.get("keep"),
        drop=o.get("drop"),
        allow_identifiers=o.get("allow"),
        **kwargs,
    )
    return result.save(
        inputs.out,
        keep_ids=o.get("keep_ids", False),
        private_dir=o.get("private_out"),
        overwrite=o.get("overwrite", False),
        inputs=[inputs.people, inputs.edges],
    )


def _snapshot(d: Path) -> dict:
    return {
        str(p.relative_to(d)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(d.rglob("*"))
    }


def _private_of(d: Path, inputs: Inputs) -> Path:
    if "private_out" in inputs.opts:
        return (d / inputs.opts["private_out"]).resolve()
    out = (d / inputs.out).resolve()
    return out.with_name(out.name + ".private")


@pytest.fixture
def quick_report(monkeypatch):
    """The HTML report is tested in test_cli; here a stub keeps the corpus fast."""
    import personatwin_sklearn.report as report

    monkeypatch.setattr(
        report, "write_report", lambda path, *a, **k: Path(path).write_text("<html></html>")
    )


@pytest.mark.parametrize("name", list(CASES))
def test_corpus(name, tmp_path, monkeypatch, capsys, quick_report):
    builder, expect, check, cli_only = CASES[name]
    for mode in ("cli", "api"):
        if mode == "api" and cli_only:
            continue
        d = tmp_path / mode
        d.mkdir()
        monkeypatch.chdir(d)
        inputs = builder(d)
        source = None
        if check is not None:
            try:
                source = load_data(
                    inputs.people,
                    inputs.edges,
                    age_range=None,
                    column_map=inputs.opts.get("rename"),
                ).people
            except PersonaTwinError:
                source = None
        before = _snapshot(d)
        expected = expect if not isinstance(expect, tuple) else expect[mode == "api"]
        words = [expected] if isinstance(expected, str) else (expected or [])
        if mode == "cli":
            try:
                code = main(_argv(inputs))
            except SystemExit as exc:
                code = exc.code
            captured = capsys.readouterr()
            assert "Traceback" not in captured.err + captured.out
            if expected is None:
                assert code == 0, captured.err
                assert "error" not in captured.err
            else:
                assert code == 2, f"{name}: exit {code}, stderr {captured.err!r}"
                err = captured.err
                assert err.startswith("personatwin: error: ") and err.count("\n") == 1, err
                for word in words:
                    assert word in err, f"{name}: {word!r} not in {err!r}"
        else:
            try:
                _api(inputs)
                error = None
            except (PersonaTwinError, FileNotFoundError) as exc:
                error = exc
            if expected is None:
                assert error is None, f"{name}: {error!r}"
            else:
                assert error is not None, f"{name}: no error"
                message = str(error)
                assert "\n" not in message, message
                for word in words:
                    assert word in message, f"{name}: {word!r} not in {message!r}"
        after = _snapshot(d)
        stray = [
            p
            for p in after
            if any(part.startswith(".") and part != MARKER for part in Path(p).parts)
        ]
        assert not stray, f"{name} ({mode}): staging left behind: {stray}"
        if expected is not None:  # nothing written, nothing changed
            assert after == before, f"{name} ({mode}): {set(after) ^ set(before)}"
            continue
        out = (d / inputs.out).resolve()
        private = _private_of(d, inputs)
        assert {p.name for p in out.iterdir()} == PUBLIC
        assert {p.name for p in private.iterdir()} == PRIVATE
        assert private.stat().st_mode & 0o777 == 0o700
        assert all(p.stat().st_mode & 0o777 == 0o600 for p in private.iterdir())
        for path in before:  # inputs untouched
            if (
                before[path] is not None
                and (d / path).exists()
                and not (d / path).resolve().is_relative_to(out)
                and not (d / path).resolve().is_relative_to(private)
            ):
                assert (d / path).read_bytes() == before[path], path
        public = pd.read_csv(out / "people.csv")
        assert not {"is_synthetic", "original_person_id"} & set(public.columns)
        json.loads((out / "risk_metrics.json").read_text(), parse_constant=_no_constant)
        if check is not None:
            check(out, private, source)


def _no_constant(name):
    raise AssertionError(f"risk_metrics.json holds {name}, which is not JSON")


# -- Pajek and SNAP readers ---------------------------------------------------------------------
def _half_gzip(data: bytes) -> bytes:
    full = gzip.compress(data)
    return full[: len(full) // 2]


_CHAIN = b"".join(b"%d %d\n" % (i, i + 1) for i in range(1, 2000))
P = "*Vertices 2\n1 a\n2 b\n"  # a small Pajek head
READER_CASES = {
    # name: (file name, text or bytes, expected words or a check of the SocialData)
    "pajek quoted labels": (
        "g.net",
        '*Vertices 3\n1 "Ann Lee"\n2 "Bo Li" 0.1 0.2\n3 c\n*Edges\n1 2\n2 3\n',
        lambda d: list(d.ids) == ["Ann Lee", "Bo Li", "c"] and d.n_connections == 2,
    ),
    "pajek arcs and edges": (
        "g.net",
        "*Vertices 4\n*Arcs\n1 2\n2 1\n*Edges\n3 4 2.0\n",
        lambda d: d.n_connections == 2 and list(d.ids) == [1, 2, 3, 4],
    ),
    "pajek edgeslist": (
        "g.net",
        "*Vertices 4\n1 a\n2 b\n3 c\n4 d\n*Edgeslist\n1 2 3\n4 1\n",
        lambda d: d.n_connections == 3,
    ),
    "pajek arcslist": ("g.net", "*Vertices 3\n*Arcslist\n1 2 3\n", lambda d: d.n_connections == 2),
    "pajek comments": (
        "g.net",
        "% made by hand\n*Vertices 2\n% vertices\n1 a\n2 b\n*Edges\n% e\n1 2\n",
        lambda d: d.n_connections == 1,
    ),
    "pajek gzip": (
        "g.net.gz",
        gzip.compress(b"*Vertices 2\n*Edges\n1 2\n"),
        lambda d: d.n_connections == 1,
    ),
    "pajek lone star": ("g.net", P + "*\n1 2\n", ["line 4", "section"]),
    "pajek matrix": ("g.net", "*Vertices 2\n*Matrix\n0 1\n1 0\n", ["line 2", "*Matrix"]),
    "pajek bad vertex line": (
        "g.net",
        "*Vertices 2\n1 a\nx b\n*Edges\n1 2\n",
        ["line 3", "number"],
    ),
    "pajek vertex out of range": ("g.net", "*Vertices 2\n1 a\n7 b\n*Edges\n", ["line 3", "1..2"]),
    "pajek bad edge line": ("g.net", P + "*Edges\n1 2\n1 x\n", ["line 6", "two vertex numbers"]),
    "pajek undeclared vertex": ("g.net", P + "*Edges\n1 5\n", ["line 5", "not declared"]),
    "pajek unclosed quote": (
        "g.net",
        '*Vertices 2\n1 "Ann\n*Edges\n',
        ["line 2", "closing quote"],
    ),
    "pajek no count": ("g.net", "*Vertices\n*Edges\n1 2\n", ["line 1", "number of vertices"]),
    "pajek duplicate label": ("g.net", "*Vertices 2\n1 a\n2 a\n*Edges\n", ["'a'", "unique"]),
    "pajek truncated gzip": (
        "g.net.gz",
        _half_gzip(b"*Vertices 9000\n*Edges\n" + _CHAIN),
        ["damaged or truncated"],
    ),
    "pajek not pajek": ("g.net", "hello\n", ["not a Pajek file"]),
    "snap percent comments": (
        "g.txt",
        "% konect\n# snap\n1 2\n2 3\n",
        lambda d: d.n_connections == 2,
    ),
    "snap tabs": ("g.txt", "1\t2\n2\t3\t1.0\n", lambda d: d.n_connections == 2),
    "snap one field": ("g.txt", "1 2\n3\n", ["line 2", "only one node id"]),
    "snap header": ("g.txt", "source target\n1 2\n2 3\n3 4\n", ["line 1", "header"]),
    "snap empty": ("g.txt", "", ["no edges"]),
    "snap commas": ("g.txt", "1,2\n2,3\n", ["line 1"]),
    "snap truncated gzip": ("g.txt.gz", _half_gzip(_CHAIN), ["damaged or truncated"]),
    "snap string ids": ("g.txt", "a b\nb c\n", lambda d: set(d.ids) == {"a", "b", "c"}),
}


@pytest.mark.parametrize("name", list(READER_CASES))
def test_reader_corpus(name, tmp_path):
    filename, content, expect = READER_CASES[name]
    path = tmp_path / filename
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    reader = read_pajek if ".net" in filename else read_snap_edgelist
    if callable(expect):
        assert expect(reader(path))
        return
    with pytest.raises(SchemaError) as info:
        reader(path)
    message = str(info.value)
    assert "\n" not in message and filename in message
    for word in expect:
        assert word in message, message


def test_corpus_size():
    assert len(CASES) + len(READER_CASES) >= 80


# -- direct identifiers never reach a public file -------------------------------------------------
def _identified_people(n=200):
    rng = np.random.default_rng(0)
    frame = people_frame(n)
    education = np.array(["HS-grad", "Some-college", "Bachelors", "Masters"])
    level = rng.integers(0, 4, n)
    return frame.assign(
        name=[f"Person{i} Smith" for i in range(n)],
        ssn=[f"{100 + i % 800:03d}-{10 + i % 80:02d}-{1000 + i:04d}" for i in range(n)],
        email=[f"person{i}@example.org" for i in range(n)],
        notes=rng.choice(["likes chess", "no remarks", "moved twice"], n),
        education=education[level],
        education_num=level + 9,
    )


def test_direct_identifiers_refused_and_never_published(tmp_path):
    people = _identified_people()
    data = load_data(people)
    with pytest.raises(
        UndeclaredColumnError,
        match=r"\['name', 'ssn', 'email', 'notes', 'education', 'education_num'\]",
    ) as info:
        create_safe_personas(data, target_risk=None, random_state=0)
    assert "['email', 'name', 'ssn'] look like direct identifiers" in str(info.value)
    qis = ["age", "gender", "ethnicity", "zipcode", "education"]
    for kept, error, word in [
        (["ssn"], DirectIdentifierError, "ssn"),
        (["name"], DirectIdentifierError, "name"),
        (["email"], DirectIdentifierError, "email"),
        (
            ["education_num"],
            DependentColumnError,
            "'education_num' determines quasi-identifier 'education'",
        ),
    ]:
        rest = [c for c in ("name", "ssn", "email", "notes", "education_num") if c not in kept]
        with pytest.raises(error, match=word):
            create_safe_personas(
                data, keep=kept, drop=rest, quasi_identifiers=qis, target_risk=None
            )
    # explicit roles: identifiers dropped, notes kept, education generalised
    result = create_safe_personas(
        data,
        privacy_level="low",
        quasi_identifiers=qis,
        keep=["notes"],
        drop=["name", "ssn", "email", "education_num"],
        target_risk=None,
        connection_pattern_k=3,
        random_state=0,
    )
    written = result.save(tmp_path / "release")
    public = [p for p in written if p.parent == tmp_path / "release"]
    assert {p.name for p in public} == PUBLIC - {MARKER}
    text = "\n".join(p.read_text() for p in public)
    for column in ("name", "ssn", "email"):
        leaked = [v for v in people[column] if v in text]
        assert not leaked, f"{column}: {leaked[:3]}"
    released = pd.read_csv(tmp_path / "release" / "people.csv")
    assert set(released.columns) == {"person_id", *qis, "notes", "occupation", "has_record"}
    assert detect_direct_identifiers(released.drop(columns="person_id")) == {}


def test_identifier_detection_by_name_and_content():
    frame = pd.DataFrame(
        {
            "FirstName": ["a"],
            "e_mail": ["x"],
            "DateOfBirth": ["x"],
            "remarks": ["lives at 12 Oak Street"],
            "tel_no": ["x"],
            "comment": ["met 3 friends on the way"],
            "zip_plus": ["80202-1234"],
            "age_band": ["40-44"],
        }
    )
    assert sorted(detect_direct_identifiers(frame)) == [
        "DateOfBirth",
        "FirstName",
        "e_mail",
        "remarks",
        "tel_no",
    ]
    roles = resolve_roles(people_frame(), keep=["has_record"])
    assert roles.kept == ("occupation", "has_record") and roles.dropped == ()


# -- secrets: same seed, same protection, fresh pseudonyms ----------------------------------
def _auc(score, label) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(label, score))


@pytest.mark.slow
def test_same_seed_same_content_fresh_pseudonyms_chance_auc(tmp_path):
    from personatwin_sklearn.datasets import make_social_population

    data = make_social_population(300, random_state=0)
    kwargs = dict(
        privacy_level="low",
        augment_with_synthetic=True,
        synthetic_ratio=1.0,
        connection_pattern_k=3,
        target_risk=None,
    )
    first = create_safe_personas(data, random_state=None, **kwargs)
    seed = first.metadata["parameters"]["random_state"]
    assert isinstance(seed, int)
    second = create_safe_personas(data, random_state=seed, **kwargs)  # the recorded seed replays
    pd.testing.assert_frame_equal(first.personas, second.personas)
    pd.testing.assert_frame_equal(first.connections, second.connections)
    releases = []
    for name, result in (("a", first), ("b", second)):
        result.save(tmp_path / name, report=False)
        people = pd.read_csv(tmp_path / name / "people.csv")
        flags = pd.read_csv(
            tmp_path / name / ".." / f"{name}.private" / "people_synthetic_flags.csv"
        )
        edges = pd.read_csv(tmp_path / name / "connections.csv")
        releases.append((people, flags, edges))
    (pa, fa, ea), (pb, fb, eb) = releases
    content = [c for c in pa.columns if c != "person_id"]

    def rows(frame):
        return frame[content].astype(str).sort_values(content).reset_index(drop=True)

    pd.testing.assert_frame_equal(rows(pa), rows(pb))  # same protected content
    assert fa["original_person_id"].tolist() != fb["original_person_id"].tolist()  # row order
    by_original = [f.set_index("original_person_id")["person_id"] for f in (fa, fb)]
    same = (by_original[0] == by_original[1].reindex(by_original[0].index)).mean()
    assert same < 0.05  # fresh pseudonyms
    # connections: the same set once mapped back to the original ids
    for edges, flags in ((ea, fa), (eb, fb)):
        original = flags.set_index("person_id")["original_person_id"]
        edges["a"] = original.reindex(edges["person1_id"]).to_numpy()
        edges["b"] = original.reindex(edges["person2_id"]).to_numpy()
    key = ["a", "b", "connection_type"]
    pd.testing.assert_frame_equal(
        ea[key].sort_values(key).reset_index(drop=True),
        eb[key].sort_values(key).reset_index(drop=True),
    )
    # an adversary who knows the seed: row position, release id, and the shuffle the seed
    # used to drive (numpy permutations of random_state) tell nothing
    scores, labels = {"row": [], "id": [], "seeded shuffle": []}, []
    for people, flags, _ in releases:
        n = len(people)
        assert (people["person_id"] == flags["person_id"]).all()
        label = flags["is_synthetic"].to_numpy(dtype=bool)
        n_real = int((~label).sum())
        rng = np.random.default_rng(seed)
        ids = rng.permutation(n) + 1  # the ids the seed used to give, in memory order
        memory_position = pd.Series(np.arange(n), index=ids)
        scores["row"].append(np.arange(n))
        scores["id"].append(people["person_id"].to_numpy())
        guess = memory_position.reindex(people["person_id"]).to_numpy() >= n_real
        scores["seeded shuffle"].append(guess.astype(float))
        labels.append(label)
    label = np.concatenate(labels)
    assert 300 <= label.sum() <= len(label) - 300
    for what, values in scores.items():
        auc = _auc(np.concatenate(values), label)
        assert auc <= 0.55, f"{what}: AUC {auc:.3f}"


def test_pseudonyms_are_csprng_and_keyed_ones_are_stable(tmp_path):
    from personatwin_sklearn import SocialData

    n = 4000
    people = people_frame(n).assign(is_synthetic=np.arange(n) >= n // 2)
    data = SocialData(people)
    written = []
    for name, key in (("a", b"k" * 32), ("b", b"k" * 32), ("c", b"other-key-0123456")):
        from personatwin_sklearn.api import write_release

        write_release(data, tmp_path / name, report=False, secret_key=key)
        flags = pd.read_csv(tmp_path / f"{name}.private" / "people_synthetic_flags.csv")
        written.append(flags.set_index("original_person_id"))
    a, b, c = written
    real = ~a["is_synthetic"]
    ids = a.index[real]
    assert (a.loc[ids, "person_id"] == b.loc[ids, "person_id"]).all()  # same key: stable
    assert not (a.loc[ids, "person_id"] == c.loc[ids, "person_id"]).any()  # another key
    syn = a.index[~real]
    assert not (a.loc[syn, "person_id"] == b.loc[syn, "person_id"]).any()  # fresh for synthetic
    assert a["person_id"].str.len().eq(20).all()  # same format for real and synthetic
    # row order from the CSPRNG: row position tells nothing
    label = a["is_synthetic"].to_numpy(dtype=bool)
    assert abs(_auc(np.arange(n), label) - 0.5) < 0.05
    assert sorted(csprng_permutation(1000)) == list(range(1000))


def test_keep_ids_draws_like_the_real_ids_or_refuses():
    sparse = pd.Series([100_003, 100_417, 105_000, 199_998])
    drawn = synthetic_ids_like(sparse, 50)
    assert len(set(drawn)) == 50 and not set(drawn) & set(sparse)
    assert ((drawn >= 100_003) & (drawn <= 199_998)).all()
    padded = pd.Series([f"P{i:05d}" for i in range(1, 4000, 7)])
    drawn = synthetic_ids_like(padded, 20)
    assert all(len(v) == 6 and v.startswith("P") for v in drawn) and not set(drawn) & set(padded)
    tokens = pd.Series(["a3f9c2d1", "0b7e44aa", "ffe01234"])
    drawn = synthetic_ids_like(tokens, 10)
    assert all(len(v) == 8 and set(v) <= set("".join(tokens)) for v in drawn)
    with pytest.raises(ReleaseError, match="fill 1..10"):
        synthetic_ids_like(pd.Series(range(1, 11)), 1)
    with pytest.raises(ReleaseError, match="no regular format"):
        synthetic_ids_like(pd.Series(["ann", "bo-7", "x"]), 1)


def test_formulas_and_json_and_template_names(tmp_path):
    frame = pd.DataFrame({"a": ["=1+1", "+x", "-3", "@x", "\tx", "ok", None], "b": [1] * 7})
    out = neutralise_formulas(frame)
    assert out["a"].tolist()[:6] == ["'=1+1", "'+x", "-3", "'@x", "'\tx", "ok"]
    assert frame["a"].iloc[0] == "=1+1"  # the input is not changed
    result = create_safe_personas(
        people_frame(), privacy_level="low", target_risk=None, random_state=0
    )
    result.save(tmp_path / "r", report=False)
    text = (tmp_path / "r" / "risk_metrics.json").read_text()
    json.loads(text, parse_constant=_no_constant)  # people only: no Infinity
    from personatwin_sklearn.api import _template_of
    from personatwin_sklearn.templates import load_template

    for name in ("../../x", "templates/../karate_club", "karate_club.json"):
        with pytest.raises(UnknownTemplateError, match="karate_club"):
            _template_of(name, 0)
        with pytest.raises(UnknownTemplateError, match="karate_club"):
            load_template(name)
    assert load_template("karate_club").n_nodes > 0


# -- interrupted and killed saves -----------------------------------------------------------------
_SLOW_SAVE = textwrap.dedent(
    """
    import sys, time
    import personatwin_sklearn.report as report
    def slow(path, *args, **kwargs):
        open(sys.argv[1], "w").write("writing")
        time.sleep(60)
    report.write_report = slow
    from personatwin_sklearn.cli import main
    sys.exit(main(sys.argv[2:]))
    """
)


def _start_slow_save(tmp_path, out):
    people = _csv(tmp_path, people_frame())
    edges = _csv(tmp_path, edge_frame(), "edges.csv")
    marker = tmp_path / "marker"
    argv = ["protect", str(people), "--connections", str(edges), "--out", str(out), "--k", "2",
            "--privacy-level", "low", "--target-risk", "none", "--quiet"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_SAVE, str(marker), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        # a suite started in the background of a script (CI's parallel lower-bounds run)
        # inherits SIGINT ignored, and so would the child: give it the default back
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.time() < deadline, "the save never started"
        time.sleep(0.05)
    return proc, argv


def _files_linking_ids(root: Path, private: Path) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.resolve().is_relative_to(private.resolve()):
            if "original_person_id" in path.read_text(errors="replace"):
                found.append(path)
    return found


@pytest.mark.slow
def test_sigkill_during_save_leaves_no_link_outside_private_and_next_run_cleans(tmp_path, capsys):
    out = tmp_path / "release"
    private = tmp_path / "release.private"
    proc, argv = _start_slow_save(tmp_path, out)
    staged = list(private.glob(".staging-*/people_synthetic_flags.csv"))
    assert staged, "the flags are staged inside the private folder"
    assert list(tmp_path.glob(".release.staging-*"))  # public staging next to --out
    proc.kill()
    proc.communicate()
    assert not out.exists()
    assert _files_linking_ids(tmp_path, private) == []
    assert private.stat().st_mode & 0o777 == 0o700
    # the next run removes the stale staging of the killed one and writes the release
    assert main(argv + ["--seed", "0"]) == 0
    capsys.readouterr()
    assert not list(tmp_path.glob(".release.*"))
    assert {p.name for p in private.iterdir()} == PRIVATE
    assert {p.name for p in out.iterdir()} == PUBLIC
    assert _files_linking_ids(tmp_path, private) == []


@pytest.mark.slow
def test_sigint_one_line_exit_130_nothing_left(tmp_path):
    out = tmp_path / "release"
    proc, _ = _start_slow_save(tmp_path, out)
    # on a loaded machine (CI runs two suites at once) a first Ctrl-C can be lost: press it
    # again every few seconds, as a user would, for at most a minute
    for _ in range(12):
        proc.send_signal(signal.SIGINT)
        try:
            stdout, stderr = proc.communicate(timeout=5)
            break
        except subprocess.TimeoutExpired:
            continue
    else:
        proc.kill()
        stdout, stderr = proc.communicate()
    assert proc.returncode == 130
    assert stderr.count("\n") == 1 and "interrupted" in stderr and "Traceback" not in stderr
    assert not out.exists() and not (tmp_path / "release.private").exists()
    assert not list(tmp_path.glob(".release.*"))


# -- issue 22: --overwrite never deletes anything but an earlier release -----------------------
def _hashes(root: Path, skip=()) -> dict:
    """sha256 of every file under ``root`` (folders named in ``skip`` left out)."""
    import hashlib

    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not any(part in skip for part in p.relative_to(root).parts)
    }


def _project(tmp_path: Path):
    """A user's working folder and an inputs folder next to it."""
    project = tmp_path / "myproject"
    (project / "src").mkdir(parents=True)
    (project / "src" / "code.py").write_text("print('mine')\n")
    (project / "thesis.tex").write_text("\\documentclass{article}\n")
    inputs = tmp_path / "in"
    inputs.mkdir()
    people = _csv(inputs, people_frame())
    edges = _csv(inputs, edge_frame(), "connections.csv")
    return project, people, edges


def _protect_argv(people, edges, out, *extra):
    return ["protect", str(people), "--connections", str(edges), "--out", str(out), "--quiet",
            "--seed", "0", "--k", "2", "--privacy-level", "low", "--target-risk", "none",
            *extra]  # fmt: skip


def test_user_files_are_never_modified_or_deleted_sha256(tmp_path, monkeypatch, capsys):
    project, people, edges = _project(tmp_path)
    home = tmp_path / "home"
    (home / "docs").mkdir(parents=True)
    (home / "docs" / "cv.txt").write_text("me")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(project)
    before = _hashes(tmp_path)
    refused = [
        ".",
        "..",
        "",
        str(project),
        str(project / "src" / ".."),
        "src",  # a non-empty folder without the marker
        "../in",  # holds the inputs
        str(home),
        "/",
    ]
    for out in refused:
        code = main(_protect_argv(people, edges, out, "--overwrite"))
        err = capsys.readouterr().err
        assert code == 2, (out, err)
        assert err.startswith("personatwin: error: ") and err.count("\n") == 1, err
        assert "Traceback" not in err
    data = load_data(people, edges)
    result = create_safe_personas(data, privacy_level="low", target_risk=None,
                                  connection_pattern_k=2, random_state=0)  # fmt: skip
    for out in refused:
        with pytest.raises(ReleaseError) as info:
            result.save(out, overwrite=True, report=False)
        assert "\n" not in str(info.value)
    with pytest.raises(ReleaseError, match="did not write"):  # the API case
        result.save(people.parent, overwrite=True, report=False)
    assert _hashes(tmp_path) == before
    # a release, replaced twice: the user's files never change
    for _ in range(3):
        assert main(_protect_argv(people, edges, "../release", "--overwrite")) == 0
        capsys.readouterr()
        result.save(tmp_path / "api-release", overwrite=True, report=False)
    after = _hashes(tmp_path, skip={"release", "release.private", "api-release",
                                    "api-release.private", ".cache"})  # fmt: skip
    assert after == {k: v for k, v in before.items() if not k.startswith("home/.cache")}
    assert (tmp_path / "release" / MARKER).is_file()
    assert not list(tmp_path.glob(".release*")) and not list(tmp_path.glob(".api-release*"))


@pytest.mark.parametrize(
    ("where", "words"),
    [("home", "your home folder"), ("root", "root folder"), ("cwd", "current folder"),
     ("parent", "holds the current folder")],
)  # fmt: skip
def test_protected_folders_refused_with_the_reason(tmp_path, monkeypatch, where, words):
    from personatwin_sklearn._release import release_destination

    home = tmp_path / "home"
    work = home / "a" / "work"
    work.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    out = {"home": "~", "root": "/", "cwd": ".", "parent": ".."}[where]
    out = os.path.expanduser(out)
    for overwrite in (False, True):
        with pytest.raises(ReleaseError, match=words):
            release_destination(out, overwrite=overwrite)


def test_out_in_parent_folder_prints_the_right_files(tmp_path, monkeypatch, capsys):
    project, people, edges = _project(tmp_path)
    monkeypatch.chdir(project)
    assert main(_protect_argv(people, edges, "../x")) == 0
    text = capsys.readouterr().out
    assert "wrote 4 files to ../x/: " in text, text
    for name in ("people.csv", "connections.csv", "risk_metrics.json", "report.html"):
        assert name in text.split("wrote 4 files to ../x/: ")[1].splitlines()[0]
    assert f"wrote 2 private files to {tmp_path / 'x.private'}/" in text


def test_mount_point_and_unwritable_parent_refused_before_any_work(tmp_path, monkeypatch, capsys):
    import personatwin_sklearn.cli as cli

    _, people, edges = _project(tmp_path)
    mount = tmp_path / "mnt"
    mount.mkdir()
    real_ismount = os.path.ismount
    monkeypatch.setattr(os.path, "ismount", lambda p: str(p) == str(mount) or real_ismount(p))

    def no_work(*args, **kwargs):
        raise AssertionError("the computation ran before the destination was checked")

    monkeypatch.setattr(cli, "_protect", no_work)
    assert main(_protect_argv(people, edges, mount)) == 2
    err = capsys.readouterr().err
    assert "mount point" in err and str(mount / "release") in err and err.count("\n") == 1
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            assert main(_protect_argv(people, edges, locked / "a" / "release")) == 2
            assert "no write permission" in capsys.readouterr().err
        finally:
            locked.chmod(0o700)


def test_analyze_out_follows_the_same_rules(tmp_path, monkeypatch, capsys):
    project, people, edges = _project(tmp_path)
    monkeypatch.chdir(project)
    before = _hashes(tmp_path)
    for out in (".", "src", "../in"):
        assert main(["analyze", str(people), "--connections", str(edges), "--out", out]) == 2
        assert capsys.readouterr().err.count("\n") == 1
    assert _hashes(tmp_path) == before
    for extra in ([], ["--overwrite"]):
        assert main(["analyze", str(people), "--connections", str(edges), "--out", "../an",
                     *extra]) == 0  # fmt: skip
        capsys.readouterr()
    assert {p.name for p in (tmp_path / "an").iterdir()} == {
        "people.csv", "connections.csv", "patterns.csv", "risk.json", MARKER
    }  # fmt: skip
    assert main(["analyze", str(people), "--connections", str(edges), "--out", "../an"]) == 2
    assert "not empty" in capsys.readouterr().err


# -- issue 22: never crash on the main path -----------------------------------------------------
@pytest.mark.parametrize("random_state", [0, 4])
def test_seed_4_copies_then_links_regression(random_state):
    """``personatwin demo --seed 4`` (and 3 of 4 runs at 100k people) raised IndexError in
    the plausible round: the per-person load was sized before copies were appended."""
    from personatwin_sklearn.connections import SyntheticConnectionGenerator
    from personatwin_sklearn.datasets import make_social_population

    data = make_social_population(1000, random_state=4, domain="criminal_justice")
    gen = SyntheticConnectionGenerator(
        target_k=10, random_state=random_state, on_infeasible="ignore"
    )
    out = gen.fit_transform(data)
    assert gen.n_added_people_ > 0  # copies were added before a later plausible round
    assert len(out) == len(data) + gen.n_added_people_


@pytest.mark.slow
def test_100k_people_end_in_a_result():
    from personatwin_sklearn.datasets import make_social_population

    # the crash was in the global protection's synthetic connections (copies, then a
    # plausible round): that path, at the size that crashed
    data = make_social_population(100_000, random_state=0)
    result = create_safe_personas(data, random_state=0, protection="global")
    assert len(result.data) >= 100_000


def test_detector_with_a_feature_missing_everywhere(monkeypatch):
    """Above ``spectral_max_nodes`` (300k people) ``spectral_distance`` is NaN for every
    connection, and scikit-learn 1.9's binning failed on it ("window shape cannot be
    larger than input array shape").  The same condition on 300 people."""
    from personatwin_sklearn import _graph_features
    from personatwin_sklearn.attacks import fit_detector, score_connections
    from personatwin_sklearn.connections import SyntheticConnectionGenerator
    from personatwin_sklearn.datasets import make_social_population

    monkeypatch.setattr(_graph_features, "_spectral_embedding", lambda *args, **kwargs: None)
    data = make_social_population(300, random_state=1)
    shadow = SyntheticConnectionGenerator(
        target_k=3, method="exhaustive", random_state=0
    ).fit_transform(data)
    detector = fit_detector(shadow, random_state=0)
    scores = score_connections(detector, shadow)
    assert len(scores) == shadow.n_connections and np.isfinite(scores).all()
