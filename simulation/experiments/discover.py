"""Scenario discovery on a sweep folder: PRIM (Friedman & Fisher 1999) from the EMA Workbench.

``egov-sim discover DIR --kpi collapsed`` finds boxes in the factor space (the sweep's
factors are the inputs) where the condition on the KPI holds much more often than overall:

- boolean KPIs (``collapsed``, ``stalled``, ``cancelled``): the case is ``KPI == true``
  (``--false`` for ``KPI == false``);
- numeric KPIs need ``--below X`` or ``--above X`` (``final_adoption --below 0.5``).
  "Months to ..." KPIs that are never reached count as months + 1.

PRIM peels the box along one input at a time (``peel_alpha`` of the points), records the
peeling trajectory (coverage = share of all cases inside the box, density = share of the
points in the box that are cases, mass = share of all points in the box), then the box is
chosen on that trade-off curve: the one with the highest coverage whose density reaches
``--min-density`` (default 0.8; ties: the denser), else the densest. Up to ``--boxes`` boxes are found one
after another (covering: the points of earlier boxes are removed). Failed runs are left out.

Outputs (in ``DIR`` or ``--out``): ``discovery.md``, ``boxes.csv`` (one row per box and
restricted input), ``peeling.csv`` (the trajectory of every box), ``figures/discover_*.png``.
The EMA Workbench is the optional extra ``discover`` (``pip install -e .[discover]``).
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..io.scenario_io import ScenarioError
from ..outputs.kpis import KPI_INFO

BOOL_KPIS = tuple(k for k, (unit, _) in KPI_INFO.items() if unit == "bool")


def _prim_module() -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "ipyparallel not installed" and friends
            from ema_workbench.analysis import prim
    except ImportError as exc:  # pragma: no cover - the dev extra installs it
        raise ScenarioError(
            f"scenario discovery needs the EMA Workbench ({exc}); install the extra: pip install -e '.[discover]'"
        ) from None
    return prim


@dataclass
class Box:
    """One PRIM box: the chosen point ``index`` of ``trajectory`` and its limits."""

    number: int
    trajectory: pd.DataFrame  # coverage, density, mass, res_dim, n per peeling step
    index: int
    limits: dict[str, tuple[Any, ...]]  # restricted inputs only: (low, high) or (set of levels,)
    coverage: float
    density: float
    mass: float
    cases: int  # cases inside the box
    points: int  # points inside the box


def prepare_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """PRIM inputs: numbers as float64 (pandas 3 keeps integer columns integer, which the
    workbench's peeling cannot handle), booleans and strings as categoricals."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            out[col] = pd.Categorical(s.astype(str))
        else:
            out[col] = s.astype("float64")
    return pd.DataFrame(out, index=range(len(frame)))


def _limits(box_lims: pd.DataFrame, initial: pd.DataFrame, x: pd.DataFrame) -> dict[str, tuple[Any, ...]]:
    lims: dict[str, tuple[Any, ...]] = {}
    for col in x.columns:
        lo, hi = box_lims[col].iloc[0], box_lims[col].iloc[1]
        lo0, hi0 = initial[col].iloc[0], initial[col].iloc[1]
        if isinstance(lo, set):
            if lo != lo0:
                lims[col] = (tuple(sorted(lo)),)
        elif lo != lo0 or hi != hi0:
            lims[col] = (float(lo), float(hi))
    return lims


def run_prim(
    x: pd.DataFrame,
    y: np.ndarray,
    *,
    boxes: int = 1,
    min_density: float = 0.8,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
) -> list[Box]:
    """PRIM boxes for the cases ``y`` (bool per row of ``x``), see the module docstring."""
    y = np.asarray(y, dtype=bool)
    if len(y) != len(x):
        raise ValueError("x and y differ in length")
    x = prepare_inputs(x)
    if not y.any():
        return []
    prim = _prim_module()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finder = prim.Prim(x, y, peel_alpha=peel_alpha, mass_min=mass_min)
        found: list[Box] = []
        for number in range(1, boxes + 1):
            box = finder.find_box()
            if box is None:
                break
            traj = box.peeling_trajectory[["coverage", "density", "mass", "res_dim", "n"]].copy()
            ok = np.nonzero(traj["density"].to_numpy() >= min_density)[0]
            if ok.size:
                cov, den = traj["coverage"].to_numpy()[ok], traj["density"].to_numpy()[ok]
                index = int(ok[np.lexsort((den, cov))[-1]])  # highest coverage, then density
            else:
                index = int(np.argmax(traj["density"].to_numpy()))
            box.select(index)
            lims = _limits(box.box_lims[index], box.box_lims[0], x)
            row = traj.iloc[index]
            n_in = int(row["n"])
            found.append(
                Box(
                    number,
                    traj.reset_index(drop=True),
                    index,
                    lims,
                    float(row["coverage"]),
                    float(row["density"]),
                    float(row["mass"]),
                    int(round(float(row["density"]) * n_in)),
                    n_in,
                )
            )
            if float(row["coverage"]) >= 1.0 or not lims:
                break
    return found


def describe_limit(name: str, lim: tuple[Any, ...]) -> str:
    if len(lim) == 1:
        return f"{name} in {{{', '.join(map(str, lim[0]))}}}"
    return f"{lim[0]:.4g} ≤ {name} ≤ {lim[1]:.4g}"


# ---------------------------------------------------------------------- figures
def save_figure(fig: Any, folder: Path, stem: str) -> str:
    import matplotlib as mpl

    folder.mkdir(parents=True, exist_ok=True)
    with mpl.rc_context({"svg.hashsalt": "egov-sim", "svg.fonttype": "path"}):
        fig.savefig(folder / f"{stem}.png", dpi=110, metadata={"Software": None})
    return f"figures/{stem}.png"


def plot_tradeoff(
    found: list[Box],
    folder: Path,
    stem: str,
    title: str,
    *,
    min_density: float | None = None,
    few: int | None = None,
) -> str:
    """The peeling trajectories (coverage against density, colour = restricted inputs) with the
    chosen box circled. With ``min_density``, a box below it is marked "best, below threshold"
    (a dashed grey circle) instead of "chosen", and the threshold is drawn; with ``few``, a box
    holding fewer cases is labelled "likely overfitted"."""
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.6), layout="constrained")
    ax = fig.add_subplot()
    markers = "os^Dv"
    top = max((int(b.trajectory["res_dim"].max()) for b in found), default=0)
    base = matplotlib_colormap("viridis", top + 1)
    cmap = ListedColormap(base)
    norm = BoundaryNorm(np.arange(-0.5, top + 1.5), cmap.N)
    sc = None
    for b in found:
        t = b.trajectory
        sc = ax.scatter(
            t["coverage"],
            t["density"],
            c=t["res_dim"],
            cmap=cmap,
            norm=norm,
            s=22,
            marker=markers[(b.number - 1) % 5],
        )
        ax.plot(t["coverage"], t["density"], lw=0.6, color="0.6", zorder=0)
        below = min_density is not None and b.density < min_density - 1e-12
        overfit = (
            f", {b.cases} case{'s' if b.cases != 1 else ''}: likely overfitted"
            if few and b.cases < few
            else ""
        )
        ax.scatter(
            [b.coverage],
            [b.density],
            s=140,
            facecolors="none",
            edgecolors="0.35" if below else "red",
            linestyle="--" if below else "-",
            lw=1.6,
            label=(
                f"box {b.number}: best, below threshold (density {b.density:.2f} < {min_density:g}{overfit})"
                if below
                else f"box {b.number}" + (f" (chosen{overfit})" if min_density is not None else overfit)
            ),
        )
    if sc is not None:
        bar = fig.colorbar(sc, ax=ax, label="restricted inputs")
        bar.set_ticks(range(top + 1))
    if min_density is not None:
        ax.axhline(min_density, color="red", lw=0.8, ls=":", label=f"density threshold {min_density:g}")
    cov = np.concatenate(
        [b.trajectory["coverage"].to_numpy(dtype=float) for b in found] or [np.array([0.0, 1.0])]
    )
    lo, hi = float(cov.min()), float(cov.max())
    pad = max(0.05, 0.08 * (hi - lo))
    ax.set_xlim(max(0.0, lo - pad), min(1.0, hi + pad) + 0.01)  # coverage never exceeds 1
    if not found:
        ax.text(0.5, 0.5, "no PRIM box (no cases, or none found)", ha="center", va="center", color="0.4")
    if found and hi - lo < 1e-9:
        ax.text(0.02, 0.97, f"every step at coverage {hi:.2f}", transform=ax.transAxes, va="top", fontsize=8)
    ax.set_xlabel("coverage (share of all cases inside the box)")
    ax.set_ylabel("density (share of the box's points that are cases)")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    if found:
        ax.legend(loc="lower left", fontsize=8)
    ax.set_title(title, fontsize=10)
    return save_figure(fig, folder, stem)


