"""The replications card: n seeds in the background, then the KPI table (compare: paired
B − A with its 95 % CI) and the curves' confidence bands."""

from __future__ import annotations

import math
import time
from typing import Any

import solara
import solara.lab

from ..live import Frame, Sim, page_open
from .markdown import Md

#: Replications the app offers by default, and its limits (each is a whole run).
REPLICATIONS = (20, 2, 200)


def _num(x: Any, fmt: str = "{:.3g}") -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    return fmt.format(x) if isinstance(x, (int, float)) else str(x)


def kpi_markdown(rows: list[dict[str, Any]], labels: list[str]) -> str:
    """The replication KPI table: means, and for compare the paired B − A with its 95 % CI."""
    if not rows:
        return ""
    if len(labels) > 1:
        head = f"| KPI | unit | {labels[0]} | {labels[1]} | B − A | 95 % CI | pairs |"
        lines = [head, "|---|---|---:|---:|---:|---|---:|"]
        for r in rows:
            ci = f"[{_num(r.get('ci_low'))}, {_num(r.get('ci_high'))}]"
            lines.append(
                f"| {r['kpi']} | {r.get('unit', '')} | {_num(r.get(labels[0]))} | {_num(r.get(labels[1]))} | "
                f"{_num(r.get('difference'))} | {ci} | {_num(r.get('n_pairs'), '{:.0f}')} |"
            )
    else:
        lines = ["| KPI | unit | mean | 95 % CI | n |", "|---|---|---:|---|---:|"]
        for r in rows:
            ci = f"[{_num(r.get('ci_low'))}, {_num(r.get('ci_high'))}]"
            lines.append(
                f"| {r['kpi']} | {r.get('unit', '')} | {_num(r.get('mean'))} | {ci} | {_num(r.get('n'), '{:.0f}')} |"
            )
    return "\n".join(lines)


def app_pinned(settings: tuple[Any, ...]) -> set[str]:
    """Parameters an ensemble draw must not overwrite in the app: every control (a value the
    strategist sets), and the resistance multiplier when a configuration moves it off 1."""
    from ..session import LEVERS, RESISTANCE_KEY

    pinned = {lever.key for lever in LEVERS if lever.key != RESISTANCE_KEY}
    if any(float(s.values.get(RESISTANCE_KEY, 1.0)) != 1.0 for s in settings):
        pinned.add("parties.scale.resistance")
    return pinned


@solara.component
def ReplicationsCard(sim: Sim, frame: solara.Reactive[Frame | None]):
    """Run n seeds of the running configuration(s) in the background; the charts then show
    mean curves with 95 % bands and this card the KPIs (compare: paired B − A with CI)."""
    from ..replicate import ENSEMBLES, Replications

    n = solara.use_reactive(REPLICATIONS[0])
    ensemble = solara.use_reactive(ENSEMBLES[0])
    running = solara.use_reactive(False)
    progress = solara.use_reactive((0, 0))
    problem = solara.use_reactive(None)

    def work() -> None:
        rep = sim.replications
        if not running.value or rep is None:
            return
        rep.start()
        while not rep.done and running.value and sim.replications is rep:
            time.sleep(0.5)
            if not page_open():  # the tab was closed: no one will read them
                rep.cancel()
                return
            progress.set(rep.progress)
        if sim.replications is not rep:
            return
        if not rep.done:
            rep.cancel()
        sim.summary = rep.summary()
        if rep.error:
            problem.set(rep.error)
        sim.redraw()
        frame.set(Frame(sim.lockstep.month, dict(sim.views), None, 1))
        progress.set(rep.progress)
        running.set(False)

    solara.lab.use_task(work, dependencies=[running.value], prefer_threaded=True)

    def start() -> None:
        lo, hi = REPLICATIONS[1], REPLICATIONS[2]
        if not isinstance(n.value, int) or not lo <= n.value <= hi:
            problem.set(
                f"Replications (app control): must be a whole number from {lo} to {hi}, got {n.value!r}"
            )
            return
        problem.set(None)
        sim.replications = Replications(
            sim.lockstep.configs,
            sim.labels,
            sim.seed,
            n.value,
            ensemble=None if ensemble.value == ENSEMBLES[0] else ensemble.value,
            pinned=app_pinned(sim.settings),
        )
        progress.set((0, n.value * len(sim.models)))
        running.set(True)

    with solara.Card("Replications", margin=0, classes=["egov-replications"]):
        solara.Text(
            "Run n seeds of the configuration(s) to their horizon in the background (derived from the seed as "
            "`egov-sim compare` does; A and B share each seed). The charts then show mean curves with 95 % "
            "confidence bands of the mean. With a parameter ensemble, replication i also runs with posterior "
            "(or prior) draw i of the assumption parameters, shared by A and B (`--ensemble` of the CLI)."
        )
        with solara.Row():
            solara.InputInt(
                "Replications n",
                value=n.value,
                on_value=n.set,
                dense=True,
                continuous_update=True,
                classes=["egov-n"],
            )
            solara.Select(
                "Parameter ensemble",
                values=list(ENSEMBLES),
                value=ensemble.value,
                on_value=ensemble.set,
                dense=True,
                classes=["egov-ensemble"],
            )
            solara.Button(
                f"Run {n.value} replications",
                color="primary",
                on_click=start,
                disabled=running.value,
                classes=["egov-replicate"],
            )
            if running.value:
                solara.Button("Stop", on_click=lambda: running.set(False), classes=["egov-replicate-stop"])
        if problem.value:
            solara.Error(problem.value, dense=True)
        done, total = progress.value
        if running.value and total:
            solara.ProgressLinear(value=100 * done / total)
            solara.Text(f"{done} of {total} runs finished", classes=["egov-replicate-progress"])
        summary = sim.summary
        if summary and not running.value:
            Md(
                f"**n = {summary['n']} replications** per configuration. {summary.get('note', '')}\n\n"
                + kpi_markdown(summary.get("kpis", []), sim.labels),
                classes=["egov-replicate-table"],
            )
