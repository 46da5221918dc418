"""Typed, validated parameters of the model.

Every section of a scenario file is one class here; every key is a field with its unit,
range and default. ``docs/ODD.md`` lists the same table (``egov-sim params`` prints it).
Money is in millions of euros (M€) unless a field says otherwise; time is in months.
"""

# No `from __future__ import annotations`: sections read their annotations as types.
from typing import Any, Literal, Self

from .sections import Field, Section, field_validator, model_validator

ServiceModelName = Literal["integration", "fragmentation", "hybrid"]
RolloutName = Literal["big_bang", "phased", "pilot"]
OrganisationType = Literal["municipality", "province", "water_board", "executive_agency"]

#: What an organisation type changes (brief §2; article: "Burgers hebben van nature weinig
#: contact met provincies", the province's value lies in its relation with municipalities):
#: (represented population, persons; citizen contact, service needs per person-month
#: relative to a municipality; government-to-government value, multiplier of the saving of
#: a working link with another government).
ORGANISATION_PROFILES: dict[str, tuple[int, float, float]] = {
    "municipality": (100_000, 1.0, 1.0),
    "province": (1_100_000, 0.15, 4.0),
    "water_board": (700_000, 0.25, 3.0),
    "executive_agency": (13_000_000, 0.6, 1.0),
}
RELATIONS = ("citizens", "businesses", "governments", "employees")


def _f(default: Any, description: str, **kw: Any) -> Any:
    return Field(default, description=description, **kw)


class RunConfig(Section):
    months: int = _f(180, "Simulated months (one step = one month)", ge=1, le=1200)
    seed: int = _f(42, "Master seed; every random stream derives from it", ge=0, le=2**63 - 1)


class OrganisationConfig(Section):
    type: OrganisationType = _f(
        "municipality",
        "Organisation type; sets the represented population, citizen contact and the value of links "
        "with other governments (ORGANISATION_PROFILES)",
    )
    name: str = _f("Municipality", "Label used in tables and plots", max_length=120)
    citizen_contact: float | None = _f(
        None,
        "Service needs per person-month relative to a municipality (scales adoption and citizen "
        "savings); empty = the organisation type's value (municipality 1, province 0.15, water board "
        "0.25, executive agency 0.6)",
        ge=0,
        le=10,
    )
    government_value: float | None = _f(
        None,
        "Multiplier of the saving of a working link with another government; empty = the type's "
        "value (municipality 1, province 4, water board 3, executive agency 1)",
        ge=0,
        le=100,
    )

    @property
    def contact(self) -> float:
        return ORGANISATION_PROFILES[self.type][1] if self.citizen_contact is None else self.citizen_contact

    @property
    def g2g(self) -> float:
        return ORGANISATION_PROFILES[self.type][2] if self.government_value is None else self.government_value


class ServiceConfig(Section):
    model: ServiceModelName = _f("integration", "Service-delivery model (strategy plugged into the model)")
    audience: Literal["citizens", "businesses"] = _f(
        "citizens", "Who uses the service: citizens (Citizen agents) or businesses"
    )
    intrusiveness: float = _f(0.3, "Pro-active linking of files, 0 none .. 1 full profiling", ge=0, le=1)
    service_focus: float = _f(
        0.5,
        "Share of the programme framed as customer service; raises expectations, and the rest "
        "(1 - service_focus) is the citizenship (participation) channel",
        ge=0,
        le=1,
    )
    proactive_reach: float = _f(
        0.5,
        "Extra adoption probability (share) at full intrusiveness and full linking: the government "
        "approaches citizens itself",
        ge=0,
        le=5,
    )
    proactive_saving: float = _f(
        0.5, "Extra citizen saving (share) at full intrusiveness and full linking: less effort", ge=0, le=5
    )