def matplotlib_colormap(name: str, n: int) -> np.ndarray:
    """``n`` evenly spaced colours of a matplotlib colormap (one per restricted-input count)."""
    import matplotlib

    cmap = matplotlib.colormaps[name]
    return cmap(np.linspace(0.0, 1.0, n)) if n > 1 else cmap(np.array([0.5]))


def plot_limits(found: list[Box], x: pd.DataFrame, folder: Path, stem: str, title: str) -> str:
    """Each restricted input on its full range [0, 1] (levels: equal slots), the box shaded."""
    from matplotlib.figure import Figure

    rows = [(b, name, lim) for b in found for name, lim in b.limits.items()]
    fig = Figure(figsize=(7.0, 0.55 * max(len(rows), 1) + 1.4), layout="constrained")
    ax = fig.add_subplot()
    for i, (b, name, lim) in enumerate(rows):
        col = x[name]
        ax.barh(i, 1.0, left=0.0, color="0.9", edgecolor="0.6", height=0.6)
        if len(lim) == 1:
            levels = sorted(map(str, col.astype(str).unique()))
            w = 1.0 / len(levels)
            for j, lev in enumerate(levels):
                if lev in lim[0]:
                    ax.barh(i, w, left=j * w, color=f"C{b.number - 1}", height=0.6, alpha=0.8)
                ax.text((j + 0.5) * w, i, lev, ha="center", va="center", fontsize=7)
        else:
            lo0, hi0 = float(col.min()), float(col.max())
            span = hi0 - lo0 or 1.0
            left, right = (lim[0] - lo0) / span, (lim[1] - lo0) / span
            ax.barh(i, right - left, left=left, color=f"C{b.number - 1}", height=0.6, alpha=0.8)
            ax.text(0.0, i + 0.38, f"{lo0:.3g}", fontsize=7, ha="left", va="bottom")
            ax.text(1.0, i + 0.38, f"{hi0:.3g}", fontsize=7, ha="right", va="bottom")
            ax.text((left + right) / 2, i, active_text(lim, lo0, hi0), ha="center", va="center", fontsize=7)
    if rows:
        ax.set_yticks(range(len(rows)), [f"box {b.number}: {n}" for b, n, _ in rows])
    else:
        ax.set_yticks([])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xticks([])
    ax.set_title(title if rows else f"{title}\n(no box restricts any input)", fontsize=10)
    return save_figure(fig, folder, stem)


