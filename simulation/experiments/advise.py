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

#: PRIM on the ranking flips: a box is a finding only at this density; fewer cases than
#: FEW_CASES inside it are flagged as likely overfitted.
MIN_DENSITY = 0.8
MASS_MIN = 0.1
FEW_CASES = 10

QUICK = {"strategies": 9, "scenarios": 12, "replications": 1, "citizens": 2000}
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


#: Seed of the Latin hypercube of extra candidates (beyond the named set): fixed, not the
#: master seed, so every ``--seed`` meets the same candidates (``--candidate-seed``).
CANDIDATE_SEED = 0


def candidates(base: dict[str, Any], n: int, seed: int = CANDIDATE_SEED) -> list[tuple[str, dict[str, Any]]]:
    """The candidate strategies, named: 0 = the scenario as written; then the nine designs
    (service model x rollout) at the scenario's own other levers, skipping the one the
    scenario already is; then Latin hypercube strategies over every lever (seeded by ``seed``,
    a fixed candidate seed, not the master seed). The first ``n`` are used."""
    from .decision_map import DESIGNS, design_label

    own = {name: base[name.split(".")[0]][name.split(".", 1)[1]] for name in LEVERS}
    written = (own["service.model"], own["rollout.strategy"])
    out = [(f"as written ({design_label(written)})", own)]
    seen = {json.dumps(own, sort_keys=True)}
    for model, rollout in DESIGNS:
        s = {**own, "service.model": model, "rollout.strategy": rollout}
        key = json.dumps(s, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append((design_label((model, rollout)), s))
    unit = _lhs(len(LEVERS), max(n - len(out), 1) * 2, seed)
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
            out.append((f"sampled {len(out)}", s))
    return out[:n]


def strategies(base: dict[str, Any], n: int, seed: int = CANDIDATE_SEED) -> list[dict[str, Any]]:
    """The lever values of :func:`candidates` (without the names)."""
    return [s for _, s in candidates(base, n, seed)]


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
    candidate_seed: int = CANDIDATE_SEED,
    ensemble: str | None = None,
) -> tuple[Experiment, list[dict[str, Any]], list[dict[str, float]]]:
    """The advise design: strategies x uncertainty scenarios as explicit points. With an
    ``ensemble`` uncertainty scenario k also gets parameter draw k mod (number of draws), the
    same draw for every strategy (common parameters); levers and uncertainties stay pinned."""
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
    strat = strategies(base, n_strategies, candidate_seed)
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
    if ensemble:
        from dataclasses import replace

        from .spec import with_ensemble

        exp = with_ensemble(exp, ensemble)
        n_d = len(exp.draws)
        exp = replace(exp, point_draws=tuple((p % len(unc)) % n_d for p in range(len(points))))
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


def thresholds_default(base: dict[str, Any]) -> dict[str, tuple[str, float]]:
    """Absolute satisficing thresholds (the decision map's, :data:`.decision_map.THRESHOLDS`):
    adoption at the horizon at least 0.5, first service within 48 months, no collapse,
    legitimacy at least the scenario's initial level. No cost bound by default (it scales with
    the organisation): give ``--threshold cost=M€``. They do not depend on any sample."""
    from .decision_map import THRESHOLDS

    return {
        "adoption": THRESHOLDS["adoption"],
        "collapse": THRESHOLDS["collapse"],
        "first_service": THRESHOLDS["first_service"],
        "legitimacy": (">=", float(base["citizens"]["initial_legitimacy"]) + THRESHOLDS["legitimacy"][1]),
    }


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


def is_finding(box: Any, min_density: float = MIN_DENSITY) -> bool:
    """A PRIM box counts as a finding only if its density reaches the threshold."""
    return bool(box.density >= min_density - 1e-12)


def box_where(box: Any, x: pd.DataFrame) -> str:
    """The box's restrictions, only the sides that restrict: a bound at the sample's minimum or
    maximum excludes no scenario (``trust.initial ≤ 0.63``, not ``0.21 ≤ trust.initial ≤ 0.63``)."""
    from .discover import active_text, describe_limit

    parts = []
    for name, lim in box.limits.items():
        if len(lim) == 2 and name in x.columns:
            parts.append(active_text(lim, float(x[name].min()), float(x[name].max()), name, digits=4))
        else:
            parts.append(describe_limit(name, lim))
    return " and ".join(parts) or "(the whole space)"


