"""Figures of an experiment, drawn from its saved results folder alone (``load_results``).

Each ``plot_*`` takes a ``Results`` (or just the DataFrame it draws, or a ``RunResult``:
``rollsim.present.plotdata.as_results``) and an optional Axes, draws on it and returns it; none
calls ``show()`` or touches pyplot state, and the module picks no backend (the CLI picks
Agg), so they work headless and inside notebooks alike. ``save_figures`` writes the PNGs.

This module is the registry of the figures (``FIGURES``) and what draws and saves them; the
figures themselves are drawn in ``rollsim.present.timeline_plots`` (from the per-run tables),
``rollsim.present.summary_plots`` and ``rollsim.present.tradeoff_plot`` (from the summary).
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from matplotlib.figure import Figure

from rollsim.present.output import png_bytes, write_pngs
from rollsim.present.plotaxes import room_for_legend
from rollsim.present.plotdata import never_completed
from rollsim.present.plotmath import bin_minimum, pareto_front, sweep_axis, time_unit
from rollsim.present.study import on_no_node, without_idle
from rollsim.present.summary_plots import DURATION_SIZE, duration_size, plot_duration
from rollsim.present.timeline_plots import (
    AVAILABILITY_SIZE,
    DOWNTIME_SIZE,
    availability_not_drawn,
    plot_availability,
    plot_downtime,
)
from rollsim.present.tradeoff_plot import TRADEOFF_SIZE, plot_tradeoff
from rollsim.sweep.results import Results

# the plot_* functions and pareto_front, bin_minimum, sweep_axis and time_unit (rollsim.present.plotmath)
# are re-exported: users import them from here
__all__ = [
    "FIGURES",
    "bin_minimum",
    "draw_figure",
    "nothing_to_draw",
    "empty_figures",
    "pareto_front",
    "plot_availability",
    "plot_downtime",
    "plot_duration",
    "plot_tradeoff",
    "render_figures",
    "save_figures",
    "without_idle",
    "sweep_axis",
    "time_unit",
]

# name -> (figure size in inches, the parquet table it needs or None)
FIGURES = {
    "availability": (AVAILABILITY_SIZE, "timelines"),
    "duration": (DURATION_SIZE, None),
    "tradeoff": (TRADEOFF_SIZE, None),
    "downtime": (DOWNTIME_SIZE, "downtime"),
}
# the figures whose size follows what they draw (one row per configuration), else FIGURES' size
SIZED = {"duration": duration_size}
PLOTS = {"availability": plot_availability, "duration": plot_duration, "tradeoff": plot_tradeoff,
         "downtime": plot_downtime}
# name -> why the figure has nothing to draw ("" when it has), for the figures that can be left empty
EMPTY = {"availability": availability_not_drawn}


def nothing_to_draw(results: Results) -> dict[str, str]:
    """The figures ``results`` leaves with nothing to draw, each with why (``EMPTY``'s checks, and
    ``empty_figures``): they are not written (a figure of empty axes would be captioned as if it
    showed something).
    """
    return {**{name: why for name, check in EMPTY.items() if (why := check(results))}, **empty_figures(results)}


def draw_figure(results: Results, name: str) -> Figure:
    """Figure ``name`` of ``FIGURES`` as ``render_figures`` saves it (taller for a long legend);
    every figure without the configurations whose DaemonSet ran on no node (``without_idle``: a
    rollout with nothing to do would rank fastest, and its availability is a level of no node;
    the report's findings name them once, the captions say they are left out).
    """
    shown = without_idle(results)
    size = SIZED[name](shown) if name in SIZED else FIGURES[name][0]
    ax = PLOTS[name](shown, Figure(figsize=size, layout="constrained").add_subplot())
    room_for_legend(ax, size)
    return ax.figure.figure


# the figures that rank rollouts: with no run completed they would be axes with nothing on them
_EMPTY_WITHOUT_COMPLETION = ("duration", "tradeoff", "downtime")


def empty_figures(results: Results) -> dict[str, str]:
    """The figures that would show nothing, each with why: when no configuration completed a run,
    there is no duration, and what a run lost until it stopped is no rollout's cost (the duration,
    speed-against-disruption and downtime figures leave such configurations out); when the
    DaemonSet ran on no node in every configuration (``on_no_node``), no rollout had anything to
    do. The report says so in one line in their place.
    """
    configs = {int(c) for c in results.summary["config"]} if "config" in results.summary else set()
    if configs and configs <= {int(c) for c in on_no_node(results)}:
        return dict.fromkeys(_EMPTY_WITHOUT_COMPLETION, "the DaemonSet ran on no node in any configuration: no "
                             "rollout had anything to do (the recommendation says why)")
    shown = without_idle(results)  # (those on no node completed, at once: as the figures, not counted)
    configs = {int(c) for c in shown.summary["config"]} if "config" in shown.summary else set()
    if not configs or not configs <= set(never_completed(shown)):
        return {}
    which = "no configuration" + (" that ran on some node" if shown is not results else "")
    why = f"{which} completed a run (the results table and \"Why runs stopped\" say how each stopped)"
    return dict.fromkeys(_EMPTY_WITHOUT_COMPLETION, why)


def render_figures(results: Results) -> dict[str, bytes]:
    """PNG bytes of every figure the results can support (a figure whose parquet file is absent, or
    with nothing to draw, ``nothing_to_draw``, is skipped).
    """
    out, empty = {}, nothing_to_draw(results)
    for name, (_size, needs) in FIGURES.items():
        if (needs is not None and getattr(results, needs) is None) or name in empty:
            continue
        ax = draw_figure(results, name).axes[0]
        out[name] = png_bytes(cast(Figure, ax.figure))  # draw_figure makes a Figure, no SubFigure
    return out


def save_figures(results: Results, out_dir: str | Path | None = None) -> list[Path]:
    """Write ``figures/<name>.png`` under ``out_dir`` (default: the results folder), atomically; a
    figure with nothing to draw is removed, lest an older drawing of it stay beside the others.
    """
    folder = Path(out_dir if out_dir is not None else results.path) / "figures"
    for name in nothing_to_draw(results):
        (folder / f"{name}.png").unlink(missing_ok=True)
    return write_pngs(folder, render_figures(results))
