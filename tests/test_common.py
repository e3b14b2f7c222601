"""Common estimator checks, the way scikit-learn and imbalanced-learn run them.

- Tabular estimators (:class:`KAnonymizer`) go through scikit-learn's
  ``parametrize_with_checks``; the expected failures carry their reasons.
- Every graph estimator (``SocialData`` in) goes through a ``SocialData`` version of
  the core checks: clone, parameters, ``fit_transform == fit().transform``, idempotent
  ``fit``, determinism with a fixed seed and at ``random_state=None`` once fitted, no
  input mutation, pickle and skops round trips, ``set_output`` and
  ``get_feature_names_out``.  :class:`SyntheticPersonaSampler` (people DataFrame and
  labels in) gets the same checks on ``fit_resample``.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
    parametrize_with_checks,
)
from sklearn.utils.fixes import parse_version

from personatwin_sklearn import (
    ConnectionPatternAnalyzer,
    KAnonymizer,
    PeopleSelector,
    SocialData,
    SyntheticAugmenter,
    SyntheticConnectionGenerator,
    SyntheticPersonaSampler,
    TemplateConnector,
)
from personatwin_sklearn.datasets import make_social_population

# --------------------------------------------------------------------------- tabular
TEXT_OUTPUT = (
    "numeric_output='range' (the default) releases ranges as text such as '40-44'; this "
    "check compares outputs with assert_allclose, which cannot subtract strings. The same "
    "estimator with numeric_output='midpoint' passes it."
)
TEXT_OUTPUT_CHECKS = [
    "check_pipeline_consistency",
    "check_estimators_pickle",
    "check_transformer_data_not_an_array",
    "check_transformer_general",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_fit_idempotent",
]


#: A bug of the check itself before scikit-learn 1.8: it subtracts the float mean in place
#: from the int32 array it builds for estimators tagged ``categorical``
#: (UFuncOutputCastingError before the estimator is called); 1.8 casts the mean first.
OLD_POSITIVE_CHECK = (
    "scikit-learn < 1.8's check_positive_only_tag_during_fit fails on its own int32 input "
    "for estimators tagged categorical (X -= X.mean() raises UFuncOutputCastingError); fixed "
    "in scikit-learn 1.8, where this check passes."
)


def expected_failures(estimator) -> dict:
    failures = {}
    if parse_version(sklearn.__version__) < parse_version("1.8"):
        failures["check_positive_only_tag_during_fit"] = OLD_POSITIVE_CHECK
    if getattr(estimator, "numeric_output", "midpoint") != "midpoint":
        failures.update(dict.fromkeys(TEXT_OUTPUT_CHECKS, TEXT_OUTPUT))
    return failures


@parametrize_with_checks(
    [KAnonymizer(k=2, numeric_output="midpoint"), KAnonymizer(k=1)],
    expected_failed_checks=expected_failures,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# --------------------------------------------------------------------------- graph
@pytest.fixture(scope="module")
def data() -> SocialData:
    return make_social_population(n_people=150, random_state=0)


def graph_estimators():
    """One instance of every estimator that takes a SocialData (seeded where random)."""
    return [
        ConnectionPatternAnalyzer(k=3),
        SyntheticConnectionGenerator(target_k=3, max_synthetic_share=None, random_state=0),
        SyntheticAugmenter(synthetic_ratio=0.5, random_state=0),
        TemplateConnector(template="karate_club", n_calibration=2, random_state=0),
        KAnonymizer(5),
        PeopleSelector(),
    ]


GRAPH = graph_estimators()
IDS = [type(e).__name__ for e in GRAPH]
RANDOM = [e for e in GRAPH if "random_state" in e.get_params()]


def _equal(a, b) -> bool:
    if isinstance(a, SocialData):
        return isinstance(b, SocialData) and a.equals(b)
    if isinstance(a, pd.DataFrame):
        return isinstance(b, pd.DataFrame) and a.equals(b)
    return bool(np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object)))


def _deep(data: SocialData):
    return data.people.copy(deep=True), data.connections.copy(deep=True)


def _assert_unchanged(data: SocialData, before) -> None:
    pd.testing.assert_frame_equal(data.people, before[0])
    pd.testing.assert_frame_equal(data.connections, before[1])


@pytest.mark.parametrize("estimator", GRAPH, ids=IDS)
def test_parameters(estimator):
    """sklearn's data-free checks: __init__ only stores, get/set_params, clone."""
    name = type(estimator).__name__
    check_parameters_default_constructible(name, estimator)
    check_no_attributes_set_in_init(name, estimator)
    check_get_params_invariance(name, estimator)
    check_set_params(name, estimator)
    cloned = clone(estimator)
    assert cloned is not estimator
    assert cloned.get_params().keys() == estimator.get_params().keys()
    assert repr(cloned) == repr(estimator)


