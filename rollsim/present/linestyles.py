"""Several lines on one axes, none hiding another: a dash pattern per line and widths that
narrow in the order the lines are drawn, so that lines with the same values all show; and a
tick locator that stops at a top (the nodes desired, or 100%). Used by the availability figure
(``rollsim.present.timeline_plots``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.ticker import MaxNLocator

__all__ = ["LINE_STYLES", "NARROWEST", "WIDEST", "NoTickAbove", "line_style", "line_widths"]

# one dash pattern per configuration (cycled), so that a line drawn over another with the same
# levels lets the one under it show through its gaps (in points, whatever the line's width)
LINE_STYLES: tuple[Any, ...] = ("solid", (0, (6, 3)), (0, (8, 3, 2, 3)), (0, (2.5, 2.5)),
                                (0, (5, 2, 1.5, 2, 1.5, 2)), (0, (10, 5)), (0, (1.5, 2.5)), (0, (4, 2, 1, 2)))
WIDEST, NARROWEST = 3.4, 1.6  # points: the first configuration's median line, and the last's


def line_widths(n: int) -> list[float]:
    """The median lines' widths in the order they are drawn: the first widest, so that a line
    drawn later over one with the same levels leaves it showing on both sides.
    """
    return [WIDEST - (WIDEST - NARROWEST) * i / max(n - 1, 1) for i in range(n)] if n > 1 else [NARROWEST]


def line_style(i: int, width: float) -> Any:
    """The ``i``-th configuration's ``LINE_STYLES``, its dashes as long in points at any ``width``
    (matplotlib scales dashes by the line's width: the widest lines' would be too long to tell in a legend).
    """
    style = LINE_STYLES[i % len(LINE_STYLES)]
    return style if isinstance(style, str) else (style[0], tuple(v / width for v in style[1]))


class NoTickAbove(MaxNLocator):
    """``MaxNLocator``, without the ticks above ``top`` (the nodes desired, or 100%): the axis's
    margin above the data otherwise gets a tick at 201 of 200 desired.
    """

    def __init__(self, top: float, integer: bool) -> None:
        # as matplotlib's default locator on a share, whole numbers only on a count of nodes
        super().__init__(integer=True) if integer else super().__init__(nbins="auto", steps=[1, 2, 2.5, 5, 10])
        self.top = top

    def tick_values(self, vmin: float, vmax: float) -> Any:
        """``MaxNLocator``'s ticks from ``vmin`` to ``vmax``, up to ``top``."""
        ticks = np.asarray(super().tick_values(vmin, vmax), dtype=float)
        return ticks[ticks <= self.top + 1e-9]
