"""The app's small HTML views: the perspectives × relations scorecard and a party's facts
and history (for ``solara.HTML``; inline styles). Pure, like :mod:`.charts`, which
re-exports these names."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import RELATIONS
from ..outputs.scorecard import CELLS, PERSPECTIVES, cell_score, compute

if TYPE_CHECKING:
    from ..model import EGovModel

#: Colour of a cell that does not apply (also the legend's n/a sample).
NA_COLOUR = "#d9d9d9"

#: ColorBrewer RdYlGn (11 classes), the stops of matplotlib's ``RdYlGn`` colormap that the
#: CLI scorecards use (``plotting.SCORE_CMAP``): red = worse, green = better.
RDYLGN = (
    "#a50026",
    "#d73027",
    "#f46d43",
    "#fdae61",
    "#fee08b",
    "#ffffbf",
    "#d9ef8b",
    "#a6d96a",
    "#66bd63",
    "#1a9850",
    "#006837",
)


def node_names(model: EGovModel) -> list[str]:
    """Unique display names of the parties (a repeated name gets its index appended); the
    network's node names too, so that a clicked node and its party table agree."""
    names = [p.name for p in model.parties]
    seen = {n for n in names if names.count(n) > 1}
    return [f"{n} ({i})" if n in seen else n for i, n in enumerate(names)]


# ---------------------------------------------------------------------------- scorecard
def _hex(rgb: np.ndarray) -> str:
    return "#" + "".join(f"{int(round(float(c))):02x}" for c in rgb)


_STOPS = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in RDYLGN], float)


def score_colour(score: float | None) -> str:
    """Colour of a cell score in [-1, 1] (:func:`~simulation.outputs.scorecard.cell_score`): the
    RdYlGn scale, red -1 (worse), pale yellow 0, green +1 (better); grey if None/NaN."""
    if score is None or not math.isfinite(score):
        return NA_COLOUR
    t = (min(max(score, -1.0), 1.0) + 1.0) / 2.0 * (len(RDYLGN) - 1)
    lo = min(int(math.floor(t)), len(RDYLGN) - 2)
    f = t - lo
    return _hex(_STOPS[lo] * (1 - f) + _STOPS[lo + 1] * f)


def _value_text(value: float, unit: str) -> str:
    if not math.isfinite(value):
        return "n/a"
    num = f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"
    if unit == "Δ 0..1":
        num = f"{value:+.3f}"
    return f"{num} {unit}"


def scorecard_cells(matrix: Mapping[str, Mapping[str, float]]) -> list[list[dict]]:
    """Per perspective (rows) and relation (columns): value, text, unit, direction, score
    and colour of each cell of a ``scorecard.compute`` matrix."""
    rows = []
    for p in PERSPECTIVES:
        row = []
        for r in RELATIONS:
            cell = CELLS[p][r]
            v = float(matrix[p][r])
            score = cell_score(cell.unit, cell.direction, v)
            row.append(
                {
                    "value": v if math.isfinite(v) else None,
                    "text": _value_text(v, cell.unit),
                    "unit": cell.unit,
                    "direction": cell.direction,
                    "indicator": cell.indicator,
                    "score": score if math.isfinite(score) else None,
                    "colour": score_colour(score),
                }
            )
        rows.append(row)
    return rows


def _table(matrix: Mapping[str, Mapping[str, float]], title: str) -> str:
    e = html.escape
    cells = scorecard_cells(matrix)
    th = "padding:3px 6px;font-weight:600;text-align:center;font-size:12px"
    parts = [
        '<table style="border-collapse:collapse;font-family:sans-serif;font-size:12px;margin:0 8px 8px 0">'
    ]
    if title:
        parts.append(
            f'<caption style="font-weight:600;font-size:13px;padding-bottom:4px">{e(title)}</caption>'
        )
    parts.append(f'<tr><th style="{th}"></th>')
    parts += [f'<th style="{th}">{e(r)}</th>' for r in RELATIONS]
    parts.append("</tr>")
    for p, row in zip(PERSPECTIVES, cells, strict=True):
        parts.append(f'<tr><th style="{th};text-align:right">{e(p.replace("_", " "))}</th>')
        for c in row:
            arrow = "↑" if c["direction"] == "higher" else "↓"
            dark = c["score"] is not None and abs(c["score"]) > 0.75
            fg = "#fff" if dark else "#111"
            text = "n/a" if c["value"] is None else f"{c['text']} {arrow}"
            hint = f"{c['indicator']} ({c['direction']} is better)"
            parts.append(
                f'<td title="{e(hint)}" style="background:{c["colour"]};color:{fg};'
                f'border:1px solid #fff;padding:6px 8px;text-align:center;min-width:86px">{e(text)}</td>'
            )
        parts.append("</tr>")
    parts.append("</table>")
    return "".join(parts)


