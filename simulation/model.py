"""EGovModel: wiring of the mechanisms, month by month, and data collection."""

from __future__ import annotations

import inspect
import os
from collections import deque
from typing import Any

import numpy as np

from ._mesa import mesa  # Mesa's submodules, not its whole package (start-up time)
from .agents import OPEN, Business, ChangeProgramme, Citizen, Department, PartnerOrganisation, Party
from .config import ScenarioConfig, scalar_parameters
from .io.scenario_io import deep_merge, load_scenario, validate
from .mechanisms import learning, legitimacy, resistance, trust
from .mechanisms.adoption import Population
from .mechanisms.costs import Ledger
from .strategies.rollout import make_rollout
from .strategies.service_models import config_warnings, make_service_model

#: Columns of the time series (one row per month), each a model attribute.
SERIES = (
    "adoption",
    "service_quality",
    "integration",
    "links",
    "negotiating",
    "committed",
    "withdrawn",
    "mean_trust",
    "mean_pair_trust",
    "mean_resistance",
    "legitimacy",
    "cumulative_cost",
    "compensation_paid",
    "cumulative_benefit",
    "failures",
    "load",
    "political_support",
)

#: Streams spawned from the master seed, one per source of randomness.
STREAMS = ("mesa", "parties", "network", "citizens", "adoption")

PEER_WEIGHT = 0.3  # weight of a peer's failure or success relative to one's own


def keyword_to_override(name: str, value: Any) -> dict[str, dict[str, Any]]:
    """``rollout_wave_size=3`` -> ``{"rollout": {"wave_size": 3}}`` (section names have no _)."""
    section, _, key = name.partition("_")
    if f"{section}.{key}" not in scalar_parameters():
        raise TypeError(f"EGovModel got an unknown parameter {name!r}")
    return {section: {key: value}}


