"""External deleters for the OnDelete strategy: their specification (the process is ``rollsim.cluster.operators``).

Under OnDelete the controller never deletes a healthy old pod (the strategy's case in
``updateDaemonSet`` is empty); it only recreates pods that have gone. Someone else
deletes the old pods: an operator, a script, a node-rotation tool. rollsim models three:

* ``none``: nobody; the rollout never progresses.
* ``batch:K`` or ``batch:K:PAUSE``: delete K old pods, wait until every one of those
  nodes has an available new pod or no longer should run the DaemonSet or no longer exists
  (what ``kubectl rollout status`` counts), wait PAUSE seconds, repeat.
* ``rate:S``: delete one old pod every S seconds.

Either deletes old pods only on nodes that should run the DaemonSet (``NodeShouldRunDaemonPod``'s
shouldRun when it looks: not a NotReady node's, whose NoSchedule taint daemon pods do not
tolerate), and ends when no such node holds an old pod. The deleter picks old pods in a random
order from its own named stream. Either deletes nothing before the controller has observed the
DaemonSet's generation (``status.observedGeneration >= metadata.generation``, as ``kubectl rollout
status`` waits for it), and ``batch:K`` deletes again an old pod that comes back on a node of its
batch (recreated from the template the controller held before) rather than wait beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rollsim.spec.duration import format_duration

__all__ = ["DeleterSpec", "parse_deleter"]

_NUMBER = r"(\d+(?:\.\d*)?|\.\d+)"
_SPECS = {
    "none": re.compile(r"none"),
    "batch": re.compile(rf"batch:(\d+)(?::{_NUMBER})?", re.ASCII),  # ASCII digits only: \d takes "١٠"
    "rate": re.compile(rf"rate:{_NUMBER}", re.ASCII),
}


@dataclass(frozen=True, slots=True)
class DeleterSpec:
    """``kind`` is none, batch or rate; ``count`` and ``pause`` for batch; ``interval`` for rate."""

    kind: str = "none"
    count: int = 0
    pause: float = 0.0
    interval: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in _SPECS:
            raise ValueError(f"deleter must be none, batch:K[:PAUSE] or rate:S, got {self.kind!r}")
        if self.kind == "batch" and self.count < 1:
            raise ValueError(f"deleter batch size must be at least 1, got {self.count}")
        if self.kind == "rate" and not self.interval > 0:
            raise ValueError(f"deleter rate interval must be positive, got {self.interval}")
        if self.pause < 0:
            raise ValueError(f"deleter pause must not be negative, got {self.pause}")

    def __str__(self) -> str:
        if self.kind == "batch":
            return f"batch:{self.count}" + (f":{self.pause:g}" if self.pause else "")
        if self.kind == "rate":
            return f"rate:{self.interval:g}"
        return "none"

    def words(self) -> str:
        """The deleter as a person says it: ``batches of 50``, ``batches of 50 with a 30s pause``,
        ``one pod every 10s``, ``none`` (``batch:50`` says it to rollsim).
        """
        if self.kind == "batch":
            return f"batches of {self.count:,}" + (f" with a {format_duration(self.pause)} pause" if self.pause else "")
        if self.kind == "rate":
            return f"one pod every {format_duration(self.interval)}"
        return "none"


def parse_deleter(spec: str | DeleterSpec) -> DeleterSpec:
    """Parse ``none``, ``batch:K``, ``batch:K:PAUSE`` or ``rate:S``."""
    if isinstance(spec, DeleterSpec):
        return spec
    text = str(spec).strip().lower()
    for kind, pattern in _SPECS.items():
        m = pattern.fullmatch(text)
        if m:
            if kind == "batch":
                return DeleterSpec("batch", count=int(m.group(1)), pause=float(m.group(2) or 0))
            if kind == "rate":
                return DeleterSpec("rate", interval=float(m.group(1)))
            return DeleterSpec()
    raise ValueError(f"deleter must be none, batch:K[:PAUSE] or rate:S, got {spec!r}")
