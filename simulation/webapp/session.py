"""Per-browser-session state of the app, free of any UI code (so it is unit-testable).

A :class:`Settings` is what the sidebar controls hold; :func:`build_config` turns it into
a validated :class:`~simulation.config.ScenarioConfig`; a :class:`Lockstep` owns one model
(single run) or two (compare mode) built from the same seed and steps them together.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, replace
from typing import Any

from ..config import ScenarioConfig
from ..model import EGovModel
from ..scenario_io import ScenarioError, load_scenario, shipped_scenarios, validate

DEFAULT_SCENARIO = "municipality_building_housing"

#: Range of the resistance control: a multiplier on every party group's mean resistance.
RESISTANCE_SCALE_RANGE = (0.0, 2.5)


@dataclass(frozen=True)
class Settings:
    """The values of the sidebar controls for one configuration.

    ``resistance`` is a multiplier (0..2.5) on every department and partner group's mean
    initial resistance (results clipped to [0, 1]); 1 keeps the scenario's values.
    """

    scenario: str = DEFAULT_SCENARIO
    service_model: str = "integration"
    rollout: str = "phased"
    trust: float = 0.5
    compensation: float = 2.0
    resistance: float = 1.0
    package_breadth: int = 2
    initial_detail: float = 0.3
    learning: str = "learning"
    adjustment: float = 0.5
    citizens: int = 10_000

    @classmethod
    def from_scenario(cls, scenario: str) -> Settings:
        """The controls as the scenario file sets them (raises ScenarioError if invalid)."""
        cfg = load_scenario(scenario)
        return cls(
            scenario=scenario,
            service_model=cfg.service.model,
            rollout=cfg.rollout.strategy,
            trust=cfg.trust.initial,
            compensation=cfg.negotiation.compensation_budget,
            resistance=1.0,
            package_breadth=cfg.negotiation.package_breadth,
            initial_detail=cfg.negotiation.initial_detail,
            learning=cfg.learning.strategy,
            adjustment=cfg.learning.adjustment,
            citizens=cfg.citizens.count,
        )

    def update(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def scale_resistance(config: ScenarioConfig, factor: float) -> ScenarioConfig:
    """``config`` with every party group's mean resistance multiplied by ``factor`` (clipped to 0..1)."""
    lo, hi = RESISTANCE_SCALE_RANGE
    if not lo <= factor <= hi:
        raise ScenarioError(f"resistance scale: must be between {lo} and {hi}, got {factor!r}")
    if factor == 1.0:
        return config

    # Validated like any scenario (model_copy would skip the checks).
    data = config.model_dump()
    for section in ("departments", "partners"):
        for g in data[section]["groups"]:
            g["resistance"] = min(1.0, g["resistance"] * factor)
    return validate(data, f"resistance scale {factor!r}")


def build_config(settings: Settings, seed: int) -> ScenarioConfig:
    """Validated scenario for ``settings`` and ``seed``; bad values raise ScenarioError."""
    name = settings.scenario.strip()
    if not name:
        raise ScenarioError("scenario: give a shipped scenario name or a path to a .toml file")
    overrides = {
        "run": {"seed": seed},
        "service": {"model": settings.service_model},
        "rollout": {"strategy": settings.rollout},
        "trust": {"initial": settings.trust},
        "negotiation": {
            "compensation_budget": settings.compensation,
            "package_breadth": settings.package_breadth,
            "initial_detail": settings.initial_detail,
        },
        "learning": {"strategy": settings.learning, "adjustment": settings.adjustment},
        "citizens": {"count": settings.citizens},
    }
    config = load_scenario(name, overrides=overrides)
    return scale_resistance(config, settings.resistance)


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
