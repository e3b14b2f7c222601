"""The personatwin command line: protect, demo, analyze, errors."""

import json

import pandas as pd
import pytest

from personatwin_sklearn._release import MARKER
from personatwin_sklearn.cli import main
from tests.conftest import run

# every folder the package writes holds its marker (what --overwrite may replace)
RELEASE_FILES = {"people.csv", "connections.csv", "risk_metrics.json", "report.html", MARKER}
PRIVATE_FILES = {"people_synthetic_flags.csv", "connections_synthetic_flags.csv", MARKER}


def private(out):
    """The private folder of a release (default ``<out>.private``)."""
    return out.with_name(out.name + ".private")


QIS = ["age", "gender", "ethnicity", "zipcode"]


@pytest.fixture(scope="module")
def sample_csv(tmp_path_factory):
    """The sample population (300 people) as people.csv / connections.csv."""
    from personatwin_sklearn.datasets import make_social_population

    folder = tmp_path_factory.mktemp("sample")
    data = make_social_population(n_people=300, random_state=0)
    paths = data.save(folder)
    return data, paths["people"], paths["connections"]


def protect_args(people, edges, out, *extra):
    return ["protect", str(people), "--connections", str(edges), "--out", str(out), *extra]


@pytest.mark.slow
def test_protect_writes_release(sample_csv, tmp_path, capsys):
    data, people, edges = sample_csv
    out = tmp_path / "release"
    argv = protect_args(
        people, edges, out, "--privacy-level", "high", "--k", "10", "--seed", "0",
        "--protection", "global",
    )  # fmt: skip
    assert run(argv) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # no warning, no progress bar when stderr is not a terminal
    assert "keep the *_synthetic_flags.csv files private" in captured.out
    assert {p.name for p in out.iterdir()} == RELEASE_FILES
    assert {p.name for p in private(out).iterdir()} == PRIVATE_FILES
    assert private(out).stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in private(out).iterdir())
    assert {p.name for p in tmp_path.iterdir()} == {"release", "release.private"}

    released = pd.read_csv(out / "people.csv")
    assert "is_synthetic" not in released.columns and "original_person_id" not in released
    flags = pd.read_csv(private(out) / "people_synthetic_flags.csv")
    assert flags["person_id"].tolist() == released["person_id"].tolist()
    # fresh ids 1..n in a random order: neither ids nor row order tell synthetic rows
    assert sorted(released["person_id"]) == list(range(1, len(released) + 1))
    assert set(data.ids) <= set(flags["original_person_id"])  # every real person is released
    order = flags["is_synthetic"].to_numpy()
    assert order[: len(data)].any() and not order[-len(data) :].all()
    # real rows are the input's rows (non-QI columns identical), found by original id
    by_id = released.assign(original=flags["original_person_id"]).set_index("original")
    kept = ["has_criminal_record"]  # occupation: published as the connection step coarsened it
    real_rows = by_id.loc[data.ids, kept].reset_index(drop=True)
    pd.testing.assert_frame_equal(real_rows, data.people[kept], check_dtype=False)
    protection = json.loads((out / "risk_metrics.json").read_text())["metadata"][
        "connection_protection"
    ]
    if "occupation" not in protection["coarsened"]:
        assert by_id.loc[data.ids, "occupation"].tolist() == data.people["occupation"].tolist()
    # k-anonymity of the released quasi-identifiers, recounted from the files: every
    # class holding a real person has >= 10 rows (classes of synthetic personas only
    # may be smaller).
    size = released.groupby(QIS, dropna=False)["person_id"].transform("size")
    assert size[~flags["is_synthetic"]].min() >= 10
    real = set(flags.loc[~flags["is_synthetic"], "original_person_id"])
    assert real == set(data.ids)

    edges_out = pd.read_csv(out / "connections.csv")
    assert not {"is_synthetic", "strength", "confidence", "context"} & set(edges_out.columns)
    ends = set(edges_out["person1_id"]) | set(edges_out["person2_id"])
    assert ends <= set(released["person_id"])  # connections use the release ids
    edge_flags = pd.read_csv(private(out) / "connections_synthetic_flags.csv")
    assert len(edge_flags) == len(edges_out) > data.n_connections
    assert int((~edge_flags["is_synthetic"]).sum()) == data.n_connections

    metrics = json.loads((out / "risk_metrics.json").read_text())
    assert metrics["risk_after"]["max_risk"] <= 1 / 10
    assert metrics["risk_after"]["population_average_risk"] <= 0.05
    assert metrics["metadata"]["connection_protection"]["protection_share"] <= 0.25
    assert metrics["risk_before"]["min_connection_pattern_k"] < 10
    assert metrics["metadata"]["parameters"]["connection_pattern_k"] == 10
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "<script" not in html


