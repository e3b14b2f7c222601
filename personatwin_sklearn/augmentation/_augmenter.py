"""SyntheticAugmenter: add synthetic personas that cannot be told apart from real people."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from personatwin_sklearn import census
from personatwin_sklearn._base import SocialDataTransformerMixin
from personatwin_sklearn._social_data import AUGMENTATION_CONTEXT, SocialData, event_columns
from personatwin_sklearn.exceptions import InvalidValueError, MissingColumnError
from personatwin_sklearn.metrics._risk import resolve_quasi_identifiers
from personatwin_sklearn.providers import get_provider

__all__ = ["SyntheticAugmenter", "STRATEGIES"]

STRATEGIES = ("match_distribution", "fill_gaps", "boost_rare")

#: Parameter constraints of the persona planning both augmentation steps share.
PLANNING_CONSTRAINTS: dict = {
    "provider": [
        StrOptions({"census", "nemotron"}),
        HasMethods(["sample"]),
        pd.DataFrame,
    ],
    "strategy": [StrOptions(set(STRATEGIES))],
    "synthetic_ratio": [Interval(Real, 0, None, closed="neither")],
    "rare_threshold": [Interval(Integral, 1, None, closed="left")],
    "boost_to_k": [Interval(Integral, 1, None, closed="left")],
    "quasi_identifiers": [list, tuple, None],
    "age_bin": [Interval(Integral, 1, None, closed="left")],
}

_SMOOTHING = 5.0  # pseudo-count pulling small groups' event rates towards the overall rate
_VOCABULARY_SHARE = 0.9  # provider values used for a column only if this share is known


# ----------------------------------------------------------------------------- helpers
def _codes(values: pd.Series) -> np.ndarray:
    return pd.factorize(values, use_na_sentinel=False)[0].astype(np.int64)


def _combine(*codes: np.ndarray) -> np.ndarray:
    """One integer code per distinct tuple of the given code arrays."""
    if len(codes) == 1:
        return pd.factorize(codes[0])[0].astype(np.int64)
    frame = pd.DataFrame({i: c for i, c in enumerate(codes)})
    return frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy(np.int64)


def _numeric_age(people: pd.DataFrame) -> np.ndarray:
    age = people["age"]
    if not pd.api.types.is_numeric_dtype(age) or pd.api.types.is_bool_dtype(age):
        raise InvalidValueError(
            "SyntheticAugmenter needs numeric ages (years), but column 'age' holds "
            f"{age.dtype} values like {age.head(3).tolist()}: put the augmenter before "
            "KAnonymizer in the pipeline."
        )
    return age.to_numpy(dtype=float)


def _members_by_group(group: np.ndarray, n_groups: int):
    """Positions sorted by group, with each group's start offset and size."""
    order = np.argsort(group, kind="stable")
    size = np.bincount(group, minlength=n_groups)
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    return order, start, size


def _random_member(group_of_request, order, start, size, rng) -> np.ndarray:
    """A uniformly random member of each requested group (vectorised)."""
    offset = np.floor(rng.random_sample(len(group_of_request)) * size[group_of_request])
    return order[start[group_of_request] + offset.astype(np.int64)]


def _rank_within(key: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """A random order of ``key`` sorted by key, and each element's rank within its key."""
    order = np.lexsort((rng.random_sample(len(key)), key))
    sorted_key = key[order]
    first = np.r_[True, sorted_key[1:] != sorted_key[:-1]] if len(key) else np.array([], bool)
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(key)), 0))
    return order, np.arange(len(key)) - group_start


def _match_stubs(key1, key2, rng):
    """Pair role-1 with role-2 stubs of equal key at random: indices into each side."""
    o1, r1 = _rank_within(key1, rng)
    o2, r2 = _rank_within(key2, rng)
    shift = np.int64(1) << np.int64(32)
    c1 = key1[o1].astype(np.int64) * shift + r1
    c2 = key2[o2].astype(np.int64) * shift + r2
    _, i1, i2 = np.intersect1d(c1, c2, assume_unique=True, return_indices=True)
    return o1[i1], o2[i2]


