"""The ``egov-sim`` command: run, compare, scenarios, validate, params (+ plug-ins)."""

from __future__ import annotations

import argparse
import importlib
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .io.errors import ScenarioError
from .io.progress import _progress as _progress, progress_disabled as progress_disabled
from .runs.text import (
    _arrow as _arrow,
    _ci as _ci,
    compare_text as compare_text,
    ensemble_text as ensemble_text,
    fmt as fmt,
    scorecard_text as scorecard_text,
    table as table,
)

#: Modules that add sub-commands with ``register(subparsers)``; skipped when absent.
PLUGINS = (
    "simulation.experiments.cli",
    "simulation.experiments.decision_map_report",
    "simulation.webapp.cli",
    "simulation.validation.cli",
)


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


def _ensemble(args: argparse.Namespace, config):
    """The parsed ``--ensemble`` and its draws (master seed: ``--seed`` or the scenario's)."""
    if getattr(args, "ensemble", None) is None:
        return None, None  # without importing the ensemble module (start-up of `run`)
    from .runs.ensemble import make_draws, parse_ensemble

    spec = parse_ensemble(args.ensemble)
    if spec is None:
        return None, None
    seed = args.seed if args.seed is not None else config.run.seed
    return spec, make_draws(spec, seed)


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
def warn_about(config, name: str) -> None:
    """Print the scenario's set-up warnings (service_models.config_warnings) to stderr."""
    from .strategies.service_models import config_warnings

    for text in config_warnings(config):
        print(f"egov-sim: warning: {name}: {text}", file=sys.stderr)


def cmd_run(args: argparse.Namespace) -> int:
    # For --figure matplotlib, started by main() before anything heavy is imported: the
    # helper imports matplotlib on the other core while this process imports and runs.
    plotter = getattr(args, "plotter", None)
    if plotter is None and args.figure == "matplotlib":
        from .outputs.plot_process import Plotter

        plotter = Plotter()
    try:
        from .io.scenario_io import load_scenario, resolve_path
        from .runs.runner import default_out_dir, run, write_outputs

        sets = list(args.set)  # --seed and --steps are validated like [run] seed / months
        sets += [f"run.seed={args.seed}"] if args.seed is not None else []
        sets += [f"run.months={args.steps}"] if args.steps is not None else []
        sets += [f"citizens.count={args.citizens}"] if args.citizens is not None else []
        config = load_scenario(args.scenario, sets=sets)
        label = Path(str(args.scenario)).stem
        warn_about(config, label)
        out = Path(args.out) if args.out else default_out_dir(label)
        check_out_dir(out, args.force)
        result = run(config)
        extra, ens_summary = _run_ensemble(args, config, label)
        write_outputs(result, out, str(resolve_path(args.scenario)), plotter, extra=extra, figure=args.figure)
    finally:
        if plotter is not None:
            plotter.close()
    rows = [[k, fmt(result.kpis[k])] for k in SUMMARY_KPIS]
    print(
        f"{label}: {config.service.model}, {config.rollout.strategy}, seed {result.seed}, "
        f"{result.config.run.months} months, {config.citizens.count:,} {config.service.audience} "
        f"({result.wall_time:.2f} s)"
    )
    print(table(rows, ["kpi", "value"]))
    print("\nScorecard (perspective x relation; ↑ higher is better, ↓ lower is better):")
    print(scorecard_text(result.scorecard_rows))  # records: no pandas in run's parent
    print("\nWhat happened (events.csv has every event with its cause):")
    for line in result.narrative:
        print(f"  - {line}")
    if ens_summary:
        print(f"\n{ens_summary}")
    print(f"wrote {out}/ ({', '.join(p.name for p in sorted(out.iterdir()))})")
    return 0


