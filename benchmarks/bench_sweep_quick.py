"""Sweep efficiency on the quick sweeps (issue 22): whole `egov-sim sweep --quick` processes.

    python benchmarks/bench_sweep_quick.py [--experiments trust_x_compensation,...] [--pairs 3]
                                           [--no-dask]

For each experiment, rounds of three commands run in turn (so the ratios are paired on the
same machine load): ``--workers 1``, ``--workers 2``, and ``--cluster HOST:PORT`` on a Dask
cluster started once beforehand as a user would (a separate ``dask scheduler`` and two
``dask worker --nthreads 1`` processes with ``--preload simulation.experiments.sweep``, so
they import the model once, not per sweep). Efficiency = T(1 worker) / (2 x T(2 workers)),
per round; the median is printed. Every sweep's kpis.parquet and timeseries.parquet are
compared byte for byte with the 1-worker sweep's.

Also printed, labelled as such and not instead of the target: the efficiency inside
``sweep()`` (the manifest's ``execution.elapsed_s``: design, runs, consolidation; without
Python's start, imports and exit), and the whole-process bound, the efficiency the
2-worker sweep would reach if everything inside ``sweep()`` ran twice as fast:
T1 / (2 (S + E1 / 2)) with S = T1 - E1 the serial rest.

Also printed: what the machine itself allows, the efficiency of perfectly parallel work,
c = T1 / T(two independent 1-worker sweeps started together). No 2-worker sweep can beat it:
it has the same work plus a serial start. Both bounds together, T1 / (2 (S + E1 / (2 c))),
are the most a 2-worker sweep could reach on this machine in that round.

Also printed: the least serial rest any sweep has, a whole process that only imports the
model (``python -c "import simulation.model"``, median of 5), against the serial rest the
2-worker target allows with perfect scaling, E1 (1 - e) / (2 e - 1) for efficiency e: 0.9
needs at most E1 / 8. Where the import alone takes longer, no change inside the sweep can
reach the target on that experiment.

Targets (issue 22): >= 0.9 with 2 workers, >= 0.85 on Dask.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TARGETS = {"2 workers": 0.9, "Dask": 0.85}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_dask(tmp: Path) -> tuple[str, list[subprocess.Popen]]:
    """A scheduler and two single-threaded workers, as separate processes."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = (tmp / "dask.log").open("w")
    procs = [
        subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=log,
            stderr=log,
        )
    ]
    time.sleep(2)
    for _ in range(2):
        worker = [str(BIN / "dask"), "worker", address, "--nthreads", "1", "--nworkers", "1"]
        worker += ["--no-dashboard", "--preload", "simulation.experiments.sweep"]
        procs.append(subprocess.Popen(worker, stdout=log, stderr=log, cwd=ROOT))
    from distributed import Client

    with Client(address, timeout="30s") as client:
        client.wait_for_workers(2, timeout=60)
    return address, procs


