"""Tests of the differentially private network templates.

Privacy claims are checked against computations written here in plain Python
(degree counting with dicts, brute-force edge toggles), never by calling the code
under test for the expected value.
"""

import itertools
import math
import pickle
import random
from collections import Counter

import networkx as nx
import numpy as np
import pandas as pd
import pytest

# skipped, with the reason, where diffprivlib does not import (scikit-learn 1.9)
pytest.importorskip("diffprivlib", exc_type=ImportError)
from diffprivlib.accountant import BudgetAccountant
from diffprivlib.utils import BudgetError, PrivacyLeakWarning
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

from personatwin_sklearn import SocialData
from personatwin_sklearn.exceptions import InvalidValueError, PrivacyWarning, SchemaError
from personatwin_sklearn.templates import (
    NetworkTemplate,
    NetworkTemplateExtractor,
    TemplateConnector,
    grid_search_epsilon,
    list_templates,
    load_template,
    total_epsilon_spent,
)

SHIPPED = ["davis_southern_women", "florentine_families", "karate_club", "les_miserables"]


# -- independent reference computations (plain Python) ---------------------------------------
def py_degrees(n, edges):
    deg = dict.fromkeys(range(n), 0)
    for a, b in edges:
        deg[a] += 1
        deg[b] += 1
    return deg


def py_clipped_hist(n, edges, d_max):
    counts = Counter(min(d, d_max) for d in py_degrees(n, edges).values())
    return [counts.get(d, 0) for d in range(d_max + 1)]


def py_clipped_clustering_sum(n, edges, d_max):
    """Sum of local clustering over nodes of degree <= D, counting only triangles whose
    two other corners have degree <= D (the statistic documented in the extractor)."""
    nbrs = {v: set() for v in range(n)}
    for a, b in edges:
        nbrs[a].add(b)
        nbrs[b].add(a)
    inside = {v for v in range(n) if len(nbrs[v]) <= d_max}
    total = 0.0
    for v in inside:
        d = len(nbrs[v])
        if d < 2:
            continue
        near = sorted(nbrs[v] & inside)
        links = sum(1 for x, y in itertools.combinations(near, 2) if y in nbrs[x])
        total += links / (d * (d - 1) / 2)
    return total


def two_sided_geometric_variance(epsilon, sensitivity):
    p = math.exp(-epsilon / sensitivity)
    return 2 * p / (1 - p) ** 2


# -- noise scale ---------------------------------------------------------------------------------
@pytest.mark.parametrize("privacy, epsilon", [("edge", 1.0), ("node", 4.0)])
def test_degree_histogram_noise_has_documented_scale(privacy, epsilon):
    graph = nx.karate_club_graph()
    edges = list(graph.edges())
    d_max = 17  # karate's maximum degree: node-DP's bounded-degree hypothesis holds
    truth = py_clipped_hist(34, edges, d_max)
    sensitivity = 4 if privacy == "edge" else 2 * d_max + 1  # documented L1 sensitivity
    noise = []
    for seed in range(400):
        est = NetworkTemplateExtractor(
            epsilon=epsilon,
            privacy=privacy,
            max_degree=d_max,
            budget_split={"degree_histogram": 1.0},
            random_state=seed,
        ).fit(graph)
        assert est.epsilon_split_ == {"degree_histogram": epsilon}
        noise.append(np.asarray(est.template_.degree_counts) - truth)
    noise = np.concatenate(noise).astype(float)  # 400 x 18 = 7,200 draws
    expected_var = two_sided_geometric_variance(epsilon, sensitivity)
    # relative standard error of a variance estimate ~ sqrt((kurtosis - 1) / N) ~ 3%
    assert abs(noise.var() / expected_var - 1) < 0.12
    assert abs(noise.mean()) < 4 * math.sqrt(expected_var / len(noise))
    p = math.exp(-epsilon / sensitivity)
    assert abs((noise == 0).mean() - (1 - p) / (1 + p)) < 0.02
    # sensitivity 1 (diffprivlib's histogram) would give a much smaller spread
    assert noise.var() > 3 * two_sided_geometric_variance(epsilon, 1 if privacy == "edge" else 4)


