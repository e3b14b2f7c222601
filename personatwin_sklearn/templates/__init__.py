"""Differentially private network templates from external graphs.

:class:`NetworkTemplateExtractor` releases a graph's structure (degree histogram,
average degree, clustering, community sizes, connection-type mix) as a
:class:`NetworkTemplate` with differential privacy; :class:`TemplateConnector` wires
connections that follow a template.  Templates computed from networkx's built-in
real graphs ship with the package (:func:`list_templates`, :func:`load_template`).
"""

from personatwin_sklearn.templates._budget import (
    grid_search_epsilon,
    planned_epsilon,
    total_epsilon_spent,
)
from personatwin_sklearn.templates._connector import TemplateConnector
from personatwin_sklearn.templates._extractor import NetworkTemplateExtractor
from personatwin_sklearn.templates._template import (
    NetworkTemplate,
    list_templates,
    load_template,
)

__all__ = [
    "NetworkTemplate",
    "NetworkTemplateExtractor",
    "TemplateConnector",
    "grid_search_epsilon",
    "list_templates",
    "load_template",
    "planned_epsilon",
    "total_epsilon_spent",
]
