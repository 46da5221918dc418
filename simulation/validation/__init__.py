"""Validation and calibration: the Bass limit, pattern-oriented validation (brief §5) and
calibration to the Dutch e-government series; ``egov-sim validate-patterns`` / ``calibrate``."""

from .bass import bass_continuous, bass_curve, bass_discrete

__all__ = ["bass_continuous", "bass_curve", "bass_discrete"]
