"""Live cluster in: the real ``kubernetes`` client against recorded API answers on 127.0.0.1.

``tests/apiserver.py`` serves the recorded JSON over real HTTP; a kubeconfig written here
points at it. Nothing of the client is mocked: requests, pagination, error Status bodies
and all go through ``kubernetes.client`` and urllib3.
"""

from __future__ import annotations

import json
import logging
import re
import shlex
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from rollsim.cli import main
from rollsim.io import live as live_module
from rollsim.io.live import LiveError, label_selector, long_running, read_live
from rollsim.io.manifest import load_daemonset
from rollsim.io.yamldoc import ConfigError

from apiserver import write_kubeconfig
from helpers import one_error_line, python

MANIFEST = Path(__file__).parent.parent / "experiments" / "manifests" / "fluentd-elasticsearch.yaml"


def test_reads_the_daemonset_and_every_node_page_by_page(api, kubeconfig):
    live = read_live("ds/fluentd-elasticsearch", kubeconfig=kubeconfig, page_size=5, strict=True)
    assert live.daemonset.spec == load_daemonset(MANIFEST).spec  # the same DaemonSet as the file, read the same way
    assert live.daemonset.warnings == ()  # every server-written field is known to the API models
    assert len(live.node_list) == 12
    assert sum(not n.ready for n in live.node_list) == 1
    node_calls = [q for _, path, q in api.api.requests if path == "/api/v1/nodes"]
    assert [q.get("limit") for q in node_calls] == ["5", "5", "5"]
    assert "continue" not in node_calls[0] and all("continue" in q for q in node_calls[1:])
    assert {m for m, _, _ in api.api.requests} == {"GET"}  # read-only
    assert live.source["daemonset_resource_version"] == "1002871" and live.source["context"] == "recorded"
    assert live.source["server_version"] == "v1.37.2"
    assert live.calibration is None


def test_calibrates_from_the_daemonsets_own_pods_and_their_events(api, kubeconfig):
    live = read_live("fluentd-elasticsearch", kubeconfig=kubeconfig, calibrate=True, page_size=7)
    assert live.calibration.pods == 60  # the fluent-bit pod the selector also matched is not this DaemonSet's
    assert set(live.timings) >= {"pull", "start", "ready", "probe_period"}
    pods = [q for _, path, q in api.api.requests if path.endswith("/pods")]
    events = [q for _, path, q in api.api.requests if path.endswith("/events")]
    assert pods[0]["labelSelector"] == "name=fluentd-elasticsearch" and len(pods) == 9  # 61 pods, 7 a page
    assert events[0]["fieldSelector"] == "involvedObject.kind=Pod" and len(events) > 1


def test_the_calibration_names_the_daemonset_it_measured(api, kubeconfig):
    """Audit 25 #6: the profile says whose pods it was measured from (the live list holds its pods alone)."""
    live = read_live("fluentd-elasticsearch", kubeconfig=kubeconfig, calibrate=True)
    assert live.calibration.source["daemonset"] == "kube-system/fluentd-elasticsearch"


def test_long_running_pods_are_warned_of():
    """Audit 25 #4: the live path lists the DaemonSet's current pods, days after its rollout: their Ready times
    may be later transitions (a flap, a node outage, a kubelet restart) and their start-up events are gone.
    """
    def pod(started):
        return {"status": {"containerStatuses": [{"state": {"running": {"startedAt": started}}}]}}

    pods = {"items": [pod("2026-11-26T10:00:00Z"), pod("2026-11-29T09:30:00Z"), {"status": {}}]}
    now = datetime(2026, 11, 29, 10, 0, tzinfo=UTC).timestamp()
    warning = long_running(pods, now)
    assert warning is not None and warning.startswith(
        "1 of the 2 running pods started more than an hour before they were listed (the oldest 3 days ago): a "
        "pod's Ready time is its Ready condition's last transition")
    assert long_running(pods, datetime(2026, 11, 26, 10, 30, tzinfo=UTC).timestamp()) is None


def test_plan_calibrate_warns_of_long_running_pods(api, kubeconfig, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(live_module.time, "time", lambda: datetime(2026, 12, 3, tzinfo=UTC).timestamp())
    main(["plan", "--manifest", "ds/fluentd-elasticsearch", "--kubeconfig", str(kubeconfig), "--calibrate",
          "--controller", "ideal", "--window", "30m", "--replications", "3", "--max-replications", "3",
          "--workers", "1", "--out", str(tmp_path / "plan")])
    err = capsys.readouterr().err
    assert re.search(r"rollsim: warning: --calibrate: \d+ of the \d+ running pods started more than an hour before "
                     r"they were listed \(the oldest \d+ days ago\)", err), err


def test_label_selector_is_written_as_the_api_server_reads_it():
    assert label_selector({"matchLabels": {"b": "2", "a": "1"}, "matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["x", "w"]}, {"key": "gpu", "operator": "DoesNotExist"},
        {"key": "zone", "operator": "Exists"}, {"key": "os", "operator": "NotIn", "values": ["win"]}]}) == \
        "a=1,b=2,tier in (w,x),!gpu,zone,os notin (win)"


def _error(**kwargs) -> str:
    with pytest.raises(LiveError) as info:
        read_live(**kwargs)
    text = str(info.value)
    assert "\n" not in text
    return text


def test_each_failure_is_one_clear_line(api, kubeconfig, tmp_path):
    assert "DaemonSet" not in (t := _error(name="ds/fluent-bit", kubeconfig=kubeconfig)) and \
        'not found (daemonsets.apps "fluent-bit" not found)' in t
    assert "context 'prod' not found (contexts: recorded, elsewhere)" in _error(name="x", context="prod",
                                                                              kubeconfig=kubeconfig)
    api.api.forbidden.add("/api/v1/nodes")
    t = _error(name="fluentd-elasticsearch", kubeconfig=kubeconfig)
    assert "forbidden to list nodes (RBAC)" in t and 'cannot list resource "nodes"' in t
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    closed = write_kubeconfig(tmp_path / "closed", f"http://127.0.0.1:{port}")
    assert "cannot reach the API server" in _error(name="fluentd-elasticsearch", kubeconfig=closed)
    assert "no such file" in _error(name="x", kubeconfig=tmp_path / "missing")


def test_namespace_comes_from_the_flag_or_the_context(api, kubeconfig):
    # context "elsewhere" has no namespace: the DaemonSet is looked for in "default"
    assert "default/fluentd-elasticsearch" in _error(name="fluentd-elasticsearch", context="elsewhere",
                                                     kubeconfig=kubeconfig)
    live = read_live("fluentd-elasticsearch", "kube-system", context="elsewhere", kubeconfig=kubeconfig, nodes=False)
    assert live.node_list is None and live.daemonset.spec.name == "fluentd-elasticsearch"


