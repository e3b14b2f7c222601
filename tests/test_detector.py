"""The detector-equipped adversary: graph features, detector suite, stripped-release attack.

Features are checked against a brute-force networkx computation; detection against cases
whose answer is known by construction (random fake edges: AUC near 1; fake edges that are
a relabelled copy of real components: AUC near 0.5); the stripped attack against a perfect
detector (stripping recovers the unprotected release exactly).
"""

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from sklearn.model_selection import GridSearchCV

from personatwin_sklearn import SocialData, release_split
from personatwin_sklearn._graph_features import FEATURES, GraphFeatures, edge_features
from personatwin_sklearn.attacks import (
    DetectorResult,
    StrippedAttackResult,
    detector_suite,
    fit_detector,
    linkage_attack,
    make_detector_scorer,
    score_connections,
    strip_connections,
    stripped_release_attack,
)
from personatwin_sklearn.connections import SyntheticConnectionGenerator
from personatwin_sklearn.datasets import make_social_population
from personatwin_sklearn.exceptions import InvalidValueError
from tests._baselines import random_edge_addition

PACKAGE = Path(__file__).resolve().parents[1] / "personatwin_sklearn"


@pytest.fixture(scope="module")
def population():
    return make_social_population(400, random_state=0)


@pytest.fixture(scope="module")
def other_population():
    return make_social_population(400, random_state=1)


def half_components_flagged(data, seed=0):
    """``data`` with the connections of a random half of its connected components
    flagged synthetic: the "synthetic" connections are real components, drawn like the
    others (a relabelled copy of ``data``'s own components would give each synthetic
    connection an identical real twin, and cross-validation then learns the twin's
    label: AUC below 0.5)."""
    u, v = data.edge_positions()
    graph = sp.coo_matrix((np.ones(len(u)), (u, v)), shape=(len(data), len(data)))
    _, component = connected_components(graph, directed=False)
    chosen = np.random.default_rng(seed).random(component.max() + 1) < 0.5
    flags = chosen[component[u]]
    return data.with_connections(data.connections.assign(is_synthetic=flags))


# -- features ----------------------------------------------------------------------------
def small_graph():
    people = pd.DataFrame(
        {
            "person_id": np.arange(9),
            "age": [30, 32, 60, 61, 5, 8, 40, 41, 70],
            "gender": list("FMFMFMFMF"),
            "zipcode": ["80202"] * 4 + ["80301"] * 5,
            "ethnicity": ["white"] * 9,
            "occupation": ["sales", "sales", "retired", "retired", "student", "student"]
            + ["legal", "education", "retired"],
        }
    )
    pairs = [
        (0, 1, "SPOUSE"),
        (0, 4, "PARENT"),
        (1, 4, "PARENT"),
        (0, 5, "PARENT"),
        (1, 5, "PARENT"),
        (4, 5, "SIBLING"),
        (2, 3, "SPOUSE"),
        (0, 2, "PARENT"),
        (0, 3, "PARENT"),
        (6, 7, "SPOUSE"),
        (6, 8, "PARENT"),
        (7, 8, "PARENT"),
        (3, 6, "CO_DEFENDANT"),
        (0, 1, "CO_DEFENDANT"),  # a second connection between 0 and 1
    ]
    edges = pd.DataFrame(pairs, columns=["person1_id", "person2_id", "connection_type"])
    return SocialData(people, edges, domain="criminal_justice")


