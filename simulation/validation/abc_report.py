"""``egov-sim calibrate`` (ABC-SMC): the driver, its diagnostics figures and its report section."""

from __future__ import annotations

import csv
import hashlib
import math
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import abc, store
from .abc_section import (
    FIGURES as FIGURES,
    REPORT_YEARS as REPORT_YEARS,
    _heldout_population as _heldout_population,
    section as section,
)

ABC_JSON = "abc.json"


def _versions() -> dict[str, str]:
    from ..io.resources import package_version

    return {name: package_version(name) for name in ("egov-sim", "pyabc", "numpy", "scipy", "mesa", "pandas")}


def _summary(setup: abc.Setup, sims: np.ndarray) -> list[dict[str, Any]]:
    rows = []
    for j, t in enumerate(setup.targets):
        q = np.nanquantile(sims[:, j], [0.05, 0.25, 0.5, 0.75, 0.95])
        rows.append(
            {
                "target": t.name,
                "kind": t.kind,
                "definition": t.definition,
                "fit": t.fit,
                "data": t.value if t.kind != "interval" else [t.low, t.high],
                "sd": t.sd,
                "q05": q[0],
                "q25": q[1],
                "median": q[2],
                "q75": q[3],
                "q95": q[4],
            }
        )
    return rows


def _municipality(setup: abc.Setup, fit: abc.FitResult, n: int, seed: int, engine: Any) -> dict[str, Any]:
    """The default municipality under the posterior: months to first service and adoption
    at years 9, 18 and 22 (median and 90 % interval) against the Dutch series."""
    years = [setup.start_year + y for y in REPORT_YEARS]
    extra = tuple(
        abc.Target(f"year{y}", "level", y, math.nan, math.nan, math.nan, 1.0, "report", "all", False, "", "")
        for y in years
    ) + (
        abc.Target(
            "first",
            "interval",
            None,
            math.nan,
            0,
            0,
            1.0,
            "overheidsloket_2000",
            "months_to_first_service",
            False,
            "",
            "",
        ),
    )
    full = abc.Setup(
        setup.scenario, 2000, setup.start_year, setup.targets + extra, setup.priors, setup.fitted
    )
    sims = abc.predictive(full, fit, n, seed + 1, engine)[:, len(setup.targets) :]
    out = {}
    for k, name in enumerate([*map(str, REPORT_YEARS), "months_to_first_service"]):
        q = np.quantile(sims[:, k], [0.05, 0.5, 0.95])
        out[name] = {"median": q[1], "p90": [q[0], q[2]]}
    return out


