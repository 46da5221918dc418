"""Trust: slow to build, fast to lose, path dependent (brief §3.4).

A positive event of size ``s`` (0..1) closes a share ``build_rate * s`` of the gap to the
ceiling; a negative event removes a share ``loss_rate * s`` of the trust and lowers the
ceiling by a share ``ceiling_damage * s``, so repeated damage caps later recovery.
Works on scalars and numpy arrays alike (party trust in the programme, pairwise matrix).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..config import TrustConfig


def build(trust: ArrayLike, ceiling: ArrayLike, size: ArrayLike, cfg: TrustConfig) -> np.ndarray:
    """Trust after a positive event: ``T + build_rate * s * (C - T)``, never above C."""
    t = np.asarray(trust, dtype=float)
    c = np.asarray(ceiling, dtype=float)
    s = np.clip(np.asarray(size, dtype=float), 0.0, 1.0)
    return np.minimum(t + cfg.build_rate * s * np.maximum(c - t, 0.0), c)


def damage(
    trust: ArrayLike, ceiling: ArrayLike, size: ArrayLike, cfg: TrustConfig
) -> tuple[np.ndarray, np.ndarray]:
    """(trust, ceiling) after a negative event: ``T(1 - loss_rate s)``, ``C(1 - damage s)``."""
    t = np.asarray(trust, dtype=float)
    c = np.asarray(ceiling, dtype=float)
    s = np.clip(np.asarray(size, dtype=float), 0.0, 1.0)
    new_c = c * (1.0 - cfg.ceiling_damage * s)
    new_t = np.minimum(t * (1.0 - cfg.loss_rate * s), new_c)
    return new_t, new_c


def update(
    trust: ArrayLike, ceiling: ArrayLike, good: ArrayLike, bad: ArrayLike, cfg: TrustConfig
) -> tuple[np.ndarray, np.ndarray]:
    """One month: negative events first (they dominate), then positive ones."""
    t, c = damage(trust, ceiling, bad, cfg)
    return build(t, c, good, cfg), c