def _run_ensemble(args: argparse.Namespace, config, label: str):
    """With ``--ensemble``: run every draw x ``--replications`` seeds; return a writer of
    ensemble_runs.csv, ensemble_summary.csv, draws.csv and ensemble_adoption.png, and a text."""
    spec, draws = _ensemble(args, config)
    if spec is None:
        return None, ""
    from .runs.ensemble import pinned_from_sets, run_ensemble, summary_rows

    reps = args.replications
    if reps < 1:
        raise ScenarioError(f"--replications: need at least 1, got {reps}")
    check_replications(len(draws) * reps, args.yes)
    pinned = pinned_from_sets(args.set) | {
        k for k, v in (("citizens.count", args.citizens),) if v is not None
    }
    rows, curves = run_ensemble(
        config,
        draws,
        reps,
        config.run.seed,
        workers=args.workers,
        pinned=pinned,
        progress=_progress("ensemble"),
    )
    summary = summary_rows(rows, len(draws), reps)

    def write(folder: Path) -> None:
        import pandas as pd

        from .outputs.plotting import plot_bands

        pd.DataFrame(rows).to_csv(folder / "ensemble_runs.csv", index=False)
        pd.DataFrame(summary).to_csv(folder / "ensemble_summary.csv", index=False)
        pd.DataFrame([{"draw": i, **d} for i, d in enumerate(draws)]).to_csv(
            folder / "draws.csv", index=False
        )
        plot_bands(
            {f"{label}: {spec.label} x {reps} seeds": curves["adoption"]},
            folder / "ensemble_adoption.png",
            title=f"Adoption over the ensemble ({spec.label} x {reps} seeds; mean, 95 % band)",
        )

    lines = [
        [
            r["kpi"],
            fmt(r["median"]),
            f"[{fmt(r['p05'])}, {fmt(r['p95'])}]",
            f"{r['param_share']:.0%} / {r['seed_share']:.0%}" if math.isfinite(r["param_share"]) else "–",
        ]
        for r in summary
        if r["kpi"] in SUMMARY_KPIS
    ]
    text = (
        f"Ensemble ({spec.label} x {reps} seeds; median and 5-95 % over all runs; variance from "
        "parameters / from seeds):\n" + table(lines, ["kpi", "median", "5-95 %", "var: params / seeds"])
    )
    return write, text


def _pair(args: argparse.Namespace):
    from .io.scenario_io import load_scenario

    if args.a is None:
        base = DEFAULT_SCENARIO
        a = load_scenario(base, sets=["service.model=integration", *args.set_a])
        b = load_scenario(base, sets=["service.model=fragmentation", *args.set_b])
        return a, b, ("integration", "fragmentation"), base
    b_name = args.b if args.b is not None else args.a
    a = load_scenario(args.a, sets=args.set_a)
    b = load_scenario(b_name, sets=args.set_b)
    la, lb = Path(str(args.a)).stem, Path(str(b_name)).stem
    warn_about(a, f"A ({la})")
    warn_about(b, f"B ({lb})")
    if la == lb:
        la, lb = (f"{la} [{' '.join(args.set_a) or 'as is'}]", f"{lb} [{' '.join(args.set_b) or 'as is'}]")
    return a, b, (la, lb), f"{la} vs {lb}"


