"""Tests for whether a pod's Ready time is its first readiness (``rollsim.io.calibrate.readiness``).

Audit 25 #4: ``Ready.lastTransitionTime`` is the condition's last change, so a pod whose readiness
flapped three hours after its start gave a 10,794 s "ready", and every plan stalled on it. Such a
Ready is left out of ``ready`` (only) when the pod's events show it was Ready before; a genuinely
slow first readiness, which fails its probes from the start, is kept. And #9: the probe period read
off the Ready delays no longer falls to 2 s for one odd value.
"""

from __future__ import annotations

from rollsim.io.calibrate import calibrate, parse_time, pod_phases
from rollsim.io.calibrate.events import PodEvent
from rollsim.io.calibrate.phases import LATER_READY
from rollsim.io.calibrate.profile import _lattice
from rollsim.io.calibrate.readiness import ProbeTiming, ReadyCheck, later_transitions, probe_timing, ready_check

from podlists import T0, event, listed, rollout, write

FLAP = {"ready_at": 3 * 3600.0}  # Ready three hours after creation: a later transition
SLOW = {"ready_at": 40 * 60.0}  # Ready 40 minutes after creation: under the hour past which nothing is kept unproven
PROBE = {"initialDelaySeconds": 5, "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 1}


def _started(pod) -> float:
    """Seconds after ``T0`` the pod's container started."""
    return parse_time(pod["status"]["containerStatuses"][0]["state"]["running"]["startedAt"])[0] - T0.timestamp()


def _ready(pods, events=None, **kwargs):
    return pod_phases(listed(pods), None if events is None else listed(events), **kwargs)


# -- the audit's case: a flap hours after the start ---------------------------------------------

def test_a_flap_hours_after_the_start_is_left_out_of_ready_only():
    pods, events = rollout(special={8: FLAP})
    s = _ready(pods, events)
    assert s.skipped["ready"] == {LATER_READY: 1}
    assert max(s.phases["ready"].values) <= 60 and len(s.phases["ready"].values) == 39
    assert len(s.phases["pull"].values) == len(s.phases["start"].values) == len(s.phases["schedule"].values) == 40
    note = next(n for n in s.notes if n.startswith("ready: fluentd-008 left out"))
    assert "later transition" in note and "no readiness probe failed since its start" in note
    assert note in s.warnings  # plan --calibrate shows it, where no table is printed


def test_the_profile_no_longer_holds_the_flap(tmp_path):
    pods, events = rollout(special={8: FLAP})
    c = calibrate(*write(tmp_path, pods, events))
    assert c.phases["ready"].largest <= 60  # was 10,794 s in the audit, and plans stalled
    assert "ready: every value is a multiple of 10 s" in "\n".join(c.notes)


def test_without_events_a_late_ready_under_an_hour_stays_and_one_over_it_is_left_out_with_a_warning():
    """No events: no evidence either way. Under an hour the value stays (never a lighter profile on a guess);
    over it, no rollout waits that long for a first readiness, and the profile kept a node reboot's Ready days
    late as a straggler that stalled every plan (audit 42): left out, named in a warning.
    """
    pods, _events = rollout(special={8: SLOW})
    s = _ready(pods)
    assert max(s.phases["ready"].values) > 2000 and LATER_READY not in s.skipped["ready"]
    pods, _events = rollout(special={8: FLAP})
    s = _ready(pods)
    assert s.skipped["ready"] == {LATER_READY: 1} and max(s.phases["ready"].values) <= 60
    note = next(n for n in s.warnings if n.startswith("ready: fluentd-008 left out"))
    assert "over 1 hour, and without events (--events) nothing shows a slow first readiness" in note


def test_a_late_ready_whose_start_events_are_gone_is_kept_with_a_note_under_an_hour():
    """A pod that has run longer than events are kept (plan --calibrate on a DaemonSet rolled out days ago)."""
    pods, events = rollout(special={8: SLOW})
    events = [e for e in events if e["involvedObject"]["name"] != "fluentd-008"]
    s = _ready(pods, events)
    assert max(s.phases["ready"].values) > 2000
    note = next(n for n in s.notes if n.startswith("ready: fluentd-008's Ready came"))
    assert "no event of its start is listed" in note and "kept as listed" in note and note in s.warnings
    pods, events = rollout(special={8: FLAP})  # over the hour: left out, its events not reaching back said
    events = [e for e in events if e["involvedObject"]["name"] != "fluentd-008"]
    s = _ready(pods, events)
    assert s.skipped["ready"] == {LATER_READY: 1}
    assert "its events do not reach back to its start" in next(n for n in s.warnings if "fluentd-008" in n)


# -- the evidence, rule by rule ------------------------------------------------------------------

def test_a_node_not_ready_event_before_ready_shows_an_earlier_readiness():
    """The node lifecycle controller records NodeNotReady only on a pod whose Ready it turned False."""
    pods, events = rollout(special={8: {"ready_at": 600.0}})
    events.append(event(pods[8], "NodeNotReady", 500.0, "Node is not ready", kind="Warning"))
    s = _ready(pods, events)
    assert s.skipped["ready"] == {LATER_READY: 1}
    assert any("NodeNotReady" in n and "fluentd-008" in n for n in s.notes)


def test_a_probe_that_first_failed_long_after_the_start_had_passed_before():
    pods, events = rollout(probe=PROBE, special={8: {"ready_at": 2000.0}})
    events.append(event(pods[8], "Unhealthy", 1800.0, "Readiness probe failed: HTTP probe failed with statuscode: 503",
                        kind="Warning", count=4, last=1830.0))
    s = _ready(pods, events)
    assert s.skipped["ready"] == {LATER_READY: 1}
    assert any("readiness probe first failed" in n and "fluentd-008" in n for n in s.notes)


def test_a_genuinely_slow_first_readiness_fails_its_probes_from_the_start_and_is_kept():
    """The README's promise: a slow pod's value stays, however late, when it was failing all along."""
    pods, events = rollout(probe=PROBE, special={8: {"ready": 4000.0}})
    started = _started(pods[8])
    events.append(event(pods[8], "Unhealthy", started + 8, 'Readiness probe failed: Get "http://10.0.0.9:24231": '
                        "connect: connection refused", kind="Warning", count=25, last=started + 3990))
    s = _ready(pods, events)
    assert LATER_READY not in s.skipped["ready"]
    assert max(s.phases["ready"].values) >= 3990


def test_stragglers_are_kept_even_without_probe_failures():
    """Several slow pods are no isolated later transition: each is within twice the others'."""
    slow = {i: {"ready": 3000.0 + 37 * i} for i in (3, 11, 19, 27)}  # (past the hour too: their events place them)
    pods, events = rollout(special=slow)
    s = _ready(pods, events)
    assert LATER_READY not in s.skipped["ready"]
    assert sum(v > 2900 for v in s.phases["ready"].values) == 4


def test_two_flaps_each_far_beyond_the_next_are_both_left_out():
    pods, events = rollout(special={5: {"ready_at": 2 * 86400.0}, 8: FLAP})
    assert _ready(pods, events).skipped["ready"] == {LATER_READY: 2}


def test_few_pods_are_not_judged_against_each_other():
    pods, events = rollout(n=8, special={3: SLOW})  # (over the hour, LATE_READY_S judges a pod by itself)
    assert LATER_READY not in _ready(pods, events).skipped["ready"]


def test_later_transitions_rules():
    typical = [ReadyCheck(f"p{i}", 20.0 + i, True) for i in range(12)]
    assert later_transitions(typical, None) == ({}, None)
    late = ReadyCheck("late", 500.0, True)
    found, unchecked = later_transitions([*typical, late], None)
    assert list(found) == [12] and unchecked is None
    found, unchecked = later_transitions([*typical, ReadyCheck("old", 500.0, False)], None)
    assert found == {} and unchecked == 12
    early_failure = ReadyCheck("slow", 500.0, True, first_failure=3.0)
    assert later_transitions([*typical, early_failure], None) == ({}, None)
    timing = ProbeTiming(first_ready_s=600.0, period_s=60.0)  # a 60 s probe after a 9 min delay: 500 s is early
    assert later_transitions([*typical, late], timing) == ({}, None)


def test_ready_check_reads_the_pods_events():
    events = [PodEvent("Started", 100.0, 100.0, False, "Started container c"),
              PodEvent("Unhealthy", 400.0, 420.0, False, "Readiness probe failed: 503"),
              PodEvent("Unhealthy", 130.0, 140.0, False, "Liveness probe failed: 503")]  # not readiness
    c = ready_check("p", 100.0, 900.0, events)
    assert (c.delay, c.from_start, c.first_failure, c.node_not_ready) == (800.0, True, 300.0, False)
    assert ready_check("p", 100.0, 300.0, events).first_failure is None  # after its Ready: it did not move it


def test_probe_timing_from_the_pod_spec():
    assert probe_timing({"containers": [{"name": "c"}]}) is None
    timing = probe_timing({"containers": [{"readinessProbe": {"periodSeconds": 30, "initialDelaySeconds": 15}}]})
    assert timing == ProbeTiming(15 + 2 * 30 + 1, 30.0)
    both = probe_timing({"containers": [{"startupProbe": {"periodSeconds": 5}, "readinessProbe": {}}]})
    assert both == ProbeTiming(5 + 0 + 2 * 10 + 1, 10.0)


# -- the probe period (audit 25 #9) ------------------------------------------------------------------

def test_one_odd_value_no_longer_makes_the_probe_period_2_s():
    """A gcd of the Ready delays gave 2 s on the audit's data (one flap of 10,794 s among multiples of 10)."""
    values = [20.0, 30.0, 20.0, 40.0, 20.0, 30.0, 50.0, 20.0, 30.0, 20.0, 60.0, 20.0, 10794.0]
    assert _lattice(values) == (10, 12)
    assert _lattice([20.0, 30.0, 20.0, 40.0, 20.0, 30.0, 50.0, 20.0, 30.0, 20.0, 60.0, 20.0]) == (10, 12)
    assert _lattice([20.0, 21.0, 23.0, 27.0, 31.0, 22.0, 25.0, 29.0, 24.0, 26.0]) == (0, 0)  # no lattice
    assert _lattice([20.0] * 5) == (0, 0)  # too few to say


def test_the_probe_period_note_says_how_sure_it_is(tmp_path):
    pods, events = rollout(special={8: {"ready": 37.0}, 12: {"ready": 41.0}})  # two values off the lattice
    c = calibrate(*write(tmp_path, pods, events))
    assert "ready: 38 of 40 values are a multiple of 10 s, probably the readiness probe's periodSeconds" in c.notes[
        next(i for i, n in enumerate(c.notes) if "periodSeconds" in n)]
    pods, events = rollout(probe=PROBE)
    c = calibrate(*write(tmp_path, pods, events))
    assert any(n.startswith("ready: the pods' readinessProbe.periodSeconds is 10 s") for n in c.notes)


def test_no_lattice_no_claim(tmp_path):
    pods, events = rollout(special={i: {"ready": 20.0 + 3 * i} for i in range(40)})
    c = calibrate(*write(tmp_path, pods, events))
    assert not any("periodSeconds" in n for n in c.notes)


def test_with_o_yaml_what_the_notes_say_of_left_out_pods_is_warned_on_stderr(tmp_path, capsys):
    """The table, whose notes say it, is not printed: the pods left out of ready, and those never Ready."""
    from rollsim.cli import main

    pods, events = rollout(special={8: FLAP, 5: {"crash_loop": True, "restarts": 3}})
    pods_path, events_path = write(tmp_path, pods, events)
    assert main(["calibrate", str(pods_path), "--events", str(events_path), "-o", "yaml"]) == 0
    out = capsys.readouterr()
    warnings = [line for line in out.err.splitlines() if line.startswith("rollsim: warning: ")]
    assert len(warnings) == 2 and out.err.count("\n") == 2
    assert warnings[0].startswith("rollsim: warning: ready: fluentd-008 left out")
    assert warnings[1].startswith("rollsim: warning: 1 of 40 pods (2.5%) crash-looping (CrashLoopBackOff)")
    assert "new_pods:\n  crashloop: 0.025\n" in out.out