def active_side(lim: tuple[float, float], lo0: float, hi0: float) -> tuple[float | None, float | None]:
    """The bounds of a numeric limit that restrict anything: a bound at the sample's minimum
    (or maximum) excludes no point, so it is None."""
    tol = 1e-9 * max(abs(hi0 - lo0), 1.0)
    lo, hi = lim
    return (None if lo <= lo0 + tol else lo), (None if hi >= hi0 - tol else hi)


def active_text(lim: tuple[float, float], lo0: float, hi0: float, name: str = "", digits: int = 3) -> str:
    """``a ≤ name ≤ b``, ``name ≤ b`` or ``name ≥ a`` (only the sides that restrict)."""
    lo, hi = active_side(lim, lo0, hi0)
    f = f"{{:.{digits}g}}"
    if lo is not None and hi is not None:
        return f"{f.format(lo)} ≤ {name} ≤ {f.format(hi)}" if name else f"{f.format(lo)} .. {f.format(hi)}"
    if hi is not None:
        return f"{name} ≤ {f.format(hi)}" if name else f"≤ {f.format(hi)}"
    if lo is not None:
        return f"{name} ≥ {f.format(lo)}" if name else f"≥ {f.format(lo)}"
    return f"{name} (not restricted)" if name else "(not restricted)"


