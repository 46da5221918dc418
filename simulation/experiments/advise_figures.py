"""The figures of an ``advise`` report: Pareto scatter (with its label placement), parallel coordinates and regret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .advise_analysis import OBJECTIVES

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
