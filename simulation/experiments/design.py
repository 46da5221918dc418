"""Design points of an experiment: full factorial, Latin hypercube (scipy.stats.qmc),
Sobol (Saltelli/Jansen sampling, SALib) and Morris trajectories (SALib).

Runs are numbered point-major: run ``i`` is design point ``i // replications``,
replication ``i % replications``, with seed ``derive_seed(master, replication)`` so every
design point sees the same random numbers in a replication (common random numbers).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..seeds import derive_seed
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
