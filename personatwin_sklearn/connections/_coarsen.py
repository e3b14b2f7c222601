"""Coarsen the published patterns before adding connections (edge scope, plausible).

A rare pattern can be hidden by adding holders (synthetic connections) or by publishing
the pattern coarser, so that it merges with others.  Three published attributes can be
coarsened, one level at a time and globally (every person or connection with a value
gets the coarser one; a local recoding would point at the protected people):

``occupation`` (the partner's occupation)
    exact -> ACS C24010 major group written as its members (``"sales|office_admin"``)
    -> suppressed (``"*"``).
``age`` (the partner's age)
    its ``age_bin`` bucket -> a band twice as wide (``"40-49"``); a generalised range
    (``"2-38"``) is widened to whole bands (``"0-39"``).
``connection_type``
    exact -> the family types present written as one group
    (``"CHILD|PARENT|SIBLING|SPOUSE"``); other types keep their name.

Group labels list their members, which is how every consistency check of the package
(the linkage attack, the consistent k) reads a generalised value: a released
``"CHILD|PARENT|SIBLING|SPOUSE"`` is consistent with a known spouse.

:func:`choose_coarsening` picks the cheapest mix: at each point of that lattice it
estimates, from one pattern count, the real people that additions within the budget
cannot bring to k (their pattern needs more new holders than the budget or the
partners with room for one more connection allow), and it takes the single step that
lowers that estimate most, as long as a step lowers it by at least
:data:`MIN_STEP_GAIN` of its value.  The additions then cover the rest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from personatwin_sklearn import census
from personatwin_sklearn.connections._rounds import Snapshot
from personatwin_sklearn.exceptions import InvalidValueError
from personatwin_sklearn.patterns._consistent import AGE_MAX, age_intervals

__all__ = [
    "CARDINALITY",
    "DIMENSIONS",
    "LEVELS",
    "MIN_STEP_GAIN",
    "OCCUPATION_LEVELS",
    "check_coarsen",
    "choose_coarsening",
    "coarsen",
    "coarsen_occupation",
    "describe",
    "group_types",
    "pattern_needs",
    "type_caps",
    "widen_age",
]

#: Most connections of a type one person can have (seen from the person): a spouse,
#: two parents.  Types not listed are bounded by the real data's 99th percentile.
CARDINALITY = {"SPOUSE": 1, "PARTNER": 1, "PARENT": 2, "GUARDIAN": 2, "GRANDPARENT": 4}

#: Coarsening levels of each attribute, least to most information lost.
LEVELS = {
    "occupation": ("exact", "major", "suppressed"),
    "age": ("exact", "wide"),
    "connection_type": ("exact", "family"),
}
#: Attributes in the order a tie is broken (least useful to an analyst first).
DIMENSIONS = ("occupation", "age", "connection_type")
OCCUPATION_LEVELS = LEVELS["occupation"]

#: A coarsening step is taken when it lowers the estimated real people left below k
#: by at least this share: a whole column is not coarsened to save one person.
MIN_STEP_GAIN = 0.1

#: Types merged by the ``connection_type="family"`` level (those present).
FAMILY_GROUP = (
    "SPOUSE", "PARTNER", "SIBLING", "PARENT", "CHILD", "GRANDPARENT", "GRANDCHILD",
    "GUARDIAN", "WARD",
)  # fmt: skip


# ----------------------------------------------------------------------------- recodings
def _major_labels() -> dict[str, str]:
    groups = {}
    for members in census.OCCUPATION_MAJOR_GROUPS.values():
        label = "|".join(members)
        for code in members:
            groups[code] = label
    return groups


def coarsen_occupation(people: pd.DataFrame, level: str) -> pd.DataFrame:
    """``people`` with the occupation published at ``level`` (a copy; ``"exact"``: same).

    ``"major"`` replaces each census occupation code (:data:`census.OCCUPATIONS`) by
    its ACS C24010 major group written as the list of its members
    (``"sales|office_admin"``); other values are kept.  ``"suppressed"`` writes ``"*"``.
    """
    if level == "exact" or "occupation" not in people.columns:
        return people
    out = people.copy()
    values = out["occupation"].astype(object)
    if level == "major":
        mapping = _major_labels()
        codes, uniques = pd.factorize(values)
        mapped = np.asarray([mapping.get(v, v) for v in uniques], dtype=object)
        out["occupation"] = np.r_[mapped, np.array([None], dtype=object)][codes]
    else:
        out["occupation"] = np.where(pd.isna(values), values, "*").astype(object)
    out["occupation"] = out["occupation"].where(out["occupation"].notna(), None)
    return out


def widen_age(people: pd.DataFrame, width: int) -> pd.DataFrame:
    """``people`` with ages published as bands of ``width`` years (a copy).

    Numeric ages become ``"40-49"``; a released range becomes the smallest run of whole
    bands containing it; ``"*"`` and missing values stay as they are.
    """
    if "age" not in people.columns or width <= 1:
        return people
    out = people.copy()
    age = out["age"]
    numeric = pd.api.types.is_numeric_dtype(age) and not pd.api.types.is_bool_dtype(age)
    lo, hi = age_intervals(age, None if not numeric else 1)
    wildcard = (lo <= 0) & (hi >= AGE_MAX)
    missing = age.isna().to_numpy()
    start = (lo // width) * width
    end = np.minimum(((hi // width) + 1) * width - 1, AGE_MAX)
    keys = start * (AGE_MAX + 1) + end
    codes, uniq = pd.factorize(keys)
    labels = np.asarray([f"{k // (AGE_MAX + 1)}-{k % (AGE_MAX + 1)}" for k in uniq], dtype=object)
    text = labels[codes] if len(codes) else np.zeros(0, dtype=object)
    keep = wildcard | missing
    if not numeric:
        text = np.where(keep, age.astype(object).to_numpy(), text)
    else:
        text = np.where(missing, None, np.where(wildcard & ~missing, "*", text))
    out["age"] = pd.Series(text, index=out.index, dtype=object)
    return out


def group_types(connections: pd.DataFrame, inverse) -> tuple[pd.DataFrame, str | None]:
    """Connections with their family types published as one group (a copy).

    Returns ``(connections, label)``; ``label`` is ``None`` (and the table unchanged)
    when fewer than two family types (counting each type's inverse) are present.
    """
    present = [str(t) for t in pd.unique(connections["connection_type"])]
    members = {t for t in present if t in FAMILY_GROUP}
    members |= {inverse(t) for t in members if inverse(t) in FAMILY_GROUP}
    if len(members) < 2:
        return connections, None
    label = "|".join(sorted(members))
    out = connections.copy()
    column = out["connection_type"]
    codes, uniques = pd.factorize(column)
    mapped = [label if str(u) in members else u for u in uniques]
    categories = list(dict.fromkeys(mapped))
    new_codes = np.r_[np.asarray([categories.index(m) for m in mapped], np.int64), -1][codes]
    values = pd.Categorical.from_codes(new_codes, categories=categories)
    if isinstance(column.dtype, pd.CategoricalDtype):
        out["connection_type"] = pd.Series(values, index=out.index)
    else:
        out["connection_type"] = pd.Series(
            np.asarray(values, dtype=object), index=out.index, dtype=column.dtype
        )
    return out, label


def coarsen(data, point: dict, age_bin, cache: dict | None = None):
    """``data`` published at lattice ``point`` (``{attribute: level}``; a new container).

    ``cache`` (a dict kept by the caller) holds each recoded column, so that a walk over
    the lattice recodes every (attribute, level) once.
    """
    cache = {} if cache is None else cache

    def recoded(dim, level):
        if (dim, level) not in cache:
            if dim == "occupation":
                cache[dim, level] = coarsen_occupation(data._people[[dim]], level)[dim]
            elif dim == "age":
                cache[dim, level] = widen_age(data._people[[dim]], 2 * int(age_bin or 5))[dim]
            else:
                edges, label = group_types(data._connections[[dim]], data.domain.inverse_type)
                cache[dim, level] = edges[dim] if label is not None else None
        return cache[dim, level]

    people = {d: recoded(d, lv) for d, lv in point.items() if d != "connection_type"}
    people = {d: v for d, v in people.items() if d in data._people.columns}
    kind = None
    if point.get("connection_type", "exact") != "exact":
        kind = recoded("connection_type", point["connection_type"])
    if not people and kind is None:
        return data
    out = data
    if people:
        out = out.with_people(data._people.assign(**people), validate=False)
    if kind is not None:
        out = out.with_connections(data._connections.assign(connection_type=kind), validate=False)
    return out


def describe(point: dict, age_bin=5) -> str:
    """``point`` in words (``"occupation suppressed, ages in 10-year bands"``)."""
    words = {
        ("occupation", "major"): "occupation as its major group",
        ("occupation", "suppressed"): "occupation suppressed",
        ("age", "wide"): f"ages in {2 * int(age_bin or 5)}-year bands",
        ("connection_type", "family"): "family connection types as one group",
    }
    return ", ".join(words.get((d, lv), f"{d} {lv}") for d, lv in point.items())


def _steps(data, signature) -> list[str]:
    """Attributes that can be coarsened on this data and signature."""
    out = []
    if "occupation" in signature and "occupation" in data._people.columns:
        out.append("occupation")
    if "age" in signature and "age" in data._people.columns:
        out.append("age")
    if data.n_connections and group_types(data._connections, data.domain.inverse_type)[1]:
        out.append("connection_type")
    return out


# ----------------------------------------------------------------------------- estimates
def pattern_needs(snap: Snapshot) -> tuple[np.ndarray, np.ndarray]:
    """Per pattern: consistent k and the holders it still needs (real holders only)."""
    _, pattern_k = snap.consistent_k()
    real = ~snap.data.is_synthetic
    has_real = np.zeros(snap.n_patterns, dtype=bool)
    if snap.n_patterns:
        has_real[snap.index.pattern[real[snap.index.owner]]] = True
    need = np.where(has_real, np.maximum(snap.target - pattern_k, 0), 0)
    return pattern_k, need.astype(np.int64)


def type_caps(snap: Snapshot, counts: dict[int, np.ndarray]) -> np.ndarray:
    """Most connections of each type (seen from a person) one person may end up with."""
    caps = np.zeros(len(snap.types), dtype=np.int64)
    for t, name in enumerate(snap.types):
        held = counts[t][counts[t] > 0] if t in counts else np.zeros(0)
        p99 = int(np.ceil(np.quantile(held, 0.99))) if len(held) else 1
        caps[t] = CARDINALITY.get(str(name).upper(), max(p99, 1))
    return caps


def _estimate(snap: Snapshot, budget: float, link_mode: bool) -> dict:
    """Deficit and the real people additions within ``budget`` are unlikely to protect."""
    pair_k, _ = snap.consistent_k()
    _, need = pattern_needs(snap)
    real = ~snap.data.is_synthetic
    index = snap.index
    codes = np.flatnonzero(need > 0)
    fixable = np.ones(len(codes), dtype=bool)
    if link_mode and len(codes):
        # one synthetic connection per person: a pattern gets at most as many new holders
        # as its partner signature has people with room for one more of the inverse type
        counts = snap.type_counts()
        caps = type_caps(snap, counts)
        t = snap.raw[codes] // snap.span
        inv = snap.inverse[t]
        s = snap.raw[codes] % snap.span
        capacity = np.zeros(len(codes), dtype=np.int64)
        for u in np.unique(inv):
            free = counts.get(int(u), np.zeros(snap.n, np.int64)) < caps[u]
            keys = np.sort(snap.sig[free])
            rows = inv == u
            capacity[rows] = np.searchsorted(keys, s[rows], "right") - np.searchsorted(
                keys, s[rows], "left"
            )
        fixable = need[codes] <= capacity
    # the rounds serve the cheapest patterns first: those the budget reaches are filled
    order = np.argsort(need[codes], kind="stable")
    spent = np.cumsum(np.where(fixable[order], need[codes][order], 0))
    filled = np.zeros(snap.n_patterns, dtype=bool)
    filled[codes[order[fixable[order] & (spent <= budget)]]] = True
    short = (pair_k < snap.target) & real[index.owner] & ~filled[index.pattern]
    below = (pair_k < snap.target) & real[index.owner]
    return {
        "deficit": int(need.sum()),
        "real_people_below_k": int(len(np.unique(index.owner[below]))),
        "estimated_short": int(len(np.unique(index.owner[short]))),
    }


def _estimate_neighborhood(snap: Snapshot) -> dict:
    """Neighbourhood scope: its deficit (what the additions must supply) and who is short."""
    _, size = snap.index.neighborhoods()
    real = ~snap.data.is_synthetic
    below = int(((size < snap.target) & real).sum())
    return {
        "deficit": int(np.maximum(snap.target - size, 0).sum()),
        "real_people_below_k": below,
        "estimated_short": 0,  # the neighbourhood rounds reach k for everyone
    }


# ----------------------------------------------------------------------------- choice
def check_coarsen(coarsen_param) -> None:
    """Raise :class:`InvalidValueError` naming the fix when ``coarsen`` is not valid."""
    if isinstance(coarsen_param, str):
        if coarsen_param not in ("auto", "none", "major", "suppressed"):
            raise InvalidValueError(
                f"coarsen={coarsen_param!r} is not an option; use 'auto', 'none', 'major', "
                "'suppressed' or a dict such as {'occupation': 'major', 'age': 'wide'}."
            )
        return
    _forced(coarsen_param, list(LEVELS))


def _forced(coarsen_param, steps) -> dict | None:
    """The fixed lattice point a non-"auto" ``coarsen`` asks for (``None`` for auto)."""
    if coarsen_param == "auto":
        return None
    if coarsen_param == "none":
        return {}
    if isinstance(coarsen_param, str):  # "major" / "suppressed": the occupation level
        return {"occupation": coarsen_param}
    point = {}
    for key, level in dict(coarsen_param).items():
        if key not in LEVELS:
            raise InvalidValueError(
                f"coarsen has an unknown attribute {key!r}; use any of {list(LEVELS)} "
                "with their levels, e.g. coarsen={'occupation': 'major'}."
            )
        if level not in LEVELS[key]:
            raise InvalidValueError(
                f"coarsen[{key!r}]={level!r} is not a level of {key!r}; use one of "
                f"{list(LEVELS[key])}."
            )
        point[key] = level
    return {k: v for k, v in point.items() if v != "exact" and k in steps}


def choose_coarsening(data, signature, age_bin, target, budget, coarsen_param, *, link_mode,
                      unit_cost=1.0, scope="edge"):  # fmt: skip
    """The lattice point to publish at, walked greedily from the exact patterns.

    Parameters
    ----------
    data : SocialData
        The data to protect.
    signature, age_bin, target : list of str, int, int
        The generator's pattern definition and ``target_k``.
    budget : int
        Synthetic connections the release may still hold.
    coarsen_param : "auto", "none", "major", "suppressed" or dict
        The generator's ``coarsen``.
    link_mode : bool
        Whether the additions are links between existing people (partner capacity
        binds) rather than copies of households (which bring their own partners).
    unit_cost : float, default=1.0
        Connections one new holder costs (a household copy brings several).
    scope : {"edge", "neighborhood"}, default="edge"
        Edge: the walk lowers the estimated real people left short, by at least
        :data:`MIN_STEP_GAIN` per step.  Neighbourhood: its rounds reach k for
        everyone with detectable personas, so the walk takes every step that lowers
        their deficit (the connections and personas they will add).

    Returns
    -------
    point : dict
        ``{attribute: level}`` of the coarsened attributes (empty: nothing coarsened).
    data : SocialData
        ``data`` published at ``point``.
    snapshot : Snapshot
        Its pattern counts.
    trials : DataFrame
        One row per point evaluated: its levels, deficit, real people below k before
        additions, the estimate of those the additions cannot protect, and ``chosen``.
    """
    steps = _steps(data, signature)
    forced = _forced(coarsen_param, steps)
    reach = budget / max(unit_cost, 1.0)
    rows, cache = [], {}

    def evaluate(point):
        trial = coarsen(data, point, age_bin, cache)
        snap = Snapshot(trial, signature, age_bin, target)
        if scope == "edge":
            est = _estimate(snap, reach, link_mode)
        else:
            est = _estimate_neighborhood(snap)
        rows.append({**{d: point.get(d, "exact") for d in DIMENSIONS}, **est, "chosen": False})
        return trial, snap, est

    point = forced if forced is not None else {}
    current, snap, est = evaluate(point)
    goal = "estimated_short" if scope == "edge" else "deficit"
    while forced is None and est[goal] > 0:
        best = None
        for dim in DIMENSIONS:
            if dim not in steps:
                continue
            level = LEVELS[dim].index(point.get(dim, "exact"))
            if level + 1 >= len(LEVELS[dim]):
                continue
            candidate = {**point, dim: LEVELS[dim][level + 1]}
            trial, trial_snap, trial_est = evaluate(candidate)
            key = (trial_est[goal], trial_est["deficit"])
            if best is None or key < best[0]:
                best = (key, candidate, trial, trial_snap, trial_est)
        if best is None:
            break
        gain = est[goal] - best[4][goal]
        # the neighbourhood scope's additions are detectable personas (AUC about 1): every
        # step that spares some is taken; the edge scope's are cheap and plausible
        min_gain = MIN_STEP_GAIN if scope == "edge" else 0.0
        if gain < max(min_gain * est[goal], 1):
            break
        _, point, current, snap, est = best
    for row in rows:
        row["chosen"] = all(row[d] == point.get(d, "exact") for d in DIMENSIONS)
    trials = pd.DataFrame(rows)
    if len(trials):
        trials = trials.loc[:, [*[d for d in DIMENSIONS if d in steps or d == "occupation"],
                                "deficit", "real_people_below_k", "estimated_short",
                                "chosen"]]  # fmt: skip
    return point, current, snap, trials
