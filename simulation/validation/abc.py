"""Whole-model calibration by ABC-SMC (pyabc), run on the sweep engine (issue 19).

Why pyabc's ABC-SMC. The model has no likelihood; its outputs are noisy and partly
one-sided (bounds, an interval). pyabc is a maintained ABC library whose SMC sampler
(Del Moral et al. 2012; Klinger et al. 2018) adapts the tolerance and the proposal kernel
per generation, stores every generation in a database (so a stopped run resumes) and
needs no gradient or neural network. sbi (neural posterior estimation) would need
PyTorch, which is not installable here without a multi-GB build. What this module writes
itself is only the *execution backend*: :class:`EngineSampler` evaluates pyabc's own
``simulate_one`` in batches on :class:`simulation.experiments.sweep.TaskEngine` (processes
or Dask), each evaluation with its own seed from ``(master seed, generation, index)`` and
the batch truncated in index order, so the posterior is bit-identical for any number of
workers and after a resume.

What is fitted. The priors marked ``calibrated = true`` in ``data/priors.toml`` (the
influential uncertain parameters of the Morris/Sobol screening -- ``citizens.q``, the
parties' resistance and readiness -- plus ``citizens.p``, the two skill gradients that the
2017 use gradients inform, and the overrun tail index). loguniform priors are sampled on a
log10 scale. Every other uncertain parameter is drawn from its prior inside each
simulation (a nuisance), so the posterior is marginal over them.

Against what. ``data/calibration_targets.csv``: one row per target with its kind (level,
lower or upper bound, gap between groups, interval), its standard deviation and how its
definition is handled (the ``handling`` column). A simulation is reduced to standardised
residuals z = (model - data) / sd (one-sided for bounds and the interval); the distance
is ||z||_2. Calendar: model month 0 = January of ``start_year`` (2002); a survey year Y is
read at month 12 (Y - start) + 6.
"""

from __future__ import annotations

import csv
import hashlib
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..io.scenario_io import ScenarioError
from ..runs.priors import Prior, shipped_priors

TARGETS_FILE = "calibration_targets.csv"
KINDS = ("level", "lower", "upper", "gap", "interval")
START_YEAR = 2002
SURVEY_OFFSET = 6
HELD_OUT_AFTER = 2013
AGE_BANDS = {
    "12-24": (18, 25),
    "18-24": (18, 25),
    "25-44": (25, 45),
    "45-64": (45, 65),
    "65-74": (65, 75),
    "75+": (75, 200),
}
EDUCATION = {"low": 0.0, "medium": 1.0, "high": 2.0}


@dataclass(frozen=True)
class Target:
    name: str
    kind: str
    year: int | None
    value: float
    low: float
    high: float
    sd: float
    definition: str
    group: str
    fit: bool
    source: str
    handling: str


def read_targets(path: Path) -> tuple[Target, ...]:
    """Read and check the targets file (errors name the file, the row and the column)."""

    def num(row: dict[str, str], key: str, where: str, required: bool) -> float:
        text = (row.get(key) or "").strip()
        if not text:
            if required:
                raise ScenarioError(f"{where}: column '{key}' is empty; a number is needed")
            return math.nan
        try:
            return float(text)
        except ValueError:
            raise ScenarioError(f"{where}: column '{key}' = {text!r} is not a number") from None

    try:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror})") from None
    out = []
    for i, row in enumerate(rows, start=2):
        where = f"{path}: line {i} ({row.get('target', '?')})"
        kind = (row.get("kind") or "").strip()
        if kind not in KINDS:
            raise ScenarioError(f"{where}: kind {kind!r}; allowed: {', '.join(KINDS)}")
        fit = (row.get("fit") or "").strip()
        if fit not in ("yes", "no"):
            raise ScenarioError(f"{where}: fit {fit!r}; allowed: yes, no")
        year = num(
            row, "year", where, kind not in ("interval",) and row.get("group") not in ("overrun > 200 %",)
        )
        sd = num(row, "sd", where, True)
        if not sd > 0:
            raise ScenarioError(f"{where}: sd must be > 0")
        out.append(
            Target(
                row["target"].strip(),
                kind,
                None if math.isnan(year) else int(year),
                num(row, "value", where, kind != "interval"),
                num(row, "low", where, kind == "interval"),
                num(row, "high", where, kind == "interval"),
                sd,
                row.get("definition", "").strip(),
                row.get("group", "").strip(),
                fit == "yes",
                row.get("source", "").strip(),
                row.get("handling", "").strip(),
            )
        )
    if not any(t.fit for t in out):
        raise ScenarioError(f"{path}: no target has fit = yes")
    return tuple(out)