def _gap_zip_table(zips: np.ndarray) -> pd.DataFrame:
    """Census ZCTAs in the data's 3-digit areas (or states) that the data lacks."""
    table = census.zcta_table(None)[["zcta", "state", "population"]]
    present = set(pd.unique(zips))
    prefixes = {z[:3] for z in present}
    states = set(table.loc[table["zcta"].isin(present), "state"])
    table = table.assign(prefix=table["zcta"].str[:3])
    gaps = table.loc[~table["zcta"].isin(present)]
    return gaps.loc[gaps["prefix"].isin(prefixes) | gaps["state"].isin(states)]


def _whole_households(data: SocialData, m: int, rng) -> np.ndarray:
    """``m`` distinct real people (positions among the real ones), whole households first.

    Households are the connected components of the real connections; they are taken in
    a random order until ``m`` people are reached (the last one possibly in part), so
    a partial copy keeps families together as a whole copy does.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    real = ~data.is_synthetic
    n_real = int(real.sum())
    to_real = np.full(len(data), -1, dtype=np.int64)
    to_real[np.flatnonzero(real)] = np.arange(n_real)
    a, b = data.edge_positions()
    a, b = to_real[a], to_real[b]
    keep = (a >= 0) & (b >= 0)
    graph = coo_matrix((np.ones(int(keep.sum())), (a[keep], b[keep])), shape=(n_real, n_real))
    _, component = connected_components(graph, directed=False)
    rank = rng.permutation(int(component.max()) + 1)[component]
    order = np.lexsort((rng.random_sample(n_real), rank))
    return order[:m]


class SyntheticAugmenter(SocialDataTransformerMixin, BaseEstimator):
    """Add synthetic personas (with connections) that look like the real people.

    A *transformer* for building a release: ``SocialData`` (or a people DataFrame) in,
    the same with synthetic people appended out.  It adds rows, so it cannot sit in a
    scikit-learn ``Pipeline`` that ends in a model trained on labels ``y``; to augment a
    labelled training set use :class:`SyntheticPersonaSampler` (``fit_resample(X, y)``)
    in an ``imblearn.pipeline.Pipeline`` instead.

    The synthetic people are *stand-ins*: each one copies the quasi-identifier cell
    (sex, ``age_bin``-year age band, ethnicity, zip code, ...) of a real *donor* so
    that the joint distribution of quasi-identifiers is the real one; the provider
    (census, Nemotron-Personas or a DataFrame) draws the exact age within the band and
    the other attributes (occupation, ...) conditionally on sex, age and zip; event
    flags (``has_*``) are drawn at the real rate of the donor's sex x age-band group;
    and connections are wired by matching *stubs*: a real connection ``a -> b`` of
    type ``t`` gives a's stand-ins an outgoing stub and b's stand-ins an incoming stub.
    The ``o``-th stand-in of ``a`` is linked to the ``o``-th stand-in of ``b`` where both
    exist (so a whole copy keeps households, and their triangles, together); stubs left
    are keyed by (``t``, a's cell, b's cell) and paired at random (then by sex x age
    band only).  So synthetic people have the real degree
    distribution, connection types and partner attributes without copying any real
    person's neighbourhood, and they connect only among themselves: real people's
    connection patterns are not changed.

    Strategies:

    * ``"match_distribution"``: ``int(n_real * synthetic_ratio)`` stand-ins, every
      real person donating ``floor(ratio)`` times and random whole households once more.
    * ``"fill_gaps"``: as many stand-ins, moved to census zip codes of the data's
      3-digit areas (or states) that the data does not have; their ethnicity follows
      the new zip's census race shares.
    * ``"boost_rare"``: every quasi-identifier group (age in ``age_bin`` bands) with
      fewer than ``rare_threshold`` people gets stand-ins of its own members until it
      has ``boost_to_k``; ``synthetic_ratio`` is not used.

    Parameters
    ----------
    provider : {"census", "nemotron"}, SyntheticPersonaProvider or DataFrame, \
            default="census"
        Source of the attributes that are not copied from donors; see
        :mod:`personatwin_sklearn.providers`.  A provider's column is used only where at
        least 90% of its values occur in the real column (else the value of a random
        real person of the same sex and age band is used), so foreign vocabularies
        cannot give synthetic people away.
    strategy : {"match_distribution", "fill_gaps", "boost_rare"}, \
            default="match_distribution"
    synthetic_ratio : float, default=2.0
        Synthetic people per real person (``match_distribution``, ``fill_gaps``).
    rare_threshold : int, default=5
        ``boost_rare``: groups with fewer people than this are boosted.
    boost_to_k : int, default=20
        ``boost_rare``: size every boosted group reaches (>= ``rare_threshold``).
    quasi_identifiers : list of str, default=None
        Columns defining the cells; default: those of ``age, gender, ethnicity,
        zipcode`` present.
    age_bin : int, default=5
        Width of the age bands of the cells.
    connect : bool, default=True
        Wire connections among the synthetic people.
    random_state : int, RandomState instance or None, default=None
        Seed; the same seed gives the same output.

    Attributes
    ----------
    quasi_identifiers_ : list of str
    n_real_ : int
        Real people seen in ``fit``.
    n_synthetic_ : int
        Synthetic people the last ``transform`` (or ``fit``) planned.
    seed_ : int
        Seed drawn from ``random_state`` in ``fit``; ``transform`` uses it, so
        ``fit(X).transform(X)`` equals ``fit_transform(X)`` even when ``random_state``
        is None.
    rare_groups_ : DataFrame
        ``boost_rare``: the boosted groups, their size and how many were added.
    n_unmatched_stubs_ : int
        Connection stubs left without a partner when ``fit_transform`` ran.
    n_features_in_ : int
        Number of people columns seen in ``fit``.
    feature_names_in_ : ndarray of str objects
        People columns seen in ``fit``.

    See Also
    --------
    SyntheticPersonaSampler : The same synthetic people for a labelled training set,
        as an imbalanced-learn sampler.

    Examples
    --------
    >>> from personatwin_sklearn import SyntheticAugmenter
    >>> from personatwin_sklearn.datasets import make_social_population
    >>> data = make_social_population(n_people=200, random_state=0)
    >>> out = SyntheticAugmenter(synthetic_ratio=2.0, random_state=0).fit_transform(data)
    >>> len(out), out.n_synthetic
    (600, 400)
    """

    _parameter_constraints: dict = {
        **PLANNING_CONSTRAINTS,
        "connect": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        provider="census",
        strategy="match_distribution",
        synthetic_ratio=2.0,
        rare_threshold=5,
        boost_to_k=20,
        quasi_identifiers=None,
        age_bin=5,
        connect=True,
        random_state=None,
    ):
        self.provider = provider
        self.strategy = strategy
        self.synthetic_ratio = synthetic_ratio
        self.rare_threshold = rare_threshold
        self.boost_to_k = boost_to_k
        self.quasi_identifiers = quasi_identifiers
        self.age_bin = age_bin
        self.connect = connect
        self.random_state = random_state

    # -- input -------------------------------------------------------------------------
    @staticmethod
    def _as_social_data(X) -> tuple[SocialData, bool]:
        if isinstance(X, SocialData):
            return X, True
        if isinstance(X, pd.DataFrame):
            people = X
            if "person_id" not in people.columns:
                people = people.assign(person_id=np.arange(len(people)))
            return SocialData(people), False
        raise TypeError(
            "SyntheticAugmenter takes a SocialData (people and connections) or a people "
            f"DataFrame, got {type(X).__name__}."
        )

    def _check(self, data: SocialData) -> list[str]:
        if self.strategy == "boost_rare" and self.boost_to_k < self.rare_threshold:
            raise InvalidValueError(
                f"boost_to_k={self.boost_to_k} is below rare_threshold="
                f"{self.rare_threshold}: boosted groups would stay rare. Use boost_to_k >= "
                "rare_threshold."
            )
        people = data.people
        for column in ("age", "gender"):
            if column not in people.columns:
                raise MissingColumnError(
                    f"SyntheticAugmenter needs column {column!r} in the people table "
                    "(synthetic people are drawn by sex and age)."
                )
        real = people.loc[~data.is_synthetic]
        if len(real) == 0:
            raise InvalidValueError(
                "SyntheticAugmenter needs at least one real person (is_synthetic False) "
                "to learn from; the people table has none."
            )
        _numeric_age(real)
        qis = resolve_quasi_identifiers(people, self.quasi_identifiers)
        if self.strategy == "fill_gaps" and "zipcode" not in people.columns:
            raise MissingColumnError(
                "strategy='fill_gaps' adds people in zip codes the data lacks, but the "
                "people table has no 'zipcode' column. Use strategy='match_distribution'."
            )
        return qis

    # -- sklearn API -------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the data and plan the augmentation.

        Parameters
        ----------
        X : SocialData or DataFrame of people
            The real people (and their connections) to learn from.
        y : None
            Ignored.

        Returns
        -------
        self : SyntheticAugmenter
            The fitted augmenter.
        """
        data, _ = self._as_social_data(X)
        self._fit(data)
        return self

    def _fit(self, data: SocialData):
        """Check, draw the seed and plan; returns ``(rng, plan)`` for ``_augment``."""
        self.quasi_identifiers_ = self._check(data)
        get_provider(self.provider)  # fail early on a bad provider
        self.n_real_ = int((~data.is_synthetic).sum())
        # one seed per fit: transform repeats fit_transform's draws even when
        # random_state is None (a pipeline's transform must see the data it was fit on)
        self.seed_ = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        # transform draws the same plan again from the same seed, so fit_transform (which
        # goes on from here with the same generator) equals fit().transform
        rng = np.random.RandomState(self.seed_)
        plan = self._plan(data, rng)
        self.n_synthetic_ = int(len(plan[0]))
        if plan[2] is not None:
            self.rare_groups_ = plan[2]
        return rng, plan

    def transform(self, X):
        """Return ``X`` with synthetic people (and their connections) appended.

        Real rows and connections come first, unchanged; everything added has
        ``is_synthetic=True`` (connections also ``strength="WEAK"``,
        ``confidence=0.5``, ``context="synthetic persona (augmentation)"``).

        Parameters
        ----------
        X : SocialData or DataFrame of people
            The data ``fit`` saw (the plan is for it).

        Returns
        -------
        X_augmented : SocialData, or DataFrame when ``X`` is a DataFrame
            ``X`` with the synthetic people (and connections) appended.
        """
        check_is_fitted(self, "quasi_identifiers_")
        data, is_social = self._as_social_data(X)
        self._check(data)
        out, _, _ = self._augment(data, np.random.RandomState(self.seed_))
        if is_social:
            return out
        return self._people_frame(out, X)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """``fit(X).transform(X)``, also recording ``n_unmatched_stubs_``.

        Parameters
        ----------
        X : SocialData or DataFrame of people
            The real people (and their connections).
        y : None
            Must be None: the output has more rows than ``X``, so labels could not
            follow it.  Use :class:`SyntheticPersonaSampler` for labelled data.

        Returns
        -------
        X_augmented : SocialData, or DataFrame when ``X`` is a DataFrame
            ``X`` with the synthetic people (and connections) appended.
        """
        if y is not None:
            raise TypeError(
                "SyntheticAugmenter adds rows, so it cannot be fitted with labels y (in a "
                "scikit-learn Pipeline ending in a model, y would no longer match X). To "
                "augment a labelled training set use SyntheticPersonaSampler, whose "
                "fit_resample(X, y) also returns the labels, in an "
                "imblearn.pipeline.Pipeline."
            )
        data, is_social = self._as_social_data(X)
        out, _, unmatched = self._augment(data, *self._fit(data))
        self.n_unmatched_stubs_ = unmatched
        if is_social:
            return out
        return self._people_frame(out, X)

    @staticmethod
    def _people_frame(out: SocialData, X: pd.DataFrame) -> pd.DataFrame:
        people = out.people
        drop = [c for c in ("person_id", "is_synthetic") if c not in X.columns]
        return people.drop(columns=drop)

    # -- the work ------------------------------------------------------------------------
    def _cells(self, people: pd.DataFrame, qis: list[str]):
        """Cell (all QIs, age banded) and coarse group (sex x age band) codes."""
        band = np.floor(_numeric_age(people) / self.age_bin).astype(np.int64)
        parts = [band if c == "age" else _codes(people[c]) for c in qis]
        if "age" not in qis:
            parts.append(band)
        cell = _combine(*parts)
        coarse = _combine(_codes(people["gender"]), band)
        return cell, coarse, band

    def _plan(self, data: SocialData, rng):
        """Donors (positions among the real people), zip overrides and the boosted groups."""
        people = data.people
        real = people.loc[~data.is_synthetic].reset_index(drop=True)
        n_real = len(real)
        zip_override = None
        if self.strategy in ("match_distribution", "fill_gaps"):
            n_syn = int(n_real * self.synthetic_ratio)
            full, rest = divmod(n_syn, n_real)
            donors = np.concatenate(
                [np.tile(np.arange(n_real), full), _whole_households(data, rest, rng)]
            ).astype(np.int64)
            if self.strategy == "fill_gaps":
                zip_override = self._gap_zips(real, donors, n_real, rng)
            return donors, zip_override, None
        # boost_rare: cells over everyone already in the data, donors are real members
        qis = self.quasi_identifiers_
        cell_all, _, _ = self._cells(people, qis)
        counts = np.bincount(cell_all)
        real_mask = ~data.is_synthetic
        real_cell = cell_all[real_mask]
        need = np.where(counts < self.rare_threshold, self.boost_to_k - counts, 0)
        need[np.bincount(real_cell, minlength=len(counts)) == 0] = 0
        order, start, size = _members_by_group(real_cell, len(counts))
        cells = np.repeat(np.arange(len(counts)), need)
        within = np.arange(len(cells)) - np.repeat(np.cumsum(need) - need, need)
        donors = order[start[cells] + within % np.maximum(size[cells], 1)]
        boosted = np.flatnonzero(need > 0)
        first = order[start[boosted]]
        groups = real.iloc[first][qis].reset_index(drop=True)
        if "age" in qis:
            _, _, band = self._cells(real, qis)
            lo = band[first] * self.age_bin
            groups["age"] = [f"{a}-{a + self.age_bin - 1}" for a in lo]  # display only
        rare = groups.assign(size=counts[boosted], added=need[boosted])
        return donors.astype(np.int64), None, rare

    def _gap_zips(self, real, donors, n_real, rng) -> np.ndarray:
        zips = census._normalise_zipcodes(real["zipcode"])
        gaps = _gap_zip_table(zips)
        if gaps.empty:
            raise InvalidValueError(
                "strategy='fill_gaps' found no census zip code in the data's areas that the "
                "data lacks (zip codes must be US ZCTAs). Use strategy='match_distribution'."
            )
        # one gap zip per (copy, real zip): households of a zip move together
        copy = np.arange(len(donors)) // n_real
        zip_code, zip_index = np.unique(zips, return_inverse=True)
        key = copy * len(zip_code) + zip_index[donors]
        uniq, inverse = np.unique(key, return_inverse=True)
        source = zip_code[uniq % len(zip_code)]
        # choose within the same 3-digit area where it has gaps, else within the state
        gaps = gaps.reset_index(drop=True)
        weight = gaps["population"].to_numpy(float)
        by_prefix = pd.Series(np.arange(len(gaps))).groupby(gaps["prefix"].to_numpy()).agg(list)
        zip_state = census._zcta_state()
        by_state = pd.Series(np.arange(len(gaps))).groupby(gaps["state"].to_numpy()).agg(list)
        chosen = np.empty(len(uniq), dtype=object)
        prefix = np.array([z[:3] for z in source], dtype=object)
        # a loop over distinct areas (a handful), not over people
        for area in np.unique(prefix):
            rows = np.flatnonzero(prefix == area)
            pool = by_prefix.get(area)
            if pool is None:
                st = zip_state.get(source[rows[0]])
                pool = by_state.get(st, list(range(len(gaps))))
            pool = np.asarray(pool)
            p = weight[pool] / weight[pool].sum()
            chosen[rows] = gaps["zcta"].to_numpy()[rng.choice(pool, size=len(rows), p=p)]
        return chosen[inverse]

    def _augment(self, data: SocialData, rng, plan=None):
        """``(release, donors, unmatched stubs)``; ``plan`` as ``_plan(data, rng)`` gives it."""
        qis = self.quasi_identifiers_
        donors, zip_override, _ = plan if plan is not None else self._plan(data, rng)
        if len(donors) == 0:
            return data, donors, 0
        people = data.people
        is_syn = data.is_synthetic
        real = people.loc[~is_syn].reset_index(drop=True)
        cell, coarse, band = self._cells(real, qis)
        new = self._people(real, donors, band, coarse, zip_override, rng, data.id_col)
        new.insert(0, data.id_col, self._new_ids(people[data.id_col], len(new)))
        edges, unmatched = None, 0
        if self.connect and data.n_connections:
            edges, unmatched = self._edges(data, real, donors, cell, coarse, new[data.id_col], rng)
        out = data.add(people=new, connections=edges, context=AUGMENTATION_CONTEXT)
        return out, donors, unmatched

    def _people(self, real, donors, band, coarse, zip_override, rng, id_col) -> pd.DataFrame:
        qis = self.quasi_identifiers_
        m = len(donors)
        conditions = pd.DataFrame(
            {
                "gender": real["gender"].to_numpy(dtype=object)[donors],
                "age_min": band[donors] * self.age_bin,
                "age_max": band[donors] * self.age_bin + self.age_bin - 1,
            }
        )
        valid_gender = conditions["gender"].isin(["M", "F"]).to_numpy()
        if not valid_gender.all():  # other genders: condition on age only, copy the value
            conditions = conditions.drop(columns="gender")
        if "zipcode" in real.columns:
            zips = census._normalise_zipcodes(real["zipcode"])[donors]
            conditions["zipcode"] = zip_override if zip_override is not None else zips
        if "ethnicity" in real.columns and (zip_override is None or "ethnicity" not in qis):
            conditions["ethnicity"] = real["ethnicity"].to_numpy(dtype=object)[donors]
        drawn = get_provider(self.provider).sample(m, rng, distribution=conditions)
        # empirical fallback: a random real person of the donor's sex x age band
        order, start, size = _members_by_group(coarse, int(coarse.max()) + 1)
        peer = _random_member(coarse[donors], order, start, size, rng)
        events = set(event_columns(real))
        group_n = np.bincount(coarse)  # people per sex x age band, for the event rates
        new = {}
        for column in real.columns:  # a loop over columns, not people
            if column in (id_col, "is_synthetic"):
                continue
            if column == "age":
                values = drawn["age"].to_numpy()
                if pd.api.types.is_integer_dtype(real["age"]):
                    values = values.astype(real["age"].dtype)
            elif column == "gender":
                values = real["gender"].to_numpy(dtype=object)[donors]
            elif column == "zipcode":
                values = conditions["zipcode"].to_numpy(dtype=object)
                if not pd.api.types.is_string_dtype(real["zipcode"]) and zip_override is None:
                    values = real["zipcode"].to_numpy()[donors]
            elif column in qis:  # the donor's cell (fill_gaps: ethnicity follows the new zip)
                redraw = column == "ethnicity" and zip_override is not None and column in drawn
                values = np.asarray(drawn[column]) if redraw else real[column].to_numpy()[donors]
            elif column in events:
                flag = real[column].astype(bool).to_numpy()
                group_k = np.bincount(coarse, weights=flag, minlength=len(group_n))
                rate = (group_k + _SMOOTHING * flag.mean()) / (group_n + _SMOOTHING)
                values = rng.random_sample(m) < rate[coarse[donors]]
            elif column in drawn.columns and self._speaks(drawn[column], real[column]):
                values = drawn[column].to_numpy()
            else:
                values = real[column].to_numpy()[peer]
            new[column] = values
        frame = pd.DataFrame(new)
        for column in frame.columns:  # keep the real dtypes (e.g. str columns)
            if frame[column].dtype != real[column].dtype:
                try:
                    frame[column] = frame[column].astype(real[column].dtype)
                except (TypeError, ValueError):
                    pass
        return frame

    @staticmethod
    def _speaks(provided: pd.Series, real: pd.Series) -> bool:
        known = pd.Series(provided).isin(pd.unique(real))
        return bool(len(known)) and float(known.mean()) >= _VOCABULARY_SHARE

    @staticmethod
    def _new_ids(ids: pd.Series, m: int):
        if pd.api.types.is_integer_dtype(ids):
            start = int(ids.max()) + 1 if len(ids) else 1
            return np.arange(start, start + m, dtype=ids.dtype)
        taken = set(ids.astype(str))
        candidates = np.char.add("S", np.arange(m + len(taken) + 1).astype(str))
        fresh = candidates[~np.isin(candidates, list(taken))][:m]
        return fresh.astype(object)

    def _edges(self, data, real, donors, cell, coarse, new_ids, rng) -> pd.DataFrame | None:
        """Wire stand-ins by matching stubs copied from their donors' real connections."""
        a, b = data.edge_positions()
        edges = data.connections
        real_pos = np.flatnonzero(~data.is_synthetic)
        to_real = np.full(len(data), -1, dtype=np.int64)
        to_real[real_pos] = np.arange(len(real_pos))
        a, b = to_real[a], to_real[b]
        keep = (a >= 0) & (b >= 0) & ~edges["is_synthetic"].to_numpy(bool)
        a, b = a[keep], b[keep]
        ctype = _codes(edges["connection_type"].iloc[np.flatnonzero(keep)])
        type_names = edges["connection_type"].to_numpy()[np.flatnonzero(keep)]
        if len(a) == 0:
            return None, 0
        # stand-ins of each real person
        order, start, size = _members_by_group(donors, len(real))

        def stubs(end):
            count = size[end]
            edge = np.repeat(np.arange(len(end)), count)
            within = np.arange(len(edge)) - np.repeat(np.cumsum(count) - count, count)
            return edge, order[start[end[edge]] + within], within

        e1, s1, o1 = stubs(a)  # outgoing stubs: stand-ins of person1 (o: which stand-in)
        e2, s2, o2 = stubs(b)  # incoming stubs: stand-ins of person2
        pairs_a, pairs_b, pair_type = [], [], []
        free1 = np.ones(len(e1), bool)
        free2 = np.ones(len(e2), bool)

        def take(j1, j2):  # record the pairs (no self-links) and use up their stubs
            ok = s1[j1] != s2[j2]
            j1, j2 = j1[ok], j2[ok]
            pairs_a.append(s1[j1])
            pairs_b.append(s2[j2])
            pair_type.append(type_names[e1[j1]])
            free1[j1] = False
            free2[j2] = False

        # first, households as units: the o-th stand-in of a links to the o-th stand-in of b
        # (a whole copy keeps the real families' triangles; partial copies fall through)
        width = np.int64(max(int(o1.max(initial=0)), int(o2.max(initial=0))) + 1)
        _, j1, j2 = np.intersect1d(
            e1 * width + o1, e2 * width + o2, assume_unique=True, return_indices=True
        )
        take(j1, j2)
        fine = _combine(ctype, cell[a], cell[b])
        rough = _combine(ctype, coarse[a], coarse[b])
        for key in (fine, rough):
            i1, i2 = np.flatnonzero(free1), np.flatnonzero(free2)
            m1, m2 = _match_stubs(key[e1[i1]], key[e2[i2]], rng)
            take(i1[m1], i2[m2])
        unmatched = int(free1.sum() + free2.sum())
        new_ids = np.asarray(new_ids)
        out = pd.DataFrame(
            {
                "person1_id": new_ids[np.concatenate(pairs_a)],
                "person2_id": new_ids[np.concatenate(pairs_b)],
                "connection_type": np.concatenate(pair_type),
            }
        )
        lo = np.minimum(out["person1_id"].to_numpy(), out["person2_id"].to_numpy())
        hi = np.maximum(out["person1_id"].to_numpy(), out["person2_id"].to_numpy())
        dup = pd.DataFrame({"lo": lo, "hi": hi, "t": out["connection_type"]}).duplicated()
        return out.loc[~dup.to_numpy()].reset_index(drop=True), unmatched

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.non_deterministic = False
        return tags