def plot_ppc(summary: list[dict[str, Any]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [
        ("shares (adoption, gaps, overrun)", [r for r in summary if r["kind"] != "interval"]),
        ("months to first service", [r for r in summary if r["kind"] == "interval"]),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(12, 6.5), gridspec_kw={"width_ratios": [5, 1]})
    for ax, (label, rows) in zip(axes, groups, strict=True):
        for i, r in enumerate(rows):
            colour = "tab:blue" if r["fit"] else "tab:orange"
            ax.plot([i, i], [r["q05"], r["q95"]], color=colour, lw=2, alpha=0.5)
            ax.plot([i, i], [r["q25"], r["q75"]], color=colour, lw=6)
            ax.plot(i, r["median"], "o", color="white", mec=colour, ms=5)
            if r["kind"] == "interval":
                ax.fill_between([i - 0.3, i + 0.3], r["data"][0], r["data"][1], color="k", alpha=0.15)
            else:
                marker = {"lower": "^", "upper": "v"}.get(r["kind"], "D")
                ax.plot(i, r["data"], marker, color="k", ms=7)
        ax.set_xticks(range(len(rows)), [r["target"] for r in rows], rotation=60, ha="right", fontsize=8)
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3)
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color="tab:blue", lw=6, label="posterior predictive 50 % (fitted target)"),
        Line2D([], [], color="tab:blue", lw=2, alpha=0.5, label="90 %"),
        Line2D([], [], color="tab:orange", lw=6, label="50 % (not fitted: checked)"),
        Line2D([], [], marker="D", color="k", ls="", label="data (level or gap)"),
        Line2D([], [], marker="^", color="k", ls="", label="lower bound"),
        Line2D([], [], marker="v", color="k", ls="", label="upper bound"),
    ]
    axes[0].legend(handles=handles, fontsize=8, loc="lower left")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_prior_posterior(setup: abc.Setup, fits: dict[str, abc.FitResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fit = fits["main"]
    n = len(fit.names)
    cols = 4
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    priors = {p.name: p for p in setup.priors}
    for k, name in enumerate(fit.names):
        ax = axes[k // cols][k % cols]
        p = priors[name]
        log = p.distribution == "loguniform"
        lo, hi = (math.log10(p.low), math.log10(p.high)) if log else (p.low, p.high)
        bins = np.linspace(lo, hi, 21)
        ax.hist(np.full(1, lo), bins=bins, weights=[0], color="grey")
        ax.axhline(1.0 / (hi - lo), color="grey", lw=2, label="prior")
        for key, colour, label in (
            ("main", "tab:blue", "posterior"),
            ("heldout", "tab:orange", "posterior without data after 2013"),
        ):
            f = fits.get(key)
            if f is None:
                continue
            x = f.values[:, k]
            ax.hist(
                np.log10(x) if log else x,
                bins=bins,
                weights=f.weights,
                density=True,
                histtype="step",
                color=colour,
                lw=1.8,
                label=label,
            )
        ax.set_title(("log10 " if log else "") + name, fontsize=9)
        ax.tick_params(labelsize=8)
    for k in range(n, rows * cols):
        axes[k // cols][k % cols].axis("off")
    axes[0][0].legend(fontsize=7)
    fig.suptitle("Prior (grey) vs ABC-SMC posterior (weighted particles of the last generation)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_heldout(cov: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = cov["targets"]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for i, r in enumerate(rows):
        ax.plot([i, i], r["p90"], color="tab:orange", lw=2, alpha=0.5)
        ax.plot([i, i], r["p50"], color="tab:orange", lw=6)
        ax.plot(i, r["data"], "D", color="k")
    ax.set_xticks(range(len(rows)), [r["target"] for r in rows], rotation=45, ha="right", fontsize=8)
    ax.set_title(
        f"Held-out check: fitted without the data after {abc.HELD_OUT_AFTER}; predictive 50 % (thick) and 90 % "
        f"(thin) intervals\ncoverage 50 %: {cov['coverage50']:.2f}, 90 %: {cov['coverage90']:.2f} "
        f"({cov['n']} held-out values; black = data)",
        fontsize=9,
    )
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_posterior(fit: abc.FitResult, folder: Path, provenance: dict[str, Any]) -> None:
    with (folder / "posterior.csv").open("w", encoding="utf-8", newline="") as fh:
        fh.write("# ABC-SMC posterior of egov-sim (egov-sim calibrate); provenance in posterior.json\n")
        w = csv.writer(fh, lineterminator="\n")
        w.writerow([*fit.names, "weight"])
        for row, weight in zip(fit.values, fit.weights, strict=True):
            w.writerow([f"{v:.10g}" for v in row] + [f"{weight:.10g}"])
    store.write(folder / "posterior.json", provenance)


def calibrate(args: Any) -> int:
    """Run the main fit, the held-out fit, the predictive checks; write the report files."""
    from ..experiments.sweep import TaskEngine
    from ..io.atomic import atomic_dir
    from ..io.resources import data_file
    from .report import IMG, write_report

    try:
        import pyabc  # noqa: F401
    except ModuleNotFoundError:
        from ..io.scenario_io import ScenarioError

        raise ScenarioError(
            "calibrate: the ABC-SMC calibration needs pyabc; install the extra: pip install 'egov-sim[calibrate]' "
            "(or use --method grid)"
        ) from None
    started = time.perf_counter()
    kw: dict[str, Any] = {"scenario": args.scenario, "seed": args.seed}
    if args.citizens is not None:
        kw["citizens"] = args.citizens
    if args.population is not None:
        kw["population"] = args.population
    if args.generations is not None:
        kw["generations"] = args.generations
    settings = abc.AbcSettings.quick(**kw) if args.quick else abc.AbcSettings(**kw)
    targets = abc.read_targets(Path(args.targets)) if args.targets else abc.shipped_targets()
    setup = abc.make_setup(settings, targets)
    abc._base_config(setup)  # scenario errors now, not in a worker
    state = (
        Path(args.state)
        if args.state
        else Path("results") / ("calibrate-quick" if args.quick else "calibrate")
    )
    state.mkdir(parents=True, exist_ok=True)

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    fits: dict[str, abc.FitResult] = {}
    with TaskEngine(args.workers, args.cluster) as engine:
        say(
            f"calibrate: ABC-SMC, {len(setup.fitted)} parameters, {sum(t.fit for t in targets)} targets, "
            f"population {settings.population}, {settings.generations} generations, state in {state}"
        )
        fits["main"] = abc.run_fit(
            setup,
            settings,
            engine,
            state / "abc.db",
            population=settings.population,
            generations=settings.generations,
            master=settings.seed,
            resume=args.resume,
            progress=say,
        )
        held = abc.Setup(
            setup.scenario,
            setup.citizens,
            setup.start_year,
            abc.held_out(targets),
            setup.priors,
            setup.fitted,
        )
        fits["heldout"] = abc.run_fit(
            held,
            settings,
            engine,
            state / "heldout.db",
            population=settings.heldout_population,
            generations=settings.heldout_generations,
            master=settings.seed + 1,
            resume=args.resume,
            progress=say,
        )
        say("calibrate: posterior predictive checks")
        post = abc.predictive(setup, fits["main"], settings.predictive, settings.seed, engine)
        prior = abc.predictive(setup, None, settings.predictive, settings.seed, engine)
        held_sims = abc.predictive(held, fits["heldout"], settings.predictive, settings.seed + 1, engine)
        which = [
            j
            for j, t in enumerate(held.targets)
            if not t.fit and targets[j].fit and t.kind in ("level", "gap")
        ]
        cov = abc.coverage(held, held_sims, which, settings.seed)
        muni = _municipality(setup, fits["main"], settings.predictive, settings.seed, engine)
    digest = hashlib.sha256(
        (Path(args.targets) if args.targets else data_file(abc.TARGETS_FILE)).read_bytes()
    ).hexdigest()
    provenance = {
        "method": "ABC-SMC (pyabc.ABCSMC, MedianEpsilon, multivariate normal transition), distance ||z||_2 "
        "of standardised residuals; evaluations on simulation.experiments.sweep.TaskEngine",
        "command": "egov-sim calibrate" + (" --quick" if args.quick else ""),
        "quick": bool(args.quick),
        "scenario": settings.scenario,
        "citizens": settings.citizens,
        "start_year": settings.start_year,
        "population": settings.population,
        "heldout_population": settings.heldout_population,
        "generations": len(fits["main"].generations),
        "master_seed": settings.seed,
        "fitted": list(setup.fitted),
        "nuisance": "every other prior of data/priors.toml drawn per simulation",
        "targets": [t.name for t in targets if t.fit],
        "checked_only": [t.name for t in targets if not t.fit],
        "targets_sha256": digest,
        "versions": _versions(),
        "runs": fits["main"].runs + fits["heldout"].runs + 4 * settings.predictive,
    }
    fit = fits["main"]
    q = {
        n: np.quantile(fit.values[abc.resample(fit, 2000, 3), k], [0.05, 0.5, 0.95]).tolist()
        for k, n in enumerate(fit.names)
    }
    result = {
        "provenance": provenance,
        "posterior": {n: {"median": v[1], "p90": [v[0], v[2]]} for n, v in q.items()},
        "priors": {p.name: p.describe() for p in setup.priors if p.name in setup.fitted},
        "generations": fit.generations,
        "heldout_generations": fits["heldout"].generations,
        "ppc": _summary(setup, post),
        "prior_predictive": _summary(setup, prior),
        "heldout": cov,
        "municipality": muni,
        "seconds": time.perf_counter() - started,
        "targets": [
            {
                "target": t.name,
                "kind": t.kind,
                "definition": t.definition,
                "fit": t.fit,
                "source": t.source,
                "handling": t.handling,
            }
            for t in targets
        ],
    }
    out = (
        Path(args.out)
        if args.out
        else (
            Path("results") / f"{time.strftime('%Y%m%d-%H%M%S')}-calibrate-quick"
            if args.quick
            else Path("docs")
        )
    )
    out.mkdir(parents=True, exist_ok=True)
    with atomic_dir(out / IMG) as tmp:
        plot_ppc(
            result["ppc"],
            tmp / FIGURES[0],
            f"Posterior predictive check ({settings.predictive} draws, fresh seeds) against every target",
        )
        plot_prior_posterior(setup, fits, tmp / FIGURES[1])
        plot_heldout(cov, tmp / FIGURES[2])
        write_posterior(fit, tmp, provenance)
        store.write(tmp / ABC_JSON, result)
    path = write_report(out, quick=args.quick)
    if args.ship:
        for name in ("posterior.csv", "posterior.json"):
            shutil.copyfile(out / IMG / name, Path("data") / name)
        say("calibrate: posterior shipped to data/posterior.csv (and posterior.json)")
    _print(result)
    print(f"{time.perf_counter() - started:.0f} s; wrote {path} and {out / IMG}/abc*.png, posterior.csv")
    return 0


def _print(result: dict[str, Any]) -> None:
    print("posterior (median [90 % interval]):")
    for n, v in result["posterior"].items():
        print(
            f"  {n:32s} {v['median']:.4g} [{v['p90'][0]:.4g}, {v['p90'][1]:.4g}]   prior {result['priors'][n]}"
        )
    g = result["generations"][-1]
    print(
        f"last generation: epsilon {g['epsilon']:.3g}, acceptance {g['acceptance_rate']:.2f}, ESS {g['ess']:.0f}"
    )
    m = result["municipality"]
    print(
        "default municipality: months to first service "
        f"{m['months_to_first_service']['median']:.0f} [{m['months_to_first_service']['p90'][0]:.0f}, "
        f"{m['months_to_first_service']['p90'][1]:.0f}]; adoption "
        + ", ".join(
            f"year {y}: {m[str(y)]['median']:.2f} [{m[str(y)]['p90'][0]:.2f}, {m[str(y)]['p90'][1]:.2f}]"
            for y in REPORT_YEARS
        )
    )
    h = result["heldout"]
    print(
        f"held-out (after {abc.HELD_OUT_AFTER}): coverage 50 % {h['coverage50']:.2f}, 90 % {h['coverage90']:.2f} "
        f"over {h['n']} values"
    )
