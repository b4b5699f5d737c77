"""The host paths a DaemonSet's pods mount: its pod template's ``hostPath`` volumes.

A ``hostPath`` volume is a file or directory of the node itself (``/var/log``), so every pod of
the DaemonSet on one node sees the same files. With maxSurge a node runs its old and its new pod
at once until the old one is deleted: both mount those paths for that overlap. rollsim does not
simulate what they do with them; the reports name the paths beside the surge's cost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["HostPath", "parse_host_path"]

_ACCESS = {False: "read-write", True: "read-only"}
_TEXT = re.compile(r"(?P<path>.+) \((?P<access>read-write|read-only)\)")


@dataclass(frozen=True, slots=True)
class HostPath:
    """A ``hostPath`` volume's ``path`` and whether every container mounts it ``readOnly``."""

    path: str
    read_only: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.path, str) or not self.path:
            raise ValueError(f"a hostPath volume needs a path, got {self.path!r}")

    def __str__(self) -> str:
        return f"{self.path} ({_ACCESS[self.read_only]})"


def parse_host_path(text: str | HostPath) -> HostPath:
    """``/var/log (read-write)`` or ``/var/lib/docker/containers (read-only)`` (``str`` of a ``HostPath``)."""
    if isinstance(text, HostPath):
        return text
    m = _TEXT.fullmatch(str(text).strip())
    if not m:
        raise ValueError(f"a host path is PATH (read-write) or PATH (read-only), got {text!r}")
    return HostPath(m.group("path"), m.group("access") == "read-only")
