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
from rollsim.plan.store import RUNS_FILE, RunStore, scenario_key
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


def test_the_store_keeps_runs_by_scenario_setting_and_seed_and_skips_a_cut_line(tmp_path) -> None:
    store = RunStore(tmp_path)
    one, other = Setting(UNAVAILABLE, 1, 0.0), Setting(SURGE, 1, 0.0)
    store.put("k1", one, 7, {"completed": True, "duration_s": 1.5})
    store.put("k1", other, 7, {"completed": False, "duration_s": float("inf")})
    store.close()
    with (tmp_path / RUNS_FILE).open("a", encoding="utf-8") as f:
        f.write('{"key": "k1/maxUnavailable/2/0.0/7", "model_vers')  # a SIGKILL in mid-line
    again = RunStore(tmp_path)
    assert again.get("k1", one, 7) == {"completed": True, "duration_s": 1.5} and again.reused == 1
    assert again.get("k1", other, 7)["duration_s"] == float("inf")
    assert again.get("k2", one, 7) is None and again.get("k1", one, 8) is None
    assert (tmp_path / RUNS_FILE).read_text().endswith("}\n")  # the cut line dropped: the next is whole
    again.put("k1", Setting(UNAVAILABLE, 2, 0.0), 7, {"completed": True})
    again.close()
    assert len(RunStore(tmp_path).runs) == 3


def test_runs_of_another_model_version_are_dropped(tmp_path, monkeypatch) -> None:
    store = RunStore(tmp_path)
    store.put("k", Setting(UNAVAILABLE, 1, 0.0), 1, {"completed": True})
    store.close()
    monkeypatch.setattr(model_version, "MODEL_VERSION", model_version.MODEL_VERSION + 1)
    assert RunStore(tmp_path).runs == {} and (tmp_path / RUNS_FILE).read_text() == ""


def test_the_scenario_key_moves_with_what_is_simulated() -> None:
    assert scenario_key(SCENARIO) == scenario_key(build_scenario(nodes=30, controller="ideal"))
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

    with pytest.raises(Interrupted, match=rf"interrupted during the search: 10 runs of this folder's plans are kept "
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
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / RUNS_FILE).write_text('{"my": "log"}\n', encoding="utf-8")
    with pytest.raises(ResultsError, match=r"is not empty \(runs.jsonl\)"):
        check_plan_owned(mine)
