"""Replicated model runs for the validation experiments, with the per-party detail the
pattern tests need. Every job carries its own seed, so results do not depend on the
number of worker processes."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import ScenarioConfig
from ..io.pools import process_pool
from ..io.scenario_io import load_scenario, validate
from ..runs.runner import run
from ..runs.seeds import replication_seeds

BASE = "municipality_building_housing"
SERIES = ("adoption", "service_quality", "integration", "mean_trust", "mean_resistance", "legitimacy", "load")


def scenario(
    sets: Mapping[str, Any] | None = None,
    *,
    base: str = BASE,
    resistance_scale: float = 1.0,
    citizens: int = 300,
    network: str = "complete",
) -> ScenarioConfig:
    """The shipped ``base`` scenario with ``{"section.key": value}`` overrides, every party
    group's resistance multiplied by ``resistance_scale`` (clipped to 1), and a small
    population (the party-level patterns do not depend on it)."""
    data = load_scenario(base).model_dump()
    data["citizens"]["count"] = citizens
    data["citizens"]["network"] = network
    for section in ("departments", "partners"):
        for g in data[section]["groups"]:
            g["resistance"] = float(min(1.0, g["resistance"] * resistance_scale))
    for dotted, value in (sets or {}).items():
        section, key = dotted.split(".", 1)
        data.setdefault(section, {})[key] = value
    return validate(data, f"validation scenario ({base})")


@dataclass(frozen=True)
class Job:
    config: ScenarioConfig
    seed: int
    #: Time series kept in the outcome (the others are dropped to save memory).
    keep: tuple[str, ...] = SERIES


def outcome(job: Job) -> dict[str, Any]:
    """One run reduced to its KPIs, a few series and per-party records (picklable)."""
    res = run(job.config, seed=job.seed, keep_model=True)
    model = res.model
    assert model is not None
    months = model.month
    parties = []
    for p in model.parties:
        investment = float(getattr(getattr(p, "profile", None), "investment", 0.0) or 0.0)
        parties.append(
            {
                "kind": p.kind,
                "state": p.state,
                "opened_at": p.opened_at,
                "agreed_at": p.agreed_at,
                "finished_at": p.finished_at,
                "failures": p.failures,
                "overrun_ratio": getattr(p, "overrun", 0.0) / investment if investment > 0 else 0.0,
                "trust": p.trust,
                "trust_ceiling": getattr(p, "trust_ceiling", np.nan),
                "late_peak": getattr(p, "late_peak", np.nan),
            }
        )
    finished = all(d["finished_at"] is not None for d in parties)
    out = dict(res.kpis)
    out["seed"] = job.seed
    out["months"] = months
    out["months_to_finish"] = max(d["finished_at"] for d in parties) if finished else np.nan
    out["parties_lost"] = out.get("refusals", 0) + out.get("withdrawals", 0)
    out["bad_end"] = bool(out.get("stalled") or out.get("collapsed"))
    out["series"] = {k: res.timeseries[k].to_numpy() for k in job.keep if k in res.timeseries}
    out["parties"] = parties
    return out


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class Pool:
    """A lazily started pool of ``workers`` processes (forked where safe, see
    :mod:`simulation.io.pools`), reused across experiments
    (starting one costs seconds); ``workers`` ≤ 1 runs in this process."""

    def __init__(self, workers: int = 1):
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None

    def map(
        self, jobs: Sequence[Job], progress: Callable[[int, int], None] | None = None
    ) -> list[dict[str, Any]]:
        """Outcomes in the order of ``jobs``; ``progress(done, total)`` after each one."""
        if self.workers <= 1 or len(jobs) < 4:
            results = (outcome(j) for j in jobs)
        else:
            if self._executor is None:
                self._executor = process_pool(self.workers)
            chunk = max(1, min(16, len(jobs) // (8 * self.workers)))
            results = self._executor.map(outcome, jobs, chunksize=chunk)
        out = []
        for r in results:
            out.append(r)
            if progress:
                progress(len(out), len(jobs))
        return out

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown()
            self._executor = None

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_jobs(jobs: Sequence[Job], workers: int | Pool = 1) -> list[dict[str, Any]]:
    """Outcomes of ``jobs`` in order; more than one worker uses a process pool (forked where safe)."""
    if isinstance(workers, Pool):
        return workers.map(jobs)
    with Pool(workers) as pool:
        return pool.map(jobs)


def replicate(
    conditions: Mapping[str, ScenarioConfig], replications: int, master: int, workers: int | Pool = 1
) -> dict[str, list[dict[str, Any]]]:
    """Every condition with the same replication seeds (common random numbers)."""
    seeds = replication_seeds(master, replications)
    names = list(conditions)
    jobs = [Job(conditions[name], s) for name in names for s in seeds]
    results = run_jobs(jobs, workers)
    return {name: results[i * replications : (i + 1) * replications] for i, name in enumerate(names)}


def column(outcomes: Sequence[Mapping[str, Any]], key: str) -> np.ndarray:
    """KPI ``key`` over replications as floats (None -> nan)."""
    return np.array([np.nan if o[key] is None else float(o[key]) for o in outcomes])


def rmst_agreement(o: Mapping[str, Any], horizon: int = 60) -> float:
    """Restricted mean months from opening to agreement over opened parties; a party that
    never agreed (or not within ``horizon``) counts ``horizon``. Lower = faster agreement."""
    times = []
    for d in o["parties"]:
        if d["opened_at"] is None or d["agreed_at"] is None:
            times.append(float(horizon))
        else:
            times.append(float(min(horizon, d["agreed_at"] - d["opened_at"])))
    return float(np.mean(times))