def cmd_compare(args: argparse.Namespace) -> int:
    from .runs.compare import compare, write
    from .runs.runner import default_out_dir

    a, b, labels, title = _pair(args)
    if args.citizens or args.steps:
        # Re-validated, so --citizens and --steps get the checks of [citizens] count, [run] months.
        from .io.scenario_io import deep_merge, validate

        size: dict = {}
        if args.citizens:
            size["citizens"] = {"count": args.citizens}
        if args.steps:
            size["run"] = {"months": args.steps}
        flags = " ".join(f"--{k} {v}" for k, v in (("citizens", args.citizens), ("steps", args.steps)) if v)
        a = validate(deep_merge(a.model_dump(), size), flags)
        b = validate(deep_merge(b.model_dump(), size), flags)
    out = Path(args.out) if args.out else default_out_dir("compare")
    check_out_dir(out, args.force)
    spec, draws = _ensemble(args, a)
    check_replications(2 * args.replications * (len(draws) if draws else 1), args.yes)
    from .runs.ensemble import pinned_from_sets

    comp = compare(
        a,
        b,
        labels=labels,
        replications=args.replications,
        master_seed=args.seed,
        workers=args.workers,
        progress=_progress("compare"),
        draws=draws,
        pinned=(pinned_from_sets(args.set_a), pinned_from_sets(args.set_b)),
        ensemble_label=spec.label if spec else "",
    )
    if spec is None:
        print(f"{labels[0]}  vs  {labels[1]}: {args.replications} replications each, common random numbers")
    else:
        print(
            f"{labels[0]}  vs  {labels[1]}: ensemble of {spec.label} x {args.replications} replications "
            "(common parameters and common random numbers); the tables pool draws and seeds"
        )
    print(compare_text(comp))
    if comp.ensemble is not None:
        print()
        print(ensemble_text(comp))
    write(comp, out, title=f"Adoption: {labels[0]} vs {labels[1]} (mean, 95 % band)")
    print(
        f"wrote {out}/adoption_compare.png, compare_series.png, scorecard_compare.png, comparison.csv, "
        "scorecard_comparison.csv, replications.csv"
    )
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    from .io.scenario_io import describe, shipped_scenarios

    rows = [[name, describe(path)] for name, path in shipped_scenarios().items()]
    print(table(rows, ["scenario", "description"]))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .io.scenario_io import load_scenario

    for name in args.files:
        cfg = load_scenario(name, sets=args.set)
        warn_about(cfg, str(name))
        print(
            f"{name}: ok ({cfg.service.model}, {cfg.rollout.strategy}, "
            f"{cfg.departments.count} departments, {cfg.partners.count} partners, "
            f"{cfg.citizens.count:,} {cfg.service.audience}, {cfg.run.months} months)"
        )
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    import shutil

    from .outputs.docs import matching_rows, parameter_table, terminal_table

    if args.markdown:
        print(parameter_table())
        return 0
    from .runs.priors import shipped_priors

    rows = matching_rows(args.query)
    priors = {p.name: p for p in shipped_priors()}
    if args.query:
        # Group multipliers have priors but no row of their own.
        rows += [
            (n, "1", "[0, 10]", "Multiplier of every group's attribute (clipped to 0..1)")
            for n in priors
            if ".scale." in n and args.query in n
        ]
    if not rows:
        raise ScenarioError(f"params {args.query}: no parameter matches; try a section such as negotiation")
    rows = [
        (
            k,
            d,
            r,
            f"{desc.rstrip('.')}. Prior: {priors[k].describe()}. {priors[k].source}."
            if k in priors
            else desc,
        )
        for k, d, r, desc in rows
    ]
    print(terminal_table(rows, shutil.get_terminal_size((100, 24)).columns))
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from .io.atomic import atomic_write_text
    from .io.scenario_io import load_scenario, resolve_path
    from .outputs.docs import scenario_template

    path = Path(args.name if str(args.name).endswith(".toml") else f"{args.name}.toml")
    if path.exists() and not args.force:
        raise ScenarioError(f"{path}: exists already; choose another name or add --force to overwrite it")
    source = load_scenario(args.from_)
    title = (
        f"Scenario {path.stem}, from {resolve_path(args.from_).name}"
        if args.from_
        else f"Scenario {path.stem}, from the built-in defaults"
    )
    atomic_write_text(path, scenario_template(source, title))
    print(f"wrote {path} (every section and key; edit it, then: egov-sim validate {path})")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    import json

    from .outputs.docs import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if args.out:
        from .io.atomic import atomic_write_text

        atomic_write_text(Path(args.out), text)
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


# ---------------------------------------------------------------------- parser
ENSEMBLE_HELP = (
    "parameter ensemble: N posterior draws (data/posterior.csv; uncalibrated parameters from their "
    "priors), 'prior' or 'prior:N' (all from data/priors.toml, default N 20), 'defaults' (one draw: "
    "the scenario as written); every draw runs every replication seed"
)


