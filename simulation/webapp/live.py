"""A session's running simulation (:class:`Sim`: one or two models in lockstep, what the
views show, its replications) and the :class:`Frame` each redraw sends to the browser.

No Solara and no model at import time: the benchmarks and tests use :class:`Sim` directly,
and the session module, the charts and the model are imported on first use.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# One counter for the whole server: a frame's ``seq`` is what the browser acknowledges.
FRAME_NUMBERS = itertools.count(1)
EVENTS_SHOWN = 12


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
        from ..outputs import kpis as kpi_module
        from ..outputs.narrative import narrative
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


def check(wanted: tuple[Any, ...], seed: Any) -> str | None:
    """The error the controls would give at Reset (naming its source), or None."""
    from ..io.scenario_io import ScenarioError
    from .session import build_config

    try:
        for s in wanted:
            build_config(s, seed)
    except ScenarioError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class Frame:
    """What the views show; a new instance per redraw is what triggers the browser update."""

    month: int
    views: dict[str, Any]
    rate: float | None = None  # months per second while playing
    every: int = 1  # months per drawn frame while playing
    seq: int = field(default_factory=lambda: next(FRAME_NUMBERS))  # acknowledged by the browser


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
