"""Parameter documentation generated from the typed configuration (kept in docs/ODD.md)."""

from __future__ import annotations

from typing import Any, get_args

from ..config import PartyGroup, ScenarioConfig, Section
from ..sections import FieldInfo


def _range(field: FieldInfo) -> str:
    lo, lo_open, hi, hi_open = field.interval()
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


def _plain_range(field: FieldInfo) -> str:
    return _range(field).replace("\\|", "|").replace("`", "")


def matching_rows(query: str | None) -> list[tuple[str, str, str, str]]:
    """Rows of :func:`parameter_rows` whose key starts with ``query`` (a section such as
    ``negotiation`` or a key such as ``trust.initial``) or, failing that, whose key or
    meaning contains it; every row without a query."""
    rows = parameter_rows()
    if not query:
        return rows
    q = query.lower().strip()
    head = [r for r in rows if r[0].lower() == q or r[0].lower().startswith(q.rstrip(".") + ".")]
    return head or [r for r in rows if q in r[0].lower() or q in r[3].lower()]


def terminal_table(rows: list[tuple[str, str, str, str]], width: int = 100) -> str:
    """Rows for a terminal: key, default and range on one line, the meaning wrapped below."""
    import textwrap

    out = []
    key_w = max((len(r[0]) for r in rows), default=10)
    for key, default, rng, meaning in rows:
        out.append(f"{key:<{key_w}}  = {default:<12} {rng.replace(chr(92) + '|', '|').replace('`', '')}")
        for line in textwrap.wrap(meaning, width=max(40, width - 4)):
            out.append(f"    {line}")
    return "\n".join(out)


def _toml_value(v: Any) -> str:
    import json

    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _comment(field: FieldInfo, default: Any) -> list[str]:
    import textwrap

    text = f"{field.description or ''} [range {_plain_range(field)}; default {_toml_value(default) if default is not None else 'from the organisation type'}]"
    return [f"# {line}" for line in textwrap.wrap(text, width=88)]


def scenario_template(config: ScenarioConfig, title: str) -> str:
    """A commented scenario file with every section and key set to ``config``'s values
    (which validate back to ``config``); empty (None) keys are commented out."""
    defaults = ScenarioConfig()
    lines = [
        f"# {title}",
        "#",
        "# Every section and key of a scenario, with what it does, its range and its default.",
        "# Delete what you do not change (missing keys take their defaults); `egov-sim params",
        "# SECTION` explains a section, `egov-sim validate FILE` checks the file.",
        "",
    ]
    for section, sfield in ScenarioConfig.model_fields.items():
        cls: type[Section] = sfield.annotation  # type: ignore[assignment]
        value = getattr(config, section)
        base = getattr(defaults, section)
        doc = (cls.__doc__ or "").strip().splitlines()
        scalar = {k: f for k, f in cls.model_fields.items() if k != "groups"}
        if scalar:
            lines.append(f"[{section}]")
            if doc and not doc[0].startswith(("A complete", "Create a new")):
                lines.append(f"# {doc[0]}")
            for key, field in scalar.items():
                lines += _comment(field, getattr(base, key))
                v = getattr(value, key)
                lines.append(
                    f"# {key} = <number>  (uncomment to set)" if v is None else f"{key} = {_toml_value(v)}"
                )
            lines.append("")
        if "groups" in cls.model_fields:
            lines.append(f"# {section}: {cls.model_fields['groups'].description}. One [[{section}.groups]]")
            lines.append("# table per group; the keys of a group:")
            for key, field in PartyGroup.model_fields.items():
                lines.append(
                    f"#   {key}: {field.description} [range {_plain_range(field)}; "
                    f"default {_toml_value(field.default)}]"
                )
            if section == "departments":
                lines += [
                    "# Required links (integration): every pair of departments and every department with",
                    "# every partner; partners need not link to each other. A link works when both ends",
                    "# are integrated and their mutual trust is at least integration.link_trust.",
                ]
            for group in value.groups:
                lines.append(f"[[{section}.groups]]")
                for key in PartyGroup.model_fields:
                    lines.append(f"{key} = {_toml_value(getattr(group, key))}")
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def json_schema() -> dict[str, Any]:
    """JSON Schema of a scenario file (for editors: TOML language servers read it)."""
    schema = ScenarioConfig.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "egov-sim scenario"
    return schema
