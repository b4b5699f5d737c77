"""The plan's figures and report say what the plan decided: the window on its bound, stalls as
stalls, readable time ticks, families told apart, plain Markdown, an unsettled setting's mean
set beside the answer's over the same seeds.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from rollsim.cli import main
from rollsim.plan.candidates import SURGE, UNAVAILABLE, Setting
from rollsim.plan.document import beside_answer
from rollsim.plan.evidence import Evidence
from rollsim.present.plan_captions import captions
from rollsim.present.plan_plots import plan_time_ticks, plot_pareto, plot_search
from rollsim.present.plan_report import plain_markdown
from rollsim.present.plan_rows import unfinished_reason
from rollsim.present.render import render_markdown

from figcheck import figure_problems

WINDOW = 1800.0


def _plan(answer: dict[str, Any] | None = None, horizon: float | None = 10800.0) -> dict[str, Any]:
    return {"search": {"replications": 5, "screen_replications": 2, "grid_size": 400, "horizon_s": horizon},
            "constraints": {"window_s": WINDOW, "min_available_fraction": 0.95, "surge_pods": 10,
                            "window_probability": 0.95, "confidence": 0.95},
            "answer": answer}


def _row(kind: str, count: int, mrs: float, p95: float, bound: float, availability: float = 1.0,
         stalled: int = 0, unfinished: int = 0, verdict: str = "") -> dict[str, Any]:
    mean = p95 * 0.7 if math.isfinite(p95) else math.inf
    return {"setting": f"{kind} {count}, minReadySeconds {mrs:g}", "kind": kind, "count": count,
            "min_ready_seconds": mrs, "replications": 5, "duration_mean_s": mean, "duration_p95_s": p95,
            "window_bound_s": bound, "worst_availability": availability, "extra_pods": count if kind == SURGE else 0,
            "runs_unfinished": unfinished, "runs_stalled": stalled, "verdict": verdict}


def _nothing_fits() -> pd.DataFrame:
    """The audit's plan (200 nodes, 30 min, 95%, 10 pods): maxSurge 10 has its p95 inside the
    window and its bound, which the verdict is made on, beyond it.
    """
    return pd.DataFrame([
        _row(SURGE, 10, 0.0, 1595.0, 1843.0, verdict="p95 bound 30m43s > window 30m00s"),
        _row(SURGE, 10, 10.0, 1825.0, 2534.0),
        _row("maxUnavailable", 10, 0.0, 1734.0, 1972.0, 0.95),
        _row("maxUnavailable", 13, 0.0, 1541.0, 1772.0, 0.935),
        _row("maxUnavailable", 11, 10.0, 1853.0, 2550.0, 0.945),
        _row("maxUnavailable", 58, 0.0, 1105.0, 1374.0, 0.71),
    ])


def _labels(ax) -> list[str]:
    return ax.get_legend_handles_labels()[1]


def _shown_ticks(axis) -> list[str]:
    low, high = sorted(axis.get_view_interval())
    return [t.label1.get_text() for t in axis.get_major_ticks()
            if t.label1.get_text() and low <= t.get_loc() <= high]


def test_the_pareto_figure_shows_the_window_bound_the_verdict_is_made_on():
    """maxSurge 10's p95 (26m35s) is inside the 30-min window; its bound (30m43s) is not, and the
    figure draws it: a whisker from the p95 out to the bound, marked as beyond the window.
    """
    left, right = plot_pareto(_plan(), _nothing_fits())
    for ax, y in ((left, 100.0), (right, 10.0)):
        segments = [s for c in ax.collections if isinstance(c, LineCollection) for s in c.get_segments()]
        assert any(np.allclose(s, [[1595.0, y], [1843.0, y]]) for s in segments)
        assert "bound beyond the window: ruled out" in _labels(ax)
    assert figure_problems(left.get_figure(root=True), "pareto") == []


def test_the_search_figure_does_not_hold_the_mean_against_the_window():
    search = plot_search(_plan(), _nothing_fits())
    flat_at_window = [line for line in search.lines
                      if len(line.get_ydata()) and np.allclose(np.asarray(line.get_ydata(), float), WINDOW)]
    assert flat_at_window == []  # no window line against mean durations
    [ring] = [line for line in search.lines if line.get_label().startswith("p95 bound over the window")]
    assert sorted(ring.get_xdata()) == [10, 10, 10]  # maxUnavailable 13 and 58's bounds fit; 11 broke the floor
    # audit 40: a setting that broke the floor is ringed for it, not as a window miss
    [floor] = [line for line in search.lines if line.get_label() == "below the floor 95%: ruled out"]
    assert sorted(floor.get_xdata()) == [11, 13, 58]
    assert figure_problems(search.get_figure(root=True), "search") == []


def test_the_screened_legend_entry_is_drawn_only_for_a_screened_point():
    """Audit 20: the search figure's legend always explained a hollow "screened" point, drawn or not."""
    confirmed = _nothing_fits()
    assert not any(label.startswith("screened") for label in _labels(plot_search(_plan(), confirmed)))
    screened = confirmed.assign(replications=[5, 5, 5, 2, 5, 5])
    assert "screened (2 replications)" in _labels(plot_search(_plan(), screened))


def test_the_caption_names_a_star_only_when_there_is_a_recommendation():
    c = _nothing_fits()
    nothing = captions(_plan(), c)
    assert "the star is the recommendation" not in nothing["pareto"][1] + nothing["search"][1]
    assert "window is judged on a bound, not on the p95 itself" in nothing["pareto"][1]
    answer = {"setting": "maxUnavailable 58", "count": 58, "duration_p95_s": 1105.0, "duration_mean_s": 773.5,
              "worst_availability": 0.71, "extra_pods": 0}
    chosen = captions(_plan(answer), c)
    assert "the star is the recommendation" in chosen["pareto"][1]
    assert "the star is the recommendation" in chosen["search"][1]


