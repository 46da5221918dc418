"""The browser app (Solara): watch one run, compare two configurations, browse results.

Served by ``egov-sim serve``. Every piece of state, the models included, is created inside
:func:`Page` with ``use_reactive``/``use_memo``, so each browser session (each Solara
kernel) has its own; nothing is created at import time.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import solara
import solara.lab

from ..scenario_io import ScenarioError, load_scenario
from .assets import protect_cdn
from .figures import Views
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
from .session import (
    DEFAULT_SCENARIO,
    RESISTANCE_SCALE_RANGE,
    Lockstep,
    Settings,
    build_config,
    scenario_choices,
)

MODES = ["Single run", "Compare", "Results"]
#: Months per second that "auto" play keeps up by drawing every k-th month.
AUTO_RATE = 10.0
SERVICE_MODELS = ["integration", "fragmentation", "hybrid"]
ROLLOUTS = ["big_bang", "phased", "pilot"]
LEARNING = ["learning", "rational"]

LEGEND = """
**What the views show** (one step = one month)

- **Adoption**: share of citizens (or businesses) using the digital service; Bass-type
  diffusion on their social network, scaled by service quality/reach and digital skill.
- **Service quality / reach**: integration – share of required back-office links that
  work; fragmentation – share of the partners' counters that joined.
- **Integration level**: share of parties integrated (solid) and of back-office links
  working (dotted).
- **Trust and resistance**: mean trust of the parties in the programme (solid) and mean
  resistance (dotted), 0..1.
- **Cumulative cost**: investment, compensation, channel fees, overruns and consultation, M€.
- **Legitimacy**: citizens' mean trust in government.
- **Network**: squares are departments, circles partners; colour = negotiation state,
  size = power, outline width = resistance; green lines are working back-office links
  (none under fragmentation: a separate system per task).
- **Scorecard**: the perspectives × relations matrix of the article, computed from the
  run so far. Numbers are the indicators (`egov-sim` docs/ODD.md); colour is each row
  scaled to its largest magnitude, green = better (for privacy exposure, peak resistance
  and failures higher is worse).

In **Compare** mode A (blue, solid) and B (red, dashed) use the same seed, so they see
common random numbers and step in lockstep.
"""


def flip(s: Settings) -> Settings:
    """A useful default B for compare mode: the other service-delivery model."""
    return s.update(service_model="fragmentation" if s.service_model != "fragmentation" else "integration")


def labels_for(a: Settings, b: Settings | None) -> list[str]:
    """Run labels: the settings in which A and B differ (or the service model if none)."""
    if b is None:
        return [f"{a.service_model}, {a.rollout}"]
    da, db = a.as_dict(), b.as_dict()
    keys = [k for k in da if da[k] != db[k]] or ["service_model"]

    def text(d: dict) -> str:
        return ", ".join(f"{Path(str(d[k])).stem}" if k == "scenario" else str(d[k]) for k in keys[:3])

    return [f"A: {text(da)}", f"B: {text(db)}"]


@dataclass
class Sim:
    """One session's running simulation (one or two models) and its figures."""

    lockstep: Lockstep
    views: Views
    settings: tuple[Settings, ...]
    seed: int
    frames: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def build(cls, a: Settings, b: Settings | None, seed: int) -> Sim:
        configs = [build_config(a, seed)] + ([build_config(b, seed)] if b is not None else [])
        labels = labels_for(a, b)
        lockstep = Lockstep(configs, labels, seed)
        views = Views(lockstep.models, labels)
        sim = cls(lockstep, views, (a,) if b is None else (a, b), seed)
        sim.frames = views.render(lockstep.models)
        return sim

    def advance(self, n: int) -> int:
        """Step ``n`` months and redraw; returns the months actually stepped."""
        with self.lockstep.lock:
            done = self.lockstep.step(n)
            if done:
                self.frames = self.views.render(self.lockstep.models)
        return done


