"""Reference: bare numpy/scipy-sparse Bass diffusion on a Watts-Strogatz network.

Usage: python benchmarks/bass_bare.py N MONTHS OUT.csv
The same work a run must do at minimum: build the network vectorised, 'months' monthly
adoption updates, write one row per month. Used by bench_model.py for the ratio target.
"""

import sys

import numpy as np
import scipy.sparse as sp


def main() -> None:
    n, months, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rng = np.random.default_rng(1)
    k, beta, p, q = 8, 0.1, 0.004, 0.06
    src = np.repeat(np.arange(n), k // 2)
    dst = (src + np.tile(np.arange(1, k // 2 + 1), n)) % n
    move = rng.random(src.size) < beta
    dst[move] = (src[move] + 1 + rng.integers(0, n - 1, int(move.sum()))) % n
    rows, cols = np.concatenate([src, dst]), np.concatenate([dst, src])
    adj = sp.csr_matrix((np.ones(rows.size, np.float32), (rows, cols)), shape=(n, n))
    adj.sum_duplicates()
    adj.data[:] = 1
    deg = np.asarray(adj.sum(1)).ravel()
    adopted = np.zeros(n, bool)
    share = [0.0]
    for _ in range(months):
        a = (adj @ adopted.astype(np.float32)) / deg
        adopted |= rng.random(n) < (p + q * a)
        share.append(adopted.mean())
    np.savetxt(out, np.column_stack([np.arange(months + 1), share]), delimiter=",", header="step,adoption")


if __name__ == "__main__":
    main()