def test_a_setting_that_stalled_is_not_said_to_be_cut_at_the_horizon():
    """maxSurge 98-100% with minReadySeconds 10 stalled in 1 of 5 runs: no run reached the horizon."""
    rows = [_row(SURGE, n, 10.0, math.inf, math.inf, stalled=1, unfinished=1,
                 verdict="did not finish in 1 of 5 replications (stalled)") for n in (98, 99, 100)]
    rows += [_row(SURGE, 60, 0.0, 900.0, 1100.0),
             _row("maxUnavailable", 5, 0.0, math.inf, math.inf, unfinished=2,
                  verdict="did not finish in 2 of 5 replications (still running at the horizon)")]
    frame = pd.DataFrame(rows)
    for candidates in (frame, frame.drop(columns=["runs_stalled", "runs_unfinished"])):  # an older plan folder
        left, _right = plot_pareto(_plan(), candidates)
        search = plot_search(_plan(), candidates)
        for ax in (left, search):
            labels = _labels(ax)
            assert "stalled in 1 of 5 runs" in labels
            assert "did not finish by 3 h in 2 of 5 runs (runs cut there)" in labels
            assert not any(label.startswith("did not finish by 3 h in 1") for label in labels)
        assert figure_problems(search.get_figure(root=True), "search") == []
    assert unfinished_reason({"replications": 5, "runs_stalled": 1, "runs_unfinished": 2}, 3600.0) == (
        True, "stalled in 1 and did not finish by 1 h in 1 of 5 runs")
    assert unfinished_reason({"replications": 5, "runs_stalled": 0, "runs_unfinished": 1}, None) == (
        False, "did not finish in 1 of 5 runs")


def test_short_duration_axes_have_ticks_to_read_points_by():
    """Pareto x from ~18 to ~42 min, search y from ~13 to ~21 min: one "30 min" tick was all."""
    left, right = plot_pareto(_plan(), _nothing_fits())
    search = plot_search(_plan(), _nothing_fits())
    for ax in (left, right, search):
        ax.get_figure(root=True).draw_without_rendering()
    for axis in (left.xaxis, right.xaxis, search.yaxis):
        shown = _shown_ticks(axis)
        assert len(shown) >= 4 and len(set(shown)) == len(shown), shown
    assert [f"{t / 60:g}" for t in plan_time_ticks(700.0, 1900.0)[0]] == ["15", "20", "25", "30"]
    # labels a log scale would run together are left out, kept as unlabelled ticks
    major, minor = plan_time_ticks(740.0, 2780.0, gap=1.13)
    assert major == [900.0, 1200.0, 1500.0, 1800.0, 2100.0, 2400.0] and minor == [2700.0]


def test_families_of_one_kind_are_told_apart_by_marker_and_line():
    search = plot_search(_plan(), _nothing_fits())
    handles, labels = search.get_legend_handles_labels()
    style = {label: (h.get_marker(), h.get_linestyle(), h.get_color()) for h, label in zip(handles, labels)}
    for kind in (SURGE, "maxUnavailable"):
        zero, ten = style[f"{kind} (minReadySeconds 0)"], style[f"{kind} (minReadySeconds 10)"]
        assert zero[2] == ten[2] and zero[:2] != ten[:2]  # the colour is the kind; marker and line tell mrs
    left, _right = plot_pareto(_plan(), _nothing_fits())
    assert {f"{SURGE} (minReadySeconds 0)", f"{SURGE} (minReadySeconds 10)"} <= set(_labels(left))


def test_report_md_is_plain_markdown_and_only_the_html_escapes(tmp_path):
    md = plain_markdown(render_markdown([("table", ["verdict"], [["worst availability 94.5% < floor 95%"]]),
                                         ("p", [("", "<script>alert(1)</script> a <b")])]))
    assert "| worst availability 94.5% < floor 95% |" in md
    assert "&lt;script>alert(1)&lt;/script> a &lt;b" in md  # what could open a tag still cannot
    out = tmp_path / "plan"
    assert main(["plan", "--nodes", "20", "--controller", "ideal", "--floor", "95%", "--no-surge", "--replications",
                 "2", "--workers", "1", "-q", "--out", str(out)]) == 0
    report, page = (out / "report.md").read_text(), (out / "report.html").read_text()
    assert "< floor 95%" in report and "&lt;" not in report
    assert "&lt; floor 95%" in page


def _chosen(durations: list[float], count: int = 61) -> Evidence:
    return Evidence(Setting(SURGE, count, 0.0), tuple(
        {"completed": True, "duration_s": d, "stalled": False, "min_available_fraction": 1.0, "max_surge_observed": 0,
         "unavailable_node_seconds": 0.0} for d in durations))


def test_an_unsettled_mean_is_set_beside_the_answer_over_the_same_seeds():
    """maxSurge 60%: mean 8m51s over 20 seeds beside the recommended 61%'s 9m02s over 40 read as a
    contradiction: the line says the two do not compare, gives the answer's mean over those 20,
    and what decided.
    """
    chosen = _chosen([520.0] * 20 + [564.0] * 20)  # 9m02s over 40, 8m40s over the first 20
    text = beside_answer(_chosen([531.0] * 40, 60), 20, chosen)
    assert text.startswith("its mean is over 20 seeds, the recommended's 9m02s over 40, so the two do not compare; "
                           "over these 20 the recommended's is 8m40s; the recommended was shown within the tolerance")
    slower = beside_answer(_chosen([515.0] * 20, 60), 20, chosen)
    assert "8m40s (slower than this one's); the recommended was shown within the tolerance" in slower
    same = beside_answer(_chosen([531.0] * 40, 60), 40, chosen)
    assert same.startswith("over the same 40 seeds the recommended's mean is 9m02s (slower than this one's)")


