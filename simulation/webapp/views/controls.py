"""The sidebar's controls: the levers of a configuration and the run's seed, speed and
Reset / Step / Play buttons (play runs in a worker thread)."""

from __future__ import annotations

import math
import time
from typing import Any

import solara
import solara.lab

from ..live import Frame, Sim, page_open

#: Months per second that "auto" play keeps up by drawing every k-th month.
AUTO_RATE = 10.0
#: Most frames per second that play draws and sends.
FRAME_RATE = 25.0


def _fmt(value: Any, lever: Any) -> str:
    if lever.kind == "float":
        return f"{value:.2f}" if (lever.step or 1) < 0.1 else f"{value:.1f}"
    return f"{value:,}" if lever.kind == "int" else str(value)


@solara.component
def LeverControl(lever: Any, settings: solara.Reactive[Any]):
    """One lever with its tooltip (the parameter's text, key, unit and allowed range)."""
    from ..session import tooltip

    value = settings.value[lever.key]

    def set_value(v: Any) -> None:
        if v is None:
            return
        settings.set(settings.value.update({lever.key: v}))

    unit = f" {lever.unit}" if lever.unit and lever.kind in ("int", "float") else ""
    label = f"{lever.label}: {_fmt(value, lever)}{unit}"
    css = ["egov-lever", "egov-lever-" + lever.key.replace(".", "-").replace("_", "-")]
    with solara.Tooltip(tooltip(lever)), solara.Column(classes=css, gap="0px"):
        if lever.kind == "choice":
            solara.Select(
                lever.label, values=list(lever.choices), value=value, on_value=set_value, dense=True
            )
        elif lever.kind == "bool":
            solara.Checkbox(label=lever.label, value=value, on_value=set_value)
        elif lever.lo is None:  # open-ended whole number: typed
            solara.InputInt(
                lever.label + unit, value=value, on_value=set_value, dense=True, continuous_update=True
            )
        elif lever.kind == "int":
            solara.SliderInt(
                label, value=value, min=int(lever.lo), max=int(max(lever.hi, value)), on_value=set_value
            )
        else:
            solara.SliderFloat(
                label,
                value=value,
                min=lever.lo,
                max=max(lever.hi, value),
                step=lever.step or 0.05,
                on_value=set_value,
            )


@solara.component
def ConfigControls(
    settings: solara.Reactive[Any],
    path_text: solara.Reactive[str],
    title: str,
    seed: solara.Reactive[Any] | None,
):
    """Scenario picker and every lever, grouped. Loading a scenario resets the levers to
    the file's values and (for A) the seed to the file's ``[run] seed``."""
    from ...io.scenario_io import ScenarioError, load_scenario
    from ..session import GROUPS, LEVERS, Settings, scenario_choices

    problem = solara.use_reactive(None)
    shipped = scenario_choices()
    current = settings.value.scenario
    values = shipped if current in shipped else [*shipped, current]

    def choose(name: str | None) -> None:
        if not name:
            return
        try:
            new = Settings.from_scenario(name)
            file_seed = load_scenario(name).run.seed
        except ScenarioError as exc:
            problem.set(str(exc))  # the typed path stays in the field
            return
        problem.set(None)
        settings.set(new)
        if seed is not None:
            seed.set(file_seed)

    with solara.Card(title, margin=0, classes=["egov-config"]):
        solara.Select("Scenario", values=values, value=current, on_value=choose)
        solara.InputText(
            "…or a scenario file (path, Enter)",
            value=path_text.value,
            on_value=lambda p: (path_text.set(p or ""), choose((p or "").strip() or None)),
            dense=True,
            classes=["egov-path"],
        )
        with solara.Div(classes=["egov-path-error-slot"]):
            if problem.value:
                solara.Error(problem.value, dense=True, classes=["egov-path-error"])
        for i, group in enumerate(GROUPS):
            with solara.Details(group, expand=i < 2):
                for lever in LEVERS:
                    if lever.group == group:
                        LeverControl(lever, settings)


