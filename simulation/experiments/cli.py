"""``egov-sim sweep``, ``analyse``, ``discover`` and ``advise`` (registered by simulation.cli)."""

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


def cmd_discover(args: argparse.Namespace) -> int:
    from .discover import discover

    report = discover(
        Path(args.dir),
        args.kpi,
        below=args.below,
        above=args.above,
        false=args.false,
        out=Path(args.out) if args.out else None,
        boxes=args.boxes,
        min_density=args.min_density,
        peel_alpha=args.peel_alpha,
        mass_min=args.mass_min,
        inputs=args.inputs.split(",") if args.inputs else None,
    )
    print(report.read_text(encoding="utf-8").split("## Trade-off curve")[0].strip())
    print(f"wrote {report}, boxes.csv, peeling.csv and figures/discover_*.png in {report.parent}/")
    return 0


def cmd_advise(args: argparse.Namespace) -> int:
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    from .advise import advise_command

    return advise_command(args)


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

    d = sub.add_parser(
        "discover",
        help="scenario discovery (PRIM) on a sweep folder: where does a KPI condition hold?",
        description="PRIM boxes over the sweep's factors for a KPI condition; writes discovery.md, "
        "boxes.csv, peeling.csv and figures. See docs/EXPERIMENTS.md.",
    )
    d.add_argument("dir", help="output folder of 'egov-sim sweep'")
    d.add_argument("--kpi", required=True, help="KPI of the condition, e.g. collapsed or final_adoption")
    d.add_argument("--below", type=float, help="numeric KPI: cases are runs with KPI < X")
    d.add_argument("--above", type=float, help="numeric KPI: cases are runs with KPI > X")
    d.add_argument("--false", action="store_true", help="boolean KPI: cases are runs with KPI = false")
    d.add_argument("--boxes", type=int, default=2, help="boxes to find one after another (default 2)")
    d.add_argument("--min-density", type=float, default=0.8, help="density the chosen box must reach (0.8)")
    d.add_argument("--peel-alpha", type=float, default=0.05, help="share peeled per step (0.05)")
    d.add_argument("--mass-min", type=float, default=0.05, help="smallest box mass (0.05)")
    d.add_argument("--inputs", help="comma-separated factors to use (default: all)")
    d.add_argument("--out", help="output folder (default: the sweep folder)")
    d.set_defaults(func=cmd_discover)

    v = sub.add_parser(
        "advise",
        help="robust strategy search: change-strategy levers against uncertainty (Pareto set, regret, flips)",
        description="Search the change-strategy levers of a scenario against uncertainty in trust, resistance, "
        "readiness and Bass p, q with common random numbers, on the sweep engine; writes report.md, "
        "strategies.csv, scenarios.csv, regret.csv and figures. See docs/EXPERIMENTS.md.",
    )
    v.add_argument("scenario", help="scenario file or shipped name (see 'egov-sim scenarios')")
    v.add_argument(
        "--quick", action="store_true", help="8 strategies x 12 scenarios x 1 replication, 2,000 citizens"
    )
    v.add_argument(
        "--strategies", type=int, help="candidate strategies incl. the scenario's own (default 24)"
    )
    v.add_argument("--scenarios", type=int, help="uncertainty scenarios (default 32)")
    v.add_argument("--replications", type=int, help="replications per strategy and scenario (default 1)")
    v.add_argument("--months", type=int, help="horizon in months (default: the scenario's [run] months)")
    v.add_argument("--citizens", type=int, help="simulated citizens (default: the scenario's)")
    v.add_argument("--seed", type=int, help="master seed (default: the scenario's [run] seed)")
    v.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="OBJECTIVE=VALUE",
        help="satisficing threshold (cost, first_service, adoption, collapse, legitimacy); repeatable",
    )
    v.add_argument("--workers", type=int, default=2, help="worker processes (default 2; 1 runs in-process)")
    v.add_argument("--cluster", metavar="ADDRESS|local", help="run on Dask: 'local' or a scheduler address")
    v.add_argument("--out", help="output folder (default: results/<time>-advise-<scenario>)")
    v.add_argument("--resume", action="store_true", help="finish an interrupted advise run in --out")
    v.set_defaults(func=cmd_advise)


__all__ = ["register", "ScenarioError"]
