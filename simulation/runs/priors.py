"""Priors of the uncertain parameters (``data/priors.toml``) and how a draw is applied.

A prior is a distribution over one parameter: ``uniform``, ``loguniform`` or ``triangular``
between ``low`` and ``high``. Its ``mode`` says what the drawn number is: ``absolute``, the
value itself, or ``scale``, a multiplier of the scenario's own value (so that what a
scenario says about its case survives the draw). A drawn value is clipped to the field's
allowed range and rounded for integer fields. Group multipliers
(``parties.scale.resistance`` ...) are applied as in experiment files
(:func:`simulation.experiments.spec.apply_values`).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..io.scenario_io import ScenarioError

PRIORS_FILE = "priors.toml"
DISTRIBUTIONS = ("uniform", "loguniform", "triangular")
MODES = ("absolute", "scale")
_KEYS = {"name", "distribution", "low", "high", "peak", "mode", "unit", "source", "calibrated"}


@dataclass(frozen=True)
class Prior:
    """One parameter's prior. ``low``/``high`` bound the drawn number (a multiplier when
    ``mode == "scale"``); ``peak`` is the triangular mode."""

    name: str
    distribution: Literal["uniform", "loguniform", "triangular"]
    low: float
    high: float
    mode: Literal["absolute", "scale"] = "absolute"
    unit: str = ""
    source: str = ""
    calibrated: bool = False
    peak: float | None = None

    def ppf(self, u: np.ndarray | float) -> np.ndarray:
        """The quantile function: maps u in [0, 1] to the prior's support."""
        u = np.asarray(u, float)
        lo, hi = self.low, self.high
        if self.distribution == "uniform":
            return lo + u * (hi - lo)
        if self.distribution == "loguniform":
            return np.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        c = ((self.peak if self.peak is not None else (lo + hi) / 2) - lo) / (hi - lo)
        return np.where(
            u < c, lo + np.sqrt(u * (hi - lo) ** 2 * c), hi - np.sqrt((1 - u) * (hi - lo) ** 2 * (1 - c))
        )

    def median(self) -> float:
        return float(self.ppf(0.5))

    def describe(self) -> str:
        """One line: ``loguniform(0.0005, 0.08) per month, absolute``."""
        args = (
            f"{self.low:g}, {self.peak:g}, {self.high:g}"
            if self.peak is not None
            else f"{self.low:g}, {self.high:g}"
        )
        what = "x the scenario's value" if self.mode == "scale" else self.unit
        fitted = "; calibrated (posterior in data/posterior.csv)" if self.calibrated else ""
        return f"{self.distribution}({args}) {what}{fitted}"


def _bounds(name: str) -> tuple[float, float, bool]:
    """Allowed range of a parameter (low, high, is integer); group scales: [0, SCALE_MAX]."""
    from ..config import PartyGroup, ScenarioConfig

    if ".scale." in name:
        return 0.0, 10.0, False
    if ".groups." in name:
        section, _, key = name.split(".")
        field = PartyGroup.model_fields[key]
    else:
        section, key = name.split(".", 1)
        field = ScenarioConfig.model_fields[section].annotation.model_fields[key]  # type: ignore[union-attr]
    low, _, high, _ = field.interval()
    lo = -math.inf if low is None else float(low)
    hi = math.inf if high is None else float(high)
    is_int = field.annotation is int
    return lo, hi, is_int


