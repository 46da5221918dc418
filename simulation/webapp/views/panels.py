"""The run's panels: status line, readout, curves, the parties' network with the party
inspector, the scorecard and what happened."""

from __future__ import annotations

from typing import Any

import solara

from ..live import Frame, Sim
from .markdown import Md


def describe(sim: Sim) -> str:
    parts = []
    for label, cfg in zip(sim.labels, sim.lockstep.configs, strict=True):
        parts.append(
            f"{label} — {cfg.organisation.name}: {cfg.service.model}, {cfg.rollout.strategy} rollout, "
            f"{cfg.citizens.count:,} {cfg.service.audience}"
        )
    return "; ".join(parts)


def events_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "_No events yet._"
    lines = ["| month | party | event | cause |", "|---:|---|---|---|"]
    for r in reversed(rows):
        cause = str(r.get("cause", "")).replace("|", "/")
        lines.append(f"| {r['month']} | {r['party'] or '—'} | {r['event']} | {cause} |")
    return "\n".join(lines)


@solara.component
def PartyInspector(sim: Sim, selected: solara.Reactive[int | None]):
    """The state and history of the party clicked in the network (in each run)."""
    from .. import charts

    index = selected.value
    with solara.Card("Party", margin=0, classes=["egov-inspector"]):
        if index is None:
            solara.Text("Click a party in the network to see its state and history.")
            return
        with solara.Columns([1] * len(sim.models)):
            for label, model in zip(sim.labels, sim.models, strict=True):
                with solara.Column(gap="2px"):
                    if len(sim.models) > 1:
                        solara.Text(label, style={"font-weight": "bold"})
                    if index >= len(model.parties):
                        solara.Text(f"no party {index} in this run")
                        continue
                    with sim.lockstep.lock:
                        details = charts.party_details(model, index)
                    solara.HTML(
                        tag="div", unsafe_innerHTML=charts.party_html(details), classes=["egov-party"]
                    )


@solara.component
def CurvePanels(options: list[dict]):
    with solara.GridFixed(columns=3, align_items="stretch"):
        for k, option in enumerate(options):
            with solara.Div(classes=["egov-panel", f"egov-panel-{k}"]):
                # Room for the plot below however many rows the panel's legend takes.
                height = int(option.get("grid", {}).get("top", 60)) + 200
                solara.FigureEcharts(
                    option=option, attributes={"style": f"height: {height}px; width: 100%"}, responsive=True
                )


@solara.component
def Views_(sim: Sim, frame: solara.Reactive[Frame | None], playing: solara.Reactive[bool]):
    selected = solara.use_reactive(None)
    f = frame.value

    def rendered() -> None:
        sim.shown = f  # for play's back-pressure (a plain attribute: no re-render)

    solara.use_effect(rendered, [id(f)])
    if f is None:
        return
    v = f.views
    months = sim.lockstep.months
    verb = "playing" if playing.value else "last played"
    rate = f" · {verb} at {f.rate:.1f} months/s, drawing every {f.every}" if f.rate else ""
    solara.Text(
        f"Month {f.month} / {months} · seed {sim.seed}{rate}",
        classes=["egov-status"],
        style={"font-size": "1.1em", "font-weight": "bold"},
    )
    solara.Text(describe(sim), classes=["egov-description"])
    with solara.Div(classes=["egov-readout"]):
        Md(v["readout"])
    with solara.Card("Curves", margin=0, classes=["egov-curves"]):
        if v.get("bands"):
            solara.Text(
                f"Thick lines: seed {sim.seed} as played. Thin lines with a shaded band: the mean of "
                f"{v['bands']} replications and its 95 % confidence interval (hover for both values).",
                classes=["egov-bands-caption"],
            )
        CurvePanels(v["curves"])

    def pick(event: dict) -> None:
        from ..charts import clicked_party

        index = clicked_party(event)
        if index is not None:
            selected.set(index)

    two = len(sim.models) > 1
    # Single run: network | party; compare: the two networks side by side, the party below.
    with solara.Columns([3, 2] if not two else [1, 1]):
        for label, option in zip(sim.labels, v["networks"], strict=True):
            with solara.Card(
                "Departments and partners",
                subtitle=label if two else None,
                margin=0,
                classes=["egov-network"],
            ):
                solara.FigureEcharts(
                    option=option,
                    on_click=pick,
                    attributes={"style": "height: 400px; width: 100%"},
                    responsive=True,
                )
        if not two:
            PartyInspector(sim, selected)
    if two:
        PartyInspector(sim, selected)
    with solara.Card("Perspectives × relations scorecard", margin=0, classes=["egov-scorecard"]):
        solara.HTML(tag="div", unsafe_innerHTML=v["scorecard"])
    with solara.Columns([1, 1] if two else [1]):
        for label, lines, rows in zip(sim.labels, v["narratives"], v["events"], strict=True):
            with solara.Card(
                "What happened" + (f" — {label}" if two else ""), margin=0, classes=["egov-events"]
            ):
                Md("\n".join(f"- {line}" for line in lines) or "_Nothing yet._", classes=["egov-narrative"])
                Md(
                    f"**Latest events** (all in events.csv)\n\n{events_table(rows)}",
                    classes=["egov-event-log"],
                )
