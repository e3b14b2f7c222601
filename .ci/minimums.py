"""Print ``name==minimum`` for each dependency of pyproject.toml (runtime, test and dp extras).

Used by ``.ci/lower_bounds`` as a pip constraints file. Runs on Python 3.10 (no tomllib):
it reads the two lists with a small parser, enough for this file's layout.
"""

import re
from pathlib import Path

text = Path(__file__).resolve().parent.parent.joinpath("pyproject.toml").read_text()


def block(pattern: str) -> str:
    match = re.search(pattern + r"\s*=\s*\[(.*?)\]", text, flags=re.S)
    if match is None:
        raise SystemExit(f"minimums.py: no {pattern!r} list in pyproject.toml")
    return match.group(1)


specs = re.findall(r'"([^"]+)"', block(r"\ndependencies") + block(r"\ntest") + block(r"\ndp"))
seen = set()
for spec in specs:
    name = re.split(r"[<>=!~\[;]", spec, maxsplit=1)[0].strip()
    minimum = re.search(r">=\s*([0-9][^,;\s]*)", spec)
    if minimum is None:
        raise SystemExit(f"minimums.py: {spec!r} declares no minimum (add '>=X.Y')")
    line = f"{name}=={minimum.group(1)}"
    if line not in seen:  # scikit-learn is in the runtime list and in the dp extra
        seen.add(line)
        print(line)