def test_edge_and_clustering_noise_scale():
    graph = nx.karate_club_graph()
    d_max = 17
    true_sum = py_clipped_clustering_sum(34, list(graph.edges()), d_max)
    clustering, edges = [], []
    for seed in range(300):
        est = NetworkTemplateExtractor(
            epsilon=32.0,
            max_degree=d_max,
            budget_split={"degree_histogram": 1, "n_edges": 1, "clustering": 30},
            random_state=seed,
        ).fit(graph)
        clustering.append(est.template_.average_clustering * 34 - true_sum)
        edges.append(est.template_.n_edges - 78)
    # Laplace at epsilon 30 and sensitivity 2D + 2 = 36: std sqrt(2) * 36 / 30 (the average
    # is clipped to [0, 1], 16 standard deviations away from the truth here)
    assert abs(np.std(clustering) / (math.sqrt(2) * 36 / 30) - 1) < 0.15
    assert abs(np.mean(clustering)) < 0.3
    # two-sided geometric at epsilon 1 and sensitivity 1
    assert abs(np.var(edges) / two_sided_geometric_variance(1.0, 1) - 1) < 0.3


# -- sensitivity claims, by brute force on small graphs ---------------------------------------
def _random_graph(n, p, seed):
    rnd = random.Random(seed)
    return [(a, b) for a, b in itertools.combinations(range(n), 2) if rnd.random() < p]


@pytest.mark.parametrize("seed", range(3))
def test_edge_sensitivity_bounds_hold(seed):
    n, d_max = 9, 3
    edges = _random_graph(n, 0.45, seed)
    hist, clus = py_clipped_hist(n, edges, d_max), py_clipped_clustering_sum(n, edges, d_max)
    worst_hist = worst_clus = 0.0
    for pair in itertools.combinations(range(n), 2):  # every neighbour: toggle one edge
        other = [e for e in edges if e != pair] if pair in edges else edges + [pair]
        h = py_clipped_hist(n, other, d_max)
        worst_hist = max(worst_hist, sum(abs(a - b) for a, b in zip(hist, h)))
        worst_clus = max(worst_clus, abs(py_clipped_clustering_sum(n, other, d_max) - clus))
    assert worst_hist <= 4
    assert worst_clus <= 2 * d_max + 2


def test_edge_histogram_sensitivity_is_attained():
    # path 0-1 2-3: adding 1-2 moves two nodes from bin 1 to bin 2 (L1 = 4)
    before = py_clipped_hist(4, [(0, 1), (2, 3)], 3)
    after = py_clipped_hist(4, [(0, 1), (2, 3), (1, 2)], 3)
    assert sum(abs(a - b) for a, b in zip(before, after)) == 4


@pytest.mark.parametrize("seed", range(3))
def test_node_sensitivity_bounds_hold_on_bounded_graphs(seed):
    n, d_max = 10, 4
    edges = _random_graph(n, 0.5, seed)
    deg = py_degrees(n, edges)
    edges = [(a, b) for a, b in edges if deg[a] <= d_max and deg[b] <= d_max]
    deg = py_degrees(n, edges)
    assert max(deg.values()) <= d_max
    hist = py_clipped_hist(n, edges, d_max)
    clus = py_clipped_clustering_sum(n, edges, d_max)
    for node in range(n):  # neighbour: remove one node and its edges (relabel the rest)
        keep = [v for v in range(n) if v != node]
        pos = {v: i for i, v in enumerate(keep)}
        other = [(pos[a], pos[b]) for a, b in edges if node not in (a, b)]
        h = py_clipped_hist(n - 1, other, d_max)
        assert sum(abs(a - b) for a, b in zip(hist, h)) <= 2 * d_max + 1
        assert abs(py_clipped_clustering_sum(n - 1, other, d_max) - clus) <= d_max + 1
        assert abs(len(edges) - len(other)) <= d_max


