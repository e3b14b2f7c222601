"""The ``personatwin`` command line: ``protect``, ``demo`` and ``analyze``.

Every error is one line on stderr (``personatwin: error: ...``) and exit code 2; a
failed ``protect`` leaves no output folder and no partial files behind.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import textwrap
import warnings
from pathlib import Path

__all__ = ["main", "build_parser"]

_EPILOG = """\
examples:
  personatwin protect people.csv --connections edges.csv --privacy-level high --k 10 \\
      --out release
  personatwin demo --out demo_out
  personatwin analyze people.csv --connections edges.csv --k 10

Run "personatwin COMMAND --help" for the options of one command.
Connections read "person2 is person1's <connection_type>" (PARENT, SPOUSE, ...).
Every error is one line on stderr and exit code 2.
"""

_RELEASE_FILES = """\
files written to --out (only what may be published):
  people.csv                        the released people (real ones generalised, plus
                                    synthetic personas): the id, the quasi-identifiers
                                    and the kept columns only, shuffled, fresh ids
  connections.csv                   person1_id, person2_id, connection_type
  risk_metrics.json                 risk before / after, k reached, parameters
  report.html                       self-contained report with plots
files written to --private-out (default OUT.private/, mode 0700) -- KEEP PRIVATE:
  people_synthetic_flags.csv        person_id, original_person_id, is_synthetic
  connections_synthetic_flags.csv   person1_id, person2_id, is_synthetic, strength,
                                    confidence, context

