"""The perspectives/relations matrix (Bekkers & Thaens, after Thaens 2001), per run.

Rows are perspectives, columns relations of government with citizens, businesses, other
governments and employees (the first three front-office, employees back-office focus).
Every cell is an indicator computed from the run; ``FORMULAS`` says which, and
``docs/ODD.md`` repeats it. "audience" is the relation the service serves (citizens or
businesses); the other of the two gets 0 where the indicator is about the service's users.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .config import RELATIONS

if TYPE_CHECKING:
    from .model import EGovModel

PERSPECTIVES = (
    "public_administration",
    "legal",
    "organisational",
    "information_technology",
    "financial_economic",
)

FORMULAS: dict[str, dict[str, str]] = {
    "public_administration": {
        "citizens": "legitimacy change among the public, if the audience is citizens (0..±1)",
        "businesses": "legitimacy change among the public, if the audience is businesses",
        "governments": "share of public parties that agreed",
        "employees": "consultation intensity x (1 - mean final resistance of departments)",
    },
    "legal": {
        "citizens": "privacy exposure: intrusiveness x final linking x mean concern of adopters (citizens)",
        "businesses": "the same for a business audience",
        "governments": "share of required information-domain links working (agreements kept)",
        "employees": "share of department staff whose work rules changed (integrated departments)",
    },
    "organisational": {
        "citizens": "final service quality/reach, if the audience is citizens",
        "businesses": "final service quality/reach, if the audience is businesses",
        "governments": "share of public partners integrated",
        "employees": "peak mean resistance of departments (higher = worse)",
    },
    "information_technology": {
        "citizens": "final adoption of the digital service, if the audience is citizens",
        "businesses": "final adoption, if the audience is businesses",
        "governments": "share of links working between public parties",
        "employees": "failures per department that started implementing",
    },
    "financial_economic": {
        "citizens": "net benefit to citizens (savings - costs), M€",
        "businesses": "net benefit to businesses (savings + fees received - costs), M€",
        "governments": "net benefit to other governments (savings - investment - compensation), M€",
        "employees": "net benefit in the own organisation (staff savings - own costs), M€",
    },
}


def compute(model: EGovModel) -> dict[str, dict[str, float]]:
    """The 5 x 4 matrix as ``{perspective: {relation: value}}``."""
    cfg = model.config
    parties = model.parties
    pop = model.population
    audience = cfg.service.audience
    depts = [p for p in parties if p.kind == "department"]
    public = [p for p in parties if p.public]
    public_partners = [p for p in parties if p.kind == "partner" and p.public]

    def aud(value: float) -> dict[str, float]:
        return {
            "citizens": value if audience == "citizens" else 0.0,
            "businesses": value if audience == "businesses" else 0.0,
        }

    adopters = pop.adopted
    concern = float(pop.privacy[adopters].mean()) if adopters.any() else 0.0
    exposure = cfg.service.intrusiveness * model.linking * concern
    staff = sum(p.staff for p in depts)
    staff_changed = sum(p.staff for p in depts if p.state == "integrated")
    mask = np.array([p.public for p in parties])
    idx = np.nonzero(mask)[0]
    from .service_models import link_share

    public_links = (
        link_share(
            model.integrated_mask()[idx], model.pair_trust[np.ix_(idx, idx)], cfg.integration.link_trust
        )
        if model.service.links_files
        else 0.0
    )
    started = [p for p in depts if p.agreed_at is not None]
    ledger = model.ledger
    net = ledger.benefit - ledger.cost
    fees = ledger.by_kind["channel_fees"]
    return {
        "public_administration": {
            **aud(float(model.legitimacy - model.initial_legitimacy)),
            "governments": float(np.mean([p.agreed_at is not None for p in public])) if public else 0.0,
            "employees": float(model.programme.consultation * (1 - np.mean([p.resistance for p in depts]))),
        },
        "legal": {
            **aud(float(exposure)),
            "governments": float(model.links),
            "employees": staff_changed / staff if staff else 0.0,
        },
        "organisational": {
            **aud(float(model.service_quality)),
            "governments": float(np.mean([p.state == "integrated" for p in public_partners]))
            if public_partners
            else 0.0,
            "employees": float(model.peak_dept_resistance),
        },
        "information_technology": {
            **aud(float(pop.adoption)),
            "governments": float(public_links),
            "employees": sum(p.failures for p in started) / len(started) if started else 0.0,
        },
        "financial_economic": {
            "citizens": float(net[0]),
            "businesses": float(net[1] + fees),
            "governments": float(net[2]),
            "employees": float(net[3]),
        },
    }


def as_rows(matrix: dict[str, dict[str, float]]) -> list[dict[str, object]]:
    """Rows for scorecard.csv: ``perspective`` then one column per relation."""
    return [{"perspective": p, **{r: matrix[p][r] for r in RELATIONS}} for p in PERSPECTIVES]
