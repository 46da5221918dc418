"""The app's "Decision map" data, free of UI code: a scenario's map (loaded from the
``map.json`` of an ``egov-sim map`` folder, or a quick map computed on demand in a background
thread) and the A/B compare a click on a cell opens.

A cell's compare: configuration A is the design with the highest probability of winning on
the chosen objective in that cell, B the runner-up, both at the cell's context (the two axis
values) and otherwise at the scenario's own levers.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..experiments import decision_map as dm
from ..io.scenario_io import ScenarioError
from .session import LEVER_BY_KEY, RESISTANCE_KEY, Settings

#: Map axis -> app lever key, where the names differ.
AXIS_TO_LEVER = {"parties.scale.resistance": RESISTANCE_KEY}
OBJECTIVE_NAMES = ("combined", *dm.OBJECTIVES)


@dataclass(frozen=True)
class MapData:
    """What the view draws: the axes, the designs, and per objective the winner and the
    probabilities of winning per cell (``winner[obj][i][j]``, ``p_win[obj][i][j][design]``)."""

    scenario: str
    x_name: str
    x_values: tuple[float, ...]
    y_name: str
    y_values: tuple[float, ...]
    designs: tuple[str, ...]
    winner: dict[str, list[list[int]]]
    p_win: dict[str, list[list[list[float]]]]
    statements: tuple[str, ...] = ()
    agreement: dict[str, float] | None = None
    source: str = ""

    @classmethod
    def from_result(cls, result: dm.MapResult, source: str = "") -> MapData:
        s = result.runs.settings
        return cls(
            s.scenario,
            s.x.name,
            s.x.values,
            s.y.name,
            s.y.values,
            tuple(dm.design_label(d) for d in dm.DESIGNS),
            {k: v.tolist() for k, v in result.winner.items()},
            {k: v.tolist() for k, v in result.p_win.items()},
            tuple(st["text"] for st in result.statements),
            None,
            source,
        )

    @classmethod
    def from_folder(cls, folder: Path) -> MapData:
        """Read ``folder/map.json`` (JSON only); a clear error naming the file and key."""
        path = Path(folder) / "map.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ScenarioError(
                f"{path}: cannot read ({exc.strerror}); is this an 'egov-sim map' folder?"
            ) from None
        except ValueError as exc:
            raise ScenarioError(f"{path}: not JSON ({exc})") from None
        try:
            st = raw["settings"]
            data = cls(
                str(st["scenario"]),
                str(st["x"]["name"]),
                tuple(float(v) for v in st["x"]["values"]),
                str(st["y"]["name"]),
                tuple(float(v) for v in st["y"]["values"]),
                tuple(str(d) for d in raw["designs"]),
                {str(k): [[int(c) for c in col] for col in v] for k, v in raw["winner"].items()},
                {str(k): v for k, v in raw["p_win"].items()},
                tuple(str(s["text"]) for s in raw.get("statements", [])),
                {str(k): float(v) for k, v in raw.get("agreement", {}).items()} or None,
                str(folder),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ScenarioError(
                f"{path}: missing or malformed key {exc}; expected the map.json of 'egov-sim map'"
            ) from None
        nx, ny = len(data.x_values), len(data.y_values)
        for k, grid in data.winner.items():
            if len(grid) != nx or any(len(col) != ny for col in grid):
                raise ScenarioError(f"{path}: winner.{k} is not a {nx} x {ny} grid")
            if any(not 0 <= c < len(data.designs) for col in grid for c in col):
                raise ScenarioError(f"{path}: winner.{k} names a design outside 0..{len(data.designs) - 1}")
        return data

    def leading(self, objective: str, i: int, j: int) -> tuple[int, int]:
        """The two designs with the highest probability of winning in cell (i, j)."""
        p = self.p_win[objective][i][j]
        order = sorted(range(len(p)), key=lambda k: (-p[k], k))
        return order[0], order[1]


def _design(label: str) -> tuple[str, str]:
    model, rollout = (s.strip() for s in label.split(",", 1))
    return model, rollout.replace(" ", "_")


def compare_settings(data: MapData, objective: str, i: int, j: int) -> tuple[Settings, Settings, str]:
    """Settings A (leading design) and B (runner-up) at cell (i, j), and a note on the context."""
    base = Settings.from_scenario(data.scenario)
    context: dict[str, Any] = {}
    notes = []
    for name, value in ((data.x_name, data.x_values[i]), (data.y_name, data.y_values[j])):
        key = AXIS_TO_LEVER.get(name, name)
        if key in LEVER_BY_KEY:
            lever = LEVER_BY_KEY[key]
            context[key] = int(round(value)) if lever.kind == "int" else round(float(value), 6)
        else:
            notes.append(f"`{name}` is not an app control: the compare runs at the scenario's value")
    first, second = data.leading(objective, i, j)
    a, b = (
        base.update({**context, "service.model": m, "rollout.strategy": r})
        for m, r in (_design(data.designs[first]), _design(data.designs[second]))
    )
    p = data.p_win[objective][i][j]
    note = (
        f"Decision map cell {data.x_name} = {data.x_values[i]:.3g}, {data.y_name} = {data.y_values[j]:.3g}, "
        f"objective {objective}: A = {data.designs[first]} (wins in {p[first]:.0%} of samples), "
        f"B = {data.designs[second]} ({p[second]:.0%})."
    )
    return a, b, " ".join([note, *notes])


class QuickMap:
    """A quick map (``egov-sim map --quick`` settings, one seed, no stability rerun) computed in
    a daemon thread; poll :attr:`progress`, :attr:`done`, :attr:`result` and :attr:`error`."""

    def __init__(self, scenario: str, seed: int | None = None, **overrides: Any) -> None:
        from ..io.scenario_io import load_scenario

        cfg = load_scenario(scenario)  # a clear error before the thread starts
        levels = overrides.pop("levels", 4)
        self.settings = dm.MapSettings(
            scenario,
            dm.Axis.parse(dm.DEFAULT_AXES[0], levels, "x axis"),
            dm.Axis.parse(dm.DEFAULT_AXES[1], levels, "y axis"),
            **{
                "draws": 3,
                "replications": 1,
                "citizens": 500,
                "seed": cfg.run.seed if seed is None else seed,
                **overrides,
            },
        )
        self._lock = threading.Lock()
        self._progress = (0, 0)
        self.result: MapData | None = None
        self.error: str | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._work, name="egov-map", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def progress(self) -> tuple[int, int]:
        with self._lock:
            return self._progress

    @property
    def done(self) -> bool:
        return self.result is not None or self.error is not None

    def _set(self, done: int, total: int) -> None:
        with self._lock:
            self._progress = (done, total)

    def _work(self) -> None:
        from ..experiments.sweep import TaskEngine

        try:
            with TaskEngine(1) as engine:  # in-process: the app's server stays one process
                runs = dm.evaluate(self.settings, self.settings.seed, engine, None, self._set)
            self.result = MapData.from_result(
                dm.analyse(runs), f"quick map computed in the app (seed {self.settings.seed})"
            )
        except Exception as exc:  # shown in the view, not raised in the thread
            self.error = f"{type(exc).__name__}: {exc}"
