"""``egov-sim validate-patterns [--quick]`` and ``egov-sim calibrate`` (plug-in of simulation.cli)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..io.scenario_io import ScenarioError


def _out(args: argparse.Namespace, quick: bool) -> Path:
    if args.out:
        return Path(args.out)
    if quick:
        # A quick run never overwrites the committed report.
        return Path("results") / f"{time.strftime('%Y%m%d-%H%M%S')}-validation-quick"
    return Path("docs")


def _names(value: str | None, allowed: list[str], flag: str) -> list[str] | None:
    if not value:
        return None
    names = [x.strip() for x in value.split(",") if x.strip()]
    bad = [n for n in names if n not in allowed]
    if bad:
        raise ScenarioError(f"{flag}: unknown {bad}; allowed: {', '.join(allowed)}")
    return names


def merge(previous: dict | list | None, fresh: dict) -> dict:
    """``fresh`` results laid over ``previous`` ones: a pattern's cells replace the same
    cells of the stored pattern; other patterns and cells stay (a partial run)."""
    if not isinstance(previous, dict) or "patterns" not in previous:
        return fresh
    old = {p["number"]: p for p in previous["patterns"]}
    for p in fresh["patterns"]:
        if p["number"] in old:
            mine = {(c["scenario"], c["region"]) for c in p["cells"]}
            kept = [c for c in old[p["number"]]["cells"] if (c["scenario"], c["region"]) not in mine]
            p = {**p, "cells": kept + p["cells"], "global": p["global"] or old[p["number"]].get("global")}
        old[p["number"]] = p
    return {
        "meta": {**previous.get("meta", {}), **fresh["meta"], "partial": True},
        "patterns": [old[n] for n in sorted(old)],
    }


def cmd_validate_patterns(args: argparse.Namespace) -> int:
    from ..io.atomic import atomic_dir
    from ..io.scenario_io import shipped_scenarios
    from . import store
    from .patterns import REGIONS, SPECS, Context, plot_map, plot_overview, run_map
    from .report import IMG, PATTERNS_JSON, write_report

    numbers = None
    if args.patterns:
        try:
            numbers = sorted({int(x) for x in args.patterns.split(",")})
        except ValueError:
            raise ScenarioError(f"--patterns: expected numbers like 2,5, got {args.patterns!r}") from None
        bad = [n for n in numbers if n not in SPECS]
        if bad:
            raise ScenarioError(f"--patterns: no pattern {bad}; allowed 1..{max(SPECS)}")
    scenarios = _names(args.scenarios, list(shipped_scenarios()), "--scenarios")
    regions = _names(args.regions, [r.name for r in REGIONS], "--regions")
    if args.reps is not None and args.reps < 2:
        raise ScenarioError(f"--reps: expected at least 2, got {args.reps}")
    out = _out(args, args.quick)
    start = time.perf_counter()
    say = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    with atomic_dir(out / IMG) as tmp:
        ctx = Context(
            quick=args.quick,
            workers=args.workers,
            master=args.seed,
            img_dir=tmp,
            scenarios=scenarios,
            regions=regions,
            reps=args.reps,
            progress=say,
        )
        fresh = run_map(ctx, numbers)
        if args.ensemble:
            ensemble_shares(args, ctx, fresh, numbers, tmp, say)
        previous = out / IMG / PATTERNS_JSON
        partial = bool(numbers or scenarios or regions)
        data = merge(store.read(previous), fresh) if partial and previous.exists() else fresh
        if data is not fresh:
            for p in data["patterns"]:
                plot_map(p, tmp / p["figure"])
        plot_overview(data["patterns"], tmp / "overview.png")
        store.write(tmp / PATTERNS_JSON, data)
    path = write_report(out, quick=args.quick)
    for p in fresh["patterns"]:
        counts = {}
        for c in p["cells"]:
            counts[c["verdict"]] = counts.get(c["verdict"], 0) + 1
        summary = ", ".join(f"{v} {k}" for v, k in counts.items())
        print(f"pattern {p['number']:2d}  {p['label']:15s} {p['title']}: {summary}")
    print(f"{time.perf_counter() - start:.0f} s; wrote {path} and {out / IMG}/")
    return 0


def ensemble_shares(args: argparse.Namespace, ctx, fresh: dict, numbers, tmp: Path, say) -> None:
    """Re-run the map once per parameter draw (same seeds) and store, per cell, the share of
    draws in which the pattern holds (``cell["ensemble"]``)."""
    import dataclasses
    import shutil

    from ..runs.ensemble import make_draws, parse_ensemble
    from . import patterns as pat

    spec = parse_ensemble(args.ensemble)
    draws = make_draws(spec, args.seed)
    tally: dict[tuple, dict[str, int]] = {}
    scratch = tmp / ".ensemble"
    try:
        for i, draw in enumerate(draws):
            say(f"validate-patterns: ensemble draw {i + 1}/{len(draws)}")
            pat.ENSEMBLE_DRAW = draw
            reps = args.ensemble_reps if args.ensemble_reps is not None else ctx.reps
            sub = dataclasses.replace(ctx, img_dir=scratch, progress=None, reps=reps)
            for p in pat.run_map(sub, numbers)["patterns"]:
                for c in p["cells"]:
                    key = (p["number"], c["scenario"], c["region"])
                    tally.setdefault(key, {})
                    tally[key][c["verdict"]] = tally[key].get(c["verdict"], 0) + 1
    finally:
        pat.ENSEMBLE_DRAW = None
        shutil.rmtree(scratch, ignore_errors=True)
    for p in fresh["patterns"]:
        for c in p["cells"]:
            counts = tally.get((p["number"], c["scenario"], c["region"]), {})
            applicable = sum(v for k, v in counts.items() if k != "not applicable")
            c["ensemble"] = {
                "draws": len(draws),
                "kind": spec.label,
                "replications": args.ensemble_reps,
                "verdicts": counts,
                "share_holds": counts.get("holds", 0) / applicable if applicable else None,
                "share_reversed": counts.get("reversed", 0) / applicable if applicable else None,
            }
    fresh["meta"]["ensemble"] = {"label": spec.label, "draws": len(draws), "replications": args.ensemble_reps}


def cmd_calibrate(args: argparse.Namespace) -> int:
    if args.workers < 1:
        raise ScenarioError(f"--workers: need at least 1, got {args.workers}")
    if args.method == "abc":
        from .abc_report import calibrate

        return calibrate(args)
    return cmd_calibrate_grid(args)


def cmd_calibrate_grid(args: argparse.Namespace) -> int:
    import numpy as np

    from ..io.atomic import atomic_dir
    from . import modelcal, modelcal_report, store
    from .calibrate import DATA, DEFINITION, calibrate, fitted_rows, load_series, plot, to_json
    from .report import CALIBRATION_JSON, IMG, write_report

    started = time.perf_counter()
    data = Path(args.data) if args.data else DATA
    # Fail on bad input before the bootstrap and any model run.
    rows = fitted_rows(load_series(data))
    if not rows:
        raise ScenarioError(f"{data}: no rows of NL '{DEFINITION}' to fit")
    modelcal.check_start_year(args.start_year, min(r["year"] for r in rows))
    if args.replications is not None and args.replications < 2:
        raise ScenarioError(f"--replications: need at least 2, got {args.replications}")
    if args.workers < 1:
        raise ScenarioError(f"--workers: need at least 1, got {args.workers}")
    kw = {"scenario": args.scenario, "start_year": args.start_year, "seed": args.seed}
    if args.citizens is not None:
        kw["citizens"] = args.citizens
    if args.replications is not None:
        kw["reps"] = args.replications
    settings = modelcal.Settings.quick_settings(**kw) if args.quick else modelcal.Settings(**kw)
    modelcal.base_config(settings, 12)  # scenario errors now, not in a worker
    n_boot = args.bootstrap if args.bootstrap is not None else (200 if args.quick else 1000)
    result = calibrate(data, n_boot=n_boot, seed=args.seed)
    nl_years = [r["year"] for r in result["rows"] if r["geo"] == "NL"]
    fit = modelcal.run_calibration(
        result["years"],
        result["shares"],
        settings,
        workers=args.workers,
        last_year=max(nl_years),
        progress=lambda m: print(m, file=sys.stderr, flush=True),
    )
    out = _out(args, args.quick)
    with atomic_dir(out / IMG) as tmp:
        plot(result, tmp / "calibration_bass.png")
        modelcal_report.plot_fit(fit, result["rows"], result["fits"], tmp / "calibration.png")
        modelcal_report.plot_surface(fit, tmp / "calibration_surface.png")
        stored = to_json(result, n_boot)
        stored["model_fit"] = modelcal_report.model_fit_json(fit)
        stored["model_fit"]["quick"] = bool(args.quick)
        store.write(tmp / CALIBRATION_JSON, stored)
    path = write_report(out, quick=args.quick)
    print(f"definition: {result['definition']}")
    st = fit["settings"]
    print(
        f"full model ({st['scenario']}, {st['citizens']:,} citizens, month 0 = January {st['start_year']}), "
        f"{fit['runs']} runs, simulation-based likelihood, 95 % profile intervals:"
    )
    for f in fit["fits"]:
        ends = {k: ("(open)" if a else "", "(open)" if b else "") for k, (a, b) in f.open_ends.items()}
        cis = ", ".join(
            f"{k} {getattr(f, k):.4g} [{f.ci[k][0]:.4g}{ends[k][0]}, {f.ci[k][1]:.4g}{ends[k][1]}]"
            for k in ("p", "q")
        )
        for k in ("p", "q"):
            if len(f.segments[k]) > 1:
                segs = " U ".join(f"[{a:.4g}, {b:.4g}]" for a, b in f.segments[k])
                cis += f"; {k} set {segs}"
        mf = f.misfit
        print(
            f"  start {f.start_year}: {cis} per month; misfit chi2 {mf['chi2']:.2f} (df {mf['df']}, p {mf['p_value']:.2g})"
        )
    best = fit["fits"][0]
    runs_at = np.round(modelcal_report.band_at_data(fit)["mean"], 3).tolist()
    print(
        f"  at {[int(y) for y in fit['years']]}: data {fit['shares'].tolist()}, emulator "
        f"{np.round(best.mean_at_data, 3).tolist()}, ML-point runs {runs_at}"
    )
    for year, v in fit["at_years"].items():
        print(
            f"  adoption {v['years_after_start']:2d} years after start ({year}): "
            f"{v['mean']:.3f} [{v['lo']:.3f}, {v['hi']:.3f}] (mean, 2.5-97.5 % of replications)"
        )
    print("Bass curve fits (4-point residual bootstrap: overstates precision):")
    for f in result["fits"]:
        cis = ", ".join(f"{k} {v:.4g} [{f.ci[k][0]:.4g}, {f.ci[k][1]:.4g}]" for k, v in f.params.items())
        print(f"  {f.label:7s} {cis}  RMSE {f.rmse:.4f}")
    print(f"  meta-analysis p 0.03, q 0.38: RMSE {result['meta']['rmse']:.4f}")
    print(f"{time.perf_counter() - started:.0f} s; wrote {path} and {out / IMG}/calibration*.png")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``validate-patterns`` and ``calibrate`` sub-commands."""
    import os

    default_workers = max(1, min(4, os.cpu_count() or 1))  # as runs.default_workers, without Mesa

    v = subparsers.add_parser(
        "validate-patterns", help="pattern-oriented validation (brief §5) -> docs/VALIDATION.md"
    )
    v.add_argument(
        "--quick", action="store_true", help="few replications (smoke test; writes under results/)"
    )
    v.add_argument(
        "--workers", type=int, default=default_workers, help="processes (results do not depend on it)"
    )
    v.add_argument("--patterns", help="comma-separated pattern numbers (default: all)")
    v.add_argument("--scenarios", help="comma-separated shipped scenario names (default: every shipped one)")
    v.add_argument("--regions", help="comma-separated regions: hostile, default, friendly (default: all)")
    v.add_argument(
        "--reps", type=int, help="replications per condition for every pattern (default: each pattern's own)"
    )
    v.add_argument("--seed", type=int, default=20240501, help="master seed (default 20240501)")
    v.add_argument("--out", help="folder for VALIDATION.md and img/validation/ (default: docs)")
    v.add_argument(
        "--ensemble",
        metavar="N|prior[:N]",
        help="also run the map once per parameter draw (same seeds) and report, per cell, the share of "
        "draws in which the pattern holds",
    )
    v.add_argument(
        "--ensemble-reps",
        type=int,
        help="replications per condition in each draw (default: as the main map); fewer draws' "
        "replications mean less power per draw",
    )
    v.set_defaults(func=cmd_validate_patterns)

    c = subparsers.add_parser(
        "calibrate",
        help="fit the model to the Dutch targets in data/ by ABC-SMC (pyabc); --method grid: the older p, q grid",
    )
    c.add_argument(
        "--method",
        choices=("abc", "grid"),
        default="abc",
        help="abc: ABC-SMC of every calibrated prior against data/calibration_targets.csv (default); "
        "grid: the synthetic-likelihood grid of citizens.p, q only (and a Bass curve)",
    )
    c.add_argument("--cluster", help="abc: run on Dask ('local' or HOST:PORT), as sweep --cluster")
    c.add_argument(
        "--resume",
        action="store_true",
        help="abc: continue the fit stored in --state (after an interruption)",
    )
    c.add_argument(
        "--state", help="abc: folder of the resumable databases (default results/calibrate[-quick])"
    )
    c.add_argument("--ship", action="store_true", help="abc: copy the posterior into data/ (the shipped one)")
    c.add_argument("--population", type=int, help="abc: particles per generation (default 300; quick 40)")
    c.add_argument("--generations", type=int, help="abc: SMC generations (default 6; quick 3)")
    c.add_argument(
        "--targets", help="abc: a CSV like data/calibration_targets.csv (default: the shipped one)"
    )
    c.add_argument("--data", help="CSV like data/nl_egov_adoption.csv (default: the shipped one)")
    c.add_argument("--bootstrap", type=int, help="Bass-curve bootstrap resamples (default 1000; --quick 200)")
    c.add_argument(
        "--seed", type=int, default=0, help="bootstrap seed and replication master seed (default 0)"
    )
    c.add_argument(
        "--out", help="folder for VALIDATION.md and img/validation/ (default: docs; --quick: results/...)"
    )
    c.add_argument(
        "--scenario",
        default="municipality_building_housing",
        help="scenario whose p, q are fitted (shipped name or path; default municipality_building_housing)",
    )
    c.add_argument(
        "--start-year",
        type=int,
        default=2002,
        help="calendar year of model month 0 (January; default 2002, end of the OL2000 pilots)",
    )
    c.add_argument(
        "--quick",
        action="store_true",
        help="small population and few generations (smoke test; writes under results/)",
    )
    c.add_argument(
        "--workers", type=int, default=default_workers, help="processes (results do not depend on it)"
    )
    c.add_argument(
        "--replications", type=int, help="replications per refinement grid point (default 10; quick 3)"
    )
    c.add_argument("--citizens", type=int, help="citizens per run (default 2000; quick 300)")
    c.set_defaults(func=cmd_calibrate)