def test_simulate_takes_ds_name_and_a_context(api, kubeconfig, capsys):
    code = main(["simulate", "--manifest", "ds/fluentd-elasticsearch", "--kubeconfig", str(kubeconfig),
                 "--context", "recorded", "--controller", "ideal", "--max-unavailable", "3", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["nodes"] == 11 and summary["completed"]  # 12 nodes, the NotReady one gets no new pod


def _simulated_version(args: list[str], capsys) -> tuple[str, str]:
    """The Kubernetes version ``rollsim simulate`` ran with those arguments, and its standard error."""
    code = main(["simulate", *args, "--controller", "ideal", "--max-unavailable", "3", "-o", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)["kubernetes_version"], err


@pytest.mark.parametrize(("served", "modelled", "warned"), [
    ("v1.35.3", "1.35", None), ("v1.36.4-eks-5b3f5d1", "1.36", None), ("v1.37.2", "1.37", None),
    ("v1.29.4", "1.33", "older than the oldest modelled version: the rules of 1.33 apply"),
    ("v1.38.0", "1.37", "newer than the newest modelled version: the rules of 1.37 apply")])
def test_the_clusters_version_chooses_the_controllers_rules(api, kubeconfig, capsys, served, modelled, warned):
    """A live cluster's API server says its version (``GET /version``): its rules apply unless
    --kubernetes-version says otherwise; an unmodelled one gets the nearest, with a warning.
    """
    api.api.version["gitVersion"] = served
    version, err = _simulated_version(["--manifest", "ds/fluentd-elasticsearch", "--kubeconfig", str(kubeconfig)],
                                      capsys)
    assert version == modelled
    assert (warned is None and "version" not in err) or (warned in err and served in err)
    # the nodes alone from the cluster (a local manifest, a context named): the same, warning included
    # (the manifest's own warnings replaced it)
    version, err = _simulated_version(["--manifest", str(MANIFEST), "--kubeconfig", str(kubeconfig)], capsys)
    assert version == modelled
    assert (warned is None and "version" not in err) or (warned in err and served in err and err.count("\n") == 1)
    version, _ = _simulated_version(["--manifest", "ds/fluentd-elasticsearch", "--kubeconfig", str(kubeconfig),
                                     "--kubernetes-version", "1.34"], capsys)
    assert version == "1.34"  # the flag wins


def test_a_server_that_keeps_its_version_gets_the_default_rules_with_a_warning(api, kubeconfig, capsys):
    """It was silent: a cluster that refused GET /version was simulated with 1.37's rules unsaid."""
    api.api.forbidden.add("/version/")
    version, err = _simulated_version(["--manifest", "ds/fluentd-elasticsearch", "--kubeconfig", str(kubeconfig)],
                                      capsys)
    assert version == "1.37" and err.count("\n") == 1
    assert err.startswith("rollsim: warning: the cluster's version could not be read (context 'recorded' (")
    assert "forbidden to get the server version (GET /version) (RBAC)" in err and "system:public-info-viewer" in err
    assert "the controller rules of the default 1.37 apply (--kubernetes-version" in err
    version, err = _simulated_version(["--manifest", "ds/fluentd-elasticsearch", "--kubeconfig", str(kubeconfig),
                                       "--kubernetes-version", "1.35"], capsys)
    assert version == "1.35" and err == ""  # chosen: nothing to warn about
    live = read_live("fluentd-elasticsearch", kubeconfig=kubeconfig, nodes=False)
    assert live.source["server_version"] is None and "GET /version" in live.source["server_version_error"]


@pytest.mark.parametrize("nodes", [["--nodes", "5"], ["--nodes-file", str(Path(__file__).parent / "data" / "live" /
                                                                           "nodes.json")]])
def test_a_context_named_beside_local_inputs_lends_its_version(api, kubeconfig, capsys, tmp_path, nodes):
    """A local manifest and a node count or list with --kubeconfig: the cluster was never asked, so the
    default 1.37 applied unsaid. Now its version alone is read (GET /version, nothing else); given
    --kubernetes-version it is not asked at all; and a cluster that cannot be reached or a kubeconfig
    that is not there is one warning line, not an error: the run does not need them.
    """
    api.api.version["gitVersion"] = "v1.34.1"
    args = ["--manifest", str(MANIFEST), *nodes]
    version, err = _simulated_version([*args, "--kubeconfig", str(kubeconfig)], capsys)
    assert (version, err) == ("1.34", "")
    assert [(m, p) for m, p, _ in api.api.requests] == [("GET", "/version/")]
    api.api.requests.clear()
    version, err = _simulated_version([*args, "--kubeconfig", str(kubeconfig), "--kubernetes-version", "1.36"], capsys)
    assert (version, err, api.api.requests) == ("1.36", "", [])
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    closed = write_kubeconfig(tmp_path / "closed", f"http://127.0.0.1:{port}")
    for kc, why in ((closed, "cannot reach the API server"), (tmp_path / "missing", "no such file")):
        version, err = _simulated_version([*args, "--kubeconfig", str(kc)], capsys)
        assert version == "1.37" and err.count("\n") == 1 and why in err
        assert "could not be read" in err and "the controller rules of the default 1.37 apply" in err


def test_a_node_count_wins_over_the_clusters_nodes(api, kubeconfig, capsys, tmp_path):
    """--nodes with a live DaemonSet (or a context named beside a local manifest): a what-if on
    identical nodes, where "give either a node list or a node count" stopped it before.
    """
    code = main(["simulate", "--manifest", "ds/fluentd-elasticsearch", "--kubeconfig", str(kubeconfig),
                 "--nodes", "5", "--controller", "ideal", "--max-unavailable", "3", "-o", "json"])
    assert code == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["nodes"] == 5
    experiment = tmp_path / "counted.yaml"
    experiment.write_text("name: counted\nreplications: 1\nscenario:\n  cluster: {nodes: 4}\n"
                          "  daemonset: {manifest: ds/fluentd-elasticsearch}\n  controller: {mode: ideal}\n",
                          encoding="utf-8")
    code = main(["run", str(experiment), "--kubeconfig", str(kubeconfig), "--workers", "1", "--out",
                 str(tmp_path / "out"), "-o", "json"])
    assert code == 0, capsys.readouterr().err
    assert "4 nodes" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")


def test_cli_errors_are_one_line_and_exit_2(api, kubeconfig, capsys):
    assert main(["simulate", "--manifest", "ds/nope", "--kubeconfig", str(kubeconfig)]) == 2
    one_error_line(capsys, "not found")


def test_run_reads_an_experiments_ds_name_from_the_cluster(api, kubeconfig, tmp_path, capsys):
    experiment = tmp_path / "live.yaml"
    experiment.write_text("name: live\nreplications: 1\nscenario:\n  daemonset:\n"
                          "    manifest: ds/fluentd-elasticsearch\n"
                          "  controller:\n    mode: ideal\ngrid:\n  strategy.max_unavailable: [1, 3]\n",
                          encoding="utf-8")
    code = main(["run", str(experiment), "--kubeconfig", str(kubeconfig), "--workers", "1", "--out",
                 str(tmp_path / "out")])
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "out" / "summary.csv").is_file()


def test_run_keeps_what_it_read_from_the_cluster_and_repeats_from_it(api, kubeconfig, tmp_path, capsys):
    """The results folder keeps the DaemonSet and the nodes as the cluster gave them (inputs/), and
    manifest.json says so: the experiment pointed at those files, with the cluster's version, gives
    the same runs without the cluster, which may since have changed (the sweep could not be repeated).
    """
    experiment = tmp_path / "live.yaml"
    experiment.write_text("name: live\nreplications: 2\nscenario:\n  daemonset:\n"
                          "    manifest: ds/fluentd-elasticsearch\n"
                          "  controller:\n    mode: ideal\ngrid:\n  strategy.max_unavailable: [1, 3]\n",
                          encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(experiment), "--kubeconfig", str(kubeconfig), "--workers", "1", "-q", "--out",
                 str(out)]) == 0
    kept = sorted(p.relative_to(out).as_posix() for p in (out / "inputs").rglob("*"))
    assert kept == ["inputs/daemonset.json", "inputs/nodes.json"]
    assert json.loads((out / "inputs" / "daemonset.json").read_text()) == api.api.daemonset
    assert len(json.loads((out / "inputs" / "nodes.json").read_text())["items"]) == \
        len(api.api.lists["/api/v1/nodes"]["items"])
    [read] = json.loads((out / "manifest.json").read_text())["inputs"]
    assert read["files"] == {"daemonset.manifest": "inputs/daemonset.json", "cluster.nodes_file": "inputs/nodes.json"}
    assert read["kubernetes_version"] == "1.37" and read["server_version"] == "v1.37.2"
    assert read["context"] == "recorded" and read["daemonset"] == "kube-system/fluentd-elasticsearch"
    assert read["configurations"] == ["maxUnavailable 1", "maxUnavailable 3"]
    # as the README says: the manifest and nodes pointed at the kept files, with the cluster's version
    api.api.daemonset["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"] = 2  # the cluster moved on
    again = tmp_path / "again.yaml"
    again.write_text("name: again\nreplications: 2\nscenario:\n  daemonset:\n"
                     f"    manifest: {out / read['files']['daemonset.manifest']}\n"
                     f"  cluster:\n    nodes_file: {out / read['files']['cluster.nodes_file']}\n"
                     f"  controller:\n    mode: ideal\n    kubernetes_version: '{read['kubernetes_version']}'\n"
                     "grid:\n  strategy.max_unavailable: [1, 3]\n", encoding="utf-8")
    assert main(["run", str(again), "--workers", "1", "-q", "--out", str(tmp_path / "again")]) == 0
    columns = ["config", "replication", "seed", "duration_s", "unavailable_node_seconds", "min_available"]
    first, repeated = (pd.read_csv(folder / "runs.csv")[columns] for folder in (out, tmp_path / "again"))
    pd.testing.assert_frame_equal(first, repeated)
    assert not (tmp_path / "again" / "inputs").exists()  # read from files: nothing to keep
    assert "inputs" not in json.loads((tmp_path / "again" / "manifest.json").read_text())


def test_the_kept_inputs_follow_the_folders_rules(api, kubeconfig, tmp_path, capsys):
    """The kept inputs are written with the tables: a folder finished before they were kept gets them
    on the next run (without simulating), a changed cluster's replace them, --force removes them
    with the tables, and a file of the user's in inputs/ stays.
    """
    experiment = tmp_path / "live.yaml"
    experiment.write_text("name: live\nreplications: 1\nscenario:\n  daemonset:\n"
                          "    manifest: ds/fluentd-elasticsearch\n  controller:\n    mode: ideal\n",
                          encoding="utf-8")
    out = tmp_path / "out"

    def run(*more: str) -> str:
        assert main(["run", str(experiment), "--kubeconfig", str(kubeconfig), "--workers", "1", "--out", str(out),
                     *more]) == 0
        return capsys.readouterr().out

    run()
    (out / "inputs" / "nodes.json").unlink()  # as a folder written before they were kept
    assert "0 runs simulated, 1 reused" in run() and (out / "inputs" / "nodes.json").is_file()
    (out / "inputs" / "mine.txt").write_text("notes")
    (out / "inputs" / ".nodes.json.abc123.tmp").write_text("{")  # what a killed write leaves
    api.api.daemonset["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"] = 3
    assert "1 run simulated, 0 reused" in run()
    daemonset = json.loads((out / "inputs" / "daemonset.json").read_text())
    assert daemonset["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"] == 3
    assert sorted(p.name for p in (out / "inputs").iterdir()) == ["daemonset.json", "mine.txt", "nodes.json"]
    from rollsim.sweep.folder import clear

    clear(out)  # what --force does first
    assert sorted(p.name for p in (out / "inputs").iterdir()) == ["mine.txt"]
    assert not (out / "manifest.json").exists()


def test_a_cluster_that_changed_since_is_not_reused(api, kubeconfig, tmp_path, capsys):
    """Runs read from a cluster are keyed by what the cluster said: run again after the DaemonSet's
    strategy or the nodes changed, the saved runs are not reused as if nothing had (before, the
    resumed folder mixed runs of both states and its report described the new one).
    """
    experiment = tmp_path / "live.yaml"
    experiment.write_text("name: live\nreplications: 2\nscenario:\n  daemonset:\n"
                          "    manifest: ds/fluentd-elasticsearch\n  controller:\n    mode: ideal\n",
                          encoding="utf-8")
    out = tmp_path / "out"

    def run() -> str:
        code = main(["run", str(experiment), "--kubeconfig", str(kubeconfig), "--workers", "1", "--out", str(out)])
        assert code == 0
        return capsys.readouterr().out

    assert "2 runs simulated, 0 reused" in run()
    assert "0 runs simulated, 2 reused" in run()  # the same cluster: resumed
    api.api.daemonset["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"] = 3
    assert "2 runs simulated, 0 reused" in run()
    nodes = api.api.lists["/api/v1/nodes"]
    nodes["items"] = nodes["items"][:-1]
    assert "2 runs simulated, 0 reused" in run()


def test_plan_end_to_end_from_the_live_cluster(api, kubeconfig, tmp_path, capsys):
    out = tmp_path / "plan"
    code = main(["plan", "--manifest", "ds/fluentd-elasticsearch", "--kubeconfig", str(kubeconfig), "--calibrate",
                 "--controller", "ideal", "--window", "30m", "--floor", "80%", "--surge-pods", "2",
                 "--replications", "3", "--workers", "1", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0
    plan = json.loads((out / "plan.json").read_text())
    assert plan["source"]["context"] == "recorded" and "calibrated_timings" in plan["source"]
    # audit 13: simulate has no --calibrate, and reads a cluster as it is then: the plan folder keeps what it
    # read (the DaemonSet and nodes as the API server gave them, the timings it used), and its reproduce line
    # names those files, with the cluster's version, and repeats the answer's runs with no cluster at all
    inputs = out / "inputs"
    assert sorted(p.name for p in inputs.iterdir()) == ["daemonset.json", "nodes.json", "timings.yaml"]
    answer = plan["answer"]
    command = shlex.split(answer["reproduce"].split(" repeats its first run")[0])
    assert shlex.join(command[:8]) == (f"rollsim simulate --manifest {inputs / 'daemonset.json'} --nodes-file "
                                       f"{inputs / 'nodes.json'} --timings {inputs / 'timings.yaml'}")
    assert command[command.index("--kubernetes-version") + 1] == "1.37" and "ds/fluentd-elasticsearch" not in command
    flags = command[2:command.index("--seed")]
    durations = []
    for seed in answer["seeds"]:
        assert main(["simulate", *flags, "--seed", str(seed), "-o", "json"]) == 0
        durations.append(json.loads(capsys.readouterr().out)["duration_s"])
    assert sum(durations) / len(durations) == pytest.approx(answer["duration_mean_s"], rel=1e-12)
    assert plan["source"]["server_version"] == "v1.37.2" and plan["scenario"]["kubernetes_version"] == "1.37"
    assert "| Kubernetes version | the controller rules of 1.37 (the cluster runs v1.37.2) |" in \
        (out / "report.md").read_text(encoding="utf-8")
    # audit 7: the patch goes to the cluster the plan read, not to kubectl's current context
    assert plan["answer"]["patch"].startswith(f"kubectl --kubeconfig {shlex.quote(str(kubeconfig))} --context "
                                              "recorded patch ds fluentd-elasticsearch -n kube-system -p '")
    assert "apply with" in text and (out / "report.html").is_file() and (out / "figures" / "pareto.png").is_file()


def test_plan_of_the_clusters_daemonset_on_nodes_piped_in_keeps_both(api, kubeconfig, tmp_path, capsys, monkeypatch):
    """The DaemonSet from the cluster and a node list on standard input: the plan folder keeps both,
    each under its own name, and the reproduce line names both files (not "the same standard input").
    """
    import io

    from helpers import node_list_json

    nodes = node_list_json(6).encode()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(nodes)))
    out = tmp_path / "plan"
    assert main(["plan", "--manifest", "ds/fluentd-elasticsearch", "--kubeconfig", str(kubeconfig), "--nodes-file",
                 "-", "--controller", "ideal", "--window", "30m", "--replications", "2", "--max-replications", "2",
                 "--workers", "1", "-q", "--out", str(out)]) == 0
    inputs = out / "inputs"
    assert sorted(p.name for p in inputs.iterdir()) == ["daemonset.json", "stdin-nodes.yaml"]
    assert (inputs / "stdin-nodes.yaml").read_bytes() == nodes
    reproduce = json.loads((out / "plan.json").read_text())["answer"]["reproduce"]
    command = shlex.split(reproduce.split(" repeats its first run")[0])
    assert shlex.join(command[:6]) == (f"rollsim simulate --manifest {inputs / 'daemonset.json'} --nodes-file "
                                       f"{inputs / 'stdin-nodes.yaml'}")
    assert "ds/fluentd-elasticsearch" not in command and "-" not in command  # the kept files stand for both
    assert command[command.index("--kubernetes-version") + 1] == "1.37"
    assert reproduce.endswith(f"; {inputs} holds what the plan read from the cluster and standard input)")


def test_a_timing_profile_beside_calibrate_is_said_to_replace_the_phases_it_gives(api, kubeconfig, tmp_path, capsys):
    """Audit 7: --calibrate --timings FILE used FILE's phases while the report said they were calibrated."""
    timings = tmp_path / "t.yaml"
    timings.write_text("timings:\n  ready: constant(7)\n")
    out = tmp_path / "plan"
    code = main(["plan", "--manifest", "ds/fluentd-elasticsearch", "--kubeconfig", str(kubeconfig), "--calibrate",
                 "--timings", str(timings), "--controller", "ideal", "--window", "30m", "--floor", "80%",
                 "--replications", "2", "--max-replications", "2", "--workers", "1", "--out", str(out)])
    assert code == 0
    assert f"argument --timings: ready from {timings} stand over the calibrated ones" in capsys.readouterr().err
    calibrated = json.loads((out / "plan.json").read_text())["source"]["calibrated_timings"]
    assert "ready" not in calibrated and calibrated


def test_plan_takes_the_clusters_version_or_the_flags(api, kubeconfig, tmp_path, capsys):
    """The warning for an unmodelled cluster version names --kubernetes-version: plan takes it too."""
    api.api.version["gitVersion"] = "v1.30.4"
    out = tmp_path / "plan"
    args = ["plan", "--manifest", "ds/fluentd-elasticsearch", "--kubeconfig", str(kubeconfig), "--controller", "ideal",
            "--window", "2h", "--replications", "2", "--max-replications", "2", "--workers", "1", "--seed", "0"]
    assert main([*args, "--out", str(out)]) == 3  # no setting fits the 2-hour window; the plan says so
    assert "older than the oldest modelled version: the rules of 1.33 apply" in capsys.readouterr().err
    assert "the controller rules of 1.33 (the cluster runs v1.30.4)" in (out / "report.md").read_text(encoding="utf-8")
    assert main([*args, "--out", str(tmp_path / "flag"), "--kubernetes-version", "1.35"]) == 3
    assert json.loads((tmp_path / "flag" / "plan.json").read_text())["scenario"]["kubernetes_version"] == "1.35"


def test_plan_recommends_no_surge_to_a_cluster_before_v122(api, kubeconfig, tmp_path, capsys):
    """A v1.21 API server drops maxSurge: the plan searched and could recommend a surge patch that
    changes nothing. The warning says what such an old cluster does unlike the 1.33 rules it gets.
    """
    api.api.version["gitVersion"] = "v1.21.14"
    out = tmp_path / "plan"
    assert main(["plan", "--manifest", "ds/fluentd-elasticsearch", "--kubeconfig", str(kubeconfig),
                 "--controller", "ideal", "--window", "6h", "--floor", "50%", "--replications", "2",
                 "--max-replications", "2", "--workers", "1", "--out", str(out)]) == 0
    text, err = capsys.readouterr()
    plan = json.loads((out / "plan.json").read_text())
    reason = "the cluster runs v1.21.14: a DaemonSet's maxSurge needs Kubernetes 1.22 or later"
    assert plan["search"]["no_surge"].startswith(reason) and plan["answer"]["max_surge"] == 0
    assert all(f.startswith("maxUnavailable") for f in plan["search"]["families"])
    assert '"maxSurge":0}' in plan["answer"]["patch"] and f"  maxSurge not considered {reason}" in text
    assert f"maxSurge not considered: {reason}" in (out / "report.md").read_text(encoding="utf-8")
    assert err.count("\n") == 1 and "the rules of 1.33 apply, but on v1.21" in err
    for differs in ("kubernetes/kubernetes#130514", "defaults to 40 s", "kubernetes/kubernetes#123233",
                    "DaemonSetUpdateSurge"):
        assert differs in err


@pytest.mark.parametrize("manifest", ["ds/fluentd-elasticsearch", str(MANIFEST)])
@pytest.mark.parametrize("flag", [[], ["--kubernetes-version", "1.37"]])
def test_simulate_refuses_surge_a_cluster_before_v122_would_drop(api, kubeconfig, capsys, manifest, flag):
    """The warning said a v1.21 API server drops maxSurge, and the run surged anyway: at 100%
    availability, a rollout that cluster would refuse (maxUnavailable 0 once maxSurge is dropped).
    As plan leaves surge out there, simulate refuses it, whatever --kubernetes-version says (it
    chooses the controller rules only), naming the version and what the cluster needs instead.
    """
    api.api.version["gitVersion"] = "v1.21.3"
    args = ["simulate", "--manifest", manifest, "--kubeconfig", str(kubeconfig), "--controller", "ideal", *flag]
    assert main([*args, "--max-surge", "1", "--max-unavailable", "0"]) == 2
    one_error_line(capsys, "rollsim: error: argument --max-surge: the cluster runs v1.21.3", "drops a DaemonSet's "
                   "maxSurge", "beta from v1.22", "maxSurge must be 0 and maxUnavailable non-zero")
    assert main([*args, "--max-surge", "10%", "--max-unavailable", "0"]) == 2
    one_error_line(capsys, "so refuses maxSurge 10% with maxUnavailable 0", "(--max-surge 0 --max-unavailable N)")
    assert main([*args, "--max-unavailable", "2", "-o", "json"]) == 0  # what that cluster can do
    out, err = capsys.readouterr()
    assert json.loads(out)["max_surge_observed"] == 0 and "error" not in err


def test_surge_a_v121_cluster_kept_on_its_daemonset_is_simulated(api, kubeconfig, capsys):
    """A v1.21 DaemonSet that carries maxSurge (its API server kept it: the alpha feature gate is
    on) is what that cluster runs: simulated with surge, with a warning that says why.
    """
    api.api.version["gitVersion"] = "v1.21.3"
    rolling = api.api.daemonset["spec"]["updateStrategy"]["rollingUpdate"]
    rolling["maxSurge"], rolling["maxUnavailable"] = 1, 0
    assert main(["simulate", "--manifest", "ds/fluentd-elasticsearch", "--kubeconfig", str(kubeconfig),
                 "--controller", "ideal", "-o", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["max_surge_observed"] == 1
    assert "the DaemonSet read from the cluster has maxSurge 1: its v1.21.3 API server kept it" in err
    assert main(["simulate", "--manifest", "ds/fluentd-elasticsearch", "--kubeconfig", str(kubeconfig),
                 "--controller", "ideal", "--max-surge", "2"]) == 2  # a flag's maxSurge is not the cluster's
    one_error_line(capsys, "argument --max-surge: the cluster runs v1.21.3")


def test_a_daemonset_the_files_would_refuse_is_refused_live_too(api, kubeconfig, capsys):
    api.api.daemonset["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"] = "150%"
    code = main(["simulate", "--manifest", "ds/fluentd-elasticsearch", "--kubeconfig", str(kubeconfig)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "recorded:ds/kube-system/fluentd-elasticsearch" in err and "maxUnavailable" in err and "100%" in err


def test_an_expired_continue_token_starts_the_list_again_once(api, kubeconfig):
    api.api.expire_continue = 1
    assert len(read_live("fluentd-elasticsearch", kubeconfig=kubeconfig, page_size=5).node_list) == 12
    api.api.expire_continue = 2
    assert "HTTP 410" in _error(name="fluentd-elasticsearch", kubeconfig=kubeconfig, page_size=5)


def test_kubeconfig_is_a_list_as_kubectl_reads_it(api, kubeconfig, tmp_path, monkeypatch):
    """``$KUBECONFIG`` lists files: empty entries and missing files are skipped, the rest merged
    (a context of the second file is found); a list of no existing file is one clear line.
    """
    import os

    other = tmp_path / "other"
    other.write_text(kubeconfig.read_text(encoding="utf-8").replace("name: elsewhere", "name: second-file")
                     .replace("name: recorded\n  context", "name: only-first\n  context")
                     .replace("current-context: recorded", "current-context: second-file"), encoding="utf-8")
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join(["", str(tmp_path / "missing"), str(kubeconfig), "",
                                                      str(other)]))
    live = read_live("fluentd-elasticsearch", "kube-system", context="second-file", nodes=False)
    assert live.daemonset is not None
    live = read_live("fluentd-elasticsearch", nodes=False)  # the first file's current context wins
    assert live.daemonset is not None
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join(["", str(tmp_path / "missing")]))
    with pytest.raises(LiveError, match="KUBECONFIG names no file that exists"):
        read_live("fluentd-elasticsearch", nodes=False)


BROKEN = [  # (change to the recorded kubeconfig, or a whole file), line, what is wrong
    (("", "garbage: ["), 1, "YAML syntax error: expected the node content, but found '<stream end>' (column 11)"),
    (("    server: http://127.0.0.1:1", "    server: 12"), 6,
     "clusters[0].cluster.server: must be a string (the API server's URL), got the number 12"),
    (("", "- a\n"), None, "must be a mapping with clusters, contexts and users (a kubeconfig), got a list"),
    (("contexts:\n", "contexts: 5\nx:\n"), 11, "contexts: must be a list of named contexts, got the number 5"),
    (("- name: elsewhere\n  context:\n", "- 5\n- name: elsewhere\n  context:\n"), 17,
     "contexts[1]: must be a mapping with a name and a context, got the number 5"),
    (("    cluster: recorded\n    user: planner\n    namespace", "    cluster: [1]\n    user: planner\n    namespace"),
     14, "contexts[0].context.cluster: must be a string, got a list"),
    (("current-context: recorded", "current-context: 5"), 21, "current-context: must be a string, got the number 5"),
    (("  user:\n    token: not-a-secret", "  user: 3\n    token: x"), 10,
     "YAML syntax error: mapping values are not allowed here (column 10)"),
    (("    token: not-a-secret", "    token: not-a-secret\n    exec: {command: [a]}"), 11,
     "users[0].user.exec.command: must be a string, got a list"),
    (("- name: planner", "- name: null"), 8,
     "users[0].name: must be a non-empty string (the user's name), got nothing"),
]


@pytest.mark.parametrize(("change", "line", "rule"), BROKEN)
def test_a_malformed_kubeconfig_is_one_line_naming_file_line_and_key(tmp_path, monkeypatch, capsys, change, line,
                                                                      rule):
    """A YAML error or a field of the wrong type was an internal error (ParserError, AttributeError)
    or the client's raw Python message ("'int' object is not iterable").
    """
    path = write_kubeconfig(tmp_path / "kc", "http://127.0.0.1:1")
    old, new = change
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1) if old else new, encoding="utf-8")
    where = f"kubeconfig {path}" + (f":{line}" if line else "")
    monkeypatch.setenv("KUBECONFIG", str(path))
    assert main(["simulate", "--manifest", "ds/foo"]) == 2
    assert capsys.readouterr().err == f"rollsim: error: {where}: {rule}\n"
    monkeypatch.delenv("KUBECONFIG")
    assert main(["plan", "--manifest", "ds/foo", "--kubeconfig", str(path), "--out", str(tmp_path / "p")]) == 2
    assert capsys.readouterr().err == f"rollsim: error: {where}: {rule}\n" and not (tmp_path / "p").exists()


# (change to the recorded kubeconfig), the context asked for, the line and what is wrong
DANGLING = [
    (("    cluster: recorded\n    user: planner\n    namespace", "    cluster: gone\n    user: planner\n    namespace"),
     None, 14, "contexts[0].context.cluster: context 'recorded': cluster 'gone' not found (clusters: recorded)"),
    (("    user: planner\ncurrent-context", "    user: nobody\ncurrent-context"), "elsewhere", 20,
     "contexts[1].context.user: context 'elsewhere': user 'nobody' not found (users: planner)"),
    (("    cluster: recorded\n    user: planner\n    namespace", "    user: planner\n    namespace"), None, 13,
     "contexts[0].context: context 'recorded' names no cluster (clusters: recorded)"),
]


@pytest.mark.parametrize(("change", "context", "line", "rule"), DANGLING)
def test_a_context_whose_cluster_or_user_is_missing_is_one_line(tmp_path, capsys, change, context, line, rule):
    """The client's own words came out ("Invalid kube-config file. Expected object with name gone in
    kc/clusters list"), and a missing user was not said at all (the client went on without credentials).
    """
    path = write_kubeconfig(tmp_path / "kc", "http://127.0.0.1:1")
    old, new = change
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    argv = ["simulate", "--manifest", "ds/foo", "--kubeconfig", str(path), *(["--context", context] if context else [])]
    assert main(argv) == 2
    assert one_error_line(capsys) == f"rollsim: error: kubeconfig {path}:{line}: {rule}"


def test_another_context_than_a_broken_current_one_can_be_chosen(tmp_path):
    """Listing the contexts made the client resolve the current one, so its missing cluster stopped
    ``--context`` from choosing another."""
    from rollsim.io.live import connect

    path = write_kubeconfig(tmp_path / "kc", "http://127.0.0.1:1")
    text = path.read_text(encoding="utf-8").replace("current-context: recorded", "current-context: broken")
    path.write_text(text.replace("contexts:\n", "contexts:\n- name: broken\n  context:\n    cluster: gone\n", 1),
                    encoding="utf-8")
    assert connect("elsewhere", path).context == "elsewhere"
    with pytest.raises(ConfigError, match="context 'broken': cluster 'gone' not found"):
        connect(None, path)


def test_each_kubeconfig_file_is_read_once(tmp_path, monkeypatch):
    """Checked, then read again for the current context: each file is read and parsed once by rollsim
    (the client reads it for itself)."""
    import os
    from collections import Counter

    from rollsim.io.live import connect

    first = write_kubeconfig(tmp_path / "first", "http://127.0.0.1:1")
    second = tmp_path / "second"
    second.write_text(first.read_text(encoding="utf-8").replace("current-context: recorded",
                                                                "current-context: elsewhere"), encoding="utf-8")
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([str(first), str(second)]))
    reads: Counter[str] = Counter()
    read_bytes, read_text = Path.read_bytes, Path.read_text

    def counted_bytes(self: Path) -> bytes:
        reads[str(self)] += 1
        return read_bytes(self)

    def counted_text(self: Path, *args, **kwargs) -> str:
        reads[str(self)] += 1
        return read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_bytes", counted_bytes)
    monkeypatch.setattr(Path, "read_text", counted_text)
    assert connect().context == "recorded"  # the first file's current context, as kubectl takes it
    assert (reads[str(first)], reads[str(second)]) == (1, 1)