def _check(entry: Mapping[str, Any], where: str, known: set[str]) -> Prior:
    unknown = set(entry) - _KEYS
    if unknown:
        raise ScenarioError(
            f"{where}: unknown key {sorted(unknown)[0]!r}; allowed: {', '.join(sorted(_KEYS))}"
        )
    name = entry.get("name")
    if not isinstance(name, str) or name not in known:
        raise ScenarioError(f"{where}.name: {name!r} is not a parameter (see 'egov-sim params')")
    dist = entry.get("distribution")
    if dist not in DISTRIBUTIONS:
        raise ScenarioError(f"{where}.distribution: {dist!r}; allowed: {', '.join(DISTRIBUTIONS)}")
    mode = entry.get("mode", "absolute")
    if mode not in MODES:
        raise ScenarioError(f"{where}.mode: {mode!r}; allowed: {', '.join(MODES)}")
    try:
        lo, hi = float(entry["low"]), float(entry["high"])
    except (KeyError, TypeError, ValueError):
        raise ScenarioError(f"{where}: 'low' and 'high' must be numbers") from None
    if not lo < hi:
        raise ScenarioError(f"{where}: low ({lo:g}) must be below high ({hi:g})")
    if dist == "loguniform" and lo <= 0:
        raise ScenarioError(f"{where}.low: a loguniform prior needs low > 0, got {lo:g}")
    if mode == "scale" and lo < 0:
        raise ScenarioError(f"{where}.low: a multiplier cannot be negative, got {lo:g}")
    if mode == "absolute":
        flo, fhi, _ = _bounds(name)
        if lo < flo or hi > fhi:
            raise ScenarioError(
                f"{where}: range [{lo:g}, {hi:g}] leaves the parameter's range [{flo:g}, {fhi:g}]"
            )
    peak = entry.get("peak")
    if dist == "triangular":
        if peak is None or not lo <= float(peak) <= hi:
            raise ScenarioError(f"{where}.peak: a triangular prior needs low <= peak <= high")
        peak = float(peak)
    calibrated = entry.get("calibrated", False)
    if not isinstance(calibrated, bool):
        raise ScenarioError(f"{where}.calibrated: expected true or false")
    return Prior(
        name, dist, lo, hi, mode, str(entry.get("unit", "")), str(entry.get("source", "")), calibrated, peak
    )


def read_priors(path: Path) -> tuple[Prior, ...]:
    """Read and check a priors file; every problem is one :class:`ScenarioError` naming the
    file, the entry and the key."""
    from ..io.parameters import known_parameters

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: TOML syntax error: {exc}") from None
    entries = data.get("prior")
    if set(data) - {"prior"} or not isinstance(entries, list) or not entries:
        raise ScenarioError(f"{path}: expected a list of [[prior]] tables and nothing else")
    known = set(known_parameters())
    out, seen = [], set()
    for i, entry in enumerate(entries):
        where = f"{path}: prior {i + 1} ({entry.get('name', '?')})"
        prior = _check(entry, where, known)
        if prior.name in seen:
            raise ScenarioError(f"{where}: {prior.name} has two priors")
        seen.add(prior.name)
        out.append(prior)
    return tuple(out)


@cache
def shipped_priors() -> tuple[Prior, ...]:
    """The priors that ship with the package (``data/priors.toml``)."""
    from ..io.resources import data_file

    return read_priors(data_file(PRIORS_FILE))


def prior_of(name: str) -> Prior | None:
    return next((p for p in shipped_priors() if p.name == name), None)


def apply_draw(data: Mapping[str, Any], draw: Mapping[str, float], priors: Sequence[Prior]) -> dict[str, Any]:
    """The scenario ``data`` (nested dict of a validated config) with ``draw`` applied:
    absolute values set, ``scale`` values multiplying the scenario's own value, each clipped
    to the parameter's range (integers rounded)."""
    from ..io.parameters import GROUP_SCALES, apply_values

    by_name = {p.name: p for p in priors}
    values: dict[str, Any] = {}
    for name, number in draw.items():
        prior = by_name[name]
        if name in GROUP_SCALES:
            values[name] = float(number)
            continue
        section, key = name.split(".", 1)
        current = data.get(section, {}).get(key)
        value = float(number) * float(current) if prior.mode == "scale" else float(number)
        lo, hi, is_int = _bounds(name)
        value = min(hi, max(lo, value))
        values[name] = int(round(value)) if is_int else value
    return apply_values(data, values)
