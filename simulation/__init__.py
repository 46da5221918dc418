"""Agent-based simulation of back-office integration in e-government (Mesa).

    from simulation import EGovModel, load_scenario, run
    model = EGovModel(load_scenario("municipality_building_housing"))
    result = run(load_scenario("vehicle_registration"), seed=3)   # -> RunResult

Names are imported lazily, so that ``egov-sim validate`` and error messages do not pay for
importing Mesa.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from . import _moved

__version__ = "0.1.0"
__all__ = ["EGovModel", "RunResult", "ScenarioConfig", "ScenarioError", "load_scenario", "run"]

_moved.install()

_WHERE = {
    "EGovModel": ".model",
    "RunResult": ".runs.runner",
    "run": ".runs.runner",
    "ScenarioConfig": ".config",
    "ScenarioError": ".io.scenario_io",
    "load_scenario": ".io.scenario_io",
}

if TYPE_CHECKING:
    from .config import ScenarioConfig
    from .io.scenario_io import ScenarioError, load_scenario
    from .model import EGovModel
    from .runs.runner import RunResult, run


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name], __name__), name)
    raise AttributeError(f"module 'simulation' has no attribute {name!r}")
