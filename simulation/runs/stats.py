"""Statistics shared by ``compare``, ``analyse`` (and usable by the validation helpers).

One censoring rule for time-to-event KPIs (:data:`TIME_TO_EVENT`): a run in which the
event never happens within the horizon of ``H`` months counts as ``H + 1``. The mean of
these values is the *restricted mean time* to the event, restricted at ``H + 1`` months
(the area under the "not yet" curve up to ``H + 1``; a run that never reached it
contributes the whole horizon). Every table that shows such a KPI also shows how many
runs *reached* the event in each arm. Differences of restricted means are tested like any
other KPI (paired over replications with common random numbers). The difference of the
times *among pairs in which both runs reached the event* gets a confidence interval only
when at least :data:`MIN_REACHED` pairs reached; otherwise it is reported as "too few
reached" (no interval).

Pairs: with common random numbers replication ``i`` of condition A and of condition B use
the same seed, so comparisons pair them (paired t on the differences, as
``scipy.stats.ttest_rel``). Effect sizes avoid quadratic memory (Cliff's delta by sorting).
Factorial effects come from statsmodels' ANOVA of an OLS fit (type II sums of squares by
default, type III on sum-to-zero contrasts on request), which is exact for unbalanced
designs, e.g. after failed runs were dropped.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: KPIs that are a month of an event (null = never within the horizon): censored.
TIME_TO_EVENT = ("months_to_50pct_adoption", "months_to_first_service", "months_to_agreement")
#: Pairs (or runs) that must reach the event before their times get an interval.
MIN_REACHED = 5
TOO_FEW = "too few reached"
CENSORING_RULE = (
    "time-to-event KPIs (months to 50 % adoption, to the first service, to agreement): a run that "
    "never reaches the event within the horizon H counts as H + 1 months, so means are restricted "
    "mean times (restricted at H + 1); 'reached' counts the runs in which the event happened; the "
    f"difference among pairs that both reached gets an interval only with at least {MIN_REACHED} pairs"
)


def is_time_to_event(kpi: str) -> bool:
    return kpi in TIME_TO_EVENT


def censor(kpi: str, values: Sequence[float] | np.ndarray | pd.Series, horizon: int) -> np.ndarray:
    """``values`` as floats; for a time-to-event KPI, never (NaN/None) becomes ``horizon + 1``."""
    v = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)
    if is_time_to_event(kpi):
        v = np.where(np.isnan(v), horizon + 1.0, v)
    return v


def reached(values: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    """Which runs reached the event (their raw value is a month, not null)."""
    return np.isfinite(pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(float))


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided t interval (NaN dropped; NaN interval for fewer than 2 values)."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return math.nan, math.nan, math.nan
    m = float(v.mean())
    if v.size < 2:
        return m, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return m, m - half, m + half


@dataclass(frozen=True)
class Paired:
    """Paired comparison of B against A (``difference`` = mean of B - A over pairs)."""

    n: int
    difference: float
    ci_low: float
    ci_high: float
    t: float
    p: float


def paired(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> Paired:
    """Paired t test and interval of B - A; pairs with a NaN on either side are dropped.

    Agrees with ``scipy.stats.ttest_rel(b, a)`` and statsmodels' ``DescrStatsW(b - a)``.
    Constant differences: p = 0 if they are not 0, NaN (no evidence either way) if 0."""
    from scipy import stats

    a, b = np.asarray(a, float), np.asarray(b, float)
    d = (b - a)[np.isfinite(a) & np.isfinite(b)]
    n = int(d.size)
    if n == 0:
        return Paired(0, math.nan, math.nan, math.nan, math.nan, math.nan)
    m = float(d.mean())
    if n < 2:
        return Paired(n, m, math.nan, math.nan, math.nan, math.nan)
    sd = float(d.std(ddof=1))
    if sd == 0:
        return Paired(
            n, m, m, m, math.nan if m == 0 else math.copysign(math.inf, m), math.nan if m == 0 else 0.0
        )
    se = sd / math.sqrt(n)
    t = m / se
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * se)
    p = float(2 * stats.t.sf(abs(t), n - 1))
    return Paired(n, m, m - half, m + half, float(t), p)


def negligible_shift(
    a: np.ndarray, b: np.ndarray, *, max_sd: float = 0.1, alpha: float = 0.05
) -> tuple[Paired, float, bool]:
    """Is B the same as A within sampling error? (``paired``, |mean shift| in standard
    deviations of A, verdict). The verdict is true when every difference is 0, or when the
    paired t test does not find the shift (p >= ``alpha``) and it is below ``max_sd``
    standard deviations of A over the pairs."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    keep = np.isfinite(a) & np.isfinite(b)
    res = paired(a, b)
    if res.n >= 1 and not np.any(b[keep] - a[keep]):
        return res, 0.0, True
    sd = float(a[keep].std(ddof=1)) if res.n >= 2 else math.nan
    in_sd = abs(res.difference) / sd if sd > 0 else math.inf
    return res, in_sd, bool(res.p >= alpha and in_sd < max_sd)


