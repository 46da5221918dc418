"""Learning and adjustment (brief §3.6).

Learning strategy: each observed outcome (a party integrating = 1, a failure = 0) moves a
party's belief m that benefits materialise, ``m' = m + rate * s * (outcome - m)`` (s the
event's weight: own 1, a peer's 0.3), and shrinks its uncertainty, ``u' = u (1 - rate s)``;
earlier integrations also lower the failure hazard of later ones by
``experience = experience_gain * (1 - exp(-n_integrated / experience_scale))``.
Rational strategy: the initial business case is kept (no updates, no experience).

Adjustment (level a in [0, 1]): while the programme is alarmed (mean resistance of open
parties above ``resistance_alarm`` or at least ``failure_alarm`` failures in the last six
months) it pauses new waves (if a > 0), intensifies consultation by ``0.4 a``, raises
offers to parties above the resistance alarm by a share a, and slows the pace of
implementation, cutting the hazard by ``0.5 a``.
"""

from __future__ import annotations

import math

from .config import LearningConfig


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
    """Hazard reduction (0..experience_gain) from parties integrated so far."""
    if not learns(cfg):
        return 0.0
    return cfg.experience_gain * (1.0 - math.exp(-n_integrated / cfg.experience_scale))


def alarmed(mean_open_resistance: float, recent_failures: int, cfg: LearningConfig) -> bool:
    """Whether the programme sees reason to adjust this month."""
    if cfg.adjustment <= 0.0:
        return False
    return mean_open_resistance > cfg.resistance_alarm or recent_failures >= cfg.failure_alarm
