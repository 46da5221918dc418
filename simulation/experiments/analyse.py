"""``egov-sim analyse DIR``: statistics, figures (PNG + SVG) and ``DIR/report.md`` of a sweep.

- every design: KPI means with 95 % t intervals per design point (``summary.csv``);
- factorial designs: pairwise comparisons of points that differ in one factor, paired by
  replication (common random numbers: paired t test, Holm-adjusted per KPI; the unpaired
  Welch p for reference; Cohen's d, Cliff's delta, ``pairwise.csv``); main effects and
  two-factor interactions (statsmodels ANOVA, type II sums of squares, F test, eta²,
  ``effects.csv``; exact for unbalanced designs); where one numeric factor is crossed with a
  two-level factor, the crossover of their difference;
- Sobol / Morris designs: indices with 95 % bootstrap intervals (SALib, ``sensitivity.csv``),
  flagged where the interval is wider than the index;
- Latin hypercube: Spearman rank correlations with Fisher-z intervals (``sensitivity.csv``).

Time-to-event KPIs follow the censoring rule of :mod:`simulation.stats` (never = months + 1,
restricted mean; runs that reached are counted). A ``--quick`` sweep carries a banner in the
report and in every figure.

Figures use matplotlib's object API and fixed metadata, so equal inputs give equal bytes.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy import stats

from ..atomic import atomic_dir
from ..config import RELATIONS
from ..scenario_io import ScenarioError
from ..scorecard import CELLS, PERSPECTIVES
from ..stats import (
    CENSORING_RULE,
    anova,
    censor,
    cliffs_delta,
    cohens_d,
    holm,
    is_time_to_event,
    mean_ci,
    paired,
    welch_p,
)

#: KPIs shown in the report (all kept KPIs go to the CSV files).
MAIN_KPIS = (
    "final_adoption",
    "months_to_50pct_adoption",
    "final_service_quality",
    "final_integration",
    "agreement_share",
    "failures",
    "stalled",
    "total_cost",
    "final_legitimacy",
)
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


def _fmt(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, int | np.integer):
        return str(int(v))
    v = float(v)
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:.{digits}g}"
    if v == 0 or abs(v) >= 10**-digits:
        return f"{v:.{digits}f}"
    return f"{v:.1e}"


def _cell(v: float) -> str:
    """Compact number for figure annotations (3 significant digits)."""
    if not np.isfinite(v):
        return ""
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def _md_table(rows: list[list[Any]], header: list[str]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


_holm = holm  # kept for older callers


def _numeric(frame: pd.DataFrame, kpi: str, months: int) -> pd.Series:
    """KPI as floats; a time-to-event KPI never reached counts as months + 1 (stats.censor)."""
    return pd.Series(censor(kpi, frame[kpi].to_numpy(), months), index=frame.index)


def _label(values: dict[str, Any]) -> str:
    return ", ".join(
        f"{k.split('.')[-1]}={_fmt(v) if not isinstance(v, str) else v}" for k, v in values.items()
    )


# ---------------------------------------------------------------------- statistics
def point_summary(ok: pd.DataFrame, factors: list[str], kpis: list[str], months: int) -> pd.DataFrame:
    rows = []
    for point, grp in ok.groupby("point", sort=True):
        base = {"point": int(point), **{f: grp[f].iloc[0] for f in factors}}
        for k in kpis:
            v = _numeric(grp, k, months).to_numpy()
            m, lo, hi = mean_ci(v)
            raw = pd.to_numeric(grp[k], errors="coerce").to_numpy(float)
            rows.append(
                {
                    **base,
                    "kpi": k,
                    "n": int(np.isfinite(v).sum()),
                    "reached": int(np.isfinite(raw).sum()) if is_time_to_event(k) else np.nan,
                    "mean": m,
                    "ci_low": lo,
                    "ci_high": hi,
                }
            )
    return pd.DataFrame(rows)


def pair_key(ok: pd.DataFrame) -> pd.Series:
    """What pairs runs across design points: the replication (same seed), and in an
    ``--ensemble`` sweep the (draw, replication) member (same parameters and same seed)."""
    if "draw" not in ok.columns:
        return ok["replication"]
    return ok["draw"] * (int(ok["replication"].max()) + 1) + ok["replication"]


def pairwise(ok: pd.DataFrame, factors: list[str], kpis: list[str], months: int) -> pd.DataFrame:
    """Points differing in exactly one factor, paired by replication (same seed: common random
    numbers; :func:`pair_key`): paired t test (Holm per KPI), Welch p for reference, Cohen's d,
    Cliff's delta."""
    points = ok.groupby("point", sort=True)[factors].first() if factors else pd.DataFrame()
    pairs = []
    for a, b in itertools.combinations(points.index, 2):
        diff = [f for f in factors if points.at[a, f] != points.at[b, f]]
        if len(diff) == 1:
            pairs.append((a, b, diff[0]))
    rows = []
    for k in kpis:
        y = ok.assign(_y=_numeric(ok, k, months), _pair=pair_key(ok))
        block = []
        for a, b, f in pairs:
            ya = y[y.point == a].set_index("_pair")["_y"]
            yb = y[y.point == b].set_index("_pair")["_y"]
            both = ya.index.intersection(yb.index)
            test = paired(ya.reindex(both).to_numpy(), yb.reindex(both).to_numpy())
            va, vb = ya.dropna().to_numpy(), yb.dropna().to_numpy()
            others = {g: points.at[a, g] for g in factors if g != f}
            block.append(
                {
                    "kpi": k,
                    "factor": f,
                    "a": points.at[a, f],
                    "b": points.at[b, f],
                    "at": _label(others) if others else "",
                    "point_a": int(a),
                    "point_b": int(b),
                    "mean_a": float(np.mean(va)) if len(va) else float("nan"),
                    "mean_b": float(np.mean(vb)) if len(vb) else float("nan"),
                    "difference": test.difference,
                    "ci_low": test.ci_low,
                    "ci_high": test.ci_high,
                    "n_pairs": test.n,
                    "p_paired": test.p,
                    "p_welch": welch_p(va, vb),
                    "cohens_d": cohens_d(va, vb),
                    "cliffs_delta": cliffs_delta(va, vb),
                }
            )
        if block:
            adj = holm(np.array([r["p_paired"] for r in block]))
            for r, q in zip(block, adj, strict=True):
                r["p_holm"] = float(q)
            rows.extend(block)
    return pd.DataFrame(rows)


