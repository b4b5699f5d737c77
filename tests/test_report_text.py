"""What the report's text and results table say: the runs each figure is over, a DaemonSet on no
node, Pareto fronts within noise, and the wording of findings (the audit of the report's text).
"""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import pandas as pd
import rollsim.present.report_tables
import yaml
from rollsim.present.console_run import run_document
from rollsim.present.others import with_update_columns
from rollsim.present.plots import empty_figures, without_idle
from rollsim.present.readings import fastest, slo_breaks
from rollsim.present.render import render_html, render_markdown
from rollsim.present.report import recommendation_for, write_report
from rollsim.present.study import pareto_fronts
from rollsim.sweep.aggregate import summary_frame
from rollsim.sweep.results import load_results

from helpers import rewritten

NODE_HOURS = "unavailable node-hours (mean)"
WORST = "min available, worst run (share; fewest nodes)"


def _table(folder) -> tuple[list[str], list[list[str]]]:
    return rollsim.present.report_tables.results_table(load_results(folder), [])


def _cut_one_run(folder, config: int = 2, lost: float = 99_999.0) -> None:
    """Configuration ``config``'s first run cut short at a stall, having lost ``lost`` node-seconds."""
    with rewritten(folder / "runs.csv") as runs:
        first = (runs["config"] == config) & (runs["replication"] == 0)
        runs.loc[first, ["completed", "duration_s", "unavailable_node_seconds", "min_available_fraction"]] = \
            [False, math.nan, lost, 0.5]
    with rewritten(folder / "summary.csv") as summary:
        summary.loc[summary["config"] == config, "completed"] = 2


def test_every_figure_of_a_row_is_over_the_runs_its_durations_are_over(make_results) -> None:
    """mixed: "mu 1 healthy" showed 3.0 node-hours over all 5 runs, 2 of them cut at the stall,
    beside durations over its 3 completed runs (3.49 over those): each row's figures now over
    the same runs, marked, and the note says which.
    """
    folder = make_results()
    _cut_one_run(folder)
    header, rows = _table(folder)
    runs = pd.read_csv(folder / "runs.csv")
    kept = runs[(runs["config"] == 2) & (runs["replication"] > 0)]
    hours = rows[2][header.index(NODE_HOURS)]
    assert hours == f"{kept['unavailable_node_seconds'].mean() / 3600:,.1f}*"
    assert rows[2][header.index(WORST)].endswith("*") and "50.0%" not in rows[2][header.index(WORST)]
    assert not rows[0][header.index(NODE_HOURS)].endswith(("*", "†"))  # every run completed: no mark
    assert rows[3][header.index(NODE_HOURS)].endswith("†")  # the fixture's 4th completed no run
    text = write_report(load_results(folder))[0].read_text(encoding="utf-8")
    assert "Each row's figures are over one set of runs, the one its durations are over" in text
    assert "Figures marked * are over the runs that completed only" in text
    assert "Figures marked † are over runs that were all cut short" in text
    assert "The SLO column judges every run" in text


def _on_no_node(folder, configs: tuple[int, ...] | None = None) -> None:
    """Every run of ``folder`` (of ``configs``, default all) on a DaemonSet that no node runs
    (nomatch: allow_no_nodes): it finishes at once, losing nothing.
    """
    with rewritten(folder / "runs.csv") as runs:
        mine = runs["config"].isin(configs) if configs is not None else runs["config"] == runs["config"]
        runs.loc[mine, ["nodes", "updated", "max_unavailable_observed", "min_available"]] = 0
        runs.loc[mine, "min_available_fraction"] = math.nan
        if configs is not None:
            runs.loc[mine, ["completed", "duration_s", "unavailable_node_seconds"]] = [True, 0.09, 0.0]
    if configs is not None:
        with rewritten(folder / "summary.csv") as summary:
            idle = summary["config"].isin(configs)
            summary.loc[idle, ["completed", "duration_s_mean", "unavailable_node_seconds_mean"]] = [3, 0.09, 0.0]
            summary.loc[idle, ["duration_s_ci_low", "duration_s_ci_high"]] = [0.09, 0.09]
            summary.loc[idle, ["unavailable_node_seconds_ci_low", "unavailable_node_seconds_ci_high"]] = [0.0, 0.0]
    path = folder / "experiment.yaml"
    e = yaml.safe_load(path.read_text(encoding="utf-8"))
    for c in e["configurations"]:
        if configs is None or c["index"] in configs:
            c["scenario"].update(desired_nodes=0, node_selector=["nvidia.com/gpu.present=true"])
    path.write_text(yaml.safe_dump(e, sort_keys=False, allow_unicode=True), encoding="utf-8")