The private files tell real people and connections from synthetic ones and link the
release to your ids: never publish them. Nothing is written if an error occurs.
"""

_PROTECT_DESCRIPTION = """\
Make a shareable release of people and their connections:
  1. (with --augment) add synthetic personas;
  2. generalise the quasi-identifiers (--quasi-identifiers; default age, gender,
     ethnicity, zipcode present) until every combination is shared by at least k
     people, k set by --privacy-level (low 3, medium 5, high 10), then raised step by
     step (up to 100) while the quasi-identifier risk of the real people is above
     --target-risk;
  3. add flagged synthetic connections until every connection pattern ("married to a
     40-44 year old female teacher"; --signature, --age-bin) is shared by at least
     --k people (--scope edge), or every whole neighbourhood (--scope neighborhood).
The first line printed is the headline risk: per real person, the worst
re-identification chance of the adversaries who know the quasi-identifiers, a
connection pattern, the whole neighbourhood, or both; average and maximum, before
and after.

Input: people as CSV, TSV (--sep), Parquet or JSONL; connections as a table, a
Pajek .net or a SNAP edge list. A Facebook100 graph, for example:
  personatwin protect Caltech36.nodelist --connections Caltech36.net \\
      --rename node_id=person_id --categorical gender dorm year \\
      --quasi-identifiers gender year dorm --signature gender year --out release
"""


class CLIError(Exception):
    """An error to show as one line, with exit code 2."""


class _Parser(argparse.ArgumentParser):
    """Argument errors as one line on stderr (no usage block), exit code 2."""

    def error(self, message):  # noqa: D102 - argparse API
        self.exit(2, f"personatwin: error: {message} (see '{self.prog} --help')\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def _target_risk(text: str) -> float | str | None:
    if text.lower() == "none":
        return None
    if text.lower() == "auto":
        return "auto"
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(
            f"expected a share in (0, 1] such as 0.05, 'auto' or 'none', got {text!r}"
        )
    return value


def _fmt_pct(value: float) -> str:
    return f"{value:.1%}"


def _risk_lines(title: str, risk) -> list[str]:
    lines = [
        f"{title}",
        f"  people (real)                 {risk.n_records}",
        f"  k-anonymity (smallest class)  {risk.k}",
        f"  population average risk       {_fmt_pct(risk.population_average_risk)}",
        f"  maximum risk                  {_fmt_pct(risk.max_risk)}",
        f"  {f'records at risk (> {risk.threshold:.0%})':<30s}{_fmt_pct(risk.records_at_risk)}",
    ]
    if risk.qi_neighborhood_average_risk is not None:
        # not "combined": that word names the headline's linkage adversary only
        lines += [
            "  quasi-identifier x neighbourhood class risk, average "
            f"{_fmt_pct(risk.qi_neighborhood_average_risk)}",
            f"  smallest connection-pattern k {risk.min_connection_pattern_k:g}",
        ]
    return lines


def _rare_table(analyzer, top: int) -> str:
    rare = analyzer.rare_patterns_.head(top)
    if rare.empty:
        return f"  no pattern is shared by fewer than {analyzer.k} people"
    width = 88
    rows = []
    for _, row in rare.iterrows():  # a display loop over at most `top` rows
        people = ", ".join(map(str, row["persons"][:4]))
        more = "" if len(row["persons"]) <= 4 else ", ..."
        pattern = textwrap.shorten(str(row["pattern"]), width=width, placeholder="...")
        rows.append(f"  k={int(row['k']):<3d} {pattern:<{width}s} people: {people}{more}")
    return "\n".join(rows)


def _analyze(data, k: int, top: int, quasi_identifiers=None, signature=None, age_bin=5):
    from personatwin_sklearn.metrics import reidentification_risk
    from personatwin_sklearn.patterns import ConnectionPatternAnalyzer

    k = min(k, len(data))
    analyzer = ConnectionPatternAnalyzer(k=k, signature=signature, age_bin=age_bin).fit(data)
    # the same patterns as the analyzer's (--signature, --age-bin), so the smallest
    # connection-pattern k printed is the smallest k of the patterns listed
    risk = reidentification_risk(data, quasi_identifiers, signature=signature, age_bin=age_bin)
    return analyzer, risk


def _print_analysis(data, analyzer, risk, top: int, out=None) -> None:
    out = out or sys.stdout
    print(f"{data}", file=out)
    print(
        f"\nConnection patterns: {len(analyzer.patterns_)} distinct, "
        f"{len(analyzer.rare_patterns_)} shared by fewer than k={analyzer.k} people "
        f"({analyzer.n_people_at_risk_} people have one). Rarest:",
        file=out,
    )
    print(_rare_table(analyzer, top), file=out)
    print("", file=out)
    print("\n".join(_risk_lines("Re-identification risk (prosecutor model):", risk)), file=out)


def _spotlight_people(analyzer) -> list:
    """The people married to a 40-44 year old female teacher (the user guide's case)."""
    from personatwin_sklearn.datasets import SPOUSE_TEACHER_PATTERN

    if analyzer.scope != "edge":
        return []
    rare = analyzer.rare_patterns_
    hit = rare.loc[rare["pattern"].str.startswith(SPOUSE_TEACHER_PATTERN)]
    return [] if hit.empty else list(hit.iloc[0]["persons"])


def _print_spotlight(analyzer, out=None) -> None:
    """Show the motivating case of the user guide: the only person married to a
    40-44 year old teacher."""
    out = out or sys.stdout
    from personatwin_sklearn.datasets import SPOUSE_TEACHER_PATTERN

    table = analyzer.patterns_
    hit = table.loc[table["pattern"].str.startswith(SPOUSE_TEACHER_PATTERN)]
    if analyzer.scope != "edge" or hit.empty:
        return
    row = hit.iloc[0]
    persons = analyzer.rare_patterns_.set_index("pattern")["persons"].get(row["pattern"], [])
    print(
        f"\nThe motivating case: {int(row['k'])} person(s) {list(persons)} married to a "
        f"40-44 year old female teacher:\n  {row['pattern']}",
        file=out,
    )


def _print_spotlight_after(release, persons, out=None, target=None) -> None:
    """The spotlight people's smallest connection-pattern k in the release, counted as
    the linkage adversary counts it (a released range matches every age it holds)."""
    if not persons:
        return
    import numpy as np

    from personatwin_sklearn.patterns import person_consistent_k

    out = out or sys.stdout
    k = person_consistent_k(release)
    mask = release.ids.isin(persons).to_numpy()
    values = k[mask]
    values = values[~np.isnan(values)]
    if len(values):
        low = values.min()
        verdict = (
            ""
            if target is None or low >= target
            else (f" - below k={target}: listed as at risk in the summary")
        )
        print(
            f"\nAfter protection, each of {list(persons)} shares every connection pattern "
            f"with at least {low:g} people (smallest pattern k, consistent match){verdict}.",
            file=out,
        )


def _write_outputs(out_dir, data, analyzer, risk, *, overwrite=False, inputs=()) -> list[Path]:
    """The analysis files, written like a release (checked first, staged, renamed)."""
    from personatwin_sklearn._release import release_destination, write_atomically

    out, _ = release_destination(out_dir, overwrite=overwrite, inputs=inputs, private=False)
    files = {
        "people.csv": lambda path: data.people.to_csv(path, index=False),
        "connections.csv": lambda path: data.connections.to_csv(path, index=False),
        "patterns.csv": lambda path: analyzer.patterns_.to_csv(path, index=False),
        "risk.json": lambda path: path.write_text(
            json.dumps(risk.to_dict(), indent=2, default=float)
        ),
    }
    return write_atomically(out, None, files, {}, overwrite=overwrite)


def _rename_map(pairs) -> dict | None:
    """``["sex=gender", ...]`` -> ``{"sex": "gender", ...}``; one-line error otherwise."""
    if not pairs:
        return None
    mapping = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise CLIError(
                f"--rename takes YOUR_COLUMN=OUR_COLUMN (e.g. sex=gender), got {pair!r}."
            )
        mapping[old.strip()] = new.strip()
    return mapping


#: Connection files read as graphs, by suffix (``--connections-format auto``).
_GRAPH_SUFFIXES = {
    "pajek": (".net", ".paj", ".net.gz", ".paj.gz"),
    "snap": (".txt", ".edges", ".el", ".txt.gz", ".edges.gz", ".el.gz"),
}
_ID = "person_id"


def _columns(values) -> list[str] | None:
    """``["a,b", "c"]`` -> ``["a", "b", "c"]`` (options take spaces or commas)."""
    if values is None:
        return None
    return [c.strip() for value in values for c in str(value).split(",") if c.strip()]


def _connections_format(path: Path, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    name = path.name.lower()
    for kind, suffixes in _GRAPH_SUFFIXES.items():
        if name.endswith(suffixes):
            return kind
    return "table"


def _read_connections(args, sep):
    import pandas as pd

    from personatwin_sklearn.io import read_pajek, read_snap_edgelist, read_table

    path = Path(args.connections)
    kind = _connections_format(path, getattr(args, "connections_format", "auto"))
    if kind == "table":
        inverse = {
            new: old for old, new in (_rename_map(getattr(args, "rename", None)) or {}).items()
        }
        text = [inverse.get(c, c) for c in ("person1_id", "person2_id")]
        return read_table(path, what="connections", sep=sep, text_columns=text)
    if not path.exists():
        raise CLIError(f"the connections file {str(path)!r} does not exist.")
    reader = read_pajek if kind == "pajek" else read_snap_edgelist
    edges = reader(path).connections
    return pd.DataFrame(edges[["person1_id", "person2_id", "connection_type"]])


def _same_id_type(people, edges):
    """Ids as text on both sides when one file has numbers and the other text."""
    import pandas as pd

    number = pd.api.types.is_numeric_dtype
    kinds = {number(people[_ID])} | {number(edges[c]) for c in ("person1_id", "person2_id")}
    if len(kinds) > 1:
        people = people.assign(**{_ID: people[_ID].astype(str)})
        edges = edges.assign(person1_id=edges["person1_id"].astype(str))
        edges = edges.assign(person2_id=edges["person2_id"].astype(str))
    return people, edges


def _read_inputs(args):
    """People and connections frames: read (CSV/TSV/Parquet/JSONL, Pajek, SNAP), renamed,
    an id column generated where there is none and no connections, declared categorical
    columns as text."""
    from personatwin_sklearn.io import TEXT_COLUMNS, read_table

    sep = getattr(args, "sep", None)
    rename = _rename_map(getattr(args, "rename", None)) or {}
    inverse = {new: old for old, new in rename.items()}
    # the same text columns as load_data reads from a path: the CLI and the API read
    # "1.0" and " 1 " alike (ids and zip codes stay text)
    text = [inverse.get(c, c) for c in (_ID, *TEXT_COLUMNS)]
    people = read_table(args.people, what="people", sep=sep, text_columns=text)
    if len(people.columns) == 1 and any(ch in str(people.columns[0]) for ch in ";|\t"):
        raise CLIError(
            f"missing required column(s): the people file has one column "
            f"{str(people.columns[0])[:60]!r}; is it separated by another character? "
            "Give it with --sep (e.g. --sep ';')."
        )
    edges = _read_connections(args, sep) if args.connections else None
    unknown = [
        old
        for old in rename
        if old not in people.columns and (edges is None or old not in edges.columns)
    ]
    if unknown:
        raise CLIError(
            f"--rename names column(s) {unknown} that neither file has; people columns: "
            f"{list(people.columns)[:20]}"
            + ("" if edges is None else f", connections columns: {list(edges.columns)[:10]}")
        )
    if rename:
        people = people.rename(columns=rename)
        edges = None if edges is None else edges.rename(columns=rename)
    if _ID not in people.columns:
        if edges is not None:
            raise CLIError(
                f"the people file has no {_ID!r} column, which the connections refer to; "
                f"name yours with --rename YOUR_ID={_ID} (columns: {list(people.columns)[:20]})."
            )
        people = people.copy()
        people.insert(0, _ID, range(1, len(people) + 1))
        print(
            f"personatwin: note: the people file has no {_ID!r} column; generated ids "
            f"1..{len(people)} (use --rename YOUR_ID={_ID} to keep yours).",
            file=sys.stderr,
        )
    categorical = _columns(getattr(args, "categorical", None)) or []
    missing = [c for c in categorical if c not in people.columns]
    if missing:
        raise CLIError(
            f"--categorical names column(s) {missing} that the people file does not have "
            f"(columns: {list(people.columns)[:20]})."
        )
    if categorical:
        people = people.assign(**{c: people[c].astype("string") for c in categorical})
    if edges is not None:
        from personatwin_sklearn.io import check_connection_columns

        check_connection_columns(edges, args.connections)
    from personatwin_sklearn.io import _normalise_ids

    # ids become integers exactly when load_data(path) would make them so
    people, edges = _normalise_ids(people, edges, _ID, from_files=(True, edges is not None))
    if edges is not None:
        people, edges = _same_id_type(people, edges)
    return people, edges


def _required_columns(args) -> tuple[str, ...]:
    """``age`` / ``gender`` are needed only where named as quasi-identifier or signature."""
    named = set(_columns(getattr(args, "quasi_identifiers", None)) or [])
    named |= set(_columns(getattr(args, "signature", None)) or [])
    return tuple(c for c in ("age", "gender") if c in named)


def _load(args):
    from personatwin_sklearn.io import load_data

    people, edges = _read_inputs(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_data(
            people,
            edges,
            domain=args.domain,
            required_columns=_required_columns(args),
            age_range=_age_range(args),
            strict=getattr(args, "strict", False),
        )
    for warning in caught:  # one line each, as the protection's warnings
        print(f"personatwin: warning: {' '.join(str(warning.message).split())}", file=sys.stderr)
    return data


def _age_range(args):
    age_range = getattr(args, "age_range", None)
    return (0, 120) if age_range is None else tuple(age_range)


def _check_release_dir(args, inputs=()):
    """Refuse a bad --out before any work (non-empty, holding an input, ...)."""
    from personatwin_sklearn._release import release_destination

    return release_destination(args.out, args.private_out, overwrite=args.overwrite, inputs=inputs)


def _secret_key(args):
    path = getattr(args, "pseudonym_key_file", None)
    if path is None:
        return None
    if not Path(path).is_file():
        raise CLIError(f"--pseudonym-key-file {path!r} does not exist (or is not a file).")
    key = Path(path).read_bytes().strip()
    if len(key) < 16:
        raise CLIError(
            f"--pseudonym-key-file {path!r} holds {len(key)} bytes; a key needs at least 16 "
            "(e.g. python -c 'import secrets; print(secrets.token_hex(32))' > key.txt)."
        )
    return key


def _save(result, data, args, out_dir, inputs=()):
    return result.save(
        out_dir,
        original=data,
        keep_ids=args.keep_ids,
        private_dir=args.private_out,
        overwrite=args.overwrite,
        secret_key=_secret_key(args),
        inputs=inputs,
    )


def _show_progress(args) -> bool:
    return not args.quiet and sys.stderr.isatty()


def _protect(data, args, *, domain):
    """Run create_safe_personas with the command's options; warnings go to stderr."""
    from personatwin_sklearn.api import create_safe_personas

    augment = args.augment is not None
    if augment:
        import importlib.util

        if importlib.util.find_spec("personatwin_sklearn.augmentation") is None:
            raise CLIError(
                "--augment needs personatwin_sklearn.augmentation, which this installation "
                "does not have; upgrade personatwin_sklearn or leave out --augment."
            )
    n_real = int((~data.is_synthetic).sum())
    if args.k is not None and args.k > n_real and not augment:
        raise CLIError(
            f"--k {args.k} is larger than the number of people ({n_real}): no connection "
            f"pattern can be shared by {args.k} people. Use --k {n_real} or less, or add "
            "synthetic personas with --augment census."
        )
    if args.protection == "local":
        chosen = [f"--{o}" for o in ("scope", "coarsen") if getattr(args, o, None) not in
                  (None, "edge", [], ["auto"])]  # fmt: skip
        if chosen:
            raise CLIError(
                f"{' and '.join(chosen)} choose what the global protection does (synthetic "
                "connections, a global coarsening); add --protection global, or leave "
                f"{' and '.join(chosen)} out."
            )
    _check_network_options(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        template = _network_template(args)
        result = create_safe_personas(
            data,
            privacy_level=args.privacy_level,
            domain=domain,
            target_risk=args.target_risk,
            protection=args.protection,
            augment_with_synthetic=augment,
            synthetic_source=_provider(args.augment) if augment else "census",
            synthetic_ratio=args.ratio if args.ratio is not None else 2.0,
            synthetic_strategy=args.strategy or "match_distribution",
            connection_pattern_k=args.k,
            random_state=args.seed,
            quasi_identifiers=_columns(getattr(args, "quasi_identifiers", None)),
            connection_scope=args.scope,
            pattern_signature=_columns(args.signature),
            age_bin=args.age_bin,
            keep=_columns(getattr(args, "keep_column", None)),
            drop=_columns(getattr(args, "drop_column", None)),
            allow_identifiers=_columns(getattr(args, "allow_identifier", None)),
            age_range=_age_range(args),
            progress=_show_progress(args),
            connection_coarsen=_coarsen(getattr(args, "coarsen", None)),
            use_external_network=template is not None,
            external_network=template,
        )
    for warning in caught:
        message = _as_flags(" ".join(str(warning.message).split()))
        print(f"personatwin: warning: {message}", file=sys.stderr)
    return result


def _print_release(result, written, out_dir) -> None:
    out = Path(os.path.abspath(out_dir))  # "../x" as the release writer names it
    public = [p for p in written if p.parent == out]
    private = [p for p in written if p.parent != out]
    print("\nRelease:")
    print(textwrap.indent(result.summary(), "  "))
    print(f"\nwrote {len(public)} files to {out_dir}/: {', '.join(p.name for p in public)}")
    if private:
        print(
            f"wrote {len(private)} private files to {private[0].parent}/: "
            f"{', '.join(p.name for p in private)}"
        )
    print(
        f"Publish the files in {out_dir}/ only; keep the *_synthetic_flags.csv files "
        "private (they tell real from synthetic and link the release to your ids)."
    )


def _shipped_templates() -> list[str]:
    from personatwin_sklearn.templates import list_templates

    return list_templates()


def _check_network_options(args) -> None:
    """--external-network / --template / --epsilon: refused before any work when misused."""
    external = getattr(args, "external_network", None)
    template = getattr(args, "template", None)
    epsilon = getattr(args, "epsilon", None)
    if epsilon is not None and external is None:
        raise CLIError(
            "--epsilon is the budget of the template extracted from --external-network FILE; "
            "give --external-network, or leave out --epsilon (a shipped --template spends none)."
        )
    if external is None and template is None:
        return
    flag = "--external-network" if external is not None else "--template"
    if args.augment is None:
        raise CLIError(
            f"{flag} wires the synthetic personas, so it needs them: add --augment census "
            "(or another --augment SOURCE)."
        )
    if template is not None and template not in _shipped_templates():
        raise CLIError(
            f"--template {template!r} is not a shipped template; choose one of "
            f"{', '.join(_shipped_templates())}, or give a graph file with --external-network."
        )
    if external is not None:
        if not Path(external).is_file():
            raise CLIError(f"--external-network {external!r} does not exist (or is not a file).")
        from personatwin_sklearn._base import require_diffprivlib

        try:
            require_diffprivlib("--external-network")
        except ImportError as error:
            raise CLIError(str(error)) from None


def _network_template(args):
    """The template for create_safe_personas: a shipped name, or one extracted here with
    --epsilon (default 1.0) from --external-network; None without either option."""
    if getattr(args, "template", None) is not None:
        return args.template
    external = getattr(args, "external_network", None)
    if external is None:
        return None
    from personatwin_sklearn.templates import NetworkTemplateExtractor

    epsilon = 1.0 if args.epsilon is None else args.epsilon
    extractor = NetworkTemplateExtractor(epsilon=epsilon, random_state=args.seed)
    return extractor.fit(external).template_


#: Python options of create_safe_personas named in warnings -> the CLI flag that sets them.
_FLAGS = {
    "augment_with_synthetic=True": "--augment census",
    "target_risk": "--target-risk",
    "connection_pattern_k": "--k",
    "privacy_level": "--privacy-level",
    "synthetic_ratio": "--ratio",
    "synthetic_strategy": "--strategy",
    "synthetic_source": "--augment",
    "connection_scope": "--scope",
    "pattern_signature": "--signature",
    "age_bin": "--age-bin",
    "quasi_identifiers": "--quasi-identifiers",
    "connection_coarsen": "--coarsen",
    "random_state": "--seed",
    "allow_identifiers": "--allow-identifier",
    "external_network": "--external-network",
    "keep=": "--keep-column ",
    "drop=": "--drop-column ",
}
_FLAG_PATTERN = re.compile(
    "|".join(
        rf"\b{re.escape(name)}" + ("" if name.endswith(("=", "True")) else r"\b(=)?")
        for name in sorted(_FLAGS, key=len, reverse=True)
    )
)


def _as_flags(message: str) -> str:
    """A warning of the Python API in the CLI's words: ``target_risk=5%`` ->
    ``--target-risk 5%``, ``augment_with_synthetic=True`` -> ``--augment census``."""

    def flag(match):
        text = match.group(0)
        name = text[:-1] if text.endswith("=") and text[:-1] in _FLAGS else text
        out = _FLAGS[name]
        return out + " " if text.endswith("=") and not out.endswith(" ") else out

    return _FLAG_PATTERN.sub(flag, message)


def _provider(source: str):
    """``census``, ``nemotron`` (``$PERSONATWIN_NEMOTRON_PATH``) or a Nemotron file path."""
    if source in ("census", "nemotron"):
        return source
    path = Path(source)
    if not path.is_file():
        raise CLIError(
            f"--augment {source!r} is neither 'census', 'nemotron' nor an existing "
            "Nemotron-Personas file (Parquet/CSV/JSONL)."
        )
    from personatwin_sklearn.providers import NemotronProvider

    return NemotronProvider(path)


def cmd_protect(args) -> int:
    if args.augment is None and (args.ratio is not None or args.strategy is not None):
        raise CLIError("--ratio and --strategy only apply with --augment SOURCE.")
    if args.augment is not None:
        _provider(args.augment)  # fail before reading anything
    _check_network_options(args)
    inputs = [args.people, args.connections]
    if args.augment not in (None, "census", "nemotron"):
        inputs.append(args.augment)
    if args.external_network is not None:
        inputs.append(args.external_network)
    _check_release_dir(args, inputs)
    _secret_key(args)
    data = _load(args)
    result = _protect(data, args, domain=args.domain)
    written = _save(result, data, args, args.out, inputs)
    _restore_names(written, _rename_map(args.rename))
    _print_release(result, written, args.out)
    return 0


def _inputs(args) -> list:
    """The input files of a command, which no output folder may hold."""
    return [getattr(args, "people", None), getattr(args, "connections", None)]


def _restore_names(written, rename) -> None:
    """--rename maps your columns to ours on input only: the released tables keep your
    column names (``--rename sex=gender``: people.csv has ``sex``). Only the header line
    of people.csv and connections.csv is rewritten (same folder, then replaced)."""
    if not rename:
        return
    import csv
    import io
    import os
    import shutil

    inverse = {new: old for old, new in rename.items()}
    for path in written:
        if path.name not in ("people.csv", "connections.csv"):
            continue
        with open(path, newline="", encoding="utf-8") as source:
            header = next(csv.reader([source.readline()]), [])
            renamed = [inverse.get(name, name) for name in header]
            if renamed == header:
                continue
            line = io.StringIO()
            csv.writer(line, lineterminator="\n").writerow(renamed)
            staged = path.with_name(f".{path.name}.renaming")
            with open(staged, "w", newline="", encoding="utf-8") as target:
                target.write(line.getvalue())
                shutil.copyfileobj(source, target)
        os.replace(staged, path)


def cmd_analyze(args) -> int:
    if args.out is not None:  # refused before any work
        from personatwin_sklearn._release import release_destination

        release_destination(
            args.out, overwrite=args.overwrite, inputs=_inputs(args), private=False
        )
    data = _load(args)
    analyzer, risk = _analyze(
        data,
        args.k,
        args.top,
        _columns(args.quasi_identifiers),
        _columns(args.signature),
        args.age_bin,
    )
    _print_analysis(data, analyzer, risk, args.top)
    if args.out is not None:
        written = _write_outputs(
            args.out, data, analyzer, risk, overwrite=args.overwrite, inputs=_inputs(args)
        )
        print(f"\nwrote {', '.join(str(p) for p in written)}")
    return 0


def cmd_demo(args) -> int:
    from personatwin_sklearn.datasets import make_social_population

    out_dir = args.out
    if args.analyze_only:  # refused before any work, like a release
        from personatwin_sklearn._release import release_destination

        release_destination(out_dir, overwrite=args.overwrite, private=False)
    else:
        _check_release_dir(args)
        _secret_key(args)
    data = make_social_population(
        n_people=args.n_people, random_state=args.seed, domain="criminal_justice"
    )
    print(
        f"Sample population: {args.n_people} people drawn from ACS 2018 census aggregates "
        f"(seed {args.seed}).\n"
    )
    analyzer, risk = _analyze(
        data, args.k or 10, args.top, signature=_columns(args.signature), age_bin=args.age_bin
    )
    _print_analysis(data, analyzer, risk, args.top)
    _print_spotlight(analyzer)
    if args.analyze_only:
        written = _write_outputs(out_dir, data, analyzer, risk, overwrite=args.overwrite)
        print(f"\nwrote {len(written)} files to {out_dir}/")
        return 0
    if args.augment is None and (args.ratio is not None or args.strategy is not None):
        raise CLIError("--ratio and --strategy only apply with --augment SOURCE.")
    target = args.target_risk
    if target == "auto":
        from personatwin_sklearn.api import PRIVACY_TARGETS

        target = PRIVACY_TARGETS[args.privacy_level]
    print(
        f"\nProtecting: privacy level {args.privacy_level!r}, "
        + (
            "local recoding of quasi-identifiers and connections"
            if args.protection == "local"
            else f"connection-pattern k >= {args.k or 10} ({args.scope} scope)"
        )
        + f", risk target {'none' if target is None else _fmt_pct(target)} (average over real "
        "people of the strongest adversary's success)"
        + (f", synthetic personas from {args.augment}" if args.augment else "")
    )
    result = _protect(data, args, domain="criminal_justice")
    target = None if args.protection == "local" else args.k or 10  # local: no pattern k
    _print_spotlight_after(result.data, _spotlight_people(analyzer), target=target)
    written = _save(result, data, args, out_dir)
    _print_release(result, written, out_dir)
    return 0


def _add_protection_options(parser, *, privacy_default: str, seed_default) -> None:
    parser.add_argument(
        "--privacy-level",
        choices=("low", "medium", "high"),
        default=privacy_default,
        help="headline risk target: low 20%%, medium 10%%, high 5%% (with --target-risk "
        "none: k of 3, 5 or 10) (default: %(default)s)",
    )
    parser.add_argument(
        "--k",
        type=_positive_int,
        default=None,
        metavar="K",
        help="with --protection global: every connection pattern is shared by at least K "
        "people (default 10); local: the smallest group the search may choose (default: "
        "from 2); the rare patterns listed first are those below K (default 10)",
    )
    parser.add_argument(
        "--target-risk",
        type=_target_risk,
        default="auto",
        metavar="SHARE",
        help="the most useful release whose headline risk (average over real people of "
        "the strongest adversary's success) is at most SHARE, e.g. 0.05; 'auto': the "
        "privacy level's (low 0.20, medium 0.10, high 0.05); 'none': no search, the "
        "privacy level's k (default: auto)",
    )
    parser.add_argument(
        "--protection",
        choices=("local", "global"),
        default="local",
        help="local: generalise quasi-identifiers and connections only where a group "
        "differs (default); global: k-anonymous quasi-identifiers, then synthetic "
        "connections and a global coarsening (the earlier method)",
    )
    parser.add_argument(
        "--keep-ids",
        action="store_true",
        help="publish the original person ids (default: fresh random ids 1..n; the "
        "original id of each is kept in the private people_synthetic_flags.csv). "
        "Synthetic people then get ids drawn from the format and range of yours, or the "
        "option is refused with the reason. Rows are shuffled either way.",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=seed_default,
        help="random seed, for a reproducible release (default: "
        + ("a fresh one each run)" if seed_default is None else f"{seed_default})"),
    )
    parser.add_argument(
        "--scope",
        choices=("edge", "neighborhood", "both"),
        default="edge",
        help="what the synthetic connections protect: each connection pattern (edge), "
        "each person's whole set of patterns (neighborhood: the 1-hop neighbourhood "
        "attack; adds far more), or edge then neighborhood (both) (default: %(default)s)",
    )
    _add_pattern_options(parser)
    parser.add_argument(
        "--coarsen",
        nargs="+",
        default=None,
        metavar="ATTR=LEVEL",
        help="what the connection protection may publish coarser instead of adding "
        "connections: auto (default: the cheapest mix), none, or levels such as "
        "--coarsen occupation=major age=wide connection_type=family (occupation: "
        "exact|major|suppressed, age: exact|wide, connection_type: exact|family)",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bar (it is only shown on a terminal)"
    )


def _coarsen(values):
    """``--coarsen`` as the generator's ``coarsen``: "auto", "none" or {attr: level}."""
    if not values:
        return "auto"
    if len(values) == 1 and values[0] in ("auto", "none"):
        return values[0]
    point = {}
    for item in values:
        attr, sep, level = item.partition("=")
        if not sep or not attr or not level:
            raise CLIError(
                f"--coarsen {item!r}: write ATTR=LEVEL, e.g. --coarsen occupation=major "
                "age=wide, or --coarsen auto / --coarsen none."
            )
        point[attr.strip()] = level.strip()
    return point


def _add_pattern_options(parser) -> None:
    """``--signature`` and ``--age-bin``: what a connection pattern says about the partner."""
    parser.add_argument(
        "--signature",
        nargs="+",
        default=None,
        metavar="COL",
        help="partner columns of a connection pattern, e.g. --signature gender year dorm "
        "(default: gender age occupation and has_* flags present)",
    )
    parser.add_argument(
        "--age-bin",
        type=_positive_int,
        default=5,
        metavar="YEARS",
        help="partner age bucket of a pattern, in years (default: %(default)s)",
    )


def _add_release_options(parser, *, roles: bool) -> None:
    """Where and how the release is written (and, for protect, the column roles)."""
    group = parser.add_argument_group("release files")
    group.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an earlier release in --out and its private folder; a folder "
        "holding anything else (no marker file), the current folder, your home folder "
        "and / are always refused",
    )
    group.add_argument(
        "--private-out",
        metavar="DIR",
        default=None,
        help="folder for the files that link the release to real people (default: "
        "OUT.private next to --out; never inside it)",
    )
    group.add_argument(
        "--pseudonym-key-file",
        metavar="FILE",
        default=None,
        help="secret key (>= 16 bytes) for stable pseudonyms: a real person's release id "
        "is HMAC-SHA256(key, id), the same in every release made with that key",
    )
    if not roles:
        return
    group = parser.add_argument_group(
        "column roles",
        "every people column is a quasi-identifier (generalised), kept (published as\n"
        "is) or dropped; occupation and has_* flags are kept by default, any other\n"
        "column not in --quasi-identifiers must be declared",
    )
    group.add_argument(
        "--keep-column",
        nargs="+",
        default=None,
        metavar="COL",
        help="publish these columns as they are",
    )
    group.add_argument(
        "--drop-column",
        nargs="+",
        default=None,
        metavar="COL",
        help="leave these columns out of the release",
    )
    group.add_argument(
        "--allow-identifier",
        nargs="+",
        default=None,
        metavar="COL",
        help="these columns look like direct identifiers (name, ssn, email, ...) but are "
        "not: publish them anyway",
    )
    group.add_argument(
        "--age-range",
        nargs=2,
        type=float,
        default=None,
        metavar=("MIN", "MAX"),
        help="plausible ages; an age outside is an error naming the rows (default: 0 120)",
    )


def _add_augment_options(parser) -> None:
    """``--augment SOURCE --ratio --strategy`` (shared by protect and demo)."""
    augment = parser.add_argument_group(
        "synthetic personas", "more people to hide among (adds the augment step)"
    )
    augment.add_argument(
        "--augment",
        metavar="SOURCE",
        default=None,
        help="add synthetic personas drawn from SOURCE: census (ACS aggregates), the path "
        "of a local Nemotron-Personas-USA file (Parquet/CSV/JSONL), or nemotron (the file "
        "named by $PERSONATWIN_NEMOTRON_PATH)",
    )
    augment.add_argument(
        "--ratio",
        type=_positive_float,
        default=None,
        help="synthetic personas per real person (default: 2)",
    )
    augment.add_argument(
        "--strategy",
        choices=("match_distribution", "fill_gaps", "boost_rare"),
        default=None,
        help="which personas to add (default: match_distribution)",
    )
    network = parser.add_argument_group(
        "network template",
        "connections among the synthetic personas shaped like another network (adds the "
        "network step; needs --augment)",
    )
    source = network.add_mutually_exclusive_group()
    source.add_argument(
        "--external-network",
        metavar="FILE",
        default=None,
        help="a graph file (SNAP edge list 'u v' per line, plain or .gz, or a Pajek .net): "
        "a differentially private template of it (--epsilon) wires the synthetic personas; "
        'needs the dp extra (pip install "personatwin_sklearn[dp]")',
    )
    source.add_argument(
        "--template",
        metavar="NAME",
        default=None,
        help="a shipped template wires the synthetic personas (no privacy budget spent): "
        + ", ".join(_shipped_templates()),
    )
    network.add_argument(
        "--epsilon",
        type=_positive_float,
        default=None,
        help="privacy budget of the template extracted from --external-network "
        "(default: 1.0; smaller is more private and noisier)",
    )


def _add_input_options(parser) -> None:
    """Reading options (``--rename``, ``--sep``, ``--categorical``, ``--connections-format``,
    ``--domain``), shared by the commands that read your files."""
    parser.add_argument(
        "--strict",
        action="store_true",
        help="refuse, instead of warning about, data that is valid but looks wrong: PARENT "
        "cycles, a pair with two family types, connection types differing only in case, "
        "gender values with surrounding spaces",
    )
    parser.add_argument(
        "--rename",
        nargs="+",
        default=None,
        metavar="OLD=NEW",
        help="read columns of the people and connections files under the expected names, "
        "e.g. --rename sex=gender node_id=person_id src=person1_id; the released files "
        "keep your names (sex, node_id, src)",
    )
    parser.add_argument(
        "--sep",
        default=None,
        metavar="CHAR",
        help="delimiter of CSV/TSV input (default: tab for .tsv/.tab/.nodelist, else comma)",
    )
    parser.add_argument(
        "--categorical",
        nargs="+",
        default=None,
        metavar="COL",
        help="numeric codes to treat as categories (generalised by grouping, not into "
        "ranges), e.g. --categorical dorm major_index",
    )
    parser.add_argument(
        "--connections-format",
        choices=("auto", "table", "pajek", "snap"),
        default="auto",
        help="format of EDGES: table (CSV/TSV/Parquet/JSONL with person1_id, person2_id, "
        "connection_type), pajek (.net), snap (edge list 'u v' per line); auto picks by "
        "suffix: .net/.paj pajek, .txt/.edges/.el snap, else table (default: auto)",
    )
    parser.add_argument(
        "--domain",
        default="custom",
        choices=("criminal_justice", "healthcare", "education", "custom"),
        help="vocabulary of connection types and event flags (default: %(default)s)",
    )


def _add_protect_command(sub) -> None:
    """The ``protect`` subcommand."""
    protect = sub.add_parser(
        "protect",
        help="write a protected release of people and connections",
        description=_PROTECT_DESCRIPTION,
        epilog=_RELEASE_FILES
        + "\nexample:\n  personatwin protect people.csv --connections edges.csv "
        "--privacy-level high --k 10 --out release\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    protect.add_argument(
        "people",
        metavar="PEOPLE",
        help="people CSV/TSV/Parquet/JSONL: person_id (generated when absent and there are "
        "no connections) and the quasi-identifiers (default: age, gender, ethnicity, "
        "zipcode present)",
    )
    protect.add_argument(
        "--connections",
        metavar="EDGES",
        help="connections: CSV/TSV/Parquet/JSONL (person1_id, person2_id, connection_type), "
        "a Pajek .net or a SNAP edge list whose node ids are the people's person_id",
    )
    protect.add_argument(
        "--out", required=True, metavar="DIR", help="folder to write the release to (required)"
    )
    _add_input_options(protect)
    _add_protection_options(protect, privacy_default="medium", seed_default=None)
    protect.add_argument(
        "--quasi-identifiers",
        nargs="+",
        default=None,
        metavar="COL",
        help="columns generalised to k-anonymity, and the columns the adversary of the "
        "headline risk knows (default: age gender ethnicity zipcode present)",
    )
    _add_augment_options(protect)
    _add_release_options(protect, roles=True)
    protect.set_defaults(func=cmd_protect)


def _add_demo_command(sub) -> None:
    """The ``demo`` subcommand."""
    demo = sub.add_parser(
        "demo",
        help="run protect on the embedded sample population",
        description="Make the sample population (census-based, criminal-justice domain),\n"
        "show its rare connection patterns and risk, protect it as 'personatwin protect'\n"
        "does and write the release to --out.",
        epilog=_RELEASE_FILES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--n-people", type=_positive_int, default=1000, help="population size (1000)"
    )
    demo.add_argument(
        "--out", default="personatwin_out", metavar="DIR", help="output folder (personatwin_out)"
    )
    _add_protection_options(demo, privacy_default="medium", seed_default=0)
    _add_augment_options(demo)
    _add_release_options(demo, roles=False)
    demo.add_argument("--top", type=_positive_int, default=12, help="rare patterns to list (12)")
    demo.add_argument(
        "--analyze-only",
        action="store_true",
        help="only analyse: write the input (people.csv, connections.csv), patterns.csv "
        "and risk.json instead of a release",
    )
    demo.set_defaults(func=cmd_demo)


def _add_analyze_command(sub) -> None:
    """The ``analyze`` subcommand."""
    analyze = sub.add_parser(
        "analyze",
        help="report rare connection patterns and re-identification risk",
        description="Read people (and connections) from CSV/Parquet, list connection "
        "patterns shared by fewer than k people and the prosecutor-model risk.",
    )
    analyze.add_argument(
        "people", help="people CSV/TSV/Parquet/JSONL (person_id and quasi-identifiers)"
    )
    analyze.add_argument(
        "--connections", metavar="EDGES", help="connections CSV/TSV/Parquet, Pajek .net or SNAP"
    )
    _add_input_options(analyze)
    analyze.add_argument(
        "--k", type=_positive_int, default=10, help="patterns below k people are rare (10)"
    )
    analyze.add_argument(
        "--top", type=_positive_int, default=12, help="rare patterns to list (12)"
    )
    analyze.add_argument(
        "--quasi-identifiers",
        nargs="+",
        default=None,
        metavar="COL",
        help="quasi-identifier columns (default: age gender ethnicity zipcode present)",
    )
    _add_pattern_options(analyze)
    analyze.add_argument(
        "--out", default=None, metavar="DIR", help="also write patterns.csv and risk.json"
    )
    analyze.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the files of an earlier run in --out (only those: a folder holding "
        "anything else is refused)",
    )
    analyze.set_defaults(func=cmd_analyze)


def build_parser() -> argparse.ArgumentParser:
    """The ``personatwin`` argument parser (subcommands ``protect``, ``demo``, ``analyze``)."""
    parser = _Parser(
        prog="personatwin",
        description=(
            "Find and close re-identification risks in person records and the social "
            "connections between them."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from personatwin_sklearn import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    _add_protect_command(sub)
    _add_demo_command(sub)
    _add_analyze_command(sub)

    return parser


def main(argv=None) -> int:
    """Entry point of the ``personatwin`` console script.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 on an error (printed as one line on stderr), 130 when
        interrupted (Ctrl-C; the staging files are removed).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    try:
        if getattr(args, "coarsen", None) is not None:  # refused before any work
            from personatwin_sklearn.connections._coarsen import check_coarsen

            check_coarsen(_coarsen(args.coarsen))
        return args.func(args)
    except KeyboardInterrupt:
        print("personatwin: interrupted; no release was written", file=sys.stderr)
        return 130
    except (OSError, ValueError, TypeError, CLIError) as exc:
        message = " ".join(str(exc).split())
        print(f"personatwin: error: {message}", file=sys.stderr)
        return 2
    except MemoryError:
        print(
            "personatwin: error: out of memory; try a smaller input, a lower --k or "
            "--scope edge, or a machine with more memory. No release was written.",
            file=sys.stderr,
        )
        return 2
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        message = " ".join(str(exc).split())[:300]
        print(
            f"personatwin: error: unexpected {type(exc).__name__}: {message}. No release was "
            "written; please report this with the command you ran.",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
