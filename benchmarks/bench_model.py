"""Speed and memory benchmarks of the core model (issue 2 targets). Prints figures.

    python benchmarks/bench_model.py [--quick]

1. 100,000 citizens x 120 months of the full model, construction included (in-process,
   one core): target < 2 s.
2. The whole `egov-sim run` process at that size vs a bare numpy/scipy-sparse Bass script
   (benchmarks/bass_bare.py), both as fresh processes, best of 3: target ratio <= 3.
3. The citizen rules vectorised vs the same rules as a per-agent step() loop run with
   AgentSet.do (benchmarks/per_agent.py), 10,000 citizens x 120 months: target ratio >= 50
   (time spent in the citizens' monthly update; the whole-model ratio is printed too).
4. 1,000,000 citizens x 120 months in a fresh process: target < 20 s and peak RSS < 1.5 GB.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

from simulation import EGovModel  # noqa: E402

MODEL_RUN = """
import sys, time, resource
t = time.perf_counter()
from simulation import EGovModel
m = EGovModel(citizens_count=int(sys.argv[1]), run_months=int(sys.argv[2]))
while m.running:
    m.step()
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def in_process(n: int, months: int, cls=None) -> float:
    cls = cls or EGovModel
    t = time.perf_counter()
    m = cls(citizens_count=n, run_months=months)
    while m.running:
        m.step()
    return time.perf_counter() - t


def timed(cls, n: int, months: int) -> tuple[float, float]:
    """(whole run, time spent in the citizens' monthly update) in seconds."""
    spent = [0.0]

    class Timed(cls):
        def _citizens_month(self) -> None:
            t = time.perf_counter()
            super()._citizens_month()
            spent[0] += time.perf_counter() - t

    t = time.perf_counter()
    m = Timed(citizens_count=n, run_months=months)
    while m.running:
        m.step()
    return time.perf_counter() - t, spent[0]


def wall(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="skip the 1,000,000-citizen run")
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")

    in_process(1000, 12)  # warm caches
    t1 = min(in_process(100_000, 120) for _ in range(3))
    print(
        f"[1] 100,000 citizens x 120 months, construction included: {t1:.2f} s (target < 2 s) "
        f"{'OK' if t1 < 2 else 'MISSED'}"
    )

    with tempfile.TemporaryDirectory() as tmp:
        bare = min(
            wall([sys.executable, "benchmarks/bass_bare.py", "100000", "120", f"{tmp}/bare.csv"])
            for _ in range(3)
        )
        run = min(
            wall(
                [
                    str(BIN / "egov-sim"),
                    "run",
                    "municipality_building_housing",
                    "--set",
                    "citizens.count=100000",
                    "--steps",
                    "120",
                    "--out",
                    f"{tmp}/run{i}",
                ]
            )
            for i in range(3)
        )
    ratio = run / bare
    print(
        f"[2] egov-sim run process {run:.2f} s vs bare numpy Bass script {bare:.2f} s: "
        f"ratio {ratio:.2f} (target <= 3) {'OK' if ratio <= 3 else 'MISSED'}"
    )

    from per_agent import PerAgentModel

    # Best of 5 for each figure separately (timeit's convention: the least disturbed run).
    vec_runs = [timed(EGovModel, 10_000, 120) for _ in range(5)]
    loop_runs = [timed(PerAgentModel, 10_000, 120) for _ in range(5)]
    vec, vec_cit = min(r[0] for r in vec_runs), min(r[1] for r in vec_runs)
    loop, loop_cit = min(r[0] for r in loop_runs), min(r[1] for r in loop_runs)
    r_cit, r_all = loop_cit / vec_cit, loop / vec
    print(
        f"[3] 10,000 citizens x 120 months, citizen rules per month: vectorised {vec_cit:.3f} s vs "
        f"per-agent step() loop {loop_cit:.2f} s: {r_cit:.0f}x faster (target >= 50x) "
        f"{'OK' if r_cit >= 50 else 'MISSED'}"
    )
    print(
        f"    whole model (the same 10 parties' per-agent logic in both): vectorised {vec:.3f} s vs "
        f"{loop:.2f} s: {r_all:.0f}x"
    )

    if not args.quick:
        out = subprocess.run(
            [sys.executable, "-c", MODEL_RUN, "1000000", "120"],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout.split()
        secs, rss_kb = float(out[0]), int(out[1])
        peak = max(rss_kb * 1024, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
        print(
            f"[4] 1,000,000 citizens x 120 months: {secs:.1f} s (target < 20 s), peak memory "
            f"{peak / 2**30:.2f} GiB (target < 1.5 GB = 1.40 GiB) "
            f"{'OK' if secs < 20 and peak < 1.5e9 else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