def pending_changes(current: Sim | None, wanted: tuple[Settings, ...], seed: int | None) -> list[str]:
    """Names of the settings that differ from the running simulation's."""
    if current is None or len(wanted) != len(current.settings):
        return []
    names = []
    for tag, new, old in zip("AB", wanted, current.settings, strict=False):
        prefix = f"{tag}: " if len(wanted) > 1 else ""
        names += [prefix + k for k, v in new.as_dict().items() if old.as_dict()[k] != v]
    if seed is not None and int(seed) != current.seed:
        names.append("seed")
    return names


@dataclass(frozen=True)
class Frame:
    """What the views show; a new instance per redraw is what triggers the browser update."""

    month: int
    frames: dict[str, bytes]
    rate: float | None = None  # months per second while playing
    every: int = 1  # months per drawn frame while playing


CSS = """
.egov-md table { border-collapse: collapse; margin: 4px 0 8px 0; font-size: 0.9em; }
.egov-md th, .egov-md td { padding: 2px 8px; border-bottom: 1px solid #ddd; text-align: right; }
.egov-md th:first-child, .egov-md td:first-child { text-align: left; }
.egov-md img { max-width: 100%; }
.egov-md code { font-size: 0.9em; }
"""


# Solara loads this module at server start-up, before it answers a request: from then on
# /_solara/cdn is served read-only (see assets.py).
protect_cdn()


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


@solara.component
def Md(text: str, classes: list[str] | None = None):
    """Markdown rendered on the server by :func:`results.md_html` (``solara.Markdown`` loads
    KaTeX from a CDN, which would break offline); raw HTML, links and images are defused."""
    solara.HTML(tag="div", unsafe_innerHTML=md_html(text), classes=["egov-md", *(classes or [])])


# ------------------------------------------------------------------------- controls
@solara.component
def ScenarioPicker(settings: solara.Reactive[Settings], error: solara.Reactive[str | None]):
    path_text = solara.use_reactive("")
    shipped = scenario_choices()
    current = settings.value.scenario
    values = shipped if current in shipped else [*shipped, current]

    def choose(name: str | None) -> None:
        if not name:
            return
        try:
            settings.set(Settings.from_scenario(name))
            error.set(None)
        except ScenarioError as exc:
            error.set(str(exc))

    solara.Select("Scenario", values=values, value=current, on_value=choose)
    solara.InputText(
        "…or a scenario file (path, Enter)",
        value=path_text,
        on_value=lambda p: choose((p or "").strip() or None),
        dense=True,
    )


@solara.component
def ConfigControls(settings: solara.Reactive[Settings], error: solara.Reactive[str | None], title: str):
    s = settings.value

    def setter(name: str):
        def set_value(value) -> None:
            if value is None:
                return
            settings.set(settings.value.update(**{name: value}))

        return set_value

    with solara.Card(title, margin=0, classes=["egov-config"]):
        ScenarioPicker(settings, error)
        solara.Select(
            "Service model", values=SERVICE_MODELS, value=s.service_model, on_value=setter("service_model")
        )
        solara.Select("Rollout", values=ROLLOUTS, value=s.rollout, on_value=setter("rollout"))
        solara.SliderFloat(
            f"Initial trust {s.trust:.2f}", value=s.trust, min=0, max=1, step=0.05, on_value=setter("trust")
        )
        solara.SliderFloat(
            f"Compensation budget {s.compensation:.1f} M€",
            value=s.compensation,
            min=0,
            max=max(10.0, s.compensation),
            step=0.5,
            on_value=setter("compensation"),
        )
        solara.SliderFloat(
            f"Resistance × {s.resistance:.1f}",
            value=s.resistance,
            min=RESISTANCE_SCALE_RANGE[0],
            max=RESISTANCE_SCALE_RANGE[1],
            step=0.1,
            on_value=setter("resistance"),
        )
        solara.SliderInt(
            f"Package breadth {s.package_breadth}",
            value=s.package_breadth,
            min=1,
            max=4,
            on_value=setter("package_breadth"),
        )
        solara.SliderFloat(
            f"Initial detail {s.initial_detail:.2f}",
            value=s.initial_detail,
            min=0,
            max=1,
            step=0.05,
            on_value=setter("initial_detail"),
        )
        solara.Select("Learning", values=LEARNING, value=s.learning, on_value=setter("learning"))
        solara.SliderFloat(
            f"Room for adjustment {s.adjustment:.2f}",
            value=s.adjustment,
            min=0,
            max=1,
            step=0.05,
            on_value=setter("adjustment"),
        )
        solara.InputInt(
            "Number of citizens",
            value=s.citizens,
            on_value=setter("citizens"),
            dense=True,
            continuous_update=True,
        )


