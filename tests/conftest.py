"""Shared helpers: small configurations, running the model, calling the ``egov-sim`` CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from simulation import EGovModel, ScenarioConfig, load_scenario
from simulation.io.scenario_io import deep_merge
from simulation.model import keyword_to_override

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
SHIPPED = sorted(p.stem for p in SCENARIOS.glob("*.toml"))

#: Columns of timeseries.csv that are shares or levels in [0, 1].
FRACTION_COLUMNS = (
    "adoption",
    "service_quality",
    "integration",
    "links",
    "negotiating",
    "committed",
    "withdrawn",
    "mean_trust",
    "mean_pair_trust",
    "mean_resistance",
    "legitimacy",
    "load",
    "political_support",
)


def egov_sim() -> list[str]:
    """The installed console command, next to the running interpreter if possible."""
    here = Path(sys.executable).parent / "egov-sim"
    if here.exists():
        return [str(here)]
    found = shutil.which("egov-sim")
    if found is None:
        pytest.fail("the egov-sim console command is not installed (pip install -e .)")
    return [found]


def cli(*args: str | os.PathLike[str], cwd: Path | None = None, prefix: Sequence[str] = ()):
    """Run ``egov-sim ARGS`` in a subprocess; returns the CompletedProcess (text mode)."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONWARNINGS="ignore")
    return subprocess.run(
        [*prefix, *egov_sim(), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        env=env,
        timeout=300,
    )


def cli_many(calls: Sequence[Sequence[str | os.PathLike[str]]], cwd: Path | None = None) -> list[Any]:
    """Several ``cli`` calls at once (the machine has 2 cores; each call is ~1-2 s of start-up)."""
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return list(pool.map(lambda a: cli(*a, cwd=cwd), calls))


def small_config(**params: Any) -> ScenarioConfig:
    """Built-in defaults with 200 citizens over 24 months, then ``section_key=value`` overrides."""
    merged: dict[str, Any] = {"citizens": {"count": 200}, "run": {"months": 24}}
    for name, value in params.items():
        merged = deep_merge(merged, keyword_to_override(name, value))
    return load_scenario(None, overrides=merged)


def run_model(config: ScenarioConfig, seed: int = 1, months: int | None = None) -> EGovModel:
    """Build and step a model to the end (or ``months``)."""
    model = EGovModel(config, rng=seed)
    end = config.run.months if months is None else months
    while model.running and model.steps < end:
        model.step()
    return model


def refused_for_memory(count: int) -> bool:
    """Whether the validator's memory check refuses ``count`` citizens on this machine."""
    from simulation.io import scenario_io

    cfg = load_scenario(None, overrides={"citizens": {"count": 10_000}})
    per_citizen = scenario_io.estimated_memory(cfg) / 10_000
    return per_citizen * count > 0.8 * scenario_io.available_memory()


@pytest.fixture
def small() -> Any:
    return small_config
