"""Decision maps (issue 20): where integration beats fragmentation, and phased beats big bang.

``egov-sim map SCENARIO`` evaluates the nine *designs* -- service model (integration,
fragmentation, hybrid) x rollout (big bang, phased, pilot), each at the scenario's own
levers -- on a grid of two context axes (default: ``trust.initial`` x
``parties.scale.resistance``) and over the remaining uncertainty: the posterior ensemble
(:mod:`simulation.runs.ensemble`; the prior where no posterior ships). Every design, cell and
draw runs the same replication seeds and the same draws (common random numbers and common
parameters), so designs are compared sample by sample; a *sample* is one (draw,
replication) in one cell.

Per cell and objective (cost, months to first service, adoption, legitimacy, collapse
risk, and the combined score) the map reports the winner (best mean), the probability of
winning (share of samples in which the design is best; ties shared), the minimax-regret
design (regret = best value in the sample minus the design's, in the objective's
direction; the design with the smallest largest regret) and each design's satisficing
share (samples meeting every absolute threshold of :data:`THRESHOLDS`). The combined
score of a design in a sample is the mean over the objectives of its value rescaled to
[0, 1] among the nine designs in that sample (1 = best). Plain-language statements
("integration beats fragmentation on legitimacy when ...") are each backed by a PRIM box
(EMA Workbench) over the two axes, with its coverage and density. Stability: the map is
run again with a second, independent master seed, and the share of cells whose winner
agrees is reported.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..io.scenario_io import ScenarioError

SERVICE_MODELS = ("integration", "fragmentation", "hybrid")
ROLLOUTS = ("big_bang", "phased", "pilot")
DESIGNS = tuple((m, r) for m in SERVICE_MODELS for r in ROLLOUTS)

#: objective -> (KPI, better direction, unit, label)
OBJECTIVES: dict[str, tuple[str, str, str, str]] = {
    "cost": ("total_cost", "lower", "M€", "total cost"),
    "first_service": ("months_to_first_service", "lower", "months", "months to first service"),
    "adoption": ("final_adoption", "higher", "share", "adoption at the end"),
    "legitimacy": ("legitimacy_change", "higher", "0..1", "change in legitimacy"),
    "collapse": ("bad_end", "lower", "share of runs", "collapse or stall risk"),
}
#: Absolute satisficing thresholds (defaults; documented in docs/EXPERIMENTS.md): a sample
#: satisfies when every listed objective meets its bound. Cost has none by default: it
#: scales with the organisation (give ``--max-cost``).
THRESHOLDS: dict[str, tuple[str, float]] = {
    "adoption": (">=", 0.5),
    "first_service": ("<=", 48.0),
    "legitimacy": (">=", 0.0),
    "collapse": ("<=", 0.0),
}
DEFAULT_AXES = ("trust.initial=0.2:0.8", "parties.scale.resistance=0.5:1.5")
LOW_AGREEMENT = 0.8


@dataclass(frozen=True)
class Axis:
    name: str
    values: tuple[float, ...]

    @classmethod
    def parse(cls, text: str, levels: int, option: str) -> Axis:
        from ..io.parameters import known_parameters

        name, sep, rng = text.partition("=")
        name = name.strip()
        if name not in known_parameters():
            raise ScenarioError(f"{option} {text}: {name!r} is not a parameter (see 'egov-sim params')")
        try:
            parts = [float(v) for v in rng.split(":")] if sep else []
        except ValueError:
            parts = []
        if len(parts) not in (2, 3) or not parts[0] < parts[1]:
            raise ScenarioError(
                f"{option} {text}: expected NAME=LOW:HIGH or NAME=LOW:HIGH:LEVELS with LOW < HIGH"
            )
        n = int(parts[2]) if len(parts) == 3 else levels
        if not 2 <= n <= 25:
            raise ScenarioError(f"{option} {text}: levels must be 2..25")
        return cls(name, tuple(float(v) for v in np.linspace(parts[0], parts[1], n)))


@dataclass(frozen=True)
class MapSettings:
    scenario: str
    x: Axis
    y: Axis
    draws: int = 10
    replications: int = 2
    citizens: int = 1000
    months: int | None = None
    seed: int = 1
    ensemble: str = "posterior"  # posterior | prior
    max_cost: float | None = None

    def fingerprint(self) -> str:
        return hashlib.sha1(json.dumps(asdict(self), sort_keys=True, default=str).encode()).hexdigest()[:16]


def design_label(design: tuple[str, str]) -> str:
    return f"{design[0]}, {design[1].replace('_', ' ')}"


# ------------------------------------------------------------------ the runs
_BASE: dict[tuple[str, int, int | None], dict[str, Any]] = {}


def _base(scenario: str, citizens: int, months: int | None) -> dict[str, Any]:
    from ..io.scenario_io import load_scenario

    key = (scenario, citizens, months)
    if key not in _BASE:
        sets = [f"citizens.count={citizens}"] + ([f"run.months={months}"] if months else [])
        _BASE[key] = load_scenario(scenario, sets=sets).model_dump()
    return _BASE[key]


def run_one(task: tuple[Any, ...]) -> list[float]:
    """One run: (scenario, citizens, months, design, axes values, draw, seed) -> objectives."""
    from ..io.parameters import apply_values
    from ..io.scenario_io import validate
    from ..runs.ensemble import configure
    from ..runs.runner import run

    scenario, citizens, months, design, axes, draw, seed = task
    values = {"service.model": design[0], "rollout.strategy": design[1], **axes}
    cfg = validate(apply_values(_base(scenario, citizens, months), values), f"decision map ({scenario})")
    cfg = configure(cfg, draw, pinned=set(values), source="decision map draw")
    res = run(cfg, seed=seed)
    k = res.kpis
    first = k["months_to_first_service"]
    return [
        float(k["total_cost"]),
        float(cfg.run.months + 1 if first is None else first),
        float(k["final_adoption"]),
        float(k["legitimacy_change"]),
        float(bool(k["collapsed"] or k["stalled"])),
    ]


def _chunk_task(chunk: list[tuple[Any, ...]]) -> list[list[float]]:
    return [run_one(t) for t in chunk]


@dataclass
class MapRuns:
    """Objective values, shape (nx, ny, designs, samples, objectives), samples = draws x reps."""

    settings: MapSettings
    master: int
    values: np.ndarray
    seconds: float = 0.0
    runs: int = 0


def make_draws(settings: MapSettings, master: int) -> list[dict[str, float]]:
    from ..runs.ensemble import EnsembleSpec, make_draws as draws_of, shipped_posterior

    kind = settings.ensemble
    if kind == "posterior" and shipped_posterior() is None:
        kind = "prior"
    return draws_of(EnsembleSpec(kind, settings.draws), master)


def evaluate(
    settings: MapSettings,
    master: int,
    engine: Any,
    state: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    chunk: int = 24,
) -> MapRuns:
    """Run every cell x design x draw x replication (resumable through ``state``)."""
    from ..runs.seeds import replication_seeds

    start = time.perf_counter()
    draws = make_draws(settings, master)
    seeds = replication_seeds(master, settings.replications)
    tasks = []
    for x in settings.x.values:
        for y in settings.y.values:
            for design in DESIGNS:
                for draw in draws:
                    for seed in seeds:
                        axes = {settings.x.name: x, settings.y.name: y}
                        tasks.append(
                            (settings.scenario, settings.citizens, settings.months, design, axes, draw, seed)
                        )
    chunks = [tasks[i : i + chunk] for i in range(0, len(tasks), chunk)]
    results: dict[int, list[list[float]]] = {}
    if state is not None:
        state.mkdir(parents=True, exist_ok=True)
        for i in range(len(chunks)):
            part = state / f"part-{master}-{i:05d}.npy"
            if part.exists():
                results[i] = np.load(part).tolist()
    todo = [i for i in range(len(chunks)) if i not in results]
    batch = max(1, 4 * max(1, getattr(engine, "workers", 1)))
    done = len(tasks) - sum(len(chunks[i]) for i in todo)
    for b in range(0, len(todo), batch):
        ids = todo[b : b + batch]
        for i, out in zip(ids, engine.map(_chunk_task, [chunks[i] for i in ids]), strict=True):
            results[i] = out
            if state is not None:
                tmp = state / f".part-{master}-{i:05d}.npy"
                with tmp.open("wb") as fh:
                    np.save(fh, np.asarray(out, float))
                tmp.replace(state / f"part-{master}-{i:05d}.npy")
            done += len(chunks[i])
        if progress:
            progress(done, len(tasks))
    flat = np.array([row for i in range(len(chunks)) for row in results[i]], float)
    shape = (
        len(settings.x.values),
        len(settings.y.values),
        len(DESIGNS),
        len(draws) * len(seeds),
        len(OBJECTIVES),
    )
    return MapRuns(settings, master, flat.reshape(shape), time.perf_counter() - start, len(tasks))


# ------------------------------------------------------------------ analysis
def oriented(values: np.ndarray) -> np.ndarray:
    """Values with every objective turned so that higher is better."""
    signs = np.array([1.0 if d == "higher" else -1.0 for _, d, _, _ in OBJECTIVES.values()])
    return values * signs


def combined(values: np.ndarray) -> np.ndarray:
    """Combined score per design and sample: the mean over objectives of the value rescaled
    to [0, 1] among the designs of that sample (1 = best; all equal -> 1)."""
    v = oriented(values)  # (..., designs, samples, objectives)
    lo = v.min(axis=-3, keepdims=True)
    hi = v.max(axis=-3, keepdims=True)
    span = hi - lo
    scaled = np.where(span > 0, (v - lo) / np.where(span > 0, span, 1.0), 1.0)
    return scaled.mean(axis=-1)


def scores(runs: MapRuns) -> dict[str, np.ndarray]:
    """Per objective (and 'combined'): higher-is-better scores, shape (nx, ny, designs, samples)."""
    v = oriented(runs.values)
    out = {name: v[..., k] for k, name in enumerate(OBJECTIVES)}
    out["combined"] = combined(runs.values)
    return out


def win_probability(score: np.ndarray) -> np.ndarray:
    """Share of samples in which each design is best (ties shared): (nx, ny, designs)."""
    best = score.max(axis=-2, keepdims=True)
    is_best = np.isclose(score, best, rtol=0, atol=1e-12)
    share = is_best / is_best.sum(axis=-2, keepdims=True)
    return share.mean(axis=-1)


def satisficing(runs: MapRuns) -> np.ndarray:
    """Share of samples meeting every absolute threshold, per design: (nx, ny, designs)."""
    ok = np.ones(runs.values.shape[:-1], bool)
    names = list(OBJECTIVES)
    limits = dict(THRESHOLDS)
    if runs.settings.max_cost is not None:
        limits["cost"] = ("<=", runs.settings.max_cost)
    for name, (op, bound) in limits.items():
        v = runs.values[..., names.index(name)]
        ok &= v >= bound if op == ">=" else v <= bound
    return ok.mean(axis=-1)


@dataclass
class MapResult:
    runs: MapRuns
    winner: dict[str, np.ndarray]  # objective -> (nx, ny) design index (best mean)
    p_win: dict[str, np.ndarray]  # objective -> (nx, ny, designs)
    regret: dict[str, np.ndarray]  # objective -> (nx, ny) minimax-regret design index
    satisficing: np.ndarray  # (nx, ny, designs)
    statements: list[dict[str, Any]] = field(default_factory=list)


def analyse(runs: MapRuns) -> MapResult:
    sc = scores(runs)
    winner, p_win, regret = {}, {}, {}
    for name, s in sc.items():
        winner[name] = s.mean(axis=-1).argmax(axis=-1)
        p_win[name] = win_probability(s)
        reg = s.max(axis=-2, keepdims=True) - s
        regret[name] = reg.max(axis=-1).argmin(axis=-1)
    result = MapResult(runs, winner, p_win, regret, satisficing(runs))
    result.statements = statements(runs, sc)
    return result


def agreement(a: MapResult, b: MapResult) -> dict[str, float]:
    """Share of cells whose winner agrees between two maps, per objective and combined."""
    return {k: float(np.mean(a.winner[k] == b.winner[k])) for k in a.winner}


def choice_agreement(a: MapResult, b: MapResult) -> dict[str, dict[str, float]]:
    """The two choices a board makes, separately: per objective, the share of cells whose
    winning design has the same service model, and the same rollout, in both maps."""
    model = np.array([SERVICE_MODELS.index(d[0]) for d in DESIGNS])
    rollout = np.array([ROLLOUTS.index(d[1]) for d in DESIGNS])
    return {
        k: {
            "service_model": float(np.mean(model[a.winner[k]] == model[b.winner[k]])),
            "rollout": float(np.mean(rollout[a.winner[k]] == rollout[b.winner[k]])),
        }
        for k in a.winner
    }


# ------------------------------------------------------------------ plain-language statements
FAMILIES = {
    "integration beats fragmentation": (
        [i for i, d in enumerate(DESIGNS) if d[0] == "integration"],
        [i for i, d in enumerate(DESIGNS) if d[0] == "fragmentation"],
        ("integration", "fragmentation"),
    ),
    "phased beats big bang": (
        [i for i, d in enumerate(DESIGNS) if d[1] == "phased"],
        [i for i, d in enumerate(DESIGNS) if d[1] == "big_bang"],
        ("phased", "big bang"),
    ),
}


#: A statement needs a PRIM box at least this dense (share of its samples where the side wins).
MIN_DENSITY = 0.75


def _box(x: Any, hits: np.ndarray) -> tuple[str, Any] | None:
    """The first PRIM box on ``hits`` with density >= MIN_DENSITY, and where it is in words
    ("when trust.initial >= 0.5", or "across the whole map" for the unrestricted box)."""
    from .discover import active_text, run_prim

    if not hits.any():
        return None
    boxes = run_prim(x, hits, min_density=MIN_DENSITY)
    if not boxes or boxes[0].density < MIN_DENSITY:
        return None
    bx = boxes[0]
    parts = [
        active_text(lim, float(x[col].min()), float(x[col].max()), col, 2) for col, lim in bx.limits.items()
    ]
    parts = [p for p in parts if "(not restricted)" not in p]
    return ("when " + " and ".join(parts) if parts else "across the whole map"), bx


def statements(runs: MapRuns, sc: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """For each question and objective: where the first family (at its best member in each
    sample) beats the second, as a PRIM box over the two axes with coverage and density."""
    import pandas as pd

    s = runs.settings
    nx, ny = len(s.x.values), len(s.y.values)
    samples = runs.values.shape[3]
    gx, gy = np.meshgrid(s.x.values, s.y.values, indexing="ij")
    x = pd.DataFrame(
        {
            s.x.name: np.repeat(gx.ravel(), samples),
            s.y.name: np.repeat(gy.ravel(), samples),
        }
    )
    out = []
    for question, (first, second, (a, b)) in FAMILIES.items():
        for name, score in sc.items():
            best_a = score[:, :, first, :].max(axis=2)
            best_b = score[:, :, second, :].max(axis=2)
            wins = (best_a > best_b + 1e-12).reshape(nx * ny * samples)
            ties = np.isclose(best_a, best_b, rtol=0, atol=1e-12).reshape(-1)
            rate = float(wins.mean())
            label = name.replace("_", " ") if name != "combined" else "the combined score"
            entry: dict[str, Any] = {
                "question": question,
                "objective": name,
                "share": rate,
                "ties": float(ties.mean()),
            }
            if ties.mean() > 0.5:
                entry["text"] = (
                    f"{a.capitalize()} and {b} tie on {label} in most samples ({ties.mean():.0%})."
                )
            else:
                loses = ~wins & ~ties
                for side, other, hits, share in ((a, b, wins, rate), (b, a, loses, float(loses.mean()))):
                    found = _box(x, hits)
                    if found is not None:
                        where, bx = found
                        entry |= {
                            "winner": side,
                            "limits": {k: list(v) for k, v in bx.limits.items()},
                            "coverage": bx.coverage,
                            "density": bx.density,
                        }
                        entry["text"] = (
                            f"{side.capitalize()} beats {other} on {label} {where} (PRIM box: coverage "
                            f"{bx.coverage:.2f}, density {bx.density:.2f}; {share:.0%} of all samples)."
                        )
                        break
                else:
                    entry["text"] = (
                        f"No region of the map where {a} or {b} reliably wins on {label} ({a} wins in {rate:.0%} "
                        f"of samples; PRIM found no box of density >= {MIN_DENSITY:g} for either)."
                    )
            out.append(entry)
    return out
