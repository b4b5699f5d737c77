"""A manifest's pod requests as the scheduler counts them: init containers, sidecars, overhead,
pod-level resources (``PodRequests``), their checks, and what they do to a surge rollout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rollsim import build_scenario, simulate
from rollsim.cli import main
from rollsim.cluster.scheduling import PodRequests, other_requests, unschedulable_reason
from rollsim.io.manifest import ManifestError, load_daemonset
from rollsim.io.nodes import nodes_from_pools
from rollsim.spec.scenario import DaemonSetSpec

from helpers import node_list_json
from test_manifest import BASE, marked_line, write

MI = 2**20
IDEAL = dict(schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0, controller="ideal")


def daemonset(pod: dict[str, Any], surge: str | None = None) -> dict[str, Any]:
    """A DaemonSet whose pod template spec is ``pod``."""
    rolling = {"maxUnavailable": 0, "maxSurge": surge} if surge else {"maxUnavailable": 1}
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "kube-system"},
            "spec": {"selector": {"matchLabels": {"app": "agent"}},
                     "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": rolling},
                     "template": {"metadata": {"labels": {"app": "agent"}}, "spec": pod}}}


def container(name: str, requests: dict[str, str] | None = None, limits: dict[str, str] | None = None,
              sidecar: bool = False) -> dict[str, Any]:
    c: dict[str, Any] = {"name": name, "image": f"example.com/{name}:1"}
    resources = {k: v for k, v in (("requests", requests), ("limits", limits)) if v}
    if resources:
        c["resources"] = resources
    if sidecar:
        c["restartPolicy"] = "Always"
    return c


def spec_of(tmp_path: Path, pod: dict[str, Any], surge: str | None = None) -> DaemonSetSpec:
    path = tmp_path / "ds.json"
    path.write_text(json.dumps(daemonset(pod, surge), indent=2), encoding="utf-8")
    return load_daemonset(path).spec


def requests_of(tmp_path: Path, **pod: Any) -> tuple[int, int]:
    spec = spec_of(tmp_path, {"containers": [container("main", {"cpu": "250m", "memory": "100Mi"})], **pod})
    return spec.requests_cpu_millis, spec.requests_memory_bytes


# the formula ------------------------------------------------------------------------------
def test_an_init_container_bigger_than_the_containers_sets_the_request(tmp_path: Path) -> None:
    init = [container("install-cni", {"cpu": "2", "memory": "50Mi"})]
    assert requests_of(tmp_path, initContainers=init) == (2000, 100 * MI)  # cpu from the init, memory from main


def test_init_containers_run_one_at_a_time_so_the_largest_counts(tmp_path: Path) -> None:
    init = [container("a", {"cpu": "1"}), container("b", limits={"cpu": "1500m", "memory": "300Mi"}),
            container("c", {"cpu": "100m"})]
    # b's limits stand in for its requests, as the API server defaults them on the pod
    assert requests_of(tmp_path, initContainers=init) == (1500, 300 * MI)


def test_a_sidecar_started_before_an_init_container_runs_beside_it(tmp_path: Path) -> None:
    init = [container("proxy", {"cpu": "100m", "memory": "10Mi"}, sidecar=True), container("setup", {"cpu": "1"})]
    # max(250m + 100m, 1000m + 100m); memory: main and the sidecar run together
    assert requests_of(tmp_path, initContainers=init) == (1100, 110 * MI)


def test_a_sidecar_started_after_an_init_container_does_not_run_beside_it(tmp_path: Path) -> None:
    init = [container("setup", {"cpu": "1"}), container("proxy", {"cpu": "100m", "memory": "10Mi"}, sidecar=True)]
    assert requests_of(tmp_path, initContainers=init) == (1000, 110 * MI)  # max(250m + 100m, 1000m)


def test_sidecars_add_to_the_containers(tmp_path: Path) -> None:
    init = [container("proxy", {"cpu": "300m"}, sidecar=True), container("setup", {"cpu": "400m"})]
    assert requests_of(tmp_path, initContainers=init) == (700, 100 * MI)  # 250m + 300m < 400m + 300m
    small = [container("proxy", {"cpu": "300m"}, sidecar=True), container("setup", {"cpu": "100m"})]
    assert requests_of(tmp_path, initContainers=small) == (550, 100 * MI)  # 250m + 300m


def test_pod_overhead_is_added(tmp_path: Path) -> None:
    assert requests_of(tmp_path, overhead={"cpu": "250m", "memory": "120Mi"}) == (500, 220 * MI)
    init = [container("install-cni", {"cpu": "2"})]
    assert requests_of(tmp_path, initContainers=init, overhead={"cpu": "100m"}) == (2100, 100 * MI)


def test_pod_level_requests_replace_the_containers_for_the_resources_they_name(tmp_path: Path) -> None:
    init = [container("install-cni", {"cpu": "2"})]
    assert requests_of(tmp_path, initContainers=init, resources={"requests": {"cpu": "3"}}) == (3000, 100 * MI)
    assert requests_of(tmp_path, resources={"requests": {"memory": "1Gi"}}, overhead={"memory": "1Mi"}) \
        == (250, 1025 * MI)


def test_a_pod_level_limit_stands_in_only_where_no_container_requests_the_resource(tmp_path: Path) -> None:
    only_cpu = {"containers": [container("main", {"cpu": "250m"})],
                "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}
    spec = spec_of(tmp_path, only_cpu)  # defaultPodRequests: cpu from the containers, memory from the pod's limit
    assert (spec.requests_cpu_millis, spec.requests_memory_bytes) == (250, 1024 * MI)


# checks -----------------------------------------------------------------------------------
INIT = "      initContainers:\n      - name: setup\n        image: example.com/setup:1.0\n"
CASES = [
    ("init-requests-over-limits", INIT + "        resources:\n          requests:\n            cpu: 2  # <-\n"
                                         "          limits:\n            cpu: 1\n",
     "spec.template.spec.initContainers[0].resources.requests[cpu]", "must be less than or equal to cpu limit of 1"),
    ("init-negative", INIT + "      - name: proxy\n        image: example.com/proxy:1.0\n"
                             "        restartPolicy: Always\n        resources:\n"
                             "          limits:\n            memory: -1Mi  # <-\n",
     "spec.template.spec.initContainers[1].resources.limits[memory]", "must be greater than or equal to 0"),
    ("overhead-negative", "      overhead:\n        cpu: -100m  # <-\n",
     "spec.template.spec.overhead[cpu]", "must be greater than or equal to 0"),
    ("pod-requests-over-limits", "      resources:\n        requests:\n          memory: 2Gi  # <-\n"
                                 "        limits:\n          memory: 1Gi\n",
     "spec.template.spec.resources.requests[memory]", "must be less than or equal to memory limit of 1Gi"),
    ("pod-requests-under-containers", INIT + "        resources:\n          limits:\n            cpu: 1500m\n"
                                             "      resources:\n        requests:\n          cpu: 1  # <-\n",
     "spec.template.spec.resources.requests[cpu]", "must be greater than or equal to aggregate container requests "
                                                   "of 1500m, got 1"),
]


def _refused(tmp_path: Path, added: str) -> tuple[str, Path, ManifestError]:
    """The manifest ``BASE + added``, written, its file, and the error loading it raises."""
    text = BASE + added
    file = write(tmp_path, text)
    with pytest.raises(ManifestError) as info:
        load_daemonset(file)
    return text, file, info.value


@pytest.mark.parametrize(("added", "path", "rule"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_init_container_overhead_and_pod_level_resources_are_checked(
    tmp_path: Path, added: str, path: str, rule: str
) -> None:
    text, file, error = _refused(tmp_path, added)
    line = marked_line(text)
    assert (error.path, error.line) == (path, line)
    assert str(error).startswith(f"{file}:{line}: {path}: ") and rule in str(error)


HUGE = [
    ("container-cpu", "      - name: big\n        image: example.com/big:1.0\n        resources:\n"
                      "          requests:\n            cpu: \"1e400\"  # <-\n",
     "spec.template.spec.containers[1].resources.requests[cpu]", "must be at most 2^63-1 millicores, got '1e400'"),
    ("memory-no-limit", INIT + "        resources:\n          requests:\n            memory: \"1e400\"  # <-\n",
     "spec.template.spec.initContainers[0].resources.requests[memory]", "must be at most 2^63-1 bytes, got '1e400'"),
    ("limit-stands-in", INIT + "        resources:\n          limits:\n            cpu: 1e16  # <-\n",
     "spec.template.spec.initContainers[0].resources.limits[cpu]", "must be at most 2^63-1 millicores"),
    ("overhead", "      overhead:\n        memory: 99999999999999999999999999Ei  # <-\n",
     "spec.template.spec.overhead[memory]", "must be at most 2^63-1 bytes"),
    ("pod-level", "      resources:\n        requests:\n          cpu: \"1e400\"  # <-\n",
     "spec.template.spec.resources.requests[cpu]", "must be at most 2^63-1 millicores"),
    ("sum", "      overhead:\n        cpu: 9e15\n      resources:\n        requests:\n          cpu: 9e15\n",
     "spec.template.spec", "the pod's cpu request (containers, init containers, overhead and pod-level "
                           "resources together) must be at most 2^63-1 millicores, got 18000000000000000000"),
]


@pytest.mark.parametrize(("added", "path", "rule"), [c[1:] for c in HUGE], ids=[c[0] for c in HUGE])
def test_a_cpu_or_memory_beyond_an_int64_is_refused_where_it_is_written(
    tmp_path: Path, added: str, path: str, rule: str
) -> None:
    """The bound ``--requests-cpu`` has: the scheduler keeps millicores and bytes in an int64."""
    text, _file, error = _refused(tmp_path, added)
    assert error.path == path and rule in str(error)
    # the sum has no line of its own: the error names the pod template's spec (BASE's line 17)
    assert error.line == (marked_line(text) if "# <-" in text else 17)


def test_each_request_is_parsed_once(monkeypatch) -> None:
    """The resources stanzas' quantities were parsed twice, once for their nanos and once more for
    the int64 bound of a cpu or memory request; the bound now checks the quantity already parsed.
    """
    import rollsim.io.manifest.resources as resources
    import rollsim.spec.quantity as quantity
    from rollsim.io.manifest.errors import Where

    parsed: list[object] = []
    real = quantity.parse_quantity

    def counted(value: object) -> quantity.Quantity:
        parsed.append(value)
        return real(value)

    monkeypatch.setattr(quantity, "parse_quantity", counted)  # what int64_amount calls
    monkeypatch.setattr(resources, "parse_quantity", counted)
    pod = {"containers": [container("main", {"cpu": "250m", "memory": "100Mi"}, {"cpu": "1", "memory": "200Mi"})],
           "initContainers": [container("init", {"cpu": "2", "ephemeral-storage": "1Gi"})],
           "overhead": {"cpu": "10m"}}
    assert resources.pod_requests(Where("ds.yaml", {}, "", 1), pod) == (2010, 100 * MI)
    assert sorted(map(str, parsed)) == sorted(["250m", "100Mi", "1", "200Mi", "2", "1Gi", "10m"])


@pytest.mark.parametrize("flag", [[], ["--nodes-file", "NODES"]])
def test_the_cli_refuses_a_huge_request_before_it_runs(tmp_path: Path, capsys, flag: list[str]) -> None:
    manifest = write(tmp_path, BASE + "        resources:\n          requests:\n            cpu: \"1e400\"\n")
    nodes = tmp_path / "nodes.json"
    nodes.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "w0"},
         "status": {"allocatable": {"cpu": "4", "memory": "15Gi"}}}]}), encoding="utf-8")
    argv = ["simulate", "--manifest", str(manifest), *[str(nodes) if a == "NODES" else a for a in flag]]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == (f"rollsim: error: {manifest}:23: spec.template.spec.containers[0].resources.requests[cpu]: "
                   f"must be at most 2^63-1 millicores, got '1e400'\n")


# a rollout --------------------------------------------------------------------------------
# calico-node: install-cni asks for 2 CPU, calico-node for 250m; nodes of 3,920m allocatable with
# 1,568m (40%) used by other workloads. A surge pod needs 2,000m beside the old pod's 2,000m.
CALICO = {"initContainers": [container("install-cni", {"cpu": "2"})],
          "containers": [container("calico-node", {"cpu": "250m"})]}


def test_an_init_containers_request_keeps_surge_pods_pending(tmp_path: Path) -> None:
    nodes = nodes_from_pools([{"name": "w", "count": 20, "allocatable": {"cpu": "3920m", "memory": "15Gi"}}])
    spec = spec_of(tmp_path, CALICO, surge="10%")
    assert spec.requests_cpu_millis == 2000
    s = simulate(build_scenario(daemonset_spec=spec, node_list=nodes, node_utilization=0.4, stall_after=600,
                                **IDEAL)).summary
    assert s["stalled"] is True and s["updated"] == 0 and s["unschedulable_pods"] == 2
    assert s["stop_cause"] == "pending-resources" and "NodeResourcesFit: Insufficient cpu" in s["stop_detail"]
    pod = PodRequests(spec.requests_cpu_millis, spec.requests_memory_bytes)
    assert unschedulable_reason(nodes[0], [pod], pod, workloads=other_requests(nodes[0], 0.4)) == "Insufficient cpu"
    # counted as before (the containers alone, 250m), the same rollout completes
    before = simulate(build_scenario(daemonset_spec=spec, node_list=nodes, node_utilization=0.4, stall_after=600,
                                     requests_cpu="250m", **IDEAL)).summary
    assert before["completed"] is True and before["unschedulable_pods"] == 0


def test_the_cli_says_the_surge_rollout_stops_on_insufficient_cpu(tmp_path: Path, capsys) -> None:
    manifest = tmp_path / "calico.yaml"
    manifest.write_text(json.dumps(daemonset(CALICO, surge="10%")), encoding="utf-8")
    nodes = tmp_path / "nodes.json"
    nodes.write_text(node_list_json(20), encoding="utf-8")
    argv = ["simulate", "--manifest", str(manifest), "--nodes-file", str(nodes), "--node-utilization", "0.4",
            "--stall-after", "600", "--controller", "ideal", "--seed", "1"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "completed          no" in out
    assert "stopped because    2 new pods Pending, unschedulable (NodeResourcesFit: Insufficient cpu" in out


def test_resources_rollsim_does_not_check_are_named_once_each_at_their_line(tmp_path: Path) -> None:
    """A GPU agent fits wherever its CPU and memory fit here: the reader is told, with the file and line."""
    text = BASE + ("        resources:\n"
                   "          requests: {cpu: 100m, ephemeral-storage: 1Gi}  # <-\n"
                   "          limits: {nvidia.com/gpu: 1, memory: 1Gi}\n"
                   "      - name: sidecar\n"
                   "        image: example.com/sidecar:1.0\n"
                   "        resources: {limits: {nvidia.com/gpu: 1}}\n")
    path = write(tmp_path, text)
    line = marked_line(text)
    rule = "is not checked: rollsim's scheduler checks cpu, memory and host ports only (README, departures)"
    assert load_daemonset(path).warnings == (
        f"{path}:{line}: spec.template.spec.containers[0].resources.requests[ephemeral-storage]: ephemeral-storage "
        f"{rule}",
        f"{path}:{line + 1}: spec.template.spec.containers[0].resources.limits[nvidia.com/gpu]: nvidia.com/gpu {rule}",
    )
    assert load_daemonset(write(tmp_path, BASE, "plain.yaml")).warnings == ()


# pod-level resources by version (PodLevelResources: alpha and off in v1.32-v1.33, beta and on from v1.34)
# an agent whose pod-level request (2 CPU) is what keeps a surge pod off nodes of 3,920m at 40% use:
# its container asks for 250m, so without the pod-level stanza the surge pod fits
POD_LEVEL = {"containers": [container("agent", {"cpu": "250m", "memory": "100Mi"})],
             "resources": {"requests": {"cpu": "2", "memory": "1Gi"}, "limits": {"hugepages-2Mi": "4Mi"}}}


def test_a_server_before_v134_drops_pod_level_resources_and_says_where(tmp_path: Path) -> None:
    text = BASE + ("        resources: {requests: {cpu: 250m, memory: 100Mi}}\n"
                   "      resources:  # <-\n"
                   "        requests: {cpu: 2, memory: 1Gi}\n"
                   "        limits: {hugepages-2Mi: 4Mi}\n")
    path, line = write(tmp_path, text), marked_line(text)
    loaded = load_daemonset(path)
    assert [(v, loaded.for_version(v).spec.requests_cpu_millis, loaded.for_version(v).spec.requests_memory_bytes)
            for v in ("1.33", "1.34", "1.37")] == [("1.33", 250, 100 * MI), ("1.34", 2000, 1024 * MI),
                                                   ("1.37", 2000, 1024 * MI)]
    assert loaded.spec == loaded.for_version("1.34").spec  # read as the default version counts them
    hugepages = f"{path}:{line + 2}: spec.template.spec.resources.limits[hugepages-2Mi]: hugepages-2Mi is not checked"
    assert [w[:len(hugepages)] for w in loaded.for_version("1.34").warnings] == [hugepages]
    older = loaded.for_version("1.33").warnings  # the dropped stanza's own notes go with it
    assert len(older) == 1 and older[0].startswith(f"{path}:{line}: spec.template.spec.resources: pod-level "
                                                   "resources are dropped before Kubernetes 1.34 (feature gate "
                                                   "PodLevelResources")
    assert load_daemonset(write(tmp_path, BASE, "plain.yaml")).without_pod_level is None  # nothing to drop


def test_pod_level_requests_hold_surge_pods_from_v134_only(tmp_path: Path, capsys) -> None:
    """Before/after: the same manifest and nodes; v1.33 schedules the surge pods (250m), v1.34 does not (2 CPU)."""
    manifest = tmp_path / "agent.json"
    manifest.write_text(json.dumps(daemonset(POD_LEVEL, surge="10%")), encoding="utf-8")
    nodes = tmp_path / "nodes.json"
    nodes.write_text(node_list_json(20), encoding="utf-8")
    argv = ["simulate", "--manifest", str(manifest), "--nodes-file", str(nodes), "--node-utilization", "0.4",
            "--stall-after", "600", "--controller", "ideal", "--seed", "1", "-o", "json"]
    summaries = {}
    for version in ("1.33", "1.34"):
        assert main([*argv, "--kubernetes-version", version]) == 0
        out, err = capsys.readouterr()
        summaries[version] = json.loads(out)
        dropped = f"{manifest}:1: spec.template.spec.resources: pod-level resources are dropped before Kubernetes 1.34"
        assert (dropped in err) == (version == "1.33")
    assert summaries["1.33"]["completed"] and summaries["1.33"]["unschedulable_pods"] == 0
    assert not summaries["1.34"]["completed"] and summaries["1.34"]["unschedulable_pods"] == 2
    assert summaries["1.34"]["stop_cause"] == "pending-resources"
