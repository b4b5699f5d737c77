"""The kubelets' clocks against the controller's (``rollsim.spec.clockskew``): each node's offset.

Which nodes are skewed is drawn in node order from the stream ``clock_skew``, as far as the
highest node asked for, so that a node's offset does not depend on when it is first asked
(the nodes that join are drawn when they are first asked for, after those before them).
"""

from __future__ import annotations

import numpy as np

from rollsim.spec.clockskew import ClockSkew

__all__ = ["NodeClocks"]


class NodeClocks:
    """Each node's clock offset in seconds: ``skew.seconds`` on a ``skew.fraction`` of the nodes, else 0."""

    __slots__ = ("skew", "rng", "_offsets")

    def __init__(self, skew: ClockSkew, rng: np.random.Generator) -> None:
        self.skew, self.rng = skew, rng
        self._offsets: list[float] = []

    def offset(self, node: int) -> float:
        """How far ``node``'s clock runs ahead of the controller's (negative: behind)."""
        offsets = self._offsets
        if node >= len(offsets):
            seconds, fraction = float(self.skew.seconds), self.skew.fraction
            more = node + 1 - len(offsets)
            if fraction >= 1.0:
                offsets.extend([seconds] * more)
            else:
                offsets.extend(np.where(self.rng.random(more) < fraction, seconds, 0.0).tolist())
        return offsets[node]
