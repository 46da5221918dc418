"""Figures of the pattern map: one scenario x region grid per pattern, the overview, the Bass check."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from ..outputs.plotting import save
from . import bass
from .pattern_cells import REGIONS
from .verdicts import VERDICTS

COLOURS = {
    "holds": "#4daf4a",
    "does not hold": "#bdbdbd",
    "reversed": "#e41a1c",
    "inconclusive": "#ffd92f",
    "not applicable": "#ffffff",
}


def fmt_effect(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "–"
    a = abs(v)
    if a >= 100:
        return f"{v:+.0f}"
    if a >= 10:
        return f"{v:+.1f}"
    if a >= 1:
        return f"{v:+.2f}"
    return f"{v:+.3f}"


def _cell_text(c: Mapping[str, Any]) -> str:
    if c["verdict"] == "not applicable":
        return "n/a"
    pr = c.get("primary")
    if not pr or not pr.get("result"):
        return c["verdict"]
    r = pr["result"]
    ci = r.get("ci") or (None, None)
    head = c["verdict"] if pr["verdict"] == c["verdict"] else f"{c['verdict']}\n(shown: {pr['verdict']})"
    return f"{head}\n{fmt_effect(r.get('diff'))}\n[{fmt_effect(ci[0])}, {fmt_effect(ci[1])}]"


def plot_map(p: Mapping[str, Any], path: Path, title: str = "") -> None:
    """Scenario x region grid coloured by verdict, the primary effect annotated; ``title``
    replaces the measure line of the title (a pattern whose claims differ by region)."""
    scen = list(dict.fromkeys(c["scenario"] for c in p["cells"]))
    regs = list(dict.fromkeys(c["region"] for c in p["cells"]))
    by = {(c["scenario"], c["region"]): c for c in p["cells"]}
    fig = Figure(figsize=(2.2 * len(regs) + 3.6, 1.0 * len(scen) + 1.9), layout="constrained")
    ax = fig.subplots()
    for i, s in enumerate(scen):
        for j, r in enumerate(regs):
            c = by.get((s, r))
            v = c["verdict"] if c else "not applicable"
            hatch = "//" if v == "not applicable" else None
            ax.add_patch(Rectangle((j, i), 1, 1, facecolor=COLOURS[v], edgecolor="k", lw=0.8, hatch=hatch))
            box = {"facecolor": "white", "edgecolor": "none", "pad": 1.5} if v == "not applicable" else None
            ax.text(
                j + 0.5, i + 0.5, _cell_text(c) if c else "", ha="center", va="center", fontsize=7.5, bbox=box
            )
    ax.set_xlim(0, len(regs))
    ax.set_ylim(len(scen), 0)
    ax.set_xticks(np.arange(len(regs)) + 0.5, regs)
    ax.set_yticks(np.arange(len(scen)) + 0.5, [s.replace("_", " ") for s in scen], fontsize=8)
    ax.tick_params(length=0)
    defs = "; ".join(
        f"{r.name}: resistance x{r.resistance_scale}, trust {'own' if r.trust is None else r.trust}"
        for r in REGIONS
    )
    ax.set_xlabel(f"region ({defs})", fontsize=8)
    shown = [c["primary"] for c in p["cells"] if c.get("primary")]
    labels = {(k["measure"], k["a"], k["b"]) for k in shown}
    if len(labels) == 1:
        m, a, b = labels.pop()
        measure = f"{m}, B − A ({b} − {a})"
    elif shown:  # the conditions depend on the cell (e.g. trust relative to the cell's own)
        measure = f"{shown[0]['text']}: B − A, conditions per cell in the report"
    else:
        measure = ""
    measure = title or measure
    ax.set_title(f"Pattern {p['number']}: {p['title']} ({p['label']})\n{measure}", fontsize=9)
    handles = [
        Patch(facecolor=COLOURS[v], edgecolor="k", hatch="//" if v == "not applicable" else None, label=v)
        for v in VERDICTS
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    save(fig, path)


def plot_overview(patterns: Sequence[Mapping[str, Any]], path: Path) -> None:
    """Every pattern (rows) in every cell (columns), coloured by verdict."""
    cols = list(dict.fromkeys((c["scenario"], c["region"]) for p in patterns for c in p["cells"]))
    fig = Figure(figsize=(0.55 * len(cols) + 4.5, 0.42 * len(patterns) + 2.6), layout="constrained")
    ax = fig.subplots()
    for i, p in enumerate(patterns):
        by = {(c["scenario"], c["region"]): c["verdict"] for c in p["cells"]}
        for j, k in enumerate(cols):
            v = by.get(k, "not applicable")
            ax.add_patch(
                Rectangle(
                    (j, i),
                    1,
                    1,
                    facecolor=COLOURS[v],
                    edgecolor="k",
                    lw=0.5,
                    hatch="//" if v == "not applicable" else None,
                )
            )
    ax.set_xlim(0, len(cols))
    ax.set_ylim(len(patterns), 0)
    ax.set_yticks(
        np.arange(len(patterns)) + 0.5,
        [f"{p['number']}. {p['title']} ({p['label']})" for p in patterns],
        fontsize=8,
    )
    ax.set_xticks(
        np.arange(len(cols)) + 0.5,
        [f"{s.replace('_', ' ')} · {r}" for s, r in cols],
        rotation=60,
        ha="right",
        fontsize=7,
    )
    ax.tick_params(length=0)
    handles = [
        Patch(facecolor=COLOURS[v], edgecolor="k", hatch="//" if v == "not applicable" else None, label=v)
        for v in VERDICTS
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.set_title("Where the patterns hold: pattern x (scenario · region)", fontsize=10)
    save(fig, path)  # fmt: skip


def plot_bass(cases: list[bass.BassCase], path: Path) -> None:
    pairs = sorted({(c.p, c.q) for c in cases}, key=lambda x: x[0] + x[1])
    fig = Figure(figsize=(4.2 * len(pairs), 4.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(pairs)))
    for ax, (p, q) in zip(axes, pairs, strict=True):
        sub_ = [c for c in cases if (c.p, c.q) == (p, q)]
        months = sub_[0].mean.size - 1
        t = np.arange(months + 1)
        ax.plot(t, bass.bass_discrete(p, q, months), "k-", lw=2.5, alpha=0.35, label="discrete map")
        ax.plot(t, bass.bass_continuous(p, q, t), "k--", lw=1, label="continuous Bass")
        for c in sub_:
            ax.plot(t, c.mean, lw=1, label=f"{c.network} n={c.n:,} (dev {c.max_dev_discrete:.3f})")
        ax.set(title=f"p={p:.4g}, q={q:.4g} per month", xlabel="month", ylabel="adoption")
        ax.legend(fontsize=7)
    save(fig, path)
