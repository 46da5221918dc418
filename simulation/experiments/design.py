"""Design points of an experiment: full factorial, Latin hypercube (scipy.stats.qmc),
Sobol (Saltelli/Jansen sampling, SALib) and Morris trajectories (SALib).

Runs are numbered point-major: run ``i`` is design point ``i // replications``,
replication ``i % replications``, with seed ``derive_seed(master, replication)`` so every
design point sees the same random numbers in a replication (common random numbers).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..io.scenario_io import ScenarioError
from ..runs.seeds import derive_seed
from .spec import Experiment


@dataclass(frozen=True)
class Design:
    """``values[p]`` maps factor names to parameter values of point ``p``; ``x`` holds the
    sampler coordinates (level index for factorial designs) with shape (points, factors)."""

    values: list[dict[str, Any]]
    x: np.ndarray

    @property
    def points(self) -> int:
        return len(self.values)


def salib_problem(exp: Experiment) -> dict[str, Any]:
    """SALib problem: one variable per factor; level factors map [0, 1] onto their levels."""
    return {
        "num_vars": len(exp.factors),
        "names": [f.name for f in exp.factors],
        "bounds": [list(f.bounds()) for f in exp.factors],
    }


def make_design(exp: Experiment) -> Design:
    """The design points of ``exp``; deterministic given the experiment (its seed)."""
    factors = exp.factors
    if exp.design == "points":  # explicit points (advise); x = numeric value or level index
        x = [
            [float(p[f.name]) if f.kind == "range" else float(f.levels.index(p[f.name])) for f in factors]
            for p in exp.points
        ]
        return Design([dict(p) for p in exp.points], np.asarray(x, dtype=float).reshape(len(x), len(factors)))
    if exp.design == "factorial":
        if not factors:
            return Design([{}], np.zeros((1, 0)))
        idx = list(itertools.product(*(range(len(f.levels)) for f in factors)))
        values = [{f.name: f.levels[i] for f, i in zip(factors, row, strict=True)} for row in idx]
        return Design(values, np.asarray(idx, dtype=float))
    problem = salib_problem(exp)
    assert exp.samples is not None
    if exp.design == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(factors), rng=np.random.default_rng(exp.seed)).random(exp.samples)
        lo, hi = np.asarray(problem["bounds"], dtype=float).T
        x = lo + unit * (hi - lo)
    elif exp.design == "sobol":
        from SALib.sample import sobol

        x = sobol.sample(problem, exp.samples, calc_second_order=exp.second_order, seed=exp.seed)
    elif exp.design == "morris":
        from SALib.sample import morris

        x = morris.sample(problem, exp.samples, num_levels=exp.levels, seed=exp.seed)
    else:  # pragma: no cover - the spec validates the name
        raise ValueError(exp.design)
    coded = np.asarray(x, dtype=float).copy()
    if exp.design == "sobol":
        # The leading digits of Saltelli's A and B columns can coincide for a whole sample
        # (seen: a two-level factor at the same level in A and B at every point, so ST = 0);
        # level factors therefore use deeper, scrambled digits: frac(x * 1024), still uniform.
        for j, f in enumerate(factors):
            if f.kind == "levels":
                coded[:, j] = np.mod(coded[:, j] * 1024.0, 1.0)
    values = [{f.name: f.decode(float(v)) for f, v in zip(factors, row, strict=True)} for row in coded]
    return Design(values, np.asarray(x, dtype=float))


def run_count(exp: Experiment, design: Design) -> int:
    return design.points * exp.replications


def run_info(exp: Experiment, run: int) -> tuple[int, int, int]:
    """(design point, replication, seed) of run index ``run``."""
    point, rep = divmod(run, exp.replications)
    return point, rep, derive_seed(exp.seed, rep)


#: Runs a sweep starts without ``--yes`` (or a higher ``--max-runs``).
DEFAULT_MAX_RUNS = 20_000
#: Design points and runs no sweep may have, ``--yes`` or not: the design and the manifest
#: are held in memory, and such a sweep would not finish on any machine this runs on.
HARD_MAX_POINTS = 1_000_000
HARD_MAX_RUNS = 5_000_000


def planned_points(exp: Experiment) -> int:
    """Design points of ``exp``, computed without building the design."""
    d = len(exp.factors)
    if exp.design == "factorial":
        return math.prod(len(f.levels) for f in exp.factors)
    samples = exp.samples or 0
    if exp.design == "lhs":
        return samples
    if exp.design == "sobol":
        return samples * (2 * d + 2 if exp.second_order else d + 2)
    if exp.design == "morris":
        return samples * (d + 1)
    raise ValueError(exp.design)  # pragma: no cover - the spec validates the name


#: Seconds of a run: a fixed cost, then per simulated month a fixed cost, one per citizen,
#: one per party and one per pair of parties. An estimate, not a promise: fitted by
#: benchmarks/bench_estimate.py on an idle 2-core machine (2026-12-08: 200-50,000 citizens
#: at 10 parties, and 10-1,000 parties at 2,000 citizens) and rounded up for the sweep's own
#: work per run and a busier machine.
SECONDS_PER_RUN = 0.01
SECONDS_PER_MONTH = 4e-4
SECONDS_PER_CITIZEN_MONTH = 2e-8
SECONDS_PER_PARTY_MONTH = 1e-5
SECONDS_PER_PAIR_MONTH = 5e-8


def cost_terms(citizens: int, parties: int, months: int) -> tuple[float, float, float, float, float]:
    """What SECONDS_PER_RUN, _MONTH, _CITIZEN_MONTH, _PARTY_MONTH and _PAIR_MONTH are
    multiplied by in :func:`seconds_per_run` (benchmarks/bench_estimate.py fits them)."""
    return (1.0, months, months * citizens, months * parties, months * parties**2)


def seconds_per_run(citizens: int, parties: int, months: int) -> float:
    """Estimated seconds of one run on one core (citizens, parties >= 0; months >= 1)."""
    constants = (
        SECONDS_PER_RUN,
        SECONDS_PER_MONTH,
        SECONDS_PER_CITIZEN_MONTH,
        SECONDS_PER_PARTY_MONTH,
        SECONDS_PER_PAIR_MONTH,
    )
    return sum(c * t for c, t in zip(constants, cost_terms(citizens, parties, months), strict=True))


def estimated_seconds(exp: Experiment, runs: int, workers: int = 1) -> float:
    """Rough wall time of ``runs`` runs of the base scenario on ``workers`` processes."""
    cfg = exp.base_config()
    parties = cfg.departments.count + cfg.partners.count
    return runs * seconds_per_run(cfg.citizens.count, parties, exp.months) / max(1, workers)


def human_time(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:,.0f} days"


def check_size(
    exp: Experiment, *, max_runs: int = DEFAULT_MAX_RUNS, yes: bool = False, workers: int = 1
) -> int:
    """Runs of ``exp``; a ScenarioError (before anything is built or written) if too many."""
    points = planned_points(exp)
    runs = points * exp.replications
    source = f"{exp.source}: [experiment]"
    what = f"{exp.design} design: {points:,} points x {exp.replications:,} replications = {runs:,} runs"
    if points > HARD_MAX_POINTS or runs > HARD_MAX_RUNS:
        raise ScenarioError(
            f"{source} {what}; at most {HARD_MAX_POINTS:,} points and {HARD_MAX_RUNS:,} runs are possible "
            "(fewer factor levels, samples or replications)"
        )
    if runs > max_runs and not yes:
        eta = human_time(estimated_seconds(exp, runs, workers))
        raise ScenarioError(
            f"{source} {what}, about {eta} on {workers} worker(s); more than --max-runs {max_runs:,}. "
            "Pass --yes (or a higher --max-runs) to run it anyway"
        )
    return runs
