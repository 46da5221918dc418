"""Where the shipped scenarios, experiments and reference data are.

In the repository they live at the top level (``scenarios/``, ``experiments/``, ``data/``),
which stay the source of truth. A built wheel carries copies of them as package data under
``simulation/_data/`` (copied at build time by ``setup.py``'s ``build_py`` step), read with
:mod:`importlib.resources`. So:

- a source checkout (editable or not installed; ``pyproject.toml`` next to the package)
  reads the top-level folders, so a file dropped into ``scenarios/`` is seen at once;
- an installed wheel reads its package data, from any working directory.

User files are still given by path; only *shipped names* are looked up here.
"""

from __future__ import annotations

import atexit
import contextlib
from functools import cache
from importlib import resources
from pathlib import Path

KINDS = ("scenarios", "experiments", "data")

_PACKAGE = Path(__file__).resolve().parent.parent
_CHECKOUT = _PACKAGE.parent
_stack = contextlib.ExitStack()
atexit.register(_stack.close)


def in_checkout() -> bool:
    """Whether the package runs from a source checkout (top-level folders next to it)."""
    return (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "scenarios").is_dir()


@cache
def _packaged(kind: str) -> Path | None:
    node = resources.files("simulation").joinpath("_data", kind)
    if not node.is_dir():
        return None
    if isinstance(node, Path):
        return node
    # A zipped install: extract once for this process (cleaned up at exit).
    return _stack.enter_context(resources.as_file(node))  # pragma: no cover - zip imports only


def folder(kind: str) -> Path:
    """The folder holding the shipped ``kind`` (one of :data:`KINDS`)."""
    if kind not in KINDS:
        raise ValueError(f"unknown resource kind {kind!r}; use one of {', '.join(KINDS)}")
    if in_checkout():
        return _CHECKOUT / kind
    found = _packaged(kind)
    if found is not None:
        return found
    # Neither a checkout nor a wheel with package data (a broken install): an empty
    # listing would be a silent failure, so say what is missing.
    raise FileNotFoundError(
        f"egov-sim: the shipped {kind} are missing: neither {_CHECKOUT / kind} (source checkout) "
        f"nor simulation/_data/{kind} (installed package) exists; reinstall egov-sim"
    )


def shipped(kind: str, pattern: str = "*.toml") -> dict[str, Path]:
    """Shipped files of ``kind`` by stem, sorted by name."""
    return {p.stem: p for p in sorted(folder(kind).glob(pattern)) if p.is_file()}


def data_file(name: str) -> Path:
    """A shipped reference data file (e.g. ``nl_egov_adoption.csv``)."""
    return folder("data") / name


def package_version(name: str) -> str:
    """``importlib.metadata.version(name)``, or ``"not installed"``, without parsing the
    whole metadata file as e-mail headers (the e-mail package's import and parse cost about
    30 ms for a manifest's eight packages): the ``Version:`` header is the metadata's
    first lines."""
    from importlib import metadata

    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return "not installed"
    for line in (dist.read_text("METADATA") or dist.read_text("PKG-INFO") or "").splitlines():
        if line.startswith("Version:"):
            return line[len("Version:") :].strip()
        if not line:  # the end of the headers
            break
    return dist.version