@pytest.mark.slow
def test_protect_same_seed_same_content_fresh_pseudonyms(sample_csv, tmp_path, capsys):
    """The seed reproduces the protection; pseudonyms and row order are fresh each run."""
    _, people, edges = sample_csv
    for name in ("a", "b"):
        argv = protect_args(people, edges, tmp_path / name, "--k", "5", "--seed", "3")
        assert run(argv + ["--target-risk", "none"]) == 0
    released = {}
    for name in ("a", "b"):
        frame = pd.read_csv(tmp_path / name / "people.csv")
        flags = pd.read_csv(private(tmp_path / name) / "people_synthetic_flags.csv")
        released[name] = (frame, flags)
    (a, fa), (b, fb) = released["a"], released["b"]
    assert a["person_id"].tolist() != b["person_id"].tolist()  # fresh pseudonyms
    assert fa["original_person_id"].tolist() != fb["original_person_id"].tolist()  # order

    def content(frame):
        cols = [c for c in frame.columns if c != "person_id"]
        return frame[cols].sort_values(cols).reset_index(drop=True)

    pd.testing.assert_frame_equal(content(a), content(b))
    for name in ("a", "b"):
        recorded = json.loads((tmp_path / name / "risk_metrics.json").read_text())
        assert recorded["metadata"]["parameters"]["random_state"] == 3


@pytest.mark.parametrize(
    "case, extra, message",
    [
        ("missing people file", None, "does not exist"),
        (
            "missing column",
            ["--quasi-identifiers", "age", "gender"],
            "missing required column(s) ['gender']",
        ),
        ("bad privacy level", ["--privacy-level", "extreme"], "invalid choice: 'extreme'"),
        ("k above population", ["--k", "301"], "--k 301 is larger than the number of people"),
        ("k zero", ["--k", "0"], "argument --k: expected a whole number >= 1"),
        ("target risk > 1", ["--target-risk", "2"], "expected a share in (0, 1]"),
        ("ratio alone", ["--ratio", "2"], "--ratio and --strategy only apply with --augment"),
        (
            "coarsen syntax",
            ["--coarsen", "occupation"],
            "--coarsen 'occupation': write ATTR=LEVEL",
        ),
        ("coarsen attribute", ["--coarsen", "gender=major"], "unknown attribute 'gender'"),
        ("coarsen level", ["--coarsen", "age=huge"], "coarsen['age']='huge' is not a level"),
    ],
)
def test_protect_errors_one_line_nothing_written(
    sample_csv, tmp_path, capsys, case, extra, message
):
    _, people, edges = sample_csv
    if case == "missing people file":
        people = tmp_path / "missing.csv"
    elif case == "missing column":
        bad = tmp_path / "bad.csv"
        bad.write_text(people.read_text().replace("gender", "sex"))
        people = bad
    out = tmp_path / "release"
    assert run(protect_args(people, edges, out, *(extra or []))) == 2
    err = capsys.readouterr().err
    assert err.startswith("personatwin: error: ") and err.count("\n") == 1
    assert message in err
    assert not out.exists() and not private(out).exists()
    assert not list(tmp_path.glob(".release.*"))


def test_protect_out_is_a_file(sample_csv, tmp_path, capsys):
    _, people, edges = sample_csv
    target = tmp_path / "taken"
    target.write_text("x")
    assert run(protect_args(people, edges, target)) == 2
    assert "is an existing file" in capsys.readouterr().err
    assert target.read_text() == "x"