def test_clustering_statistic_matches_networkx_without_clipping():
    from personatwin_sklearn.templates._graph import as_simple_graph, clipped_clustering_sum

    for graph in (nx.karate_club_graph(), nx.les_miserables_graph()):
        simple = as_simple_graph(graph)
        value = clipped_clustering_sum(simple, 1000) / graph.number_of_nodes()
        assert value == pytest.approx(nx.average_clustering(graph))
    edges = _random_graph(30, 0.3, 1)
    simple = as_simple_graph(nx.Graph(edges))
    assert clipped_clustering_sum(simple, 6) == pytest.approx(
        py_clipped_clustering_sum(30, edges, 6)
    )


# -- budget ---------------------------------------------------------------------------------------
def test_overspend_raises_before_anything_is_computed(monkeypatch):
    import personatwin_sklearn.templates._extractor as module

    def must_not_run(*args, **kwargs):
        raise AssertionError("the graph was read before the budget check")

    monkeypatch.setattr(module, "as_simple_graph", must_not_run)
    accountant = BudgetAccountant(epsilon=1.0)
    est = NetworkTemplateExtractor(epsilon=1.5, max_degree=10, accountant=accountant)
    with pytest.raises(BudgetError):
        est.fit(nx.karate_club_graph())
    assert accountant.total() == (0.0, 0.0)
    assert not hasattr(est, "template_")
    assert not hasattr(est, "epsilon_spent_")


def test_accountant_is_charged_until_exhausted():
    accountant = BudgetAccountant(epsilon=2.5)
    graph = nx.karate_club_graph()
    for seed in range(2):
        NetworkTemplateExtractor(
            epsilon=1.0, max_degree=10, accountant=accountant, random_state=seed
        ).fit(graph)
    assert accountant.total()[0] == pytest.approx(2.0)
    est = NetworkTemplateExtractor(epsilon=1.0, max_degree=10, accountant=accountant)
    with pytest.raises(BudgetError):
        est.fit(graph)
    assert accountant.total()[0] == pytest.approx(2.0)
    assert not hasattr(est, "template_")


@pytest.mark.parametrize("epsilon", [0, -1.0, 0.0])
def test_non_positive_epsilon_is_a_clear_error(epsilon):
    with pytest.raises(InvalidParameterError, match=r"'epsilon' parameter .* range \(0.0, inf\)"):
        NetworkTemplateExtractor(epsilon=epsilon).fit(nx.karate_club_graph())


def test_bad_budget_split():
    graph = nx.karate_club_graph()
    with pytest.raises(InvalidValueError, match="unknown key"):
        NetworkTemplateExtractor(max_degree=5, budget_split={"degrees": 1}).fit(graph)
    with pytest.raises(InvalidValueError, match="degree_histogram'\\] must be > 0"):
        NetworkTemplateExtractor(max_degree=5, budget_split={"clustering": 1}).fit(graph)


def test_epsilon_split_sums_to_epsilon_and_sensitivities_are_recorded():
    est = NetworkTemplateExtractor(epsilon=3.0, max_degree=10, random_state=0)
    est.fit(nx.karate_club_graph())
    assert sum(est.epsilon_split_.values()) == pytest.approx(3.0)
    assert est.epsilon_spent_ == 3.0
    assert est.sensitivity_ == {
        "degree_histogram": 4,
        "n_edges": 1,
        "clustering": 22,
        "communities": 2,
    }
    assert "connection_types" not in est.epsilon_split_  # untyped graph: no mix released


def test_grid_search_budget_and_accountant_copies():
    from personatwin_sklearn.io import read_pajek  # noqa: F401  (SocialData through CV)

    graph = nx.les_miserables_graph()
    data = SocialData.from_networkx(nx.convert_node_labels_to_integers(graph))
    accountant = BudgetAccountant()

    def scorer(estimator, X, y=None):
        return -abs(estimator.template_.average_degree - 6.6)

    search = GridSearchCV(
        NetworkTemplateExtractor(epsilon=0.5, accountant=accountant, random_state=0),
        {"max_degree": [5, 10, 20]},
        scoring=scorer,
        cv=2,
    )
    search.fit(data)
    assert total_epsilon_spent(search) == pytest.approx(0.5 * (3 * 2 + 1))
    assert grid_search_epsilon(0.5, 3, 2) == pytest.approx(3.5)
    assert accountant.total() == (0.0, 0.0)  # clone deep-copied it: fold fits unseen


