"""The sweep's time estimate (`design.estimated_seconds`) against measured runs.

    python benchmarks/bench_estimate.py [--repeats 5]

`egov-sim sweep` prints an estimate and refuses designs above --max-runs with it, so it
should be of the right size. This times single runs of the default scenario in this
process (one core, what one worker does) at several sizes, prints measured and estimated
seconds per run, and the least-squares fit of the cost model the estimate uses:
seconds = a + months x (citizens x b + parties^2 x c). The shipped scenarios all have the
same parties, so c is fitted as the cost of a month that does not grow with the citizens,
put down to the pairs of parties (negotiation is pairwise); other party counts are not
measured.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation.experiments import design  # noqa: E402
from simulation.model import EGovModel  # noqa: E402

SIZES = [(200, 60), (2_000, 120), (10_000, 120), (10_000, 307), (50_000, 120)]


def one_run(citizens: int, months: int, seed: int) -> float:
    start = time.perf_counter()
    model = EGovModel(citizens_count=citizens, run_months=months, rng=seed)
    while model.running:
        model.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    one_run(200, 12, 0)  # first-run costs (lazy imports, caches) are not a run's
    config = EGovModel(citizens_count=200, run_months=1).config
    n_parties = config.departments.count + config.partners.count
    rows = []
    print("| citizens | months | measured s/run (median) | estimate s/run | estimate / measured |")
    print("|---|---|---|---|---|")
    for citizens, months in SIZES:
        measured = statistics.median(one_run(citizens, months, s) for s in range(args.repeats))
        per_month = citizens * design.SECONDS_PER_CITIZEN_MONTH + n_parties**2 * design.SECONDS_PER_PAIR_MONTH
        estimate = design.SECONDS_PER_RUN + months * per_month
        rows.append((citizens, months, measured))
        print(f"| {citizens:,} | {months} | {measured:.3f} | {estimate:.3f} | {estimate / measured:.1f} |")
    x = np.array([[1.0, m * c, m * n_parties**2] for c, m, _ in rows])
    y = np.array([t for *_, t in rows])
    (a, b, c), *_ = np.linalg.lstsq(x, y, rcond=None)
    print(
        f"fit: SECONDS_PER_RUN {a:.3f}, SECONDS_PER_CITIZEN_MONTH {b:.2e}, "
        f"SECONDS_PER_PAIR_MONTH {c:.2e} ({n_parties} parties); largest misfit "
        f"{max(abs(float(r) - t) / t for r, t in zip(x @ np.array([a, b, c]), y, strict=True)):.0%}"
    )


if __name__ == "__main__":
    main()
