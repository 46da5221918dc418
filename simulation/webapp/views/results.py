"""The Results page: browse a finished sweep's report and figures (under the results root)."""

from __future__ import annotations

from pathlib import Path

import solara

from ..results import (
    IMAGE_SUFFIXES,
    Figure,
    OutsideRoot,
    find_reports,
    other_figures,
    read_figure,
    results_root,
    split_report,
    within,
)
from .markdown import Md


@solara.component
def FigureView(fig: Figure):
    data = read_figure(fig)
    with solara.Card(fig.caption, margin=0):
        if data is None:
            solara.Warning(
                f"{fig.path.name}: not shown (too large, not an image, or outside the sweep folder)"
            )
        else:
            fmt = fig.path.suffix.lower().lstrip(".").replace("jpg", "jpeg").replace("svg", "svg+xml")
            solara.Image(data, format=fmt, classes=["egov-result-figure"])


@solara.component
def ResultsPage():
    top = solara.use_memo(results_root, [])
    root = solara.use_reactive(str(top))
    chosen = solara.use_reactive(None)
    try:
        folder = within(top, root.value)
    except OutsideRoot as exc:
        folder, refused = None, str(exc)
    else:
        refused = ""
    reports = solara.use_memo(lambda: find_reports(folder, limit=top) if folder else [], [str(folder)])

    def label(p: Path) -> str:
        return "." if p == folder else str(p.relative_to(folder))

    names = [label(p) for p in reports]
    Md(
        "## Results\nOpen a finished sweep directory (one with a `report.md`) and browse its report and figures."
    )
    solara.InputText("Results folder (path, Enter)", value=root, on_value=lambda _: chosen.set(None))
    if folder is None:
        solara.Error(refused, classes=["egov-refused"])
        return
    if not folder.is_dir():
        solara.Error(f"{folder}: no such folder")
        return
    if not reports:
        solara.Info(f"{folder}: no directory with a report.md here (or up to 3 levels below)")
        return
    solara.Select("Sweep", values=names, value=chosen.value, on_value=chosen.set, classes=["egov-sweep"])
    if chosen.value not in names:
        return
    target = reports[names.index(chosen.value)]
    if not target.resolve().is_relative_to(top):
        solara.Error(f"{target}: outside the results folder {top}", classes=["egov-refused"])
        return
    try:
        parts = split_report(target)
    except OSError as exc:
        solara.Error(f"{target / 'report.md'}: cannot read ({exc.strerror})")
        return
    shown = {p.path.resolve() for p in parts if isinstance(p, Figure)}
    with solara.Div(classes=["egov-report"]):
        for part in parts:
            if isinstance(part, Figure):
                FigureView(part)
            else:
                Md(part)
    extra = other_figures(target, shown)
    if extra:
        Md("### Other figures in this folder")
        for fig in extra:
            if fig.path.suffix.lower() in IMAGE_SUFFIXES:
                FigureView(fig)
