"""Number formats shared by the sections of docs/VALIDATION.md."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

IMG = Path("img") / "validation"


PATTERNS_JSON = "patterns.json"


CALIBRATION_JSON = "calibration.json"


def _f(v: Any, nd: int = 3) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "–"
        if v != 0 and (abs(v) < 10 ** (-nd) or abs(v) >= 1e5):
            return f"{v:.2g}"
        return f"{v:.{nd}f}"
    return str(v)


def _p(v: Any) -> str:
    if v is None:
        return "–"
    return "< 1e-6" if v < 1e-6 else f"{v:.2g}"


def _ci(ci: Any) -> str:
    if not ci or ci[0] is None or ci[1] is None:
        return ""
    return f" [{_f(ci[0])}, {_f(ci[1])}]"


def _name(s: str) -> str:
    return s.replace("_", " ")


def _interval(ci: Any, ends: Any, segments: Any = None) -> str:
    lo = f"≤ {ci[0]:.3g} (open)" if ends[0] else f"{ci[0]:.3g}"
    hi = f"≥ {ci[1]:.3g} (open)" if ends[1] else f"{ci[1]:.3g}"
    text = f"[{lo}, {hi}]"
    if segments and len(segments) > 1:
        text += " = " + " ∪ ".join(f"[{a:.3g}, {b:.3g}]" for a, b in segments)
    return text
