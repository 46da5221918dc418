"""The ``egov-sim`` command: run, compare, scenarios, validate, params (+ plug-ins)."""

from __future__ import annotations

import argparse
import importlib
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .scenario_io import ScenarioError

#: Modules that add sub-commands with ``register(subparsers)``; skipped when absent.
PLUGINS = ("simulation.experiments.cli", "simulation.webapp.cli", "simulation.validation.cli")

DEFAULT_SCENARIO = "municipality_building_housing"
SUMMARY_KPIS = (
    "final_adoption",
    "months_to_50pct_adoption",
    "final_service_quality",
    "final_integration",
    "agreement_share",
    "failures",
    "stalled",
    "collapsed",
    "total_cost",
    "cost_per_adopter",
    "final_legitimacy",
)


def fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    for r in rows:
        out.append(
            "  ".join(
                str(c).rjust(w) if i else str(c).ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    return "\n".join(out)


def _progress(label: str):
    from tqdm import tqdm

    bar: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "b" not in bar:
            bar["b"] = tqdm(total=total, desc=label, unit="run", file=sys.stderr, leave=False)
        bar["b"].n = done
        bar["b"].refresh()
        if done == total:
            bar["b"].close()

    return update


def check_out_dir(out: Path, force: bool = False) -> None:
    """Refuse an --out that cannot become a folder (it, or a parent, is a file), or that is
    a non-empty folder without ``--force``, before running."""
    if out.is_dir() and not force:
        try:
            used = any(out.iterdir())
        except OSError as exc:
            raise ScenarioError(f"--out {out}: cannot read the folder ({exc.strerror})") from None
        if used:
            raise ScenarioError(
                f"--out {out}: folder exists and is not empty; pass --force to replace it "
                "(it is swapped for the new one in one step when the run has finished)"
            )
    for p in (out, *out.parents):
        if p.exists():
            if not p.is_dir():
                raise ScenarioError(f"--out {out}: {p} exists and is not a folder")
            return


#: Runs ``compare`` starts without ``--yes`` (both configurations together).
MAX_COMPARE_RUNS = 2_000
HARD_MAX_COMPARE_RUNS = 200_000


def check_replications(runs: int, yes: bool) -> None:
    if runs > HARD_MAX_COMPARE_RUNS:
        raise ScenarioError(
            f"--replications: 2 x {runs // 2:,} = {runs:,} runs; at most {HARD_MAX_COMPARE_RUNS:,} are possible"
        )
    if runs > MAX_COMPARE_RUNS and not yes:
        raise ScenarioError(
            f"--replications: 2 x {runs // 2:,} = {runs:,} runs, more than {MAX_COMPARE_RUNS:,}; "
            "pass --yes to run them anyway"
        )


# ---------------------------------------------------------------------- commands
def cmd_run(args: argparse.Namespace) -> int:
    from .runner import Plotter, default_out_dir, run, write_outputs
    from .scenario_io import load_scenario, resolve_path

    sets = list(args.set)  # --seed and --steps are validated like [run] seed / months
    sets += [f"run.seed={args.seed}"] if args.seed is not None else []
    sets += [f"run.months={args.steps}"] if args.steps is not None else []
    config = load_scenario(args.scenario, sets=sets)
    label = Path(str(args.scenario)).stem
    out = Path(args.out) if args.out else default_out_dir(label)
    check_out_dir(out, args.force)
    plotter = Plotter()  # imports matplotlib on the other core while the model runs
    try:
        result = run(config)
        write_outputs(result, out, str(resolve_path(args.scenario)), plotter)
    finally:
        plotter.close()
    rows = [[k, fmt(result.kpis[k])] for k in SUMMARY_KPIS]
    print(
        f"{label}: {config.service.model}, {config.rollout.strategy}, seed {result.seed}, "
        f"{result.config.run.months} months, {config.citizens.count:,} {config.service.audience} "
        f"({result.wall_time:.2f} s)"
    )
    print(table(rows, ["kpi", "value"]))
    print(f"wrote {out}/ ({', '.join(p.name for p in sorted(out.iterdir()))})")
    return 0


def _pair(args: argparse.Namespace):
    from .scenario_io import load_scenario

    if args.a is None:
        base = DEFAULT_SCENARIO
        a = load_scenario(base, sets=["service.model=integration", *args.set_a])
        b = load_scenario(base, sets=["service.model=fragmentation", *args.set_b])
        return a, b, ("integration", "fragmentation"), base
    b_name = args.b if args.b is not None else args.a
    a = load_scenario(args.a, sets=args.set_a)
    b = load_scenario(b_name, sets=args.set_b)
    la, lb = Path(str(args.a)).stem, Path(str(b_name)).stem
    if la == lb:
        la, lb = (f"{la} [{' '.join(args.set_a) or 'as is'}]", f"{lb} [{' '.join(args.set_b) or 'as is'}]")
    return a, b, (la, lb), f"{la} vs {lb}"


def cmd_compare(args: argparse.Namespace) -> int:
    from .compare import compare, write
    from .runner import default_out_dir

    a, b, labels, title = _pair(args)
    if args.citizens:
        # Re-validated, so --citizens gets the range and memory checks of [citizens] count.
        from .scenario_io import deep_merge, validate

        size = {"citizens": {"count": args.citizens}}
        a = validate(deep_merge(a.model_dump(), size), f"--citizens {args.citizens}")
        b = validate(deep_merge(b.model_dump(), size), f"--citizens {args.citizens}")
    out = Path(args.out) if args.out else default_out_dir("compare")
    check_out_dir(out, args.force)
    check_replications(2 * args.replications, args.yes)
    comp = compare(
        a,
        b,
        labels=labels,
        replications=args.replications,
        master_seed=args.seed,
        workers=args.workers,
        progress=_progress("compare"),
    )
    rows = [
        [
            d["kpi"],
            d["unit"],
            fmt(d[labels[0]]),
            fmt(d[labels[1]]),
            fmt(d["difference"]),
            f"[{fmt(d['ci_low'])}, {fmt(d['ci_high'])}]",
        ]
        for d in comp.table.to_dict("records")
    ]
    print(f"{labels[0]}  vs  {labels[1]}: {args.replications} replications each, common random numbers")
    print(table(rows, ["kpi", "unit", "A: " + labels[0][:28], "B: " + labels[1][:28], "B - A", "95 % CI"]))
    write(comp, out, title=f"Adoption: {labels[0]} vs {labels[1]} (mean, 95 % band)")
    print(f"wrote {out}/adoption_compare.png, comparison.csv, replications.csv")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    from .scenario_io import describe, shipped_scenarios

    rows = [[name, describe(path)] for name, path in shipped_scenarios().items()]
    print(table(rows, ["scenario", "description"]))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .scenario_io import load_scenario

    for name in args.files:
        cfg = load_scenario(name, sets=args.set)
        print(
            f"{name}: ok ({cfg.service.model}, {cfg.rollout.strategy}, "
            f"{cfg.departments.count} departments, {cfg.partners.count} partners, "
            f"{cfg.citizens.count:,} {cfg.service.audience}, {cfg.run.months} months)"
        )
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    from .docs import parameter_table

    print(parameter_table())
    return 0


# ---------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="egov-sim",
        description="Agent-based simulation of back-office integration in e-government.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("run", help="run one scenario and write its output folder")
    r.add_argument("scenario", help="scenario file or shipped name (see 'egov-sim scenarios')")
    r.add_argument("--seed", type=int, help="master seed (default: [run] seed)")
    r.add_argument("--steps", type=int, help="months to simulate (default: [run] months)")
    r.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a parameter (repeatable)",
    )
    r.add_argument("--out", help="output folder (default: results/<time>-<scenario>)")
    r.add_argument("--force", action="store_true", help="replace a non-empty --out folder")
    r.set_defaults(func=cmd_run)

    c = sub.add_parser("compare", help="compare two scenarios over replications")
    c.add_argument("a", nargs="?", help="scenario A (default: municipality, integration)")
    c.add_argument("b", nargs="?", help="scenario B (default: A again, or fragmentation)")
    c.add_argument("--replications", type=int, default=5, help="replications each (default 5)")
    c.add_argument("--seed", type=int, help="master seed (default: A's [run] seed)")
    c.add_argument("--set-a", action="append", default=[], metavar="SECTION.KEY=VALUE")
    c.add_argument("--set-b", action="append", default=[], metavar="SECTION.KEY=VALUE")
    c.add_argument("--citizens", type=int, help="override [citizens] count in both")
    c.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    c.add_argument("--out", help="output folder (default: results/<time>-compare)")
    c.add_argument("--force", action="store_true", help="replace a non-empty --out folder")
    c.add_argument("--yes", action="store_true", help=f"run more than {MAX_COMPARE_RUNS:,} runs in all")
    c.set_defaults(func=cmd_compare)

    s = sub.add_parser("scenarios", help="list the shipped scenarios")
    s.set_defaults(func=cmd_scenarios)

    v = sub.add_parser("validate", help="check scenario files without running them")
    v.add_argument("files", nargs="+")
    v.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    v.set_defaults(func=cmd_validate)

    pa = sub.add_parser("params", help="print every parameter with unit, range and default")
    pa.set_defaults(func=cmd_params)

    for name in PLUGINS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue
            raise
        module.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for attr in ("replications", "workers", "steps", "citizens"):
        value = getattr(args, attr, None)
        if value is not None and value < 1:
            parser.error(f"--{attr} must be at least 1, got {value}")
    seed = getattr(args, "seed", None)
    if seed is not None and not 0 <= seed < 2**63:
        parser.error(f"--seed must be in [0, 2**63), got {seed}")
    try:
        return int(args.func(args) or 0)
    except ScenarioError as exc:
        print(f"egov-sim: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("egov-sim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
