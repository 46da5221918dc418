"""The Markdown text of an ``advise`` report: ranking, flips, stability across seeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .advise_analysis import FEW_CASES, MASS_MIN, MIN_DENSITY, STABLE_RANK, few_text, is_finding


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
