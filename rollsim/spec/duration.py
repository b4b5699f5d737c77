"""Durations as Go writes and reads them (``time.ParseDuration``): ``1h30m``, ``90s``, ``-1.5h``.

And one way to write a duration for people (``format_duration``: ``1h02m03s``), in the report,
on the console and in the sentence that says why a run stopped. One rule for every duration
rollsim reads as text: ``rollsim plan --window`` and ``--node-monitor-grace-period`` (with its
experiment key, ``controller.node_monitor_grace_period``), where a bare number is seconds
(``read_duration``), the pull times in the kubelet's Pulled events (``rollsim calibrate``) and
the window of a rate (``--registry-pull-rate 100/6h``, ``--scheduler-throughput``: ``spec.image``).
Every number carries its unit, as Go requires: ``1h30`` is refused ("missing unit in
duration"), where a unit left optional after ``h`` or ``m`` read it as 1h00m30s. A duration is
a whole number of nanoseconds in a signed 64-bit integer, as Go's: ``0.5ns`` is 0, and
``2562048h`` is past its range and refused ("invalid duration").
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["DASH", "DURATION_UNITS", "compact_duration", "format_bound", "format_duration", "go_duration_ns",
           "go_duration_seconds", "is_bare_number", "missing_unit_fix", "read_duration"]

DASH = "—"  # a value that is not there (no duration: a run that did not complete)

# time's unitMap: nanoseconds per unit (µs is U+00B5, the micro sign; μs U+03BC, the Greek mu)
_UNIT_NS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9,
            "h": 3600 * 10**9}
DURATION_UNITS = tuple(_UNIT_NS)  # the unit names, as Go's time.ParseDuration spells them
_BIG = 1 << 63  # Go's uint64 accumulator may reach 1<<63 (the magnitude of the most negative duration)
_DIGITS = re.compile(r"[0-9]*", re.ASCII)
_UNIT_TEXT = re.compile(r"[^.0-9]*")  # ParseDuration's unit: everything up to the next '.' or digit
_BARE_NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)", re.ASCII)
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_UNIT = r"(?:ns|us|µs|μs|ms|s|m|h)"
_UNIT_MISSING = re.compile(rf"((?:{_NUMBER}{_UNIT})*{_NUMBER})({_UNIT})({_NUMBER})\Z", re.ASCII)
# a duration Go's syntax takes (numbers each with a unit, a sign before them): refused only past its range
_WELL_FORMED = re.compile(rf"[-+]?(?:{_NUMBER}{_UNIT})+\Z", re.ASCII)
_NEXT_UNIT = {"h": "m", "m": "s", "s": "ms", "ms": "us", "us": "ns", "µs": "ns", "μs": "ns"}


def _leading_int(digits: str) -> int | None:
    """Mirrors time's ``leadingInt``: the integer, or None past 1<<63 (overflow)."""
    x = 0
    for c in digits:
        if x > _BIG // 10:
            return None
        x = x * 10 + int(c)
        if x > _BIG:
            return None
    return x


def _leading_fraction(digits: str) -> tuple[int, float]:
    """Mirrors time's ``leadingFraction``: the digits as an integer and their scale (10**n),
    precision dropped (not an error) once the integer would pass 1<<63.
    """
    x, scale = 0, 1.0
    for c in digits:
        if x > (_BIG - 1) // 10 or x * 10 + int(c) > _BIG:
            break
        x, scale = x * 10 + int(c), scale * 10
    return x, scale


def _component(s: str) -> tuple[int, str] | None:
    """One number and its unit (``1.5h``) of ParseDuration's loop: its nanoseconds and the rest, or None."""
    whole = _DIGITS.match(s)[0]  # type: ignore[index]
    v, s = _leading_int(whole), s[len(whole):]
    fraction = _DIGITS.match(s, 1)[0] if s.startswith(".") else ""  # type: ignore[index]
    f, scale = _leading_fraction(fraction)
    s = s[1 + len(fraction):] if s.startswith(".") else s
    unit = _UNIT_TEXT.match(s)[0]  # type: ignore[index]
    if v is None or not (whole or fraction) or unit not in _UNIT_NS or v > _BIG // _UNIT_NS[unit]:
        return None  # overflow, no digits (".s"), a missing or unknown unit
    v *= _UNIT_NS[unit]
    if f > 0:  # float64, as Go: nanosecond-accurate for fractions of hours
        v += int(float(f) * (float(_UNIT_NS[unit]) / scale))
    return (v, s[len(unit):]) if v <= _BIG else None


def go_duration_ns(text: str) -> int | None:
    """Nanoseconds in a Go duration string (``1h30m``, ``-5m``, ``+.5s``, ``0``), or None where Go's
    ``time.ParseDuration`` returns an error. Mirrors it: an optional sign, then numbers each with
    a unit; whole nanoseconds; the sum within a signed 64-bit integer.
    """
    negative = text[:1] == "-"
    s = text[1:] if text[:1] in ("-", "+") else text
    if s == "0":
        return 0
    if not s:
        return None
    total = 0
    while s:
        part = _component(s)
        if part is None:
            return None
        total = (total + part[0]) % (1 << 64)  # uint64, as Go sums it
        s = part[1]
        if total > _BIG:
            return None
    if negative:
        return -total
    return total if total < _BIG else None