class ServiceModelParams(Section):
    autonomy_loss: float = _f(0.5, "Loss of autonomy a party suffers, per unit power", ge=0, le=1)
    complexity: float = _f(1.0, "Implementation complexity multiplier", ge=0.05, le=5)
    duration: float = _f(12.0, "Months to integrate at readiness 1, no load, no rework", gt=0, le=240)
    investment: float = _f(0.5, "Investment per party, M€", ge=0, le=1000)
    quality_ceiling: float = _f(1.0, "Highest service quality/reach reachable", ge=0, le=1)
    skill_dependence: float = _f(
        0.5, "How much adoption depends on digital skill, 0 none .. 1 fully", ge=0, le=1
    )
    visibility: float = _f(1.0, "Share of citizens' experience credited to government", ge=0, le=1)
    channel_fee: float = _f(
        0.0, "Fee to private channel partners, € per adopter-month at citizen contact 1", ge=0, le=1000
    )
    link_trust: float = _f(
        0.35,
        "Mutual trust two parties need to share an information domain (read from [integration] only)",
        ge=0,
        le=1,
    )


def _integration() -> ServiceModelParams:
    # Back offices redesign around one front office: the "battle of the back offices".
    return ServiceModelParams(
        autonomy_loss=0.35,
        complexity=1.0,
        duration=9.0,
        investment=0.8,
        quality_ceiling=1.0,
        skill_dependence=0.7,
        visibility=1.0,
        channel_fee=0.0,
    )


def _fragmentation() -> ServiceModelParams:
    # Hired counters: a separate system per task, little interference, government invisible.
    return ServiceModelParams(
        autonomy_loss=0.15,
        complexity=0.4,
        duration=4.5,
        investment=0.25,
        quality_ceiling=0.65,
        skill_dependence=0.25,
        visibility=0.2,
        channel_fee=0.5,
    )


class HybridConfig(Section):
    partner_channels: bool = _f(True, "Partners act as channels (fragmentation) while departments integrate")


class PartyGroup(Section):
    name: str = _f("party", "Label of the group", max_length=120)
    count: int = _f(1, "Number of parties in the group", ge=1, le=500)
    public: bool = _f(True, "Public organisation (may share investments) or private")
    power: float = _f(0.5, "Mean bureau-political power", ge=0, le=1)
    resistance: float = _f(0.3, "Mean initial resistance", ge=0, le=1)
    readiness: float = _f(0.5, "Mean information/IT maturity", ge=0, le=1)
    reach: float = _f(0.0, "Share of the public served by the group's counters (all parties)", ge=0, le=1)
    staff: int = _f(40, "Staff affected per party, persons", ge=0, le=100_000)


def _default_departments() -> list[PartyGroup]:
    return [
        PartyGroup(name="civil affairs", count=1, power=0.5, resistance=0.25, readiness=0.6, staff=60),
        PartyGroup(
            name="building & environment", count=1, power=0.6, resistance=0.35, readiness=0.5, staff=50
        ),
        PartyGroup(name="taxes", count=1, power=0.5, resistance=0.3, readiness=0.6, staff=30),
        PartyGroup(name="social affairs", count=1, power=0.55, resistance=0.35, readiness=0.4, staff=70),
    ]


def _default_partners() -> list[PartyGroup]:
    return [
        PartyGroup(
            name="housing corporation",
            count=3,
            public=False,
            power=0.45,
            resistance=0.35,
            readiness=0.45,
            reach=0.5,
            staff=20,
        ),
        PartyGroup(
            name="estate agent",
            count=3,
            public=False,
            power=0.3,
            resistance=0.3,
            readiness=0.5,
            reach=0.4,
            staff=10,
        ),
    ]


class DepartmentsConfig(Section):
    groups: list[PartyGroup] = Field(
        default_factory=_default_departments,
        description="Back offices of the government organisation, as groups",
        min_length=1,
        max_length=50,
    )
    heterogeneity: float = _f(
        0.1,
        "Spread (sd) of every party's attributes around its group means (departments and partners)",
        ge=0,
        le=0.5,
    )

    @property
    def count(self) -> int:
        return sum(g.count for g in self.groups)


class PartnersConfig(Section):
    groups: list[PartyGroup] = Field(
        default_factory=_default_partners,
        description="Partner organisations, as groups",
        min_length=0,
        max_length=50,
    )

    @property
    def count(self) -> int:
        return sum(g.count for g in self.groups)