def test_a_daemonset_on_no_node_gets_no_recommendation_and_no_share(make_results) -> None:
    """nomatch: "Use mu 1. ... At worst 100.0% of nodes kept an available pod" for a DaemonSet
    that 0 of 50 nodes run; the report now says so first and recommends nothing.
    """
    folder = make_results()
    _on_no_node(folder)
    results = load_results(folder)
    assert recommendation_for(results).reason.startswith("no recommendation: the DaemonSet runs on no node (its "
                                                         "nodeSelector nvidia.com/gpu.present=true matches none")
    text = write_report(results)[0].read_text(encoding="utf-8")
    recommendation = text.split("## Recommendation")[1].split("## Results")[0]
    assert "**Nothing to roll out.** The DaemonSet runs on no node" in recommendation
    assert "Use " not in recommendation and "100.0%" not in text and "meets the SLO" not in recommendation
    header, rows = rollsim.present.report_tables.results_table(results, [])
    assert {row[header.index(WORST)] for row in rows} == {"—"}
    assert {row[header.index("SLO")] for row in rows} == {"—"}
    # nothing the recommendation may pick, nothing it picked; and no figure that ranks rollouts
    assert not with_update_columns(results)["recommendable"].any()
    assert not summary_frame(results.runs, [], [])["recommendable"].any()  # as summary.csv is written now
    assert not any(c["recommended"] for c in _json(results)["configurations"])
    assert set(empty_figures(results)) == {"duration", "tradeoff", "downtime"}


def _json(results) -> dict:
    """``rollsim run -o json``'s document of ``results``."""
    report = SimpleNamespace(runs_total=0, runs_run=0, runs_reused=0, runs_stale=0, executor="serial", workers=1,
                             wall_s=0.0)
    return run_document(results, (results.path / "report.md", results.path / "report.html"), report)


def test_a_configuration_on_no_node_is_never_fastest_on_the_front_or_recommendable(make_results) -> None:
    """mixed (no toleration: runs on no node, 0.09 s, 0 node-hours): the Pareto front was that
    one alone, "Fastest: no toleration, 0.1s", and ``recommendable: true`` for it in summary.csv
    and -o json, under a recommendation of another. It is none of these now, and the figures
    that rank rollouts leave it out and say so.
    """
    folder = make_results(slo=[])
    _on_no_node(folder, (0,))
    results = load_results(folder)
    fronts = pareto_fronts(results)
    assert fronts and 0 not in [i for front in fronts.values() for i in front]
    text = write_report(results)[0].read_text(encoding="utf-8")
    label = results.summary.set_index("config").loc[0, "label"]
    findings = text.split("## Findings")[1].split("## Results")[0]
    assert f"{label}: the DaemonSet runs on no node" in findings
    assert not [line for line in findings.splitlines() if "astest" in line and label in line]
    recommendable = dict(zip(with_update_columns(results)["config"], with_update_columns(results)["recommendable"]))
    assert not recommendable[0] and any(recommendable.values())
    assert not summary_frame(results.runs, [], []).set_index("config").loc[0, "recommendable"]
    document = _json(results)
    picked = [c["label"] for c in document["configurations"] if c["recommended"]]
    assert len(picked) == 1 and picked[0] != label and picked[0] in document["recommendation"]
    assert all(c["recommendable"] for c in document["configurations"] if c["recommended"])
    assert 0 not in set(without_idle(results).summary["config"]) and not empty_figures(results)
    # every figure's caption says so, the findings alone name it
    assert text.count("Not drawn: the configurations whose DaemonSet ran on no node") == 4