def effects(ok: pd.DataFrame, factors: list[str], kpis: list[str], months: int, typ: int = 2) -> pd.DataFrame:
    """Main effects and two-factor interactions from statsmodels' ANOVA of an OLS fit
    (factors categorical; type II sums of squares by default, type III with ``typ=3``):
    ss, df, F test against the residual, eta² = ss / total ss, partial eta². Runs with a
    null KPI (failed, or undefined) drop out, so designs may be unbalanced."""
    rows = []
    varying = [f for f in factors if ok[f].nunique() > 1]
    for k in kpis:
        frame = ok.assign(_y=_numeric(ok, k, months)).dropna(subset=["_y"])
        if frame.empty or not varying:
            continue
        present = [f for f in varying if frame[f].nunique() > 1]
        if not present:
            continue
        ss_total = float(((frame["_y"] - frame["_y"].mean()) ** 2).sum())
        table = anova(frame, "_y", present, typ=typ)
        resid = table[table.term == "Residual"]
        ss_resid = float(resid["ss"].iloc[0]) if len(resid) else float("nan")
        for r in table[table.term != "Residual"].itertuples():
            eff = float("nan")
            if " x " not in r.term:
                means = frame.groupby(r.term, sort=False)["_y"].mean()
                # Levels where the KPI is never defined (e.g. no first service) drop out.
                order = [lv for lv in ok[r.term].drop_duplicates() if lv in means.index]
                eff = float(means[order[-1]] - means[order[0]]) if len(order) > 1 else float("nan")
            else:
                f, g = r.term.split(" x ")
                lf, lg = list(ok[f].drop_duplicates()), list(ok[g].drop_duplicates())
                if len(lf) == 2 and len(lg) == 2:  # difference of differences (2 x 2 contrast)
                    m = frame.groupby([f, g])["_y"].mean()
                    if all((a, b) in m.index for a in lf for b in lg):
                        eff = float((m[lf[1], lg[1]] - m[lf[0], lg[1]]) - (m[lf[1], lg[0]] - m[lf[0], lg[0]]))
            ss = max(float(r.ss), 0.0)
            rows.append(
                {
                    "kpi": k,
                    "term": r.term,
                    "effect_last_minus_first": eff,
                    "ss": ss,
                    "df": float(r.df),
                    "F": r.F,
                    "p": r.p,
                    "eta_sq": ss / ss_total if ss_total > 0 else float("nan"),
                    "partial_eta_sq": ss / (ss + ss_resid) if ss + ss_resid > 0 else float("nan"),
                    "anova_type": "II" if typ == 2 else "III",
                    "n": len(frame),
                }
            )
    return pd.DataFrame(rows)


