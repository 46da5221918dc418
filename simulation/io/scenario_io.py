"""Reading scenario files (TOML) into a validated :class:`ScenarioConfig`.

Every problem ends in one :class:`ScenarioError` whose message names the file, the key
and what is allowed; nothing here writes to disk.
"""

from __future__ import annotations

import copy
import difflib
import os
import stat
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..config import PartyGroup, ScenarioConfig, scalar_parameters
from ..sections import Section, SectionError
from .errors import ScenarioError

#: Bytes of memory one citizen costs in a run (agent object, state arrays, network at
#: degree 8); measured with benchmarks/bench_model.py, rounded up.
BYTES_PER_CITIZEN = 700
BYTES_PER_CONTACT = 24

#: Global size limits, checked before any work (issue 12): a scenario or experiment file
#: is small text; deeper nesting than this has no meaning in either format.
MAX_FILE_BYTES = 1 * 2**20
MAX_NESTING = 16
#: Departments plus partners in one scenario. Negotiation is pairwise, so run time grows
#: with the square of the number of parties; the shipped scenarios use at most about 40.
MAX_PARTIES = 1000
MAX_GROUPS = 200


def shipped_scenarios() -> dict[str, Path]:
    """Names (file stems) of the shipped scenarios and their paths (see :mod:`.resources`)."""
    from .resources import shipped

    return shipped("scenarios")


def describe(path: Path) -> str:
    """First comment line of a scenario file: its one-line description."""
    for line in path.read_text(encoding="utf-8").splitlines():
        s = line.strip()
        if s.startswith("#"):
            text = s.lstrip("#").strip()
            if text:
                return text
        elif s:
            break
    return ""


def resolve_path(name: str | os.PathLike[str]) -> Path:
    """A file path as given, or the name of a shipped scenario."""
    p = Path(name)
    try:
        found = p.exists()
    except OSError:  # e.g. a folder on the way is not searchable: read_toml says why
        found = True
    if found or p.suffix or os.sep in str(name):
        return p
    shipped = shipped_scenarios()
    if str(name) in shipped:
        return shipped[str(name)]
    close = difflib.get_close_matches(str(name), list(shipped), n=1)
    close = close or [s for s in shipped if s.startswith(str(name)) or str(name) in s][:1]
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise ScenarioError(
        f"{name}: no such file and no shipped scenario of that name{hint} (shipped: {', '.join(shipped)})"
    )


def read_toml(path: Path, what: str = "scenario") -> dict[str, Any]:
    """Parse a TOML file with errors that name the file (and line for syntax errors)."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise ScenarioError(f"{path}: {what} file not found") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read {what} file ({exc.strerror})") from None
    if stat.S_ISDIR(mode):
        raise ScenarioError(f"{path}: is a directory, expected a {what} file (.toml)")
    if not stat.S_ISREG(mode):  # a FIFO or device would block or never end
        raise ScenarioError(f"{path}: not a regular file, expected a {what} file (.toml)")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ScenarioError(
            f"{path}: {path.stat().st_size:,} bytes; a {what} file may have at most {MAX_FILE_BYTES:,}"
        )
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read {what} file ({exc.strerror})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(f"{path}: more than {MAX_FILE_BYTES:,} bytes; too large for a {what} file")
    if b"\x00" in raw[:8192]:
        raise ScenarioError(f"{path}: binary file, expected a TOML {what} file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"{path}: not UTF-8 text (byte {exc.start}), expected a TOML {what} file"
        ) from None
    check_text_nesting(text, str(path))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: TOML syntax error: {exc}") from None
    check_nesting(data, str(path))
    return data


def _nesting_error(source: str, where: str) -> ScenarioError:
    return ScenarioError(
        f"{source}: {where} nested more than {MAX_NESTING} levels deep; "
        f"tables, dotted keys, arrays and inline tables may nest at most {MAX_NESTING} levels"
    )


def check_text_nesting(text: str, source: str) -> None:
    """Refuse arrays/inline tables nested deeper than MAX_NESTING before parsing them
    (the TOML parser recurses on them). Brackets in strings and comments do not count."""
    depth = 0
    line = 1
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        elif c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif c in "\"'":
            quote = text[i : i + 3] if text[i : i + 3] in ('"""', "'''") else c
            j = i + len(quote)
            while j < n:
                if c == '"' and text[j] == "\\":
                    j += 2
                    continue
                if text.startswith(quote, j):
                    break
                if len(quote) == 1 and text[j] == "\n":
                    break  # unterminated: the parser reports it
                j += 1
            line += text.count("\n", i, j)
            i = j + len(quote)
            continue
        elif c in "[{":
            depth += 1
            if depth > MAX_NESTING:
                raise _nesting_error(source, f"line {line}: value")
        elif c in "]}":
            depth = max(0, depth - 1)
        i += 1


