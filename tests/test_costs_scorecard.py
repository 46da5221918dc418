"""Costs and benefits per relation, KPIs and the perspectives x relations scorecard
(brief §3.10, §4)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import small_config

from simulation.config import RELATIONS
from simulation.mechanisms.costs import COST_KINDS, Ledger
from simulation.outputs.kpis import KPI_INFO
from simulation.outputs.scorecard import COLUMNS as SCORECARD_COLUMNS, FORMULAS, PERSPECTIVES
from simulation.runs.runner import run


def test_ledger_books_flows_by_kind_payer_and_payee() -> None:
    ledger = Ledger()
    ledger.open_account("department:taxes")
    ledger.open_account("partner:post office", public=False)
    ledger.pay("investment", "department:taxes", "suppliers", 1.0)
    ledger.pay("compensation", "programme", "partner:post office", 0.5)
    ledger.pay("saving", "savings", "citizens", 2.0)
    assert ledger.total_cost == pytest.approx(1.0)  # compensation is a transfer
    assert ledger.total_benefit == pytest.approx(2.0)
    assert ledger.by_kind("compensation", payee="partner:post office") == pytest.approx(0.5)
    net = ledger.relation_net()
    assert net == pytest.approx({"citizens": 2.0, "businesses": 0.5, "governments": 0.0, "employees": -1.5})
    assert sum(ledger.balances().values()) == pytest.approx(0.0)


@pytest.fixture(scope="module")
def result():
    cfg = small_config(rollout_strategy="big_bang", implementation_base_hazard=0.05, run_months=60)
    return run(cfg, seed=3, keep_model=True)


def test_scorecard_has_five_perspectives_by_four_relations(result) -> None:
    score = result.scorecard
    assert list(score.columns) == list(SCORECARD_COLUMNS)
    assert list(dict.fromkeys(score["perspective"])) == list(PERSPECTIVES)
    assert score.shape == (20, 7)
    # Applicable cells are finite; the rest are NaN (not applicable), never a made-up 0.
    values = score["value"].to_numpy(float)
    assert np.isfinite(values[~np.isnan(values)]).all()
    assert set(FORMULAS) == set(PERSPECTIVES)
    assert all(set(FORMULAS[p]) == set(RELATIONS) for p in PERSPECTIVES)


def test_scorecard_cells_follow_their_formulas(result) -> None:
    model = result.model
    score = result.scorecard.set_index(["perspective", "relation"])["value"]
    net = model.ledger.relation_net()
    assert score[("financial_economic", "citizens")] == pytest.approx(net["citizens"])
    assert score[("financial_economic", "employees")] == pytest.approx(net["employees"])
    assert score[("information_technology", "citizens")] == pytest.approx(model.population.adoption)
    assert math.isnan(score[("information_technology", "businesses")])  # audience is citizens
    assert score[("organisational", "citizens")] == pytest.approx(model.service_quality)
    for cell in (("legal", "employees"), ("public_administration", "employees")):
        assert 0.0 <= score[cell] <= 1.0


def test_cumulative_cost_is_the_ledger_total_and_kinds_add_up(result) -> None:
    model = result.model
    led = model.ledger
    ts = result.timeseries
    assert ts["cumulative_cost"].iloc[-1] == pytest.approx(led.total_cost)
    resource = ("investment", "overrun", "consultation", "participation")
    assert sum(led.by_kind(k) for k in resource) == pytest.approx(led.total_cost)
    assert set(COST_KINDS) >= set(resource)
    assert np.all(np.diff(ts["cumulative_cost"]) >= 0)
    assert result.kpis["total_cost"] == pytest.approx(led.total_cost)
    assert result.kpis["compensation_paid"] == pytest.approx(led.by_kind("compensation"))


def test_public_parties_share_their_investment() -> None:
    """shared_investment = s with k sharing governments: a public party bears
    1 - s + s/(k+1) of its investment, the other governments the rest."""
    cfg = small_config(rollout_strategy="big_bang", implementation_base_hazard=0.0, run_months=60)
    none = run(
        cfg.model_copy(update={"costs": cfg.costs.model_copy(update={"shared_investment": 0.0})}), seed=1
    )
    half = run(
        cfg.model_copy(update={"costs": cfg.costs.model_copy(update={"shared_investment": 0.5})}), seed=1
    )
    assert none.kpis["shared_investment"] == 0.0 and half.kpis["shared_investment"] > 0
    spent = half.kpis["organisation_cost"] / max(half.kpis["agreement_share"], 1e-9)
    spent_none = none.kpis["organisation_cost"] / max(none.kpis["agreement_share"], 1e-9)
    assert spent < spent_none


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