@solara.component
def RunControls(
    sim: solara.Reactive[Sim | None],
    frame: solara.Reactive[Frame | None],
    seed: solara.Reactive[int],
    playing: solara.Reactive[bool],
    every: solara.Reactive[int],
    auto: solara.Reactive[bool],
    on_reset,
):
    current = sim.value

    def show(s: Sim) -> None:
        frame.set(Frame(s.lockstep.month, dict(s.frames)))

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
        k = every.value
        while playing.value and sim.value is s:
            start = time.perf_counter()
            done = s.advance(k)
            if not done:
                playing.set(False)
                break
            if sim.value is not s:  # Reset while this frame was drawn
                break
            frame.set(Frame(s.lockstep.month, dict(s.frames), rate, k))
            now = time.perf_counter()
            if now - last >= 1.0:  # months per second over the last second or so
                rate = (s.lockstep.month - last_month) / (now - last)
                last, last_month = now, s.lockstep.month
            k = every.value
            if auto.value:
                # Draw less often when a frame (step, draw, send) is slow, so that play
                # keeps at least AUTO_RATE months per second on a busy machine.
                k = max(k, math.ceil(AUTO_RATE * (now - start) - 1e-9))

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)

    solara.InputInt(
        "Seed (common to A and B)", value=seed, dense=True, continuous_update=True, classes=["egov-seed"]
    )
    solara.SliderInt(f"Draw every {every.value} month(s)", value=every, min=1, max=12)
    solara.Checkbox(label=f"Auto: draw less often to keep ≥ {AUTO_RATE:g} months/s", value=auto)
    with solara.Row():
        solara.Button("Reset", color="primary", on_click=on_reset, classes=["egov-reset"])
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
def readout_table(sim: Sim) -> str:
    cols = [
        ("adoption", "adoption", "{:.3f}"),
        ("service_quality", "quality/reach", "{:.3f}"),
        ("integration", "integrated", "{:.2f}"),
        ("links", "links", "{:.2f}"),
        ("mean_trust", "trust", "{:.2f}"),
        ("mean_resistance", "resistance", "{:.2f}"),
        ("cumulative_cost", "cost M€", "{:.1f}"),
    ]
    head = "| run | " + " | ".join(c[1] for c in cols) + " |\n|---|" + "---:|" * len(cols) + "\n"
    rows = []
    for label, model in zip(sim.lockstep.labels, sim.lockstep.models, strict=True):
        data = model.datacollector.model_vars
        rows.append("| " + label + " | " + " | ".join(f.format(data[c][-1]) for c, _, f in cols) + " |")
    return head + "\n".join(rows)


def describe(sim: Sim) -> str:
    parts = []
    for label, cfg in zip(sim.lockstep.labels, sim.lockstep.configs, strict=True):
        parts.append(
            f"{label} — {cfg.organisation.name}: {cfg.service.model}, {cfg.rollout.strategy} rollout, "
            f"{cfg.citizens.count:,} {cfg.service.audience}"
        )
    return "; ".join(parts)


