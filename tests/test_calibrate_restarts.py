"""Tests for the slowest pods calibrate used to drop: restarted pods, backed-off pulls, crash loops.

Audit 25 #5: the 2 pods OOMKilled before they were Ready (56 s and 68 s to Ready, median 27 s) were
skipped from start and ready, the pull that got a 429 and backed off (190 s) from pull, and the pod in
CrashLoopBackOff was counted as "container not running": the profile was lighter than the cluster,
against the README's promise. They are measured now, and the crash loop is reported as the fraction
``--new-pods`` takes, recorded in the profile, and warned of where simulate and plan read it.
"""

from __future__ import annotations

import pytest
import yaml
from rollsim.cli import main
from rollsim.io.calibrate import calibrate, pod_phases, profile_document, read_profile, write_timings
from rollsim.io.calibrate.events import PodEvent
from rollsim.io.calibrate.pulls import Pull, pod_pull
from rollsim.io.calibrate.restarts import Container, FirstStart, failing, first_start

from podlists import listed, pod, rollout, write

OOM = {"restarts": 1, "ready": 20.0}  # crashed once after 20 s, restarted at once, Ready 20 s later


def _phases(pods, events=None):
    return pod_phases(listed(pods), None if events is None else listed(events))


# -- restarted pods ---------------------------------------------------------------------------------

def test_a_restarted_pod_is_measured_from_its_first_start():
    """Ready − first start holds the crash and the restart: 20 s running, 0 s back-off, 20 s to Ready."""
    p, e = pod("p", 0.0, scheduled=1.0, pull=4.0, start=2.0, **OOM)
    s = _phases([p], e)
    assert s.phases["ready"].values == (40.0,)  # 20 s after the restart, 40 s after the first start
    assert s.phases["start"].values == pytest.approx((2.0,), abs=1.0)  # its own start, not the restart
    assert s.skipped["ready"] == {} and s.skipped["start"] == {}
    assert any("1 restarted pod (p) measured from the first start" in n for n in s.notes)


def test_a_restart_is_read_from_last_state_or_the_folded_started_event():
    # twice restarted: lastState is the previous run, but the Started event folded all 3 starts
    p, e = pod("p", 0.0, restarts=2, ready=20.0, started_events="each")
    assert _phases([p], e).phases["ready"].values == (20 + 0 + 20 + 10 + 20.0,)  # runs, back-offs, Ready
    # twice restarted, no Started event of the first: from the previous run's start, a lower bound, said so
    p, e = pod("p", 0.0, restarts=2, ready=20.0, started_events="last")
    s = _phases([p], e)
    assert s.phases["ready"].values == (20 + 10 + 20.0,)
    assert s.skipped["start"] == {"restarted, first start unknown": 1}
    assert any("earliest start still shown" in n and "a lower bound" in n for n in s.notes)


def test_restarted_pods_make_the_profile_heavier_not_lighter(tmp_path):
    """The audit's case: two OOMKilled pods among 40; before, dropped; now their ready is the slowest."""
    pods, events = rollout(special={3: OOM, 4: {"restarts": 2, "ready": 20.0}})
    s = _phases(pods, events)
    assert len(s.phases["ready"].values) == 40 and len(s.phases["start"].values) == 40
    kept = _phases([p for i, p in enumerate(pods) if i not in (3, 4)], events)
    assert max(s.phases["ready"].values) > max(kept.phases["ready"].values)
    assert sum(s.phases["ready"].values) / 40 > sum(kept.phases["ready"].values) / 38


def test_first_start_rules():
    assert first_start([Container("c", 0, (100.0, False))], []) == FirstStart((100.0, False), True)
    once = Container("c", 1, (150.0, False), previous=(100.0, False))
    assert first_start([once], []) == FirstStart((100.0, False), True)
    twice = Container("c", 2, (200.0, False), previous=(150.0, False))
    assert not first_start([twice], []).exact
    folded = PodEvent("Started", 100.0, 200.0, False, "Started container c", "c", count=3)
    assert first_start([twice], [folded]).time == (100.0, False) and first_start([twice], [folded]).exact
    assert first_start([Container("c", 1, None)], []) is None


# -- pulls that failed and backed off ------------------------------------------------------------------

def test_a_backed_off_pull_is_measured_from_the_first_pulling_to_the_pulled():
    ok, ok_events = pod("ok", 0.0)
    p, e = pod("p", 0.0, pull=5.2, backed_off=190.0)
    s = _phases([ok, p], ok_events + e)
    assert s.phases["pull"].values[1] == 190.0 and s.phases["pull"].kinds[1] == "grid"
    assert s.skipped["pull"] == {}
    assert s.skipped["start"] == {"pull known only to the second": 1}  # its start needs the pull to the ms
    assert any(n.startswith("pull: 1 pull that failed and backed off") for n in s.notes)


def test_the_backed_off_pull_is_the_profiles_slowest(tmp_path):
    pods, events = rollout(special={6: {"pull": 123.4}, 7: {"pull": 5.2, "backed_off": 190.0}})
    c = calibrate(*write(tmp_path, pods, events))
    assert c.phases["pull"].largest == 190.0 and c.phases["pull"].count == 40  # was 123.4 s, 39 pulls


