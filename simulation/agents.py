"""The agents: departments and partners (few, per-agent logic), citizens and businesses
(many; thin views on the population arrays), and the change programme."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._mesa import mesa  # Mesa's submodules, not its whole package (start-up time)
from .config import PartyGroup
from .mechanisms import implementation, learning, negotiation, resistance
from .mechanisms.costs import investment_split

if TYPE_CHECKING:
    from .protocols import ModelView

#: Party states, in the order a party moves through them.
STATES = ("waiting", "negotiating", "committed", "integrating", "integrated", "refused", "withdrawn")
OPEN = frozenset({"negotiating", "committed", "integrating"})


class Party(mesa.Agent):
    """A department or partner organisation. Fractions are in [0, 1]; money in M€."""

    kind = "party"
    model: ModelView

    def __init__(
        self, model: ModelView, index: int, group: PartyGroup, rng: np.random.Generator, number: int = 1
    ):
        super().__init__(model)
        cfg = model.config
        spread = cfg.departments.heterogeneity

        def draw(mean: float) -> float:
            return float(np.clip(rng.normal(mean, spread), 0.02, 0.98))

        self.index = index
        self.stream = rng  # the party's own stream: common random numbers across strategies
        self.group = group.name
        self.name = f"{group.name} {number}" if group.count > 1 else group.name
        self.public = group.public
        self.power = draw(group.power)
        self.baseline_resistance = draw(group.resistance)
        self.resistance = self.baseline_resistance
        self.readiness = draw(group.readiness)
        self.staff = group.staff
        # The group's counters together serve ``reach`` of the public; each party the share
        # r with 1 - (1 - r)^count = reach (overlapping, independent channels).
        self.reach = 1.0 - (1.0 - group.reach) ** (1.0 / group.count)
        self.account = f"{self.kind}:{self.name}"
        # Objective weights (the party's own vision); objective 0 is the programme's lead.
        self.weights = rng.dirichlet(np.ones(4))
        self.trust = draw(cfg.trust.initial)
        self.trust_ceiling = 1.0
        self.belief = draw(cfg.learning.initial_belief)
        self.uncertainty = float(
            min(1.0, cfg.learning.initial_uncertainty * (1.5 - cfg.negotiation.scope_clarity))
        )
        self.hit = float(rng.uniform())  # how hard the change hits its interests (hidden)
        self.state = "waiting"
        self.issues = 0
        self.rounds = 0
        self.progress = 0.0
        self.offer = 0.0
        self.promised = 0.0
        self.received = 0.0
        self.failures = 0
        self.overrun = 0.0
        self.spent = 0.0
        self.opened_at: int | None = None
        self.agreed_at: int | None = None
        self.finished_at: int | None = None
        self.late_surprise = 0.0
        self.pending_surprise = 0.0
        self.late_peak = 0.0  # highest resistance after agreement
        self.last_terms: dict[str, float] = {}
        # Resistance added since the party was opened, by source (events.csv causes).
        self.rise = dict.fromkeys(("change load", "failures", "unpaid promises", "scope surprise"), 0.0)
        self.retargeted = False  # got the adjustment's targeted compensation already

    @property
    def relation(self) -> str:
        return "employees"

    @property
    def profile(self):
        return self.model.service.params_for(self)

    def set_state(self, state: str) -> None:
        self.state = state
        self.model.moved = True

    def open(self) -> None:
        """Start negotiating: the issues to settle and the part of the scope seen early."""
        cfg = self.model.config
        self.set_state("negotiating")
        self.opened_at = self.model.month
        self.issues = negotiation.issues_to_settle(
            cfg.negotiation.package_breadth, cfg.negotiation.initial_detail, cfg.negotiation
        )
        self.pending_surprise += resistance.scope_surprise(
            self.hit, cfg.negotiation.scope_clarity, cfg.resistance, late=False
        )

    def own_investment(self) -> float:
        """What integrating costs this party itself, M€: the profile's investment plus rework
        for a vague start, less what other governments bear of a public party's joint part."""
        cfg = self.model.config
        total = self.profile.investment * (1.0 + implementation.rework_share(cfg.negotiation))
        return investment_split(
            total, self.public, cfg.costs.shared_investment, cfg.costs.sharing_governments
        )[0]

    def position(self) -> negotiation.Position:
        neg = self.model.config.negotiation
        return negotiation.Position(
            trust=self.trust,
            belief=self.belief,
            benefit=negotiation.recognised_benefit(
                self.weights, neg.package_breadth, neg.initial_detail, neg.detail_rigidity
            ),
            readiness=self.readiness,
            power=self.power,
            resistance=self.resistance,
            uncertainty=self.uncertainty,
            investment=self.own_investment(),
        )

    def agreement_probability(self, offer: float) -> float:
        cfg = self.model.config.negotiation
        prof = self.profile
        self.last_terms = negotiation.utility_terms(
            self.position(), offer, prof.complexity, prof.autonomy_loss, cfg
        )
        return negotiation.agreement_probability(sum(self.last_terms.values()), cfg)

    def _strongest(self, sign: int) -> str:
        """The utility term that weighed most for (sign 1) or against (-1) at the last decision."""
        name, value = max(self.last_terms.items(), key=lambda kv: sign * kv[1])
        return f"{negotiation.TERM_NAMES[name]} ({value:+.2f})"

    def negotiate(self) -> None:
        """One month at the table: settle issues, then decide on the offer."""
        cfg = self.model.config.negotiation
        programme = self.model.programme
        if self.issues > 0:
            p = negotiation.settle_probability(self.trust, programme.consultation, cfg)
            self.issues -= int(self.stream.binomial(self.issues, p))
            if self.issues > 0:
                return
        offer = programme.offer_for(self)
        p_agree = self.agreement_probability(offer)
        if self.stream.random() < p_agree:
            self.commit(offer)
            self.model.log(
                self,
                "agreed",
                f"offer {offer:.2f} M€, P(agree) {p_agree:.2f}; weighed most for: {self._strongest(1)}",
            )
            return
        self.rounds += 1
        if self.rounds >= cfg.max_rounds:
            self.set_state("refused")
            self.finished_at = self.model.month
            self.model.record("defection", self)
            self.model.log(
                self,
                "refused",
                f"rejected {self.rounds} offers (last {offer:.2f} M€, P(agree) {p_agree:.2f}); "
                f"weighed most against: {self._strongest(-1)}",
            )
        else:
            self.issues = 1  # a rejection reopens an issue

    def commit(self, offer: float) -> None:
        cfg = self.model.config
        self.set_state("committed")
        self.agreed_at = self.model.month
        self.model.programme.promise(self, offer)
        # The scope is pinned down now: what a vague start hid comes out.
        self.late_surprise = resistance.scope_surprise(
            self.hit, cfg.negotiation.scope_clarity, cfg.resistance, late=True
        )
        self.pending_surprise += self.late_surprise

    def implement(self, load: float) -> None:
        """One month of integration work; failures set progress back and overrun cost."""
        model = self.model
        cfg = model.config
        prof = self.profile
        if self.state == "committed":
            self.set_state("integrating")
        hazard = implementation.failure_hazard(
            prof.complexity,
            load,
            self.readiness,
            model.experience,
            cfg.implementation,
            pace_cut=model.programme.pace_cut,
            uncertainty=self.uncertainty,
            uncertainty_hazard=cfg.learning.uncertainty_hazard,
        )
        if self.stream.random() < hazard:
            self.failures += 1
            self.progress = max(0.0, self.progress - cfg.implementation.setback)
            cost = implementation.overrun(prof.investment, load, self.stream, cfg.implementation)
            self.overrun += cost
            model.ledger.pay("overrun", self.account, "suppliers", cost)
            model.record("failure", self)
            model.log(
                self,
                "failure",
                f"hazard {hazard:.3f} at change load {load:.2f}; progress set back to {self.progress:.2f}, "
                f"overrun {cost:.2f} M€",
            )
            return
        step = implementation.progress_rate(
            self.readiness,
            prof.duration,
            load,
            implementation.rework_share(cfg.negotiation),
            cfg.implementation,
        ) * (1.0 - 0.5 * model.programme.pace_cut)
        step = min(step, 1.0 - self.progress)
        self.progress += step
        model.moved = model.moved or step > 0
        # Rework for a vague start costs time (progress_rate) and money, in proportion.
        invest = prof.investment * (1.0 + implementation.rework_share(cfg.negotiation)) * step
        own, others = investment_split(
            invest, self.public, cfg.costs.shared_investment, cfg.costs.sharing_governments
        )
        self.spent += own
        model.ledger.pay("investment", self.account, "suppliers", own)
        model.ledger.pay("investment", "other_governments", "suppliers", others)
        if self.progress >= 1.0 - 1e-12:
            self.set_state("integrated")
            self.finished_at = model.month
            model.programme.pay(self, 0.5 * self.promised)  # the second half of the promise
            model.record("integrated", self)
            model.log(
                self,
                "integrated",
                f"after {model.month - self.agreed_at} months of implementation, {self.failures} failure(s)",
            )

    def withdraw(self) -> None:
        self.set_state("withdrawn")
        self.finished_at = self.model.month
        self.model.record("defection", self)
        source = max(self.rise.items(), key=lambda kv: kv[1])[0]
        self.model.log(
            self,
            "withdrew",
            f"resistance {self.resistance:.2f} above {self.model.config.resistance.withdraw_threshold:.2f}, "
            f"trust {self.trust:.2f}, progress {self.progress:.2f}; resistance came mostly from {source}",
        )


