"""Comparing two scenarios over replications with common random numbers."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import atomic_replace
from .config import ScenarioConfig
from .kpis import KPI_INFO
from .runner import RunResult, mean_ci, run
from .seeds import replication_seeds


@dataclass
class Comparison:
    labels: tuple[str, str]
    seeds: list[int]
    kpis: pd.DataFrame  # one row per (label, replication)
    curves: dict[str, np.ndarray]  # label -> (replications, months + 1) adoption
    table: pd.DataFrame  # one row per KPI: means, difference and its 95 % CI


def _one(args: tuple[ScenarioConfig, int]) -> RunResult:
    config, seed = args
    return run(config, seed=seed)


def compare(
    a: ScenarioConfig,
    b: ScenarioConfig,
    *,
    labels: tuple[str, str] = ("A", "B"),
    replications: int = 5,
    master_seed: int | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Run ``a`` and ``b`` with the same seed in each replication (common random numbers)
    and tabulate each KPI's mean difference B - A with a paired 95 % t interval."""
    master = a.run.seed if master_seed is None else master_seed
    seeds = replication_seeds(master, replications)
    jobs = [(cfg, s) for s in seeds for cfg in (a, b)]
    results: list[RunResult] = []
    if workers > 1:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
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
    curves: dict[str, list[np.ndarray]] = {labels[0]: [], labels[1]: []}
    for i, res in enumerate(results):
        label = labels[i % 2]
        rows.append({"label": label, "replication": i // 2, "seed": res.seed, **res.kpis})
        curves[label].append(res.timeseries["adoption"].to_numpy())
    frame = pd.DataFrame(rows)
    table = []
    for kpi, (unit, _) in KPI_INFO.items():
        va = pd.to_numeric(frame.loc[frame.label == labels[0], kpi], errors="coerce").to_numpy(float)
        vb = pd.to_numeric(frame.loc[frame.label == labels[1], kpi], errors="coerce").to_numpy(float)
        diff = vb - va
        d, lo, hi = mean_ci(diff)
        table.append(
            {
                "kpi": kpi,
                "unit": unit,
                labels[0]: np.nanmean(va) if np.isfinite(va).any() else np.nan,
                labels[1]: np.nanmean(vb) if np.isfinite(vb).any() else np.nan,
                "difference": d,
                "ci_low": lo,
                "ci_high": hi,
                "n_pairs": int(np.isfinite(diff).sum()),
            }
        )
    return Comparison(labels, seeds, frame, {k: np.vstack(v) for k, v in curves.items()}, pd.DataFrame(table))


def write(comp: Comparison, out_dir: Path, title: str) -> None:
    from .plotting import plot_bands

    with atomic_replace(out_dir) as tmp:
        comp.table.to_csv(tmp / "comparison.csv", index=False)
        comp.kpis.to_csv(tmp / "replications.csv", index=False)
        plot_bands(comp.curves, tmp / "adoption_compare.png", title=title)