def _with_plugin(kubeconfig: Path, command: str) -> Path:
    """The recorded kubeconfig whose user gets its token from a credential plugin (``user.exec``)."""
    text = kubeconfig.read_text(encoding="utf-8").replace(
        "    token: not-a-secret", f"    exec:\n      command: {command}\n"
                                  "      apiVersion: client.authentication.k8s.io/v1")
    kubeconfig.write_text(text, encoding="utf-8")
    return kubeconfig


def test_a_failing_credential_plugin_is_one_line_naming_it(api, kubeconfig, tmp_path):
    """The client logged the plugin's failure on the root logger (``ERROR:root:[Errno 2] ...``,
    configuring it, so urllib3's retry warnings showed too) and went on without credentials, so the
    server's 401 was blamed on refused credentials. In a fresh process, where nothing else has
    configured logging, as for a user.
    """
    _with_plugin(kubeconfig, "/nonexistent/gke-gcloud-auth-plugin")
    done = python("-m", "rollsim", "simulate", "--nodes", "5", "--manifest", "ds/fluentd-elasticsearch",
                  "--kubeconfig", str(kubeconfig))
    assert done.returncode == 2 and done.stdout == ""
    assert one_error_line(done.stderr) == (f"rollsim: error: kubeconfig {kubeconfig}: context 'recorded': credential "
                                           "plugin /nonexistent/gke-gcloud-auth-plugin: failed: No such file or "
                                           "directory")
    assert api.api.requests == []  # refused before any call
    script = tmp_path / "plugin.sh"
    script.write_text("#!/bin/sh\necho 'token expired; run gcloud auth login' >&2\nexit 3\n", encoding="utf-8")
    script.chmod(0o755)
    other = _with_plugin(write_kubeconfig(tmp_path / "other", api.url), str(script))
    with pytest.raises(LiveError, match=r"credential plugin .*plugin.sh: failed: process returned 3\. token expired; "
                                        r"run gcloud auth login$"):
        read_live("fluentd-elasticsearch", kubeconfig=other)


