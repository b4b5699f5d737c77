"""Budget arithmetic of a rolling update: int-or-percent values, validation, scaled budgets.

Pure functions, no SimPy. Each mirrors one piece of the real controller or API server.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from rollsim.spec.quantity import is_ascii_digits

__all__ = [
    "IntOrPercent",
    "Budgets",
    "allows_surge",
    "is_percent",
    "is_zero",
    "parse_int_or_percent",
    "scaled_value",
    "validate_rolling_update",
    "updated_desired_node_counts",
]

IntOrPercent = int | str



def is_percent(text: str) -> bool:
    """Whether ``text`` is a percent as ``IsValidPercent`` reads one: ASCII digits (as Go's
    ``strconv.Atoi`` reads an IntOrString, ``is_ascii_digits``) followed by ``%``.
    """
    return text.endswith("%") and is_ascii_digits(text[:-1])


def parse_int_or_percent(value: object, name: str = "value") -> IntOrPercent:
    """Normalise an int-or-percent (``3``, ``"3"``, ``"10%"``) to an int or a ``"P%"`` string.

    Mirrors ``intstr.IntOrString`` as the API server accepts it: a non-negative integer,
    or a string of ASCII digits followed by ``%`` (``"١٠%"`` is no percent, as in Go).
    """
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer or a percent such as '10%', got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{name} must not be negative, got {value}")
        return value
    if isinstance(value, float) and value.is_integer():
        return parse_int_or_percent(int(value), name)
    if isinstance(value, str):
        text = value.strip()
        if is_ascii_digits(text):
            return int(text)
        if is_percent(text):
            return text
        if text.startswith("-") and (is_ascii_digits(text[1:]) or is_percent(text[1:])):
            raise ValueError(f"{name} must not be negative, got {value!r}")
    raise ValueError(f"{name} must be an integer or a percent such as '10%', got {value!r}")


def _percent(value: IntOrPercent) -> int | None:
    return int(value[:-1]) if isinstance(value, str) else None


def scaled_value(value: IntOrPercent, total: int, round_up: bool = True) -> int:
    """Mirrors ``intstr.GetScaledValueFromIntOrPercent``: ints as given, ``P%`` of ``total``.

    The DaemonSet controller always rounds up (``UnavailableCount``, ``SurgeCount``).
    """
    pct = _percent(value)
    if pct is None:
        return int(value)
    scaled = pct * total / 100
    return math.ceil(scaled) if round_up else math.floor(scaled)


def is_zero(value: IntOrPercent) -> bool:
    """Mirrors ``getIntOrPercentValue`` in validation: ``"0%"`` counts as zero."""
    pct = _percent(value)
    return (pct if pct is not None else int(value)) == 0


def validate_rolling_update(max_unavailable: object, max_surge: object) -> tuple[IntOrPercent, IntOrPercent]:
    """Mirrors ``ValidateRollingUpdateDaemonSet``; returns the normalised pair or raises ``ValueError``.

    Rules: each value a non-negative int or a percent of at most 100%; not both zero;
    not both non-zero (maxSurge "may not be set when maxUnavailable is non-zero").
    """
    mu = parse_int_or_percent(max_unavailable, "maxUnavailable")
    ms = parse_int_or_percent(max_surge, "maxSurge")
    for name, value in (("maxUnavailable", mu), ("maxSurge", ms)):
        pct = _percent(value)
        if pct is not None and pct > 100:
            raise ValueError(f"{name} must not be greater than 100%, got {value!r}")
    if is_zero(mu) and is_zero(ms):
        raise ValueError("maxUnavailable cannot be 0 when maxSurge is 0")
    if not is_zero(mu) and not is_zero(ms):
        raise ValueError("maxSurge may not be set when maxUnavailable is non-zero")
    return mu, ms


class Budgets(NamedTuple):
    """The result of ``updatedDesiredNodeCounts``: (maxSurge, maxUnavailable) resolved for ``desired``."""

    max_surge: int
    max_unavailable: int
    desired: int


def updated_desired_node_counts(
    desired: int, max_unavailable: IntOrPercent, max_surge: IntOrPercent, rolling: bool = True
) -> Budgets:
    """Mirrors ``updatedDesiredNodeCounts`` (pkg/controller/daemon/update.go).

    Percentages are taken of ``desiredNumberScheduled`` computed fresh in this sync and
    rounded up. If both come out zero while some node should run the pod, maxUnavailable
    falls back to 1. ``rolling=False`` (OnDelete) resolves both to zero, as
    ``UnavailableCount``/``SurgeCount`` do for a non-RollingUpdate strategy.
    """
    mu = scaled_value(max_unavailable, desired) if rolling else 0
    ms = scaled_value(max_surge, desired) if rolling else 0
    if desired > 0 and mu == 0 and ms == 0:
        mu = 1
    return Budgets(max_surge=ms, max_unavailable=mu, desired=desired)


def allows_surge(max_surge: IntOrPercent, rolling: bool = True) -> bool:
    """Mirrors ``util.AllowsSurge``: ``SurgeCount(ds, 1) > 0``, i.e. maxSurge scaled against one node."""
    return rolling and scaled_value(max_surge, 1) > 0
