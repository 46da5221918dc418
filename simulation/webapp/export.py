"""The app's downloads: a live run's files, exactly as ``egov-sim run`` writes them."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from .. import kpis as kpi_module
from .. import scorecard as scorecard_module
from ..config import ScenarioConfig
from ..model import EGovModel
from ..narrative import narrative
from ..runner import OUTPUT_FILES, RunResult, write_outputs


def result_of(model: EGovModel, config: ScenarioConfig) -> RunResult:
    """The run so far (month ``model.steps``) as a :class:`~simulation.runner.RunResult`."""
    figures = kpi_module.compute(model)
    return RunResult(
        config=config,
        seed=config.run.seed,
        series={k: list(v) for k, v in model.datacollector.model_vars.items()},
        kpis=figures,
        scorecard_rows=scorecard_module.as_rows(scorecard_module.compute(model)),
        wall_time=0.0,
        event_rows=list(model.events),
        narrative=narrative(model.events, figures, model.month),
        warnings=list(model.warnings),
    )


def run_files(model: EGovModel, config: ScenarioConfig, source: str) -> dict[str, bytes]:
    """The output files of the run so far: name -> bytes (timeseries.csv, kpis.json,
    scorecard.csv, events.csv, manifest.json, adoption.png)."""
    with tempfile.TemporaryDirectory(prefix="egov-export-") as tmp:
        out = write_outputs(result_of(model, config), Path(tmp) / "run", source)
        return {name: (out / name).read_bytes() for name in OUTPUT_FILES}


def zip_files(files: dict[str, bytes]) -> bytes:
    """``files`` (archive path -> bytes) as a zip archive."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()