def test_an_unsettled_setting_with_more_seeds_than_the_answer_is_compared_over_the_answers():
    """The audit's plan (30 nodes, 30 min): maxSurge 87% ran 20 seeds (mean 3m56s), the answer 91%
    only 10 (4m34s); the line said "over the same 20 seeds the recommended's mean is 4m34s (slower
    than this one's)", a mean over 10 called one over 20. Now: the two do not compare, and both over
    the 10 seeds both ran.
    """
    chosen = _chosen([274.0] * 10, 28)  # 4m34s over 10
    unsettled = _chosen([276.0] * 10 + [196.0] * 10, 27)  # 4m36s over the first 10, 3m56s over 20
    text = beside_answer(unsettled, 20, chosen)
    assert text.startswith("its mean is over 20 seeds, the recommended's 4m34s over 10, so the two do not compare; "
                           "over the 10 both ran this one's is 4m36s and the recommended's 4m34s; the recommended was "
                           "shown within the tolerance")
    assert "over the same 20" not in text and "slower than this one's" not in text
    faster = beside_answer(_chosen([270.0] * 10 + [196.0] * 10, 27), 20, chosen)
    assert "this one's is 4m30s and the recommended's 4m34s (slower than this one's); " in faster
    tie = beside_answer(_chosen([273.8] * 10 + [196.0] * 10, 27), 20, chosen)  # 4m34s both, as printed
    assert "this one's is 4m34s and the recommended's 4m34s; " in tie


def test_a_mean_over_more_seeds_than_were_run_is_refused():
    """``mean_over(20)`` of 10 runs returned the mean of the 10, silently: a mean over other seeds."""
    e = _chosen([100.0] * 5 + [200.0] * 5)
    assert e.mean_over(5) == 100.0 and e.mean_over(10) == 150.0 and e.median_over(10) == 150.0
    for n in (11, 20, 0):
        with pytest.raises(ValueError, match=f"ran 10 replications, not the first {n}"):
            e.mean_over(n)
    assert math.isinf(Evidence(e.setting, ()).mean)


def test_the_report_gives_the_nearest_unsettled_setting_in_full_and_the_others_by_name():
    """A plan of fluentd on 300 nodes listed seven unsettled settings in seven rows of one long
    sentence each, differing only in numbers; the console already names the nearest and counts the rest."""
    from rollsim.present.plan_report import _unsettled_rows

    def one(count: int, pace: str) -> dict[str, Any]:
        return {"setting": f"maxSurge {count}", "pace": pace, "text": f"maxSurge {count}: the whole sentence"}

    unsettled = [one(111, "+3.1%, at most +4.7% at 95% confidence"), one(146, "+1.5%, at most +2.1% at 95% confidence"),
                 one(147, "+1.5%, at most +2.02% at 95% confidence")]
    rows = _unsettled_rows(unsettled)
    assert rows[0] == ["unsettled", "maxSurge 147: the whole sentence"]
    assert rows[1][0] == "unsettled (2 more)" and rows[1][1].endswith(
        ": maxSurge 111 (+3.1%, at most +4.7% at 95% confidence); "
        "maxSurge 146 (+1.5%, at most +2.1% at 95% confidence)")
    assert _unsettled_rows(unsettled[-1:]) == rows[:1] and _unsettled_rows([]) == []
    older = [{k: v for k, v in u.items() if k != "pace"} for u in unsettled]  # plan.json before it kept the bound
    assert _unsettled_rows(older)[1][1].endswith(": maxSurge 111; maxSurge 146")


def _audit_candidates() -> pd.DataFrame:
    """The audit's plan on 30 nodes: bimodal durations, so the means over 10 and over 20 seeds of
    one setting differ by a minute; over the first 5 seeds, which all ran, they fall with the count.
    """
    rows = []
    for count, reps, mean, common, p50 in ((25, 20, 238.0, 347.0, 484.0), (27, 20, 235.6, 344.5, 482.7),
                                           (28, 10, 273.9, 344.0, 481.6), (30, 20, 231.4, 340.1, 478.5)):
        row = _row(SURGE, count, 0.0, 558.0, 777.0)
        row.update(replications=reps, duration_mean_s=mean, common_replications=5, duration_mean_common_s=common,
                   duration_p50_common_s=p50, duration_p50_s=p50 / 2, extra_pods=count,
                   setting=f"maxSurge {count}, minReadySeconds 0")
        rows.append(row)
    row = _row("maxUnavailable", 2, 0.0, 1141.0, 1585.0, availability=0.9333)  # fast, no pods, below the floor
    row.update(replications=10, common_replications=5, duration_mean_common_s=858.0, duration_p50_common_s=840.0)
    rows.append(row)
    return pd.DataFrame(rows)


def _audit_answer() -> dict[str, Any]:
    return {"setting": "maxSurge 28, minReadySeconds 0", "count": 28, "duration_p95_s": 543.0,
            "duration_mean_s": 273.9, "worst_availability": 1.0, "extra_pods": 28}


def test_the_search_figure_compares_means_over_the_seeds_all_settings_ran():
    """The answer's mean over its 10 seeds (4m34s) sat above 25, 27 and 30 pods' over their 20
    (3m51s to 3m58s): one more pod looked 15% slower. Each point is now its mean over the first 5
    seeds, which all ran, and the axis and caption say so.
    """
    c, plan = _audit_candidates(), _plan(_audit_answer())
    search = plot_search(plan, c)
    [surge] = [line for line in search.lines if line.get_label() == SURGE]
    assert list(surge.get_ydata()) == [347.0, 344.5, 344.0, 340.1]  # never slower with more pods
    [star] = [line for line in search.lines if line.get_label().startswith("chosen: ")]
    assert list(star.get_ydata()) == [344.0]
    assert search.get_ylabel() == "mean duration over the same 5 seeds (log scale)"
    caption = captions(plan, c)["search"][1]
    assert "Each filled point's mean is over the first 5 seeds, which every one of them ran" in caption
    assert figure_problems(search.get_figure(root=True), "search") == []
    # a plan folder written before candidates.csv had the common means: each its own, and the caption says so
    old = c.drop(columns=["common_replications", "duration_mean_common_s", "duration_p50_common_s"])
    search = plot_search(plan, old)
    [surge] = [line for line in search.lines if line.get_label() == SURGE]
    assert list(surge.get_ydata()) == [238.0, 235.6, 273.9, 231.4]
    assert search.get_ylabel() == "mean duration (log scale)"
    assert "where their counts differ (the evidence table gives them), two points do not compare" in \
        captions(plan, old)["search"][1]


