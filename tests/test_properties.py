"""Property-based tests (hypothesis) of the steps that add to or generalise a release.

Random small populations (5-60 people) and random typed graphs (no self-loops, no
duplicate pairs) are fed to :class:`SyntheticConnectionGenerator`, :class:`KAnonymizer`,
:func:`make_persona_pipeline` and :func:`create_safe_personas`.  For every example:

- every real row and real edge comes out exactly as it went in (KAnonymizer: row count,
  order, index and non-QI columns unchanged; only the quasi-identifiers change);
- everything added carries ``is_synthetic=True``;
- the k guarantee holds by the independent plain-Python recount of ``tests/_recount.py``
  (and a plain ``Counter`` of quasi-identifier tuples for k-anonymity);
- the same seed gives identical output (``DataFrame.equals``);
- the inputs are not mutated (deep copies compared before/after).
"""

from __future__ import annotations

import warnings
from collections import Counter

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from personatwin_sklearn import (
    KAnonymizer,
    SocialData,
    SyntheticConnectionGenerator,
    create_safe_personas,
    make_persona_pipeline,
)
from tests._recount import (
    assert_real_edges_kept,
    consistent_min_k,
    neighborhood_k,
    person_min_k,
)

SIGNATURE = ["gender", "age", "occupation", "has_record"]
QIS = ["age", "gender", "ethnicity", "zipcode"]
TYPES = ["SPOUSE", "SIBLING", "PARENT", "CHILD", "FRIEND"]
OCCUPATIONS = ["sales", "education", "retired", "construction"]
ETHNICITIES = ["white", "black", "asian", "hispanic"]
ZIPCODES = ["80202", "80203", "80210", "80301", "10001"]

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- strategies -----------------------------------------------------------------------------
@st.composite
def populations(draw, min_people=5, max_people=60, max_degree=3.0):
    """A random :class:`SocialData` of the custom domain."""
    n = draw(st.integers(min_people, max_people))
    string_ids = draw(st.booleans())
    offset = draw(st.integers(0, 1000))
    ids = [f"p{offset + i}" for i in range(n)] if string_ids else list(range(offset, offset + n))
    ids = draw(st.permutations(ids))
    people = pd.DataFrame(
        {
            "person_id": ids,
            "age": draw(st.lists(st.integers(0, 99), min_size=n, max_size=n)),
            "gender": draw(st.lists(st.sampled_from(["M", "F"]), min_size=n, max_size=n)),
            "ethnicity": draw(st.lists(st.sampled_from(ETHNICITIES), min_size=n, max_size=n)),
            "zipcode": draw(st.lists(st.sampled_from(ZIPCODES), min_size=n, max_size=n)),
            "occupation": draw(st.lists(st.sampled_from(OCCUPATIONS), min_size=n, max_size=n)),
            "has_record": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
            "income": draw(st.lists(st.integers(0, 200_000), min_size=n, max_size=n)),
        }
    )
    max_edges = int(max_degree * n)
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.sampled_from(TYPES)),
            max_size=max_edges,
        )
    )
    seen, rows = set(), []
    for a, b, kind in pairs:
        key = (min(a, b), max(a, b))
        if a == b or key in seen:  # no self-loops, no duplicate pairs
            continue
        seen.add(key)
        rows.append((ids[a], ids[b], kind))
    id_dtype = people["person_id"].dtype
    edges = pd.DataFrame(
        {
            "person1_id": pd.Series([r[0] for r in rows], dtype=id_dtype),
            "person2_id": pd.Series([r[1] for r in rows], dtype=id_dtype),
            "connection_type": pd.Series([r[2] for r in rows], dtype=object),
        }
    )
    return SocialData(people, edges, domain="custom")


def _deep(data: SocialData) -> tuple[pd.DataFrame, pd.DataFrame]:
    return data.people.copy(deep=True), data.connections.copy(deep=True)


def _assert_not_mutated(data: SocialData, before) -> None:
    people, edges = before
    assert data.people.equals(people), "the input people table was mutated"
    assert data.connections.equals(edges), "the input connections table was mutated"


