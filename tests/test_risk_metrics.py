"""Risk metrics recomputed independently."""

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from personatwin_sklearn import SocialData
from personatwin_sklearn.exceptions import MissingColumnError
from personatwin_sklearn.metrics import k_anonymity, reidentification_risk


def _people(seed=0, n=200):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "person_id": np.arange(n),
            "age": rng.integers(20, 30, n),
            "gender": rng.choice(["F", "M"], n),
            "zipcode": rng.choice(["80201", "80202", "80203"], n),
        }
    )


def test_k_and_risk_match_plain_python():
    people = _people()
    qis = ["age", "gender", "zipcode"]
    keys = [tuple(r) for r in people[qis].itertuples(index=False)]
    sizes = Counter(keys)
    risks = [1 / sizes[key] for key in keys]
    report = reidentification_risk(people, qis, threshold=0.2)
    assert k_anonymity(people, qis) == min(sizes.values())
    assert report.population_average_risk == pytest.approx(sum(risks) / len(risks))
    assert report.max_risk == pytest.approx(max(risks))
    assert report.records_at_risk == pytest.approx(np.mean([r > 0.2 for r in risks]))


def test_synthetic_rows_dilute_but_are_not_averaged():
    people = _people(n=50)
    data = SocialData(people)
    twins = people.assign(person_id=people["person_id"] + 1000)
    doubled = data.add(people=twins)
    before = reidentification_risk(data, ["age", "gender", "zipcode"])
    after = reidentification_risk(doubled, ["age", "gender", "zipcode"])
    assert after.n_records == 50
    assert after.population_average_risk == pytest.approx(before.population_average_risk / 2)


def test_combined_risk_is_at_least_qi_risk(toy):
    report = reidentification_risk(toy, ["gender"])
    assert report.combined_average_risk >= report.population_average_risk
    assert report.min_connection_pattern_k == 1


def test_missing_values_form_their_own_class():
    people = pd.DataFrame({"age": [1, 1, np.nan], "gender": ["F", "F", None]})
    assert k_anonymity(people, ["age", "gender"]) == 1


def test_errors():
    with pytest.raises(MissingColumnError, match=r"\['salary'\]"):
        k_anonymity(_people(), ["salary"])
    with pytest.raises(ValueError, match="threshold"):
        reidentification_risk(_people(), threshold=2)
    with pytest.raises(TypeError, match="SocialData or a people DataFrame"):
        k_anonymity([1, 2, 3])
