"""Progress bars of long commands (tqdm on stderr), and when they stay off."""

from __future__ import annotations

import os
import sys
from typing import Any


def progress_disabled(stream: Any = None) -> bool:
    """Whether progress bars stay off: ``TQDM_DISABLE`` (or ``EGOV_SIM_NO_PROGRESS``) set
    to a true value, or the bars' stream (stderr) not being a terminal."""
    for var in ("TQDM_DISABLE", "EGOV_SIM_NO_PROGRESS"):
        value = os.environ.get(var, "").strip().lower()
        if value and value not in {"0", "false", "no", "off"}:
            return True
    stream = sys.stderr if stream is None else stream
    try:
        return not stream.isatty()
    except (AttributeError, ValueError):  # closed or not a real stream
        return True


def _progress(label: str):
    from tqdm import tqdm

    bar: dict[str, Any] = {}
    disable = progress_disabled()

    def update(done: int, total: int) -> None:
        if "b" not in bar:
            bar["b"] = tqdm(
                total=total, desc=label, unit="run", file=sys.stderr, leave=False, disable=disable
            )
        bar["b"].n = done
        bar["b"].refresh()
        if done == total:
            bar["b"].close()

    return update
