"""Audit 42: what ``rollsim calibrate`` took from a pod list that a rollout's timings are not: Ready times
days after the start, an older revision's pods, a PodScheduled time that contradicts the start; and what
its skips and notes said of them.
"""

from __future__ import annotations

import copy

from rollsim.io.calibrate import pod_phases
from rollsim.io.calibrate.phases import LATER_READY
from rollsim.io.calibrate.readiness import LATE_READY_S
from rollsim.io.calibrate.records import NO_SCHEDULED
from rollsim.io.calibrate.revisions import OLDER_REVISION

from podlists import T0, event, listed, rollout, stamp


def _since_t0(text: str) -> float:
    """A timestamp as ``stamp`` takes it: seconds after ``T0``."""
    from datetime import datetime

    return (datetime.fromisoformat(text.replace("Z", "+00:00")) - T0).total_seconds()

DAY = 86400.0


def _moved(pods: list[dict], days: tuple[float, ...]) -> list[dict]:
    """``pods`` with the first ones' Ready (and ContainersReady) moved ``days`` after their containers started."""
    out = copy.deepcopy(pods)
    for p, d in zip(out, days):
        started = _since_t0(p["status"]["containerStatuses"][0]["state"]["running"]["startedAt"])
        for c in p["status"]["conditions"]:
            if c["type"] in ("Ready", "ContainersReady"):
                c["lastTransitionTime"] = stamp(started + d * DAY)
    return out


def test_ready_times_days_late_are_left_out_with_or_without_events_however_many() -> None:
    """Four at 2-5 days hid one another from the rule that compares a pod with the next slowest, and without
    events no rule looked at all: the profile held 431,988 s and simulate predicted a stall.
    """
    pods, events = rollout(40)
    late = _moved(pods, (2, 3, 4, 5))
    gone = {p["metadata"]["name"] for p in late[:4]}  # their start-up events expired days ago (an hour's TTL)
    for given in (None, [e for e in events if e["involvedObject"]["name"] not in gone]):
        s = pod_phases(listed(late), None if given is None else listed(given))
        assert s.skipped["ready"] == {LATER_READY: 4} and max(s.phases["ready"].values) < LATE_READY_S
        assert len(s.phases["ready"].values) == 36
        said = " ".join(s.warnings)
        assert "over 1 hour" in said and "172,800 s" in said and "1 more pod left out" in said
        assert ("without events (--events)" if given is None else "its events do not reach back") in said
    # a Ready an hour and a half in whose probe failed from the first probes on is a slow first readiness: kept
    slow = _moved(pods, (1.5 / 24,))
    name = slow[0]["metadata"]["name"]
    started = [e for e in events if e["involvedObject"]["name"] == name and e["reason"] == "Started"][0]
    t = _since_t0(started["firstTimestamp"])
    failing = [event(slow[0], "Unhealthy", t + 5, "Readiness probe failed: HTTP probe failed with statuscode: 503",
                     count=500, last=t + 5000, kind="Warning")]
    kept = pod_phases(listed(slow), listed(events + failing))
    assert "ready" not in kept.skipped or LATER_READY not in kept.skipped["ready"]
    assert max(kept.phases["ready"].values) > LATE_READY_S


def test_an_older_revisions_pods_are_left_out_where_the_newest_has_enough() -> None:
    pods, _ = rollout(40)
    for p in pods[:12]:  # the first created: the older revision's
        p["metadata"]["labels"]["controller-revision-hash"] = "old0"
    s = pod_phases(listed(pods))
    assert s.skipped["schedule"] == {OLDER_REVISION: 12} and len(s.phases["schedule"].values) == 28
    assert any("the 12 pods of the older one left out" in n for n in s.notes)
    few = copy.deepcopy(pods)
    for p in few[:35]:
        p["metadata"]["labels"]["controller-revision-hash"] = "old0"
    s = pod_phases(listed(few))  # the newest has 5: every pod is used, and the note says why
    assert len(s.phases["schedule"].values) == 40
    assert any("all are used: the newest (7d9f8c6b5) has 5 pods, fewer than the 10 a fit needs" in n for n in s.notes)
    terminating = copy.deepcopy(pods)
    for p in terminating[:12]:  # the older revision's pods all terminating: one revision measured, nothing said
        p["metadata"]["deletionTimestamp"] = p["metadata"]["creationTimestamp"]
    assert not [n for n in pod_phases(listed(terminating)).notes if "revision" in n]


