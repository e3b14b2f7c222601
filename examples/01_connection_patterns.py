"""
01. Find and close rare connection patterns
===========================================

People can be re-identified by *who they are connected to*. This example builds the
sample population, lists its rarest connection patterns (among them the only person
married to a 40-44 year old teacher), protects them with flagged synthetic
connections, and recounts k.
"""

from personatwin_sklearn import ConnectionPatternAnalyzer, SyntheticConnectionGenerator
from personatwin_sklearn.datasets import SPOUSE_TEACHER_PATTERN, make_social_population
from personatwin_sklearn.metrics import connection_pattern_k, reidentification_risk

data = make_social_population(n_people=1000, random_state=0)
print(data)

# %% Which patterns are shared by fewer than 10 people?
analyzer = ConnectionPatternAnalyzer(k=10).fit(data)
print(f"{len(analyzer.rare_patterns_)} of {len(analyzer.patterns_)} patterns are rare")
teacher = analyzer.rare_patterns_[
    analyzer.rare_patterns_["pattern"].str.startswith(SPOUSE_TEACHER_PATTERN)
]
print(teacher[["pattern", "k", "persons"]].to_string(index=False))

# %% Protect: few, plausible synthetic connections (edge scope, the default method)
# The generator counts patterns as the adversary does (a released range matches every
# age it holds), coarsens the partner's occupation when that is cheaper, copies whole
# households as new holders of a rare pattern, and stays within 25% synthetic
# connections; whoever it cannot bring to k is listed in at_risk_.
generator = SyntheticConnectionGenerator(target_k=10, on_infeasible="ignore", random_state=0)
released = generator.fit_transform(data)
print(f"\ncoarsened: {generator.coarsening_}")
print(generator.report_.to_string())
share = released.n_synthetic_connections / released.n_connections
print(f"synthetic share of the released connections: {share:.1%}")
print(f"real people still below k=10: {generator.at_risk_['person_id'].nunique()}")
print(generator.at_risk_.head().to_string(index=False))

# %% Neighbourhood scope: every 1-hop neighbourhood shared by 10 people (many additions)
neighborhood = SyntheticConnectionGenerator(target_k=10, scope="neighborhood", random_state=0)
protected = neighborhood.fit_transform(data)
k = connection_pattern_k(protected, scope="neighborhood")
added = f"{neighborhood.n_added_:,} connections, {neighborhood.n_added_people_:,} personas"
print(f"\nneighbourhood scope: smallest k of a real person {k:g} ({added} added)")

# %% The risk from the people's own attributes is untouched by this step:
# generalise quasi-identifiers as well (KAnonymizer) before release.
risk = reidentification_risk(released, ["age", "gender", "zipcode"])
print(f"\nquasi-identifier risk (age, gender, zip): average {risk.population_average_risk:.1%}")
