"""Issue 19, point 1: every shipped scenario has channel partners, so the service models
are comparable in every scenario and validation pattern 3 (integration vs fragmentation)
is applicable in every scenario x region cell.

No runs: the checks read the scenario files and build the validation cells (configs only)
and, for the reach a fragmentation service could have, one model without stepping it.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation import load_scenario
from simulation.io.scenario_io import shipped_scenarios
from simulation.model import EGovModel
from simulation.strategies.service_models import config_warnings, reach_share
from simulation.validation.patterns import REGIONS, SPECS, cells, make_config

SHIPPED = sorted(shipped_scenarios())


def test_scenarios_are_shipped() -> None:
    assert len(SHIPPED) >= 5, SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_has_a_channel_partner_with_reach(name: str) -> None:
    cfg = load_scenario(name)
    channels = [g.name for g in cfg.partners.groups if g.reach > 0]
    assert channels, f"{name}: no [[partners.groups]] with reach > 0"


@pytest.mark.parametrize("name", SHIPPED)
def test_fragmentation_could_reach_the_public_without_warnings(name: str) -> None:
    cfg = load_scenario(name, sets=["service.model=fragmentation", "citizens.count=50"])
    assert config_warnings(cfg) == [], name
    model = EGovModel(cfg, rng=1)
    partners = ~model.department_mask
    everyone = np.ones(int(partners.sum()), bool)
    # The reach if every partner joined: the share of the public the service could serve.
    assert reach_share(model.reach[partners], everyone) > 0, name


def test_pattern_3_is_applicable_in_every_scenario_and_region() -> None:
    grid = cells()
    assert {c.key for c in grid} == {f"{s}|{r.name}" for s in SHIPPED for r in REGIONS}
    spec = SPECS[3]
    for cell in grid:
        design = spec.design(cell)
        assert not isinstance(design, str), f"{cell.key}: not applicable ({design})"
        # As validation.patterns.plan does: every condition must make a valid scenario.
        for sets in design.values():
            make_config(cell.scenario, cell.region, sets, spec.heavy)
