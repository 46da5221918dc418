"""Calibration of the adoption parameters to the Dutch e-government series (issue 5 item 3).

One consistent definition is fitted: Netherlands, "interacted with public authorities online
in the last 12 months" (Eurostat I_IUGOV12 and the CBS figures on the same question), years
2011-2020, individuals aged 16-74/16-75 (the one-year difference in the upper age bound is
ignored). Rows after the 2021 redefinition and the narrower "obtained information"
sub-indicator are shown in the figure but not fitted.

Model fitted: the continuous Bass curve with market potential m,
``share(year) = m * F(year - t0; p, q)`` with p, q per year and t0 the assumed start of public
online services (1995: first government websites; Overheidsloket 2000 was conceived in 1996).
t0 is not identifiable from four points together with p (both shift the curve), so it is an
assumption and its effect is reported. Two variants: m = 1 (everyone 16-74 is a potential
user, as the model assumes) and m free. Confidence intervals: residual bootstrap (residuals
resampled with replacement, refitted).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import least_squares

from ..io.resources import data_file
from ..io.scenario_io import ScenarioError
from .bass import bass_continuous, bass_curve

DATA = data_file("nl_egov_adoption.csv")
COLUMNS = ("year", "geo", "percent_of_individuals", "population", "indicator", "source", "note")
DEFINITION = "interacted with public authorities online (last 12 months)"
#: Bass meta-analysis (Sultan, Farley & Lehmann 1990, 213 data sets), per year.
META_P, META_Q = 0.03, 0.38
T0 = 1995


def load_series(path: Path = DATA) -> list[dict[str, Any]]:
    """Rows of the adoption CSV with ``year`` (int) and ``share`` (0..1); clear errors."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"{path}: data file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read the data file as UTF-8 text ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ScenarioError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    rows = []
    for i, row in enumerate(reader, start=2):
        try:
            year = int(row["year"])
            pct = float(row["percent_of_individuals"])
        except (TypeError, ValueError):
            raise ScenarioError(
                f"{path}: line {i}: year must be an integer and percent_of_individuals a number, "
                f"got {row['year']!r}, {row['percent_of_individuals']!r}"
            ) from None
        if not 0.0 <= pct <= 100.0:
            raise ScenarioError(f"{path}: line {i}: percent_of_individuals must be in 0..100, got {pct}")
        rows.append({**row, "year": year, "share": pct / 100.0})
    return rows


