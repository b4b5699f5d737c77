"""The report: formatting helpers, report.md's content and report.html's self-containment and escaping."""

from __future__ import annotations

import base64
import dataclasses
import math
import re

import pytest
import rollsim.present.render
import rollsim.present.report
import rollsim.present.report_tables
from rollsim.present.render import format_setting, format_value, render_html, render_markdown
from rollsim.present.report import (
    format_duration,
    format_number,
    format_percent,
    md_cell,
    recommendation_for,
    report_blocks,
    write_report,
)
from rollsim.sweep.results import load_results

from helpers import rewritten, with_another_daemonset

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(("seconds", "text"), [
    (427, "7m07s"), (59.6, "1m00s"), (42, "42s"), (4.24, "4.2s"), (0, "0s"), (3723, "1h02m03s"),
    (2 * 86400 + 3 * 3600 + 4 * 60, "2d03h04m"), (None, "—"), (math.nan, "—"), (math.inf, "∞"), (-90, "-1m30s"),
])
def test_format_duration(seconds, text) -> None:
    assert format_duration(seconds) == text


def test_format_number_and_percent() -> None:
    assert format_number(12345.6) == "12,346"
    assert format_number(1234567.891, 1) == "1,234,567.9"
    assert format_number(None) == format_number(math.nan) == "—"
    assert format_percent(0.93) == "93.0%" and format_percent(1) == "100.0%" and format_percent(None) == "—"


def test_md_cell_escapes_pipes_newlines_and_tags() -> None:
    assert md_cell("a|b\nc") == "a\\|b c"
    assert md_cell("<b>x</b>") == "&lt;b>x&lt;/b>"


@pytest.fixture
def report(fake_results):
    md, page = write_report(load_results(fake_results))
    return md.read_text(encoding="utf-8"), page.read_text(encoding="utf-8")


def test_markdown_has_the_table_and_the_recommendation(report, fake_results) -> None:
    md, _ = report
    assert "| maxUnavailable 10%, minReadySeconds 0 | 10% | 0 | 3/3 | " in md
    row = next(line for line in md.splitlines() if line.startswith("| maxUnavailable 25%, minReadySeconds 30 |"))
    assert "| 0/3 | did not complete |" in row and "✗ max_duration_s: did not complete" in row
    assert "min_available_fraction: 75% (limit ≥ 80%)" in row  # fractions read as percentages
    assert md.count(" | ✓ |") == 2
    assert ("**Use maxUnavailable 10%, minReadySeconds 0.** maxUnavailable 10%, minReadySeconds 0 is the "
            "fastest configuration that completed in every replication and met every SLO constraint") in md
    assert "At worst 90.0% of nodes kept an available pod" in md
    assert "&lt;script>alert(1)&lt;/script> & more" in md  # no raw HTML tag gets into the Markdown
    for name in ("availability", "duration", "tradeoff", "downtime"):
        assert f"](figures/{name}.png)" in md and (fake_results / "figures" / f"{name}.png").is_file()
    assert "4 configurations × 3 replications of a DaemonSet update on 200 nodes (200 run the DaemonSet)" in md
    assert "| controller model | realistic |" in md
    assert "| app ready time (s) | stragglers(median=20, p95=45, fraction=0.02, tail=400) |" in md
    assert "\n| maxUnavailable |" not in md  # swept: a column of the results table, not a common setting
    assert "Varied across configurations: maxUnavailable, minReadySeconds (s)" in md
    assert "20 QPS / burst 30 (the kube-controller-manager defaults)" in md
    assert "ready stragglers(median=20, p95=45, fraction=0.02, tail=400) (default)" in md
    assert "| runs | 12 (12 run, 0 reused from an earlier run) |" in md
    assert "| executor | processes with 4 workers |" in md


def test_html_is_self_contained_and_escapes_user_text(report) -> None:
    _, page = report
    assert "http" not in page and "href" not in page and "<link" not in page
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    sources = re.findall(r'<img [^>]*src="([^"]*)"', page)
    assert len(sources) == 4
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG)
    assert "<style>" in page and "<td>✗ min_available_fraction: 75% (limit ≥ 80%)</td>" in page


def test_labels_are_escaped_in_both_formats(make_results) -> None:
    labels = ["a|b", "<i>x</i>", "c & d", "plain"]
    md, page = write_report(load_results(make_results(labels=labels)))
    md, page = md.read_text(encoding="utf-8"), page.read_text(encoding="utf-8")
    assert "| a\\|b | 10% |" in md and "| &lt;i>x&lt;/i> |" in md
    assert '<td class="w">a|b</td>' in page and '<td class="w">&lt;i&gt;x&lt;/i&gt;</td>' in page
    assert "<td>c &amp; d</td>" in page


def test_when_nothing_passes_the_report_names_the_failing_constraint(make_results) -> None:
    slo = [{"key": "max_duration_s", "metric": "duration_s", "bound": "max", "limit": 60.0, "statistic": "worst",
            "text": "duration_s ≤ 60 (worst over replications)"}]
    md, _ = write_report(load_results(make_results(slo=slo)))
    md = md.read_text(encoding="utf-8")
    assert ("**No configuration to recommend.** No configuration is safe to recommend: 1 of 4 did not complete in "
            "every replication (maxUnavailable 25%, minReadySeconds 30: 0/3); duration_s ≤ 60 "
            "(worst over replications) fails in 4 of 4") in md
    assert "Use " not in md


def test_without_an_slo_the_fastest_completed_configuration_is_recommended(make_results) -> None:
    md, _ = write_report(load_results(make_results(slo=[])))
    md = md.read_text(encoding="utf-8")
    assert "**Fastest that completed every run (no SLO given): maxUnavailable 25%, minReadySeconds 0.**\n" in md
    assert "safe" not in md.split("## Findings")[0]
    assert "**Use " not in md
    assert "| SLO |" not in md


def test_without_parquet_files_the_report_notes_the_missing_figures(make_results, tmp_path) -> None:
    results = load_results(make_results(timelines=False, downtime=False))
    md, page = write_report(results, tmp_path / "elsewhere")
    assert md.parent == page.parent == tmp_path / "elsewhere"
    assert sorted(p.name for p in (tmp_path / "elsewhere" / "figures").iterdir()) == ["duration.png", "tradeoff.png"]
    md, page = md.read_text(encoding="utf-8"), page.read_text(encoding="utf-8")
    assert "Not drawn: timelines.parquet is not in this results folder." in md
    assert "Not drawn: downtime.parquet is not in this results folder." in md
    assert page.count("<img ") == 2 and "figures/availability.png" not in md
    assert not list((tmp_path / "elsewhere").glob(".*.tmp"))  # atomic writes leave no temporary behind


