"""Would float32 citizen state change the results beyond sampling error? (issue 22)

    python benchmarks/float32_state.py [--seeds 20] [--citizens 10000] [--size 1000000]

Runs every shipped scenario for ``--seeds`` seeds twice: with the citizens' real-valued
state arrays (skill, privacy, legitimacy and its baseline, the precomputed efficacy, the
monthly probability buffer) in float32, as shipped (``adoption.STATE_DTYPE``), and in
float64. The random numbers are the same in both (drawn in float64, then stored), so a
difference comes from precision alone, and can then grow as a citizen adopts a month
earlier or later.

Per scenario and KPI it prints the paired differences (float32 - float64) over the seeds:
their mean with a paired t test's p, and their largest size, both also in units of the
seed-to-seed standard deviation of the float64 runs (the sampling error a user sees).
Criterion, stated before running (``runs.stats.negligible_shift``): float32 is "within
sampling error" for a KPI when every difference is 0, or when the paired t test does not
find the mean difference (p >= 0.05) and it is below 0.1 seed standard deviations.

Also printed: the bytes per citizen of those state arrays in both precisions at
``--size`` citizens (what float32 saves; measured on the arrays, nbytes).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation.io.scenario_io import load_scenario, shipped_scenarios  # noqa: E402
from simulation.mechanisms import adoption  # noqa: E402
from simulation.model import EGovModel  # noqa: E402
from simulation.runs.runner import result_of  # noqa: E402
from simulation.runs.stats import negligible_shift  # noqa: E402

SCENARIOS = tuple(shipped_scenarios())
STATE = ("skill", "privacy", "legitimacy0", "legitimacy", "_efficacy")


def state_bytes(model: EGovModel) -> int:
    pop = model.population
    arrays = [getattr(pop, name) for name in STATE] + list(pop._buffers()[:2])
    return sum(a.nbytes for a in arrays)


def build(scenario: str, seed: int, citizens: int, dtype: type, months: int | None = None) -> EGovModel:
    run = {"seed": seed} if months is None else {"seed": seed, "months": months}
    cfg = load_scenario(scenario, overrides={"citizens": {"count": citizens}, "run": run})
    shipped, adoption.STATE_DTYPE = adoption.STATE_DTYPE, dtype
    try:
        model = EGovModel(cfg)
        assert all(getattr(model.population, name).dtype == dtype for name in STATE)
        return model
    finally:
        adoption.STATE_DTYPE = shipped


def kpis(scenario: str, seed: int, citizens: int, dtype: type) -> dict[str, float]:
    model = build(scenario, seed, citizens, dtype)
    while model.running and model.steps < model.months:
        model.step()
    figures = result_of(model, model.config).kpis
    return {k: float(v) for k, v in figures.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def compare(scenario: str, seeds: int, citizens: int) -> tuple[int, int]:
    a = [kpis(scenario, s, citizens, np.float64) for s in range(1, seeds + 1)]
    b = [kpis(scenario, s, citizens, np.float32) for s in range(1, seeds + 1)]
    print(f"{scenario} ({seeds} seeds, {citizens:,} citizens):")
    ok = total = 0
    for key in a[0]:
        u = np.array([x.get(key, math.nan) for x in a])
        v = np.array([y.get(key, math.nan) for y in b])
        keep = np.isfinite(u) & np.isfinite(v)
        if keep.sum() < 3:
            continue
        res, in_sd, within = negligible_shift(u, v)
        d = (v - u)[keep]
        sd = float(u[keep].std(ddof=1))
        largest = float(np.abs(d).max())
        ok += within
        total += 1
        print(
            f"    {key:<28} mean diff {res.difference:+.3g} (p {res.p:.2f}; {in_sd:.3f} sd), "
            f"largest |diff| {largest:.3g} ({largest / sd if sd > 0 else 0.0:.2f} sd), "
            f"{int((d != 0).sum())}/{d.size} differ: {'within' if within else 'OUTSIDE'}"
        )
    return ok, total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--citizens", type=int, default=10_000)
    ap.add_argument("--size", type=int, default=1_000_000, help="citizens for the bytes figure")
    args = ap.parse_args()
    ok = total = 0
    for scenario in SCENARIOS:
        o, t = compare(scenario, args.seeds, args.citizens)
        ok, total = ok + o, total + t
    print(f"within sampling error: {ok} of {total} (scenario, KPI) pairs")
    b64 = state_bytes(build(SCENARIOS[0], 1, args.size, np.float64, months=1))
    b32 = state_bytes(build(SCENARIOS[0], 1, args.size, np.float32, months=1))
    print(
        f"state arrays at {args.size:,} citizens: float64 {b64 / args.size:.0f} B per citizen, "
        f"float32 {b32 / args.size:.0f} B per citizen (saves {(b64 - b32) / args.size:.0f} B)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