@solara.component
def RunControls(
    sim: solara.Reactive[Sim | None],
    frame: solara.Reactive[Frame | None],
    seed: solara.Reactive[Any],
    playing: solara.Reactive[bool],
    every: solara.Reactive[int],
    auto: solara.Reactive[bool],
    on_reset,
    can_reset: bool,
    acks: dict[str, Any],
):
    current = sim.value

    def show(s: Sim) -> None:
        frame.set(Frame(s.lockstep.month, dict(s.views)))

    def step() -> None:
        if current is not None and current.advance(every.value):
            show(current)

    def play() -> None:
        # Runs in a worker thread while ``playing``; a Reset swaps ``sim`` and stops play.
        s = sim.value
        if not playing.value or s is None:
            return
        last, last_month = time.perf_counter(), s.lockstep.month
        rate = None
        previous = None
        k = every.value
        while playing.value and sim.value is s:
            start = time.perf_counter()
            done = s.advance(k)
            if not done:
                playing.set(False)
                break
            if sim.value is not s:  # Reset while this frame was drawn
                break
            shown = Frame(s.lockstep.month, dict(s.views), rate, k)
            frame.set(shown)
            # Wait until the server has rendered this frame (Views_ records it). A render
            # that another thread runs (a button's handler, in the server's event loop)
            # goes on for as long as the state changes during each of its passes: frames
            # faster than it renders kept it (and the event loop, so the acknowledgements
            # too) busy until play ended, so Pause took effect only then, or Solara gave
            # up with "Too many renders".
            waited = time.perf_counter()
            while (
                s.shown is not shown
                and playing.value
                and sim.value is s
                and time.perf_counter() - waited < 2.0
            ):
                time.sleep(0.005)
            ack = acks.get("widget")
            if ack is not None and previous is not None:
                # One frame in flight at most: the browser's pace sets the pace (flow.py).
                ack.wait(previous, timeout=1.0)
            previous = shown.seq
            now = time.perf_counter()
            if now - last >= 1.0:  # months per second over the last second or so
                rate = (s.lockstep.month - last_month) / (now - last)
                last, last_month = now, s.lockstep.month
            k = every.value
            if auto.value:
                # Draw less often when a frame (step, draw, send) is slow, so that play
                # keeps at least AUTO_RATE months per second on a busy machine.
                k = max(k, math.ceil(AUTO_RATE * (now - start) - 1e-9))
            if not page_open():  # the tab was closed: stop instead of playing to nobody
                playing.set(False)
                break
            # At most FRAME_RATE frames per second: the server's event loop (which sends
            # them) and the other sessions get the rest of the time.
            time.sleep(max(0.005, 1.0 / FRAME_RATE - (time.perf_counter() - start)))

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)

    solara.InputInt(
        "Seed (common to A and B)",
        value=seed.value,
        on_value=seed.set,
        dense=True,
        continuous_update=True,
        classes=["egov-seed"],
    )
    solara.SliderInt(f"Draw every {every.value} month(s)", value=every, min=1, max=12)
    with (
        solara.Tooltip(
            f"While playing, draw fewer months when a frame is slow so that play keeps at least "
            f"{AUTO_RATE:g} months per second; off = draw every k months whatever the speed."
        ),
        solara.Column(gap="0px"),
    ):
        solara.Checkbox(label=f"Auto: keep ≥ {AUTO_RATE:g} months/s", value=auto)
    with solara.Row():
        solara.Button(
            "Reset", color="primary", on_click=on_reset, disabled=not can_reset, classes=["egov-reset"]
        )
        solara.Button(
            "Step",
            color="primary",
            on_click=step,
            disabled=playing.value or current is None,
            classes=["egov-step"],
        )
        solara.Button(
            "Pause" if playing.value else "Play",
            color="primary",
            on_click=lambda: playing.set(not playing.value),
            disabled=current is None,
            classes=["egov-play"],
        )
