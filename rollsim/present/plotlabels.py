"""Labels beside points that stay inside the axes and clear of each other.

The placement is measured in display coordinates after a layout pass, so a figure must have
its final size and limits before these are called; the arithmetic of moving labels apart is
``rollsim.present.plotmath.spread_labels``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from matplotlib.axes import Axes

from rollsim.present.plotaxes import wrap
from rollsim.present.plotmath import Box, crosses, line_boxes, spread_labels

__all__ = ["keep_inside", "label_points", "label_side", "merge_coincident"]


def label_side(ax: Axes, x: float, y: float) -> tuple[str, int]:
    """Which side of a point its label goes (``ha`` and the x offset in points), so that it stays
    inside the axes: to the right of points in the left 60%, else to the left.
    """
    to_axes = ax.transData + ax.transAxes.inverted()
    return ("right", -8) if to_axes.transform((x, y))[0] > 0.6 else ("left", 8)


def keep_inside(ax: Axes, labels: Sequence[Any]) -> None:
    """Keep each point's label (an annotation at a data point, offset in points) inside the axes:
    on the other side of its point where it would cross the axes' edge, and where neither side
    has room, moved along until it fits (audit 41: a 60-character label half way across a narrow
    axes ran over the row labels whichever side it took). Measured after a layout pass, so the
    figure must have its final size and limits.
    """
    if not labels:
        return
    root = ax.figure.figure
    root.draw_without_rendering()
    box, per_point = ax.bbox, root.dpi / 72
    for a in labels:
        extent = a.get_window_extent()
        if box.x0 <= extent.x0 and extent.x1 <= box.x1:
            continue
        x, y = a.xyann
        at = ax.transData.transform(a.xy)[0]
        width, gap = extent.width, abs(x) * per_point
        flipped = {"left": at - gap - width, "right": at + gap, "center": extent.x0}[a.get_ha()]
        if box.x0 <= flipped and flipped + width <= box.x1 and a.get_ha() != "center":
            a.set_ha("right" if a.get_ha() == "left" else "left")
            a.xyann = (-x, y)
            continue
        left = min(max(extent.x0, box.x0), box.x1 - width)  # neither side has room: as near as fits
        a.set_ha("left")
        a.xyann = ((left - at) / per_point, y)


def merge_coincident(ax: Axes, xs: np.ndarray, ys: np.ndarray, texts: Sequence[str]
                     ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Points drawn on top of each other (within 4 pixels) get one label listing them all, one per
    line; a single label is wrapped to a narrow block.
    """
    if not len(xs):
        return xs, ys, list(texts)
    px = ax.transData.transform(np.column_stack([xs, ys]))
    groups: list[list[int]] = []
    for i, p in enumerate(px):
        for g in groups:
            if np.hypot(*(px[g[0]] - p)) <= 4:
                g.append(i)
                break
        else:
            groups.append([i])
    names = ["\n".join(texts[i] for i in g) if len(g) > 1 else wrap(texts[g[0]], 32) for g in groups]
    return xs[[g[0] for g in groups]], ys[[g[0] for g in groups]], names


def label_points(ax: Axes, xs: np.ndarray, ys: np.ndarray, texts: Sequence[str], alternate: bool = False,
                 lines: Sequence[tuple[np.ndarray, np.ndarray]] = ()) -> None:
    """Label each point beside it (leaning away from the right edge), nudged up or down where
    labels would overlap each other or a point; a label moved far gets a leader line. With
    ``alternate`` (many points), every other point from the bottom up is labelled on the other
    side, so that a column of points has half as many labels on each side to keep apart.
    ``lines`` (x and y data of lines drawn, a Pareto front's) are kept clear as the points are:
    a label that would hide one goes to its point's other side where that side is clear and in
    the axes, else a little up or down off it where it can (a label's white box hid a front's end).

    The overlaps are measured in display coordinates after a layout pass, so the figure must
    have its final size and limits before this is called.
    """
    style: dict[str, Any] = {"textcoords": "offset points", "fontsize": "small", "va": "center",
             "bbox": {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8}}
    sides = [-1 if label_side(ax, x, y)[1] < 0 else 1 for x, y in zip(xs, ys)]
    if alternate:  # only where the other side has room: not off the axes at its edge
        frac = (ax.transData + ax.transAxes.inverted()).transform(np.column_stack([xs, ys]))[:, 0]
        points = ax.bbox.width * 72 / ax.figure.figure.dpi  # the axes' width in points
        for rank, i in enumerate(np.argsort(np.asarray(ys, dtype=float), kind="stable")):
            wide = (12 + 5.5 * max(len(line) for line in str(texts[i]).split("\n"))) / points  # about, in axes
            room = frac[i] + wide < 1 if sides[i] < 0 else frac[i] - wide > 0  # on the side it would move to
            if rank % 2 and room:
                sides[i] *= -1
    first = [ax.annotate(t, (x, y), xytext=(9 * side, 0), ha="right" if side < 0 else "left", **style)
             for x, y, t, side in zip(xs, ys, texts, sides)]
    if not first:
        return
    root = ax.figure.figure  # the Figure itself, also for an Axes of a SubFigure
    root.draw_without_rendering()  # lay the figure out, so that extents are final
    scale = root.dpi / 72  # display pixels per point
    boxes = [cast(Box, tuple(a.get_window_extent().extents)) for a in first]
    at = ax.transData.transform(np.column_stack([xs, ys]))
    dots = [(px - 5 * scale, py - 5 * scale, px + 5 * scale, py + 5 * scale) for px, py in at]
    drawn = [box for lx, ly in lines for box in line_boxes(
        [(float(px), float(py)) for px, py in ax.transData.transform(np.column_stack([lx, ly]))], 3 * scale)]
    bounds = cast(Box, tuple(ax.bbox.extents))
    for i, (box, (px, _)) in enumerate(zip(boxes, at)):
        if drawn and crosses(box, drawn):
            flipped = _flip(box, px)
            others = [b for j, b in enumerate(boxes) if j != i]  # a flip into a point or a label costs more than it
            if bounds[0] <= flipped[0] and flipped[2] <= bounds[2] and not crosses(flipped, [*drawn, *dots, *others]):
                boxes[i], sides[i] = flipped, -sides[i]  # saves (audit 36: a flipped label stood in a leader's way)
    shifts = spread_labels(boxes, dots, bounds, gap=2 * scale, avoid=drawn)
    for a, x, y, t, side, dy in zip(first, xs, ys, texts, sides, shifts):
        a.remove()
        far = abs(dy) > 4 * scale
        ax.annotate(t, (x, y), xytext=(9 * side, dy / scale), ha="right" if side < 0 else "left",
                    # the leader starts at the label's end nearest its point, not at its middle (where it
                    # crossed its own text and lined up with a neighbour's leader)
                    arrowprops={"arrowstyle": "-", "color": "0.5", "linewidth": 0.6, "shrinkA": 0, "shrinkB": 5,
                                "relpos": (1.0, 0.5) if side < 0 else (0.0, 0.5)}
                    if far else None, **style)


def _flip(box: Box, px: float) -> Box:
    """A label's box mirrored about its point (at ``px``, display units) to the point's other side."""
    x0, y0, x1, y1 = box
    return (2 * px - x1, y0, 2 * px - x0, y1)
