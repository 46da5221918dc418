"""The browser app (Solara): watch one run, compare two configurations, replicate, inspect
the parties, download the files, browse results.

Served by ``egov-sim serve``. Every piece of state, the models included, is created inside
:func:`Page` with ``use_reactive``/``use_memo``, so each browser session (each Solara
kernel) has its own; nothing is created at import time. The charts are Apache ECharts
(``solara.FigureEcharts``), drawn in the browser from the locally served echarts bundle.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import solara
import solara.lab

from .assets import protect_cdn
from .results import (
    IMAGE_SUFFIXES,
    Figure,
    OutsideRoot,
    find_reports,
    md_html,
    other_figures,
    read_figure,
    results_root,
    split_report,
    within,
)

MODES = ["Single run", "Compare", "Decision map", "Results"]
FRAME_NUMBERS = itertools.count(1)
#: Months per second that "auto" play keeps up by drawing every k-th month.
AUTO_RATE = 10.0
#: Most frames per second that play draws and sends.
FRAME_RATE = 25.0
#: Replications the app offers by default, and its limits (each is a whole run).
REPLICATIONS = (20, 2, 200)
EVENTS_SHOWN = 12

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


def page_open() -> bool:
    """Whether a browser page is connected to this session (False once its tab closed)."""
    from solara.server import kernel_context

    try:
        ctx = kernel_context.get_current_context()
    except Exception:  # not inside a session (tests): nothing to stop
        return True
    status = getattr(ctx, "page_status", None)
    if not status:
        return True
    return any(v == kernel_context.PageStatus.CONNECTED for v in status.values())


@solara.lab.on_kernel_start
def _per_session():
    # Run shortly after the kernel has closed, when its objects are no longer referenced.
    return lambda: threading.Timer(2.0, release_memory).start()


def flip(s: Any) -> Any:
    """A useful default B for compare mode: the other service-delivery model."""
    other = "fragmentation" if s["service.model"] != "fragmentation" else "integration"
    return s.update({"service.model": other})


def labels_for(a: Any, b: Any | None) -> list[str]:
    """Run labels: the settings in which A and B differ (or the service model if none)."""
    if b is None:
        return [f"{a['service.model']}, {a['rollout.strategy']}"]
    da, db = a.as_dict(), b.as_dict()
    keys = a.differs(b) or ["service.model"]

    def text(d: dict) -> str:
        return ", ".join(f"{Path(str(d[k])).stem}" if k == "scenario" else str(d[k]) for k in keys[:3])

    return [f"A: {text(da)}", f"B: {text(db)}"]


@dataclass
class Sim:
    """One session's running simulation (one or two models), what the charts show and its
    replications (``bands``: the summary of finished replications, or None)."""

    lockstep: Any  # session.Lockstep
    settings: tuple[Any, ...]
    seed: int
    views: dict[str, Any] = field(default_factory=dict)
    replications: Any = None  # replicate.Replications while or after running
    summary: dict[str, Any] | None = None
    shown: Any = None  # the last Frame the page rendered (set by Views_, read by play)

    @classmethod
    def build(cls, a: Any, b: Any | None, seed: int) -> Sim:
        from .session import Lockstep, build_config

        configs = [build_config(a, seed)] + ([build_config(b, seed)] if b is not None else [])
        sim = cls(Lockstep(configs, labels_for(a, b), seed), (a,) if b is None else (a, b), seed)
        sim.redraw()
        return sim

    @property
    def models(self) -> list[Any]:
        return self.lockstep.models

    @property
    def labels(self) -> list[str]:
        return self.lockstep.labels

    def redraw(self) -> None:
        """Rebuild what the charts show from the models (and the replication summary)."""
        from .. import kpis as kpi_module
        from ..narrative import narrative
        from . import charts

        with self.lockstep.lock:
            models = self.models
            bands = self.summary["bands"] if self.summary and self.summary.get("n", 0) >= 2 else None
            # Legends say "A"/"B" (the description line says what A and B are).
            tags = ["A", "B"] if len(models) > 1 else list(self.labels)
            if bands:
                bands = {
                    tag: bands[label] for tag, label in zip(tags, self.labels, strict=True) if label in bands
                }
            self.views = {
                "month": self.lockstep.month,
                "curves": charts.curves_options(
                    models, tags, self.lockstep.months, bands, self.summary["n"] if bands else None
                ),
                "bands": self.summary["n"] if bands else 0,
                "networks": [charts.network_option(m) for m in models],
                "scorecard": charts.scorecard_html(models, self.labels if len(models) > 1 else None),
                "events": [list(m.events[-EVENTS_SHOWN:]) for m in models],
                "narratives": [narrative(m.events, kpi_module.compute(m), m.month) for m in models],
                "readout": readout_table(self),
            }

    def advance(self, n: int) -> int:
        """Step ``n`` months and redraw; returns the months actually stepped."""
        with self.lockstep.lock:
            done = self.lockstep.step(n)
            if done:
                self.redraw()
        return done


def pending_changes(current: Sim | None, wanted: tuple[Any, ...], seed: Any) -> list[str]:
    """Names of the settings that differ from the running simulation's."""
    if current is None or len(wanted) != len(current.settings):
        return []
    names = []
    for tag, new, old in zip("AB", wanted, current.settings, strict=False):
        prefix = f"{tag}: " if len(wanted) > 1 else ""
        names += [prefix + k for k in new.differs(old)]
    if seed != current.seed:
        names.append("seed")
    return names


