"""The sweep's time estimate (`design.seconds_per_run`) against measured runs.

    python benchmarks/bench_estimate.py [--repeats 5]

`egov-sim sweep` prints an estimate and refuses designs above --max-runs with it, so it
should be of the right size. This times single runs in this process (one core, what one
worker does), at several sizes of the default scenario (10 parties) and with every party
group's count scaled (10 to 1,000 parties, the most a scenario may have, at 2,000 citizens
x 60 months), and prints measured and estimated seconds per run. It then fits the
estimate's cost model (`design.cost_terms`) to all those runs by non-negative least squares:

    seconds = a + months x (b + citizens x c + parties x d + parties^2 x e)

and prints the fitted constants next to design.py's (which are rounded up from such fits,
for the sweep's own work per run and a busier machine).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import nnls

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation.experiments import design  # noqa: E402
from simulation.io.scenario_io import load_scenario, validate  # noqa: E402
from simulation.model import EGovModel  # noqa: E402

#: (citizens, months, party scale): the default scenario's sizes, then more parties.
SIZES = [(200, 60, 1), (2_000, 120, 1), (10_000, 120, 1), (10_000, 307, 1), (50_000, 120, 1)]
SIZES += [(2_000, 60, k) for k in (1, 2, 4, 8, 16, 32, 64, 100)]
#: design.py's constants, in design.cost_terms' order.
NAMES = (
    "SECONDS_PER_RUN",
    "SECONDS_PER_MONTH",
    "SECONDS_PER_CITIZEN_MONTH",
    "SECONDS_PER_PARTY_MONTH",
    "SECONDS_PER_PAIR_MONTH",
)


def config(citizens: int, months: int, scale: int = 1) -> object:
    """The default scenario at this size, every party group's count times ``scale``."""
    data = load_scenario(None).model_dump()
    data["citizens"]["count"], data["run"]["months"] = citizens, months
    for side in ("departments", "partners"):
        for group in data[side]["groups"]:
            group["count"] *= scale
    return validate(data, "bench_estimate")


def one_run(cfg: object, seed: int) -> float:
    start = time.perf_counter()
    model = EGovModel(cfg, rng=seed)
    while model.running:
        model.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    one_run(config(200, 12), 0)  # first-run costs (lazy imports, caches) are not a run's
    rows = []
    print("| citizens | parties | months | measured s/run (median) | estimate s/run | estimate / measured |")
    print("|---|---|---|---|---|---|")
    for citizens, months, scale in SIZES:
        cfg = config(citizens, months, scale)
        parties = cfg.departments.count + cfg.partners.count
        measured = statistics.median(one_run(cfg, s) for s in range(args.repeats))
        guess = design.seconds_per_run(citizens, parties, months)
        rows.append((design.cost_terms(citizens, parties, months), measured))
        print(
            f"| {citizens:,} | {parties} | {months} | {measured:.3f} | {guess:.3f} | {guess / measured:.1f} |"
        )
    x = np.array([f for f, _ in rows])
    y = np.array([t for _, t in rows])
    # Relative errors count, not absolute ones: weight each run by 1 / its time.
    coef, _ = nnls(x / y[:, None], np.ones_like(y))
    misfit = np.max(np.abs(x @ coef - y) / y)
    print(f"\nfit (non-negative least squares on relative error; largest misfit {misfit:.0%}):")
    for name, value in zip(NAMES, coef, strict=True):
        print(f"  {name:<26} fitted {value:.2e}   design.py {getattr(design, name):.2e}")


if __name__ == "__main__":
    main()