# ---------------------------------------------------------------------- tables
def boxes_table(found: list[Box]) -> pd.DataFrame:
    rows = []
    for b in found:
        for name, lim in b.limits.items() or {"(none)": ()}.items():
            rows.append(
                {
                    "box": b.number,
                    "coverage": b.coverage,
                    "density": b.density,
                    "mass": b.mass,
                    "cases_in_box": b.cases,
                    "points_in_box": b.points,
                    "input": name,
                    "low": lim[0] if len(lim) == 2 else None,
                    "high": lim[1] if len(lim) == 2 else None,
                    "levels": "|".join(lim[0]) if len(lim) == 1 else None,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "box",
            "coverage",
            "density",
            "mass",
            "cases_in_box",
            "points_in_box",
            "input",
            "low",
            "high",
            "levels",
        ],
    )


def peeling_table(found: list[Box]) -> pd.DataFrame:
    parts = []
    for b in found:
        t = b.trajectory.copy()
        t.insert(0, "step", range(len(t)))
        t.insert(0, "box", b.number)
        t["chosen"] = t["step"] == b.index
        parts.append(t)
    if not parts:
        return pd.DataFrame(columns=["box", "step", "coverage", "density", "mass", "res_dim", "n", "chosen"])
    return pd.concat(parts, ignore_index=True)


def box_lines(found: list[Box], base_rate: float) -> list[str]:
    lines = []
    for b in found:
        where = " and ".join(describe_limit(n, lim) for n, lim in b.limits.items()) or "(the whole space)"
        lines.append(
            f"- **box {b.number}**: {where} — coverage {b.coverage:.2f}, density {b.density:.2f} "
            f"(base rate {base_rate:.2f}, lift {b.density / base_rate if base_rate else float('nan'):.1f}), "
            f"mass {b.mass:.2f} ({b.cases} cases in {b.points} points)"
        )
    return lines


# ---------------------------------------------------------------------- sweep folders
def case_condition(
    frame: pd.DataFrame, kpi: str, *, below: float | None, above: float | None, false: bool, months: int
) -> tuple[np.ndarray, str]:
    """Cases (bool per row) and a readable condition."""
    if kpi not in KPI_INFO:
        raise ScenarioError(f"--kpi {kpi}: unknown KPI (allowed: {', '.join(KPI_INFO)})")
    if kpi not in frame.columns:
        raise ScenarioError(
            f"--kpi {kpi}: not kept in this sweep (kept: {', '.join(c for c in frame if c in KPI_INFO)})"
        )
    if KPI_INFO[kpi][0] == "bool":
        if below is not None or above is not None:
            raise ScenarioError(
                f"--kpi {kpi}: boolean KPI; leave out --below/--above (use --false for {kpi} = false)"
            )
        col = frame[kpi].astype(bool).to_numpy()
        return (~col if false else col), f"{kpi} = {'false' if false else 'true'}"
    if false:
        raise ScenarioError(f"--false: only for boolean KPIs ({', '.join(BOOL_KPIS)}); {kpi} is numeric")
    if (below is None) == (above is None):
        raise ScenarioError(f"--kpi {kpi}: numeric KPI; give exactly one of --below X or --above X")
    values = frame[kpi].astype("float64")
    if kpi.startswith("months_to"):
        values = values.fillna(months + 1)
    v = values.to_numpy()
    if below is not None:
        return (v < below), f"{kpi} < {below:g}" + (
            " (never = months + 1)" if kpi.startswith("months_to") else ""
        )
    return (v > above), f"{kpi} > {above:g}" + (
        " (never = months + 1)" if kpi.startswith("months_to") else ""
    )


def read_sweep(folder: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    kp, man = folder / "kpis.parquet", folder / "manifest.json"
    if not kp.exists() or not man.exists():
        raise ScenarioError(
            f"{folder}: not a finished sweep folder (needs kpis.parquet and manifest.json; run 'egov-sim sweep' "
            "or finish it with --resume)"
        )
    try:
        meta = json.loads(man.read_text(encoding="utf-8"))
        frame = pd.read_parquet(kp)
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"{folder}: unreadable sweep output ({exc})") from None
    return frame, meta


