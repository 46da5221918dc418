"""Robust strategy search: ``egov-sim advise SCENARIO``.

A strategist controls the change-strategy levers (service model, rollout and waves, package
breadth, initial detail, compensation budget, consultation, learning, adjustment) but not
trust, resistance, readiness or how citizens adopt (Bass p, q). ``advise`` therefore runs

    candidate strategies  x  uncertainty scenarios  x  replications

on the sweep engine (process pool or Dask, resumable, progress bar) with common random
numbers: every strategy meets the same uncertainty sample and the same seeds (run seed =
``derive_seed(seed, replication)``). Then, per strategy:

- mean, 10th and 90th percentile of five objectives: total cost (M€, lower is better),
  months to first service (never = horizon + 1, lower), adoption at the horizon (higher),
  collapse risk (share of runs that collapsed, lower), legitimacy at the horizon (higher);
- the Pareto set: strategies whose means no other strategy matches or beats on all five
  objectives and beats on one;
- robustness: the regret per objective in each uncertainty scenario (distance to the best
  strategy in that scenario, replications averaged), its maximum over the sample, and the
  satisficing share: share of runs that meet every threshold (absolute defaults: adoption ≥
  0.5, first service within 48 months, no collapse, legitimacy ≥ the initial level; no cost
  bound unless given);
- a score: the mean over the five objectives of each run's value rescaled to [0, 1] over all
  runs (1 = best), equal weights; the best and runner-up strategies by mean score, and in
  which uncertainty scenarios the runner-up beats the best (a ranking flip). PRIM on the
  uncertainty inputs (``discover.run_prim``) says which uncertainties flip the ranking.

The candidates are a fixed, named set, the same for every master seed: strategy 0 is the
scenario as written, then the nine designs (service model x rollout) at the scenario's own
levers, then a Latin hypercube over the levers seeded by a fixed candidate seed. Stability:
the whole search is run again with a second master seed (new uncertainty sample, new
replication seeds) and the report says whether the best strategy and the ranking agree. The uncertainty sample is a Latin hypercube over trust.initial (0.2 .. 0.8), a
multiplier on every party group's resistance (0.6 .. 1.6) and readiness (0.6 .. 1.4), and
citizens.p and citizens.q (each 0.5 .. 2 x the scenario's value).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..io.scenario_io import ScenarioError, load_scenario
from .advise_analysis import (
    FEW_CASES as FEW_CASES,
    MASS_MIN as MASS_MIN,
    MIN_DENSITY as MIN_DENSITY,
    OBJ_NAMES as OBJ_NAMES,
    OBJECTIVES as OBJECTIVES,
    STABLE_RANK as STABLE_RANK,
    few_text as few_text,
    flip_boxes_table as flip_boxes_table,
    is_finding as is_finding,
    objectives as objectives,
    pareto_mask as pareto_mask,
    score as score,
    thresholds_default as thresholds_default,
)
from .advise_design import (
    CANDIDATE_SEED as CANDIDATE_SEED,
    FULL as FULL,
    INTEGER_LEVERS as INTEGER_LEVERS,
    KPIS_NEEDED as KPIS_NEEDED,
    LEVERS as LEVERS,
    QUICK as QUICK,
    UNCERTAINTIES as UNCERTAINTIES,
    _decode_lever as _decode_lever,
    _lhs as _lhs,
    build_experiment as build_experiment,
    candidates as candidates,
    scenarios as scenarios,
    strategies as strategies,
    uncertainty_ranges as uncertainty_ranges,
)
from .advise_figures import (
    HIGHLIGHT as HIGHLIGHT,
    _label_groups as _label_groups,
    _overlaps as _overlaps,
    place_labels as place_labels,
    plot_parallel as plot_parallel,
    plot_pareto as plot_pareto,
    plot_regret as plot_regret,
)
from .advise_report import (
    _lever_text as _lever_text,
    box_where as box_where,
    flip_lines as flip_lines,
    report_lines as report_lines,
    stability_lines as stability_lines,
)
from .spec import Experiment


def analyse_advice(out: Path, thresholds: dict[str, float] | None = None) -> Path:
    """Compute the tables, figures and report.md of an ``advise`` folder."""
    from .discover import plot_limits, plot_tradeoff, run_prim

    out = Path(out)
    meta = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    exp = meta["experiment"]
    adv = json.loads((out / "advice.json").read_text(encoding="utf-8"))
    months = int(exp["months"])
    strat = adv["strategies"]
    unc = adv["scenarios"]
    n_u = len(unc)
    frame = pd.read_parquet(out / "kpis.parquet")
    failed = int(frame["error"].notna().sum())
    ok = frame[frame["error"].isna()].copy()
    ok["strategy"] = ok["point"] // n_u
    ok["scenario"] = ok["point"] % n_u
    obj = objectives(ok, months)
    runs = pd.concat([ok[["run", "strategy", "scenario", "replication"]], obj], axis=1)
    runs["score"] = score(obj)
    base = load_scenario(exp["base"]).model_dump()

    means = runs.groupby("strategy")[OBJ_NAMES + ["score"]].mean()
    q10 = runs.groupby("strategy")[OBJ_NAMES].quantile(0.1).add_suffix("_p10")
    q90 = runs.groupby("strategy")[OBJ_NAMES].quantile(0.9).add_suffix("_p90")
    dirs = np.array([d for _, _, d in OBJECTIVES], dtype=float)
    pareto = pareto_mask(means[OBJ_NAMES].to_numpy(), dirs)

    # Regret per (strategy, scenario) on replication means; normalised by the objective's range.
    cell = runs.groupby(["strategy", "scenario"])[OBJ_NAMES + ["score"]].mean()
    regret = pd.DataFrame(index=cell.index)
    for name, _, d in OBJECTIVES:
        col = cell[name].unstack("strategy")
        best = col.max(axis=1) if d > 0 else col.min(axis=1)
        r = (best.to_numpy()[:, None] - col.to_numpy()) * d
        regret[name] = (
            pd.DataFrame(r, index=col.index, columns=col.columns)
            .stack()
            .reorder_levels(["strategy", "scenario"])
        )
    spans = {n: (runs[n].max() - runs[n].min()) or 1.0 for n in OBJ_NAMES}
    max_regret = regret.groupby("strategy").max()
    norm_regret = pd.DataFrame({n: max_regret[n] / spans[n] for n in OBJ_NAMES})

    thr = thresholds_default(base)
    for k, v in (thresholds or {}).items():
        direction = {name: d for name, _, d in OBJECTIVES}[k]
        thr[k] = (">=" if direction > 0 else "<=", float(v))
    meets = np.ones(len(runs), dtype=bool)
    for name, (op, v) in thr.items():
        meets &= (runs[name] >= v - 1e-12).to_numpy() if op == ">=" else (runs[name] <= v + 1e-12).to_numpy()
    runs["satisficing"] = meets
    sat = runs.groupby("strategy")["satisficing"].mean()

    summary = pd.concat([means, q10, q90], axis=1)
    summary["pareto"] = pareto
    summary["satisficing_share"] = sat
    for n in OBJ_NAMES:
        summary[f"max_regret_{n}"] = max_regret[n]
    summary["max_regret_normalised"] = norm_regret.max(axis=1)
    summary["rank"] = summary["score"].rank(ascending=False, method="first").astype(int)
    summary = summary.sort_values("rank")
    lever_table = pd.DataFrame(strat)
    lever_table.index.name = "strategy"
    summary = summary.join(lever_table)
    names = adv.get("names") or [f"strategy {i}" for i in range(len(strat))]
    summary.insert(0, "name", [names[int(i)] for i in summary.index])

    # Ranking flips: where does the runner-up beat the best (by mean score)?
    order = list(summary.index)
    best, second = int(order[0]), int(order[1]) if len(order) > 1 else int(order[0])
    sc = cell["score"].unstack("strategy")
    flip = (sc[second] > sc[best]).to_numpy() if best != second else np.zeros(n_u, dtype=bool)
    # Without any flip against the runner-up, PRIM looks for "the best is not first here".
    not_first = (sc.idxmax(axis=1) != best).to_numpy()
    case = flip if flip.any() else not_first
    case_label = (
        f"runner-up {second} beats best {best}" if flip.any() else f"best {best} is not first in the scenario"
    )
    unc_frame = pd.DataFrame(unc)
    unc_frame.index.name = "scenario"
    unc_out = unc_frame.copy()
    unc_out["score_best"] = sc[best].to_numpy()
    unc_out["score_runner_up"] = sc[second].to_numpy()
    unc_out["flip"] = flip
    unc_out["best_not_first"] = not_first
    figures = out / "figures"
    found = run_prim(
        unc_frame.reset_index(drop=True), case, boxes=2, min_density=MIN_DENSITY, mass_min=MASS_MIN
    )
    fig_t = plot_tradeoff(
        found, figures, "advise_flip_tradeoff", f"PRIM: {case_label}", min_density=MIN_DENSITY, few=FEW_CASES
    )
    findings = [b for b in found if is_finding(b)]
    limits_title = "Uncertainties that flip the ranking"
    if found and not findings:
        limits_title += f"\nno box reaches density {MIN_DENSITY:g} (best {max(b.density for b in found):.2f}): not a finding"
    elif len(findings) < len(found):
        limits_title += (
            f"\n(box {', '.join(str(b.number) for b in found if not is_finding(b))}: below density "
        )
        limits_title += f"{MIN_DENSITY:g}, not a finding)"
    thin = [b for b in findings if b.cases < FEW_CASES]
    if thin:
        limits_title += "\n" + "; ".join(f"box {b.number}: {few_text(b, sep='')}" for b in thin)
    fig_b = plot_limits(found, unc_frame.reset_index(drop=True), figures, "advise_flip_boxes", limits_title)

    # Files.
    def write_csv(table: pd.DataFrame, name: str, index: bool = True) -> None:
        tmp = out / f"{name}.tmp"
        table.to_csv(tmp, index=index, float_format="%.6g")
        os.replace(tmp, out / name)

    write_csv(summary, "strategies.csv")
    write_csv(unc_out, "scenarios.csv")
    write_csv(regret.reset_index(), "regret.csv", index=False)
    write_csv(flip_boxes_table(found, unc_frame), "flip_boxes.csv", index=False)
    fig_p = plot_pareto(summary, figures, months)
    fig_c = plot_parallel(summary, figures)
    fig_r = plot_regret(summary, norm_regret, figures)

    lines = report_lines(
        exp, adv, meta, summary, thr, failed, len(frame), best, second, flip, not_first, found, unc_frame
    )
    other = out / "stability" / "strategies.csv"
    if other.exists():
        seed2 = json.loads((out / "stability" / "manifest.json").read_text(encoding="utf-8"))["experiment"][
            "seed"
        ]
        more, stab = stability_lines(
            summary, pd.read_csv(other, index_col="strategy"), int(exp["seed"]), seed2
        )
        lines += more
        tmp = out / "stability.json.tmp"
        tmp.write_text(json.dumps(stab, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, out / "stability.json")
    lines += [
        "## Figures",
        "",
        f"![Pareto]({fig_p})",
        "",
        f"![parallel coordinates]({fig_c})",
        "",
        f"![regret]({fig_r})",
        "",
        f"![flip trade-off]({fig_t})",
        "",
        f"![flip boxes]({fig_b})",
        "",
        "Files: `strategies.csv` (levers, means, 10th/90th percentiles, Pareto flag, satisficing share, "
        "maximum regrets, score and rank per strategy), `scenarios.csv` (uncertainty sample, scores of the best "
        "and runner-up, flip), `regret.csv` (regret per strategy, scenario and objective), `flip_boxes.csv` "
        "(PRIM boxes of the flips), `kpis.parquet` (every run; `point` = strategy x scenarios + scenario).",
        "",
    ]
    report = out / "report.md"
    tmp = out / "report.md.tmp"
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.replace(tmp, report)
    return report


def advise(
    scenario: str,
    out: Path,
    *,
    quick: bool = False,
    n_strategies: int | None = None,
    n_scenarios: int | None = None,
    replications: int | None = None,
    months: int | None = None,
    citizens: int | None = None,
    seed: int | None = None,
    seed2: int | None = None,
    stability: bool = True,
    candidate_seed: int = CANDIDATE_SEED,
    ensemble: str | None = None,
    workers: int = 2,
    cluster: str | None = None,
    resume: bool = False,
    progress: bool = True,
    thresholds: dict[str, float] | None = None,
) -> tuple[Path, Any]:
    """Run the search (and, with ``stability``, the same search with master seed ``seed2``,
    default seed + 1, into ``out/stability/``) and write ``out/report.md``."""
    preset = QUICK if quick else FULL
    n_s = n_strategies or preset["strategies"]
    n_u = n_scenarios or preset["scenarios"]
    reps = replications or preset["replications"]
    if n_s < 2 or n_u < 2:
        raise ScenarioError(f"--strategies and --scenarios must be at least 2 (got {n_s}, {n_u})")

    def build(master: int | None) -> Experiment:
        return build_experiment(
            scenario,
            n_strategies=n_s,
            n_scenarios=n_u,
            replications=reps,
            months=months,
            citizens=citizens or (QUICK["citizens"] if quick else None),
            seed=master,
            quick=quick,
            candidate_seed=candidate_seed,
            ensemble=ensemble,
        )[0]

    exp = build(seed)
    second = build(exp.seed + 1 if seed2 is None else seed2) if stability else None
    if second is not None and second.seed == exp.seed:
        raise ScenarioError(f"--seed2 {second.seed}: must differ from the master seed {exp.seed}")
    out = Path(out)
    res = _search(exp, out, scenario, n_s, candidate_seed, workers, cluster, resume, progress)
    if second is not None:
        print(
            f"stability: the same search with master seed {second.seed} -> {out / 'stability'}/", flush=True
        )
        _search(second, out / "stability", scenario, n_s, candidate_seed, workers, cluster, resume, progress)
        analyse_advice(out / "stability", thresholds)
    report = analyse_advice(out, thresholds)
    return report, res


def _search(
    exp: Experiment,
    out: Path,
    scenario: str,
    n_s: int,
    candidate_seed: int,
    workers: int,
    cluster: str | None,
    resume: bool,
    progress: bool,
) -> Any:
    from .sweep import sweep, write_draws

    res = sweep(exp, out, workers=workers, cluster=cluster, resume=resume, progress=progress)
    write_draws(exp, out)
    base = load_scenario(exp.base).model_dump()
    cand = candidates(base, n_s, candidate_seed)
    n_u = len(exp.points) // len(cand)
    adv = {
        "strategies": [{k: p[k] for k in LEVERS} for p in exp.points[::n_u]],
        "names": [name for name, _ in cand],
        "scenarios": [{k: p[k] for k in UNCERTAINTIES} for p in exp.points[:n_u]],
        "levers": {k: v if isinstance(v, list) else list(v) for k, v in LEVERS.items()},
        "uncertainty_ranges": {k: list(v) for k, v in uncertainty_ranges(base).items()},
        "objectives": [{"name": n, "label": lab, "direction": d} for n, lab, d in OBJECTIVES],
        "candidate_seed": candidate_seed,
        **({"ensemble": exp.ensemble} if exp.ensemble else {}),
    }
    tmp = out / "advice.json.tmp"
    tmp.write_text(json.dumps(adv, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / "advice.json")
    return res


def _threshold(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep or name not in OBJ_NAMES:
        raise ScenarioError(
            f"--threshold {text}: expected OBJECTIVE=VALUE with OBJECTIVE one of {', '.join(OBJ_NAMES)}"
        )
    try:
        return name, float(value)
    except ValueError:
        raise ScenarioError(f"--threshold {text}: {value!r} is not a number") from None


def advise_command(args: argparse.Namespace) -> int:
    thresholds = dict(_threshold(t) for t in args.threshold)
    for attr in ("strategies", "scenarios", "replications", "months", "citizens", "workers"):
        v = getattr(args, attr)
        if v is not None and v < 1:
            raise ScenarioError(f"--{attr} must be at least 1, got {v}")
    if args.out:
        out = Path(args.out)
    else:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out = Path("results") / f"{stamp}-advise-{Path(args.scenario).stem}{'-quick' if args.quick else ''}"
    print(f"advise {args.scenario}{' (quick)' if args.quick else ''} -> {out}/", flush=True)
    start = time.perf_counter()
    report, res = advise(
        args.scenario,
        out,
        quick=args.quick,
        n_strategies=args.strategies,
        n_scenarios=args.scenarios,
        replications=args.replications,
        months=args.months,
        citizens=args.citizens,
        seed=args.seed,
        seed2=args.seed2,
        stability=not args.no_stability,
        candidate_seed=args.candidate_seed,
        ensemble=args.ensemble,
        workers=args.workers,
        cluster=args.cluster,
        resume=args.resume,
        thresholds=thresholds,
    )
    text = report.read_text(encoding="utf-8")
    print(text.split("## Figures")[0].strip())
    print(f"\nwrote {report} and {out}/figures/ ({time.perf_counter() - start:.0f} s)")
    if res.failures:
        print(
            f"egov-sim: {res.failures} of {res.runs} runs failed (see the error column of kpis.parquet)",
            file=sys.stderr,
        )
        return 1
    return 0
