"""Writing a benchmark's printed table into the docs (shared by the bench scripts)."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def write_block(doc: Path, marker: str, text: str, *, append: bool = False) -> None:
    """Replace the text between ``<!-- MARKER -->`` and ``<!-- /MARKER -->`` in ``doc``.

    Without the markers: exit with a message naming them, or with ``append`` add the
    block at the end of the document.
    """
    start, end = f"<!-- {marker} -->", f"<!-- /{marker} -->"
    content = doc.read_text()
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), flags=re.S)
    block = f"{start}\n{text}\n{end}"
    if pattern.search(content):
        content = pattern.sub(lambda _: block, content)
    elif append:
        content = content.rstrip("\n") + "\n\n" + block + "\n"
    else:
        raise SystemExit(f"{doc} has no {start} ... {end} markers; add them first.")
    doc.write_text(content)
    print(f"(written into {Path(doc).resolve().relative_to(ROOT)})", file=sys.stderr)


def markdown(table) -> str:
    """A DataFrame as a Markdown table (header, rule, one line per row)."""
    lines = ["| " + " | ".join(map(str, table.columns)) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(values) + " |" for values in table.astype(str).to_numpy()]
    return "\n".join(lines)


def print_markdown(table) -> None:
    """Print a DataFrame as a Markdown table (header, rule, one line per row)."""
    print(markdown(table))