def few_text(box: Any, few: int = FEW_CASES, sep: str = "; the densest box is ") -> str:
    """``fitted to 4 cases, likely overfitted`` when the box holds fewer than ``few`` cases."""
    if box.cases >= few:
        return ""
    return f"{sep}fitted to {box.cases} case{'s' if box.cases != 1 else ''}, likely overfitted"


def flip_lines(
    found: list[Any],
    case: np.ndarray,
    best: int,
    flips: bool,
    x: pd.DataFrame,
    *,
    min_density: float = MIN_DENSITY,
    mass_min: float = MASS_MIN,
    few: int = FEW_CASES,
) -> list[str]:
    """The PRIM paragraph of the report: boxes that reach ``min_density`` are findings (flagged
    when fitted to fewer than ``few`` cases); if none does, it says so plainly."""
    what = "the runner-up beats the best" if flips else f"strategy {best} is not first"
    explains = "the flips" if flips else f"where strategy {best} is not first"
    base_rate = float(np.mean(case)) if len(case) else 0.0
    if not found:
        if np.any(case):
            return ["PRIM found no box that separates these scenarios from the rest.", ""]
        return [f"Strategy {best} is first in every scenario of the sample: the ranking does not flip.", ""]

    def stats(b: Any, flag: str = "") -> str:
        lift = b.density / base_rate if base_rate else float("nan")
        return (
            f"coverage {b.coverage:.2f}, density {b.density:.2f} (base rate {base_rate:.2f}, lift {lift:.1f}), "
            f"mass {b.mass:.2f} ({b.cases} case{'s' if b.cases != 1 else ''} in {b.points} points{flag})"
        )

    good = [b for b in found if is_finding(b, min_density)]
    if not good:
        top = max(found, key=lambda b: b.density)
        return [
            f"No region of the uncertainty space explains {explains}: best box density {top.density:.2f} < "
            f"{min_density:g}. PRIM on the uncertainty inputs (case = {what}, smallest box mass {mass_min:g}) "
            f"found no box on its peeling trajectory that reaches density {min_density:g}; the densest has "
            f"{stats(top)}. That is not a finding: no box concentrates the cases to density "
            f"{min_density:g}{few_text(top, few)} (`flip_boxes.csv` keeps the densest box with `finding` = false).",
            "",
        ]
    lines = [
        f"PRIM on the uncertainty inputs (case = {what}; on each peeling trajectory the box with the highest "
        f"coverage at density ≥ {min_density:g}, smallest box mass {mass_min:g}; a bound at the sample's "
        "minimum or maximum restricts nothing and is left out):",
        "",
    ]
    for b in found:
        if is_finding(b, min_density):
            lines.append(f"- **box {b.number}**: {box_where(b, x)} — {stats(b, few_text(b, few, '; '))}")
        else:
            lines.append(
                f"- box {b.number}: no further region (best box density {b.density:.2f} < {min_density:g}; "
                "not a finding)"
            )
    lines.append("")
    return lines


