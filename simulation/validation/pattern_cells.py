"""The cells of the pattern map: every shipped scenario in every trust/resistance region.

A *cell* is one shipped scenario (found in ``scenarios/`` at run time) in one region
(:data:`REGIONS`, the only place the regions are defined). :func:`make_config` builds a
pattern condition of a cell from scenario parameters only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import ScenarioConfig
from ..io.scenario_io import shipped_scenarios
from .runs import scenario


@dataclass(frozen=True)
class Region:
    """Every party group's resistance x ``resistance_scale`` (clipped to 1) and
    trust.initial ``trust`` (None: the scenario's own value)."""

    name: str
    resistance_scale: float
    trust: float | None

    def describe(self) -> str:
        if self.resistance_scale == 1.0 and self.trust is None:
            return "the scenario's own resistance and trust.initial"
        t = "the scenario's trust.initial" if self.trust is None else f"trust.initial {self.trust}"
        return f"every group's resistance x{self.resistance_scale} (clipped to 1), {t}"


#: The trust/resistance regions of the map (the one place they are defined).
REGIONS: tuple[Region, ...] = (
    Region("hostile", 1.5, 0.3),
    Region("default", 1.0, None),
    Region("friendly", 0.5, 0.7),
)

#: Regions a quick run covers unless told otherwise (keeps it within CI's two minutes).
QUICK_REGIONS: tuple[str, ...] = ("hostile", "friendly")


@dataclass(frozen=True)
class Cell:
    """One scenario in one region, with the facts the designs need."""

    scenario: str
    region: Region
    config: ScenarioConfig  # the scenario in the region (party-level population)

    @property
    def key(self) -> str:
        return f"{self.scenario}|{self.region.name}"

    @property
    def parties(self) -> int:
        return self.config.departments.count + self.config.partners.count

    @property
    def trust(self) -> float:
        return float(self.config.trust.initial)

    @property
    def investment(self) -> float:
        """Investment per party (M€) of the scenario's own service model."""
        model = self.config.service.model
        return float(getattr(self.config, model if model != "hybrid" else "integration").investment)

    @property
    def waves(self) -> int:
        """Waves a phased rollout with the scenario's wave size would have."""
        return math.ceil(self.parties / self.config.rollout.wave_size)

    @property
    def channel_reach(self) -> float:
        return float(sum(g.reach for g in self.config.partners.groups))


def region_sets(region: Region) -> dict[str, Any]:
    return {} if region.trust is None else {"trust.initial": region.trust}


#: The parameter draw the map runs under (``validate-patterns --ensemble``); None = as written.
ENSEMBLE_DRAW: dict[str, float] | None = None


def make_config(cell_scenario: str, region: Region, sets: Mapping[str, Any], heavy: bool) -> ScenarioConfig:
    """The scenario in ``region`` with ``sets``; party-level patterns use 300 citizens
    under full mixing, ``heavy`` ones (adoption matters) 2,000 on the small-world network.
    Under :data:`ENSEMBLE_DRAW` the draw is applied too, except to what the condition and
    the region set (they are the pattern's own conditions)."""
    kw = {"citizens": 2000, "network": "small_world"} if heavy else {"citizens": 300, "network": "complete"}
    cfg = scenario(
        {**region_sets(region), **sets}, base=cell_scenario, resistance_scale=region.resistance_scale, **kw
    )
    if ENSEMBLE_DRAW:
        from ..runs.ensemble import configure

        cfg = configure(cfg, ENSEMBLE_DRAW, {*sets, *region_sets(region)}, "validation ensemble draw")
    return cfg


def cells(scenarios: Sequence[str] | None = None, regions: Sequence[str] | None = None) -> list[Cell]:
    """Every shipped scenario (or those named) x every region (or those named)."""
    names = list(scenarios) if scenarios else list(shipped_scenarios())
    regs = [r for r in REGIONS if not regions or r.name in regions]
    return [Cell(s, r, make_config(s, r, {}, heavy=False)) for s in names for r in regs]
