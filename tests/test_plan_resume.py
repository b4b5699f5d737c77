"""A plan keeps its runs in its folder as they finish (``runs.jsonl``): stopped during its search it
resumes without simulating them again, and a plan asked again there with other constraints reuses
the runs it shares; a reused run is the run, so the plan decides and writes the same (audit 26: an
interrupted plan kept nothing, a minute of runs on 3,000 nodes).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rollsim import build_scenario
from rollsim.plan import Constraints, plan
from rollsim.plan.candidates import SURGE, UNAVAILABLE, Setting
from rollsim.plan.search import SearchSettings
from rollsim.plan.store import RUNS_FILE, SCENARIOS, RunStore, scenario_key
from rollsim.spec import model_version
from rollsim.sweep.errors import Interrupted

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
