"""Out-of-core (Dask) path: the same figures as the pandas path, exactly.

Skipped when dask is not installed (``.ci/run`` installs the ``dask`` extra, so CI runs them).
"""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")

from personatwin_sklearn import ConnectionPatternAnalyzer  # noqa: E402
from personatwin_sklearn.datasets import make_social_population  # noqa: E402
from personatwin_sklearn.exceptions import (  # noqa: E402
    DanglingEdgeError,
    MissingColumnError,
    PersonaTwinError,
)
from personatwin_sklearn.metrics import (  # noqa: E402
    equivalence_class_sizes,
    k_anonymity,
    reidentification_risk,
)
from personatwin_sklearn.patterns import pattern_counts_dask  # noqa: E402

QIS = ["age", "gender", "ethnicity", "zipcode"]


@pytest.fixture(autouse=True, scope="module")
def _synchronous_scheduler():
    # small frames: the threaded scheduler only adds overhead (and keeps the file fast)
    import dask

    with dask.config.set(scheduler="synchronous"):
        yield


@pytest.fixture(scope="module")
def data():
    return make_social_population(n_people=500, random_state=0)


@pytest.fixture(scope="module")
def mixed():
    """People with synthetic rows and missing quasi-identifier values."""
    people = make_social_population(n_people=500, random_state=0).people
    people["zipcode"] = people["zipcode"].where(np.arange(len(people)) % 7 != 0)
    people["is_synthetic"] = np.arange(len(people)) % 5 == 0
    return people


def _ddf(frame, n=4):
    return dd.from_pandas(frame, npartitions=n)


def _pandas_counts(data, **params):
    fitted = ConnectionPatternAnalyzer(k=1, **params).fit(data)
    table = fitted.patterns_.sort_values(["k", "pattern"], kind="stable")
    return table.reset_index(drop=True)


@pytest.mark.parametrize(
    "quasi_identifiers", [None, ["age", "gender"], ["zipcode"], ["ethnicity", "occupation"]]
)
def test_k_anonymity_and_class_sizes_match_pandas(data, quasi_identifiers):
    people = data.people
    ddf = _ddf(people)
    assert ddf.npartitions == 4
    expected = equivalence_class_sizes(people, quasi_identifiers)
    got = equivalence_class_sizes(ddf, quasi_identifiers)
    assert isinstance(got, np.ndarray)
    np.testing.assert_array_equal(got, expected)
    assert k_anonymity(ddf, quasi_identifiers) == k_anonymity(people, quasi_identifiers)


@pytest.mark.parametrize("population", ["real", "all"])
@pytest.mark.parametrize("threshold", [0.2, 0.5])
def test_risk_matches_pandas_with_synthetic_rows_and_missing_values(mixed, population, threshold):
    expected = reidentification_risk(mixed, QIS, threshold=threshold, population=population)
    got = reidentification_risk(_ddf(mixed), QIS, threshold=threshold, population=population)
    for name in ("max_risk", "records_at_risk", "n_records", "k", "threshold"):
        assert getattr(got, name) == getattr(expected, name), name
    # the average is a sum over classes instead of rows: equal up to rounding order
    assert got.population_average_risk == pytest.approx(
        expected.population_average_risk, rel=1e-12
    )
    assert got.combined_average_risk is None and expected.combined_average_risk is None
    np.testing.assert_array_equal(
        equivalence_class_sizes(_ddf(mixed), QIS), equivalence_class_sizes(mixed, QIS)
    )


def test_risk_sample_population_default_qis(data):
    expected = reidentification_risk(data.people)
    got = reidentification_risk(_ddf(data.people))
    assert got.k == expected.k and got.max_risk == expected.max_risk
    assert got.n_records == expected.n_records == 500
    assert got.records_at_risk == expected.records_at_risk
    assert got.population_average_risk == pytest.approx(expected.population_average_risk)


def test_risk_dask_rejects_connection_figures(data):
    with pytest.raises(TypeError, match="pattern_counts_dask"):
        reidentification_risk(_ddf(data.people), include_connections=True)


def test_risk_dask_names_missing_qi(data):
    with pytest.raises(MissingColumnError, match="postcode"):
        k_anonymity(_ddf(data.people), ["age", "postcode"])


