"""float32 citizen state (issue 22) against float64: the same results within sampling error.

Criterion (``runs.stats.negligible_shift``, as benchmarks/float32_state.py, there over 20
seeds and all five scenarios): per KPI, the paired differences float32 - float64 over 12
fixed seeds are all 0, or have a mean that a paired t test does not find (p >= 0.05) and
that is below 0.1 standard deviations of the KPI over the seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation.io.scenario_io import load_scenario
from simulation.mechanisms import adoption
from simulation.model import EGovModel
from simulation.runs.runner import result_of
from simulation.runs.stats import negligible_shift

SEEDS = range(1, 13)


def _kpis(scenario: str, seed: int, dtype: type, monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    monkeypatch.setattr(adoption, "STATE_DTYPE", dtype)
    cfg = load_scenario(
        scenario, overrides={"citizens": {"count": 3000}, "run": {"seed": seed, "months": 96}}
    )
    model = EGovModel(cfg)
    assert model.population.legitimacy.dtype == dtype and model.population.scratch().dtype == dtype
    while model.running and model.steps < model.months:
        model.step()
    figures = result_of(model, cfg).kpis
    return {k: float(v) for k, v in figures.items() if isinstance(v, int | float) and not isinstance(v, bool)}


@pytest.mark.parametrize("scenario", ["municipality_building_housing", "business_counter"])
def test_float32_state_is_within_sampling_error_of_float64(scenario: str, monkeypatch) -> None:
    assert adoption.STATE_DTYPE is np.float32  # what ships
    a = [_kpis(scenario, s, np.float64, monkeypatch) for s in SEEDS]
    b = [_kpis(scenario, s, np.float32, monkeypatch) for s in SEEDS]
    checked, differing, outside = 0, 0, []
    for key in a[0]:
        u = np.array([x.get(key, math.nan) for x in a])
        v = np.array([y.get(key, math.nan) for y in b])
        if (np.isfinite(u) & np.isfinite(v)).sum() < 3:
            continue
        checked += 1
        res, in_sd, within = negligible_shift(u, v)
        differing += bool(np.nan_to_num(v - u).any())
        if not within:
            outside.append((key, res.difference, res.p, in_sd))
    assert checked >= 20 and differing >= 1  # the comparison sees the precision at all
    assert not outside, outside


def test_negligible_shift_finds_a_real_shift() -> None:
    """The criterion can fail: a shift of 0.2 sd over 200 pairs, or any constant one."""
    rng = np.random.default_rng(3)
    a = rng.normal(0, 1, 200)
    assert negligible_shift(a, a)[2] and negligible_shift(a, a + rng.normal(0, 1e-9, 200))[2]
    assert not negligible_shift(a, a + 0.2 + rng.normal(0, 0.05, 200))[2]
    assert not negligible_shift(a, a + 1e-3)[2]  # constant: p = 0
    assert not negligible_shift(a, a + rng.normal(0.5, 2, 200))[2]