def _summary_rows(folder, values: dict[int, dict]) -> None:
    with rewritten(folder / "summary.csv") as summary:
        for config, row in values.items():
            for key, value in row.items():
                summary.loc[summary["config"] == config, key] = value


def test_node_hours_within_noise_are_a_tie_on_the_front(make_results) -> None:
    """many: 8,779.3 against 8,780.3 node-seconds (probe timing, 0.01%) put 9 configurations on the
    front; within noise only the faster of them is on it, and a member failing the SLO says so.
    """
    folder = make_results()
    ties = {"unavailable_node_seconds_ci_low": math.nan, "unavailable_node_seconds_ci_high": math.nan}
    _summary_rows(folder, {0: {"unavailable_node_seconds_mean": 1000.0, "duration_s_mean": 500.0, **ties},
                           1: {"unavailable_node_seconds_mean": 1003.0, "duration_s_mean": 400.0, **ties},
                           2: {"unavailable_node_seconds_mean": 1004.0, "duration_s_mean": 300.0, **ties,
                               "slo_ok": False, "slo_failed": "min_available_fraction"}})
    assert pareto_fronts(load_results(folder)) == {"": [2]}
    text = write_report(load_results(folder))[0].read_text(encoding="utf-8")
    line = next(t for t in text.splitlines() if t.startswith("Pareto front"))
    assert line.endswith(": maxUnavailable 25%, minReadySeconds 0 (fails the SLO: min_available_fraction).")
    _summary_rows(folder, {1: {"unavailable_node_seconds_mean": 900.0}})  # 10% fewer: no tie
    assert pareto_fronts(load_results(folder)) == {"": [1, 2]}


def test_the_slo_line_writes_its_limits_as_the_cells_do(fake_results) -> None:
    """surge, mixed: "duration_s ≤ 1800" beside cells that say "(limit ≤ 30m00s)"."""
    text = write_report(load_results(fake_results))[0].read_text(encoding="utf-8")
    assert ("**SLO:** duration_s ≤ 30m00s (worst over replications); min_available_fraction ≥ 80% "
            "(worst over replications).") in text


def test_a_strategy_ignores_settings_that_read_as_dashes(make_results) -> None:
    """fluentd-1000: "OnDelete, batches of 50" showed maxUnavailable 1 and maxSurge 0, which OnDelete ignores."""
    folder = make_results()
    path = folder / "experiment.yaml"
    e = yaml.safe_load(path.read_text(encoding="utf-8"))
    e["configurations"][1]["scenario"].update(strategy="OnDelete", deleter="batch:50")
    path.write_text(yaml.safe_dump(e, sort_keys=False, allow_unicode=True), encoding="utf-8")
    header, rows = rollsim.present.report_tables.results_table(load_results(folder),
                                                               ["strategy", "max_unavailable", "deleter"])
    assert rows[1][1:4] == ["OnDelete", "—", "batches of 50"]  # as a person writes it (audit 18 C2)
    assert rows[0][1:4] == ["RollingUpdate", "10%", "—"]


def test_one_configuration_is_neither_fastest_nor_one_of_several() -> None:
    """single: "Fastest: base, 16m24s on average." and "No configuration meets the SLO."."""
    s = pd.DataFrame([{"config": 0, "label": "base", "runs": 3, "completed": 3, "duration_s_mean": 984.0,
                       "slo_ok": False, "slo_failed": "max_duration_s"}])
    assert fastest(s) == ["Mean duration 16m24s (base)."]
    slo = [{"key": "max_duration_s", "metric": "duration_s", "bound": "max", "limit": 600.0}]
    assert slo_breaks(s, slo, []) == ["The configuration does not meet the SLO."]


def test_a_long_list_of_configurations_ends_in_one_stop() -> None:
    """many: "max_unavailable=10, …." ended in an ellipsis and a stop."""
    s = pd.DataFrame([{"config": i, "label": f"mu {i}", "runs": 2, "completed": 2, "duration_s_mean": 100.0,
                       "slo_ok": i < 11, "slo_failed": ""} for i in range(13)])
    line = slo_breaks(s, [{"key": "k", "metric": "duration_s", "bound": "max", "limit": 1.0}], [])[0]
    assert line.endswith("mu 7; and 3 more.") and "…." not in line


