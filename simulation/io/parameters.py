"""Parameter names a factor, a prior or a map axis may use, and how their values are set in a scenario.

Every scalar ``section.key`` of the configuration, the party-group attributes
(``<list>.groups.<field>``) and their multipliers (``<list>.scale.<field>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..config import scalar_parameters

#: Party-group attributes a factor can set in every group at once (``parties`` = both lists).
GROUP_FIELDS = ("power", "resistance", "readiness", "reach")


GROUP_PARAMS = {f"{s}.groups.{k}": s for s in ("departments", "partners", "parties") for k in GROUP_FIELDS}


# --- group multipliers (issue 10, advise): ``<list>.scale.<field>`` multiplies that attribute
# in every group of the list(s) and clips the result to [0, 1], keeping the groups' differences.
GROUP_SCALES = {f"{s}.scale.{k}": s for s in ("departments", "partners", "parties") for k in GROUP_FIELDS}


SCALE_MAX = 10.0


def known_parameters() -> list[str]:
    """Names a factor or ``[fixed]`` key may use: every scalar ``section.key`` plus
    ``departments|partners|parties.groups.<power|resistance|readiness|reach>`` and the
    multipliers ``departments|partners|parties.scale.<power|resistance|readiness|reach>``."""
    return [*scalar_parameters(), *GROUP_PARAMS, *GROUP_SCALES]


def apply_values(base: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` (a scenario as nested dict) with parameter ``values`` set; a group parameter
    sets that attribute in every party group of its list(s)."""
    out = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in base.items()}
    for name, value in values.items():
        if name in GROUP_SCALES:
            field_name = name.rsplit(".", 1)[1]
            lists = ("departments", "partners") if GROUP_SCALES[name] == "parties" else (GROUP_SCALES[name],)
            for section in lists:
                sec = dict(out.get(section, {}))
                sec["groups"] = [
                    {**g, field_name: min(1.0, max(0.0, float(g.get(field_name, 0.0)) * float(value)))}
                    for g in sec.get("groups", [])
                ]
                out[section] = sec
        elif name in GROUP_PARAMS:
            field_name = name.rsplit(".", 1)[1]
            lists = ("departments", "partners") if GROUP_PARAMS[name] == "parties" else (GROUP_PARAMS[name],)
            for section in lists:
                sec = dict(out.get(section, {}))
                sec["groups"] = [{**g, field_name: value} for g in sec.get("groups", [])]
                out[section] = sec
        else:
            section, key = name.split(".", 1)
            sec = dict(out.get(section, {}))
            sec[key] = value
            out[section] = sec
    return out