def check_nesting(data: Any, source: str, limit: int = MAX_NESTING) -> None:
    """Refuse parsed data (tables, dotted keys, arrays) nested deeper than ``limit``;
    iterative, so no input can exhaust the stack."""
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    while stack:
        value, depth, where = stack.pop()
        if depth > limit:
            raise _nesting_error(source, f"[{where.lstrip('.')}]")
        if isinstance(value, Mapping):
            stack += [(v, depth + 1, f"{where}.{k}" if depth < 3 else where) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(v, depth + 1, where) for v in value]


def deep_merge(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """``update`` laid over ``base``; tables merge, everything else (lists too) replaces."""
    out = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: type[Section] = ScenarioConfig
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            break
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, Section):
            model = ann
        elif part == "groups":
            model = PartyGroup
        else:
            break
    return list(model.model_fields)


def _format_loc(loc: tuple[Any, ...]) -> str:
    parts = [str(p) if not isinstance(p, int) else f"[{p}]" for p in loc]
    text = ".".join(parts).replace(".[", "[")
    if len(loc) >= 2:
        head, rest = text.split(".", 1) if "." in text else (text, "")
        return f"[{head}] {rest}" if rest else f"[{head}]"
    return f"[{text}]" if loc else "(top level)"


def explain(error: Mapping[str, Any]) -> str:
    """One validation error (pydantic's error dict) as a sentence naming the key and what is allowed."""
    loc = tuple(error.get("loc", ()))
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    where = _format_loc(loc)
    given = error.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = [k for k in _allowed_keys(loc[:-1]) if k != "groups" or len(loc) > 1]
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"{where}: unknown key{hint} (allowed: {', '.join(allowed)})"
    if kind == "literal_error":
        return f"{where}: {given!r} is not allowed; use one of {ctx.get('expected', '')}"
    bounds = {
        "greater_than_equal": "≥ {ge}",
        "greater_than": "> {gt}",
        "less_than_equal": "≤ {le}",
        "less_than": "< {lt}",
    }
    if kind in bounds:
        return f"{where}: must be {bounds[kind].format(**ctx)}, got {given!r}"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"{where}: expected a whole number, got {given!r}"
    if kind in {"float_type", "float_parsing"}:
        return f"{where}: expected a number, got {given!r}"
    if kind in {"bool_type", "bool_parsing"}:
        return f"{where}: expected true or false, got {given!r}"
    if kind in {"string_type"}:
        return f"{where}: expected a string, got {given!r}"
    if kind in {"model_type", "dict_type"}:
        return f"{where}: expected a table (section), got {given!r}"
    if kind == "list_type":
        return f"{where}: expected a list, got {given!r}"
    msg = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"{where}: {msg}"


