"""Command-line options of issue 23: the network template (--external-network, --template,
--epsilon), ``python -m personatwin_sklearn``, warnings in CLI words, analyze --signature."""

import subprocess
import sys

import networkx as nx
import pandas as pd
import pytest

from personatwin_sklearn.cli import _as_flags
from tests.conftest import run

TEMPLATE_CONTEXT = "synthetic (network template)"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from personatwin_sklearn.datasets import make_social_population

    folder = tmp_path_factory.mktemp("network")
    paths = make_social_population(n_people=80, random_state=0).save(folder)
    graph = folder / "external.txt"
    nx.write_edgelist(nx.karate_club_graph(), graph, data=False)
    return paths["people"], paths["connections"], graph


def protect(files, out, *extra):
    people, edges, _ = files
    return ["protect", str(people), "--connections", str(edges), "--out", str(out),
            "--k", "3", "--seed", "0", *extra]  # fmt: skip


def template_connections(out) -> int:
    flags = pd.read_csv(out.with_name(out.name + ".private") / "connections_synthetic_flags.csv")
    return int((flags["context"] == TEMPLATE_CONTEXT).sum())


@pytest.mark.slow
def test_external_network_adds_template_connections(files, tmp_path, capsys):
    pytest.importorskip("diffprivlib", exc_type=ImportError)
    out = tmp_path / "release"
    extra = ["--augment", "census", "--ratio", "1", "--external-network", str(files[2])]
    assert run(protect(files, out, *extra, "--epsilon", "2")) == 0
    assert template_connections(out) > 0
    assert run(protect(files, tmp_path / "plain", "--augment", "census", "--ratio", "1")) == 0
    assert template_connections(tmp_path / "plain") == 0


@pytest.mark.slow
def test_shipped_template(files, tmp_path, capsys):
    out = tmp_path / "release"
    extra = ["--augment", "census", "--ratio", "1", "--template", "karate_club"]
    assert run(protect(files, out, *extra)) == 0
    assert template_connections(out) > 0


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--template", "karate_club"], "--template wires the synthetic personas, so it needs"),
        (["--external-network", "{graph}"], "add --augment census"),
        (["--augment", "census", "--template", "nope"], "choose one of davis_southern_women"),
        (["--augment", "census", "--external-network", "missing.txt"], "does not exist"),
        (["--epsilon", "1"], "--epsilon is the budget of the template extracted from"),
        (["--template", "karate_club", "--external-network", "{graph}"], "not allowed with"),
    ],
)
def test_network_option_errors(files, tmp_path, capsys, extra, message):
    extra = [e.format(graph=files[2]) for e in extra]
    out = tmp_path / "release"
    assert run(protect(files, out, *extra)) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_python_dash_m_runs_the_cli():
    done = subprocess.run(
        [sys.executable, "-m", "personatwin_sklearn", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "usage: personatwin" in done.stdout and "protect" in done.stdout


def test_warnings_name_cli_flags():
    message = (
        "target_risk=5.0% was not reached at k=100. Add synthetic personas "
        "(augment_with_synthetic=True), or lower connection_pattern_k."
    )
    assert _as_flags(message) == (
        "--target-risk 5.0% was not reached at k=100. Add synthetic personas "
        "(--augment census), or lower --k."
    )


def test_analyze_honours_signature(tmp_path, capsys):
    from personatwin_sklearn.datasets import make_social_population
    from personatwin_sklearn.patterns import ConnectionPatternAnalyzer

    data = make_social_population(n_people=120, random_state=0)
    paths = data.save(tmp_path)
    argv = ["analyze", str(paths["people"]), "--connections", str(paths["connections"]),
            "--signature", "gender", "--k", "5"]  # fmt: skip
    assert run(argv) == 0
    printed = capsys.readouterr().out
    smallest = ConnectionPatternAnalyzer(k=5, signature=["gender"]).fit(data).patterns_["k"].min()
    assert f"smallest connection-pattern k {smallest:g}" in printed
