"""rollsim as a library: the public API, notebook reprs, frame-level plots, the long-form summary
and the Prometheus/OpenMetrics export of a timeline."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rollsim
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_prometheus
from rollsim.io.openmetrics import HOLD_S, MAX_HELD, SERIES, held, timeline_exposition
from rollsim.present.plots import plot_availability, plot_downtime, plot_duration, plot_tradeoff
from rollsim.sweep.aggregate import METRICS, STATISTICS, summary_long

DATA = Path(__file__).parent / "data"
EXPERIMENT = """\
name: lib
scenario:
  cluster: {nodes: 10}
  controller: {mode: ideal}
  timings: {schedule: 1, pull: 2, start: 3, ready: 4, terminate: 5, probe_period: 0}
grid:
  strategy.max_unavailable: [1, 5]
replications: 2
seed: 4
"""


@pytest.fixture(scope="module")
def run() -> rollsim.RunResult:
    return rollsim.simulate(rollsim.build_scenario(nodes=30, max_unavailable="10%"), seed=1)


# -- the public API ----------------------------------------------------------------------------

def test_all_names_resolve() -> None:
    for name in rollsim.__all__:
        assert getattr(rollsim, name) is not None, name
    with pytest.raises(AttributeError):
        rollsim.no_such_thing  # noqa: B018


def test_rollsim_plan_is_callable_after_its_package_is_imported() -> None:
    """The README's order: ``from rollsim.plan import Constraints`` makes ``rollsim.plan`` the package."""
    code = ("import rollsim\nfrom rollsim.plan import Constraints, PlanResult\n"
            "result = rollsim.plan(rollsim.build_scenario(nodes=4), Constraints(window_s=3600), workers=1)\n"
            "assert isinstance(result, PlanResult) and result.chosen is not None\n"
            "print(result.document['answer']['patch'])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "kubectl patch" in done.stdout


def test_load_daemonset_and_nodes_feed_build_scenario() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spec = rollsim.load_daemonset(DATA / "manifests" / "unknown-fields.yaml")
    assert caught and "unknown" in str(caught[0].message)
    nodes = rollsim.load_nodes(next((DATA / "nodes").glob("*.json")))
    scenario = rollsim.build_scenario(daemonset_spec=spec, node_list=nodes)
    assert scenario.daemonset.name == spec.name and len(scenario.nodes) == len(nodes)


def test_run_experiment_takes_any_executor_and_gives_the_same_results(tmp_path) -> None:
    path = tmp_path / "lib.yaml"
    path.write_text(EXPERIMENT)
    serial = rollsim.run_experiment(path, "serial", out_dir=tmp_path / "serial", progress=False)
    with ThreadPoolExecutor(2) as pool:
        threaded = rollsim.run_experiment(rollsim.load_experiment(path), pool, out_dir=tmp_path / "threads",
                                          progress=False)
    assert threaded.manifest["executor"] == "ThreadPoolExecutor"
    for name in ("runs.csv", "summary.csv", "summary_long.csv"):
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "threads" / name).read_bytes(), name
    assert list(serial.summary["label"]) == list(threaded.summary["label"])


