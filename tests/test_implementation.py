"""Implementation (failures, heavy-tailed overruns, stalls, collapse; brief §3.5, §5.7)
and learning and adjustment (brief §3.6, §5.8)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_model, small_config
from scipy import stats

from simulation.config import ImplementationConfig, LearningConfig
from simulation.mechanisms import implementation, learning

CFG = ImplementationConfig()


def test_failure_hazard_grows_with_load_and_complexity() -> None:
    loads = [0.0, 0.25, 0.5, 1.0]
    by_load = [implementation.failure_hazard(1.0, x, 0.5, 0.0, CFG) for x in loads]
    assert np.all(np.diff(by_load) > 0)
    complexities = [0.4, 1.0, 2.0, 4.0]
    by_complexity = [implementation.failure_hazard(c, 0.5, 0.5, 0.0, CFG) for c in complexities]
    assert np.all(np.diff(by_complexity) > 0)
    # Readier parties, experience and a slower pace all lower it; it is a probability.
    assert implementation.failure_hazard(1.0, 0.5, 0.9, 0.0, CFG) < by_load[2]
    assert implementation.failure_hazard(1.0, 0.5, 0.5, 0.4, CFG) < by_load[2]
    assert implementation.failure_hazard(1.0, 0.5, 0.5, 0.0, CFG, pace_cut=0.5) < by_load[2]
    assert implementation.failure_hazard(5.0, 1.0, 0.0, 0.0, ImplementationConfig(base_hazard=1.0)) == 1.0


def test_progress_is_slower_under_load_and_with_rework() -> None:
    base = implementation.progress_rate(0.5, 18.0, 0.0, 0.1, CFG)
    assert implementation.progress_rate(0.5, 18.0, 1.0, 0.1, CFG) < base
    assert implementation.progress_rate(0.5, 18.0, 0.0, 0.6, CFG) < base  # rework of a vague start
    assert implementation.progress_rate(0.9, 18.0, 0.0, 0.1, CFG) > base
    # At readiness 1, no load and no rework, it takes exactly ``duration``.
    assert implementation.progress_rate(1.0, 18.0, 0.0, 0.0, CFG) == pytest.approx(1 / 18)


def test_uncertainty_raises_the_hazard() -> None:
    sure = implementation.failure_hazard(1.0, 0.5, 0.5, 0.0, CFG, uncertainty=0.0, uncertainty_hazard=1.0)
    unsure = implementation.failure_hazard(1.0, 0.5, 0.5, 0.0, CFG, uncertainty=0.8, uncertainty_hazard=1.0)
    assert unsure == pytest.approx(1.8 * sure)


def test_tail_index_falls_with_load() -> None:
    alphas = [implementation.tail_index(x, CFG) for x in (0.0, 0.3, 0.6, 1.0)]
    assert alphas[0] == CFG.overrun_alpha
    assert np.all(np.diff(alphas) < 0)


def _overruns(load: float, n: int = 60_000) -> np.ndarray:
    rng = np.random.default_rng(20240601)
    return np.array([implementation.overrun(1.0, load, rng, CFG) for _ in range(n)])


def test_overruns_are_heavy_tailed_and_fatter_under_load() -> None:
    """Criterion (fixed seed, 60,000 draws each): the 99.9 % quantile over the mean is
    more than twice that of an exponential with the same mean (ln 1000 ≈ 6.9), the
    sample excess kurtosis is more than 10× the exponential's 6, and q99.9 / median
    is larger at full load than at none (fatter tail with more concurrent change)."""
    calm, busy = _overruns(0.0), _overruns(1.0)
    assert calm.min() >= 0.0
    for x in (calm, busy):
        assert np.quantile(x, 0.999) / x.mean() > 2 * np.log(1000)
        assert stats.kurtosis(x) > 60
    ratio = {k: np.quantile(x, 0.999) / np.median(x) for k, x in (("calm", calm), ("busy", busy))}
    assert ratio["busy"] > 1.5 * ratio["calm"]
    # Scale: Lomax mean = investment x overrun_scale / (alpha - 1) = 0.2 M€ at zero load.
    assert calm.mean() == pytest.approx(CFG.overrun_scale / (CFG.overrun_alpha - 1), rel=0.1)


def test_overrun_scales_with_investment() -> None:
    a = implementation.overrun(2.0, 0.5, np.random.default_rng(3), CFG)
    b = implementation.overrun(1.0, 0.5, np.random.default_rng(3), CFG)
    assert a == pytest.approx(2 * b)


def test_failures_in_the_model_set_progress_back_and_cost_overruns() -> None:
    model = run_model(small_config(rollout_strategy="big_bang", implementation_base_hazard=1.0), 2)
    started = [p for p in model.parties if p.agreed_at is not None]
    assert started, "somebody must agree for the test to mean anything"
    assert model.total_failures == sum(p.failures for p in model.parties) > 0
    assert all(p.progress == 0.0 for p in started)  # every month a failure, never progress
    assert model.integration == 0.0
    assert model.ledger.by_kind("overrun") == pytest.approx(sum(p.overrun for p in model.parties))
    assert model.ledger.by_kind("overrun") > 0


def test_a_programme_where_nothing_moves_stalls() -> None:
    cfg = small_config(
        rollout_strategy="big_bang",
        negotiation_settle_rate=1e-6,
        implementation_stall_months=6,
        run_months=24,
    )
    stuck = run_model(cfg, 1)
    assert stuck.stalled
    assert not run_model(small_config(rollout_strategy="big_bang", negotiation_settle_rate=1.0), 1).stalled


def test_mass_refusal_collapses_the_programme() -> None:
    cfg = small_config(
        rollout_strategy="phased",
        rollout_wave_size=6,
        rollout_wave_gap=60,  # the second wave is still waiting when the first refuses
        rollout_wait_for_previous=False,
        negotiation_max_rounds=1,
        negotiation_benefit_weight=0.0,
        negotiation_compensation_weight=0.0,
        negotiation_decisiveness=50.0,
        implementation_collapse_share=0.3,
        learning_adjustment=0.0,
    )
    model = run_model(cfg, 1)
    assert model.collapsed
    # Collapse withdraws the parties still waiting; nobody is left open.
    assert all(p.state in {"refused", "withdrawn", "integrated"} for p in model.parties)
    assert any(p.state == "withdrawn" and p.opened_at is None for p in model.parties)


# ----------------------------------------------------------------------------- learning
LEARN = LearningConfig(strategy="learning", rate=0.3)
RATIONAL = LearningConfig(strategy="rational", rate=0.3)


def test_learning_updates_beliefs_while_rational_does_not() -> None:
    assert learning.update_belief(0.6, 1.0, 1.0, LEARN) == pytest.approx(0.72)
    assert learning.update_belief(0.6, 0.0, 1.0, LEARN) == pytest.approx(0.42)
    assert learning.shrink_uncertainty(0.5, 1.0, LEARN) == pytest.approx(0.35)
    assert learning.update_belief(0.6, 0.0, 1.0, RATIONAL) == 0.6
    assert learning.shrink_uncertainty(0.5, 1.0, RATIONAL) == 0.5
    # Learning by doing happens under either strategy; learning differs in beliefs/uncertainty.
    assert learning.experience(5, RATIONAL) == learning.experience(5, LEARN) > 0.0
    gains = [learning.experience(n, LEARN) for n in range(6)]
    assert gains[0] == 0.0 and np.all(np.diff(gains) > 0) and gains[-1] < LEARN.experience_gain


def test_learning_in_the_model_moves_beliefs_and_shrinks_uncertainty() -> None:
    common = dict(rollout_strategy="big_bang", implementation_base_hazard=0.05, run_months=48)
    rational = EGovModelRun(small_config(learning_strategy="rational", **common))
    learned = EGovModelRun(small_config(learning_strategy="learning", **common))
    assert rational.beliefs_end == rational.beliefs_start
    assert rational.uncertainty_end == rational.uncertainty_start
    assert learned.beliefs_start == rational.beliefs_start  # same parties (same seed)
    assert learned.beliefs_end != learned.beliefs_start
    assert all(e <= s for e, s in zip(learned.uncertainty_end, learned.uncertainty_start, strict=True))
    assert sum(learned.uncertainty_end) < sum(learned.uncertainty_start)


class EGovModelRun:
    """Beliefs and uncertainty of every party at the start and end of a run (seed 4)."""

    def __init__(self, cfg) -> None:
        from simulation import EGovModel

        model = EGovModel(cfg, rng=4)
        self.beliefs_start = [p.belief for p in model.parties]
        self.uncertainty_start = [p.uncertainty for p in model.parties]
        while model.running:
            model.step()
        self.beliefs_end = [p.belief for p in model.parties]
        self.uncertainty_end = [p.uncertainty for p in model.parties]


def test_alarm_needs_room_for_adjustment() -> None:
    assert learning.alarmed(0.9, 10, LearningConfig(adjustment=0.5))
    assert not learning.alarmed(0.9, 10, LearningConfig(adjustment=0.0))
    assert not learning.alarmed(0.1, 0, LearningConfig(adjustment=1.0))


def test_adjustment_pauses_waves_and_slows_the_pace_when_failures_pile_up() -> None:
    """With every implementation failing, an adjusting programme is alarmed, pauses new
    waves and cuts the pace; without room for adjustment it never does."""
    common = dict(
        implementation_base_hazard=1.0,
        rollout_wave_size=1,
        rollout_wave_gap=1,
        rollout_wait_for_previous=False,
        # Quick agreement (one issue, strong benefit), so failures start in month 2-3.
        negotiation_settle_rate=1.0,
        negotiation_issues_per_objective=0.0,
        negotiation_initial_detail=0.0,
        negotiation_benefit_weight=10.0,
        run_months=12,
    )
    adjusting = run_model(small_config(learning_adjustment=1.0, **common), 3)
    rigid = run_model(small_config(learning_adjustment=0.0, **common), 3)
    assert adjusting.programme.adjustments > 0
    assert rigid.programme.adjustments == 0
    assert len(rigid.rollout.waves) == 10  # one party a month, all opened by month 9
    assert len(adjusting.rollout.waves) < 10
    # Alarmed for months: the pause ended after six and waves are re-phased (half size).
    assert adjusting.programme.alarm_months > 6 and not adjusting.programme.paused
    assert adjusting.programme.wave_factor == pytest.approx(0.5)
    assert adjusting.programme.pace_cut == pytest.approx(0.5)
    assert adjusting.programme.consultation == pytest.approx(min(1.0, 0.3 + 0.4))