def _assert_additions_flagged(
    data: SocialData, out: SocialData, *, qi_changed=(), coarsened=()
) -> None:
    """Real rows/edges come out as they went in (except ``qi_changed`` columns of the
    people and what the connection step says it ``coarsened``); everything after them is
    flagged synthetic."""
    n, m = len(data), data.n_connections
    people, released = data.people, out.people
    assert len(released) >= n
    head = released.iloc[:n]
    assert head["person_id"].tolist() == people["person_id"].tolist()
    keep = [c for c in people.columns if c not in (*qi_changed, *coarsened)]
    pd.testing.assert_frame_equal(head[keep], people[keep])
    assert not head["is_synthetic"].any()
    assert released["is_synthetic"].iloc[n:].astype(bool).all()
    assert released["person_id"].is_unique
    edges, out_edges = data.connections, out.connections
    assert len(out_edges) >= m
    assert_real_edges_kept(out_edges.iloc[:m], edges, coarsened)
    assert out_edges["is_synthetic"].iloc[m:].astype(bool).all()
    # added edges are valid: no self-loops, both ends known
    added = out_edges.iloc[m:]
    assert (added["person1_id"] != added["person2_id"]).all()
    assert added["person1_id"].isin(released["person_id"]).all()
    assert added["person2_id"].isin(released["person_id"]).all()


def _qi_k(people: pd.DataFrame, qis) -> int:
    """Smallest class size, by a plain Counter of the released QI tuples."""
    keys = [tuple(str(v) for v in row) for row in people[qis].itertuples(index=False)]
    counts = Counter(keys)
    return min(counts[key] for key in keys)


# -- SyntheticConnectionGenerator ------------------------------------------------------------
@pytest.mark.slow
@settings(max_examples=40, **SETTINGS)
@given(data=populations(), k=st.integers(2, 5), seed=st.integers(0, 2**16))
def test_generator_edge_scope(data, k, seed):
    before = _deep(data)
    gen = SyntheticConnectionGenerator(
        method="exhaustive", target_k=k, signature=SIGNATURE, random_state=seed
    )
    out = gen.fit_transform(data)
    _assert_not_mutated(data, before)
    _assert_additions_flagged(data, out)
    # every person with a connection (real or synthetic) has all patterns shared by >= k
    min_k = person_min_k(out, SIGNATURE)
    assert all(v >= k for v in min_k.values()), sorted(min_k.values())[:5]
    again = SyntheticConnectionGenerator(
        method="exhaustive", target_k=k, signature=SIGNATURE, random_state=seed
    )
    out2 = again.fit(data).transform(data)  # fit().transform == fit_transform, same seed
    assert out2.people.equals(out.people)
    assert out2.connections.equals(out.connections)


@pytest.mark.slow
@settings(max_examples=25, **SETTINGS)
@given(data=populations(max_people=40), k=st.integers(2, 4), seed=st.integers(0, 2**16))
def test_generator_neighborhood_scope(data, k, seed):
    before = _deep(data)
    gen = SyntheticConnectionGenerator(
        method="exhaustive",
        target_k=k,
        scope="neighborhood",
        signature=SIGNATURE,
        random_state=seed,
    )
    out = gen.fit_transform(data)
    _assert_not_mutated(data, before)
    _assert_additions_flagged(data, out, coarsened=tuple(gen.coarsening_))
    sizes = neighborhood_k(out, SIGNATURE)
    assert min(sizes.values()) >= k, sorted(sizes.values())[:5]
    out2 = clone_fit_transform(gen, data)
    assert out2.people.equals(out.people)
    assert out2.connections.equals(out.connections)


def clone_fit_transform(estimator, data):
    from sklearn.base import clone

    return clone(estimator).fit_transform(data)