def brute_force(data, u, v, connection_type, existing):
    """The features of one pair from networkx and Python sets, one pair at a time."""
    graph = nx.Graph()
    graph.add_nodes_from(data.ids)
    rows = list(data.connections[["person1_id", "person2_id", "connection_type"]].itertuples())
    graph.add_edges_from((r.person1_id, r.person2_id) for r in rows)
    inverse = data.domain.inverse_type
    typed = [(r.person1_id, r.connection_type) for r in rows]
    typed += [(r.person2_id, inverse(r.connection_type)) for r in rows]
    if not existing:
        graph.add_edge(u, v)
        typed += [(u, connection_type), (v, inverse(connection_type))]
    nu, nv = set(graph[u]), set(graph[v])
    common = nu & nv
    tri = nx.triangles(graph)
    clus = nx.clustering(graph)
    between = sum(1 for r in rows if {r.person1_id, r.person2_id} == {u, v})
    ku = sum(1 for who, t in typed if who == u and t == connection_type)
    kv = sum(1 for who, t in typed if who == v and t == inverse(connection_type))
    people = data.people.set_index("person_id")
    return {
        "degree_min": min(len(nu), len(nv)),
        "degree_max": max(len(nu), len(nv)),
        "type_degree_min": min(ku, kv),
        "type_degree_max": max(ku, kv),
        "common_neighbors": len(common),
        "jaccard": len(common) / len(nu | nv),
        "adamic_adar": sum(1 / np.log(graph.degree(w)) for w in common),
        "triangles_min": min(tri[u], tri[v]),
        "triangles_max": max(tri[u], tri[v]),
        "clustering_min": min(clus[u], clus[v]),
        "clustering_max": max(clus[u], clus[v]),
        "multi_edge": int(between + (not existing) > 1),
        "age_gap": abs(people.loc[u, "age"] - people.loc[v, "age"]),
        "same_zipcode": int(people.loc[u, "zipcode"] == people.loc[v, "zipcode"]),
        "same_occupation": int(people.loc[u, "occupation"] == people.loc[v, "occupation"]),
    }


def test_edge_features_equal_brute_force():
    data = small_graph()
    feats = edge_features(data)
    assert len(feats) == data.n_connections
    assert list(feats.columns) == [c for c in FEATURES if c in feats.columns]
    for row, edge in enumerate(data.connections.itertuples()):
        want = brute_force(data, edge.person1_id, edge.person2_id, edge.connection_type, True)
        got = feats.iloc[row]
        for name, value in want.items():
            assert got[name] == pytest.approx(value), (row, name)
        assert got["connection_type"] == edge.connection_type


def test_pair_features_as_if_added_equal_brute_force():
    data = small_graph()
    graph = GraphFeatures(data)
    candidates = [(2, 6, "SPOUSE"), (4, 8, "SIBLING"), (0, 1, "SPOUSE"), (5, 7, "PARENT")]
    u = graph.positions([c[0] for c in candidates])
    v = graph.positions([c[1] for c in candidates])
    feats = graph.pair_features(u, v, [c[2] for c in candidates])
    for row, (a, b, kind) in enumerate(candidates):
        want = brute_force(data, a, b, kind, existing=False)
        for name, value in want.items():
            assert feats.iloc[row][name] == pytest.approx(value), (a, b, name)


def test_spectral_distance_separates_components():
    data = small_graph()
    feats = edge_features(data)
    graph = GraphFeatures(data)
    assert feats["spectral_distance"].between(0, 2).all()
    # two people of one tight household are closer than people of different households
    near = graph.pair_features(graph.positions([4]), graph.positions([5]), "SIBLING")
    far = graph.pair_features(graph.positions([4]), graph.positions([8]), "SIBLING")
    assert near["spectral_distance"].iloc[0] < far["spectral_distance"].iloc[0]
    assert edge_features(data, spectral=False)["spectral_distance"].isna().all()


def test_features_vectorised_and_inputs_unchanged(population):
    release = random_edge_addition(population, copies=2)
    people, edges = release.people.copy(), release.connections.copy()
    feats = edge_features(release)
    pd.testing.assert_frame_equal(release.people, people)
    pd.testing.assert_frame_equal(release.connections, edges)
    assert feats.shape == (release.n_connections, len(FEATURES))
    numeric = feats.drop(columns="connection_type")
    assert np.isfinite(numeric.drop(columns="spectral_distance").to_numpy(float)).all()
    # candidate pairs that are the release's own edges, "as if added": one more each
    graph = GraphFeatures(release)
    u, v = release.edge_positions()
    again = graph.pair_features(u, v, release.connections["connection_type"])
    assert (again["type_degree_max"] == feats["type_degree_max"] + 1).all()
    assert (again["multi_edge"] == 1).all()
    with pytest.raises(InvalidValueError, match="outside the 400 people"):
        graph.pair_features([0], [10_000], "SPOUSE")


def test_old_import_paths_and_empty_graph(toy):
    from personatwin_sklearn import attacks
    from personatwin_sklearn._graph_features import _canon, _intervals, _numeric_age
    from personatwin_sklearn.attacks import _edge_detection, _linkage

    assert attacks.edge_features is edge_features is _edge_detection.edge_features
    assert _linkage._canon is _canon and _linkage._intervals is _intervals
    assert _linkage._numeric_age is _numeric_age is _edge_detection._numeric_age
    lonely = toy.with_connections(toy.connections.iloc[:0])
    assert edge_features(lonely).shape == (0, len(FEATURES) - 2)  # no ethnicity/zipcode
    graph = GraphFeatures(lonely)
    feats = graph.pair_features(graph.positions(["A"]), graph.positions(["B"]), "SPOUSE")
    first = feats[["degree_min", "type_degree_max", "common_neighbors"]].iloc[0]
    assert first.tolist() == [1, 1, 0]


