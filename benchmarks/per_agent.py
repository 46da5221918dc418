"""The citizen rules of simulation.mechanisms.adoption/legitimacy written the plain Mesa way: every
citizen an agent with its own ``step()``, run with ``AgentSet.do("step")`` and reading its
contacts' agent objects. The baseline the vectorised model is compared to.

Same equations as the vectorised code; randomness drawn one citizen at a time, so results
agree in distribution, not bit for bit.
"""

from __future__ import annotations

import mesa

from simulation.model import EGovModel


class LoopCitizen(mesa.Agent):
    """A citizen that updates itself."""

    def __init__(self, model: EGovModel, index: int):
        super().__init__(model)
        pop = model.population
        self.index = index
        self.adopted = bool(pop.adopted[index])
        self.skill = float(pop.skill[index])
        self.privacy = float(pop.privacy[index])
        self.legitimacy = float(pop.legitimacy[index])
        self.legitimacy0 = float(pop.legitimacy0[index])
        self.contacts: list[LoopCitizen] = []

    def step(self) -> None:
        model = self.model
        cfg = model.config
        service = model.service_quality
        if not self.adopted and service > 0.0:  # the vectorised code skips service 0 too
            share = sum(1 for c in self.contacts if c.adopted) / len(self.contacts)
            d = model.service.skill_dependence
            prob = (cfg.citizens.p + cfg.citizens.q * share) * service * (1 - d + d * self.skill)
            prob *= 1 - model.drag * self.privacy
            if model.random.random() < prob:
                self.adopted = True
        lg = cfg.legitimacy
        value = self.legitimacy
        if self.adopted:
            value += lg.rate * model.service.visibility * (service - model.expected_quality)
        value -= model.erosion * self.privacy
        value += lg.relaxation * (self.legitimacy0 - value)
        self.legitimacy = min(1.0, max(0.0, value))


class PerAgentModel(EGovModel):
    """EGovModel whose citizens are updated one agent object at a time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pop = self.population
        adj = pop.adjacency
        citizens = [LoopCitizen(self, i) for i in range(pop.n)]
        for i, c in enumerate(citizens):
            c.contacts = [citizens[j] for j in adj.indices[adj.indptr[i] : adj.indptr[i + 1]]]
        self.loop_citizens = self.agents_by_type[LoopCitizen]

    def _citizens_month(self) -> None:
        cfg = self.config
        self.drag = cfg.citizens.privacy_weight * cfg.service.intrusiveness * self.linking
        self.erosion = cfg.legitimacy.privacy_erosion * cfg.service.intrusiveness * self.linking
        self.loop_citizens.do("step")
        n = len(self.loop_citizens)
        adopters = sum(c.adopted for c in self.loop_citizens)
        self._month_costs_and_benefits(adopters)
        self.adoption = adopters / n
        self.legitimacy = sum(c.legitimacy for c in self.loop_citizens) / n
        self.cumulative_cost = self.ledger.total_cost
        self.cumulative_benefit = self.ledger.total_benefit
