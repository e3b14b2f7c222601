"""Scale of the default protection: time, peak memory and the share spent measuring risk.

Run by hand (figures are not asserted anywhere; 100k takes minutes)::

    nice python benchmarks/bench_scale.py                 # 1k, 10k, 100k and the hub case
    nice python benchmarks/bench_scale.py --big           # also 300k and 1M people
    nice python benchmarks/bench_scale.py --sizes 10000   # chosen sizes only
    nice python benchmarks/bench_scale.py --no-hub        # without the hub case
    nice python benchmarks/bench_scale.py --sizes 10000 --no-hub --repeat 10
                                                          # the spread over runs

Each case runs in its own process: ``make_social_population(n, random_state=0)`` (not
timed), then ``create_safe_personas(data, random_state=0)`` with the defaults (the local
protection).  Printed per case:

- ``seconds`` and ``cpu s``: wall and CPU time of ``create_safe_personas`` (on a shared
  machine the CPU time is the steadier figure);
- ``peak GB``: the process's peak resident memory (``ru_maxrss``, data generation
  included);
- ``headline`` and ``ci95``: the release's headline average (per real person the
  strongest adversary) and the half-width of its 95% interval when the headline attacks
  a seeded sample of real people (0 when everyone is attacked);
- ``certain``: the share of real people with a single consistent candidate;
- ``attack share``: the share of the time spent evaluating attacks (the search's
  repair attack and quick risk, the full headline of the chosen release and its
  detectors).

The hub case is ``make_social_population(60_000)`` with one more person holding 50,000
CO_DEFENDANT connections (the fan-out that once asked for 250M rows).
"""

import argparse
import json
import resource
import subprocess
import sys
import time

SIZES = (1_000, 10_000, 100_000)
BIG = (300_000, 1_000_000)
HUB = "hub"
#: The timed parts of the attack evaluation (functions of ``personatwin_sklearn.api``).
_PARTS = {"_exposed_of": "repair", "_risk_of": "quick risk", "_measure": "headline"}


def _timed(module, name, totals):
    """Wrap ``module.name`` (a factory returning a function, or a function) to add its
    time to ``totals['attack']`` and ``totals[name]``."""
    original = getattr(module, name)
    totals.setdefault(name, 0.0)

    def clock(fn):
        def run(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.perf_counter() - start
                totals["attack"] += spent
                totals[name] += spent

        return run

    if name == "_measure":
        setattr(module, name, clock(original))
    else:

        def factory(*args, **kwargs):
            made = original(*args, **kwargs)
            return made if made is None else clock(made)

        setattr(module, name, factory)


def _hub_data():
    import numpy as np
    import pandas as pd

    from personatwin_sklearn import SocialData
    from personatwin_sklearn.datasets import make_social_population

    base = make_social_population(60_000, random_state=0)
    people, edges = base.people, base.connections
    hub = people.iloc[[0]].copy()
    hub["person_id"] = "hub"
    hub["has_criminal_record"] = True
    partners = people["person_id"].to_numpy()[:50_000]
    extra = pd.DataFrame(
        {
            "person1_id": "hub",
            "person2_id": partners,
            "connection_type": "CO_DEFENDANT",
            "strength": "WEAK",
            "context": "benchmark fan-out",
            "confidence": 1.0,
            "is_synthetic": False,
        }
    )
    people = pd.concat([people, hub], ignore_index=True)
    people["person_id"] = people["person_id"].astype(str)
    edges = pd.concat([edges, extra], ignore_index=True)
    for col in ("person1_id", "person2_id"):
        edges[col] = edges[col].astype(str)
    assert int(np.sum(edges["person1_id"] == "hub")) == 50_000
    return SocialData(people.drop(columns="is_synthetic"), edges.drop(columns="is_synthetic"))


def run_case(case: str) -> dict:
    """One case in this process; returns its figures."""
    from personatwin_sklearn import api, create_safe_personas
    from personatwin_sklearn.datasets import make_social_population

    totals = {"attack": 0.0}
    for name in _PARTS:
        _timed(api, name, totals)
    data = _hub_data() if case == HUB else make_social_population(int(case), random_state=0)
    start, cpu = time.perf_counter(), time.process_time()
    result = create_safe_personas(data, random_state=0)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    after = result.metadata["headline"]["after"]
    head = result.metadata["headline"]
    return {
        "case": case,
        "people": len(data),
        "connections": data.n_connections,
        "seconds": seconds,
        "cpu": cpu,
        "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
        "headline": after["average"],
        "ci95": after.get("ci95", 0.0),
        "certain": after.get("certain", float("nan")),
        "targets": head.get("n_targets"),
        "attack_share": totals["attack"] / seconds if seconds else float("nan"),
        # seconds of each part: the repair's attacks, the quick risk, the full measure
        "parts": {_PARTS[name]: totals[name] for name in _PARTS},
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="also 300k and 1M people")
    parser.add_argument("--sizes", type=int, nargs="+", help="people per case")
    parser.add_argument("--no-hub", action="store_true", help="skip the 50,000-connection case")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each case (then the attack share's spread)"
    )
    parser.add_argument("--case", help=argparse.SUPPRESS)  # one case, in a child process
    args = parser.parse_args(argv)
    if args.case:
        print(json.dumps(run_case(args.case)))
        return 0
    cases = [str(n) for n in (args.sizes or SIZES + (BIG if args.big else ()))]
    if not args.no_hub:
        cases.append(HUB)
    print(
        f"{'case':>8} {'people':>9} {'edges':>9} {'seconds':>8} {'cpu s':>8} {'peak GB':>8} "
        f"{'headline':>8} {'ci95':>7} {'certain':>7} {'targets':>7} {'attack':>7}"
    )
    shares, parts = {}, {}
    for case in cases:
        for _ in range(max(args.repeat, 1)):
            proc = subprocess.run(
                [sys.executable, __file__, "--case", case], capture_output=True, text=True
            )
            if proc.returncode != 0:
                tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
                print(f"{case:>8} failed: {tail[:160]}")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            shares.setdefault(case, []).append(r["attack_share"])
            parts.setdefault(case, []).append(r["parts"])
            print(
                f"{r['case']:>8} {r['people']:>9,} {r['connections']:>9,} {r['seconds']:>8.1f} "
                f"{r['cpu']:>8.1f} {r['peak_gb']:>8.2f} {r['headline']:>8.1%} "
                f"{r['ci95']:>7.1%} {r['certain']:>7.1%} {r['targets']:>7,} "
                f"{r['attack_share']:>7.0%}"
            )
    if args.repeat > 1:
        for case, values in shares.items():
            print(
                f"attack share of {case} over {len(values)} runs: {min(values):.1%} to "
                f"{max(values):.1%}, mean {sum(values) / len(values):.1%}; mean seconds: "
                + ", ".join(
                    f"{part} {sum(p[part] for p in parts[case]) / len(parts[case]):.2f}"
                    for part in _PARTS.values()
                )
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
