"""Parameter documentation generated from the typed configuration (kept in docs/ODD.md)."""

from __future__ import annotations

from typing import Any, get_args

from pydantic.fields import FieldInfo

from .config import PartyGroup, ScenarioConfig, Section


def _range(field: FieldInfo) -> str:
    lo = hi = None
    lo_open = hi_open = False
    for m in field.metadata:
        for attr, is_lo, is_open in (("ge", 1, 0), ("gt", 1, 1), ("le", 0, 0), ("lt", 0, 1)):
            v = getattr(m, attr, None)
            if v is not None:
                if is_lo:
                    lo, lo_open = v, bool(is_open)
                else:
                    hi, hi_open = v, bool(is_open)
    choices = get_args(field.annotation)
    if choices and all(isinstance(c, str) for c in choices):
        return " \\| ".join(f"`{c}`" for c in choices)
    if field.annotation is bool:
        return "true \\| false"
    if lo is None and hi is None:
        return "≥ 0" if field.annotation in (int, float) else "—"
    left = ("(" if lo_open else "[") + (f"{lo:g}" if lo is not None else "−∞")
    right = (f"{hi:g}" if hi is not None else "∞") + (")" if hi_open else "]")
    return f"{left}, {right}"


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, str):
        return f'"{v}"'
    return f"{v:g}" if isinstance(v, float) else str(v)


def parameter_rows() -> list[tuple[str, str, str, str]]:
    """(key, default, range, description) for every scalar parameter and group key."""
    defaults = ScenarioConfig()
    rows = []
    for section, sfield in ScenarioConfig.model_fields.items():
        cls: type[Section] = sfield.annotation  # type: ignore[assignment]
        value = getattr(defaults, section)
        for key, field in cls.model_fields.items():
            if key == "groups":
                rows.append((f"{section}.groups", "see below", "list of groups", field.description or ""))
                continue
            rows.append(
                (f"{section}.{key}", _fmt(getattr(value, key)), _range(field), field.description or "")
            )
    for key, field in PartyGroup.model_fields.items():
        rows.append((f"<group>.{key}", _fmt(field.default), _range(field), field.description or ""))
    return rows


def parameter_table() -> str:
    """Markdown table of every parameter (``egov-sim params``)."""
    lines = ["| parameter | default | range | meaning (unit) |", "|---|---|---|---|"]
    lines += [f"| `{k}` | {d} | {r} | {m} |" for k, d, r, m in parameter_rows()]
    return "\n".join(lines)
