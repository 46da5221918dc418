"""The digital polder model: package deals, detail burden, consultation, compensation
(brief §3.2, §5.4, §5.5, §5.9)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_model, small_config

from simulation import EGovModel
from simulation.config import NegotiationConfig
from simulation.mechanisms import negotiation

CFG = NegotiationConfig()


def position(**kw: float) -> negotiation.Position:
    base = dict(trust=0.6, belief=0.6, benefit=0.5, readiness=0.5, power=0.5, resistance=0.3, uncertainty=0.3)
    base.update(kw)
    return negotiation.Position(**base)


def test_more_detail_and_a_broader_package_mean_more_issues() -> None:
    assert negotiation.issues_to_settle(1, 1.0, CFG) > negotiation.issues_to_settle(1, 0.0, CFG)
    assert negotiation.issues_to_settle(3, 0.3, CFG) > negotiation.issues_to_settle(1, 0.3, CFG)
    assert (
        negotiation.issues_to_settle(1, 0.0, NegotiationConfig(issues_per_objective=0, detail_issues=0)) == 1
    )


def test_parties_open_with_more_issues_under_a_detailed_vision() -> None:
    vague = EGovModel(small_config(negotiation_initial_detail=0.0, rollout_strategy="big_bang"), rng=1)
    detailed = EGovModel(small_config(negotiation_initial_detail=1.0, rollout_strategy="big_bang"), rng=1)
    assert min(p.issues for p in detailed.parties) > max(p.issues for p in vague.parties)


def test_consultation_lowers_the_settle_probability() -> None:
    for t in (0.0, 0.5, 1.0):
        assert negotiation.settle_probability(t, 1.0, CFG) < negotiation.settle_probability(t, 0.0, CFG)
    assert negotiation.settle_probability(1.0, 0.0, CFG) == pytest.approx(CFG.settle_rate)


def test_consultation_slows_settling_in_the_model() -> None:
    """Open issues left after 4 months of big-bang, summed over 8 seeds (common random
    numbers): more at full consultation than at none, and in every single seed."""

    def open_issues(consultation: float, seed: int) -> int:
        cfg = small_config(
            rollout_strategy="big_bang", negotiation_consultation=consultation, learning_adjustment=0.0
        )
        model = run_model(cfg, seed, months=4)
        return sum(p.issues for p in model.parties if p.state == "negotiating")

    slow = [open_issues(1.0, s) for s in range(8)]
    fast = [open_issues(0.0, s) for s in range(8)]
    assert sum(slow) > 1.3 * sum(fast)
    assert sum(a > b for a, b in zip(slow, fast, strict=True)) >= 6


def test_a_package_deal_raises_the_benefit_and_the_utility() -> None:
    weights = np.array([0.1, 0.4, 0.3, 0.2])
    b1 = negotiation.recognised_benefit(weights, 1)
    b3 = negotiation.recognised_benefit(weights, 3)
    assert b1 == pytest.approx(0.1)
    assert b3 == pytest.approx(0.8)
    u1 = negotiation.utility(position(benefit=b1), 0.3, 1.0, 0.45, CFG)
    u3 = negotiation.utility(position(benefit=b3), 0.3, 1.0, 0.45, CFG)
    assert u3 > u1
    assert negotiation.agreement_probability(u3, CFG) > negotiation.agreement_probability(u1, CFG)


def test_a_package_deal_raises_every_partys_agreement_probability() -> None:
    """Same seed, so the same parties (same objective weights, trust, power ...); only the
    package breadth differs: breadth 3 gives each party a strictly higher P(agree)."""
    single = EGovModel(small_config(negotiation_package_breadth=1), rng=7)
    package = EGovModel(small_config(negotiation_package_breadth=3), rng=7)
    for a, b in zip(single.parties, package.parties, strict=True):
        assert np.allclose(a.weights, b.weights)
        assert b.agreement_probability(0.3) > a.agreement_probability(0.3)


def test_compensation_has_diminishing_returns_and_needs_trust() -> None:
    values = [negotiation.compensation_value(x, 0.8, CFG) for x in (0.0, 0.3, 0.6, 0.9, 1.2)]
    steps = np.diff(values)
    assert values[0] == 0.0
    assert np.all(steps > 0)
    assert np.all(np.diff(steps) < 0)  # concave: each extra 0.3 M€ buys less
    assert negotiation.compensation_value(1.0, 0.0, CFG) == 0.0  # without trust it buys nothing
    assert negotiation.compensation_value(1.0, 0.2, CFG) < negotiation.compensation_value(1.0, 0.8, CFG)


@pytest.mark.parametrize(
    ("field", "low", "high", "direction"),
    [
        ("trust", 0.2, 0.8, +1),
        ("belief", 0.2, 0.8, +1),
        ("readiness", 0.2, 0.8, +1),
        ("power", 0.2, 0.8, -1),
        ("resistance", 0.2, 0.8, -1),
        ("uncertainty", 0.2, 0.8, -1),
    ],
)
def test_utility_moves_with_each_term(field: str, low: float, high: float, direction: int) -> None:
    u_low = negotiation.utility(position(**{field: low}), 0.3, 1.0, 0.45, CFG)
    u_high = negotiation.utility(position(**{field: high}), 0.3, 1.0, 0.45, CFG)
    assert direction * (u_high - u_low) > 0


def test_agreement_probability_is_logistic() -> None:
    assert negotiation.agreement_probability(0.0, CFG) == pytest.approx(0.5)
    assert negotiation.agreement_probability(1.0, CFG) == pytest.approx(1 / (1 + np.exp(-CFG.decisiveness)))


@pytest.mark.parametrize(
    ("budget", "overcommit", "offer"), [(0.2, 3.0, 0.3), (0.5, 1.0, 0.4), (0.05, 5.0, 1.0)]
)
def test_compensation_budget_is_never_exceeded(budget: float, overcommit: float, offer: float) -> None:
    """Small budgets with overcommitment: paid ≤ budget and remaining ≥ 0 every month
    (to 1e-9 for floating-point sums); promises beyond the budget are recorded unpaid."""
    cfg = small_config(
        rollout_strategy="big_bang",
        negotiation_compensation_budget=budget,
        negotiation_overcommit=overcommit,
        negotiation_compensation_offer=offer,
        implementation_base_hazard=0.0,
        politics_budget_elasticity=0.0,  # a fixed budget (support does not move it)
        run_months=60,
    )
    for seed in (1, 2):
        model = EGovModel(cfg, rng=seed)
        prog = model.programme
        while model.running:
            model.step()
            assert prog.paid <= budget + 1e-9
            assert prog.remaining >= -1e-12
            assert prog.promised_total <= budget * overcommit + 1e-9
            assert prog.paid + prog.remaining == pytest.approx(budget)
        received = sum(p.received for p in model.parties)
        assert received == pytest.approx(prog.paid)
        # Promises that fell due but exceeded the budget are counted as unpaid.
        due_unpaid = sum(
            p.promised - p.received for p in model.parties if p.state == "integrated" and p.promised > 0
        )
        if overcommit > 1.0 and prog.remaining == 0.0:
            assert prog.unpaid > 0
        if overcommit == 1.0:  # never promises more than it has: everything due is paid
            assert prog.unpaid == pytest.approx(0.0, abs=1e-12)
        assert prog.unpaid == pytest.approx(due_unpaid + _half_unpaid_at_agreement(model), abs=1e-9)


def _half_unpaid_at_agreement(model: EGovModel) -> float:
    """Unpaid parts of the half due at agreement for parties not integrated (yet)."""
    return sum(
        max(0.0, 0.5 * p.promised - p.received)
        for p in model.parties
        if p.agreed_at is not None and p.state != "integrated"
    )


def test_package_deals_agree_more_often_over_replications() -> None:
    """Pattern 5 (brief §5): the share of parties that agree within 60 months (big-bang),
    breadth 3 minus breadth 1, paired by seed over 16 replications (common random numbers):
    criterion, the paired 95 % t interval of the mean difference lies above 0."""
    from simulation.runs.runner import mean_ci, run

    diffs = []
    for seed in range(16):
        shares = [
            run(
                small_config(negotiation_package_breadth=b, rollout_strategy="big_bang", run_months=60),
                seed=seed,
            ).kpis["agreement_share"]
            for b in (1, 3)
        ]
        diffs.append(shares[1] - shares[0])
    _, low, _ = mean_ci(np.array(diffs))
    assert low > 0
