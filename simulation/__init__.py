"""Agent-based simulation of back-office integration in e-government (Mesa).

from simulation import EGovModel, load_scenario
model = EGovModel(load_scenario("municipality_building_housing"))
"""

from .config import ScenarioConfig
from .model import EGovModel
from .runner import RunResult, run
from .scenario_io import ScenarioError, load_scenario

__all__ = ["EGovModel", "RunResult", "ScenarioConfig", "ScenarioError", "load_scenario", "run"]
__version__ = "0.1.0"
