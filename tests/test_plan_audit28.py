"""Audit 28, on the stall rules of a plan (a family that can stall is judged as one that stalled,
and without a window too): what it found wrong, each held by a test.
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from rollsim.cli import main
from rollsim.plan.candidates import SURGE, Family
from rollsim.plan.constraints import Constraints
from rollsim.plan.evidence import Evidence, WindowRule
from rollsim.plan.relax import needed_window, window_basis
from rollsim.plan.relax_stalls import min_ready_relaxed
from rollsim.plan.search import Capacity, Search, SearchSettings

from helpers import one_error_line


def _run(duration: float | None, surge: int = 0, stalled: bool = False) -> dict:
    return {"completed": duration is not None, "duration_s": duration, "stalled": stalled,
            "stop_cause": "old-pod-kept" if stalled else "completed", "min_available_fraction": 1.0,
            "max_surge_observed": surge, "unavailable_node_seconds": 0.0}


def _plan(tmp_path, name: str, *flags: str) -> tuple[int, dict, pd.DataFrame]:
    out = tmp_path / name
    code = main(["plan", *flags, "--out-dir", str(out), "-q"])
    return code, json.loads((out / "plan.json").read_text()), pd.read_csv(out / "candidates.csv")


@pytest.mark.slow  # moved to CI's second lane, which has room (5-11 s each)
def test_without_a_window_the_binding_is_the_stalls_and_maxsurge_1_gets_its_own_try(tmp_path) -> None:
    """50 nodes, a 100% floor, no window, seed 1: the top counts stalled, so nothing fits. The plan had
    said "binding constraint: availability floor" (every maxSurge setting kept it), having looked at
    the counts of 1 with a window only; and its three tries had gone to maxSurge 47, 49 and 50, each
    of which stalled, so maxSurge 1 ran 5 times. Now the stalls bind, maxSurge 1 is tried to its
    stall-free runs, and minReadySeconds 0 is named.
    """
    code, doc, candidates = _plan(tmp_path, "p", "--nodes", "50", "--floor", "100%", "--min-ready-seconds", "10",
                                  "--seed", "1")
    assert code == 3 and doc["binding"] == "stalled rollouts"
    one = candidates[(candidates["kind"] == "maxSurge") & (candidates["count"] == 1)]
    assert len(one) == 1 and int(one["replications"].iloc[0]) >= 72
    assert [r["setting"] for r in doc["relaxations"] if r["constraint"] == "minReadySeconds"] == [
        "maxSurge 100% (= 50), minReadySeconds 0"]
    report = (tmp_path / "p" / "report.md").read_text()
    assert "judged against the window" not in report  # no window: nothing judges a bound against one


@pytest.mark.slow  # moved to CI's second lane, which has room (5-11 s each)
def test_a_surge_budget_relaxation_names_only_a_setting_shown_stall_free(tmp_path) -> None:
    """31 nodes, a 100% floor, 5 surge pods, seed 5: "relax surge capacity: allow 6 extra pods (then 86
    runs of it without a stall ...)" named maxSurge 6, which stalls in 8% of rollouts. A budget
    relaxation's setting is now run to the stall-free runs its family asks, and named only if none
    stalled.
    """
    code, doc, candidates = _plan(tmp_path, "p", "--nodes", "31", "--floor", "100%", "--surge-pods", "5",
                                  "--min-ready-seconds", "10", "--seed", "5")
    assert code == 3
    for r in doc["relaxations"]:
        if r["constraint"] == "surge capacity":
            row = candidates[candidates["setting"] == r["setting"]].iloc[0]
            assert row["runs_stalled"] == 0 and row["replications"] >= 80


def test_no_setting_is_run_past_the_replications_limit_for_its_stalls(tmp_path, monkeypatch) -> None:
    """With ROLLSIM_MAX_REPLICATIONS=60 a plan without a window ran its settings to 80 for their
    family's stalls; a setting needing more than the limit cannot be shown to fit: not run so, and its
    line says why.
    """
    monkeypatch.setenv("ROLLSIM_MAX_REPLICATIONS", "60")
    code, doc, candidates = _plan(tmp_path, "p", "--nodes", "31", "--floor", "100%", "--surge-pods", "5",
                                  "--min-ready-seconds", "10", "--seed", "1", "--max-replications", "20")
    assert code == 3 and candidates["replications"].max() <= 60
    assert any("and the replications limit is 60 (ROLLSIM_MAX_REPLICATIONS)" in v for v in candidates["verdict"])


@pytest.mark.parametrize("flag", ["--no-surge", "--controller"])
def test_a_window_probability_without_a_window_where_nothing_can_stall_is_refused(tmp_path, capsys, flag) -> None:
    flags = [flag, "ideal"] if flag == "--controller" else [flag]
    said = "--controller ideal" if flag == "--controller" else "--no-surge"
    assert main(["plan", "--nodes", "10", *flags, "--window-probability", "0.9", "--out-dir", str(tmp_path / "p")]) == 2
    one_error_line(capsys, f"rollsim: error: argument --window-probability: without --window it bounds the rollouts "
                           f"that stall, and with {said} none can")


def test_the_window_a_relaxation_names_holds_for_every_run_the_setting_has() -> None:
    """A setting run to 80 for its family's stalls: the longest of its first 59 runs is 1,900 s, of all
    80 2,100 s. A plan asked again with the window named runs it as far and judges all 80, so the
    window named is 2,100 s, and its words say the longest of its 80 runs.
    """
    setting = Family(SURGE, 10.0).at(1)
    e = Evidence(setting, tuple(_run(1000.0 + r * (900.0 / 58) if r < 59 else 2100.0 - (r - 59))
                                for r in range(80)))
    c = Constraints(min_available_fraction=1.0, window_s=1800)
    rule = WindowRule.of(c)
    first = Evidence(setting, e.summaries[:59])
    assert math.isclose(rule.bound(first), 1900.0) and rule.bound(e) == 2100.0
    ladder = SearchSettings().ladder
    assert needed_window(e, rule, ladder) == 2100.0

    class _Held:
        def evidence(self, settings, at_least=0):
            return [e]

    search = Search(_Held(), c, 31, Capacity(0, 0, c), (Family(SURGE, 10.0),))
    assert "the longest of its 80 runs" in window_basis(e, search, 2100.0)


def test_the_min_ready_seconds_0_relaxation_keeps_within_the_budget_its_runs_went_over() -> None:
    """At minReadySeconds 0 a run can hold one extra pod more than maxSurge at once (audit 28: "maxSurge
    30% ... its cost: up to 31 extra pods at once" under a 30-pod budget): the largest count whose runs
    went over gives way to one less, run in turn to the window's confirmation runs.
    """
    c = Constraints(min_available_fraction=1.0, window_s=3600, surge_pods=30)
    stalling = Family(SURGE, 10.0)
    asked: list[tuple[int, int]] = []

    def aside(settings, runs):
        (s,) = settings
        asked.append((s.count, runs))
        peak = s.count + 1 if s.count == 30 else s.count
        return [Evidence(s, tuple(_run(900.0, surge=peak) for _ in range(runs)))]

    class _Stalled:
        def evaluated(self):
            return [Evidence(stalling.at(30), (_run(None, stalled=True), *[_run(900.0)] * 4))]

    search = Search(_Stalled(), c, 100, Capacity(0, 0, c), (stalling,), prone=(stalling,))
    relaxed = min_ready_relaxed(search, aside)
    assert asked == [(30, 59), (29, 59)]
    assert relaxed is not None and relaxed.evidence.setting == Family(SURGE, 0.0).at(29)
    assert relaxed.needed.startswith("set it to 0 (--min-ready-seconds 0): maxSurge, minReadySeconds 10 stalled in 1 "
                                     "of its 5 runs")
