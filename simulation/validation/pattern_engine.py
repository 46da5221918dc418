"""Pattern-oriented validation (brief §5) as a map: the pattern records and the one engine.

A pattern (:class:`Pattern`) declares its conditions (scenario parameters only) and its
sub-claims (:class:`Claim`: a measure compared between two conditions, a claimed sign
and a test). For every pattern and cell (:mod:`.pattern_cells`) every condition runs the
same replication seeds (common random numbers, CRN); each sub-claim gets its test, an
effect (B − A with its 95 % interval) and a verdict from one rule (:func:`verdict`); the
cell's verdict combines its sub-claims (:func:`combine`). Nothing here feeds back into
the model.

The whole design is laid out first (:func:`plan`), every distinct run is executed once
(a run shared by two patterns, e.g. the scenario's own rollout, is reused), then every
cell is evaluated. Each job carries its seed, so results do not depend on the number of
workers. ``quick`` uses :data:`QUICK_REPS` replications: a smoke test, not the verdicts.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..config import ScenarioConfig
from ..io.scenario_io import ScenarioError
from ..runs.seeds import replication_seeds
from .pattern_cells import QUICK_REGIONS, REGIONS, Cell, cells, make_config
from .pattern_figures import plot_map
from .runs import Job, Pool
from .stats import ALPHA, mcnemar, paired, share_test
from .verdicts import MIN_INFORMATIVE, QUICK_REPS, VERDICTS, combine, verdict

Run = Mapping[str, Any]  # one run's outcome (runs.outcome)
Outcomes = Mapping[str, Sequence[Run]]  # condition name -> its runs, in seed order
Conditions = dict[str, dict[str, Any]]  # condition name -> scenario parameters it sets
RunMeasure = Callable[[Run], float]
#: ``values(condition, measure=the claim's per_run)``: one value per run of the condition.
Values = Callable[..., np.ndarray]
Sides = Callable[[Cell, Values], tuple[np.ndarray, ...]]

#: The tests a claim can name: (A, B) -> result with ``diff`` = B − A; "share" takes one
#: sample, the runs where the measure is defined (1 = true), against the share 0.5.
TESTS: dict[str, Callable[..., dict[str, Any]]] = {
    "paired": paired,  # Wilcoxon signed-rank on CRN pairs
    "mcnemar": mcnemar,  # exact McNemar on paired booleans (nan counts as true, as bool(nan))
    "share": lambda x: share_test(x[np.isfinite(x)]),
}


def run_value(o: Run, key: str) -> float:
    """The outcome field ``key`` as a float (nan if missing or None)."""
    return np.nan if o.get(key) is None else float(o[key])


def per_run(runs: Sequence[Run], measure: str | RunMeasure) -> np.ndarray:
    """``measure`` of every run: an outcome field (:func:`run_value`) or a function."""
    if isinstance(measure, str):
        return np.array([run_value(o, measure) for o in runs])
    return np.array([measure(o) for o in runs])


@dataclass(frozen=True)
class Claim:
    """One sub-claim: the measure in B minus the measure in A has sign ``direction``.

    By default A and B are the conditions named ``of`` (else ``a`` and ``b``) and each run
    contributes ``per_run``; ``sides`` is the hook for anything else (derived contrasts,
    two measures of one condition, masks). Texts may name the pattern's ``facts``
    (``str.format`` fields), e.g. ``"censored at {horizon}"``."""

    text: str
    a: str  # what A is (report text)
    b: str
    measure: str  # what is compared, with its unit (report text)
    direction: Literal[-1, 1]
    per_run: str | RunMeasure = ""
    of: tuple[str, ...] = ()  # conditions compared when not named a and b; one for "share"
    test: Literal["paired", "mcnemar", "share"] = "paired"
    regions: tuple[str, ...] = ()  # claimed only in these regions (default: every region)
    sides: Sides | None = None

    def judge(self, cell: Cell, res: Outcomes, facts: Mapping[str, Any]) -> dict[str, Any]:
        """The sub-claim's record in ``cell``: texts, test result and verdict."""

        def values(condition: str, measure: str | RunMeasure = self.per_run) -> np.ndarray:
            return per_run(res[condition], measure)

        arrays = self.sides(cell, values) if self.sides else [values(k) for k in self.of or (self.a, self.b)]
        result = TESTS[self.test](*arrays)
        a, b, text, measure = (s.format(**facts) for s in (self.a, self.b, self.text, self.measure))
        return {
            "text": text,
            "a": a,
            "b": b,
            "measure": measure,
            "direction": self.direction,
            "result": result,
            "verdict": verdict(result, self.direction),
        }