def test_a_figure_the_sweep_drew_is_kept_when_its_table_is_not_committed(make_results, tmp_path, capsys) -> None:
    """A results folder checked out of git has no parquet files (.gitignore), but the figures the
    sweep drew from them: the report shows those, saying so, and plot says what it did not redraw.
    """
    from rollsim.cli import main

    folder = make_results()
    write_report(load_results(folder))
    figures = {p.name: p.read_bytes() for p in (folder / "figures").iterdir()}
    for name in ("timelines.parquet", "downtime.parquet"):
        (folder / name).unlink()
    assert main(["plot", str(folder)]) == 0
    err = capsys.readouterr().err
    assert "warning: availability.png not drawn again: timelines.parquet is not in" in err
    assert "warning: downtime.png not drawn again: downtime.parquet is not in" in err
    md, page = write_report(load_results(folder))
    md, page = md.read_text(encoding="utf-8"), page.read_text(encoding="utf-8")
    assert "Not drawn" not in md and page.count("<img ") == 4
    assert "(Drawn when the experiment ran: timelines.parquet, the per-run data it is drawn from, is not in" in md
    assert {p.name: p.read_bytes() for p in (folder / "figures").iterdir()
            if p.name in ("availability.png", "downtime.png")} == {
        k: v for k, v in figures.items() if k in ("availability.png", "downtime.png")}
    md, _ = write_report(load_results(folder), tmp_path / "copy")  # elsewhere: the kept figures go with it
    assert sorted(p.name for p in (tmp_path / "copy" / "figures").iterdir()) == [
        "availability.png", "downtime.png", "duration.png", "tradeoff.png"]


def test_formatting_and_rendering_live_in_render_and_are_re_exported() -> None:
    for name in ("format_duration", "format_number", "format_percent", "md_cell", "md_text", "render_markdown",
                 "render_html"):
        assert getattr(rollsim.present.report, name) is getattr(rollsim.present.render, name)
    assert format_value(1003) == "1,003" and format_value(20.0) == "20" and format_value(0.5) == "0.5"
    assert format_value(["a", "b"]) == "a, b" and format_value([]) == "none" and format_value(None) == "—"
    assert format_value(True) == "true" and format_value(False) == "false" and format_value("") == "none"


def test_daemonsets_of_the_same_settings_are_given_once() -> None:
    """Ten DaemonSets at once (field-openshift-854): nine of the same settings were a cell nine
    descriptions long; three or more alike are one entry, fewer are listed as they are.
    """
    nine = [f"kube-system/ds-{i} (max_unavailable 10%; ready lognormal(median=10, p95=20))" for i in range(1, 10)]
    assert format_setting("also", nine) == (
        "9 DaemonSets kube-system/ds-1 … kube-system/ds-9 (each max_unavailable 10%; ready lognormal(median=10, "
        "p95=20))")
    assert format_setting("also", ["a (defaults)", "b (max_unavailable 1)", *nine[:2]]) == (
        "a (defaults), b (max_unavailable 1), " + ", ".join(nine[:2]))
    assert format_setting("also", []) == "none" and format_setting("nodes", [1, 2]) == "1, 2"


def test_render_writes_each_kind_of_block_in_both_formats() -> None:
    blocks = [("h", 1, "T <x>"), ("p", [("b", "Bold "), ("", "a & b"), ("code", "c")]), ("note", "n"),
              ("table", ["k", "v"], [["a|b", "1"]]), ("ul", [[("", "one")], [("b", "two")]]),
              ("img", "duration", "Rollout duration", "caption <i>")]
    md = render_markdown(blocks)
    assert md.startswith("# T &lt;x>\n\n**Bold** a & b`c`\n\n*n*\n\n| k | v |\n|---|---|\n| a\\|b | 1 |")
    assert "- one\n- **two**" in md and "![Rollout duration](figures/duration.png)\n\ncaption &lt;i>" in md
    page = render_html(blocks, {"duration": b"\x89PNG"}, "title & more")
    assert "<title>title &amp; more</title>" in page and "<h1>T &lt;x&gt;</h1>" in page
    assert "<p><strong>Bold </strong>a &amp; b<code>c</code></p>" in page and '<p class="note">n</p>' in page
    assert '<div class="scroll"><table><thead><tr><th>k</th><th>v</th></tr></thead>' in page
    assert "<figcaption>caption &lt;i&gt;</figcaption>" in page and "data:image/png;base64,iVBORw==" in page


def test_cells_break_between_words_only() -> None:
    """A cell broke anywhere ("lognorm / al(medi / an=24", "2h26m06 / s", "1,000,0 / 00,000"):
    now only between words (tests/test_tablefit.py), with a <wbr> where words join without a
    space; a short one-word value is kept on one line, and a word with a hyphen kept whole,
    where a browser would break it ("kube- / system/ds-1", "ds- / 1"). A setting's name is one
    word: it broke at its underscores ("min_ / available_ / fraction", "node_ / utilization").
    """
    row = ["17m55s", "maxUnavailable 1", "94.96%", "1h49m08s–2h15m17s", "✗ min_available_fraction: 94.9%",
           "lognormal(median=24, p95=40)", "9 DaemonSets kube-system/ds-1 … kube-system/ds-9"]
    page = render_html([("table", list("abcdefg"), [row])], {}, "t")
    assert ('<td class="w">17m55s</td><td>maxUnavailable 1</td><td class="w">94.96%</td>'
            "<td>1h49m08s–<wbr>2h15m17s</td><td>✗ min_available_fraction: 94.9%</td>"
            "<td>lognormal(<wbr>median=24, p95=40)</td>"
            '<td>9 DaemonSets <span class="w">kube-system/ds-1</span> … <span class="w">kube-system/ds-9</span></td>'
            ) in page
    assert "td.w,span.w{white-space:nowrap}" in page and "overflow-wrap:normal" in page and "anywhere" not in page
    assert "_<wbr>" not in render_html([("table", ["a"], [["maxUnavailable 10%, node_utilization=0.75"]])], {}, "t")