def build_parser(plugins: bool = True) -> argparse.ArgumentParser:
    """The whole command line; without ``plugins`` only the built-in commands (run,
    compare, ...), so that running one of those does not import the experiment, app and
    validation modules (about 0.1 s of start-up)."""
    p = argparse.ArgumentParser(
        prog="egov-sim",
        description="Agent-based simulation of back-office integration in e-government.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("run", help="run one scenario and write its output folder")
    r.add_argument(
        "scenario",
        nargs="?",
        default=DEFAULT_SCENARIO,
        help=f"scenario file or shipped name (see 'egov-sim scenarios'; default {DEFAULT_SCENARIO})",
    )
    r.add_argument("--seed", type=int, help="master seed (default: [run] seed)")
    r.add_argument("--steps", type=int, help="months to simulate, i.e. [run] months (default: the file's)")
    r.add_argument(
        "--citizens", type=int, help="simulated citizens, i.e. [citizens] count (default: the file's)"
    )
    r.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a parameter (repeatable)",
    )
    r.add_argument("--out", help="output folder (default: results/<time>-<scenario>)")
    r.add_argument("--force", action="store_true", help="replace a non-empty --out folder")
    r.add_argument(
        "--figure",
        choices=("quick", "matplotlib"),
        default="quick",
        help="how adoption.png is drawn: quick = in-process with Pillow (default; no matplotlib "
        "start-up), matplotlib = the matplotlib figure, in a helper process",
    )
    r.add_argument(
        "--ensemble", metavar="N|prior[:N]|defaults", help=ENSEMBLE_HELP + " (besides the one run)"
    )
    r.add_argument("--replications", type=int, default=2, help="--ensemble: seeds per draw (default 2)")
    r.add_argument("--workers", type=int, default=1, help="--ensemble: processes (default 1)")
    r.add_argument("--yes", action="store_true", help=f"--ensemble: more than {MAX_COMPARE_RUNS:,} runs")
    r.set_defaults(func=cmd_run)

    c = sub.add_parser("compare", help="compare two scenarios over replications")
    c.add_argument("a", nargs="?", help="scenario A (default: municipality, integration)")
    c.add_argument("b", nargs="?", help="scenario B (default: A again, or fragmentation)")
    c.add_argument("--replications", type=int, default=5, help="replications each (default 5)")
    c.add_argument("--seed", type=int, help="master seed (default: A's [run] seed)")
    c.add_argument("--set-a", action="append", default=[], metavar="SECTION.KEY=VALUE")
    c.add_argument("--set-b", action="append", default=[], metavar="SECTION.KEY=VALUE")
    c.add_argument("--citizens", type=int, help="override [citizens] count in both")
    c.add_argument("--steps", type=int, help="override [run] months in both")
    c.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    c.add_argument("--out", help="output folder (default: results/<time>-compare)")
    c.add_argument("--force", action="store_true", help="replace a non-empty --out folder")
    c.add_argument("--yes", action="store_true", help=f"run more than {MAX_COMPARE_RUNS:,} runs in all")
    c.add_argument("--ensemble", metavar="N|prior[:N]|defaults", help=ENSEMBLE_HELP)
    c.set_defaults(func=cmd_compare)

    s = sub.add_parser("scenarios", help="list the shipped scenarios")
    s.set_defaults(func=cmd_scenarios)

    v = sub.add_parser("validate", help="check scenario files without running them")
    v.add_argument("files", nargs="+")
    v.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    v.set_defaults(func=cmd_validate)

    pa = sub.add_parser("params", help="print every parameter with unit, range and default")
    pa.add_argument("query", nargs="?", help="a section (negotiation), a key (trust.initial) or a word")
    pa.add_argument("--markdown", action="store_true", help="the full Markdown table (as in docs/ODD.md)")
    pa.set_defaults(func=cmd_params)

    it = sub.add_parser("init", help="write a commented scenario template with every section and key")
    it.add_argument("name", help="file to write (NAME or NAME.toml)")
    it.add_argument(
        "--from", dest="from_", metavar="SCENARIO", help="start from this scenario (default: built-in)"
    )
    it.add_argument("--force", action="store_true", help="overwrite an existing file")
    it.set_defaults(func=cmd_init)

    sc = sub.add_parser("schema", help="print the JSON Schema of scenario files (for editors)")
    sc.add_argument("--out", help="write it to this file instead")
    sc.set_defaults(func=cmd_schema)

    for name in PLUGINS if plugins else ():
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue
            raise
        module.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        return _broken_pipe()
    except SystemExit:  # argparse's --help, --version and usage errors
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            return _broken_pipe()
        raise


