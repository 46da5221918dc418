"""Experiment files (TOML): schema, validation and the resolved :class:`Experiment`.

An experiment file names a base scenario, fixed overrides, factors (explicit levels for a
full factorial; ranges for Latin hypercube, Sobol and Morris designs), replications,
months, a master seed and the outputs to keep. Every problem ends in one
:class:`~simulation.io.scenario_io.ScenarioError` naming the file, the key and what is
allowed; nothing is written. ``docs/EXPERIMENTS.md`` documents the format.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..config import ScenarioConfig, scalar_parameters
from ..io.parameters import (
    GROUP_FIELDS as GROUP_FIELDS,
    GROUP_PARAMS as GROUP_PARAMS,
    GROUP_SCALES as GROUP_SCALES,
    SCALE_MAX as SCALE_MAX,
    apply_values as apply_values,
    known_parameters as known_parameters,
)
from ..io.resources import shipped
from ..io.scenario_io import (
    ScenarioError,
    describe,
    explain,
    load_scenario,
    read_toml,
    resolve_path,
    validate,
)

DesignName = Literal["factorial", "lhs", "sobol", "morris"]


#: Time-series variables kept when ``[outputs] timeseries`` is not given.
DEFAULT_SERIES = (
    "adoption",
    "service_quality",
    "integration",
    "mean_trust",
    "mean_resistance",
    "legitimacy",
    "cumulative_cost",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExperimentSection(_Strict):
    name: str | None = Field(None, description="Label (default: file name)", max_length=120)
    description: str | None = Field(None, description="One line (default: first comment line)")
    base: str = Field(description="Base scenario: shipped name or path relative to the experiment file")
    design: DesignName = Field("factorial", description="factorial, lhs, sobol or morris")
    replications: int = Field(10, description="Runs per design point (seeds shared: CRN)", ge=1, le=100_000)
    months: int | None = Field(
        None, description="Months per run (default: the base's [run] months)", ge=1, le=1200
    )
    seed: int | None = Field(
        None, description="Master seed (default: the base's [run] seed)", ge=0, le=2**63 - 1
    )
    samples: int | None = Field(
        None,
        description="lhs: points; sobol: base sample N (power of 2); morris: trajectories",
        ge=1,
        le=1_000_000,
    )
    levels: int = Field(4, description="Morris grid levels", ge=2, le=100)
    second_order: bool = Field(False, description="Sobol: also second-order indices (N(2D+2) runs)")
    batch: int | None = Field(None, description="Runs per task (default: automatic)", ge=1, le=10_000)


class OutputsSection(_Strict):
    kpis: list[str] | None = Field(None, description="KPIs kept (default: all)")
    timeseries: list[str] | None = Field(None, description="Time-series variables kept, long format")
    every: int = Field(
        1, description="Keep every n-th month of the time series (month 0 and last always)", ge=1
    )
    scorecard: bool = Field(True, description="Keep the 5 x 4 scorecard cells as sc.<perspective>.<relation>")


class QuickSection(_Strict):
    replications: int | None = Field(None, ge=1, le=100_000)
    samples: int | None = Field(None, ge=1, le=1_000_000)
    months: int | None = Field(None, ge=1, le=1200)
    fixed: dict[str, Any] = Field(default_factory=dict)
    factors: dict[str, Any] = Field(default_factory=dict)


class ExperimentFile(_Strict):
    experiment: ExperimentSection
    fixed: dict[str, Any] = Field(default_factory=dict)
    factors: dict[str, Any] = Field(default_factory=dict)
    outputs: OutputsSection = Field(default_factory=OutputsSection)
    quick: QuickSection = Field(default_factory=QuickSection)


_SECTIONS: dict[str, type[BaseModel]] = {
    "": ExperimentFile,
    "experiment": ExperimentSection,
    "outputs": OutputsSection,
    "quick": QuickSection,
}


@dataclass(frozen=True)
class Factor:
    """One factor: a scenario parameter with explicit ``levels`` or a ``[low, high]`` range."""

    name: str  # dotted section.key
    kind: Literal["levels", "range"]
    levels: tuple[Any, ...] = ()
    low: float = 0.0
    high: float = 1.0
    integer: bool = False
    dtype: str = "float"  # float, int, bool, str: the parameter's type

    @property
    def numeric(self) -> bool:
        return self.dtype in {"float", "int"}

    def bounds(self) -> tuple[float, float]:
        """Bounds in the sampler's unit: the range, or [0, 1) mapped onto the levels."""
        return (self.low, self.high) if self.kind == "range" else (0.0, 1.0)

    def decode(self, x: float) -> Any:
        """Parameter value of sampler coordinate ``x`` (levels: equal sub-intervals of [0, 1])."""
        if self.kind == "levels":
            i = min(int(x * len(self.levels)), len(self.levels) - 1)
            return self.levels[max(i, 0)]
        if self.integer:
            # Equal sub-intervals per whole number, so both ends are as likely as the middle.
            n = int(round(self.high)) - int(round(self.low)) + 1
            i = int((x - self.low) / (self.high - self.low) * n) if self.high > self.low else 0
            return int(round(self.low)) + min(max(i, 0), n - 1)
        return float(x)


