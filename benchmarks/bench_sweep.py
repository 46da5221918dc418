"""Sweep throughput: the 2 x 2 experiment (service model x rollout) at a reduced, fixed size.

Prints runs per minute for the model alone (a plain loop over ``runner.run``), the sweep
with 1 worker (in-process), 2 worker processes and a 2-worker Dask LocalCluster; the
scaling efficiency (rate with 2 / (2 x rate with 1)); and the per-run overhead of the
sweep machinery (config building, Parquet parts, consolidation) against the model alone.
Wall times include pool / cluster start-up, as a user sees them.

    .venv/bin/python benchmarks/bench_sweep.py [--replications 50]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time
from pathlib import Path

from simulation.experiments.design import make_design, run_info
from simulation.experiments.spec import apply_values, load_experiment
from simulation.experiments.sweep import sweep
from simulation.io.scenario_io import validate
from simulation.runs.runner import run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--replications", type=int, default=50, help="per design point (default 50: the full 200 runs)"
    )
    args = ap.parse_args()
    os.environ["EGOV_SIM_NO_PROGRESS"] = "1"
    exp = dataclasses.replace(load_experiment("service_model_x_rollout"), replications=args.replications)
    design = make_design(exp)
    n = design.points * exp.replications
    print(f"2 x 2 experiment: {n} runs of {exp.months} months, {exp.base_config().citizens.count:,} citizens")

    base = exp.base_config().model_dump()
    start = time.perf_counter()
    for i in range(n):
        point, _, seed = run_info(exp, i)
        run(validate(apply_values(base, design.values[point]), "bench"), seed=seed, steps=exp.months)
    t_model = time.perf_counter() - start

    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, kw in (
            ("sweep, 1 worker", {"workers": 1}),
            ("sweep, 2 workers", {"workers": 2}),
            ("sweep, Dask LocalCluster (2)", {"workers": 2, "cluster": "local"}),
        ):
            start = time.perf_counter()
            sweep(exp, Path(tmp) / label.replace(" ", "_"), progress=False, **kw)
            times[label] = time.perf_counter() - start

    print(f"{'mode':32s} {'wall s':>8s} {'runs/min':>9s}")
    print(f"{'model alone (loop, 1 process)':32s} {t_model:8.1f} {n / t_model * 60:9.0f}")
    for label, t in times.items():
        print(f"{label:32s} {t:8.1f} {n / t * 60:9.0f}")
    r1 = n / times["sweep, 1 worker"]
    for label in ("sweep, 2 workers", "sweep, Dask LocalCluster (2)"):
        print(f"scaling efficiency, {label[7:]:24s}: {n / times[label] / (2 * r1):.2f}")
    overhead = (times["sweep, 1 worker"] - t_model) / n
    print(
        f"sweep overhead per run (1 worker vs model alone): {overhead * 1000:.1f} ms "
        f"({overhead / (t_model / n):.1%} of a run)"
    )


if __name__ == "__main__":
    main()
