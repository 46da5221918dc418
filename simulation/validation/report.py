"""docs/VALIDATION.md from the stored results of ``validate-patterns`` and ``calibrate``.

Both commands store their results as JSON next to the figures (``img/validation/``) and
then rebuild the whole report from whatever results are present, so either can be rerun
alone. Verdicts, figures and numbers come from the stored results; the fixed text below
(provenance of the defaults, notes on mechanisms) is the modeller's commentary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..io.atomic import atomic_write_text
from . import store
from .report_calibration import (
    COMBINE_RULE as COMBINE_RULE,
    _bass_section as _bass_section,
    _calibration_section as _calibration_section,
    _model_fit_section as _model_fit_section,
    _safe_calibration as _safe_calibration,
)
from .report_format import (
    CALIBRATION_JSON as CALIBRATION_JSON,
    IMG as IMG,
    PATTERNS_JSON as PATTERNS_JSON,
    _ci as _ci,
    _f as _f,
    _interval as _interval,
    _name as _name,
    _p as _p,
)
from .verdicts import VERDICTS

# (parameter, default, source, reason) – the provenance of the defaults (issue 5 item 4).
PROVENANCE: list[tuple[str, str, str, str]] = [
    (
        "citizens.p, citizens.q",
        "0.034, 0.016 per month",
        "calibration",
        "Posterior medians of the whole-model ABC-SMC fit (§3a; 90 % intervals [0.015, 0.072] and "
        "[0.0025, 0.089]); priors from the Bass meta-analysis (p≈0.03, q≈0.38 per year) widened to two "
        "decades. A single municipal service stands for the national share: still an assumption.",
    ),
    (
        "citizens.network, degree, rewiring",
        "small world, 8, 0.1",
        "assumption",
        "Watts–Strogatz is the usual stand-in for social contact networks; degree 8 keeps runs fast. Slows "
        "diffusion against full mixing (see the Bass check).",
    ),
    (
        "citizens.skill_base, age_gradient, education_gradient",
        "0.65, 0.49, 0.28",
        "assumption (skill base); calibration (gradients)",
        "Gradients: posterior medians of §3a against the CBS 2017 use gradients, which the model does not "
        "reach (structural misfit: the values sit near the priors' upper ends). Skill base: assumption.",
    ),
    ("citizens.privacy_concern, privacy_weight", "0.3, 0.5", "assumption", "No Dutch series used."),
    (
        "citizens.initial_legitimacy",
        "0.55",
        "assumption (data-informed)",
        "Roughly the share of Dutch citizens trusting government in surveys around 2000; not fitted.",
    ),
    (
        "trust.build_rate, trust.loss_rate",
        "0.10, 0.30",
        "literature",
        "Asymmetric trust updates in recent coopetition models (brief §6): losing about three times faster.",
    ),
    ("trust.ceiling_damage", "0.15", "assumption", "Path dependence has no published rate; pattern 6."),
    ("trust.initial", "0.5", "assumption", "Neutral start; patterns 2, 3, 4 explore 0.2–0.8."),
    (
        "integration.*, fragmentation.* profiles",
        "see ODD",
        "assumption (article)",
        "Ordinal contrasts from the article (integration: more autonomy loss, complexity, investment, higher "
        "quality ceiling and visibility; fragmentation: hired counters, fees, invisible government); values "
        "chosen, not measured.",
    ),
    (
        "integration.duration",
        "18 months",
        "assumption (case)",
        "Overheidsloket 2000 rolled out 1999–2002 (about three years for the pilots).",
    ),
    (
        "rollout.wave_size, wave_gap",
        "3, 6 months",
        "assumption (case)",
        "Small concrete waves as in OL2000's pilots.",
    ),
    (
        "negotiation.* weights and rates",
        "see ODD",
        "assumption",
        "No data on back-office negotiations; directions from the article, magnitudes chosen so that the "
        "default scenario reaches about 80 % agreement; patterns 2, 4, 5, 9, 10 test their directions.",
    ),
    (
        "resistance.*",
        "see ODD",
        "assumption",
        "Directions from the article; magnitudes chosen; patterns 2, 9, 10.",
    ),
    (
        "implementation.base_hazard, load_hazard",
        "0.01 per month, 1.5",
        "assumption",
        "Gives a handful of failures per programme; large programmes fail more often (brief §6), pattern 2.",
    ),
    (
        "implementation.overrun_alpha, overrun_scale, load_tail",
        "2.5, 0.3, 0.5",
        "literature (shape) + assumption",
        "Heavy-tailed IT overruns (Flyvbjerg & Budzier 2011: about one in six projects > 200 %). §3a fits the "
        "tail index to that share, but the model gives about 0 at any index in the prior (posterior ≈ prior), "
        "so the default 2.5 is kept; the share is a calibration target, so pattern 7 is not validation.",
    ),
    (
        "implementation.stall_months, collapse_share",
        "18, 0.5",
        "definition",
        "What counts as stalled/collapsed; reported KPIs depend on it.",
    ),
    ("learning.*", "see ODD", "assumption", "Pattern 8 tests the direction."),
    ("legitimacy.*", "see ODD", "assumption", "Legitimacy paradox from the article; no series fitted."),
    ("costs.*", "see ODD", "assumption", "Order-of-magnitude euros per transaction; not fitted."),
    (
        "RELATION_WEIGHTS by organisation type",
        "see config.py",
        "assumption (article)",
        "Provinces and water boards have little citizen contact (brief §2).",
    ),
]


NOTES = """\
## 5. Reading the map, and what it does not show

