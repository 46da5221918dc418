"""Resistance dynamics and scope surprises (brief §3.3, §5.10)."""

from __future__ import annotations

import pytest
from conftest import run_model, small_config

from simulation.config import ResistanceConfig
from simulation.mechanisms import resistance

CFG = ResistanceConfig()
NEUTRAL = dict(
    load=0.0, failures=0.0, unpaid=0.0, consultation=0.0, bandwagon=0.0, compensation=0.0, surprise=0.0
)


def step(r: float = 0.5, **kw: float) -> float:
    args = dict(NEUTRAL, **kw)
    return resistance.step(r, r, cfg=CFG, **args)  # baseline = r: no relaxation pull


def test_nothing_happening_keeps_resistance() -> None:
    assert step() == pytest.approx(0.5)


@pytest.mark.parametrize(("driver", "value"), [("load", 1.0), ("failures", 1.0), ("unpaid", 1.0)])
def test_resistance_rises_with_load_failures_and_unpaid_promises(driver: str, value: float) -> None:
    assert step(**{driver: value}) > step()
    assert step(**{driver: value}) > step(**{driver: value / 2})


@pytest.mark.parametrize(
    ("driver", "value"), [("consultation", 1.0), ("bandwagon", 1.0), ("compensation", 0.5)]
)
def test_resistance_falls_with_consultation_bandwagon_and_compensation(driver: str, value: float) -> None:
    assert step(**{driver: value}) < step()
    assert step(**{driver: value}) < step(**{driver: value / 2})


def test_relaxation_pulls_back_to_baseline() -> None:
    up = resistance.step(0.2, 0.6, cfg=CFG, **NEUTRAL)
    down = resistance.step(0.9, 0.6, cfg=CFG, **NEUTRAL)
    assert 0.2 < up < 0.6
    assert 0.6 < down < 0.9


def test_resistance_stays_in_unit_interval() -> None:
    assert step(r=0.99, load=1, failures=5, unpaid=1, surprise=1) == 1.0
    assert step(r=0.01, consultation=1, bandwagon=1, compensation=50) == 0.0


def test_a_vague_scope_hides_resistance_until_agreement() -> None:
    late_vague = resistance.scope_surprise(0.8, 0.0, CFG, late=True)
    late_clear = resistance.scope_surprise(0.8, 1.0, CFG, late=True)
    early_clear = resistance.scope_surprise(0.8, 1.0, CFG, late=False)
    assert late_vague == pytest.approx(CFG.scope_surprise * 0.8)
    assert late_clear == 0.0
    assert early_clear > resistance.scope_surprise(0.8, 0.0, CFG, late=False) == 0.0
    # A clear scope shows less in total than a vague one hides, and shows it early.
    assert early_clear + late_clear < late_vague


def test_withdrawal_needs_high_resistance_and_the_draw() -> None:
    hi = CFG.withdraw_threshold + 0.5 * (1 - CFG.withdraw_threshold)
    p = resistance.withdraw_probability(hi, 0.0, 0.0, CFG)
    assert p == pytest.approx(0.5 * CFG.withdraw_rate)
    assert resistance.withdraws(hi, p / 2, CFG)
    assert not resistance.withdraws(hi, p * 1.5, CFG)
    assert not resistance.withdraws(CFG.withdraw_threshold - 0.05, 0.0, CFG)
    # Trust in the programme and sunk progress hold a party back.
    assert resistance.withdraw_probability(hi, 0.8, 0.0, CFG) == pytest.approx(0.2 * p)
    assert resistance.withdraw_probability(hi, 0.0, 1.0, CFG) == pytest.approx(0.5 * p)


def test_unpaid_promises_raise_resistance_in_the_model() -> None:
    """Same promises (offer 0.3 M€), once from a budget of 0.5 M€ with overcommitment 5
    (promises fall due unpaid) and once from 2.5 M€ without (all paid); received money
    has no effect here (compensation_effect 0) so only the unpaid promises differ. In every
    seed with unpaid promises the agreed parties end more resistant; same parties agree."""

    def agreed(budget: float, overcommit: float, seed: int) -> tuple[float, float, int]:
        cfg = small_config(
            rollout_strategy="big_bang",
            negotiation_compensation_budget=budget,
            negotiation_overcommit=overcommit,
            negotiation_compensation_offer=0.3,
            resistance_compensation_effect=0.0,
            implementation_base_hazard=0.0,
            learning_adjustment=0.0,
            run_months=36,
        )
        model = run_model(cfg, seed)
        r = [p.resistance for p in model.parties if p.agreed_at is not None]
        return sum(r) / max(len(r), 1), model.programme.unpaid, len(r)

    with_unpaid = 0
    for seed in range(6):
        r_starved, unpaid, n_starved = agreed(0.5, 5.0, seed)
        r_funded, unpaid_funded, n_funded = agreed(2.5, 1.0, seed)
        assert unpaid_funded == 0.0
        assert n_starved == n_funded
        if unpaid > 0:
            with_unpaid += 1
            assert r_starved > r_funded
        else:
            assert r_starved == pytest.approx(r_funded)
    assert with_unpaid >= 4