@dataclass(frozen=True)
class Pattern:
    """One pattern: its texts and label, its conditions per cell and its sub-claims."""

    number: int
    title: str
    claim: str
    label: Literal["emergent", "by construction"]
    label_reason: str
    setup: str
    criterion: str  # the statistical criterion (report text)
    reps: int  # replications per condition in a full run
    conditions: Conditions | Callable[[Cell], Conditions]
    claims: tuple[Claim, ...]
    primary: str = ""  # the sub-claim whose effect the map shows (default: the first applicable)
    requires: tuple[Callable[[Cell], str | None], ...] = ()  # each: why a cell is not applicable
    facts: Callable[[Cell], dict[str, Any]] | None = None  # per-cell values the texts name
    heavy: bool = False  # adoption matters: 2,000 citizens on the small-world network
    keep: tuple[str, ...] = ()  # monthly series the claims need from each run
    map_title: str = ""  # the map's measure line when the claims differ by region
    calibration_target: str | None = None  # the measure is also a target of ``egov-sim calibrate``
    global_check: Callable[[bool, Path, int], dict[str, Any]] | None = None  # (quick, img_dir, master)

    def design(self, cell: Cell) -> Conditions | str:
        """The conditions in ``cell``, or why the pattern is not applicable there."""
        for need in self.requires:
            if reason := need(cell):
                return reason
        return self.conditions(cell) if callable(self.conditions) else dict(self.conditions)

    def evaluate(self, cell: Cell, res: Outcomes) -> list[dict[str, Any]]:
        """Every sub-claim claimed in ``cell``'s region, judged on the runs ``res``."""
        facts = self.facts(cell) if self.facts else {}
        return [
            c.judge(cell, res, facts) for c in self.claims if not c.regions or cell.region.name in c.regions
        ]


Catalogue = Mapping[int, Pattern]

# ---------------------------------------------------------------------- running the map


@dataclass
class Context:
    quick: bool = False
    workers: int = 1
    master: int = 20240501
    img_dir: Path = Path("docs/img/validation")
    scenarios: Sequence[str] | None = None
    regions: Sequence[str] | None = None
    reps: int | None = None  # replications for every pattern (default: each pattern's own)
    progress: Callable[[str], None] | None = None
    pool: Pool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.pool = Pool(self.workers)
        if self.quick and self.regions is None:
            self.regions = QUICK_REGIONS

    def replications(self, spec: Pattern) -> int:
        if self.reps is not None:
            return self.reps
        return QUICK_REPS if self.quick else spec.reps


@dataclass
class Planned:
    """One pattern in one cell: its conditions (name -> job keys) or why not applicable."""

    spec: Pattern
    cell: Cell
    conditions: dict[str, list[str]] = field(default_factory=dict)
    reason: str = ""


def _key(cfg: ScenarioConfig, seed: int, keep: tuple[str, ...]) -> str:
    return hashlib.sha1(f"{cfg.model_dump_json()}|{seed}|{','.join(keep)}".encode()).hexdigest()


def plan(ctx: Context, numbers: Sequence[int], catalogue: Catalogue) -> tuple[list[Planned], dict[str, Job]]:
    """Every (pattern, cell) with its conditions, and the distinct jobs they need."""
    grid = cells(ctx.scenarios, ctx.regions)
    jobs: dict[str, Job] = {}
    out = []
    for n in numbers:
        spec = catalogue[n]
        seeds = replication_seeds(ctx.master, ctx.replications(spec))
        for cell in grid:
            pl = Planned(spec, cell)
            design = spec.design(cell)
            if isinstance(design, str):
                pl.reason = design
                out.append(pl)
                continue
            try:
                configs = {
                    name: make_config(cell.scenario, cell.region, sets, spec.heavy)
                    for name, sets in design.items()
                }
            except ScenarioError as exc:  # e.g. a parameter renamed in the model
                pl.reason = f"the scenario does not accept this pattern's conditions ({exc})"
                out.append(pl)
                continue
            for name, cfg in configs.items():
                keys = []
                for s in seeds:
                    k = _key(cfg, s, spec.keep)
                    jobs.setdefault(k, Job(cfg, s, spec.keep))
                    keys.append(k)
                pl.conditions[name] = keys
            out.append(pl)
    return out, jobs


