"""Trust: slow to build, fast to lose, path dependent (brief §3.4, §5.6)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_model, small_config

from simulation.config import TrustConfig
from simulation.mechanisms import trust

CFG = TrustConfig(build_rate=0.10, loss_rate=0.30, ceiling_damage=0.15)


def test_loss_of_one_event_exceeds_gain_of_an_equal_event() -> None:
    """Same event size s = 1 from T = 0.5 (ceiling 1): gain 0.05, loss 0.15."""
    gain = float(trust.build(0.5, 1.0, 1.0, CFG)) - 0.5
    new_t, _ = trust.damage(0.5, 1.0, 1.0, CFG)
    loss = 0.5 - float(new_t)
    assert gain == pytest.approx(0.05)
    assert loss == pytest.approx(0.15)
    assert loss > 2.5 * gain


def test_recovering_one_bad_event_takes_several_good_ones() -> None:
    t, c = trust.damage(0.5, 1.0, 1.0, CFG)
    good_events = 0
    while t < 0.5 and good_events < 1000:
        t = trust.build(t, c, 1.0, CFG)
        good_events += 1
    # Closing 0.15 at 10 % of a gap of ~0.5..0.65 per event needs at least 3 events.
    assert good_events >= 3
    assert t >= 0.5


def test_damage_lowers_the_ceiling_so_recovery_stays_lower() -> None:
    """Path dependence: after three failures, endless good news recovers only to the
    damaged ceiling (1 - 0.15)^3 ≈ 0.614, while an undamaged party approaches 1."""
    damaged_t, damaged_c = np.array(0.5), np.array(1.0)
    for _ in range(3):
        damaged_t, damaged_c = trust.damage(damaged_t, damaged_c, 1.0, CFG)
    clean_t, clean_c = np.array(0.5), np.array(1.0)
    for _ in range(300):
        damaged_t = trust.build(damaged_t, damaged_c, 1.0, CFG)
        clean_t = trust.build(clean_t, clean_c, 1.0, CFG)
    assert float(damaged_c) == pytest.approx(0.85**3)
    assert float(damaged_t) <= float(damaged_c) + 1e-12
    assert float(damaged_t) == pytest.approx(0.85**3, abs=1e-6)
    assert float(clean_t) > 0.99
    assert float(clean_t) - float(damaged_t) > 0.35


def test_update_applies_damage_before_building() -> None:
    t, c = trust.update(0.5, 1.0, good=1.0, bad=1.0, cfg=CFG)
    # damage: 0.35 and ceiling 0.85, then build: 0.35 + 0.1 (0.85 - 0.35) = 0.40
    assert float(t) == pytest.approx(0.40)
    assert float(c) == pytest.approx(0.85)


def test_vectorised_over_a_pairwise_matrix() -> None:
    rng = np.random.default_rng(0)
    t = rng.uniform(0, 1, (6, 6))
    c = np.ones((6, 6))
    good = rng.uniform(0, 1, (6, 6))
    bad = rng.uniform(0, 1, (6, 6))
    nt, nc = trust.update(t, c, good, bad, CFG)
    for i in range(6):
        for j in range(6):
            st, sc = trust.update(t[i, j], c[i, j], good[i, j], bad[i, j], CFG)
            assert nt[i, j] == pytest.approx(float(st))
            assert nc[i, j] == pytest.approx(float(sc))


def test_failures_in_the_model_lower_trust() -> None:
    """Every implementing party fails every month (base hazard 1) vs never (0): mean
    trust in the programme at month 36 is lower with failures, in each of 3 seeds."""
    for seed in (1, 2, 3):
        common = dict(rollout_strategy="big_bang", learning_adjustment=0.0, run_months=36)
        failing = run_model(small_config(implementation_base_hazard=1.0, **common), seed)
        smooth = run_model(small_config(implementation_base_hazard=0.0, **common), seed)
        assert failing.total_failures > 0
        assert smooth.total_failures == 0
        assert failing.mean_trust < smooth.mean_trust
        # The damaged ceilings persist: the mean ceiling is lower after failures.
        ceil_f = np.mean([p.trust_ceiling for p in failing.parties])
        ceil_s = np.mean([p.trust_ceiling for p in smooth.parties])
        assert ceil_f < ceil_s