def shipped_targets() -> tuple[Target, ...]:
    from ..io.resources import data_file

    return read_targets(data_file(TARGETS_FILE))


def held_out(targets: Sequence[Target], after: int = HELD_OUT_AFTER) -> tuple[Target, ...]:
    """The targets with every row after ``after`` taken out of the fit (kept for checking)."""
    return tuple(replace(t, fit=False) if t.year is not None and t.year > after else t for t in targets)


# ------------------------------------------------------------------ the simulator
@dataclass(frozen=True)
class Setup:
    """Everything a simulation needs (sent to the workers; small and picklable)."""

    scenario: str = "municipality_building_housing"
    citizens: int = 2000
    start_year: int = START_YEAR
    targets: tuple[Target, ...] = ()
    priors: tuple[Prior, ...] = ()
    fitted: tuple[str, ...] = ()
    nuisance: bool = True

    @property
    def months(self) -> int:
        last = max(t.year for t in self.targets if t.year is not None)
        return 12 * (last - self.start_year) + SURVEY_OFFSET

    def month(self, year: int) -> int:
        return 12 * (year - self.start_year) + SURVEY_OFFSET


def par_key(name: str) -> str:
    """pyabc parameter name of a prior (log10 for loguniform priors)."""
    return name.replace(".", "__")


def to_values(setup: Setup, par: dict[str, float]) -> dict[str, float]:
    """pyabc parameters (log10 for loguniform) as the priors' own numbers."""
    out = {}
    for p in setup.priors:
        if p.name in setup.fitted:
            v = float(par[par_key(p.name)])
            out[p.name] = 10.0**v if p.distribution == "loguniform" else v
    return out


_BASE: dict[tuple[str, int, int], Any] = {}


def _base_config(setup: Setup) -> Any:
    from ..io.scenario_io import load_scenario

    key = (setup.scenario, setup.citizens, setup.months)
    if key not in _BASE:
        _BASE[key] = load_scenario(
            setup.scenario, sets=[f"citizens.count={setup.citizens}", f"run.months={setup.months}"]
        )
    return _BASE[key]


def raw_values(setup: Setup, result: Any) -> np.ndarray:
    """The model's value of every target (fitted or not) in one run."""
    model = result.model
    adoption = np.asarray(result.series["adoption"], float)
    pop = model.population
    out = []
    for t in setup.targets:
        if t.definition == "overheidsloket_2000":
            m = result.kpis.get("months_to_first_service")
            out.append(float(setup.months + 1 if m is None else m))
        elif t.definition.startswith("flyvbjerg"):
            started = [p for p in model.parties if p.agreed_at is not None]
            ratios = [
                getattr(p, "overrun", 0.0) / p.profile.investment
                for p in started
                if getattr(getattr(p, "profile", None), "investment", 0.0)
            ]
            out.append(float(np.mean(np.array(ratios) > 2.0)) if ratios else 0.0)
        elif t.kind == "gap":
            month = setup.month(t.year)
            adopted = (pop.adopted_at >= 0) & (pop.adopted_at <= month)
            shares = []
            for side in t.group.split(" - "):
                what, _, band = side.partition(" ")
                if what == "education":
                    mask = pop.education == EDUCATION[band]
                else:
                    lo, hi = AGE_BANDS[band]
                    mask = (pop.age >= lo) & (pop.age < hi)
                shares.append(float(adopted[mask].mean()) if mask.any() else math.nan)
            out.append(shares[0] - shares[1])
        else:
            out.append(float(adoption[min(setup.month(t.year), adoption.size - 1)]))
    return np.array(out)


