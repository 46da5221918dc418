"""``egov-sim sweep`` and ``egov-sim analyse`` (registered by simulation.cli)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from ..scenario_io import ScenarioError
from .design import DEFAULT_MAX_RUNS


def cmd_sweep(args: argparse.Namespace) -> int:
    from .spec import load_experiment

    # Before pyarrow is imported: jemalloc/mimalloc keep freed row groups, so the parent's
    # memory would grow with the number of runs while consolidating; malloc returns them.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    from .sweep import failure_summary, sweep

    exp = load_experiment(args.experiment, quick=args.quick)
    if args.out:
        out = Path(args.out)
    else:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out = Path("results") / f"{stamp}-{exp.name}{'-quick' if args.quick else ''}"
    from .design import check_size, make_design, run_count

    # Size first: nothing is built or written for a design that is refused.
    check_size(exp, max_runs=args.max_runs, yes=args.yes, workers=args.workers)
    n = run_count(exp, make_design(exp))
    where = f"Dask cluster {args.cluster}" if args.cluster else f"{args.workers} worker(s)"
    print(
        f"{exp.name}: {exp.design} design, {n // exp.replications} points x {exp.replications} replications "
        f"= {n} runs of {exp.months} months on {where} -> {out}/",
        flush=True,
    )
    res = sweep(exp, out, workers=args.workers, cluster=args.cluster, resume=args.resume)
    rate = res.ran / res.elapsed * 60 if res.elapsed > 0 else float("nan")
    print(
        f"done: {res.runs} runs ({res.ran} now, {rate:,.0f} runs/min), {res.failures} failed; "
        f"wrote {out}/kpis.parquet, timeseries.parquet, manifest.json"
    )
    if res.failures:
        print(f"egov-sim: {res.failures} of {res.runs} runs failed:", file=sys.stderr)
        for line in failure_summary(out):
            print(f"  {line}", file=sys.stderr)
        if res.failures > 10:
            print(
                f"  ... and {res.failures - 10} more (see the error column of kpis.parquet)", file=sys.stderr
            )
        return 1
    return 0


def cmd_analyse(args: argparse.Namespace) -> int:
    from .analyse import analyse

    report = analyse(Path(args.dir))
    print(f"wrote {report} and {report.parent / 'figures'}/")
    return 0


def register(sub: Any) -> None:
    """Add the ``sweep`` and ``analyse`` sub-commands to the ``egov-sim`` parser."""
    s = sub.add_parser(
        "sweep",
        help="run an experiment (design x replications), resumable, on processes or Dask",
        description="Run an experiment file (or shipped experiment name) and write DIR/kpis.parquet, "
        "DIR/timeseries.parquet and DIR/manifest.json. See docs/EXPERIMENTS.md.",
    )
    s.add_argument("experiment", help="experiment file or shipped name (experiments/*.toml)")
    s.add_argument("--workers", type=int, default=2, help="worker processes (default 2; 1 runs in-process)")
    s.add_argument(
        "--cluster",
        metavar="ADDRESS|local",
        help="run on Dask: 'local' starts a LocalCluster, else a scheduler",
    )
    s.add_argument("--out", help="output folder (default: results/<time>-<experiment>)")
    s.add_argument("--resume", action="store_true", help="finish an interrupted sweep in --out")
    s.add_argument("--quick", action="store_true", help="reduced version ([quick] table): about a minute")
    s.add_argument("--yes", action="store_true", help="run even if the design has more than --max-runs runs")
    s.add_argument(
        "--max-runs",
        type=int,
        default=DEFAULT_MAX_RUNS,
        help=f"runs allowed without --yes (default {DEFAULT_MAX_RUNS:,})",
    )
    s.set_defaults(func=cmd_sweep)

    a = sub.add_parser("analyse", help="statistics, figures and report.md of a sweep folder")
    a.add_argument("dir", help="output folder of 'egov-sim sweep'")
    a.set_defaults(func=cmd_analyse)


__all__ = ["register", "ScenarioError"]