def test_pull_rules():
    failed = PodEvent("Failed", 12.0, 12.0, False, 'Failed to pull image "i": 429')
    assert pod_pull([PodEvent("Pulling", 10.0, 10.0, False, 'Pulling image "i"'), failed]) == \
        "image pull failed, not pulled"
    pulled = PodEvent("Pulled", 70.0, 70.0, False, 'Successfully pulled image "i" in 2s (2s including waiting)')
    assert pod_pull([failed, pulled]) == "backed-off pull without a Pulling event"
    restart_back_off = PodEvent("BackOff", 80.0, 80.0, False, "Back-off restarting failed container c")
    assert pod_pull([PodEvent("Pulling", 10.0, 10.0, False, 'Pulling image "i"'), pulled, restart_back_off]) == \
        Pull(2.0, "exact")  # a container's restart back-off is no pull's


# -- crash loops ------------------------------------------------------------------------------------

def test_a_crash_looping_pod_is_reported_as_the_new_pods_fraction(tmp_path):
    pods, events = rollout(special={5: {"crash_loop": True, "restarts": 3}})
    c = calibrate(*write(tmp_path, pods, events))
    assert c.failing == {"crashloop": ("fluentd-005",)} and c.new_pods() == {"crashloop": 0.025}
    assert c.skipped["ready"] == {"crash-looping (CrashLoopBackOff)": 1}
    note = next(n for n in c.notes if "crash-looping" in n)
    assert note.startswith("1 of 40 pods (2.5%) crash-looping (CrashLoopBackOff), never Ready (fluentd-005)")
    assert "--new-pods crashloop:0.025" in note and note not in c.warnings  # simulate and plan say it their way
    assert profile_document(c)["new_pods"] == {"crashloop": 0.025}
    write_timings(c, tmp_path / "t.yaml")
    profile = read_profile(tmp_path / "t.yaml")
    assert profile.new_pods == {"crashloop": 0.025} and profile.daemonset == "logging/fluentd"
    assert "new_pods" not in profile.timings  # recorded, never applied as a timing


def test_failing_kinds():
    assert failing([Container("c", 4, None, waiting="CrashLoopBackOff")], ready=False) == "crashloop"
    assert failing([Container("c", 0, None, waiting="ImagePullBackOff")], ready=False) == "pull-error"
    assert failing([Container("c", 0, None, waiting="ContainerCreating")], ready=False) is None
    assert failing([Container("c", 2, (1.0, False))], ready=True) is None


@pytest.fixture
def crashed_profile(tmp_path):
    pods, events = rollout(special={5: {"crash_loop": True, "restarts": 3}})
    c = calibrate(*write(tmp_path, pods, events))
    write_timings(c, tmp_path / "t.yaml")
    return tmp_path / "t.yaml"


def test_simulate_warns_of_the_profiles_crash_loops_unless_new_pods_is_given(crashed_profile, capsys):
    args = ["simulate", "--nodes", "5", "--timings", str(crashed_profile), "--seed", "1", "-o", "json"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert (f"rollsim: warning: timing profile {crashed_profile}: of the pods measured, 2.5% crash-looping "
            "(CrashLoopBackOff), which are not in the timings; the run's new pods are all healthy: "
            "--new-pods crashloop:0.025 simulates such pods") in err
    main([*args, "--new-pods", "crashloop:0.025", "--stall-after", "600"])
    assert "crash-looping (CrashLoopBackOff), which are not" not in capsys.readouterr().err


def test_plan_warns_of_the_profiles_crash_loops(crashed_profile, capsys, tmp_path):
    main(["plan", "--nodes", "4", "--timings", str(crashed_profile), "--window", "2h", "--workers", "1",
          "--replications", "3", "--max-replications", "3", "--out-dir", str(tmp_path / "plan")])
    assert "rollsim simulate --new-pods crashloop:0.025 shows what they do" in capsys.readouterr().err


@pytest.mark.parametrize("text, message", [
    ("timings: {}\nnew_pods: [crashloop]\n", "t.yaml:2: new_pods: must be a mapping of --new-pods kind to a fraction"),
    ("timings: {}\nnew_pods: {crashlop: 0.1}\n", "t.yaml:2: new_pods.crashlop: unknown kind"),
    ("timings: {}\nnew_pods: {crashloop: 2}\n", "new_pods.crashloop: must be a fraction between 0 and 1, got 2"),
    ("timings: {}\nsource: {daemonset: 3}\n", "source.daemonset: must be the DaemonSet's namespace/name"),
])
def test_a_bad_profile_key_is_one_line_naming_it(tmp_path, text, message):
    from rollsim.io.yamldoc import ConfigError

    (tmp_path / "t.yaml").write_text(text)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_profile(tmp_path / "t.yaml")


def test_a_profile_written_before_keeps_reading(tmp_path):
    (tmp_path / "t.yaml").write_text(yaml.safe_dump({"timings": {"ready": "constant(20)"}, "source": {"pods": "x"}}))
    profile = read_profile(tmp_path / "t.yaml")
    assert profile.timings == {"ready": "constant(20)"} and profile.daemonset is None and profile.new_pods == {}