def test_the_evidence_table_sets_means_over_the_same_seeds_side_by_side_and_its_p50_is_the_answers():
    from rollsim.present.plan_evidence import evidence

    c, plan = _audit_candidates(), _plan(_audit_answer())
    c["verdict"] = ["slower", "slower", "chosen", "the fastest", "worst availability 93.33% < floor 95%"]
    [note, table] = evidence(plan, c)
    assert "the mean is over the first 5 seeds, which every setting in the table ran" in note[1][0][1]
    assert "the p50, p95, the window bound and the worst availability are over each setting's own" in note[1][0][1]
    assert table[1][:4] == ["setting", "replications", "mean (first 5 seeds)", "p50"]
    answer = next(row for row in table[2] if row[0] == "maxSurge 28, minReadySeconds 0")
    # the p50 over its own 10 runs, as the answer gives it (audit 18: the table gave the first 5 seeds')
    assert answer[1:4] == ["10", "5m44s", "4m01s"] and answer[-1] == "chosen: mean 4m34s over its 10 seeds"
    same = c.assign(replications=5)  # every setting ran the same seeds: plain headers, no note
    [table] = evidence(plan, same)
    assert table[1][2:4] == ["mean", "p50"]
    # the answer alone in the table, with more runs than the seeds its mean is over: said so (a table had
    # read "mean 24m03s" beside "chosen: mean 26m24s", its first 5 seeds against its 80)
    alone = c[c["setting"] == "maxSurge 28, minReadySeconds 0"]
    [note, table] = evidence(plan, alone)
    assert table[1][2] == "mean (first 5 seeds)" and table[2][0][-1] == "chosen: mean 4m34s over its 10 seeds"


def test_the_pareto_fronts_leave_out_settings_below_the_floor_and_the_legend_covers_no_data():
    """maxUnavailable 2 broke the 95% floor (93.33%), yet the capacity front stepped down to it at
    0 pods; the legends sat over the data. Fronts are over the settings that kept the floor, the
    others ringed in the floor's colour, and one legend sits below the panels.
    """
    c, plan = _audit_candidates(), _plan(_audit_answer())
    left, right = plot_pareto(plan, c)
    for ax in (left, right):
        fronts = [line for line in ax.lines if line.get_label().startswith("Pareto front")]
        assert fronts and all(1141.0 not in list(line.get_xdata()) for line in fronts)
        assert "ringed: below the floor 95%, so on no front" in _labels(ax)
        assert ax.get_legend() is None
    fig = left.get_figure(root=True)
    fig.draw_without_rendering()
    [legend] = fig.legends
    box = legend.get_window_extent()
    assert all(not box.overlaps(ax.get_window_extent()) for ax in (left, right))
    assert figure_problems(fig, "pareto") == []
    assert "A purple ring marks a setting that broke the availability floor (95%): it is on no front" in \
        captions(plan, c)["pareto"][1]
    search = plot_search(plan, c)
    search.get_figure(root=True).draw_without_rendering()
    assert not search.get_legend().get_window_extent().overlaps(search.get_window_extent())


def test_the_simulated_section_says_when_the_default_straggler_tail_is_in_the_plan():
    """A plan on the default ready time can find no setting for a window because of its fitted
    straggler tail; its report says the tail is a fit that can decide the window (audit 18), and names
    the flags plan has to replace it (audit 40: it named --ready, which plan does not take)."""
    from rollsim.present.plan_report import default_tail_words
    from rollsim.spec.scenario import DEFAULT_READY

    words = default_tail_words(DEFAULT_READY)
    assert "straggler tail" in words and "give --timings (a profile rollsim calibrate writes) or --calibrate" in words
    assert default_tail_words("lognormal(median=20, p95=45)") == "" and default_tail_words(None) == ""