# -- detector ----------------------------------------------------------------------------
def test_random_fake_edges_are_found(population, other_population):
    release = random_edge_addition(population, copies=2)
    shadow = random_edge_addition(other_population, copies=2, seed=1)
    result = detector_suite(release, cv=3, shadow=shadow, random_state=0)
    assert isinstance(result, DetectorResult)
    assert result.auc > 0.97 and result.shadow_auc > 0.95  # measured ~0.99 and ~0.99
    assert result.tpr_at_1pct_fpr > 0.5
    assert result.n_synthetic == release.n_synthetic_connections
    assert result.scores.shape == result.shadow_scores.shape == (release.n_connections,)
    assert set(result.to_dict()) >= {"auc", "tpr_at_1pct_fpr", "shadow_auc", "top_feature"}
    assert result.feature_importances.index[0] in result.features


def test_real_looking_components_cannot_be_told_apart():
    release = half_components_flagged(make_social_population(800, random_state=0))
    shadow = half_components_flagged(make_social_population(800, random_state=1), seed=1)
    result = detector_suite(release, cv=3, shadow=shadow, importances=False, random_state=0)
    # synthetic connections drawn like the real ones: the shadow detector is at chance
    assert abs(result.shadow_auc - 0.5) < 0.1, result.shadow_auc  # 0.51 measured
    assert result.shadow_tpr_at_1pct_fpr < 0.1
    # cross-validation splits households between folds, and a household's connections
    # share their features and label: a known upward leak of the generous estimate
    assert result.auc < 0.7, result.auc  # 0.62 measured
    assert result.feature_importances.empty


def test_shadow_detector_never_reads_target_flags(population, other_population):
    release = random_edge_addition(population, copies=2)
    detector = fit_detector(
        random_edge_addition(other_population, copies=2, seed=1), random_state=0
    )
    scores = score_connections(detector, release)
    hidden = release.with_connections(
        release.connections.assign(is_synthetic=False, strength="STRONG", confidence=1.0)
    )
    np.testing.assert_array_equal(scores, score_connections(detector, hidden))
    # a detector from several shadows, and a target without a zipcode column
    pooled = fit_detector(
        [
            random_edge_addition(other_population, 1, seed=2),
            random_edge_addition(other_population, 2),
        ],
        random_state=0,
    )
    no_zip = release.with_people(release.people.drop(columns="zipcode"), validate=False)
    assert score_connections(pooled, no_zip).shape == (release.n_connections,)


def test_detector_bad_input(population):
    with pytest.raises(InvalidValueError, match="0 synthetic connection"):
        detector_suite(population)
    with pytest.raises(InvalidValueError, match="a detector needs both"):
        fit_detector(population)
    with pytest.raises(InvalidValueError, match="must be a SocialData"):
        fit_detector([population.people])


# -- stripped release --------------------------------------------------------------------
def test_perfect_detector_strips_back_to_the_unprotected_release(population):
    release = random_edge_addition(population, copies=2)
    flags = release.connections["is_synthetic"].to_numpy()
    result = stripped_release_attack(population, release, scores=flags.astype(float))
    assert isinstance(result, StrippedAttackResult) and result.detector == "given"
    np.testing.assert_array_equal(result.strip_mask, flags)
    for scope in ("edge", "neighborhood", "combined"):
        unprotected = linkage_attack(population, population, scope=scope)
        row = result.per_scope.loc[scope]
        assert row["expected_success"] == pytest.approx(unprotected.expected_success)
        assert row["success_rate"] == pytest.approx(unprotected.success_rate)
        assert row["expected_success"] > row["expected_success_unstripped"]
        assert row["n_removed_real"] == 0
        assert row["n_removed_synthetic"] == release.n_synthetic_connections
        assert row["effective_k"] == pytest.approx(1 / row["expected_success"])
    # the generator's release: stripping its flagged connections leaves the real ones
    protected = SyntheticConnectionGenerator(
        method="exhaustive", target_k=5, random_state=0
    ).fit_transform(population)
    flags = protected.connections["is_synthetic"].to_numpy()
    result = stripped_release_attack(
        population, protected, scores=flags.astype(float), scopes="edge"
    )
    stripped = strip_connections(protected, result.strip_mask)
    assert stripped.n_synthetic_connections == 0 and len(stripped) == len(protected)
    pd.testing.assert_frame_equal(stripped.connections, population.connections)
    unprotected = linkage_attack(population, population).expected_success
    assert result.per_scope.loc["edge", "expected_success_unstripped"] <= 1 / 5
    # partner personas stay (without connections), a few more candidates for some
    assert result.per_scope.loc["edge", "expected_success"] == pytest.approx(unprotected, rel=1e-2)