@pytest.mark.slow
def test_protect_failure_while_writing_leaves_nothing(sample_csv, tmp_path, capsys, monkeypatch):
    import personatwin_sklearn.report as report

    def broken(*args, **kwargs):
        raise ValueError("plotting failed")

    monkeypatch.setattr(report, "write_report", broken)
    _, people, edges = sample_csv
    out = tmp_path / "release"
    assert run(protect_args(people, edges, out, "--k", "3", "--target-risk", "none")) == 2
    assert capsys.readouterr().err == "personatwin: error: plotting failed\n"
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_protect_augment(sample_csv, tmp_path, capsys):
    pytest.importorskip("personatwin_sklearn.augmentation")
    data, people, edges = sample_csv
    out = tmp_path / "release"
    extra = ["--augment", "census", "--ratio", "1", "--strategy", "match_distribution"]
    assert run(protect_args(people, edges, out, "--k", "5", "--seed", "0", *extra)) == 0
    flags = pd.read_csv(private(out) / "people_synthetic_flags.csv")
    assert set(data.ids) <= set(flags["original_person_id"])
    assert flags["is_synthetic"].sum() >= len(data)  # ratio 1: at least one per real person
    metrics = json.loads((out / "risk_metrics.json").read_text())
    assert metrics["metadata"]["parameters"]["augment_with_synthetic"] is True
    assert metrics["metadata"]["parameters"]["synthetic_source"] == "census"


@pytest.mark.slow
def test_demo_protects_and_keeps_flags_apart(tmp_path, capsys):
    out = tmp_path / "demo"
    argv = ["demo", "--n-people", "300", "--k", "5", "--out", str(out), "--protection", "global"]
    assert run(argv) == 0
    text = capsys.readouterr().out
    assert "married to a 40-44 year old female teacher" in text
    assert "After protection, each of [2] shares every connection pattern" in text
    assert "consistent match" in text
    assert {p.name for p in out.iterdir()} == RELEASE_FILES
    assert {p.name for p in private(out).iterdir()} == PRIVATE_FILES
    released = pd.read_csv(out / "connections.csv")
    assert "is_synthetic" not in released.columns and "strength" not in released.columns
    flags = pd.read_csv(private(out) / "connections_synthetic_flags.csv")
    assert len(flags) == len(released) and flags["is_synthetic"].any()
    metrics = json.loads((out / "risk_metrics.json").read_text())
    protection = metrics["metadata"]["connection_protection"]
    assert protection["protection_share"] <= 0.25 and protection["target_k"] == 5


