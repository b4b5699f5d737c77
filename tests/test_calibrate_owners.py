"""Tests for whose pods calibrate measures: one DaemonSet's, named in the profile it writes.

Audit 25 #6: ``-l app=fluentd`` also matched the 4 pods of ``fluentd-windows``, calibrate wrote a
profile that mixed both with a note, and the plan then predicted 1.6-2.1x longer rollouts. Pods of
several DaemonSets are refused now (exit 2, one line naming them and ``--daemonset``), which picks
one; the profile records the DaemonSet (``source.daemonset``), and simulate and plan warn when a
manifest's DaemonSet is another.
"""

from __future__ import annotations

import textwrap

import pytest
import yaml
from rollsim.cli import main
from rollsim.io.calibrate import calibrate, pod_phases
from rollsim.io.calibrate.owners import Owner, daemonset_pods
from rollsim.io.yamldoc import ConfigError

from helpers import one_error_line
from podlists import listed, rollout, write


def _mixed(namespace: str = "logging"):
    pods, events = rollout(n=12)
    windows, windows_events = rollout(n=4, owner="fluentd-windows", seed=3)
    for p in windows:
        p["metadata"]["namespace"] = namespace
    return pods + windows, events + windows_events


def test_pods_of_two_daemonsets_are_refused_with_exit_2_and_one_line(tmp_path, capsys):
    pods, events = _mixed()
    pods_path, events_path = write(tmp_path, pods, events)
    assert main(["calibrate", str(pods_path), "--events", str(events_path)]) == 2
    one_error_line(capsys, f"rollsim: error: {pods_path}: the pods belong to 2 DaemonSets (fluentd 12, "
                           "fluentd-windows 4; ownerReferences), whose timings mixed are neither's: give --daemonset "
                           "NAME to measure one")
    assert capsys.readouterr().out == ""


def test_daemonset_picks_one_and_the_profile_records_it(tmp_path, capsys):
    pods, events = _mixed()
    pods_path, events_path = write(tmp_path, pods, events)
    out = tmp_path / "t.yaml"
    assert main(["calibrate", str(pods_path), "--events", str(events_path), "--daemonset", "fluentd-windows",
                 "--out-file", str(out), "-q"]) == 0
    doc = yaml.safe_load(out.read_text())
    assert doc["source"]["daemonset"] == "logging/fluentd-windows" and doc["source"]["pods_listed"] == 4
    assert "12 pods of other DaemonSets skipped (--daemonset fluentd-windows; fluentd 12)" in doc["notes"]
    c = calibrate(pods_path, events_path, "logging/fluentd")  # NAMESPACE/NAME too
    assert c.pods == 12 and c.source["daemonset"] == "logging/fluentd"


@pytest.mark.parametrize("daemonset, message", [
    ("node-exporter", "no pod is owned by DaemonSet node-exporter (the pods' DaemonSets: fluentd 12, "
                      "fluentd-windows 4; ownerReferences): give --daemonset one of them"),
    ("other/fluentd", "no pod is owned by DaemonSet other/fluentd"),
])
def test_a_daemonset_that_owns_no_pod_is_refused_naming_those_that_do(tmp_path, daemonset, message):
    pods, events = _mixed()
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        calibrate(*write(tmp_path, pods, events), daemonset)


def test_one_name_in_two_namespaces_needs_the_namespace(tmp_path):
    pods, events = rollout(n=12)
    again, again_events = rollout(n=4, seed=3)
    for p in again:  # other pods: their own names and uids (a list naming one uid twice is refused)
        p["metadata"].update(namespace="kube-system", name=p["metadata"]["name"] + "-ks",
                             uid=p["metadata"]["uid"] + "-ks")
    for e in again_events:
        e["involvedObject"].update(namespace="kube-system", name=e["involvedObject"]["name"] + "-ks",
                                   uid=e["involvedObject"]["uid"] + "-ks")
    s = pod_phases(listed(pods + again), listed(events + again_events), daemonset="kube-system/fluentd")
    assert s.pods == 4 and s.owners == ("kube-system/fluentd",)
    with pytest.raises(ConfigError, match=r"pods of two namespaces are owned by DaemonSet fluentd \(the pods' "
                                          r"DaemonSets: logging/fluentd 12, kube-system/fluentd 4; .*give --daemonset "
                                          r"NAMESPACE/NAME"):
        pod_phases(listed(pods + again), None, daemonset="fluentd")
    with pytest.raises(ConfigError, match=r"belong to 2 DaemonSets \(logging/fluentd 12, kube-system/fluentd 4"):
        pod_phases(listed(pods + again))


def test_a_hand_made_list_naming_no_controller_cannot_be_picked_from():
    assert daemonset_pods([None, None]) == ([0, 1], [], ())
    with pytest.raises(ConfigError, match="no pod names its controller .* leave out --daemonset"):
        daemonset_pods([None, None], "fluentd")


def test_other_kinds_are_skipped_and_the_daemonset_is_recorded():
    owners = [Owner("DaemonSet", "fluentd", "logging")] * 3 + [Owner("ReplicaSet", "agg-6d8f", "logging")]
    kept, notes, measured = daemonset_pods(owners)
    assert kept == [0, 1, 2] and measured == ("logging/fluentd",)
    assert notes == ["1 pod not owned by a DaemonSet skipped (ownerReferences: ReplicaSet agg-6d8f 1)"]


