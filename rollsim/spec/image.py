"""The new image: its size, which nodes already have it, the pull policy, and units.

With a ``size``, a pull is a transfer through ``rollsim.cluster.registry``: its time follows from
the bytes and the bandwidth it gets while other nodes pull (the ``pull`` distribution is
then not used). Without one, pulls take the ``pull`` distribution's
time, after the registry's pull-rate token and latency when those are given; the bandwidths
then have nothing to divide (``rollsim.spec.options.ignored_options`` warns).

A node has the image cached with probability ``cached`` (pre-pulled, or left from an
earlier rollout), with or without a size; every node there at time 0 has the old template's
image (it ran it), which pods of revision 0 (after a rollback) use. The kubelet's
``imagePullPolicy``, as ``EnsureImageExists`` and ``shouldPullImage`` (pkg/kubelet/images/
image_manager.go) apply it: ``IfNotPresent`` skips the pull of a present image entirely (the
registry is not asked, so an image that cannot be pulled still starts); ``Always`` still asks
the registry (a manifest check: a pull-rate token and the registry latency, but no bytes and no
``pull`` time).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rollsim.spec.duration import DURATION_UNITS as _DURATION_UNITS
from rollsim.spec.duration import go_duration_seconds
from rollsim.spec.quantity import go_reads_as_float

__all__ = ["ImageSpec", "LinkConflict", "UnitError", "node_link", "parse_size", "parse_rate", "parse_pull_rate",
           "format_bytes", "IF_NOT_PRESENT", "ALWAYS"]

IF_NOT_PRESENT = "IfNotPresent"
ALWAYS = "Always"
# case matters, as in Kubernetes quantities and network rates: B is a byte, b a bit (1Gb/s, a link's
# speed, is 125MB/s), m is milli (audit 34: 1Gb/s, read as 1GB/s, pulled 8× too fast, without a word)
_UNITS = {
    "": 1, "B": 1, "k": 1e3, "K": 1e3, "kB": 1e3, "KB": 1e3, "M": 1e6, "MB": 1e6, "G": 1e9, "GB": 1e9,
    "T": 1e12, "TB": 1e12, "Ki": 2**10, "KiB": 2**10, "Mi": 2**20, "MiB": 2**20, "Gi": 2**30, "GiB": 2**30,
    "Ti": 2**40, "TiB": 2**40,
}
_BITS = {"b": 1, "kb": 1e3, "Kb": 1e3, "Mb": 1e6, "Gb": 1e9, "Tb": 1e12}


class UnitError(ValueError):
    """A size's unit that reads as something else than bytes (bits, milli) or in the wrong case: its
    message says what to write, and a rate's reader passes it on as it is.
    """


def _unit_error(text: object, value: float, unit: str, per: str) -> UnitError:
    """Why ``unit`` is refused, with what to write instead (``per``: ``/s`` for a rate)."""
    if unit in _BITS:
        return UnitError(f"{unit}{per} is bits and rollsim reads bytes: write "
                         f"{format_bytes(value * _BITS[unit] / 8)}{per} for {text!r} (8 bits a byte)")
    if unit == "m":
        return UnitError(f"m is milli in Kubernetes quantities: write M or MB for megabytes, got {text!r}")
    right = next((u for u in _UNITS if u.lower() == unit.lower()), None)
    if right is None:
        return UnitError(f"must be a {'rate such as 100MB/s or 1GB/s' if per else 'size such as 300MB, 1.2GB or 500Mi'}"
                         f", got {text!r}")
    return UnitError(f"units are case-sensitive: write {right}{per}"
                     + (" (B a byte, b a bit)" if right.endswith("B") else "") + f", got {text!r}")


def format_bytes(size: float) -> str:
    """A size in the largest decimal unit it reaches: ``125MB``, ``1.5GB``, ``512B``."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:g}{unit}"
    return f"{size:g}B"
_SIZE = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*")


def parse_size(text: str | float) -> float:
    """Bytes from ``300MB``, ``1.2GB``, ``500Mi``, ``2GiB`` or a plain number (decimal and binary units)."""
    return _size(text, text, "")


