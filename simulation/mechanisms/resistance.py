"""Resistance of a party to the change (brief §3.3), one month at a time.

    R' = R + load_sensitivity * L + failure_sensitivity * F + unpaid_sensitivity * U
           + surprise
           - R * (involvement_effect * consultation + bandwagon * B)
           - compensation_effect * M
           + relaxation * (R0 - R)

clipped to [0, 1], with L the concurrent change load (0..1), F observed failures
(own = 1, a peer's weighted by trust x 0.3), U unpaid promises (share unpaid), B the
trust-weighted share of peers already integrated, M compensation received this month (M€),
R0 the party's baseline.
"""

from __future__ import annotations

from ..config import ResistanceConfig


def step(
    r: float,
    baseline: float,
    *,
    load: float,
    failures: float,
    unpaid: float,
    consultation: float,
    bandwagon: float,
    compensation: float,
    surprise: float,
    cfg: ResistanceConfig,
) -> float:
    """Resistance after one month (0..1); see the module docstring for the equation."""
    rise = (
        cfg.load_sensitivity * load
        + cfg.failure_sensitivity * failures
        + cfg.unpaid_sensitivity * unpaid
        + surprise
    )
    fall = r * (cfg.involvement_effect * consultation + cfg.bandwagon * bandwagon)
    fall += cfg.compensation_effect * compensation
    return min(1.0, max(0.0, r + rise - fall + cfg.relaxation * (baseline - r)))


def scope_surprise(hit: float, clarity: float, cfg: ResistanceConfig, *, late: bool) -> float:
    """Resistance added by how much a party's interests are hit (``hit`` 0..1).

    A clear scope shows half of it early (when the party is opened); a vague one hides the
    rest until the scope is pinned down at agreement: ``scope_surprise * hit * (1 - clarity)``.
    """
    if late:
        return cfg.scope_surprise * hit * (1.0 - clarity)
    return 0.5 * cfg.scope_surprise * hit * clarity


def withdraw_probability(r: float, trust: float, progress: float, cfg: ResistanceConfig) -> float:
    """Monthly probability that a committed party withdraws (0..1):

        withdraw_rate * max(0, (R - threshold) / (1 - threshold)) * (1 - T) * (1 - progress / 2)

    resistance above the threshold pushes, trust in the programme and sunk progress hold."""
    if cfg.withdraw_threshold >= 1.0:
        return 0.0
    over = max(0.0, (r - cfg.withdraw_threshold) / (1.0 - cfg.withdraw_threshold))
    return cfg.withdraw_rate * over * (1.0 - trust) * (1.0 - 0.5 * progress)


def withdraws(r: float, u: float, cfg: ResistanceConfig, trust: float = 0.0, progress: float = 0.0) -> bool:
    """Whether a committed party withdraws this month, given a uniform draw ``u``."""
    return u < withdraw_probability(r, trust, progress, cfg)
