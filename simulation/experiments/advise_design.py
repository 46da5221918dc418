"""The design of an ``advise`` experiment: levers, uncertainties, the fixed candidate strategies and the run plan."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..io.scenario_io import load_scenario, resolve_path
from .spec import Experiment, Factor, _check_value

#: Levers: name -> levels (list) or (low, high) range; integer parameters decode to whole numbers.
LEVERS: dict[str, Any] = {
    "service.model": ["integration", "fragmentation", "hybrid"],
    "rollout.strategy": ["phased", "big_bang", "pilot"],
    "rollout.wave_size": (1, 6),
    "rollout.wave_gap": (0, 12),
    "negotiation.package_breadth": (1, 4),
    "negotiation.initial_detail": (0.0, 1.0),
    "negotiation.compensation_budget": (0.0, 6.0),
    "negotiation.consultation": (0.0, 1.0),
    "learning.strategy": ["learning", "rational"],
    "learning.adjustment": (0.0, 1.0),
}


INTEGER_LEVERS = {"rollout.wave_size", "rollout.wave_gap", "negotiation.package_breadth"}


#: Uncertainties: name -> (low, high); "rel" ranges are multiples of the scenario's value.
UNCERTAINTIES: dict[str, tuple[str, float, float]] = {
    "trust.initial": ("abs", 0.2, 0.8),
    "parties.scale.resistance": ("abs", 0.6, 1.6),
    "parties.scale.readiness": ("abs", 0.6, 1.4),
    "citizens.p": ("rel", 0.5, 2.0),
    "citizens.q": ("rel", 0.5, 2.0),
}


KPIS_NEEDED = ("total_cost", "months_to_first_service", "final_adoption", "collapsed", "final_legitimacy")


QUICK = {"strategies": 9, "scenarios": 12, "replications": 1, "citizens": 2000}


FULL = {"strategies": 24, "scenarios": 32, "replications": 1}


# ---------------------------------------------------------------------- design
def _lhs(d: int, n: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(n)


def _decode_lever(name: str, spec: Any, u: float) -> Any:
    if isinstance(spec, list):
        return spec[min(int(u * len(spec)), len(spec) - 1)]
    lo, hi = spec
    if name in INTEGER_LEVERS:
        n = int(hi) - int(lo) + 1
        return int(lo) + min(int(u * n), n - 1)
    return round(float(lo + u * (hi - lo)), 3)


#: Seed of the Latin hypercube of extra candidates (beyond the named set): fixed, not the
#: master seed, so every ``--seed`` meets the same candidates (``--candidate-seed``).
CANDIDATE_SEED = 0


def candidates(base: dict[str, Any], n: int, seed: int = CANDIDATE_SEED) -> list[tuple[str, dict[str, Any]]]:
    """The candidate strategies, named: 0 = the scenario as written; then the nine designs
    (service model x rollout) at the scenario's own other levers, skipping the one the
    scenario already is; then Latin hypercube strategies over every lever (seeded by ``seed``,
    a fixed candidate seed, not the master seed). The first ``n`` are used."""
    from .decision_map import DESIGNS, design_label

    own = {name: base[name.split(".")[0]][name.split(".", 1)[1]] for name in LEVERS}
    written = (own["service.model"], own["rollout.strategy"])
    out = [(f"as written ({design_label(written)})", own)]
    seen = {json.dumps(own, sort_keys=True)}
    for model, rollout in DESIGNS:
        s = {**own, "service.model": model, "rollout.strategy": rollout}
        key = json.dumps(s, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append((design_label((model, rollout)), s))
    unit = _lhs(len(LEVERS), max(n - len(out), 1) * 2, seed)
    for row in unit:
        if len(out) >= n:
            break
        s = {
            name: _decode_lever(name, spec, float(u))
            for (name, spec), u in zip(LEVERS.items(), row, strict=True)
        }
        key = json.dumps(s, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append((f"sampled {len(out)}", s))
    return out[:n]


def strategies(base: dict[str, Any], n: int, seed: int = CANDIDATE_SEED) -> list[dict[str, Any]]:
    """The lever values of :func:`candidates` (without the names)."""
    return [s for _, s in candidates(base, n, seed)]


def uncertainty_ranges(base: dict[str, Any]) -> dict[str, tuple[float, float]]:
    out = {}
    for name, (kind, lo, hi) in UNCERTAINTIES.items():
        if kind == "rel":
            v = float(base[name.split(".")[0]][name.split(".", 1)[1]])
            out[name] = (round(v * lo, 6), round(min(1.0, v * hi), 6))
        else:
            out[name] = (lo, hi)
    return out


def scenarios(base: dict[str, Any], n: int, seed: int) -> list[dict[str, float]]:
    ranges = uncertainty_ranges(base)
    unit = _lhs(len(ranges), n, seed + 7919)
    return [
        {
            name: round(lo + float(u) * (hi - lo), 6)
            for (name, (lo, hi)), u in zip(ranges.items(), row, strict=True)
        }
        for row in unit
    ]


def build_experiment(
    scenario: str,
    *,
    n_strategies: int,
    n_scenarios: int,
    replications: int,
    months: int | None,
    citizens: int | None,
    seed: int | None,
    quick: bool,
    candidate_seed: int = CANDIDATE_SEED,
    ensemble: str | None = None,
) -> tuple[Experiment, list[dict[str, Any]], list[dict[str, float]]]:
    """The advise design: strategies x uncertainty scenarios as explicit points. With an
    ``ensemble`` uncertainty scenario k also gets parameter draw k mod (number of draws), the
    same draw for every strategy (common parameters); levers and uncertainties stay pinned."""
    path = resolve_path(scenario)
    cfg = load_scenario(path)
    base = cfg.model_dump()
    seed = cfg.run.seed if seed is None else seed
    months = months or cfg.run.months
    fixed: dict[str, Any] = {}
    _check_value(base, {}, "run.months", months, f"--months {months}", "advise")
    if citizens:
        fixed["citizens.count"] = citizens
        _check_value(base, {}, "citizens.count", citizens, f"--citizens {citizens}", "advise")
    strat = strategies(base, n_strategies, candidate_seed)
    unc = scenarios(base, n_scenarios, seed)
    label = str(path)
    for name in LEVERS:  # each level once on the base, so a bad lever fails before anything runs
        for v in sorted({json.dumps(s[name]) for s in strat}):
            _check_value(base, fixed, name, json.loads(v), label, "advise levers")
    factors: list[Factor] = []
    dtypes = {"str": str, "int": int, "float": float}
    for name in LEVERS:
        values = []
        for s in strat:
            if s[name] not in values:
                values.append(s[name])
        dtype = "str" if isinstance(values[0], str) else ("int" if name in INTEGER_LEVERS else "float")
        values = [dtypes[dtype](v) for v in values]
        for s in strat:
            s[name] = dtypes[dtype](s[name])
        factors.append(Factor(name, "levels", levels=tuple(values), dtype=dtype))
    for name, (lo, hi) in uncertainty_ranges(base).items():
        factors.append(Factor(name, "range", low=lo, high=hi, dtype="float"))
    points = tuple({**s, **u} for s in strat for u in unc)
    exp = Experiment(
        name=f"advise-{path.stem}",
        description=f"Robust strategy search on {path.stem}: {len(strat)} strategies x {len(unc)} "
        f"uncertainty scenarios x {replications} replications",
        source=label,
        base=str(path.resolve()),
        design="points",
        replications=replications,
        months=months,
        seed=seed,
        samples=None,
        levels=4,
        second_order=False,
        batch=None,
        fixed=fixed,
        factors=tuple(factors),
        kpis=KPIS_NEEDED + ("stalled", "failures", "agreement_share"),
        series=("adoption",),
        every=12,
        scorecard=False,
        quick=quick,
        points=points,
    )
    if ensemble:
        from dataclasses import replace

        from .spec import with_ensemble

        exp = with_ensemble(exp, ensemble)
        n_d = len(exp.draws)
        exp = replace(exp, point_draws=tuple((p % len(unc)) % n_d for p in range(len(points))))
    return exp, strat, unc