def test_a_pod_started_before_it_was_scheduled_gives_no_phase_and_one_running_without_conditions_says_so() -> None:
    """Its PodScheduled time contradicts its start, and schedule is read from it: 5 such pods of 40 took
    schedule's mean from 1.4 s to 3.4 s. A running pod with no PodScheduled condition was "not scheduled".
    """
    pods, _ = rollout(40)
    swapped = copy.deepcopy(pods)
    for p in swapped[:5]:
        cond = {c["type"]: c for c in p["status"]["conditions"]}
        cond["PodScheduled"]["lastTransitionTime"], cond["Ready"]["lastTransitionTime"] = (
            cond["Ready"]["lastTransitionTime"], cond["PodScheduled"]["lastTransitionTime"])
    s = pod_phases(listed(swapped))
    assert all(s.skipped[name] == {"started before scheduled": 5} for name in ("schedule", "pull_start", "ready"))
    assert max(s.phases["schedule"].values) == max(pod_phases(listed(pods[5:])).phases["schedule"].values)
    bare = copy.deepcopy(pods)
    for p in bare[:3]:
        p["status"]["conditions"] = [c for c in p["status"]["conditions"] if c["type"] != "PodScheduled"]
    assert pod_phases(listed(bare)).skipped["schedule"] == {NO_SCHEDULED: 3}


def test_a_profile_that_fits_nothing_says_so_on_stderr_and_its_notes_say_what_is_kept(tmp_path, capsys) -> None:
    """Five pods: the profile held ``timings: {}``, written with exit 0 and no word, and a note said it set
    pull 0 and start to pull_start; terminate's note gave no value for the default it kept.
    """
    import yaml
    from rollsim.cli import main
    from rollsim.spec.scenario import DEFAULT_TERMINATE

    from podlists import write

    pods, _ = rollout(5)
    out = tmp_path / "t.yaml"
    assert main(["calibrate", str(write(tmp_path, pods)[0]), "--out-file", str(out), "-o", "json"]) == 0
    err = capsys.readouterr().err
    assert ("rollsim: warning: no phase has the 10 values a fit needs (at most 5 here): the profile holds no "
            "measured timing, every phase keeps its default") in err
    doc = yaml.safe_load(out.read_text())
    assert doc["timings"] == {}
    notes = " ".join(doc["notes"])
    assert "pull_start (too few values for a fit: pull and start keep their defaults)" in notes
    assert "sets pull 0" not in notes
    assert f"the default is kept, {DEFAULT_TERMINATE}: give --terminate" in notes
    many, _ = rollout(40)
    assert main(["calibrate", str(write(tmp_path, many)[0]), "-o", "json"]) == 0
    assert "no phase has" not in capsys.readouterr().err


def test_a_plan_marks_the_default_timings_and_does_not_ask_for_the_profile_it_was_given() -> None:
    """The plan's timings row listed the default terminate beside the fitted phases as if measured, and with a
    profile that fitted no ready time its console said "give --timings", which had been given.
    """
    from rollsim.present.plan_report import default_tail_words
    from rollsim.spec.scenario import DEFAULT_READY, DEFAULT_TERMINATE, is_default_timing

    assert is_default_timing("terminate", DEFAULT_TERMINATE) and is_default_timing("ready", DEFAULT_READY)
    assert not is_default_timing("terminate", "lognormal(median=5, p95=20)") and not is_default_timing("x", "1")
    assert default_tail_words(DEFAULT_READY).endswith("give --timings (a profile rollsim calibrate writes) or "
                                                      "--calibrate to replace it")
    given = default_tail_words(DEFAULT_READY, profile=True)
    assert "the timing profile given (--timings) has no ready time of its own" in given
    assert "give --timings" not in given
    assert default_tail_words("constant(3)", profile=True) == ""
