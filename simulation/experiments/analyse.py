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

Time-to-event KPIs follow the censoring rule of :mod:`simulation.runs.stats` (never = months + 1,
restricted mean; runs that reached are counted). A ``--quick`` sweep carries a banner in the
report and in every figure.

Figures use matplotlib's object API and fixed metadata, so equal inputs give equal bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..io.atomic import atomic_dir
from ..io.scenario_io import ScenarioError
from ..runs.stats import (
    CENSORING_RULE,
    holm,
    is_time_to_event,
    mean_ci,
)
from .analyse_figures import (
    _BANNER as _BANNER,
    MAX_CONDITIONS as MAX_CONDITIONS,
    QUICK_BANNER as QUICK_BANNER,
    _conditions as _conditions,
    _save as _save,
    plot_effect_curves as plot_effect_curves,
    plot_heatmaps as plot_heatmaps,
    plot_indices as plot_indices,
    plot_scorecards as plot_scorecards,
    plot_series as plot_series,
)
from .analyse_stats import (
    MAIN_KPIS as MAIN_KPIS,
    _cell as _cell,
    _fmt as _fmt,
    _label as _label,
    _md_table as _md_table,
    _numeric as _numeric,
    crossover as crossover,
    effects as effects,
    pair_key as pair_key,
    pairwise as pairwise,
    point_summary as point_summary,
    sensitivity as sensitivity,
)

_holm = holm  # kept for older callers


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
