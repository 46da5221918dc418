"""Per-browser-session state of the app, free of any UI code (so it is unit-testable).

A :class:`Settings` is what the sidebar controls hold: a scenario plus one value per
:data:`LEVERS` entry; :func:`build_config` turns it into a validated
:class:`~simulation.config.ScenarioConfig`; a :class:`Lockstep` owns one model (single
run) or two (compare mode) built from the same seed and steps them together.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, get_args

from ..config import ScenarioConfig
from ..io.scenario_io import ScenarioError, deep_merge, load_scenario, shipped_scenarios, validate
from ..model import EGovModel
from ..outputs.docs import _plain_range

DEFAULT_SCENARIO = "municipality_building_housing"

#: Range of the resistance control: a multiplier on every party group's mean resistance.
RESISTANCE_SCALE_RANGE = (0.0, 2.5)
RESISTANCE_KEY = "parties.resistance_scale"
SEED_RANGE = (0, 2**63 - 1)


@dataclass(frozen=True)
class Lever:
    """One control of the sidebar: a scenario key (``section.key``) the strategist sets.

    ``lo``/``hi`` are the slider's range (the schema's range where it is finite, else a
    practical one: the slider widens to take a scenario's larger value); ``unit`` is shown
    with the value; ``help`` is the tooltip (the parameter's text from ``egov-sim params``).
    """

    key: str
    group: str
    label: str
    unit: str = ""
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    kind: str = ""  # choice | bool | int | float, from the schema
    choices: tuple[str, ...] = ()
    help: str = ""
    schema_range: str = ""

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.key.split(".", 1)[1]


#: (group, [(key, label, unit, lo, hi, step)]): every change-strategy lever of the schema
#: (what the programme decides), then the context it does not control but may vary.
_LEVER_TABLE: tuple[
    tuple[str, tuple[tuple[str, str, str, float | None, float | None, float | None], ...]], ...
] = (
    (
        "Service model",
        (
            ("service.model", "Service model", "", None, None, None),
            ("service.intrusiveness", "Pro-active linking", "0–1", 0, 1, 0.05),
            ("service.service_focus", "Service framing", "share", 0, 1, 0.05),
            ("hybrid.partner_channels", "Hybrid: partners as channels", "", None, None, None),
        ),
    ),
    (
        "Rollout",
        (
            ("rollout.strategy", "Rollout", "", None, None, None),
            ("rollout.wave_size", "Wave size", "parties", 1, 12, 1),
            ("rollout.wave_gap", "Wave gap", "months", 0, 36, 1),
            ("rollout.wait_for_previous", "Wave waits for the previous one", "", None, None, None),
            ("rollout.pilot_size", "Pilot size", "parties", 1, 12, 1),
        ),
    ),
    (
        "Negotiation",
        (
            ("negotiation.package_breadth", "Package breadth", "objectives", 1, 4, 1),
            ("negotiation.initial_detail", "Initial detail", "0 vague … 1 blueprint", 0, 1, 0.05),
            ("negotiation.scope_clarity", "Scope clarity", "0–1", 0, 1, 0.05),
            ("negotiation.consultation", "Consultation", "0–1", 0, 1, 0.05),
            ("negotiation.compensation_budget", "Compensation budget", "M€", 0, 10, 0.5),
            ("negotiation.compensation_offer", "Compensation offer per party", "M€", 0, 3, 0.05),
            ("negotiation.overcommit", "Overcommitment", "promises per €", 1, 3, 0.05),
        ),
    ),
    (
        "Learning and adjustment",
        (
            ("learning.strategy", "Learning", "", None, None, None),
            ("learning.adjustment", "Room for adjustment", "0–1", 0, 1, 0.05),
            ("learning.resistance_alarm", "Adjust at mean resistance", "0–1", 0, 1, 0.05),
            ("learning.failure_alarm", "Adjust after failures", "per 6 months", 1, 10, 1),
        ),
    ),
    (
        "Context (not controlled by the programme)",
        (
            ("trust.initial", "Initial trust", "0–1", 0, 1, 0.05),
            (RESISTANCE_KEY, "Resistance ×", "× scenario means", *RESISTANCE_SCALE_RANGE, 0.1),
            ("politics.initial_support", "Political support", "0–1", 0, 1, 0.05),
            ("citizens.count", "Simulated citizens", "agents", None, None, None),
        ),
    ),
)


def _lever(group: str, key: str, label: str, unit: str, lo, hi, step) -> Lever:
    if key == RESISTANCE_KEY:
        return Lever(
            key,
            group,
            label,
            unit,
            lo,
            hi,
            step,
            "float",
            help="Multiplies every department and partner group's mean initial resistance "
            "(results clipped to 1); 1 = the scenario's values. Not a scenario key: the app "
            "writes the scaled groups into the configuration.",
            schema_range=f"[{lo:g}, {hi:g}]",
        )
    section, name = key.split(".", 1)
    info = type(getattr(ScenarioConfig(), section)).model_fields[name]
    choices = tuple(c for c in get_args(info.annotation) if isinstance(c, str))
    kind = "choice" if choices else {bool: "bool", int: "int"}.get(info.annotation, "float")
    return Lever(
        key, group, label, unit, lo, hi, step, kind, choices, info.description or "", _plain_range(info)
    )


LEVERS: tuple[Lever, ...] = tuple(_lever(g, *row) for g, rows in _LEVER_TABLE for row in rows)
LEVER_BY_KEY = {lever.key: lever for lever in LEVERS}
GROUPS: tuple[str, ...] = tuple(g for g, _ in _LEVER_TABLE)


def tooltip(lever: Lever) -> str:
    """The tooltip text: the parameter's meaning, its key, unit and allowed range."""
    unit = f"; unit: {lever.unit}" if lever.unit else ""
    return f"{lever.help} ({lever.key}{unit}; allowed {lever.schema_range})"


def _read(config: ScenarioConfig, key: str) -> Any:
    if key == RESISTANCE_KEY:
        return 1.0
    section, name = key.split(".", 1)
    return getattr(getattr(config, section), name)


@dataclass(frozen=True)
class Settings:
    """The values of the sidebar controls for one configuration: the scenario and one value
    per lever (``values`` maps :data:`LEVERS` keys to values)."""

    scenario: str = DEFAULT_SCENARIO
    values: dict[str, Any] = field(default_factory=dict, hash=False)

    @classmethod
    def from_scenario(cls, scenario: str) -> Settings:
        """The controls as the scenario file sets them (raises ScenarioError if invalid)."""
        cfg = load_scenario(scenario)
        return cls(scenario, {lever.key: _read(cfg, lever.key) for lever in LEVERS})

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def update(self, changes: dict[str, Any] | None = None, /, **kw: Any) -> Settings:
        """A copy with ``changes`` (lever key -> value) and ``scenario=`` if given."""
        changes = {**(changes or {})}
        scenario = kw.pop("scenario", self.scenario)
        if kw:
            raise TypeError(f"unknown settings {sorted(kw)}; pass lever keys in a dict")
        unknown = sorted(set(changes) - set(LEVER_BY_KEY))
        if unknown:
            raise KeyError(f"not a lever: {', '.join(unknown)}")
        return Settings(scenario, {**self.values, **changes})

    def as_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, **self.values}

    def differs(self, other: Settings) -> list[str]:
        """Lever keys (and 'scenario') whose values differ from ``other``'s."""
        a, b = self.as_dict(), other.as_dict()
        return [k for k in a if a[k] != b.get(k)]


