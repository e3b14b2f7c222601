"""No function of the package goes over 80 lines of its own code.

Issue "A release worth publishing" asks that no function on the public path goes over
80 lines; this holds it for every function.  A function's own lines are its code lines:
no docstring, blank or comment-only line, and no line of a function nested in it (that
one is counted on its own).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "personatwin_sklearn"
LIMIT = 80


def own_lines(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> int:
    """Code lines of ``node`` outside its docstring and its nested functions."""
    body = node.body
    has_doc = ast.get_docstring(node) is not None
    start = body[1].lineno if has_doc and len(body) > 1 else body[0].lineno
    nested = set()
    for sub in ast.walk(node):
        if sub is not node and isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([sub.lineno, *(d.lineno for d in sub.decorator_list)])
            nested.update(range(first, sub.end_lineno + 1))
    return sum(
        1
        for i in range(start, node.end_lineno + 1)
        if i not in nested and lines[i - 1].strip() and not lines[i - 1].strip().startswith("#")
    )


def test_own_lines_counts_code_only():
    source = '''def f(x):
    """Doc.

    More doc.
    """
    # a comment

    y = x

    def g():
        return 1

    return y + g()
'''
    node = ast.parse(source).body[0]
    assert own_lines(node, source.splitlines()) == 2


def test_no_function_over_80_lines():
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = own_lines(node, lines)
                if n > LIMIT:
                    long.append(
                        f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}: {n}"
                    )
    assert not long, "functions over 80 lines of their own code:\n" + "\n".join(long)
