"""Costs and benefits per relation, KPIs and the perspectives x relations scorecard
(brief §3.10, §4)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import small_config

from simulation.config import RELATIONS
from simulation.costs import COST_KINDS, Ledger
from simulation.kpis import KPI_INFO
from simulation.runner import run
from simulation.scorecard import FORMULAS, PERSPECTIVES


def test_ledger_rejects_negative_costs() -> None:
    ledger = Ledger()
    with pytest.raises(ValueError, match="negative cost"):
        ledger.add_cost("investment", "employees", -0.1)
    assert ledger.total_cost == 0.0


def test_ledger_books_by_kind_and_relation() -> None:
    ledger = Ledger()
    ledger.add_cost("investment", "employees", 1.0)
    ledger.add_cost("compensation", "businesses", 0.5)
    ledger.add_cost("investment", "governments", 0.25)
    ledger.add_benefit("citizens", 2.0)
    assert ledger.total_cost == pytest.approx(1.75)
    assert ledger.by_kind["investment"] == pytest.approx(1.25)
    assert list(ledger.cost) == [0.0, 0.5, 0.25, 1.0]
    assert ledger.total_benefit == pytest.approx(2.0)
    with pytest.raises(ValueError):
        ledger.add_cost("investment", "aliens", 1.0)


@pytest.fixture(scope="module")
def result():
    cfg = small_config(rollout_strategy="big_bang", implementation_base_hazard=0.05, run_months=60)
    return run(cfg, seed=3, keep_model=True)


def test_scorecard_has_five_perspectives_by_four_relations_all_finite(result) -> None:
    score = result.scorecard
    assert list(score.columns) == ["perspective", *RELATIONS]
    assert list(score["perspective"]) == list(PERSPECTIVES)
    assert score.shape == (5, 5)
    values = score[list(RELATIONS)].to_numpy(float)
    assert np.isfinite(values).all()
    # Every cell has a documented formula.
    assert set(FORMULAS) == set(PERSPECTIVES)
    assert all(set(FORMULAS[p]) == set(RELATIONS) for p in PERSPECTIVES)


def test_scorecard_cells_follow_their_formulas(result) -> None:
    model = result.model
    score = result.scorecard.set_index("perspective")
    net = model.ledger.benefit - model.ledger.cost
    assert score.loc["financial_economic", "citizens"] == pytest.approx(net[0])
    assert score.loc["financial_economic", "governments"] == pytest.approx(net[2])
    assert score.loc["information_technology", "citizens"] == pytest.approx(model.population.adoption)
    assert score.loc["information_technology", "businesses"] == 0.0  # audience is citizens
    assert score.loc["organisational", "citizens"] == pytest.approx(model.service_quality)
    assert score.loc["legal", "governments"] == pytest.approx(model.links)
    shares = ("public_administration", "governments"), ("legal", "employees"), ("organisational", "employees")
    for cell in shares:
        assert 0.0 <= score.loc[cell] <= 1.0


def test_cumulative_cost_is_the_ledger_total_and_kinds_add_up(result) -> None:
    model = result.model
    ts = result.timeseries
    assert ts["cumulative_cost"].iloc[-1] == pytest.approx(model.ledger.total_cost)
    assert sum(model.ledger.by_kind[k] for k in COST_KINDS) == pytest.approx(model.ledger.total_cost)
    assert np.all(np.diff(ts["cumulative_cost"]) >= 0)
    assert result.kpis["total_cost"] == pytest.approx(model.ledger.total_cost)
    assert result.kpis["compensation_paid"] == pytest.approx(model.ledger.by_kind["compensation"])


def test_public_parties_share_their_investment() -> None:
    """shared_investment = s: public parties book (1 - s) of their investment."""
    cfg = small_config(rollout_strategy="big_bang", implementation_base_hazard=0.0, run_months=60)
    none = run(
        cfg.model_copy(update={"costs": cfg.costs.model_copy(update={"shared_investment": 0.0})}), seed=1
    )
    half = run(
        cfg.model_copy(update={"costs": cfg.costs.model_copy(update={"shared_investment": 0.5})}), seed=1
    )
    # Same seed, same agreements and progress: only the public parties' share differs.
    assert half.kpis["agreement_share"] == none.kpis["agreement_share"]
    assert half.kpis["total_cost"] < none.kpis["total_cost"]


def test_kpis_have_the_documented_keys_and_types(result) -> None:
    kpis = result.kpis
    assert set(KPI_INFO) <= set(kpis)
    for key in ("final_adoption", "months_to_50pct_adoption", "total_cost", "failures", "stalled"):
        assert key in kpis
    assert isinstance(kpis["stalled"], bool)
    assert isinstance(kpis["failures"], int)
    m50 = kpis["months_to_50pct_adoption"]
    adoption = result.timeseries["adoption"].to_numpy()
    if m50 is None:
        assert adoption.max() < 0.5
    else:
        assert adoption[m50] >= 0.5 and (m50 == 0 or adoption[m50 - 1] < 0.5)
    for key, value in kpis.items():
        if isinstance(value, float):
            assert math.isfinite(value), key
    assert kpis["final_adoption"] == pytest.approx(adoption[-1])
    assert isinstance(result.timeseries, pd.DataFrame)
