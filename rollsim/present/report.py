"""The report of an experiment: ``report.md`` and a self-contained ``report.html``.

Built from the saved results folder alone. This module puts together what the report says,
as a small list of blocks (headings, paragraphs, tables, lists, figures: see
``rollsim.present.render``), and ``write_report`` renders that list twice, so that both files
say the same thing. The sections are written by ``rollsim.present.report_verdict`` (the
recommendation and the findings), ``rollsim.present.report_tables`` (the results tables) and
``rollsim.present.report_setup`` (what was simulated, the assumptions, the run's facts); how
values and blocks are written out, and the escaping of user text, live in ``rollsim.present.render``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from rollsim.present.durations import clipped_note, slo_statistic, statistic_name
from rollsim.present.output import write_pngs, write_report_files
from rollsim.present.plotdata import half_filled, never_completed, others_failed, stops
from rollsim.present.plots import FIGURES, nothing_to_draw, save_figures
from rollsim.present.render import (
    format_duration,
    format_number,
    format_percent,
    md_cell,
    md_text,
    paragraphs,
    render_html,
    render_markdown,
)
from rollsim.present.report_setup import assumptions, run_facts, simulated_section
from rollsim.present.report_tables import daemonsets_section, desired_note, partial_note, results_table, stops_section
from rollsim.present.report_verdict import (
    findings_section,
    recommendation_for,
    recommendation_section,
    recommendations_for,
)
from rollsim.present.study import config_scenarios, pareto_fronts, same_and_varying, slo_specs, without_idle
from rollsim.present.timeline_plots import in_percent
from rollsim.present.tradeoff_plot import at_once
from rollsim.sweep.results import Results

# format_*, md_* and render_* (rollsim.present.render) and recommendation_for(s)
# (rollsim.present.report_verdict) are re-exported: they used to live here
__all__ = [
    "format_duration",
    "format_number",
    "format_percent",
    "md_cell",
    "md_text",
    "recommendation_for",
    "recommendations_for",
    "render_html",
    "render_markdown",
    "report_blocks",
    "undrawable",
    "write_report",
]

LOG_NOTE = "Time axes turn logarithmic when the rollouts' durations differ more than tenfold."
CAPTIONS = {
    "availability": ("Available nodes over time",
                     ("Nodes with an available daemon pod, lowest level in each time bin: the line is the median "
                      "over replications, the band p5–p95. Each configuration has its own dash pattern and the "
                      "lines drawn first are wider, so that lines with the same levels show through one another; "
                      "each legend entry gives the configuration's lowest level in any replication. " + LOG_NOTE)),
    "duration": ("Rollout duration", ("Mean duration with its 95% confidence interval, by configuration or against "
                                      "the swept parameter (one the grid sets, or the only one the "
                                      "configurations differ in). " + LOG_NOTE)),
    "tradeoff": ("Speed against disruption",
                 ("Each point is a configuration: mean unavailable node-time against mean duration, as the results "
                  "table gives them. {front} " + LOG_NOTE)),
    "downtime": ("Per-node downtime", ("How long each node went without an available daemon pod, as an empirical "
                                      "CDF over all nodes of the replications that completed (as the results table "
                                      "gives it): further left is better. A line "
                                      "hidden under another has the same distribution. When a few nodes were down "
                                      "far longer than most, the time axis is logarithmic (nodes never down at 0).")),
}


FLOOR_NOTE = (" The dashed line is the SLO's availability floor. A configuration whose lowest level in some "
              "replication is under it says so in its legend entry, and ▼ marks where it is under the "
              "floor by too little to be told from the floor's line; whether it fails the SLO depends on the "
              "SLO's statistic over the replications (the Results table).")
PERCENT_FLOOR_NOTE = (" The SLO's floor in nodes (min_available) is not drawn: the axis is a share of the nodes "
                      "desired at each moment, which changed.")
# where another DaemonSet updated with the study's (also) did not complete every replication
OTHERS_NOTES = {
    "duration": (" A half-filled marker is a configuration whose DaemonSet completed every replication while another "
                 "DaemonSet updated with it did not (its label and the legend say which): the update did not "
                 "complete."),
    "tradeoff": (" A half-filled marker is a configuration whose DaemonSet completed every replication while another "
                 "DaemonSet updated with it did not (its label and the legend say which): the update did not "
                 "complete, and it is on no Pareto front."),
    "availability": " The legend says where another DaemonSet updated with this one did not complete.",
    "downtime": " The legend says where another DaemonSet updated with this one did not complete.",
}
# what the duration and tradeoff figures draw of configurations whose runs did not all complete
PARTIAL_NOTES = {
    "duration": (" Where not every run completed, a star is the mean of the runs that did (the table's *) and a "
                 "hollow marker when the others stopped (mean), both named in its label."),
    "never": (" A configuration none of whose runs completed has no duration and is placed at no time (its row, "
              "or the top edge of a line plot, says so)."),
    "tradeoff": (" A hollow marker did not complete every replication: it is at the mean duration of the runs that "
                 "did (the table's *)."),
}
# the duration figure's crosses, when the SLO judges another statistic than the mean
JUDGED_NOTE = (" The SLO judges the {stat}duration, not the mean: crosses mark it, and a mean under the SLO's line "
               "may still fail.")
# the tradeoff figure's labels, when they give each configuration's most nodes down at once (tradeoff_plot.at_once)
AT_ONCE_NOTE = (" Each label gives the most nodes without an available pod at once in the configuration's worst "
                "run (“maxUnavailable 25% · 251 at once”): the node-hours do not show it, since a rollout that "
                "deletes before it creates loses about the same node-hours one node at a time as a quarter of "
                "them at once.")
SLO_FAILED_NOTE = " A black cross marks a configuration that fails the SLO (the table's ✗), on the front or not."
# the configurations whose DaemonSet ran on no node are left out of every figure (study.without_idle);
# the findings' first line names them (report_verdict.idle_lines)
IDLE_NOTE = (" Not drawn: the configurations whose DaemonSet ran on no node, which had nothing to roll out (the "
             "findings name them).")
NEVER_NOTE = (" A configuration none of whose runs completed is not drawn (the legend names it): what it lost until "
              "it stopped is no rollout's cost, and one that never started would look the best.")
# what the tradeoff figure's rings are (rollsim.present.study.pareto_fronts), by the study's kind of front
FRONT_NOTES = {
    "one": ("Ringed points are the Pareto front (no other configuration is both faster and less disruptive; "
            "node-times within noise count as equal)."),
    "by-condition": ("Ringed points, joined within each condition the study varies, are that condition's Pareto "
                     "front (no other configuration under the same condition is both faster and less disruptive; "
                     "node-times within noise count as equal)."),
    "none": ("No point is ringed: no two configurations that completed every replication differ only in what the "
             "user chooses."),
}


def front_kind(results: Results) -> str:
    """``one``, ``by-condition`` or ``none``: what the speed-against-disruption figure rings."""
    fronts = pareto_fronts(results)
    return "none" if not fronts else "one" if list(fronts) == [""] else "by-condition"


def _figures(images: Sequence[str], kept: Collection[str] = (), floor: str = "", front: str = "one",
             never: bool = False, others: bool = False, half: bool = False, clipped: str = "",
             empty: Mapping[str, str] | None = None, notes: dict[str, list[str]] | None = None) -> list[tuple]:
    """Each figure of ``FIGURES`` with its caption, or a note saying why it was not drawn;
    ``kept`` names those shown as the sweep drew them, their table being absent; ``floor``:
    which availability floors of the SLO the availability figure draws (``floors``); ``front``: what the
    tradeoff figure rings (``front_kind``); ``never``: some configuration completed no run, which
    the tradeoff and downtime figures leave out; ``others``: in some configuration another
    DaemonSet updated with the study's (``also``) did not complete every replication, which the
    legends of the figures drawn again name; ``half``: the duration and tradeoff figures draw
    some configuration half-filled for it (``half_filled``); ``clipped``: the duration caption's
    sentence on an interval reaching below 0, as the figure draws it (``clipped_note``), or empty;
    ``empty``: the figures with nothing to draw, and why (``nothing_to_draw``): a line says so in their place;
    ``notes``: more sentences of a figure's caption (``figure_notes``).
    """
    blocks: list[tuple] = []
    notes = notes or {}
    for name, (_, needs) in FIGURES.items():
        title, caption = CAPTIONS[name]
        caption = caption.replace("{front}", FRONT_NOTES[front])
        if name == "duration" and clipped and name not in kept:
            caption += clipped
        if name == "availability" and floor:
            caption += FLOOR_NOTE if floor != "undrawn" else ""
            caption += PERCENT_FLOOR_NOTE if floor in ("undrawn", "both") else ""
        if name in ("tradeoff", "downtime") and never and name not in kept:
            caption += NEVER_NOTE
        caption += "".join(n for n in notes.get(name, ()) if name not in kept)
        if (half if name in ("duration", "tradeoff") else others) and name not in kept:
            caption += OTHERS_NOTES[name]
        if name in kept:
            caption += (f" (Drawn when the experiment ran: {needs}.parquet, the per-run data it is drawn from, is "
                        "not in this folder to draw it again.)")
        if name in (empty or {}):
            blocks += [("h", 3, title), ("note", f"Not drawn: {(empty or {})[name]}.")]
        elif name in images:
            blocks.append(("img", name, title, caption))
        else:
            why = f"{needs}.parquet is not in this results folder" if needs else "it could not be drawn"
            blocks += [("h", 3, title), ("note", f"Not drawn: {why}.")]
    return blocks


def figure_notes(results: Results) -> dict[str, list[str]]:
    """The duration and tradeoff captions' sentences on what their marks are, where the results need them:
    configurations whose runs did not all complete, the statistic the SLO judges, SLO failures (of
    the configurations drawn: ``without_idle``); and every caption's on the configurations whose
    DaemonSet ran on no node, not drawn (``IDLE_NOTE``: the findings name them, once).
    """
    out: dict[str, list[str]] = {name: [] for name in FIGURES}
    shown = without_idle(results)
    if shown is not results:  # (when every configuration ran on no node, nothing is drawn at all)
        for name in out:
            out[name].append(IDLE_NOTE)
    results = shown
    never = set(never_completed(results))
    if set(stops(results)) - never:
        out["duration"].append(PARTIAL_NOTES["duration"])
        out["tradeoff"].append(PARTIAL_NOTES["tradeoff"])
    if never:
        out["duration"].append(PARTIAL_NOTES["never"])
    limit, statistic, _ = slo_statistic(results)
    if limit is not None and statistic != "mean":
        out["duration"].append(JUDGED_NOTE.format(stat=statistic_name(statistic)))
    if at_once(results.summary) is not None:
        out["tradeoff"].append(AT_ONCE_NOTE)
    ok = results.summary.get("slo_ok")
    if slo_specs(results) and ok is not None and not ok.astype(str).str.lower().isin(("true", "1")).all():
        out["tradeoff"].append(SLO_FAILED_NOTE)
    return out


def floors(results: Results) -> str:
    """Which of the SLO's availability floors the availability figure draws: ``""`` none given,
    ``drawn`` all, ``undrawn`` none (a floor in nodes on an axis of shares: ``in_percent``),
    ``both`` the fraction's and not the count's.
    """
    metrics = {c["metric"] for c in slo_specs(results)} & {"min_available_fraction", "min_available"}
    shares = results.timelines is not None and not results.timelines.empty and in_percent(results.timelines)
    if not metrics:
        return ""
    if "min_available" not in metrics or not shares:
        return "drawn"
    return "both" if "min_available_fraction" in metrics else "undrawn"


def undrawable(results: Results) -> dict[str, str]:
    """The figures ``results`` cannot draw, each with the parquet table it lacks (a results folder
    checked out of git: per-run tables are not committed).
    """
    return {name: needs for name, (_, needs) in FIGURES.items()
            if needs is not None and getattr(results, needs) is None}


def report_blocks(results: Results, images: Sequence[str], kept: Collection[str] = ()) -> list[tuple]:
    """The report's content; ``images`` names the figures that exist (``figures/<name>.png``),
    ``kept`` those of them the sweep drew that could not be drawn again (``undrawable``).

    The order is the reader's: the verdict first (recommendation and SLO), then the table and
    the figures it rests on, then what was simulated and the assumptions, then run facts.
    """
    e = results.experiment
    scenarios = config_scenarios(results)
    _, varying = same_and_varying(scenarios)
    shown = without_idle(results)  # what the figures draw (captions describe it)
    blocks: list[tuple] = [("h", 1, f"rollsim report: {results.name}")]
    if e.get("description"):
        blocks += [("p", [("", text)]) for text in paragraphs(str(e["description"]))]
    blocks += [("h", 2, "Recommendation"), *recommendation_section(results),
               ("h", 2, "Findings"), *findings_section(results)]
    header, rows = results_table(results, varying)
    results_start = [header.index("completed")]  # the settings a configuration ran with, then its results
    blocks += [("h", 2, "Results"), ("table", header, rows, results_start), *partial_note(results),
               *desired_note(results), *stops_section(results), *daemonsets_section(results), ("h", 2, "Figures"),
               *_figures(images, kept, floors(shown), front_kind(results),
                        bool(never_completed(shown)), bool(others_failed(shown)), bool(half_filled(shown)),
                        clipped_note(shown), nothing_to_draw(results), figure_notes(results))]
    blocks += [("h", 2, "What was simulated"), *simulated_section(results, scenarios),
               ("h", 2, "Assumptions that matter most"), ("ul", assumptions(results, scenarios)),
               ("h", 2, "Run facts"), ("table", ["", ""], run_facts(results))]
    return blocks


def write_report(results: Results, out_dir: str | Path | None = None) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` (and the figures they show) under ``out_dir``.

    ``out_dir`` defaults to the results folder. Figures go to ``figures/`` beside the report
    (the Markdown links them there; the HTML embeds them). Every file is written atomically.
    A figure whose per-run table is not in the folder (``undrawable``) but which the sweep drew
    there is shown as it is, and its caption says so.
    """
    out = Path(out_dir if out_dir is not None else results.path)
    drawn = {p.stem: p.read_bytes() for p in save_figures(results, out)}
    empty = nothing_to_draw(results)  # an old drawing of one would be an empty box
    found = (Path(results.path) / "figures" / f"{name}.png" for name in undrawable(results) if name not in empty)
    kept = {p.stem: p.read_bytes() for p in found if p.is_file()}
    if out != Path(results.path):
        write_pngs(out / "figures", kept)  # beside the report that links them
    images = {name: (drawn.get(name) or kept[name]) for name in FIGURES if name in drawn or name in kept}
    return write_report_files(out, report_blocks(results, list(images), kept), images,
                              f"rollsim report: {results.name}")
