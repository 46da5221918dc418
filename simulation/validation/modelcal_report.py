"""What a whole-model p, q calibration reports: its bands at the data, the plain-language interpretation, model_fit.json and the two figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .modelcal import CHI2_1_95, CHI2_2_95, SURVEY_OFFSET, data_months


def band_at_data(res: dict[str, Any]) -> dict[str, np.ndarray]:
    """Mean and 2.5-97.5 % band of the ML-point runs at the data months (main start year)."""
    months = data_months(res["years"], res["settings"]["start_year"])
    return {k: np.asarray(res["band"][k])[months] for k in ("mean", "lo", "hi")}


def interpretation(res: dict[str, Any]) -> str:
    """Plain-language reading of the fit, generated from the numbers."""
    st = res["settings"]
    f = res["fits"][0]
    y = np.asarray(res["shares"])
    years = [int(v) for v in res["years"]]
    band = band_at_data(res)
    emu_gap = float(np.max(np.abs(np.asarray(f.mean_at_data) - band["mean"])))
    mode = "imitation-driven (q > 10 p)" if f.q > 10 * f.p else "innovation-driven (p ≥ q/10)"
    parts = [
        f"At the maximum-likelihood point (p = {f.p:.3g}, q = {f.q:.3g} per month, start {f.start_year}) the "
        f"fit is {mode}; the ML-point runs give "
        + ", ".join(f"{b:.2f} in {yr}" for yr, b in zip(years, band["mean"], strict=True))
        + " against "
        + ", ".join(f"{v:.2f}" for v in y)
        + f" (misfit χ² {f.misfit['chi2']:.1f} on {f.misfit['df']} df, p = {f.misfit['p_value']:.2g})."
    ]
    over = float(band["mean"][-1] - y[-1])
    if over > 0.05:
        parts.append(
            f"The model overshoots the last fitted year by {over:.2f}: its adoption keeps rising towards "
            f"everyone (it has no market-potential parameter), while the series reaches only {y[-1]:.0%} "
            f"by {years[-1]} (compare the Bass fit with m free below)."
        )
    multi = [k for k in ("p", "q") if len(f.segments[k]) > 1]
    if multi:
        parts.append(
            "The likelihood is multimodal: the 95 % profile set of "
            + " and ".join(multi)
            + " is a union of separate segments (an innovation-driven and an imitation-driven way of "
            "reaching the same four points); the quoted interval is their hull."
        )
    opened = [k for k in ("p", "q") if any(f.open_ends[k])]
    if opened:
        parts.append(
            "The interval of "
            + " and ".join(opened)
            + " reaches the edge of the searched range: the data do not bound it there."
        )
    if len(res["fits"]) > 1:
        parts.append(
            "Start-year sensitivity: "
            + "; ".join(f"{g.start_year}: p {g.p:.3g}, q {g.q:.3g}" for g in res["fits"][1:])
            + f" (main {f.start_year}: p {f.p:.3g}, q {f.q:.3g})."
        )
    parts.append(
        f"Emulator check: at the ML point the spline mean differs from the mean of {st['replications']} fresh "
        f"runs by at most {emu_gap:.3f} at the data years. Caveats: four points from two sources, one "
        "scenario standing in for the national share of any online contact with government, and assumed "
        "observation error and start year; the intervals are conditional on all of these."
    )
    return " ".join(parts)


def model_fit_json(res: dict[str, Any]) -> dict[str, Any]:
    """The stored form (what the report needs)."""
    return {
        "interpretation": interpretation(res),
        "settings": res["settings"],
        "years": res["years"],
        "shares": res["shares"],
        "fits": [f.to_dict() for f in res["fits"]],
        "at_years": res["at_years"],
        "band_at_data": band_at_data(res),
        "runs": res["runs"],
        "seconds": res["seconds"],
    }


def plot_fit(res: dict[str, Any], rows: list[dict[str, Any]], bass_fits: list[Any], path: Path) -> None:
    """Fitted mean model curve with its replication band, the data and the old Bass fits."""
    from matplotlib.figure import Figure

    from ..outputs.plotting import save
    from .calibrate import DEFINITION, model_share

    st = res["settings"]
    start = st["start_year"]
    fit = res["fits"][0]
    band = res["band"]
    t = start + band["months"] / 12.0
    fig = Figure(figsize=(9.5, 5.2), layout="constrained")
    ax = fig.subplots()
    ax.fill_between(
        t, band["lo"], band["hi"], color="C0", alpha=0.2, label="model, 2.5–97.5 % of replications"
    )
    ax.plot(
        t,
        band["mean"],
        color="C0",
        lw=2,
        label=f"full model ({st['scenario']}, {st['citizens']:,} citizens), ML p={fit.p:.3g}, "
        f"q={fit.q:.3g} per month, mean of {st['replications']}",
    )
    yy = np.linspace(start, t[-1], 300)
    for f, col in zip(bass_fits, ("C2", "C3"), strict=False):
        m = f.params.get("m", 1.0)
        ax.plot(
            yy,
            model_share(yy, f.params["p"], f.params["q"], m),
            color=col,
            ls="--",
            lw=1,
            label=f"Bass curve fit ({f.label}, t0 1995; bootstrap CI overstates precision)",
        )
    off = SURVEY_OFFSET / 12.0
    for r in rows:
        if r["geo"] != "NL":
            continue
        fitted = r["indicator"] == DEFINITION
        mk = "o" if fitted else ("s" if "website or app" in r["indicator"] else "^")
        ax.plot(
            r["year"] + off, r["share"], mk, color="k" if fitted else "0.5", mfc="k" if fitted else "none"
        )
    for mk, lab in (
        ("o", "NL interacted online, 2011-2020 (fitted)"),
        ("s", "NL website/app, redefined 2021 (not fitted)"),
        ("^", "NL obtained information, sub-indicator (not fitted)"),
    ):
        ax.plot([], [], mk, color="k" if mk == "o" else "0.5", mfc="k" if mk == "o" else "none", label=lab)
    ax.set(
        xlabel=f"year (model month 0 = January {start}; survey year read at mid-year)",
        ylabel="adopted share",
        ylim=(0, 1.02),
        xlim=(start, t[-1]),
        title="Dutch e-government use vs the calibrated full model (simulation-based likelihood)",
    )
    ax.set_xlim(start, min(t[-1], 2025.9))
    ax.legend(fontsize=7.5, loc="lower right")
    save(fig, path)


def plot_surface(res: dict[str, Any], path: Path) -> None:
    """Deviance surface over (p, q) for the main start year, and the two profiles."""
    from matplotlib.figure import Figure

    from ..outputs.plotting import save

    fit = res["fits"][0]
    dev = 2.0 * (fit.loglik.max() - fit.loglik)
    fig = Figure(figsize=(13, 4.4), layout="constrained")
    ax, axp, axq = fig.subplots(1, 3)
    P, Q = np.exp(fit.mesh_lp), np.exp(fit.mesh_lq)
    cs = ax.contourf(P, Q, np.minimum(dev, 40).T, levels=20, cmap="viridis_r")
    ax.contour(P, Q, dev.T, levels=[CHI2_2_95], colors="w", linewidths=1.5)
    gp, gq = np.meshgrid(fit.grid_p, fit.grid_q, indexing="ij")
    ax.plot(gp.ravel(), gq.ravel(), ".", color="0.3", ms=3, label="simulated grid")
    ax.plot(fit.p, fit.q, "r*", ms=12, label="maximum likelihood")
    ax.set(xscale="log", yscale="log", xlabel="citizens.p per month", ylabel="citizens.q per month")
    ax.set_title(f"deviance (white: 95 % joint region), start {fit.start_year}", fontsize=9)
    ax.legend(fontsize=7, loc="best")
    fig.colorbar(cs, ax=ax, label="deviance (capped at 40)")
    for a, grid, prof, name, ml in (
        (axp, P, fit.profile_p, "p", fit.p),
        (axq, Q, fit.profile_q, "q", fit.q),
    ):
        a.plot(grid, 2.0 * (fit.loglik.max() - prof), color="C0")
        a.axhline(CHI2_1_95, color="k", ls=":", lw=1, label="3.84 (95 %)")
        for k, (lo, hi) in enumerate(fit.segments[name]):
            a.axvspan(lo, hi, color="C0", alpha=0.15, label="95 % profile set" if k == 0 else None)
        a.axvline(ml, color="r", lw=1)
        a.set(xscale="log", xlabel=f"citizens.{name} per month", ylabel="profile deviance", ylim=(0, 15))
        a.legend(fontsize=7)
    save(fig, path)
