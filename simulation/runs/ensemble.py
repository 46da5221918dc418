"""Parameter ensembles: draws from the priors or the shipped posterior, and the split of
variance between parameters and seeds.

``--ensemble N`` means N draws from the posterior (``data/posterior.csv``, written by
``egov-sim calibrate``) for the calibrated parameters and from their priors for every
other uncertain parameter; ``--ensemble prior`` (or ``prior:N``) draws everything from the
priors; ``--ensemble defaults`` is one draw that changes nothing (the scenario as written).

Draw ``i`` depends only on the master seed and ``i`` (its own ``SeedSequence`` stream), so
the first draws of a larger ensemble are the draws of a smaller one, every condition of a
comparison gets the same draws (common parameters) and the same replication seeds
(common random numbers), and nothing depends on the number of workers.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from ..io.scenario_io import ScenarioError
from .priors import Prior, apply_draw, shipped_priors

POSTERIOR_FILE = "posterior.csv"
PROVENANCE_FILE = "posterior.json"
DEFAULT_DRAWS = 20
MAX_DRAWS = 10_000
ENSEMBLE_KEY = 19  # separates the draws' streams from the replication seeds


@dataclass(frozen=True)
class Posterior:
    """Weighted particles of the calibrated parameters (values as the priors define them)."""

    names: tuple[str, ...]
    values: np.ndarray  # (particles, parameters)
    weights: np.ndarray  # (particles,), sum 1
    provenance: dict[str, Any] = field(default_factory=dict)

    def quantiles(self, qs: Sequence[float]) -> dict[str, list[float]]:
        out = {}
        order_all = np.argsort(self.values, axis=0)
        for j, name in enumerate(self.names):
            order = order_all[:, j]
            cw = np.cumsum(self.weights[order])
            out[name] = [float(self.values[order[np.searchsorted(cw, q * cw[-1])], j]) for q in qs]
        return out

    def median(self) -> dict[str, float]:
        return {k: v[0] for k, v in self.quantiles([0.5]).items()}


def read_posterior(path: Any, priors: Sequence[Prior]) -> Posterior:
    """Read a posterior CSV (a column per parameter plus ``weight``), checking every name has a prior."""
    from pathlib import Path

    path = Path(path)
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror})") from None
    if not rows or "weight" not in rows[0]:
        raise ScenarioError(f"{path}: expected a header with the parameters and 'weight'")
    names = tuple(k for k in rows[0] if k != "weight")
    known = {p.name for p in priors}
    for n in names:
        if n not in known:
            raise ScenarioError(f"{path}: column {n!r} has no prior in data/priors.toml")
    try:
        values = np.array([[float(r[n]) for n in names] for r in rows])
        weights = np.array([float(r["weight"]) for r in rows])
    except (TypeError, ValueError):
        raise ScenarioError(f"{path}: every value must be a number") from None
    if (weights < 0).any() or weights.sum() <= 0:
        raise ScenarioError(f"{path}: weights must be >= 0 and not all 0")
    prov_path = path.with_name(PROVENANCE_FILE)
    prov = json.loads(prov_path.read_text(encoding="utf-8")) if prov_path.is_file() else {}
    return Posterior(names, values, weights / weights.sum(), prov)


@cache
def shipped_posterior() -> Posterior | None:
    """The posterior that ships with the package, or None if none was calibrated yet."""
    from ..io.resources import data_file

    path = data_file(POSTERIOR_FILE)
    return read_posterior(path, shipped_priors()) if path.is_file() else None


@dataclass(frozen=True)
class EnsembleSpec:
    kind: str  # posterior | prior | defaults
    n: int

    @property
    def label(self) -> str:
        if self.kind == "defaults":
            return "the scenario's own values (1 draw)"
        return f"{self.n} {self.kind} draws"


def parse_ensemble(text: str | int | None, option: str = "--ensemble") -> EnsembleSpec | None:
    """``N`` (posterior), ``prior``, ``prior:N``, ``posterior:N`` or ``defaults``."""
    if text is None:
        return None
    raw = str(text).strip().lower()
    kind, _, count = raw.partition(":")
    if kind.isdigit() and not count:
        kind, count = "posterior", kind
    if kind == "defaults" and not count:
        return EnsembleSpec("defaults", 1)
    if kind not in ("prior", "posterior"):
        raise ScenarioError(
            f"{option} {text}: expected a number of posterior draws (e.g. 20), 'prior', 'prior:N' or 'defaults'"
        )
    n = DEFAULT_DRAWS if not count else (int(count) if count.isdigit() else -1)
    if not 1 <= n <= MAX_DRAWS:
        raise ScenarioError(f"{option} {text}: the number of draws must be 1..{MAX_DRAWS:,}")
    return EnsembleSpec(kind, n)


def draw_stream(seed: int, i: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), ENSEMBLE_KEY, int(i)]))


def make_draws(
    spec: EnsembleSpec,
    seed: int,
    priors: Sequence[Prior] | None = None,
    posterior: Posterior | None = None,
) -> list[dict[str, float]]:
    """The drawn numbers (absolute values or multipliers, as each prior says), one dict per draw."""
    priors = tuple(shipped_priors() if priors is None else priors)
    if spec.kind == "defaults":
        return [{}]
    if spec.kind == "posterior":
        posterior = shipped_posterior() if posterior is None else posterior
        if posterior is None:
            raise ScenarioError(
                "--ensemble: no posterior ships with this installation (data/posterior.csv); "
                "run 'egov-sim calibrate' or use --ensemble prior"
            )
    draws = []
    for i in range(spec.n):
        rng = draw_stream(seed, i)
        u = rng.random(len(priors))
        draw = {p.name: float(p.ppf(u[j])) for j, p in enumerate(priors)}
        if spec.kind == "posterior":
            assert posterior is not None
            k = int(np.searchsorted(np.cumsum(posterior.weights), rng.random() * 1.0, side="right"))
            k = min(k, len(posterior.weights) - 1)
            draw.update({n: float(posterior.values[k, j]) for j, n in enumerate(posterior.names)})
        draws.append(draw)
    return draws


def configure(config: Any, draw: Mapping[str, float], pinned: Iterable[str] = (), source: str = "") -> Any:
    """``config`` (a :class:`ScenarioConfig`) with ``draw`` applied, except the ``pinned``
    parameters (those the user set explicitly, e.g. by ``--set``)."""
    from ..io.scenario_io import validate

    keep = set(pinned)
    free = {k: v for k, v in draw.items() if k not in keep}
    if not free:
        return config
    data = apply_draw(config.model_dump(), free, shipped_priors())
    return validate(data, source or "ensemble draw")


def pinned_from_sets(sets: Iterable[str]) -> set[str]:
    """Parameter names given by ``--set section.key=value`` (pinned: not drawn)."""
    return {s.split("=", 1)[0].strip() for s in sets if "=" in s}


def variance_split(values: np.ndarray) -> dict[str, float]:
    """Law of total variance over a (draws, replications) array: the share of the variance
    from parameters, Var_d(E[y | d]) with the Monte Carlo term removed, and from seeds,
    E_d[Var(y | d)]. NaN where it cannot be told (one replication, or no variance)."""
    v = np.asarray(values, float)
    if v.ndim != 2 or v.shape[1] < 2 or v.shape[0] < 2:
        return {"param_share": np.nan, "seed_share": np.nan, "var_param": np.nan, "var_seed": np.nan}
    ok = np.isfinite(v).all(axis=1)
    v = v[ok]
    if v.shape[0] < 2:
        return {"param_share": np.nan, "seed_share": np.nan, "var_param": np.nan, "var_seed": np.nan}
    within = float(np.mean(v.var(axis=1, ddof=1)))
    between = float(max(0.0, v.mean(axis=1).var(ddof=1) - within / v.shape[1]))
    total = within + between
    if total <= 0:
        return {"param_share": np.nan, "seed_share": np.nan, "var_param": between, "var_seed": within}
    return {
        "param_share": between / total,
        "seed_share": within / total,
        "var_param": between,
        "var_seed": within,
    }


def draws_table(draws: Sequence[Mapping[str, float]]) -> list[dict[str, Any]]:
    """One row per draw (``draw`` index and every drawn number), for ``draws.csv``."""
    return [{"draw": i, **d} for i, d in enumerate(draws)]


def run_ensemble(
    config: Any,
    draws: Sequence[Mapping[str, float]],
    replications: int,
    master: int,
    *,
    workers: int = 1,
    pinned: Iterable[str] = (),
    progress: Any = None,
) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """Every draw x every replication seed of one scenario: one row per run (``draw``,
    ``replication``, ``seed`` and the KPIs) and the adoption curves, shape (runs, months + 1)."""
    from ..io.pools import process_pool
    from .runner import run_job as _one
    from .seeds import replication_seeds

    seeds = replication_seeds(master, replications)
    configs = [configure(config, d, pinned, "ensemble draw") for d in draws]
    jobs = [(c, s) for c in configs for s in seeds]
    if workers > 1:
        with process_pool(workers) as pool:
            results = []
            for res in pool.map(_one, jobs):
                results.append(res)
                if progress:
                    progress(len(results), len(jobs))
    else:
        results = []
        for job in jobs:
            results.append(_one(job))
            if progress:
                progress(len(results), len(jobs))
    rows = [
        {"draw": i // replications, "replication": i % replications, "seed": r.seed, **r.kpis}
        for i, r in enumerate(results)
    ]
    curves = {
        v: np.vstack([np.asarray(r.series[v], float) for r in results]) for v in ("adoption", "legitimacy")
    }
    return rows, curves


def summary_rows(rows: Sequence[Mapping[str, Any]], n_draws: int, reps: int) -> list[dict[str, Any]]:
    """Per numeric KPI over draws x seeds: median, 5 % and 95 %, and the variance split."""
    out = []
    for key in rows[0]:
        if key in ("draw", "replication", "seed"):
            continue
        vals = np.array([np.nan if r[key] is None else float(r[key]) for r in rows], float)
        if not np.isfinite(vals).any():
            continue
        q = np.nanquantile(vals, [0.05, 0.5, 0.95])
        split = variance_split(vals.reshape(n_draws, reps))
        out.append(
            {
                "kpi": key,
                "median": q[1],
                "p05": q[0],
                "p95": q[2],
                "runs_with_value": int(np.isfinite(vals).sum()),
                "param_share": split["param_share"],
                "seed_share": split["seed_share"],
            }
        )
    return out
