"""The perspectives/relations matrix (Bekkers & Thaens, after Thaens 2001), per run.

Rows are perspectives, columns relations of government with citizens, businesses, other
governments and employees (the first three front-office, employees back-office focus).
Every cell is one indicator with a unit and a direction (``higher`` or ``lower`` is
better); :data:`CELLS` defines them and ``docs/ODD.md`` repeats them. A cell that has no
meaning for the scenario is NaN ("not applicable"), never 0:

- citizens / businesses: the service's users; the relation that is not the audience is
  not applicable, except financially where private partners count with businesses.
- governments: *other* governments only, i.e. public partners (tax office, chamber of
  commerce, municipalities, water boards ...) and the governments that co-invest
  (``costs.sharing_governments``). The organisation's own departments count under
  employees. Without public partners the non-financial government cells are NaN.
- employees: the own organisation (its back offices, staff and programme).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..config import RELATIONS

if TYPE_CHECKING:
    from ..model import EGovModel

PERSPECTIVES = (
    "public_administration",
    "legal",
    "organisational",
    "information_technology",
    "financial_economic",
)
FOCUS = {
    "citizens": "front office",
    "businesses": "front office",
    "governments": "front office",
    "employees": "back office",
}
NA = math.nan
#: Columns of scorecard.csv, one row per cell.
COLUMNS = ("perspective", "relation", "focus", "indicator", "value", "unit", "direction")


@dataclass(frozen=True)
class Cell:
    indicator: str
    unit: str
    direction: str  # "higher" or "lower" is better


_USERS = {
    "public_administration": Cell(
        "legitimacy change among the public the service serves", "Δ 0..1", "higher"
    ),
    "legal": Cell("privacy exposure: intrusiveness × linking × mean concern of adopters", "0..1", "lower"),
    "organisational": Cell("final service quality/reach", "0..1", "higher"),
    "information_technology": Cell("final adoption of the digital service", "share", "higher"),
}

#: ``CELLS[perspective][relation]``: what each cell measures.
CELLS: dict[str, dict[str, Cell]] = {
    "public_administration": {
        "citizens": _USERS["public_administration"],
        "businesses": _USERS["public_administration"],
        "governments": Cell("mean final trust of public partners in the programme", "0..1", "higher"),
        "employees": Cell(
            "involvement: consultation × (1 − mean final department resistance)", "0..1", "higher"
        ),
    },
    "legal": {
        "citizens": _USERS["legal"],
        "businesses": _USERS["legal"],
        "governments": Cell(
            "share of public partners with a standing agreement (agreed, not withdrawn)", "share", "higher"
        ),
        "employees": Cell("share of department staff under an agreed arrangement", "share", "higher"),
    },
    "organisational": {
        "citizens": _USERS["organisational"],
        "businesses": _USERS["organisational"],
        "governments": Cell("share of public partners integrated", "share", "higher"),
        "employees": Cell("peak mean resistance of departments", "0..1", "lower"),
    },
    "information_technology": {
        "citizens": _USERS["information_technology"],
        "businesses": _USERS["information_technology"],
        "governments": Cell("share of required links with public partners that work", "share", "higher"),
        "employees": Cell("failures per department that started implementing", "failures", "lower"),
    },
    "financial_economic": {
        "citizens": Cell("net benefit to citizens (savings)", "M€", "higher"),
        "businesses": Cell(
            "net benefit to businesses: savings of business users + private partners' income − their costs",
            "M€",
            "higher",
        ),
        "governments": Cell(
            "net benefit to other governments: public partners and co-investing governments", "M€", "higher"
        ),
        "employees": Cell(
            "net benefit to the own organisation: savings − own investment − overruns − compensation to "
            "partners − fees − consultation − participation",
            "M€",
            "higher",
        ),
    },
}

#: Text of each cell (kept for older callers).
FORMULAS: dict[str, dict[str, str]] = {
    p: {r: c.indicator for r, c in row.items()} for p, row in CELLS.items()
}


def compute(model: EGovModel) -> dict[str, dict[str, float]]:
    """The 5 x 4 matrix as ``{perspective: {relation: value}}``; NaN = not applicable."""
    from ..strategies.service_models import required_links

    cfg = model.config
    parties = model.parties
    pop = model.population
    audience = cfg.service.audience
    depts = [p for p in parties if p.kind == "department"]
    public_partners = [p for p in parties if p.kind == "partner" and p.public]
    has_gov = bool(public_partners)

    def users(value: float) -> dict[str, float]:
        return {r: (value if audience == r else NA) for r in ("citizens", "businesses")}

    def gov(value) -> float:
        return float(value()) if has_gov else NA

    adopters = pop.adopted
    concern = float(pop.privacy[adopters].mean()) if adopters.any() else 0.0
    exposure = cfg.service.intrusiveness * model.linking * concern
    staff = sum(p.staff for p in depts)
    staff_agreed = sum(p.staff for p in depts if p.agreed_at is not None and p.state != "withdrawn")
    started = [p for p in depts if p.agreed_at is not None]

    def public_links() -> float:
        links = model.service.link_matrix(model)
        pub = np.array([p.kind == "partner" and p.public for p in parties])
        need = required_links(model.department_mask) & np.logical_or.outer(pub, pub)
        if links is None or not need.any():
            return NA
        return float((links & need).sum() / need.sum())

    net = model.ledger.relation_net()
    active = model.ledger.relation_has_accounts()
    private = any(p.kind == "partner" and not p.public for p in parties)
    fin_business = audience == "businesses" or private or active["businesses"]
    fin_gov = has_gov or active["governments"]
    return {
        "public_administration": {
            **users(float(model.legitimacy - model.initial_legitimacy)),
            "governments": gov(lambda: np.mean([p.trust for p in public_partners])),
            "employees": float(model.programme.consultation * (1 - np.mean([p.resistance for p in depts]))),
        },
        "legal": {
            **users(float(exposure)),
            "governments": gov(
                lambda: np.mean([p.agreed_at is not None and p.state != "withdrawn" for p in public_partners])
            ),
            "employees": staff_agreed / staff if staff else NA,
        },
        "organisational": {
            **users(float(model.service_quality)),
            "governments": gov(lambda: np.mean([p.state == "integrated" for p in public_partners])),
            "employees": float(model.peak_dept_resistance),
        },
        "information_technology": {
            **users(float(pop.adoption)),
            "governments": public_links() if has_gov else NA,
            "employees": sum(p.failures for p in started) / len(started) if started else NA,
        },
        "financial_economic": {
            "citizens": float(net["citizens"]) if audience == "citizens" else NA,
            "businesses": float(net["businesses"]) if fin_business else NA,
            "governments": float(net["governments"]) if fin_gov else NA,
            "employees": float(net["employees"]),
        },
    }


def as_rows(matrix: dict[str, dict[str, float]]) -> list[dict[str, object]]:
    """Rows for scorecard.csv (one per cell): perspective, relation, focus, indicator,
    value (empty = not applicable), unit, direction."""
    return [
        {
            "perspective": p,
            "relation": r,
            "focus": FOCUS[r],
            "indicator": CELLS[p][r].indicator,
            "value": matrix[p][r],
            "unit": CELLS[p][r].unit,
            "direction": f"{CELLS[p][r].direction} is better",
        }
        for p in PERSPECTIVES
        for r in RELATIONS
    ]


#: Half-saturation of unbounded cells in :func:`cell_score` (value giving a score of ±0.5).
SCORE_HALF = {"M€": 10.0, "Δ 0..1": 0.05, "failures": 0.5}


def cell_score(unit: str, direction: str, value: float) -> float:
    """How good one scorecard value is, in [-1, 1] (1 = best): the colour of a single run's
    cell. Shares and 0..1 cells map linearly (0.5 = neutral); changes (Δ), money (M€) and
    failures saturate as v / (|v| + h) with ``h`` from :data:`SCORE_HALF`; failures count
    0 as +1 and ``h`` per department as neutral. NaN stays NaN."""
    v = float(value)
    if not np.isfinite(v):
        return float("nan")
    if unit == "failures":
        return 1.0 - 2.0 * v / (v + SCORE_HALF["failures"]) if v >= 0 else 1.0
    # Shares and 0..1 cells linearly, unbounded ones saturating.
    s = v / (abs(v) + SCORE_HALF[unit]) if unit in SCORE_HALF else 2.0 * min(max(v, 0.0), 1.0) - 1.0
    return s if direction.startswith("higher") else -s