def test_a_table_too_wide_for_a_narrow_window_is_split_in_html_with_its_first_column_in_each() -> None:
    """Fifteen columns of distributions and timings do not fit 900 px without breaking words: the
    HTML splits the table where the results begin (and a part still too wide evenly), each part
    naming its rows; Markdown keeps one table.
    """
    header = ["configuration", *[f"setting {i}" for i in range(7)], "completed", *[f"result {i}" for i in range(6)]]
    row = ["stragglers 2% at +500 s, maxUnavailable 10%", *["lognormal(median=0.05, p95=0.25)"] * 7, "3/3",
           *["2h26m06s (2h18m44s–2h33m28s)"] * 6]
    blocks = [("table", header, [row, row], [8])]
    page = render_html(blocks, {}, "t")
    tables = re.findall(r"<table>.*?</table>", page)
    heads = [re.findall(r"<th>(.*?)</th>", t) for t in tables]
    assert len(tables) >= 2 and all(h[0] == "configuration" for h in heads)
    assert [c for h in heads for c in h[1:]] == header[1:]  # every column once, in order
    assert heads[-1][1:] == header[8:]  # the results apart from the settings
    assert all(t.count("<tr>") == 3 for t in tables)  # the header row and both rows in each
    assert render_markdown(blocks).count("| configuration |") == 1
    narrow = [("table", header[:4], [row[:4]], [2])]
    assert len(re.findall(r"<table>", render_html(narrow, {}, "t"))) == 1  # a table that fits stays one


def test_the_results_table_is_split_between_settings_and_results(fake_results) -> None:
    (block,) = [b for b in report_blocks(load_results(fake_results), []) if b[0] == "table" and len(b) > 3]
    assert block[1][block[3][0]] == "completed"


def test_the_report_opens_with_the_recommendation(fake_results) -> None:
    results = load_results(fake_results)
    blocks = report_blocks(results, ["availability", "duration", "tradeoff", "downtime"])
    headings = [b[2] for b in blocks if b[0] == "h" and b[1] == 2]
    assert headings == ["Recommendation", "Findings", "Results", "Figures", "What was simulated",
                        "Assumptions that matter most", "Run facts"]
    assert blocks[3] == ("p", [("b", f"Use {recommendation_for(results).label}. "),
                               ("", recommendation_for(results).reason + ".")])
    header = next(b[1] for b in blocks if b[0] == "table")
    assert "duration: mean (95% CI)" in header and "max surge (pods)" in header


def test_a_failing_fraction_just_below_its_limit_shows_more_digits(make_results) -> None:
    slo = [{"key": "min_available_fraction", "metric": "min_available_fraction", "bound": "min", "limit": 0.9,
            "statistic": "worst", "text": "min_available_fraction ≥ 0.9 (worst over replications)"}]
    results = load_results(make_results(slo=slo))
    summary = results.summary.copy()
    summary["slo_min_available_fraction"] = 0.8996
    summary["slo_ok"], summary["slo_failed"] = False, "min_available_fraction"
    md = render_markdown(report_blocks(dataclasses.replace(results, summary=summary), []))
    assert "min_available_fraction: 89.96% (limit ≥ 90%)" in md


@pytest.mark.parametrize("hostile", [
    "[click me](javascript:alert(1))",
    "![pixel](https://tracker.example/p.png)",
    "<javascript:alert(1)>",
    "\\[x](javascript:alert(1))",
    "[a]: javascript:alert(1)\n\n[a]",
    "[x][a]\n\n[a]: https://tracker.example/p.png",
])
def test_markdown_has_no_link_or_image_from_user_text(make_results, hostile) -> None:
    folder = make_results(description=hostile, labels=[hostile, "b", "c", "d"])
    md_path, _ = write_report(load_results(folder))
    md = md_path.read_text(encoding="utf-8")
    import markdown_it

    parser = markdown_it.MarkdownIt("commonmark")
    parser.validateLink = lambda url: True  # some renderers let javascript: through: count every link formed
    tokens = parser.parse(md)
    inline = [child for t in tokens if t.children for child in t.children]
    links = [c.attrGet("href") for c in inline if c.type == "link_open"]
    images = [c.attrGet("src") for c in inline if c.type == "image"]
    assert not [h for h in links if h and ("javascript" in h or "tracker" in h)], links
    assert all(src.startswith("figures/") for src in images), images
    assert not [c for c in inline if c.type == "html_inline"]


def test_the_floor_is_in_the_caption_only_when_the_slo_draws_one(make_results) -> None:
    with_floor, _ = write_report(load_results(make_results()))
    without, _ = write_report(load_results(make_results(slo=[])))
    assert "The dashed line is the SLO's availability floor." in with_floor.read_text(encoding="utf-8")
    assert "dashed line" not in without.read_text(encoding="utf-8")


def test_the_worst_share_and_the_fewest_nodes_are_each_their_own_lowest(make_results) -> None:
    """With nodes joining or leaving, the lowest share and the fewest available nodes come at
    different moments: the cell gives both as what they are, not one as the other's count.
    """
    results = load_results(make_results())
    header, rows = rollsim.present.report_tables.results_table(results, [])
    column = header.index("min available, worst run (share; fewest nodes)")
    g = results.runs[results.runs["config"] == 0]
    assert rows[0][column].endswith(f"; fewest {int(g['min_available'].min()):,}")


def test_the_pareto_front_is_drawn_within_each_condition(make_results) -> None:
    """minReadySeconds made a condition (not a decision): each value gets its own front, and no
    configuration is set against one under the other condition.
    """
    folder = make_results(slo=[], experiment_keys={"decisions": ["strategy.max_unavailable"]})
    md, _ = write_report(load_results(folder))
    text = md.read_text(encoding="utf-8")
    assert "count as equal), within each condition:" in text
    fronts = re.findall(r"- \*\*With minReadySeconds (\d+):\*\* (.*)", text)
    # under 30 s only one configuration completed every replication (the fixture's 4th never does): it is the
    # front there (surge-fit left the one it recommended out); under 0 s the two node-hours are within their
    # confidence intervals, a tie: the faster alone is on it
    assert fronts == [("0", "maxUnavailable 25%, minReadySeconds 0."),
                      ("30", "maxUnavailable 10%, minReadySeconds 30.")]
    assert "Fastest: " not in text and "With minReadySeconds 0, fastest: " in text
    assert "joined within each condition the study varies, are that condition's Pareto front" in text