# -- KAnonymizer -----------------------------------------------------------------------------
@pytest.mark.slow
@settings(max_examples=60, **SETTINGS)
@given(
    data=populations(max_people=60, max_degree=1.0),
    k_share=st.floats(0.0, 1.0),
    suppression=st.sampled_from([0.0, 0.1]),
)
def test_kanonymizer_frame_and_social_data(data, k_share, suppression):
    people = data.people
    n = len(people)
    k = 1 + int(k_share * (n - 1))
    frame_before = people.copy(deep=True)
    anonymizer = KAnonymizer(k=k, suppression_limit=suppression, quasi_identifiers=QIS)
    out = anonymizer.fit_transform(people)
    assert people.equals(frame_before), "the input DataFrame was mutated"
    # rows, order, index and non-QI columns unchanged; only the QIs generalised
    assert out.shape == people.shape
    assert list(out.columns) == list(people.columns)
    assert out.index.equals(people.index)
    rest = [c for c in people.columns if c not in QIS]
    pd.testing.assert_frame_equal(out[rest], people[rest])
    # suppressed rows (every QI "*", at most suppression_limit * n of them) are exempt,
    # as documented; every other class has >= k rows
    suppressed = (out[QIS].astype(str) == "*").all(axis=1).to_numpy()
    assert suppressed.sum() == anonymizer.n_suppressed_ <= int(suppression * n)
    if (~suppressed).any():
        assert _qi_k(out.loc[~suppressed], QIS) >= k
    # unsuppressed cells generalise the true value: a range holding the age
    for true_age, label in zip(people["age"], out["age"], strict=True):
        if label == "*":
            continue
        lo, _, hi = str(label).partition("-")
        assert int(lo) <= true_age <= int(hi or lo)
    # SocialData in -> SocialData out, connections untouched, same result
    before = _deep(data)
    released = KAnonymizer(
        k=k, suppression_limit=suppression, quasi_identifiers=QIS
    ).fit_transform(data)
    _assert_not_mutated(data, before)
    assert isinstance(released, SocialData)
    assert released.people.equals(out)
    assert released.connections.equals(data.connections)


# -- the pipeline and create_safe_personas ----------------------------------------------------
def _check_connections(release, at_risk, k_connections):
    """The default (plausible) protection: whoever an independent recount finds below
    k_connections is reported in at_risk, and no one else; nobody gets a hub of links."""
    short = {pid for pid, v in consistent_min_k(release, SIGNATURE).items() if v < k_connections}
    assert short == set(at_risk["person_id"]), (sorted(short)[:5], at_risk.head())
    if release.n_connections == 0:
        return
    added = release.connections[release.connections["is_synthetic"]]
    real_ids = set(release.people.loc[~release.people["is_synthetic"], "person_id"])
    links = added[added["person1_id"].isin(real_ids) & added["person2_id"].isin(real_ids)]
    ends = pd.concat([links["person1_id"], links["person2_id"]])
    assert ends.value_counts().max() <= 1 if len(ends) else True


def _check_release(data, release, k_people, k_connections, at_risk, coarsened=()):
    _assert_additions_flagged(data, release, qi_changed=(*QIS, "occupation"),
                              coarsened=tuple(coarsened))  # fmt: skip
    # QI k-anonymity of the real rows, counted over every released row
    people = release.people
    keys = [tuple(str(v) for v in row) for row in people[QIS].itertuples(index=False)]
    counts = Counter(keys)
    real = ~people["is_synthetic"].to_numpy(dtype=bool)
    assert min(counts[key] for key, r in zip(keys, real, strict=True) if r) >= k_people
    # connection-pattern k on the released (generalised) values, as the adversary counts
    _check_connections(release, at_risk, k_connections)


@pytest.mark.slow
@settings(max_examples=20, **SETTINGS)
@given(data=populations(min_people=6, max_people=40), k=st.integers(2, 4), seed=st.integers(0, 99))
def test_pipeline_low(data, k, seed):
    before = _deep(data)
    pipeline = make_persona_pipeline(
        privacy_level="low", connection_pattern_k=k, random_state=seed, protection="global"
    )
    pipeline.set_params(connections__signature=SIGNATURE)
    release = pipeline.fit_transform(data)
    _assert_not_mutated(data, before)
    gen = pipeline.named_steps["connections"]
    _check_release(data, release, 3, k, gen.at_risk_, gen.coarsening_)
    pipeline2 = make_persona_pipeline(
        privacy_level="low", connection_pattern_k=k, random_state=seed, protection="global"
    ).set_params(connections__signature=SIGNATURE)
    release2 = pipeline2.fit_transform(data)
    assert release2.people.equals(release.people)
    assert release2.connections.equals(release.connections)


