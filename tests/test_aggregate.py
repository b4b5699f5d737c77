"""runs.csv and summary.csv tables, built from hand-written run records."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest
from rollsim.observe.metrics import SUMMARY_KEYS
from rollsim.sweep.aggregate import (
    COMPLETED_METRICS,
    METRICS,
    PREEMPTION_METRICS,
    RUN_COLUMNS,
    RUN_KEYS,
    STATISTICS,
    confidence_interval,
    metric_statistics,
    runs_frame,
    slo_columns,
    stack_runs,
    summary_frame,
    summary_long,
)
from rollsim.sweep.slo import parse_slo

SWEPT = ["strategy.max_unavailable"]


def record(config: int, replication: int, duration: float | None, *, available: int = 9,
           max_unavailable: object = 1) -> dict:
    """A run record as ``runs/<run_id>.json`` holds it, for a 10-node rollout."""
    summary = dict.fromkeys(RUN_KEYS, 0)
    summary.update(nodes=10, completed=duration is not None, duration_s=duration, updated=10,
                   min_available=available, min_available_fraction=available / 10,
                   node_downtime_p50_s=None if duration is None else duration / 4)
    return {"run_id": f"c{config:03d}-r{replication:03d}-x", "config": config,
            "label": f"max_unavailable={max_unavailable}",
            "params": {"strategy.max_unavailable": max_unavailable, "strategy.type": "RollingUpdate"},
            "replication": replication, "seed": 100 + replication, "summary": summary}


# Two configurations, deliberately out of order: c1 = "10%" (one run never finished), c0 = 1.
RECORDS = [
    record(1, 1, None, available=8, max_unavailable="10%"),
    record(0, 2, 300.0),
    record(1, 0, 100.0, available=8, max_unavailable="10%"),
    record(0, 0, 100.0),
    record(0, 1, 200.0),
]


def to_csv(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


class TestRunsFrame:
    def test_columns_in_order(self) -> None:
        frame = runs_frame(RECORDS, SWEPT)
        assert list(frame.columns) == [*RUN_COLUMNS, *SWEPT, *RUN_KEYS]
        assert list(RUN_KEYS[:len(SUMMARY_KEYS)]) == list(SUMMARY_KEYS)
        assert RUN_KEYS[len(SUMMARY_KEYS):] == ("end_s", "events", "syncs", "sync_errors", "api_writes",
                                                 "queue_wait_s", "stale_sync_skips", "stop_cause", "stop_detail",
                                                 "healthy_done_s", "healthy_nodes", "done_99_s")

    def test_other_daemonsets_columns_follow_sorted(self) -> None:
        records = [{**RECORDS[0], "summary": {**RECORDS[0]["summary"], "zeta.duration_s": 5.0,
                                               "calico.duration_s": 7.0}}]
        frame = runs_frame(records, SWEPT)
        assert list(frame.columns)[-2:] == ["calico.duration_s", "zeta.duration_s"]
        assert frame.loc[0, "calico.duration_s"] == 7.0

    def test_rows_sorted_by_config_then_replication(self) -> None:
        frame = runs_frame(RECORDS, SWEPT)
        assert list(zip(frame["config"], frame["replication"])) == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]

    def test_swept_values_as_written_and_missing_duration_empty(self) -> None:
        lines = to_csv(runs_frame(RECORDS, SWEPT)).splitlines()
        header = lines[0].split(",")
        row0, row4 = lines[1].split(","), lines[5].split(",")
        column = header.index("strategy.max_unavailable")
        assert row0[column] == "1" and row4[column] == "10%"
        assert row0[header.index("duration_s")] == "100.0"
        assert row4[header.index("duration_s")] == ""
        assert row4[header.index("completed")] == "False"

    def test_a_list_value_is_written_as_json(self) -> None:
        r = record(0, 0, 1.0, max_unavailable=[1, 2])
        assert runs_frame([r], SWEPT)["strategy.max_unavailable"][0] == "[1, 2]"

    def test_no_swept_keys(self) -> None:
        assert list(runs_frame(RECORDS[:1], []).columns) == [*RUN_COLUMNS, *RUN_KEYS]


class TestStatistics:
    def test_t_interval_by_hand(self) -> None:
        # mean 2, sample sd 1, n 3: t(0.975, 2) = 4.30265273 (tables)
        low, high = confidence_interval([1.0, 2.0, 3.0])
        half = 4.30265273 / math.sqrt(3)
        assert (low, high) == pytest.approx((2 - half, 2 + half), rel=1e-8)

    def test_interval_needs_two_values(self) -> None:
        assert all(math.isnan(v) for v in confidence_interval([5.0]))
        assert all(math.isnan(v) for v in confidence_interval([5.0, None]))

    def test_equal_values_give_a_point(self) -> None:
        assert confidence_interval([4.0, 4.0, 4.0]) == (4.0, 4.0)

    def test_statistics_skip_missing_values(self) -> None:
        s = metric_statistics([100.0, None, 300.0, math.nan, 200.0])
        assert list(s) == list(STATISTICS)
        assert s["mean"] == 200.0 and s["p50"] == 200.0 and s["max"] == 300.0
        assert s["p95"] == pytest.approx(290.0)  # linear interpolation, as numpy
        assert s["ci_low"] < 200.0 < s["ci_high"]

    def test_statistics_of_nothing_are_nan(self) -> None:
        assert all(math.isnan(v) for v in metric_statistics([None, None]).values())


class TestSummaryFrame:
    def test_columns(self) -> None:
        slo = parse_slo({"max_duration_s": 250, "min_available_fraction": 0.85})
        frame = summary_frame(runs_frame(RECORDS, SWEPT), SWEPT, slo)
        expected = ["config", "label", *SWEPT, "runs", "completed", "completed_fraction",
                    "update_completed", "update_completed_fraction",
                    *(f"{m}_{s}" for m in METRICS for s in STATISTICS),
                    *(f"{m}_completed_{s}" for m in COMPLETED_METRICS for s in STATISTICS),
                    "stop_cause", "stop_detail", "stopped_like",
                    "recommendable", "slo_ok", "slo_failed", "slo_max_duration_s", "slo_min_available_fraction"]
        assert list(frame.columns) == expected

    def test_per_run_metrics_also_over_the_completed_runs_alone(self) -> None:
        """mixed: node-hours over all runs (cut ones too) beside durations over the completed ones
        made a row's figures disagree; ``<metric>_completed_<stat>`` are over the durations' runs.
        """
        records = [dict(r, summary=dict(r["summary"])) for r in RECORDS]
        for r, hours in zip(records, (50.0, 30.0, 10.0, 10.0, 20.0)):  # c1's cut run lost 50
            r["summary"]["unavailable_node_seconds"] = hours
        frame = summary_frame(runs_frame(records, SWEPT), SWEPT, ())
        assert list(frame["unavailable_node_seconds_mean"]) == [20.0, 30.0]  # every run, as before
        assert list(frame["unavailable_node_seconds_completed_mean"]) == [20.0, 10.0]
        assert list(frame["unavailable_node_seconds_completed_max"]) == [30.0, 10.0]
        records = [dict(r, summary=dict(r["summary"], completed=False, duration_s=None)) for r in records]
        assert math.isnan(summary_frame(runs_frame(records, SWEPT), SWEPT, ())["min_available_completed_min"][0])

    def test_preemption_statistics_only_where_some_run_preempted(self) -> None:
        """No run preempted: no preemption columns (the tables of such sweeps keep theirs). One run
        of configuration 1 preempted on 4 nodes: each configuration's statistics over all its runs,
        just after the other metrics', and in the long form too.
        """
        assert not any(c.startswith("preempt") for c in summary_frame(runs_frame(RECORDS, SWEPT), SWEPT, ()).columns)
        records = [dict(r, summary=dict(r["summary"])) for r in RECORDS]
        records[0]["summary"].update(preemptions=4, preempted_cpu_millis=2000, preempted_memory_bytes=2**30)
        frame = summary_frame(runs_frame(records, SWEPT), SWEPT, ())
        columns = list(frame.columns)
        stats = [f"{m}_{s}" for m in PREEMPTION_METRICS for s in STATISTICS]
        start = columns.index("healthy_done_s_ci_high") + 1
        after = f"{COMPLETED_METRICS[0]}_completed_mean"
        assert columns[start:start + len(stats)] == stats and columns[start + len(stats)] == after
        assert list(frame["preemptions_mean"]) == [0.0, 2.0] and list(frame["preemptions_max"]) == [0.0, 4.0]
        assert list(frame["preempted_cpu_millis_mean"]) == [0.0, 1000.0]
        assert frame["preempted_memory_bytes_mean"].iloc[1] == 2**29
        long = summary_long(frame)
        assert long[(long["metric"] == "preemptions") & (long["statistic"] == "mean")]["value"].tolist() == [0.0, 2.0]

    def test_one_row_per_configuration(self) -> None:
        frame = summary_frame(runs_frame(RECORDS, SWEPT), SWEPT, ())
        assert list(frame["config"]) == [0, 1]
        assert list(frame["runs"]) == [3, 2]
        assert list(frame["completed_fraction"]) == [1.0, 0.5]
        assert list(frame["strategy.max_unavailable"]) == [1, "10%"]
        c0, c1 = frame.iloc[0], frame.iloc[1]
        assert (c0["duration_s_mean"], c0["duration_s_p50"], c0["duration_s_max"]) == (200.0, 200.0, 300.0)
        assert c1["duration_s_mean"] == 100.0 and math.isnan(c1["duration_s_ci_low"])  # one value present
        assert c0["min_available_fraction_mean"] == pytest.approx(0.9)

    def test_no_slo_holds(self) -> None:
        frame = summary_frame(runs_frame(RECORDS, SWEPT), SWEPT, ())
        assert list(frame["slo_ok"]) == [True, True] and list(frame["slo_failed"]) == ["", ""]
        assert not [c for c in frame.columns if c.startswith("slo_") and c not in ("slo_ok", "slo_failed")]

    def test_slo_verdicts(self) -> None:
        slo = parse_slo({"max_duration_s": 250, "min_available_fraction": 0.85})
        frame = summary_frame(runs_frame(RECORDS, SWEPT), SWEPT, slo)
        c0, c1 = frame.iloc[0], frame.iloc[1]
        # c0: worst duration 300 > 250 fails; min available 0.9 holds.
        assert not c0["slo_ok"] and c0["slo_failed"] == "max_duration_s"
        assert c0["slo_max_duration_s"] == 300.0 and c0["slo_min_available_fraction"] == 0.9
        # c1: a run that never finished has an infinite duration; 0.8 available fails too.
        assert c1["slo_failed"] == "max_duration_s;min_available_fraction"
        assert math.isinf(c1["slo_max_duration_s"])

    def test_slo_columns_on_mean(self) -> None:
        runs = runs_frame(RECORDS, SWEPT)
        verdict = slo_columns(runs[runs["config"] == 0], parse_slo({"statistic": "mean", "max_duration_s": 250}))
        assert verdict == {"slo_ok": True, "slo_failed": "", "slo_max_duration_s": 200.0}

    def test_order_of_records_does_not_change_a_byte(self) -> None:
        slo = parse_slo({"max_duration_s": 250})
        forward = to_csv(summary_frame(runs_frame(RECORDS, SWEPT), SWEPT, slo))
        backward = to_csv(summary_frame(runs_frame(RECORDS[::-1], SWEPT), SWEPT, slo))
        assert forward == backward
        assert to_csv(runs_frame(RECORDS, SWEPT)) == to_csv(runs_frame(RECORDS[::-1], SWEPT))


def test_stack_runs_puts_config_and_replication_first_in_run_order() -> None:
    a = pd.DataFrame({"time_s": [0.0, 1.0], "available": [3, 2]})
    b = pd.DataFrame({"time_s": [0.0], "available": [3]})
    stacked = stack_runs([(1, 0, b), (0, 1, a), (0, 0, b)], ["time_s", "available"])
    assert list(stacked.columns) == ["config", "replication", "time_s", "available"]
    assert stacked[["config", "replication"]].values.tolist() == [[0, 0], [0, 1], [0, 1], [1, 0]]
    assert stacked["available"].dtype == np.int64


def test_stack_runs_of_nothing_has_the_columns() -> None:
    assert list(stack_runs([], ["node", "downtime_s"]).columns) == ["config", "replication", "node", "downtime_s"]


def test_the_columns_of_why_runs_stopped_are_documented() -> None:
    """summary.csv's stopped_like was in no README: each column of why runs stopped is named in
    the README's list of summary.csv columns and in the experiment format's."""
    import re
    from pathlib import Path

    from rollsim.sweep.aggregate import stop_columns

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    summary = re.search(r"`summary\.csv`\n\((.*?)\), `timelines\.parquet`", readme, re.S)
    formats = (root / "experiments" / "README.md").read_text(encoding="utf-8")
    stops = re.search(r"\*\*Why runs stopped\.\*\*(.*?)\n\n", formats, re.S)
    assert summary is not None and stops is not None
    columns = stop_columns(pd.DataFrame({"completed": [True], "stop_cause": ["completed"]}))
    assert set(columns) == {"stop_cause", "stop_detail", "stopped_like"}
    for column in columns:
        assert f"`{column}`" in summary.group(1), column
        assert f"`{column}`" in stops.group(1), column


def _with_other(records: list[dict], name: str, done: list[bool | None]) -> list[dict]:
    """``records`` in which another DaemonSet ``name`` (``also``) was updated too, completing or not
    (None: not updated in that run's configuration), as ``runs/<run_id>.json`` gives its keys.
    """
    out = []
    for r, flag in zip(records, done):
        summary = dict(r["summary"])
        if flag is not None:
            summary.update({f"{name}.completed": flag, f"{name}.duration_s": 50.0 if flag else None})
        out.append(dict(r, summary=summary))
    return out


class TestWholeUpdate:
    """summary.csv said "completed 1/1" and slo_ok True of an update whose other DaemonSet never
    completed (audit H4): it now counts the whole update as the recommendation does.
    """

    def test_a_single_daemonset_study_counts_its_own(self) -> None:
        frame = summary_frame(runs_frame(RECORDS, SWEPT), SWEPT, ())
        assert list(frame["update_completed"]) == list(frame["completed"]) == [3, 1]
        assert list(frame["update_completed_fraction"]) == list(frame["completed_fraction"])
        assert list(frame["recommendable"]) == [True, False]  # c1 did not complete one run
        assert not [c for c in frame.columns if c.endswith(".completed")]

    def test_another_daemonset_that_did_not_complete_is_counted(self) -> None:
        # c0's three runs: od completed in one; c1 (two runs) does not update od
        records = _with_other(RECORDS, "od", [None, False, None, True, False])
        slo = parse_slo({"min_available_fraction": 0.85})
        frame = summary_frame(runs_frame(records, SWEPT), SWEPT, slo)
        c0, c1 = frame.iloc[0], frame.iloc[1]
        assert (c0["completed"], c0["update_completed"], c0["od.completed"]) == (3, 1, 1)
        assert c0["update_completed_fraction"] == pytest.approx(1 / 3)
        assert c0["slo_ok"] and not c0["recommendable"]  # the SLO holds; the update did not complete
        assert (c1["completed"], c1["update_completed"]) == (1, 1) and pd.isna(c1["od.completed"])
        assert list(frame.columns[-5:]) == ["od.completed", "recommendable", "slo_ok", "slo_failed",
                                            "slo_min_available_fraction"]
        text = to_csv(frame)
        assert text.splitlines()[1].split(",")[-5:-3] == ["1", "False"]  # a whole number, not 1.0
        assert text.splitlines()[2].split(",")[-5:-3] == ["", "False"]  # empty where not updated
        long = summary_long(frame)
        mean = long[(long["metric"] == "update_completed") & (long["statistic"] == "mean")]["value"].tolist()
        assert mean == pytest.approx([1 / 3, 0.5])

    def test_flags_read_back_from_csv_count_the_same(self) -> None:
        records = _with_other(RECORDS, "od", [None, False, None, True, False])
        runs = runs_frame(records, SWEPT)
        again = pd.read_csv(io.StringIO(to_csv(runs)))
        assert to_csv(summary_frame(again, SWEPT, ())) == to_csv(summary_frame(runs, SWEPT, ()))
