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
  satisficing share: share of runs that meet every threshold (defaults taken from strategy 0,
  the plan as written: adoption ≥ its median, first service ≤ its median, cost ≤ 1.25 x its
  mean; no collapse; legitimacy ≥ the initial level);
- a score: the mean over the five objectives of each run's value rescaled to [0, 1] over all
  runs (1 = best), equal weights; the best and runner-up strategies by mean score, and in
  which uncertainty scenarios the runner-up beats the best (a ranking flip). PRIM on the
  uncertainty inputs (``discover.run_prim``) says which uncertainties flip the ranking.

Strategy 0 is the scenario as written; the others are a Latin hypercube over the levers
(seeded). The uncertainty sample is a Latin hypercube over trust.initial (0.2 .. 0.8), a
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

from ..scenario_io import ScenarioError, load_scenario, resolve_path
from .spec import Experiment, Factor, _check_value

#: Levers: name -> levels (list) or (low, high) range; integer parameters decode to whole numbers.
LEVERS: dict[str, Any] = {
    "service.model": ["integration", "fragmentation", "hybrid"],
    "rollout.strategy": ["phased", "big_bang", "pilot"],
    "rollout.wave_size": (1, 6),
    "rollout.wave_gap": (0, 12),
    "negotiation.package_breadth": (1, 4),
    "negotiation.initial_detail": (0.0, 1.0),
    "negotiation.compensation_budget": (0.0, 6.0),
    "negotiation.consultation": (0.0, 1.0),
    "learning.strategy": ["learning", "rational"],
    "learning.adjustment": (0.0, 1.0),
}
INTEGER_LEVERS = {"rollout.wave_size", "rollout.wave_gap", "negotiation.package_breadth"}

#: Uncertainties: name -> (low, high); "rel" ranges are multiples of the scenario's value.
UNCERTAINTIES: dict[str, tuple[str, float, float]] = {
    "trust.initial": ("abs", 0.2, 0.8),
    "parties.scale.resistance": ("abs", 0.6, 1.6),
    "parties.scale.readiness": ("abs", 0.6, 1.4),
    "citizens.p": ("rel", 0.5, 2.0),
    "citizens.q": ("rel", 0.5, 2.0),
}

#: Objectives: column, label, direction (+1 = higher is better).
OBJECTIVES = (
    ("cost", "total cost (M€)", -1),
    ("first_service", "months to first service", -1),
    ("adoption", "adoption at horizon", +1),
    ("collapse", "collapse risk", -1),
    ("legitimacy", "legitimacy at horizon", +1),
)
OBJ_NAMES = [o[0] for o in OBJECTIVES]
KPIS_NEEDED = ("total_cost", "months_to_first_service", "final_adoption", "collapsed", "final_legitimacy")

QUICK = {"strategies": 8, "scenarios": 12, "replications": 1, "citizens": 2000}
FULL = {"strategies": 24, "scenarios": 32, "replications": 1}