# -- inputs ---------------------------------------------------------------------------------------
def test_fit_accepts_social_data_snap_and_pajek_paths(tmp_path):
    graph = nx.karate_club_graph()
    snap = tmp_path / "karate.txt"
    snap.write_text("# karate\n" + "\n".join(f"{a} {b}" for a, b in graph.edges()) + "\n")
    pajek = tmp_path / "karate.net"
    pajek.write_text(
        "*Vertices 34\n"
        + "".join(f'{i + 1} "{i}"\n' for i in range(34))
        + "*Edges\n"
        + "".join(f"{a + 1} {b + 1}\n" for a, b in graph.edges())
    )
    data = SocialData.from_networkx(graph)
    released = []
    for source in (graph, data, snap, str(pajek)):
        est = NetworkTemplateExtractor(
            epsilon=1.0, max_degree=17, connection_types=None, random_state=3
        ).fit(source)
        released.append(est.template_.degree_counts)
    assert all(r == released[0] for r in released)


@pytest.mark.parametrize(
    "text, line",
    [
        ("0 1\n1\n2 3\n", "line 2"),
        ("# comment\n0 1\n\n1 2\n3\n", "line 5"),
        ("source target\n0 1\n1 2\n2 3\n", "line 1"),
        ("0,1\n1,2\n", "line 1"),
        ("# only comments\n", "holds no edges"),
    ],
)
def test_malformed_snap_edge_list_names_the_line(tmp_path, text, line):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(SchemaError, match=line):
        NetworkTemplateExtractor(max_degree=5).fit(path)