def residuals(setup: Setup, raw: np.ndarray, only_fitted: bool = True) -> np.ndarray:
    """Standardised residuals (one-sided for bounds and intervals)."""
    z = []
    for t, x in zip(setup.targets, raw, strict=True):
        if only_fitted and not t.fit:
            continue
        if t.kind in ("level", "gap"):
            r = (x - t.value) / t.sd
        elif t.kind == "lower":
            r = max(0.0, t.value - x) / t.sd
        elif t.kind == "upper":
            r = max(0.0, x - t.value) / t.sd
        else:
            r = max(0.0, t.low - x, x - t.high) / t.sd
        z.append(0.0 if not np.isfinite(r) else r)
    return np.array(z)


def simulate(setup: Setup, values: dict[str, float], seed: int) -> np.ndarray:
    """One run at the fitted ``values`` (nuisance parameters drawn with ``seed``): raw values."""
    from ..runs.ensemble import configure
    from ..runs.runner import run

    rng = np.random.default_rng(seed)
    draw = dict(values)
    if setup.nuisance:
        u = rng.random(len(setup.priors))
        for j, p in enumerate(setup.priors):
            if p.name not in setup.fitted:
                draw[p.name] = float(p.ppf(u[j]))
    cfg = configure(_base_config(setup), draw, source="calibration draw")
    result = run(cfg, seed=int(rng.integers(0, 2**62)), keep_model=True)
    return raw_values(setup, result)


class AbcModel:
    """The pyabc model: parameters -> {"z": residuals, "raw": every target's value}."""

    def __init__(self, setup: Setup) -> None:
        self.setup = setup

    def __call__(self, par: dict[str, float]) -> dict[str, np.ndarray]:
        # Seeded per evaluation by EngineSampler (np.random is seeded just before).
        seed = int(np.random.randint(0, 2**31 - 1))
        raw = simulate(self.setup, to_values(self.setup, dict(par)), seed)
        return {"z": residuals(self.setup, raw), "raw": raw}


def distance(x: dict[str, np.ndarray], x0: dict[str, np.ndarray]) -> float:
    """Euclidean norm of the standardised residuals (x0's residuals are 0 by construction)."""
    return float(np.sqrt(np.sum((np.asarray(x["z"]) - np.asarray(x0["z"])) ** 2)))


# ------------------------------------------------------------------ the execution backend
_SIMULATORS: dict[str, Any] = {}


def _evaluate(task: tuple[bytes, Sequence[int]]) -> list[Any]:
    """Worker side: pyabc's simulate_one once per seed (np.random and random seeded first)."""
    import cloudpickle

    blob, seeds = task
    key = hashlib.sha1(blob).hexdigest()
    if key not in _SIMULATORS:
        _SIMULATORS.clear()
        _SIMULATORS[key] = cloudpickle.loads(blob)
    simulate_one = _SIMULATORS[key]
    out = []
    for s in seeds:
        np.random.seed(s % 2**32)
        random.seed(s)
        out.append(simulate_one())
    return out


def _sampler_class() -> type:
    from pyabc.sampler import Sampler

    from ..runs.seeds import derive_seed

    class EngineSampler(Sampler):
        """Deterministic batched evaluation of pyabc's ``simulate_one`` on a TaskEngine."""

        def __init__(
            self,
            engine: Any,
            master: int,
            batch: int,
            chunk: int = 8,
            progress: Callable[[str], None] | None = None,
        ) -> None:
            super().__init__()
            self.engine, self.master, self.batch, self.chunk = engine, master, batch, chunk
            self.progress = progress

        def sample_until_n_accepted(
            self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None
        ):
            import cloudpickle

            blob = cloudpickle.dumps(simulate_one)
            sample = self._create_empty_sample()
            accepted = evals = k = 0
            start = time.perf_counter()
            while accepted < n and evals < max_eval:
                seeds = [derive_seed(self.master, t + 2, k + i) for i in range(self.batch)]
                k += self.batch
                tasks = [(blob, seeds[i : i + self.chunk]) for i in range(0, len(seeds), self.chunk)]
                for part in self.engine.map(_evaluate, tasks):
                    for particle in part:
                        if accepted >= n:
                            break
                        evals += 1
                        sample.append(particle)
                        accepted += bool(particle.accepted)
                if self.progress:
                    self.progress(
                        f"calibrate: generation {t}: {accepted}/{n} accepted of {evals} runs "
                        f"({time.perf_counter() - start:.0f} s)"
                    )
            self.nr_evaluations_ = evals
            if sample.n_accepted < n:
                sample.ok = False
            return sample

    return EngineSampler