def test_a_recommendation_per_condition_names_only_what_the_user_sets(make_results) -> None:
    """"Where watch delays 2-5 s: use watch delays 2-5 s, maxUnavailable 10%" told the user to set
    what they do not choose: the "use" names the decisions only; the reason keeps the whole label.
    """
    results = load_results(make_results(slo=[], experiment_keys={"decisions": ["strategy.max_unavailable"]}))
    text = write_report(results)[0].read_text(encoding="utf-8")
    uses = re.findall(r"- \*\*With (minReadySeconds \d+): use ([^*]*)\.\*\* (\S+ \S+, \S+ \S+) is the fastest", text)
    assert uses == [("minReadySeconds 0", "maxUnavailable 25%", "maxUnavailable 25%, minReadySeconds 0"),
                    ("minReadySeconds 30", "maxUnavailable 10%", "maxUnavailable 10%, minReadySeconds 30")]
    assert recommendation_for(results).reason == ("where minReadySeconds 0: use maxUnavailable 25%; "
                                                  "where minReadySeconds 30: use maxUnavailable 10%")


def test_the_tradeoff_caption_says_what_is_ringed(make_results) -> None:
    """Both swept keys decisions: one front; both conditions: no front, and the caption says so."""
    one, _ = write_report(load_results(make_results(slo=[])))
    assert "Ringed points are the Pareto front (no other configuration" in one.read_text(encoding="utf-8")
    none, _ = write_report(load_results(make_results(slo=[], experiment_keys={"decisions": ["deleter"]})))
    text = none.read_text(encoding="utf-8")
    assert "No point is ringed" in text and "Ringed points" not in text and "Pareto front (no" not in text


def test_a_study_that_varies_nothing_says_so(make_results) -> None:
    """No swept key: not "varies only what the user does not choose ()"."""
    results = load_results(make_results(slo=[], experiment_keys={"swept": []}))
    assert rollsim.present.report.recommendation_for(results).reason == (
        "no recommendation: the study varies nothing, so there is no choice to make; see the findings")
    text = write_report(results)[0].read_text(encoding="utf-8")
    assert "This study varies nothing (one configuration)" in text and "()" not in text


def test_a_rolled_back_configuration_updated_no_healthy_node(make_results) -> None:
    """healthy_done_s of a rolled-back run is when the old revision was back everywhere: the
    "healthy nodes done by" cell says that, not a time at which nodes were updated.
    """
    folder = make_results()
    with rewritten(folder / "runs.csv") as runs:
        stuck = runs["config"] == 3
        runs["rolled_back"] = False  # as rollsim run writes it for every run (an empty cell is a damaged file)
        runs.loc[stuck, "rolled_back"], runs.loc[stuck, "rollback_done_s"] = True, [1700.0, 1712.0, 1690.0]
        runs.loc[stuck, "healthy_done_s"] = runs.loc[stuck, "rollback_done_s"]
    with rewritten(folder / "summary.csv") as summary:
        summary["stop_cause"], summary["stop_detail"] = "rolled-back", "rolled back by the operator"
    blocks = rollsim.present.report_tables.stops_section(load_results(folder))
    table = next(b for b in blocks if b[0] == "table")
    assert table[2][0][-1] == "none: rolled back by 28m32s"


def test_the_share_says_what_it_is_over_when_notready_nodes_are_not_desired(make_results) -> None:
    """NotReady nodes carry the not-ready:NoSchedule taint, which DaemonSet pods do not tolerate:
    they are not desired (runs.csv ``nodes``), and a rollout stuck on them shows 100% available.
    The table says over how many nodes each share is, a note says why, and "What was simulated"
    claims no desired count the configurations do not share.
    """
    import yaml

    folder = make_results()
    with rewritten(folder / "runs.csv") as runs:
        runs.loc[runs["config"] == 3, "nodes"] = 186
    experiment = yaml.safe_load((folder / "experiment.yaml").read_text(encoding="utf-8"))
    for c in experiment["configurations"]:
        c["scenario"]["not_ready_nodes"] = 14 if c["index"] == 3 else 0
    (folder / "experiment.yaml").write_text(yaml.safe_dump(experiment, sort_keys=False), encoding="utf-8")
    md = write_report(load_results(folder))[0].read_text(encoding="utf-8")
    header = next(line for line in md.splitlines() if line.startswith("| configuration |"))
    assert "| nodes that run the DaemonSet (desired) |" in header
    assert "| maxUnavailable 25%, minReadySeconds 30 | 25% | 30 | 14 | 186 of 200 (14 NotReady) | 0/3 |" in md
    assert "| maxUnavailable 10%, minReadySeconds 0 | 10% | 0 | 0 | 200 of 200 | 3/3 |" in md
    # their condition is Unknown (the default): the lifecycle controller's taint is unreachable, not not-ready
    assert "node.kubernetes.io/unreachable:NoSchedule taint, which DaemonSet pods do not tolerate" in md
    assert "(200 run the DaemonSet)" not in md and "| nodes that run the DaemonSet | 200 |" not in md
    assert "| nodes that run the DaemonSet | by configuration (see the results table) |" in md


def test_no_desired_column_when_every_run_had_its_scenarios_desired_nodes(fake_results) -> None:
    md = write_report(load_results(fake_results))[0].read_text(encoding="utf-8")
    assert "(desired)" not in md and "(200 run the DaemonSet)" in md


def test_the_other_daemonsets_are_named_in_words_not_by_their_key(make_results) -> None:
    """Not "This study varies also, which the user does not choose"."""
    results = load_results(make_results(slo=[], experiment_keys={"swept": ["also"]}))
    text = write_report(results)[0].read_text(encoding="utf-8")
    assert "This study varies the other DaemonSets updated at the same time (also), which the user" in text
    assert "varies also" not in text
    assert "(the other DaemonSets updated at the same time (also))" in recommendation_for(results).reason


def test_the_figure_captions_say_a_half_filled_marker_is_an_update_that_did_not_complete(make_results) -> None:
    """Another DaemonSet updated with the study's did not complete in configuration 2: the
    captions say what the figures' half-filled markers and legends mean; with none failing they
    say nothing of it.
    """
    text = write_report(load_results(with_another_daemonset(make_results(), {2: 2})))[0].read_text(encoding="utf-8")
    assert text.count("A half-filled marker is a configuration whose DaemonSet completed every replication") == 2
    assert "the update did not complete, and it is on no Pareto front." in text
    assert text.count("The legend says where another DaemonSet updated with this one did not complete.") == 2
    clean = write_report(load_results(with_another_daemonset(make_results(), {})))[0].read_text(encoding="utf-8")
    assert "half-filled" not in clean and "The legend says where another DaemonSet" not in clean


