"""The calibration section of docs/VALIDATION.md, from a ``calibrate`` result (abc.json).

Kept apart from abc_report (which runs the calibration and imports the report writer), so
that the report writer can include this section without an import cycle.
"""

from __future__ import annotations

from typing import Any

from . import abc

FIGURES = ("abc_ppc.png", "abc_prior_posterior.png", "abc_heldout.png")


REPORT_YEARS = (9, 18, 22)


def _heldout_population(pv: dict[str, Any]) -> int:
    """The held-out fit's population; provenance written before it was recorded falls back on the settings."""
    if "heldout_population" in pv:
        return int(pv["heldout_population"])
    settings = abc.AbcSettings.quick() if pv.get("quick") else abc.AbcSettings()
    return settings.heldout_population


def section(c: dict[str, Any]) -> list[str]:
    """The ABC section of docs/VALIDATION.md."""
    pv = c["provenance"]
    lines = [
        "### 3a. Whole-model calibration by ABC-SMC (the posterior the ensembles use)",
        "",
        f"*Method:* {pv['method']}. Fitted: {', '.join(f'`{n}`' for n in pv['fitted'])}; every other "
        f"uncertain parameter is drawn from its prior in each simulation (the posterior is marginal over them). "
        f"Scenario `{pv['scenario']}`, {pv['citizens']:,} citizens, month 0 = January {pv['start_year']}. "
        f"Population {pv['population']}, {pv['generations']} generations, master seed {pv['master_seed']}; "
        f"{pv['runs']:,} runs in {c['seconds']:.0f} s. Library versions: "
        + ", ".join(f"{k} {v}" for k, v in pv["versions"].items())
        + ". Posterior shipped as `data/posterior.csv` with `data/posterior.json` (provenance).",
        "",
        "*Targets* (`data/calibration_targets.csv`; every definition handled explicitly):",
        "",
        "| target | kind | definition | fitted | handling |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {t['target']} | {t['kind']} | {t['definition']} | {'yes' if t['fit'] else 'no (checked)'} | {t['handling']} |"
        for t in c["targets"]
    ]
    lines += ["", "| parameter | prior | posterior median [90 %] |", "|---|---|---|"]
    lines += [
        f"| `{n}` | {c['priors'][n]} | {v['median']:.4g} [{v['p90'][0]:.4g}, {v['p90'][1]:.4g}] |"
        for n, v in c["posterior"].items()
    ]
    lines += [
        "",
        "*Diagnostics per generation:*",
        "",
        "| generation | epsilon | runs | acceptance rate | ESS |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {g['generation']} | {g['epsilon']:.3g} | {g['runs']} | {g['acceptance_rate']:.3f} | {g['ess']:.0f} |"
        for g in c["generations"]
    ]
    lines += [
        "",
        "*Posterior predictive check* (fresh runs; prior predictive for comparison):",
        "",
        "| target | data | prior predictive median [90 %] | posterior predictive median [90 %] | fitted |",
        "|---|---|---|---|---|",
    ]
    for post, pri in zip(c["ppc"], c["prior_predictive"], strict=True):
        data = post["data"]
        d = f"{data[0]:g}–{data[1]:g}" if isinstance(data, list) else f"{data:g}"
        lines.append(
            f"| {post['target']} | {d} | {pri['median']:.3g} [{pri['q05']:.3g}, {pri['q95']:.3g}] | "
            f"{post['median']:.3g} [{post['q05']:.3g}, {post['q95']:.3g}] | {'yes' if post['fit'] else 'no'} |"
        )
    m = c["municipality"]
    lines += [
        "",
        "*The default municipality under the posterior* (2,000 citizens, posterior draws with fresh seeds; "
        "median [90 %]): months to first service "
        f"{m['months_to_first_service']['median']:.0f} [{m['months_to_first_service']['p90'][0]:.0f}, "
        f"{m['months_to_first_service']['p90'][1]:.0f}]; adoption "
        + "; ".join(
            f"year {y} ({pv['start_year'] + y}): {m[str(y)]['median']:.2f} [{m[str(y)]['p90'][0]:.2f}, "
            f"{m[str(y)]['p90'][1]:.2f}]"
            for y in REPORT_YEARS
        )
        + " (Dutch series: 0.60 in 2011, 0.86 in 2020, 0.96 in 2024 on the redefined indicator).",
        "",
    ]
    h = c["heldout"]
    lines += [
        f"*Held-out check:* the same fit without every target after {abc.HELD_OUT_AFTER} "
        f"(population {_heldout_population(pv)}, {len(c.get('heldout_generations', []))} generations); its posterior predictive intervals "
        f"(with each target's observation error) against the {h['n']} held-out levels and gaps: "
        f"**coverage of the 50 % intervals {h['coverage50']:.2f}, of the 90 % intervals {h['coverage90']:.2f}** "
        "(nominal 0.50 and 0.90; with so few values, read it as a rough check).",
        "",
        "| held-out target | data | median | 50 % | 90 % |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['target']} | {r['data']:g} | {r['median']:.3f} | [{r['p50'][0]:.3f}, {r['p50'][1]:.3f}] | "
        f"[{r['p90'][0]:.3f}, {r['p90'][1]:.3f}] |"
        for r in h["targets"]
    ]
    lines += [""] + [f"![{f}](img/validation/{f})" for f in FIGURES] + [""]
    return lines
