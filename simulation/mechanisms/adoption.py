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

from ..config import CitizensConfig
from .network import NeighbourCounts, adopted_neighbour_share, small_world, to_scipy

if TYPE_CHECKING:
    import scipy.sparse as sp

#: Precision of the citizens' real-valued state (skill, privacy, legitimacy and its
#: baseline, efficacy, the monthly probability). float32 halves its memory (24 B a citizen);
#: ``benchmarks/float32_state.py`` shows every KPI stays within sampling error of float64
#: (it sets this to float64 to compare). The random draws stay float64.
STATE_DTYPE: type[np.floating] = np.float32


def digital_skill(cfg: CitizensConfig, age: np.ndarray, education: np.ndarray) -> np.ndarray:
    """Skill in [0, 1]: ``skill_base - age_gradient (age - 45)/40 + education_gradient (edu - 1)``."""
    s = cfg.skill_base - cfg.age_gradient * (age - 45.0) / 40.0 + cfg.education_gradient * (education - 1.0)
    return np.clip(s, 0.0, 1.0)


def _demography(rng: np.random.Generator, n: int, businesses: bool) -> tuple[np.ndarray, np.ndarray]:
    """Age (years) and education (0/1/2) of ``n`` citizens, or of firms' managers."""
    age = rng.uniform(18.0, 85.0, n)
    education = rng.choice(np.array([0.0, 1.0, 2.0]), size=n, p=[0.3, 0.4, 0.3])
    if businesses:
        # Firms are run by working-age people and have staff with digital skills.
        age = np.full(n, 45.0)
        education = rng.choice(np.array([1.0, 2.0]), size=n, p=[0.5, 0.5])
    return age, education


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
        self.businesses = businesses
        # Age and education are needed once, for skill; they are not kept (16 B a citizen)
        # but drawn again from this stream state when asked for (:attr:`age`).
        self._demography_state = rng.bit_generator.state
        # Drawn and computed in float64, then kept in STATE_DTYPE.
        self.dtype = dtype = np.dtype(STATE_DTYPE)
        self.skill = digital_skill(cfg, *_demography(rng, n, businesses)).astype(dtype)
        self.privacy = np.clip(rng.beta(2.0, 2.0, n) * 2.0 * cfg.privacy_concern, 0.0, 1.0).astype(dtype)
        self.legitimacy0 = np.clip(rng.normal(cfg.initial_legitimacy, 0.1, n), 0.0, 1.0).astype(dtype)
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
        self._efficacy = np.ones(n, dtype)
        self._scratch: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def age(self) -> np.ndarray:
        """Age in years (18–85; 45 for firms): drawn again, bit-identical, on each access."""
        return self._redraw()[0]

    @property
    def education(self) -> np.ndarray:
        """Education level 0, 1 or 2 (low, middle, high): drawn again on each access."""
        return self._redraw()[1]

    def _redraw(self) -> tuple[np.ndarray, np.ndarray]:
        state = self._demography_state
        bitgen = getattr(np.random, state["bit_generator"])()
        bitgen.state = state
        return _demography(np.random.Generator(bitgen), self.n, self.businesses)

    @cached_property
    def adjacency(self) -> sp.csr_matrix | None:
        """The network as a 0/1 scipy CSR matrix (None under full mixing); built on first
        use, the model itself works on :attr:`indptr` / :attr:`indices`."""
        return None if self.indptr is None else to_scipy(self.indptr, self.indices)

    def set_skill_dependence(self, d: float) -> None:
        """Precompute ``1 - d + d * skill`` for the service model's skill dependence d."""
        self._efficacy = 1.0 - d + d * self.skill

    def _buffers(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Scratch arrays reused every month (probability in the state dtype; spare in float64,
        as it takes the month's uniform draws; float32 shares): at millions of citizens
        fresh temporaries each month cost page faults and peak memory."""
        if self._scratch is None:
            n = self.n
            self._scratch = (np.empty(n, self.dtype), np.empty(n), np.empty(n, dtype=np.float32))
        return self._scratch

    def adoption_probability(self, service: float, privacy_drag: float) -> np.ndarray:
        """Monthly adoption probability of every citizen (adopters included), a new array."""
        n = self.n
        prob = np.empty(n, self.dtype)
        return self._probability(service, privacy_drag, prob, np.empty(n), np.empty(n, np.float32))

    def _probability(
        self, service: float, privacy_drag: float, prob: np.ndarray, spare: np.ndarray, small: np.ndarray
    ) -> np.ndarray:
        """:meth:`adoption_probability` into ``prob`` (``spare``, ``small``: scratch)."""
        if self._counts is None:
            share = adopted_neighbour_share(None, None, self.adopted)
        else:
            share = self._counts.share(self.adopted, out=small)
        # (p + q * share) * (service * efficacy), the first factor in float32 like share.
        np.multiply(share, self.cfg.q, out=share)
        np.add(share, self.cfg.p, out=share)
        np.multiply(self._efficacy, service, out=prob)
        np.multiply(share, prob, out=prob)
        if privacy_drag > 0.0:
            np.multiply(self.privacy, privacy_drag, out=spare)
            np.subtract(1.0, spare, out=spare)
            prob *= spare
        return prob

    def step(self, month: int, service: float, privacy_drag: float, rng: np.random.Generator) -> int:
        """Adopt for one month; returns the number of new adopters.

        ``privacy_drag = privacy_weight * intrusiveness * linking`` (0..1).
        """
        if service <= 0.0:
            rng.random(self.n)  # drawn every month for everyone: common random numbers
            return 0  # probability 0 for all: no draw can be below it
        prob, spare, small = self._buffers()
        self._probability(service, privacy_drag, prob, spare, small)
        # The month's draws (the adoption stream has no other use) into the spare buffer.
        draws = rng.random(self.n, out=spare)
        new = draws < prob
        new &= ~self.adopted
        self.adopted |= new
        self.adopted_at[new] = month
        return int(new.sum())

    def scratch(self) -> np.ndarray:
        """A scratch array (the state dtype) of size n for other monthly updates (legitimacy)."""
        return self._buffers()[0]

    @property
    def adoption(self) -> float:
        return float(self.adopted.mean())