def test_malformed_pajek_names_the_line(tmp_path):
    path = tmp_path / "bad.net"
    path.write_text('*Vertices 3\n1 "a"\n2 "b"\n3 "c"\n*Edges\n1 2\n3\n')
    with pytest.raises(SchemaError, match="line 7"):
        NetworkTemplateExtractor(max_degree=5).fit(path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        NetworkTemplateExtractor(max_degree=5).fit(tmp_path / "absent.txt")
    with pytest.raises(TypeError, match="networkx graph, a SocialData, or a path"):
        NetworkTemplateExtractor(max_degree=5).fit(np.zeros((3, 3)))


def test_bound_read_from_data_warns():
    with pytest.warns(PrivacyLeakWarning, match="max_degree=None"):
        est = NetworkTemplateExtractor(random_state=0).fit(nx.karate_club_graph())
    assert est.max_degree_ == 17


def test_node_privacy_warns_when_degrees_exceed_the_bound():
    with pytest.warns(PrivacyWarning, match="not claimed"):
        est = NetworkTemplateExtractor(privacy="node", max_degree=5, random_state=0).fit(
            nx.karate_club_graph()
        )
    assert est.sensitivity_["degree_histogram"] == 11
    assert "removed" in est.template_.notes


def test_connection_type_mix(toy):
    est = NetworkTemplateExtractor(epsilon=50.0, max_degree=5, random_state=0).fit(toy)
    mix = est.template_.connection_types
    if toy.domain.connection_types:  # domain vocabulary is public: no warning
        assert set(mix) == set(toy.domain.connection_types)
    assert sum(mix.values()) == pytest.approx(1.0)
    custom = SocialData(
        pd.DataFrame({"person_id": range(4)}),
        pd.DataFrame(
            {"person1_id": [0, 1, 2], "person2_id": [1, 2, 3], "connection_type": list("ABA")}
        ),
        required_columns=(),
    )
    with pytest.warns(PrivacyLeakWarning, match="connection types from the data"):
        est = NetworkTemplateExtractor(max_degree=3, random_state=0).fit(custom)
    assert set(est.template_.connection_types) == {"A", "B"}
    est = NetworkTemplateExtractor(
        max_degree=3, connection_types=["A", "B", "C"], random_state=0
    ).fit(custom)
    assert set(est.template_.connection_types) == {"A", "B", "C"}


# -- sklearn API ------------------------------------------------------------------------------
def test_extractor_clone_pickle_params_and_determinism():
    est = NetworkTemplateExtractor(epsilon=2.0, max_degree=10, random_state=7)
    assert clone(est).get_params() == est.get_params()
    graph = nx.karate_club_graph()
    first = est.fit(graph).template_
    again = pickle.loads(pickle.dumps(est))
    assert again.template_ == first
    assert clone(est).fit(graph).template_ == first
    other = NetworkTemplateExtractor(epsilon=2.0, max_degree=10, random_state=8).fit(graph)
    assert other.template_.degree_counts != first.degree_counts
    est.set_params(epsilon=4.0)
    assert est.get_params()["epsilon"] == 4.0


def test_input_graph_is_not_mutated():
    graph = nx.karate_club_graph()
    before = nx.to_dict_of_dicts(graph)
    NetworkTemplateExtractor(max_degree=10, random_state=0).fit(graph)
    assert nx.to_dict_of_dicts(graph) == before


# -- templates I/O ------------------------------------------------------------------------------
def test_json_round_trip(tmp_path):
    template = (
        NetworkTemplateExtractor(max_degree=10, random_state=0)
        .fit(nx.karate_club_graph())
        .template_
    )
    assert NetworkTemplate.from_json(template.to_json()) == template
    path = tmp_path / "t.json"
    template.to_json(path)
    assert NetworkTemplate.from_json(path) == template
    with pytest.raises(SchemaError, match="misses the field"):
        NetworkTemplate.from_json('{"max_degree": 3}')
    with pytest.raises(SchemaError, match="Unknown NetworkTemplate field"):
        NetworkTemplate.from_json('{"max_degree": 3, "colour": 1}')
    with pytest.raises(SchemaError, match="max_degree \\+ 1"):
        NetworkTemplate.from_json(
            '{"degree_counts": [1], "max_degree": 3, "n_nodes": 1, "n_edges": 0, '
            '"average_clustering": 0}'
        )


def test_shipped_templates_state_epsilon_seed_and_source():
    assert list_templates() == SHIPPED
    for name in SHIPPED:
        template = load_template(name)
        assert template.name == name
        assert template.epsilon > 0 and template.seed is not None
        assert "networkx" in template.source
        assert template.degree_distribution.sum() == pytest.approx(1.0)
    with pytest.raises(KeyError, match="available"):
        load_template("zachary")


# -- connector ----------------------------------------------------------------------------------
def test_degree_distribution_constrained_inference():
    """Isotonic post-processing: non-negative, sums to 1, and closer than clipping."""
    rng = np.random.RandomState(0)
    true = np.bincount(rng.poisson(4, 2000), minlength=31)[:31].astype(float)
    errors = {"iso": [], "clip": []}
    for seed in range(20):
        noisy = true + np.random.RandomState(seed).laplace(0, 8, len(true))
        template = NetworkTemplate(
            degree_counts=noisy.tolist(),
            max_degree=30,
            n_nodes=2000.0,
            n_edges=4000.0,
            average_clustering=0.1,
        )
        iso = template.degree_distribution
        assert iso.sum() == pytest.approx(1.0) and (iso >= 0).all()
        clip = np.clip(noisy, 0, None) / np.clip(noisy, 0, None).sum()
        errors["iso"].append(np.abs(iso - true / true.sum()).sum())
        errors["clip"].append(np.abs(clip - true / true.sum()).sum())
    assert np.mean(errors["iso"]) < np.mean(errors["clip"])


def _plain_people(n, synthetic=0):
    people = pd.DataFrame({"person_id": np.arange(n + synthetic)})
    return SocialData(people.iloc[:n], required_columns=()), people.iloc[n:]


@pytest.mark.parametrize("name", SHIPPED)
def test_connector_degree_distribution_close_to_template(name):
    data, _ = _plain_people(1500)
    connector = TemplateConnector(template=name, random_state=0).fit(data)
    out = connector.transform(data)
    template = load_template(name)
    d_max = template.max_degree
    # independent degree count and total variation distance
    deg = py_degrees(len(out), out.connections[["person1_id", "person2_id"]].to_numpy().tolist())
    counts = Counter(min(d, d_max) for d in deg.values())
    observed = np.array([counts.get(d, 0) for d in range(d_max + 1)]) / len(out)
    expected = template.degree_distribution  # the template's (post-processed) distribution
    assert expected.sum() == pytest.approx(1.0) and (expected >= 0).all()
    assert 0.5 * np.abs(observed - expected).sum() <= 0.03  # stated: TVD <= 0.03
    pairs = out.connections[["person1_id", "person2_id"]]
    assert (pairs["person1_id"] != pairs["person2_id"]).all()
    canon = set(map(frozenset, pairs.to_numpy().tolist()))
    assert len(canon) == len(pairs)  # no duplicate connections
    assert out.connections["is_synthetic"].all()
    assert (out.connections["strength"] == "WEAK").all()


def test_connector_clustering_moves_towards_template():
    data, _ = _plain_people(800)
    template = load_template("les_miserables")
    plain = TemplateConnector(template=template, match_clustering=False, random_state=0)
    tuned = TemplateConnector(template=template, random_state=0)
    c_plain = nx.average_clustering(plain.fit_transform(data).to_networkx())
    c_tuned = nx.average_clustering(tuned.fit_transform(data).to_networkx())
    assert tuned.closure_ratio_ > 0
    assert abs(c_tuned - template.average_clustering) < abs(c_plain - template.average_clustering)


def test_connector_wires_only_synthetic_people_and_keeps_real_rows(toy):
    from personatwin_sklearn.datasets import make_social_population

    real = make_social_population(300, random_state=0)
    extra = real.people.sample(200, random_state=1, replace=True).copy()
    extra["person_id"] = np.arange(10**6, 10**6 + len(extra))
    data = real.add(people=extra.drop(columns="is_synthetic"))
    out = TemplateConnector(template="karate_club", random_state=1).fit_transform(data)
    pd.testing.assert_frame_equal(out.people, data.people)
    pd.testing.assert_frame_equal(
        out.connections.iloc[: data.n_connections].reset_index(drop=True),
        data.connections.reset_index(drop=True),
    )
    added = out.connections.iloc[data.n_connections :]
    assert len(added) > 0 and added["is_synthetic"].all()
    synthetic_ids = set(extra["person_id"])
    assert added["person1_id"].isin(synthetic_ids).all()
    assert added["person2_id"].isin(synthetic_ids).all()
    assert set(added["connection_type"]) <= set(data.domain.connection_types)


def test_connector_api_determinism_and_errors():
    data, _ = _plain_people(300)
    connector = TemplateConnector(template="florentine_families", random_state=5)
    first = connector.fit_transform(data)
    second = clone(connector).fit(data).transform(data)
    assert first.equals(second)
    again = pickle.loads(pickle.dumps(connector)).transform(data)
    assert again.equals(first)
    other = TemplateConnector(template="florentine_families", random_state=6).fit_transform(data)
    assert not other.equals(first)
    assert clone(connector).get_params() == connector.get_params()
    with pytest.raises(InvalidValueError, match="no synthetic people"):
        TemplateConnector(target="synthetic").fit(data)
    with pytest.raises(TypeError, match="pass a SocialData"):
        TemplateConnector().fit(pd.DataFrame({"a": [1]}))
    with pytest.raises(KeyError, match="available"):
        TemplateConnector(template="nope").fit(data)
    with pytest.raises(InvalidParameterError, match="target"):
        TemplateConnector(target="real").fit(data)


def test_large_graphs_use_label_propagation(monkeypatch):
    """Louvain (pure Python) is replaced above LOUVAIN_MAX_NODES; the note says so."""
    from personatwin_sklearn.templates import _extractor

    assert _extractor.community_method(20_000) == "louvain"
    assert _extractor.community_method(20_001) == "label_propagation"
    monkeypatch.setattr(_extractor, "LOUVAIN_MAX_NODES", 10)
    extractor = NetworkTemplateExtractor(epsilon=5.0, max_degree=17, random_state=0)
    template = extractor.fit(nx.karate_club_graph()).template_
    assert "label propagation" in template.notes
    assert sum(template.community_size_distribution) == pytest.approx(1.0)
