"""Plain-text tables of runs, comparisons and ensembles, as the CLI prints them."""

from __future__ import annotations

import math
from typing import Any


def fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    for r in rows:
        out.append(
            "  ".join(
                str(c).rjust(w) if i else str(c).ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    return "\n".join(out)


def _arrow(direction: str) -> str:
    return "↑" if str(direction).startswith("higher") else "↓"


def scorecard_text(scorecard) -> str:
    """The run's scorecard (long format: a DataFrame or its records) as a table: cell,
    value, unit, better direction."""
    records = scorecard if isinstance(scorecard, list) else scorecard.to_dict("records")
    rows = [
        [
            f"{r['perspective'].replace('_', ' ')} / {r['relation']}",
            "n/a" if not math.isfinite(float(r["value"])) else fmt(float(r["value"])),
            r["unit"],
            _arrow(r["direction"]),
        ]
        for r in records
    ]
    return table(rows, ["cell", "value", "unit", "better"])


def _ci(low: float, high: float) -> str:
    return f"[{fmt(low)}, {fmt(high)}]" if math.isfinite(low) and math.isfinite(high) else "no CI (n < 2)"


def compare_text(comp) -> str:
    """KPI table (means, paired B - A, 95 % CI, pairs, reached) and scorecard table of a comparison."""
    from .stats import MIN_REACHED, TOO_FEW

    la, lb = comp.labels
    rows, notes = [], []
    for d in comp.table.to_dict("records"):
        timed = math.isfinite(float(d["reached_a"]))
        n = str(d["n_pairs"])
        if timed:
            n = f"{d['n_pairs']} (reached {int(d['reached_a'])}/{int(d['reached_b'])})"
            among = (
                f"{fmt(d['difference_reached'])} {_ci(d['reached_ci_low'], d['reached_ci_high'])} "
                f"over {int(d['both_reached'])} pairs"
                if math.isfinite(float(d["difference_reached"]))
                else f"{TOO_FEW}: {int(d['both_reached'])} pairs < {MIN_REACHED}"
            )
            notes.append(f"  {d['kpi']}: B - A among pairs where both reached: {among}")
        rows.append(
            [
                d["kpi"],
                "months*" if timed else d["unit"],
                fmt(d[la]),
                fmt(d[lb]),
                fmt(d["difference"]),
                _ci(d["ci_low"], d["ci_high"]),
                n,
            ]
        )
    out = [table(rows, ["kpi", "unit", "A: " + la[:28], "B: " + lb[:28], "B - A", "95 % CI", "pairs"])]
    out.append(
        "* restricted mean months: a run that never reaches the event counts as horizon + 1; "
        "'reached a/b' = runs of A / B in which it happened"
    )
    out += notes
    if not comp.scorecard.empty:
        sc_rows = [
            [
                f"{r['perspective'].replace('_', ' ')} / {r['relation']}",
                r["unit"],
                _arrow(r["direction"]),
                fmt(r[la]),
                fmt(r[lb]),
                fmt(r["difference"]),
                _ci(r["ci_low"], r["ci_high"]) if math.isfinite(float(r["difference"])) else "",
                r["verdict"],
            ]
            for r in comp.scorecard.to_dict("records")
        ]
        out += [
            "",
            "Scorecard (↑ higher / ↓ lower is better; verdict when the 95 % CI of B - A excludes 0):",
            table(sc_rows, ["cell", "unit", "better", "A", "B", "B - A", "95 % CI", "verdict"]),
        ]
    return "\n".join(out)


def ensemble_text(comp) -> str:
    """Parameter vs seed uncertainty of B - A: share of draws in which B is higher/better,
    the 5-95 % range of the per-draw mean difference and the variance split."""
    rows = []
    for d in comp.ensemble.to_dict("records"):
        if not math.isfinite(float(d["mean_difference"])):
            continue
        name = d["name"]
        if name.startswith("sc."):
            _, p, r = name.split(".")
            name = f"{p.replace('_', ' ')} / {r}"
        share = d["share_b_better"] if d["direction"] else d["share_b_higher"]
        rows.append(
            [
                name,
                fmt(d["mean_difference"]),
                f"[{fmt(d['draw_p05'])}, {fmt(d['draw_p95'])}]",
                f"{share:.0%}" if math.isfinite(float(share)) else "–",
                f"{d['param_share']:.0%} / {d['seed_share']:.0%}"
                if math.isfinite(float(d["param_share"]))
                else "–",
                d["verdict"] or "",
            ]
        )
    n, r = int(comp.ensemble["n_draws"].iloc[0]), int(comp.ensemble["replications"].iloc[0])
    head = (
        f"Parameter uncertainty ({comp.ensemble_label}, {r} seeds each): B - A per draw (mean over seeds); "
        "'share' = draws in which B is higher (KPIs) or better (scorecard cells); variance of B - A "
        "from parameters / from seeds (law of total variance; needs >= 2 replications)"
    )
    if n < 2:
        head += "; one draw: no parameter spread"
    return (
        head
        + "\n"
        + table(
            rows,
            [
                "kpi or cell",
                "B - A",
                "5-95 % over draws",
                "share",
                "var: params / seeds",
                "verdict over draws",
            ],
        )
    )
