"""Key figures of one run (brief §4), computed from the model after its last month."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..model import EGovModel

#: KPI name -> (unit, meaning); the public columns of kpis.json and sweep tables.
KPI_INFO: dict[str, tuple[str, str]] = {
    "final_adoption": ("share", "Share of the public that adopted by the last month"),
    "months_to_50pct_adoption": ("months", "First month with adoption ≥ 0.5 (null if never)"),
    "months_to_first_service": ("months", "First month with service quality/reach > 0 (null if never)"),
    "final_service_quality": ("0..1", "Service quality/reach in the last month"),
    "final_integration": ("share", "Share of parties integrated"),
    "final_links": ("share", "Share of required back-office links working"),
    "agreement_share": ("share", "Share of parties that ever agreed"),
    "months_to_agreement": ("months", "Month the last party decided (null if some never did)"),
    "refusals": ("parties", "Parties that refused for good"),
    "withdrawals": ("parties", "Parties that withdrew after agreeing"),
    "failures": ("count", "Implementation failures and setbacks"),
    "stalled": ("bool", "Nothing moved for [implementation] stall_months while unfinished"),
    "collapsed": ("bool", "Refused + withdrawn share reached collapse_share, or the council cancelled"),
    "cancelled": ("bool", "Political support fell below [politics] cancel_below"),
    "total_cost": (
        "M€",
        "Resource cost: investment (all payers) + overruns + consultation + participation; "
        "compensation and fees are transfers between parties and net out",
    ),
    "organisation_cost": (
        "M€",
        "Net outlay of the own organisation (programme and departments): own investment, overruns, "
        "compensation paid to partners, fees, consultation, participation (savings not deducted)",
    ),
    "shared_investment": ("M€", "Investment borne by the other governments that co-invest"),
    "compensation_paid": ("M€", "Compensation paid out of the budget (income to the parties)"),
    "channel_fees": ("M€", "Fees paid to private channel partners (their income)"),
    "unpaid_promises": ("M€", "Compensation promised and due but not paid"),
    "overrun_cost": ("M€", "Cost overruns from failures"),
    "max_overrun_ratio": ("ratio", "Largest party overrun / its investment"),
    "total_benefit": ("M€", "Savings for citizens, businesses, governments and staff"),
    "net_benefit": ("M€", "total_benefit - total_cost (for society; transfers net out)"),
    "cost_per_adopter": ("€", "total_cost / adopters in the represented population (null without)"),
    "peak_resistance": ("0..1", "Highest monthly mean resistance"),
    "late_resistance": ("0..1", "Mean over agreed parties of their peak resistance after agreeing"),
    "trust_change": ("0..1", "Mean trust in the programme, last minus first month"),
    "final_legitimacy": ("0..1", "Mean citizens' trust in government, last month"),
    "legitimacy_change": ("0..1", "final_legitimacy minus the initial mean"),
    "final_support": ("0..1", "Political support in the last month"),
    "adjustments": ("months", "Months in which the programme was alarmed and adjusted"),
}


def _first_month(values: np.ndarray, threshold: float) -> int | None:
    hit = np.nonzero(values >= threshold)[0]
    return int(hit[0]) if hit.size else None


def compute(model: EGovModel) -> dict[str, Any]:
    """KPIs of ``model`` (see :data:`KPI_INFO`); JSON-ready Python scalars."""
    series = model.datacollector.model_vars
    adoption = np.asarray(series["adoption"])
    parties = model.parties
    agreed = [p for p in parties if p.agreed_at is not None]
    decided = [p for p in parties if p.agreed_at is not None or p.state == "refused"]
    adopters = float(model.population.adopted.sum()) * model.scale  # represented
    led = model.ledger
    overrun_ratio = [p.overrun / p.profile.investment for p in parties if p.profile.investment > 0]
    cost = model.ledger.total_cost
    kpis: dict[str, Any] = {
        "final_adoption": float(adoption[-1]),
        "months_to_50pct_adoption": _first_month(adoption, 0.5),
        "months_to_first_service": model.first_service_month,
        "final_service_quality": float(model.service_quality),
        "final_integration": float(model.integration),
        "final_links": float(model.links),
        "agreement_share": len(agreed) / len(parties),
        "months_to_agreement": (
            max((p.agreed_at if p.agreed_at is not None else p.finished_at) for p in decided)
            if len(decided) == len(parties)
            else None
        ),
        "refusals": sum(p.state == "refused" for p in parties),
        "withdrawals": sum(p.state == "withdrawn" and p.agreed_at is not None for p in parties),
        "failures": int(model.total_failures),
        "stalled": bool(model.stalled),
        "collapsed": bool(model.collapsed),
        "cancelled": bool(model.cancelled),
        "total_cost": cost,
        "organisation_cost": float(led.outlay("employees")),
        "shared_investment": float(led.by_kind("investment", payer="other_governments")),
        "compensation_paid": float(model.programme.paid),
        "channel_fees": float(led.by_kind("channel_fees")),
        "unpaid_promises": float(model.programme.unpaid),
        "overrun_cost": float(led.by_kind("overrun")),
        "max_overrun_ratio": float(max(overrun_ratio, default=0.0)),
        "total_benefit": led.total_benefit,
        "net_benefit": led.total_benefit - cost,
        "cost_per_adopter": cost * 1e6 / adopters if adopters else None,
        "peak_resistance": float(np.max(series["mean_resistance"])),
        "late_resistance": float(np.mean([p.late_peak for p in agreed])) if agreed else 0.0,
        "trust_change": float(series["mean_trust"][-1] - series["mean_trust"][0]),
        "final_legitimacy": float(model.legitimacy),
        "legitimacy_change": float(model.legitimacy - model.initial_legitimacy),
        "final_support": float(model.political_support),
        "adjustments": int(model.programme.adjustments),
    }
    return kpis
