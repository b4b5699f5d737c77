"""The axes every figure shares: a new Axes when none is given, logarithmic time axes and
their limits, the legend under the plot, SLO lines and notes in place of data.

Used by the experiment figures (``rollsim.present.plots``) and the plan's
(``rollsim.present.plan_plots``); nothing here touches pyplot state or picks a backend.
"""

from __future__ import annotations

import sys
import textwrap
import warnings
from collections.abc import Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, Locator, NullFormatter
from matplotlib.transforms import offset_copy

from rollsim.present.plotmath import log_time_ticks, short_duration

__all__ = [
    "legend_below",
    "legend_note",
    "log_time_axis",
    "new_axes",
    "note",
    "room_for_legend",
    "slo_line",
    "time_limits",
    "wrap",
]


class _TimeTicks(Locator):
    """Ticks of a logarithmic time axis in seconds, at 1 s · 10 s · 1 min · … (``log_time_ticks``);
    with ``zero_below`` (a symlog axis) also 0, and none between 0 and ``zero_below``.
    """

    def __init__(self, minor: bool = False, zero_below: float | None = None) -> None:
        self.minor = minor
        self.zero_below = zero_below

    def __call__(self) -> list[float]:
        return self.tick_values(*self.axis.get_view_interval())  # type: ignore[union-attr]  # matplotlib sets axis before calling

    def tick_values(self, vmin: float, vmax: float) -> list[float]:
        low = 1e-3 if self.zero_below is None else self.zero_below
        major, minor = log_time_ticks(max(vmin, low), max(vmax, low))
        if self.minor:
            return minor
        return major if self.zero_below is None else [0.0, *major]


def log_time_axis(ax: Axes, which: str, zero_below: float | None = None) -> None:
    """Make the ``x`` or ``y`` axis a logarithmic time axis in seconds, labelled 30 s, 5 min, 1 h.

    With ``zero_below`` the axis is symmetric-logarithmic (``symlog``): linear from 0 to
    ``zero_below`` seconds, so that zeros (a node that was never down) are drawn, at the tick 0.
    """
    if zero_below is None:
        getattr(ax, f"set_{which}scale")("log")
    else:
        getattr(ax, f"set_{which}scale")("symlog", linthresh=zero_below, linscale=0.5)
    axis = getattr(ax, f"{which}axis")
    axis.set_major_locator(_TimeTicks(zero_below=zero_below))
    axis.set_minor_locator(_TimeTicks(minor=True, zero_below=zero_below))
    axis.set_major_formatter(FuncFormatter(lambda v, _: "0" if v == 0 else short_duration(v)))
    axis.set_minor_formatter(NullFormatter())


def time_limits(ax: Axes, which: str, log: bool, low: float, high: float, room: float = 1.1) -> None:
    """Fit a time axis to data from ``low`` to ``high``: from zero on a linear axis, with a
    margin of a factor 1.6 each way on a logarithmic one (``log_time_axis``).
    """
    set_lim = getattr(ax, f"set_{which}lim")
    current = getattr(ax, f"get_{which}lim")()
    if log:
        log_time_axis(ax, which)
        set_lim(low / 1.6, high * 1.6)
    else:
        set_lim(0, max(current[1], high * room))


def new_axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """``ax``, or a new figure's: a pyplot figure when the caller uses pyplot (a notebook
    then shows it under the cell), else a bare ``Figure`` that touches no global state.
    """
    if ax is not None:
        return ax
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        return pyplot.figure(figsize=size, layout="constrained").add_subplot()
    return Figure(figsize=size, layout="constrained").add_subplot()


def note(ax: Axes, text: str) -> Axes:
    """``text`` in the middle of an empty Axes, in place of data that is not there."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def wrap(text: str, width: int) -> str:
    """Long labels over several lines, so that tick labels and legends fit the figure; a name is
    never split at its hyphens (``node-exporter``, ``kube-system/ds-1``), nor a number from the
    words it goes with (``maxUnavailable 10%``, ``3 nodes``: ``_glued``).
    """
    lines = textwrap.wrap(_glued(text), width, break_long_words=False, break_on_hyphens=False)
    return "\n".join(line.replace("\0", " ") for line in lines) or text


def _glued(text: str) -> str:
    """``text`` with the space between a number and the word before it (``maxUnavailable 1``), or
    after it where it begins a part (``, 3 nodes``), held by NUL, which ``wrap`` does not break at
    and writes back as a space.
    """
    words = text.split(" ")
    out = words[:1]
    for i, (prev, word) in enumerate(zip(words, words[1:])):
        begins = prev[:1].isdigit() and (i == 0 or words[i - 1].endswith(","))
        if not prev.endswith(",") and (word[:1].isdigit() or begins):
            out[-1] += "\0" + word
        else:
            out.append(word)
    return " ".join(out)


def legend_below(ax: Axes, title: str | None = None, extra: Sequence[Line2D] = ()) -> None:
    """A legend under the plot (below the x label), so that it never covers data.

    ``extra`` are proxy entries that are not drawn on the axes: notes such as an SLO limit
    beyond the plotted range, or configurations that could not be placed.
    """
    handles, labels = ax.get_legend_handles_labels()
    handles, labels = handles + list(extra), [wrap(t, 55) for t in labels + [h.get_label() for h in extra]]
    if handles:
        wide = max(len(line) for t in labels for line in t.split("\n")) > 45
        # anchored a fixed distance under the axes (below the tick labels and the x label), not a
        # share of the axes' height, which would put it on the x label in a short axes
        below = offset_copy(ax.transAxes, fig=ax.figure.figure, y=-36, units="points")
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=below,
                  ncols=2 if len(handles) > 3 and not wide else 1, fontsize="small", title=title,
                  title_fontsize="small", frameon=False)


def legend_note(text: str, **style: Any) -> Line2D:
    """A legend entry for something not drawn (style gives it a line, else it is text only)."""
    return Line2D([], [], **({"color": "black", **style} if style else {"linestyle": "none"}), label=text)


def room_for_legend(ax: Axes, size: tuple[float, float]) -> None:
    """Make the figure taller by its legend's height, so that a long legend under the plot does
    not squash the plot itself (at most doubling the height).
    """
    legend = ax.get_legend()
    if legend is None:
        return
    fig = ax.figure.figure
    with warnings.catch_warnings():  # a long legend can leave the axes no room at the first size: the figure
        warnings.filterwarnings("ignore", "constrained_layout not applied")  # grows for it, and is drawn again
        fig.draw_without_rendering()
    height = legend.get_window_extent().height / fig.dpi
    fig.set_size_inches(size[0], size[1] + min(height, size[1]))


def slo_line(ax: Axes, value: float, data_top: float, label: str, vertical: bool = False,
             style: str = "--") -> list[Line2D]:
    """Draw an SLO limit, unless it lies far beyond the data: then only the legend mentions it
    (drawing it would squash the data into a corner).
    """
    if value <= 2.0 * data_top or data_top <= 0:
        (ax.axvline if vertical else ax.axhline)(value, color="black", linestyle=style, linewidth=1.2, label=label)
        return []
    return [legend_note(f"{label} (beyond the plotted range)", linestyle=style)]