def _early_plotter(argv: list[str]):
    """For ``run --figure matplotlib`` (not its --help), the plotting helper process,
    started before the parser imports the plug-ins (configuration, numpy): its
    Python start and matplotlib import are then off the critical path. Stopped again if
    ``run`` fails."""
    words = argv[: argv.index("--")] if "--" in argv else argv
    if argv[:1] != ["run"] or "-h" in words or "--help" in words:
        return None
    pairs = list(zip(words, words[1:], strict=False))
    if ("--figure", "matplotlib") not in pairs and "--figure=matplotlib" not in words:
        return None
    from .outputs.plot_process import Plotter

    return Plotter()


#: Pydantic looks for plug-ins in every installed distribution's entry points when it
#: builds the experiment-file models (about 10 ms a command; scenario files do not use
#: pydantic, see simulation/sections.py); none observes our files. Set the variable (to an
#: empty value for all plug-ins) to keep them.
PYDANTIC_PLUGINS = "PYDANTIC_DISABLE_PLUGINS"


def _main(argv: Sequence[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    os.environ.setdefault(PYDANTIC_PLUGINS, "__all__")
    plotter = _early_plotter(argv)
    try:
        return _dispatch(argv, plotter)
    finally:
        if plotter is not None:
            plotter.close()


def _builtin_command(core: argparse.ArgumentParser, argv: list[str]) -> bool:
    """Whether ``argv`` names one of the commands the core parser ``core`` defines."""
    (sub,) = (a for a in core._actions if isinstance(a, argparse._SubParsersAction))
    return bool(argv) and argv[0] in sub.choices


def _dispatch(argv: list[str], plotter) -> int:
    core = build_parser(plugins=False)
    parser = core if _builtin_command(core, argv) else build_parser(plugins=True)
    args = parser.parse_args(argv)
    if plotter is not None and args.func is cmd_run:
        args.plotter = plotter
    for attr in ("replications", "workers", "steps", "citizens"):
        value = getattr(args, attr, None)
        if value is not None and value < 1:
            parser.error(f"--{attr} must be at least 1, got {value}")
    seed = getattr(args, "seed", None)
    if seed is not None and not 0 <= seed < 2**63:
        parser.error(f"--seed must be in [0, 2**63), got {seed}")
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except BrokenPipeError:
        return _broken_pipe()
    except ScenarioError as exc:
        print(f"egov-sim: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("egov-sim: interrupted", file=sys.stderr)
        return 130


def _broken_pipe() -> int:
    """The reader of stdout went away (``egov-sim params | head``): stop quietly, with the
    exit status of a process killed by SIGPIPE, as other command-line tools do."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's final flush must not fail
    except (OSError, ValueError):
        pass
    return 128 + 13


def entry() -> int:
    """The ``egov-sim`` console script: :func:`main`, then the garbage collector frozen
    before the interpreter exits. Its last collections otherwise walk every object the
    imports made (pydantic's schemas, numpy, pyarrow): about 0.09 s of every command on
    the machines we measure. Exit handlers (``atexit``, ``weakref.finalize``) still run and
    objects are still freed; only cyclic garbage left at exit is not collected, and nothing
    here leaves a file to be flushed by a finaliser (outputs are written and closed, then
    moved into place). :func:`main` itself leaves the collector alone, for callers such as
    tests that go on after it returns."""
    import gc

    try:
        return main()
    finally:
        gc.freeze()


if __name__ == "__main__":
    sys.exit(entry())