@pytest.mark.parametrize("estimator", GRAPH, ids=IDS)
def test_fit_transform_idempotent_not_mutating(estimator, data):
    before = _deep(data)
    est = clone(estimator)
    fitted_once = est.fit(data).transform(data)
    _assert_unchanged(data, before)
    refit = est.fit(data).transform(data)
    assert _equal(fitted_once, refit), "fit twice gives another output"
    assert _equal(clone(estimator).fit_transform(data), fitted_once)
    _assert_unchanged(data, before)
    # a clone of a fitted estimator is unfitted again
    assert not any(k.endswith("_") and not k.startswith("_") for k in vars(clone(est)))


@pytest.mark.parametrize("estimator", RANDOM, ids=[type(e).__name__ for e in RANDOM])
def test_determinism(estimator, data):
    """Same seed, same output; random_state=None: fixed once fitted (seed drawn in fit)."""
    first = clone(estimator).fit_transform(data)
    assert _equal(first, clone(estimator).fit_transform(data))
    est = clone(estimator).set_params(random_state=None).fit(data)
    assert _equal(est.transform(data), est.transform(data))


@pytest.mark.parametrize("estimator", GRAPH, ids=IDS)
def test_pickle_and_skops_round_trip(estimator, data):
    sio = pytest.importorskip("skops.io")
    est = clone(estimator).fit(data)
    expected = est.transform(data)
    assert _equal(pickle.loads(pickle.dumps(est)).transform(data), expected)
    blob = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=blob)
    # only this package's own types (and numpy/pandas/sklearn ones skops asks about)
    assert all(t.split(".")[0] in {"personatwin_sklearn", "numpy", "builtins"} for t in untrusted)
    loaded = sio.loads(blob, trusted=untrusted)
    assert _equal(loaded.transform(data), expected)


@pytest.mark.parametrize("estimator", GRAPH, ids=IDS)
def test_set_output_and_feature_names(estimator, data):
    """Output containers under pandas output; feature names match the people columns."""
    plain = clone(estimator).fit_transform(data)
    est = clone(estimator).set_output(transform="pandas")
    out = est.fit_transform(data)
    assert type(out) is type(plain)
    assert _equal(out, plain)
    with sklearn.config_context(transform_output="pandas"):
        assert _equal(clone(estimator).fit(data).transform(data), plain)
    people = out.people if isinstance(out, SocialData) else out
    np.testing.assert_array_equal(est.get_feature_names_out(), np.asarray(people.columns))