def crossover(
    ok: pd.DataFrame, numeric: str, binary: str, kpis: list[str], months: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean difference (second level of ``binary`` minus first) along ``numeric``, paired by
    replication (common random numbers, other factors pooled), its 95 % CI, and where it changes sign."""
    levels = list(ok[binary].drop_duplicates())
    xs = sorted(ok[numeric].unique())
    keys = ["_pair", *[f for f in ok.attrs.get("factors", []) if f not in (numeric, binary)]]
    curve, cross = [], []
    for k in kpis:
        y = ok.assign(_y=_numeric(ok, k, months), _pair=pair_key(ok))
        diffs = []
        for x in xs:
            sub = y[y[numeric] == x]
            a = sub[sub[binary] == levels[0]].set_index(keys)["_y"]
            b = sub[sub[binary] == levels[1]].set_index(keys)["_y"]
            d = (b - a).dropna().to_numpy()
            m, lo, hi = mean_ci(d)
            diffs.append(m)
            curve.append({"kpi": k, numeric: x, "difference": m, "ci_low": lo, "ci_high": hi, "n": len(d)})
        for (x0, d0), (x1, d1) in itertools.pairwise(zip(xs, diffs, strict=True)):
            if np.isfinite(d0) and np.isfinite(d1) and d0 * d1 < 0:
                cross.append(
                    {"kpi": k, "crossover_at": x0 + (x1 - x0) * d0 / (d0 - d1), "between": f"{x0}..{x1}"}
                )
    return pd.DataFrame(curve), pd.DataFrame(cross)


def sensitivity(
    exp: dict[str, Any], ok: pd.DataFrame, kpis_all: pd.DataFrame, kpis: list[str]
) -> pd.DataFrame:
    """Sobol (S1, ST), Morris (mu*, sigma) or LHS (Spearman rho) per factor and KPI."""
    from .design import make_design, salib_problem
    from .spec import load_experiment_json

    spec = load_experiment_json(exp)
    design = make_design(spec)
    problem = salib_problem(spec)
    names = problem["names"]
    months = exp["months"]
    rows = []
    for k in kpis:
        y = kpis_all.assign(_y=_numeric(kpis_all, k, months)).groupby("point")["_y"].mean()
        y = y.reindex(range(design.points))
        if not np.isfinite(y.to_numpy()).all():
            continue  # SALib needs a value at every point (failed or undefined runs)
        yv = y.to_numpy(dtype=float)
        if np.ptp(yv) == 0:
            continue
        if exp["design"] == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(
                problem, yv, calc_second_order=exp["second_order"], conf_level=0.95, seed=exp["seed"]
            )
            for i, n in enumerate(names):
                rows.append(
                    {"kpi": k, "factor": n, "index": "S1", "value": res["S1"][i], "conf": res["S1_conf"][i]}
                )
                rows.append(
                    {"kpi": k, "factor": n, "index": "ST", "value": res["ST"][i], "conf": res["ST_conf"][i]}
                )
        elif exp["design"] == "morris":
            from SALib.analyze import morris

            res = morris.analyze(
                problem, design.x, yv, conf_level=0.95, num_levels=exp["levels"], seed=exp["seed"]
            )
            for i, n in enumerate(names):
                rows.append(
                    {
                        "kpi": k,
                        "factor": n,
                        "index": "mu_star",
                        "value": res["mu_star"][i],
                        "conf": res["mu_star_conf"][i],
                    }
                )
                rows.append(
                    {"kpi": k, "factor": n, "index": "sigma", "value": res["sigma"][i], "conf": float("nan")}
                )
        else:  # lhs
            n_pts = len(yv)
            for i, n in enumerate(names):
                rho = float(stats.spearmanr(design.x[:, i], yv).statistic)
                half = 1.96 / math.sqrt(n_pts - 3) if n_pts > 3 else float("nan")
                z = math.atanh(max(min(rho, 0.999999), -0.999999))
                rows.append(
                    {
                        "kpi": k,
                        "factor": n,
                        "index": "spearman",
                        "value": rho,
                        "conf": (math.tanh(z + half) - math.tanh(z - half)) / 2,
                    }
                )
    frame = pd.DataFrame(rows)
    if not frame.empty:
        # An index whose 95 % half-width exceeds its magnitude is not distinguishable from 0.
        frame["ci_exceeds_value"] = frame["conf"].to_numpy(float) > frame["value"].abs().to_numpy(float)
    return frame


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
    from ..plotting import SCORE_CMAP, relative_scores, score_colorbar

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


# ---------------------------------------------------------------------- report
def analyse(out: Path) -> Path:
    """Write ``out/report.md``, ``out/figures/*.png|svg`` and CSV tables for a finished sweep."""
    out = Path(out)
    man_path = out / "manifest.json"
    if not man_path.exists() or not (out / "kpis.parquet").exists():
        raise ScenarioError(
            f"{out}: not a finished sweep folder (no manifest.json / kpis.parquet); "
            f"run 'egov-sim sweep ... --out {out}' (with --resume to finish it)"
        )
    try:
        manifest = json.loads(man_path.read_text(encoding="utf-8"))
        exp = manifest["experiment"]
    except (ValueError, KeyError):
        raise ScenarioError(f"{man_path}: not a sweep manifest") from None
    kpis_all = pd.read_parquet(out / "kpis.parquet")
    factors = [f["name"] for f in exp["factors"]]
    kept = list(exp["kpis"])
    main = [k for k in MAIN_KPIS if k in kept] or kept[:8]
    months = int(exp["months"])
    ok = kpis_all[kpis_all["error"].isna()].copy()
    ok.attrs["factors"] = factors
    n_points = int(kpis_all["point"].nunique())
    design = exp["design"]

    quick = bool(exp.get("quick"))
    _BANNER["text"] = QUICK_BANNER if quick else ""
    md: list[str] = [f"# Experiment report: {exp['name']}", ""]
    if quick:
        md += [
            f"> **{QUICK_BANNER}.** This sweep ran with `--quick` ({n_points} design points x "
            f"{exp['replications']} replications, {months} months). Numbers in the description "
            "below refer to the full experiment; rerun without `--quick` before drawing conclusions.",
            "",
        ]
    md += [exp.get("description") or "", ""]
    md += [
        f"- design: **{design}**, {n_points} design points x {exp['replications']} replications = "
        f"{len(kpis_all)} runs of {months} months (master seed {exp['seed']}, common random numbers)",
        f"- base scenario: `{Path(exp['base']).name}`"
        + (f"; fixed: {', '.join(f'`{k}={v}`' for k, v in exp['fixed'].items())}" if exp["fixed"] else ""),
        "- factors: "
        + "; ".join(
            f"`{f['name']}` " + (f"{f['levels']}" if f["kind"] == "levels" else f"[{f['low']}, {f['high']}]")
            for f in exp["factors"]
        )
        if factors
        else "- factors: none",
        f"- failed runs: {len(kpis_all) - len(ok)}"
        + (" (excluded below; see the error column)" if len(ok) < len(kpis_all) else ""),
        f"- censoring: {CENSORING_RULE}",
        "",
    ]
    tables: dict[str, pd.DataFrame] = {}
    figures: list[tuple[str, str]] = []
    summary = point_summary(ok, factors, kept, months)
    tables["summary.csv"] = summary

    with atomic_dir(out / "figures") as fig_dir:
        if len(ok):
            groups_factors, groups = _conditions(ok, factors, n_points)
            ts = pd.read_parquet(out / "timeseries.parquet")
            variables = [v for v in exp["timeseries"] if v in set(ts["variable"].unique())]
            if "adoption" in variables:
                figures.append(
                    (
                        plot_series(
                            ts,
                            groups,
                            ["adoption"],
                            fig_dir,
                            "adoption",
                            "Adoption: mean and 95 % band per condition",
                        ),
                        "Adoption curves per condition (mean, 95 % t band over replications)",
                    )
                )
            others = [v for v in variables if v != "adoption"]
            if others:
                figures.append(
                    (
                        plot_series(
                            ts,
                            groups,
                            others[:6],
                            fig_dir,
                            "series",
                            "Other series: mean and 95 % band per condition",
                        ),
                        "Other time series per condition",
                    )
                )
            del ts
            sc = plot_scorecards(ok, groups, fig_dir)
            if sc:
                figures.append(
                    (sc[0], "Scorecard side by side (perspectives x relations, mean per condition)")
                )
                tables["scorecards.csv"] = sc[1]

        if design == "factorial" and len(ok):
            md += ["## KPI means per design point (95 % CI)", ""]
            wide = []
            for point, grp in summary.groupby("point", sort=True):
                label = _label({f: grp[f].iloc[0] for f in factors}) if factors else "base"
                cells = []
                for k in main:
                    r = grp[grp.kpi == k].iloc[0]
                    cell = f"{_fmt(r['mean'])} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]"
                    if is_time_to_event(k):
                        cell += f" (reached {int(r['reached'])}/{int(r['n'])})"
                    cells.append(cell)
                wide.append([point, label, *cells])
            md += [_md_table(wide[:60], ["pt", "condition", *main]), ""]
            if len(wide) > 60:
                md += [f"({len(wide) - 60} more points in summary.csv)", ""]
            pw = pairwise(ok, factors, kept, months)
            tables["pairwise.csv"] = pw
            if not pw.empty:
                show = pw[pw.kpi.isin(main)].copy()
                if len(show) > 40:
                    show = show.reindex(show["cohens_d"].abs().sort_values(ascending=False).index)[:40]
                md += [
                    "## Pairwise comparisons (points differing in one factor)",
                    "",
                    "Replications share seeds across design points (common random numbers), so B is "
                    "compared with A replication by replication: paired t test of B − A (p Holm-adjusted "
                    "per KPI over all pairs; `pairwise.csv` also has the 95 % CI, the number of pairs and "
                    "the unpaired Welch p for reference), Cohen's d (pooled SD) and Cliff's delta of B "
                    "against A.",
                    "",
                ]
                md += [
                    _md_table(
                        [
                            [
                                r.kpi,
                                r.factor,
                                f"{r.a} → {r.b}",
                                r.at,
                                _fmt(r.mean_a),
                                _fmt(r.mean_b),
                                r.n_pairs,
                                _fmt(r.p_holm),
                                _fmt(r.cohens_d, 2),
                                _fmt(r.cliffs_delta, 2),
                            ]
                            for r in show.itertuples()
                        ],
                        [
                            "kpi",
                            "factor",
                            "A → B",
                            "at",
                            "mean A",
                            "mean B",
                            "pairs",
                            "p paired (Holm)",
                            "d",
                            "Cliff δ",
                        ],
                    ),
                    "",
                ]
            eff = effects(ok, factors, kept, months)
            tables["effects.csv"] = eff
            if not eff.empty:
                md += [
                    "## Main and interaction effects",
                    "",
                    "ANOVA of an OLS fit with main effects and two-factor interactions (statsmodels, "
                    "type II sums of squares, factors categorical; exact also when failed or undefined "
                    "runs make the design unbalanced), F test against the residual variance, eta² = share "
                    "of the total sum of squares. 'effect' = mean at the last level minus the first; for "
                    "a 2 x 2 interaction, the difference of differences.",
                    "",
                ]
                show = eff[eff.kpi.isin(main)]
                md += [
                    _md_table(
                        [
                            [
                                r.kpi,
                                r.term,
                                _fmt(r.effect_last_minus_first),
                                _fmt(r.F),
                                _fmt(r.p),
                                _fmt(r.eta_sq, 2),
                            ]
                            for r in show.itertuples()
                        ],
                        ["kpi", "term", "effect", "F", "p", "eta²"],
                    ),
                    "",
                ]
            numeric = [
                f
                for f in factors
                if ok[f].nunique() >= 3
                and pd.api.types.is_numeric_dtype(ok[f])
                and not pd.api.types.is_bool_dtype(ok[f])
            ]
            if numeric:
                x = numeric[0]
                rest = [f for f in factors if f != x and ok[f].nunique() > 1]
                curve = cross = None
                binary = [f for f in rest if ok[f].nunique() == 2]
                if binary:
                    curve, cross = crossover(ok, x, binary[0], main, months)
                    tables["crossover.csv"] = curve
                    lv = list(ok[binary[0]].drop_duplicates())
                    md += [
                        f"## Crossover along `{x}`: {binary[0]} = {lv[1]} minus {lv[0]}",
                        "",
                        "Mean paired difference per value (95 % CI); the table lists where it changes sign "
                        "(linear interpolation).",
                        "",
                    ]
                    if cross is not None and not cross.empty:
                        md += [
                            _md_table(
                                [[r.kpi, _fmt(r.crossover_at), r.between] for r in cross.itertuples()],
                                ["kpi", "difference changes sign at", "between levels"],
                            ),
                            "",
                        ]
                    else:
                        md += ["No sign change of the difference within the range studied.", ""]
                    md += [
                        _md_table(
                            [
                                [
                                    r.kpi,
                                    _fmt(getattr(r, x) if hasattr(r, x) else r[2]),
                                    _fmt(r.difference),
                                    f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]",
                                ]
                                for r in curve[curve.kpi.isin(main[:5])].itertuples(index=False)
                            ],
                            ["kpi", x, "difference", "95 % CI"],
                        ),
                        "",
                    ]
                figures.append(
                    (
                        plot_effect_curves(ok, x, rest, main, fig_dir, months, curve),
                        f"KPIs against `{x}` (mean, 95 % band)",
                    )
                )
            hm = plot_heatmaps(summary, factors, ok, [k for k in main if k != "stalled"], fig_dir, months)
            if hm:
                figures.append((hm, "Heatmaps of mean KPIs over the two-factor grid"))
        elif design in {"sobol", "morris", "lhs"} and len(ok):
            md += ["## KPI distribution over the design", ""]
            rows = []
            for k in main:
                v = _numeric(ok, k, months).to_numpy()
                m, lo, hi = mean_ci(v)
                q = np.nanpercentile(v, [5, 50, 95]) if np.isfinite(v).any() else [np.nan] * 3
                rows.append([k, _fmt(m), f"[{_fmt(lo)}, {_fmt(hi)}]", _fmt(q[0]), _fmt(q[1]), _fmt(q[2])])
            md += [_md_table(rows, ["kpi", "mean", "95 % CI", "p5", "median", "p95"]), ""]
            sens = sensitivity(exp, ok, kpis_all, main)
            tables["sensitivity.csv"] = sens
            if not sens.empty:
                kind = {
                    "sobol": "Sobol first-order (S1) and total (ST) indices of the per-point mean over "
                    "replications, 95 % bootstrap intervals (SALib)",
                    "morris": "Morris elementary effects: mu* (mean absolute effect) with 95 % bootstrap "
                    "interval, and sigma (interactions / non-linearity) (SALib)",
                    "lhs": "Spearman rank correlation of each factor with the per-point mean, 95 % "
                    "Fisher-z interval",
                }[design]
                md += [
                    "## Sensitivity indices",
                    "",
                    kind + ". KPIs with undefined values at some point "
                    "(e.g. cost per adopter without adopters, failed runs) are left out. "
                    "⚠ marks an index whose 95 % interval is wider than the index itself (not "
                    "distinguishable from 0 at this sample size; `ci_exceeds_value` in sensitivity.csv).",
                    "",
                ]
                flagged = sens[sens["index"] != "sigma"]
                md += [
                    f"**{int(flagged['ci_exceeds_value'].sum())} of {len(flagged)} indices** have an "
                    "interval wider than their value"
                    + (f" (design sample N = {exp['samples']})." if design == "sobol" else "."),
                    "",
                ]
                if design == "sobol":
                    s1 = sens[sens["index"] == "S1"].groupby("kpi", sort=False)["value"].sum()
                    md += [
                        "Sum of S1 per KPI (≤ 1 up to sampling error; 1 - sum = share of interactions): "
                        + ", ".join(f"{k} {_fmt(v, 2)}" for k, v in s1.items()),
                        "",
                    ]
                for k, grp in sens.groupby("kpi", sort=False):
                    piv = grp.pivot(index="factor", columns="index", values="value")
                    conf = grp.pivot(index="factor", columns="index", values="conf")
                    lead = piv.columns[-1] if design != "morris" else "mu_star"
                    piv = piv.reindex(piv[lead].abs().sort_values(ascending=False).index)
                    md += [f"### {k}", ""]
                    md += [
                        _md_table(
                            [
                                [
                                    f,
                                    *[
                                        f"{_fmt(piv.at[f, c])} ± {_fmt(conf.at[f, c])}"
                                        + (" ⚠" if conf.at[f, c] > abs(piv.at[f, c]) else "")
                                        for c in piv.columns
                                    ],
                                ]
                                for f in piv.index[:12]
                            ],
                            ["factor", *piv.columns],
                        ),
                        "",
                    ]
                figures.append(
                    (plot_indices(sens, fig_dir, design), "Sensitivity indices per KPI (95 % intervals)")
                )

    md += ["## Figures", ""]
    for stem, caption in figures:
        md += [
            f"### {caption}",
            "",
            f"![{caption}](figures/{stem}.png)",
            "",
            f"[SVG](figures/{stem}.svg)",
            "",
        ]
    md += [
        "## Files",
        "",
        "Tables: " + ", ".join(f"`{n}`" for n in tables) + ". Data: `kpis.parquet` (one row per "
        "run), `timeseries.parquet` (long format), `manifest.json`.",
        "",
    ]
    with atomic_dir(out) as tmp:
        for name, frame in tables.items():
            frame.to_csv(tmp / name, index=False)
        (tmp / "report.md").write_text("\n".join(md), encoding="utf-8")
    return out / "report.md"
