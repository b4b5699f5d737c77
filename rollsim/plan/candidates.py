"""The settings a plan chooses between, and what each one costs and looks like as a patch.

A ``Setting`` is one point of the decision space: ``maxUnavailable = count`` (and
``maxSurge = 0``), or ``maxSurge = count`` (and ``maxUnavailable = 0``), with one
``minReadySeconds``. Counts are what ``updatedDesiredNodeCounts`` resolves a percent to,
so searching counts covers every percent; ``as_int_or_percent`` writes a count as a percent
only where the percent is the count's share (to the nearest whole percent) and resolves to
it, else as the count itself.
"""

from __future__ import annotations

import json
import math
import shlex
from dataclasses import dataclass
from typing import Any

from rollsim.spec.budget import IntOrPercent, scaled_value, updated_desired_node_counts

__all__ = ["SURGE", "UNAVAILABLE", "Family", "Setting", "as_int_or_percent", "current_setting", "patch_command",
           "patch_value", "written_budget"]

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

    def label(self, desired: int | None = None, written: IntOrPercent | None = None) -> str:
        """The setting for people, the count also as a percent of ``desired`` when given; or as
        ``written`` (the DaemonSet's own budget as its manifest writes it: ``maxUnavailable 1``,
        never the ``2%`` a plan would patch for 1 of 50 nodes).
        """
        value = written if written is not None else self.count if desired is None else \
            as_int_or_percent(self.count, desired)
        written_as = f"{value:,}" if isinstance(value, int) else f"{value}"  # 1,576 as (= 1,576) writes it
        shown = written_as if str(value) == str(self.count) else f"{written_as} (= {self.count:,})"
        return f"{self.kind} {shown}, minReadySeconds {self.min_ready_seconds:g}"

    def key(self) -> str:
        """A short key naming this setting: its kind, count and minReadySeconds."""
        return f"{'mu' if self.kind == UNAVAILABLE else 'ms'}={self.count},mrs={self.min_ready_seconds:g}"


def current_setting(rolling: bool, max_unavailable: IntOrPercent, max_surge: IntOrPercent, min_ready_seconds: float,
                    desired: int) -> Setting | None:
    """The DaemonSet's own update strategy as a setting of the plan's space, its budgets resolved for
    ``desired`` nodes as ``updatedDesiredNodeCounts`` does (``maxUnavailable 1``); None under OnDelete,
    which replaces a pod only when something deletes it. The plan runs it as a baseline.
    """
    if not rolling:
        return None
    budgets = updated_desired_node_counts(desired, max_unavailable, max_surge)
    if budgets.max_surge > 0:
        return Setting(SURGE, budgets.max_surge, float(min_ready_seconds))
    return Setting(UNAVAILABLE, budgets.max_unavailable, float(min_ready_seconds))


def written_budget(setting: Setting, max_unavailable: IntOrPercent, max_surge: IntOrPercent) -> IntOrPercent:
    """The value of the strategy's field that ``setting`` (``current_setting``'s) resolves: its maxSurge
    for a surge setting, else its maxUnavailable, as the manifest writes it.
    """
    return max_surge if setting.kind == SURGE else max_unavailable


def as_int_or_percent(count: int, desired: int) -> IntOrPercent:
    """``count`` as the budget value to write: ``P%`` when P is the count's share of ``desired``
    nodes to the nearest whole percent (within half a percent) and resolves to ``count`` as
    ``updatedDesiredNodeCounts`` rounds it (up); else the plain ``count``.

    ``5%`` of 3,000 is 150, ``10%`` of 30 is 3 and ``93%`` of 30 is 28 (28 is 93.3%): each says
    the share it is, and scales with the cluster. The smallest percent that rounds up to the count
    would not: ``1%`` of 30 is 1 node, 3.3%, which a reader of the manifest would take for a
    hundredth of the nodes; 1 of 30 is ``3%`` (3.3%), 2 of 30 stays 2 (6.7%: ``7%`` would be 3).
    """
    if desired <= 0 or not 1 <= count <= desired:
        return count
    share = 100 * count / desired
    for pct in sorted({math.floor(share), math.ceil(share)}, key=lambda p: abs(100 * count - p * desired)):
        # within half a percent of the share, in whole numbers: |100 count - pct desired| <= desired / 2
        if 1 <= pct <= 100 and abs(200 * count - 2 * pct * desired) <= desired and \
                scaled_value(f"{pct}%", desired) == count:
            return f"{pct}%"
    return count


def patch_value(setting: Setting, desired: int, surge_limit: int | None = None) -> IntOrPercent:
    """The budget value the patch writes: ``as_int_or_percent``'s, except a percent on its rounding
    edge, which one more node would round up to one more pod: a maxUnavailable one would take one more
    node down at once (``5%`` of 20 is 1, of 21 is 2: 90.5% available where the plan showed 95%), and a
    maxSurge one would ask for more surge pods than a surge budget allows (``surge_limit``: the most it
    allows; None, no budget) when that is fewer (audit 25: ``16%`` of 31 is 5, of 32 is 6, over
    ``--surge-pods 5``, and NotReady nodes that recover rejoin the count). The plain count then, which
    keeps what the plan measured as the cluster grows.
    """
    value = as_int_or_percent(setting.count, desired)
    if not isinstance(value, str) or (more := scaled_value(value, desired + 1)) <= setting.count:
        return value
    if setting.kind == UNAVAILABLE or (surge_limit is not None and more > surge_limit):
        return setting.count
    return value


def patch_command(setting: Setting, desired: int, name: str, namespace: str, context: str | None = None,
                  kubeconfig: str | None = None, surge_limit: int | None = None) -> str:
    """The ``kubectl patch`` that applies ``setting`` (a strategic merge patch of the spec), to the
    cluster the plan read (``--kubeconfig``/``--context``, when given: without them kubectl patches
    whatever its current context is).
    """
    value = patch_value(setting, desired, surge_limit)
    other = 0
    rolling = ({"maxUnavailable": value, "maxSurge": other} if setting.kind == UNAVAILABLE
               else {"maxUnavailable": other, "maxSurge": value})
    mrs = setting.min_ready_seconds
    spec = {"minReadySeconds": int(mrs) if float(mrs).is_integer() else mrs,
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": rolling}}
    body = json.dumps({"spec": spec}, separators=(",", ":"))
    where = "".join(f" --{flag} {shlex.quote(value)}" for flag, value in (("kubeconfig", kubeconfig),
                                                                          ("context", context)) if value)
    return f"kubectl{where} patch ds {shlex.quote(name)} -n {shlex.quote(namespace)} -p '{body}'"