@pytest.mark.parametrize(("slo", "value", "cell"), [
    ({"key": "max_duration_s", "metric": "duration_s", "bound": "max", "limit": 1232.2, "statistic": "p95"},
     1232.46, "max_duration_s: 20m32.46s (limit ≤ 20m32.2s)"),
    ({"key": "max_node_downtime_p95_s", "metric": "node_downtime_p95_s", "bound": "max", "limit": 4.2,
      "statistic": "mean"}, 4.24, "max_node_downtime_p95_s: 4.24s (limit ≤ 4.2s)"),
    ({"key": "max_max_surge_observed", "metric": "max_surge_observed", "bound": "max", "limit": 1000.0,
      "statistic": "mean"}, 1000.4, "max_max_surge_observed: 1,000.4 (limit ≤ 1,000)"),
    ({"key": "min_min_available", "metric": "min_available", "bound": "min", "limit": 12.0, "statistic": "mean"},
     11.996, "min_min_available: 11.996 (limit ≥ 12)"),
    ({"key": "min_available_fraction", "metric": "min_available_fraction", "bound": "min", "limit": 0.9,
      "statistic": "worst"}, 0.89999999, "min_available_fraction: 89.999999% (limit ≥ 90%)"),
])
def test_a_failing_value_never_shows_as_its_limit(make_results, slo, value, cell) -> None:
    """A ✗ whose value and limit round alike (a duration to whole seconds, a count to three
    digits) gets more decimals for both, whatever kind of metric it is.
    """
    results = load_results(make_results(slo=[slo]))
    summary = results.summary.copy()
    summary[f"slo_{slo['key']}"] = value
    summary["slo_ok"], summary["slo_failed"] = False, slo["key"]
    header, rows = rollsim.present.report_tables.results_table(dataclasses.replace(results, summary=summary), [])
    assert rows[0][header.index("SLO")] == "✗ " + cell


def test_an_slo_met_by_runs_that_stopped_early_is_not_a_plain_tick(make_results) -> None:
    """Audit 35: a rollout that never started (NotReady nodes holding the budget) keeps every
    desired node available, so a floor-only SLO holds; its cell said "✓" beside "0/3" completed.
    """
    slo = {"key": "min_available_fraction", "metric": "min_available_fraction", "bound": "min", "limit": 0.9,
           "statistic": "worst"}
    results = load_results(make_results(slo=[slo]))
    summary = results.summary.copy()
    summary["slo_ok"], summary["slo_failed"] = True, ""
    summary.loc[0, ["completed", "runs"]] = [0, 3]
    summary.loc[1, ["completed", "runs"]] = [3, 3]
    header, rows = rollsim.present.report_tables.results_table(dataclasses.replace(results, summary=summary), [])
    column = header.index("SLO")
    assert rows[0][column] == "✓ until cut short"
    assert rows[1][column] == "✓"


def test_a_duration_interval_never_reaches_below_zero_and_one_run_has_none(make_results) -> None:
    """A t interval of two replications reached "(-35m39s–57m38s)"; one run alone printed "(—–—)"."""
    results = load_results(make_results())
    summary = results.summary.copy()
    summary.loc[0, ["duration_s_mean", "duration_s_ci_low", "duration_s_ci_high"]] = [660.0, -2139.0, 3458.0]
    summary.loc[1, ["duration_s_ci_low", "duration_s_ci_high", "completed", "runs"]] = [math.nan, math.nan, 1, 1]
    header, rows = rollsim.present.report_tables.results_table(dataclasses.replace(results, summary=summary), [])
    column = header.index("duration: mean (95% CI)")
    assert rows[0][column] == "11m00s (≤ 57m38s; 3 runs: no lower end)"  # "(0s–57m38s)" read as a bound
    assert rows[1][column].endswith(" (n/a: 1 run)") and "—" not in rows[1][column]
    clipped = render_markdown(report_blocks(dataclasses.replace(results, summary=summary), ["duration"]))
    assert "An interval reaching below 0 (a t interval of a few replications) has its upper whisker alone" in clipped
    assert "upper whisker alone" not in render_markdown(report_blocks(results, ["duration"]))


def test_a_tied_recommendation_says_so_and_how_it_was_picked(make_results) -> None:
    """Two configurations with the same results: the one named first by label is recommended, and
    the recommendation says they are tied rather than that it is "the fastest".
    """
    results = load_results(make_results(slo=[], labels=["b", "a", "c", "d"]))
    summary = results.summary.copy()
    stats = [c for c in summary.columns if c.endswith(("_mean", "_p50", "_p95", "_max", "_ci_low", "_ci_high"))]
    summary.loc[2, stats] = summary.loc[0, stats]  # c ran exactly as b did
    summary.loc[1, "duration_s_mean"] = 1e6  # a is slow
    tied = dataclasses.replace(results, summary=summary)
    rec = recommendation_for(tied)
    assert rec.label == "b" and rec.reason.endswith("; tied with c (identical results), b is named as the first by "
                                                    "label")
    md = render_markdown(report_blocks(tied, []))
    assert "**Fastest that completed every run (no SLO given): b.** Tied with c (identical results), b is named" in md
    assert "- Fastest: b and c (tied: identical results)," in md


def test_the_caption_says_a_floor_in_nodes_is_not_drawn_on_shares(make_results) -> None:
    slo = [{"key": "min_min_available", "metric": "min_available", "bound": "min", "limit": 150.0,
            "statistic": "worst", "text": "min_available ≥ 150 (worst over replications)"}]
    results = load_results(make_results(slo=slo))
    assert rollsim.present.report.floors(results) == "drawn"
    tl = results.timelines.copy()
    tl.loc[(tl["config"] == 0) & (tl["time_s"] > 30), "desired"] = 190  # ten nodes left during the runs
    moved = dataclasses.replace(results, timelines=tl)
    assert rollsim.present.report.floors(moved) == "undrawn"
    md = render_markdown(report_blocks(moved, ["availability"]))
    assert "The SLO's floor in nodes (min_available) is not drawn" in md and "The dashed line" not in md


def test_a_share_the_plan_prints_agrees_with_its_floor() -> None:
    from rollsim.present.render import format_share

    assert format_share(1899 / 1999, (0.95,)) == "94.997%" and format_share(1899 / 1999) == "95%"
    assert [format_share(x) for x in (0.95, 0.9505, 0.02, 1.0)] == ["95%", "95.05%", "2%", "100%"]
    assert format_share(0.99999) == "99.999%" and format_share(None) == "—"