def _shows(ax, x: float, y: float, rgb: tuple[int, int, int], radius: int = 4, tolerance: int = 60) -> bool:
    """Whether the drawn figure of ``ax`` has a pixel of about ``rgb`` within ``radius`` pixels of data (x, y)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = ax.get_figure(root=True)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())[:, :, :3].astype(int)
    px, py = ax.transData.transform((x, y))
    row, col = int(round(pixels.shape[0] - py)), int(round(px))
    patch = pixels[max(0, row - radius):row + radius + 1, max(0, col - radius):col + radius + 1]
    return bool((np.abs(patch - np.array(rgb)).sum(axis=2) <= tolerance).any())


def test_every_setting_shows_where_points_rings_and_lines_stack():
    """Audit 18 B9: in a 500-node plan's search figure maxSurge 100% (red, in the legend) sat under
    maxUnavailable 500's blue point and the stack of orange rings of maxUnavailable 441-500; in its
    Pareto figure maxUnavailable 5%'s point and whisker lay under the 95% floor line. Each is seen now
    (the figures drawn, pixels read), even where two settings have the very same point."""
    red, blue = (214, 39, 40), (31, 119, 180)
    rows = [_row(SURGE, 500, 0.0, 1290.0, 1595.0),
            *(_row("maxUnavailable", n, 0.0, 1290.0, 1390.0, 0.03) for n in (263, 382, 441, 471, 486, 493, 497, 499,
                                                                             500)),
            _row("maxUnavailable", 25, 0.0, 1926.0, 2455.0, 0.95)]
    plan = _plan()
    plan["constraints"].update(window_s=1200.0, surge_pods=None)
    search = plot_search(plan, pd.DataFrame(rows))
    assert _shows(search, 500, 1290.0 * 0.7, red)  # the same mean as maxUnavailable 500's, drawn over it
    left, _right = plot_pareto(plan, pd.DataFrame(rows))
    assert _shows(left, 1290.0, 100.0, red)
    assert _shows(left, (1926.0 * 2455.0) ** 0.5, 95.0, blue, radius=1, tolerance=40)  # its whisker on the floor
    assert _shows(left, 1926.0, 95.0, blue, radius=2, tolerance=40)


def test_the_evidence_table_shows_what_the_answer_was_weighed_against_and_the_baseline():
    """Audit 18 C4: 9 of the 12 rows of a 500-node plan's evidence table were maxUnavailable 263 to 499,
    3-47% of the nodes available, steps of the floor relaxation's search; the current strategy was not
    there. The table shows the (relaxed) answers, what they were weighed against (each family's top,
    a setting a relaxation names), and the current strategy, last, as the baseline; one line says how
    many more candidates.csv holds. A run cut at the plan's 4 windows took longer than that: not ∞."""
    from rollsim.present.plan_evidence import evidence, weighed

    rows = []
    for kind, count, p95, bound, availability, role, reps in (
            (SURGE, 500, 1290.0, 1595.0, 1.0, "top", 59), ("maxUnavailable", 25, 1926.0, 2455.0, 0.95, "top", 59),
            ("maxUnavailable", 26, 1266.0, 1948.0, 0.948, "", 5),
            ("maxUnavailable", 263, 1165.0, 1394.0, 0.474, "", 40),
            ("maxUnavailable", 441, 1164.0, 1388.0, 0.126, "", 40),
            ("maxUnavailable", 500, 1164.0, 1389.0, 0.03, "", 40),
            ("maxUnavailable", 1, math.inf, math.inf, 0.998, "current", 5)):
        row = _row(kind, count, 0.0, p95, bound, availability, unfinished=5 if role == "current" else 0)
        row.update(role=role, replications=reps, duration_p50_s=p95 * 0.7, common_replications=5,
                   duration_mean_common_s=p95 * 0.7 if math.isfinite(p95) else math.inf)
        rows.append(row)
    c = pd.DataFrame(rows)
    plan = _plan()
    plan["search"].update(horizon_s=4800.0, tops={"maxUnavailable, minReadySeconds 0": 25,
                                                  "maxSurge, minReadySeconds 0": 500})
    plan["relaxations"] = [{"constraint": "window", "setting": "maxSurge 500, minReadySeconds 0", "cited": None},
                           {"constraint": "availability floor", "setting": None,
                            "cited": "maxUnavailable 500, minReadySeconds 0"}]
    plan["daemonset"] = {"current_strategy": {"type": "RollingUpdate"}}
    # 26, one above the top, is what broke the floor
    assert list(c["setting"][weighed(plan, c)]) == ["maxSurge 500, minReadySeconds 0",
                                                    "maxUnavailable 25, minReadySeconds 0",
                                                    "maxUnavailable 26, minReadySeconds 0",
                                                    "maxUnavailable 500, minReadySeconds 0",
                                                    "maxUnavailable 1, minReadySeconds 0"]
    blocks = evidence(plan, c)
    [table] = [b for b in blocks if b[0] == "table"]
    assert [r[0] for r in table[2]] == ["maxSurge 500, minReadySeconds 0", "maxUnavailable 25, minReadySeconds 0",
                                        "maxUnavailable 26, minReadySeconds 0", "maxUnavailable 500, minReadySeconds 0",
                                        "maxUnavailable 1, minReadySeconds 0 (current strategy, the baseline)"]
    assert table[2][-1][2:6] == [">\u00a01h20m00s"] * 4  # a non-breaking space: one line in a narrow cell
    assert blocks[-1][1][0][1].startswith("2 more settings the search simulated on its way are in candidates.csv")
    # a plan folder written before candidates.csv had roles: every setting, as before
    assert weighed(plan, c.drop(columns=["role"])).all()
    # audit 40: settings of the answer's family whose runs stalled are its stall risk's evidence, shown beside it
    plan["answer"] = {"setting": "maxSurge 500, minReadySeconds 0", "kind": SURGE, "min_ready_seconds": 0.0}
    stalled = pd.DataFrame([{**_row(SURGE, n, 0.0, 1290.0, 1595.0, stalled=s), "role": ""}
                            for n, s in ((498, 1), (499, 0))])
    c = pd.concat([c, stalled], ignore_index=True)
    shown = list(c["setting"][weighed(plan, c)])
    assert "maxSurge 498, minReadySeconds 0" in shown and "maxSurge 499, minReadySeconds 0" not in shown


def _with_baseline(mean: float, unfinished: int = 0) -> tuple[dict[str, Any], pd.DataFrame]:
    """A plan whose maxUnavailable family was searched at 3 and 4, and whose current strategy,
    maxUnavailable 1, ran after the search as a baseline (role ``current``)."""
    rows = [_row("maxUnavailable", 3, 0.0, 700.0, 900.0), _row("maxUnavailable", 4, 0.0, 600.0, 800.0),
            _row(SURGE, 10, 0.0, 400.0, 500.0),
            _row("maxUnavailable", 1, 0.0, mean / 0.7, mean / 0.7, 0.998, unfinished=unfinished)]
    c = pd.DataFrame(rows).assign(role=["", "top", "top", "current"])
    return _plan(horizon=4800.0), c


