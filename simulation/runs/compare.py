"""Comparing two scenarios over replications with common random numbers.

Replication ``i`` of A and of B run with the same seed, so every KPI and scorecard cell is
compared over *pairs* (paired t interval of B - A, as ``scipy.stats.ttest_rel``).
Time-to-event KPIs follow the one censoring rule of :mod:`simulation.runs.stats`: never within
the horizon counts as horizon + 1 (restricted mean time), with the runs that reached the
event per arm and, with at least ``MIN_REACHED`` such pairs, the difference among pairs in
which both reached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import RELATIONS, ScenarioConfig
from ..io.atomic import atomic_replace
from ..io.pools import process_pool
from ..outputs.kpis import KPI_INFO
from ..outputs.scorecard import CELLS, PERSPECTIVES
from .runner import RunResult, run_job
from .seeds import replication_seeds
from .stats import TOO_FEW, compare_times, is_time_to_event, paired

#: Time series drawn in the comparison figure (name, axis label).
COMPARE_SERIES = (
    ("adoption", "adoption (share)"),
    ("integration", "parties integrated (share)"),
    ("cumulative_cost", "cumulative cost (M€)"),
    ("mean_trust", "trust in the programme (0..1)"),
    ("legitimacy", "legitimacy among the public (0..1)"),
)


@dataclass
class Comparison:
    labels: tuple[str, str]
    seeds: list[int]
    kpis: pd.DataFrame  # one row per (label, replication), scorecard cells as sc.<p>.<r>
    curves: dict[str, np.ndarray]  # label -> (replications, months + 1) adoption
    table: pd.DataFrame  # one row per KPI: means, paired difference, its 95 % CI, n, reached
    scorecard: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per cell: A, B, B - A, CI
    series: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # variable -> label -> runs
    #: With an ensemble: one row per KPI and scorecard cell (share of draws where B is
    #: higher/better, the 5-95 % range of the per-draw mean difference, variance split).
    ensemble: pd.DataFrame | None = None
    draws: list[dict[str, float]] = field(default_factory=list)
    ensemble_label: str = ""


#: One run of a pair (kept under its old name: ``runner.run_job``).
_one = run_job


def verdict(direction: str, low: float, high: float) -> str:
    """'B better' / 'B worse' when the 95 % CI of B - A excludes 0, else 'no clear difference'."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "not applicable"
    if low > 0 or high < 0:
        up = low > 0
        return "B better" if up == (direction == "higher") else "B worse"
    return "no clear difference"


def _ab_columns(labels: tuple[str, str], va: np.ndarray, vb: np.ndarray, res: Any) -> dict[str, float]:
    """A's and B's means (NaN where no run has a value) and the paired B - A with its CI."""
    return {
        labels[0]: float(np.nanmean(va)) if np.isfinite(va).any() else np.nan,
        labels[1]: float(np.nanmean(vb)) if np.isfinite(vb).any() else np.nan,
        "difference": res.difference,
        "ci_low": res.ci_low,
        "ci_high": res.ci_high,
    }


def kpi_table(frame: pd.DataFrame, labels: tuple[str, str], horizons: tuple[int, int]) -> pd.DataFrame:
    """One row per KPI: A and B means, paired B - A with its 95 % CI and p, pairs, and for
    time-to-event KPIs the runs that reached per arm and the difference among reached pairs."""
    table = []
    for kpi, (unit, _) in KPI_INFO.items():
        va = pd.to_numeric(frame.loc[frame.label == labels[0], kpi], errors="coerce").to_numpy(float)
        vb = pd.to_numeric(frame.loc[frame.label == labels[1], kpi], errors="coerce").to_numpy(float)
        row = {"kpi": kpi, "unit": unit}
        if is_time_to_event(kpi):
            tc = compare_times(kpi, va, vb, max(horizons))
            # Each arm censored at its own horizon + 1 for its mean; the paired difference
            # uses the common horizon (equal unless A and B simulate different months).
            res = tc.restricted
            ma = float(np.where(np.isnan(va), horizons[0] + 1.0, va).mean()) if len(va) else np.nan
            mb = float(np.where(np.isnan(vb), horizons[1] + 1.0, vb).mean()) if len(vb) else np.nan
            among = tc.among_reached
            row |= {
                "unit": "months (restricted mean; never = horizon + 1)",
                labels[0]: ma,
                labels[1]: mb,
                "difference": res.difference,
                "ci_low": res.ci_low,
                "ci_high": res.ci_high,
                "p_paired": res.p,
                "n_pairs": res.n,
                "reached_a": tc.reached_a,
                "reached_b": tc.reached_b,
                "both_reached": tc.both,
                "difference_reached": among.difference if among else np.nan,
                "reached_ci_low": among.ci_low if among else np.nan,
                "reached_ci_high": among.ci_high if among else np.nan,
                "note": "" if among else f"{TOO_FEW} ({tc.both} pairs) for the difference among reached",
            }
        else:
            res = paired(va, vb)
            row |= _ab_columns(labels, va, vb, res) | {
                "p_paired": res.p,
                "n_pairs": res.n,
                "reached_a": np.nan,
                "reached_b": np.nan,
                "both_reached": np.nan,
                "difference_reached": np.nan,
                "reached_ci_low": np.nan,
                "reached_ci_high": np.nan,
                "note": "",
            }
        table.append(row)
    return pd.DataFrame(table)