def test_trivially_detectable_edges_are_stripped(population):
    release = random_edge_addition(population, copies=2)
    result = stripped_release_attack(population, release, scopes=("edge",), random_state=0)
    assert result.detector == "cross-fitted"
    row = result.per_scope.loc["edge"]
    assert row["n_removed_synthetic"] >= 0.95 * release.n_synthetic_connections
    unprotected = linkage_attack(population, population, scope="edge").expected_success
    assert row["expected_success"] >= 0.8 * unprotected > row["expected_success_unstripped"]
    # the figures are those of a plain linkage attack on the stripped release
    again = linkage_attack(population, strip_connections(release, result.strip_mask))
    assert row["expected_success"] == pytest.approx(again.expected_success)
    assert result.grid["threshold"].iloc[0] == np.inf  # "remove nothing" is tried
    assert set(result.to_dict()["scopes"]) == {"edge"}


def test_stripped_attack_with_shadow(population, other_population):
    release = random_edge_addition(population, copies=2)
    shadow = random_edge_addition(other_population, copies=2, seed=1)
    result = stripped_release_attack(
        population, release, shadow=shadow, scopes=["neighborhood"], thresholds=[0.9, 0.5]
    )
    assert result.detector == "shadow" and list(result.grid["threshold"]) == [np.inf, 0.9, 0.5]
    row = result.per_scope.loc["neighborhood"]
    assert row["expected_success"] >= row["expected_success_unstripped"]
    with pytest.raises(InvalidValueError, match="scores has 3 value"):
        stripped_release_attack(population, release, scores=[0.1, 0.2, 0.3])


# -- scorer ------------------------------------------------------------------------------
@pytest.mark.slow
def test_detector_scorer_in_grid_search():
    data = make_social_population(150, random_state=0)
    search = GridSearchCV(
        SyntheticConnectionGenerator(method="exhaustive", random_state=0),
        {"target_k": [2, 4]},
        scoring=make_detector_scorer("effective_risk"),
        cv=release_split(data),
    ).fit(data)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all() and (scores <= 0).all() and (scores >= -1).all()
    fitted = SyntheticConnectionGenerator(method="exhaustive", target_k=4, random_state=0).fit(
        data
    )
    auc = make_detector_scorer("auc", cv=3)(fitted, data)
    assert -1 <= auc <= -0.5
    untouched = SyntheticConnectionGenerator(method="exhaustive", target_k=1, random_state=0).fit(
        data
    )
    assert make_detector_scorer("auc")(untouched, data) == -0.5  # nothing to detect
    with pytest.raises(InvalidValueError, match="needs shadow="):
        make_detector_scorer("shadow_auc")
    with pytest.raises(InvalidValueError, match="metric='risk' is not one of"):
        make_detector_scorer("risk")


