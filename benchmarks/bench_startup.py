"""Whole-process start-up benchmark (issue 9): `egov-sim run` vs the bare numpy/scipy script.

    python benchmarks/bench_startup.py [--repeat 5] [--sizes 10000,100000] [--baseline DIR]

For each size, N citizens x 120 months: the whole `egov-sim run` process (start-up, model,
output files and figure) against benchmarks/bass_bare.py (the minimum a run must do) as
fresh processes, alternated so both see the same machine load; best of --repeat each.
Target: ratio <= 3 at 100,000 citizens. ``--baseline DIR``: also time another version of
the package (a folder holding ``simulation/``, ``scenarios/`` and ``pyproject.toml``, e.g.
``git archive OLD pyproject.toml simulation scenarios experiments data | tar x -C DIR``),
first on PYTHONPATH, in the same rounds, for a fair before/after on a busy machine.

Also prints what the parent process of `run` imports (heavy modules only; "(_Deferred)":
Mesa's package __init__ not run; "(_OnFirstUse)": a stand-in, the real module not loaded)
and how long those imports take.
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
import simulation.runs.runner
took = time.perf_counter() - t
kinds = {{m: type(sys.modules[m]).__name__ for m in {heavy!r} if m in sys.modules}}
print(round(took, 3), ",".join(m + ("" if k == "module" else "(" + k + ")") for m, k in kinds.items()))
"""


def wall(cmd: list[str], pythonpath: str | None = None) -> float:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=env)
    return time.perf_counter() - t


def run_cmd(n: int, out: str) -> list[str]:
    return [
        str(BIN / "egov-sim"),
        "run",
        "municipality_building_housing",
        "--set",
        f"citizens.count={n}",
        "--steps",
        "120",
        "--out",
        out,
    ]


def summary(times: list[float]) -> str:
    return f"{min(times):.2f} s (median {sorted(times)[len(times) // 2]:.2f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--baseline", help="folder with another version's simulation/ package")
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
        f"import simulation.runs.runner: {probe[0]} s, heavy modules loaded: {probe[1] if len(probe) > 1 else 'none'}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            bare, run, base = [], [], []
            for i in range(args.repeat):
                bare.append(
                    wall([sys.executable, "benchmarks/bass_bare.py", str(n), "120", f"{tmp}/bare.csv"])
                )
                run.append(wall(run_cmd(n, f"{tmp}/run-{n}-{i}")))
                if args.baseline:
                    base.append(wall(run_cmd(n, f"{tmp}/base-{n}-{i}"), args.baseline))
            b, r = min(bare), min(run)
            target = " (target <= 3) " + ("OK" if r / b <= 3 else "MISSED") if n == 100_000 else ""
            print(
                f"{n:>9,} citizens x 120 months: egov-sim run {summary(run)} vs bare script "
                f"{summary(bare)}: ratio {r / b:.2f}{target}"
            )
            if base:
                print(f"{'':>9} baseline {args.baseline}: {summary(base)}: ratio {min(base) / b:.2f}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
