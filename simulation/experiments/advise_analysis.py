"""The numbers of an ``advise`` analysis: objectives, Pareto front, score, absolute thresholds and PRIM findings."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: Objectives: column, label, direction (+1 = higher is better).
OBJECTIVES = (
    ("cost", "total cost (M€)", -1),
    ("first_service", "months to first service", -1),
    ("adoption", "adoption at horizon", +1),
    ("collapse", "collapse risk", -1),
    ("legitimacy", "legitimacy at horizon", +1),
)


OBJ_NAMES = [o[0] for o in OBJECTIVES]


#: PRIM on the ranking flips: a box is a finding only at this density; fewer cases than
#: FEW_CASES inside it are flagged as likely overfitted.
MIN_DENSITY = 0.8


MASS_MIN = 0.1


FEW_CASES = 10


# ---------------------------------------------------------------------- analysis
def objectives(frame: pd.DataFrame, months: int) -> pd.DataFrame:
    """The five objectives per run (never-reached first service = months + 1)."""
    return pd.DataFrame(
        {
            "cost": frame["total_cost"].astype(float),
            "first_service": frame["months_to_first_service"].astype(float).fillna(months + 1),
            "adoption": frame["final_adoption"].astype(float),
            "collapse": frame["collapsed"].astype(float),
            "legitimacy": frame["final_legitimacy"].astype(float),
        },
        index=frame.index,
    )


def pareto_mask(values: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Non-dominated rows of ``values`` (rows = alternatives); ``directions`` +1 max, -1 min."""
    v = np.asarray(values, dtype=float) * directions
    n = len(v)
    keep = np.ones(n, dtype=bool)
    for i in range(n):
        dominated = np.all(v >= v[i], axis=1) & np.any(v > v[i], axis=1)
        keep[i] = not dominated.any()
    return keep


def score(obj: pd.DataFrame) -> pd.Series:
    """Mean over objectives of the value rescaled to [0, 1] over all rows (1 = best)."""
    parts = []
    for name, _, d in OBJECTIVES:
        col = obj[name]
        lo, hi = col.min(), col.max()
        scaled = (col - lo) / (hi - lo) if hi > lo else pd.Series(0.5, index=col.index)
        parts.append(scaled if d > 0 else 1 - scaled)
    return sum(parts) / len(parts)


def thresholds_default(base: dict[str, Any]) -> dict[str, tuple[str, float]]:
    """Absolute satisficing thresholds (the decision map's, :data:`.decision_map.THRESHOLDS`):
    adoption at the horizon at least 0.5, first service within 48 months, no collapse,
    legitimacy at least the scenario's initial level. No cost bound by default (it scales with
    the organisation): give ``--threshold cost=M€``. They do not depend on any sample."""
    from .decision_map import THRESHOLDS

    return {
        "adoption": THRESHOLDS["adoption"],
        "collapse": THRESHOLDS["collapse"],
        "first_service": THRESHOLDS["first_service"],
        "legitimacy": (">=", float(base["citizens"]["initial_legitimacy"]) + THRESHOLDS["legitimacy"][1]),
    }


def is_finding(box: Any, min_density: float = MIN_DENSITY) -> bool:
    """A PRIM box counts as a finding only if its density reaches the threshold."""
    return bool(box.density >= min_density - 1e-12)


def few_text(box: Any, few: int = FEW_CASES, sep: str = "; the densest box is ") -> str:
    """``fitted to 4 cases, likely overfitted`` when the box holds fewer than ``few`` cases."""
    if box.cases >= few:
        return ""
    return f"{sep}fitted to {box.cases} case{'s' if box.cases != 1 else ''}, likely overfitted"


def flip_boxes_table(found: list[Any], x: pd.DataFrame) -> pd.DataFrame:
    """``discover.boxes_table`` plus ``finding`` (density reaches the threshold), ``few_cases``
    (fewer than FEW_CASES cases inside) and whether each bound restricts anything."""
    from .discover import active_side, boxes_table

    table = boxes_table(found)
    by_number = {b.number: b for b in found}
    table["finding"] = [is_finding(by_number[n]) for n in table["box"]]
    table["few_cases"] = [by_number[n].cases < FEW_CASES for n in table["box"]]
    low_active, high_active = [], []
    for _, row in table.iterrows():
        if row["input"] in x.columns and pd.notna(row["low"]):
            lo, hi = active_side(
                (row["low"], row["high"]), float(x[row["input"]].min()), float(x[row["input"]].max())
            )
            low_active.append(lo is not None)
            high_active.append(hi is not None)
        else:
            low_active.append(None)
            high_active.append(None)
    table["low_restricts"] = low_active
    table["high_restricts"] = high_active
    return table


# ---------------------------------------------------------------------- command
#: Below this Spearman rank correlation (or when the best strategy changes) the report says
#: the ranking is not stable across seeds and suggests more replications.
STABLE_RANK = 0.8
