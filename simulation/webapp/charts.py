"""The app's views as Apache ECharts options (drawn in the browser) and small HTML tables.

Everything here is pure: inputs are :class:`~simulation.model.EGovModel` objects or plain
arrays, outputs are JSON-serialisable dicts and strings (plain ``int``/``float``/``str``,
NaN as ``None``) for ``solara.FigureEcharts(option=...)`` and ``solara.HTML``. No
matplotlib: the app must start without it (``figures.py`` keeps the PNG versions and
imports the shared constants from here). The HTML tables (scorecard, a party) are in
:mod:`.tables`; this module re-exports them, so that ``charts`` stays the one import.

The options hold no JavaScript functions (the widget sends them as JSON), so tooltips use
ECharts' string templates (``{a0}`` series name, ``{b0}`` category, ``{c0}`` value).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..agents import STATES
from ..strategies.service_models import working_links
from .tables import (  # noqa: F401 - re-exported, see the module docstring
    NA_COLOUR,
    RDYLGN,
    node_names,
    party_details,
    party_html,
    score_colour,
    scorecard_cells,
    scorecard_html,
    scorecard_legend,
)

if TYPE_CHECKING:
    from ..model import EGovModel

#: Colour per party state (colour-blind-safe-ish: blue/green progress, red trouble).
STATE_COLOURS = {
    "waiting": "#bdbdbd",
    "negotiating": "#ff9f1c",
    "committed": "#9ecae1",
    "integrating": "#3182bd",
    "integrated": "#2ca25f",
    "refused": "#b2182b",
    "withdrawn": "#67001f",
}
#: Colour of configuration A and B in compare mode.
RUN_COLOURS = ("#1f77b4", "#d62728")
#: Colours of the first and second series of a panel in a single run (matplotlib C0, C1).
SERIES_COLOURS = ("#1f77b4", "#ff7f0e")
LINK_COLOUR = "#2ca25f"

#: (panel title, [(series column, label)], y-axis label, fixed 0..1 scale)
PANELS: tuple[tuple[str, tuple[tuple[str, str], ...], str, bool], ...] = (
    ("Adoption", (("adoption", "adoption"),), "share of public", True),
    ("Service quality / reach", (("service_quality", "quality / reach"),), "0–1", True),
    ("Integration level", (("integration", "parties integrated"), ("links", "links working")), "share", True),
    ("Trust and resistance", (("mean_trust", "trust"), ("mean_resistance", "resistance")), "mean 0–1", True),
    ("Cumulative cost", (("cumulative_cost", "cost"),), "M€", False),
    ("Legitimacy", (("legitimacy", "trust in government"),), "mean 0–1", True),
)

#: Line dash per (configuration, series of the panel): ECharts ``lineStyle.type`` and the
#: words the legend uses for it. A solid, B dashed; a panel's second series dotted (A) or
#: dash-dotted (B).
DASHES: dict[tuple[int, int], tuple[Any, str]] = {
    (0, 0): ("solid", ""),
    (0, 1): ([2, 3], "dotted"),
    (1, 0): ([8, 5], "dashed"),
    (1, 1): ([8, 4, 2, 4], "dash-dot"),
}


# ---------------------------------------------------------------------------- helpers
def clean(obj: Any) -> Any:
    """``obj`` with numpy scalars/arrays as plain Python values and NaN/inf as None."""
    if isinstance(obj, Mapping):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [clean(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else None
    return obj


def _rounded(values, digits: int) -> list[float | None]:
    out = []
    for v in values:
        v = None if v is None else float(v)
        out.append(None if v is None or not math.isfinite(v) else round(v, digits))
    return out


def positions(model: EGovModel) -> np.ndarray:
    """Departments on an inner circle (radius 0.5), partners on an outer one (1.0); y up."""
    dept = np.array([p.kind == "department" for p in model.parties])
    pos = np.zeros((len(dept), 2))
    for mask, radius in ((dept, 0.5), (~dept, 1.0)):
        idx = np.nonzero(mask)[0]
        angles = 2 * np.pi * (np.arange(idx.size) + 0.5) / max(idx.size, 1) + np.pi / 2
        pos[idx] = np.c_[radius * np.cos(angles), radius * np.sin(angles)]
    return pos


_positions = positions  # the name figures.py used


def drawn_links(model: EGovModel) -> np.ndarray:
    """Working back-office links to draw: the links the service model actually uses.

    Integration links every pair of integrated parties that trust each other enough;
    hybrid only departments (partners are channels); fragmentation links no files.
    """
    cfg = model.config
    links = working_links(model.integrated_mask(), model.pair_trust, cfg.integration.link_trust)
    if cfg.service.model == "fragmentation":
        return np.zeros_like(links)
    if cfg.service.model == "hybrid" and cfg.hybrid.partner_channels:
        dept = model.department_mask
        links = links & np.outer(dept, dept)
    return links


# ---------------------------------------------------------------------------- curves
#: A missing value in ECharts series data (no point; the hover shows it as "-").
MISSING = "-"
#: Unit after a value in the curves' tooltips, by the panel's y-axis label.
TOOLTIP_UNITS = {"share of public": "of the public", "0–1": "(0–1)", "share": "(share)", "mean 0–1": "(0–1)"}
#: Width (px) a curves panel is assumed to have when the legend's rows are estimated.
PANEL_WIDTH = 270


def _template_text(text: str) -> str:
    """``text`` safe inside an ECharts tooltip template (HTML-escaped, no placeholders)."""
    import html

    return html.escape(text).replace("{", "(").replace("}", ")")


def legend_rows(names: Sequence[str], width: float = PANEL_WIDTH) -> int:
    """Rows ECharts needs for a legend of ``names`` (30 px sample, ~5.8 px per character)."""
    rows, used = 0, width
    for name in names:
        w = 30 + 5 + 5.8 * len(name) + 8
        if used + w > width:
            rows, used = rows + 1, 0.0
        used += w
    return rows


def curves_options(
    models: Sequence[EGovModel],
    labels: Sequence[str],
    months: int,
    bands: Mapping[str, Mapping[str, Mapping[str, Sequence[float]]]] | None = None,
    n_bands: int | None = None,
) -> list[dict]:
    """The six panels of :data:`PANELS`, one ECharts option each (lay them out 2 x 3).

    One option per panel rather than six grids in one: each panel gets its own legend
    next to its lines and its own axis tooltip with the panel's unit (tooltips are string
    templates, which cannot vary by grid), and the page can reflow them on narrow screens.

    x is the month on a fixed category axis 0..``months``; y is fixed 0..1 except the
    cumulative cost (M€, from 0, automatic top). One model: one colour per series of a
    panel, the second series dotted. Two models: colour = configuration (A blue, B red),
    A solid, B dashed; a panel's second series is dotted for A and dash-dotted for B. The
    legend names say so ("B: trust (dashed)").

    ``bands`` (optional): replication summaries, ``{label: {column: {"mean": [...],
    "low": [...], "high": [...]}}}`` with one value per month 0..``months``; each is drawn
    as a thin mean line in the configuration's colour and dash with a shaded band from
    ``low`` to ``high`` (a 95 % interval). The mean and band share the legend entry of the
    played run's line (same colour and dash, one click hides both), so the legend does not
    double; the series ids start with "band " and the hover names them "<name>, mean of
    n" (``n_bands``, with the band's bounds: "95 %: low–high") and "<name>, this seed".
    ``label`` is one of ``labels`` (its colour) or, if not, gets the next colour and its
    own legend entry.
    """
    bands = bands or {}
    two = len(labels) > 1
    categories = list(range(months + 1))
    step = next((s for s in (1, 2, 3, 6, 12, 24, 36, 48, 60, 120) if months / s <= 8), 240)
    band_labels = list(labels) + [b for b in bands if b not in labels]
    out = []
    for title, series, ylabel, fixed in PANELS:
        digits = 2 if not fixed else 3
        lines: list[dict] = []
        helpers: list[dict] = []
        legend: list[str] = []

        def style(k: int, j: int) -> tuple[str, Any, str]:
            if two or k > 0:
                colour = RUN_COLOURS[k % len(RUN_COLOURS)]
                dash, word = DASHES[(min(k, 1), j)]
            else:
                colour = SERIES_COLOURS[j]
                dash, word = DASHES[(0, j)]
            return colour, dash, word

        def name_of(label: str, col_name: str, word: str) -> str:
            show_label = two or not labels or label != labels[0]
            base = f"{label}: {col_name}" if show_label else col_name
            return base + (f" ({word})" if word else "")

        # The hover's lines, in series order: (name, number of values). A band's entry
        # covers three series (its mean, low and high) and reads "mean, 95 %: low–high".
        hover: list[tuple[str, int]] = []
        mean_of = f", mean of {n_bands}" if n_bands else ", mean"

        for k, (model, label) in enumerate(zip(models, labels, strict=True)):
            data = model.datacollector.model_vars
            for j, (col, col_name) in enumerate(series):
                colour, dash, word = style(k, j)
                name = name_of(label, col_name, word)
                legend.append(name)
                hover.append((name + (", this seed" if bands else ""), 1))
                lines.append(
                    {
                        "name": name,
                        "type": "line",
                        "data": _rounded(data[col], digits),
                        "showSymbol": False,
                        "symbol": "none",
                        "lineStyle": {"color": colour, "width": 2, "type": dash},
                        "itemStyle": {"color": colour},
                        "emphasis": {"disabled": True},
                        "z": 3,
                    }
                )
        for label, columns in bands.items():
            k = band_labels.index(label)
            for j, (col, col_name) in enumerate(series):
                if col not in columns:
                    continue
                colour, dash, word = style(k, j)
                stats = columns[col]
                mean = _rounded(stats["mean"], digits)
                low = _rounded(stats["low"], digits)
                high = _rounded(stats["high"], digits)
                width = [
                    None if lo is None or hi is None else round(hi - lo, digits)
                    for lo, hi in zip(low, high, strict=True)
                ]
                name = name_of(label, col_name, word)
                if name not in legend:
                    legend.append(name)
                hover.append((name + mean_of, 3))
                stack = f"band {label} {col}"
                lines.append(
                    {
                        "name": name,
                        "id": f"{stack} mean",
                        "type": "line",
                        "data": mean,
                        "showSymbol": False,
                        "symbol": "none",
                        "lineStyle": {"color": colour, "width": 1.2, "type": dash, "opacity": 0.9},
                        "itemStyle": {"color": colour},
                        "emphasis": {"disabled": True},
                        "z": 2,
                    }
                )
                # The band: an invisible stacked line at `low`, then (high - low) filled.
                # Same series name as the mean, so the legend toggles all of them together.
                # `low` and an invisible unstacked `high` follow the mean in the hover (the
                # stacked width would read as high - low); the filled width is not in it.
                for part, values, stacked, hovered in (
                    ("low", low, True, True),
                    ("high", high, False, True),
                    ("width", width, True, False),
                ):
                    helper = {
                        "name": name,
                        "type": "line",
                        "data": values,
                        "showSymbol": False,
                        "symbol": "none",
                        "lineStyle": {"opacity": 0},
                        "itemStyle": {"color": colour},
                        "emphasis": {"disabled": True},
                        "silent": True,
                        "z": 1,
                        "id": f"{stack} {part}",
                    }
                    if stacked:
                        helper["stack"] = stack
                    if hovered:
                        lines.append(helper)
                    else:
                        helper["tooltip"] = {"show": False}
                        helper["areaStyle"] = {"color": colour, "opacity": 0.2}
                        helpers.append(helper)
        # Lines of different lengths (runs shorter than bands) are padded to one length so
        # that each is in every hover: the tooltip template numbers series by position.
        # Missing values are ECharts' "-" (a gap in the line, and "-" in the hover rather
        # than an empty value).
        length = max([len(s["data"]) for s in lines + helpers] + [0])
        for s in lines + helpers:
            padded = s["data"] + [None] * (length - len(s["data"]))
            s["data"] = [MISSING if v is None else v for v in padded]
        unit = TOOLTIP_UNITS.get(ylabel, ylabel)
        tip, i = "month {b0}", 0
        for text, count in hover:
            tip += f"<br/>{_template_text(text)}: <b>{{c{i}}}</b> {unit}"
            if count == 3:
                tip += f", 95 %: {{c{i + 1}}}–{{c{i + 2}}}"
            i += count
        top = 26 + 17 * legend_rows(legend) + 22
        y_axis: dict[str, Any] = {
            "type": "value",
            "name": ylabel,
            "nameTextStyle": {"fontSize": 10, "align": "left"},
            "axisLabel": {"fontSize": 10},
            "splitLine": {"lineStyle": {"opacity": 0.4}},
            "min": 0,
        }
        if fixed:
            y_axis["max"] = 1
        out.append(
            clean(
                {
                    "animation": False,
                    "title": {"text": title, "left": "center", "top": 2, "textStyle": {"fontSize": 13}},
                    "legend": {
                        "data": legend,
                        "top": 24,
                        "itemWidth": 30,
                        "itemHeight": 10,
                        "itemGap": 8,
                        "itemStyle": {"opacity": 0},  # the line sample only, no marker
                        "textStyle": {"fontSize": 10},
                    },
                    "grid": {"left": 44, "right": 14, "top": top, "bottom": 30, "containLabel": False},
                    "tooltip": {
                        "trigger": "axis",
                        "formatter": tip,
                        "confine": True,
                        "textStyle": {"fontSize": 11},
                        "axisPointer": {"type": "line"},
                    },
                    "xAxis": {
                        "type": "category",
                        "data": categories,
                        "boundaryGap": False,
                        "name": "month",
                        "nameLocation": "middle",
                        "nameGap": 20,
                        "nameTextStyle": {"fontSize": 10},
                        "axisLabel": {"interval": step - 1, "fontSize": 10},
                        "axisTick": {"interval": step - 1},
                    },
                    "yAxis": y_axis,
                    "series": lines + helpers,
                }
            )
        )
    return out


curves_option = curves_options  # the name in the brief; returns the list of six options


# ---------------------------------------------------------------------------- network
def wrap_label(name: str, width: int = 14) -> str:
    """``name`` on two lines (at the space nearest its middle) if longer than ``width``;
    braces escaped for ECharts' label template."""
    spaces = [i for i, ch in enumerate(name) if ch == " "]
    if len(name) > width and spaces:
        cut = min(spaces, key=lambda i: abs(i - len(name) / 2))
        name = name[:cut] + "\n" + name[cut + 1 :]
    return name.replace("{", "(").replace("}", ")")


