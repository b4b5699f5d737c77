"""A named cluster's version: read once per command, in one request, and known to ``plan`` always.

Against ``tests/apiserver.py`` (the real ``kubernetes`` client over HTTP on 127.0.0.1), whose
``requests`` list counts what the client asked.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from pathlib import Path

import pytest
from rollsim.cli import main
from rollsim.io.clusterversion import ClusterVersion
from rollsim.io.inputs import load_inputs
from rollsim.sweep.experiment_file import load_experiment

from apiserver import write_kubeconfig
from helpers import POD_LEVEL_DAEMONSET

MANIFEST = Path(__file__).parent.parent / "experiments" / "manifests" / "fluentd-elasticsearch.yaml"
DS = "/apis/apps/v1/namespaces/kube-system/daemonsets/fluentd-elasticsearch"


def asked(api) -> Counter:
    return Counter(path for _, path, _ in api.api.requests)


def test_a_grid_over_versions_reads_the_cluster_once(api, kubeconfig, tmp_path):
    """The input cache was keyed by the configuration's version too: a five-version grid read the
    DaemonSet, the nodes and /version five times. Now once, each configuration keeping what it reads
    as its own version does.
    """
    path = tmp_path / "grid.yaml"
    path.write_text("name: grid\nscenario:\n  daemonset: {manifest: ds/fluentd-elasticsearch}\n  controller: "
                    "{mode: ideal}\ngrid:\n  controller.kubernetes_version: ['1.33', '1.34', '1.35', '1.36', '1.37']\n")
    experiment = load_experiment(path, live={"kubeconfig": str(kubeconfig)})
    assert [c.scenario.controller.kubernetes_version for c in experiment.configurations] == \
        ["1.33", "1.34", "1.35", "1.36", "1.37"]
    assert asked(api) == {DS: 1, "/api/v1/nodes": 1, "/version/": 1}


def test_a_manifest_is_kept_per_configuration_as_its_version_reads_it(api, kubeconfig, tmp_path):
    """Read once, a manifest's pod-level requests still count from v1.34 only (the API server drops
    them before); the cluster's version is asked once, by the configuration that sets none.
    """
    (tmp_path / "ds.yaml").write_text(POD_LEVEL_DAEMONSET)
    path = tmp_path / "grid.yaml"
    path.write_text("name: grid\nscenario:\n  daemonset: {manifest: ds.yaml}\n  cluster: {nodes: 3}\n"
                    "variants:\n  - {name: old, controller.kubernetes_version: '1.33'}\n"
                    "  - {name: new, controller.kubernetes_version: '1.34'}\n  - {name: the cluster's}\n")
    api.api.version["gitVersion"] = "v1.35.5"
    experiment = load_experiment(path, live={"kubeconfig": str(kubeconfig)})
    cpu = [c.scenario.daemonset.requests_cpu_millis for c in experiment.configurations]
    assert cpu == [250, 2000, 2000]  # the last: the cluster's v1.35
    assert asked(api) == {"/version/": 1}


def test_the_version_is_read_once_per_command_not_per_input_set(api, kubeconfig, tmp_path):
    """Two local manifests beside a named cluster asked GET /version once each (and ran the
    credential plugin each time); two experiment files of one ``rollsim run`` asked once each too.
    """
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(MANIFEST.read_text().replace("fluentd-elasticsearch", f"ds-{name}"))
    body = ("replications: 1\nscenario:\n  cluster: {nodes: 3}\n  controller: {mode: ideal}\n"
            "variants:\n  - {name: a, daemonset.manifest: a.yaml}\n  - {name: b, daemonset.manifest: b.yaml}\n"
            "grid:\n  strategy.min_ready_seconds: [0, 5]\n")
    for name in ("one", "two"):
        (tmp_path / f"{name}.exp.yaml").write_text(f"name: {name}\n{body}")
    experiment = load_experiment(tmp_path / "one.exp.yaml", live={"kubeconfig": str(kubeconfig)})
    assert len(experiment.configurations) == 4 and asked(api) == {"/version/": 1}
    api.api.requests.clear()
    cluster = ClusterVersion({"kubeconfig": str(kubeconfig)})
    for name in ("one", "two"):
        load_experiment(tmp_path / f"{name}.exp.yaml", live={"kubeconfig": str(kubeconfig)}, cluster=cluster)
    assert asked(api) == {"/version/": 1}
    api.api.requests.clear()
    assert main(["run", str(tmp_path / "one.exp.yaml"), str(tmp_path / "two.exp.yaml"), "--kubeconfig",
                 str(kubeconfig), "--workers", "1", "--out", str(tmp_path / "out")]) == 0
    assert asked(api) == {"/version/": 1}


def test_two_ds_name_sets_ask_the_version_once(api, kubeconfig, tmp_path, capsys):
    """Each ``ds/NAME`` read asked GET /version itself, so an experiment with two such input sets
    (here the DaemonSet on the cluster's nodes, and on 3 identical ones) asked it twice, running the
    credential plugin again; the first read's answer now serves the second, and an unreadable
    version is said once, for both.
    """
    path = tmp_path / "two.yaml"
    path.write_text("name: two\nreplications: 1\nscenario:\n  daemonset: {manifest: ds/fluentd-elasticsearch}\n"
                    "  controller: {mode: ideal}\nvariants:\n  - {name: live nodes}\n"
                    "  - {name: three nodes, cluster.nodes: 3}\n")
    assert main(["run", str(path), "--kubeconfig", str(kubeconfig), "--workers", "1", "--out",
                 str(tmp_path / "out")]) == 0
    assert asked(api) == {DS: 2, "/api/v1/nodes": 1, "/version/": 1}
    experiment = load_experiment(path, live={"kubeconfig": str(kubeconfig)})
    assert [c.scenario.controller.kubernetes_version for c in experiment.configurations] == ["1.37", "1.37"]
    api.api.requests.clear()
    api.api.forbidden.add("/version/")
    experiment = load_experiment(path, live={"kubeconfig": str(kubeconfig)})
    assert asked(api)["/version/"] == 1
    (warning,) = experiment.warnings
    assert "the cluster's version could not be read" in warning and "forbidden" in warning


def test_the_version_alone_is_one_request_not_retried(tmp_path):
    """It was retried once (the client's ``retries=1``): two requests, and up to 2 × 10 s against
    a server that does not answer. A server that drops the connection is now asked once.
    """
    accepted = []
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)

        def drop() -> None:
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                accepted.append(conn)
                conn.close()

        threading.Thread(target=drop, daemon=True).start()
        kc = write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{server.getsockname()[1]}")
        inputs = load_inputs({"manifest": str(MANIFEST)}, live={"kubeconfig": str(kc)}, node_count=True)
    assert len(accepted) == 1
    (warning,) = inputs.warnings
    assert "cannot reach the API server to get the server version (GET /version)" in warning
    assert "the controller rules of the default 1.37 apply" in warning


PLAN = ["plan", "--controller", "ideal", "--window", "6h", "--floor", "50%", "--replications", "2",
        "--max-replications", "2", "--workers", "1", "--nodes", "10"]


@pytest.mark.parametrize("manifest", ["ds/fluentd-elasticsearch", str(MANIFEST)])
@pytest.mark.parametrize("flag", [[], ["--kubernetes-version", "1.37"]])
def test_plan_knows_the_clusters_version_whatever_the_manifests_source(api, kubeconfig, tmp_path, capsys,
                                                                        manifest, flag):
    """A local manifest with --kubernetes-version and --nodes never asked the cluster its version,
    so a v1.21 cluster (whose API server drops maxSurge) was offered a surge patch; from ds/NAME it
    was not. --kubernetes-version chooses the controller rules only.
    """
    api.api.version["gitVersion"] = "v1.21.14"
    out = tmp_path / "plan"
    assert main([*PLAN, "--manifest", manifest, "--kubeconfig", str(kubeconfig), *flag, "--out", str(out)]) == 0
    plan = json.loads((out / "plan.json").read_text())
    assert plan["source"]["server_version"] == "v1.21.14"
    assert plan["search"]["no_surge"].startswith("the cluster runs v1.21.14")
    assert all(f.startswith("maxUnavailable") for f in plan["search"]["families"])
    assert plan["scenario"]["kubernetes_version"] == ("1.37" if flag else "1.33")
    assert asked(api)["/version/"] == 1


def test_plan_says_when_it_searches_surge_without_the_clusters_version(api, kubeconfig, tmp_path, capsys):
    api.api.forbidden.add("/version/")
    out = tmp_path / "plan"
    assert main([*PLAN, "--manifest", str(MANIFEST), "--kubeconfig", str(kubeconfig), "--kubernetes-version", "1.37",
                 "--out", str(out)]) == 0
    source = json.loads((out / "plan.json").read_text())["source"]
    assert source["server_version"] is None and "forbidden to get the server version" in source["server_version_error"]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "maxSurge is searched as if it ran v1.22 or later" in err


@pytest.mark.parametrize(("served", "max_surge", "rolling", "refused"), [
    ("v1.21.3", 1, True, True), ("v1.21.14-eks-1", "5%", True, True), ("v1.21.3", 0, True, False),
    ("v1.21.3", "0%", True, False), ("v1.21.3", 1, False, False), ("v1.22.0", 1, True, False),
    (None, 1, True, False), ("unknown", 1, True, False)])
def test_surge_is_refused_only_where_the_api_server_drops_it(served, max_surge, rolling, refused):
    from rollsim.spec.versions import surge_dropped

    why = surge_dropped(served, max_surge, rolling)
    assert (why is not None) == refused
    if refused:
        assert why.startswith(f"the cluster runs {served}") and f"maxSurge {max_surge} with maxUnavailable 0" in why
