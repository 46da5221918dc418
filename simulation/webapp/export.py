"""The app's downloads: a live run's files, exactly as ``egov-sim run`` writes them."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from ..config import ScenarioConfig
from ..model import EGovModel
from ..runs.runner import OUTPUT_FILES, result_of, write_outputs


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
