"""Service-delivery models: integration vs fragmentation (vs hybrid) (brief §1, §3.4, §3.7)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from conftest import run_model, small_config

from simulation.strategies.service_models import (
    SERVICE_MODELS,
    ServiceModel,
    link_share,
    make_service_model,
    reach_share,
    required_links,
    working_links,
)


def test_a_link_needs_both_parties_integrated_and_enough_mutual_trust() -> None:
    trust = np.array(
        [
            [1.0, 0.8, 0.8, 0.9],
            [0.8, 1.0, 0.2, 0.9],
            [0.8, 0.9, 1.0, 0.9],
            [0.9, 0.9, 0.9, 1.0],
        ]
    )
    integrated = np.array([True, True, True, False])
    links = working_links(integrated, trust, threshold=0.5)
    assert links.shape == (4, 4)
    assert links[0, 1] and links[0, 2]  # both integrated, trust 0.8 both ways
    assert not links[1, 2]  # T_12 = 0.2: one side does not trust the other enough
    assert not links[0, 3] and not links[1, 3]  # party 3 is not integrated, trust is high
    assert not np.tril(links).any()  # each pair counted once
    assert link_share(integrated, trust, 0.5) == pytest.approx(2 / 6)
    assert link_share(np.ones(4, bool), trust, 0.95) == 0.0
    assert link_share(np.ones(4, bool), np.ones((4, 4)), 0.95) == 1.0


def test_partners_need_links_with_departments_not_with_each_other() -> None:
    dept = np.array([True, True, False, False])
    need = required_links(dept)
    assert need[0, 1] and need[0, 2] and need[1, 3]
    assert not need[2, 3]
    assert need.sum() == 1 + 2 * 2
    trusted = np.ones((4, 4))
    only_partners = np.array([False, False, True, True])
    assert link_share(only_partners, trusted, 0.5, dept) == 0.0
    assert link_share(np.ones(4, bool), trusted, 0.5, dept) == 1.0


def test_reach_share_counts_the_channels_that_joined() -> None:
    reach = np.array([0.2, 0.3, 0.5])
    # Absolute, overlapping channels: 1 - (1 - 0.2)(1 - 0.5).
    assert reach_share(reach, np.array([True, False, True])) == pytest.approx(0.6)
    assert reach_share(reach, np.zeros(3, bool)) == 0.0
    assert reach_share(np.zeros(3), np.ones(3, bool)) == 0.0


def fake_model(integrated: list[bool], trust: float, departments: int = 2) -> SimpleNamespace:
    n = len(integrated)
    pair = np.full((n, n), trust)
    np.fill_diagonal(pair, 1.0)
    reach = np.array([0.0] * departments + [0.5] * (n - departments))
    return SimpleNamespace(
        integrated_mask=lambda: np.array(integrated),
        pair_trust=pair,
        department_mask=np.arange(n) < departments,
        reach=reach,
    )


def test_integration_quality_follows_links_fragmentation_reach_follows_channels() -> None:
    cfg = small_config()
    integ = make_service_model(
        cfg.model_copy(update={"service": cfg.service.model_copy(update={"model": "integration"})})
    )
    frag = make_service_model(
        cfg.model_copy(update={"service": cfg.service.model_copy(update={"model": "fragmentation"})})
    )
    everyone = fake_model([True] * 6, trust=0.9)
    # Everyone joined and trusts each other: integration reaches its (higher) ceiling.
    assert integ.service_level(everyone) == pytest.approx(cfg.integration.quality_ceiling)
    # Four channels of reach 0.5 each serve 1 - 0.5^4 of the public.
    assert frag.service_level(everyone) == pytest.approx(0.9375 * cfg.fragmentation.quality_ceiling)
    assert integ.service_level(everyone) > frag.service_level(everyone)
    # Everyone joined but mutual trust is below link_trust: no information domain is shared,
    # so integration delivers nothing, while hired counters do not need that trust.
    distrust = fake_model([True] * 6, trust=0.1)
    assert integ.service_level(distrust) == 0.0
    assert frag.service_level(distrust) == pytest.approx(0.9375 * cfg.fragmentation.quality_ceiling)
    # Half the channels and all departments: fragmentation reaches 1 - 0.5^2 of the public.
    # Integration needs 9 links (1 department pair + 2 x 4 department-partner pairs), of
    # which 5 work (the department pair and both departments with partners 2 and 3).
    half = fake_model([True, True, True, True, False, False], trust=0.9)
    assert frag.service_level(half) == pytest.approx(0.75 * cfg.fragmentation.quality_ceiling)
    assert integ.service_level(half) == pytest.approx(5 / 9 * cfg.integration.quality_ceiling)
    # Fragmentation links no files; integration does (privacy exposure).
    assert frag.linking(everyone) == 0.0
    assert integ.linking(everyone) == 1.0


def test_integration_is_visible_and_skill_dependent_fragmentation_is_not() -> None:
    cfg = small_config()
    i = SERVICE_MODELS["integration"](cfg)
    f = SERVICE_MODELS["fragmentation"](cfg)
    assert i.visibility > f.visibility
    assert i.skill_dependence > f.skill_dependence
    # Integration costs parties more autonomy and is more complex (battle of back offices).
    assert cfg.integration.autonomy_loss > cfg.fragmentation.autonomy_loss
    assert cfg.integration.complexity > cfg.fragmentation.complexity


def test_a_third_service_model_is_a_plug_in() -> None:
    assert {"integration", "fragmentation", "hybrid"} <= set(SERVICE_MODELS)
    assert all(issubclass(c, ServiceModel) for c in SERVICE_MODELS.values())
    model = run_model(small_config(service_model="hybrid", rollout_strategy="big_bang", run_months=36), 1)
    assert 0.0 <= model.service_quality <= 1.0


def test_in_the_model_quality_is_zero_until_parties_integrate() -> None:
    """Service quality per month equals the strategy's function of the parties' state: it
    is zero while nobody has integrated, and positive only after integrations."""
    for name in ("integration", "fragmentation"):
        model = run_model(small_config(service_model=name, rollout_strategy="big_bang", run_months=60), 5)
        series = model.datacollector.model_vars
        for q, integ in zip(series["service_quality"], series["integration"], strict=True):
            if integ == 0.0:
                assert q == 0.0
        assert max(series["integration"]) > 0
