"""Inputs from files wired through experiments and the CLI: manifest, node list, pools, timings."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from rollsim.cli import main
from rollsim.io.yamldoc import ConfigError
from rollsim.sweep.experiment_file import load_experiment

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "experiments" / "manifests" / "fluentd-elasticsearch.yaml"
NODES = ROOT / "experiments" / "nodes" / "sample-300.json"


@pytest.fixture
def study(tmp_path):
    """An experiment folder with a manifest, a node list and a timing profile beside it."""
    (tmp_path / "manifests").mkdir()
    shutil.copy(MANIFEST, tmp_path / "manifests" / "ds.yaml")
    shutil.copy(NODES, tmp_path / "nodes.json")
    (tmp_path / "timings.yaml").write_text(textwrap.dedent("""\
        timings:
          schedule: "1"
          pull: "2"
          start: "3"
          ready: "4"
        """))
    return tmp_path


def write(folder, text, name="exp.yaml"):
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def test_experiment_reads_files_relative_to_itself(study) -> None:
    exp = load_experiment(write(study, """\
        name: inputs
        scenario:
          cluster: {nodes_file: nodes.json}
          daemonset: {manifest: manifests/ds.yaml}
          timings: timings.yaml
        variants:
          - {name: default}
          - {name: surge, strategy.max_surge: 10%}
        """))
    default, surge = (c.scenario for c in exp.configurations)
    assert len(default.nodes) == 300
    ds = default.daemonset
    assert (ds.name, ds.namespace) == ("fluentd-elasticsearch", "kube-system")
    assert ds.requests_cpu_millis == 100 and ds.requests_memory_bytes == 200 * 2**20
    assert ds.readiness_probe.initial_delay_seconds == 5 and ds.readiness_probe.period_seconds == 10
    assert (ds.strategy.max_unavailable, ds.strategy.max_surge) == (1, 0)  # from the manifest
    assert (surge.daemonset.strategy.max_unavailable, surge.daemonset.strategy.max_surge) == (0, "10%")
    assert str(default.timings.pull) == "constant(2)"  # the profile
    assert str(default.timings.terminate) != "constant(2)"  # not in the profile: the default


def test_run_ids_follow_the_manifest_contents(study) -> None:
    text = "name: inputs\nscenario:\n  daemonset: {manifest: manifests/ds.yaml}\n  cluster: {nodes: 5}\n"
    before = [r.run_id for r in load_experiment(write(study, text)).runs()]
    ds = study / "manifests" / "ds.yaml"
    ds.write_text(ds.read_text() + "# a comment, and a field rollsim does not read:\nstatus: {numberReady: 3}\n")
    assert [r.run_id for r in load_experiment(write(study, text)).runs()] == before  # what the file says: the same
    ds.write_text(ds.read_text().replace("periodSeconds: 10", "periodSeconds: 5"))
    after = [r.run_id for r in load_experiment(write(study, text)).runs()]
    assert before != after


def test_pools_build_the_cluster(study) -> None:
    exp = load_experiment(write(study, """\
        name: pools
        scenario:
          cluster:
            pools:
              - {name: general, count: 8, labels: {pool: general}}
              - {name: gpu, count: 2, taints: [{key: nvidia.com/gpu, effect: NoSchedule}]}
        """))
    scenario = exp.configurations[0].scenario
    assert len(scenario.nodes) == 10
    assert sum(1 for n in scenario.nodes if n.taints) == 2


@pytest.mark.parametrize(
    ("scenario", "where"),
    [
        ("  daemonset: {manifest: missing.yaml}\n", "missing.yaml"),
        ("  cluster: {nodes_file: nodes.json, nodes: 5}\n", "scenario.cluster.nodes"),
        ("  cluster:\n    pools:\n      - {name: a, count: -1}\n", ":5: scenario.cluster.pools[0].count"),
        ("  daemonset: {strict: true}\n", "scenario.daemonset.strict"),
        # audit 41: "give either a node list or a node count" did not read as this key; it says what to do
        ("  cluster:\n    control_plane_nodes: 3\n    pools:\n      - {name: a, count: 4}\n",
         ":4: scenario.cluster.control_plane_nodes: counts control-plane nodes beside a node count; with a node list, "
         "add them to it (a pool labelled and tainted node-role.kubernetes.io/control-plane, NoSchedule)"),
    ],
)
def test_input_errors_point_at_the_file_or_key(study, scenario, where) -> None:
    with pytest.raises(ConfigError) as info:
        load_experiment(write(study, "name: bad\nscenario:\n" + scenario))
    assert where in str(info.value) and "\n" not in str(info.value)


def test_simulate_with_manifest_and_nodes_file(study, capsys) -> None:
    code = main(["simulate", "--manifest", str(study / "manifests" / "ds.yaml"), "--nodes-file",
                 str(study / "nodes.json"), "--controller", "ideal", "--timings", str(study / "timings.yaml"),
                 "--max-unavailable", "10%", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    # the manifest tolerates control-plane:NoSchedule; the 2 NotReady nodes carry not-ready:NoSchedule
    assert summary["nodes"] == 298 and summary["completed"] is True


def test_flags_override_the_manifest(study, capsys) -> None:
    assert main(["simulate", "--manifest", str(study / "manifests" / "ds.yaml"), "--nodes", "10",
                 "--max-surge", "2"]) == 0
    assert "maxUnavailable 0 (= 0), maxSurge 2 (= 2)" in capsys.readouterr().out


def test_unknown_manifest_fields_warn_or_fail_with_strict(study, capsys) -> None:
    ds = study / "manifests" / "ds.yaml"
    ds.write_text(ds.read_text().replace("path: /var/log\n", "path: /var/log\n          sspath: /x\n"))
    assert main(["simulate", "--manifest", str(ds), "--nodes", "3", "--json"]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "spec.template.spec.volumes[0].hostPath.sspath" in err
    assert main(["simulate", "--manifest", str(ds), "--nodes", "3", "--strict"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "spec.template.spec.volumes[0].hostPath.sspath" in err[0]


def test_daemonset_flag_needs_a_manifest(capsys) -> None:
    assert main(["simulate", "--daemonset", "x"]) == 2
    assert "--daemonset" in capsys.readouterr().err


def test_make_nodes_writes_a_node_list_that_loads(tmp_path, capsys) -> None:
    out = tmp_path / "n.json"
    assert main(["make-nodes", "20", "--control-plane", "2", "--not-ready", "1", "--out-file", str(out)]) == 0
    assert main(["simulate", "--nodes-file", str(out), "--json", "--controller", "ideal"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["nodes"] == 17  # 20 − 2 control-plane − 1 NotReady (not-ready:NoSchedule)


def test_a_node_list_whose_kubelets_the_version_cannot_serve_is_warned_of(tmp_path, capsys) -> None:
    """make-nodes writes the kubelets of the version given (default the default version), and a
    list whose kubelets that version cannot serve (the version skew policy) draws one warning.
    """
    out = tmp_path / "n.json"
    assert main(["make-nodes", "6", "--control-plane", "0", "--kubernetes-version", "1.34", "--out-file",
                 str(out)]) == 0
    assert out.read_text().count('"kubeletVersion": "v1.34.0"') == 6
    for version in ("1.34", "1.35", "1.37"):
        assert main(["simulate", "--nodes-file", str(out), "--kubernetes-version", version, "-o", "json"]) == 0
        assert "kubelet" not in capsys.readouterr().err
    assert main(["simulate", "--nodes-file", str(out), "--kubernetes-version", "1.33", "-o", "json"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["rollsim: warning: the node list's kubelets run v1.34.0 (status.nodeInfo.kubeletVersion), so its "
                   "cluster runs v1.34 to v1.37 (a kubelet is never newer than the API server and at most 3 minors "
                   "older), not the 1.33 given: give the cluster's version (--kubernetes-version 1.34 or 1.35 or "
                   "1.36 or 1.37)"]
    assert main(["make-nodes", "6", "--out-file", str(out)]) == 0  # the default version's kubelets
    assert main(["simulate", "--nodes-file", str(out), "-o", "json"]) == 0
    assert "kubelet" not in capsys.readouterr().err


def test_with_no_version_given_a_node_list_is_simulated_with_its_newest_kubelets_version(tmp_path, capsys) -> None:
    """Audit 25: a node list of v1.33 and v1.34 kubelets was simulated (and planned) with the default
    1.37's rules, which its cluster cannot run, a warning aside. It gets 1.34's now, its newest kubelet's
    (a control plane is upgraded first: audit 27), and the warning says so; one older than every
    modelled version gets 1.33's, with what its own minor does otherwise."""
    from rollsim.spec.versions import kubelets_version

    assert kubelets_version(["v1.37.0"]) is None and kubelets_version(["v1.34.2"]) is None  # 1.37 possible
    assert kubelets_version(["devel"]) is None and kubelets_version([]) is None
    version, why = kubelets_version(["v1.33.4", "v1.34.0"])
    assert version == "1.34" and why.endswith(
        "so its cluster runs v1.34 to v1.36 (a kubelet is never newer than the API server and at most 3 minors "
        "older): the controller rules of 1.34, its newest kubelet's (a control plane is upgraded before its "
        "nodes), apply; --kubernetes-version names the cluster's own")
    version, why = kubelets_version(["v1.29.4"])
    assert version == "1.33" and "the oldest modelled, apply, but on v1.29" in why
    assert "--node-monitor-grace-period defaults to 40 s" in why  # v1.29's differences, not v1.32's
    out = tmp_path / "n.json"
    assert main(["make-nodes", "4", "--control-plane", "0", "--kubernetes-version", "1.34", "--out-file",
                 str(out)]) == 0
    out.write_text(out.read_text().replace('"v1.34.0"', '"v1.33.4"', 2))
    assert main(["simulate", "--nodes-file", str(out), "-o", "json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["kubernetes_version"] == "1.34"
    assert "the controller rules of 1.34, its newest kubelet's" in captured.err
    assert main(["simulate", "--nodes-file", str(out), "--kubernetes-version", "1.36", "-o", "json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["kubernetes_version"] == "1.36" and "kubelet" not in captured.err
    plan = tmp_path / "plan"
    assert main(["plan", "--nodes-file", str(out), "--out-dir", str(plan), "-q", "--workers", "1"]) == 0
    document = json.loads((plan / "plan.json").read_text())
    assert document["scenario"]["kubernetes_version"] == "1.34"
    assert any("its newest kubelet's" in w for w in document["warnings"])
    assert "Warnings about the inputs" in (plan / "report.md").read_text()