@dataclass(frozen=True)
class Frame:
    """What the views show; a new instance per redraw is what triggers the browser update."""

    month: int
    views: dict[str, Any]
    rate: float | None = None  # months per second while playing
    every: int = 1  # months per drawn frame while playing
    seq: int = field(default_factory=lambda: next(FRAME_NUMBERS))  # acknowledged by the browser


@solara.component
def Md(text: str, classes: list[str] | None = None):
    """Markdown rendered on the server by :func:`results.md_html` (``solara.Markdown`` loads
    KaTeX from a CDN, which would break offline); raw HTML, links and images are defused."""
    solara.HTML(tag="div", unsafe_innerHTML=md_html(text), classes=["egov-md", *(classes or [])])


# ------------------------------------------------------------------------- controls
def _fmt(value: Any, lever: Any) -> str:
    if lever.kind == "float":
        return f"{value:.2f}" if (lever.step or 1) < 0.1 else f"{value:.1f}"
    return f"{value:,}" if lever.kind == "int" else str(value)


@solara.component
def LeverControl(lever: Any, settings: solara.Reactive[Any]):
    """One lever with its tooltip (the parameter's text, key, unit and allowed range)."""
    from .session import tooltip

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
    from ..scenario_io import ScenarioError, load_scenario
    from .session import GROUPS, LEVERS, Settings, scenario_choices

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


# ------------------------------------------------------------------------- views
READOUT = (
    ("adoption", "adoption", "{:.3f}"),
    ("service_quality", "quality/reach", "{:.3f}"),
    ("integration", "integrated", "{:.2f}"),
    ("links", "links", "{:.2f}"),
    ("mean_trust", "trust", "{:.2f}"),
    ("mean_resistance", "resistance", "{:.2f}"),
    ("cumulative_cost", "cost M€", "{:.1f}"),
    ("legitimacy", "legitimacy", "{:.2f}"),
)


def readout_table(sim: Sim) -> str:
    head = "| run | " + " | ".join(c[1] for c in READOUT) + " |\n|---|" + "---:|" * len(READOUT) + "\n"
    rows = []
    for label, model in zip(sim.labels, sim.models, strict=True):
        data = model.datacollector.model_vars
        rows.append("| " + label + " | " + " | ".join(f.format(data[c][-1]) for c, _, f in READOUT) + " |")
    return head + "\n".join(rows)


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
    from . import charts

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
        from .charts import clicked_party

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


# ------------------------------------------------------------------------- replications
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
    from .session import LEVERS, RESISTANCE_KEY

    pinned = {lever.key for lever in LEVERS if lever.key != RESISTANCE_KEY}
    if any(float(s.values.get(RESISTANCE_KEY, 1.0)) != 1.0 for s in settings):
        pinned.add("parties.scale.resistance")
    return pinned


@solara.component
def ReplicationsCard(sim: Sim, frame: solara.Reactive[Frame | None]):
    """Run n seeds of the running configuration(s) in the background; the charts then show
    mean curves with 95 % bands and this card the KPIs (compare: paired B − A with CI)."""
    from .replicate import ENSEMBLES, Replications

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