def flip_boxes_table(found: list[Any], x: pd.DataFrame) -> pd.DataFrame:
    """``discover.boxes_table`` plus ``finding`` (density reaches the threshold), ``few_cases``
    (fewer than FEW_CASES cases inside) and whether each bound restricts anything."""
    from .discover import active_side, boxes_table

    table = boxes_table(found)
    by_number = {b.number: b for b in found}
    table["finding"] = [is_finding(by_number[n]) for n in table["box"]]
    table["few_cases"] = [by_number[n].cases < FEW_CASES for n in table["box"]]
    low_active, high_active = [], []
    for _, row in table.iterrows():
        if row["input"] in x.columns and pd.notna(row["low"]):
            lo, hi = active_side(
                (row["low"], row["high"]), float(x[row["input"]].min()), float(x[row["input"]].max())
            )
            low_active.append(lo is not None)
            high_active.append(hi is not None)
        else:
            low_active.append(None)
            high_active.append(None)
    table["low_restricts"] = low_active
    table["high_restricts"] = high_active
    return table


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
        + " (`parties.scale.*` multiply every party group's value, clipped to [0, 1]). The candidates are a "
        "fixed, named set, the same for every seed: strategy 0 is the scenario as written, then the nine designs "
        "(service model x rollout) at its own other levers, then a Latin hypercube over the levers with candidate "
        f"seed {adv.get('candidate_seed', 0)}"
        + (
            f". Parameter ensemble `{adv['ensemble']}`: uncertainty scenario k also gets draw k mod the number of "
            "draws (draws.csv), the same for every strategy"
            if adv.get("ensemble")
            else ""
        )
        + ".",
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
            f"| {int(row['rank'])} | {s}: {row['name']} | {_lever_text(row)} | "
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
        + " (absolute defaults, the same for every seed: adoption ≥ 0.5, first service within 48 months, "
        "no collapse, legitimacy ≥ the scenario's initial level; no cost bound unless `--threshold cost=M€`; "
        "`--threshold` overrides).",
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
    lines += flip_lines(found, case, best, bool(flip.any()), unc)
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
#: Categorical colours for highlighted strategies: tab10 without its grey (index 7), which
#: the dominated strategies use; black is strategy 0.
HIGHLIGHT = ("C0", "C1", "C2", "C3", "C4", "C5", "C6", "C8", "C9")


def _label_groups(xy_px: np.ndarray, order: list[int], radius: float = 5.0) -> list[list[int]]:
    """Points (indices, in priority order) that lie within ``radius`` pixels of a group's first
    point share one label."""
    groups: list[list[int]] = []
    for i in order:
        for g in groups:
            if np.hypot(*(xy_px[i] - xy_px[g[0]])) <= radius:
                g.append(i)
                break
        else:
            groups.append([i])
    return groups


def _overlaps(
    box: tuple[float, float, float, float], others: list[tuple[float, float, float, float]]
) -> bool:
    x0, y0, x1, y1 = box
    return any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in others)


def place_labels(
    ax: Any,
    xs: np.ndarray,
    ys: np.ndarray,
    texts: list[str],
    order: list[int],
    *,
    keep: set[int],
    fontsize: float = 7.0,
    styles: dict[int, dict[str, Any]] | None = None,
    rings: dict[int, float] | None = None,
) -> int:
    """Label the points ``(xs, ys)`` without overlaps (a simple greedy search): points closer than
    a few pixels share one label ("5,9,11"); each label tries offsets around its point at growing
    distances (with a leader line when far) and takes the first free place inside the axes. Labels
    in ``keep`` are always drawn (at their last candidate if nothing is free); others are left out
    when there is no room. Returns the number of labels left out. The figure's layout must be final
    (``draw_without_rendering``) so that data and pixel coordinates agree."""
    fig = ax.figure
    dpi = fig.dpi
    px = ax.transData.transform(np.column_stack([xs, ys]))
    frame = ax.get_window_extent()
    mark = 5.0 * dpi / 72  # marker half-size, px
    taken = [(x - mark, y - mark, x + mark, y + mark) for x, y in px]
    for k, extra in (rings or {}).items():  # a ring around a point keeps labels off it
        r_px = extra * dpi / 72
        taken.append((px[k][0] - r_px, px[k][1] - r_px, px[k][0] + r_px, px[k][1] + r_px))
    h = 1.25 * fontsize * dpi / 72
    dirs = [(1, 1), (1, -1), (-1, 1), (-1, -1), (0, 1), (0, -1), (1, 0), (-1, 0)]
    skipped = 0
    for group in _label_groups(px, order):
        i = group[0]
        text = ",".join(
            texts[j] for j in sorted(group, key=lambda j: int(texts[j]) if texts[j].isdigit() else 0)
        )
        w = (0.62 * len(text) + 0.4) * fontsize * dpi / 72
        x, y = px[i]
        chosen = None
        for r in (0.0, 4.0, 10.0, 18.0, 28.0, 40.0):
            r_px = r * dpi / 72
            for dx, dy in dirs:
                gap = (0.6 if dx and dy else 1.0) * mark + r_px
                cx = x + dx * gap
                cy = y + dy * gap
                x0 = cx if dx > 0 else (cx - w if dx < 0 else cx - w / 2)
                y0 = cy if dy > 0 else (cy - h if dy < 0 else cy - h / 2)
                box = (x0, y0, x0 + w, y0 + h)
                inside = (
                    frame.x0 <= box[0] and box[2] <= frame.x1 and frame.y0 <= box[1] and box[3] <= frame.y1
                )
                if inside and not _overlaps(box, taken):
                    chosen = (box, r)
                    break
            if chosen:
                break
        if chosen is None:
            if not set(group) & keep:
                skipped += 1
                continue
            box = (x + mark, y + mark, x + mark + w, y + mark + h)
            chosen = (box, 0.0)
        box, r = chosen
        taken.append(box)
        style = {"fontsize": fontsize}
        for j in group:
            style.update((styles or {}).get(j, {}))
        ann = ax.annotate(
            text,
            (xs[i], ys[i]),
            xytext=((box[0] - x) * 72 / dpi, (box[1] - y) * 72 / dpi),
            textcoords="offset points",
            ha="left",
            va="bottom",
            arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "0.45", "shrinkA": 0, "shrinkB": 3}
            if r >= 10
            else None,
            **style,
        )
        ann.set_in_layout(False)
    return skipped