def test_demo_analyze_only_prints_teacher_case(tmp_path, capsys):
    out = tmp_path / "demo"
    assert run(["demo", "--analyze-only", "--n-people", "400", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "married to a 40-44 year old female teacher" in text
    assert "population average risk" in text
    assert {p.name for p in out.iterdir()} >= {"people.csv", "connections.csv", "risk.json"}
    risk = json.loads((out / "risk.json").read_text())
    assert 0 < risk["population_average_risk"] <= 1


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


def test_analyze_errors_are_one_line(tmp_path, capsys, toy):
    assert main(["analyze", str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err
    paths = toy.save(tmp_path)
    people = tmp_path / "bad.csv"
    people.write_text(paths["people"].read_text().replace("gender", "sex"))
    # gender is required only when named as a quasi-identifier or in the signature
    assert main(["analyze", str(people), "--quasi-identifiers", "age", "gender"]) == 2
    err = capsys.readouterr().err
    assert "missing required column(s) ['gender']" in err and err.count("\n") == 1
    assert main(["analyze", str(people), "--signature", "gender"]) == 2
    assert "missing required column(s) ['gender']" in capsys.readouterr().err


def test_help(capsys):
    assert run(["--help"]) == 0
    text = capsys.readouterr().out
    assert "protect" in text and "demo" in text
    assert run(["protect", "--help"]) == 0
    text = capsys.readouterr().out
    assert "people_synthetic_flags.csv" in text and "KEEP PRIVATE" in text
    assert "--keep-column" in text and "--overwrite" in text
    assert run([]) == 0
    assert "COMMAND" in capsys.readouterr().out


def test_protect_without_connections(sample_csv, tmp_path, capsys):
    data, people, _ = sample_csv
    out = tmp_path / "release"
    assert run(["protect", str(people), "--out", str(out), "--seed", "0"]) == 0
    assert {p.name for p in out.iterdir()} == RELEASE_FILES
    assert len(pd.read_csv(out / "connections.csv")) == 0
    assert len(pd.read_csv(out / "people.csv")) == len(data)


@pytest.mark.slow
def test_report_has_the_issue_figures(sample_csv, tmp_path, capsys):
    _, people, edges = sample_csv
    out = tmp_path / "release"
    assert run(protect_args(people, edges, out, "--k", "5", "--seed", "0")) == 0
    html = (out / "report.html").read_text()
    # Self-contained: three embedded PNGs, no external resource.
    assert html.count('src="data:image/png;base64,') >= 4  # + per person (+ frontier)
    assert "http://" not in html and "https://" not in html and "<script" not in html
    for alt in ("risk before and after", "connection-pattern k histogram", "degree distribution"):
        assert f'alt="{alt}"' in html
    for heading in ("What was added", "Rarest connection patterns left", "Before you publish"):
        assert heading in html
    assert 'alt="privacy-utility frontier"' in html


def test_report_screenshot(sample_csv, tmp_path, capsys):
    import runpy
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "screenshot_report.py"
    tool = runpy.run_path(str(script))
    if tool["find_browser"]() is None:
        pytest.skip("no Chromium installed (apt-get install -y chromium)")
    from PIL import Image

    _, people, edges = sample_csv
    out = tmp_path / "release"
    assert run(protect_args(people, edges, out, "--k", "5", "--seed", "0")) == 0
    png = tmp_path / "report.png"
    assert tool["main"]([str(out / "report.html"), "--out", str(png), "--height", "1600"]) == 0
    with Image.open(png) as image:
        assert image.width == 1200 and 0 < image.height <= 1600
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 16) or []) > 10  # not blank


@pytest.mark.slow
def test_protect_keep_ids(sample_csv, tmp_path, capsys):
    data, people, edges = sample_csv
    out = tmp_path / "release"
    # the sample's ids fill 1..300: no room for synthetic ids that look like them
    argv = protect_args(people, edges, out, "--k", "5", "--seed", "0", "--keep-ids")
    assert run([*argv, "--protection", "global"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fill 1..300" in err and "Leave out --keep-ids" in err
    assert not out.exists() and not private(out).exists()
    # sparse six-digit ids: synthetic ids are drawn from the same range and format
    frame = data.people.drop(columns="is_synthetic")
    ids = pd.Series(range(100_000, 100_000 + 3000 * len(frame), 3000))
    mapping = dict(zip(frame["person_id"], ids))
    sparse_people, sparse_edges = tmp_path / "p.csv", tmp_path / "e.csv"
    frame.assign(person_id=frame["person_id"].map(mapping)).to_csv(sparse_people, index=False)
    edge_frame = data.connections[["person1_id", "person2_id", "connection_type"]]
    edge_frame.assign(
        person1_id=edge_frame["person1_id"].map(mapping),
        person2_id=edge_frame["person2_id"].map(mapping),
    ).to_csv(sparse_edges, index=False)
    argv = protect_args(sparse_people, sparse_edges, out, "--k", "5", "--seed", "0", "--keep-ids")
    assert run([*argv, "--protection", "global"]) == 0
    released = pd.read_csv(out / "people.csv")
    flags = pd.read_csv(private(out) / "people_synthetic_flags.csv")
    real = ~flags["is_synthetic"]
    assert (flags.loc[real, "person_id"] == flags.loc[real, "original_person_id"]).all()
    assert set(ids) <= set(released["person_id"])
    synthetic = flags.loc[~real, "person_id"]
    assert len(synthetic) and synthetic.between(ids.min(), ids.max()).all()
    assert not set(synthetic) & set(ids)
    connections = pd.read_csv(out / "connections.csv")
    assert set(connections["person1_id"]) | set(connections["person2_id"]) <= set(
        released["person_id"]
    )


@pytest.mark.slow
def test_protect_augment_from_a_nemotron_file(sample_csv, tmp_path, capsys, monkeypatch):
    from tests.test_providers import nemotron_fixture

    monkeypatch.setenv("PERSONATWIN_CACHE", str(tmp_path / "cache"))
    data, people, edges = sample_csv
    personas = tmp_path / "personas.parquet"
    nemotron_fixture(n=600).to_parquet(personas)
    out = tmp_path / "release"
    extra = ["--augment", str(personas), "--ratio", "1", "--seed", "0", "--k", "5"]
    assert run(protect_args(people, edges, out, *extra)) == 0
    flags = pd.read_csv(private(out) / "people_synthetic_flags.csv")
    assert int(flags["is_synthetic"].sum()) >= len(data)
    bad = tmp_path / "bad_release"
    assert run(protect_args(people, edges, bad, "--augment", str(tmp_path / "nope.parquet"))) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.parquet" in err
    assert not bad.exists()


@pytest.mark.slow
def test_protect_rename_columns(tmp_path, capsys):
    from personatwin_sklearn.datasets import make_social_population

    data = make_social_population(n_people=120, random_state=0)
    people = data.people.drop(columns="is_synthetic").rename(
        columns={"person_id": "id", "gender": "sex"}
    )
    path = tmp_path / "people.csv"
    people.to_csv(path, index=False)
    out = tmp_path / "release"
    # no person_id and no connections: ids are generated, and the note says how to keep yours
    first = ["protect", str(path), "--drop-column", "id", "sex",
             "--out", str(tmp_path / "generated"), "--k", "3"]  # fmt: skip
    assert run(first) == 0
    assert "generated ids 1..120 (use --rename" in capsys.readouterr().err
    argv = ["protect", str(path), "--rename", "id=person_id", "sex=gender", "--k", "3",
            "--privacy-level", "low", "--out", str(out)]  # fmt: skip
    assert run(argv) == 0
    # --rename maps the input only: the release keeps the user's column names
    released = set(pd.read_csv(out / "people.csv").columns)
    assert {"id", "sex"} <= released and not {"person_id", "gender"} & released
    capsys.readouterr()
    bad = ["protect", str(path), "--rename", "idperson_id", "--out", str(tmp_path / "x")]
    assert run(bad) == 2
    assert "YOUR_COLUMN=OUR_COLUMN" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_demo_with_augmentation(tmp_path, capsys):
    out = tmp_path / "demo"
    argv = ["demo", "--n-people", "200", "--augment", "census", "--ratio", "1", "--out", str(out)]
    assert run(argv) == 0
    text = capsys.readouterr().out
    assert "synthetic personas from census" in text and "AUC" in text
    flags = pd.read_csv(private(out) / "people_synthetic_flags.csv")
    assert int(flags["is_synthetic"].sum()) >= 200
    assert run(["demo", "--ratio", "2", "--out", str(tmp_path / "x")]) == 2


@pytest.mark.slow
def test_protect_coarsen_levels_are_obeyed_and_shown(sample_csv, tmp_path, capsys):
    """--coarsen none keeps every published value and type; a level list is applied."""
    data, people, edges = sample_csv
    out = tmp_path / "none"
    argv = protect_args(people, edges, out, "--seed", "0", "--coarsen", "none")
    assert run([*argv, "--protection", "global"]) == 0
    protection = json.loads((out / "risk_metrics.json").read_text())["metadata"][
        "connection_protection"
    ]
    assert protection["coarsened"] == {}
    released = pd.read_csv(out / "connections.csv")
    assert set(released["connection_type"]) <= set(data.connections["connection_type"])
    out = tmp_path / "levels"
    argv = protect_args(people, edges, out, "--seed", "0", "--coarsen", "connection_type=family")
    assert run([*argv, "--protection", "global"]) == 0
    assert "coarsened: family connection types as one group" in capsys.readouterr().out
    released = pd.read_csv(out / "connections.csv")
    assert "CHILD|PARENT|SIBLING|SPOUSE" in set(released["connection_type"])
    assert "SPOUSE" not in set(released["connection_type"])
