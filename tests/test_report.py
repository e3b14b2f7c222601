"""The report: the headline as printed, every section with data or a one-line reason."""

import html
import json
import re

import pandas as pd
import pytest

from personatwin_sklearn.api import create_safe_personas
from personatwin_sklearn.attacks._headline import format_headline
from personatwin_sklearn.cli import main
from personatwin_sklearn.datasets import make_social_population
from personatwin_sklearn.report import build_report

SECTIONS = (
    "Re-identification risk by adversary",
    "Rare connection patterns, before and after",
    "Where the synthetic connections went",
    "Can an adversary strip them? (detector)",
    "What was added",
    "Information loss of the generalisation",
    "Privacy-utility frontier",
    "Class-size risks (prosecutor model)",
    "Rarest connection patterns left in the release",
)


def _sections(text: str) -> dict:
    """Heading -> the HTML up to the next heading."""
    parts = re.split(r"<h2>(.*?)</h2>", text)
    return {html.unescape(parts[i]): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def _shows_something(body: str) -> bool:
    return any(tag in body for tag in ("<img", "<table", 'class="reason"', "<p>"))


@pytest.mark.slow
def test_demo_prints_the_headline_of_risk_metrics_and_report(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    headline = json.loads((out / "risk_metrics.json").read_text())["headline"]
    line = next(ln for ln in printed.splitlines() if "headline risk" in ln)
    assert format_headline(headline) in line
    report = (out / "report.html").read_text()
    assert html.escape(format_headline(headline)) in report
    for key in ("before", "after"):  # the four cards
        for stat in ("average", "maximum"):
            card = f"{100 * headline[key][stat]:.1f}%</div>"
            assert card in report
    # it counts connections: the pattern adversaries are in, and the headline is their worst
    assert {"edge", "neighborhood", "combined"} <= set(headline["scopes"])
    worst = max(f["after"]["average"] for f in headline["scopes"].values())
    assert headline["after"]["average"] >= worst
    assert headline["after"]["average"] > headline["scopes"]["qi"]["after"]["average"]
    # every section shows data or says why not
    sections = _sections(report)
    for name in SECTIONS:
        assert _shows_something(sections[name]), name


def test_people_only_report_has_no_empty_chart(tmp_path):
    data = make_social_population(300, random_state=0)
    people_only = data.with_connections(data.connections.iloc[:0])
    result = create_safe_personas(people_only, privacy_level="low", random_state=0)
    assert set(result.metadata["headline"]["skipped"]) == {"edge", "neighborhood", "combined"}
    assert "not measured: edge, neighborhood, combined (no connections)" in result.summary()
    result.save(tmp_path / "release", original=people_only)
    text = (tmp_path / "release" / "report.html").read_text()
    sections = _sections(text)
    for name in SECTIONS:
        assert _shows_something(sections[name]), name
    # no pattern-k, degree or per-person chart without edges: a reason instead
    for alt in ("connection-pattern k histogram", "degree distribution", "synthetic connections"):
        assert f'alt="{alt}' not in text
    assert "No connections: there is no connection-pattern k to plot." in text
    assert "No connections: no degree distribution to compare." in text
    assert "No synthetic connections were added (no connections)." in text


@pytest.mark.slow
def test_detector_and_frontier_sections(tmp_path):
    data = make_social_population(400, random_state=1)
    result = create_safe_personas(data, privacy_level="low", target_risk=0.02, random_state=0)
    frontier = result.metadata["frontier"]
    assert len(frontier["points"]) >= 2
    for point in frontier["points"]:
        assert {"k", "risk_average", "certain_share", "utility", "chosen"} <= set(point)
    metadata = dict(result.metadata, detector={"auc": 0.61, "shadow_auc": 0.58})
    text = build_report(
        data,
        result.data,
        result.risk_before.to_dict(),
        result.risk_metrics.to_dict(),
        metadata=metadata,
    )
    sections = _sections(text)
    assert "0.61" in sections["Can an adversary strip them? (detector)"]
    assert 'alt="privacy-utility frontier"' in sections["Privacy-utility frontier"]
    one = dict(frontier, points=frontier["points"][:1])
    without = build_report(
        data, result.data, result.risk_before.to_dict(), result.risk_metrics.to_dict(),
        metadata=dict(result.metadata, frontier=one, detector=None),
    )  # fmt: skip
    assert "No detector was run on this release" in without
    assert "No frontier to draw: one release was tried" in without


def test_report_without_metadata_still_renders():
    data = make_social_population(150, random_state=0)
    risk = {"population_average_risk": 1.0}
    text = build_report(data, data, risk, risk)
    assert "No headline risk in the metadata" in text
    assert "No information-loss figure" in text


@pytest.mark.parametrize("case", ["adult", "caltech"])
def test_screenshot_of_report(case, tmp_path, capsys, request):
    """Headless Chromium renders the people-only and the graph reports (skip without it)."""
    import runpy
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "screenshot_report.py"
    tool = runpy.run_path(str(script))
    if tool["find_browser"]() is None:
        pytest.skip("no Chromium installed (apt-get install -y chromium)")
    from PIL import Image

    out = tmp_path / "release"
    if case == "adult":
        adult = Path(__file__).resolve().parents[1] / "examples" / "data" / "adult.csv.gz"
        people = tmp_path / "adult.csv"
        pd.read_csv(adult).head(2000).to_csv(people, index=False)
        argv = tool["ADULT_ARGS"](people, out)  # declares the roles of Adult's columns
    else:
        request.getfixturevalue("caltech")  # skips without the shared data
        from tests.conftest import CALTECH

        argv = tool["CALTECH_ARGS"](CALTECH, out)
    assert main(argv) == 0
    png = tmp_path / "report.png"
    assert tool["main"]([str(out / "report.html"), "--out", str(png), "--height", "1400"]) == 0
    with Image.open(png) as image:
        assert image.width == 1200 and 0 < image.height <= 1400
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 16) or []) > 10