def plot_pareto(summary: pd.DataFrame, folder: Path, months: int) -> str:
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from .discover import save_figure

    fig = Figure(figsize=(10.5, 5.0), layout="constrained")
    axes = fig.subplots(1, 2)
    pairs = (("cost", "adoption"), ("first_service", "legitimacy"))
    label = {o[0]: o[1] for o in OBJECTIVES}
    arrow = {o[0]: "↑" if o[2] > 0 else "↓" for o in OBJECTIVES}
    dom = summary[~summary["pareto"]]
    par = summary[summary["pareto"]]
    sc = None
    for ax, (xa, ya) in zip(axes, pairs, strict=True):
        ax.scatter(dom[xa], dom[ya], c=dom["collapse"], cmap="Reds", vmin=0, vmax=1, s=40, edgecolors="0.5")
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
        )
        if 0 in summary.index:
            ax.scatter(
                [summary.loc[0, xa]], [summary.loc[0, ya]], s=330, facecolors="none", edgecolors="C0", lw=2.0
            )
        never = f"; never = {months + 1}" if xa == "first_service" else ""
        ax.set_xlabel(f"{label[xa]} (mean{never}) {arrow[xa]}")
        ax.set_ylabel(f"{label[ya]} (mean) {arrow[ya]}")
        ax.grid(alpha=0.3)
        ax.margins(0.08)
    handles = [
        Line2D([], [], ls="", marker="o", mfc="white", mec="0.5", ms=7, label="dominated"),
        Line2D([], [], ls="", marker="*", mfc="white", mec="k", ms=11, label="Pareto set (5 objectives)"),
        Line2D(
            [], [], ls="", marker="o", mfc="none", mec="C0", mew=2.0, ms=15, label="strategy 0 (as written)"
        ),
    ]
    fig.colorbar(sc, ax=axes, label="collapse risk", shrink=0.9)
    fig.suptitle("Strategies: means over the uncertainty sample (numbers = strategy)", fontsize=10)
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=3,
        fontsize=8,
        frameon=False,
        title="The Pareto set is non-dominated on all five objectives (cost, first service, adoption, collapse "
        "risk, legitimacy), so a star can look\ndominated in a 2-D view. Months to first service: never reached "
        f"counts as the horizon + 1 = {months + 1}.",
        title_fontsize=8,
    )
    fig.draw_without_rendering()  # final layout, so labels can be placed in pixels
    order = sorted(
        range(len(summary)),
        key=lambda k: (summary.index[k] != 0, not summary["pareto"].iloc[k], int(summary["rank"].iloc[k])),
    )
    keep = {k for k in range(len(summary)) if summary.index[k] == 0 or summary["pareto"].iloc[k]}
    styles = {k: {"color": "C0", "fontweight": "bold"} for k in range(len(summary)) if summary.index[k] == 0}
    texts = [str(s) for s in summary.index]
    for ax, (xa, ya) in zip(axes, pairs, strict=True):
        place_labels(
            ax,
            summary[xa].to_numpy(float),
            summary[ya].to_numpy(float),
            texts,
            order,
            keep=keep,
            styles=styles,
            rings={k: 11.0 for k in styles},
        )
    return save_figure(fig, folder, "advise_pareto")


