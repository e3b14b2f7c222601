"""SyntheticPersonaSampler: synthetic people for a labelled training set (imblearn sampler)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import InputTags, Tags

from personatwin_sklearn.augmentation._augmenter import PLANNING_CONSTRAINTS, SyntheticAugmenter
from personatwin_sklearn.exceptions import InvalidValueError, MissingColumnError

__all__ = ["SyntheticPersonaSampler"]


@dataclass
class DataFrameInputTags(InputTags):
    """scikit-learn's input tags plus ``dataframe`` (imbalanced-learn's name for it).

    A step that needs named columns says so: ``two_d_array=False`` (no plain array),
    ``dataframe=True``.
    """

    dataframe: bool = True


@dataclass
class SamplerTags:
    """imbalanced-learn's sampler tags: ``sample_indices`` (no ``sample_indices_``)."""

    sample_indices: bool = False


@dataclass
class PersonaSamplerTags(Tags):
    """scikit-learn's tags with imbalanced-learn's ``sampler_tags``."""

    sampler_tags: SamplerTags = field(default_factory=SamplerTags)


class SyntheticPersonaSampler(BaseEstimator):
    """Append synthetic people to a labelled training set: ``fit_resample(X, y)``.

    The sampler of :class:`SyntheticAugmenter`'s synthetic people, in
    imbalanced-learn's sense: it has ``fit_resample`` and no ``transform``, so it works
    in an ``imblearn.pipeline.Pipeline`` before a model.  There it runs only while the
    pipeline is fitted (each training fold of a cross-validation gets its own synthetic
    people); ``predict`` and ``score`` see the real rows only.  Each synthetic row is a
    stand-in of a real *donor* (same quasi-identifier cell, see
    :class:`SyntheticAugmenter`) and takes the donor's label.

    Which one to use:

    - building a release of people and connections (``SocialData``), or any pipeline
      without labels: :class:`SyntheticAugmenter` (a transformer);
    - training a model on people with labels ``(X, y)``: this sampler, in an
      ``imblearn.pipeline.Pipeline`` (a scikit-learn ``Pipeline`` cannot change the
      number of rows between steps).

    Parameters
    ----------
    provider : {"census", "nemotron"}, SyntheticPersonaProvider or DataFrame, \
            default="census"
        Source of the attributes that are not copied from donors, as in
        :class:`SyntheticAugmenter`.
    strategy : {"match_distribution", "fill_gaps", "boost_rare"}, \
            default="match_distribution"
        How many stand-ins of whom, as in :class:`SyntheticAugmenter`.
    synthetic_ratio : float, default=1.0
        Synthetic rows per real row (``match_distribution``, ``fill_gaps``).
    rare_threshold : int, default=5
        ``boost_rare``: cells with fewer rows than this are boosted.
    boost_to_k : int, default=20
        ``boost_rare``: size every boosted cell reaches (>= ``rare_threshold``).
    quasi_identifiers : list of str, default=None
        Columns defining the cells; default: those of ``age, gender, ethnicity,
        zipcode`` present (``gender`` meaning ``gender_column``).
    age_bin : int, default=5
        Width of the age bands of the cells.
    gender_column : str, default="gender"
        The column holding sex or gender (e.g. ``"sex"`` in UCI Adult).
    random_state : int, RandomState instance or None, default=None
        Seed; the same seed gives the same output.

    Attributes
    ----------
    augmenter_ : SyntheticAugmenter
        The fitted augmenter that drew the synthetic rows of the last ``fit_resample``.
    n_real_ : int
        Rows of the last ``X``.
    n_synthetic_ : int
        Synthetic rows appended by the last ``fit_resample``.
    n_features_in_ : int
        Number of columns of ``X``.
    feature_names_in_ : ndarray of str objects
        Columns of ``X``.

    See Also
    --------
    SyntheticAugmenter : The transformer for SocialData releases.

    Examples
    --------
    >>> import numpy as np
    >>> from personatwin_sklearn.augmentation import SyntheticPersonaSampler
    >>> from personatwin_sklearn.datasets import make_social_population
    >>> people = make_social_population(n_people=100, random_state=0).people
    >>> X = people[["age", "gender", "occupation"]]
    >>> y = (X["age"] > 40).to_numpy()
    >>> X_res, y_res = SyntheticPersonaSampler(random_state=0).fit_resample(X, y)
    >>> X_res.shape, y_res.shape
    ((200, 3), (200,))
    """

    _parameter_constraints: dict = {
        **PLANNING_CONSTRAINTS,
        "gender_column": [str],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        provider="census",
        strategy="match_distribution",
        synthetic_ratio=1.0,
        rare_threshold=5,
        boost_to_k=20,
        quasi_identifiers=None,
        age_bin=5,
        gender_column="gender",
        random_state=None,
    ):
        self.provider = provider
        self.strategy = strategy
        self.synthetic_ratio = synthetic_ratio
        self.rare_threshold = rare_threshold
        self.boost_to_k = boost_to_k
        self.quasi_identifiers = quasi_identifiers
        self.age_bin = age_bin
        self.gender_column = gender_column
        self.random_state = random_state

    def fit(self, X, y):
        """Check the inputs and draw the synthetic rows (as ``fit_resample``).

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)
            People, with numeric ``age`` and ``gender_column``.
        y : array-like of shape (n_samples,)
            Labels.

        Returns
        -------
        self : SyntheticPersonaSampler
            The fitted sampler.
        """
        self.fit_resample(X, y)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_resample(self, X, y):
        """Return ``(X, y)`` with synthetic rows (and their donors' labels) appended.

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)
            People, with numeric ``age`` and ``gender_column``.
        y : array-like of shape (n_samples,)
            Labels.

        Returns
        -------
        X_resampled : DataFrame of shape (n_samples + n_synthetic, n_features)
            The real rows first, unchanged (index reset), then the synthetic ones.
        y_resampled : ndarray or Series of shape (n_samples + n_synthetic,)
            ``y`` followed by each synthetic row's donor label (a Series when ``y`` is).
        """
        if sparse.issparse(X):
            raise TypeError(
                "SyntheticPersonaSampler does not support sparse input: give a DataFrame of "
                f"people with named columns (at least 'age' and {self.gender_column!r})."
            )
        if not isinstance(X, pd.DataFrame):
            raise TypeError(
                "SyntheticPersonaSampler needs a DataFrame of people with named columns "
                f"(at least 'age' and {self.gender_column!r}), got {type(X).__name__}. "
                "Put it before steps that turn the table into an array."
            )
        if len(X) == 0:
            raise InvalidValueError(
                "X has 0 rows: SyntheticPersonaSampler needs at least one person to draw "
                "stand-ins of."
            )
        y_values = np.asarray(y)
        if y_values.ndim != 1 or len(y_values) != len(X):
            raise InvalidValueError(
                f"y has shape {y_values.shape} for {len(X)} rows of X: give one label per row."
            )
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        people = X.reset_index(drop=True)
        rename = {}
        if self.gender_column != "gender":
            if self.gender_column not in people.columns:
                raise MissingColumnError(
                    f"gender_column={self.gender_column!r} is not a column of X (columns: "
                    f"{list(people.columns)[:20]}). Name the sex/gender column."
                )
            if "gender" in people.columns:
                raise InvalidValueError(
                    f"X has both a 'gender' column and gender_column={self.gender_column!r}; "
                    "rename one of them."
                )
            rename = {self.gender_column: "gender"}
        people = people.rename(columns=rename)
        qis = self.quasi_identifiers
        if qis is not None:
            qis = [rename.get(c, c) for c in qis]
        augmenter = SyntheticAugmenter(
            provider=self.provider,
            strategy=self.strategy,
            synthetic_ratio=self.synthetic_ratio,
            rare_threshold=self.rare_threshold,
            boost_to_k=self.boost_to_k,
            quasi_identifiers=qis,
            age_bin=self.age_bin,
            connect=False,
            random_state=self.random_state,
        )
        data, _ = augmenter._as_social_data(people)
        out, donors, _ = augmenter._augment(data, *augmenter._fit(data))
        X_res = augmenter._people_frame(out, people).rename(
            columns={v: k for k, v in rename.items()}
        )
        real_positions = np.flatnonzero(~data.is_synthetic)
        donor_labels = y_values[real_positions[donors]]
        if isinstance(y, pd.Series):
            y_res = pd.concat(
                [y.reset_index(drop=True), pd.Series(donor_labels, dtype=y.dtype)],
                ignore_index=True,
            ).rename(y.name)
        else:
            y_res = np.concatenate([y_values, donor_labels])
        self.augmenter_ = augmenter
        self.n_real_ = len(X)
        self.n_synthetic_ = len(X_res) - len(X)
        return X_res.reset_index(drop=True), y_res

    def __sklearn_tags__(self):
        """What the sampler accepts: a DataFrame with named columns (text and categories
        included), not a plain or sparse array; labels of any type; no NaN in the
        quasi-identifiers.

        Returns
        -------
        tags : PersonaSamplerTags
            scikit-learn's tags, with imbalanced-learn's ``input_tags.dataframe`` and
            ``sampler_tags``.
        """
        tags = super().__sklearn_tags__()
        base = {f.name: getattr(tags.input_tags, f.name) for f in fields(InputTags)}
        base.update(two_d_array=False, sparse=False, string=True, categorical=True)
        values = {f.name: getattr(tags, f.name) for f in fields(Tags) if f.init}
        values["input_tags"] = DataFrameInputTags(**base, dataframe=True)
        values["target_tags"].required = True  # fit_resample(X, y): the labels are copied
        return PersonaSamplerTags(**values, sampler_tags=SamplerTags(sample_indices=False))
