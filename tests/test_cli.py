"""The personatwin command line: demo, analyze, errors."""

import json

import pytest

from personatwin_sklearn.cli import main


def test_demo_prints_teacher_case_and_writes_files(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--analyze-only", "--n-people", "400", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "married to a 40-44 year old female teacher" in text
    assert "population average risk" in text
    assert {p.name for p in out.iterdir()} >= {"people.csv", "connections.csv", "risk.json"}
    risk = json.loads((out / "risk.json").read_text())
    assert 0 < risk["population_average_risk"] <= 1


def test_demo_protects_and_keeps_flags_apart(tmp_path, capsys):
    import pandas as pd

    out = tmp_path / "demo"
    assert main(["demo", "--n-people", "300", "--k", "5", "--out", str(out)]) == 0
    assert "smallest connection-pattern k after protection: 5" in capsys.readouterr().out
    released = pd.read_csv(out / "released_connections.csv")
    assert "is_synthetic" not in released.columns and "strength" not in released.columns
    flags = pd.read_csv(out / "released_connections_synthetic_flags.csv")
    assert len(flags) == len(released) and flags["is_synthetic"].any()


def test_analyze_reads_csv(tmp_path, capsys, toy):
    paths = toy.save(tmp_path)
    code = main(
        [
            "analyze",
            str(paths["people"]),
            "--connections",
            str(paths["connections"]),
            "--k",
            "2",
            "--quasi-identifiers",
            "age",
            "gender",
        ]
    )
    assert code == 0
    assert "k=1" in capsys.readouterr().out


def test_errors_are_one_line_and_nonzero(tmp_path, capsys, toy):
    assert main(["analyze", str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err
    paths = toy.save(tmp_path)
    people = tmp_path / "bad.csv"
    people.write_text(paths["people"].read_text().replace("gender", "sex"))
    assert main(["analyze", str(people)]) == 2
    err = capsys.readouterr().err
    assert "missing required column(s) ['gender']" in err and err.count("\n") == 1


def test_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "demo" in capsys.readouterr().out
