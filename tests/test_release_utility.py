"""release_utility: what a release keeps, read as the uniform spread of generalised values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from personatwin_sklearn import SocialData
from personatwin_sklearn.datasets import make_social_population
from personatwin_sklearn.exceptions import InvalidValueError, MissingColumnError
from personatwin_sklearn.metrics import UtilityReport, release_utility
from personatwin_sklearn.metrics._spread import age_reading, categorical_reading


@pytest.fixture(scope="module")
def population():
    return make_social_population(400, random_state=0)


def _with(data: SocialData, people=None, connections=None) -> SocialData:
    people = data.people if people is None else people
    connections = data.connections if connections is None else connections
    return SocialData(people, connections, domain=data.domain, validate=False)


def test_identity_release_has_no_error(population):
    report = release_utility(population, population, random_state=0)
    f = report.figures
    assert isinstance(report, UtilityReport)
    errors = [k for k in f if k.endswith("_tvd") or "_error" in k or k.startswith("ncp_")]
    assert errors and all(f[k] == 0 or math.isnan(f[k]) for k in errors), {
        k: f[k] for k in errors if f[k]
    }
    assert f["exact_type_share"] == 1.0
    assert f["occupation_exact_share"] == 1.0 == f["occupation_major_or_finer_share"]
    assert f["age_interval_width_mean"] == 1.0
    assert f["clustering_difference"] == 0.0
    assert f["community_nmi"] == pytest.approx(1.0)
    assert f["ml_auc_gap"] == pytest.approx(0.0, abs=1e-9)
    assert 0.5 < f["ml_auc_real"] <= 1.0
    assert all(isinstance(v, float) for v in f.values())
    assert report.n_real == report.n_release == len(population)


def test_suppressed_release_has_large_errors(population):
    people = population.people
    for column in ("age", "ethnicity", "zipcode", "occupation", "gender"):
        people[column] = "*"
    edges = population.connections
    edges["connection_type"] = "*"
    report = release_utility(population, _with(population, people, edges), random_state=0)
    f = report.figures
    assert f["exact_type_share"] == 0.0
    assert f["occupation_suppressed_share"] == 1.0
    assert f["occupation_major_or_finer_share"] == 0.0
    assert f["ncp_age"] == 1.0 and f["ncp_occupation"] == 1.0
    assert f["pattern_histogram_tvd"] > 0.8
    assert f["type_degree_tvd"] > 0.1
    assert f["spouse_age_gap_tvd"] > 0.4
    assert f["marginal_tvd_occupation"] > 0.3
    assert f["ml_auc_gap"] > 0.05


def test_summary_and_dict(population):
    report = release_utility(population, population, random_state=0, communities=False)
    line = report.summary()
    assert "exact types 100%" in line and "patterns 0.00" in line
    as_dict = report.to_dict()
    assert as_dict["figures"]["community_nmi"] is None  # NaN -> None for JSON
    assert as_dict["n_real"] == len(population)


def test_same_seed_same_figures(population):
    edges = population.connections
    edges["connection_type"] = edges["connection_type"].replace({"SPOUSE": "SIBLING|SPOUSE"})
    release = _with(population, connections=edges)
    a = release_utility(population, release, random_state=3).figures
    b = release_utility(population, release, random_state=3).figures
    assert a.keys() == b.keys()
    assert all((math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k] for k in a)


# -- the uniform-spread reading on hand-made frames --------------------------------------
def test_age_ranges_spread_over_their_years():
    original = pd.Series([40, 41, 42, 43, 44, 50])
    before, after = age_reading(original, pd.Series(["40-44"] * 5 + ["*"]))
    totals = after.totals()
    assert totals[40:45] == pytest.approx([1 + 1 / 11] * 5)  # 5 rows + "*" over 40..50
    assert totals[45:51] == pytest.approx([1 / 11] * 6)
    assert list(after.kind[after.codes]) == ["group"] * 5 + ["suppressed"]
    assert list(before.kind[before.codes]) == ["exact"] * 6


def test_sets_masks_and_groups_spread_over_members():
    original = pd.Series(["80201", "80202", "80301", "80302"])
    _, after = categorical_reading(original, pd.Series(["802**", "80201|80301", "*", "80302"]))
    rows = after.rows().toarray()[:, :4]
    assert rows[0] == pytest.approx([0.5, 0.5, 0, 0])
    assert rows[1] == pytest.approx([0.5, 0, 0.5, 0])
    assert rows[2] == pytest.approx([0.25] * 4)
    assert rows[3] == pytest.approx([0, 0, 0, 1])
    assert list(after.kind[after.codes]) == ["group", "group", "suppressed", "exact"]


def test_occupation_major_group_reads_as_its_members():
    original = pd.Series(["sales", "office_admin", "legal", "student"])
    _, after = categorical_reading(original, pd.Series(["sales|office_admin", "sales_office"]))
    rows = after.rows().toarray()
    assert rows[0, :2] == pytest.approx([0.5, 0.5]) and rows[1, :2] == pytest.approx([0.5, 0.5])


def test_known_answers_on_a_tiny_release():
    """Two couples; the release hides one spouse type in a family group and one age."""
    people = pd.DataFrame(
        {
            "person_id": [1, 2, 3, 4],
            "age": [40, 42, 30, 50],
            "gender": ["F", "M", "F", "M"],
            "has_flag": [True, False, False, False],
        }
    )
    edges = pd.DataFrame(
        {"person1_id": [1, 3], "person2_id": [2, 4], "connection_type": ["SPOUSE", "SPOUSE"]}
    )
    original = SocialData(people, edges)
    released_people = people.assign(age=["40-44", "40-44", "30-34", "50-54"])
    released_edges = edges.assign(connection_type=["SPOUSE", "PARENT|SPOUSE"])
    release = SocialData(released_people, released_edges, validate=False)
    f = release_utility(original, release, target=None, communities=False).figures
    assert f["exact_type_share"] == 0.5
    assert f["age_interval_width_mean"] == 5.0
    # per-type degree: people with 0/1 spouses, real [0, 4]; in the release persons 3 and 4
    # each have a spouse with probability 1/2: [1, 3] -> TVD 1/4 (PARENT and CHILD are
    # absent from the original, so only SPOUSE is averaged)
    assert f["type_degree_tvd"] == pytest.approx(0.25)
    # spouse gaps: real 2 and 20 (bins 0-2 and 11-20); release: the first couple's ages are
    # both uniform on 40..44, the second (weight 1/2) uniform on 30..34 and 50..54
    years = np.arange(40, 45)
    gap = np.abs(years[:, None] - years[None, :]).ravel()
    first = np.array([(gap <= 2).mean(), ((gap >= 3) & (gap <= 5)).mean(), 0, 0, 0])
    lo, hi = np.arange(30, 35), np.arange(50, 55)
    far = np.abs(lo[:, None] - hi[None, :]).ravel()
    second = np.array([0, 0, 0, ((far >= 11) & (far <= 20)).mean(), (far >= 21).mean()])
    release_bins = (first + 0.5 * second) / 1.5
    expected = 0.5 * np.abs(release_bins - np.array([0.5, 0, 0, 0.5, 0])).sum()
    assert f["spouse_age_gap_tvd"] == pytest.approx(expected)
    assert f["spouse_age_gap_mean_original"] == pytest.approx(11.0)
    # marginals of age in 5-year bands: every band keeps its person
    assert f["marginal_tvd_age"] == pytest.approx(0.0)


def test_dropped_column_reads_as_suppressed(population):
    release = _with(population, people=population.people.drop(columns=["occupation"]))
    f = release_utility(population, release, random_state=0, communities=False).figures
    assert f["occupation_suppressed_share"] == 1.0
    assert f["ncp_occupation"] == 1.0


def test_bad_input_names_the_parameter(population):
    with pytest.raises(InvalidValueError, match="release must be a SocialData"):
        release_utility(population, population.people)
    with pytest.raises(InvalidValueError, match="age_bin"):
        release_utility(population, population, age_bin=0)
    with pytest.raises(MissingColumnError, match="signature"):
        release_utility(population, population, signature=["nope"])
    with pytest.raises(MissingColumnError, match="target"):
        release_utility(population, population, target="nope")


def test_graph_input_same_attribute_shares():
    from personatwin_sklearn.io import read_pajek

    root = "/work/shared/data/graphs/facebook100/Caltech36"
    try:
        graph = read_pajek(f"{root}.net", f"{root}.nodelist", id_col="node_id")
    except (FileNotFoundError, OSError):
        pytest.skip("Caltech36 is not available")
    report = release_utility(graph, graph, random_state=0)
    f = report.figures
    assert f["same_dorm_share_original"] == pytest.approx(f["same_dorm_share_release"])
    assert 0.2 < f["same_dorm_share_original"] < 0.7
    assert f["degree_tvd"] == 0 and f["community_nmi"] == pytest.approx(1.0)
    assert math.isnan(f["ml_auc_gap"])  # no has_* flag to predict


# -- make_utility_scorer -----------------------------------------------------------------
def test_utility_scorer_meets_the_risk_target_in_a_grid_search(population):
    from sklearn.model_selection import GridSearchCV

    from personatwin_sklearn import KAnonymizer, release_split
    from personatwin_sklearn.metrics import make_utility_scorer

    scorer = make_utility_scorer(
        "marginal_tvd_mean", risk="max_risk", max_risk=0.2, random_state=0, communities=False
    )
    search = GridSearchCV(
        KAnonymizer(), {"k": [2, 5, 20]}, scoring=scorer, cv=release_split(population)
    )
    search.fit(population)
    scores = dict(zip(search.cv_results_["param_k"], search.cv_results_["mean_test_score"]))
    assert scores[2] < 0 < scores[20] < scores[5]  # k=2 misses max risk 0.2; k=5 keeps more
    assert search.best_params_ == {"k": 5}


def test_utility_scorer_takes_callables(population):
    from personatwin_sklearn import KAnonymizer
    from personatwin_sklearn.metrics import make_utility_scorer, utility_score

    def risk(original, release):
        return 0.5

    scorer = make_utility_scorer(lambda report: 0.7, risk=risk, max_risk=0.4, penalty=-2.0)
    assert scorer(KAnonymizer(k=5).fit(population), population) == pytest.approx(-2.1)
    scorer = make_utility_scorer(lambda report: 0.7, risk=risk, max_risk=0.6)
    assert scorer(KAnonymizer(k=5).fit(population), population) == 0.7
    assert utility_score(
        {"a_tvd": 0.2, "b_share": 0.6, "c": float("nan")}, ["a_tvd", "b_share", "c"]
    ) == (pytest.approx(0.7))


def test_utility_scorer_bad_parameters():
    from personatwin_sklearn.metrics import make_utility_scorer

    with pytest.raises(InvalidValueError, match="risk="):
        make_utility_scorer(risk="nope")
    with pytest.raises(InvalidValueError, match="max_risk"):
        make_utility_scorer(max_risk=-1)
    with pytest.raises(InvalidValueError, match="utility="):
        make_utility_scorer(utility=[])
