"""Parent memory of `egov-sim sweep` as the number of runs grows (issue 3: flat memory).

    python benchmarks/bench_sweep_memory.py [--reps 100,1000,10000]

Runs the 2 x 2 design with tiny runs (200 citizens, 60 months) at 100 and 1,000
replications (400 and 4,000 runs; ``--reps`` for others, e.g. 10,000 for 40,000 runs) with
2 workers and prints the sweep process's peak resident memory (VmHWM, sampled from /proc)
for each, and its growth against the smallest. Workers are separate processes; their
memory does not depend on the number of runs either (one batch at a time).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENT = """# Memory check: many tiny runs.
[experiment]
base = "municipality_building_housing"
design = "factorial"
replications = {reps}
months = 60
seed = 1

[fixed]
citizens.count = 200

[factors]
service.model = ["integration", "fragmentation"]
rollout.strategy = ["big_bang", "phased"]
"""


def peak_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def measure(reps: int, tmp: Path) -> tuple[int, float]:
    exp = tmp / f"memory_{reps}.toml"
    exp.write_text(EXPERIMENT.format(reps=reps), encoding="utf-8")
    cmd = [
        str(Path(sys.executable).parent / "egov-sim"),
        "sweep",
        str(exp),
        "--workers",
        "2",
        "--out",
        str(tmp / f"out_{reps}"),
        "--yes",
    ]
    env = {**os.environ, "EGOV_SIM_NO_PROGRESS": "1"}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, peak_kib(proc.pid))
        except OSError:
            break
        time.sleep(0.2)
    if proc.returncode:
        raise SystemExit(f"sweep failed with exit code {proc.returncode}")
    return peak, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", default="100,1000", help="replications per design point, comma-separated")
    reps = sorted({int(r) for r in parser.parse_args().reps.split(",")})
    base = None
    with tempfile.TemporaryDirectory() as tmp:
        for r in reps:
            peak, wall = measure(r, Path(tmp))
            base = base or peak
            print(
                f"{4 * r:>7,} runs: parent peak {peak / 1024:.0f} MiB ({wall:.0f} s), "
                f"{100 * (peak - base) / base:+.0f} % against {4 * reps[0]:,} runs",
                flush=True,
            )


if __name__ == "__main__":
    main()