def scale_resistance(config: ScenarioConfig, factor: float) -> ScenarioConfig:
    """``config`` with every party group's mean resistance multiplied by ``factor`` (clipped to 0..1)."""
    lo, hi = RESISTANCE_SCALE_RANGE
    if not lo <= factor <= hi:
        raise ScenarioError(f"Resistance × (app control): must be between {lo} and {hi}, got {factor!r}")
    if factor == 1.0:
        return config

    # Validated like any scenario (model_copy would skip the checks).
    data = config.model_dump()
    for section in ("departments", "partners"):
        for g in data[section]["groups"]:
            g["resistance"] = min(1.0, g["resistance"] * factor)
    return validate(data, f"Resistance × {factor!r} (app control)")


def check_seed(seed: Any) -> int:
    """The seed as an int, or a ScenarioError naming the Seed control (not the scenario file)."""
    lo, hi = SEED_RANGE
    if isinstance(seed, bool) or not isinstance(seed, int) or not lo <= seed <= hi:
        raise ScenarioError(f"Seed (app control): must be a whole number from {lo} to {hi}, got {seed!r}")
    return seed


def build_config(settings: Settings, seed: int) -> ScenarioConfig:
    """Validated scenario for ``settings`` and ``seed``; bad values raise ScenarioError
    naming their real source: the scenario file, the Seed control or the app's controls."""
    name = settings.scenario.strip()
    if not name:
        raise ScenarioError("Scenario (app control): give a shipped scenario name or a path to a .toml file")
    base = load_scenario(name)  # the file alone: its errors are blamed on it
    overrides: dict[str, dict[str, Any]] = {"run": {"seed": check_seed(seed)}}
    for key, value in settings.values.items():
        if key != RESISTANCE_KEY:
            section, field_name = key.split(".", 1)
            overrides.setdefault(section, {})[field_name] = value
    config = validate(deep_merge(base.model_dump(), overrides), "app controls")
    return scale_resistance(config, float(settings.values.get(RESISTANCE_KEY, 1.0)))


def scenario_choices() -> list[str]:
    return list(shipped_scenarios())


class Lockstep:
    """One model, or two in compare mode, built from a common seed and stepped together.

    Each model spawns its random streams from the same master seed, so both see common
    random numbers: differences come from the configurations, not from luck.
    """

    def __init__(self, configs: list[ScenarioConfig], labels: list[str], seed: int):
        if not configs or len(configs) != len(labels):
            raise ValueError("one label per configuration")
        self.seed = int(seed)
        self.labels = list(labels)
        self.configs = list(configs)
        self.models = [EGovModel(c, rng=self.seed) for c in configs]
        # Play (a worker thread) and the buttons may step at once; one lock per session.
        self.lock = threading.RLock()

    @property
    def month(self) -> int:
        return int(self.models[0].steps)

    @property
    def months(self) -> int:
        return max(m.months for m in self.models)

    @property
    def done(self) -> bool:
        return self.month >= self.months

    def step(self, n: int = 1) -> int:
        """Advance every model by up to ``n`` months (not past the longest horizon); returns months done."""
        done = 0
        with self.lock:
            for _ in range(max(0, int(n))):
                if self.done:
                    break
                for m in self.models:
                    m.step()
                done += 1
        return done