def _primary(spec: Pattern, claims: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The sub-claim shown on the map: the named one, or the only applicable one."""
    live = [c for c in claims if c["result"] is not None]
    for c in live:
        if spec.primary and c["text"] == spec.primary:
            return c
    return live[0] if live else None


def evaluate(pl: Planned, results: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    cell = {"scenario": pl.cell.scenario, "region": pl.cell.region.name}
    if pl.reason:
        return {**cell, "verdict": "not applicable", "reason": pl.reason, "claims": [], "primary": None}
    outs = {name: [results[k] for k in keys] for name, keys in pl.conditions.items()}
    try:
        claims = pl.spec.evaluate(pl.cell, outs)
    except KeyError as exc:  # a KPI or party field the pattern needs is not in the outcome
        reason = f"a measure this pattern needs is missing from the run outcome ({exc!r})"
        return {**cell, "verdict": "not applicable", "reason": reason, "claims": [], "primary": None}
    extra = {
        "bad_end_share": {
            name: float(np.mean([bool(o.get("bad_end")) for o in v])) for name, v in outs.items()
        }
    }
    return {
        **cell,
        "verdict": combine([c["verdict"] for c in claims]),
        "reason": "",
        "claims": claims,
        "primary": _primary(pl.spec, claims),
        "extra": extra,
    }


def _progress_printer(stream: Any = None) -> Callable[[int, int], None]:
    stream = stream or sys.stderr
    start = time.perf_counter()
    tty = hasattr(stream, "isatty") and stream.isatty()
    state = {"last": -1}

    def show(done: int, total: int) -> None:
        pct = int(100 * done / max(total, 1))
        if not tty and pct // 10 == state["last"] // 10 and done != total:
            return
        if tty and pct == state["last"] and done != total:
            return
        state["last"] = pct
        el = time.perf_counter() - start
        left = el / done * (total - done) if done else 0.0
        bar = "#" * (pct // 4) + "." * (25 - pct // 4)
        msg = f"[{bar}] {done}/{total} runs {pct:3d} %  {el:4.0f} s elapsed, ~{left:4.0f} s left"
        stream.write(("\r" + msg) if tty else (msg + "\n"))
        if tty and done == total:
            stream.write("\n")
        stream.flush()

    return show


def run_map(ctx: Context, catalogue: Catalogue, numbers: Sequence[int] | None = None) -> dict[str, Any]:
    """Run the map for ``numbers`` (default all of ``catalogue``); figures go to
    ``ctx.img_dir``; returns the JSON-ready results ``{"meta": ..., "patterns": [...]}``."""
    numbers = sorted(numbers or catalogue)
    say = ctx.progress or (lambda m: None)
    ctx.img_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    planned, jobs = plan(ctx, numbers, catalogue)
    wanted = sum(len(k) for pl in planned for k in pl.conditions.values())
    say(
        f"validate-patterns: {len(numbers)} patterns x {len({pl.cell.key for pl in planned})} cells; "
        f"{len(jobs)} distinct runs ({wanted - len(jobs)} shared) on {ctx.workers} worker(s)"
    )
    keys = list(jobs)
    try:
        outs = ctx.pool.map([jobs[k] for k in keys], _progress_printer() if ctx.progress else None)
    finally:
        ctx.pool.close()
    results = dict(zip(keys, outs, strict=True))
    run_seconds = time.perf_counter() - start
    patterns = []
    for n in numbers:
        spec = catalogue[n]
        mine = [pl for pl in planned if pl.spec.number == n]
        cells_out = [evaluate(pl, results) for pl in mine]
        glob = spec.global_check(ctx.quick, ctx.img_dir, ctx.master) if spec.global_check else None
        runs = len({k for pl in mine for ks in pl.conditions.values() for k in ks})
        p = {
            "number": n,
            "title": spec.title,
            "claim": spec.claim,
            "label": spec.label,
            "label_reason": spec.label_reason,
            "setup": spec.setup,
            "criterion": spec.criterion,
            "replications": ctx.replications(spec),
            "runs": runs,
            "primary": spec.primary,
            "figure": f"pattern{n}.png",
            "calibration_target": spec.calibration_target,
            "global": glob,
            "cells": cells_out,
        }
        plot_map(p, ctx.img_dir / p["figure"], spec.map_title)
        patterns.append(p)
        counts = {v: sum(c["verdict"] == v for c in cells_out) for v in VERDICTS}
        say(f"pattern {n:2d} ({spec.label}): " + ", ".join(f"{v} {k}" for v, k in counts.items() if k))
    meta = {
        "quick": ctx.quick,
        "master": ctx.master,
        "workers": ctx.workers,
        "scenarios": sorted({pl.cell.scenario for pl in planned}, key=[c.scenario for c in cells(ctx.scenarios)].index),
        "regions": [{"name": r.name, "resistance_scale": r.resistance_scale, "trust": r.trust, "description": r.describe()} for r in REGIONS if not ctx.regions or r.name in ctx.regions],
        "distinct_runs": len(jobs),
        "run_seconds": run_seconds,
        "seconds": time.perf_counter() - start,
        "alpha": ALPHA,
        "min_informative": MIN_INFORMATIVE,
    }  # fmt: skip
    return {"meta": meta, "patterns": patterns}
