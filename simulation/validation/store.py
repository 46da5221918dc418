"""JSON store of validation results next to the figures (so the report can be rebuilt)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np


def clean(obj: Any) -> Any:
    """JSON-ready copy: numpy scalars to Python, tuples to lists, nan/inf to None."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return clean(obj.tolist())
    if isinstance(obj, np.bool_ | bool):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        v = float(obj)
        return v if math.isfinite(v) else None
    return obj


def write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(clean(data), indent=1, allow_nan=False) + "\n", encoding="utf-8")


def read(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))
