"""Bad-input sweep: malformed data and parameters fed to every public entry point.

Every call must either give a correct result or raise an error that says what is wrong:
a :class:`~personatwin_sklearn.exceptions.PersonaTwinError` (or sklearn's
``InvalidParameterError`` for constructor parameters) whose message names the column or
parameter.  Never a ``KeyError`` / ``TypeError`` / ``IndexError`` / ``ValueError`` from
deep inside pandas or numpy.  The only other errors accepted are the package's *own*
``TypeError`` (wrong container type, e.g. a DataFrame where people *and* connections are
needed) and ``FileNotFoundError`` (missing path), raised by package code with a message
naming what was expected.

Unicode and 10,000-character strings in categorical columns must simply work.
(Augmentation, being written elsewhere, is not covered here.)
"""

from __future__ import annotations

import traceback
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.utils._param_validation import InvalidParameterError

import personatwin_sklearn as pt
from personatwin_sklearn import (
    ConnectionPatternAnalyzer,
    KAnonymizer,
    SocialData,
    SyntheticAugmenter,
    SyntheticConnectionGenerator,
    create_safe_personas,
    load_data,
    make_persona_pipeline,
    metrics,
    read_pajek,
    read_snap_edgelist,
)
from personatwin_sklearn.attacks import linkage_attack
from personatwin_sklearn.exceptions import (
    DanglingEdgeError,
    DuplicateIdError,
    InfeasibleKError,
    InvalidValueError,
    MissingColumnError,
    PersonaTwinError,
    SchemaError,
    SelfLoopError,
    UnknownConnectionTypeError,
)
from personatwin_sklearn.templates import NetworkTemplateExtractor, TemplateConnector

PACKAGE_DIR = str(Path(pt.__file__).resolve().parent)
ACCEPTED = (PersonaTwinError, InvalidParameterError)


