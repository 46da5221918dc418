"""Running one scenario and writing its output folder."""

from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import kpis as kpi_module
from . import scorecard as scorecard_module
from .atomic import atomic_replace
from .config import ScenarioConfig
from .model import EGovModel

OUTPUT_FILES = ("timeseries.csv", "kpis.json", "scorecard.csv", "manifest.json", "adoption.png")
PACKAGES = ("mesa", "numpy", "scipy", "pandas", "matplotlib", "networkx", "pydantic")


@dataclass
class RunResult:
    """Everything one run produced."""

    config: ScenarioConfig
    seed: int
    timeseries: pd.DataFrame
    kpis: dict[str, Any]
    scorecard: pd.DataFrame
    wall_time: float
    model: EGovModel | None = field(default=None, repr=False)


def run(
    config: ScenarioConfig, *, seed: int | None = None, steps: int | None = None, keep_model: bool = False
) -> RunResult:
    """Run ``config`` for ``steps`` months (default ``[run] months``) with ``seed``
    (default ``[run] seed``) and collect its time series, KPIs and scorecard."""
    start = time.perf_counter()
    if seed is not None or steps is not None:
        run_cfg = config.run.model_copy(
            update={
                "seed": config.run.seed if seed is None else seed,
                "months": config.run.months if steps is None else steps,
            }
        )
        config = config.model_copy(update={"run": run_cfg})
    model = EGovModel(config)
    while model.running and model.steps < model.months:
        model.step()
    series = pd.DataFrame(model.datacollector.model_vars)
    figures = kpi_module.compute(model)
    score = pd.DataFrame(scorecard_module.as_rows(scorecard_module.compute(model)))
    return RunResult(
        config=config,
        seed=config.run.seed,
        timeseries=series,
        kpis=figures,
        scorecard=score,
        wall_time=time.perf_counter() - start,
        model=model if keep_model else None,
    )


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("egov-sim", *PACKAGES):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def manifest(result: RunResult, source: str) -> dict[str, Any]:
    return {
        "scenario": source,
        "seed": result.seed,
        "months": result.config.run.months,
        "parameters": result.config.model_dump(),
        "versions": versions(),
        "wall_time_s": round(result.wall_time, 3),
        "outputs": list(OUTPUT_FILES),
        "note": "All outputs but this file's wall_time_s are byte-identical for the same seed.",
    }


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def run_title(result: RunResult) -> str:
    cfg = result.config
    return (
        f"{cfg.organisation.name}: {cfg.service.model}, {cfg.rollout.strategy} rollout "
        f"(seed {result.seed}, {cfg.citizens.count:,} {cfg.service.audience})"
    )


class Plotter:
    """A plotting process started ahead of the run (see ``plotting._worker``)."""

    def __init__(self) -> None:
        import subprocess
        import sys

        # The script's path, not an import: the parent must not pay for matplotlib.
        script = Path(__file__).with_name("plotting.py")
        self.proc = subprocess.Popen(
            [sys.executable, str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def plot(self, csv: Path, title: str, out: Path) -> None:
        job = json.dumps({"csv": str(csv), "title": title, "out": str(out)})
        self.proc.stdin.write(job + "\n")
        self.proc.stdin.flush()
        if self.proc.stdout.readline().strip() != "done":
            err = self.proc.stderr.read()
            raise RuntimeError(f"plotting process failed: {err.strip().splitlines()[-1:]}")

    def close(self) -> None:
        """Close the job stream; the process then exits on its own (its figures are
        complete: ``plot`` returned only after it said ``done``)."""
        if self.proc.poll() is None:
            self.proc.stdin.close()


def write_outputs(result: RunResult, out_dir: Path, source: str, plotter: Plotter | None = None) -> Path:
    """Write the five output files; atomically (a half-written folder never appears)."""
    with atomic_replace(out_dir) as tmp:
        result.timeseries.to_csv(tmp / "timeseries.csv", index=False)
        write_json(tmp / "kpis.json", result.kpis)
        result.scorecard.to_csv(tmp / "scorecard.csv", index=False)
        write_json(tmp / "manifest.json", manifest(result, source))
        if plotter is not None:
            plotter.plot(tmp / "timeseries.csv", run_title(result), tmp / "adoption.png")
        else:
            from .plotting import plot_run

            plot_run(result, tmp / "adoption.png")
    return out_dir


def default_out_dir(label: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path("results") / f"{stamp}-{label}"
    out, i = base, 1
    while out.exists():
        out, i = Path(f"{base}-{i}"), i + 1
    return out


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided t confidence interval (nan-safe; half-width 0 for n < 2)."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(v.mean())
    if v.size < 2:
        return m, m, m
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size))
    return m, m - half, m + half
