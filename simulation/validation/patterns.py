"""Pattern-oriented validation (brief §5) as a map: every pattern in every cell.

The entry module: the catalogue bound to the engine. The parts live in
:mod:`.pattern_cells` (regions and cells), :mod:`.pattern_engine` (the records and the
one engine), :mod:`.pattern_catalogue` (the ten patterns), :mod:`.pattern_checks` (the
global mechanism checks) and :mod:`.pattern_figures` (plots).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import pattern_cells
from .pattern_catalogue import SPECS, is_s_shaped
from .pattern_cells import QUICK_REGIONS, REGIONS, Cell, Region, cells, make_config, region_sets
from .pattern_checks import global_1, global_6, global_7, trust_path
from .pattern_engine import Claim, Context, Pattern, Planned, evaluate, plan as _plan, run_map as _run_map
from .pattern_figures import COLOURS, fmt_effect, plot_bass, plot_map as _plot_map, plot_overview
from .runs import Job

__all__ = [
    "COLOURS",
    "QUICK_REGIONS",
    "REGIONS",
    "SPECS",
    "Cell",
    "Claim",
    "Context",
    "Pattern",
    "Planned",
    "Region",
    "cells",
    "evaluate",
    "fmt_effect",
    "global_1",
    "global_6",
    "global_7",
    "is_s_shaped",
    "make_config",
    "plan",
    "plot_bass",
    "plot_map",
    "plot_overview",
    "region_sets",
    "run_map",
    "trust_path",
]


def plan(ctx: Context, numbers: Sequence[int]) -> tuple[list[Planned], dict[str, Job]]:
    """Every (pattern, cell) of :data:`SPECS` ``numbers`` with its conditions, and the jobs."""
    return _plan(ctx, numbers, SPECS)


def run_map(ctx: Context, numbers: Sequence[int] | None = None) -> dict[str, Any]:
    """Run the map for ``numbers`` (default every pattern of :data:`SPECS`)."""
    return _run_map(ctx, SPECS, numbers)


def plot_map(p: Mapping[str, Any], path: Path) -> None:
    """The map of the stored pattern result ``p``, titled as its record says."""
    spec = SPECS.get(p["number"])
    _plot_map(p, path, spec.map_title if spec else "")


class _Entry(types.ModuleType):
    """``patterns.ENSEMBLE_DRAW`` reads and sets :data:`.pattern_cells.ENSEMBLE_DRAW`, the
    one make_config uses (``validate-patterns --ensemble`` sets it here)."""

    @property
    def ENSEMBLE_DRAW(self) -> dict[str, float] | None:  # noqa: N802 (a module constant's name)
        return pattern_cells.ENSEMBLE_DRAW

    @ENSEMBLE_DRAW.setter
    def ENSEMBLE_DRAW(self, draw: dict[str, float] | None) -> None:  # noqa: N802
        pattern_cells.ENSEMBLE_DRAW = draw


sys.modules[__name__].__class__ = _Entry
