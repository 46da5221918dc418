"""Citizens (or businesses) as numpy arrays: skills, Bass adoption on the social network.

Monthly adoption probability of a citizen who has not adopted yet (brief §3.8):

    P = (p + q * A) * S * (1 - d + d * skill) * (1 - w_priv * privacy * intrusiveness * linking)

A the adopted share of the citizen's contacts (everyone else under full mixing), S the
effective service level: quality/reach (0..1) x the organisation's citizen contact x
(1 + proactive_reach x intrusiveness x linking) (computed by the model), d the service
model's skill dependence. With S = 1, d = 0,
no linking and full mixing a non-adopter sees A = N F / (N - 1), so the expected adopted
share follows F' = F + (p + q N/(N-1) F)(1 - F): the discrete Bass map, exactly so as
N grows (at N = 50,000 the factor is 1.00002).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from .config import CitizensConfig
from .network import NeighbourCounts, adopted_neighbour_share, small_world, to_scipy

if TYPE_CHECKING:
    import scipy.sparse as sp


def digital_skill(cfg: CitizensConfig, age: np.ndarray, education: np.ndarray) -> np.ndarray:
    """Skill in [0, 1]: ``skill_base - age_gradient (age - 45)/40 + education_gradient (edu - 1)``."""
    s = cfg.skill_base - cfg.age_gradient * (age - 45.0) / 40.0 + cfg.education_gradient * (education - 1.0)
    return np.clip(s, 0.0, 1.0)


class Population:
    """State of all citizens as arrays; the model's hot path."""

    def __init__(
        self,
        cfg: CitizensConfig,
        rng: np.random.Generator,
        *,
        businesses: bool = False,
        network_rng: np.random.Generator | None = None,
    ):
        n = cfg.count
        self.n = n
        self.cfg = cfg
        self.age = rng.uniform(18.0, 85.0, n)
        self.education = rng.choice(np.array([0.0, 1.0, 2.0]), size=n, p=[0.3, 0.4, 0.3])
        if businesses:
            # Firms are run by working-age people and have staff with digital skills.
            self.age = np.full(n, 45.0)
            self.education = rng.choice(np.array([1.0, 2.0]), size=n, p=[0.5, 0.5])
        self.skill = digital_skill(cfg, self.age, self.education)
        self.privacy = np.clip(rng.beta(2.0, 2.0, n) * 2.0 * cfg.privacy_concern, 0.0, 1.0)
        self.legitimacy0 = np.clip(rng.normal(cfg.initial_legitimacy, 0.1, n), 0.0, 1.0)
        self.legitimacy = self.legitimacy0.copy()
        self.adopted = rng.random(n) < cfg.initial_adoption
        self.adopted_at = np.where(self.adopted, 0, -1).astype(np.int32)
        #: The contacts as CSR arrays (None under full mixing): citizen i's contacts are
        #: ``indices[indptr[i]:indptr[i + 1]]``.
        self.indptr: np.ndarray | None = None
        self.indices: np.ndarray | None = None
        self.degree: np.ndarray | None = None
        self._counts: NeighbourCounts | None = None
        if cfg.network != "complete":
            self.indptr, self.indices = small_world(n, cfg.degree, cfg.rewiring, network_rng or rng)
            self._counts = NeighbourCounts(self.indptr, self.indices)
            self.degree = self._counts.degree
        self._efficacy = np.ones(n)

    @cached_property
    def adjacency(self) -> sp.csr_matrix | None:
        """The network as a 0/1 scipy CSR matrix (None under full mixing); built on first
        use, the model itself works on :attr:`indptr` / :attr:`indices`."""
        return None if self.indptr is None else to_scipy(self.indptr, self.indices)

    def set_skill_dependence(self, d: float) -> None:
        """Precompute ``1 - d + d * skill`` for the service model's skill dependence d."""
        self._efficacy = 1.0 - d + d * self.skill

    def adoption_probability(self, service: float, privacy_drag: float) -> np.ndarray:
        """Monthly adoption probability of every citizen (adopters included)."""
        if self._counts is None:
            share = adopted_neighbour_share(None, None, self.adopted)
        else:
            share = self._counts.share(self.adopted)
        prob = (self.cfg.p + self.cfg.q * share) * (service * self._efficacy)
        if privacy_drag > 0.0:
            prob *= 1.0 - privacy_drag * self.privacy
        return prob

    def step(self, month: int, service: float, privacy_drag: float, rng: np.random.Generator) -> int:
        """Adopt for one month; returns the number of new adopters.

        ``privacy_drag = privacy_weight * intrusiveness * linking`` (0..1).
        """
        draws = rng.random(self.n)  # drawn every month for everyone: common random numbers
        if service <= 0.0:
            return 0  # probability 0 for all: no draw can be below it
        new = (~self.adopted) & (draws < self.adoption_probability(service, privacy_drag))
        self.adopted |= new
        self.adopted_at[new] = month
        return int(new.sum())

    @property
    def adoption(self) -> float:
        return float(self.adopted.mean())