# ------------------------------------------------------------------ running a fit
@dataclass(frozen=True)
class AbcSettings:
    """Sizes of a fit; ``quick`` shrinks them (smoke test, minutes on 2 cores)."""

    scenario: str = "municipality_building_housing"
    citizens: int = 2000
    population: int = 300
    generations: int = 6
    min_epsilon: float = 0.0
    heldout_population: int = 150
    heldout_generations: int = 5
    predictive: int = 150
    seed: int = 0
    start_year: int = START_YEAR

    @classmethod
    def quick(cls, **kw: Any) -> AbcSettings:
        base = dict(
            citizens=300,
            population=40,
            generations=3,
            heldout_population=30,
            heldout_generations=2,
            predictive=30,
        )
        base.update(kw)
        return cls(**base)


def priors_for_pyabc(setup: Setup) -> Any:
    import pyabc

    rvs = {}
    for p in setup.priors:
        if p.name not in setup.fitted:
            continue
        if p.distribution == "loguniform":
            lo, hi = math.log10(p.low), math.log10(p.high)
        elif p.distribution == "uniform":
            lo, hi = p.low, p.high
        else:
            raise ScenarioError(f"calibrate: prior of {p.name} must be uniform or loguniform to be fitted")
        rvs[par_key(p.name)] = pyabc.RV("uniform", lo, hi - lo)
    return pyabc.Distribution(**rvs)


@dataclass
class FitResult:
    """One ABC-SMC fit: the last generation's particles and the run's diagnostics."""

    names: tuple[str, ...]
    values: np.ndarray  # (particles, fitted) in the priors' own units
    weights: np.ndarray
    generations: list[dict[str, float]] = field(default_factory=list)
    runs: int = 0
    seconds: float = 0.0


def run_fit(
    setup: Setup,
    settings: AbcSettings,
    engine: Any,
    db: Path,
    *,
    population: int,
    generations: int,
    master: int,
    resume: bool = False,
    progress: Callable[[str], None] | None = None,
) -> FitResult:
    """Run (or resume) ABC-SMC into the SQLite database ``db``; return its last generation."""
    import logging

    import pyabc

    for name in (
        "ABC",
        "pyabc",
        "Epsilon",
        "Distance",
        "Acceptor",
        "ABC.Sampler",
        "ABC.History",
        "ABC.Transition",
    ):
        logging.getLogger(name).setLevel(logging.WARNING)
    started = time.perf_counter()
    sampler = _sampler_class()(engine, master, batch=max(population, 32), progress=progress)
    abc = pyabc.ABCSMC(
        AbcModel(setup),
        priors_for_pyabc(setup),
        distance,
        population_size=population,
        sampler=sampler,
        eps=pyabc.MedianEpsilon(),
    )
    url = f"sqlite:///{db}"
    n_obs = int(sum(t.fit for t in setup.targets))
    observed = {"z": np.zeros(n_obs), "raw": np.zeros(len(setup.targets))}
    done = 0
    if resume and db.exists():
        history = abc.load(url, 1, observed_sum_stat=observed)
        done = history.max_t + 1
    else:
        if db.exists():
            db.unlink()
        abc.new(url, observed)
    if done < generations:
        history = abc.run(max_nr_populations=generations - done, minimum_epsilon=settings.min_epsilon)
    else:
        history = pyabc.History(url, _id=1)
    pops = history.get_all_populations()
    gens = []
    for t in range(history.max_t + 1):
        _, w = history.get_distribution(m=0, t=t)
        row = pops[pops.t == t].iloc[0]
        w = np.asarray(w, float)
        gens.append(
            {
                "generation": t,
                "epsilon": float(row.epsilon),
                "runs": int(row.samples),
                "acceptance_rate": float(population / row.samples) if row.samples else math.nan,
                "ess": float(w.sum() ** 2 / np.sum(w**2)),
            }
        )
    frame, w = history.get_distribution(m=0, t=history.max_t)
    names = tuple(p.name for p in setup.priors if p.name in setup.fitted)
    values = np.column_stack(
        [
            10.0 ** frame[par_key(n)].to_numpy(float)
            if next(p for p in setup.priors if p.name == n).distribution == "loguniform"
            else frame[par_key(n)].to_numpy(float)
            for n in names
        ]
    )
    return FitResult(
        names,
        values,
        np.asarray(w, float) / np.sum(w),
        gens,
        int(pops.samples.sum()),
        time.perf_counter() - started,
    )


