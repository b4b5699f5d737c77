"""The settings a plan chooses between, and what each one costs and looks like as a patch.

A ``Setting`` is one point of the decision space: ``maxUnavailable = count`` (and
``maxSurge = 0``), or ``maxSurge = count`` (and ``maxUnavailable = 0``), with one
``minReadySeconds``. Counts are what ``updatedDesiredNodeCounts`` resolves a percent to,
so searching counts covers every percent; ``as_int_or_percent`` gives the percent that
resolves to the same count, which keeps its meaning when nodes join.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from rollsim.spec.budget import IntOrPercent, scaled_value

__all__ = ["SURGE", "UNAVAILABLE", "Family", "Setting", "as_int_or_percent", "patch_command"]

UNAVAILABLE = "maxUnavailable"
SURGE = "maxSurge"


@dataclass(frozen=True, slots=True, order=True)
class Family:
    """A line of the decision space: one budget kind at one ``minReadySeconds``."""

    kind: str
    min_ready_seconds: float

    def at(self, count: int) -> Setting:
        """The setting of this family with ``count`` pods."""
        return Setting(self.kind, count, self.min_ready_seconds)

    def label(self) -> str:
        """The family for people: its kind and minReadySeconds."""
        return f"{self.kind}, minReadySeconds {self.min_ready_seconds:g}"


@dataclass(frozen=True, slots=True, order=True)
class Setting:
    """``kind`` = ``count`` (the other budget 0) and ``minReadySeconds``."""

    kind: str
    count: int
    min_ready_seconds: float

    @property
    def family(self) -> Family:
        """The family (kind and minReadySeconds) of this setting."""
        return Family(self.kind, self.min_ready_seconds)

    @property
    def surge(self) -> int:
        """Surge pods this setting allows (``maxSurge``; 0 for a maxUnavailable setting)."""
        return self.count if self.kind == SURGE else 0

    def options(self) -> dict[str, Any]:
        """The scenario options (``build_scenario`` names) of this setting."""
        mu, ms = (self.count, 0) if self.kind == UNAVAILABLE else (0, self.count)
        return {"max_unavailable": mu, "max_surge": ms, "min_ready_seconds": self.min_ready_seconds}

    def label(self, desired: int | None = None) -> str:
        """The setting for people, the count also as a percent of ``desired`` when given."""
        value = self.count if desired is None else as_int_or_percent(self.count, desired)
        shown = f"{value}" if value == self.count else f"{value} (= {self.count:,})"
        return f"{self.kind} {shown}, minReadySeconds {self.min_ready_seconds:g}"

    def key(self) -> str:
        """A short key naming this setting: its kind, count and minReadySeconds."""
        return f"{'mu' if self.kind == UNAVAILABLE else 'ms'}={self.count},mrs={self.min_ready_seconds:g}"


def as_int_or_percent(count: int, desired: int) -> IntOrPercent:
    """The smallest whole percent that resolves to ``count`` of ``desired`` nodes, else ``count``.

    ``updatedDesiredNodeCounts`` rounds a percent up, so ``5%`` of 3,000 is 150 and ``P%``
    scales with the cluster; a count with no exact percent stays a count.
    """
    if desired <= 0:
        return count
    low = max(1, math.floor(100 * (count - 1) / desired))
    for pct in range(low, 101):
        scaled = scaled_value(f"{pct}%", desired)
        if scaled == count:
            return f"{pct}%"
        if scaled > count:
            break
    return count


def patch_command(setting: Setting, desired: int, name: str, namespace: str) -> str:
    """The ``kubectl patch`` that applies ``setting`` (a strategic merge patch of the spec)."""
    value = as_int_or_percent(setting.count, desired)
    other = 0
    rolling = ({"maxUnavailable": value, "maxSurge": other} if setting.kind == UNAVAILABLE
               else {"maxUnavailable": other, "maxSurge": value})
    mrs = setting.min_ready_seconds
    spec = {"minReadySeconds": int(mrs) if float(mrs).is_integer() else mrs,
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": rolling}}
    body = json.dumps({"spec": spec}, separators=(",", ":"))
    return f"kubectl patch ds {name} -n {namespace} -p '{body}'"
