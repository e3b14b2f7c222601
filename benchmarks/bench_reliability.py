"""Reliability sweep: does ``create_safe_personas`` end in a result, across seeds and sizes?

Run by hand (figures are not asserted anywhere; the 100k and 300k cases take minutes)::

    nice python benchmarks/bench_reliability.py                  # everything
    nice python benchmarks/bench_reliability.py --only seeds     # seeds 0-49 at 1,000 people
    nice python benchmarks/bench_reliability.py --only big       # 5 seeds at 100,000 people
    nice python benchmarks/bench_reliability.py --only sizes     # 1k, 10k, 100k, 300k people

Each case builds ``make_social_population(n, random_state=seed)`` and runs
``create_safe_personas(data, random_state=seed)`` with the defaults.  A case passes
when the call returns a result (no exception); a failure prints its exception in one
line.  The table ends with the pass count of each sweep and the scikit-learn version
(the sweep is meant to be run on the version the README installs and the one CI pins).
"""

import argparse
import time
import traceback

import sklearn

from personatwin_sklearn import create_safe_personas
from personatwin_sklearn.datasets import make_social_population

SWEEPS = {
    "seeds": [(1_000, seed) for seed in range(50)],
    "big": [(100_000, seed) for seed in range(5)],
    "sizes": [(n, 0) for n in (1_000, 10_000, 100_000, 300_000)],
}


def run_case(n_people: int, seed: int) -> tuple[bool, str, float]:
    """Run one case; return (passed, note, seconds)."""
    start = time.perf_counter()
    try:
        data = make_social_population(n_people, random_state=seed)
        result = create_safe_personas(data, random_state=seed)
        detector = result.metadata.get("detector") or {}
        note = "ok" if detector.get("auc") is None else f"ok, detector AUC {detector['auc']:.2f}"
        if detector.get("reason"):
            note += f" (detector: {detector['reason'][:60]})"
        return True, note, time.perf_counter() - start
    except Exception as exc:  # noqa: BLE001 - the sweep records every failure
        where = traceback.extract_tb(exc.__traceback__)[-1]
        line = f"{type(exc).__name__}: {exc} [{where.filename.split('/')[-1]}:{where.lineno}]"
        return False, line.replace("\n", " ")[:200], time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(SWEEPS), action="append")
    args = parser.parse_args(argv)
    names = args.only or list(SWEEPS)
    print(f"scikit-learn {sklearn.__version__}")
    print(f"{'sweep':<6} {'people':>8} {'seed':>4} {'pass':>4} {'seconds':>8}  note")
    counts = {}
    for name in names:
        passed = 0
        for n_people, seed in SWEEPS[name]:
            ok, note, seconds = run_case(n_people, seed)
            passed += ok
            print(
                f"{name:<6} {n_people:>8,} {seed:>4} {'yes' if ok else 'NO':>4} "
                f"{seconds:>8.1f}  {note}",
                flush=True,
            )
        counts[name] = (passed, len(SWEEPS[name]))
    print()
    for name, (passed, total) in counts.items():
        print(f"{name}: {passed}/{total} passed")
    return 0 if all(p == t for p, t in counts.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