def test_the_baseline_is_its_own_point_not_the_first_of_its_familys_line():
    """Audit (what a reader sees) 3: the search figure drew the current strategy, maxUnavailable 1 run
    on its own after the search, as the first point of the maxUnavailable line, which the search never
    bisected down to. It is a black diamond named in the legend, and the family's line starts at 3."""
    plan, c = _with_baseline(1560.0)
    ax = plot_search(plan, c)
    [line] = [ln for ln in ax.lines if ln.get_label() == "maxUnavailable"]
    assert list(line.get_xdata()) == [3, 4]
    [mark] = [ln for ln in ax.lines if ln.get_label().startswith("current strategy")]
    assert mark.get_label() == "current strategy (the baseline, 5 runs)" and mark.get_marker() == "D"
    assert list(mark.get_xdata()) == [1.0] and list(mark.get_ydata()) == [pytest.approx(1560.0)]
    assert figure_problems(ax.get_figure(root=True), "search") == []
    assert any(t.get_text() == "current strategy" for t in ax.texts)
    # a baseline cut at the plan's 4 windows: where they were cut, and the legend says so in a duration
    plan, c = _with_baseline(math.inf, unfinished=5)
    ax = plot_search(plan, c)
    [mark] = [ln for ln in ax.lines if ln.get_label().startswith("current strategy")]
    assert list(mark.get_ydata()) == [4800.0]
    assert mark.get_label() == ("current strategy (the baseline):\ndid not finish by 1h20m in 5 of 5 runs "
                                "(runs cut there)")


@pytest.mark.parametrize("stalled", [0, 5])
def test_a_baseline_whose_runs_did_not_finish_is_drawn_as_such_settings_are_in_both_figures(stalled):
    """The search figure drew a baseline cut at the plan's cut as a diamond alone, without the x every other
    setting cut there gets (the legend's mark for runs cut at the plan's cut), and the Pareto figure drew
    it as its family's x inside a ring whose legend entry did not say its runs were cut. Both draw it as
    any setting whose runs were cut (its family's x at the cut) or stalled (an arrow on the far edge), the
    baseline's black diamond ringing that mark, and name it alike, with why."""
    from matplotlib.colors import to_hex

    plan, c = _with_baseline(math.inf, unfinished=5)
    c.loc[c["role"] == "current", "runs_stalled"] = stalled
    why = "stalled in 5 of 5 runs" if stalled else "did not finish by 1h20m in 5 of 5 runs (runs cut there)"
    label = f"current strategy (the baseline):\n{why}"
    search = plot_search(plan, c)
    left, right = plot_pareto(plan, c)
    cut = ">" if stalled else "x"  # on the Pareto figure's duration axis, x; the search figure's is y
    for ax, mark_of_cut in ((search, "^" if stalled else "x"), (left, cut), (right, cut)):
        [ring] = [ln for ln in ax.lines if ln.get_label().startswith("current strategy")]
        assert ring.get_label() == label and ring.get_marker() == "D" and ring.get_markerfacecolor() == "none"
        [under] = [ln for ln in ax.lines if ln.get_marker() == mark_of_cut and len(ln.get_xdata())
                   and list(ln.get_xdata()) == list(ring.get_xdata())
                   and list(ln.get_ydata()) == list(ring.get_ydata())]  # the ring around the mark
        assert to_hex(under.get_color()) == "#1f77b4"  # its family's colour, as every setting cut there
        assert under.get_transform() == ring.get_transform()
        assert ring.get_markersize() > under.get_markersize() and ring.get_zorder() > under.get_zorder()
        assert why in _labels(ax)  # the legend's entry for such runs, as for any setting's
    assert figure_problems(search.get_figure(root=True), "search") == []
    if not stalled:
        assert list(ring.get_xdata()) == [4800.0]  # where they were cut, on the Pareto figure's duration axis
    for _title, caption in captions(plan, c).values():  # and the captions say what the ring is around
        assert caption.endswith("is the DaemonSet's current strategy, run after the search as a baseline (the black "
                                "diamond, ringing the x or arrow that marks runs that did not finish, as for any "
                                "setting).")


def test_time_ticks_and_legends_read_as_durations_not_fractions_of_an_hour():
    """Audit (what a reader sees) 3: a plan cut at 4 windows of 20 minutes said "1.33 h" on its ticks
    and in its legend. A duration that is no whole number of its unit reads as the report writes one."""
    from rollsim.present.plotmath import short_duration

    assert [short_duration(s) for s in (4800, 5400, 3600, 600, 90, 30, 129600)] == [
        "1h20m", "1h30m", "1 h", "10 min", "1m30s", "30 s", "1d12h"]
    assert [short_duration(t) for t in plan_time_ticks(1100.0, 4800.0)[0]] == [
        "20 min", "30 min", "40 min", "50 min", "1 h", "1h10m", "1h20m"]  # were 1.17 h and 1.33 h
    plan, c = _with_baseline(math.inf, unfinished=5)
    c[["duration_p95_s", "window_bound_s"]] += 1000.0  # from 23 min to the cut at 1h20m
    left, _right = plot_pareto(plan, c)
    left.get_figure(root=True).draw_without_rendering()
    ticks = _shown_ticks(left.xaxis)
    assert any(re.fullmatch(r"1h\d\dm", t) for t in ticks), ticks
    assert not any(re.fullmatch(r"\d+\.\d+ (h|min|d)", t) for t in ticks), ticks


def test_a_worst_availability_over_runs_that_did_not_finish_is_marked():
    """Audit (what a reader sees) 4: the 500-node plan's baseline, maxUnavailable 1, read "99.8%" as its
    worst availability, over 5 runs all cut at the plan's 4 windows: the worst until they were cut, not
    the rollout's. The study report marks such figures (†); the evidence table now does, with a note."""
    from rollsim.present.plan_evidence import evidence

    plan, c = _with_baseline(math.inf, unfinished=5)
    plan["search"].update(cut_windows=4, tops={})
    plan["daemonset"] = {"current_strategy": {"type": "RollingUpdate"}}
    c = c.assign(duration_p50_s=c["duration_p95_s"] * 0.7, common_replications=5,
                 duration_mean_common_s=c["duration_mean_s"])
    blocks = evidence(plan, c)
    [table] = [b for b in blocks if b[0] == "table"]
    cells = {row[0]: row[6] for row in table[2]}
    assert cells["maxUnavailable 1, minReadySeconds 0 (current strategy, the baseline)"] == "99.8%†"
    assert all(not cell.endswith("†") for name, cell in cells.items() if "baseline" not in name)
    [note] = [b[1][0][1] for b in blocks if b[0] == "p" and b[1][0][1].startswith("†")]
    assert "still running at the plan's cut at 4 windows (1h20m00s), or stalled" in note
    assert "a rollout let run on could go lower" in note
    # every run finished: no mark, no note
    plan, c = _with_baseline(1560.0)
    plan["search"].update(cut_windows=4, tops={})
    plan["daemonset"] = {"current_strategy": {"type": "RollingUpdate"}}
    blocks = evidence(plan, c.assign(duration_p50_s=1000.0))
    assert not any("†" in str(b) for b in blocks)