# -- helpers --------------------------------------------------------------------------------
def outcome(call, *names):
    """Run ``call``: return its result, or the accepted error it raised.

    An error must be a PersonaTwinError / InvalidParameterError naming one of ``names``
    (when given), or the package's own TypeError / FileNotFoundError; anything else
    (a KeyError from pandas, an IndexError from numpy, ...) fails the test.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PrivacyWarning / PrivacyLeakWarning are fine
            return call()
    except ACCEPTED as exc:
        message = str(exc)
        assert "\nName: " not in message and "\ndtype: " not in message, (
            f"message shows a pandas object instead of a value: {message}"
        )
        if names:
            assert any(name in message for name in names), (
                f"{type(exc).__name__} does not name any of {names}: {message}"
            )
        return exc
    except (TypeError, FileNotFoundError) as exc:
        origin = traceback.extract_tb(exc.__traceback__)[-1].filename
        assert str(Path(origin).resolve()).startswith(PACKAGE_DIR), (
            f"{type(exc).__name__} from inside {origin}: {exc}"
        )
        return exc


def expect_error(call, error, *names):
    result = outcome(call, *names)
    assert isinstance(result, error), f"expected {error}, got {result!r}"
    return result


def people_frame(n=8):
    return pd.DataFrame(
        {
            "person_id": np.arange(n),
            "age": 20 + 5 * np.arange(n),
            "gender": (["M", "F"] * n)[:n],
            "ethnicity": (["white", "asian", "black"] * n)[:n],
            "zipcode": (["80202", "80203", "80301"] * n)[:n],
            "occupation": (["sales", "education"] * n)[:n],
            "has_record": ([False, True, False] * n)[:n],
        }
    )


def edge_frame(n=8):
    a = np.arange(max(n - 1, 0))
    return pd.DataFrame(
        {
            "person1_id": a,
            "person2_id": a + 1,
            "connection_type": (["FRIEND", "SPOUSE", "PARENT"] * n)[: len(a)],
        }
    )


def _one_edge(a, b, kind="FRIEND"):
    return pd.DataFrame({"person1_id": [a], "person2_id": [b], "connection_type": [kind]})


# -- 1. malformed tables: load_data from DataFrames and from CSV paths -----------------------
P, E = people_frame(), edge_frame()
BAD_TABLES = {
    # name: (people, connections, domain, expected error, words the message must contain)
    "missing gender": (P.drop(columns="gender"), E, "custom", MissingColumnError, "gender"),
    "renamed id": (P.rename(columns={"person_id": "pid"}), E, "custom", MissingColumnError,
                   "person_id"),
    "edges missing type": (P, E.drop(columns="connection_type"), "custom", MissingColumnError,
                           "connection_type"),
    "edges renamed end": (P, E.rename(columns={"person2_id": "dst"}), "custom",
                          MissingColumnError, "person2_id"),
    "age as text": (P.assign(age="forty"), E, "custom", InvalidValueError, "age"),
    "age partly text": (P.assign(age=[40] * 7 + ["forty"]), E, "custom", InvalidValueError,
                        "age"),
    "age NaN": (P.assign(age=[np.nan] + [40.0] * 7), E, "custom", InvalidValueError, "age"),
    "age negative": (P.assign(age=[-3] + [40] * 7), E, "custom", InvalidValueError, "age"),
    "age infinite": (P.assign(age=[np.inf] + [40.0] * 7), E, "custom", InvalidValueError, "age"),
    "age boolean": (P.assign(age=True), E, "custom", InvalidValueError, "age"),
    "gender NaN": (P.assign(gender=[None] + ["M"] * 7), E, "custom", InvalidValueError,
                   "gender"),
    "id NaN": (P.assign(person_id=[np.nan] + list(range(1, 8))), E, "custom",
               InvalidValueError, "person_id"),
    "duplicate ids": (P.assign(person_id=[0, 0, 2, 3, 4, 5, 6, 7]), E, "custom",
                      DuplicateIdError, "person_id"),
    "dangling edge": (P, pd.concat([E, _one_edge(0, 99)], ignore_index=True), "custom",
                      DanglingEdgeError, "person2_id"),
    "dangling edge, repeated index": (P, pd.concat([E, _one_edge(0, 99)]), "custom",
                                      DanglingEdgeError, "person2_id=99"),
    "self-loop": (P, pd.concat([E, _one_edge(3, 3)], ignore_index=True), "custom",
                  SelfLoopError, "themselves"),
    "self-loop, repeated index": (P, pd.concat([E, _one_edge(3, 3)]), "custom", SelfLoopError,
                                  "person_id=3"),
    "edge end NaN": (P, E.assign(person1_id=[np.nan] + list(range(1, 7))), "custom",
                     InvalidValueError, "person1_id"),
    "connection type NaN": (P, E.assign(connection_type=[None] + ["FRIEND"] * 6), "custom",
                            InvalidValueError, "connection_type"),
    "unknown connection type": (P, E.assign(connection_type="ENEMY"), "criminal_justice",
                                UnknownConnectionTypeError, "ENEMY"),
    "confidence out of range": (P, E.assign(confidence=2.0), "custom", InvalidValueError,
                                "confidence"),
    "event flag as text": (P.assign(has_record="yes"), E, "custom", InvalidValueError,
                           "has_record"),
    "is_synthetic as text": (P.assign(is_synthetic="no"), E, "custom", InvalidValueError,
                             "is_synthetic"),
    "edge ids of another dtype": (P, E.astype({"person1_id": str, "person2_id": str}), "custom",
                                  DanglingEdgeError, "dtype"),
    "no columns at all": (pd.DataFrame(), None, "custom", MissingColumnError, "person_id"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(BAD_TABLES))
def test_bad_tables_from_frames(name):
    people, edges, domain, error, word = BAD_TABLES[name]
    before = people.copy(deep=True)
    expect_error(lambda: load_data(people, edges, domain=domain), error, word)
    expect_error(lambda: SocialData(people, edges, domain=domain), error, word)
    assert people.equals(before)
    # create_safe_personas takes a people DataFrame too
    if edges is None or edges.equals(E):
        expect_error(
            lambda: create_safe_personas(people, domain=domain, target_risk=None), error, word
        )


# Cases whose CSV round trip keeps the defect (a CSV has no dtypes beyond what it parses).
CSV_CASES = [
    n
    for n in BAD_TABLES
    if n not in ("dangling edge, repeated index", "self-loop, repeated index", "age boolean",
                 "edge ids of another dtype", "no columns at all")
]  # fmt: skip


@pytest.mark.parametrize("name", CSV_CASES)
def test_bad_tables_from_csv(name, tmp_path):
    people, edges, domain, error, word = BAD_TABLES[name]
    people_path = tmp_path / "people.csv"
    edges_path = tmp_path / "connections.csv"
    people.to_csv(people_path, index=False)
    edges.to_csv(edges_path, index=False)
    expect_error(lambda: load_data(people_path, edges_path, domain=domain), error, word)


@pytest.mark.parametrize(
    "text, word",
    [
        ("", "people"),  # empty file
        ('person_id,age,gender\n1,40,M\n"unterminated\n', "people"),
        ("person_id;age;gender\n1;40;M\n", "person_id"),  # wrong separator: one column
    ],
)
def test_unreadable_csv(tmp_path, text, word):
    path = tmp_path / "people.csv"
    path.write_text(text)
    expect_error(lambda: load_data(path), SchemaError, word)


def test_load_data_bad_arguments(tmp_path):
    expect_error(lambda: load_data(P, E, column_map="sex"), SchemaError, "column_map")
    expect_error(
        lambda: load_data(P, E, connection_column_map=["a"]), SchemaError, "connection_column_map"
    )
    expect_error(lambda: load_data(P, E, domain="nope"), PersonaTwinError, "nope")
    expect_error(lambda: load_data(P, E, id_col="pid"), MissingColumnError, "pid")
    expect_error(lambda: load_data([1, 2, 3]), SchemaError, "list")
    expect_error(lambda: SocialData(P, [1, 2]), SchemaError, "connections")
    missing = outcome(lambda: load_data(tmp_path / "absent.csv"))
    assert isinstance(missing, FileNotFoundError) and "absent.csv" in str(missing)
    # a single required column given as a string is one column, not its characters
    data = load_data(P.drop(columns="gender"), E, required_columns="age")
    assert data.required_columns == ("age",)
    # a column_map renames
    data = load_data(P.rename(columns={"gender": "sex"}), E, column_map={"sex": "gender"})
    assert "gender" in data.people.columns


# -- 2. odd but valid data: every entry point must work or refuse clearly ---------------------
def _data(people, edges=None, **kwargs):
    return load_data(people, edges, **kwargs)


def _unicode():
    people = people_frame().assign(
        gender=["♀", "♂"] * 4,
        occupation=["ñandú 🙂 中文", "x" * 10_000] * 4,
        ethnicity=["Ελληνικά", "עברית", "日本語", "x" * 10_000] * 2,
        zipcode=["802é2", "8020😀"] * 4,
    )
    return _data(people, edge_frame().assign(connection_type=["ДРУГ"] * 7))


ODD_DATA = {
    "zero people": lambda: _data(people_frame(0), edge_frame(0)),
    "one person": lambda: _data(people_frame(1), edge_frame(1)),
    "two people": lambda: _data(people_frame(2), edge_frame(2)),
    "no connections": lambda: _data(people_frame(), None),
    "unicode and 10k-char categoricals": _unicode,
    "string ids": lambda: _data(
        people_frame().assign(person_id=[f"id-{i}" for i in range(8)]),
        edge_frame().assign(
            person1_id=[f"id-{i}" for i in range(7)], person2_id=[f"id-{i}" for i in range(1, 8)]
        ),
    ),
    "float ids": lambda: _data(
        people_frame().astype({"person_id": float}),
        edge_frame().astype({"person1_id": float, "person2_id": float}),
    ),
    "repeated row index": lambda: _data(
        people_frame().set_axis([0] * 8), pd.concat([edge_frame(), edge_frame().iloc[:0]])
    ),
    "categorical columns": lambda: _data(
        people_frame().astype({"gender": "category", "occupation": "category"}),
        edge_frame().astype({"connection_type": "category"}),
    ),
    "NaN in optional columns": lambda: _data(
        people_frame().assign(occupation=[None] * 3 + ["sales"] * 5), edge_frame()
    ),
    # load_data refuses ages outside 0-120 (issue 12); the estimators still take them
    "huge ages": lambda: SocialData(people_frame().assign(age=lambda f: f["age"] * 10**6)),
}
#: (case, entry point) pairs that must refuse, with a word of the message.
MUST_REFUSE = {("huge ages", "create_safe_personas"): "plausible range"}


def _entry_points(k):
    def safe(d):
        return create_safe_personas(
            d, privacy_level="low", target_risk=None, connection_pattern_k=k, random_state=0
        )

    return {
        "ConnectionPatternAnalyzer": lambda d: ConnectionPatternAnalyzer(k=k).fit(d).transform(d),
        "ConnectionPatternAnalyzer neighborhood": lambda d: (
            ConnectionPatternAnalyzer(k=k, scope="neighborhood").fit(d).transform(d)
        ),
        "SyntheticConnectionGenerator": lambda d: SyntheticConnectionGenerator(
            target_k=k, on_infeasible="ignore", random_state=0
        ).fit_transform(d),
        "SyntheticConnectionGenerator neighborhood": lambda d: SyntheticConnectionGenerator(
            target_k=k, scope="neighborhood", random_state=0
        ).fit_transform(d),
        "KAnonymizer SocialData": lambda d: KAnonymizer(k=k).fit_transform(d),
        "KAnonymizer DataFrame": lambda d: KAnonymizer(k=k).fit_transform(d.people),
        "NetworkTemplateExtractor": lambda d: NetworkTemplateExtractor(
            epsilon=1.0, max_degree=4, random_state=0
        ).fit(d),
        "TemplateConnector": lambda d: TemplateConnector(random_state=0).fit_transform(d),
        "reidentification_risk": lambda d: metrics.reidentification_risk(d),
        "k_anonymity": lambda d: metrics.k_anonymity(d),
        "k_anonymity DataFrame": lambda d: metrics.k_anonymity(d.people),
        "connection_pattern_k": lambda d: metrics.connection_pattern_k(d),
        "create_safe_personas": safe,
        "SyntheticAugmenter": lambda d: SyntheticAugmenter(random_state=0).fit_transform(d),
        "SyntheticAugmenter boost_rare": lambda d: SyntheticAugmenter(
            strategy="boost_rare", random_state=0
        ).fit_transform(d),
        "linkage_attack edge": lambda d: linkage_attack(d, d, random_state=0),
        "linkage_attack combined": lambda d: linkage_attack(d, d, scope="combined"),
    }


ENTRY_POINTS = list(_entry_points(2))
MUST_WORK = {"unicode and 10k-char categoricals", "string ids", "float ids", "no connections",
             "repeated row index", "categorical columns", "NaN in optional columns",
             "huge ages"}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("case", list(ODD_DATA))
def test_entry_points_on_odd_data(case):
    data = ODD_DATA[case]()
    people0, edges0 = data.people.copy(deep=True), data.connections.copy(deep=True)
    n = len(data)
    for name, call in _entry_points(2).items():
        result = outcome(lambda call=call: call(data))
        if (case, name) in MUST_REFUSE:
            assert isinstance(result, InvalidValueError), (case, name, result)
            assert MUST_REFUSE[case, name] in str(result)
        elif isinstance(result, BaseException):
            assert case not in MUST_WORK, f"{name} refused {case!r}: {result}"
            # tiny populations: k=2 (or privacy_level="low", k=3) cannot be reached
            assert n < 3 and isinstance(result, (InfeasibleKError, InvalidValueError)), (
                f"{name}: {result!r}"
            )
        elif isinstance(result, SocialData):
            # real rows keep their ids and order, and what is added is flagged
            released = result.people
            assert released[data.id_col].iloc[:n].tolist() == data.ids.tolist()
            assert released["is_synthetic"].iloc[n:].all()
            assert result.connections["is_synthetic"].iloc[data.n_connections :].all()
        assert data.people.equals(people0) and data.connections.equals(edges0), name
    if case == "unicode and 10k-char categoricals":
        gen = SyntheticConnectionGenerator(target_k=2, coarsen="none", on_infeasible="ignore")
        out = gen.fit_transform(data)
        assert out.people["occupation"].iloc[:n].tolist() == data.people["occupation"].tolist()
        out = KAnonymizer(k=2, quasi_identifiers=["occupation", "zipcode"]).fit_transform(data)
        assert metrics.k_anonymity(out, ["occupation", "zipcode"]) >= 2


# -- 3. k > n, k <= 0, epsilon <= 0, unknown strategy names -----------------------------------
@pytest.mark.parametrize("name", ENTRY_POINTS[:6] + ["create_safe_personas"])  # k-based ones
def test_k_larger_than_population(name):
    data = _data(people_frame(), edge_frame())
    result = outcome(lambda: _entry_points(50)[name](data), "50")
    assert isinstance(result, PersonaTwinError), result


@pytest.mark.parametrize(
    "cls, param, value",
    [
        (ConnectionPatternAnalyzer, "k", 0),
        (ConnectionPatternAnalyzer, "k", -2),
        (ConnectionPatternAnalyzer, "k", 2.5),
        (ConnectionPatternAnalyzer, "scope", "nope"),
        (ConnectionPatternAnalyzer, "age_bin", 0),
        (SyntheticConnectionGenerator, "target_k", 0),
        (SyntheticConnectionGenerator, "target_k", -1),
        (SyntheticConnectionGenerator, "scope", "nope"),
        (SyntheticConnectionGenerator, "on_infeasible", "silent"),
        (SyntheticConnectionGenerator, "confidence", 1.5),
        (KAnonymizer, "k", 0),
        (KAnonymizer, "k", "3"),
        (KAnonymizer, "method", "datafly"),
        (KAnonymizer, "privacy_level", "extreme"),
        (KAnonymizer, "numeric_output", "bins"),
        (KAnonymizer, "suppression_limit", 1.5),
        (KAnonymizer, "quasi_identifiers", "age"),
        (NetworkTemplateExtractor, "epsilon", 0),
        (NetworkTemplateExtractor, "epsilon", -1.0),
        (NetworkTemplateExtractor, "privacy", "vertex"),
        (NetworkTemplateExtractor, "max_degree", 1),
        (TemplateConnector, "target", "everyone"),
        (TemplateConnector, "template", 5),
    ],
)
def test_bad_constructor_parameters(cls, param, value):
    data = _data(people_frame(), edge_frame())
    estimator = cls(**{param: value})
    expect_error(lambda: estimator.fit(data), InvalidParameterError, f"'{param}'")


def test_bad_names_and_budgets():
    data = _data(people_frame(), edge_frame())
    expect_error(
        lambda: TemplateConnector(template="no_such_template").fit(data),
        PersonaTwinError,
        "no_such_template",
    )
    error = expect_error(
        lambda: pt.templates.load_template("no_such_template"), PersonaTwinError, "karate_club"
    )
    assert isinstance(error, KeyError)  # still a KeyError for dict-style callers
    expect_error(
        lambda: create_safe_personas(
            data, use_external_network=True, external_network="no_such_template"
        ),
        PersonaTwinError,
        "no_such_template",
    )
    expect_error(
        lambda: NetworkTemplateExtractor(epsilon=1.0, budget_split={"degrees": 1}).fit(data),
        InvalidValueError,
        "budget_split",
    )
    expect_error(
        lambda: NetworkTemplateExtractor(epsilon=1.0, budget_split={"degree_histogram": 0}).fit(
            data
        ),
        InvalidValueError,
        "degree_histogram",
    )
    for kwargs, word in [
        ({"privacy_level": "extreme"}, "privacy_level"),
        ({"connection_pattern_k": 0}, "connection_pattern_k"),
        ({"connection_pattern_k": -3}, "connection_pattern_k"),
        ({"target_risk": 0}, "target_risk"),
        ({"target_risk": 1.5}, "target_risk"),
        ({"target_risk": "low"}, "target_risk"),
        ({"augment_with_synthetic": True, "synthetic_strategy": "nope"}, "synthetic_strategy"),
        ({"augment_with_synthetic": True, "synthetic_ratio": 0}, "synthetic_ratio"),
        ({"use_external_network": True}, "external_network"),
        ({"quasi_identifiers": ["nope"]}, "nope"),
        ({"domain": "nope"}, "nope"),
    ]:
        people = data.people.drop(columns="is_synthetic") if "domain" in kwargs else data
        expect_error(lambda kw=kwargs, d=people: create_safe_personas(d, **kw), ACCEPTED, word)
    for kwargs, word in [
        ({"privacy_level": "extreme"}, "privacy_level"),
        ({"connection_pattern_k": 0}, "connection_pattern_k"),
        ({"augment_with_synthetic": True, "synthetic_strategy": "x"}, "synthetic_strategy"),
    ]:
        expect_error(lambda kw=kwargs: make_persona_pipeline(**kw), PersonaTwinError, word)
    expect_error(lambda: create_safe_personas([1, 2]), PersonaTwinError, "data")


def test_estimators_need_social_data():
    people = people_frame()
    for make in (ConnectionPatternAnalyzer, SyntheticConnectionGenerator):
        error = outcome(lambda make=make: make().fit(people))
        assert isinstance(error, TypeError) and "SocialData" in str(error)


def test_signature_and_quasi_identifier_names():
    data = _data(people_frame(), edge_frame())
    expect_error(
        lambda: ConnectionPatternAnalyzer(k=2, signature=["nope"]).fit(data),
        MissingColumnError,
        "nope",
    )
    expect_error(
        lambda: SyntheticConnectionGenerator(target_k=2, signature=["nope"]).fit(data),
        MissingColumnError,
        "nope",
    )
    expect_error(
        lambda: KAnonymizer(k=2, quasi_identifiers=["nope"]).fit(data), MissingColumnError, "nope"
    )
    expect_error(lambda: KAnonymizer(k=2, quasi_identifiers=[]).fit(data), ACCEPTED, "empty")
    expect_error(
        lambda: KAnonymizer(k=2, hierarchies={"gender": 5}).fit(data), InvalidValueError, "gender"
    )
    expect_error(
        lambda: KAnonymizer(k=2, hierarchies={"gender": {"M": ["*"]}}).fit(data),
        InvalidValueError,
        "'F'",
    )
    expect_error(
        lambda: KAnonymizer(k=2, hierarchies={"income": {"1": ["*"]}}).fit(data),
        InvalidValueError,
        "income",
    )


def test_kanonymizer_transform_mismatch():
    people = people_frame()
    fitted = KAnonymizer(k=2).fit(people)
    expect_error(
        lambda: fitted.transform(people.drop(columns="zipcode")), MissingColumnError, "zipcode"
    )
    expect_error(lambda: fitted.transform(people.assign(age="forty")), InvalidValueError, "age")
    expect_error(
        lambda: KAnonymizer(k=2).fit(people.assign(age=[np.nan] + [30.0] * 7)),
        InvalidValueError,
        "age",
    )
    # unseen categories and out-of-range ages are routed, not refused
    out = fitted.transform(people.assign(gender="X", age=150))
    assert len(out) == len(people)


def test_metrics_bad_arguments():
    data = _data(people_frame(), edge_frame())
    expect_error(lambda: metrics.reidentification_risk(data, ["nope"]), MissingColumnError, "nope")
    expect_error(lambda: metrics.reidentification_risk(data, threshold=2), ACCEPTED, "threshold")
    expect_error(
        lambda: metrics.reidentification_risk(data, population="x"), ACCEPTED, "population"
    )
    expect_error(lambda: metrics.reidentification_risk(data, age_bin=0), ACCEPTED, "age_bin")
    expect_error(lambda: metrics.reidentification_risk(data, age_bin=-5), ACCEPTED, "age_bin")
    expect_error(
        lambda: metrics.reidentification_risk(data, signature=["nope"]), MissingColumnError, "nope"
    )
    expect_error(
        lambda: metrics.connection_pattern_k(data, population="x"), ACCEPTED, "population"
    )
    expect_error(lambda: metrics.connection_pattern_k(data, scope="x"), ACCEPTED, "scope")
    expect_error(lambda: metrics.connection_pattern_k(data, age_bin=0), ACCEPTED, "age_bin")
    expect_error(
        lambda: metrics.k_anonymity(pd.DataFrame({"x": [1]})), MissingColumnError, "quasi"
    )
    assert metrics.k_anonymity(people_frame(0)) == 0
    for call in (
        lambda: metrics.k_anonymity([1, 2]),
        lambda: metrics.reidentification_risk("people.csv"),
        lambda: metrics.connection_pattern_k(people_frame()),
    ):
        error = outcome(call)
        assert isinstance(error, TypeError) and "SocialData" in str(error)
    # NaN in a QI is a class of its own, not an error
    assert metrics.k_anonymity(pd.DataFrame({"age": [1.0, np.nan, np.nan]})) == 1


def test_linkage_attack_bad_arguments():
    data = _data(people_frame(), edge_frame())
    for kwargs, word in [
        ({"scope": "nope"}, "scope"),
        ({"n_targets": 0}, "n_targets"),
        ({"n_targets": 99}, "n_targets"),
        ({"threshold": 0}, "threshold"),
        ({"age_bin": 0}, "age_bin"),
        ({"known_pattern": "best"}, "known_pattern"),
        ({"neighborhood_match": "fuzzy"}, "neighborhood_match"),
        ({"scope": "qi", "quasi_identifiers": ["nope"]}, "nope"),
        ({"signature": ["nope"]}, "nope"),
    ]:
        expect_error(lambda kw=kwargs: linkage_attack(data, data, **kw), ACCEPTED, word)
    expect_error(lambda: linkage_attack(people_frame(), data), ACCEPTED, "original")
    expect_error(lambda: linkage_attack(data, people_frame()), ACCEPTED, "release")


# -- 4. malformed edge-list and Pajek files -------------------------------------------------
BAD_FILES = {
    "one_field.txt": ("1 2\n3\n", "line 2"),
    "header.txt": ("source target\n1 2\n2 3\n3 4\n", "line 1"),
    "empty.txt": ("", "no edges"),
    "comments_only.txt": ("# nothing here\n", "no edges"),
    "binary.txt": ("\x00\x01\x02\n", "line 1"),
    "comma.txt": ("1,2\n2,3\n", "line 1"),
    "undeclared.net": ("*Vertices 2\n1 a\n2 b\n*Edges\n1 5\n", "vertex"),
    "not_pajek.net": ("hello\n", "Pajek"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_malformed_graph_files(tmp_path, name):
    text, word = BAD_FILES[name]
    path = tmp_path / name
    path.write_text(text)
    extractor = NetworkTemplateExtractor(epsilon=1.0, max_degree=4, random_state=0)
    expect_error(lambda: extractor.fit(path), SchemaError, word)
    assert not hasattr(extractor, "template_")
    reader = read_pajek if name.endswith(".net") else read_snap_edgelist
    result = outcome(lambda: reader(path), name)
    # the plain readers either read something sensible or refuse naming the file
    assert isinstance(result, (SocialData, SchemaError)), result
    if isinstance(result, SocialData):
        edges = result.connections
        assert (edges["person1_id"] != edges["person2_id"]).all()


def test_graph_inputs_of_the_wrong_kind(tmp_path):
    extractor = NetworkTemplateExtractor(epsilon=1.0, max_degree=4, random_state=0)
    for bad in ([1, 2], people_frame()):
        error = outcome(lambda bad=bad: extractor.fit(bad))
        assert isinstance(error, TypeError) and "networkx graph" in str(error)
    error = outcome(lambda: extractor.fit(tmp_path / "absent.txt"))
    assert isinstance(error, FileNotFoundError) and "absent.txt" in str(error)
    # a graph without nodes is a (noisy) template of nothing, not a crash
    import networkx as nx

    assert isinstance(outcome(lambda: extractor.fit(nx.Graph())), NetworkTemplateExtractor)


# -- issue 22: data that is valid but looks wrong warns, or with strict refuses -------------
def _quality_people(n=8):
    return pd.DataFrame(
        {
            "person_id": np.arange(1, n + 1),
            "age": 30 + np.arange(n),
            "gender": ["F", "M"] * (n // 2),
        }
    )


def _quality_edges(rows):
    return pd.DataFrame(rows, columns=["person1_id", "person2_id", "connection_type"])


QUALITY_CASES = {
    "parent cycle": (
        None,
        [(1, 2, "PARENT"), (2, 3, "PARENT"), (3, 1, "PARENT")],
        "cycle",
    ),
    "two family types for one pair": (
        None,
        [(1, 2, "SPOUSE"), (2, 1, "SIBLING")],
        "conflicting family connections",
    ),
    "types differing in case": (None, [(1, 2, "FRIEND"), (3, 4, "friend")], "differ only in case"),
    "gender with spaces": (
        lambda p: p.assign(gender=[" F", "M "] + ["F", "M"] * 3),
        [(1, 2, "FRIEND")],
        "surrounding spaces",
    ),
}


@pytest.mark.parametrize("name", list(QUALITY_CASES))
def test_data_quality_warns_or_refuses_with_strict_api_and_cli(name, tmp_path, capsys):
    from personatwin_sklearn.cli import main
    from personatwin_sklearn.exceptions import DataQualityWarning

    mutate, rows, words = QUALITY_CASES[name]
    people = _quality_people() if mutate is None else mutate(_quality_people())
    edges = _quality_edges(rows)
    with pytest.warns(DataQualityWarning, match=words):
        load_data(people, edges)
    with pytest.raises(InvalidValueError, match=words):
        load_data(people, edges, strict=True)
    people.to_csv(tmp_path / "people.csv", index=False)
    edges.to_csv(tmp_path / "edges.csv", index=False)
    argv = ["analyze", str(tmp_path / "people.csv"), "--connections", str(tmp_path / "edges.csv")]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "personatwin: warning: " in err and words in err
    assert main([*argv, "--strict"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("personatwin: error: ") and err.count("\n") == 1 and words in err


def test_nested_dataframe_column_is_the_package_error_not_typeerror():
    people = _quality_people().assign(tags=[[1, 2]] * 8)
    with pytest.raises(SchemaError, match="'tags'.*nested.*row 0"):
        load_data(people)
    with pytest.raises(SchemaError, match="'tags'"):
        pt.SocialData(people)
