"""Figures, drawn with matplotlib's object API (no pyplot: faster, thread-safe)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: No software/version stamp, so the same run gives the same PNG bytes.
PNG_METADATA = {"Software": None}


def save(fig: Figure, path: Path) -> None:
    FigureCanvasAgg(fig)
    path = Path(path)
    meta = PNG_METADATA if path.suffix == ".png" else {"Creator": None, "Date": None}
    fig.savefig(path, dpi=110, metadata=meta)


def plot_run(timeseries: Mapping[str, Any], title: str, path: Path) -> None:
    """Adoption with service quality and integration; trust, resistance, legitimacy.
    ``timeseries``: a run's time-series columns (a ``DataFrame`` or a mapping of arrays)."""
    draw_run({k: np.asarray(timeseries[k]) for k in timeseries}, title, path)


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


def _job_waiting(stream) -> bool:
    """Whether ``stream`` (a pipe) has input ready; False where that cannot be told."""
    import select

    try:
        return bool(select.select([stream], [], [], 0)[0])
    except (OSError, ValueError):  # e.g. pipes on Windows
        return False


def _worker() -> None:
    """Plot jobs read from stdin, one JSON line each: ``{"csv", "title", "out"}``.

    Started by ``egov-sim run`` before the model runs, so that importing matplotlib and
    drawing use the second core instead of lengthening the run. Runs as a plain script
    (no package import: it must not pay for importing Mesa).
    """
    import io
    import json
    import sys

    # Warm up (fonts, text layout, the PNG writer) while the model still runs; not when a
    # job is waiting already (a small run): the warm-up would only delay it.
    if not _job_waiting(sys.stdin):
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


# ---------------------------------------------------------------------- scorecard colours
#: One colour meaning for every scorecard figure (CLI, reports, app): green = better,
#: red = worse, in the direction of each cell (``scorecard.CELLS``), blank = not applicable.
SCORE_CMAP = "RdYlGn"


def __getattr__(name: str):
    """``SCORE_HALF`` and ``cell_score`` live in scorecard.py (no matplotlib: the app uses
    them); still importable from here. Lazily, because this file also runs as a plain
    script (``_worker``), where relative imports fail."""
    if name in ("SCORE_HALF", "cell_score"):
        from . import scorecard

        return getattr(scorecard, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def relative_scores(stack: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Scores in [-1, 1] of each cell across conditions (axis 0): +1 = the best condition in
    that cell's direction, -1 = the worst, 0 when all are equal; NaN stays NaN."""
    import warnings

    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells (not applicable)
        lo, hi = np.nanmin(stack, 0), np.nanmax(stack, 0)
        span = np.where(hi > lo, hi - lo, np.nan)
        pos = np.where(np.isfinite(span), (stack - lo) / span * 2 - 1, np.where(np.isnan(stack), np.nan, 0.0))
    return pos * np.where(directions == "lower", -1.0, 1.0)


def score_colorbar(fig: Figure, mappable, axes, label: str) -> None:
    """The legend of the score colours: worse (red) ... better (green)."""
    bar = fig.colorbar(mappable, ax=axes, shrink=0.85, ticks=[-1, 0, 1])
    bar.ax.set_yticklabels(["worse", "neutral", "better"], fontsize=7)
    bar.set_label(label, fontsize=7)


VERDICT_COLOURS = {
    "B better": "#1a9850",
    "B worse": "#d73027",
    "no clear difference": "#e0e0e0",
    "not applicable": "#ffffff",
}


def plot_scorecard_difference(table, labels: tuple[str, str], path: Path, banner: str = "") -> None:
    """Scorecard of B - A: each cell shows A, B and B - A with its 95 % CI and unit; colour
    = verdict (B better / worse when the CI excludes 0, in the cell's direction)."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from ..config import RELATIONS
    from .scorecard import PERSPECTIVES

    names = list(VERDICT_COLOURS)
    by = table.set_index(["perspective", "relation"])
    codes = np.array([[names.index(by.at[(p, r), "verdict"]) for r in RELATIONS] for p in PERSPECTIVES])
    fig = Figure(figsize=(11, 6.6), layout="constrained")
    ax = fig.subplots()
    ax.imshow(codes, cmap=ListedColormap(list(VERDICT_COLOURS.values())), vmin=-0.5, vmax=3.5, aspect="auto")

    def num(v: float) -> str:
        return "n/a" if not np.isfinite(v) else f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"

    for i, p in enumerate(PERSPECTIVES):
        for j, r in enumerate(RELATIONS):
            row = by.loc[(p, r)]
            if not np.isfinite(row[labels[0]]) and not np.isfinite(row[labels[1]]):
                text = "not applicable"
            else:
                ci = (
                    f"[{num(row['ci_low'])}, {num(row['ci_high'])}]"
                    if np.isfinite(row["ci_low"])
                    else "(no CI)"
                )
                arrow = "↑" if row["direction"].startswith("higher") else "↓"
                text = (
                    f"A {num(row[labels[0]])}  B {num(row[labels[1]])} {row['unit']}\n"
                    f"B−A {num(row['difference'])} {ci}\n{arrow} {row['direction']}"
                )
            ax.text(j, i, text, ha="center", va="center", fontsize=6.5)
    ax.set_xticks(range(len(RELATIONS)), list(RELATIONS), fontsize=8)
    ax.set_yticks(range(len(PERSPECTIVES)), [p.replace("_", " ") for p in PERSPECTIVES], fontsize=8)
    ax.tick_params(length=0)
    ax.legend(
        handles=[Patch(facecolor=c, edgecolor="grey", label=n) for n, c in VERDICT_COLOURS.items()],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.06),
        ncol=4,
        fontsize=7,
        title="B against A (95 % CI of B − A excludes 0, in the direction that is better)",
        title_fontsize=7,
    )
    title = f"Scorecard: A = {labels[0]}, B = {labels[1]} (mean over paired replications)"
    ax.set_title(f"{banner}\n{title}" if banner else title, fontsize=9, color="black")
    save(fig, path)


def plot_compare_series(
    series: Mapping[str, Mapping[str, np.ndarray]], spec, path: Path, *, title: str
) -> None:
    """Mean with 95 % t band per label for adoption, integration, cost, trust, legitimacy."""
    from scipy import stats

    fig = Figure(figsize=(12, 7.5), layout="constrained")
    axes = fig.subplots(2, 3).ravel()
    for ax, (var, ylabel) in zip(axes, spec, strict=False):
        for label, arr in series[var].items():
            arr = np.asarray(arr, dtype=float)
            months = np.arange(arr.shape[1])
            n = arr.shape[0]
            mean = arr.mean(0)
            half = stats.t.ppf(0.975, n - 1) * arr.std(0, ddof=1) / np.sqrt(n) if n > 1 else 0 * mean
            (line,) = ax.plot(months, mean, lw=1.8, label=f"{label} (n={n})")
            ax.fill_between(months, mean - half, mean + half, color=line.get_color(), alpha=0.22, lw=0)
        ax.set_title(ylabel, fontsize=9)
        ax.set_xlabel("month", fontsize=8)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, loc="best")
    for ax in axes[len(spec) :]:
        ax.set_visible(False)
    fig.suptitle(f"{title}: mean and 95 % band", fontsize=10)
    save(fig, path)
