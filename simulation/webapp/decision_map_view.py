"""The "Decision map" view: which design wins where, over two context axes.

A quick map is computed on demand (progress bar), or a finished ``egov-sim map`` folder is
loaded from the results root. A click on a cell calls ``on_open(a, b, note)`` with the two
leading designs at that cell's context; the page then opens A/B compare.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import solara
import solara.lab

from ..experiments.decision_map_report import SHORT, design_colour
from .decision_map import OBJECTIVE_NAMES, MapData, QuickMap, compare_settings
from .results import OutsideRoot, results_root, within

INTRO = (
    "## Decision map\n"
    "Which design (service model × rollout) wins where? Each cell is one context: initial trust "
    "(x) and a multiplier on every party's resistance (y). The colour is the design with the best mean on the "
    "chosen objective over the uncertainty samples (posterior draws × seeds, common random numbers); the "
    "percentage is its probability of winning. **Click a cell** to open A/B compare there with the two leading "
    "designs. The quick map (4 × 4 cells, 3 posterior draws, 1 seed, 500 citizens) takes about half a minute; "
    "`egov-sim map SCENARIO` makes the full one with its stability check."
)


def _cell_text(data: MapData, objective: str, i: int, j: int) -> str:
    k = data.winner[objective][i][j]
    model, rollout = data.designs[k].split(", ", 1)
    p = data.p_win[objective][i][j][k]
    return f"{SHORT[model]} {rollout} {p:.0%}"


@solara.component
def MapGrid(data: MapData, objective: str, on_cell: Callable[[int, int], None]):
    nx, ny = len(data.x_values), len(data.y_values)
    with solara.Div(classes=["egov-map-grid"]):
        Md_(f"**{data.scenario}**: {data.source}. Rows: `{data.y_name}`; columns: `{data.x_name}`.")
        for j in reversed(range(ny)):
            with solara.Row(gap="4px", style={"align-items": "center"}):
                solara.Text(f"{data.y_values[j]:.2g}", style={"width": "48px", "text-align": "right"})
                for i in range(nx):
                    k = data.winner[objective][i][j]
                    dark = not data.designs[k].endswith("big bang")
                    solara.Button(
                        _cell_text(data, objective, i, j),
                        on_click=lambda i=i, j=j: on_cell(i, j),
                        style={
                            "background-color": design_colour(k),
                            "color": "white" if dark else "black",
                            "width": "150px",
                            "text-transform": "none",
                        },
                        classes=["egov-map-cell", f"egov-map-cell-{i}-{j}"],
                    )
        with solara.Row(gap="4px"):
            solara.Text("", style={"width": "48px"})
            for i in range(nx):
                solara.Text(f"{data.x_values[i]:.2g}", style={"width": "150px", "text-align": "center"})
        present = sorted({k for col in data.winner[objective] for k in col})
        Md_(
            "Legend: "
            + "; ".join(
                f'<span style="background:{design_colour(k)};padding:0 8px">&nbsp;</span> {data.designs[k]}'
                for k in present
            )
            + ". INT = integration, FRAG = fragmentation, HYB = hybrid."
        )
        if data.statements:
            Md_(
                "**What the map says** (each backed by a PRIM box):\n\n"
                + "\n".join(f"- {s}" for s in data.statements)
            )
        if data.agreement:
            Md_(
                "**Stability** (cells whose winner agrees with a second seed): "
                + ", ".join(f"{k} {v:.0%}" for k, v in data.agreement.items())
            )


def Md_(text: str) -> Any:
    return solara.Markdown(text)


@solara.component
def DecisionMapPage(scenarios: list[str], default: str, on_open: Callable[[Any, Any, str], None]):
    top = solara.use_memo(results_root, [])
    scenario = solara.use_reactive(default)
    folder = solara.use_reactive("")
    data = solara.use_reactive(None)
    objective = solara.use_reactive("combined")
    job = solara.use_reactive(None)
    progress = solara.use_reactive((0, 0))
    problem = solara.use_reactive(None)

    def work() -> None:
        q = job.value
        if q is None:
            return
        while not q.done:
            time.sleep(0.3)
            progress.set(q.progress)
        if q.error:
            problem.set(f"Decision map of {q.settings.scenario}: {q.error}")
        else:
            data.set(q.result)
        job.set(None)

    solara.lab.use_task(work, dependencies=[job.value], prefer_threaded=True)

    def compute() -> None:
        from ..io.scenario_io import ScenarioError

        problem.set(None)
        try:
            q = QuickMap(scenario.value)
        except ScenarioError as exc:
            problem.set(str(exc))
            return
        q.start()
        progress.set((0, 0))
        job.set(q)

    def load(text: str) -> None:
        from ..io.scenario_io import ScenarioError

        problem.set(None)
        try:
            data.set(MapData.from_folder(within(top, text)))
        except (OutsideRoot, ScenarioError) as exc:
            problem.set(str(exc))

    def cell(i: int, j: int) -> None:
        from ..io.scenario_io import ScenarioError

        try:
            a, b, note = compare_settings(data.value, objective.value, i, j)
        except ScenarioError as exc:
            problem.set(str(exc))
            return
        on_open(a, b, note)

    solara.Markdown(INTRO)
    with solara.Row(style={"align-items": "center"}):
        solara.Select("Scenario", values=scenarios, value=scenario, classes=["egov-map-scenario"])
        solara.Button(
            "Compute quick map",
            color="primary",
            on_click=compute,
            disabled=job.value is not None,
            classes=["egov-map-compute"],
        )
    solara.InputText(
        f"…or load an 'egov-sim map' folder (path under {top}, Enter)",
        value=folder,
        on_value=load,
        classes=["egov-map-folder"],
    )
    done, total = progress.value
    if job.value is not None:
        solara.ProgressLinear(value=100 * done / total if total else True)
        solara.Text(f"{done} of {total or '…'} runs", classes=["egov-map-progress"])
    if problem.value:
        solara.Error(problem.value, classes=["egov-map-error"])
    if data.value is None:
        return
    solara.ToggleButtonsSingle(
        value=objective.value,
        values=list(OBJECTIVE_NAMES),
        on_value=objective.set,
        classes=["egov-map-objective"],
    )
    MapGrid(data.value, objective.value, cell)