def test_a_surges_cost_is_worded_by_one_function_for_the_answer_and_the_relaxations():
    """Audit (what a reader sees) 5: relax.surge_cost and the report's extra_capacity composed the same
    words twice, the report's with its overlap note between them. One function composes both, each
    reading as it did: the answer its maxSurge's pods, their requests, then what its runs showed beyond
    them; a relaxation the most its runs showed at once; both the host paths two pods of a node share."""
    from rollsim.plan.relax import surge_cost
    from rollsim.plan.search import Capacity
    from rollsim.present.plan_report import extra_capacity
    from rollsim.present.surge_budget import overlap_words, surge_cost_words

    paths = ["/var/log (read-write)"]
    shared = ("On up to 46 nodes at once the old and the new pod both mounted the DaemonSet's hostPath volume "
              "/var/log (read-write): two instances shared that host path while they overlapped.")
    answer = surge_cost_words(44, 46, 100, 200 * 2**20, paths)
    assert answer == ("44 pods, requesting 4.4 CPU (44 × 100m) and 8.6 GiB (44 × 200Mi) more than delete-first; the "
                      "runs showed up to 46 at once (a sync's creates can land before its deletes: README, \"Surge "
                      "overlap in realistic mode\"). " + shared)
    ds = {"requests_cpu_millis": 100, "requests_memory_bytes": 200 * 2**20, "host_paths": paths}
    assert extra_capacity({"extra_pods": 44, "extra_pods_observed": 46}, ds) == answer
    assert overlap_words(44, 46) in answer
    assert extra_capacity({"extra_pods": 0}, ds) == "0 pods"
    relaxed = surge_cost_words(44, 46, 100, 200 * 2**20, paths, peak=True)
    assert relaxed == ("up to 46 extra pods at once, requesting 4.6 CPU (46 × 100m) and 9 GiB (46 × 200Mi) more "
                       "than delete-first. " + shared)
    runs = tuple({"completed": True, "duration_s": 300.0, "stalled": False, "min_available_fraction": 1.0,
                  "max_surge_observed": 46, "unavailable_node_seconds": 0.0} for _ in range(5))
    capacity = Capacity(100, 200 * 2**20, None, tuple(paths))  # type: ignore[arg-type]
    assert surge_cost(Evidence(Setting(SURGE, 44, 0.0), runs), capacity) == "its cost: " + relaxed
    assert surge_cost(Evidence(Setting("maxUnavailable", 44, 0.0), runs), capacity) == ""
    # no requests, no host paths: the pods alone
    assert surge_cost_words(3, 3, 0, 0, []) == "3 pods" + overlap_words(3, 3)
    assert surge_cost_words(3, 3, 0, 0, [], peak=True) == "up to 3 extra pods at once"


def test_the_pareto_figure_marks_the_baseline_too():
    """Audit 22: the Pareto figure drew the current strategy as one more maxUnavailable dot (or its
    family's x where its runs were cut), which no marker or legend entry named. A black diamond rings it
    in both panels, at its p95, or where its runs were cut."""
    plan, c = _with_baseline(1560.0)
    for panel, y in zip(plot_pareto(plan, c), (99.8, 0.0)):
        [mark] = [ln for ln in panel.lines if ln.get_label() == "current strategy (the baseline, 5 runs)"]
        assert mark.get_marker() == "D" and mark.get_markerfacecolor() == "none"
        assert list(mark.get_xdata()) == [pytest.approx(1560.0 / 0.7)] and list(mark.get_ydata()) == [
            pytest.approx(y)]
    plan, c = _with_baseline(math.inf, unfinished=5)
    left, _right = plot_pareto(plan, c)
    [mark] = [ln for ln in left.lines if ln.get_label().startswith("current strategy (the baseline)")]
    assert list(mark.get_xdata()) == [4800.0]  # where they were cut, around its family's x


@pytest.mark.parametrize(("unfinished", "stalled", "cells"), [
    (2, 0, ["—", "25m00s", "—", "—"]),  # 2 of 5 cut: the median is a finished run's; mean, p95, bound not known
    (2, 1, ["∞", "25m00s", "∞", "∞"]),  # one stalled: it never finishes
    (5, 0, [">\u00a01h20m00s"] * 4),  # all cut: each figure is over the cut
])
def test_a_partly_cut_baseline_shows_what_is_known_not_infinity(unfinished, stalled, cells):
    """Audit 22: a baseline 2 of whose 5 runs were cut at the plan's 4 windows read ∞ for its mean,
    p50 and p95, though its median is a finished run's and its runs were not infinite."""
    from rollsim.present.plan_evidence import evidence

    plan, c = _with_baseline(math.inf, unfinished=unfinished)
    c.loc[c["role"] == "current", "runs_stalled"] = stalled
    plan["search"].update(cut_windows=4, tops={})
    plan["daemonset"] = {"current_strategy": {"type": "RollingUpdate"}}
    p50 = [1500.0 if r == "current" else p95 * 0.7 for r, p95 in zip(c["role"], c["duration_p95_s"])]
    c = c.assign(duration_p50_s=p50, common_replications=5, duration_mean_common_s=c["duration_mean_s"])
    [table] = [b for b in evidence(plan, c) if b[0] == "table"]
    [row] = [r for r in table[2] if "baseline" in r[0]]
    assert row[2:6] == cells