# ------------------------------------------------------------------------- export
@solara.component
def ExportCard(sim: Sim, frame: solara.Reactive[Frame | None]):
    """The run's files as ``egov-sim run`` writes them, for the month shown; a zip of all."""
    from .export import run_files, zip_files

    month = frame.value.month if frame.value else 0
    two = len(sim.models) > 1

    def files() -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        with sim.lockstep.lock:
            for tag, model, cfg in zip(
                "AB"[: len(sim.models)], sim.models, sim.lockstep.configs, strict=True
            ):
                got = run_files(model, cfg, f"egov-sim app, {sim.settings[0].scenario}")
                out.update({(f"{tag}/{k}" if two else k): b for k, b in got.items()})
        return out

    def one(name: str):
        return lambda: files()[name]

    with solara.Card(f"Download (month {month})", margin=0, classes=["egov-export"]):
        solara.Text(
            "The run so far, in the files and formats of `egov-sim run` (adoption.png is its figure)."
        )
        with solara.Row(style={"flex-wrap": "wrap"}):
            solara.FileDownload(
                lambda: zip_files(files()),
                filename=f"egov-run-month{month}.zip",
                label="All files (.zip)",
                mime_type="application/zip",
            )
            names = ("timeseries.csv", "kpis.json", "scorecard.csv", "events.csv", "adoption.png")
            for tag in ("A/", "B/") if two else ("",):
                for name in names:
                    solara.FileDownload(
                        one(tag + name), filename=(tag + name).replace("/", "_"), label=tag + name
                    )


# ------------------------------------------------------------------------- results page
@solara.component
def FigureView(fig: Figure):
    data = read_figure(fig)
    with solara.Card(fig.caption, margin=0):
        if data is None:
            solara.Warning(
                f"{fig.path.name}: not shown (too large, not an image, or outside the sweep folder)"
            )
        else:
            fmt = fig.path.suffix.lower().lstrip(".").replace("jpg", "jpeg").replace("svg", "svg+xml")
            solara.Image(data, format=fmt, classes=["egov-result-figure"])


@solara.component
def ResultsPage():
    top = solara.use_memo(results_root, [])
    root = solara.use_reactive(str(top))
    chosen = solara.use_reactive(None)
    try:
        folder = within(top, root.value)
    except OutsideRoot as exc:
        folder, refused = None, str(exc)
    else:
        refused = ""
    reports = solara.use_memo(lambda: find_reports(folder, limit=top) if folder else [], [str(folder)])

    def label(p: Path) -> str:
        return "." if p == folder else str(p.relative_to(folder))

    names = [label(p) for p in reports]
    Md(
        "## Results\nOpen a finished sweep directory (one with a `report.md`) and browse its report and figures."
    )
    solara.InputText("Results folder (path, Enter)", value=root, on_value=lambda _: chosen.set(None))
    if folder is None:
        solara.Error(refused, classes=["egov-refused"])
        return
    if not folder.is_dir():
        solara.Error(f"{folder}: no such folder")
        return
    if not reports:
        solara.Info(f"{folder}: no directory with a report.md here (or up to 3 levels below)")
        return
    solara.Select("Sweep", values=names, value=chosen.value, on_value=chosen.set, classes=["egov-sweep"])
    if chosen.value not in names:
        return
    target = reports[names.index(chosen.value)]
    if not target.resolve().is_relative_to(top):
        solara.Error(f"{target}: outside the results folder {top}", classes=["egov-refused"])
        return
    try:
        parts = split_report(target)
    except OSError as exc:
        solara.Error(f"{target / 'report.md'}: cannot read ({exc.strerror})")
        return
    shown = {p.path.resolve() for p in parts if isinstance(p, Figure)}
    with solara.Div(classes=["egov-report"]):
        for part in parts:
            if isinstance(part, Figure):
                FigureView(part)
            else:
                Md(part)
    extra = other_figures(target, shown)
    if extra:
        Md("### Other figures in this folder")
        for fig in extra:
            if fig.path.suffix.lower() in IMAGE_SUFFIXES:
                FigureView(fig)


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


def check(wanted: tuple[Any, ...], seed: Any) -> str | None:
    """The error the controls would give at Reset (naming its source), or None."""
    from ..scenario_io import ScenarioError
    from .session import build_config

    try:
        for s in wanted:
            build_config(s, seed)
    except ScenarioError as exc:
        return str(exc)
    return None


@solara.component
def Page():
    from ..scenario_io import load_scenario
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
        from ..scenario_io import ScenarioError

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
        from ..scenario_io import ScenarioError

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
