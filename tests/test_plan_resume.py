"""A plan keeps its runs in its folder as they finish (``runs.jsonl``): stopped during its search it
resumes without simulating them again, and a plan asked again there with other constraints reuses
the runs it shares; a reused run is the run, so the plan decides and writes the same (audit 26: an
interrupted plan kept nothing, a minute of runs on 3,000 nodes).
"""

from __future__ import annotations

import json
from concurrent.futures import Executor, Future
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from rollsim import build_scenario
from rollsim.plan import Constraints, plan
from rollsim.plan.candidates import SURGE, UNAVAILABLE, Setting
from rollsim.plan.evaluate import Evaluator
from rollsim.plan.search import SearchSettings
from rollsim.plan.store import RUNS_FILE, SCENARIOS, RunStore, scenario_key
from rollsim.spec import model_version
from rollsim.sweep.errors import Interrupted
from rollsim.sweep.executors import Backend, SerialExecutor

SCENARIO = build_scenario(nodes=30, controller="ideal")
CONSTRAINTS = Constraints(min_available_fraction=0.9, window_s=1800)
SETTINGS = SearchSettings(replications=3, max_replications=6)
# what a plan's files say of when and how fast it ran: the rest is the plan
RUN_FIGURES = ("wall_s", "cpu_s_this_process", "cpu_s_runs", "finished", "runs_reused")


def _plan(out: Path, **kw):
    return plan(SCENARIO, CONSTRAINTS, settings=SETTINGS, out=out, workers=1, report=False, **kw)


def _document(out: Path) -> dict:
    doc = json.loads((out / "plan.json").read_text())
    for key in RUN_FIGURES:
        doc["search"].pop(key, None)
    return doc


RUN = {"completed": True, "duration_s": 1.5, "stalled": False, "stop_cause": "completed",
       "min_available_fraction": 1.0, "max_surge_observed": 0, "unavailable_node_seconds": 0.0}


def test_the_store_keeps_runs_by_scenario_setting_and_seed_and_skips_a_cut_line(tmp_path) -> None:
    store = RunStore(tmp_path)
    one, other = Setting(UNAVAILABLE, 1, 0.0), Setting(SURGE, 1, 0.0)
    store.put("k1", one, 7, RUN)
    store.put("k1", other, 7, {**RUN, "completed": False, "duration_s": float("inf")})
    store.close()
    with (tmp_path / RUNS_FILE).open("a", encoding="utf-8") as f:
        f.write('{"key": "k1/maxUnavailable/2/0.0/7", "model_vers')  # a crash in mid-line
    again = RunStore(tmp_path)
    assert again.get("k1", one, 7) == RUN and again.reused == 1
    assert again.get("k1", other, 7)["duration_s"] == float("inf")
    assert again.get("k2", one, 7) is None and again.get("k1", one, 8) is None
    assert (tmp_path / RUNS_FILE).read_text().endswith("}\n")  # the cut line dropped: the next is whole
    again.put("k1", Setting(UNAVAILABLE, 2, 0.0), 7, RUN)
    again.close()
    third = RunStore(tmp_path)
    assert third.get("k1", Setting(UNAVAILABLE, 2, 0.0), 7) == RUN and third.kept() == 3


def test_a_line_edited_or_damaged_is_not_used(tmp_path) -> None:
    """Audit 29: durations halved by hand in runs.jsonl halved the answer's p50; a line with an empty
    summary made an internal error. A line whose summary does not match its digest, or lacks a run's
    keys, is not used.
    """
    store = RunStore(tmp_path)
    for seed in (1, 2, 3):
        store.put("k", Setting(UNAVAILABLE, 1, 0.0), seed, RUN)
    store.close()
    lines = (tmp_path / RUNS_FILE).read_text().splitlines()
    lines[0] = lines[0].replace('"duration_s": 1.5', '"duration_s": 0.75')
    row = json.loads(lines[1])
    row["summary"] = {}
    lines[1] = json.dumps(row)
    (tmp_path / RUNS_FILE).write_text("\n".join(lines) + "\n")
    again = RunStore(tmp_path)
    assert [again.get("k", Setting(UNAVAILABLE, 1, 0.0), seed) for seed in (1, 2, 3)] == [None, None, RUN]
    assert len((tmp_path / RUNS_FILE).read_text().splitlines()) == 1