class Department(Party):
    """A back office of the government organisation."""

    kind = "department"


class PartnerOrganisation(Party):
    """A public or private partner: links its back office (integration) or serves as a
    channel for a fee (fragmentation)."""

    kind = "partner"

    @property
    def relation(self) -> str:
        return "governments" if self.public else "businesses"


class Citizen(mesa.Agent):
    """One member of the public; its state lives in ``model.population`` arrays."""

    __slots__ = ("index",)

    def __init__(self, model: ModelView, index: int):
        super().__init__(model)
        self.index = index

    @classmethod
    def populate(cls, model: ModelView, n: int) -> None:
        """Create and register ``n`` agents with indices 0..n-1 in bulk (``citizen_agents
        = "mesa"``).

        Does what ``Agent.__init__`` does for each agent (model, unique_id, pos, entry in
        ``model.agents`` and ``model.agents_by_type``) in a few dict updates instead of a
        million signal-emitting calls: 100,000 citizens take 0.1 s instead of 0.45 s.
        ``AGENT_ADDED`` is not emitted per citizen (no observer in this project needs it).
        """
        from mesa.agentset import _HardKeyAgentSet

        start = model.agent_id_counter
        model.agent_id_counter = start + n
        keyed = dict.fromkeys(cls._make(model, n, start))
        model._all_agents._agents.update(keyed)
        if cls in model._agents_by_type:
            model._agents_by_type[cls]._agents.update(keyed)
        else:
            model._agents_by_type[cls] = _HardKeyAgentSet(list(keyed), random=model.random)

    @classmethod
    def view(cls, model: ModelView, n: int) -> CitizenSet:
        """Reserve ``n`` unique ids and register a :class:`CitizenSet` that makes the agents
        only when something asks for them (``citizen_agents = "view"``, the default)."""
        start = model.agent_id_counter
        model.agent_id_counter = start + n
        agents = CitizenSet.lazy(model, cls, n, start)
        model._agents_by_type[cls] = agents
        return agents

    @classmethod
    def _make(cls, model: ModelView, n: int, start: int) -> list[Citizen]:
        new = object.__new__
        agents = [new(cls) for _ in range(n)]
        for i, agent in enumerate(agents):
            agent.model = model
            agent.unique_id = start + i
            agent.pos = None
            agent.index = i
        return agents

    def _get(self, name: str):
        return getattr(self.model.population, name)[self.index]

    @property
    def adopted(self) -> bool:
        return bool(self._get("adopted"))

    @property
    def adopted_at(self) -> int | None:
        m = int(self._get("adopted_at"))
        return None if m < 0 else m

    @property
    def skill(self) -> float:
        return float(self._get("skill"))

    @property
    def privacy_concern(self) -> float:
        return float(self._get("privacy"))

    @property
    def legitimacy(self) -> float:
        return float(self._get("legitimacy"))

    @property
    def contacts(self) -> list[int]:
        pop = self.model.population
        if pop.indptr is None:
            return [i for i in range(pop.n) if i != self.index]
        return pop.indices[pop.indptr[self.index] : pop.indptr[self.index + 1]].tolist()


