"""The citizens' social network, built vectorised (networkx takes ~3 s at 100,000).

Plain numpy (CSR arrays ``indptr``, ``indices``): ``egov-sim run`` does not import
scipy.sparse (about 0.1–0.2 s of start-up). :func:`watts_strogatz` gives the same network
as a scipy CSR matrix for analysis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp


def small_world(
    n: int, degree: int, rewiring: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """CSR arrays ``(indptr, indices)`` (int32) of a symmetric Watts–Strogatz small world.

    Ring lattice: each node links to its ``degree / 2`` nearest clockwise neighbours; each
    such edge has its far end moved, with probability ``rewiring``, to a uniformly chosen
    other node (never itself). Parallel edges created by rewiring are merged, so a few
    nodes end with a slightly lower degree than ``degree``; the mean stays within 0.1 %.
    Each node's contacts are sorted (canonical CSR: what scipy.sparse builds from the
    same edges).
    """
    half = degree // 2
    src = np.repeat(np.arange(n, dtype=np.int64), half)
    dst = (src + np.tile(np.arange(1, half + 1, dtype=np.int64), n)) % n
    move = rng.random(src.size) < rewiring
    dst[move] = (src[move] + 1 + rng.integers(0, n - 1, int(move.sum()))) % n
    del move
    # Both directions as one sort key (row * n + column), written in place: the network's
    # construction sets the model's peak memory. Stable sort: both halves are nearly
    # sorted runs already, which it merges in linear time.
    m = src.size
    key = np.empty(2 * m, dtype=np.int64)
    np.multiply(src, n, out=key[:m])
    key[:m] += dst
    np.multiply(dst, n, out=key[m:])
    key[m:] += src
    del src, dst
    key.sort(kind="stable")
    keep = np.empty(key.size, dtype=bool)
    keep[:1] = True
    np.not_equal(key[1:], key[:-1], out=keep[1:])
    if not keep.all():  # parallel edges from rewiring
        key = key[keep]
    del keep
    # Row i starts at the first key >= i * n (the keys are sorted; columns are < n).
    indptr = np.searchsorted(key, np.arange(n + 1, dtype=np.int64) * n).astype(np.int32)
    np.remainder(key, n, out=key)
    return indptr, key.astype(np.int32)


def to_scipy(indptr: np.ndarray, indices: np.ndarray) -> sp.csr_matrix:
    """The 0/1 adjacency (float32 CSR) of CSR arrays from :func:`small_world`."""
    import scipy.sparse as sp

    n = indptr.size - 1
    return sp.csr_matrix((np.ones(indices.size, dtype=np.float32), indices, indptr), shape=(n, n))


def watts_strogatz(n: int, degree: int, rewiring: float, rng: np.random.Generator) -> sp.csr_matrix:
    """Symmetric 0/1 adjacency (float32 CSR) of a Watts–Strogatz small world (:func:`small_world`)."""
    return to_scipy(*small_world(n, degree, rewiring, rng))


def neighbours(indptr: np.ndarray, indices: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """The contacts of every node in ``nodes``, concatenated (with repeats)."""
    starts = indptr[nodes].astype(np.int64)
    lengths = indptr[nodes + 1] - starts
    # Position of each entry: its row's start plus its rank within the row.
    shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return indices[shift + np.arange(shift.size)]


class NeighbourCounts:
    """Per citizen, how many contacts adopted, kept up to date from the changes since the
    last call (the months' new adopters) instead of a sparse product over all contacts.
    Integer counts: the shares are bit-identical to ``(adjacency @ adopted) / degree``."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray):
        self.indptr, self.indices = indptr, indices
        n = indptr.size - 1
        self.degree = np.diff(indptr).astype(np.float32)
        self.counted = np.zeros(n, dtype=bool)
        self.counts = np.zeros(n, dtype=np.int32)  # a degree fits; float32 casts are exact

    def share(self, adopted: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Adopted share of each citizen's contacts (float32; into ``out`` if given)."""
        n = self.counts.size
        gained = np.flatnonzero(adopted & ~self.counted)
        lost = np.flatnonzero(self.counted & ~adopted)
        if gained.size:
            self.counts += np.bincount(neighbours(self.indptr, self.indices, gained), minlength=n)
        if lost.size:
            self.counts -= np.bincount(neighbours(self.indptr, self.indices, lost), minlength=n)
        if gained.size or lost.size:
            self.counted = adopted.copy()
        if out is None:
            return self.counts.astype(np.float32) / self.degree
        out[...] = self.counts  # the same float32 values astype gives
        out /= self.degree
        return out


def adopted_neighbour_share(
    adjacency: sp.csr_matrix | None, degree: np.ndarray | None, adopted: np.ndarray
) -> np.ndarray:
    """Per citizen, the share of contacts that adopted (full mixing: of everyone else)."""
    x = adopted.astype(np.float32)
    if adjacency is None:
        n = adopted.size
        return (float(x.sum()) - x) / (n - 1)
    return (adjacency @ x) / degree
