"""Learning and adjustment (brief §3.6).

Learning strategy: each observed outcome (a party integrating = 1, a failure = 0) moves a
party's belief m that benefits materialise, ``m' = m + rate * s * (outcome - m)`` (s the
event's weight: own 1, a peer's 0.3), and shrinks its uncertainty, ``u' = u (1 - rate s)``;
every month at the table or implementing shrinks it too (s = ``engagement``).
Uncertainty weighs on the decision (negotiation) and raises the failure hazard
(implementation: parties that have no grip on what the change means for them make more
mistakes, article: "meer vat krijgen op de daadwerkelijke betekenis"), so learning acts
through beliefs and uncertainty. Rational strategy: the initial business case is kept.
Learning by doing happens under either strategy: earlier integrations lower the hazard of
later ones by ``experience = experience_gain * (1 - exp(-n_integrated / experience_scale))``.

Adjustment (level a in [0, 1]): while the programme is alarmed (mean resistance of open
parties above ``resistance_alarm`` or at least ``failure_alarm`` failures in the last six
months) it pauses new waves for up to six months of an alarm episode and then opens
waves of ``(1 - a/2)`` the planned size (re-phasing), intensifies consultation by ``0.4 a``,
re-targets compensation (offers x (1 + a) to resisting parties, a one-off ``a x offer / 2``
to committed parties above the resistance alarm) and slows the pace of implementation
(hazard x (1 - a/2), progress x (1 - a/4)). See ``agents.ChangeProgramme.adjust``.
"""

from __future__ import annotations

import math

from ..config import LearningConfig


def learns(cfg: LearningConfig) -> bool:
    return cfg.strategy == "learning"


def update_belief(belief: float, outcome: float, weight: float, cfg: LearningConfig) -> float:
    """Belief (0..1) after observing ``outcome`` (0 or 1) with weight 0..1."""
    if not learns(cfg):
        return belief
    return belief + cfg.rate * weight * (outcome - belief)


def shrink_uncertainty(u: float, weight: float, cfg: LearningConfig) -> float:
    """Uncertainty (0..1) after one observed outcome."""
    if not learns(cfg):
        return u
    return u * (1.0 - cfg.rate * weight)


def experience(n_integrated: int, cfg: LearningConfig) -> float:
    """Hazard reduction (0..experience_gain) from parties integrated so far (any strategy)."""
    return cfg.experience_gain * (1.0 - math.exp(-n_integrated / cfg.experience_scale))


def alarmed(mean_open_resistance: float, recent_failures: int, cfg: LearningConfig) -> bool:
    """Whether the programme sees reason to adjust this month."""
    if cfg.adjustment <= 0.0:
        return False
    return mean_open_resistance > cfg.resistance_alarm or recent_failures >= cfg.failure_alarm