def scorecard_table(frame: pd.DataFrame, labels: tuple[str, str]) -> pd.DataFrame:
    """One row per scorecard cell: indicator, unit, direction, A and B means, paired B - A
    with its 95 % CI and a verdict ('B better', 'B worse', 'no clear difference', 'not applicable')."""
    rows = []
    a = frame[frame.label == labels[0]].sort_values("replication")
    b = frame[frame.label == labels[1]].sort_values("replication")
    for p in PERSPECTIVES:
        for r in RELATIONS:
            col = f"sc.{p}.{r}"
            cell = CELLS[p][r]
            va, vb = a[col].to_numpy(float), b[col].to_numpy(float)
            res = paired(va, vb)
            rows.append(
                {
                    "perspective": p,
                    "relation": r,
                    "indicator": cell.indicator,
                    "unit": cell.unit,
                    "direction": f"{cell.direction} is better",
                    **_ab_columns(labels, va, vb, res),
                    "n_pairs": res.n,
                    "verdict": verdict(cell.direction, res.ci_low, res.ci_high),
                }
            )
    return pd.DataFrame(rows)


def compare(
    a: ScenarioConfig,
    b: ScenarioConfig,
    *,
    labels: tuple[str, str] = ("A", "B"),
    replications: int = 5,
    master_seed: int | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    draws: Sequence[Mapping[str, float]] | None = None,
    pinned: tuple[Iterable[str], Iterable[str]] = ((), ()),
    ensemble_label: str = "",
) -> Comparison:
    """Run ``a`` and ``b`` with the same seed in each replication (common random numbers)
    and tabulate each KPI's and scorecard cell's mean difference B - A with a paired 95 % t interval.

    With ``draws`` (parameter draws, :mod:`simulation.runs.ensemble`) every draw runs every
    replication seed in both A and B (common parameters and common random numbers), except
    the ``pinned`` parameters of each arm; the tables then pool draws x replications and
    :attr:`Comparison.ensemble` tells how the difference varies over the draws."""
    from .ensemble import configure

    master = a.run.seed if master_seed is None else master_seed
    seeds = replication_seeds(master, replications)
    draw_list = [{}] if draws is None else [dict(d) for d in draws]
    arms = [
        (configure(a, d, pinned[0], "ensemble draw (A)"), configure(b, d, pinned[1], "ensemble draw (B)"))
        for d in draw_list
    ]
    jobs = [(cfg, s) for pair in arms for s in seeds for cfg in pair]
    results: list[RunResult] = []
    if workers > 1:
        with process_pool(workers) as pool:
            for i, res in enumerate(pool.map(_one, jobs)):
                results.append(res)
                if progress:
                    progress(i + 1, len(jobs))
    else:
        for i, job in enumerate(jobs):
            results.append(_one(job))
            if progress:
                progress(i + 1, len(jobs))
    rows = []
    series: dict[str, dict[str, list[np.ndarray]]] = {
        v: {labels[0]: [], labels[1]: []} for v, _ in COMPARE_SERIES
    }
    for i, res in enumerate(results):
        label = labels[i % 2]
        d, r = divmod(i // 2, replications)
        extra = {"draw": d} if draws is not None else {}
        rows.append(
            {"label": label, "replication": i // 2, **extra, "seed": res.seed, **res.kpis, **res.cells()}
        )
        for v, _ in COMPARE_SERIES:
            series[v][label].append(res.timeseries[v].to_numpy(dtype=float))
    frame = pd.DataFrame(rows)
    stacked = {v: {k: np.vstack(arrs) for k, arrs in per.items()} for v, per in series.items()}
    return Comparison(
        labels,
        seeds,
        frame,
        stacked["adoption"],
        kpi_table(frame, labels, (a.run.months, b.run.months)),
        scorecard_table(frame, labels),
        stacked,
        ensemble_table(frame, labels, len(draw_list), replications, (a.run.months, b.run.months))
        if draws is not None
        else None,
        draw_list if draws is not None else [],
        ensemble_label,
    )


#: A verdict over the draws is "robust" when at least this share of them agrees.
ROBUST_SHARE = 0.9


def ensemble_verdict(share_better: float) -> str:
    """What share of plausible parameterisations B is better in, as words."""
    if not np.isfinite(share_better):
        return "not applicable"
    if share_better >= ROBUST_SHARE:
        return "B better in nearly all draws"
    if share_better <= 1 - ROBUST_SHARE:
        return "B worse in nearly all draws"
    return f"depends on the parameters (B better in {share_better:.0%})"


def ensemble_table(
    frame: pd.DataFrame, labels: tuple[str, str], n_draws: int, reps: int, horizons: tuple[int, int]
) -> pd.DataFrame:
    """Per KPI and scorecard cell, over the draws: the mean paired difference B - A per draw,
    the share of draws in which it is positive (KPIs) or better (cells), its 5-95 % range,
    and the share of the difference's variance due to parameters vs seeds."""
    from .ensemble import variance_split

    a = frame[frame.label == labels[0]].sort_values("replication")
    b = frame[frame.label == labels[1]].sort_values("replication")
    rows = []
    names = [(k, None) for k in KPI_INFO] + [
        (f"sc.{p}.{r}", CELLS[p][r].direction) for p in PERSPECTIVES for r in RELATIONS
    ]
    for name, direction in names:
        va = pd.to_numeric(a[name], errors="coerce").to_numpy(float)
        vb = pd.to_numeric(b[name], errors="coerce").to_numpy(float)
        if is_time_to_event(name):
            h = max(horizons) + 1.0
            va, vb = np.where(np.isnan(va), h, va), np.where(np.isnan(vb), h, vb)
        diff = (vb - va).reshape(n_draws, reps)
        with np.errstate(all="ignore"):
            counts = np.isfinite(diff).sum(axis=1)
            per_draw = np.where(counts > 0, np.nansum(diff, axis=1) / np.maximum(counts, 1), np.nan)
        ok = per_draw[np.isfinite(per_draw)]
        split = variance_split(diff)
        row: dict[str, object] = {
            "name": name,
            "n_draws": n_draws,
            "replications": reps,
            "mean_difference": float(ok.mean()) if ok.size else np.nan,
            "draw_p05": float(np.quantile(ok, 0.05)) if ok.size else np.nan,
            "draw_p95": float(np.quantile(ok, 0.95)) if ok.size else np.nan,
            "share_b_higher": float(np.mean(ok > 0)) if ok.size else np.nan,
            "param_share": split["param_share"],
            "seed_share": split["seed_share"],
        }
        if direction is not None:
            better = ok > 0 if direction == "higher" else ok < 0
            share = float(np.mean(better)) if ok.size and np.any(ok != 0) else np.nan
            row |= {
                "direction": f"{direction} is better",
                "share_b_better": share,
                "verdict": ensemble_verdict(share),
            }
        else:
            row |= {"direction": "", "share_b_better": np.nan, "verdict": ""}
        rows.append(row)
    return pd.DataFrame(rows)


def write(comp: Comparison, out_dir: Path, title: str) -> None:
    from ..outputs.plotting import plot_bands, plot_compare_series, plot_scorecard_difference

    with atomic_replace(out_dir) as tmp:
        comp.table.to_csv(tmp / "comparison.csv", index=False)
        comp.scorecard.to_csv(tmp / "scorecard_comparison.csv", index=False)
        comp.kpis.to_csv(tmp / "replications.csv", index=False)
        if comp.ensemble is not None:
            comp.ensemble.to_csv(tmp / "ensemble.csv", index=False)
            pd.DataFrame([{"draw": i, **d} for i, d in enumerate(comp.draws)]).to_csv(
                tmp / "draws.csv", index=False
            )
        plot_bands(comp.curves, tmp / "adoption_compare.png", title=title)
        if comp.series:
            plot_compare_series(
                comp.series, COMPARE_SERIES, tmp / "compare_series.png", title=" vs ".join(comp.labels)
            )
        if not comp.scorecard.empty:
            plot_scorecard_difference(comp.scorecard, comp.labels, tmp / "scorecard_compare.png")
