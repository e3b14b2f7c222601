"""What each ``connection_scope`` of the global protection costs and protects.

    python benchmarks/bench_scopes.py            # sample population, seed 0
    python benchmarks/bench_scopes.py --write    # also into docs/user_guide.md

``create_safe_personas(make_social_population(1000, random_state=0), privacy_level="high",
protection="global", connection_scope=SCOPE, random_state=0)`` for each scope (what
``personatwin demo --protection global --privacy-level high --scope SCOPE`` runs): the
headline after protection (per real person the strongest adversary, averaged), each
linkage scope's figure, and what the scope added (synthetic connections, their share of
the released connections, synthetic people).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "user_guide.md"
SCOPES = ("edge", "neighborhood", "both")


def run(seed=0):
    from personatwin_sklearn import create_safe_personas
    from personatwin_sklearn.datasets import make_social_population

    data = make_social_population(1000, random_state=seed)
    lines = [
        "| `--scope` | headline after (average) | qi | edge | neighborhood | combined | "
        "synthetic connections (share) | synthetic people |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scope in SCOPES:
        result = create_safe_personas(
            data, privacy_level="high", protection="global", connection_scope=scope,
            random_state=seed,
        )  # fmt: skip
        md = result.metadata
        head = md["headline"]
        figures = [head["scopes"][s]["after"]["average"] for s in ("qi", "edge",
                   "neighborhood", "combined")]  # fmt: skip
        name = f"{scope} (default)" if scope == "edge" else scope
        lines.append(
            f"| {name} | {head['after']['average']:.1%} | "
            + " | ".join(f"{f:.1%}" for f in figures)
            + f" | {md['synthetic_connections']:,} ({md['synthetic_share']:.1%}) | "
            f"{md['synthetic_count']:,} |"
        )
        print(lines[-1], flush=True)
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", action="store_true", help="also into docs/user_guide.md")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    lines = run(args.seed)
    print("\n".join(lines))
    print(f"\n{time.perf_counter() - start:.0f} s")
    if args.write:
        from _docs import write_block

        write_block(DOC, "bench_scopes", "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
