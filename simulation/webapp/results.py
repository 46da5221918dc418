"""Finding finished sweep directories and splitting their report into text and figures.

Everything is confined to one *results root* (``egov-sim serve --results-root``, default
``./results``): a folder the user types is resolved (symlinks included) and refused if it
is outside the root. Only ``report.md`` and image files inside the chosen sweep folder
are read, and an image is sent to the browser only if it really is an image (by its first
bytes) and lies inside that folder. Report Markdown is rendered with raw HTML escaped,
links reduced to their text (no ``javascript:``, no remote URLs) and images that are not
local figures shown as text, so the page never loads anything from elsewhere.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

REPORT = "report.md"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg")
MAX_DEPTH = 3  # how deep below the results folder to look for report.md
MAX_FIGURE_BYTES = 20 * 2**20
MAX_REPORT_BYTES = 2 * 2**20
MAX_REPORTS = 500
#: Environment variable through which ``egov-sim serve`` passes the results root.
RESULTS_ROOT_ENV = "EGOV_RESULTS_ROOT"
_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
#: First bytes of each image type the page shows.
_MAGIC = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
}


def default_results_dir() -> Path:
    return Path.cwd() / "results"


def results_root() -> Path:
    """The configured results root, resolved."""
    root = os.environ.get(RESULTS_ROOT_ENV)
    return (Path(root) if root else default_results_dir()).expanduser().resolve()


class OutsideRoot(ValueError):
    """A folder outside the results root (or not a folder name at all) was asked for."""


def within(root: Path, typed: str | os.PathLike[str]) -> Path:
    """``typed`` (absolute, or relative to ``root``) resolved; OutsideRoot if it leaves ``root``."""
    root = Path(root).resolve()
    text = str(typed).strip()
    if "\x00" in text:
        raise OutsideRoot(f"{text!r}: not a folder name")
    path = Path(text).expanduser() if text else root
    if not path.is_absolute():
        path = root / path
    try:
        path = path.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise OutsideRoot(f"{text}: cannot resolve ({exc})") from None
    if not path.is_relative_to(root):
        raise OutsideRoot(f"{text}: outside the results folder {root}; only folders under it can be opened")
    return path


def find_reports(root: Path, max_depth: int = MAX_DEPTH, limit: Path | None = None) -> list[Path]:
    """Directories at or below ``root`` (up to ``max_depth`` levels) holding a report.md,
    newest first. Symlinked folders are not followed; a report.md that resolves outside
    ``limit`` (default ``root``) is ignored."""
    root = Path(root)
    limit = Path(limit or root).resolve()
    if not root.is_dir():
        return []
    found = []
    stack = [(root, 0)]
    while stack and len(found) < MAX_REPORTS:
        folder, depth = stack.pop()
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        report = folder / REPORT
        if report.is_file() and report.resolve().is_relative_to(limit):
            found.append(folder)
        if depth < max_depth:
            stack += [
                (e, depth + 1)
                for e in entries
                if not e.name.startswith(".") and not e.is_symlink() and e.is_dir()
            ]
    return sorted(found, key=lambda p: ((p / REPORT).stat().st_mtime, str(p)), reverse=True)


@dataclass(frozen=True)
class Figure:
    path: Path
    caption: str
    folder: Path | None = None  # the sweep folder the figure must lie in


def inside(folder: Path, target: str) -> Path | None:
    """``target`` resolved inside ``folder``, or None if it is a URL or leaves the folder."""
    if ":" in target or target.startswith(("/", "\\", "~")):
        return None
    path = (folder / target).resolve()
    if not path.is_relative_to(folder.resolve()):
        return None
    return path


def read_report(folder: Path) -> str:
    with open(folder / REPORT, "rb") as fh:
        raw = fh.read(MAX_REPORT_BYTES + 1)
    text = raw[:MAX_REPORT_BYTES].decode("utf-8", errors="replace")
    if len(raw) > MAX_REPORT_BYTES:
        text += f"\n\n*(report cut at {MAX_REPORT_BYTES // 2**20} MiB)*\n"
    return text


def split_report(folder: Path) -> list[str | Figure]:
    """The report as Markdown chunks with the local images it links, in order."""
    text = read_report(folder)
    parts: list[str | Figure] = []
    pos = 0
    for match in _IMAGE.finditer(text):
        path = inside(folder, match.group(2))
        if path is None or not path.is_file() or path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        parts.append(text[pos : match.start()])
        parts.append(Figure(path, match.group(1) or path.name, folder))
        pos = match.end()
    parts.append(text[pos:])
    return [p for p in parts if not (isinstance(p, str) and not p.strip())]


def other_figures(folder: Path, shown: set[Path], limit: int = 200) -> list[Figure]:
    """Images in the folder (and its sub-folders) that the report does not show itself."""
    out = []
    base = folder.resolve()
    for path in sorted(folder.rglob("*")):
        if len(out) >= limit:
            break
        if path.suffix.lower() not in IMAGE_SUFFIXES or path.is_symlink() or not path.is_file():
            continue
        if path.resolve() in shown or not path.resolve().is_relative_to(base):
            continue
        out.append(Figure(path, str(path.relative_to(folder)), folder))
    return out


def looks_like_image(path: Path, head: bytes) -> bool:
    suffix = path.suffix.lower()
    if suffix == ".svg":
        # Shown as <img>, where a browser runs no script and loads nothing an SVG links.
        return head.lstrip().startswith((b"<?xml", b"<svg"))
    return head.startswith(_MAGIC.get(suffix, (b"\x00\x00invalid",)))


def read_figure(fig: Figure) -> bytes | None:
    """Bytes of a figure, or None if it is too large, not an image of its type, or not
    (after resolving symlinks) inside its sweep folder."""
    path = fig.path.resolve()
    if fig.folder is not None and not path.is_relative_to(Path(fig.folder).resolve()):
        return None
    if not path.is_file() or path.stat().st_size > MAX_FIGURE_BYTES:
        return None
    with open(path, "rb") as fh:
        data = fh.read(MAX_FIGURE_BYTES + 1)
    if len(data) > MAX_FIGURE_BYTES or not looks_like_image(fig.path, data[:16]):
        return None
    return data


# ---------------------------------------------------------------------- Markdown
def _safe_tree(root) -> None:
    """Links keep their text only; images (local figures are shown separately) become text."""
    for parent in root.iter():
        for i, child in enumerate(list(parent)):
            if child.tag == "a":
                href = child.attrib.get("href", "")
                child.attrib.clear()
                if href.startswith("#") and re.fullmatch(r"#[\w.-]*", href):
                    child.set("href", href)
                else:
                    child.tag = "span"
                    child.set("class", "egov-link")
            elif child.tag == "img":
                alt = child.attrib.get("alt", "") or "image"
                child.attrib.clear()
                child.tag = "span"
                child.set("class", "egov-image-ref")
                child.text = f"[image: {alt}]"
            else:
                for key in list(child.attrib):
                    if key.lower().startswith("on") or key.lower() in {"src", "href", "style", "srcset"}:
                        del child.attrib[key]
            parent[i] = child


def md_html(text: str) -> str:
    """Markdown to safe HTML on the server: raw HTML escaped, no links to follow, no images."""
    import markdown
    from markdown.treeprocessors import Treeprocessor

    class Safe(Treeprocessor):
        def run(self, root):
            _safe_tree(root)

    md = markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists"])
    md.treeprocessors.register(Safe(md), "egov_safe", 0)  # after 'inline' (20): links exist
    return md.convert(text.replace("<", "&lt;"))
