"""Durations as Go writes and reads them (``time.ParseDuration``): ``1h30m``, ``90s``, ``812ms``.

One rule for every duration rollsim reads as text: ``rollsim plan --window`` (where a bare
number is seconds) and the pull times in the kubelet's Pulled events (``rollsim calibrate``).
Every number carries its unit, as Go requires: ``1h30`` is refused ("missing unit in
duration"), where a unit left optional after ``h`` or ``m`` read it as 1h00m30s.
"""

from __future__ import annotations

import math
import re

__all__ = ["DURATION_UNITS", "go_duration_seconds", "missing_unit_fix"]

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
DURATION_UNITS = tuple(_UNITS)  # the unit names, as Go's time.ParseDuration spells them
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_UNIT = r"(?:ns|us|µs|μs|ms|s|m|h)"
_DURATION = re.compile(rf"(?:{_NUMBER}{_UNIT})+\Z", re.ASCII)
_PART = re.compile(rf"({_NUMBER})({_UNIT})", re.ASCII)
_UNIT_MISSING = re.compile(rf"((?:{_NUMBER}{_UNIT})*{_NUMBER})({_UNIT})({_NUMBER})\Z", re.ASCII)
_NEXT_UNIT = {"h": "m", "m": "s", "s": "ms", "ms": "us", "us": "ns", "µs": "ns", "μs": "ns"}


def go_duration_seconds(text: str) -> float | None:
    """Seconds in a Go ``time.Duration`` string (``6.071s``, ``812ms``, ``1h30m``, ``0``), or None
    when Go's ``time.ParseDuration`` would refuse it (no sign here: a duration read is never negative).
    """
    if text == "0":
        return 0.0
    if not _DURATION.match(text):
        return None
    seconds = math.fsum(float(n) * _UNITS[u] for n, u in _PART.findall(text))
    return seconds if math.isfinite(seconds) else None


def missing_unit_fix(text: str) -> str | None:
    """``1h30`` -> ``1h30m``: what was likely meant when the last number has no unit (the unit after
    the one before it), or None when that is not what is wrong with ``text``.
    """
    match = _UNIT_MISSING.fullmatch(text)
    if match is None or _NEXT_UNIT.get(match[2]) is None:
        return None
    return f"{text}{_NEXT_UNIT[match[2]]}"