def test_the_median_of_runs_some_of_which_were_cut_is_a_finished_runs():
    """``order_quantile``: a run that did not finish sorts last; a quantile that falls among the finished
    runs is theirs, one on or toward an unfinished run is inf (np.quantile gave NaN from inf - inf)."""
    from rollsim.plan.evidence import order_quantile

    inf = math.inf
    assert order_quantile([900.0, 100.0, inf, 300.0, inf], 0.5) == 900.0  # the third of 5, cut ones last
    assert order_quantile([100.0, 300.0, 900.0, inf, inf], 0.95) == inf
    assert order_quantile([100.0, 200.0, 300.0, 400.0, 500.0], 0.95) == pytest.approx(480.0)
    assert order_quantile([100.0, inf], 0.5) == inf
    assert order_quantile([7.0], 0.95) == 7.0


def test_the_least_that_fits_is_a_green_square_in_both_figures_and_the_captions_say_so():
    """plan.json ``answer.least`` (rollsim.plan.least): drawn where its setting's point is, in both figures."""
    c = _audit_candidates()
    answer = {**_audit_answer(), "least": {"setting": "maxSurge 25, minReadySeconds 0", "count": 25,
                                           "duration_p95_s": 558.0, "worst_availability": 1.0, "extra_pods": 25}}
    plan = _plan(answer)
    search = plot_search(plan, c)
    [square] = [line for line in search.lines if line.get_label().startswith("least that fits: ")]
    assert list(square.get_xdata()) == [25] and list(square.get_ydata()) == [347.0]  # its mean over the 5 seeds
    left, right = plot_pareto(plan, c)
    for ax, y in ((left, 100.0), (right, 25.0)):
        [square] = [line for line in ax.lines if line.get_label().startswith("least that fits: ")]
        assert list(square.get_xdata()) == [558.0] and list(square.get_ydata()) == [y]
    assert figure_problems(left.get_figure(root=True), "pareto") == []
    for figure in ("pareto", "search"):
        assert "The green square is the least that fits" in captions(plan, c)[figure][1]
    assert not any("least that fits" in line.get_label() for line in plot_search(_plan(_audit_answer()), c).lines)
    assert "green square" not in captions(_plan(_audit_answer()), c)["search"][1]


def test_settings_out_for_their_familys_stalls_are_crossed_and_on_no_front():
    """candidates.csv ``ruled_out_for_stalls`` (rollsim.plan.answer.stalls_too_often): the maxSurge
    settings met the window on their own runs, too few for a family that stalled. Both figures
    cross them out in the window's colour, the Pareto front leaves them out, the captions say why; an
    older plan folder, without the column, draws no cross.
    """
    c = _audit_candidates().assign(ruled_out_for_stalls=lambda f: f["kind"] == SURGE)
    plan = _plan(None)
    left, right = plot_pareto(plan, c)
    for ax in (left, right):
        [crosses] = [p for p in ax.collections if p.get_label().startswith("crossed: ")]
        assert len(crosses.get_offsets()) == 4
        assert not any(line.get_label().startswith("Pareto front") for line in ax.lines)  # none left for one
    # without the column the maxSurge settings make the front
    assert any(line.get_label().startswith("Pareto front") for line in plot_pareto(plan, c.drop(columns=[
        "ruled_out_for_stalls"]))[1].lines)
    search = plot_search(plan, c)
    assert [len(p.get_offsets()) for p in search.collections if p.get_label().startswith("crossed: ")] == [4]
    texts = captions(plan, c)
    assert "An orange cross marks a setting ruled out for stalls although its bound met" in texts["pareto"][1]
    assert "such a setting is on no front" in texts["pareto"][1]
    assert "the evidence table says how many runs it had and needed" in texts["search"][1]
    old = c.drop(columns=["ruled_out_for_stalls"])
    assert not any(p.get_label().startswith("crossed: ") for p in plot_pareto(plan, old)[0].collections)
    assert "orange cross" not in captions(plan, old)["pareto"][1]
    # a setting ruled out whose own runs stalled is drawn at the edge, not crossed: the captions name no cross
    stalled = c.assign(duration_mean_s=lambda f: f["duration_mean_s"].where(f["kind"] != SURGE, float("inf")))
    assert "orange cross" not in captions(plan, stalled)["pareto"][1]
    assert "orange cross" not in captions(plan, stalled)["search"][1]
    # without a window the cross's sentence names the share of rollouts that must finish, and no window
    open_plan = {**plan, "constraints": {**plan["constraints"], "window_s": None}}
    pareto = captions(open_plan, c)["pareto"][1]
    assert ("An orange cross marks a setting ruled out for stalls: its family stalled (or can: maxSurge with "
            "minReadySeconds), and it did not finish as many runs of its own, none stalled, as show that 95% of its "
            "rollouts finish (a stall never does); such a setting is on no front") in pareto
    assert "window" not in pareto


def test_the_surge_panel_counts_whole_pods():
    """Extra pods are whole: integer ticks, and a plan of no surge (every point at 0) spans 0 to 1, not
    the fractional −0.045 to 0.045 matplotlib gives a flat axis (audit 30).
    """
    rows = [_row(UNAVAILABLE, n, 0.0, 900.0 - 10 * n, 1000.0, availability=1 - n / 100) for n in (1, 2, 3)]
    _left, right = plot_pareto(_plan(None), pd.DataFrame(rows))
    low, high = right.get_ylim()
    assert low < 0 < 1 < high
    assert all(float(t).is_integer() for t in right.get_yticks() if low <= t <= high)
    surge = [_row(SURGE, n, 0.0, 900.0 - 10 * n, 1000.0) for n in (1, 2, 3)]
    _left, right = plot_pareto(_plan(None), pd.DataFrame(surge))
    assert all(float(t).is_integer() for t in right.get_yticks())