def plot_parallel(summary: pd.DataFrame, folder: Path) -> str:
    from matplotlib.figure import Figure

    from .discover import save_figure

    fig = Figure(figsize=(9.0, 4.6), layout="constrained")
    ax = fig.add_subplot()
    cols = []
    for name, _, d in OBJECTIVES:
        v = summary[name]
        lo, hi = v.min(), v.max()
        scaled = (v - lo) / (hi - lo) if hi > lo else v * 0 + 0.5
        cols.append(scaled if d > 0 else 1 - scaled)
    mat = pd.DataFrame(np.column_stack(cols), index=summary.index)
    xs = np.arange(len(OBJECTIVES))
    # summary is sorted by rank: the first Pareto strategies are the best by score.
    pareto = [s for s in summary.index if summary.loc[s, "pareto"] and s != 0]
    coloured = pareto if len(pareto) <= len(HIGHLIGHT) else pareto[:8]
    rest = [s for s in pareto if s not in coloured]
    for s in summary.index:
        if not summary.loc[s, "pareto"] and s != 0:
            ax.plot(xs, mat.loc[s], lw=0.7, color="0.8", zorder=0)
    for k, s in enumerate(rest):
        ax.plot(
            xs,
            mat.loc[s],
            lw=0.9,
            ls="--",
            color="0.35",
            zorder=1,
            label=f"other Pareto strategies ({len(rest)})" if k == 0 else None,
        )
    for k, s in enumerate(coloured):
        r = int(summary.loc[s, "rank"])
        ax.plot(
            xs, mat.loc[s], lw=2.0, color=HIGHLIGHT[k], marker="o", ms=4, zorder=2, label=f"{s} (rank {r})"
        )
    if 0 in summary.index:
        r = int(summary.loc[0, "rank"])
        tag = "Pareto" if summary.loc[0, "pareto"] else "dominated"
        ax.plot(
            xs,
            mat.loc[0],
            lw=2.8,
            color="k",
            ls=(0, (4, 1.5)),
            marker="s",
            ms=5,
            zorder=3,
            label=f"0 = as written (rank {r}, {tag})",
        )
    ax.set_xticks(xs, [f"{o[1]}\n({'↑' if o[2] > 0 else '↓'})" for o in OBJECTIVES], fontsize=8)
    ax.set_ylabel("rescaled over strategies (1 = best)")
    ax.set_ylim(-0.05, 1.05)
    ax.grid(alpha=0.3)
    title = "Pareto set (top 8 by score)" if rest else "Pareto set"
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), title=title, title_fontsize=8)
    ax.set_title(
        "Parallel coordinates of the strategy means (light grey: dominated"
        + ("; dark dashed: other Pareto strategies)" if rest else ")"),
        fontsize=10,
    )
    return save_figure(fig, folder, "advise_parallel")