def test_the_results_table_shows_preemption_only_when_some_configuration_preempted(make_results) -> None:
    """A study whose pods never preempted has no preemption column (no run's ``preemptions`` above 0,
    as ``summary.csv`` has no preemptions_* statistics then, or only zeros); one where a configuration
    did shows, per configuration, the mean nodes and what was evicted, after the surge it made room for.
    """
    from rollsim.present.report_tables import PREEMPTED_COLUMN
    from rollsim.sweep.aggregate import PREEMPTION_METRICS, STATISTICS

    results = load_results(make_results())
    header, _ = rollsim.present.report_tables.results_table(results, [])
    assert PREEMPTED_COLUMN not in header
    summary, runs = results.summary.copy(), results.runs.copy()
    for column in (f"{m}_{s}" for m in PREEMPTION_METRICS for s in STATISTICS):
        summary[column] = 0.0
    runs["preemptions"] = 0
    zeros = dataclasses.replace(results, summary=summary, runs=runs)
    assert PREEMPTED_COLUMN not in rollsim.present.report_tables.results_table(zeros, [])[0]
    summary.loc[1, ["preemptions_mean", "preemptions_max", "preempted_cpu_millis_mean",
                    "preempted_memory_bytes_mean"]] = [3.5, 4.0, 1750.0, 1.5 * 2**30]
    runs.loc[runs["config"] == summary.loc[1, "config"], "preemptions"] = [3, 4, 3]
    header, rows = rollsim.present.report_tables.results_table(
        dataclasses.replace(results, summary=summary, runs=runs), [])
    column = header.index(PREEMPTED_COLUMN)
    assert header[column - 1] == "max surge (pods)"
    assert [row[column] for row in rows[:2]] == ["none", "3.5 nodes: 1,750m CPU, 1.5 GiB"]


def test_why_runs_stopped_says_no_node_could_be_updated_when_none_could() -> None:
    import pandas as pd
    from rollsim.present.report_tables import _healthy

    runs = pd.DataFrame({"config": [0, 0, 1, 1], "healthy_done_s": [0.0, 0.0, 0.0, 30.0],
                         "healthy_nodes": [0, 0, 0, 4]})
    assert _healthy(runs, 0) == "none could be updated"  # was "0s": done by 0 s, with nothing done
    assert _healthy(runs, 1) == "30s"


def test_one_configuration_is_counted_in_the_singular(tmp_path) -> None:
    """"1 configurations × 1 replications" and "by configuration" with a single configuration."""
    from rollsim.cli import main

    experiment = tmp_path / "one.yaml"
    experiment.write_text("name: one\nreplications: 1\nscenario:\n  cluster: {nodes: 5, add_nodes: 2@5}\n"
                          "  controller: {mode: ideal}\n", encoding="utf-8")
    assert main(["run", str(experiment), "--out-dir", str(tmp_path / "out"), "--workers", "1", "-q"]) == 0
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "1 configuration × 1 replication of a DaemonSet update" in md
    assert "| nodes that run the DaemonSet | see the results table (it changes during the run) |" in md
    assert "which change during the run" in md and "differ by configuration" not in md


def _two_budgets_report(tmp_path, cluster: str, seed: int, budgets: tuple[int, int]) -> str:
    """report.md of a two-variant ideal-mode study of ``cluster`` (YAML flow mapping), maxUnavailable ``budgets``."""
    from rollsim.cli import main

    experiment = tmp_path / "e.yaml"
    variants = "".join(f"  - {{name: mu{b}, strategy.max_unavailable: {b}}}\n" for b in budgets)
    experiment.write_text(f"name: e\nreplications: 1\nseed: {seed}\nscenario:\n  cluster: {cluster}\n"
                          f"  controller: {{mode: ideal}}\nvariants:\n{variants}", encoding="utf-8")
    assert main(["run", str(experiment), "--out-dir", str(tmp_path / "out"), "--workers", "1", "-q"]) == 0
    return (tmp_path / "out" / "report.md").read_text(encoding="utf-8")


def test_one_desired_count_in_every_run_is_not_said_to_differ_by_configuration(tmp_path) -> None:
    """Audit 35: 2 NotReady nodes of 100 left 98 desired in every run of both configurations, and the
    report said the count "differs by configuration" (the scenarios' 100 is not the runs' 98)."""
    md = _two_budgets_report(tmp_path, "{nodes: 100, not_ready_nodes: 2}", 1, (3, 4))
    assert "DaemonSet differs by configuration" not in md and "which differ by configuration" not in md
    assert "DaemonSet update on 100 nodes (98 run the DaemonSet:" in md
    assert "| nodes that run the DaemonSet | 98 (see the results table) |" in md
    assert "which are 98 in every run" in md


def test_nodes_joining_are_said_to_change_the_count_during_the_run_not_by_configuration(tmp_path) -> None:
    """Audit 36: with 5 nodes joining, every run of both configurations ended with 105, and the
    "What was simulated" section said the count "differs by configuration" where the note under
    the results table said it changes during the run."""
    md = _two_budgets_report(tmp_path, "{nodes: 100, add_nodes: 5@10}", 3, (10, 20))
    assert "differs by configuration" not in md and "| by configuration" not in md
    assert "(how many run the DaemonSet changes during the run:" in md and "which change during the run" in md
    assert "| nodes that run the DaemonSet | see the results table (it changes during the run) |" in md


