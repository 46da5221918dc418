"""The browser app (Solara): watch one run, compare two configurations, replicate, inspect
the parties, download the files, browse results.

Served by ``egov-sim serve``. Every piece of state, the models included, is created inside
:func:`Page` with ``use_reactive``/``use_memo``, so each browser session (each Solara
kernel) has its own; nothing is created at import time. The charts are Apache ECharts
(``solara.FigureEcharts``), drawn in the browser from the locally served echarts bundle.

This module is what Solara serves: the server's start-up work and :func:`Page`, which wires
the views (:mod:`.views`) to one session's simulation (:mod:`.live`).
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

import solara
import solara.lab

from .assets import protect_cdn

# Sim, check and pending_changes are imported from here by the tests and benchmarks.
from .live import Frame, Sim, check, flip, pending_changes
from .views.controls import ConfigControls, RunControls
from .views.export import ExportCard
from .views.markdown import Md
from .views.panels import Views_
from .views.replications import ReplicationsCard
from .views.results import ResultsPage

__all__ = ["Frame", "Page", "Sim", "check", "pending_changes"]

MODES = ["Single run", "Compare", "Decision map", "Results"]


# Solara loads this module at server start-up, before it answers a request: from then on
# /_solara/cdn is served read-only (see assets.py).
protect_cdn()
# Solara warns on every page request from 127.0.0.1 that it cannot set a samesite=none
# cookie over http; it falls back to samesite=lax, which is right for a local app.
warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)


def _warm_up() -> None:
    # The model, its configuration and the charts take about a second to import; done in the
    # background so that the server answers at once and the first session finds them loaded.
    from . import charts, export, replicate, session  # noqa: F401


threading.Thread(target=_warm_up, name="egov-warm-up", daemon=True).start()


LEGEND = """
**What the charts show** (one step = one month; hover a chart for values, click a party)

- **Adoption**: share of citizens (or businesses) using the digital service; Bass-type
  diffusion on their social network, scaled by service quality/reach and digital skill.
- **Service quality / reach**: integration – share of required back-office links that
  work; fragmentation – share of the partners' counters that joined.
- **Integration level**: share of parties integrated (solid) and of back-office links
  working (dotted).
- **Trust and resistance**: mean trust of the parties in the programme (solid) and mean
  resistance (dotted), 0..1.
- **Cumulative cost**: investment, compensation, channel fees, overruns and consultation, M€.
- **Legitimacy**: citizens' mean trust in government, 0..1.
- **Departments and partners**: squares are departments, circles partners; colour = state
  (legend above the drawing), size = power, outline width = resistance; green lines are
  working back-office links (none under fragmentation: a separate system per task).
- **Scorecard**: the perspectives × relations matrix of the article, computed from the run
  so far, each cell with its unit; green = better, red = worse for that indicator's
  direction, grey = not applicable.