def timed(args: list[str], out: Path) -> float:
    cmd = [str(BIN / "egov-sim"), "sweep", *args, "--out", str(out)]
    env = {**os.environ, "EGOV_SIM_NO_PROGRESS": "1"}
    t = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def timed_together(args: list[str], outs: list[Path]) -> float:
    """Seconds until both of two independent sweeps, started at once, have finished."""
    env = {**os.environ, "EGOV_SIM_NO_PROGRESS": "1"}
    t = time.perf_counter()
    procs = [
        subprocess.Popen(
            [str(BIN / "egov-sim"), "sweep", *args, "--out", str(out)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        for out in outs
    ]
    codes = [proc.wait() for proc in procs]  # both reaped, whatever happens to one
    if any(codes):
        raise SystemExit(f"bench_sweep_quick: {' '.join(args)} failed (exit {codes})")
    return time.perf_counter() - t


def model_import_seconds(repeats: int = 5) -> float:
    """Median wall time of a whole process that only imports the model."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import simulation.model"], check=True, cwd=ROOT)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def allowed_rest(e1: float, efficiency: float) -> float:
    """Serial rest S at which T1 / (2 (S + E1 / 2)) equals ``efficiency`` (T1 = S + E1)."""
    return e1 * (1 - efficiency) / (2 * efficiency - 1)


def inside(out: Path) -> float:
    """Seconds spent inside ``sweep()``, from the manifest."""
    return float(json.loads((out / "manifest.json").read_text())["execution"]["elapsed_s"])


def same(a: Path, b: Path) -> bool:
    return all(filecmp.cmp(a / f, b / f, shallow=False) for f in ("kpis.parquet", "timeseries.parquet"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--experiments", default="trust_x_compensation,service_model_x_rollout")
    ap.add_argument("--pairs", type=int, default=3, help="rounds per experiment (default 3)")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask cluster")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        address, procs = (None, []) if args.no_dask else start_dask(tmp)
        try:
            for name in args.experiments.split(","):
                load = os.getloadavg()
                print(f"{name} --quick: load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
                times: dict[str, list[float]] = {"1 worker": [], "2 workers": [], "Dask": []}
                together: list[float] = []
                within: dict[str, list[float]] = {"1 worker": [], "2 workers": [], "Dask": []}
                modes = {"1 worker": ["--workers", "1"], "2 workers": ["--workers", "2"]}
                if address:
                    modes["Dask"] = ["--cluster", address]
                for r in range(args.pairs):
                    for mode, flags in modes.items():
                        out = tmp / f"{name}-{mode.replace(' ', '_')}-{r}"
                        times[mode].append(timed([name, "--quick", *flags], out))
                        within[mode].append(inside(out))
                        if mode != "1 worker" and not same(tmp / f"{name}-1_worker-{r}", out):
                            raise SystemExit(
                                f"bench_sweep_quick: {name} {mode}: outputs differ from 1 worker"
                            )
                    pair = [tmp / f"{name}-together-{r}-{k}" for k in (0, 1)]
                    together.append(timed_together([name, "--quick", "--workers", "1"], pair))
                t1 = times["1 worker"]
                line = f"    1 worker {statistics.median(t1):.2f} s"
                row = [name, f"{statistics.median(t1):.2f} s"]
                for mode in ("2 workers", "Dask"):
                    if not times[mode]:
                        row += ["—", "—"]
                        continue
                    eff = statistics.median(a / (2 * b) for a, b in zip(t1, times[mode], strict=True))
                    verdict = "met" if eff >= TARGETS[mode] else "missed"
                    line += f"; {mode} {statistics.median(times[mode]):.2f} s, efficiency {eff:.2f} "
                    line += f"(target >= {TARGETS[mode]}: {verdict})"
                    row += [f"{statistics.median(times[mode]):.2f} s", f"{eff:.2f}"]
                print(line + "; outputs identical", flush=True)
                e1 = within["1 worker"]
                inner = statistics.median(a / (2 * b) for a, b in zip(e1, within["2 workers"], strict=True))
                bound = statistics.median(t / (2 * (t - e + e / 2)) for t, e in zip(t1, e1, strict=True))
                print(
                    f"    inside sweep(): 1 worker {statistics.median(e1):.2f} s, 2 workers "
                    f"{statistics.median(within['2 workers']):.2f} s, efficiency {inner:.2f}; serial rest "
                    f"(start, imports, exit) {statistics.median(t - e for t, e in zip(t1, e1, strict=True)):.2f} s, "
                    f"whole-process bound {bound:.2f}",
                    flush=True,
                )
                scaling = [a / b for a, b in zip(t1, together, strict=True)]
                ceiling = statistics.median(scaling)
                print(
                    f"    machine: two independent 1-worker sweeps at once take "
                    f"{statistics.median(together):.2f} s (one alone {statistics.median(t1):.2f} s); "
                    f"efficiency of perfectly parallel work here {ceiling:.2f}",
                    flush=True,
                )
                # The whole-process bound again, with sweep() scaling only as well as the
                # machine lets two independent processes scale: T1 / (2 (S + E1 / (2 c))).
                machine_bound = statistics.median(
                    t / (2 * (t - e + e / (2 * c))) for t, e, c in zip(t1, e1, scaling, strict=True)
                )
                print(
                    f"    bound with this machine's scaling (serial rest + sweep() / (2 x {ceiling:.2f})): "
                    f"{machine_bound:.2f}",
                    flush=True,
                )
                allowed = allowed_rest(statistics.median(e1), TARGETS["2 workers"])
                floor = model_import_seconds()
                verdict = "so the target is out of reach" if floor > allowed else "so not ruled out"
                print(
                    f"    with perfect scaling, {TARGETS['2 workers']} needs a serial rest <= {allowed:.2f} s; "
                    f"a process that only imports the model takes {floor:.2f} s, {verdict}",
                    flush=True,
                )
                rows.append(row)
        finally:
            for p in reversed(procs):
                p.terminate()
            for p in procs:
                p.wait(timeout=30)
    print("\n| quick sweep | 1 worker | 2 workers | efficiency | Dask (2 workers) | efficiency |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
