"""Implementation of committed parties (brief §3.5).

    rework share       = rework * (1 - detail) ** rework_shape
    progress per month = (0.3 + 0.7 readiness)
                         / (duration * (1 + rework share))
                         / (1 + load_slowdown * L)
    hazard h           = min(1, base_hazard * complexity * (1 + load_hazard * L)
                                * (1.5 - readiness) * (1 + uncertainty_hazard * u)
                                * (1 - experience) * (1 - pace_cut))
    overrun per failure = investment * overrun_scale * X,  X ~ Lomax(alpha),
    alpha              = overrun_alpha / (1 + load_tail * L)

L is the concurrent change load (share of parties negotiating or implementing). A failure
sets progress back by ``setback``. The Lomax (Pareto II) tail gets fatter (alpha smaller)
the more change runs at once.
"""

from __future__ import annotations

import numpy as np

from ..config import ImplementationConfig, NegotiationConfig


def rework_share(cfg: NegotiationConfig) -> float:
    """Extra implementation time and investment (share) for what the start left vague:
    ``rework * (1 - initial_detail) ** rework_shape``."""
    return cfg.rework * (1.0 - cfg.initial_detail) ** cfg.rework_shape


def progress_rate(
    readiness: float, duration: float, load: float, rework: float, cfg: ImplementationConfig
) -> float:
    """Share of the integration completed in one month (0..1); ``rework`` from :func:`rework_share`."""
    months = duration * (1.0 + rework)
    return (0.3 + 0.7 * readiness) / months / (1.0 + cfg.load_slowdown * load)


def failure_hazard(
    complexity: float,
    load: float,
    readiness: float,
    experience: float,
    cfg: ImplementationConfig,
    pace_cut: float = 0.0,
    uncertainty: float = 0.0,
    uncertainty_hazard: float = 0.0,
) -> float:
    """Monthly probability of a failure or setback (0..1); ``uncertainty`` is the party's
    (0..1), which a learning strategy shrinks."""
    h = cfg.base_hazard * complexity * (1.0 + cfg.load_hazard * load) * (1.5 - readiness)
    h *= 1.0 + uncertainty_hazard * uncertainty
    return float(min(1.0, h * (1.0 - experience) * (1.0 - pace_cut)))


def tail_index(load: float, cfg: ImplementationConfig) -> float:
    """Pareto tail index of overruns at concurrent load ``load`` (smaller = fatter)."""
    return cfg.overrun_alpha / (1.0 + cfg.load_tail * load)


def overrun(investment: float, load: float, rng: np.random.Generator, cfg: ImplementationConfig) -> float:
    """Cost overrun of one failure, M€ (heavy-tailed, ≥ 0)."""
    return float(investment * cfg.overrun_scale * rng.pareto(tail_index(load, cfg)))