def welch_p(a: np.ndarray, b: np.ndarray) -> float:
    """Unpaired Welch t test p (for reference next to the paired test); NaN when undefined."""
    from scipy import stats

    a, b = np.asarray(a, float), np.asarray(b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2 or (np.var(a) == 0 and np.var(b) == 0):
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(stats.ttest_ind(b, a, equal_var=False).pvalue)


def holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (NaN stays NaN); as statsmodels' ``multipletests``."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    idx = np.nonzero(np.isfinite(p))[0]
    order = idx[np.argsort(p[idx], kind="stable")]
    m, running = len(order), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def cliffs_delta(a: np.ndarray, b: np.ndarray) -> float:
    """P(b > a) - P(b < a) over all pairs, in [-1, 1]; O((n + m) log n) time, O(n + m) memory."""
    a = np.sort(np.asarray(a, float)[np.isfinite(np.asarray(a, float))])
    b = np.asarray(b, float)
    b = b[np.isfinite(b)]
    if not len(a) or not len(b):
        return math.nan
    below = np.searchsorted(a, b, side="left").sum(dtype=np.int64)  # pairs with a < b
    above = (len(a) - np.searchsorted(a, b, side="right")).sum(dtype=np.int64)  # a > b
    return float((int(below) - int(above)) / (len(a) * len(b)))


def cohens_d(a: np.ndarray, b: np.ndarray) -> float:
    """(mean b - mean a) / pooled standard deviation."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    na, nb = len(a), len(b)
    if na < 2 or nb < 2:
        return math.nan
    pooled = math.sqrt(((na - 1) * np.var(a, ddof=1) + (nb - 1) * np.var(b, ddof=1)) / (na + nb - 2))
    if pooled == 0:
        return math.nan if np.mean(a) == np.mean(b) else math.copysign(math.inf, np.mean(b) - np.mean(a))
    return float((np.mean(b) - np.mean(a)) / pooled)


@dataclass(frozen=True)
class TimeComparison:
    """A time-to-event KPI compared over pairs: restricted means (never = horizon + 1),
    runs that reached per arm, and the difference among pairs where both reached."""

    restricted: Paired
    reached_a: int
    reached_b: int
    n: int
    both: int
    among_reached: Paired | None  # None: fewer than MIN_REACHED pairs reached in both arms


def compare_times(kpi: str, a: np.ndarray, b: np.ndarray, horizon: int) -> TimeComparison:
    """``a``, ``b``: raw months per replication (NaN = never), paired by position."""
    ra, rb = reached(a), reached(b)
    restricted = paired(censor(kpi, a, horizon), censor(kpi, b, horizon))
    both = ra & rb
    among = None
    if int(both.sum()) >= MIN_REACHED:
        among = paired(np.asarray(a, float)[both], np.asarray(b, float)[both])
    return TimeComparison(restricted, int(ra.sum()), int(rb.sum()), len(ra), int(both.sum()), among)


def anova(frame: pd.DataFrame, y: str, factors: Sequence[str], typ: int = 2) -> pd.DataFrame:
    """statsmodels ANOVA of ``y`` on the categorical ``factors``: main effects and all
    two-factor interactions, OLS, sums of squares of type ``typ`` (2 or 3; type III uses
    sum-to-zero contrasts). Rows: term (factor names, ``f x g``), ss, df, F, p; plus the
    residual row ``Residual``. Rows with NaN ``y`` are dropped (unbalanced designs are fine);
    interactions with an empty cell, or all of them when no residual degrees of freedom
    would remain, are left out."""
    # Not statsmodels.api: it imports the time-series models too (slow, noisy warnings).
    from statsmodels.regression.linear_model import OLS
    from statsmodels.stats.anova import anova_lm

    if typ not in (2, 3):
        raise ValueError(f"typ must be 2 or 3, got {typ}")
    names = {f: f"x{i}" for i, f in enumerate(factors)}
    data = frame[[*factors, y]].rename(columns={**names, y: "y_"}).dropna(subset=["y_"])
    for col in names.values():
        data[col] = data[col].astype(str)
    contrast = ", Sum" if typ == 3 else ""
    terms = [f"C({names[f]}{contrast})" for f in factors]
    # An interaction is estimable only when every pair of levels occurs (all runs of a cell
    # may have failed); without residual degrees of freedom (one run per cell) it is dropped
    # too, so the main effects are still tested against the interaction as error.
    pairs = [
        (i, j)
        for i in range(len(terms))
        for j in range(i + 1, len(terms))
        if len(data.groupby([names[factors[i]], names[factors[j]]]))
        == data[names[factors[i]]].nunique() * data[names[factors[j]]].nunique()
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rank-deficient or exact fits: F/p become NaN
        for keep in (pairs, []):
            inter = [f"{terms[i]}:{terms[j]}" for i, j in keep]
            formula = "y_ ~ " + " + ".join([*terms, *inter]) if terms else "y_ ~ 1"
            fit = OLS.from_formula(formula, data=data).fit()
            if fit.df_resid > 0:
                break
        try:
            table = anova_lm(fit, typ=typ)
        except (ValueError, np.linalg.LinAlgError):  # no residual degrees of freedom at all
            table = pd.DataFrame(
                {"sum_sq": math.nan, "df": math.nan, "F": math.nan, "PR(>F)": math.nan}, index=terms
            )
    back = {t: f for t, f in zip(terms, factors, strict=True)}
    for i in range(len(terms)):
        for j in range(i + 1, len(terms)):
            back[f"{terms[i]}:{terms[j]}"] = f"{factors[i]} x {factors[j]}"
    rows = []
    for term, r in table.iterrows():
        if term == "Intercept":
            continue
        f_stat = float(r["F"]) if "F" in r and np.isfinite(r["F"]) else math.nan
        p = float(r["PR(>F)"]) if "PR(>F)" in r and np.isfinite(r["PR(>F)"]) else math.nan
        if fit.df_resid <= 0:
            f_stat = p = math.nan
        rows.append(
            {
                "term": back.get(str(term), str(term)),
                "ss": float(r["sum_sq"]),
                "df": float(r["df"]),
                "F": f_stat,
                "p": p,
            }
        )
    return pd.DataFrame(rows)
