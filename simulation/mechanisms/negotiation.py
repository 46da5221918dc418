"""The "digital polder model": package deals, detail burden and stochastic agreement
(brief §3.2).

A party opened for negotiation first settles its issues, one Bernoulli trial per open
issue per month, then decides; a rejection reopens one issue and counts a round.

    issues   = round(1 + issues_per_objective * breadth + detail_issues * detail)
    p_settle = settle_rate * (0.5 + 0.5 T) * (1 - consultation_slowdown * consultation)
    B        = w_1 + (1 - detail_rigidity * detail) * (w_2 + ... + w_breadth)
               (the party's objective weights, its own vision, over the bundled objectives:
               a detailed blueprint leaves little room to trade objectives, so the extra
               objectives of a package deal count only as far as the vision is at main lines)
    U        = benefit_weight * T * m * B
             + compensation_weight * T * (1 - exp(-offer / compensation_scale))
             - investment_weight * (1 - exp(-I_own / investment_scale))
             - cost_weight * complexity * (1 - readiness)
             - autonomy_loss * power
             - resistance_weight * R
             - uncertainty_weight * u
    P(agree) = 1 / (1 + exp(-decisiveness * U))

T is the party's trust in the programme, m its belief that benefits materialise, u its
uncertainty, I_own the investment it bears itself (M€, rework and the share other
governments bear included). Compensation is a promise, valued only as far as the programme
is trusted (without trust it buys little); the own investment is certain and is not
discounted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..config import NegotiationConfig


def issues_to_settle(breadth: int, detail: float, cfg: NegotiationConfig) -> int:
    """Issues a party must settle before it decides (≥ 1)."""
    return max(1, round(1 + cfg.issues_per_objective * breadth + cfg.detail_issues * detail))


def settle_probability(trust: float, consultation: float, cfg: NegotiationConfig) -> float:
    """Monthly probability that one open issue is settled (0..1)."""
    return cfg.settle_rate * (0.5 + 0.5 * trust) * (1.0 - cfg.consultation_slowdown * consultation)


def recognised_benefit(
    weights: np.ndarray, breadth: int, detail: float = 0.0, rigidity: float = 0.0
) -> float:
    """Share of a party's own vision (objective weights, summing to 1) the package serves;
    the extra objectives of a package count ``1 - rigidity * detail``."""
    extra = float(np.sum(weights[1:breadth]))
    return float(weights[0]) + (1.0 - rigidity * detail) * extra


def investment_value(own_investment: float, cfg: NegotiationConfig) -> float:
    """Utility lost to the investment a party bears itself (M€), concave."""
    return cfg.investment_weight * (1.0 - math.exp(-own_investment / cfg.investment_scale))


def compensation_value(offer: float, trust: float, cfg: NegotiationConfig) -> float:
    """Utility of an offer (M€): concave in money, scaled by trust (the lubricant)."""
    return cfg.compensation_weight * trust * (1.0 - math.exp(-offer / cfg.compensation_scale))


@dataclass(frozen=True)
class Position:
    """What a party brings to the table; all fractions in [0, 1]."""

    trust: float
    belief: float
    benefit: float
    readiness: float
    power: float
    resistance: float
    uncertainty: float
    investment: float = 0.0  # own investment, M€


#: Readable names of the utility terms (events.csv causes).
TERM_NAMES = {
    "benefit": "recognised, trusted benefit",
    "compensation": "trusted compensation",
    "investment": "own investment",
    "effort": "integration effort (complexity, readiness)",
    "autonomy": "loss of autonomy x power",
    "resistance": "resistance",
    "uncertainty": "uncertainty",
}


def utility_terms(
    pos: Position, offer: float, complexity: float, autonomy_loss: float, cfg: NegotiationConfig
) -> dict[str, float]:
    """The signed terms of :func:`utility`, by name (see :data:`TERM_NAMES`)."""
    return {
        "benefit": cfg.benefit_weight * pos.trust * pos.belief * pos.benefit,
        "compensation": compensation_value(offer, pos.trust, cfg),
        "investment": -investment_value(pos.investment, cfg),
        "effort": -cfg.cost_weight * complexity * (1.0 - pos.readiness),
        "autonomy": -autonomy_loss * pos.power,
        "resistance": -cfg.resistance_weight * pos.resistance,
        "uncertainty": -cfg.uncertainty_weight * pos.uncertainty,
    }


def utility(
    pos: Position, offer: float, complexity: float, autonomy_loss: float, cfg: NegotiationConfig
) -> float:
    """Net utility of agreeing (dimensionless; the equation is in the module docstring)."""
    return sum(utility_terms(pos, offer, complexity, autonomy_loss, cfg).values())


def agreement_probability(u: float, cfg: NegotiationConfig) -> float:
    """Logistic probability of agreeing once all issues are settled."""
    return 1.0 / (1.0 + math.exp(-cfg.decisiveness * u))