class CitizensConfig(Section):
    count: int = _f(
        10_000, "Simulated citizens (or businesses): a sample of the population", ge=10, le=50_000_000
    )
    population: int | None = _f(
        None,
        "Represented population, persons (or businesses); money is scaled to it; empty = the "
        "organisation type's default (municipality 100,000, province 1,100,000, water board 700,000, "
        "executive agency 13,000,000)",
        ge=1,
        le=2_000_000_000,
    )
    # Posterior medians of the ABC-SMC calibration (docs/VALIDATION.md §3a; before: 0.01, 0.08,
    # 0.25, 0.15 chosen by hand).
    p: float = _f(0.034, "Bass innovation coefficient, per month", ge=0, le=1)
    q: float = _f(0.016, "Bass imitation coefficient, per month", ge=0, le=1)
    network: Literal["small_world", "complete"] = _f(
        "small_world", "Social network: Watts-Strogatz small world or full mixing"
    )
    degree: int = _f(8, "Mean number of contacts (even)", ge=2, le=200)
    rewiring: float = _f(0.1, "Watts-Strogatz rewiring probability", ge=0, le=1)
    initial_adoption: float = _f(0.0, "Share adopted at month 0", ge=0, le=1)
    skill_base: float = _f(0.65, "Digital skill of a 45-year-old with middle education", ge=0, le=1)
    age_gradient: float = _f(0.49, "Skill lost per 40 years of age", ge=0, le=1)
    education_gradient: float = _f(0.28, "Skill gained per education level (low/mid/high)", ge=0, le=0.5)
    privacy_concern: float = _f(0.3, "Mean privacy concern", ge=0, le=1)
    privacy_weight: float = _f(0.5, "Adoption lost at full concern and full intrusiveness", ge=0, le=1)
    initial_legitimacy: float = _f(0.55, "Mean trust in government at month 0", ge=0, le=1)

    @model_validator(mode="after")
    def _even_degree(self) -> Self:
        if self.degree % 2:
            raise ValueError(f"degree must be even, got {self.degree}")
        if self.degree >= self.count:
            raise ValueError(f"degree ({self.degree}) must be smaller than count ({self.count})")
        return self


class RolloutConfig(Section):
    strategy: RolloutName = _f(
        "phased", "Rollout strategy (strategy plugged into the model); big-bang is read as big_bang"
    )

    @field_validator("strategy", mode="before")
    @classmethod
    def _spelling(cls, value: Any) -> Any:
        return value.replace("-", "_") if isinstance(value, str) else value

    wave_size: int = _f(3, "Parties opened per wave (phased)", ge=1, le=1000)
    wave_gap: int = _f(6, "Months between waves (phased)", ge=0, le=240)
    wait_for_previous: bool = _f(True, "A wave waits until the previous one settled")
    pilot_size: int = _f(2, "Parties in the pilot (pilot rollout)", ge=1, le=1000)