#: Text alignment of a (possibly wrapped) label by its position beside the node.
ALIGN = {"left": "right", "right": "left", "top": "center", "bottom": "center"}


def _label_position(x: float, y: float, department: bool) -> str:
    """Where a node's label goes, away from its neighbours: partners (outer circle) to the
    outside, left or right; departments (inner circle) above or below their square, so a
    partner at the same angle keeps its room."""
    if department:
        return "top" if y > 1e-9 else "bottom"
    return "left" if x < -1e-9 else "right"


def state_counts(model: EGovModel) -> dict[str, int]:
    return {s: sum(p.state == s for p in model.parties) for s in STATES}


def network_option(model: EGovModel, title: str = "") -> dict:
    """The parties as an ECharts ``graph`` with fixed positions (``layout: 'none'``).

    Departments are squares on the inner circle, partners circles on the outer one;
    colour = state (one legend entry per state, :data:`STATE_COLOURS`), size = power,
    border width = resistance; green edges are the working links (:func:`drawn_links`).
    Each node's ``name`` is the unique party name and its ``party`` the party index
    (``model.parties[party]``; see :func:`clicked_party`); ``value`` holds its polar
    position (radius, angle in degrees).
    """
    pos = positions(model)
    names = node_names(model)
    nodes = []
    for i, (party, (x, y)) in enumerate(zip(model.parties, pos, strict=True)):
        dept = party.kind == "department"
        colour = STATE_COLOURS[party.state]
        where = _label_position(float(x), float(y), dept)
        tip = "<br/>".join(
            [
                f"<b>{html.escape(names[i])}</b>",
                f"{party.kind}, {'public' if party.public else 'private'}",
                f"state: {party.state}",
                f"trust: {party.trust:.2f}",
                f"resistance: {party.resistance:.2f}",
                f"power: {party.power:.2f}",
            ]
        )
        nodes.append(
            {
                "name": names[i],
                "party": i,  # model.parties[party]
                # polar (radius 0..1, angle in degrees counter-clockwise from the right)
                "value": [round(math.hypot(x, y), 4), round(math.degrees(math.atan2(y, x)) % 360, 3)],
                "category": STATES.index(party.state),
                "symbol": "rect" if dept else "circle",
                "symbolSize": round(12 + 22 * float(party.power), 1),
                "itemStyle": {
                    "color": colour,
                    "borderColor": "#000",
                    "borderWidth": round(0.5 + 3.5 * float(party.resistance), 2),
                },
                "label": {"position": where, "align": ALIGN[where], "formatter": wrap_label(names[i])},
                "tooltip": {"formatter": tip},
            }
        )
    links = drawn_links(model)
    i_idx, j_idx = np.nonzero(links)
    edges = [
        {
            "source": int(a),
            "target": int(b),
            "tooltip": {"formatter": f"working link: {html.escape(names[a])} – {html.escape(names[b])}"},
        }
        for a, b in zip(i_idx, j_idx, strict=True)
    ]
    counts = state_counts(model)
    summary = (
        f"{counts['integrated']} integrated, {counts['negotiating']} negotiating, "
        f"{counts['refused'] + counts['withdrawn']} out; {len(edges)} working links"
    )
    option = {
        "animation": False,
        "title": {
            "text": title or summary,
            "subtext": summary if title else "",
            "left": "center",
            "top": 2,
            "textStyle": {"fontSize": 13},
            "subtextStyle": {"fontSize": 11},
        },
        "tooltip": {"trigger": "item", "textStyle": {"fontSize": 11}},
        "polar": {"center": ["50%", "47%"], "radius": "56%"},
        "angleAxis": {
            "type": "value",
            "min": 0,
            "max": 360,
            "startAngle": 0,
            "clockwise": False,
            "show": False,
        },
        "radiusAxis": {"type": "value", "min": 0, "max": 1.0, "show": False},
        "legend": [
            {
                "data": list(STATES),
                "bottom": 34,
                "itemWidth": 12,
                "itemHeight": 12,
                "textStyle": {"fontSize": 10},
            }
        ],
        "graphic": [
            {
                "type": "text",
                "left": "center",
                "bottom": 6,
                "silent": True,
                "style": {
                    "text": "■ department   ● partner   green line: working link\n"
                    "size: power   border width: resistance",
                    "align": "center",
                    "lineHeight": 14,
                    "fontSize": 10,
                    "fill": "#555",
                },
            }
        ],
        "series": [
            {
                "type": "graph",
                "layout": "none",
                # Polar coordinates: the circles stay round at any container size (a 'view'
                # box stretches x and y independently).
                "coordinateSystem": "polar",
                "roam": False,
                "categories": [
                    {"name": s, "itemStyle": {"color": STATE_COLOURS[s]}, "symbol": "circle"} for s in STATES
                ],
                "data": nodes,
                "links": edges,
                "label": {"show": True, "fontSize": 10, "distance": 4, "color": "#222", "lineHeight": 12},
                "labelLayout": {"hideOverlap": True},
                "lineStyle": {"color": LINK_COLOUR, "width": 2.5, "opacity": 0.8, "curveness": 0},
                "emphasis": {"focus": "adjacency", "label": {"show": True}},
                "z": 2,
            }
        ],
    }
    return clean(option)


def clicked_party(event: Mapping[str, Any] | None) -> int | None:
    """The party index from ``FigureEcharts``' ``on_click`` payload on a network node."""
    if not event or event.get("dataType") != "node":
        return None
    value = (event.get("data") or {}).get("party")
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
