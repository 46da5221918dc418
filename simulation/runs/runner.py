"""Running one scenario and writing its output folder."""

from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import ScenarioConfig
from ..io.atomic import atomic_replace
from ..io.resources import package_version
from ..model import EGovModel
from ..outputs import kpis as kpi_module, scorecard as scorecard_module
from ..outputs.narrative import EVENT_COLUMNS, narrative

if TYPE_CHECKING:
    import pandas as pd

    from ..outputs.plot_process import Plotter

OUTPUT_FILES = ("timeseries.csv", "kpis.json", "scorecard.csv", "events.csv", "manifest.json", "adoption.png")
PACKAGES = ("mesa", "numpy", "scipy", "pandas", "matplotlib", "networkx", "pydantic")


@dataclass
class RunResult:
    """Everything one run produced. ``timeseries`` and ``scorecard`` are pandas frames,
    built on first use from the plain columns and rows the run collected (so that
    ``egov-sim run`` itself never imports pandas: start-up time)."""

    config: ScenarioConfig
    seed: int
    series: dict[str, list[Any]] = field(repr=False)
    kpis: dict[str, Any]
    scorecard_rows: list[dict[str, Any]] = field(repr=False)
    wall_time: float
    model: EGovModel | None = field(default=None, repr=False)
    event_rows: list[dict[str, Any]] = field(default_factory=list, repr=False)
    narrative: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @cached_property
    def events(self) -> pd.DataFrame:
        """The event log: one row per event (``month``, ``party``, ``event``, ``cause``)."""
        import pandas as pd

        return pd.DataFrame(self.event_rows, columns=list(EVENT_COLUMNS))

    @cached_property
    def timeseries(self) -> pd.DataFrame:
        """One row per month (columns ``step`` and :data:`~simulation.model.SERIES`)."""
        import pandas as pd

        return pd.DataFrame(self.series)

    def cells(self) -> dict[str, float]:
        """The scorecard as ``{"sc.<perspective>.<relation>": value}`` (comparison tables)."""
        return {f"sc.{r['perspective']}.{r['relation']}": float(r["value"]) for r in self.scorecard_rows}

    @cached_property
    def scorecard(self) -> pd.DataFrame:
        """The scorecard, one row per cell (perspective, relation, focus, indicator, value, unit, direction)."""
        import pandas as pd

        return pd.DataFrame(self.scorecard_rows)


def run(
    config: ScenarioConfig, *, seed: int | None = None, steps: int | None = None, keep_model: bool = False
) -> RunResult:
    """Run ``config`` for ``steps`` months (default ``[run] months``) with ``seed``
    (default ``[run] seed``) and collect its time series, KPIs and scorecard."""
    start = time.perf_counter()
    if seed is not None or steps is not None:
        # Validated like a scenario file's [run] section (model_copy would skip the checks).
        from ..io.scenario_io import deep_merge, validate

        changes = {k: v for k, v in (("seed", seed), ("months", steps)) if v is not None}
        what = ", ".join(f"{'steps' if k == 'months' else k}={v!r}" for k, v in changes.items())
        config = validate(deep_merge(config.model_dump(), {"run": changes}), f"run({what})")
    model = EGovModel(config)
    while model.running and model.steps < model.months:
        model.step()
    return result_of(model, config, time.perf_counter() - start, keep_model=keep_model)


def run_job(job: tuple[ScenarioConfig, int]) -> RunResult:
    """``run(config, seed=seed)`` for a ``(config, seed)`` pair: the task a process pool maps
    (module level, so it pickles)."""
    config, seed = job
    return run(config, seed=seed)


def result_of(
    model: EGovModel, config: ScenarioConfig, wall_time: float = 0.0, keep_model: bool = False
) -> RunResult:
    """What ``model`` produced so far (its month ``model.steps``) as a :class:`RunResult`."""
    figures = kpi_module.compute(model)
    return RunResult(
        config=config,
        seed=config.run.seed,
        series={k: list(v) for k, v in model.datacollector.model_vars.items()},
        kpis=figures,
        scorecard_rows=scorecard_module.as_rows(scorecard_module.compute(model)),
        wall_time=wall_time,
        model=model if keep_model else None,
        event_rows=list(model.events),
        narrative=narrative(model.events, figures, model.month),
        warnings=list(model.warnings),
    )


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    out.update({name: package_version(name) for name in ("egov-sim", *PACKAGES)})
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
        "narrative": result.narrative,
        "warnings": result.warnings,
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


#: How ``run`` draws adoption.png: Pillow in-process (fast start-up) or matplotlib.
FIGURES = ("quick", "matplotlib")


def write_outputs(
    result: RunResult,
    out_dir: Path,
    source: str,
    plotter: Plotter | None = None,
    extra: Any = None,
    figure: str = "quick",
) -> Path:
    """Write the five output files; atomically (a half-written folder never appears).
    ``extra(folder)``, if given, writes more files into the same atomic folder.
    ``figure``: "quick" draws adoption.png in-process with Pillow (lineplot.py), "matplotlib"
    with matplotlib (in ``plotter``, a helper process, when given)."""
    if figure not in FIGURES:
        raise ValueError(f"figure: {figure!r} is not one of {', '.join(FIGURES)}")
    from ..io.csvout import rows_to_csv, to_csv

    with atomic_replace(out_dir) as tmp:
        # The bytes pandas would write, without importing pandas when the data are plain.
        for name, text, frame in (
            ("timeseries.csv", to_csv(result.series), "timeseries"),
            ("scorecard.csv", rows_to_csv(result.scorecard_rows), "scorecard"),
            ("events.csv", rows_to_csv(result.event_rows), "events"),
        ):
            if text is None:
                getattr(result, frame).to_csv(tmp / name, index=False)
            else:
                (tmp / name).write_text(text, encoding="utf-8", newline="")
            if name == "timeseries.csv" and plotter is not None and figure == "matplotlib":
                # The figure is drawn from this file while the others are written.
                plotter.submit(tmp / name, run_title(result), tmp / "adoption.png")
        write_json(tmp / "kpis.json", result.kpis)
        write_json(tmp / "manifest.json", manifest(result, source))
        if extra is not None:
            extra(tmp)
        if figure == "quick":
            from ..outputs.lineplot import draw_run

            draw_run(result.series, run_title(result), tmp / "adoption.png")
        elif plotter is not None:
            plotter.wait()
        else:
            from ..outputs.plotting import plot_run

            plot_run(result.timeseries, run_title(result), tmp / "adoption.png")
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
