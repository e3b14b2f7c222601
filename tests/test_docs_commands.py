"""Every command the README and docs/ name exists, and its --help runs.

- ``personatwin ...`` lines in code blocks parse with the real argument parser (every option
  they use exists); every ``personatwin SUBCOMMAND`` named anywhere runs ``--help``.
- ``python[3] benchmarks/*.py`` / ``scripts/*.py`` exist and run ``--help``; examples named
  exist (``tests/test_examples.py`` runs them).
- The README quick start is two set-up commands, the first making a virtual environment.
"""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from personatwin_sklearn.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SCRIPT = re.compile(r"python3? ((?:benchmarks|scripts|examples)/[\w./-]+\.py)")
SUBCOMMAND = re.compile(r"\bpersonatwin ([a-z][a-z-]*)\b")
FENCE = re.compile(r"```[a-z]*\n(.*?)```", re.S)


def _text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in DOCS)


def _cli_lines() -> list[str]:
    """``personatwin ...`` command lines of the code blocks, continuations joined."""
    lines = []
    for block in FENCE.findall(_text()):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split("  #")[0].strip()
            for part in line.split("&&"):
                part = part.strip()
                if part.startswith("personatwin "):
                    lines.append(part)
    return lines


def test_docs_name_commands():
    assert len(_cli_lines()) >= 5
    assert len(set(SCRIPT.findall(_text()))) >= 5


@pytest.mark.parametrize("line", sorted(set(_cli_lines())))
def test_personatwin_lines_parse(line, monkeypatch):
    parser = build_parser()
    argv = shlex.split(line)[1:]
    monkeypatch.setattr(parser, "exit", lambda status=0, message=None: pytest.fail(message))
    args = parser.parse_args(argv)
    assert args.command == argv[0]


@pytest.mark.parametrize("command", sorted(set(SUBCOMMAND.findall(_text())) - {"command"}))
def test_personatwin_subcommand_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert f"usage: personatwin {command}" in capsys.readouterr().out


@pytest.mark.parametrize("path", sorted(set(SCRIPT.findall(_text()))))
def test_named_scripts_exist_and_run_help(path):
    file = ROOT / path
    assert file.is_file(), f"{path} is named in the docs but does not exist"
    if path.startswith("examples/"):
        return  # run by tests/test_examples.py
    done = subprocess.run(
        [sys.executable, str(file), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-1000:]
    assert "usage" in done.stdout.lower()


def test_readme_quick_start_is_two_commands_with_a_venv():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1]
    block = FENCE.search(quick).group(1).strip().splitlines()
    assert len(block) == 2
    assert "-m venv" in block[0] and "activate" in block[0]
    assert "pip install" in block[1] and "personatwin demo" in block[1]


def test_no_machine_specific_paths_in_docs():
    text = _text()
    assert "/work/" not in text
    assert "personatwin-sklearn[dask]" not in text  # not on PyPI
