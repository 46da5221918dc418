"""Whole-process start-up benchmark (issue 9): `egov-sim run` vs the bare numpy/scipy script.

    python benchmarks/bench_startup.py [--repeat 5] [--sizes 10000,100000]

For each size, N citizens x 120 months: the whole `egov-sim run` process (start-up, model,
output files and figure) against benchmarks/bass_bare.py (the minimum a run must do) as
fresh processes, alternated so both see the same machine load; best of --repeat each.
Target: ratio <= 3 at 100,000 citizens. Also prints what the parent process of `run`
imports (heavy modules only; "(_Deferred)": Mesa's package __init__ not run, "(_OnFirstUse)":
a stand-in, the real module not loaded) and how long those imports take.
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
BIN = Path(sys.executable).parent
HEAVY = ("mesa", "pandas", "networkx", "matplotlib", "scipy", "pyarrow", "dask", "solara", "tqdm")

PROBE = """
import sys, time
t = time.perf_counter()
import simulation.runner
took = time.perf_counter() - t
kinds = {{m: type(sys.modules[m]).__name__ for m in {heavy!r} if m in sys.modules}}
print(round(took, 3), ",".join(m + ("" if k == "module" else "(" + k + ")") for m, k in kinds.items()))
"""


def wall(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(
        cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env={**os.environ, "MPLBACKEND": "Agg"}
    )
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", default="10000,100000")
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    probe = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.split()
    print(
        f"import simulation.runner: {probe[0]} s, heavy modules loaded: {probe[1] if len(probe) > 1 else 'none'}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            bare, run = [], []
            for i in range(args.repeat):
                bare.append(
                    wall([sys.executable, "benchmarks/bass_bare.py", str(n), "120", f"{tmp}/bare.csv"])
                )
                run.append(
                    wall(
                        [
                            str(BIN / "egov-sim"),
                            "run",
                            "municipality_building_housing",
                            "--set",
                            f"citizens.count={n}",
                            "--steps",
                            "120",
                            "--out",
                            f"{tmp}/run-{n}-{i}",
                        ]
                    )
                )
            b, r = min(bare), min(run)
            target = " (target <= 3) " + ("OK" if r / b <= 3 else "MISSED") if n == 100_000 else ""
            print(
                f"{n:>9,} citizens x 120 months: egov-sim run {r:.2f} s (median {sorted(run)[len(run) // 2]:.2f}) "
                f"vs bare script {b:.2f} s (median {sorted(bare)[len(bare) // 2]:.2f}): ratio {r / b:.2f}{target}"
            )


if __name__ == "__main__":
    main()