- **Labels.** *By construction* means the direction of the pattern is written into one
  mechanism term (named in the pattern's section), so a *holds* there checks that the term
  survives aggregation over parties, months and the rest of the model, not that the model
  explains the pattern. Only the *emergent* patterns are evidence in that stronger sense.
- **Verdicts are per cell.** A cell is one shipped scenario in one region; the map does not
  pool cells and does not correct for the number of cells tested (α = 0.01 per sub-claim,
  so among many true-null cells about one in a hundred would come out significant by chance).
- **Common random numbers.** Every condition of a cell runs the same seeds, and so do the
  cells and patterns (replication *i* has the same seed everywhere); runs that two patterns
  share are run once.
- **Nothing was tuned.** No mechanism, default or test was changed to make a cell pass; the
  conditions are set through scenario parameters only, and the same design is applied to
  every scenario found in `scenarios/`.
"""


def _ensemble_md(c: dict) -> str:
    e = c.get("ensemble")
    if not e:
        return ""
    share = e.get("share_holds")
    if share is None:
        return f"<br>ensemble: n/a in all {e['draws']} draws"
    rev = e.get("share_reversed") or 0.0
    return f"<br>holds in **{share:.0%}** of {e['draws']} draws" + (f", reversed in {rev:.0%}" if rev else "")


def _cell_md(c: dict) -> str:
    if c["verdict"] == "not applicable":
        return f"n/a: {c.get('reason', '')}{_ensemble_md(c)}"
    pr = c.get("primary")
    if not pr or not pr.get("result"):
        return f"**{c['verdict']}**{_ensemble_md(c)}"
    r = pr["result"]
    own = "" if pr["verdict"] == c["verdict"] else f" (shown sub-claim: {pr['verdict']})"
    return f"**{c['verdict']}**{own}<br>{_f(r.get('diff'))}{_ci(r.get('ci'))}{_ensemble_md(c)}"


def _share_holds(p: dict) -> str:
    shares = [
        c["ensemble"]["share_holds"]
        for c in p["cells"]
        if (c.get("ensemble") or {}).get("share_holds") is not None
    ]
    return f"{sum(shares) / len(shares):.0%}" if shares else "–"


def _counts(p: dict) -> dict[str, int]:
    out = dict.fromkeys(VERDICTS, 0)
    for c in p["cells"]:
        out[c["verdict"]] = out.get(c["verdict"], 0) + 1
    return out


def _summary_rows(patterns: list[dict]) -> list[str]:
    ens = any(c.get("ensemble") for p in patterns for c in p["cells"])
    extra = " holds over draws (mean of cells) |" if ens else ""
    out = [
        "| # | pattern | label | " + " | ".join(VERDICTS) + " |" + extra + " map |",
        "|---|---|---|" + "---|" * len(VERDICTS) + ("---|" if ens else "") + "---|",
    ]
    for p in patterns:
        k = _counts(p)
        label = p["label"] + (
            "; **calibration target, not validation**" if p.get("calibration_target") else ""
        )
        out.append(
            f"| {p['number']} | {p['title']} | {label} | "
            + " | ".join(str(k[v]) for v in VERDICTS)
            + (f" | {_share_holds(p)}" if ens else "")
            + f" | [pattern{p['number']}.png]({IMG}/{p['figure']}) |"
        )
    return out


def _map_table(p: dict) -> list[str]:
    scen = list(dict.fromkeys(c["scenario"] for c in p["cells"]))
    regs = list(dict.fromkeys(c["region"] for c in p["cells"]))
    by = {(c["scenario"], c["region"]): c for c in p["cells"]}
    out = ["| scenario | " + " | ".join(regs) + " |", "|---|" + "---|" * len(regs)]
    for s in scen:
        out.append(
            f"| {_name(s)} | "
            + " | ".join(_cell_md(by[(s, r)]) if (s, r) in by else "–" for r in regs)
            + " |"
        )
    return out


def _claims_table(p: dict) -> list[str]:
    out = [
        "<details><summary>Every sub-claim in every cell</summary>",
        "",
        "| cell | sub-claim | A | B | measure | mean A | mean B | B − A [95 % CI] | effect | p | pairs (informative) | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in p["cells"]:
        cell = f"{_name(c['scenario'])} · {c['region']}"
        if c["verdict"] == "not applicable" and not c.get("claims"):
            out.append(f"| {cell} | – | | | | | | | | | | n/a: {c.get('reason', '')} |")
            continue
        for k in c["claims"]:
            r = k.get("result")
            if not r:
                out.append(f"| {cell} | {k['text']} | | | | | | | | | | n/a: {k.get('reason', '')} |")
                continue
            out.append(
                f"| {cell} | {k['text']} | {k['a']} | {k['b']} | {k['measure']} | {_f(r.get('a'))} | {_f(r.get('b'))} | "
                f"{_f(r.get('diff'))}{_ci(r.get('ci'))} | {r.get('effect_name', '')} {_f(r.get('effect'))} | "
                f"{_p(r.get('p'))} | {r.get('n', '–')} ({r.get('n_informative', '–')}) | {k['verdict']} |"
            )
    out += ["", "</details>", ""]
    rows = [
        f"| {_name(c['scenario'])} · {c['region']} | "
        + "; ".join(f"{k} {_f(v, 2)}" for k, v in (c.get("extra") or {}).get("bad_end_share", {}).items())
        + " |"
        for c in p["cells"]
        if (c.get("extra") or {}).get("bad_end_share")
    ]
    if rows:
        out += [
            "<details><summary>Share of runs that stalled or collapsed, per condition</summary>",
            "",
            "| cell | stalled or collapsed |",
            "|---|---|",
            *rows,
            "",
            "</details>",
            "",
        ]
    return out


def _not_holding(p: dict) -> str:
    groups: dict[str, list[str]] = {}
    for c in p["cells"]:
        if c["verdict"] != "holds":
            groups.setdefault(c["verdict"], []).append(f"{_name(c['scenario'])} · {c['region']}")
    if not groups:
        return "Holds in every cell."
    return " ".join(f"*{v}*: {', '.join(cs)}." for v, cs in groups.items())


def _pattern_section(p: dict) -> list[str]:
    k = _counts(p)
    head = ", ".join(f"{v} {k[v]}" for v in VERDICTS if k[v])
    out = [
        f"### Pattern {p['number']}: {p['title']} — {head}",
        "",
        f"*Claim (brief §5):* {p['claim']}",
        "",
        f"*Label:* **{p['label']}** — {p['label_reason']}.",
        "",
        *(
            [
                f"*Calibration target:* {p['calibration_target']} is fitted by `egov-sim calibrate`, so this "
                "pattern's agreement with the reference is not counted as validation.",
                "",
            ]
            if p.get("calibration_target")
            else []
        ),
        f"*Set-up:* {p['setup']} {p['replications']} replications per condition (CRN); {p['runs']} runs.",
        "",
        f"*Criterion:* {p['criterion']} Cell verdict: {COMBINE_RULE}",
        "",
    ]
    if p.get("global") and p["global"].get("text"):
        out += [p["global"]["text"], ""]
    shown = p.get("primary") or "the only sub-claim"
    out += [f"Map (cell: verdict, then B − A [95 % CI] of *{shown}*):", ""]
    out += _map_table(p)
    out += ["", f"Where it does not hold: {_not_holding(p)}", ""]
    bad = [
        f"{k} in {_name(c['scenario'])} · {c['region']} ({100 * v:.0f} %)"
        for c in p["cells"]
        for k, v in ((c.get("extra") or {}).get("bad_end_share") or {}).items()
        if v is not None and v >= 0.5
    ]
    if bad:
        out += [
            "Caution: conditions that stalled or collapsed in at least half of their runs, so the comparison "
            "there is largely with a failed programme: " + "; ".join(bad) + ".",
            "",
        ]
    out += _claims_table(p)
    out += [f"![pattern {p['number']}]({IMG}/{p['figure']})", ""]
    return out


def _ensemble_method(e: dict) -> list[str]:
    reps = e.get("replications")
    return [
        f"**Over the parameter ensemble.** The map was rerun once per parameter draw ({e['label']}: the "
        "calibrated parameters from the posterior of §3a, every other uncertain parameter from its prior in "
        "`data/priors.toml`; the condition's and the region's own settings are not drawn), with the same "
        f"seeds{f' and {reps} replications per condition' if reps else ''}. Each cell gives the share of draws "
        "in which its verdict is *holds* (and *reversed*, if any). A draw's verdict uses the rule above on its own "
        "replications, so with fewer replications it has less power than the main map: read a low share as "
        "'not robust or not detectable', and compare it with the main verdict. Patterns whose measure is a "
        "calibration target are marked and are not counted as validation.",
        "",
    ]


def _method(meta: dict) -> list[str]:
    regions = meta.get("regions", [])
    scen = meta.get("scenarios", [])
    return [
        "## 2. Pattern-oriented validation (brief §5): where the patterns hold",
        "",
        f"**Cells.** Every shipped scenario ({', '.join(f'`{s}`' for s in scen)}; found in `scenarios/` "
        "at run time) in each region: "
        + "; ".join(f"*{r['name']}* = {r['description']}" for r in regions)
        + ". The regions are defined once (`simulation/validation/patterns.py`, `REGIONS`).",
        "",
        "**Conditions and pairing.** Each pattern sets its conditions through scenario parameters only (no "
        "mechanism is changed) and runs every condition of a cell with the same replication seeds (common "
        "random numbers), so each replication gives one pair. Party-level patterns use 300 citizens under "
        "full mixing (adoption does not feed back into negotiation); patterns 1 and 3 use 2,000 citizens on "
        "the small-world network.",
        "",
        "**Tests and effects.** Continuous measures: Wilcoxon signed-rank on the paired differences; binary "
        "ones: exact McNemar; the S-shape: exact binomial against 0.5. Effect = mean paired difference B − A "
        "with its 95 % t interval (share difference with a Wald interval for McNemar), and d_z = mean / sd of "
        "the differences in the sub-claim tables.",
        "",
        f"**Verdict rule (one for every sub-claim).** *inconclusive* if fewer than "
        f"{meta.get('min_informative', 8)} informative pairs (pairs that differ; discordant pairs for a "
        "binary outcome; with fewer not even a unanimous sign reaches the level), else *holds* if "
        f"p < {meta.get('alpha', 0.01)} with the mean difference in the claimed direction, *reversed* if "
        "p < α the other way, *does not hold* otherwise; *not applicable* where the cell cannot express the "
        "pattern (the reason is given). A cell's verdict: " + COMBINE_RULE,
        "",
        f"**This run.** Master seed {meta.get('master')}; {meta.get('distinct_runs', '–')} distinct model runs; "
        f"{_f(meta.get('seconds'), 0)} s wall time on {meta.get('workers')} worker(s). Replications per "
        "condition are given per pattern.",
        "",
        *(_ensemble_method(meta["ensemble"]) if meta.get("ensemble") else []),
        f"![overview]({IMG}/overview.png)",
        "",
    ]


def build(data: Any, calibration: dict | None, quick: bool = False, abc: dict | None = None) -> str:
    lines = [
        "# Validation and calibration",
        "",
        "Generated by `egov-sim validate-patterns` and `egov-sim calibrate` (simulation/validation/); do not "
        "edit by hand. Every number below comes from seeded replications and is reproduced bit for bit by "
        "rerunning the commands, whatever the number of workers.",
        "",
    ]
    meta = data.get("meta", {}) if isinstance(data, dict) else {}
    patterns = data.get("patterns") if isinstance(data, dict) else None
    if quick or meta.get("quick"):
        lines += [
            "> **Quick mode: reduced run, not the reported verdicts.** Few replications per condition and "
            "by default only the hostile and friendly regions; the verdicts below are underpowered "
            "smoke-test output.",
            "",
        ]
    if meta.get("partial"):
        lines += ["> Partial run: some patterns or cells come from an earlier run of the command.", ""]
    if patterns:
        lines += ["## Summary", "", "Cells per verdict (scenario × region):", ""]
        lines += _summary_rows(patterns) + [""]
        p1 = next((p for p in patterns if p["number"] == 1), None)
        if p1 and (p1.get("global") or {}).get("bass"):
            lines += _bass_section(p1)
        lines += _method(meta)
        for p in patterns:
            lines += _pattern_section(p)
    else:
        lines += ["*Pattern results not generated yet: run `egov-sim validate-patterns`.*", ""]
    if abc:
        from .abc_section import section

        lines += ["## 3. Calibration to the Dutch series", ""] + section(abc)
    if calibration:
        old = _safe_calibration(calibration)
        if abc:
            rename = {
                "## 3. Calibration to the Dutch series": None,
                "### 3a. The full model fitted to the series (simulation-based likelihood)": (
                    "### 3b. Earlier: citizens.p and q alone, on a grid (simulation-based likelihood; not used)"
                ),
                "### 3b. A Bass curve fitted to the series (for comparison)": (
                    "### 3c. A Bass curve fitted to the series (for comparison)"
                ),
            }
            old = [rename.get(x, x) for x in old if rename.get(x, x) is not None]
        lines += old
    else:
        lines += ["*Calibration not generated yet: run `egov-sim calibrate`.*", ""]
    lines += [
        "## 4. Where the defaults come from",
        "",
        "| parameter | default | source | reason |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{a}` | {b} | {c} | {d} |" for a, b, c, d in PROVENANCE]
    if patterns:
        lines += ["", NOTES]
    return "\n".join(lines) + "\n"


def write_report(out_dir: Path, quick: bool = False) -> Path:
    """Rebuild ``out_dir/VALIDATION.md`` from the stored JSON results (atomic replace)."""
    out_dir = Path(out_dir)
    img = out_dir / IMG
    pats = store.read(img / PATTERNS_JSON) if (img / PATTERNS_JSON).exists() else None
    cal = store.read(img / CALIBRATION_JSON) if (img / CALIBRATION_JSON).exists() else None
    abc = store.read(img / "abc.json") if (img / "abc.json").exists() else None
    text = build(pats, cal, quick, abc)
    path = out_dir / "VALIDATION.md"
    atomic_write_text(path, text)
    return path