class NegotiationConfig(Section):
    package_breadth: int = _f(2, "Objectives bundled in the package deal (1 = single issue)", ge=1, le=4)
    initial_detail: float = _f(0.3, "Detail of the vision at the start, 0 vague .. 1 blueprint", ge=0, le=1)
    scope_clarity: float = _f(0.6, "How clearly processes and parties are bounded", ge=0, le=1)
    compensation_budget: float = _f(2.0, "Compensation budget, M€", ge=0, le=10_000)
    compensation_offer: float = _f(0.3, "Compensation offered per party, M€", ge=0, le=1000)
    compensation_scale: float = _f(0.3, "Offer at which compensation gives 63 % of its effect, M€", gt=0)
    compensation_weight: float = _f(0.6, "Utility of fully valued compensation", ge=0, le=5)
    consultation: float = _f(0.3, "Intensity of consultation structures", ge=0, le=1)
    issues_per_objective: float = _f(1.5, "Issues to settle per bundled objective", ge=0, le=50)
    detail_issues: float = _f(6.0, "Extra issues at full initial detail", ge=0, le=100)
    settle_rate: float = _f(0.45, "Probability an issue is settled per month at full trust", gt=0, le=1)
    consultation_slowdown: float = _f(0.5, "Settle rate lost at full consultation", ge=0, le=0.95)
    benefit_weight: float = _f(4.0, "Utility of the full recognised, trusted benefit", ge=0, le=10)
    decisiveness: float = _f(6.0, "Slope of the logistic agreement probability", gt=0, le=100)
    cost_weight: float = _f(0.5, "Utility lost per unit of complexity at readiness 0", ge=0, le=5)
    resistance_weight: float = _f(0.6, "Utility lost at resistance 1", ge=0, le=5)
    uncertainty_weight: float = _f(0.3, "Utility lost at full uncertainty", ge=0, le=5)
    max_rounds: int = _f(6, "Rejections before a party refuses for good", ge=1, le=100)
    overcommit: float = _f(1.25, "Promises the programme makes per euro of budget", ge=1, le=5)
    rework: float = _f(
        0.6, "Extra implementation time and investment at zero initial detail (share)", ge=0, le=5
    )
    rework_shape: float = _f(
        2.0, "Exponent of (1 - detail) in rework: >1 = the main lines remove most of it", ge=0.5, le=5
    )
    detail_rigidity: float = _f(
        0.7,
        "Share of the package deal's extra objectives a full blueprint leaves no room to trade (article: "
        "package deals need a vision at main lines)",
        ge=0,
        le=1,
    )
    investment_weight: float = _f(
        0.4, "Utility lost at an own investment far above investment_scale", ge=0, le=10
    )
    investment_scale: float = _f(
        2.0, "Own investment at which its utility loss reaches 63 % of investment_weight, M€", gt=0, le=1000
    )


class TrustConfig(Section):
    initial: float = _f(0.5, "Mean initial trust in the programme and between parties", ge=0, le=1)
    build_rate: float = _f(0.10, "Share of the gap to the ceiling closed by a positive event", ge=0, le=1)
    loss_rate: float = _f(0.30, "Share of trust lost by a negative event", ge=0, le=1)
    ceiling_damage: float = _f(
        0.15, "Share of the ceiling lost by a negative event (path dependence)", ge=0, le=1
    )


class ResistanceConfig(Section):
    load_sensitivity: float = _f(0.01, "Rise per month at full change load", ge=0, le=1)
    failure_sensitivity: float = _f(
        0.08, "Rise per observed failure (own = 1, peer = trust-weighted 0.3)", ge=0, le=1
    )
    unpaid_sensitivity: float = _f(0.20, "Rise per unpaid promise", ge=0, le=1)
    involvement_effect: float = _f(0.06, "Fall per month at full consultation (share)", ge=0, le=1)
    bandwagon: float = _f(0.05, "Fall per month when all trusted peers integrated (share)", ge=0, le=1)
    compensation_effect: float = _f(0.15, "Fall per M€ compensation received", ge=0, le=5)
    relaxation: float = _f(0.02, "Monthly pull back to the party's baseline", ge=0, le=1)
    scope_surprise: float = _f(0.35, "Rise when a vague scope is pinned down (at clarity 0)", ge=0, le=1)
    withdraw_threshold: float = _f(
        0.45, "Resistance above which committed parties reconsider their commitment (1 = never)", ge=0, le=1
    )
    withdraw_rate: float = _f(
        0.25,
        "Monthly withdrawal probability at resistance 1, trust 0 and no progress; scales with "
        "(R - threshold)/(1 - threshold), (1 - trust) and (1 - progress/2)",
        ge=0,
        le=1,
    )


