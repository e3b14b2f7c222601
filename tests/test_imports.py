"""The import graph is one-way: no cycles, and ``metrics`` imports no estimator package.

Imports are read with :mod:`ast` from every module under ``personatwin_sklearn/``, those
inside functions included (a lazy import is still a dependency), and folded to the
package level: ``personatwin_sklearn.metrics._risk`` counts as ``metrics``.
``from personatwin_sklearn import census`` counts as an import of ``census``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "personatwin_sklearn"
ROOT = "personatwin_sklearn"

#: Packages that hold estimators, or sit on top of them; ``metrics`` measures their output
#: and must never import them.
ESTIMATOR_PACKAGES = {
    "augmentation",
    "connections",
    "generalize",
    "providers",
    "templates",
    "attacks",
    "api",
    "cli",
    "report",
}


def _unit(module: str) -> str:
    """``personatwin_sklearn.metrics._risk`` -> ``metrics``; the root package -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imported_units(path: Path, module: str) -> set:
    """The package-level units a module imports (at any depth of its code)."""
    units = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:  # relative import: resolve against this module's package
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, target] if target else base)
            if target == ROOT:  # from personatwin_sklearn import census
                names = [f"{ROOT}.{alias.name}" for alias in node.names]
            else:
                names = [target]
        else:
            continue
        units.update(_unit(name) for name in names if name.split(".")[0] == ROOT)
    return units


def import_graph() -> dict:
    """``{unit: set of units it imports}`` over the whole package, self-edges removed."""
    graph: dict = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        unit = _unit(module)
        graph.setdefault(unit, set()).update(_imported_units(path, module) - {unit})
    return graph


def _find_cycle(graph: dict):
    """One cycle as a list of units, or None (depth-first search with colours)."""
    state: dict = {}
    stack: list = []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_graph_is_read():
    graph = import_graph()
    assert {"metrics", "generalize", "connections", "api"} <= set(graph)
    assert "metrics" in graph["generalize"]
    assert "census" in graph["connections"]  # from personatwin_sklearn import census


def test_no_import_cycle():
    cycle = _find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_metrics_imports_no_estimator_package():
    wrong = import_graph()["metrics"] & ESTIMATOR_PACKAGES
    assert not wrong, f"metrics imports {sorted(wrong)}: move what it needs below metrics"


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": {"b"}}, ["b", "c", "b"]),
    ],
)
def test_cycle_finder(graph, expected):
    assert _find_cycle(graph) == expected