def test_run_experiment_writes_to_results_name_by_default(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lib.yaml").write_text(EXPERIMENT)
    results = rollsim.run_experiment("lib.yaml", "serial", progress=False)
    assert results.path == Path("results") / "lib" and (tmp_path / "results" / "lib" / "summary.csv").is_file()


# -- reprs ------------------------------------------------------------------------------------

def test_run_result_repr_is_one_short_line(run) -> None:
    text = repr(run)
    assert "\n" not in text and len(text) < 250
    assert text.startswith("RunResult(30 nodes, RollingUpdate maxUnavailable=10%") and "completed yes" in text


def test_run_result_html_has_the_summary_and_a_sparkline(run) -> None:
    page = run._repr_html_()
    assert page.count("<svg") == 1 and "<polyline" in page and "min available" in page
    assert "27 nodes (90.0%)" in page  # 10% of 30 down at a time
    assert len(page) < 3000 and "time_s" not in page  # no frame dumped


def test_results_show_a_table_and_sparklines(tmp_path) -> None:
    path = tmp_path / "lib.yaml"
    path.write_text(EXPERIMENT)
    results = rollsim.run_experiment(path, "serial", out_dir=tmp_path / "out", progress=False)
    assert repr(results).startswith("Results('lib': 2 configurations × 2 replications, 4 runs")
    page = results._repr_html_()
    assert page.count("<svg") == 2 and "maxUnavailable 5" in page


# -- tidy frames --------------------------------------------------------------------------------

def test_summary_long_has_one_row_per_config_metric_and_statistic() -> None:
    wide = pd.DataFrame([{"config": 1, "label": "b", "x": 2, "runs": 3, "completed_fraction": 1.0,
                          **{f"{m}_{s}": 10.0 for m in METRICS for s in STATISTICS}},
                         {"config": 0, "label": "a", "x": 1, "runs": 3, "completed_fraction": 0.5,
                          **{f"{m}_{s}": math.nan for m in METRICS for s in STATISTICS}}])
    wide.loc[0, "duration_s_p95"] = 42.0
    long = summary_long(wide)
    assert list(long.columns) == ["config", "label", "metric", "statistic", "value"]
    assert len(long) == 2 * (1 + len(METRICS) * len(STATISTICS))
    assert list(long["config"].unique()) == [0, 1]  # sorted by configuration
    row = long[(long["config"] == 1) & (long["metric"] == "duration_s") & (long["statistic"] == "p95")]
    assert row["value"].tolist() == [42.0]
    completed = long[long["metric"] == "completed"]
    assert completed["value"].tolist() == [0.5, 1.0] and set(completed["statistic"]) == {"mean"}


# -- plots from frames ----------------------------------------------------------------------------

def test_plots_take_frames_and_a_run(run, tmp_path) -> None:
    ax = plot_availability(run.timeline)
    assert isinstance(ax, Axes) and ax.get_lines()
    assert plot_availability(run).get_lines()  # a RunResult
    assert plot_downtime(run).get_lines()
    fig = Figure()
    given = fig.add_subplot()
    assert plot_availability(run.timeline, ax=given) is given
    path = tmp_path / "lib.yaml"
    path.write_text(EXPERIMENT)
    results = rollsim.run_experiment(path, "serial", out_dir=tmp_path / "out", progress=False)
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    ax = plot_duration(summary)
    assert ax.get_xlabel().startswith("maxUnavailable")  # the swept key, found in the frame, as the report names it
    assert plot_tradeoff(summary).collections
    one = results.timelines[results.timelines["config"] == 0]
    assert len(plot_availability(one).get_lines()) == 1
    with pytest.raises(ValueError, match="missing available"):
        plot_availability(pd.DataFrame({"time_s": [0.0], "desired": [1]}))


# -- Prometheus and OpenMetrics text ----------------------------------------------------------------

TIMELINE = pd.DataFrame({"time_s": [0.0, 5.0, 5.0, 12.3456], "desired": [3, 3, 3, 3], "available": [3, 2, 1, 3],
                         "unavailable": [0, 1, 2, 0], "updated": [0, 0, 1, 3]})


def test_a_surge_timeline_exports_its_extra_pods() -> None:
    """Audit 36: the timeline's extra_pods column (pods bound beyond one a node, terminating ones too)
    was in its CSV and not in its .prom/.om export."""
    from rollsim import build_scenario, simulate

    result = simulate(build_scenario(nodes=20, max_surge=5, controller="ideal", schedule=1, pull=2, start=3, ready=4,
                                     terminate=5, probe_period=0), seed=0)
    families = {f.name: f for f in parse_prometheus(timeline_exposition(result.timeline))}
    extra = families["rollsim_daemonset_extra_pods"]
    assert max(s.value for s in extra.samples) == result.summary["max_extra_pods"] == 10


def test_prometheus_text_parses_with_millisecond_timestamps() -> None:
    text = timeline_exposition(TIMELINE, start_s=1_700_000_000, labels={"daemonset": 'fluent"bit', "seed": "0"})
    families = {f.name: f for f in parse_prometheus(text)}
    assert set(families) == {SERIES[c][0] for c in ("desired", "available", "unavailable", "updated")}
    available = families["rollsim_daemonset_available_nodes"]
    assert available.type == "gauge"
    # the parser reads the milliseconds of the text as seconds; the last state at 5 s is kept
    assert [(s.timestamp, s.value) for s in available.samples] == [
        (1_700_000_000.0, 3.0), (1_700_000_005.0, 1.0), (1_700_000_012.346, 3.0)]
    assert '{daemonset="fluent\\"bit",seed="0"} 1 1700000005000\n' in text
    assert available.samples[0].labels == {"daemonset": 'fluent"bit', "seed": "0"}
    assert text.count("rollsim_daemonset_available_nodes{") == 3


def test_openmetrics_text_parses_with_second_timestamps() -> None:
    text = timeline_exposition(TIMELINE, start_s=1_700_000_000, openmetrics=True)
    assert text.endswith("# EOF\n")
    families = {f.name: f for f in parse_openmetrics(text)}
    stamps = [float(s.timestamp) for s in families["rollsim_daemonset_updated_nodes"].samples]
    assert stamps == [1_700_000_000.0, 1_700_000_005.0, 1_700_000_012.346]


def test_simulate_writes_a_timeline_by_extension(tmp_path, run) -> None:
    from rollsim.cli import main

    prom, om = tmp_path / "t.prom", tmp_path / "t.om"
    assert main(["simulate", "--nodes", "8", "-q", "--timeline", str(prom), "--timeline-start",
                 "2024-06-01T12:00:00Z"]) == 0
    samples = [s for f in parse_prometheus(prom.read_text()) for s in f.samples]
    assert samples[0].timestamp == 1_717_243_200.0 and samples[0].labels["daemonset"] == "fluentd-elasticsearch"
    assert main(["simulate", "--nodes", "8", "-q", "--timeline", str(om)]) == 0
    assert list(parse_openmetrics(om.read_text()))
    with pytest.raises(ValueError, match="label name"):
        timeline_exposition(TIMELINE, labels={"bad-name": "x"})


def test_held_repeats_the_state_to_the_runs_end_within_prometheus_lookback() -> None:
    """A stall's timeline ended at its last change (34 s of a 30-minute run): after 5 minutes without
    a sample Prometheus finds no series, and the CSV's steps summed to 339 of 18,000 node-seconds.
    """
    frame = held(TIMELINE, 1000.0, 240.0)
    assert frame["time_s"].tolist() == [0.0, 5.0, 5.0, 12.3456, 252.3456, 492.3456, 732.3456, 972.3456, 1000.0]
    assert frame["available"].tolist() == [3, 2, 1, 3, 3, 3, 3, 3, 3]  # the last state, held
    closing = held(TIMELINE, 1000.0)  # no repeats: one closing row
    assert closing["time_s"].tolist() == [0.0, 5.0, 5.0, 12.3456, 1000.0]
    assert held(TIMELINE, 12.3456, 240.0).equals(TIMELINE)  # ended at its last change: nothing to add
    years = held(TIMELINE, 1e12, 240.0)  # a run of 30,000 years: at most MAX_HELD repeats, evenly
    assert len(years) <= len(TIMELINE) + MAX_HELD + 1 and years["time_s"].is_monotonic_increasing
    gaps = np.diff(TIMELINE.assign(time_s=[0.0, 5.0, 5.0, 900.0]).pipe(held, 900.0, 240.0)["time_s"])
    assert gaps.max() <= 240.0  # between changes too


def test_simulate_timeline_export_holds_to_the_runs_end(tmp_path) -> None:
    from rollsim.cli import main

    csv, om = tmp_path / "t.csv", tmp_path / "t.om"
    flags = ["simulate", "--nodes", "20", "--max-unavailable", "2", "--new-pods", "crashloop", "--stall-after", "900"]
    assert main([*flags, "-q", "--timeline", str(csv)]) == 0
    assert main([*flags, "-q", "--timeline", str(om)]) == 0
    assert main([*flags, "-o", "json"]) == 0
    frame = pd.read_csv(csv)
    summary = rollsim.simulate(rollsim.build_scenario(nodes=20, max_unavailable=2, new_pods="crashloop",
                                                      stall_after=900)).summary
    assert frame["time_s"].iloc[-1] == summary["end_s"] == 900.0  # the last change was at 30-odd s
    steps = np.diff(frame["time_s"].to_numpy()) * frame["unavailable"].to_numpy()[:-1]
    assert steps.sum() == pytest.approx(summary["unavailable_node_seconds"])
    (unavailable,) = [f for f in parse_openmetrics(om.read_text()) if f.name == SERIES["unavailable"][0]]
    stamps = np.array([float(s.timestamp) for s in unavailable.samples])
    assert stamps[-1] == pytest.approx(summary["end_s"]) and np.diff(stamps).max() <= HOLD_S + 1e-6  # (ms rounding)


def test_a_timeline_whose_timestamps_would_overflow_is_refused() -> None:
    """Past 2^63 ms (9.2e15 s) the cast to int64 gave a wrong timestamp (int64's minimum) and a
    RuntimeWarning; a time that is NaN did too."""
    for time_s, start_s in ((9.3e15, 0.0), (9.2233e15, 253_402_300_799.0), (-9.3e15, 0.0), (math.nan, 0.0)):
        frame = TIMELINE.assign(time_s=[0.0, 5.0, 5.0, time_s])
        with pytest.raises(ValueError, match="must fit a sample's int64 timestamp in milliseconds"):
            timeline_exposition(frame, start_s=start_s)
    frame = TIMELINE.assign(time_s=[0.0, 5.0, 5.0, 9.2e15])
    assert timeline_exposition(frame).endswith(" 3 9200000000000000000\n")


def test_a_scenarios_horizon_keeps_every_time_inside_a_timelines_timestamps() -> None:
    from rollsim.spec.scenario import MAX_HORIZON_S, Scenario

    assert (MAX_HORIZON_S + 253_402_300_799) * 1000 < 2**63  # any --timeline-start, the latest included
    assert MAX_HORIZON_S < 2**53  # float seconds still exact to better than a second
    assert Scenario(nodes=1, horizon_s=MAX_HORIZON_S).horizon_s == MAX_HORIZON_S
    for horizon in (1.01 * MAX_HORIZON_S, math.inf, math.nan, 0.0):
        with pytest.raises(ValueError, match="horizon must be greater than 0 and at most 1e\\+15 s"):
            Scenario(nodes=1, horizon_s=horizon)


def test_frames_are_built_once_from_the_columns_the_summary_read(run: rollsim.RunResult) -> None:
    """The summary comes from the recorder's columns; the frames, built when first read, hold
    those very arrays, and the summary computed from them is the same."""
    from rollsim.observe.metrics import summarize
    from rollsim.observe.stopcause import healthy_done_s

    assert run.timeline is run.timeline and run.nodes is run.nodes and run.status is run.status
    assert list(run.timeline.columns) == list(run.timeline_columns)
    assert list(run.nodes.columns) == list(run.node_columns)
    for frame, columns in ((run.timeline, run.timeline_columns), (run.nodes, run.node_columns)):
        assert all(np.shares_memory(frame[name].to_numpy(), columns[name]) for name in columns if name != "node")
    assert len(run.status) == len(run.status_log) > 0
    end = run.summary["end_s"]
    from_columns = summarize(run.timeline_columns, run.node_columns, run.summary["duration_s"], end)
    from_frames = summarize(run.timeline, run.nodes, run.summary["duration_s"], end)
    assert from_columns == from_frames
    assert {k: run.summary[k] for k in from_columns if k not in ("peak_concurrent_pulls", "mean_pull_s")} == \
        {k: v for k, v in from_columns.items() if k not in ("peak_concurrent_pulls", "mean_pull_s")}
    stuck = list(run.nodes["node"][:3])
    assert healthy_done_s(run.node_columns, stuck) == healthy_done_s(run.nodes, stuck)


@pytest.mark.parametrize("seed", [None, True, 1.5, float("nan"), "3", -1])
def test_simulate_refuses_a_seed_that_is_not_a_whole_number(seed) -> None:
    with pytest.raises(ValueError, match=r"seed must be a non-negative integer, got "):
        rollsim.simulate(rollsim.build_scenario(nodes=5), seed=seed)


def test_simulate_says_what_it_takes() -> None:
    """A mapping of options is not a scenario: the error says what is (it was an AttributeError)."""
    with pytest.raises(TypeError, match=r"simulate takes a Scenario \(rollsim.build_scenario\(...\)\), got dict"):
        rollsim.simulate({"nodes": 5})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(nodes=300, image_cached=0.5, node_utilization=1.5),
         "node_utilization: must be a fraction between 0 and 1, got 1.5"),
        (dict(nodes=300, maxSurge="10%"), "unknown scenario option(s): maxSurge; did you mean max_surge?"),
        (dict(nodes=10, max_unavailble=1), "unknown scenario option(s): max_unavailble; did you mean max_unavailable?"),
        (dict(nodes=10, stall_after_s=60),
         "unknown scenario option(s): stall_after_s (stall_after_s is an experiment file's key: the keyword is "
         "stall_after)"),
    ],
)
def test_a_notebook_error_names_the_keyword_and_offers_a_spelling(options, message) -> None:
    """Audit 6: ``build_scenario``'s errors left the keyword out (it was only in ``e.options``)."""
    from rollsim.spec.options import OptionError

    with pytest.raises(OptionError) as info:
        rollsim.build_scenario(**options)
    assert str(info.value) == message
