"""Pattern analysis speed: vectorised engine vs a plain-Python dict-of-sets count.

Run by hand: ``python benchmarks/bench_patterns.py [--sizes 100000 1000000]``.
Prints time, peak memory (tracemalloc, numpy buffers included) and the speed-up.
"""

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _populations import plain_pattern_holders, random_population

from personatwin_sklearn import ConnectionPatternAnalyzer


def plain_python(data, age_bin=5):
    """Reference count: one pass over the edges with dicts and sets."""
    return {p: len(s) for p, s in plain_pattern_holders(data, age_bin).items()}


def measure(fn):
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak / 2**30


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--edges-per-person", type=float, default=3.0)
    args = parser.parse_args()
    print(
        f"{'people':>10} {'edges':>10} {'scope':>13} {'time s':>8} {'peak GB':>8} "
        f"{'python s':>9} {'speed-up':>8}"
    )
    for n in args.sizes:
        data = random_population(n, args.edges_per_person)
        base, t_py, _ = measure(lambda data=data: plain_python(data))
        for scope in ("edge", "neighborhood"):
            est = ConnectionPatternAnalyzer(k=10, scope=scope)
            _, t, peak = measure(lambda est=est, data=data: est.fit(data))
            if scope == "edge":
                assert len(est.patterns_) == len(base), "pattern counts disagree"
                assert sorted(est.patterns_["k"]) == sorted(base.values())
            print(
                f"{n:>10,} {data.n_connections:>10,} {scope:>13} {t:>8.2f} {peak:>8.2f} "
                f"{t_py:>9.2f} {t_py / t:>7.1f}x"
            )


if __name__ == "__main__":
    main()