def _native(value: Any) -> Any:
    """numpy scalars (from designs and sweeps) as the Python values strict validation wants."""
    if isinstance(value, Mapping):
        return {k: _native(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_native(v) for v in value]
    item = getattr(value, "item", None)
    if item is not None and type(value).__module__ == "numpy":
        return item()
    return value


def validate(data: Mapping[str, Any], source: str) -> ScenarioConfig:
    """Defaults overlaid with ``data``, validated; errors name ``source`` and the key."""
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{source}: expected a table of sections")
    check_nesting(data, source)
    merged = deep_merge(ScenarioConfig().model_dump(), _native(data))
    try:
        config = ScenarioConfig.model_validate(merged)
    except SectionError as exc:
        errors = exc.errors()
        lines = [f"{source}: {explain(e)}" for e in errors[:5]]
        if len(errors) > 5:
            lines.append(f"... and {len(errors) - 5} more")
        raise ScenarioError("\n".join(lines)) from None
    check_parties(config, source)
    check_resources(config, source)
    return config


def check_parties(config: ScenarioConfig, source: str) -> None:
    groups = len(config.departments.groups) + len(config.partners.groups)
    if groups > MAX_GROUPS:
        raise ScenarioError(
            f"{source}: [departments] groups + [partners] groups: {groups:,} groups; at most {MAX_GROUPS} allowed"
        )
    parties = config.departments.count + config.partners.count
    if parties > MAX_PARTIES:
        raise ScenarioError(
            f"{source}: [departments] + [partners] count: {parties:,} parties "
            f"({config.departments.count:,} departments, {config.partners.count:,} partners); "
            f"at most {MAX_PARTIES:,} in total are allowed"
        )


def parse_set(items: Iterable[str]) -> dict[str, Any]:
    """``["citizens.count=500", ...]`` as a nested override table (values as TOML)."""
    known = scalar_parameters()
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ScenarioError(f"--set {item}: expected section.key=value")
        key, text = (s.strip() for s in item.split("=", 1))
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ScenarioError(f"--set {key}: unknown parameter{hint}")
        check_text_nesting(text, f"--set {key}")
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            value = text  # a bare word such as phased
        section, name = key.split(".", 1)
        out.setdefault(section, {})[name] = value
    return out


def load_scenario(
    source: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    sets: Iterable[str] = (),
) -> ScenarioConfig:
    """Load a scenario by path or shipped name (None: built-in defaults), then apply
    ``overrides`` (nested ``{"section": {"key": value}}``) and ``--set`` strings."""
    if source is None:
        data: dict[str, Any] = {}
        label = "(defaults)"
    else:
        path = resolve_path(source)
        data = read_toml(path)
        label = str(path)
    sets = list(sets)
    if overrides or sets:
        # Check the file on its own first, so that an error is blamed on its real source.
        validate(data, label)
    if overrides:
        data = deep_merge(data, overrides)
        if not sets:
            return validate(data, label)
    if sets:
        data = deep_merge(data, parse_set(sets))
        return validate(data, "--set " + " ".join(sets))
    return validate(data, label)


def available_memory() -> int | None:
    """Bytes of memory available now, or None when this platform does not say.

    Linux: ``MemAvailable`` in /proc/meminfo; other POSIX systems: total RAM from
    ``os.sysconf``; Windows: ``GlobalMemoryStatusEx`` (available physical memory).
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    sysconf = getattr(os, "sysconf", None)  # absent on Windows
    if sysconf is not None:
        try:
            pages, size = sysconf("SC_PHYS_PAGES"), sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):
            pass
        else:
            if pages > 0 and size > 0:
                return pages * size
    return _windows_available_memory()


def _windows_available_memory() -> int | None:
    if os.name != "nt":
        return None
    import ctypes  # pragma: no cover - Windows only

    class MemoryStatus(ctypes.Structure):  # pragma: no cover - Windows only
        _fields_ = [
            ("dwLength", ctypes.c_ulong),
            ("dwMemoryLoad", ctypes.c_ulong),
            ("ullTotalPhys", ctypes.c_ulonglong),
            ("ullAvailPhys", ctypes.c_ulonglong),
            ("ullTotalPageFile", ctypes.c_ulonglong),
            ("ullAvailPageFile", ctypes.c_ulonglong),
            ("ullTotalVirtual", ctypes.c_ulonglong),
            ("ullAvailVirtual", ctypes.c_ulonglong),
            ("sullAvailExtendedVirtual", ctypes.c_ulonglong),
        ]

    status = MemoryStatus()  # pragma: no cover - Windows only
    status.dwLength = ctypes.sizeof(MemoryStatus)
    try:
        ok = ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return None
    return int(status.ullAvailPhys) if ok else None


def estimated_memory(config: ScenarioConfig) -> int:
    """Rough peak bytes of one run of ``config``."""
    n = config.citizens.count
    contacts = 0 if config.citizens.network == "complete" else n * config.citizens.degree
    return n * BYTES_PER_CITIZEN + contacts * BYTES_PER_CONTACT


def check_resources(config: ScenarioConfig, source: str) -> None:
    need = estimated_memory(config)
    have = available_memory()
    if have is None:  # the platform does not say: no check rather than a crash
        return
    if need > 0.8 * have:
        raise ScenarioError(
            f"{source}: [citizens] count: {config.citizens.count:,} citizens need about "
            f"{need / 2**30:.1f} GiB, but this machine has {have / 2**30:.1f} GiB available; "
            f"use at most about {int(0.8 * have / (need / config.citizens.count)):,}"
        )
