"""Invariants over random valid parameters (hypothesis; derandomized, so reproducible)."""

from __future__ import annotations

import numpy as np
from conftest import FRACTION_COLUMNS
from hypothesis import HealthCheck, given, settings, strategies as st

from simulation import EGovModel, load_scenario
from simulation.config import ResistanceConfig, TrustConfig
from simulation.mechanisms import resistance, trust
from simulation.strategies.service_models import link_share

SETTINGS = settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
unit = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def scenarios(draw) -> dict:
    """Random valid overrides of the parts that drive the programme; 200 citizens, ≤ 60 months."""
    return {
        "run": {"months": draw(st.integers(6, 60))},
        "service": {
            "model": draw(st.sampled_from(["integration", "fragmentation", "hybrid"])),
            "audience": draw(st.sampled_from(["citizens", "businesses"])),
            "intrusiveness": draw(unit),
            "service_focus": draw(unit),
        },
        "rollout": {
            "strategy": draw(st.sampled_from(["big_bang", "phased", "pilot"])),
            "wave_size": draw(st.integers(1, 6)),
            "wave_gap": draw(st.integers(0, 12)),
            "wait_for_previous": draw(st.booleans()),
        },
        "citizens": {
            "count": 200,
            "network": draw(st.sampled_from(["small_world", "complete"])),
            "p": draw(st.floats(0.0, 0.2)),
            "q": draw(st.floats(0.0, 1.0)),
            "initial_adoption": draw(st.floats(0.0, 0.5)),
        },
        "negotiation": {
            "package_breadth": draw(st.integers(1, 4)),
            "initial_detail": draw(unit),
            "scope_clarity": draw(unit),
            "compensation_budget": draw(st.floats(0.0, 5.0)),
            "compensation_offer": draw(st.floats(0.0, 2.0)),
            "overcommit": draw(st.floats(1.0, 5.0)),
            "consultation": draw(unit),
            "settle_rate": draw(st.floats(0.05, 1.0)),
            "max_rounds": draw(st.integers(1, 8)),
        },
        "trust": {"initial": draw(unit), "build_rate": draw(unit), "loss_rate": draw(unit)},
        "implementation": {
            "base_hazard": draw(st.floats(0.0, 1.0)),
            "overrun_alpha": draw(st.floats(0.6, 5.0)),
            "collapse_share": draw(st.floats(0.05, 1.0)),
        },
        "learning": {"strategy": draw(st.sampled_from(["learning", "rational"])), "adjustment": draw(unit)},
        "resistance": {"withdraw_threshold": draw(unit), "withdraw_rate": draw(unit)},
    }


@settings(SETTINGS, max_examples=50)
@given(overrides=scenarios(), seed=st.integers(0, 2**32))
def test_model_invariants_hold_for_random_valid_parameters(overrides: dict, seed: int) -> None:
    cfg = load_scenario(None, overrides=overrides)
    model = EGovModel(cfg, rng=seed)
    pol = cfg.politics
    # The ceiling follows political support (0..1), so it never exceeds this:
    budget = cfg.negotiation.compensation_budget * (1 + pol.budget_elasticity * (1 - pol.initial_support))
    while model.running:
        model.step()
        prog = model.programme
        assert prog.remaining >= -1e-12
        assert prog.paid <= prog.ceiling + 1e-9 and prog.ceiling <= budget + 1e-9
        assert prog.remaining <= budget + 1e-12
        assert abs(sum(model.ledger.balances().values())) < 1e-6
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == cfg.run.months + 1
    for col in FRACTION_COLUMNS:
        values = frame[col].to_numpy(float)
        assert np.isfinite(values).all(), col
        assert ((values >= 0.0) & (values <= 1.0)).all(), col
    cost = frame["cumulative_cost"].to_numpy(float)
    assert np.isfinite(cost).all() and cost[0] >= 0.0
    assert np.all(np.diff(cost) >= -1e-12)
    paid = frame["compensation_paid"].to_numpy(float)
    assert np.all(np.diff(paid) >= -1e-12) and paid[-1] <= budget + 1e-9
    assert np.all(np.diff(frame["adoption"].to_numpy(float)) >= 0)
    assert np.all(np.diff(frame["failures"].to_numpy(float)) >= 0)
    assert all(0.0 <= p.trust <= p.trust_ceiling <= 1.0 for p in model.parties)
    assert all(0.0 <= p.resistance <= 1.0 for p in model.parties)
    assert ((model.pair_trust >= 0) & (model.pair_trust <= 1)).all()


@SETTINGS
@given(t=unit, c=unit, good=unit, bad=unit, rates=st.tuples(unit, unit, unit))
def test_trust_update_stays_below_its_ceiling(t: float, c: float, good: float, bad: float, rates) -> None:
    cfg = TrustConfig(build_rate=rates[0], loss_rate=rates[1], ceiling_damage=rates[2])
    t = min(t, c)
    new_t, new_c = trust.update(t, c, good, bad, cfg)
    assert 0.0 <= float(new_t) <= float(new_c) + 1e-12 <= c + 1e-12
    if bad == 0.0:
        assert float(new_t) >= t - 1e-12  # good news alone never lowers trust


@SETTINGS
@given(
    r=unit,
    baseline=unit,
    drivers=st.tuples(unit, st.floats(0, 5), unit, unit, unit, st.floats(0, 5), unit),
)
def test_resistance_stays_in_unit_interval(r: float, baseline: float, drivers) -> None:
    load, failures, unpaid, consultation, bandwagon, compensation, surprise = drivers
    out = resistance.step(
        r,
        baseline,
        load=load,
        failures=failures,
        unpaid=unpaid,
        consultation=consultation,
        bandwagon=bandwagon,
        compensation=compensation,
        surprise=surprise,
        cfg=ResistanceConfig(),
    )
    assert 0.0 <= out <= 1.0


@SETTINGS
@given(
    n=st.integers(2, 8),
    data=st.data(),
)
def test_link_share_is_a_share_and_grows_with_trust(n: int, data) -> None:
    integrated = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    rows = data.draw(st.lists(st.lists(unit, min_size=n, max_size=n), min_size=n, max_size=n))
    trust_m = np.array(rows)
    share = link_share(integrated, trust_m, 0.5)
    assert 0.0 <= share <= 1.0
    assert link_share(integrated, np.ones((n, n)), 0.5) >= share
    assert link_share(np.ones(n, bool), trust_m, 0.5) >= share