def is_bare_number(text: str) -> bool:
    """Whether ``text`` is a number without a unit (``1800``, ``.5``, ``-5``), which Go's
    ``time.ParseDuration`` refuses and ``go_duration_seconds`` reads with its ``bare_unit``.
    """
    return _BARE_NUMBER.fullmatch(text) is not None


def go_duration_seconds(text: str, bare_unit: str | None = None) -> float | None:
    """Seconds in a Go duration string (``go_duration_ns``), or None where Go refuses it.

    ``bare_unit``: the unit of a number written without one (``rollsim plan --window 1800``:
    seconds), read as Go reads that number with the unit after it (``.5`` as ``.5s``, ``-5`` as
    ``-5s``); without it a bare number other than 0 is refused, as Go refuses it.
    """
    if bare_unit is not None and is_bare_number(text):
        text += bare_unit
    ns = go_duration_ns(text)
    return None if ns is None else ns / 10**9


def missing_unit_fix(text: str) -> str | None:
    """``1h30`` -> ``1h30m``: what was likely meant when the last number has no unit (the unit after
    the one before it), or None when that is not what is wrong with ``text``.
    """
    match = _UNIT_MISSING.fullmatch(text)
    if match is None or _NEXT_UNIT.get(match[2]) is None:
        return None
    return f"{text}{_NEXT_UNIT[match[2]]}"


def read_duration(value: Any) -> float:
    """Seconds from a duration as rollsim reads every one it is given: a number is seconds (``90``,
    from YAML or a caller), text is Go's ``time.ParseDuration`` (``"30m"``, ``"1h30m"``, as kubectl's
    ``--timeout`` and kube-controller-manager's duration flags take it: every number with its unit,
    so ``1h30`` is refused, naming ``1h30m``), a bare number in it being seconds (``"1800"``, read
    as ``"1800s"``). Any sign, and a number as it is (infinity too): the caller's rule says which
    durations it takes (``--window`` positive ones, ``--node-monitor-grace-period`` those longer
    than the kubelet's heartbeat).
    """
    if isinstance(value, bool):
        raise ValueError(f"must be a duration such as 30m or 1800s, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    seconds = go_duration_seconds(text, bare_unit="s")
    if seconds is None:
        raise ValueError(f"must be a duration such as 30m, 1h30m or 1800s, got {value!r}{_fix(text)}")
    return seconds


def _fix(text: str) -> str:
    """What to write instead, where it can be told: the missing unit, or no spaces (as Go); or,
    for a duration written well but past a signed 64-bit count of nanoseconds, Go's range.
    """
    if _WELL_FORMED.match(text) or (is_bare_number(text) and _WELL_FORMED.match(text + "s")):
        return ": past the longest duration Go's time.ParseDuration reads, 2562047h47m16s (292 years)"
    compact = "".join(text.split())
    fix = missing_unit_fix(compact)
    if fix is not None:
        return f": missing unit after its last number (as Go's time.ParseDuration says); write {fix}"
    if compact != text and go_duration_seconds(compact, bare_unit="s") is not None:
        return f": no spaces within a duration (as Go's time.ParseDuration reads it); write {compact}"
    return ""


def format_duration(seconds: float | None) -> str:
    """``427`` → ``7m07s``; under a minute ``42s`` (``4.2s`` under 10 s); ``1h02m03s``; ``2d03h04m``."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return DASH
    if math.isinf(seconds):
        return "∞" if seconds > 0 else "-∞"
    sign, s = ("-" if seconds < 0 else ""), abs(float(seconds))
    if s < 10 and round(s, 1) < 10:
        return f"{sign}{s:.1f}s".replace(".0s", "s")
    total = round(s)
    d, rem = divmod(total, 86400)
    h, rem = divmod(rem, 3600)
    m, sec = divmod(rem, 60)
    if d:
        return f"{sign}{d}d{h:02d}h{m:02d}m"
    if h:
        return f"{sign}{h}h{m:02d}m{sec:02d}s"
    return f"{sign}{m}m{sec:02d}s" if m else f"{sign}{sec}s"


def format_bound(seconds: float | None) -> str:
    """An upper bound as ``format_duration`` writes a duration, rounded up, not to the nearest (to the
    tenth under 10 s): ``1800.2`` is ``30m01s``, so that a bound over a window never reads as the
    window (``30m00s > window 30m00s``), and reads as the window a relaxation allows (audit 30: a bound
    of 47m03s beside "allow 47m04s").
    """
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return format_duration(seconds)
    up = math.ceil(seconds) if seconds >= 10 else math.ceil(round(seconds * 10, 9)) / 10
    return format_duration(float(up))


def compact_duration(seconds: float | None) -> str:
    """``format_duration`` without the zero units it ends on: ``1h20m``, ``5m``, ``1h``, ``1m30s``,
    ``1d12h`` (``1h20m00s``, ``5m00s``, ``1d12h00m``), for a duration that is a setting or a tick
    rather than a measurement (``5% of kubelet clocks 5m ahead``, an axis tick ``1h20m``).
    """
    text = format_duration(seconds)
    if not text[:1].isdigit() and text[:1] != "-":
        return text
    for zeros in ("00s", "00m", "00h"):
        if text.endswith(zeros) and len(text) > len(zeros) and text[-len(zeros) - 1].isalpha():
            text = text[:-len(zeros)]
    return text