def test_pipeline_set_output_pandas_and_feature_names(data):
    """A whole SocialData pipeline ending in a model, under set_output('pandas')."""
    y = data.people["has_criminal_record"].to_numpy()
    pipe = Pipeline(
        [
            ("patterns", ConnectionPatternAnalyzer(k=3)),
            ("augment", SyntheticAugmenter(synthetic_ratio=0.5, random_state=0)),
            ("generalize", KAnonymizer(5, numeric_output="midpoint")),
            ("select", PeopleSelector(columns=["age", "pattern_k"])),
            ("model", HistGradientBoostingClassifier(max_iter=5)),
        ]
    )
    pipe.set_output(transform="pandas")
    with pytest.raises(TypeError, match="SyntheticPersonaSampler"):
        pipe.fit(data, y)  # the augmenter adds rows: no labels through it
    pipe.steps.pop(1)
    pipe.fit(data.take(np.arange(len(data))), y)
    names = pipe[:-1].get_feature_names_out()
    assert list(names) == ["age", "pattern_k"]
    features = pipe[:-1].transform(data)
    assert isinstance(features, pd.DataFrame) and list(features.columns) == list(names)
    # PeopleSelector's default leaves out the id and the synthetic flag
    default = pipe[:2].get_feature_names_out()
    assert "person_id" not in PeopleSelector().fit(data).get_feature_names_out()
    assert "pattern_k" in default


# --------------------------------------------------------------------------- sampler
@pytest.fixture(scope="module")
def labelled(data):
    X = data.people.drop(columns=["person_id", "is_synthetic"])
    y = (X["age"] > 40).astype(int).to_numpy()
    return X, y


def test_sampler_core_checks(labelled):
    X, y = labelled
    sampler = SyntheticPersonaSampler(random_state=0)
    name = type(sampler).__name__
    check_parameters_default_constructible(name, sampler)
    check_no_attributes_set_in_init(name, sampler)
    check_get_params_invariance(name, sampler)
    check_set_params(name, sampler)
    X_before, y_before = X.copy(deep=True), y.copy()
    X_res, y_res = clone(sampler).fit_resample(X, y)
    pd.testing.assert_frame_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    # idempotent and deterministic with a seed
    est = clone(sampler)
    est.fit_resample(X, y)
    X_again, y_again = est.fit_resample(X, y)
    pd.testing.assert_frame_equal(X_again, X_res)
    np.testing.assert_array_equal(y_again, y_res)
    # pickle and skops of the fitted sampler
    sio = pytest.importorskip("skops.io")
    fitted = clone(sampler).fit(X, y)
    for loaded in (
        pickle.loads(pickle.dumps(fitted)),
        sio.loads(sio.dumps(fitted), trusted=sio.get_untrusted_types(data=sio.dumps(fitted))),
    ):
        assert loaded.n_synthetic_ == fitted.n_synthetic_
        X_l, y_l = loaded.fit_resample(X, y)
        pd.testing.assert_frame_equal(X_l, X_res)
    assert copy.deepcopy(fitted).get_params() == fitted.get_params()


# ------------------------------------------------- the sampler: sklearn and imblearn checks
def test_sampler_tags_say_what_it_accepts():
    """A DataFrame with named columns (text and categories too), not a plain or sparse
    array; labels required (imbalanced-learn's input_tags.dataframe and sampler_tags)."""
    from sklearn.utils import get_tags

    tags = get_tags(SyntheticPersonaSampler())
    assert tags.input_tags.dataframe and not tags.input_tags.two_d_array
    assert tags.input_tags.string and tags.input_tags.categorical
    assert not tags.input_tags.sparse and not tags.input_tags.allow_nan
    assert tags.target_tags.required and tags.sampler_tags.sample_indices is False


#: Why the sampler fails the checks that feed it a numpy array.
NEEDS_NAMED_COLUMNS = (
    "SyntheticPersonaSampler draws stand-ins per cell of named quasi-identifiers (at least "
    "'age' and the gender column), so it takes a DataFrame with named columns, as its tags "
    "say (two_d_array=False, dataframe=True); this check feeds a numpy array (or a list) "
    "without column names, which it refuses with a TypeError naming the fix."
)
NUMBERED_COLUMNS = (
    "the check's DataFrame has numbered columns ('0', '1', ...), not the 'age' and gender "
    "columns the cells are made of: refused with a MissingColumnError naming them."
)
SKLEARN_ARRAY_CHECKS = [
    "check_fit_score_takes_y",
    "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self",
    "check_readonly_memmap_input",
    "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit",
    "check_estimators_dtypes",
    "check_complex_data",
    "check_dtype_object",
    "check_estimators_empty_data_messages",
    "check_pipeline_consistency",
    "check_estimators_nan_inf",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_fit2d_1sample",
    "check_fit2d_1feature",
    "check_dict_unchanged",
    "check_fit_idempotent",
    "check_fit_check_is_fitted",
    "check_n_features_in",
    "check_fit1d",
    "check_fit2d_predict1d",
    "check_requires_y_none",
]


