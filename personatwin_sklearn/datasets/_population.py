"""A realistic sample population: census-drawn people in households, with connections."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from personatwin_sklearn import census
from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.domains import get_domain
from personatwin_sklearn.exceptions import PersonaTwinError

__all__ = ["make_social_population", "SPOUSE_TEACHER_PATTERN"]

#: The motivating rare pattern planted in every sample population (USAGE.md):
#: exactly one person is married to a 40-44 year old woman who is a teacher.
SPOUSE_TEACHER_PATTERN = "SPOUSE: gender=F, age=40-44, occupation=education"

# Event rates by domain: (column, base rate for adults, relative rate of men, min age)
_EVENTS = {
    "criminal_justice": [("has_criminal_record", 0.08, 2.5, 16)],
    "healthcare": [("has_chronic_condition", 0.25, 1.0, 0)],
    "education": [("has_disciplinary_record", 0.06, 2.0, 6)],
    "custom": [],
}
# Extra (non-family) connection type by domain, and how people are grouped into it.
_GROUP_LINKS = {
    "criminal_justice": ("CO_DEFENDANT", "has_criminal_record"),
    "healthcare": ("CAREGIVER", None),
    "education": ("CLASSMATE", None),
    "custom": ("FRIEND", None),
}


def _households(n_people: int, rng: np.random.RandomState, state: str) -> pd.DataFrame:
    """Householders, spouses and children drawn from census aggregates (vectorised)."""
    fam = census.family_parameters()
    n_heads = n_people  # every household has >= 1 person: enough, cut below
    age, sex = census.sample_age_sex(n_heads, rng, state=state, min_age=18)
    married = rng.random_sample(n_heads) < census.marital_probability(age, sex)
    # spouse: opposite sex, husband - wife age gap ~ Normal(mean, sd) (CPS table FG3)
    gap = np.rint(rng.normal(fam["spouse_age_gap_mean"], fam["spouse_age_gap_sd"], n_heads))
    spouse_age = np.where(sex == "M", age - gap, age + gap)
    spouse_age = np.clip(spouse_age, 18, 99).astype(int)
    spouse_sex = np.where(sex == "M", "F", "M")
    # children: mother's age at birth ~ Normal (NVSS natality); count by householder age
    mother_age = np.where(sex == "F", age, np.where(married, spouse_age, age))
    expected_children = np.where((mother_age >= 20) & (mother_age <= 55), 1.2, 0.1)
    expected_children = np.where(married, expected_children, expected_children * 0.6)
    n_children = np.minimum(rng.poisson(expected_children), 5)
    head_id = np.arange(n_heads)
    heads = pd.DataFrame({"household": head_id, "role": "head", "age": age, "gender": sex})
    spouses = pd.DataFrame(
        {
            "household": head_id[married],
            "role": "spouse",
            "age": spouse_age[married],
            "gender": spouse_sex[married],
        }
    )
    child_household = np.repeat(head_id, n_children)
    birth_age = rng.normal(
        fam["mother_age_at_birth_mean"], fam["mother_age_at_birth_sd"], len(child_household)
    )
    child_age = mother_age[child_household] - np.rint(birth_age)
    ok = child_age >= 0
    children = pd.DataFrame(
        {
            "household": child_household[ok],
            "role": "child",
            "age": child_age[ok].astype(int),
            "gender": rng.choice(["F", "M"], int(ok.sum())),
        }
    )
    people = pd.concat([heads, spouses, children], ignore_index=True)
    people = people.sort_values(["household", "role"], kind="stable", ignore_index=True)
    # whole households until n_people is reached
    last = np.searchsorted(np.arange(1, len(people) + 1), n_people)
    cut_household = people["household"].iloc[min(last, len(people) - 1)]
    people = people.loc[people["household"] <= cut_household].iloc[:n_people]
    return people.reset_index(drop=True)


def _family_edges(people: pd.DataFrame) -> pd.DataFrame:
    ids = people["person_id"].to_numpy()
    household = people["household"].to_numpy()
    role = people["role"].to_numpy()
    frame = pd.DataFrame({"id": ids, "household": household, "role": role})
    heads = frame[role == "head"].set_index("household")["id"]
    spouses = frame[role == "spouse"].set_index("household")["id"]
    kids = frame[role == "child"]
    parts = []
    couple = spouses.index.intersection(heads.index)
    parts.append(
        pd.DataFrame(
            {
                "person1_id": heads.loc[couple].to_numpy(),
                "person2_id": spouses.loc[couple].to_numpy(),
                "connection_type": "SPOUSE",
            }
        )
    )
    for parents in (heads, spouses):  # two parents at most
        has = kids["household"].isin(parents.index).to_numpy()
        parts.append(
            pd.DataFrame(
                {
                    "person1_id": kids["id"].to_numpy()[has],
                    "person2_id": parents.loc[kids["household"].to_numpy()[has]].to_numpy(),
                    "connection_type": "PARENT",
                }
            )
        )
    # siblings: every pair of children of a household (a self-merge, no Python loop)
    pairs = kids.merge(kids, on="household", suffixes=("_a", "_b"))
    pairs = pairs.loc[pairs["id_a"] < pairs["id_b"]]
    parts.append(
        pd.DataFrame(
            {
                "person1_id": pairs["id_a"].to_numpy(),
                "person2_id": pairs["id_b"].to_numpy(),
                "connection_type": "SIBLING",
            }
        )
    )
    return pd.concat(parts, ignore_index=True)


def _group_edges(people, rng, connection_type, flag_column, group_sizes=(2, 3)) -> pd.DataFrame:
    """Link people in small groups (co-defendants among people with a record, ...)."""
    adults = people["age"].to_numpy() >= 16
    eligible = adults & (people[flag_column].to_numpy(bool) if flag_column else True)
    pool = people["person_id"].to_numpy()[eligible]
    share = 0.5 if flag_column else 0.15
    pool = rng.permutation(pool)[: int(len(pool) * share)]
    sizes = rng.choice(group_sizes, size=max(len(pool) // 2, 1))
    if sizes.sum() < len(pool):  # tiny pools (e.g. 3 people, one pair drawn): one more group
        sizes = np.append(sizes, len(pool) - sizes.sum())
    group = np.repeat(np.arange(len(sizes)), sizes)[: len(pool)]
    members = pd.DataFrame({"id": pool, "group": group})
    pairs = members.merge(members, on="group", suffixes=("_a", "_b"))
    pairs = pairs.loc[pairs["id_a"] < pairs["id_b"]]
    return pd.DataFrame(
        {
            "person1_id": pairs["id_a"].to_numpy(),
            "person2_id": pairs["id_b"].to_numpy(),
            "connection_type": connection_type,
        }
    )


def _plant_spouse_teacher(people: pd.DataFrame, edges: pd.DataFrame, rng) -> None:
    """Make exactly one person married to a 40-44 year old female teacher."""
    spouse = edges["connection_type"].to_numpy() == "SPOUSE"
    ends = np.concatenate(
        [edges["person1_id"].to_numpy()[spouse], edges["person2_id"].to_numpy()[spouse]]
    )
    pos = people.index[people["person_id"].isin(ends)]
    is_match = (
        (people.loc[pos, "gender"] == "F")
        & people.loc[pos, "age"].between(40, 44)
        & (people.loc[pos, "occupation"] == "education")
    )
    # nobody else: teachers of that band become another occupation
    people.loc[is_match[is_match].index, "occupation"] = "office_admin"
    women = pos[
        (people.loc[pos, "gender"] == "F").to_numpy()
        & people.loc[pos, "age"].between(35, 50).to_numpy()
    ]
    chosen = women[rng.randint(len(women))] if len(women) else pos[0]
    people.loc[chosen, ["gender", "age", "occupation"]] = ["F", 42, "education"]
    for column in [c for c in people.columns if c.startswith("has_")]:
        people.loc[chosen, column] = False


def make_social_population(
    n_people: int = 1000,
    random_state=None,
    domain: str = "criminal_justice",
    *,
    state: str = "CO",
    n_zipcodes: int | None = None,
) -> SocialData:
    """A realistic synthetic population with families and connections.

    Demographics are drawn from census aggregates shipped with the package
    (ACS 2018 1-year B01001 sex by age, B12002 marital status, B25010 household
    size; ACS 2014-2018 ZCTA populations and 2010 census race shares by ZCTA; see
    ``personatwin_sklearn/data/census/SOURCES.md``).  People live in households:
    a householder, a spouse with a census-like age gap, and children whose ages
    follow the mother's age at birth.  Connections: ``SPOUSE``, ``PARENT`` (child ->
    parent), ``SIBLING``, and a domain link (``CO_DEFENDANT`` groups among people
    with a criminal record for ``criminal_justice``).  As in real data, some
    connection patterns are rare; in particular exactly one person is married to a
    40-44 year old female teacher (:data:`SPOUSE_TEACHER_PATTERN`).

    Parameters
    ----------
    n_people : int, default=1000
        Number of people (>= 20).
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.
    domain : {"criminal_justice", "healthcare", "education", "custom"}
        Chooses the event flag and the non-family connection type.
    state : str, default="CO"
        State (postal code) whose census figures are used.
    n_zipcodes : int, default=None
        Number of zip codes (ZCTAs of one 3-digit area) people live in; default
        ``max(5, n_people // 50)``.

    Returns
    -------
    data : SocialData
        People columns ``person_id, age, gender, ethnicity, zipcode, occupation``,
        the domain's event flag and ``is_synthetic`` (all False).

    See Also
    --------
    make_toy_population : Twelve people, for examples.

    Examples
    --------
    >>> from personatwin_sklearn.datasets import make_social_population
    >>> data = make_social_population(n_people=200, random_state=0)
    >>> len(data), data.n_connections > 100
    (200, True)
    """
    if not isinstance(n_people, Integral) or n_people < 20:
        raise PersonaTwinError(f"n_people must be an integer >= 20, got {n_people!r}.")
    if domain not in _EVENTS:
        raise PersonaTwinError(f"Unknown domain {domain!r}; use one of {sorted(_EVENTS)}.")
    rng = check_random_state(random_state)
    people = _households(n_people, rng, state)
    n = len(people)
    people.insert(0, "person_id", np.arange(1, n + 1))
    # zip codes: households spread over the ZCTAs of the state's most populous 3-digit area
    zctas = census.zcta_table(state)
    prefix = zctas.assign(p3=zctas["zcta"].str[:3]).groupby("p3")["population"].sum().idxmax()
    area = zctas.loc[zctas["zcta"].str.startswith(prefix)]
    n_zip = n_zipcodes or max(5, n_people // 50)
    area = area.nlargest(min(n_zip, len(area)), "population")
    weights = area["population"].to_numpy(dtype=float)
    household_zip = rng.choice(
        area["zcta"].to_numpy(), size=people["household"].max() + 1, p=weights / weights.sum()
    )
    people["zipcode"] = household_zip[people["household"].to_numpy()]
    # ethnicity: householder's drawn from the zip's race shares, shared by the household
    head_eth = census.sample_ethnicity(
        len(household_zip), rng, state=state, zipcodes=household_zip
    )
    people["ethnicity"] = np.asarray(head_eth)[people["household"].to_numpy()]
    people["occupation"] = census.sample_occupation(
        people["age"].to_numpy(), people["gender"].to_numpy(), rng
    )
    is_man = people["gender"].to_numpy() == "M"
    for column, rate, male_factor, min_age in _EVENTS[domain]:
        p = rate * np.where(is_man, 2 * male_factor / (1 + male_factor), 2 / (1 + male_factor))
        p = np.where(people["age"].to_numpy() >= min_age, p, 0.0)
        people[column] = rng.random_sample(n) < p
    edges = [_family_edges(people)]
    link_type, flag = _GROUP_LINKS[domain]
    edges.append(_group_edges(people, rng, link_type, flag))
    edges = pd.concat(edges, ignore_index=True)
    _plant_spouse_teacher(people, edges, rng)
    people = people[
        ["person_id", "age", "gender", "ethnicity", "zipcode", "occupation"]
        + [c for c in people.columns if c.startswith("has_")]
    ]
    people["age"] = people["age"].astype(np.int64)
    return SocialData(people, edges, domain=get_domain(domain))