def plot_regret(summary: pd.DataFrame, norm_regret: pd.DataFrame, folder: Path) -> str:
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from .discover import save_figure

    fig = Figure(figsize=(10.5, 4.6), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2, width_ratios=[2, 1])
    order = list(summary.index)
    xs = np.arange(len(order))
    w = 0.8 / len(OBJECTIVES)
    zero_seen = False
    for j, (name, label, _) in enumerate(OBJECTIVES):
        v = norm_regret.loc[order, name].to_numpy(float)
        ax1.bar(xs + (j - 2) * w, v, width=w, label=label, color=f"C{j}")
        z = np.abs(v) < 1e-12
        if z.any():  # a zero regret is a result, not a missing bar
            ax1.scatter(
                xs[z] + (j - 2) * w,
                np.zeros(int(z.sum())),
                marker="^",
                s=26,
                color=f"C{j}",
                edgecolors="k",
                linewidths=0.5,
                zorder=3,
                clip_on=False,
            )
            zero_seen = True
    ax1.set_xticks(xs, [f"{s}{'*' if summary.loc[s, 'pareto'] else ''}" for s in order], fontsize=8)
    for tick, s in zip(ax1.get_xticklabels(), order, strict=True):
        if s == 0:
            tick.set_fontweight("bold")
    ax1.set_xlabel("strategy (by rank; * = Pareto set; bold = 0, as written)")
    ax1.set_ylabel("max regret / objective's range")
    ax1.set_ylim(0, 1.05)
    handles, _ = ax1.get_legend_handles_labels()
    if zero_seen:
        handles.append(
            Line2D([], [], ls="", marker="^", mfc="0.7", mec="k", ms=6, label="zero regret (bar of height 0)")
        )
    ax1.legend(handles=handles, fontsize=7, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    ax1.grid(alpha=0.3, axis="y")
    ax1.set_title("Worst-case regret over the uncertainty sample", fontsize=10)
    share = summary.loc[order, "satisficing_share"].to_numpy(float)
    colour = "0.25"  # not one of the objective colours
    ax2.barh(xs, share, color=colour, height=0.7)
    zero = share < 1e-12
    ax2.scatter(np.zeros(int(zero.sum())), xs[zero], marker="D", s=14, color=colour, clip_on=False, zorder=3)
    for y, v in zip(xs, share, strict=True):
        ax2.text(v + 0.015, y, f"{v:.2f}", va="center", ha="left", fontsize=7)
    ax2.set_yticks(xs, [f"{s}{' (as written)' if s == 0 else ''}" for s in order], fontsize=8)
    ax2.invert_yaxis()
    ax2.set_xlim(0, 1.12)
    ax2.set_xlabel("share of runs meeting every threshold")
    ax2.set_title("Satisficing share", fontsize=10)
    ax2.grid(alpha=0.3, axis="x")
    return save_figure(fig, folder, "advise_regret")


# ---------------------------------------------------------------------- command
#: Below this Spearman rank correlation (or when the best strategy changes) the report says
#: the ranking is not stable across seeds and suggests more replications.
STABLE_RANK = 0.8


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


def stability_lines(
    summary: pd.DataFrame, other: pd.DataFrame, seed: int, seed2: int
) -> tuple[list[str], dict]:
    """Agreement between the rankings of two master seeds over the same named candidates."""
    from scipy.stats import spearmanr

    a = summary["score"].sort_index()
    b = other["score"].reindex(a.index)
    rho = float(spearmanr(a.to_numpy(), b.to_numpy()).statistic) if len(a) > 2 else float("nan")
    best_a, best_b = int(a.idxmax()), int(b.idxmax())
    top = min(3, len(a))
    overlap = len(set(a.nlargest(top).index) & set(b.nlargest(top).index)) / top
    pa, pb = set(summary.index[summary["pareto"]]), set(other.index[other["pareto"].astype(bool)])
    jaccard = len(pa & pb) / len(pa | pb) if pa | pb else 1.0
    stable = best_a == best_b and rho >= STABLE_RANK
    figures = {
        "seed": seed,
        "seed2": seed2,
        "best": best_a,
        "best_seed2": best_b,
        "best_agrees": best_a == best_b,
        "spearman": rho,
        "top3_overlap": overlap,
        "pareto_jaccard": jaccard,
        "stable": stable,
    }
    lines = [
        "## Seed stability",
        "",
        f"The same candidates, run again with master seed {seed2} (a new uncertainty sample and new "
        f"replication seeds; folder `stability/`): best strategy {best_a} with seed {seed}, {best_b} with seed "
        f"{seed2} ({'agrees' if best_a == best_b else '**differs**'}); Spearman rank correlation of the mean "
        f"scores {rho:.3f}; top-{top} overlap {overlap:.2f}; Pareto sets overlap (Jaccard) {jaccard:.2f}.",
        "",
    ]
    if not stable:
        lines += [
            "**The recommendation is not stable across seeds** ("
            + ("the best strategy changes" if best_a != best_b else f"rank correlation below {STABLE_RANK:g}")
            + "): rerun with more replications (`--replications`) or uncertainty scenarios "
            "(`--scenarios`) before acting on it.",
            "",
        ]
    return lines, figures


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
