"""Figures, drawn with matplotlib's object API (no pyplot: faster, thread-safe)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from .runner import RunResult

#: No software/version stamp, so the same run gives the same PNG bytes.
PNG_METADATA = {"Software": None}


def save(fig: Figure, path: Path) -> None:
    FigureCanvasAgg(fig)
    path = Path(path)
    meta = PNG_METADATA if path.suffix == ".png" else {"Creator": None, "Date": None}
    fig.savefig(path, dpi=110, metadata=meta)


def plot_run(result: RunResult, path: Path) -> None:
    """Adoption with service quality and integration; trust, resistance, legitimacy."""
    ts = {k: result.timeseries[k].to_numpy() for k in result.timeseries.columns}
    from .runner import run_title

    draw_run(ts, run_title(result), path)


def draw_run(ts: Mapping[str, np.ndarray], title: str, path: Path) -> None:
    """The run figure from time-series columns (``step``, ``adoption``, ...)."""
    # Fixed margins: a constrained layout would double the drawing time of `egov-sim run`.
    fig = Figure(figsize=(9, 6.5))
    fig.subplots_adjust(left=0.08, right=0.91, top=0.94, bottom=0.08, hspace=0.06)
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(ts["step"], ts["adoption"], lw=2.5, label="adoption")
    top.plot(ts["step"], ts["service_quality"], label="service quality / reach")
    top.plot(ts["step"], ts["integration"], ls="--", label="parties integrated")
    top.plot(ts["step"], ts["links"], ls=":", label="back-office links working")
    top.set_ylabel("share")
    top.set_ylim(-0.02, 1.02)
    top.legend(loc="upper left", fontsize=8)
    top.set_title(title)
    bottom.plot(ts["step"], ts["mean_trust"], label="trust in programme")
    bottom.plot(ts["step"], ts["mean_resistance"], label="resistance")
    bottom.plot(ts["step"], ts["legitimacy"], label="legitimacy (citizens)")
    bottom.set_ylim(-0.02, 1.02)
    bottom.set_ylabel("mean (0..1)")
    bottom.set_xlabel("month")
    cost = bottom.twinx()
    cost.plot(ts["step"], ts["cumulative_cost"], color="grey", lw=1, label="cumulative cost (M€)")
    cost.set_ylabel("M€")
    lines = bottom.get_lines() + cost.get_lines()
    bottom.legend(lines, [ln.get_label() for ln in lines], loc="upper left", fontsize=8)
    save(fig, path)


def plot_bands(curves: Mapping[str, np.ndarray], path: Path, *, title: str, ylabel: str = "adoption") -> None:
    """Mean curve with a 95 % band (t interval over replications) per label.

    ``curves[label]`` is an array of shape (replications, months + 1).
    """
    from scipy import stats

    fig = Figure(figsize=(8, 4.8), layout="constrained")
    ax = fig.subplots()
    for label, arr in curves.items():
        arr = np.asarray(arr, dtype=float)
        months = np.arange(arr.shape[1])
        mean = arr.mean(0)
        n = arr.shape[0]
        half = stats.t.ppf(0.975, n - 1) * arr.std(0, ddof=1) / np.sqrt(n) if n > 1 else 0 * mean
        (line,) = ax.plot(months, mean, lw=2, label=f"{label} (n={n})")
        ax.fill_between(months, mean - half, mean + half, color=line.get_color(), alpha=0.25)
    ax.set_xlabel("month")
    ax.set_ylabel(ylabel)
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title)
    ax.legend(loc="upper left")
    save(fig, path)


def _worker() -> None:
    """Plot jobs read from stdin, one JSON line each: ``{"csv", "title", "out"}``.

    Started by ``egov-sim run`` before the model runs, so that importing matplotlib and
    drawing use the second core instead of lengthening the run. Runs as a plain script
    (no package import: it must not pay for importing Mesa).
    """
    import io
    import json
    import sys

    # Warm up (fonts, text layout, the PNG writer) while the model still runs.
    warm = Figure(figsize=(2, 2), layout="constrained")
    warm.subplots().plot([0, 1], label="x")
    FigureCanvasAgg(warm)
    warm.savefig(io.BytesIO(), format="png")
    for line in sys.stdin:
        job = json.loads(line)
        data = np.genfromtxt(job["csv"], delimiter=",", names=True, dtype=float, encoding="utf-8")
        draw_run({k: data[k] for k in data.dtype.names}, job["title"], Path(job["out"]))
        sys.stdout.write("done\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _worker()
