"""Why it happened: a short narrative of one run from its event log (events.csv).

The log has one row per event (month, party, event, cause); the model writes it as it
runs (``EGovModel.log``). The narrative picks the turning points: first agreement,
refusals and withdrawals with their reasons, failures, the first service, adjustment,
stall or collapse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

EVENT_COLUMNS = ("month", "party", "event", "cause")


def _names(rows: Sequence[Mapping[str, Any]], limit: int = 4) -> str:
    names = [f"{r['party']} (month {r['month']})" for r in rows[:limit]]
    more = len(rows) - limit
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def narrative(events: Sequence[Mapping[str, Any]], kpis: Mapping[str, Any], months: int) -> list[str]:
    """A few sentences on what happened in the run and why."""
    by: dict[str, list[Mapping[str, Any]]] = {}
    for e in events:
        by.setdefault(str(e["event"]), []).append(e)
    out = []
    agreed = by.get("agreed", [])
    if agreed:
        first = agreed[0]
        out.append(f"First agreement in month {first['month']}: {first['party']} ({first['cause']}).")
    else:
        out.append(f"No party agreed in {months} months.")
    for kind, verb in (("refused", "Refused for good"), ("withdrew", "Withdrew after agreeing")):
        rows = by.get(kind, [])
        if rows:
            out.append(f"{verb}: {_names(rows)}. First: {rows[0]['party']}, {rows[0]['cause']}.")
    fails = by.get("failure", [])
    if fails:
        out.append(
            f"{len(fails)} implementation failure(s), the first in month {fails[0]['month']} "
            f"({fails[0]['party']}); overruns {kpis.get('overrun_cost', 0.0):.2f} M€."
        )
    service = by.get("first service", [])
    if service:
        out.append(f"First service in month {service[0]['month']} ({service[0]['cause']}).")
    else:
        out.append("No service reached the public.")
    adjusting = by.get("adjusting", [])
    if adjusting:
        out.append(
            f"The programme adjusted {len(adjusting)} time(s), first in month {adjusting[0]['month']}: "
            f"{adjusting[0]['cause']}."
        )
    unpaid = by.get("unpaid promise", [])
    if unpaid:
        out.append(
            f"{len(unpaid)} promise(s) of compensation went unpaid (first in month {unpaid[0]['month']})."
        )
    for kind in ("stalled", "cancelled", "collapsed"):
        for r in by.get(kind, [])[:1]:
            out.append(f"Programme {kind} in month {r['month']}: {r['cause']}.")
    adoption = kpis.get("final_adoption")
    if adoption is not None:
        out.append(
            f"After {months} months {adoption:.0%} of the public use the service; "
            f"{kpis.get('final_integration', 0.0):.0%} of the parties are integrated."
        )
    return out
