"""The download card: the run's files as ``egov-sim run`` writes them."""

from __future__ import annotations

import solara

from ..live import Frame, Sim


@solara.component
def ExportCard(sim: Sim, frame: solara.Reactive[Frame | None]):
    """The run's files as ``egov-sim run`` writes them, for the month shown; a zip of all."""
    from ..export import run_files, zip_files

    month = frame.value.month if frame.value else 0
    two = len(sim.models) > 1

    def files() -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        with sim.lockstep.lock:
            for tag, model, cfg in zip(
                "AB"[: len(sim.models)], sim.models, sim.lockstep.configs, strict=True
            ):
                got = run_files(model, cfg, f"egov-sim app, {sim.settings[0].scenario}")
                out.update({(f"{tag}/{k}" if two else k): b for k, b in got.items()})
        return out

    def one(name: str):
        return lambda: files()[name]

    with solara.Card(f"Download (month {month})", margin=0, classes=["egov-export"]):
        solara.Text(
            "The run so far, in the files and formats of `egov-sim run` (adoption.png is its figure)."
        )
        with solara.Row(style={"flex-wrap": "wrap"}):
            solara.FileDownload(
                lambda: zip_files(files()),
                filename=f"egov-run-month{month}.zip",
                label="All files (.zip)",
                mime_type="application/zip",
            )
            names = ("timeseries.csv", "kpis.json", "scorecard.csv", "events.csv", "adoption.png")
            for tag in ("A/", "B/") if two else ("",):
                for name in names:
                    solara.FileDownload(
                        one(tag + name), filename=(tag + name).replace("/", "_"), label=tag + name
                    )