def test_runs_of_another_model_version_are_dropped(tmp_path, monkeypatch) -> None:
    store = RunStore(tmp_path)
    store.put("k", Setting(UNAVAILABLE, 1, 0.0), 1, RUN)
    store.close()
    monkeypatch.setattr(model_version, "MODEL_VERSION", model_version.MODEL_VERSION + 1)
    assert RunStore(tmp_path).kept() == 0 and (tmp_path / RUNS_FILE).read_text() == ""


def test_a_folder_keeps_the_runs_of_the_scenarios_used_last(tmp_path) -> None:
    """Audit 29: every plan of a DaemonSet shares one folder by default, and 200,000 kept runs took
    1.5 GB: the file keeps the runs of the last SCENARIOS scenarios, and a plan parses its own only.
    """
    store = RunStore(tmp_path)
    for i in range(SCENARIOS + 3):
        store.put(f"s{i:02d}", Setting(UNAVAILABLE, 1, 0.0), 1, RUN)
    store.close()
    again = RunStore(tmp_path)
    assert again.get("s00", Setting(UNAVAILABLE, 1, 0.0), 1) is None
    assert again.get(f"s{SCENARIOS + 2:02d}", Setting(UNAVAILABLE, 1, 0.0), 1) == RUN
    assert len((tmp_path / RUNS_FILE).read_text().splitlines()) == SCENARIOS


def test_a_file_that_cannot_be_kept_only_means_runs_are_not_kept(tmp_path) -> None:
    """A directory named runs.jsonl (audit 29: exit 1 and no plan): the plan goes on, warns, and
    simulates everything.
    """
    (tmp_path / RUNS_FILE).mkdir()
    result = _plan(tmp_path)
    assert result.document["search"]["runs_reused"] == 0
    assert any("runs were not kept" in w and RUNS_FILE in w for w in result.document["warnings"])


def test_the_scenario_key_moves_with_what_is_simulated() -> None:
    assert scenario_key(SCENARIO) == scenario_key(build_scenario(nodes=30, controller="ideal"))
    # not with the manifest's own update strategy, which every run's setting replaces (audit 29)
    assert scenario_key(SCENARIO) == scenario_key(build_scenario(nodes=30, controller="ideal", max_unavailable="3",
                                                                 min_ready_seconds=10))
    assert scenario_key(SCENARIO) != scenario_key(build_scenario(nodes=31, controller="ideal"))
    assert scenario_key(SCENARIO) != scenario_key(build_scenario(nodes=30, controller="realistic"))


def test_a_plan_stopped_during_its_search_resumes_with_the_runs_it_kept(tmp_path) -> None:
    fresh = tmp_path / "fresh"
    whole = _plan(fresh)
    total = whole.document["search"]["runs"]
    assert whole.document["search"]["runs_reused"] == 0 and len((fresh / RUNS_FILE).read_text().splitlines()) == total

    out = tmp_path / "stopped"

    def stop(done: int, _submitted: int) -> None:
        if done == 10:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted, match=rf"interrupted during the search: 10 runs of it are kept "
                                          rf"in {out / RUNS_FILE}; run the plan again to resume"):
        _plan(out, on_run=stop)
    assert not (out / "plan.json").exists() and len((out / RUNS_FILE).read_text().splitlines()) == 10
    resumed = _plan(out)
    assert resumed.document["search"]["runs_reused"] == 10 and resumed.document["search"]["runs"] == total
    assert _document(out) == _document(fresh)
    assert (out / "candidates.csv").read_bytes() == (fresh / "candidates.csv").read_bytes()


def test_a_plan_asked_again_with_another_floor_reuses_the_runs_it_shares(tmp_path) -> None:
    _plan(tmp_path)
    again = plan(SCENARIO, Constraints(min_available_fraction=0.95, window_s=1800), settings=SETTINGS, out=tmp_path,
                 workers=1, report=False)
    elsewhere = plan(SCENARIO, Constraints(min_available_fraction=0.95, window_s=1800), settings=SETTINGS,
                     out=tmp_path / "new", workers=1, report=False)
    assert again.document["search"]["runs_reused"] > 0
    assert again.document["answer"] == elsewhere.document["answer"]