# -- layering ----------------------------------------------------------------------------
def test_layering():
    """connections never import attacks; _graph_features imports no higher module."""
    tree = ast.parse((PACKAGE / "_graph_features.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    allowed_roots = {
        "__future__",
        "functools",
        "re",
        "numbers",
        "numpy",
        "pandas",
        "scipy",
        "sklearn",
    }
    allowed = {
        "personatwin_sklearn._social_data",
        "personatwin_sklearn.exceptions",
        "personatwin_sklearn.domains",  # a leaf: numpy and pandas only
        "personatwin_sklearn._text",  # a leaf: numpy and pandas only
    }
    bad = {m for m in imported if m.split(".")[0] not in allowed_roots and m not in allowed}
    assert not bad, bad
    code = (
        "import sys; import personatwin_sklearn._graph_features;"
        "print(sorted(m for m in sys.modules if m.startswith('personatwin_sklearn')));"
        "import personatwin_sklearn.connections;"
        "print(sorted(m for m in sys.modules if m.startswith('personatwin_sklearn.attacks')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    low, attacks = out.stdout.strip().splitlines()
    assert set(ast.literal_eval(low)) <= {
        "personatwin_sklearn",
        "personatwin_sklearn._graph_features",
        "personatwin_sklearn._roles",  # column checks of _social_data; imports exceptions only
        "personatwin_sklearn._social_data",
        "personatwin_sklearn._text",
        "personatwin_sklearn.domains",
        "personatwin_sklearn.exceptions",
    }, low
    assert attacks == "[]", attacks


def test_suite_features_twins_rules_and_class_at_k():
    from personatwin_sklearn._graph_features import person_suite_features, suite_edge_features

    people = pd.DataFrame(
        {
            "person_id": [1, 2, 3, 4, 5, 6],
            "age": [40, 40, 40, 40, 70, 20],
            "gender": ["F", "M", "F", "M", "F", "M"],
            "has_criminal_record": [True, False, True, False, True, True],
        }
    )
    edges = pd.DataFrame(
        {
            "person1_id": [1, 3, 5],
            "person2_id": [2, 4, 6],
            "connection_type": ["SPOUSE", "SPOUSE", "CO_DEFENDANT"],
        }
    )
    data = SocialData(people, edges)
    persons = person_suite_features(data)
    # 1-2 and 3-4 are identical households: each has one twin; 5 and 6 have none
    assert persons["twins"].tolist() == [1, 1, 1, 1, 0, 0]
    assert persons["qi_class"].tolist() == [2, 2, 2, 2, 1, 1]
    assert persons["at_k"].tolist() == [0, 0, 0, 0, 1, 1]
    assert persons["component"].tolist() == [2] * 6
    edge = suite_edge_features(data, persons)
    assert edge["twins_min"].tolist() == [1, 1, 0]
    assert edge["rule_broken"].tolist() == [0, 0, 0]  # both co-defendants have a record
    cut = SocialData(people.assign(has_criminal_record=[True] * 5 + [False]), edges)
    assert suite_edge_features(cut)["rule_broken"].tolist() == [0, 0, 1]
    assert set(edge.columns) <= set(edge_features(data).columns)


@pytest.mark.slow
def test_detector_suite_reports_person_aucs():
    gen = SyntheticConnectionGenerator(method="exhaustive", target_k=4, random_state=0)
    release = gen.fit_transform(make_social_population(200, random_state=0))
    shadow = gen.fit_transform(make_social_population(200, random_state=1))
    result = detector_suite(release, cv=3, shadow=shadow, importances=False, random_state=0)
    if release.n_synthetic >= 3:
        assert 0.0 <= result.person_auc <= 1.0
        assert 0.0 <= result.shadow_person_auc <= 1.0
    assert set(result.to_dict()) >= {"person_auc", "shadow_person_auc"}


def test_shadow_split_keeps_connected_people_together(population):
    from personatwin_sklearn.attacks import shadow_split

    before = population.connections.copy()
    parts = shadow_split(population, 2, random_state=0, n_repeats=1)
    assert [len(p) for p in parts] == [200, 200]
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(len(population)))
    assert population.connections.equals(before)  # the input is not changed
    # same seed, same parts; another seed, another rotation
    again = shadow_split(population, 2, random_state=0, n_repeats=1)
    assert all(np.array_equal(a, b) for a, b in zip(parts, again))
    # a random half keeps about one connection in four; these parts keep nearly all
    u, v = population.edge_positions()
    part = np.empty(len(population), dtype=int)
    for i, p in enumerate(parts):
        part[p] = i
    kept = np.mean(part[u] == part[v])
    assert kept > 0.95, kept
    three = shadow_split(population, 3, random_state=1, n_repeats=2)
    assert [len(p) for p in three] == [133, 134, 133] * 2
    assert not np.array_equal(three[0], three[3])  # another split
    # "auto": splits until about SHADOW_PEOPLE people, at most SHADOW_MAX_REPEATS
    assert len(shadow_split(population, 2, random_state=0)) == 2 * 4
    with pytest.raises(InvalidValueError, match="n_parts"):
        shadow_split(population, 0)
    with pytest.raises(InvalidValueError, match="n_repeats"):
        shadow_split(population, 2, n_repeats=0)
    with pytest.raises(InvalidValueError, match="SocialData"):
        shadow_split(population.people)