def test_a_working_credential_plugin_reads_the_cluster(api, kubeconfig, tmp_path):
    script = tmp_path / "plugin.sh"
    script.write_text("#!/bin/sh\necho '{\"apiVersion\": \"client.authentication.k8s.io/v1\", \"kind\": "
                      "\"ExecCredential\", \"status\": {\"token\": \"from-the-plugin\"}}'\n", encoding="utf-8")
    script.chmod(0o755)
    live = read_live("fluentd-elasticsearch", kubeconfig=_with_plugin(kubeconfig, str(script)), nodes=False)
    assert live.daemonset.spec.name == "fluentd-elasticsearch"


def test_an_unreachable_server_is_one_line_without_retry_warnings(tmp_path):
    """urllib3 warned of each retry; in a fresh process, as for a user, the error is the one line."""
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    closed = write_kubeconfig(tmp_path / "closed", f"http://127.0.0.1:{port}")
    done = python("-m", "rollsim", "simulate", "--nodes", "5", "--manifest", "ds/foo", "--kubeconfig", str(closed))
    assert done.returncode == 2
    one_error_line(done.stderr, "cannot reach the API server to get daemonset kube-system/foo", "Connection refused")


@contextmanager
def _hanging_up_server() -> Iterator[tuple[str, list[int]]]:
    """A server that accepts each connection and closes it unanswered: its URL, and how many it took."""
    accepted: list[int] = []
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)

    def serve() -> None:
        while not done.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            accepted.append(1)
            conn.close()

    done = threading.Event()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    finally:
        done.set()
        thread.join()
        server.close()