def _size(text: str | float, shown: object, per: str) -> float:
    """``parse_size`` of ``text``, its errors naming ``shown`` (what the user wrote) and, for a rate, ``per``."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value, unit = float(text), ""
    else:
        m = _SIZE.fullmatch(str(text))
        if not m:
            raise ValueError(f"must be a size such as 300MB, 1.2GB or 500Mi, got {text!r}")
        value, unit = float(m.group(1)), m.group(2)
        if unit not in _UNITS:
            raise _unit_error(shown, value, unit, per)
    if value < 0:
        raise ValueError(f"must not be negative, got {text!r}")
    size = value * _UNITS[unit]
    if not math.isfinite(size):  # NaN, infinity, or 1e400 bytes: no image is that big
        raise ValueError(f"must be a finite size such as 300MB, got {text!r}")
    return size


UNLIMITED = "unlimited"  # a bandwidth's default, which a grid may list beside rates (audit 41)


def parse_rate(text: str | float) -> float | None:
    """Bytes per second from ``100MB/s``, ``1GB/s`` or a plain number of bytes per second; None
    (no limit, the default) from ``unlimited``.
    """
    if isinstance(text, str) and text.strip().lower() == UNLIMITED:
        return None
    body = str(text).strip()
    if body.endswith("/s"):
        body = body[:-2]
    try:
        rate = _size(body if isinstance(text, str) else text, text, "/s")
    except UnitError:
        raise
    except ValueError:
        raise ValueError(f"must be a rate such as 100MB/s or 1GB/s, got {text!r}") from None
    if rate <= 0:
        raise ValueError(f"must be positive, got {text!r}")
    return rate


def parse_pull_rate(text: str | float) -> float:
    """Pulls per second from ``10/s``, ``30/m``, ``100/6h``, ``5/1m30s`` or a plain number (per second).

    After the ``/`` comes a unit alone (``s``, ``m``, ``h``: one of it) or a duration as Go's
    ``time.ParseDuration`` reads it (``rollsim.spec.duration``), so a limit written as a count per
    window, as registries publish theirs (Docker Hub: 100 pulls per 6 hours), is ``100/6h``, with
    ``--registry-pull-burst 100`` beside it: the bucket's default burst, max(1, rate), is 1 there
    (``--registry-pull-window 100/6h``, ``rollsim.spec.registry.parse_pull_window``, is the window itself).
    ``--scheduler-throughput`` reads its rate (pods bound) by this rule too.
    """
    body, slash, per = str(text).strip().partition("/")
    try:
        if not go_reads_as_float(body):
            raise ValueError
        count = float(body)
        seconds = go_duration_seconds(f"1{per}" if per in _DURATION_UNITS else per) if slash else 1.0
        if seconds is None or seconds <= 0:  # a window of time: Go reads a sign, a rate has none
            raise ValueError
    except ValueError:
        raise ValueError(f"must be a rate such as 10/s, 30/m or 100/6h, got {text!r}") from None
    rate = count / seconds
    if not rate > 0 or rate == float("inf"):
        raise ValueError(f"must be positive, got {text!r}")
    return rate


@dataclass(frozen=True, slots=True)
class ImageSpec:
    """The new image as the nodes pull it."""

    size_bytes: float | None = None
    cached: float = 0.0
    pull_policy: str = IF_NOT_PRESENT
    node_bandwidth: float | None = None

    def __post_init__(self) -> None:
        if self.size_bytes is not None and self.size_bytes < 0:
            raise ValueError(f"image size must not be negative, got {self.size_bytes}")
        if not 0.0 <= self.cached <= 1.0:
            raise ValueError(f"the cached fraction must be between 0 and 1, got {self.cached}")
        if self.pull_policy not in (IF_NOT_PRESENT, ALWAYS):
            raise ValueError(f"imagePullPolicy must be IfNotPresent or Always, got {self.pull_policy!r}")
        if self.node_bandwidth is not None and not self.node_bandwidth > 0:
            raise ValueError(f"node bandwidth must be positive, got {self.node_bandwidth}")

    @property
    def modelled(self) -> bool:
        """Whether pulls go through the registry model (a size is given)."""
        return self.size_bytes is not None


class LinkConflict(ValueError):
    """Two DaemonSets' images give a node two download bandwidths (``node_link``): DaemonSet
    ``daemonset`` (its namespace/name) gives ``value``, where ``first``, the one that gave the
    link first, gives ``link`` (bytes/s).
    """

    def __init__(self, daemonset: str, value: float, first: str, link: float) -> None:
        self.daemonset, self.value, self.first, self.link = daemonset, value, first, link
        super().__init__(f"node_bandwidth is each node's one link, shared by every DaemonSet's pulls there: "
                         f"{daemonset}'s {value / 1e6:g}MB/s differs from {first}'s {link / 1e6:g}MB/s")


def node_link(given: Sequence[tuple[str, float | None]]) -> float | None:
    """Each node's download bandwidth (bytes/s, None: unlimited) from the ``node_bandwidth`` each
    DaemonSet's image gives (``(namespace/name, bandwidth)`` pairs, the study's first, then each
    ``also`` item's; None: not given). It is the node's link, which every DaemonSet's pulls on the
    node share (one at a time: ``serializeImagePulls: true``), so one value for the whole cluster:
    the study's, which an item may repeat or give where the study does not. The first value that
    differs from the first one given is a ``LinkConflict``.
    """
    known = [(key, b) for key, b in given if b is not None]
    for key, b in known[1:]:
        if b != known[0][1]:
            raise LinkConflict(key, b, *known[0])
    return known[0][1] if known else None