@dataclass(frozen=True)
class Experiment:
    """A validated experiment: everything a sweep needs, picklable and JSON-able."""

    name: str
    description: str
    source: str
    base: str  # absolute path of the base scenario file
    design: str
    replications: int
    months: int
    seed: int
    samples: int | None
    levels: int
    second_order: bool
    batch: int | None
    fixed: dict[str, Any]
    factors: tuple[Factor, ...]
    kpis: tuple[str, ...]
    series: tuple[str, ...]
    every: int
    scorecard: bool
    quick: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: The base scenario, resolved and validated when the experiment was loaded, and its
    #: file's text: they travel with the experiment into every task, so sweep workers
    #: (processes, or Dask workers on other machines and folders) read no files.
    base_data: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    base_text: str | None = field(default=None, compare=False, repr=False)
    # --- explicit design (issue 10, advise): design "points" takes its points as given here
    # (one dict of factor values each); not available in experiment files.
    points: tuple[dict[str, Any], ...] = ()
    # --- parameter ensemble (issue 19, ``--ensemble``): the spec as given (normalised), its
    # draws (made once, in the parent, so workers read no posterior file) and, optionally, the
    # draw of each design point (advise: one draw per uncertainty scenario). Without
    # ``point_draws`` every design point runs every draw x every replication.
    ensemble: str | None = None
    draws: tuple[dict[str, float], ...] = ()
    point_draws: tuple[int, ...] = ()

    @property
    def draw_axis(self) -> int:
        """Draws per design point in the run numbering (1 without an ensemble or with ``point_draws``)."""
        return len(self.draws) if self.draws and not self.point_draws else 1

    def pinned(self) -> set[str]:
        """Parameters a draw must not overwrite: the factors and ``[fixed]`` keys (a group
        attribute set by a factor or fixed key also pins the multiplier of that attribute)."""
        names = {f.name for f in self.factors} | set(self.fixed) | {"run.months", "run.seed"}
        for name in list(names):
            if name in GROUP_PARAMS:
                lists, _, attr = name.partition(".groups.")
                names.add(f"{lists}.scale.{attr}")
                names.add(f"parties.scale.{attr}")
        return names

    def base_config(self) -> ScenarioConfig:
        base = self.base_data or load_scenario(self.base).model_dump()
        data = apply_values(base, {**self.fixed, "run.months": self.months})
        return validate(data, f"{self.source} (base with [fixed])")

    def to_json(self) -> dict[str, Any]:
        """Everything that defines the results (not the execution), for manifests and --resume."""
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "base": self.base,
            "design": self.design,
            "replications": self.replications,
            "months": self.months,
            "seed": self.seed,
            "samples": self.samples,
            "levels": self.levels,
            "second_order": self.second_order,
            "fixed": self.fixed,
            "factors": [
                {
                    "name": f.name,
                    "kind": f.kind,
                    "dtype": f.dtype,
                    **({"levels": list(f.levels)} if f.kind == "levels" else {"low": f.low, "high": f.high}),
                    **({"integer": True} if f.integer else {}),
                }
                for f in self.factors
            ],
            "kpis": list(self.kpis),
            "timeseries": list(self.series),
            "every": self.every,
            "scorecard": self.scorecard,
            "quick": self.quick,
            **({"points": [dict(p) for p in self.points]} if self.points else {}),
            **(
                {
                    "ensemble": self.ensemble,
                    "draws": [dict(d) for d in self.draws],
                    **({"point_draws": list(self.point_draws)} if self.point_draws else {}),
                }
                if self.ensemble
                else {}
            ),
        }

    def fingerprint(self) -> str:
        """Hash of what defines the results, plus the base scenario's contents."""
        payload = self.to_json()
        payload.pop("source")
        text = self.base_text
        payload["base_text"] = Path(self.base).read_text(encoding="utf-8") if text is None else text
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# ---------------------------------------------------------------------- helpers
def _dtype(section_cls: type[BaseModel], key: str) -> str:
    ann = section_cls.model_fields[key].annotation
    origin = typing.get_origin(ann)
    if origin is Literal or ann is str:
        return "str"
    if ann is bool:
        return "bool"
    if ann is int:
        return "int"
    return "float"