class ImplementationConfig(Section):
    base_hazard: float = _f(
        0.01, "Monthly failure probability at complexity 1, no load, readiness 0.5", ge=0, le=1
    )
    load_hazard: float = _f(1.5, "Hazard multiplier slope per unit concurrent load", ge=0, le=50)
    load_slowdown: float = _f(0.5, "Progress slowdown per unit concurrent load", ge=0, le=20)
    setback: float = _f(0.1, "Progress lost by a failure", ge=0, le=1)
    overrun_alpha: float = _f(
        2.5, "Pareto tail index of overruns at zero load (lower = fatter)", gt=0.5, le=20
    )
    load_tail: float = _f(0.5, "Tail index divided by (1 + load_tail x load)", ge=0, le=20)
    overrun_scale: float = _f(0.3, "Overrun per failure as share of investment (Pareto scale)", ge=0, le=10)
    stall_months: int = _f(18, "Months without any progress that count as a stall", ge=1, le=1200)
    collapse_share: float = _f(
        0.5, "Share of parties refused or withdrawn that collapses the programme", gt=0, le=1
    )


class LearningConfig(Section):
    strategy: Literal["learning", "rational"] = _f(
        "learning", "Learning updates beliefs from outcomes; rational keeps the business case"
    )
    rate: float = _f(0.3, "Weight of observed outcomes in beliefs; uncertainty shrink", ge=0, le=1)
    engagement: float = _f(
        0.05,
        "Uncertainty shrink per month a learning party is at the table or implementing, as a share of "
        "rate (getting to know what the change means by taking part)",
        ge=0,
        le=1,
    )
    uncertainty_hazard: float = _f(
        1.0,
        "Extra failure hazard (share) at full uncertainty: parties that have no grip on what the change "
        "means for them make more mistakes",
        ge=0,
        le=10,
    )
    experience_gain: float = _f(
        0.3,
        "Largest hazard reduction from earlier integrations (learning by doing, any strategy)",
        ge=0,
        le=1,
    )
    experience_scale: float = _f(3.0, "Integrations that give 63 % of the experience gain", gt=0)
    adjustment: float = _f(0.5, "Room for adjustment between waves, 0 none .. 1 full", ge=0, le=1)
    resistance_alarm: float = _f(0.45, "Mean resistance that makes the programme adjust", ge=0, le=1)
    failure_alarm: int = _f(2, "Failures in the last 6 months that make it adjust", ge=1, le=1000)
    initial_belief: float = _f(0.6, "Business-case belief that benefits materialise", ge=0, le=1)
    initial_uncertainty: float = _f(
        0.5, "Uncertainty about benefits, x (1.5 - scope_clarity), capped at 1", ge=0, le=1
    )


class LegitimacyConfig(Section):
    rate: float = _f(
        0.03,
        "Monthly weight of experience in trust in government (share of the gap to 1, or to 0, closed "
        "per unit of quality above, or below, expectation)",
        ge=0,
        le=1,
    )
    expectation: float = _f(0.4, "Service quality citizens expect", ge=0, le=1)
    expectation_boost: float = _f(0.3, "Extra expectation at full service focus", ge=0, le=1)
    privacy_erosion: float = _f(0.004, "Monthly loss at full concern, intrusiveness and linking", ge=0, le=1)
    participation_rate: float = _f(
        0.002,
        "Monthly share of the gap to full legitimacy closed by the citizenship channel at service_focus 0 "
        "(citizens as citoyen: involvement in policy, not only service)",
        ge=0,
        le=1,
    )
    relaxation: float = _f(0.01, "Monthly pull back to the initial level", ge=0, le=1)


class CostsConfig(Section):
    citizen_saving: float = _f(
        1.5, "Saving per adopting citizen at citizen contact 1 (time, travel), € per month", ge=0, le=1000
    )
    business_saving: float = _f(
        8.0, "Saving per adopting business at contact 1, € per month", ge=0, le=10_000
    )
    government_saving: float = _f(
        0.004, "Saving per working back-office link, split over its two ends, M€/month", ge=0, le=10
    )
    staff_saving: float = _f(
        0.00015, "Saving per affected staff member once integrated, M€/month", ge=0, le=1
    )
    shared_investment: float = _f(
        0.3, "Share of public parties' investment built jointly with other governments", ge=0, le=1
    )
    sharing_governments: int = _f(
        2,
        "Other governments sharing the joint investment (e.g. neighbouring municipalities building one "
        "counter); the joint part is split equally over them and the party, 0 = nobody shares",
        ge=0,
        le=1000,
    )
    consultation_cost: float = _f(0.01, "Cost of full consultation per open party, M€/month", ge=0, le=10)
    participation_cost: float = _f(
        0.001,
        "Cost of the citizenship channel per 100,000 represented people at service_focus 0, M€/month",
        ge=0,
        le=10,
    )