def test_a_server_that_hangs_up_is_tried_twice_not_four_times(tmp_path, caplog):
    """``configuration.retries = 1``: one retry, where urllib3's default (set before the client's
    pool was made, as before) retried three times; the retry is not logged, even where the
    application has configured logging (urllib3's "Retrying" warnings are dropped).
    """
    with _hanging_up_server() as (url, accepted):
        with caplog.at_level(logging.WARNING), pytest.raises(LiveError, match="cannot reach the API server"):
            read_live("fluentd-elasticsearch", kubeconfig=write_kubeconfig(tmp_path / "kc", url), nodes=False)
    assert len(accepted) == 2
    assert [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")] == []


def _logging_state() -> list[object]:
    loggers = [logging.getLogger(), logging.getLogger("urllib3"), logging.getLogger("urllib3.connectionpool")]
    return [(x.level, list(x.handlers), list(x.filters), x.propagate, x.disabled) for x in loggers]


def test_connect_and_each_call_leave_logging_as_they_found_it(api, kubeconfig):
    """The root logger's NullHandler and the filters are there only while the client runs."""
    from kubernetes import client
    from rollsim.io.live import _call, connect

    before = _logging_state()
    conn = connect(kubeconfig=kubeconfig)
    assert _logging_state() == before
    _call(conn, "get the server version", client.VersionApi(conn.api_client).get_code)
    assert _logging_state() == before


@pytest.mark.parametrize(("manifest", "namespace", "rule"), [
    ("ds/", None, "argument --manifest: 'ds/' names no DaemonSet (nothing after ds/); give ds/NAME"),
    ("daemonset/", None, "argument --manifest: 'daemonset/' names no DaemonSet (nothing after daemonset/)"),
    ("ds/kube-system/fluentd-elasticsearch", None, "argument --manifest: 'ds/kube-system/fluentd-elasticsearch': "
     "a DaemonSet name has no '/'; give the namespace with -n/--namespace (ds/fluentd-elasticsearch -n kube-system)"),
    ("ds/kube-system/", None, "argument --manifest: 'ds/kube-system/' names no DaemonSet (nothing after its last "
     "'/'); give ds/NAME -n kube-system"),
    ("ds//fluentd-elasticsearch", None, "argument --manifest: 'ds//fluentd-elasticsearch': a DaemonSet name has no "
     "'/'; give ds/fluentd-elasticsearch (and its namespace with -n/--namespace)"),
    ("ds/a/b/fluentd-elasticsearch", None, "argument --manifest: 'ds/a/b/fluentd-elasticsearch': a DaemonSet name "
     "has no '/'; give ds/fluentd-elasticsearch (and its namespace with -n/--namespace)"),
    ("ds/Bad_Name", None, "argument --manifest: 'ds/Bad_Name': invalid DaemonSet name 'Bad_Name': a lowercase RFC "
     "1123 subdomain must consist of"),
    ("ds/fluentd-elasticsearch", "bad ns", "argument -n/--namespace: invalid namespace 'bad ns': a lowercase RFC 1123 "
     "label must consist of"),
])
def test_a_name_the_api_server_could_not_hold_is_refused_before_any_call(api, kubeconfig, capsys, tmp_path, monkeypatch,
                                                                          manifest, namespace, rule):
    """``ds/`` (an unset variable) listed the namespace's DaemonSets and simulated the only one,
    ``ds/NS/NAME`` dropped NS, and a bad name or namespace went to the server unchecked.
    """
    ns = ["-n", namespace] if namespace else []
    for command in (["simulate", "--nodes", "5"], ["plan", "--window", "1h", "--out", str(tmp_path / "p")]):
        assert main([*command, "--manifest", manifest, *ns, "--kubeconfig", str(kubeconfig)]) == 2
        assert one_error_line(capsys).startswith(f"rollsim: error: {rule}")
    assert api.api.requests == [] and not (tmp_path / "p").exists()
    if namespace is None:  # a relative file: a long temporary one would leave the rule no room (never cut)
        monkeypatch.chdir(tmp_path)
        experiment = Path("live.yaml")
        experiment.write_text(f"name: live\nscenario:\n  daemonset:\n    manifest: {manifest}\n", encoding="utf-8")
        assert main(["run", str(experiment), "--kubeconfig", str(kubeconfig), "--out", str(tmp_path / "out")]) == 2
        line = one_error_line(capsys)
        assert "live.yaml:4: scenario.daemonset.manifest: " + rule.removeprefix("argument --manifest: ") in line


def test_a_name_error_names_the_manifest_key_the_file_options_give_it(monkeypatch):
    """``ds/NAME``'s errors name the key of the file options' one declaration (``FILE_OPTIONS``, which
    the CLI maps to ``--manifest`` and experiment files to a line), where live.py kept a copy of it.
    """
    from rollsim.io import inputs, live
    from rollsim.io.fileoptions import FILE_OPTIONS

    assert inputs.FILE_OPTIONS is FILE_OPTIONS
    monkeypatch.setitem(FILE_OPTIONS, "manifest", "renamed.manifest")
    with pytest.raises(live.LiveNameError, match=r"^renamed\.manifest: 'ds/' names no DaemonSet"):
        read_live("ds/")
    assert not hasattr(live, "server_version")  # unused: _server_version is read with its reason


def test_a_contexts_namespace_is_checked_too(api, tmp_path):
    kubeconfig = write_kubeconfig(tmp_path / "kc", api.url, namespace="Kube_System")
    with pytest.raises(LiveError, match="kubeconfig context 'recorded': invalid namespace 'Kube_System'"):
        read_live("fluentd-elasticsearch", kubeconfig=kubeconfig)
    assert api.api.requests == []


@pytest.mark.parametrize(("flag", "context", "rule"), [
    ("bad ns", "kube-system", "argument -n/--namespace: invalid namespace 'bad ns'"),
    (None, "Kube_System", "kubeconfig context 'recorded': invalid namespace 'Kube_System'"),
])
def test_a_bad_namespace_is_refused_before_the_credential_plugin_runs(api, tmp_path, flag, context, rule):
    """The namespace was checked after ``connect``, which runs the user's credential plugin (an
    exec, perhaps a browser login): ``-n`` is checked before the kubeconfig is read, the context's
    as soon as it is read.
    """
    ran = tmp_path / "ran"
    script = tmp_path / "plugin.sh"
    script.write_text(f"#!/bin/sh\ntouch {ran}\necho '{{\"apiVersion\": \"client.authentication.k8s.io/v1\", "
                      "\"kind\": \"ExecCredential\", \"status\": {\"token\": \"t\"}}'\n", encoding="utf-8")
    script.chmod(0o755)
    kubeconfig = _with_plugin(write_kubeconfig(tmp_path / "kc", api.url, namespace=context), str(script))
    with pytest.raises(LiveError, match=rule):
        read_live("fluentd-elasticsearch", flag, kubeconfig=kubeconfig)
    assert not ran.exists() and api.api.requests == []
    read_live("fluentd-elasticsearch", "kube-system", kubeconfig=kubeconfig, nodes=False)
    assert ran.exists()  # the plugin does run once the namespace is good


def _tls_kubeconfig(path: Path, server: str, ca: bool) -> Path:
    import base64

    from apiserver import TLS_CERT

    kubeconfig = write_kubeconfig(path, server)
    if ca:
        data = base64.b64encode(TLS_CERT.read_bytes()).decode()
        kubeconfig.write_text(kubeconfig.read_text(encoding="utf-8").replace(
            f"    server: {server}\n", f"    server: {server}\n    certificate-authority-data: {data}\n"),
            encoding="utf-8")
    return kubeconfig


@pytest.mark.parametrize(("ca", "why"), [(False, "self-signed certificate"), (True, "IP address mismatch")])
def test_a_certificate_not_trusted_is_a_tls_failure_not_an_unreachable_server(tmp_path, capsys, ca, why):
    """The server was reached and its certificate refused, yet the line said "cannot reach the API
    server", sending an SRE to the network instead of the kubeconfig's CA or tls-server-name.
    """
    from apiserver import ApiServer

    with ApiServer(tls=True) as server:
        kubeconfig = _tls_kubeconfig(tmp_path / "kubeconfig", server.url, ca)
        assert main(["simulate", "--manifest", "ds/fluentd-elasticsearch", "--kubeconfig", str(kubeconfig)]) == 2
        assert server.api.requests == []  # refused at the handshake: no request was read
    line = one_error_line(capsys, f"context 'recorded' ({server.url}): TLS certificate verification failed (",
                          why, "): the server was reached; check the kubeconfig cluster's",
                          "certificate-authority-data", "tls-server-name", "insecure-skip-tls-verify")
    assert "cannot reach" not in line


def test_run_refuses_surge_a_cluster_before_v122_would_drop(api, kubeconfig, tmp_path, capsys):
    """``rollsim run`` warned about a v1.21 cluster's maxSurge and then simulated the surge, where
    ``simulate`` refuses it: the experiment's key that set it is named, and nothing is written.
    The live DaemonSet's own maxSurge (its API server kept it) surges, with the warning.
    """
    api.api.version["gitVersion"] = "v1.21.3"
    experiment = tmp_path / "live.yaml"
    experiment.write_text("name: live\nreplications: 1\nscenario:\n  daemonset:\n"
                          "    manifest: ds/fluentd-elasticsearch\n  controller:\n    mode: ideal\n"
                          "variants:\n  - {strategy.max_unavailable: 2}\n"
                          "  - {strategy.max_surge: 1, strategy.max_unavailable: 0}\n",
                          encoding="utf-8")
    out = tmp_path / "out"
    args = ["run", str(experiment), "--kubeconfig", str(kubeconfig), "--workers", "1", "--out", str(out)]
    assert main(args) == 2
    one_error_line(capsys, "live.yaml:", "variants[1].strategy.max_surge:", "the cluster runs v1.21.3",
                   "maxSurge must be 0 and maxUnavailable non-zero")
    assert not out.exists()
    experiment.write_text(experiment.read_text(encoding="utf-8").split("variants:")[0], encoding="utf-8")
    rolling = api.api.daemonset["spec"]["updateStrategy"]["rollingUpdate"]
    rolling["maxSurge"], rolling["maxUnavailable"] = 1, 0
    assert main(args) == 0
    assert "the DaemonSet read from the cluster has maxSurge 1: its v1.21.3 API server kept it" in \
        capsys.readouterr().err


def test_the_live_status_is_held_against_the_start_of_the_run(api, kubeconfig, capsys):
    """The recorded DaemonSet's status, 11 nodes that should run it (rollsim's eligibility agrees) and
    11 pods available, draws no warning; 10 available, where a run starts with 11, one, with the
    option that simulates it.
    A status that disagrees more draws one warning per count; with --nodes, only the rollout
    under way is the cluster's to say; a status of an older generation says nothing.
    """
    args = ["simulate", "--manifest", "ds/fluentd-elasticsearch", "--kubeconfig", str(kubeconfig), "-o", "json"]
    assert main(args) == 0
    assert "warning" not in capsys.readouterr().err
    api.api.daemonset["status"]["numberAvailable"] = 10
    assert main(args) == 0
    assert [line for line in capsys.readouterr().err.splitlines() if "warning" in line] == [
        "rollsim: warning: 1 Ready node that should run it has no available pod of the DaemonSet now: its status "
        "counts 10 available (status.numberAvailable) where the run starts with 11, an available old pod on every "
        "Ready node that should run it; those nodes use up maxUnavailable from the start, which --old-pods-unready "
        "1@0 (faults.old_pods_unready) simulates"]
    api.api.daemonset["status"].update(desiredNumberScheduled=7, numberAvailable=11, updatedNumberScheduled=3)
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "a rollout is under way on the cluster: 3 of 7 nodes run the DaemonSet's current template" in err
    assert ("the DaemonSet's status counts 7 nodes that should run it (status.desiredNumberScheduled), rollsim 11 of "
            "the 12 nodes read") in err
    assert "no available pod" not in err
    assert main([*args, "--nodes", "20"]) == 0
    err = capsys.readouterr().err
    assert "a rollout is under way" in err and "desiredNumberScheduled" not in err
    api.api.daemonset["metadata"]["generation"] = 3  # a spec change its controller has not synced
    assert main(args) == 0
    assert "status." not in capsys.readouterr().err
