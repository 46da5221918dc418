"""Seeds derived from a master seed, so replications and design points are reproducible
and share common random numbers (the same replication index gives the same seed)."""

from __future__ import annotations

import numpy as np


def derive_seed(master: int, *keys: int) -> int:
    """A 63-bit seed from ``master`` and integer ``keys`` (e.g. the replication index)."""
    state = np.random.SeedSequence([int(master), *map(int, keys)]).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def replication_seeds(master: int, replications: int) -> list[int]:
    """Seeds of replications 0..n-1; identical for every scenario compared (CRN)."""
    return [derive_seed(master, r) for r in range(replications)]