def test_causes_are_a_list_under_their_finding_in_both_formats() -> None:
    """bad-image: "The others stopped because of:" was followed by sibling bullets."""
    blocks = [("ul", [[("", "The others stopped because of:"), ("ul", [[("", "a.")], [("", "b.")]])], [("", "c.")]])]
    assert render_markdown(blocks) == "- The others stopped because of:\n  - a.\n  - b.\n- c.\n"
    html = render_html(blocks, {}, "t")
    assert re.search(r"<li>The others stopped because of:<ul><li>a\.</li><li>b\.</li></ul></li><li>c\.</li>", html)


def test_a_configuration_whose_nodes_all_left_is_one_with_nothing_to_roll_out(make_results) -> None:
    """Audit 23: ``--remove-nodes 10@5`` on 10 nodes "completed" in a minute with nothing updated; one old
    pod had gone, so something was unavailable, and the configuration was not taken for one on no node:
    it could rank fastest and be recommended. Nothing updated and no node at the end is nothing rolled out.
    """
    from rollsim.sweep.aggregate import ran_on_no_node

    folder = make_results(slo=[])
    _on_no_node(folder, (0,))
    with rewritten(folder / "runs.csv") as runs:
        runs.loc[runs["config"] == 0, "max_unavailable_observed"] = 1
    results = load_results(folder)
    assert ran_on_no_node(results.runs[results.runs["config"] == 0])
    assert not ran_on_no_node(results.runs[results.runs["config"] == 1])
    assert 0 not in set(without_idle(results).summary["config"])
    assert not summary_frame(results.runs, [], []).set_index("config").loc[0, "recommendable"]


def test_figures_are_not_drawn_when_only_configurations_on_no_node_completed(make_results) -> None:
    """0–2 on no node (completed at once), 3 stuck: the figures that rank rollouts were drawn,
    empty of all but the idle ones they leave out; they are a line now, as with no run completed.
    """
    folder = make_results(slo=[])
    _on_no_node(folder, (0, 1, 2))
    results = load_results(folder)
    empty = empty_figures(results)
    assert set(empty) == {"duration", "tradeoff", "downtime"}
    assert empty["duration"].startswith("no configuration that ran on some node completed a run")


def test_a_setting_left_at_its_default_says_what_the_default_is() -> None:
    """"registry pull rate | default" left the reader of a change review to guess: unlimited, none, never."""
    from rollsim.present.report_setup import _setting

    assert [_setting(k, None) for k in ("registry_pull_rate", "registry_pull_window", "horizon_s", "image_size_bytes",
                                        "rollback_after_s", "registry_pull_burst")] == [
        "unlimited", "none", "30 days", "none", "never", "max(1, pull rate)"]
    assert _setting("registry_pull_rate", 2.0) == "2" and _setting("no_such_key", None) == "default"


def test_a_description_keeps_its_paragraphs(make_results) -> None:
    """field-neco-1910's "Background ..." ran on in its first paragraph: YAML's folded ``>-`` keeps a
    blank line as one newline, which Markdown and the HTML joined into the paragraph before it."""
    from rollsim.present.render import paragraphs
    from rollsim.present.report import write_report
    from rollsim.sweep.results import load_results

    folded = yaml.safe_load("d: >-\n  First line\n  wraps.\n\n  Background: second.\n")["d"]
    literal = yaml.safe_load("d: |\n  First line\n  wraps.\n\n  Background: second.\n")["d"]
    assert folded == "First line wraps.\nBackground: second."
    assert paragraphs(folded) == paragraphs(literal) == ["First line wraps.", "Background: second."]
    assert paragraphs("one line") == ["one line"]
    _, html = write_report(load_results(make_results(description=folded)))
    text = html.read_text(encoding="utf-8")
    assert "<p>First line wraps.</p>" in text and "<p>Background: second.</p>" in text
