"""personatwin protect on graph data: Pajek + nodelist, SNAP, TSV, renames on both files."""

import json

import pandas as pd
import pytest

from personatwin_sklearn.cli import main
from personatwin_sklearn.datasets import make_social_population


def _write_graph(tmp_path):
    """A small graph as a TSV nodelist with numeric codes, a Pajek .net and a SNAP list."""
    data = make_social_population(150, random_state=0)
    people = data.people
    codes = {g: i + 1 for i, g in enumerate(sorted(people["gender"].unique()))}
    nodes = pd.DataFrame(
        {
            "node_id": people["person_id"].to_numpy(),
            "gender": people["gender"].map(codes).to_numpy(),
            "dorm": 160 + people["age"].to_numpy() % 12,
            "year": 2000 + people["age"].to_numpy() % 7,
        }
    )
    nodelist = tmp_path / "g.nodelist"
    nodes.to_csv(nodelist, sep="\t", index=False)
    ids = {pid: i + 1 for i, pid in enumerate(nodes["node_id"])}
    edges = data.connections
    net = tmp_path / "g.net"
    lines = [f"*vertices {len(nodes)}"]
    lines += [f'{ids[pid]} "{pid}"' for pid in nodes["node_id"]]
    lines += ["*edges"]
    lines += [f"{ids[a]} {ids[b]}" for a, b in zip(edges["person1_id"], edges["person2_id"])]
    net.write_text("\n".join(lines) + "\n")
    snap = tmp_path / "g.txt"
    snap.write_text(
        "# u v\n" + "\n".join(f"{a} {b}" for a, b in zip(edges["person1_id"], edges["person2_id"]))
    )
    return nodes, edges, nodelist, net, snap


GRAPH_OPTIONS = ["--rename", "node_id=person_id", "--categorical", "gender", "dorm", "year",
                 "--quasi-identifiers", "gender", "year", "dorm", "--signature", "gender", "year",
                 "--k", "3", "--privacy-level", "low", "--seed", "0", "--quiet"]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["pajek", "snap"])
def test_graph_input_in_one_command(kind, tmp_path, capsys):
    nodes, edges, nodelist, net, snap = _write_graph(tmp_path)
    out = tmp_path / "release"
    graph = net if kind == "pajek" else snap
    argv = ["protect", str(nodelist), "--connections", str(graph), *GRAPH_OPTIONS]
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "headline risk" in printed
    released = pd.read_csv(out / "people.csv", dtype=str)
    assert len(released) >= len(nodes)
    # the numeric dorm codes are generalised as categories, never as ranges
    dorms = released["dorm"].dropna()
    dorms = dorms[dorms != "*"]
    assert not dorms.str.fullmatch(r"\d+-\d+").any()
    assert dorms.str.split("|").explode().isin(nodes["dorm"].astype(str)).all()
    connections = pd.read_csv(out / "connections.csv")
    flags = pd.read_csv(out.parent / f"{out.name}.private" / "connections_synthetic_flags.csv")
    assert int((~flags["is_synthetic"]).sum()) == len(edges)
    assert len(connections) == len(flags)
    metrics = json.loads((out / "risk_metrics.json").read_text())
    assert metrics["headline"]["quasi_identifiers"] == ["gender", "year", "dorm"]
    assert metrics["headline"]["signature"] == ["gender", "year"]


@pytest.mark.slow
def test_rename_applies_to_the_connections_file(tmp_path, capsys):
    nodes, edges, nodelist, _, _ = _write_graph(tmp_path)
    table = tmp_path / "edges.tsv"
    edges.rename(columns={"person1_id": "src", "person2_id": "dst"}).to_csv(
        table, sep="\t", index=False
    )
    argv = ["protect", str(nodelist), "--connections", str(table), *GRAPH_OPTIONS,
            "--rename", "node_id=person_id", "src=person1_id", "dst=person2_id",
            "--out", str(tmp_path / "release")]  # fmt: skip
    assert main(argv) == 0
    flags = pd.read_csv(tmp_path / "release.private" / "connections_synthetic_flags.csv")
    assert int((~flags["is_synthetic"]).sum()) == len(edges)
    capsys.readouterr()
    bad = ["protect", str(nodelist), "--rename", "nope=gender", "--out", str(tmp_path / "x")]
    assert main(bad) == 2
    err = capsys.readouterr().err
    assert "--rename names column(s) ['nope']" in err and err.count("\n") == 1


@pytest.mark.slow
def test_sep_and_missing_id_with_connections(tmp_path, capsys):
    nodes, _, _, net, _ = _write_graph(tmp_path)
    semicolon = tmp_path / "people.csv"
    nodes.to_csv(semicolon, sep=";", index=False)
    out = tmp_path / "release"
    # without the rename there is no person_id to join the connections on
    assert main(["protect", str(semicolon), "--sep", ";", "--connections", str(net),
                 "--out", str(out)]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "--rename YOUR_ID=person_id" in err and err.count("\n") == 1
    assert not out.exists()
    argv = ["protect", str(semicolon), "--sep", ";", "--connections", str(net), *GRAPH_OPTIONS]
    assert main([*argv, "--out", str(out)]) == 0
    capsys.readouterr()
    unknown = ["protect", str(semicolon), "--sep", ";", "--categorical", "nope",
               "--rename", "node_id=person_id", "--out", str(tmp_path / "y")]  # fmt: skip
    assert main(unknown) == 2
    assert "--categorical names column(s) ['nope']" in capsys.readouterr().err


@pytest.mark.slow
def test_scope_option_reaches_the_pipeline(tmp_path, capsys):
    data = make_social_population(200, random_state=0)
    people, edges = tmp_path / "people.csv", tmp_path / "edges.csv"
    data.people.drop(columns="is_synthetic").to_csv(people, index=False)
    data.connections[["person1_id", "person2_id", "connection_type"]].to_csv(edges, index=False)
    out = tmp_path / "release"
    argv = ["protect", str(people), "--connections", str(edges), "--scope", "neighborhood",
            "--k", "3", "--age-bin", "10", "--seed", "0", "--quiet",
            "--out", str(out), "--protection", "global"]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "protected: qi, edge, neighborhood; not protected: combined" in printed
    metadata = json.loads((out / "risk_metrics.json").read_text())["metadata"]
    assert metadata["connection_scope"] == "neighborhood" and metadata["age_bin"] == 10


def test_cli_and_api_read_1_0_and_spaced_1_alike(tmp_path):
    """Issue 22: ids stay text ('1.0') and ages ' 41 ' become numbers in both."""
    from personatwin_sklearn import load_data
    from personatwin_sklearn.cli import _read_inputs, build_parser

    (tmp_path / "p.csv").write_text("person_id,age,gender\n1.0, 41 ,M\n2.0,40.0,F\n 3 ,1,F\n")
    (tmp_path / "e.csv").write_text("person1_id,person2_id,connection_type\n1.0,2.0,SPOUSE\n")
    api = load_data(tmp_path / "p.csv", tmp_path / "e.csv")
    args = build_parser().parse_args(
        ["analyze", str(tmp_path / "p.csv"), "--connections", str(tmp_path / "e.csv")]
    )
    people, edges = _read_inputs(args)
    assert (
        people["person_id"].tolist() == api.people["person_id"].tolist() == ["1.0", "2.0", " 3 "]
    )
    assert people["age"].tolist() == api.people["age"].tolist() == [41.0, 40.0, 1.0]
    assert edges["person1_id"].tolist() == api.connections["person1_id"].tolist()