@pytest.mark.slow
@settings(max_examples=15, **SETTINGS)
@given(data=populations(min_people=6, max_people=40), k=st.integers(2, 4), seed=st.integers(0, 99))
def test_create_safe_personas_low(data, k, seed):
    before = _deep(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = create_safe_personas(
            data,
            privacy_level="low",
            target_risk=None,
            connection_pattern_k=k,
            random_state=seed,
            keep=["income"],  # every column needs a role (issue 12)
            protection="global",
        )
    _assert_not_mutated(data, before)
    release = result.data
    assert result.personas.equals(release.people)
    assert result.connections.equals(release.connections)
    coarsened = (result.metadata["connection_protection"] or {}).get("coarsened", {})
    _assert_additions_flagged(data, release, qi_changed=(*QIS, "occupation"),
                              coarsened=tuple(coarsened))  # fmt: skip
    people = release.people
    keys = [tuple(str(v) for v in row) for row in people[QIS].itertuples(index=False)]
    counts = Counter(keys)
    real = ~people["is_synthetic"].to_numpy(dtype=bool)
    assert min(counts[key] for key, r in zip(keys, real, strict=True) if r) >= 3
    assert result.risk_metrics.max_risk <= 1 / 3
    assert result.metadata["synthetic_count"] == int(people["is_synthetic"].sum())
    # the default signature of the pipeline is SIGNATURE (gender, age, occupation, has_*)
    _check_connections(release, result.pipeline.named_steps["connections"].at_risk_, k)
    result2 = create_safe_personas(
        data,
        privacy_level="low",
        target_risk=None,
        connection_pattern_k=k,
        random_state=seed,
        keep=["income"],
        protection="global",
    )
    assert result2.personas.equals(result.personas)
    assert result2.connections.equals(result.connections)


# -- SyntheticAugmenter -----------------------------------------------------------------------
@pytest.mark.slow
@settings(max_examples=30, **SETTINGS)
@given(
    data=populations(),
    ratio=st.sampled_from([0.3, 1.0, 2.0, 2.5]),
    strategy=st.sampled_from(["match_distribution", "boost_rare"]),
    seed=st.integers(0, 2**16),
)
def test_augmenter(data, ratio, strategy, seed):
    from personatwin_sklearn import SyntheticAugmenter

    before = _deep(data)
    aug = SyntheticAugmenter(
        strategy=strategy, synthetic_ratio=ratio, rare_threshold=3, boost_to_k=4,
        random_state=seed,
    )  # fmt: skip
    out = aug.fit_transform(data)
    _assert_not_mutated(data, before)
    _assert_additions_flagged(data, out)
    n = len(data)
    added = out.people.iloc[n:]
    if strategy == "match_distribution":
        assert len(added) == int(n * ratio)
    else:  # every QI cell (5-year ages) below 3 people reaches 4, by a plain Counter

        def cells(people):
            rows = people[QIS].assign(age=people["age"] // 5).astype(str)
            return Counter(map(tuple, rows.itertuples(index=False)))

        was, now = cells(data.people), cells(out.people)
        assert all(now[cell] >= 4 for cell, size in was.items() if size < 3)
    # synthetic people connect only among themselves; their cells are real people's cells
    m = data.n_connections
    ends = set(out.connections["person1_id"].iloc[m:]) | set(
        out.connections["person2_id"].iloc[m:]
    )
    assert not ends & set(data.people["person_id"])
    real_cells = set(
        map(tuple, data.people[["gender", "ethnicity", "zipcode"]].astype(str).values)
    )
    assert (
        set(map(tuple, added[["gender", "ethnicity", "zipcode"]].astype(str).values)) <= real_cells
    )
    again = SyntheticAugmenter(
        strategy=strategy, synthetic_ratio=ratio, rare_threshold=3, boost_to_k=4,
        random_state=seed,
    ).fit(data)  # fmt: skip
    assert again.transform(data).equals(out)