class _SamplerRunAsArrayEstimator(SyntheticPersonaSampler):
    """The sampler tagged two_d_array=True for this test only: with its true tags
    (two_d_array=False) scikit-learn's check_estimator skips it whole ("Can't test
    estimator ... which requires input of type ..."); tagged so, every check runs and each
    failure is listed with its reason."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        return tags


@parametrize_with_checks(
    [_SamplerRunAsArrayEstimator(random_state=0)],
    expected_failed_checks=lambda est: dict.fromkeys(SKLEARN_ARRAY_CHECKS, NEEDS_NAMED_COLUMNS),
)
def test_sampler_sklearn_checks(estimator, check):
    check(estimator)


IMBLEARN_CHECKS = {
    "check_target_type": NEEDS_NAMED_COLUMNS,
    "check_samplers_one_label": NEEDS_NAMED_COLUMNS,
    "check_samplers_fit": NEEDS_NAMED_COLUMNS,
    "check_samplers_fit_resample": NEEDS_NAMED_COLUMNS,
    "check_samplers_sampling_strategy_fit_resample": None,
    "check_samplers_pandas": NUMBERED_COLUMNS,
    "check_samplers_pandas_sparse": NUMBERED_COLUMNS,
    "check_samplers_string": NEEDS_NAMED_COLUMNS,
    "check_samplers_list": NEEDS_NAMED_COLUMNS,
    "check_samplers_multiclass_ova": NEEDS_NAMED_COLUMNS,
    "check_samplers_preserve_dtype": NEEDS_NAMED_COLUMNS,
    "check_samplers_sample_indices": NEEDS_NAMED_COLUMNS,
    "check_samplers_2d_target": NEEDS_NAMED_COLUMNS,
    "check_sampler_get_feature_names_out": None,
    "check_sampler_get_feature_names_out_pandas": None,
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=[] if why is None else pytest.mark.xfail(reason=why))
        for name, why in IMBLEARN_CHECKS.items()
    ],
)
def test_sampler_imblearn_checks(name):
    """imbalanced-learn's sampler checks (those its check generator yields for a sampler
    with these tags: dataframe and string, no sparse, no NaN)."""
    checks = pytest.importorskip("imblearn.utils.estimator_checks")
    check = getattr(checks, name, None)
    if check is None:
        pytest.skip(f"this imbalanced-learn has no {name}")
    check("SyntheticPersonaSampler", SyntheticPersonaSampler(random_state=0))


def test_skops_state_of_pandas_objects():
    """The plain records that carry DataFrames through skops rebuild them exactly."""
    sio = pytest.importorskip("skops.io")
    from personatwin_sklearn._base import _from_plain, _to_plain

    frame = pd.DataFrame(
        {
            "text": pd.array(["a", None, "c"], dtype="str"),
            "cat": pd.Categorical(["x", "y", "x"], categories=["y", "x"], ordered=True),
            "nullable": pd.array([1, None, 3], dtype="Int64"),
            "lists": [[1, 2], [], [3]],
            "float": [0.5, np.nan, 2.0],
            "when": pd.to_datetime(["2020-01-01", "2021-06-30", "2022-12-31"]),
            7: [True, False, True],
        },
        index=pd.Index(["p", "q", "r"], name="id"),
    )
    state = {"frame": frame, "series": frame["float"], "index": pd.RangeIndex(2, 8, 2)}
    blob = sio.dumps(_to_plain(state))
    back = _from_plain(sio.loads(blob, trusted=sio.get_untrusted_types(data=blob)))
    pd.testing.assert_frame_equal(back["frame"], frame)
    pd.testing.assert_series_equal(back["series"], frame["float"])
    pd.testing.assert_index_equal(back["index"], state["index"], exact=True)


def test_make_persona_pipeline_under_pandas_output(data):
    """The issue's case: make_persona_pipeline().fit_transform with pandas output."""
    from personatwin_sklearn import make_persona_pipeline

    plain = make_persona_pipeline(privacy_level="low", connection_pattern_k=3, random_state=0)
    expected = plain.fit_transform(data)
    with sklearn.config_context(transform_output="pandas"):
        pipe = make_persona_pipeline(privacy_level="low", connection_pattern_k=3, random_state=0)
        out = pipe.fit_transform(data)
    assert isinstance(out, SocialData) and out.equals(expected)
    names = pipe.get_feature_names_out()
    assert list(names) == list(out.people.columns)


