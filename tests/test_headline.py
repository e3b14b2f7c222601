"""The headline risk: the worst linkage scope per real person, before and after."""

import numpy as np
import pytest

from personatwin_sklearn.attacks import headline_risk, linkage_attack
from personatwin_sklearn.attacks._headline import format_headline
from personatwin_sklearn.datasets import make_social_population, make_toy_population
from personatwin_sklearn.exceptions import InvalidValueError


@pytest.fixture(scope="module")
def population():
    return make_social_population(300, random_state=0, domain="criminal_justice")


def test_headline_is_the_per_person_worst_scope(population):
    h = headline_risk(population, population)
    worst = None
    for scope in ("qi", "edge", "neighborhood", "combined"):
        prob = linkage_attack(population, population, scope=scope, random_state=0).per_target[
            "success_probability"
        ]
        worst = prob.to_numpy() if worst is None else np.maximum(worst, prob.to_numpy())
        assert h["scopes"][scope]["before"]["average"] == pytest.approx(prob.mean())
    assert h["before"]["average"] == pytest.approx(worst.mean())
    assert h["before"]["maximum"] == pytest.approx(worst.max())
    # no scope is worse than the headline
    assert all(h["before"]["average"] >= f["before"]["average"] for f in h["scopes"].values())
    assert h["before"] == h["after"]  # the input attacked as its own release


def test_strip_mask_removes_connections_before_matching(population):
    strip_all = np.ones(population.n_connections, dtype=bool)
    h = headline_risk(population, population, strip_mask=strip_all, scopes=("edge",))
    assert h["stripped_connections"] == population.n_connections
    # without any connection left, no target is singled out by a pattern
    assert h["after"]["maximum"] <= 1 / len(population)
    assert h["before"]["average"] > h["after"]["average"]
    with pytest.raises(InvalidValueError, match="one entry per release connection"):
        headline_risk(population, population, strip_mask=[True])


def test_people_only_skips_pattern_scopes():
    toy = make_toy_population()
    people_only = toy.with_connections(toy.connections.iloc[:0])
    h = headline_risk(people_only, people_only, quasi_identifiers=["age"])
    assert list(h["scopes"]) == ["qi"]
    assert set(h["skipped"]) == {"edge", "neighborhood", "combined"}


def test_sampling_is_reported(population):
    h = headline_risk(population, population, n_targets=50, scopes=("qi",))
    assert h["sampled"] and h["n_targets"] == 50 and h["n_real"] == 300
    with pytest.raises(InvalidValueError, match="n_targets"):
        headline_risk(population, population, n_targets=0)
    with pytest.raises(InvalidValueError, match="scopes"):
        headline_risk(population, population, scopes=("bogus",))


def test_format_headline():
    h = {"before": {"average": 0.987, "maximum": 1.0}, "after": {"average": 0.5, "maximum": 1}}
    assert format_headline(h) == "average 98.7% -> 50.0%, maximum 100.0% -> 100.0%"


@pytest.mark.slow
def test_create_safe_personas_scopes_and_signature(population, tmp_path):
    import json

    from personatwin_sklearn import create_safe_personas, make_persona_pipeline
    from personatwin_sklearn.exceptions import MissingColumnError

    steps = make_persona_pipeline(connection_scope="both", protection="global").named_steps
    assert steps["connections"].scope == "edge"
    assert steps["connections_neighborhood"].scope == "neighborhood"
    with pytest.raises(InvalidValueError, match="connection_scope='ring'"):
        create_safe_personas(population, connection_scope="ring", protection="global")
    with pytest.raises(MissingColumnError, match="signature names column"):
        create_safe_personas(population, pattern_signature=["dorm"])
    result = create_safe_personas(
        population,
        privacy_level="low",
        connection_pattern_k=3,
        connection_scope="neighborhood",
        pattern_signature=["gender", "age"],
        age_bin=10,
        random_state=0,
        protection="global",
    )
    m = result.metadata
    h = m["headline"]
    assert h["signature"] == ["gender", "age"] and h["age_bin"] == 10
    assert m["protected_scopes"]["neighborhood"].startswith("protected")
    assert m["protected_scopes"]["combined"].startswith("not protected")
    assert 0 <= m["information_loss"] <= 1 and set(m["information_loss_per_column"]) == set(
        m["quasi_identifiers"]
    )
    assert m["synthetic_share"] == pytest.approx(
        result.data.n_synthetic_connections / result.data.n_connections
    )
    assert format_headline(h) in result.summary().splitlines()[0]
    # the neighbourhood adversary is held to 1/k by the neighbourhood scope on the release
    # as published; the headline is the detector-equipped adversary's, who strips first
    from personatwin_sklearn.attacks import linkage_attack

    plain = linkage_attack(
        population, result.data, scope="neighborhood", signature=["gender", "age"], age_bin=10
    )
    assert plain.per_target["success_probability"].max() <= 1 / 3 + 1e-12
    assert h["scopes"]["neighborhood"]["after"]["maximum"] >= plain.expected_success
    result.save(tmp_path / "release", original=population)
    saved = json.loads((tmp_path / "release" / "risk_metrics.json").read_text())["headline"]
    assert saved["before"] == h["before"] and saved["after"] == h["after"]