# ---------------------------------------------------------------------- design
def _lhs(d: int, n: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(n)


def _decode_lever(name: str, spec: Any, u: float) -> Any:
    if isinstance(spec, list):
        return spec[min(int(u * len(spec)), len(spec) - 1)]
    lo, hi = spec
    if name in INTEGER_LEVERS:
        n = int(hi) - int(lo) + 1
        return int(lo) + min(int(u * n), n - 1)
    return round(float(lo + u * (hi - lo)), 3)


def strategies(base: dict[str, Any], n: int, seed: int) -> list[dict[str, Any]]:
    """Strategy 0 = the scenario's own levers; then ``n - 1`` distinct LHS strategies."""
    own = {name: base[name.split(".")[0]][name.split(".", 1)[1]] for name in LEVERS}
    out = [own]
    seen = {json.dumps(own, sort_keys=True)}
    unit = _lhs(len(LEVERS), max(n - 1, 1) * 2, seed)
    for row in unit:
        if len(out) >= n:
            break
        s = {
            name: _decode_lever(name, spec, float(u))
            for (name, spec), u in zip(LEVERS.items(), row, strict=True)
        }
        key = json.dumps(s, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


def uncertainty_ranges(base: dict[str, Any]) -> dict[str, tuple[float, float]]:
    out = {}
    for name, (kind, lo, hi) in UNCERTAINTIES.items():
        if kind == "rel":
            v = float(base[name.split(".")[0]][name.split(".", 1)[1]])
            out[name] = (round(v * lo, 6), round(min(1.0, v * hi), 6))
        else:
            out[name] = (lo, hi)
    return out


def scenarios(base: dict[str, Any], n: int, seed: int) -> list[dict[str, float]]:
    ranges = uncertainty_ranges(base)
    unit = _lhs(len(ranges), n, seed + 7919)
    return [
        {
            name: round(lo + float(u) * (hi - lo), 6)
            for (name, (lo, hi)), u in zip(ranges.items(), row, strict=True)
        }
        for row in unit
    ]


def build_experiment(
    scenario: str,
    *,
    n_strategies: int,
    n_scenarios: int,
    replications: int,
    months: int | None,
    citizens: int | None,
    seed: int | None,
    quick: bool,
) -> tuple[Experiment, list[dict[str, Any]], list[dict[str, float]]]:
    path = resolve_path(scenario)
    cfg = load_scenario(path)
    base = cfg.model_dump()
    seed = cfg.run.seed if seed is None else seed
    months = months or cfg.run.months
    fixed: dict[str, Any] = {}
    _check_value(base, {}, "run.months", months, f"--months {months}", "advise")
    if citizens:
        fixed["citizens.count"] = citizens
        _check_value(base, {}, "citizens.count", citizens, f"--citizens {citizens}", "advise")
    strat = strategies(base, n_strategies, seed)
    unc = scenarios(base, n_scenarios, seed)
    label = str(path)
    for name in LEVERS:  # each level once on the base, so a bad lever fails before anything runs
        for v in sorted({json.dumps(s[name]) for s in strat}):
            _check_value(base, fixed, name, json.loads(v), label, "advise levers")
    factors: list[Factor] = []
    dtypes = {"str": str, "int": int, "float": float}
    for name in LEVERS:
        values = []
        for s in strat:
            if s[name] not in values:
                values.append(s[name])
        dtype = "str" if isinstance(values[0], str) else ("int" if name in INTEGER_LEVERS else "float")
        values = [dtypes[dtype](v) for v in values]
        for s in strat:
            s[name] = dtypes[dtype](s[name])
        factors.append(Factor(name, "levels", levels=tuple(values), dtype=dtype))
    for name, (lo, hi) in uncertainty_ranges(base).items():
        factors.append(Factor(name, "range", low=lo, high=hi, dtype="float"))
    points = tuple({**s, **u} for s in strat for u in unc)
    exp = Experiment(
        name=f"advise-{path.stem}",
        description=f"Robust strategy search on {path.stem}: {len(strat)} strategies x {len(unc)} "
        f"uncertainty scenarios x {replications} replications",
        source=label,
        base=str(path.resolve()),
        design="points",
        replications=replications,
        months=months,
        seed=seed,
        samples=None,
        levels=4,
        second_order=False,
        batch=None,
        fixed=fixed,
        factors=tuple(factors),
        kpis=KPIS_NEEDED + ("stalled", "failures", "agreement_share"),
        series=("adoption",),
        every=12,
        scorecard=False,
        quick=quick,
        points=points,
    )
    return exp, strat, unc


# ---------------------------------------------------------------------- analysis
def objectives(frame: pd.DataFrame, months: int) -> pd.DataFrame:
    """The five objectives per run (never-reached first service = months + 1)."""
    return pd.DataFrame(
        {
            "cost": frame["total_cost"].astype(float),
            "first_service": frame["months_to_first_service"].astype(float).fillna(months + 1),
            "adoption": frame["final_adoption"].astype(float),
            "collapse": frame["collapsed"].astype(float),
            "legitimacy": frame["final_legitimacy"].astype(float),
        },
        index=frame.index,
    )


def pareto_mask(values: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Non-dominated rows of ``values`` (rows = alternatives); ``directions`` +1 max, -1 min."""
    v = np.asarray(values, dtype=float) * directions
    n = len(v)
    keep = np.ones(n, dtype=bool)
    for i in range(n):
        dominated = np.all(v >= v[i], axis=1) & np.any(v > v[i], axis=1)
        keep[i] = not dominated.any()
    return keep


def score(obj: pd.DataFrame) -> pd.Series:
    """Mean over objectives of the value rescaled to [0, 1] over all rows (1 = best)."""
    parts = []
    for name, _, d in OBJECTIVES:
        col = obj[name]
        lo, hi = col.min(), col.max()
        scaled = (col - lo) / (hi - lo) if hi > lo else pd.Series(0.5, index=col.index)
        parts.append(scaled if d > 0 else 1 - scaled)
    return sum(parts) / len(parts)


def thresholds_default(own: pd.DataFrame, base: dict[str, Any]) -> dict[str, tuple[str, float]]:
    """Satisficing thresholds from the runs of strategy 0 (the plan as written): adoption at least
    its median, first service no later than its median, cost at most 1.25 x its mean, no
    collapse, legitimacy at least the initial level."""
    return {
        "adoption": (">=", round(float(own["adoption"].median()), 4)),
        "collapse": ("<=", 0.0),
        "first_service": ("<=", float(own["first_service"].median())),
        "legitimacy": (">=", float(base["citizens"]["initial_legitimacy"])),
        "cost": ("<=", round(1.25 * float(own["cost"].mean()), 4)),
    }


def analyse_advice(out: Path, thresholds: dict[str, float] | None = None) -> Path:
    """Compute the tables, figures and report.md of an ``advise`` folder."""
    from .discover import boxes_table, plot_limits, plot_tradeoff, run_prim

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

    own = runs[runs["strategy"] == 0] if (runs["strategy"] == 0).any() else runs
    thr = thresholds_default(own, base)
    for k, v in (thresholds or {}).items():
        thr[k] = (thr[k][0], float(v))
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
    found = run_prim(unc_frame.reset_index(drop=True), case, boxes=2, min_density=0.8, mass_min=0.1)
    fig_t = plot_tradeoff(found, figures, "advise_flip_tradeoff", f"PRIM: {case_label}")
    fig_b = plot_limits(
        found,
        unc_frame.reset_index(drop=True),
        figures,
        "advise_flip_boxes",
        "Uncertainties that flip the ranking",
    )

    # Files.
    def write_csv(table: pd.DataFrame, name: str, index: bool = True) -> None:
        tmp = out / f"{name}.tmp"
        table.to_csv(tmp, index=index, float_format="%.6g")
        os.replace(tmp, out / name)

    write_csv(summary, "strategies.csv")
    write_csv(unc_out, "scenarios.csv")
    write_csv(regret.reset_index(), "regret.csv", index=False)
    write_csv(boxes_table(found), "flip_boxes.csv", index=False)
    fig_p = plot_pareto(summary, figures)
    fig_c = plot_parallel(summary, figures)
    fig_r = plot_regret(summary, norm_regret, figures)

    lines = report_lines(
        exp, adv, meta, summary, thr, failed, len(frame), best, second, flip, not_first, found, unc_frame
    )
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


def _lever_text(row: pd.Series) -> str:
    s = f"{row['service.model']}, {row['rollout.strategy']}"
    if row["rollout.strategy"] == "phased":
        s += f" (waves {int(row['rollout.wave_size'])}/{int(row['rollout.wave_gap'])} mo)"
    return (
        s
        + f", breadth {int(row['negotiation.package_breadth'])}, detail {row['negotiation.initial_detail']:.2f}, "
        f"budget {row['negotiation.compensation_budget']:.1f} M€, consult {row['negotiation.consultation']:.2f}, "
        f"{row['learning.strategy']}, adjust {row['learning.adjustment']:.2f}"
    )


def report_lines(
    exp: dict[str, Any],
    adv: dict[str, Any],
    meta: dict[str, Any],
    summary: pd.DataFrame,
    thr: dict[str, tuple[str, float]],
    failed: int,
    total: int,
    best: int,
    second: int,
    flip: np.ndarray,
    not_first: np.ndarray,
    found: list[Any],
    unc: pd.DataFrame,
) -> list[str]:
    from .discover import box_lines

    n_s, n_u, reps = len(adv["strategies"]), len(adv["scenarios"]), int(exp["replications"])
    ranges = adv["uncertainty_ranges"]
    lines = [
        f"# Robust strategy search: {Path(exp['base']).stem}{' (quick)' if exp['quick'] else ''}",
        "",
        f"{n_s} strategies x {n_u} uncertainty scenarios x {reps} replications = {total} runs of "
        f"{exp['months']} months (horizon), seed {exp['seed']}"
        + (
            f", {exp['fixed']['citizens.count']:,} simulated citizens"
            if "citizens.count" in exp["fixed"]
            else ""
        )
        + f"; {failed} failed runs left out. Common random numbers: every strategy meets the same "
        "uncertainty sample and the same seeds (derive_seed(seed, replication)).",
        "",
        "Uncertainty sample (Latin hypercube): "
        + ", ".join(f"`{k}` {lo:g} .. {hi:g}" for k, (lo, hi) in ranges.items())
        + " (`parties.scale.*` multiply every party group's value, clipped to [0, 1]). Strategy 0 is the "
        "scenario as written; the others are a Latin hypercube over the levers.",
        "",
        "## Pareto set",
        "",
        "Non-dominated on the means of cost ↓, months to first service ↓ (never = horizon + 1), adoption at "
        "the horizon ↑, collapse risk ↓ and legitimacy ↑. Score = mean of the five objectives rescaled to "
        "[0, 1] over all runs (1 best, equal weights); satisficing = share of runs meeting every threshold; "
        "max regret (norm.) = largest regret over scenarios and objectives, as a share of the objective's range.",
        "",
        "| rank | strategy | levers | cost M€ | first service mo | adoption | collapse risk | legitimacy | "
        "satisficing | max regret (norm.) | score | Pareto |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s, row in summary.iterrows():
        lines.append(
            f"| {int(row['rank'])} | {s}{' (as written)' if s == 0 else ''} | {_lever_text(row)} | "
            f"{row['cost']:.2f} [{row['cost_p10']:.2f}, {row['cost_p90']:.2f}] | "
            f"{row['first_service']:.0f} [{row['first_service_p10']:.0f}, {row['first_service_p90']:.0f}] | "
            f"{row['adoption']:.2f} [{row['adoption_p10']:.2f}, {row['adoption_p90']:.2f}] | "
            f"{row['collapse']:.2f} | {row['legitimacy']:.3f} | {row['satisficing_share']:.2f} | "
            f"{row['max_regret_normalised']:.2f} | {row['score']:.3f} | {'**yes**' if row['pareto'] else ''} |"
        )
    lines += [
        "",
        "Brackets: 10th and 90th percentile over the uncertainty sample and replications.",
        "",
        "Satisficing thresholds: "
        + ", ".join(f"{k} {op} {v:g}" for k, (op, v) in thr.items())
        + " (defaults from strategy 0, the plan as written: adoption ≥ its median, first service ≤ its "
        "median, cost ≤ 1.25 x its mean; no collapse; legitimacy ≥ the initial level; `--threshold` overrides).",
        "",
        "## Robustness",
        "",
        f"- most robust by satisficing share: strategy {int(summary['satisficing_share'].idxmax())} "
        f"({summary['satisficing_share'].max():.2f})",
        f"- smallest worst-case normalised regret: strategy {int(summary['max_regret_normalised'].idxmin())} "
        f"({summary['max_regret_normalised'].min():.2f})",
        f"- best by mean score: strategy {best}; runner-up: strategy {second}",
        "",
        "## Which uncertainties flip the ranking",
        "",
        f"The runner-up (strategy {second}) beats the best (strategy {best}) on score in {int(flip.sum())} of "
        f"{len(flip)} uncertainty scenarios.",
        "",
    ]
    lines.append(
        f"Strategy {best} is not the best strategy (by score) in {int(not_first.sum())} of {len(flip)} scenarios."
    )
    lines.append("")
    case = flip if flip.any() else not_first
    what = "the runner-up beats the best" if flip.any() else f"strategy {best} is not first"
    if found:
        lines += [
            f"PRIM on the uncertainty inputs (case = {what}; the box with the highest coverage at density ≥ 0.8, "
            "smallest box mass 0.1):",
            "",
            *box_lines(found, float(case.mean())),
            "",
        ]
    elif case.any():
        lines += ["PRIM found no box that separates these scenarios from the rest.", ""]
    else:
        lines += [f"Strategy {best} is first in every scenario of the sample: the ranking does not flip.", ""]
    if len(unc) < 30:
        lines += [
            f"With {len(unc)} uncertainty scenarios the boxes are indicative only; use more "
            "(`--scenarios`) for a firm statement.",
            "",
        ]
    ex = meta.get("execution", {})
    lines += [
        f"Sweep: {ex.get('workers')} worker(s), cluster {ex.get('cluster')}, {ex.get('elapsed_s')} s.",
        "",
    ]
    return lines


# ---------------------------------------------------------------------- figures
def plot_pareto(summary: pd.DataFrame, folder: Path) -> str:
    from matplotlib.figure import Figure

    from .discover import save_figure

    fig = Figure(figsize=(10.5, 4.4), layout="constrained")
    axes = fig.subplots(1, 2)
    pairs = (("cost", "adoption"), ("first_service", "legitimacy"))
    for ax, (xa, ya) in zip(axes, pairs, strict=True):
        dom = summary[~summary["pareto"]]
        par = summary[summary["pareto"]]
        ax.scatter(
            dom[xa],
            dom[ya],
            c=dom["collapse"],
            cmap="Reds",
            vmin=0,
            vmax=1,
            s=40,
            marker="o",
            edgecolors="0.5",
            label="dominated",
        )
        sc = ax.scatter(
            par[xa],
            par[ya],
            c=par["collapse"],
            cmap="Reds",
            vmin=0,
            vmax=1,
            s=110,
            marker="*",
            edgecolors="k",
            label="Pareto set",
        )
        for s, row in summary.iterrows():
            ax.annotate(str(s), (row[xa], row[ya]), xytext=(4, 3), textcoords="offset points", fontsize=7)
        label = {o[0]: o[1] for o in OBJECTIVES}
        ax.set_xlabel(f"{label[xa]} (mean) ↓")
        ax.set_ylabel(f"{label[ya]} (mean) ↑")
        ax.grid(alpha=0.3)
    axes[0].legend(loc="lower right", fontsize=8)
    fig.colorbar(sc, ax=axes, label="collapse risk")
    fig.suptitle("Strategies: means over the uncertainty sample (numbers = strategy)", fontsize=10)
    return save_figure(fig, folder, "advise_pareto")


def plot_parallel(summary: pd.DataFrame, folder: Path) -> str:
    import matplotlib
    from matplotlib.figure import Figure

    from .discover import save_figure

    fig = Figure(figsize=(8.5, 4.4), layout="constrained")
    ax = fig.add_subplot()
    cols = []
    for name, _, d in OBJECTIVES:
        v = summary[name]
        lo, hi = v.min(), v.max()
        scaled = (v - lo) / (hi - lo) if hi > lo else v * 0 + 0.5
        cols.append(scaled if d > 0 else 1 - scaled)
    mat = np.column_stack(cols)
    xs = np.arange(len(OBJECTIVES))
    k = 0
    for (s, row), y in zip(summary.iterrows(), mat, strict=True):
        if row["pareto"]:
            colour = matplotlib.colormaps["tab20"](k % 20)
            ax.plot(xs, y, lw=2.0, color=colour, label=f"strategy {s}", marker="o")
            k += 1
        else:
            ax.plot(xs, y, lw=0.8, color="0.75", zorder=0)
    ax.set_xticks(xs, [f"{o[1]}\n({'↑' if o[2] > 0 else '↓'})" for o in OBJECTIVES], fontsize=8)
    ax.set_ylabel("rescaled over strategies (1 = best)")
    ax.set_ylim(-0.05, 1.05)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), title="Pareto set")
    ax.set_title("Parallel coordinates of the strategy means (grey: dominated)", fontsize=10)
    return save_figure(fig, folder, "advise_parallel")


def plot_regret(summary: pd.DataFrame, norm_regret: pd.DataFrame, folder: Path) -> str:
    from matplotlib.figure import Figure

    from .discover import save_figure

    fig = Figure(figsize=(10.5, 4.4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2, width_ratios=[2, 1])
    order = list(summary.index)
    xs = np.arange(len(order))
    w = 0.8 / len(OBJECTIVES)
    for j, (name, label, _) in enumerate(OBJECTIVES):
        ax1.bar(xs + (j - 2) * w, norm_regret.loc[order, name], width=w, label=label)
    ax1.set_xticks(xs, [f"{s}{'*' if summary.loc[s, 'pareto'] else ''}" for s in order], fontsize=8)
    ax1.set_xlabel("strategy (by rank; * = Pareto set)")
    ax1.set_ylabel("max regret / objective's range")
    ax1.legend(fontsize=7, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    ax1.grid(alpha=0.3, axis="y")
    ax1.set_title("Worst-case regret over the uncertainty sample", fontsize=10)
    ax2.barh(xs, summary.loc[order, "satisficing_share"], color="C2")
    ax2.set_yticks(xs, [str(s) for s in order], fontsize=8)
    ax2.invert_yaxis()
    ax2.set_xlim(0, 1)
    ax2.set_xlabel("share of runs meeting every threshold")
    ax2.set_title("Satisficing share", fontsize=10)
    ax2.grid(alpha=0.3, axis="x")
    return save_figure(fig, folder, "advise_regret")


# ---------------------------------------------------------------------- command
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
    workers: int = 2,
    cluster: str | None = None,
    resume: bool = False,
    progress: bool = True,
    thresholds: dict[str, float] | None = None,
) -> tuple[Path, Any]:
    from .sweep import sweep

    preset = QUICK if quick else FULL
    n_s = n_strategies or preset["strategies"]
    n_u = n_scenarios or preset["scenarios"]
    reps = replications or preset["replications"]
    if n_s < 2 or n_u < 2:
        raise ScenarioError(f"--strategies and --scenarios must be at least 2 (got {n_s}, {n_u})")
    exp, strat, unc = build_experiment(
        scenario,
        n_strategies=n_s,
        n_scenarios=n_u,
        replications=reps,
        months=months,
        citizens=citizens or (QUICK["citizens"] if quick else None),
        seed=seed,
        quick=quick,
    )
    out = Path(out)
    res = sweep(exp, out, workers=workers, cluster=cluster, resume=resume, progress=progress)
    base = load_scenario(exp.base).model_dump()
    adv = {
        "strategies": strat,
        "scenarios": unc,
        "levers": {k: v if isinstance(v, list) else list(v) for k, v in LEVERS.items()},
        "uncertainty_ranges": {k: list(v) for k, v in uncertainty_ranges(base).items()},
        "objectives": [{"name": n, "label": lab, "direction": d} for n, lab, d in OBJECTIVES],
    }
    tmp = out / "advice.json.tmp"
    tmp.write_text(json.dumps(adv, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / "advice.json")
    report = analyse_advice(out, thresholds)
    return report, res


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