def _suggest(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
    return f"; did you mean '{close[0]}'?" if close else ""


def _flatten_params(table: Mapping[str, Any], where: str, source: str) -> dict[str, Any]:
    """``{"trust": {"initial": v}}`` or ``{"trust.initial": v}`` as ``{"trust.initial": v}``,
    stopping at known ``section.key`` names (their values may themselves be tables)."""
    known = set(known_parameters())
    out: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if prefix in known:
            out[prefix] = value
            return
        if isinstance(value, Mapping) and any(k.startswith(prefix + ".") for k in known):
            for k, v in value.items():
                walk(f"{prefix}.{k}", v)
            return
        if isinstance(value, Mapping) and not prefix:
            for k, v in value.items():
                walk(str(k), v)
            return
        raise ScenarioError(
            f"{source}: [{where}] {prefix}: unknown parameter{_suggest(prefix, sorted(known))} "
            f"(use section.key names, see 'egov-sim params', or <departments|partners|parties>.groups."
            f"<{'|'.join(GROUP_FIELDS)}>)"
        )

    for k, v in table.items():
        walk(str(k), v)
    return out


def _check_value(
    base: Mapping[str, Any], fixed: Mapping[str, Any], name: str, value: Any, source: str, where: str
) -> Any:
    """Validate ``name = value`` on the base scenario (dict); return the validated value."""
    try:
        cfg = validate(apply_values(base, {**fixed, name: value}), source)
    except ScenarioError as exc:
        # Keep the scenario's explanation but point at the experiment file and key.
        why = str(exc).split("\n")[0].split(": ", 2)[-1]
        raise ScenarioError(f"{source}: [{where}] {name} = {value!r}: {why}") from None
    if name in GROUP_SCALES:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= SCALE_MAX:
            raise ScenarioError(
                f"{source}: [{where}] {name} = {value!r}: a group multiplier must be a number in [0, {SCALE_MAX:g}]"
            )
        return float(value)
    if name in GROUP_PARAMS:
        section = "departments" if GROUP_PARAMS[name] != "partners" else "partners"
        groups = getattr(cfg, section).groups
        return getattr(groups[0], name.rsplit(".", 1)[1]) if groups else value
    return cfg.flat()[name]


def _pydantic_errors(exc: ValidationError, source: str) -> ScenarioError:
    lines = []
    for err in exc.errors()[:5]:
        loc = tuple(err.get("loc", ()))
        if err.get("type") == "extra_forbidden":
            section = ".".join(str(p) for p in loc[:-1])
            allowed = list(_SECTIONS.get(section, ExperimentFile).model_fields)
            key = str(loc[-1])
            where = f"[{section}] {key}" if section else f"[{key}]"
            lines.append(
                f"{source}: {where}: unknown key{_suggest(key, allowed)} (allowed: {', '.join(allowed)})"
            )
        elif err.get("type") == "missing":
            lines.append(
                f"{source}: [{'.'.join(str(p) for p in loc[:-1])}] {loc[-1]}: required key is missing"
            )
        else:
            lines.append(f"{source}: {explain(err)}")
    return ScenarioError("\n".join(lines))


def resolve_experiment(name: str | os.PathLike[str]) -> Path:
    """A file path as given, or the name of a shipped experiment."""
    p = Path(name)
    if p.exists() or p.suffix or os.sep in str(name):
        return p
    shipped = shipped_experiments()
    if str(name) in shipped:
        return shipped[str(name)]
    hint = _suggest(str(name), list(shipped))
    raise ScenarioError(
        f"{name}: no such file and no shipped experiment of that name{hint} (shipped: {', '.join(shipped)})"
    )


def shipped_experiments() -> dict[str, Path]:
    """Names (file stems) of the shipped experiments and their paths (see :mod:`..resources`)."""
    return shipped("experiments")


# ---------------------------------------------------------------------- loading
def _factor(name: str, spec: Any, design: str, base: Path, fixed: Mapping[str, Any], source: str) -> Factor:
    if name in GROUP_PARAMS or name in GROUP_SCALES:
        dtype = "float"
    else:
        cls, key = scalar_parameters()[name]
        dtype = _dtype(cls, key)
    where = "factors"
    if isinstance(spec, list):
        if not spec:
            raise ScenarioError(f"{source}: [{where}] {name}: give at least one level")
        levels = tuple(_check_value(base, fixed, name, v, source, where) for v in spec)
        if len(set(map(repr, levels))) != len(levels):
            raise ScenarioError(f"{source}: [{where}] {name}: levels must be distinct, got {list(spec)}")
        return Factor(name, "levels", levels=levels, dtype=dtype)
    if isinstance(spec, Mapping):
        extra = set(spec) - {"min", "max"}
        if extra:
            bad = sorted(extra)[0]
            raise ScenarioError(
                f"{source}: [{where}] {name}.{bad}: unknown key{_suggest(bad, ['min', 'max'])} (allowed: min, max)"
            )
        if design == "factorial":
            raise ScenarioError(
                f"{source}: [{where}] {name}: a range needs design lhs, sobol or morris; "
                f"a factorial design needs a list of levels, e.g. {name} = [0.2, 0.5]"
            )
        if dtype not in {"float", "int"}:
            raise ScenarioError(
                f"{source}: [{where}] {name}: a range needs a numeric parameter; "
                f"give a list of levels instead (this parameter is {dtype})"
            )
        if "min" not in spec or "max" not in spec:
            raise ScenarioError(f"{source}: [{where}] {name}: a range needs both min and max")
        for k in ("min", "max"):
            if isinstance(spec[k], bool) or not isinstance(spec[k], int | float):
                raise ScenarioError(f"{source}: [{where}] {name}.{k}: expected a number, got {spec[k]!r}")
        low, high = float(spec["min"]), float(spec["max"])
        if not low < high:
            raise ScenarioError(f"{source}: [{where}] {name}: min must be below max, got {low} .. {high}")
        integer = dtype == "int"
        for v in (low, high):
            _check_value(base, fixed, name, int(round(v)) if integer else v, source, where)
        return Factor(name, "range", low=low, high=high, integer=integer, dtype=dtype)
    raise ScenarioError(
        f"{source}: [{where}] {name}: expected a list of levels or a table {{min = .., max = ..}}, got {spec!r}"
    )


def load_experiment(source: str | os.PathLike[str], *, quick: bool = False) -> Experiment:
    """Read and validate an experiment file (path or shipped name); ``quick`` applies ``[quick]``."""
    path = resolve_experiment(source)
    data = read_toml(path, what="experiment")
    label = str(path)
    try:
        spec = ExperimentFile.model_validate(data)
    except ValidationError as exc:
        raise _pydantic_errors(exc, label) from None
    ex = spec.experiment
    base_name = ex.base
    candidate = (path.parent / base_name) if not Path(base_name).is_absolute() else Path(base_name)
    base = candidate if candidate.suffix and candidate.exists() else None
    if base is None:
        try:
            base = resolve_path(base_name)
        except ScenarioError as exc:
            raise ScenarioError(f"{label}: [experiment] base: {exc}") from None
    if not base.exists():
        raise ScenarioError(f"{label}: [experiment] base: {base_name}: scenario file not found")
    base = base.resolve()
    try:
        base_cfg = load_scenario(base)
        base_text = base.read_text(encoding="utf-8")  # load_scenario has checked it is UTF-8
    except ScenarioError as exc:
        raise ScenarioError(f"{label}: [experiment] base is invalid:\n{exc}") from None

    fixed = _flatten_params(spec.fixed, "fixed", label)
    factors_raw = _flatten_params(spec.factors, "factors", label)
    replications, samples, months = ex.replications, ex.samples, ex.months
    if quick:
        q = spec.quick
        fixed.update(_flatten_params(q.fixed, "quick.fixed", label))
        for k, v in _flatten_params(q.factors, "quick.factors", label).items():
            if k not in factors_raw:
                raise ScenarioError(f"{label}: [quick.factors] {k}: not a factor of this experiment")
            factors_raw[k] = v
        replications = q.replications or min(replications, 3)
        samples = q.samples or (min(samples, 8) if samples else None)
        months = q.months or months
    base_dump = base_cfg.model_dump()
    for name, value in fixed.items():
        fixed[name] = _check_value(base_dump, {}, name, value, label, "fixed")
    if fixed:
        try:
            validate(apply_values(base_dump, fixed), label)
        except ScenarioError as exc:
            raise ScenarioError(f"{label}: [fixed] {str(exc).split(': ', 1)[-1]}") from None
    overlap = sorted(set(fixed) & set(factors_raw))
    if overlap:
        raise ScenarioError(f"{label}: [fixed] {overlap[0]}: also a factor; give it in one place only")
    for name in factors_raw:
        if name in {"run.seed", "run.months"}:
            raise ScenarioError(
                f"{label}: [factors] {name}: not a factor; set [experiment] seed / months instead"
            )
    factors = tuple(_factor(n, v, ex.design, base_dump, fixed, label) for n, v in factors_raw.items())

    if ex.design == "factorial":
        if ex.samples is not None:
            raise ScenarioError(f"{label}: [experiment] samples: only for designs lhs, sobol and morris")
    else:
        if samples is None:
            raise ScenarioError(f"{label}: [experiment] samples: required for design {ex.design}")
        if not factors:
            raise ScenarioError(f"{label}: [factors]: design {ex.design} needs at least one factor")
        if ex.design in {"sobol", "morris"} and len(factors) < 2:
            raise ScenarioError(f"{label}: [factors]: design {ex.design} needs at least two factors")

    from ..model import SERIES
    from ..outputs.kpis import KPI_INFO

    kpis = tuple(spec.outputs.kpis) if spec.outputs.kpis is not None else tuple(KPI_INFO)
    for k in kpis:
        if k not in KPI_INFO:
            raise ScenarioError(
                f"{label}: [outputs] kpis: unknown KPI '{k}'{_suggest(k, list(KPI_INFO))} "
                f"(allowed: {', '.join(KPI_INFO)})"
            )
    series = tuple(spec.outputs.timeseries) if spec.outputs.timeseries is not None else DEFAULT_SERIES
    for s in series:
        if s not in SERIES:
            raise ScenarioError(
                f"{label}: [outputs] timeseries: unknown variable '{s}'{_suggest(s, list(SERIES))} "
                f"(allowed: {', '.join(SERIES)})"
            )
    if len(set(kpis)) != len(kpis) or len(set(series)) != len(series):
        raise ScenarioError(f"{label}: [outputs]: kpis and timeseries must not repeat a name")

    return Experiment(
        name=ex.name or path.stem,
        description=ex.description or describe(path),
        source=label,
        base=str(base),
        design=ex.design,
        replications=replications,
        months=months or base_cfg.run.months,
        seed=base_cfg.run.seed if ex.seed is None else ex.seed,
        samples=samples,
        levels=ex.levels,
        second_order=ex.second_order,
        batch=ex.batch,
        fixed=fixed,
        factors=factors,
        kpis=kpis,
        series=series,
        every=spec.outputs.every,
        scorecard=spec.outputs.scorecard,
        quick=quick,
        raw=data,
        base_data=base_dump,
        base_text=base_text,
    )


def load_experiment_json(data: Mapping[str, Any]) -> Experiment:
    """Rebuild an :class:`Experiment` from :meth:`Experiment.to_json` (e.g. a manifest)."""
    factors = tuple(
        Factor(
            f["name"],
            f["kind"],
            levels=tuple(f.get("levels", ())),
            low=float(f.get("low", 0.0)),
            high=float(f.get("high", 1.0)),
            integer=bool(f.get("integer", False)),
            dtype=f["dtype"],
        )
        for f in data["factors"]
    )
    return Experiment(
        name=data["name"],
        description=data["description"],
        source=data["source"],
        base=data["base"],
        design=data["design"],
        replications=int(data["replications"]),
        months=int(data["months"]),
        seed=int(data["seed"]),
        samples=data["samples"],
        levels=int(data["levels"]),
        second_order=bool(data["second_order"]),
        batch=None,
        fixed=dict(data["fixed"]),
        factors=factors,
        kpis=tuple(data["kpis"]),
        series=tuple(data["timeseries"]),
        every=int(data["every"]),
        scorecard=bool(data["scorecard"]),
        quick=bool(data["quick"]),
        points=tuple(dict(p) for p in data.get("points", ())),
        ensemble=data.get("ensemble"),
        draws=tuple(dict(d) for d in data.get("draws", ())),
        point_draws=tuple(int(i) for i in data.get("point_draws", ())),
    )


def with_ensemble(exp: Experiment, text: str | None) -> Experiment:
    """``exp`` with the parameter ensemble ``text`` (``--ensemble``: ``N``, ``prior[:N]``,
    ``defaults``) drawn from the experiment's master seed; ``exp`` itself when ``text`` is None.
    Every design point runs every draw (set ``point_draws`` to give each point one draw)."""
    from dataclasses import replace

    from ..runs.ensemble import make_draws, parse_ensemble

    spec = parse_ensemble(text)
    if spec is None:
        return exp
    draws = tuple(make_draws(spec, exp.seed))
    label = spec.kind if spec.kind == "defaults" else f"{spec.kind}:{spec.n}"
    return replace(exp, ensemble=label, draws=draws)
