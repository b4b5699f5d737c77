"""Named random streams derived from one root seed.

Every source of randomness in a run draws from its own ``numpy.random.Generator``,
derived from the root seed and a stable name with ``SeedSequence``. Python's salted
``hash()`` is never used, so the same seed gives the same numbers in every process,
whatever the worker count or run order.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["Streams", "root_seed", "stream_key"]


def stream_key(name: str) -> tuple[int, ...]:
    """A stable spawn key for ``name``: its CRC-32 and length, then its UTF-8 bytes."""
    data = name.encode("utf-8")
    return (zlib.crc32(data), len(data), *data)


def root_seed(seed: object) -> int:
    """``seed`` as the root seed: a whole, non-negative number (``3`` or ``3.0``), else ``ValueError``."""
    whole = (not isinstance(seed, bool) and isinstance(seed, (int, np.integer, float))
             and float(seed).is_integer())
    if not whole or float(seed) < 0:  # type: ignore[arg-type]  # a number, just checked
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)  # type: ignore[call-overload]


class Streams:
    """Named, independent generators from one root seed.

    >>> s = Streams(7)
    >>> float(s["pull"].random()) == float(Streams(7)["pull"].random())
    True
    """

    __slots__ = ("seed", "prefix", "_cache")

    def __init__(self, seed: int, prefix: str = "") -> None:
        self.seed = root_seed(seed)
        self.prefix = prefix
        self._cache: dict[str, np.random.Generator] = {}

    def child(self, name: str) -> Streams:
        """Streams of the same seed whose names all start with ``name/`` (one per DaemonSet)."""
        return Streams(self.seed, f"{self.prefix}{name}/")

    def __getitem__(self, name: str) -> np.random.Generator:
        gen = self._cache.get(name)
        if gen is None:
            seq = np.random.SeedSequence(self.seed, spawn_key=stream_key(self.prefix + name))
            gen = self._cache[name] = np.random.Generator(np.random.PCG64(seq))
        return gen