class EGovModel(mesa.Model):
    """Back-office integration in e-government (see docs/ODD.md).

    Args:
        config: a :class:`ScenarioConfig`, a scenario path or shipped name, or None for
            the built-in defaults.
        rng: seed (int) or ``numpy.random.SeedSequence``; default ``[run] seed``.
        citizen_agents: ``"view"`` or ``"mesa"`` (see :attr:`citizen_agents`).
        **params: any scalar parameter as ``section_key=value``, e.g.
            ``service_model="fragmentation"``, ``citizens_count=5000``.
    """

    #: ``"view"`` (default): citizens are the population arrays, and Mesa agent objects for
    #: them are made on first access to ``agents_by_type[Citizen]`` or ``agents`` (no
    #: ~550 B object per citizen). ``"mesa"``: real agents are made and registered at once,
    #: for subclasses with per-agent rules. Results are the same either way.
    citizen_agents: str = "view"

    def __init__(
        self,
        config: ScenarioConfig | str | os.PathLike | None = None,
        *,
        rng=None,
        citizen_agents: str | None = None,
        **params,
    ):
        if citizen_agents is not None:
            self.citizen_agents = citizen_agents
        if not isinstance(config, ScenarioConfig):
            config = load_scenario(config)
        if params:
            overrides: dict[str, Any] = {}
            for name, value in params.items():
                overrides = deep_merge(overrides, keyword_to_override(name, value))
            config = validate(deep_merge(config.model_dump(), overrides), "EGovModel(...)")
        if rng is None:
            rng = config.run.seed
        seq = rng if isinstance(rng, np.random.SeedSequence) else np.random.SeedSequence(int(rng))
        self.seed_entropy = seq.entropy
        streams = dict(zip(STREAMS, seq.spawn(len(STREAMS)), strict=True))
        super().__init__(rng=np.random.default_rng(streams["mesa"]))
        self.config = config
        self.months = config.run.months
        self.month = 0
        self.service = make_service_model(config)
        self.rollout = make_rollout(config)
        self.ledger = Ledger()
        self.programme = ChangeProgramme(self)
        self.warnings = config_warnings(config)
        self.scale = config.scale  # represented people per simulated agent
        self.political_support = config.politics.initial_support
        self.first_service_month: int | None = None
        self.cancelled = False
        self._events: list[tuple[str, Party, float]] = []
        self.events: list[dict[str, Any]] = []  # the event log (see log)
        self.moved = False
        self.still_months = 0
        self.stalled = False
        self.collapsed = False
        self.total_failures = 0
        self.recent_failures: deque[int] = deque(maxlen=6)
        self.experience = 0.0
        self.load = 0.0
        self.peak_dept_resistance = 0.0

        self._make_parties(streams["parties"])
        n = len(self.parties)
        self.pair_trust = np.clip(
            np.random.default_rng(streams["parties"].spawn(1)[0]).normal(config.trust.initial, 0.1, (n, n)),
            0.0,
            1.0,
        )
        np.fill_diagonal(self.pair_trust, 1.0)
        self.pair_ceiling = np.ones((n, n))
        self.department_mask = np.array([p.kind == "department" for p in self.parties])
        self.reach = np.array([p.reach for p in self.parties])
        self.initial_trust = float(np.mean([p.trust for p in self.parties]))

        businesses = config.service.audience == "businesses"
        self.population = Population(
            config.citizens,
            np.random.default_rng(streams["citizens"]),
            businesses=businesses,
            network_rng=np.random.default_rng(streams["network"]),
        )
        self.population.set_skill_dependence(self.service.skill_dependence)
        self._adoption_rng = np.random.default_rng(streams["adoption"])
        member = Business if businesses else Citizen
        if self.citizen_agents == "mesa":
            member.populate(self, config.citizens.count)
            self._citizen_view = None
        elif self.citizen_agents == "view":
            self._citizen_view = member.view(self, config.citizens.count)
        else:
            raise ValueError(f"citizen_agents must be 'view' or 'mesa', got {self.citizen_agents!r}")
        self.expected_quality = legitimacy.expectation(config.service.service_focus, config.legitimacy)
        self.initial_legitimacy = float(self.population.legitimacy.mean())
        self.adoption = self.population.adoption
        self.legitimacy = self.initial_legitimacy
        self.cumulative_benefit = 0.0

        self._open_wave()
        self.load = len(self.open_parties()) / len(self.parties)
        self._observe()
        self.datacollector = mesa.DataCollector(model_reporters={"step": "month", **{k: k for k in SERIES}})
        self.datacollector.collect(self)

    # ----------------------------------------------------------------- set-up helpers
    def _make_parties(self, seq: np.random.SeedSequence) -> None:
        groups = [(Department, g) for g in self.config.departments.groups]
        groups += [(PartnerOrganisation, g) for g in self.config.partners.groups]
        total = sum(g.count for _, g in groups)
        seeds = iter(seq.spawn(total))
        self.parties: list[Party] = []
        for cls, group in groups:
            for number in range(1, group.count + 1):
                rng = np.random.default_rng(next(seeds))
                party = cls(self, len(self.parties), group, rng, number)
                if party.account in self.ledger.relation:  # two groups of the same name
                    party.account = f"{party.account} ({party.index})"
                self.ledger.open_account(party.account, party.public)
                self.parties.append(party)

    # ----------------------------------------------------------------- queries
    @property
    def agents(self):
        """All agents, citizens included (made now if they are still a view)."""
        view = getattr(self, "_citizen_view", None)  # None while the model is being built
        if view is not None:
            view._agents  # noqa: B018 -- makes and registers them
        return self._all_agents

    def integrated_mask(self) -> np.ndarray:
        return np.array([p.state == "integrated" for p in self.parties])

    def open_parties(self) -> list[Party]:
        return [p for p in self.parties if p.state in OPEN]

    def log(self, party: Party | None, event: str, cause: str) -> None:
        """Add a row to the run's event log (events.csv): month, party, event, cause."""
        self.events.append(
            {
                "month": self.month,
                "party": "programme" if party is None else party.name,
                "event": event,
                "cause": cause,
            }
        )

    def record(self, kind: str, party: Party, size: float = 1.0) -> None:
        """Note an event of this month; digested by trust, resistance and learning."""
        self._events.append((kind, party, size))

    @property
    def finished(self) -> bool:
        return all(p.state in {"integrated", "refused", "withdrawn"} for p in self.parties)

    # ----------------------------------------------------------------- the month
    def step(self) -> None:
        self.month = self.steps
        self.moved = False
        if not self.collapsed:
            self._open_wave()
            self.load = len(self.open_parties()) / len(self.parties)
            for party in self.parties:
                if party.state == "negotiating":
                    party.negotiate()
            for party in self.parties:
                if party.state in {"committed", "integrating"}:
                    party.implement(self.load)
            self._digest_events()
            self._check_programme()
        self._observe()
        self._citizens_month()
        self.datacollector.collect(self)
        self.running = self.month < self.months

    def _open_wave(self) -> None:
        wave = self.rollout.open(self)
        for party in wave:
            party.open()
            self.log(party, "opened", f"wave {len(self.rollout.waves)} of the {self.rollout.name} rollout")

    def _digest_events(self) -> None:
        cfg = self.config
        n = len(self.parties)
        own_fail = np.zeros(n)
        unpaid = np.zeros(n)
        received = np.zeros(n)
        kept = np.zeros(n)
        failed = np.zeros(n)  # per party j: failed this month
        joined = np.zeros(n)  # integrated this month
        defected = np.zeros(n)
        # Events recorded during the digest (withdrawals) count next month.
        events, self._events = self._events, []
        for kind, party, size in events:
            i = party.index
            if kind == "failure":
                own_fail[i] += 1.0
                failed[i] = 1.0
            elif kind == "unpaid":
                unpaid[i] = max(unpaid[i], size)
            elif kind == "paid":
                received[i] += size
                kept[i] = 1.0
            elif kind == "integrated":
                joined[i] = 1.0
            elif kind == "defection":
                defected[i] = 1.0
        self.total_failures += int(own_fail.sum())
        self.recent_failures.append(int(own_fail.sum()))

        opened = np.array([p.opened_at is not None for p in self.parties])
        is_open = np.array([p.state in OPEN for p in self.parties])
        consult = self.programme.consultation * is_open
        offdiag = ~np.eye(n, dtype=bool)

        trust_now = np.array([p.trust for p in self.parties])
        ceil_now = np.array([p.trust_ceiling for p in self.parties])
        if events or is_open.any():
            new_t, new_c = self._update_trust(
                trust_now,
                ceil_now,
                kept,
                joined,
                opened,
                consult,
                is_open,
                failed,
                own_fail,
                unpaid,
                defected,
            )
        else:  # nothing happened: every update would have size 0, i.e. be the identity
            new_t, new_c = trust_now, ceil_now

        integrated = self.integrated_mask().astype(float)
        weights = self.pair_trust * offdiag
        bandwagon = (weights @ integrated) / np.maximum(weights.sum(1), 1e-12)
        seen_fail = own_fail + PEER_WEIGHT * (weights * failed).sum(1)
        successes = joined.sum()
        for i, p in enumerate(self.parties):
            p.trust, p.trust_ceiling = float(new_t[i]), float(new_c[i])
            if p.state in {"refused", "withdrawn"}:
                continue
            if p.opened_at is not None:
                rise = p.rise
                rise["change load"] += cfg.resistance.load_sensitivity * (
                    self.load if p.state in OPEN else 0.0
                )
                rise["failures"] += cfg.resistance.failure_sensitivity * float(seen_fail[i])
                rise["unpaid promises"] += cfg.resistance.unpaid_sensitivity * float(unpaid[i])
                rise["scope surprise"] += p.pending_surprise
            p.resistance = resistance.step(
                p.resistance,
                p.baseline_resistance,
                load=self.load if p.state in OPEN else 0.0,
                failures=float(seen_fail[i]),
                unpaid=float(unpaid[i]),
                consultation=float(consult[i]),
                bandwagon=float(bandwagon[i]),
                compensation=float(received[i]),
                surprise=p.pending_surprise,
                cfg=cfg.resistance,
            )
            p.pending_surprise = 0.0
            if p.agreed_at is not None:
                p.late_peak = max(p.late_peak, p.resistance)
            # Learning from this month's outcomes, own weighted 1, peers' PEER_WEIGHT.
            if p.state in OPEN:
                p.uncertainty = learning.shrink_uncertainty(
                    p.uncertainty, cfg.learning.engagement, cfg.learning
                )
            for outcome, own, peers in (
                (1.0, joined[i], successes - joined[i]),
                (0.0, failed[i], failed.sum() - failed[i]),
            ):
                weight = min(1.0, own + PEER_WEIGHT * peers)
                if weight > 0:
                    p.belief = learning.update_belief(p.belief, outcome, weight, cfg.learning)
                    p.uncertainty = learning.shrink_uncertainty(p.uncertainty, weight, cfg.learning)
            if p.state in {"committed", "integrating"} and resistance.withdraws(
                p.resistance, p.stream.random(), cfg.resistance, trust=p.trust, progress=p.progress
            ):
                p.withdraw()

        n_integrated = int(self.integrated_mask().sum())
        self.experience = learning.experience(n_integrated, cfg.learning)
        open_r = [p.resistance for p in self.open_parties()]
        self.programme.adjust(float(np.mean(open_r)) if open_r else 0.0, sum(self.recent_failures))

    def _update_trust(
        self, trust_now, ceil_now, kept, joined, opened, consult, is_open, failed, own_fail, unpaid, defected
    ):
        """Trust in the programme (returned) and pairwise trust (in place) after this
        month's events; see docs/ODD.md §7.4 for the event sizes."""
        cfg = self.config
        n = len(self.parties)
        T = self.pair_trust
        offdiag = ~np.eye(n, dtype=bool)
        # Trust in the programme: kept promises, milestones, consultation vs failures,
        # defections and unpaid promises.
        good = np.minimum(1.0, kept + 0.5 * joined.sum() / max(n, 1) * opened + 0.2 * consult)
        bad = np.minimum(
            1.0,
            own_fail
            + PEER_WEIGHT * (T * failed).sum(1) * opened / n
            + unpaid
            + PEER_WEIGHT * defected.sum() / n * opened,
        )
        new_t, new_c = trust.update(trust_now, ceil_now, good, bad, cfg.trust)

        # Pairwise trust T_ij (i in j): j cooperating (integrated), shared consultation vs
        # j failing or defecting.
        pair_good = 0.5 * joined[None, :] + 0.2 * np.outer(consult, is_open)
        pair_bad = defected[None, :] + PEER_WEIGHT * failed[None, :]
        pair_good = np.broadcast_to(pair_good, (n, n))
        pair_bad = np.broadcast_to(pair_bad, (n, n))
        pt, pc = trust.update(T, self.pair_ceiling, pair_good, pair_bad, cfg.trust)
        self.pair_trust = np.where(offdiag, pt, 1.0)
        self.pair_ceiling = np.where(offdiag, pc, 1.0)

        return new_t, new_c

    def _check_programme(self) -> None:
        cfg = self.config.implementation
        gone = sum(p.state in {"refused", "withdrawn"} for p in self.parties)
        cancel = self.config.politics.cancel_below
        if not self.finished and self.political_support < cancel:
            self.cancelled = True  # the council pulls the plug
            self.log(
                None, "cancelled", f"political support {self.political_support:.2f} fell below {cancel:.2f}"
            )
        if gone / len(self.parties) >= cfg.collapse_share or self.cancelled:
            self.collapsed = True
            self.log(
                None,
                "collapsed",
                "the council cancelled the programme"
                if self.cancelled
                else f"{gone} of {len(self.parties)} parties refused or withdrew (collapse share "
                f"{cfg.collapse_share:.2f})",
            )
            for p in self.parties:
                if p.state in OPEN or p.state == "waiting":
                    p.set_state("withdrawn")
                    p.finished_at = self.month
                    self.log(
                        p, "withdrew" if p.agreed_at is not None else "stopped", "the programme collapsed"
                    )
        if self.finished or self.moved:
            self.still_months = 0
        else:
            self.still_months += 1
            if self.still_months >= cfg.stall_months:
                if not self.stalled:
                    self.log(None, "stalled", f"nothing moved for {self.still_months} months")
                self.stalled = True

    def _observe(self) -> None:
        """Programme-side series for this month (cheap: parties are few)."""
        parties = self.parties
        n = len(parties)
        states = [p.state for p in parties]
        self.integration = states.count("integrated") / n
        self.negotiating = states.count("negotiating") / n
        self.committed = sum(s in {"committed", "integrating", "integrated"} for s in states) / n
        self.withdrawn = sum(s in {"refused", "withdrawn"} for s in states) / n
        self.mean_trust = float(np.mean([p.trust for p in parties]))
        off = ~np.eye(n, dtype=bool)
        self.mean_pair_trust = float(self.pair_trust[off].mean()) if n > 1 else 1.0
        self.mean_resistance = float(np.mean([p.resistance for p in parties]))
        dept_r = [p.resistance for p in parties if p.kind == "department"]
        self.peak_dept_resistance = max(self.peak_dept_resistance, float(np.mean(dept_r)))
        quality, linking = self.service.levels(self)
        self.service_quality, self.linking = float(quality), float(linking)
        if self.first_service_month is None and self.service_quality > 0:
            self.first_service_month = self.month
            self.log(None, "first service", f"service quality/reach {self.service_quality:.2f}")
        # Back-office links in the service model's sense (none under fragmentation).
        self.links = self.linking
        self.cumulative_cost = self.ledger.total_cost
        self.compensation_paid = self.programme.paid
        self.failures = self.total_failures

    @property
    def proactive(self) -> float:
        """Pro-active service level: intrusiveness x linking (0..1)."""
        return self.config.service.intrusiveness * self.linking

    def _citizens_month(self) -> None:
        cfg = self.config
        pop = self.population
        drag = cfg.citizens.privacy_weight * self.proactive
        # Effective level: fewer service needs (citizen contact) mean fewer occasions to
        # adopt; a pro-active government reaches citizens itself.
        effective = (
            self.service_quality
            * cfg.organisation.contact
            * (1.0 + cfg.service.proactive_reach * self.proactive)
        )
        pop.step(self.month, effective, drag, self._adoption_rng)
        legitimacy.step(
            pop.legitimacy,
            pop.legitimacy0,
            pop.adopted,
            pop.privacy,
            service=self.service_quality,
            visibility=self.service.visibility,
            expected=self.expected_quality,
            intrusiveness=cfg.service.intrusiveness,
            linking=self.linking,
            cfg=cfg.legitimacy,
            service_focus=cfg.service.service_focus,
            buffer=pop.scratch(),
        )
        self._month_costs_and_benefits(int(pop.adopted.sum()))
        self.adoption = pop.adoption
        self.legitimacy = float(pop.legitimacy.mean())
        self._update_support()
        self.cumulative_cost = self.ledger.total_cost
        self.cumulative_benefit = self.ledger.total_benefit

    def _update_support(self) -> None:
        """Political support moves toward a target set by uptake, legitimacy and lateness
        of the first service (docs/ODD.md, politics); the budget ceiling follows it."""
        pol = self.config.politics
        until = self.month if self.first_service_month is None else self.first_service_month
        late_years = max(0, until - pol.patience) / 12.0
        target = (
            pol.initial_support
            + pol.uptake_weight * self.adoption
            + pol.legitimacy_weight * (self.legitimacy - self.initial_legitimacy)
            - pol.impatience * late_years
        )
        target = min(1.0, max(0.0, target))
        self.political_support += pol.rate * (target - self.political_support)
        self.programme.follow_support(self.political_support)

    def _month_costs_and_benefits(self, adopters: int) -> None:
        """This month's flows (costs.py lists payer and payee of each kind)."""
        cfg = self.config
        c = cfg.costs
        led = self.ledger
        programme = self.programme
        if programme.consultation > 0:
            n_open = len(self.open_parties())
            led.pay(
                "consultation",
                "programme",
                "suppliers",
                c.consultation_cost * programme.consultation * n_open,
            )
        led.pay(
            "participation",
            "programme",
            "suppliers",
            c.participation_cost * (1.0 - cfg.service.service_focus) * cfg.population / 1e5,
        )
        represented = adopters * self.scale  # adopters in the represented population
        contact = cfg.organisation.contact  # service needs per person-month: the volume
        channels = [
            p for p in self.parties if p.state == "integrated" and p.kind == "partner" and p.reach > 0
        ]
        total_reach = sum(p.reach for p in channels)
        for p in channels:
            fee = self.service.channel_fee(p)
            if fee > 0:
                # Adopters are served by the joined channels in proportion to their reach.
                led.pay(
                    "channel_fees",
                    "programme",
                    p.account,
                    fee * contact * represented * 1e-6 * p.reach / total_reach,
                )
        if cfg.service.audience == "citizens":
            saving = c.citizen_saving * (1.0 + cfg.service.proactive_saving * self.proactive)
            led.pay("saving", "savings", "citizens", saving * contact * represented * 1e-6)
        else:
            led.pay("saving", "savings", "businesses", c.business_saving * contact * represented * 1e-6)
        links = self.service.link_matrix(self)
        if links is not None and links.any():
            g2g = cfg.organisation.g2g
            for i, j in zip(*np.nonzero(links), strict=True):
                a, b = self.parties[i], self.parties[j]
                # A link with another government carries that relation's value.
                value = c.government_saving * (
                    g2g if (a.kind == "partner" and a.public) or (b.kind == "partner" and b.public) else 1.0
                )
                led.pay("saving", "savings", a.account, 0.5 * value)
                led.pay("saving", "savings", b.account, 0.5 * value)
        for p in self.parties:
            if p.kind == "department" and p.state == "integrated" and p.staff:
                led.pay("saving", "savings", p.account, c.staff_saving * p.staff)


def _signature() -> inspect.Signature:
    defaults = ScenarioConfig().flat()
    params = [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("config", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
        inspect.Parameter("rng", inspect.Parameter.KEYWORD_ONLY, default=None),
        inspect.Parameter("citizen_agents", inspect.Parameter.KEYWORD_ONLY, default=None),
    ]
    for dotted in scalar_parameters():
        params.append(
            inspect.Parameter(
                dotted.replace(".", "_", 1), inspect.Parameter.KEYWORD_ONLY, default=defaults[dotted]
            )
        )
    return inspect.Signature(params)


EGovModel.__init__.__signature__ = _signature()  # type: ignore[attr-defined]