def discover(
    folder: Path,
    kpi: str,
    *,
    below: float | None = None,
    above: float | None = None,
    false: bool = False,
    out: Path | None = None,
    boxes: int = 2,
    min_density: float = 0.8,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
    inputs: list[str] | None = None,
) -> Path:
    """Run PRIM on a sweep folder; write discovery.md, boxes.csv, peeling.csv and figures."""
    folder = Path(folder)
    if not 0 < min_density <= 1:
        raise ScenarioError(f"--min-density {min_density}: must be in (0, 1]")
    if not 0 < peel_alpha < 0.5 or not 0 < mass_min < 1:
        raise ScenarioError("--peel-alpha must be in (0, 0.5) and --mass-min in (0, 1)")
    if boxes < 1:
        raise ScenarioError(f"--boxes {boxes}: must be at least 1")
    frame, meta = read_sweep(folder)
    exp = meta["experiment"]
    months = int(exp["months"])
    factors = [f["name"] for f in exp["factors"]]
    if inputs:
        bad = [c for c in inputs if c not in factors]
        if bad:
            raise ScenarioError(
                f"--inputs {bad[0]}: not a factor of this sweep (factors: {', '.join(factors)})"
            )
        factors = list(inputs)
    if not factors:
        raise ScenarioError(f"{folder}: the sweep has no factors, so there is nothing to discover")
    ok = frame[frame["error"].isna()].reset_index(drop=True)
    if ok.empty:
        raise ScenarioError(f"{folder}: every run failed; nothing to analyse")
    y, condition = case_condition(ok, kpi, below=below, above=above, false=false, months=months)
    x = ok[factors]
    found = run_prim(x, y, boxes=boxes, min_density=min_density, peel_alpha=peel_alpha, mass_min=mass_min)
    target = Path(out) if out else folder
    figures = target / "figures"
    title = f"{exp['name']}: {condition}"
    fig_t = plot_tradeoff(
        found, figures, "discover_tradeoff", f"PRIM trade-off, {title}", min_density=min_density
    )
    fig_l = plot_limits(found, prepare_inputs(x), figures, "discover_boxes", f"PRIM boxes, {title}")
    base_rate = float(y.mean())
    lines = [
        f"# Scenario discovery: {condition}",
        "",
        f"Sweep `{folder}` ({exp['name']}: {exp['design']} design, {len(frame)} runs, "
        f"{len(frame) - len(ok)} failed runs left out). Inputs: {', '.join(f'`{f}`' for f in factors)}.",
        "",
        f"Cases: {int(y.sum())} of {len(y)} runs ({base_rate:.1%}) have {condition}.",
        "",
        "PRIM (Friedman & Fisher 1999; EMA Workbench `ema_workbench.analysis.prim`, lenient1 objective, "
        f"peel_alpha {peel_alpha}, mass_min {mass_min}); the box on each peeling trajectory is the one with "
        f"the highest coverage whose density reaches {min_density} (else the densest). "
        "Coverage = cases in the box / all cases; density = cases in the box / runs in the box; "
        "mass = runs in the box / all runs.",
        "",
    ]
    if not found:
        lines += ["No cases, so no box." if not y.any() else "PRIM found no box.", ""]
    else:
        lines += ["## Boxes", "", *box_lines(found, base_rate), ""]
    lines += [
        "## Trade-off curve",
        "",
        f"![trade-off]({fig_t})",
        "",
        f"![boxes]({fig_l})",
        "",
        "Tables: `boxes.csv` (box, coverage, density, mass, restricted input and its limits), "
        "`peeling.csv` (every step of every peeling trajectory; `chosen` marks the box).",
        "",
    ]
    target.mkdir(parents=True, exist_ok=True)
    for name, table in (("boxes.csv", boxes_table(found)), ("peeling.csv", peeling_table(found))):
        tmp = target / f"{name}.tmp"
        table.to_csv(tmp, index=False, float_format="%.6g")
        os.replace(tmp, target / name)
    report = target / "discovery.md"
    tmp = target / "discovery.md.tmp"
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.replace(tmp, report)
    return report
