"""Analytical check of citizen adoption against the Bass model (brief §3.8, pattern 1).

``bass_curve`` runs the model's own adoption code (:class:`simulation.mechanisms.adoption.Population`)
alone, with constant service quality 1, skill dependence 0 and no privacy drag, so the
monthly adoption probability of a non-adopter is ``p + q * A`` (A the adopted share of its
contacts). Under full mixing its expected path is the discrete Bass map

    F(t+1) = F(t) + (p + q F(t)) (1 - F(t)),   F(0) = 0,

whose continuous-time limit is the Bass solution

    F(t) = (1 - exp(-(p+q) t)) / (1 + (q/p) exp(-(p+q) t)).

The two differ by the Euler step of one month, which matters when p + q is not small.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ..config import CitizensConfig
from ..mechanisms.adoption import Population


def bass_continuous(p: float, q: float, t: np.ndarray | float) -> np.ndarray:
    """Continuous Bass adoption fraction at time ``t`` (same time unit as p, q; p > 0)."""
    if p <= 0:
        raise ValueError(f"p must be > 0 for the continuous Bass solution, got {p}")
    t = np.asarray(t, dtype=float)
    e = np.exp(-(p + q) * t)
    return (1.0 - e) / (1.0 + (q / p) * e)


def bass_discrete(p: float, q: float, months: int, f0: float = 0.0) -> np.ndarray:
    """Discrete Bass map ``F' = F + (p + qF)(1 - F)``; array of length ``months + 1``."""
    out = np.empty(months + 1)
    f = float(f0)
    out[0] = f
    for t in range(1, months + 1):
        f = f + (p + q * f) * (1.0 - f)
        out[t] = f
    return out


def bass_curve(
    n: int,
    p: float,
    q: float,
    months: int,
    *,
    network: Literal["complete", "small_world"] = "complete",
    seed: int = 0,
    degree: int = 8,
    rewiring: float = 0.1,
) -> np.ndarray:
    """Adoption fraction per month (length ``months + 1``, starting at 0) of ``n`` citizens
    running the model's adoption code alone with quality 1, no skill effect, no privacy drag.

    Args:
        n: citizens (≥ 10). p, q: Bass coefficients per month (0..1).
        network: ``"complete"`` (full mixing) or ``"small_world"`` (the model's
            Watts–Strogatz network with ``degree`` and ``rewiring``).
        seed: seed of the population and adoption streams.
    """
    cfg = CitizensConfig(
        count=n, p=p, q=q, network=network, degree=degree, rewiring=rewiring, initial_adoption=0.0
    )
    pop_seq, adopt_seq = np.random.SeedSequence(int(seed)).spawn(2)
    pop = Population(cfg, np.random.default_rng(pop_seq))
    pop.set_skill_dependence(0.0)
    rng = np.random.default_rng(adopt_seq)
    out = np.empty(months + 1)
    out[0] = pop.adoption
    for month in range(1, months + 1):
        pop.step(month, 1.0, 0.0, rng)
        out[month] = pop.adoption
    return out


@dataclass
class BassCase:
    """Mean simulated curve of one (p, q, n, network) case and its deviations."""

    p: float
    q: float
    n: int
    network: str
    seeds: int
    mean: np.ndarray = field(repr=False)
    max_dev_discrete: float = 0.0
    max_dev_continuous: float = 0.0


#: (p, q) per month checked: model default, the meta-analysis figures per year / 12, fast.
PAIRS: tuple[tuple[float, float], ...] = ((0.004, 0.06), (0.03 / 12, 0.38 / 12), (0.01, 0.2))


def check(
    pairs: tuple[tuple[float, float], ...] = PAIRS,
    sizes: tuple[int, ...] = (1_000, 10_000, 50_000),
    seeds: int = 5,
    months: int = 240,
    small_world_n: int = 50_000,
) -> list[BassCase]:
    """Mean curves over ``seeds`` seeds for every (p, q) and size under full mixing, and
    at ``small_world_n`` on the model's small-world network, with max |deviation|."""
    cases = []
    for p, q in pairs:
        disc = bass_discrete(p, q, months)
        cont = bass_continuous(p, q, np.arange(months + 1))
        runs = [(n, "complete") for n in sizes] + [(small_world_n, "small_world")]
        for n, net in runs:
            mean = np.mean([bass_curve(n, p, q, months, network=net, seed=s) for s in range(seeds)], axis=0)
            cases.append(
                BassCase(
                    p,
                    q,
                    n,
                    net,
                    seeds,
                    mean,
                    float(np.max(np.abs(mean - disc))),
                    float(np.max(np.abs(mean - cont))),
                )
            )
    return cases
