"""Validation and calibration: the Bass limit, pattern-oriented validation, calibration.

``bass_curve``, ``bass_continuous`` and ``bass_discrete`` (from :mod:`.bass`) are imported
lazily, so the ``egov-sim`` command line does not pay for Mesa when it only builds its parser.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = ["bass_continuous", "bass_curve", "bass_discrete"]

if TYPE_CHECKING:
    from .bass import bass_continuous, bass_curve, bass_discrete


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module(".bass", __name__), name)
    raise AttributeError(f"module 'simulation.validation' has no attribute {name!r}")
