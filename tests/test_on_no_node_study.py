"""A mixed study: one DaemonSet that tolerates the only pool's taint and one that does not (it
runs on no node, ``allow_no_nodes``). Every figure, finding and table leaves the idle
configurations out, or marks their row "on no node", and the report names them once.
"""

from __future__ import annotations

import textwrap

import pytest
from rollsim.present.console_run import format_run
from rollsim.present.plots import FIGURES, draw_figure, nothing_to_draw
from rollsim.present.report import IDLE_NOTE, write_report
from rollsim.present.report_tables import ON_NO_NODE, results_table
from rollsim.present.study import on_no_node, without_idle
from rollsim.sweep.results import load_results

MIXED = """\
    name: mixed
    scenario:
      cluster:
        pools:
          - {name: gpu, count: 12, taints: [{key: dedicated, value: gpu, effect: NoSchedule}]}
      daemonset: {allow_no_nodes: true}
    variants:
      - name: no toleration
        daemonset.tolerations: []
      - name: tolerates gpu
        daemonset.tolerations: [{key: dedicated, operator: Exists}]
    grid:
      strategy.max_surge: [0, 2]
    replications: 2
    seed: 7
    slo:
      min_available_fraction: 0.9
    """
IDLE = ("no toleration, maxSurge 0", "no toleration, maxSurge 2")
RAN = ("tolerates gpu, maxSurge 0", "tolerates gpu, maxSurge 2")


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """The mixed study, simulated (configurations 0 and 1 on no node) and its report written."""
    from rollsim.api import load_experiment
    from rollsim.sweep.runner import run_experiment

    folder = tmp_path_factory.mktemp("mixed")
    (folder / "mixed.yaml").write_text(textwrap.dedent(MIXED), encoding="utf-8")
    run_experiment(load_experiment(folder / "mixed.yaml"), folder / "out", executor="serial", progress=False)
    results = load_results(folder / "out")
    assert on_no_node(results) == {0, 1}  # (the fixture is what it says)
    return results


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_the_availability_figure_draws_no_configuration_on_no_node(mixed) -> None:
    """It drew the idle configurations (a line of no node in the legend), and their 0 desired
    made the axis a percentage and their 0.04 s runs made the time axis logarithmic.
    """
    ax = draw_figure(mixed, "availability").axes[0]
    labels = [line.get_label() for line in ax.lines]
    assert not [label for label in labels + _legend(ax) if label.startswith("no toleration")]
    assert [label.partition(" (lowest")[0] for label in labels if label.startswith("tolerates gpu")] == list(RAN)
    assert ax.get_ylabel() == "nodes with an available pod (of 12 desired)"  # not % of desired: 0 is not desired
    assert ax.get_xscale() == "linear"


@pytest.mark.parametrize("name", list(FIGURES))
def test_no_figure_draws_a_configuration_on_no_node(mixed, name) -> None:
    assert name not in nothing_to_draw(mixed)
    ax = draw_figure(mixed, name).axes[0]
    texts = [t.get_text() for t in ax.texts] + [line.get_label() for line in ax.lines]
    texts += _legend(ax) if ax.get_legend() else []
    texts += [t.get_text() for t in ax.get_xticklabels()]
    assert not [t for t in texts if "no toleration" in t]
    assert [t for t in texts if "tolerates gpu" in t]


def _section(text: str, title: str) -> str:
    return text.split(f"## {title}\n")[1].split("\n## ")[0]


def test_findings_name_the_idle_configurations_once_and_speak_of_the_others(mixed, tmp_path) -> None:
    """The findings said "All 4 configurations completed", and set each tolerating one against
    the idle one as a condition's cost: "29m57s against 0s (+4847521%)".
    """
    text = write_report(mixed, tmp_path)[0].read_text(encoding="utf-8")
    findings = _section(text, "Findings")
    lines = [line for line in findings.splitlines() if line.startswith("- ")]
    assert lines[0] == (f"- {IDLE[0]}; {IDLE[1]}: the DaemonSet runs on no node (none of the 12 nodes can run "
                        "it): nothing to roll out, so they are left out of the recommendation, the findings below "
                        "and the figures (the results table marks their rows “on no node”).")
    assert not [line for line in lines[1:] if "no toleration" in line]
    # of the two that ran somewhere, not of the four (audit 41: "All 4 configurations" in a study of 8)
    assert "Both configurations that ran on some node completed in every replication." in findings
    assert " against 0s" not in findings and "%)" not in findings  # no condition's cost against nothing
    assert text.count("no toleration, maxSurge 0") == 1 + 1  # the findings' line, and its row of the table
    # every figure's caption says they are left out, and where they are named
    assert text.count(IDLE_NOTE.strip()) == len(FIGURES)
    assert "on 12 nodes (how many run the DaemonSet differs by configuration" in _section(text, "What was simulated")


def test_the_tables_mark_the_idle_rows_on_no_node(mixed) -> None:
    header, rows = results_table(mixed, [])
    by_label = {row[0]: row for row in rows}
    start = header.index("duration: mean (95% CI)")
    for label in IDLE:
        assert by_label[label][header.index("completed")] == "2/2"  # (their runs did end: at once)
        assert by_label[label][start:] == [ON_NO_NODE] + ["—"] * (len(header) - start - 1)
    for label in RAN:
        assert by_label[label][start] != ON_NO_NODE and by_label[label][-1].startswith("✓")


def test_rollsim_run_prints_on_no_node_for_the_idle_rows(mixed) -> None:
    """``rollsim run`` printed "0s" and the SLO "ok" for them."""
    for wide in (False, True):
        text = format_run(mixed, (mixed.path / "report.md", mixed.path / "report.html"), "note", wide=wide)
        rows = {line.split("  ")[1].strip(): line for line in text.splitlines()[2:6]}
        for label in IDLE:
            assert ON_NO_NODE in rows[label] and " ok" not in rows[label] and "0s" not in rows[label]
        for label in RAN:
            assert rows[label].endswith("ok")


def test_without_idle_keeps_every_table_of_the_others(mixed) -> None:
    shown = without_idle(mixed)
    for table in (shown.runs, shown.summary, shown.timelines, shown.downtime):
        assert set(table["config"]) == {2, 3}
