"""Rollout strategies (brief §3.1): which waiting parties are opened for negotiation.

Parties are taken in order of readiness (most ready first: a concrete first step). The
rollout is asked at month 0 and every month after; ``model.programme.paused`` (set by
adjustment) holds back new waves. Add one with ``@register("name")``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from ..config import ScenarioConfig
from .registry import registrar

if TYPE_CHECKING:
    from ..agents import Party
    from ..protocols import ModelView

ROLLOUTS: dict[str, type[Rollout]] = {}
DECIDED = {"committed", "integrating", "integrated", "refused", "withdrawn"}
FINISHED = {"integrated", "refused", "withdrawn"}


register = registrar(ROLLOUTS)


class Rollout(ABC):
    name = "abstract"

    def __init__(self, config: ScenarioConfig):
        self.config = config
        self.waves: list[list[Party]] = []
        self.last_opened: int | None = None

    def order(self, model: ModelView) -> list[Party]:
        return sorted(model.parties, key=lambda p: (-p.readiness, p.index))

    @abstractmethod
    def to_open(self, model: ModelView) -> list[Party]:
        """Parties to open this month (all of them ``waiting``)."""

    def open(self, model: ModelView) -> list[Party]:
        wave = self.to_open(model)
        if wave:
            self.waves.append(wave)
            self.last_opened = model.month
        return wave


@register("big_bang")
class BigBang(Rollout):
    """Every party in negotiation at month 0."""

    def to_open(self, model: ModelView) -> list[Party]:
        return self.order(model) if not self.waves else []


@register("phased")
class Phased(Rollout):
    """Waves of ``wave_size`` parties (times the programme's re-phasing factor), ``wave_gap``
    months apart; with ``wait_for_previous`` a wave waits until every party of the previous
    one decided."""

    def to_open(self, model: ModelView) -> list[Party]:
        cfg = self.config.rollout
        waiting = [p for p in self.order(model) if p.state == "waiting"]
        if not waiting:
            return []
        if self.waves:
            if model.programme.paused or model.month - self.last_opened < cfg.wave_gap:
                return []
            if cfg.wait_for_previous and any(p.state not in DECIDED for p in self.waves[-1]):
                return []
        # Re-phasing (adjustment): smaller waves while the programme is alarmed.
        size = max(1, round(cfg.wave_size * model.programme.wave_factor))
        return waiting[:size]


@register("pilot")
class Pilot(Rollout):
    """A pilot of ``pilot_size`` parties; the rest all at once when the pilot finished."""

    def to_open(self, model: ModelView) -> list[Party]:
        waiting = [p for p in self.order(model) if p.state == "waiting"]
        if not self.waves:
            return waiting[: self.config.rollout.pilot_size]
        pilot_done = all(p.state in FINISHED for p in self.waves[0])
        if len(self.waves) == 1 and not model.programme.paused and pilot_done:
            return waiting
        return []


def make_rollout(config: ScenarioConfig) -> Rollout:
    return ROLLOUTS[config.rollout.strategy](config)
