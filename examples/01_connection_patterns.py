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

# %% Protect: add synthetic connections until every pattern has 10 people
for scope in ("edge", "neighborhood"):
    generator = SyntheticConnectionGenerator(target_k=10, scope=scope, random_state=0)
    released = generator.fit_transform(data)
    print(f"\nscope={scope}")
    print(generator.report_.to_string())
    k = connection_pattern_k(released, scope=scope)
    print(f"smallest {scope}-scope k of a real person: {k:g}")

# %% The risk from the people's own attributes is untouched by this step:
# generalise quasi-identifiers as well (KAnonymizer) before release.
risk = reidentification_risk(released, ["age", "gender", "zipcode"])
print(f"\nquasi-identifier risk (age, gender, zip): average {risk.population_average_risk:.1%}")