def scorecard_legend() -> str:
    """The colour key: a worse-neutral-better gradient, the n/a grey and the arrows."""
    gradient = ", ".join(RDYLGN)
    span = "display:inline-block;vertical-align:middle"
    return (
        '<div style="font-family:sans-serif;font-size:11px;color:#333;margin-top:2px">'
        f'<span style="{span}">worse</span> '
        f'<span style="{span};width:160px;height:12px;background:linear-gradient(to right, {gradient});'
        'border:1px solid #999"></span> '
        f'<span style="{span}">better</span>'
        f'<span style="{span};width:14px;height:12px;background:{NA_COLOUR};border:1px solid #999;'
        'margin-left:14px"></span> '
        f'<span style="{span}">n/a (not applicable)</span>'
        f'<span style="{span};margin-left:14px">'
        f"{html.escape('↑ higher is better, ↓ lower is better (colour follows the arrow)')}</span>"
        "</div>"
    )


def scorecard_html(
    models: EGovModel | Mapping | Sequence[EGovModel | Mapping], labels: Sequence[str] | None = None
) -> str:
    """The perspectives x relations scorecard as HTML (inline styles; for ``solara.HTML``).

    ``models``: one model or ``scorecard.compute`` matrix, or a sequence of them (side by
    side, captioned with ``labels``). Each cell shows its value with unit and an arrow for
    its direction; the colour is :func:`~simulation.outputs.scorecard.cell_score` on the RdYlGn
    scale, as in the CLI figures: green = better, red = worse in that cell's direction,
    grey "n/a" = not applicable. A legend follows the tables.
    """
    if isinstance(models, Mapping) or not isinstance(models, Sequence):
        models = [models]
    labels = list(labels) if labels is not None else [""] * len(models)
    tables = [
        _table(m if isinstance(m, Mapping) else compute(m), label)
        for m, label in zip(models, labels, strict=True)
    ]
    return (
        '<div style="display:flex;flex-wrap:wrap;align-items:flex-start">'
        + "".join(tables)
        + "</div>"
        + scorecard_legend()
    )


# ---------------------------------------------------------------------------- a party
def _month(m: int | None) -> str:
    return "–" if m is None else f"month {m}"


def party_details(model: EGovModel, index: int) -> dict[str, Any]:
    """What a click on a party shows.

    Returns ``{"name": str, "facts": [(label, text), ...], "events": [{"month", "party",
    "event", "cause"}, ...]}``: its attributes (fractions 0..1, money in M€) and its rows
    of the run's event log (``model.events``), oldest first.
    """
    p = model.parties[index]
    name = node_names(model)[index]
    facts = [
        ("name", name),
        ("kind", p.kind),
        ("group", p.group),
        ("public", "yes" if p.public else "no"),
        ("state", p.state),
        ("trust", f"{p.trust:.2f}"),
        ("resistance", f"{p.resistance:.2f} (baseline {p.baseline_resistance:.2f})"),
        ("readiness", f"{p.readiness:.2f}"),
        ("power", f"{p.power:.2f}"),
        ("belief", f"{p.belief:.2f}"),
        ("uncertainty", f"{p.uncertainty:.2f}"),
        ("compensation offered", f"{p.offer:.2f} M€"),
        ("compensation promised", f"{p.promised:.2f} M€"),
        ("compensation received", f"{p.received:.2f} M€"),
        ("spent on integration", f"{p.spent:.2f} M€"),
        ("overrun", f"{p.overrun:.2f} M€"),
        ("progress", f"{p.progress:.2f}"),
        ("failures", str(p.failures)),
        ("rejected offers (rounds)", str(p.rounds)),
        ("opened", _month(p.opened_at)),
        ("agreed", _month(p.agreed_at)),
        ("finished", _month(p.finished_at)),
    ]
    events = [dict(e) for e in model.events if e.get("party") == p.name]
    return {"name": name, "facts": facts, "events": events}


def party_html(details: Mapping[str, Any]) -> str:
    """:func:`party_details` as an HTML fact table and event list (inline styles)."""
    e = html.escape
    td = "padding:1px 8px 1px 0;font-size:12px;vertical-align:top"
    parts = [
        '<div style="font-family:sans-serif">',
        f'<div style="font-weight:600">{e(details["name"])}</div>',
    ]
    parts.append('<table style="border-collapse:collapse">')
    parts += [
        f'<tr><td style="{td};color:#555">{e(k)}</td><td style="{td}">{e(v)}</td></tr>'
        for k, v in details["facts"]
    ]
    parts.append("</table>")
    parts.append('<div style="font-weight:600;margin-top:6px;font-size:12px">history</div>')
    if details["events"]:
        parts.append('<table style="border-collapse:collapse">')
        parts += [
            f'<tr><td style="{td}">{e(str(ev["month"]))}</td><td style="{td}">{e(str(ev["event"]))}</td>'
            f'<td style="{td};color:#555">{e(str(ev["cause"]))}</td></tr>'
            for ev in details["events"]
        ]
        parts.append("</table>")
    else:
        parts.append('<div style="font-size:12px;color:#555">no events yet</div>')
    parts.append("</div>")
    return "".join(parts)
