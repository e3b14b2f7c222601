"""SocialData: induced subgraphs, immutability, validation errors, loaders, exporters."""

import pickle

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from sklearn.utils import _safe_indexing

from personatwin_sklearn import SocialData, load_data, read_pajek, read_snap_edgelist
from personatwin_sklearn.exceptions import (
    DanglingEdgeError,
    DuplicateIdError,
    InvalidValueError,
    MissingColumnError,
    SchemaError,
    SelfLoopError,
    UnknownConnectionTypeError,
)


def _people(n=4):
    return pd.DataFrame(
        {
            "person_id": np.arange(1, n + 1),
            "age": np.linspace(20, 60, n).round(),
            "gender": ["F", "M"] * (n // 2),
        }
    )


def _edges(pairs, kind="SPOUSE"):
    return pd.DataFrame(
        {
            "person1_id": [a for a, _ in pairs],
            "person2_id": [b for _, b in pairs],
            "connection_type": kind,
        }
    )


def test_induced_subgraph_take_iloc_loc_getitem(toy):
    sub = toy.take([0, 3, 2, 5])  # A, D, C, F: edges A-D and C-F survive
    assert set(sub.ids) == {"A", "C", "D", "F"}
    assert sorted(map(tuple, sub.connections[["person1_id", "person2_id"]].values)) == [
        ("A", "D"),
        ("C", "F"),
    ]
    assert toy.iloc[0:3].n_connections == 0
    mask = toy.people["gender"].eq("M").to_numpy()
    assert len(toy.loc[mask]) == mask.sum()
    assert toy[mask].equals(toy.loc[mask])
    assert toy[[0, 3]].n_connections == 1
    # what sklearn's cross-validation uses
    assert _safe_indexing(toy, np.array([0, 3])).n_connections == 1


def test_shape_len_and_array_refusal(toy):
    assert len(toy) == 12 and toy.shape[0] == 12
    with pytest.raises(TypeError, match="PeopleSelector"):
        np.asarray(toy)


def test_immutable_and_inputs_not_mutated():
    people, edges = _people(), _edges([(1, 2)])
    before_p, before_e = people.copy(), edges.copy()
    data = SocialData(people, edges)
    view = data.people
    view["age"] = 0  # a copy: must not leak into data
    assert data.people["age"].iloc[0] == 20
    with pytest.raises(AttributeError, match="immutable"):
        data.domain = "x"
    pd.testing.assert_frame_equal(people, before_p)
    pd.testing.assert_frame_equal(edges, before_e)
    assert "is_synthetic" in data.people and not data.people["is_synthetic"].any()
    assert data.connections["strength"].iloc[0] == "STRONG"


def test_add_flags_everything_synthetic():
    data = SocialData(_people(), _edges([(1, 2)]))
    new_people = pd.DataFrame({"person_id": [9], "age": [33], "gender": ["F"]})
    out = data.add(people=new_people, connections=_edges([(9, 3)]))
    assert out.n_synthetic == 1 and out.n_synthetic_connections == 1
    added = out.connections.iloc[-1]
    assert (added["strength"], added["confidence"], added["context"]) == (
        "WEAK",
        0.5,
        "synthetic (privacy protection)",
    )
    pd.testing.assert_frame_equal(out.real().people, data.people)
    pd.testing.assert_frame_equal(out.real().connections, data.connections)


def test_pickle_roundtrip(toy):
    again = pickle.loads(pickle.dumps(toy))
    assert again.equals(toy) and again.domain == toy.domain


@pytest.mark.parametrize(
    ("people", "edges", "error", "match"),
    [
        (_people().drop(columns="age"), None, MissingColumnError, r"missing required column.*age"),
        (
            _people().assign(person_id=[1, 1, 2, 3]),
            None,
            DuplicateIdError,
            r"duplicate ids.*\[1\]",
        ),
        (
            _people().assign(age=[20, np.nan, 3, 4]),
            None,
            InvalidValueError,
            r"'age'.*missing.*\[1\]",
        ),
        (_people().assign(age=[20, -5, 3, 4]), None, InvalidValueError, r"negative.*\[1\]"),
        (_people().assign(age=["a", "b", "c", "d"]), None, InvalidValueError, "numeric"),
        (_people().assign(has_x=[0, 1, 2, 0]), None, InvalidValueError, "has_x.*boolean"),
        (_people(), _edges([(1, 99)]), DanglingEdgeError, r"person2_id=99"),
        (_people(), _edges([(3, 3)]), SelfLoopError, r"themselves.*row 0"),
        (
            _people(),
            _edges([(1, 2)]).drop(columns="connection_type"),
            MissingColumnError,
            "connection_type",
        ),
        (_people(), _edges([(1, None)]), InvalidValueError, "person2_id"),
    ],
)
def test_validation_errors(people, edges, error, match):
    with pytest.raises(error, match=match):
        SocialData(people, edges)


def test_unknown_connection_type_for_domain():
    with pytest.raises(UnknownConnectionTypeError, match="BOSS.*criminal_justice"):
        SocialData(_people(), _edges([(1, 2)], "BOSS"), domain="criminal_justice")
    SocialData(_people(), _edges([(1, 2)], "BOSS"), domain="custom")  # accepted


def test_unknown_domain():
    with pytest.raises(ValueError, match="Unknown domain 'space'"):
        SocialData(_people(), domain="space")


def test_load_data_paths_and_save(tmp_path, toy):
    paths = toy.save(tmp_path / "csv")
    again = load_data(paths["people"], paths["connections"], domain="criminal_justice")
    pd.testing.assert_frame_equal(again.people, toy.people)
    pd.testing.assert_frame_equal(again.connections, toy.connections)
    paths = toy.save(tmp_path / "pq", format="parquet")
    again = load_data(paths["people"], paths["connections"])
    pd.testing.assert_frame_equal(again.people, toy.people)
    assert not list((tmp_path / "pq").glob("*.partial"))


def test_load_data_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_data(tmp_path / "nope.csv")
    renamed = _people().rename(columns={"gender": "sex"})
    with pytest.raises(MissingColumnError, match="column_map"):
        load_data(renamed)
    assert len(load_data(renamed, column_map={"sex": "gender"})) == 4
    with pytest.raises(SchemaError, match="DataFrame or a path"):
        load_data(42)


def test_networkx_roundtrip(toy):
    graph = toy.to_networkx()
    assert graph.number_of_nodes() == 12 and graph.number_of_edges() == 6
    back = SocialData.from_networkx(graph, required_columns=("age", "gender"))
    assert set(back.ids) == set(toy.ids)
    assert back.connections["connection_type"].value_counts().to_dict() == {
        "SPOUSE": 3,
        "PARENT": 3,
    }


def test_from_networkx_plain_graph():
    data = SocialData.from_networkx(nx.karate_club_graph())
    assert len(data) == 34 and data.n_connections == 78
    assert (data.connections["connection_type"] == "CONNECTED").all()


def test_read_snap_edgelist(tmp_path):
    path = tmp_path / "g.txt"
    path.write_text("# comment\n0 1\n1 0\n1 2\n2 2\n")
    data = read_snap_edgelist(path)
    assert len(data) == 3 and data.n_connections == 2  # duplicate and self-loop dropped
    import gzip

    gz = tmp_path / "g.txt.gz"
    with gzip.open(gz, "wt") as handle:
        handle.write("0 1\n1 2\n")
    assert read_snap_edgelist(gz).n_connections == 2
    bad = tmp_path / "bad.txt"
    bad.write_text("0 1\n7\n")
    with pytest.raises(SchemaError, match="line 2 has only one node id"):
        read_snap_edgelist(bad)


def test_read_pajek_small(tmp_path):
    net = tmp_path / "g.net"
    net.write_text("*vertices 3\n1 10\n2 11\n3 12\n*edges\n1 2 1.0\n2 3 1.0\n")
    nodes = tmp_path / "g.nodelist"
    nodes.write_text("node_id\tgender\tyear\n10\t1\t2008\n11\t2\t0\n12\t0\t2009\n")
    data = read_pajek(net, nodes)
    assert list(data.ids) == [10, 11, 12] and data.n_connections == 2
    assert data.people["year"].isna().tolist() == [False, True, False]
    bad = tmp_path / "bad.net"
    bad.write_text("hello\n")
    with pytest.raises(SchemaError, match="not a Pajek file"):
        read_pajek(bad)


def test_read_pajek_caltech(caltech):
    assert len(caltech) == 769
    assert caltech.n_connections == 16656
    assert {"gender", "year", "dorm"} <= set(caltech.people.columns)
