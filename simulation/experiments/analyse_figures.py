"""The figures of ``egov-sim analyse``: series, heatmaps, effect curves, sensitivity indices and scorecards."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy import stats

from ..config import RELATIONS
from ..outputs.scorecard import CELLS, PERSPECTIVES
from ..runs.stats import (
    mean_ci,
)
from .analyse_stats import _cell, _fmt, _label, _numeric

MAX_CONDITIONS = 8  # curves / scorecards drawn per design point up to this many points


QUICK_BANNER = "QUICK RUN (--quick): reduced samples / replications / months — a smoke test, not results"


#: Banner drawn on every figure of the current analysis ("" = none); set by :func:`analyse`.
_BANNER = {"text": ""}


# ---------------------------------------------------------------------- helpers
def _save(fig: Figure, folder: Path, stem: str) -> str:
    if _BANNER["text"]:
        title = fig.get_suptitle()
        fig.suptitle(f"{_BANNER['text']}\n{title}" if title else _BANNER["text"], color="firebrick")
    FigureCanvasAgg(fig)
    with mpl.rc_context({"svg.hashsalt": "egov-sim", "svg.fonttype": "path"}):
        fig.savefig(folder / f"{stem}.png", dpi=110, metadata={"Software": None})
        fig.savefig(folder / f"{stem}.svg", metadata={"Creator": None, "Date": None})
    return stem


# ---------------------------------------------------------------------- figures
def _conditions(ok: pd.DataFrame, factors: list[str], n_points: int) -> tuple[list[str], dict[str, pd.Index]]:
    """Groups of runs drawn as one curve/scorecard: points when few, else levels of the first factor."""
    out: dict[str, pd.Index] = {}
    if factors and n_points <= MAX_CONDITIONS:
        for _point, grp in ok.groupby("point", sort=True):
            out[_label({f: grp[f].iloc[0] for f in factors})] = grp["run"]
        return factors, out
    level_factors = [f for f in factors if ok[f].nunique() <= MAX_CONDITIONS]
    if level_factors:
        f = level_factors[0]
        for lv in ok[f].drop_duplicates():
            out[_label({f: lv})] = ok.loc[ok[f] == lv, "run"]
        return [f], out
    out["all runs"] = ok["run"]
    return [], out


def plot_series(
    ts: pd.DataFrame, groups: dict[str, pd.Index], variables: list[str], folder: Path, stem: str, title: str
) -> str:
    """Mean with 95 % t band per group, one panel per variable."""
    n = len(variables)
    cols = min(n, 2)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(6.2 * cols, 3.6 * rows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax, var in zip(axes, variables, strict=False):
        sub = ts[ts["variable"] == var]
        wide = sub.pivot(index="run", columns="step", values="value")
        for label, runs in groups.items():
            arr = wide.reindex(runs.to_numpy()).to_numpy(float)
            arr = arr[np.isfinite(arr).any(1)]
            if not len(arr):
                continue
            steps = wide.columns.to_numpy()
            mean = np.nanmean(arr, 0)
            k = arr.shape[0]
            half = stats.t.ppf(0.975, k - 1) * np.nanstd(arr, 0, ddof=1) / math.sqrt(k) if k > 1 else 0 * mean
            (line,) = ax.plot(steps, mean, lw=1.8, label=f"{label} (n={k})")
            ax.fill_between(steps, mean - half, mean + half, color=line.get_color(), alpha=0.22, lw=0)
        ax.set_title(var.replace("_", " "))
        ax.set_xlabel("month")
        ax.grid(alpha=0.3)
    for ax in axes[n:]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7, loc="best")
    fig.suptitle(title)
    return _save(fig, folder, stem)


def plot_heatmaps(
    summary: pd.DataFrame, factors: list[str], ok: pd.DataFrame, kpis: list[str], folder: Path, months: int
) -> str | None:
    """Mean KPI over two factors (the two with most levels); remaining factors as columns."""
    varying = [f for f in factors if ok[f].nunique() > 1]
    if len(varying) < 2:
        return None
    xy = sorted(varying, key=lambda f: -ok[f].nunique())[:2]
    rest = [f for f in varying if f not in xy]
    facets = list(ok[rest].drop_duplicates().itertuples(index=False, name=None)) if rest else [()]
    if len(facets) > 4:
        rest, facets = [], [()]
    fy, fx = xy
    xs, ys = list(ok[fx].drop_duplicates()), list(ok[fy].drop_duplicates())
    kpis = kpis[:4]
    fig = Figure(figsize=(3.2 + 3.4 * len(facets), 2.9 * len(kpis) + 0.4), layout="constrained")
    axes = fig.subplots(len(kpis), len(facets), squeeze=False)
    for r, k in enumerate(kpis):
        y = ok.assign(_y=_numeric(ok, k, months))
        grids = []
        for facet in facets:
            sub = y
            for f, v in zip(rest, facet, strict=True):
                sub = sub[sub[f] == v]
            grids.append(
                sub.groupby([fy, fx])["_y"].mean().unstack().reindex(index=ys, columns=xs).to_numpy(float)
            )
        lo = np.nanmin([np.nanmin(g) for g in grids])
        hi = np.nanmax([np.nanmax(g) for g in grids])
        for c, (facet, grid) in enumerate(zip(facets, grids, strict=True)):
            ax = axes[r, c]
            im = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis", vmin=lo, vmax=hi)
            for (i, j), v in np.ndenumerate(grid):
                if np.isfinite(v):
                    shade = (v - lo) / (hi - lo) if hi > lo else 0.5
                    ax.text(
                        j,
                        i,
                        _cell(v),
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="black" if shade > 0.55 else "white",
                    )
            ax.set_xticks(
                range(len(xs)), [_fmt(v, 2) if not isinstance(v, str) else v for v in xs], fontsize=7
            )
            ax.set_yticks(
                range(len(ys)), [_fmt(v, 2) if not isinstance(v, str) else v for v in ys], fontsize=7
            )
            ax.set_xlabel(fx, fontsize=8)
            ax.set_ylabel(fy, fontsize=8)
            head = _label(dict(zip(rest, facet, strict=True))) if rest else "all runs"
            ax.set_title(f"{k} — {head}", fontsize=9)
        fig.colorbar(im, ax=axes[r, :].tolist(), shrink=0.85)
    return _save(fig, folder, "heatmaps")


def plot_effect_curves(
    ok: pd.DataFrame,
    numeric: str,
    others: list[str],
    kpis: list[str],
    folder: Path,
    months: int,
    curve: pd.DataFrame | None,
) -> str:
    """KPI mean with 95 % band against one numeric factor, one line per level of the others."""
    kpis = kpis[:6]
    n = len(kpis) + (1 if curve is not None and not curve.empty else 0)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(4.6 * cols, 3.4 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    combos = list(ok[others].drop_duplicates().itertuples(index=False, name=None)) if others else [()]
    for ax, k in zip(axes, kpis, strict=False):
        y = ok.assign(_y=_numeric(ok, k, months))
        for combo in combos[:6]:
            sub = y
            for f, v in zip(others, combo, strict=True):
                sub = sub[sub[f] == v]
            xs, m, lo, hi = [], [], [], []
            for x, grp in sub.groupby(numeric, sort=True):
                a, b, c = mean_ci(grp["_y"].to_numpy())
                xs.append(x), m.append(a), lo.append(b), hi.append(c)
            (line,) = ax.plot(
                xs, m, marker="o", ms=3, label=_label(dict(zip(others, combo, strict=True))) or k
            )
            ax.fill_between(xs, lo, hi, color=line.get_color(), alpha=0.2, lw=0)
        ax.set_title(k, fontsize=9)
        ax.set_xlabel(numeric, fontsize=8)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    if curve is not None and not curve.empty:
        ax = axes[len(kpis)]
        for k, grp in curve.groupby("kpi", sort=False):
            if k not in ("final_integration", "failures", "months_to_50pct_adoption", "final_adoption"):
                continue
            scale = np.nanmax(np.abs(grp[["ci_low", "ci_high"]].to_numpy())) or 1.0
            (line,) = ax.plot(
                grp[numeric], grp["difference"] / scale, marker="o", ms=3, label=f"{k} (÷{_fmt(scale, 2)})"
            )
            ax.fill_between(
                grp[numeric],
                grp["ci_low"] / scale,
                grp["ci_high"] / scale,
                color=line.get_color(),
                alpha=0.15,
                lw=0,
            )
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title("difference (2nd - 1st level), scaled", fontsize=9)
        ax.set_xlabel(numeric, fontsize=8)
        ax.legend(fontsize=6)
    for ax in axes[n:]:
        ax.set_visible(False)
    return _save(fig, folder, "effect_curves")


def plot_indices(sens: pd.DataFrame, folder: Path, design: str) -> str:
    """Tornado-style horizontal bars per KPI: indices with their 95 % intervals."""
    kpis = list(dict.fromkeys(sens["kpi"]))[:6]
    cols = min(len(kpis), 3)
    rows = math.ceil(len(kpis) / cols)
    n_f = sens["factor"].nunique()
    fig = Figure(figsize=(5.4 * cols, (0.28 * n_f + 1.4) * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    kinds = {"sobol": ("S1", "ST"), "morris": ("mu_star", "sigma"), "lhs": ("spearman",)}[design]
    for ax, k in zip(axes, kpis, strict=False):
        sub = sens[sens.kpi == k]
        main = sub[sub["index"] == kinds[-1]].set_index("factor")
        order = main["value"].abs().sort_values().index.tolist()
        ypos = np.arange(len(order))
        h = 0.8 / len(kinds)
        for j, kind in enumerate(kinds):
            s = sub[sub["index"] == kind].set_index("factor").reindex(order)
            err = s["conf"].to_numpy(float)
            ax.barh(
                ypos + (j - (len(kinds) - 1) / 2) * h,
                s["value"],
                height=h,
                label=kind,
                xerr=np.where(np.isfinite(err), err, 0),
                error_kw={"lw": 0.8, "capsize": 1.5},
            )
        ax.set_yticks(ypos, [o.replace("_", " ") for o in order], fontsize=7)
        ax.axvline(0, color="black", lw=0.6)
        ax.set_title(k, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    axes[0].legend(fontsize=7, loc="lower right")
    for ax in axes[len(kpis) :]:
        ax.set_visible(False)
    return _save(fig, folder, "sensitivity")


def plot_scorecards(
    ok: pd.DataFrame, groups: dict[str, pd.Index], folder: Path
) -> tuple[str, pd.DataFrame] | None:
    """Mean scorecard (5 perspectives x 4 relations) per condition, side by side; colour
    places each cell between the worst (red) and best (green) condition in the cell's
    direction (``scorecard.CELLS``), with a legend; values carry unit and direction."""
    cols = [f"sc.{p}.{r}" for p in PERSPECTIVES for r in RELATIONS]
    if not all(c in ok for c in cols) or len(groups) < 1:
        return None
    by_run = ok.set_index("run")
    means = {
        label: by_run.loc[runs.to_numpy(), cols].mean().to_numpy().reshape(len(PERSPECTIVES), len(RELATIONS))
        for label, runs in groups.items()
    }
    from ..outputs.plotting import SCORE_CMAP, relative_scores, score_colorbar

    stack = np.stack(list(means.values()))
    directions = np.array([[CELLS[p][r].direction for r in RELATIONS] for p in PERSPECTIVES])
    scores = relative_scores(stack, directions)
    units = [[CELLS[p][r].unit for r in RELATIONS] for p in PERSPECTIVES]
    n = len(means)
    fig = Figure(figsize=(3.3 * n + 1.6, 3.6), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False).ravel()
    for i, (ax, (label, grid)) in enumerate(zip(axes, means.items(), strict=True)):
        im = ax.imshow(scores[i], cmap=SCORE_CMAP, vmin=-1, vmax=1, aspect="auto")
        for (r, c), v in np.ndenumerate(grid):
            arrow = "↑" if directions[r, c] == "higher" else "↓"
            ax.text(
                c,
                r,
                f"{_cell(v)}\n{units[r][c]} {arrow}" if np.isfinite(v) else "n/a",
                ha="center",
                va="center",
                fontsize=6.5,
                color="black",
            )
        ax.set_xticks(range(len(RELATIONS)), list(RELATIONS), fontsize=7)
        ax.set_yticks(
            range(len(PERSPECTIVES)),
            [p.replace("_", " ").replace("ion ", "ion\n") for p in PERSPECTIVES] if i == 0 else [],
            fontsize=7,
        )
        ax.set_title(label, fontsize=8)
    score_colorbar(fig, im, axes.tolist(), "this condition against the others shown")
    fig.suptitle(
        "Scorecard (mean per condition; ↑ / ↓ = higher / lower is better; green = best of the "
        "conditions in that cell, red = worst)",
        fontsize=9,
    )
    table = pd.DataFrame(
        [
            {"condition": label, "perspective": p, **dict(zip(RELATIONS, grid[i], strict=True))}
            for label, grid in means.items()
            for i, p in enumerate(PERSPECTIVES)
        ]
    )
    return _save(fig, folder, "scorecards"), table
