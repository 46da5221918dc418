"""Old import paths of modules that moved into subpackages (0.2 layout), kept working.

``import simulation.runner`` (or ``from simulation.runner import run``,
``mock.patch("simulation.runner.run")``) gives the very module object that now lives at
``simulation.runs.runner``: one module under two names, so patches and ``isinstance`` agree.
The finder answers only for the names in :data:`MOVED`, so it costs nothing for any other
import. New code imports the new paths (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import importlib
import sys
from importlib.machinery import ModuleSpec
from types import ModuleType

#: old dotted path -> new dotted path (the layout before the split into layers).
MOVED: dict[str, str] = {
    "simulation.adoption": "simulation.mechanisms.adoption",
    "simulation.costs": "simulation.mechanisms.costs",
    "simulation.implementation": "simulation.mechanisms.implementation",
    "simulation.learning": "simulation.mechanisms.learning",
    "simulation.legitimacy": "simulation.mechanisms.legitimacy",
    "simulation.negotiation": "simulation.mechanisms.negotiation",
    "simulation.network": "simulation.mechanisms.network",
    "simulation.resistance": "simulation.mechanisms.resistance",
    "simulation.trust": "simulation.mechanisms.trust",
    "simulation.service_models": "simulation.strategies.service_models",
    "simulation.rollout": "simulation.strategies.rollout",
    "simulation.scenario_io": "simulation.io.scenario_io",
    "simulation.resources": "simulation.io.resources",
    "simulation.atomic": "simulation.io.atomic",
    "simulation.csvout": "simulation.io.csvout",
    "simulation.errors": "simulation.io.errors",
    "simulation.kpis": "simulation.outputs.kpis",
    "simulation.scorecard": "simulation.outputs.scorecard",
    "simulation.narrative": "simulation.outputs.narrative",
    "simulation.plotting": "simulation.outputs.plotting",
    "simulation.lineplot": "simulation.outputs.lineplot",
    "simulation.plot_process": "simulation.outputs.plot_process",
    "simulation.docs": "simulation.outputs.docs",
    "simulation.runner": "simulation.runs.runner",
    "simulation.compare": "simulation.runs.compare",
    "simulation.ensemble": "simulation.runs.ensemble",
    "simulation.priors": "simulation.runs.priors",
    "simulation.seeds": "simulation.runs.seeds",
    "simulation.stats": "simulation.runs.stats",
}


class _Alias:
    """Loader that hands out the module at the new path for the old one."""

    def __init__(self, new: str) -> None:
        self.new = new

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.new)
        self.spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The module ran under its new name (running it again would make a second copy);
        # the import system has just stamped the old name's spec on it: give its own back.
        module.__spec__ = self.spec


class _MovedFinder:
    """Meta-path finder for :data:`MOVED` (first on ``sys.meta_path``, so old names never
    reach the file system, where no such file exists any more)."""

    @classmethod
    def find_spec(cls, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        new = MOVED.get(name)
        if new is None:
            return None
        return ModuleSpec(name, _Alias(new), origin=f"alias of {new}")


def install() -> None:
    if not any(f is _MovedFinder for f in sys.meta_path):
        sys.meta_path.insert(0, _MovedFinder)