def test_a_folder_holding_only_the_runs_a_stopped_plan_kept_is_a_plans(tmp_path) -> None:
    from rollsim.plan.files import check_plan_owned
    from rollsim.sweep.results import ResultsError

    store = RunStore(tmp_path / "kept")
    store.put("k", Setting(UNAVAILABLE, 1, 0.0), 1, {"completed": True})
    store.close()
    check_plan_owned(tmp_path / "kept")
    # a user's runs.jsonl is refused, beside a plan too (audit 29: it was rewritten, its lines gone)
    mine = tmp_path / "mine"
    _plan(mine)
    (mine / RUNS_FILE).write_text('{"run": 1, "note": "my benchmark log"}\n', encoding="utf-8")
    with pytest.raises(ResultsError, match=r"runs.jsonl is not the runs a plan keeps"):
        check_plan_owned(mine)
    assert "my benchmark log" in (mine / RUNS_FILE).read_text()


@pytest.mark.parametrize("command", ["report", "plot"])
def test_report_names_a_plan_that_stopped_before_its_plan_json(tmp_path, capsys, command) -> None:
    from rollsim.cli import main

    kept = tmp_path / "kept"
    store = RunStore(kept)
    store.put("k", Setting(UNAVAILABLE, 1, 0.0), 1, {"completed": True})
    store.close()
    assert main([command, str(kept)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a plan that stopped before it finished (no plan.json; it left its kept runs " \
        "(runs.jsonl)): run the plan again with this --out-dir to finish it (the runs it kept are reused)" in err
    assert [p.name for p in kept.iterdir()] == [RUNS_FILE]  # nothing written
    # a folder of neither a plan nor a sweep keeps the sweep's words
    (tmp_path / "empty").mkdir()
    assert main([command, str(tmp_path / "empty")]) == 2
    assert "not a finished results folder" in capsys.readouterr().err


class _SlowFirst(Future):
    """A run that finishes after every other: taking its result before it is done is a failure (the
    evaluator would have waited on it with finished runs unkept behind it).
    """

    def result(self, timeout=None):
        assert self.done(), "waited on a slow run while runs that had finished were not kept"
        return super().result(timeout)


class _FirstIsSlow(Executor):
    """Runs each call when it is submitted, but the first one's result comes only when ``finish`` is called."""

    def __init__(self) -> None:
        self.slow: tuple[_SlowFirst, Any] | None = None

    def submit(self, fn, /, *args, **kwargs):
        future: Future = _SlowFirst() if self.slow is None else Future()
        if self.slow is None:
            self.slow = (future, partial(fn, *args, **kwargs))
        else:
            future.set_result(fn(*args, **kwargs))
        return future

    def finish(self) -> None:
        future, call = self.slow
        if not future.done():
            future.set_result(call())


def test_a_run_that_finished_behind_a_slow_one_is_kept_at_once(tmp_path) -> None:
    executor = _FirstIsSlow()
    store = RunStore(tmp_path)
    setting = Setting(UNAVAILABLE, 1, 0.0)

    def progress(done: int, _submitted: int) -> None:
        if done == 2:  # interrupted while the first run is still going
            raise KeyboardInterrupt

    evaluator = Evaluator(SCENARIO, Backend(executor, "processes", 2), 0, progress, store)
    with pytest.raises(KeyboardInterrupt):
        evaluator.evaluate([setting], 4)
    store.close()
    kept = RunStore(tmp_path)
    key = scenario_key(SCENARIO)
    stored = [kept.get(key, setting, evaluator.seed_of(r)) is not None for r in range(4)]
    assert sum(stored) == 2 and not stored[0]  # the two that finished, not the slow first
    kept.close()

    # and run through, the slow run is taken last; the evidence is in replication order all the same
    executor = _FirstIsSlow()
    done: list[int] = []
    evaluator = Evaluator(SCENARIO, Backend(executor, "processes", 2), 0,
                          lambda n, m: (done.append(n), n == m - 1 and executor.finish()), None)
    [evidence] = evaluator.evaluate([setting], 4)
    assert done == [1, 2, 3, 4] and evidence.replications == 4
    [serial] = Evaluator(SCENARIO, Backend(SerialExecutor(), "serial", 1, inline=True), 0).evaluate([setting], 4)
    assert evidence.durations.tolist() == serial.durations.tolist()