def fitted_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of the one definition that is fitted (Netherlands, I_IUGOV12)."""
    return sorted(
        (r for r in rows if r["geo"] == "NL" and r["indicator"] == DEFINITION), key=lambda r: r["year"]
    )


def model_share(years: np.ndarray, p: float, q: float, m: float = 1.0, t0: float = T0) -> np.ndarray:
    """``m * F(year - t0)`` with the continuous Bass F (p, q per year)."""
    return m * bass_continuous(p, q, np.asarray(years, float) - t0)


def fit_bass(
    years: np.ndarray,
    shares: np.ndarray,
    *,
    fit_m: bool = False,
    t0: float = T0,
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """Least-squares (p, q[, m]) of the continuous Bass curve; returns (params, SSE).

    Without ``start``, nine starting points guard against the flat valleys of the Bass
    objective; bootstrap refits start from the point estimate."""
    years, shares = np.asarray(years, float), np.asarray(shares, float)

    def resid(x: np.ndarray) -> np.ndarray:
        m = x[2] if fit_m else 1.0
        return model_share(years, x[0], x[1], m, t0) - shares

    lo = [1e-4, 0.0] + ([0.3] if fit_m else [])
    hi = [1.0, 3.0] + ([1.0] if fit_m else [])
    best = None
    starts = (
        [np.clip(start, np.add(lo, 1e-9), np.subtract(hi, 1e-9))]
        if start is not None
        else [[p0, q0] + ([0.9] if fit_m else []) for p0 in (0.005, 0.03, 0.1) for q0 in (0.1, 0.4, 1.0)]
    )
    for x0 in starts:
        sol = least_squares(resid, x0, bounds=(lo, hi), method="trf")
        if best is None or sol.cost < best.cost:
            best = sol
    assert best is not None
    return best.x, float(2.0 * best.cost)


@dataclass
class Fit:
    label: str
    params: dict[str, float]
    sse: float
    rmse: float
    ci: dict[str, tuple[float, float]]
    boot: np.ndarray = field(repr=False)


def bootstrap(
    years: np.ndarray, shares: np.ndarray, *, fit_m: bool, t0: float = T0, n: int = 1000, seed: int = 0
) -> Fit:
    """Fit and residual-bootstrap 95 % percentile intervals (``n`` resamples)."""
    x, sse = fit_bass(years, shares, fit_m=fit_m, t0=t0)
    fitted = model_share(years, x[0], x[1], x[2] if fit_m else 1.0, t0)
    resid = shares - fitted
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n):
        y = fitted + rng.choice(resid, size=resid.size, replace=True)
        boots.append(fit_bass(years, np.clip(y, 0.0, 1.0), fit_m=fit_m, t0=t0, start=x)[0])
    b = np.array(boots)
    names = ["p", "q"] + (["m"] if fit_m else [])
    ci = {
        k: (float(np.percentile(b[:, i], 2.5)), float(np.percentile(b[:, i], 97.5)))
        for i, k in enumerate(names)
    }
    label = "m free" if fit_m else "m = 1"
    return Fit(
        label, dict(zip(names, map(float, x), strict=True)), sse, float(np.sqrt(sse / years.size)), ci, b
    )


def calibrate(path: Path = DATA, *, n_boot: int = 1000, seed: int = 0, t0: float = T0) -> dict[str, Any]:
    """Both fits, the t0 sensitivity and the model check; JSON-ready dict plus arrays."""
    rows = load_series(path)
    data = fitted_rows(rows)
    if len(data) < 3:
        raise ScenarioError(f"{path}: need at least 3 rows of NL '{DEFINITION}', found {len(data)}")
    years = np.array([r["year"] for r in data], float)
    shares = np.array([r["share"] for r in data])
    fits = [
        bootstrap(years, shares, fit_m=False, t0=t0, n=n_boot, seed=seed),
        bootstrap(years, shares, fit_m=True, t0=t0, n=n_boot, seed=seed + 1),
    ]
    sens = {}
    for t in (t0 - 4, t0 - 2, t0, t0 + 2, t0 + 4):
        x, sse = fit_bass(years, shares, t0=t)
        sens[int(t)] = {"p": float(x[0]), "q": float(x[1]), "rmse": float(np.sqrt(sse / years.size))}
    x_meta = np.array([META_P, META_Q])
    meta_rmse = float(np.sqrt(np.mean((model_share(years, META_P, META_Q, 1.0, t0) - shares) ** 2)))
    # The model's own adoption code with the fitted m = 1 rates per month (full mixing).
    f1 = fits[0].params
    months = int((2025 - t0) * 12)
    sim = np.mean([bass_curve(50_000, f1["p"] / 12, f1["q"] / 12, months, seed=s) for s in range(3)], axis=0)
    sim_at = np.interp((years - t0) * 12, np.arange(months + 1), sim)
    return {
        "definition": f"NL, '{DEFINITION}', ages 16-74/16-75, {int(years[0])}-{int(years[-1])}",
        "t0": t0,
        "years": years,
        "shares": shares,
        "sources": [r["source"] for r in data],
        "fits": fits,
        "t0_sensitivity": sens,
        "meta": {"p": float(x_meta[0]), "q": float(x_meta[1]), "rmse": meta_rmse},
        "model_check": {
            "months": months,
            "curve": sim,
            "max_dev_at_data": float(np.max(np.abs(sim_at - model_share(years, f1["p"], f1["q"], 1.0, t0)))),
        },
        "rows": rows,
    }


def plot(result: dict[str, Any], path: Path) -> None:
    """Data (all rows, the fitted definition filled) vs the fitted curves and the meta-analysis."""
    from matplotlib.figure import Figure

    from ..outputs.plotting import save

    t0 = result["t0"]
    fig = Figure(figsize=(9.5, 5.2), layout="constrained")
    ax = fig.subplots()
    yy = np.linspace(t0, 2025, 400)
    for fit, col in zip(result["fits"], ("C0", "C2"), strict=True):
        m = fit.params.get("m", 1.0)
        ax.plot(
            yy,
            model_share(yy, fit.params["p"], fit.params["q"], m, t0),
            color=col,
            label=f"Bass fit, {fit.label}: p={fit.params['p']:.3g}, q={fit.params['q']:.3g}"
            + (f", m={m:.2f}" if "m" in fit.params else ""),
        )
        boots = fit.boot
        curves = np.array([model_share(yy, b[0], b[1], b[2] if b.size > 2 else 1.0, t0) for b in boots[:400]])
        ax.fill_between(yy, *np.percentile(curves, [2.5, 97.5], axis=0), color=col, alpha=0.15)
    ax.plot(
        yy,
        model_share(yy, META_P, META_Q, 1.0, t0),
        "k--",
        lw=1,
        label=f"meta-analysis p={META_P}, q={META_Q} (same start {t0:.0f})",
    )
    sim = result["model_check"]["curve"]
    ax.plot(
        t0 + np.arange(sim.size) / 12,
        sim,
        color="C1",
        lw=1,
        ls=":",
        label="model adoption code, fitted p/12, q/12 per month (50,000, full mixing)",
    )
    markers = {DEFINITION: ("o", "interacted online (fitted)")}
    for r in result["rows"]:
        if r["geo"] != "NL":
            continue
        fitted = r["indicator"] == DEFINITION
        mk = "o" if fitted else ("s" if "website or app" in r["indicator"] else "^")
        ax.plot(
            r["year"], r["share"], mk, color="k" if fitted else "0.5", mfc="k" if fitted else "none", ms=7
        )
    for mk, lab in (
        ("o", "NL interacted online, 2011-2020 (fitted)"),
        ("s", "NL website/app, redefined 2021 (not fitted)"),
        ("^", "NL obtained information, sub-indicator (not fitted)"),
    ):
        ax.plot([], [], mk, color="k" if mk == "o" else "0.5", mfc="k" if mk == "o" else "none", label=lab)
    del markers
    ax.set(
        xlabel="year",
        ylabel="share of individuals (16-74)",
        ylim=(0, 1.02),
        xlim=(t0, 2025),
        title="Dutch e-government use: data vs calibrated Bass curve (95 % bootstrap bands)",
    )
    ax.legend(fontsize=7.5, loc="upper left")
    save(fig, path)


def interpretation(result: dict[str, Any]) -> str:
    """Plain-language reading of the fit, generated from the numbers."""
    f1, f2 = result["fits"]
    p1, q1 = f1.params["p"], f1.params["q"]
    p2, q2, m2 = f2.params["p"], f2.params["q"], f2.params["m"]
    at_bound = p2 < 2e-4
    return (
        f"With m = 1 the series looks innovation-driven (p = {p1:.3f}, q = {q1:.3f} per year): the data start "
        f"at 60 % in 2011 and flatten near 80–86 %, which a curve saturating at 100 % can only follow by "
        f"rising slowly and steadily (RMSE {f1.rmse:.3f}). Letting the market potential free gives a much "
        f"better fit (RMSE {f2.rmse:.3f}) with m = {m2:.2f}: about one in seven Dutch adults did not interact "
        f"online with government in 2011–2020, and among the rest diffusion is imitation-driven "
        f"(q = {q2:.2f} per year, against the meta-analysis q ≈ 0.38"
        + (
            "; p runs to its lower bound because the fitted points all lie after take-off, so p and the "
            "start year are not identifiable – only q and m are"
            if at_bound
            else ""
        )
        + f"). The meta-analysis curve (p = 0.03, q = 0.38, m = 1, same start) overshoots the series "
        f"(RMSE {result['meta']['rmse']:.3f}). The model's defaults, p = 0.004 and q = 0.06 per month "
        f"(0.048 and 0.72 per year), sit at the m = 1 estimate of p and slightly above the m-free interval "
        f"for q; the model has no market-potential parameter, but skill dependence and privacy drag lower "
        f"its ceiling in a similar way. The model's own adoption code with the fitted m = 1 rates per month "
        f"reproduces the fitted curve within {result['model_check']['max_dev_at_data']:.4f} at the data years "
        f"(dotted line). Caveats: four points, two sources (CBS press figures and Eurostat), age bounds 16-74 "
        f"vs 16-75, and a national 'any interaction' share rather than one municipal service."
    )


def to_json(result: dict[str, Any], n_boot: int) -> dict[str, Any]:
    """The stored form of :func:`calibrate`'s result (what the report needs)."""
    return {
        "definition": result["definition"],
        "t0": result["t0"],
        "n_boot": n_boot,
        "years": result["years"],
        "shares": result["shares"],
        "sources": result["sources"],
        "fits": [
            {"label": f.label, "params": f.params, "ci": f.ci, "sse": f.sse, "rmse": f.rmse}
            for f in result["fits"]
        ],
        "t0_sensitivity": result["t0_sensitivity"],
        "meta": result["meta"],
        "model_check": {"max_dev_at_data": result["model_check"]["max_dev_at_data"]},
        "interpretation": interpretation(result),
    }
