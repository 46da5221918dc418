"""The tables of ``egov-sim analyse``: per-point summaries, paired differences, effects, crossovers and sensitivity indices."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..runs.stats import (
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