# -- simulate and plan hold the profile against the manifest -------------------------------------------

def _manifest(tmp_path, name="fluentd", namespace="logging"):
    ns = f"\n  namespace: {namespace}" if namespace else ""
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(f"""\
        apiVersion: apps/v1
        kind: DaemonSet
        metadata:
          name: {name}""") + ns + textwrap.dedent("""
        spec:
          selector: {matchLabels: {app: fluentd}}
          template:
            metadata: {labels: {app: fluentd}}
            spec:
              containers: [{name: fluentd, image: fluent/fluentd:v1.17}]
        """))
    return path


@pytest.fixture
def windows_profile(tmp_path):
    pods, events = _mixed()
    c = calibrate(*write(tmp_path, pods, events), "fluentd-windows")
    from rollsim.io.calibrate import write_timings

    write_timings(c, tmp_path / "windows.yaml")
    return tmp_path / "windows.yaml"


def test_simulate_warns_when_the_profile_is_another_daemonsets(tmp_path, windows_profile, capsys):
    manifest = _manifest(tmp_path)
    assert main(["simulate", "--manifest", str(manifest), "--nodes", "3", "--timings", str(windows_profile),
                 "-o", "json"]) == 0
    err = capsys.readouterr().err
    line = (f"rollsim: warning: timing profile {windows_profile}: measured from the pods of DaemonSet "
            "logging/fluentd-windows (its source.daemonset), not the manifest's logging/fluentd: its timings may "
            "not be this DaemonSet's\n")
    assert line in err and err.count("timing profile") == 1


def test_without_a_manifest_a_profile_of_a_named_daemonset_says_the_example_is_simulated(windows_profile, capsys):
    """Audit 42: plan --timings without --manifest planned the built-in example, 0 requests, and printed a
    kubectl patch for kube-system/fluentd-elasticsearch, with no warning in plan.json."""
    assert main(["simulate", "--nodes", "3", "--timings", str(windows_profile), "-o", "json"]) == 0
    err = capsys.readouterr().err
    assert (f"rollsim: warning: timing profile {windows_profile}: measured from the pods of DaemonSet "
            "logging/fluentd-windows, but no manifest is given: the DaemonSet simulated is rollsim's example, "
            "kube-system/fluentd-elasticsearch (its requests, probes and name), not logging/fluentd-windows: give "
            "its manifest (--manifest, daemonset.manifest)\n") in err


@pytest.mark.parametrize("name, namespace", [("fluentd-windows", "logging"), ("fluentd-windows", None)])
def test_no_warning_when_the_profile_is_the_manifests_daemonsets(tmp_path, windows_profile, capsys, name, namespace):
    """A manifest with no namespace (helm template's) is taken to be in the profile's: not a mismatch."""
    manifest = _manifest(tmp_path, name, namespace)
    assert main(["simulate", "--manifest", str(manifest), "--nodes", "3", "--timings", str(windows_profile),
                 "-o", "json"]) == 0
    assert "source.daemonset" not in capsys.readouterr().err


def test_another_namespace_is_another_daemonset(tmp_path, windows_profile, capsys):
    manifest = _manifest(tmp_path, "fluentd-windows", "kube-system")
    main(["simulate", "--manifest", str(manifest), "--nodes", "3", "--timings", str(windows_profile), "-o", "json"])
    assert "not the manifest's kube-system/fluentd-windows" in capsys.readouterr().err


def test_plan_warns_too(tmp_path, windows_profile, capsys):
    manifest = _manifest(tmp_path)
    main(["plan", "--manifest", str(manifest), "--nodes", "4", "--timings", str(windows_profile), "--window", "2h",
          "--workers", "1", "--replications", "3", "--max-replications", "3", "--out-dir", str(tmp_path / "plan")])
    assert "(its source.daemonset), not the manifest's logging/fluentd" in capsys.readouterr().err


def test_simulate_says_which_phases_the_profile_set_and_which_kept_their_default(tmp_path, windows_profile, capsys):
    """Audit 42: simulate never said its timings came from a profile, nor that terminate was the default."""
    from rollsim.io.calibrate import write_timings

    write_timings(calibrate(*write(tmp_path, *_mixed()), "fluentd"), tmp_path / "profile.yaml")  # 12 pods
    profile = tmp_path / "profile.yaml"
    assert main(["simulate", "--manifest", str(_manifest(tmp_path)), "--nodes", "3", "--timings", str(profile)]) == 0
    out = capsys.readouterr().out
    assert out.endswith(f"  timings            schedule, pull, start, ready from {profile}; terminate the default\n")
    manifest = _manifest(tmp_path, "fluentd-windows")  # 4 pods: a profile that fits nothing says so here too
    assert main(["simulate", "--manifest", str(manifest), "--nodes", "3", "--timings", str(windows_profile)]) == 0
    assert capsys.readouterr().out.endswith(f"no phase from {windows_profile}; schedule, pull, start, ready, "
                                            "terminate the default\n")
    assert main(["simulate", "--nodes", "3"]) == 0
    assert "timings" not in capsys.readouterr().out