def resample(fit: FitResult, n: int, seed: int) -> np.ndarray:
    """``n`` indices of particles drawn by weight (systematic resampling, seeded)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    positions = (rng.random() + np.arange(n)) / n
    idx = np.searchsorted(np.cumsum(fit.weights), positions, side="right")
    return np.minimum(idx, len(fit.weights) - 1)


def _predict_task(args: tuple[Setup, dict[str, float], int]) -> np.ndarray:
    setup, values, seed = args
    return simulate(setup, values, seed)


def predictive(setup: Setup, fit: FitResult | None, n: int, seed: int, engine: Any) -> np.ndarray:
    """Raw values of every target over ``n`` posterior (or, with ``fit`` None, prior) draws
    with fresh seeds: shape (n, targets)."""
    from ..runs.seeds import derive_seed

    rng = np.random.default_rng(np.random.SeedSequence([seed, 11]))
    tasks = []
    idx = resample(fit, n, seed) if fit is not None else None
    fitted = [p for p in setup.priors if p.name in setup.fitted]
    for i in range(n):
        if fit is not None:
            values = dict(zip(fit.names, map(float, fit.values[idx[i]]), strict=True))
        else:
            values = {p.name: float(p.ppf(rng.random())) for p in fitted}
        tasks.append((setup, values, derive_seed(seed, 99, i)))
    return np.array(engine.map(_predict_task, tasks))


def coverage(setup: Setup, sims: np.ndarray, which: Sequence[int], seed: int) -> dict[str, Any]:
    """Share of the targets ``which`` (levels and gaps) inside the 50 % and 90 % predictive
    intervals; the prediction adds each target's observation error (sd) to the model runs."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 13]))
    rows = []
    for j in which:
        t = setup.targets[j]
        pred = sims[:, j] + rng.normal(0.0, t.sd, sims.shape[0])
        q = np.quantile(pred, [0.05, 0.25, 0.5, 0.75, 0.95])
        rows.append(
            {
                "target": t.name,
                "data": t.value,
                "median": float(q[2]),
                "p50": [float(q[1]), float(q[3])],
                "p90": [float(q[0]), float(q[4])],
                "in50": bool(q[1] <= t.value <= q[3]),
                "in90": bool(q[0] <= t.value <= q[4]),
            }
        )
    n = len(rows)
    return {
        "targets": rows,
        "coverage50": float(np.mean([r["in50"] for r in rows])) if n else math.nan,
        "coverage90": float(np.mean([r["in90"] for r in rows])) if n else math.nan,
        "n": n,
    }


def make_setup(settings: AbcSettings, targets: Sequence[Target] | None = None) -> Setup:
    priors = shipped_priors()
    fitted = tuple(p.name for p in priors if p.calibrated)
    return Setup(
        settings.scenario,
        settings.citizens,
        settings.start_year,
        tuple(shipped_targets() if targets is None else targets),
        priors,
        fitted,
    )
