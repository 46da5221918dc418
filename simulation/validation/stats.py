"""Small statistical helpers for the pattern tests (two-sided unless stated)."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from ..runs.runner import mean_ci
from .verdicts import ALPHA

__all__ = ["ALPHA", "bootstrap_ci", "hill", "mcnemar", "paired", "share_test", "significant", "unpaired"]


def paired(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """B - A over common-random-number pairs: mean difference with its 95 % t interval,
    Cohen's d_z (mean / sd of the differences) and the Wilcoxon signed-rank p-value.
    Pairs with a missing value are dropped; ``n_informative`` counts the pairs that differ."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    d = b[ok] - a[ok]
    m, lo, hi = mean_ci(d)
    sd = float(d.std(ddof=1)) if d.size > 1 else 0.0
    p = 1.0 if d.size == 0 or not np.any(d != 0) else float(stats.wilcoxon(d, zero_method="zsplit").pvalue)
    return {
        "test": "Wilcoxon signed-rank (paired, CRN)",
        "a": float(np.mean(a[ok])) if ok.any() else float("nan"),
        "b": float(np.mean(b[ok])) if ok.any() else float("nan"),
        "diff": m,
        "ci": (lo, hi),
        "effect": m / sd if sd > 0 else (0.0 if m == 0 else float("inf") * np.sign(m)),
        "effect_name": "d_z",
        "p": p,
        "n": int(d.size),
        "n_informative": int(np.sum(d != 0)),
    }


def mcnemar(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Paired binary outcomes: exact McNemar test on the discordant pairs; effect = the
    difference of the two shares (B - A) with the Wald interval for paired proportions;
    ``n_informative`` = discordant pairs."""
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    only_a, only_b = int(np.sum(a & ~b)), int(np.sum(b & ~a))
    n_disc = only_a + only_b
    p = 1.0 if n_disc == 0 else float(stats.binomtest(only_b, n_disc, 0.5).pvalue)
    diff = float(b.mean() - a.mean())
    se = np.sqrt(max(n_disc - (only_b - only_a) ** 2 / a.size, 0.0)) / a.size
    return {
        "test": "exact McNemar (paired binary)",
        "a": float(a.mean()),
        "b": float(b.mean()),
        "diff": diff,
        "ci": (diff - 1.96 * se, diff + 1.96 * se),
        "effect": diff,
        "effect_name": "share difference",
        "p": p,
        "n": int(a.size),
        "n_informative": n_disc,
    }


def share_test(x: np.ndarray, null: float = 0.5) -> dict[str, Any]:
    """One sample of booleans: exact two-sided binomial test of share = ``null``; effect =
    the share with its Clopper-Pearson 95 % interval."""
    x = np.asarray(x, bool)
    k, n = int(x.sum()), int(x.size)
    if n == 0:
        p, ci, share = 1.0, (float("nan"), float("nan")), float("nan")
    else:
        res = stats.binomtest(k, n, null)
        p, ci, share = float(res.pvalue), tuple(map(float, res.proportion_ci())), k / n
    return {
        "test": "exact binomial (two-sided)",
        "a": null,
        "b": share,
        "diff": share - null,
        "ci": (ci[0] - null, ci[1] - null),
        "effect": share,
        "effect_name": "share",
        "p": p,
        "n": n,
        "n_informative": n,
    }


def unpaired(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Two independent samples: Mann-Whitney U p-value; effect = probability of
    superiority P(B > A) + 0.5 P(B = A) (0.5 = no effect)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    res = stats.mannwhitneyu(b, a, alternative="two-sided")
    ps = float(res.statistic) / (a.size * b.size)
    return {
        "test": "Mann-Whitney U",
        "a": float(np.mean(a)),
        "b": float(np.mean(b)),
        "diff": float(np.mean(b) - np.mean(a)),
        "ci": (float("nan"), float("nan")),
        "effect": ps,
        "effect_name": "P(B>A)",
        "p": float(res.pvalue),
        "n": int(min(a.size, b.size)),
    }


def hill(x: np.ndarray, tail: float = 0.1) -> float:
    """Hill estimate of the Pareto tail index from the largest ``tail`` share of ``x`` > 0."""
    x = np.sort(np.asarray(x, float)[np.asarray(x) > 0])[::-1]
    k = max(2, int(tail * x.size))
    if x.size <= k:
        return float("nan")
    mean_log = float(np.mean(np.log(x[:k] / x[k])))
    return 1.0 / mean_log if mean_log > 0 else float("nan")


def bootstrap_ci(
    fn, samples: tuple[np.ndarray, ...], rng: np.random.Generator, n: int = 1000
) -> tuple[float, float]:
    """Percentile 95 % interval of ``fn(*samples)`` resampling each sample independently."""
    vals = []
    for _ in range(n):
        vals.append(fn(*(s[rng.integers(0, s.size, s.size)] for s in samples)))
    v = np.asarray(vals, float)
    v = v[np.isfinite(v)]
    return float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))


def significant(res: dict[str, Any], direction: int) -> bool:
    """Whether ``res`` (diff B - A) is significant at ALPHA in ``direction`` (+1 / -1)."""
    return res["p"] < ALPHA and np.sign(res["diff"]) == direction
