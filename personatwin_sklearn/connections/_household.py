"""Plausibility of synthetic links and the attributes of synthetic personas.

Census household statistics (:func:`personatwin_sklearn.census.family_parameters`)
give the age gap expected between the two ends of a family link; a same-zip /
same-state preference keeps family links local.  Everything is vectorised over
candidate pairs.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from personatwin_sklearn import census
from personatwin_sklearn.metrics._risk import DEFAULT_QUASI_IDENTIFIERS

__all__ = ["PeopleView", "link_weights", "age_gap_model", "make_personas", "DERIVED_COLUMNS"]

#: Columns written by ConnectionPatternAnalyzer.transform: describe real people only.
DERIVED_COLUMNS = ("pattern_k", "pattern_risk")

# partner (the row's person2) is the owner's ...
_SPOUSE = {"SPOUSE", "PARTNER"}
_PARENT = {"PARENT", "GUARDIAN"}
_CHILD = {"CHILD", "WARD"}
_GRANDPARENT = {"GRANDPARENT"}
_GRANDCHILD = {"GRANDCHILD"}
_SIBLING = {"SIBLING"}
_SIBLING_GAP_SD = 5.0  # years; an approximation (birth spacing), not a census figure


@lru_cache(maxsize=1)
def _family() -> dict[str, float]:
    fam = dict(census.family_parameters())
    fam.setdefault("father_age_at_birth_mean", fam["mother_age_at_birth_mean"] + 2.3)
    fam.setdefault("father_age_at_birth_sd", fam["mother_age_at_birth_sd"] + 1.5)
    return fam


def _gender_codes(people: pd.DataFrame) -> np.ndarray:
    """1 = male, 2 = female, 0 = unknown (only textual M/F codes are read)."""
    if "gender" not in people.columns:
        return np.zeros(len(people), dtype=np.int8)
    text = people["gender"].astype("string").str.strip().str.upper().str[:1]
    text = text.fillna("").to_numpy(dtype=object)
    out = np.zeros(len(people), dtype=np.int8)
    out[text == "M"] = 1
    out[(text == "F") | (text == "W")] = 2
    return out


class PeopleView:
    """Arrays of the people columns that plausibility uses (NaN / None when absent)."""

    def __init__(self, people: pd.DataFrame):
        n = len(people)
        if "age" in people.columns and pd.api.types.is_numeric_dtype(people["age"]):
            self.age = people["age"].to_numpy(dtype=float, na_value=np.nan)
        else:
            self.age = np.full(n, np.nan)
        self.gender = _gender_codes(people)
        self.zip = None
        self.state = None
        self.zip_code = np.zeros(n, dtype=np.int64)  # integer code per zipcode (for sorting)
        if "zipcode" in people.columns:
            zips = people["zipcode"].astype("string").str.strip().str[:5]
            self.zip = zips.fillna("").to_numpy(dtype=object)
            lookup = census._zcta_state()
            pos = lookup.index.get_indexer(self.zip)
            states = np.asarray(lookup.to_numpy(), dtype=object)
            self.state = np.where(pos >= 0, states[np.maximum(pos, 0)], "")
            self.zip_code = pd.factorize(self.zip)[0].astype(np.int64)


def age_gap_model(kind: str, owner_gender, partner_gender):
    """Mean and sd of ``partner age - owner age`` for a link of ``kind`` (partner is the
    owner's ``kind``), or ``None`` when census statistics say nothing about it."""
    fam = _family()
    owner_gender = np.asarray(owner_gender)
    partner_gender = np.asarray(partner_gender)
    mother = (fam["mother_age_at_birth_mean"], fam["mother_age_at_birth_sd"])
    father = (fam["father_age_at_birth_mean"], fam["father_age_at_birth_sd"])

    def parent_of(gender):  # age gap to a child, by the parent's gender
        mean = np.where(gender == 1, father[0], np.where(gender == 2, mother[0], 0.0))
        mean = np.where(gender == 0, (father[0] + mother[0]) / 2, mean)
        sd = np.where(gender == 1, father[1], mother[1])
        return mean, sd

    if kind in _SPOUSE:
        gap, sd = fam["spouse_age_gap_mean"], fam["spouse_age_gap_sd"]  # husband - wife
        sign = np.where(
            (owner_gender == 1) & (partner_gender == 2),
            -1.0,
            np.where((owner_gender == 2) & (partner_gender == 1), 1.0, 0.0),
        )
        return sign * gap, np.full(sign.shape, sd)
    if kind in _PARENT:
        return parent_of(partner_gender)
    if kind in _CHILD:
        mean, sd = parent_of(owner_gender)
        return -mean, sd
    if kind in _GRANDPARENT | _GRANDCHILD:
        mean_a, sd_a = parent_of(np.zeros_like(owner_gender))
        mean, sd = 2 * mean_a, np.sqrt(2) * sd_a
        return (mean if kind in _GRANDPARENT else -mean), sd
    if kind in _SIBLING:
        zero = np.zeros(np.broadcast(owner_gender, partner_gender).shape)
        return zero, zero + _SIBLING_GAP_SD
    return None


def link_weights(kind: str, view: PeopleView, owner: np.ndarray, partner: np.ndarray, family):
    """Relative plausibility of ``partner`` being ``owner``'s ``kind`` (vectorised).

    Family links (``kind in family``): a Gaussian in the age gap with census mean and
    sd (spouses whose genders are unknown or equal: in the absolute gap), times 4 for
    the same zip code or 2 for the same state.  Other links: 2 for the same zip, 1.5
    for the same state.
    """
    owner = np.asarray(owner, dtype=np.int64)
    partner = np.asarray(partner, dtype=np.int64)
    weight = np.ones(owner.shape)
    model = age_gap_model(kind, view.gender[owner], view.gender[partner])
    if model is not None:
        mean, sd = model
        gap = view.age[partner] - view.age[owner]
        with np.errstate(invalid="ignore"):
            if kind in _SPOUSE:
                signed = mean != 0
                z = np.where(
                    signed,
                    (gap - mean) / sd,
                    (np.abs(gap) - _family()["spouse_age_gap_mean"]) / sd,
                )
            else:
                z = (gap - mean) / sd
            weight = np.exp(-0.5 * np.minimum(z * z, 700.0))
        weight = np.where(np.isnan(weight), 1.0, weight)
    if view.zip is not None:
        is_family = kind in family
        same_zip = (view.zip[owner] == view.zip[partner]) & (view.zip[owner] != "")
        same_state = (view.state[owner] == view.state[partner]) & (view.state[owner] != "")
        weight = weight * np.where(
            same_zip,
            4.0 if is_family else 2.0,
            np.where(same_state, 2.0 if is_family else 1.5, 1.0),
        )
    return weight + 1e-12


def make_personas(
    people: pd.DataFrame,
    id_values,
    person_sig: np.ndarray,
    is_synthetic: np.ndarray,
    template: np.ndarray,
    rng,
    *,
    signature=(),
    age_bin=5,
    anchor=None,
    kind=None,
    view: PeopleView | None = None,
    family=(),
    id_col="person_id",
) -> pd.DataFrame:
    """Rows of new synthetic personas with the signature of the people at ``template``.

    The quasi-identifiers (``age, gender, ethnicity, zipcode``) are copied together
    from one random person with the same signature (real people preferred), so every
    persona falls in a quasi-identifier class that real people have: a class of the
    release with fewer than k rows, or one no real person is in, would give synthetic
    rows away.  Every other column is drawn independently from a random person with
    the same signature, so no real row is copied whole.  For family links to an
    existing ``anchor`` person (the persona being the anchor's ``kind``), the age
    follows the census age gap (kept inside the template's age bucket when age is in
    the signature) and zipcode / ethnicity are the anchor's (a household shares them)
    unless they are signature columns or the persona's class would then be one no real
    person has.  Columns written by ConnectionPatternAnalyzer are left empty.
    """
    template = np.asarray(template, dtype=np.int64)
    m = len(template)
    # groups of equal signature: real people first inside each group
    order = np.lexsort((is_synthetic, person_sig))
    sorted_sig = person_sig[order]
    lo = np.searchsorted(sorted_sig, person_sig[template], side="left")
    hi = np.searchsorted(sorted_sig, person_sig[template], side="right")
    n_real = np.searchsorted(
        sorted_sig * 2 + is_synthetic[order].astype(np.int64), person_sig[template] * 2 + 1
    )
    hi_draw = np.where(n_real > lo, n_real, hi)  # draw among the real ones when there are any
    joint = [c for c in DEFAULT_QUASI_IDENTIFIERS if c in people.columns and c != id_col]
    donor = order[lo + np.floor(rng.random_sample(m) * (hi_draw - lo)).astype(np.int64)]
    out = {}
    for column in people.columns:
        if column == id_col:
            continue
        if column in joint:
            draw = donor
        else:
            draw = order[lo + np.floor(rng.random_sample(m) * (hi_draw - lo)).astype(np.int64)]
        out[column] = people[column].iloc[draw].reset_index(drop=True)
    frame = pd.DataFrame(out, columns=[c for c in people.columns if c != id_col])
    frame.insert(list(people.columns).index(id_col), id_col, id_values)
    for column in DERIVED_COLUMNS:
        if column in frame.columns:
            frame[column] = np.nan
    if anchor is None or view is None:
        return frame
    anchor = np.asarray(anchor, dtype=np.int64)
    kinds = np.asarray(kind, dtype=object)
    linked = anchor >= 0
    for value in pd.unique(kinds[linked]):
        rows = np.flatnonzero(linked & (kinds == value) & np.isin(kinds, list(family)))
        if not len(rows):
            continue
        _household_attributes(
            frame, people, rows, anchor[rows], signature, joint, ~np.asarray(is_synthetic, bool)
        )
        _plausible_age(frame, rows, anchor[rows], str(value), view, signature, age_bin, rng)
    return frame


def _household_attributes(frame, people, rows, anchor, signature, joint, real):
    """The anchor's zipcode / ethnicity where the persona's class then exists among real people."""
    shared = [c for c in ("zipcode", "ethnicity") if c in frame.columns and c not in signature]
    if not shared:
        return
    candidate = frame[joint].iloc[rows].reset_index(drop=True)
    for column in shared:
        candidate[column] = people[column].iloc[anchor].to_numpy()
    if joint:
        real_classes = pd.MultiIndex.from_frame(people.loc[real, joint].astype(str))
        ok = pd.MultiIndex.from_frame(candidate[joint].astype(str)).isin(real_classes)
    else:
        ok = np.ones(len(rows), dtype=bool)
    for column in shared:
        series = frame[column].copy()
        series.iloc[rows[ok]] = candidate[column].to_numpy()[ok]
        frame[column] = series


def _plausible_age(frame, rows, anchor, kind, view, signature, age_bin, rng):
    if "age" not in frame.columns or not pd.api.types.is_numeric_dtype(frame["age"]):
        return
    persona_gender = _gender_codes(frame.iloc[rows])
    model = age_gap_model(kind, view.gender[anchor], persona_gender)
    if model is None:
        return
    mean, sd = model
    if kind in _SPOUSE:  # unknown-sign spouse gap: either way
        unsigned = mean == 0
        mean = np.where(unsigned, rng.choice([-1.0, 1.0], len(rows)) * 2.3, mean)
    wanted = view.age[anchor] + mean + sd * rng.standard_normal(len(rows))
    current = frame["age"].iloc[rows].to_numpy(dtype=float)
    if "age" in signature:
        width = age_bin if age_bin and age_bin > 1 else 1
        lo = np.floor(current / width) * width
        wanted = np.clip(wanted, lo, lo + width - 1)
    wanted = np.where(np.isnan(wanted), current, wanted)
    wanted = np.maximum(np.round(wanted), 0)
    series = frame["age"].copy()
    if pd.api.types.is_integer_dtype(series):
        wanted = wanted.astype(np.int64)
    series.iloc[rows] = wanted
    frame["age"] = series