def test_a_fault_and_a_clock_skew_read_in_words_in_the_results_table_as_in_the_labels(tmp_path) -> None:
    """The bad-image study's results table said ``crashloop:0.02`` in its "new pods" column (and the
    clock-skew study ``300:0.05``) where its row's label and every finding said "2% of new pods
    crash-looping": a cell says a setting as the labels do (``written_value``, ``setting_words``), the
    setup table's rows too."""
    from rollsim.cli import main
    from rollsim.sweep.labels import setting_words

    experiment = tmp_path / "words.yaml"
    experiment.write_text("name: words\nreplications: 1\nscenario:\n  cluster: {nodes: 4}\n"
                          "  controller: {mode: ideal}\n  stall_after_s: 120\n"
                          "grid:\n  faults.new_pods: [healthy, 'crashloop:0.5']\n"
                          "  cluster.clock_skew: [0, '300:0.5']\n", encoding="utf-8")
    assert main(["run", str(experiment), "--out-dir", str(tmp_path / "out"), "--workers", "1", "-q"]) == 0
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    table = md.split("## Results\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert table[0].startswith("| configuration | new pods | kubelet clock skew | completed |")
    cells = [line.split(" | ")[:3] for line in table[2:]]
    assert [c[1:] for c in cells] == [["healthy new pods", "no clock skew"],
                                      ["healthy new pods", "50% of kubelet clocks 5m ahead"],
                                      ["50% of new pods crash-looping", "no clock skew"],
                                      ["50% of new pods crash-looping", "50% of kubelet clocks 5m ahead"]]
    for label, new_pods, skew in cells:  # each cell as its row's label says it
        assert label == f"| {new_pods}, {skew}"
    assert setting_words("faults.new_pods", "crashloop:0.5") == "50% of new pods crash-looping"
    assert setting_words("cluster.clock_skew", "300:0.5") == "50% of kubelet clocks 5m ahead"
    assert "crashloop:" not in md and "300:0.5" not in md


def test_another_daemonsets_duration_is_its_mean_over_completed_runs_marked() -> None:
    """The "DaemonSets updated together" table said "did not complete" beside "5/6"; it gives the mean
    over the runs that completed, marked ``*`` as the results table marks it."""
    import pandas as pd
    from rollsim.present.report_tables import _duration_cells

    group = pd.DataFrame({"b.completed": [True, True, False], "b.duration_s": [60.0, 120.0, float("nan")]})
    assert _duration_cells(group, "b.") == ["2/3", "1m30s*"]
    assert _duration_cells(group.iloc[:2], "b.") == ["2/2", "1m30s"]
    assert _duration_cells(group.iloc[2:], "b.") == ["0/1", "did not complete"]


def test_a_node_lists_own_notready_nodes_are_counted_with_their_condition(tmp_path) -> None:
    """The setup table said "nodes NotReady before the rollout | 0" and "Unknown" for a node list with
    3 nodes Ready=False (simulate said 3 NotReady): it counts them, with their condition."""
    from rollsim.cli import main

    nodes = tmp_path / "nr20.json"
    assert main(["make-nodes", "20", "--control-plane", "0", "--not-ready", "3", "--out-file", str(nodes), "-q"]) == 0
    experiment = tmp_path / "nrf.yaml"
    experiment.write_text(f"name: nrf\nreplications: 1\nscenario:\n  cluster: {{nodes_file: {nodes}, "
                          "not_ready_nodes: 2}\n  controller: {mode: ideal}\n", encoding="utf-8")
    assert main(["run", str(experiment), "--out-dir", str(tmp_path / "out"), "--workers", "1", "-q"]) == 0
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "| nodes NotReady before the rollout | 5 (3 listed NotReady in the node list, 2 more made NotReady) |" in md
    assert "| NotReady nodes' Ready condition | False (3 listed); Unknown (2 made NotReady) |" in md
    assert "listed_not_ready" not in md  # folded into those two rows


def test_mixed_listed_conditions_are_each_counted() -> None:
    """A node list with Ready=False and Ready=Unknown nodes gives both conditions, each counted."""
    from rollsim.present.report_setup import _not_ready

    scenario = {"listed_not_ready": {"False": 2, "Unknown": 1}, "not_ready_nodes": 0, "not_ready_condition": "Unknown"}
    assert _not_ready("not_ready_nodes", scenario) == "3 (3 listed NotReady in the node list)"
    assert _not_ready("not_ready_condition", scenario) == "False (2 listed); Unknown (1 listed)"
    assert _not_ready("not_ready_nodes", {"not_ready_nodes": 2}) is None  # the setting as it is


def test_the_pull_row_names_the_size_and_bandwidths_not_the_unused_pull_time() -> None:
    """With an image size the report printed the pull time ``lognormal(median=2.4, p95=5)`` as if
    used (runs.csv: 8-173 s pulls); it says the pulls come from the size and the bandwidths, with
    their values, and no distribution."""
    from rollsim.present.report_setup import _sized_pull

    sized = {"image_size_bytes": 1e9, "node_bandwidth": 1.25e8, "registry_bandwidth": None,
             "pull": "lognormal(median=2.4, p95=5)"}
    row = _sized_pull("pull", [sized, sized])
    assert row == ("not used: each pull takes the image's bytes over the bandwidths, shared by the pulls at once "
                   "(image size (bytes) 1,000,000,000; node bandwidth (bytes/s) 125,000,000; "
                   "registry bandwidth (bytes/s) unlimited)")
    other = {**sized, "node_bandwidth": 2.5e8}
    assert _sized_pull("pull", [sized, other]).endswith(
        "(image size (bytes) 1,000,000,000; registry bandwidth (bytes/s) unlimited; "
        "by configuration, in the results table: node bandwidth (bytes/s))")
    plain = {"image_size_bytes": None, "pull": "constant(2)"}
    mixed = _sized_pull("pull", [plain, sized])
    assert mixed.startswith("constant(2) where the image has no size; where it has one, each pull takes")
    assert _sized_pull("pull", [plain]) is None
    assert _sized_pull("start", [sized]) is None


def _surge_report(tmp_path, cluster: str, variants: str = "") -> str:
    """report.md of an ideal-mode study of ``cluster`` (YAML flow mapping) whose DaemonSet requests 100m:
    maxSurge 10% against maxUnavailable 1, under a 95% floor (surge is recommended)."""
    from rollsim.cli import main

    tmp_path.mkdir()
    experiment = tmp_path / "e.yaml"
    experiment.write_text(
        "name: e\nreplications: 1\nseed: 1\nscenario:\n  cluster: " + cluster + "\n  controller: {mode: ideal}\n"
        "  daemonset: {requests_cpu: 100m}\nvariants:\n"
        "  - {name: surge, strategy.max_surge: 10%, strategy.max_unavailable: 0}\n"
        "  - {name: mu1, strategy.max_unavailable: 1}\n" + variants +
        "slo: {min_available_fraction: 0.95}\n", encoding="utf-8")
    assert main(["run", str(experiment), "--out-dir", str(tmp_path / "out"), "--workers", "1", "-q"]) == 0
    return (tmp_path / "out" / "report.md").read_text(encoding="utf-8")


def test_the_recommendation_gives_the_whole_strategy_and_says_when_surge_room_was_not_simulated(tmp_path) -> None:
    """Audit 39: "Use maxSurge 10%" pasted alone leaves maxUnavailable at its default, 1; and on nodes of
    a count (no allocatable) a surge pod always fits, which the report listed as if the requests were weighed.
    """
    md = _surge_report(tmp_path / "count", "{nodes: 40}")
    assert "**Use surge.**" in md
    assert ("**Apply it as** `updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, "
            "maxSurge: 10%}}`. Whether each node has room for the surge pod beside the old one was not simulated") in md
    assert "| requests fitted to each node's room | no: the nodes have no allocatable cpu or memory" in md
    assert "| node utilization by other pods | 0 (not modelled: the nodes have no allocatable) |" in md
    pools = _surge_report(tmp_path / "pools", "{pools: [{name: w, count: 40, allocatable: {cpu: '2', memory: 4Gi}}]}")
    assert "**Apply it as** `updateStrategy:" in pools and "was not simulated" not in pools
    assert "requests fitted" not in pools and "not modelled" not in pools


def test_a_surge_recommendation_says_what_a_bad_image_does_and_names_the_fallback_without_surge(tmp_path) -> None:
    """Audit 39: the report recommended maxSurge 10% and offered no delete-first setting that met the
    SLO, for where two agents cannot share a node (fluentd's /var/log), nor said that with
    maxUnavailable 0 a crash-looping image stalls with every old agent kept (update.go's rollingUpdate
    deletes an old pod only once its new one is available)."""
    md = _surge_report(tmp_path / "count", "{nodes: 40}")
    assert ("With maxUnavailable 0 the controller deletes a node's old pod only once its new one is available, so "
            "a new image whose pods never become available (a crash loop) stalls the rollout with every old agent "
            "still running, up to 4 nodes holding a failing new pod beside it") in md  # 10% of 40
    assert ("**Without surge:** where a second agent cannot run on a node beside the first, or nodes lack room for "
            "it, use mu1, the fastest configuration without one that completed every replication and met the SLO. "
            "mu1: mean duration") in md
    assert "`updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1, maxSurge: 0}}`." in md
    assert "no node to spare above" not in md  # mu1 kept 39 of 40, one above the floor's 38
    # maxUnavailable 2 keeps exactly the 38 of 40 a 95% floor asks: the fallback, with no node to spare
    md = _surge_report(tmp_path / "two", "{nodes: 40}", "  - {name: mu2, strategy.max_unavailable: 2}\n")
    assert "use mu2, the fastest configuration without one" in md
    assert ("It kept no node to spare above the SLO's floor: one more node without an available pod at that "
            "moment, beyond what the strategy takes down (a node going NotReady, an old agent crashing during the "
            "rollout), would have broken it.") in md


def test_the_fallback_without_surge_names_shared_paths_and_says_when_none_is_safe() -> None:
    from rollsim.present.surge_advice import stall_words, surges, without_surge
    from rollsim.sweep.slo import Constraint

    surge = {"strategy": "RollingUpdate", "max_unavailable": 0, "max_surge": "10%",
             "host_paths": ["/var/log (read-write)", "/var/lib/docker/containers (read-only)"]}
    plain = {"strategy": "RollingUpdate", "max_unavailable": "10%", "max_surge": 0}
    configs = [{"label": "s", "ok": True, "failed": [], "runs": 2, "completed": 2, "duration_s_mean": 10.0},
               {"label": "u", "ok": False, "failed": ["min_available_fraction"], "runs": 2, "completed": 2,
                "duration_s_mean": 20.0},
               {"label": "d", "ok": True, "failed": [], "runs": 2, "completed": 2, "duration_s_mean": 90.0}]
    scenarios = {"s": surge, "u": plain, "d": {"strategy": "OnDelete"}}
    floor = [Constraint("min_available_fraction", "min", 0.95)]
    rec, why = without_surge(configs, scenarios, floor, surge)
    assert rec.label == "d"  # u is faster, and unsafe; OnDelete never surges
    assert "(the two share the read-write hostPath volume /var/log while they overlap)" in why
    rec, _ = without_surge(configs[:2], scenarios, floor, surge)
    assert rec.label is None and "min_available_fraction" in rec.reason
    assert without_surge(configs, scenarios, floor, plain) is None  # the recommendation does not surge
    assert without_surge(configs[:1], scenarios, floor, surge) is None  # no configuration without surge was run
    assert surges(surge) and not surges(plain) and not surges({"strategy": "OnDelete", "max_surge": "10%"})
    assert stall_words({**surge, "max_unavailable": 1}, 4) == ""  # old pods may go first: not a clean stall
    assert stall_words({**surge, "new_pods": "crashloop"}, 4) == ""  # the runs simulated it


def test_an_slo_floor_met_with_no_node_to_spare_says_so() -> None:
    """Audit 39: OnDelete batches of 50 kept 953 of 1,003 nodes under a 95% floor, exactly the 953 it
    asks, and read "✓" as maxUnavailable 1's 1,002 did: one more node down breaks it."""
    from rollsim.present.report_tables import _slo_cell

    floor = [({"key": "min_available_fraction", "metric": "min_available_fraction", "bound": "min", "limit": 0.95},
              None)]
    row = {"slo_ok": True, "slo_failed": "", "completed": 5, "runs": 5, "min_available_min": 953,
           "min_available_fraction_min": 953 / 1003}
    assert _slo_cell(row, floor) == "✓ (no node to spare)"
    assert _slo_cell({**row, "min_available_min": 1002, "min_available_fraction_min": 1002 / 1003}, floor) == "✓"
    count = [({"key": "min_min_available", "metric": "min_available", "bound": "min", "limit": 953.0}, None)]
    assert _slo_cell(row, count) == "✓ (no node to spare)"
    assert _slo_cell({**row, "min_available_min": 954}, count) == "✓"
    assert _slo_cell({**row, "completed": 0}, floor) == "✓ until cut short"


def test_another_daemonsets_breach_of_a_floor_reads_as_a_breach() -> None:
    """Audit 41: node-exporter kept 1,352 of 1,503 nodes (89.95%) under a 90% floor; the SLO line said
    "was 90% …, against ≥ 90%" and the DaemonSets table "90.0%", which read as a pass.
    """
    import pandas as pd
    from rollsim.present.report_tables import _disruption_cells, slo_values

    share = 1352 / 1503
    assert slo_values("min_available_fraction", share, 0.9) == ("89.95%", "90%")
    assert slo_values("duration_s", 1800.4, 1800.0)[0] != slo_values("duration_s", 1800.4, 1800.0)[1]
    group = pd.DataFrame({"ne.unavailable_node_seconds": [73440.0], "ne.min_available_fraction": [share]})
    assert _disruption_cells(group, "ne.", [0.9]) == ["20.4", "89.95%"]
    assert _disruption_cells(group, "ne.") == ["20.4", "90.0%"]  # no floor to be on a side of
