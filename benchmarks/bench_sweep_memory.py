"""Parent memory of `egov-sim sweep` as the number of runs grows (issue 3: flat memory).

    python benchmarks/bench_sweep_memory.py

Runs the 2 x 2 design with tiny runs (200 citizens, 60 months) at 100 and 1,000
replications (400 and 4,000 runs) with 2 workers and prints the sweep process's peak
resident memory (VmHWM, sampled from /proc) for both. Workers are separate processes; their
memory does not depend on the number of runs either (one batch at a time).
"""

from __future__ import annotations

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
    with tempfile.TemporaryDirectory() as tmp:
        small, t_small = measure(100, Path(tmp))
        large, t_large = measure(1000, Path(tmp))
    print(f"  400 runs: parent peak {small / 1024:.0f} MiB ({t_small:.0f} s)")
    print(f"4,000 runs: parent peak {large / 1024:.0f} MiB ({t_large:.0f} s)")
    print(f"growth for 10x the runs: {100 * (large - small) / small:+.0f} %")


if __name__ == "__main__":
    main()