class PoliticsConfig(Section):
    """Political support of the council/board: follows uptake and legitimacy, and feeds back
    into the programme's budget and patience."""

    initial_support: float = _f(0.6, "Political support at month 0", ge=0, le=1)
    rate: float = _f(0.05, "Monthly share of the gap to the target support closed", ge=0, le=1)
    uptake_weight: float = _f(0.5, "Target support gained at full adoption", ge=0, le=5)
    legitimacy_weight: float = _f(1.0, "Target support gained per unit of legitimacy change", ge=0, le=10)
    patience: int = _f(
        36, "Months the council waits for a first visible service before support erodes", ge=0, le=1200
    )
    impatience: float = _f(
        0.15,
        "Target support lost per year the first service is late beyond patience (the lateness stays "
        "counted once it arrives)",
        ge=0,
        le=5,
    )
    budget_elasticity: float = _f(
        1.0,
        "Budget change per unit of support above (below) the initial support: the ceiling is "
        "budget x (1 + elasticity x (support - initial)), never below what was paid",
        ge=0,
        le=10,
    )
    cancel_below: float = _f(
        0.2, "Support below which the council cancels the programme (collapse), 0 never", ge=0, le=1
    )


class ScenarioConfig(Section):
    """A complete, validated scenario: every section with its defaults filled in."""

    run: RunConfig = Field(default_factory=RunConfig)
    organisation: OrganisationConfig = Field(default_factory=OrganisationConfig)
    service: ServiceConfig = Field(default_factory=ServiceConfig)
    integration: ServiceModelParams = Field(default_factory=_integration)
    fragmentation: ServiceModelParams = Field(default_factory=_fragmentation)
    hybrid: HybridConfig = Field(default_factory=HybridConfig)
    departments: DepartmentsConfig = Field(default_factory=DepartmentsConfig)
    partners: PartnersConfig = Field(default_factory=PartnersConfig)
    citizens: CitizensConfig = Field(default_factory=CitizensConfig)
    rollout: RolloutConfig = Field(default_factory=RolloutConfig)
    negotiation: NegotiationConfig = Field(default_factory=NegotiationConfig)
    trust: TrustConfig = Field(default_factory=TrustConfig)
    resistance: ResistanceConfig = Field(default_factory=ResistanceConfig)
    implementation: ImplementationConfig = Field(default_factory=ImplementationConfig)
    learning: LearningConfig = Field(default_factory=LearningConfig)
    legitimacy: LegitimacyConfig = Field(default_factory=LegitimacyConfig)
    costs: CostsConfig = Field(default_factory=CostsConfig)
    politics: PoliticsConfig = Field(default_factory=PoliticsConfig)

    @property
    def population(self) -> int:
        """Represented population (persons or businesses); ``citizens.population`` or the
        organisation type's default."""
        pop = self.citizens.population
        return ORGANISATION_PROFILES[self.organisation.type][0] if pop is None else pop

    @property
    def scale(self) -> float:
        """Represented people per simulated agent."""
        return self.population / self.citizens.count

    def flat(self) -> dict[str, Any]:
        """Parameters as ``{"section.key": value}`` (party groups stay lists of dicts)."""
        out: dict[str, Any] = {}
        for section, value in self.model_dump().items():
            for key, v in value.items():
                out[f"{section}.{key}"] = v
        return out


def scalar_parameters() -> dict[str, tuple[type[Section], str]]:
    """Every scalar ``section.key`` that ``--set`` and keyword arguments accept."""
    out: dict[str, tuple[type[Section], str]] = {}
    for section, field in ScenarioConfig.model_fields.items():
        cls = field.annotation
        for key in cls.model_fields:  # type: ignore[union-attr]
            if key != "groups":
                out[f"{section}.{key}"] = (cls, key)  # type: ignore[assignment]
    return out
