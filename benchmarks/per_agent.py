"""The citizen rules of simulation.adoption/legitimacy written as a plain per-agent
``step()`` loop over Mesa agent objects: the baseline the vectorised model is compared to.

Same equations, one Python call per citizen per month; randomness from the same adoption
stream but drawn one citizen at a time, so results agree in distribution, not bit for bit.
"""

from __future__ import annotations

import numpy as np

from simulation.agents import Citizen
from simulation.model import EGovModel


class LoopCitizen(Citizen):
    """A citizen that updates itself."""

    __slots__ = ("adopted_", "skill_", "privacy_", "legit_", "legit0_", "contacts_")

    def step(self, service: float, drag: float, visibility: float, expected: float, erosion: float) -> None:
        model = self.model
        cfg = model.config
        contacts = self.contacts_
        share = sum(1 for j in contacts if model.loop_citizens[j].adopted_) / len(contacts)
        if not self.adopted_:
            d = model.service.skill_dependence
            prob = (cfg.citizens.p + cfg.citizens.q * share) * service * (1 - d + d * self.skill_)
            prob *= 1 - drag * self.privacy_
            if model.loop_rng.random() < prob:
                self.adopted_ = True
        lg = cfg.legitimacy
        value = self.legit_
        if self.adopted_:
            value += lg.rate * visibility * (service - expected)
        value -= erosion * self.privacy_
        value += lg.relaxation * (self.legit0_ - value)
        self.legit_ = min(1.0, max(0.0, value))


class PerAgentModel(EGovModel):
    """EGovModel whose citizens are updated one agent object at a time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pop = self.population
        adj = pop.adjacency
        self.loop_rng = np.random.default_rng(0)
        self.loop_citizens = []
        for i in range(pop.n):
            c = LoopCitizen.__new__(LoopCitizen)
            c.model = self
            c.index = i
            c.adopted_ = bool(pop.adopted[i])
            c.skill_ = float(pop.skill[i])
            c.privacy_ = float(pop.privacy[i])
            c.legit_ = float(pop.legitimacy[i])
            c.legit0_ = float(pop.legitimacy0[i])
            c.contacts_ = adj.indices[adj.indptr[i] : adj.indptr[i + 1]].tolist()
            self.loop_citizens.append(c)

    def _citizens_month(self) -> None:
        cfg = self.config
        drag = cfg.citizens.privacy_weight * cfg.service.intrusiveness * self.linking
        erosion = cfg.legitimacy.privacy_erosion * cfg.service.intrusiveness * self.linking
        vis, expected = self.service.visibility, self.expected_quality
        for c in self.loop_citizens:
            c.step(self.service_quality, drag, vis, expected, erosion)
        adopters = sum(c.adopted_ for c in self.loop_citizens)
        self._month_costs_and_benefits(adopters)
        self.adoption = adopters / len(self.loop_citizens)
        self.legitimacy = sum(c.legit_ for c in self.loop_citizens) / len(self.loop_citizens)
        self.cumulative_cost = self.ledger.total_cost
        self.cumulative_benefit = self.ledger.total_benefit
