"""The verdict rule of the pattern map (no heavy imports: the report uses it too)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

#: Significance level of every pattern test (per sub-claim and cell).
ALPHA = 0.01

VerdictName = Literal["holds", "does not hold", "reversed", "inconclusive", "not applicable"]
VERDICTS: tuple[VerdictName, ...] = ("holds", "does not hold", "reversed", "inconclusive", "not applicable")
#: Fewest informative pairs (pairs that differ; discordant pairs for a binary outcome) a
#: test needs: with fewer, even a unanimous sign cannot reach p < 0.01 (2 x 0.5^7 > 0.01).
MIN_INFORMATIVE = 8
#: Replications per condition in a quick run (the fewest with which a verdict is possible).
QUICK_REPS = 8


def verdict(res: Mapping[str, Any], direction: int, min_informative: int = MIN_INFORMATIVE) -> VerdictName:
    """The one rule for a sub-claim whose test result ``res`` (B − A) is claimed to have
    sign ``direction``: *inconclusive* with fewer than ``min_informative`` informative pairs;
    else *holds* if p < ALPHA in the claimed direction, *reversed* if p < ALPHA the other
    way, *does not hold* otherwise. The direction is the sign of the mean difference."""
    if res.get("n_informative", res.get("n", 0)) < min_informative:
        return "inconclusive"
    diff, p = res.get("diff"), res.get("p")
    if diff is None or p is None or not math.isfinite(diff) or not math.isfinite(p):
        return "inconclusive"
    if p < ALPHA and diff != 0:
        return "holds" if (diff > 0) == (direction > 0) else "reversed"
    return "does not hold"


def combine(verdicts: Sequence[VerdictName]) -> VerdictName:
    """A cell's verdict from its sub-claims' (not applicable ones ignored): *reversed* if
    any is reversed, else *does not hold* if any does not hold, else *inconclusive* if any
    is inconclusive, else *holds*; *not applicable* if every sub-claim is."""
    vs = [v for v in verdicts if v != "not applicable"]
    if not vs:
        return "not applicable"
    for v in ("reversed", "does not hold", "inconclusive"):
        if v in vs:
            return v  # type: ignore[return-value]
    return "holds"
