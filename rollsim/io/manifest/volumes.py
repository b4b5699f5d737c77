"""The pod template's ``hostPath`` volumes and how its containers mount them.

rollsim reads ``spec.template.spec.volumes[].hostPath.path`` and, from the containers'
``volumeMounts`` (init containers too), whether each is mounted read-only by every container
that mounts it: the host files an old pod and a surge pod on one node share
(``rollsim.spec.volumes``). A hostPath volume no container mounts shares nothing and is left out.
"""

from __future__ import annotations

from typing import Any

from rollsim.io.manifest.validation import as_list, as_map, as_text
from rollsim.spec.volumes import HostPath

__all__ = ["host_paths"]


def _mounts(pod: dict[str, Any]) -> dict[str, list[bool]]:
    """Volume name -> the ``readOnly`` of each mount of it, over the containers and init containers."""
    out: dict[str, list[bool]] = {}
    for kind in ("initContainers", "containers"):
        for c in as_list(pod.get(kind)):
            for mount in as_list(as_map(c).get("volumeMounts")):
                mount = as_map(mount)
                out.setdefault(as_text(mount.get("name")), []).append(bool(mount.get("readOnly")))
    return out


def host_paths(pod: dict[str, Any]) -> tuple[HostPath, ...]:
    """The template's mounted hostPath volumes, in the order ``volumes`` lists them: each path, and
    read-only only where every mount of it is. One without a path (a misspelt ``path``, which the
    unknown-field check warns of) names no host file and is left out, as an unmounted one is.
    """
    mounts, out = _mounts(pod), []
    for volume in map(as_map, as_list(pod.get("volumes"))):
        path = as_text(as_map(volume.get("hostPath")).get("path"))
        read_only = mounts.get(as_text(volume.get("name")))
        if path and read_only:
            out.append(HostPath(path, all(read_only)))
    return tuple(out)
