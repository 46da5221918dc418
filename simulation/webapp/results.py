"""Finding finished sweep directories and splitting their report into text and figures.

Only ``report.md`` and image files inside the chosen directory are read; image links that
point outside it (``..``, absolute paths, URLs) are shown as text, never fetched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPORT = "report.md"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg")
MAX_DEPTH = 3  # how deep below the results folder to look for report.md
MAX_FIGURE_BYTES = 20 * 2**20
_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def default_results_dir() -> Path:
    return Path.cwd() / "results"


def find_reports(root: Path, max_depth: int = MAX_DEPTH) -> list[Path]:
    """Directories at or below ``root`` (up to ``max_depth`` levels) holding a report.md, newest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = []
    stack = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        if (folder / REPORT).is_file():
            found.append(folder)
        if depth < max_depth:
            stack += [(e, depth + 1) for e in entries if e.is_dir() and not e.name.startswith(".")]
    return sorted(found, key=lambda p: ((p / REPORT).stat().st_mtime, str(p)), reverse=True)


@dataclass(frozen=True)
class Figure:
    path: Path
    caption: str


def inside(folder: Path, target: str) -> Path | None:
    """``target`` resolved inside ``folder``, or None if it is a URL or leaves the folder."""
    if "://" in target or target.startswith(("/", "data:")):
        return None
    path = (folder / target).resolve()
    try:
        path.relative_to(folder.resolve())
    except ValueError:
        return None
    return path


def split_report(folder: Path) -> list[str | Figure]:
    """The report as Markdown chunks with the local images it links, in order."""
    text = (folder / REPORT).read_text(encoding="utf-8", errors="replace")
    parts: list[str | Figure] = []
    pos = 0
    for match in _IMAGE.finditer(text):
        path = inside(folder, match.group(2))
        if path is None or not path.is_file() or path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        parts.append(text[pos : match.start()])
        parts.append(Figure(path, match.group(1) or path.name))
        pos = match.end()
    parts.append(text[pos:])
    return [p for p in parts if not (isinstance(p, str) and not p.strip())]


def other_figures(folder: Path, shown: set[Path]) -> list[Figure]:
    """Images in the folder (and its sub-folders) that the report does not show itself."""
    out = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file() and path.resolve() not in shown:
            out.append(Figure(path, str(path.relative_to(folder))))
    return out


def read_figure(fig: Figure) -> bytes | None:
    """Bytes of a figure, or None if it is too large to show."""
    if fig.path.stat().st_size > MAX_FIGURE_BYTES:
        return None
    return fig.path.read_bytes()
