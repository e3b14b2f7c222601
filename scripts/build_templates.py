"""Regenerate the network templates shipped in personatwin_sklearn/data/templates/.

Each template is released with differential privacy (NetworkTemplateExtractor,
edge-DP) from one of networkx's built-in real graphs; the JSON states the epsilon,
the seed, the clipping bound and the source.  Run from the repository root:

    python scripts/build_templates.py
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from personatwin_sklearn.templates import NetworkTemplateExtractor

OUT = Path(__file__).resolve().parents[1] / "personatwin_sklearn" / "data" / "templates"
EPSILON = 10.0
SEED = 20240601
# Public graphs, so the degree bound is their (public) maximum degree.  On graphs of
# 15-77 nodes the clustering (ladder mechanism, noise ~ a few units on a sum of n terms)
# needs a large share to say anything; the degrees (cumulative histogram) a bit more.
BUDGET_SPLIT = {"degree_histogram": 0.45, "n_edges": 0.05, "clustering": 0.4, "communities": 0.1}

# name: (graph factory, public degree bound, source description)
SOURCES = {
    "karate_club": (
        nx.karate_club_graph,
        17,
        "Zachary's karate club (Zachary 1977, J. Anthropol. Res. 33:452-473), 34 members, "
        "78 friendships; networkx.karate_club_graph()",
    ),
    "les_miserables": (
        nx.les_miserables_graph,
        36,
        "Les Miserables character co-appearance network (Knuth 1993, The Stanford "
        "GraphBase), 77 characters, 254 links; networkx.les_miserables_graph()",
    ),
    "florentine_families": (
        nx.florentine_families_graph,
        6,
        "Florentine families marriage network (Breiger & Pattison 1986, Social Networks "
        "8:215-256), 15 families, 20 marriages; networkx.florentine_families_graph()",
    ),
    "davis_southern_women": (
        nx.davis_southern_women_graph,
        14,
        "Davis southern women club (Davis, Gardner & Gardner 1941, Deep South), bipartite "
        "18 women x 14 events, 89 attendances; networkx.davis_southern_women_graph()",
    ),
}


def build(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (factory, max_degree, source) in SOURCES.items():
        extractor = NetworkTemplateExtractor(
            epsilon=EPSILON,
            privacy="edge",
            max_degree=max_degree,
            budget_split=BUDGET_SPLIT,
            random_state=SEED,
        ).fit(factory())
        template = extractor.template_
        template.name = name
        template.source = source
        template.seed = SEED
        template.notes = (
            f"edge-DP, epsilon={EPSILON}, degree_method={extractor.degree_method}, split "
            f"{extractor.epsilon_split_}; max_degree={max_degree} chosen from the public "
            f"graph; clustering floor {extractor.clustering_floor_}; regenerate with "
            "scripts/build_templates.py"
        )
        path = out / f"{name}.json"
        template.to_json(path)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in build():
        print(path)