def test_empty_dask_people():
    empty = pd.DataFrame({"age": pd.Series([], dtype="int64"), "gender": pd.Series([], dtype=str)})
    assert k_anonymity(_ddf(empty, 1)) == 0
    assert len(equivalence_class_sizes(_ddf(empty, 1))) == 0
    assert reidentification_risk(_ddf(empty, 1)).n_records == 0


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"age_bin": 1, "signature": ["gender", "age"]},
        {"signature": ["occupation", "has_criminal_record"]},
    ],
)
def test_pattern_counts_match_analyzer(data, params):
    expected = _pandas_counts(data, **params)
    got = pattern_counts_dask(
        _ddf(data.people), _ddf(data.connections), domain=data.domain, **params
    )
    assert list(got.columns) == list(expected.columns)
    np.testing.assert_array_equal(got["pattern"].to_numpy(), expected["pattern"].to_numpy())
    np.testing.assert_array_equal(got["k"].to_numpy(), expected["k"].to_numpy())
    np.testing.assert_array_equal(
        got["n_connections"].to_numpy(), expected["n_connections"].to_numpy()
    )
    for column in got.columns:
        if column.startswith("partner_") or column == "connection_type":
            assert got[column].astype(str).tolist() == expected[column].astype(str).tolist()
    assert got["n_connections"].sum() == 2 * data.n_connections


def test_pattern_counts_domain_gives_inverse_types(data):
    from personatwin_sklearn import SocialData
    from personatwin_sklearn.domains import Domain

    plain = Domain(name="plain", connection_types=("PARENT", "SPOUSE", "SIBLING", "CO_DEFENDANT"))
    undirected = SocialData(data.people, data.connections, domain=plain)
    # pandas frames are accepted too (one partition), and are not modified
    people, edges = data.people, data.connections
    before_p, before_e = people.copy(), edges.copy()
    got = pattern_counts_dask(people, edges, domain=plain)
    pd.testing.assert_frame_equal(people, before_p)
    pd.testing.assert_frame_equal(edges, before_e)
    assert "CHILD" not in set(got["connection_type"])
    assert got["pattern"].tolist() == _pandas_counts(undirected)["pattern"].tolist()
    with_domain = pattern_counts_dask(
        _ddf(data.people), _ddf(data.connections), domain=data.domain
    )
    assert "CHILD" in set(with_domain["connection_type"])


def test_pattern_counts_missing_partner_values(data):
    people = data.people
    people["occupation"] = people["occupation"].where(np.arange(len(people)) % 3 != 0)
    from personatwin_sklearn import SocialData

    modified = SocialData(people, data.connections, domain=data.domain)
    expected = _pandas_counts(modified)
    got = pattern_counts_dask(_ddf(people), _ddf(data.connections), domain=data.domain)
    assert got["pattern"].tolist() == expected["pattern"].tolist()
    assert got["k"].tolist() == expected["k"].tolist()
    assert any("occupation=<NA>" in p or "occupation=nan" in p for p in got["pattern"])


def test_pattern_counts_errors(data):
    people, edges = _ddf(data.people), data.connections
    dangling = pd.concat(
        [edges, edges.iloc[:2].assign(person2_id=[10**9, 10**9 + 1])], ignore_index=True
    )
    with pytest.raises(DanglingEdgeError, match="2 of"):
        pattern_counts_dask(people, _ddf(dangling), domain=data.domain)
    with pytest.raises(MissingColumnError, match="shoe_size"):
        pattern_counts_dask(people, _ddf(edges), signature=["shoe_size"])
    with pytest.raises(MissingColumnError, match="connection_type"):
        pattern_counts_dask(people, _ddf(edges.drop(columns="connection_type")))
    with pytest.raises(PersonaTwinError, match="age_bin"):
        pattern_counts_dask(people, _ddf(edges), age_bin=0)
    with pytest.raises(TypeError, match="people must be"):
        pattern_counts_dask(data, _ddf(edges))


def test_inputs_not_mutated(data):
    people, edges = data.people, data.connections
    before_p, before_e = people.copy(), edges.copy()
    reidentification_risk(_ddf(people))
    equivalence_class_sizes(_ddf(people))
    pd.testing.assert_frame_equal(people, before_p)
    pd.testing.assert_frame_equal(edges, before_e)


def test_package_import_does_not_import_dask():
    code = (
        "import sys, personatwin_sklearn, personatwin_sklearn.metrics, "
        "personatwin_sklearn.patterns; "
        "print(any(m == 'dask' or m.startswith('dask.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_clear_error_without_dask(monkeypatch):
    import builtins

    from personatwin_sklearn.patterns._dask import require_dask

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "dask" or name.startswith("dask."):
            raise ImportError("No module named 'dask'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"pip install \"dask\[dataframe\]>=2024.1\""):
        require_dask()
