"""Costs and benefits per relation (brief §3.10), in M€.

Relations: citizens, businesses, governments, employees. A party's costs count on its own
relation: departments on employees (own back offices and staff), public partners on
governments, private partners on businesses. Public parties share ``shared_investment`` of
their investment with other governments (several municipalities building one counter).

Monthly benefits, scaled by the organisation type's relation weight ``w_r`` (x 4, so an
even split scales by 1):
    citizens    = citizen_saving  * adopters * 1e-6 * 4 w_citizens     (citizen audience)
    businesses  = business_saving * adopters * 1e-6 * 4 w_businesses   (business audience)
    governments = government_saving * working links * 4 w_governments
    employees   = staff_saving * staff of integrated departments * 4 w_employees
"""

from __future__ import annotations

import numpy as np

from .config import RELATIONS

COST_KINDS = ("investment", "compensation", "channel_fees", "overrun", "consultation")


class Ledger:
    """Running totals of costs (by kind and relation) and benefits (by relation)."""

    def __init__(self) -> None:
        self.cost = np.zeros(len(RELATIONS))
        self.benefit = np.zeros(len(RELATIONS))
        self.by_kind = dict.fromkeys(COST_KINDS, 0.0)

    def add_cost(self, kind: str, relation: str, amount: float) -> None:
        if amount < 0:
            raise ValueError(f"negative cost {amount} for {kind}")
        self.by_kind[kind] += amount
        self.cost[RELATIONS.index(relation)] += amount

    def add_benefit(self, relation: str, amount: float) -> None:
        self.benefit[RELATIONS.index(relation)] += amount

    @property
    def total_cost(self) -> float:
        return float(self.cost.sum())

    @property
    def total_benefit(self) -> float:
        return float(self.benefit.sum())