def _hard_key_agent_set() -> type:
    from mesa.agentset import _HardKeyAgentSet

    return _HardKeyAgentSet


class CitizenSet(_hard_key_agent_set()):
    """``model.agents_by_type[Citizen]`` without a Python object per citizen until asked.

    Its length is known at once; the first access to its members (iteration, ``in``,
    ``select``, ``do``, indexing ...) makes the ``n`` agents, with the unique ids reserved
    when the model was built, and adds them to ``model.agents``. From then on it is an
    ordinary Mesa agent set, as with ``citizen_agents = "mesa"``. The agents are views on
    the population arrays either way, so making them changes no result.
    """

    def __init__(self, agents=(), random=None):
        self._pending: tuple[ModelView, type[Citizen], int, int] | None = None
        self._made: dict[Citizen, None] = {}
        super().__init__(agents, random)

    @classmethod
    def lazy(cls, model: ModelView, kind: type[Citizen], n: int, first_id: int) -> CitizenSet:
        """``n`` agents of class ``kind`` with ids from ``first_id``, made on first access."""
        agents = cls(random=model.random)
        agents._pending = (model, kind, n, first_id)
        return agents

    @property
    def made(self) -> bool:
        """Whether the agent objects exist yet."""
        return self._pending is None

    @property
    def _agents(self) -> dict[Citizen, None]:
        if self._pending is not None:
            model, kind, n, first_id = self._pending
            self._pending = None
            self._made = dict.fromkeys(kind._make(model, n, first_id))
            model._all_agents._agents.update(self._made)
        return self._made

    @_agents.setter
    def _agents(self, value: dict[Citizen, None]) -> None:
        self._agents  # noqa: B018 -- make (and register) them before replacing the order
        self._made = value

    def __len__(self) -> int:
        return self._pending[2] if self._pending is not None else len(self._made)


