"""The ``personatwin`` command line."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

__all__ = ["main"]

_EPILOG = """\
examples:
  personatwin demo --out demo_out
  personatwin analyze people.csv --connections edges.csv --k 10
  personatwin protect people.csv --connections edges.csv --privacy-level high --k 10 --out release

Connections read "person2 is person1's <connection_type>" (PARENT, SPOUSE, ...).
Every error is one line on stderr and a non-zero exit code.
"""


class CLIError(Exception):
    """An error to show as one line, with exit code 2."""


def _fmt_pct(value: float) -> str:
    return f"{value:.1%}"


def _risk_lines(title: str, risk) -> list[str]:
    lines = [
        f"{title}",
        f"  people (real)                 {risk.n_records}",
        f"  k-anonymity (smallest class)  {risk.k}",
        f"  population average risk       {_fmt_pct(risk.population_average_risk)}",
        f"  maximum risk                  {_fmt_pct(risk.max_risk)}",
        f"  records at risk (> {risk.threshold:.0%})      {_fmt_pct(risk.records_at_risk)}",
    ]
    if risk.combined_average_risk is not None:
        lines += [
            f"  with connections: avg risk    {_fmt_pct(risk.combined_average_risk)}",
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


def _analyze(data, k: int, top: int, quasi_identifiers=None):
    from personatwin_sklearn.metrics import reidentification_risk
    from personatwin_sklearn.patterns import ConnectionPatternAnalyzer

    k = min(k, len(data))
    analyzer = ConnectionPatternAnalyzer(k=k).fit(data)
    risk = reidentification_risk(data, quasi_identifiers)
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


def _write_outputs(out_dir: Path, data, analyzer, risk) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = list(data.save(out_dir).values())
    patterns = out_dir / "patterns.csv"
    analyzer.patterns_.to_csv(patterns, index=False)
    risk_path = out_dir / "risk.json"
    risk_path.write_text(json.dumps(risk.to_dict(), indent=2, default=float))
    return [*paths, patterns, risk_path]


def _load(args):
    from personatwin_sklearn.io import load_data

    return load_data(args.people, args.connections, domain=args.domain)


def cmd_analyze(args) -> int:
    data = _load(args)
    analyzer, risk = _analyze(data, args.k, args.top, args.quasi_identifiers)
    _print_analysis(data, analyzer, risk, args.top)
    if args.out:
        written = _write_outputs(Path(args.out), data, analyzer, risk)
        print(f"\nwrote {', '.join(str(p) for p in written)}")
    return 0


def cmd_demo(args) -> int:
    from personatwin_sklearn.datasets import make_social_population

    data = make_social_population(
        n_people=args.n_people, random_state=args.seed, domain="criminal_justice"
    )
    print(
        f"Sample population: {args.n_people} people drawn from ACS 2018 census aggregates "
        f"(seed {args.seed}).\n"
    )
    analyzer, risk = _analyze(data, args.k, args.top)
    _print_analysis(data, analyzer, risk, args.top)
    _print_spotlight(analyzer)
    written = _write_outputs(Path(args.out), data, analyzer, risk)
    if not args.analyze_only:
        written += _demo_protect(data, args)
    print(f"\nwrote {len(written)} files to {args.out}/")
    return 0


_FLAG_COLUMNS = {
    "people": ["is_synthetic"],
    "connections": ["is_synthetic", "strength", "confidence", "context"],
}


def write_release(data, out_dir: Path) -> list[Path]:
    """Write a release: the tables without the columns that tell synthetic from real,
    and those columns in separate ``*_synthetic_flags.csv`` files (never publish them)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    key = {"people": [data.id_col], "connections": ["person1_id", "person2_id"]}
    for name, frame in (("people", data.people), ("connections", data.connections)):
        flags = [c for c in _FLAG_COLUMNS[name] if c in frame.columns]
        for suffix, part in (
            ("", frame.drop(columns=flags)),
            ("_synthetic_flags", frame[key[name] + flags]),
        ):
            path = out_dir / f"released_{name}{suffix}.csv"
            partial = path.with_suffix(".csv.partial")
            part.to_csv(partial, index=False)
            partial.replace(path)
            written.append(path)
    return written


def _demo_protect(data, args) -> list[Path]:
    from personatwin_sklearn.connections import SyntheticConnectionGenerator
    from personatwin_sklearn.metrics import connection_pattern_k

    generator = SyntheticConnectionGenerator(target_k=args.k, random_state=args.seed)
    released = generator.fit_transform(data)
    print(f"\nProtection: synthetic connections until every pattern has k >= {args.k}")
    print(generator.report_.to_string())
    k_after = connection_pattern_k(released, population="all")
    print(f"smallest connection-pattern k after protection: {k_after:g}")
    print(
        "(The people's own quasi-identifiers still need generalisation: risk figures above "
        "are for age/gender/ethnicity/zip as recorded.)"
    )
    return write_release(released, Path(args.out))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="run on the embedded sample population",
        description="Make the sample population (census-based, criminal-justice domain), "
        "analyse its connection patterns and risk, and write the files to --out.",
    )
    demo.add_argument("--n-people", type=int, default=1000, help="population size (1000)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (0)")
    demo.add_argument("--k", type=int, default=10, help="patterns below k people are rare (10)")
    demo.add_argument("--top", type=int, default=12, help="rare patterns to list (12)")
    demo.add_argument("--out", default="personatwin_out", help="output folder (personatwin_out)")
    demo.add_argument("--analyze-only", action="store_true", help="only analyse, do not protect")
    demo.set_defaults(func=cmd_demo)

    analyze = sub.add_parser(
        "analyze",
        help="report rare connection patterns and re-identification risk",
        description="Read people (and connections) from CSV/Parquet, list connection "
        "patterns shared by fewer than k people and the prosecutor-model risk.",
    )
    analyze.add_argument("people", help="people CSV/Parquet (person_id, age, gender, ...)")
    analyze.add_argument("--connections", help="connections CSV/Parquet")
    analyze.add_argument(
        "--domain",
        default="custom",
        help="criminal_justice, healthcare, education or custom (default)",
    )
    analyze.add_argument("--k", type=int, default=10, help="patterns below k people are rare")
    analyze.add_argument("--top", type=int, default=12, help="rare patterns to list (12)")
    analyze.add_argument(
        "--quasi-identifiers",
        nargs="+",
        default=None,
        metavar="COL",
        help="quasi-identifier columns (default: age gender ethnicity zipcode present)",
    )
    analyze.add_argument("--out", default=None, help="also write patterns.csv and risk.json")
    analyze.set_defaults(func=cmd_analyze)

    return parser


def main(argv=None) -> int:
    """Entry point of the ``personatwin`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except (FileNotFoundError, ValueError, TypeError, CLIError) as exc:
        message = " ".join(str(exc).split())
        print(f"personatwin {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