@solara.component
def Views_(sim: Sim, frame: solara.Reactive[Frame | None], playing: solara.Reactive[bool]):
    f = frame.value
    if f is None:
        return
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
        Md(readout_table(sim))
    with solara.Card("Curves", margin=0):
        solara.Image(f.frames["curves"], width="100%", classes=["egov-curves"])

    def network_and_scorecard() -> None:
        with solara.Card("Departments and partners", margin=0):
            solara.Image(f.frames["network"], width="100%", classes=["egov-network"])
        with solara.Card("Perspectives × relations scorecard", margin=0):
            solara.Image(f.frames["scorecard"], width="100%", classes=["egov-scorecard"])

    if len(sim.lockstep.models) == 1:
        with solara.Columns([1, 1]):
            network_and_scorecard()
    else:  # two panels each: full width
        network_and_scorecard()


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
def Page():
    mode = solara.use_reactive(MODES[0])
    start = solara.use_memo(lambda: Settings.from_scenario(DEFAULT_SCENARIO), [])
    a = solara.use_reactive(start)
    b = solara.use_reactive(solara.use_memo(lambda: flip(start), []))
    seed = solara.use_reactive(solara.use_memo(lambda: load_scenario(DEFAULT_SCENARIO).run.seed, []))
    error = solara.use_reactive(None)
    playing = solara.use_reactive(False)
    every = solara.use_reactive(1)
    auto = solara.use_reactive(False)
    # One simulation per mode, so switching to Compare and back keeps the single run.
    single = solara.use_reactive(solara.use_memo(lambda: Sim.build(start, None, seed.value), []))
    compare = solara.use_reactive(None)
    # use_reactive(x) re-syncs whenever x changes between renders: pass memoised values.
    single_frame = solara.use_reactive(solara.use_memo(lambda: Frame(0, single.value.frames), []))
    compare_frame = solara.use_reactive(None)
    building = solara.use_memo(threading.Lock, [])

    comparing = mode.value == "Compare"
    sim, frame = (compare, compare_frame) if comparing else (single, single_frame)

    def reset() -> None:
        playing.set(False)
        with building:
            try:
                new = Sim.build(a.value, b.value if comparing else None, int(seed.value))
            except ScenarioError as exc:
                error.set(str(exc))
                return
        error.set(None)
        sim.set(new)
        frame.set(Frame(0, dict(new.frames)))

    def switch(value: str) -> None:
        playing.set(False)
        mode.set(value)
        if value == "Compare" and compare.value is None:
            try:
                new = Sim.build(a.value, b.value, int(seed.value))
            except ScenarioError as exc:
                error.set(str(exc))
                return
            compare.set(new)
            compare_frame.set(Frame(0, dict(new.frames)))

    solara.Title("egov-sim: back-office integration")
    solara.Style(CSS)
    with solara.AppBar():
        solara.AppBarTitle("egov-sim: back-office integration in e-government")
        solara.ToggleButtonsSingle(value=mode.value, values=MODES, on_value=switch, classes=["egov-mode"])

    if mode.value == "Results":
        ResultsPage()
        return

    current = sim.value
    with solara.Sidebar(), solara.Column():
        with solara.Card("Run", margin=0):
            RunControls(sim, frame, seed, playing, every, auto, reset)
        if error.value:
            solara.Error(error.value, classes=["egov-error"])
        wanted = (a.value, b.value) if comparing else (a.value,)
        changed = pending_changes(current, wanted, seed.value)
        if changed:
            solara.Info(
                f"Changed ({', '.join(changed)}): takes effect after Reset.",
                dense=True,
                classes=["egov-pending"],
            )
        ConfigControls(a, error, "Configuration A" if comparing else "Configuration")
        if comparing:
            ConfigControls(b, error, "Configuration B")

    if current is None:
        solara.Info("Press Reset to build the comparison.")
        return
    Views_(current, frame, playing)
    with solara.Card("Legend", margin=0):
        Md(LEGEND)
