"""``egov-sim sweep``, ``analyse``, ``discover`` and ``advise`` (registered by simulation.cli)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from ..io.scenario_io import ScenarioError
from .design import DEFAULT_MAX_RUNS


def cmd_sweep(args: argparse.Namespace) -> int:
    from .spec import load_experiment, with_ensemble

    # Before pyarrow is imported: jemalloc/mimalloc keep freed row groups, so the parent's
    # memory would grow with the number of runs while consolidating; malloc returns them.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    from .sweep import failure_summary, sweep

    exp = with_ensemble(load_experiment(args.experiment, quick=args.quick), args.ensemble)
    if args.out:
        out = Path(args.out)
    else:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out = Path("results") / f"{stamp}-{exp.name}{'-quick' if args.quick else ''}"
    from .design import HARD_MAX_RUNS, check_size, make_design, planned_points
    from .sweep import run_count, write_draws

    # Size first: nothing is built or written for a design that is refused.
    check_size(exp, max_runs=args.max_runs, yes=args.yes, workers=args.workers)
    if exp.ensemble:
        planned = planned_points(exp) * exp.draw_axis * exp.replications
        what = f"{exp.source}: {planned:,} runs with --ensemble {exp.ensemble}"
        if planned > HARD_MAX_RUNS:
            raise ScenarioError(f"{what}; at most {HARD_MAX_RUNS:,} runs are possible (fewer draws)")
        if planned > args.max_runs and not args.yes:
            raise ScenarioError(
                f"{what}: more than --max-runs {args.max_runs:,}; pass --yes to run it anyway"
            )
    n = run_count(exp, make_design(exp))
    where = f"Dask cluster {args.cluster}" if args.cluster else f"{args.workers} worker(s)"
    per = exp.draw_axis * exp.replications
    draws = f" x {exp.draw_axis} draws ({exp.ensemble})" if exp.ensemble else ""
    print(
        f"{exp.name}: {exp.design} design, {n // per} points{draws} x {exp.replications} replications "
        f"= {n} runs of {exp.months} months on {where} -> {out}/",
        flush=True,
    )
    res = sweep(exp, out, workers=args.workers, cluster=args.cluster, resume=args.resume)
    write_draws(exp, out)
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

    folder = Path(args.dir)
    draws = _ensemble_draws(folder)
    report = analyse(folder) if draws is None else _analyse_ensemble(folder, draws)
    print(f"wrote {report} and {report.parent / 'figures'}/")
    return 0


def _ensemble_draws(folder: Path) -> int | None:
    """Draws per design point of an ``--ensemble`` sweep folder (None: not an ensemble sweep)."""
    import json

    try:
        exp = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["experiment"]
    except (OSError, ValueError, KeyError):
        return None  # analyse() explains what is missing
    if not exp.get("ensemble") or exp.get("point_draws"):
        return None
    return len(exp.get("draws", ())) or None


def _analyse_ensemble(folder: Path, n_draws: int) -> Path:
    """``analyse`` on an ensemble sweep: comparisons pair runs by (draw, replication), the
    same parameters and the same seed; report.md gets the parameter vs seed variance share."""
    import numpy as np
    import pandas as pd

    from ..runs.ensemble import variance_split
    from . import analyse as mod

    report = mod.analyse(folder)
    frame = pd.read_parquet(folder / "kpis.parquet")
    ok = frame[frame["error"].isna()]
    skip = {"run", "point", "draw", "replication", "seed", "error"}
    import json

    exp = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["experiment"]
    factors = {f["name"] for f in exp["factors"]}
    lines = [
        "",
        "## Parameter vs seed uncertainty (ensemble)",
        "",
        f"Ensemble `{exp['ensemble']}`: {n_draws} parameter draws (draws.csv) x {exp['replications']} seeds at "
        "every design point. Share of the within-point variance from the parameters, Var_d(E[y | d]), "
        "and from the seeds, E_d[Var(y | d)] (law of total variance), median over design points:",
        "",
        "| KPI | parameter share | seed share |",
        "|---|---|---|",
    ]
    for k in [c for c in ok.columns if c not in skip and c not in factors and not c.startswith("sc.")]:
        shares = []
        for _, grp in ok.groupby("point", sort=True):
            wide = grp.pivot_table(index="draw", columns="replication", values=k, aggfunc="first")
            shares.append(variance_split(wide.to_numpy(dtype=float)))
        p = np.array([s["param_share"] for s in shares], float)
        if not np.isfinite(p).any():
            continue
        q = np.array([s["seed_share"] for s in shares], float)
        lines.append(f"| `{k}` | {np.nanmedian(p):.2f} | {np.nanmedian(q):.2f} |")
    with report.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return report


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


ENSEMBLE_HELP = (
    "parameter ensemble: N posterior draws (data/posterior.csv; uncalibrated parameters from their "
    "priors), 'prior' or 'prior:N' (all from data/priors.toml, default N 20), 'defaults' (one draw: "
    "the scenario as written)"
)


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
    s.add_argument(
        "--ensemble",
        metavar="N|prior[:N]|defaults",
        help=ENSEMBLE_HELP + "; every design point runs every draw x every replication (same draws and "
        "seeds at every point); factors and [fixed] keys are not drawn; writes DIR/draws.csv",
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
        "--quick", action="store_true", help="9 strategies x 12 scenarios x 1 replication, 2,000 citizens"
    )
    v.add_argument(
        "--strategies",
        type=int,
        help="candidate strategies: the scenario as written, the 9 designs, then sampled ones (default 24)",
    )
    v.add_argument("--scenarios", type=int, help="uncertainty scenarios (default 32)")
    v.add_argument("--replications", type=int, help="replications per strategy and scenario (default 1)")
    v.add_argument("--months", type=int, help="horizon in months (default: the scenario's [run] months)")
    v.add_argument("--citizens", type=int, help="simulated citizens (default: the scenario's)")
    v.add_argument("--seed", type=int, help="master seed (default: the scenario's [run] seed)")
    v.add_argument("--seed2", type=int, help="master seed of the stability rerun (default: --seed + 1)")
    v.add_argument(
        "--no-stability",
        action="store_true",
        help="skip the stability rerun with the second seed (halves the runs)",
    )
    v.add_argument(
        "--candidate-seed",
        type=int,
        default=0,
        help="seed of the sampled candidates beyond the 9 designs (default 0; fixed, not the master seed)",
    )
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
    v.add_argument(
        "--ensemble",
        metavar="N|prior[:N]|defaults",
        help=ENSEMBLE_HELP + "; uncertainty scenario k gets draw k mod (number of draws), the same for every "
        "strategy (no extra runs); the uncertainty inputs and levers are not drawn; writes DIR/draws.csv",
    )
    v.set_defaults(func=cmd_advise)


__all__ = ["register", "ScenarioError"]