class Business(Citizen):
    """A firm using a business-facing service."""

    __slots__ = ()


class ChangeProgramme(mesa.Agent):
    """The process manager: compensation budget, offers and payments, adjustment.

    The budget it may spend follows political support (``[politics]``): the ceiling is
    ``budget * (1 + budget_elasticity * (support - initial_support))``, never below what was
    already paid.
    """

    model: ModelView

    def __init__(self, model: ModelView):
        super().__init__(model)
        cfg = model.config.negotiation
        self.budget = cfg.compensation_budget
        self.ceiling = cfg.compensation_budget
        self.promised_total = 0.0
        self.paid = 0.0
        self.unpaid = 0.0
        self.consultation = cfg.consultation
        self.paused = False
        self.alarmed = False
        self.alarm_months = 0  # consecutive alarmed months (an episode)
        self.pace_cut = 0.0
        self.wave_factor = 1.0  # re-phasing: share of the planned wave size opened
        self.adjustments = 0

    @property
    def remaining(self) -> float:
        return max(0.0, self.ceiling - self.paid)

    def follow_support(self, support: float) -> None:
        """Set the budget ceiling from political support (0..1)."""
        pol = self.model.config.politics
        factor = max(0.0, 1.0 + pol.budget_elasticity * (support - pol.initial_support))
        self.ceiling = max(self.paid, self.budget * factor)

    def offer_for(self, party: Party) -> float:
        """Offer (M€) within what may still be promised: ``ceiling * overcommit - promised``."""
        cfg = self.model.config
        offer = cfg.negotiation.compensation_offer
        if self.alarmed and party.resistance > cfg.learning.resistance_alarm:
            offer *= 1.0 + cfg.learning.adjustment
        capacity = self.ceiling * cfg.negotiation.overcommit - self.promised_total
        return max(0.0, min(offer, capacity))

    def promise(self, party: Party, offer: float) -> None:
        """Promise ``offer`` on agreement; half is paid now, half at integration."""
        party.promised = offer
        self.promised_total += offer
        self.pay(party, 0.5 * offer)

    def pay(self, party: Party, due: float) -> None:
        """Pay what is due from the remaining budget; the rest is an unpaid promise."""
        if due <= 0:
            return
        paid = min(due, self.remaining)
        self.paid += paid
        party.received += paid
        if paid > 0:
            self.model.ledger.pay("compensation", "programme", party.account, paid)
            self.model.record("paid", party, paid)
        if due - paid > 1e-12:
            self.unpaid += due - paid
            self.model.record("unpaid", party, (due - paid) / due)
            self.model.log(
                party, "unpaid promise", f"{due - paid:.2f} of {due:.2f} M€ due not paid: the budget is spent"
            )

    def adjust(self, mean_open_resistance: float, recent_failures: int) -> None:
        """React to alarms (learning.alarmed) with room for adjustment a (0..1): pause new
        waves for up to 6 months of an alarm episode, then re-phase (waves of (1 - a/2) the
        planned size); consult more (+0.4 a); slow the pace (hazard x (1 - a/2), progress
        x (1 - a/4)); re-target compensation (offers x (1 + a) to resisting parties, and a
        one-off a x offer / 2 to committed parties above the resistance alarm)."""
        cfg = self.model.config
        a = cfg.learning.adjustment
        was = self.alarmed
        self.alarmed = learning.alarmed(mean_open_resistance, recent_failures, cfg.learning)
        if self.alarmed != was:
            why = (
                f"mean resistance of open parties {mean_open_resistance:.2f} "
                f"(alarm {cfg.learning.resistance_alarm:.2f}), {recent_failures} failure(s) in 6 months "
                f"(alarm {cfg.learning.failure_alarm})"
            )
            self.model.log(None, "adjusting" if self.alarmed else "adjustment ends", why)
        self.alarm_months = self.alarm_months + 1 if self.alarmed else 0
        self.adjustments += int(self.alarmed)
        self.paused = self.alarmed and self.alarm_months <= 6
        self.wave_factor = 1.0 - 0.5 * a if self.alarmed else 1.0
        self.consultation = min(1.0, cfg.negotiation.consultation + (0.4 * a if self.alarmed else 0.0))
        self.pace_cut = 0.5 * a if self.alarmed else 0.0
        if self.alarmed and a > 0:
            bonus = 0.5 * a * cfg.negotiation.compensation_offer
            for p in self.model.parties:
                if (
                    p.state in {"committed", "integrating"}
                    and not p.retargeted
                    and p.resistance > cfg.learning.resistance_alarm
                    and self.remaining > 0
                ):
                    p.retargeted = True
                    self.pay(p, min(bonus, self.remaining))
