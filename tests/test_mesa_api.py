"""The model is Mesa-native: keyword parameters, rng, datacollector, agents, batch_run."""

from __future__ import annotations

import inspect

import mesa
import numpy as np
import pytest
from conftest import small_config

from simulation import EGovModel, load_scenario
from simulation.agents import Business, ChangeProgramme, Citizen, Department, PartnerOrganisation
from simulation.model import SERIES


def test_batch_run_works_on_the_model_unchanged() -> None:
    rows = mesa.batch_run(
        EGovModel,
        parameters={
            "service_model": ["integration", "fragmentation"],
            "citizens_count": 300,
            "run_months": 24,
        },
        rng=[1, 2],
        max_steps=24,
        number_processes=1,
        display_progress=False,
    )
    assert len(rows) == 4  # 2 service models x 2 seeds, final step only
    assert {(r["service_model"], r["rng"]) for r in rows} == {
        (m, s) for m in ("integration", "fragmentation") for s in (1, 2)
    }
    for row in rows:
        assert row["Step"] == 24
        for reporter in SERIES:
            assert reporter in row
            assert np.isfinite(row[reporter])
        assert 0.0 <= row["adoption"] <= 1.0
    # The same seed through batch_run and directly gives the same final state.
    direct = EGovModel(service_model="fragmentation", citizens_count=300, run_months=24, rng=2)
    while direct.running:
        direct.step()
    row = next(r for r in rows if r["service_model"] == "fragmentation" and r["rng"] == 2)
    assert row["cumulative_cost"] == direct.cumulative_cost
    assert row["mean_trust"] == direct.mean_trust


def test_signature_exposes_keyword_parameters_with_defaults() -> None:
    sig = inspect.signature(EGovModel)
    params = sig.parameters
    assert "rng" in params and params["rng"].default is None
    for name, default in [
        ("service_model", "integration"),
        ("rollout_strategy", "phased"),
        ("citizens_count", 10_000),
        ("trust_build_rate", 0.10),
        ("trust_loss_rate", 0.30),
    ]:
        assert name in params, name
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert params[name].default == default
    assert all(p.default is not inspect.Parameter.empty for n, p in params.items() if n != "self")
    assert len(params) > 80


def test_unknown_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="citizens_cont"):
        EGovModel(citizens_cont=100)


def test_keywords_and_scenarios_combine() -> None:
    model = EGovModel("water_board", citizens_count=250, rollout_strategy="big_bang", rng=3)
    assert model.config.citizens.count == 250
    assert model.config.organisation.type == "water_board"
    assert model.config.rollout.strategy == "big_bang"
    assert load_scenario("water_board").citizens.count != 250


def test_datacollector_collects_every_month() -> None:
    model = EGovModel(small_config(run_months=5), rng=1)
    assert isinstance(model.datacollector, mesa.DataCollector)
    while model.running:
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame["step"]) == [0, 1, 2, 3, 4, 5]
    assert set(SERIES) <= set(frame.columns)
    assert model.steps == 5 and not model.running


def test_agents_are_mesa_agents_and_citizens_read_the_arrays() -> None:
    model = EGovModel(small_config(rollout_strategy="big_bang", run_months=40), rng=2)
    citizens = model.agents_by_type[Citizen]
    assert len(citizens) == model.config.citizens.count == 200
    assert all(isinstance(a, mesa.Agent) for a in citizens)
    assert len(model.agents_by_type[Department]) == model.config.departments.count
    assert len(model.agents_by_type[PartnerOrganisation]) == model.config.partners.count
    assert len(model.agents_by_type[ChangeProgramme]) == 1
    assert len({a.unique_id for a in model.agents}) == len(model.agents)
    pop = model.population
    pop.adopted[7] = True  # the agent is a view: a change in the arrays shows through
    pop.adopted_at[7] = 3
    agent = next(a for a in citizens if a.index == 7)
    assert agent.model is model
    assert agent.adopted is True and agent.adopted_at == 3
    assert agent.skill == pytest.approx(pop.skill[7])
    assert agent.privacy_concern == pytest.approx(pop.privacy[7])
    assert agent.legitimacy == pytest.approx(pop.legitimacy[7])
    assert 7 not in agent.contacts and len(agent.contacts) > 0
    assert all(7 in next(a for a in citizens if a.index == j).contacts for j in agent.contacts[:3])
    by_index = sorted(a.index for a in citizens)
    assert by_index == list(range(200))


def test_businesses_are_agents_for_a_business_audience() -> None:
    model = EGovModel(small_config(service_audience="businesses"), rng=1)
    assert len(model.agents_by_type[Business]) == 200
    assert Citizen not in model.agents_by_type or len(model.agents_by_type[Citizen]) == 0


def test_rng_accepts_a_seed_sequence() -> None:
    seq = np.random.SeedSequence(123)
    a = EGovModel(small_config(), rng=seq)
    b = EGovModel(small_config(), rng=np.random.SeedSequence(123))
    assert [p.trust for p in a.parties] == [p.trust for p in b.parties]


def _trajectory(model: EGovModel) -> tuple:
    while model.running:
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    return tuple(frame[list(SERIES)].to_numpy().ravel().tolist()), model.population.adopted_at.tobytes()


def test_citizens_are_a_view_until_asked_and_real_agents_on_request() -> None:
    """By default no agent object exists per citizen until something asks; then the agents
    (same ids, same reads) appear in agents_by_type and model.agents. ``citizen_agents =
    "mesa"`` (keyword or subclass attribute) makes real registered agents at once. The two
    give bit-identical runs."""
    view = EGovModel(small_config(run_months=30), rng=5)
    citizens = view.agents_by_type[Citizen]
    assert len(citizens) == 200 and not citizens.made
    assert len(view._all_agents) == view.config.departments.count + view.config.partners.count + 1
    eager = EGovModel(small_config(run_months=30), rng=5, citizen_agents="mesa")
    assert len(eager._all_agents) == len(view._all_agents) + 200

    class PerAgent(EGovModel):
        citizen_agents = "mesa"

    assert len(PerAgent(small_config(run_months=30), rng=5)._all_agents) == len(eager._all_agents)
    assert _trajectory(view) == _trajectory(eager)
    assert not citizens.made  # running the model did not make them
    # Asking for the agents makes them, with the ids the eager model gave.
    ids = sorted(a.unique_id for a in view.agents)
    assert citizens.made and ids == sorted(a.unique_id for a in eager.agents)
    agent = next(a for a in citizens if a.index == 11)
    twin = next(a for a in eager.agents_by_type[Citizen] if a.index == 11)
    assert (agent.unique_id, agent.adopted, agent.adopted_at, agent.contacts) == (
        twin.unique_id,
        twin.adopted,
        twin.adopted_at,
        twin.contacts,
    )
    assert len(citizens.select(lambda a: a.adopted)) == int(view.population.adopted.sum())
    with pytest.raises(ValueError, match="citizen_agents must be 'view' or 'mesa'"):
        EGovModel(small_config(), rng=1, citizen_agents="objects")