# --------------------------------------------------------------------------- dp extra
def test_missing_dp_extra_names_the_install(monkeypatch):
    """Without diffprivlib, the DP step's ImportError says exactly what to install."""
    import sys

    from personatwin_sklearn._base import require_diffprivlib

    monkeypatch.setitem(sys.modules, "diffprivlib", None)  # import raises ModuleNotFoundError
    with pytest.raises(ImportError, match=r'pip install "personatwin_sklearn\[dp\]"'):
        require_diffprivlib("NetworkTemplateExtractor.fit")


# --------------------------------------------------------------------------- grid search
def test_grid_over_privacy_levels_fits_every_candidate(data):
    """make_persona_pipeline sets only the level, so the levels are searchable."""
    from sklearn.model_selection import GridSearchCV

    import personatwin_sklearn as pt

    levels = ["low", "medium", "high"]
    search = GridSearchCV(
        pt.make_persona_pipeline(protect_connection_patterns=False, random_state=0),
        {"generalize__privacy_level": levels},
        scoring=pt.metrics.make_privacy_scorer(),
        cv=pt.release_split(data),
        error_score="raise",
    ).fit(data)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    fitted = {
        level: clone(search.estimator)
        .set_params(generalize__privacy_level=level)
        .fit(data)
        .named_steps["generalize"]
        .k_
        for level in levels
    }
    assert fitted == {"low": 3, "medium": 5, "high": 10}


@pytest.mark.parametrize("k", [2.5, 3.0, True])
def test_non_integer_connection_pattern_k_is_refused(data, k):
    """A number of people: 2.5 was silently cut to 2."""
    import personatwin_sklearn as pt
    from personatwin_sklearn.exceptions import InvalidValueError

    with pytest.raises(InvalidValueError, match="connection_pattern_k must be a whole number"):
        pt.make_persona_pipeline(connection_pattern_k=k)
    with pytest.raises(InvalidValueError, match=r"give an int, e\.g\. connection_pattern_k="):
        pt.create_safe_personas(data, connection_pattern_k=k)


def test_no_private_scikit_learn_helpers():
    """Output wrapping and feature names use public API and this package's own code."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[1] / "personatwin_sklearn"
    text = "\n".join(p.read_text() for p in root.rglob("*.py"))
    for private_helper in ("_wrap_data_with_container", "_check_feature_names_in", "_set_output"):
        assert private_helper not in text


@pytest.mark.parametrize("estimator", GRAPH, ids=IDS)
def test_tags_say_what_each_graph_estimator_accepts(estimator):
    """A step that needs a SocialData (people *and* connections) says it takes no plain 2D
    array; KAnonymizer and PeopleSelector take DataFrames too (text and categories)."""
    from sklearn.utils import get_tags

    tags = get_tags(estimator)
    if isinstance(estimator, KAnonymizer):
        assert tags.input_tags.two_d_array and tags.input_tags.string
    else:
        assert not tags.input_tags.two_d_array