In **Compare** mode A is blue and B red; A's lines are solid and B's dashed (a panel's second
series dotted); both use the same seed (common random numbers) and step in lockstep.
With **replications**, the curves are the mean of n runs per configuration with a shaded
95 % confidence band of that mean (not the spread of single runs).
"""

CSS = """
.egov-md table { border-collapse: collapse; margin: 4px 0 8px 0; font-size: 0.9em; }
.egov-md th, .egov-md td { padding: 2px 8px; border-bottom: 1px solid #ddd; text-align: right; }
.egov-md th:first-child, .egov-md td:first-child { text-align: left; }
.egov-md img { max-width: 100%; }
.egov-md code { font-size: 0.9em; }
.egov-lever { width: 100%; }
.egov-path { margin-bottom: 14px; }  /* its underline clear of the groups' shadow below */
.egov-lever .v-input { margin-top: 0; padding-top: 2px; }
/* Typed fields and selects float their label above the box: keep room for it. */
.egov-lever .v-input.v-text-field { padding-top: 12px; }
.egov-lever .v-messages { display: none; }
/* A long label ("Initial detail: 0.50 0 vague … 1 blueprint") must not squeeze the slider's
   track to nothing: the label wraps and the track keeps a usable width. */
.egov-lever .v-input__slider .v-label { white-space: normal; flex: 0 1 auto; min-width: 0;
  height: auto; line-height: 1.25; }
.egov-lever .v-input__slider .v-slider { flex: 1 0 96px; min-width: 96px; }
.egov-events td { font-size: 0.85em; vertical-align: top; }
/* Wide tables scroll inside their card rather than being clipped by it. */
.egov-md { overflow-x: auto; }
.egov-replicate-table td:nth-child(2), .egov-replicate-table th:nth-child(2) {
  white-space: normal; max-width: 14em; text-align: left; }
.egov-replications .egov-n { padding-top: 14px; }  /* its floating label clear of the text */
.egov-bands-caption { font-size: 0.9em; color: #555; }
"""


def release_memory() -> None:
    """Collect a closed session's objects and give freed heap pages back to the system
    (glibc keeps them otherwise, so the server's RSS would stay at its peak)."""
    import contextlib
    import ctypes
    import gc

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").malloc_trim(0)


@solara.lab.on_kernel_start
def _per_session():
    # Run shortly after the kernel has closed, when its objects are no longer referenced.
    return lambda: threading.Timer(2.0, release_memory).start()


# ------------------------------------------------------------------------- page
@solara.component
def Acknowledge(acks: dict[str, Any], seq: int):
    """The hidden widget through which the browser acknowledges frames (see flow.py)."""
    from .flow import FrameAck

    el = FrameAck.element(frame=seq)

    def keep():
        acks["widget"] = solara.get_widget(el)
        return lambda: acks.pop("widget", None)

    solara.use_effect(keep, [])


@solara.component
def Page():
    from ..io.scenario_io import load_scenario
    from .session import DEFAULT_SCENARIO, Settings

    mode = solara.use_reactive(MODES[0])
    start = solara.use_memo(lambda: Settings.from_scenario(DEFAULT_SCENARIO), [])
    a = solara.use_reactive(start)
    b = solara.use_reactive(solara.use_memo(lambda: flip(start), []))
    path_a, path_b = solara.use_reactive(""), solara.use_reactive("")
    seed = solara.use_reactive(solara.use_memo(lambda: load_scenario(DEFAULT_SCENARIO).run.seed, []))
    playing = solara.use_reactive(False)
    every = solara.use_reactive(1)
    auto = solara.use_reactive(True)
    # One simulation per mode, so switching to Compare and back keeps the single run.
    single = solara.use_reactive(solara.use_memo(lambda: Sim.build(start, None, seed.value), []))
    compare = solara.use_reactive(None)
    # use_reactive(x) re-syncs whenever x changes between renders: pass memoised values.
    single_frame = solara.use_reactive(solara.use_memo(lambda: Frame(0, single.value.views), []))
    compare_frame = solara.use_reactive(None)
    building = solara.use_memo(threading.Lock, [])
    acks = solara.use_memo(dict, [])  # the session's FrameAck widget, once mounted
    map_note = solara.use_reactive("")  # which decision-map cell the compare came from

    comparing = mode.value == "Compare"
    sim, frame = (compare, compare_frame) if comparing else (single, single_frame)
    wanted = (a.value, b.value) if comparing else (a.value,)
    problem = solara.use_memo(
        lambda: check(wanted, seed.value), [repr([w.as_dict() for w in wanted]), seed.value]
    )

    def build(value_b: Any | None) -> Sim | None:
        from ..io.scenario_io import ScenarioError

        with building:
            try:
                return Sim.build(a.value, value_b, seed.value)
            except ScenarioError:  # shown by ``check`` already
                return None

    def reset() -> None:
        playing.set(False)
        map_note.set("")
        new = build(b.value if comparing else None)
        if new is not None:
            sim.set(new)
            frame.set(Frame(0, dict(new.views)))

    def switch(value: str) -> None:
        playing.set(False)
        mode.set(value)
        if value == "Compare" and compare.value is None:
            new = build(b.value)
            if new is not None:
                compare.set(new)
                compare_frame.set(Frame(0, dict(new.views)))

    def open_compare(value_a: Any, value_b: Any, note: str) -> None:
        """From a decision-map cell: A/B compare at that context with its two leading designs."""
        from ..io.scenario_io import ScenarioError

        playing.set(False)
        a.set(value_a)
        b.set(value_b)
        with building:
            try:
                new = Sim.build(value_a, value_b, seed.value)
            except ScenarioError as exc:
                map_note.set(str(exc))
                return
        compare.set(new)
        compare_frame.set(Frame(0, dict(new.views)))
        map_note.set(note)
        mode.set("Compare")

    solara.Title("egov-sim: back-office integration")
    solara.Style(CSS)
    with solara.AppBar():
        solara.AppBarTitle("egov-sim: back-office integration in e-government")
        solara.ToggleButtonsSingle(value=mode.value, values=MODES, on_value=switch, classes=["egov-mode"])

    if mode.value == "Results":
        ResultsPage()
        return
    if mode.value == "Decision map":
        from .decision_map_view import DecisionMapPage
        from .session import scenario_choices

        DecisionMapPage(scenario_choices(), DEFAULT_SCENARIO, open_compare)
        return

    current = sim.value
    with solara.Sidebar(), solara.Column():
        with solara.Card("Run", margin=0):
            RunControls(sim, frame, seed, playing, every, auto, reset, problem is None, acks)
        # Fixed slots: a message appearing must not shift (and so re-create) the controls below.
        with solara.Div(classes=["egov-error-slot"]):
            if problem:
                solara.Error(problem, classes=["egov-error"])
        changed = pending_changes(current, wanted, seed.value)
        with solara.Div(classes=["egov-pending-slot"]):
            if changed:
                solara.Info(
                    f"Changed ({', '.join(changed)}): takes effect after Reset.",
                    dense=True,
                    classes=["egov-pending"],
                )
        ConfigControls(a, path_a, "Configuration A" if comparing else "Configuration", seed)
        if comparing:
            ConfigControls(b, path_b, "Configuration B", None)

    if current is None:
        solara.Info("Press Reset to build the comparison.")
        return
    if comparing and map_note.value:
        solara.Info(map_note.value, dense=True, classes=["egov-map-note"])
    Views_(current, frame, playing)
    Acknowledge(acks, frame.value.seq if frame.value else 0)
    # The replication table has seven columns in compare mode: it gets the full width.
    ReplicationsCard(current, frame)
    with solara.Columns([1, 1]):
        ExportCard(current, frame)
        with solara.Card("Legend", margin=0):
            Md(LEGEND)
