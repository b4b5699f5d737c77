"""Preemption: a daemon pod of higher priority that does not fit evicts the other workloads.

The scheduler's DefaultPreemption PostFilter (``rollsim.cluster.preemption``), the pod template's
priority (``rollsim.io.manifest.pod.priority``) and the warning for a class rollsim cannot resolve.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rollsim import build_scenario, simulate
from rollsim.cli import main
from rollsim.cluster.preemption import select_victims
from rollsim.cluster.scheduling import PodRequests, unschedulable_reason
from rollsim.io.manifest import ManifestError, load_daemonset_text
from rollsim.io.nodes import nodes_from_pools
from rollsim.observe.display import summary_rows
from rollsim.spec.node import Node
from rollsim.spec.options import OptionError, ignored_options
from rollsim.spec.priority import may_preempt

GIB = 2**30
NODES = nodes_from_pools([{"name": "w", "count": 4, "allocatable": {"cpu": "4", "memory": "16Gi"}}])
# schedule, pull, start, ready and terminate, constant; the ideal controller decides at once
CONSTANT = dict(schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0, controller="ideal",
                stall_after=900)
# the audit's reproduction: other workloads take 3,600m of 4,000m, the old pod 300m, the new one needs 300m more
MANIFEST = """apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: node-agent}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: node-agent}}
    spec:
PRIORITY
      containers:
      - name: agent
        image: agent:2
        resources: {requests: {cpu: 300m}}
PORTS"""


def manifest(priority: str = "priorityClassName: system-node-critical", ports: str = "") -> str:
    """The reproduction's manifest with ``priority`` lines in its pod spec (and container ``ports``)."""
    lines = "\n".join(f"      {line}" for line in priority.splitlines())
    return MANIFEST.replace("PRIORITY", lines).replace("PORTS", ports)


def run(text: str, utilization: float = 0.9, **options) -> dict:
    spec = load_daemonset_text(text, "ds.yaml").spec
    return simulate(build_scenario(daemonset_spec=spec, node_list=NODES, node_utilization=utilization,
                                   **{**CONSTANT, **options})).summary


# -- the rollout -----------------------------------------------------------------------------------

def test_a_system_node_critical_surge_pod_preempts_the_other_workloads_and_the_rollout_completes() -> None:
    """The audit's case stalled ("1 new pod Pending, unschedulable (NodeResourcesFit: ...)"). One node
    at a time, each new pod waits for its victims' 30 s grace period before it binds: 4 × (1 + 30 +
    2 + 3 + 4) s, and the last old pod's 5 s. Without the tight fit it is 4 × 10 + 5 = 45 s.
    """
    roomy = run(manifest(), utilization=0.8)  # 3,200m + 300m + 300m fits 4,000m: nothing to preempt
    assert roomy["completed"] and roomy["duration_s"] == 4 * (1 + 2 + 3 + 4) + 5
    assert roomy["preemptions"] == roomy["preempted_cpu_millis"] == roomy["preempted_memory_bytes"] == 0
    s = run(manifest())
    assert s["completed"] is True and s["stop_cause"] == "completed"
    assert s["duration_s"] == 4 * (1 + 30 + 2 + 3 + 4) + 5 == roomy["duration_s"] + 4 * 30
    assert s["unschedulable_pods"] == 0 and s["min_available"] == 4
    # on each node exactly what the pod lacked: 3,600m + 300m + 300m - 4,000m = 200m, and the
    # same share (200/3,600) of the workloads' 90% of 16 GiB
    assert s["preemptions"] == 4 and s["preempted_cpu_millis"] == 4 * 200
    assert s["preempted_memory_bytes"] == round(4 * 0.9 * 16 * GIB * 200 / 3600)
    assert ("preempted", "other pods on 4 nodes (800m CPU evicted)") in summary_rows(s)
    assert "preempted" not in dict(summary_rows(roomy))


@pytest.mark.parametrize(("victims", "per_node"), [(12, 12), ("constant(0.5)", 0.5)])
def test_the_pod_binds_the_instant_the_victims_are_gone(victims, per_node) -> None:
    """Victims that go in 0.5 s, within the pod's scheduling back-off (1 s after the failed attempt):
    their deletion moves it to ``backoffQ``, and the idle scheduler pops it at once
    (``SchedulerPopFromBackoffQ``, on from v1.33); before audit 12 it bound at 1 s.
    """
    s = run(manifest(), victim_termination=victims)
    assert s["completed"] and s["duration_s"] == 4 * (1 + per_node + 2 + 3 + 4) + 5


def test_the_realistic_controller_completes_it_too() -> None:
    s = run(manifest(), controller="realistic", schedule="lognormal(median=0.1, p95=0.3)")
    assert s["completed"] and s["preemptions"] == 4 and s["preempted_cpu_millis"] == 800


NEVER = "its preemptionPolicy is Never, so it preempts none of the nodes' other pods"


@pytest.mark.parametrize(("priority", "options", "why"), [
    ("", {}, "its priority (0) is not above the nodes' other pods' (0), so it preempts none of them"),
    ("priorityClassName: batch-high\npriority: 1000000\npreemptionPolicy: Never", {}, NEVER),
    ("priorityClassName: system-node-critical", {"preemption_policy": "Never"}, NEVER),
    ("priorityClassName: system-cluster-critical", {"other_pods_priority": 2_000_000_000},  # not lower
     "its priority (2,000,000,000) is not above the nodes' other pods' (2,000,000,000)"),
    ("priorityClassName: system-cluster-critical", {"priority": 5, "other_pods_priority": 5},
     "its priority (5) is not above the nodes' other pods' (5)"),
])
def test_a_pod_that_may_not_preempt_stays_pending(priority, options, why) -> None:
    """The stop says why no preemption made room (audit 6: it named only the missing resources)."""
    s = run(manifest(priority), **options)
    assert not s["completed"] and s["stop_cause"] == "pending-resources"
    assert s["stop_detail"].startswith("1 new pod Pending, unschedulable (NodeResourcesFit: Insufficient cpu")
    assert why in s["stop_detail"], s["stop_detail"]
    assert s["preemptions"] == 0 and s["preempted_cpu_millis"] == 0


def test_a_custom_class_preempts_with_its_value() -> None:
    assert run(manifest("priorityClassName: batch-high"), priority=1000)["preemptions"] == 4
    assert run(manifest("priorityClassName: batch-high\npriority: 1000"))["preemptions"] == 4


def test_a_host_port_held_by_the_old_pod_is_not_freed_by_preemption() -> None:
    """The old pod has the same priority: never a victim, so NodePorts stays unresolvable."""
    ports = "        ports: [{containerPort: 9100, hostPort: 9100}]"
    s = run(manifest(ports=ports))
    assert not s["completed"] and s["stop_cause"] == "pending-host-port"
    assert s["preemptions"] == 0 and s["unschedulable_pods"] == 1


def test_a_pod_that_would_not_fit_with_every_victim_gone_stays_pending() -> None:
    """The old pod's 2,500m and the new pod's 2,500m exceed 4,000m whatever the others hold."""
    s = run(manifest(), requests_cpu="2500m", utilization=0.1)
    assert not s["completed"] and s["stop_cause"] == "pending-resources" and s["preemptions"] == 0


def test_without_a_priority_results_are_those_of_a_run_without_preemption() -> None:
    """The default scenario never preempts: priority 0 is not above the other workloads' 0."""
    # 3,600m + 300m: the old pod fits (a start a cluster can be in), a surge pod beside it does not
    base = dict(node_list=NODES, max_surge=2, requests_cpu="300m", node_utilization=0.9, **CONSTANT)
    s = simulate(build_scenario(**base)).summary
    assert s["stalled"] and s["unschedulable_pods"] == 2 and s["preemptions"] == 0
    assert simulate(build_scenario(**base, priority=1)).summary["completed"]


# -- the pure parts ---------------------------------------------------------------------------------

def test_select_victims_keeps_all_but_the_share_the_pod_needs() -> None:
    node = Node("n", allocatable_cpu_millis=4000, allocatable_memory_bytes=16 * GIB)
    pod = PodRequests(300, GIB)
    workloads = (3600.0, 0.5 * 16 * GIB)
    left = select_victims(node, workloads, [pod], pod)
    assert left is not None and left[0] == 3400  # exactly the room: 4,000 - 300 - 300
    assert left[1] == pytest.approx(workloads[1] * 3400 / 3600)  # the same share of memory
    assert unschedulable_reason(node, [pod], pod, workloads=left) is None
    assert unschedulable_reason(node, [pod], pod, workloads=workloads) == "Insufficient cpu"
    # memory the shorter: 14 GiB held, 2 GiB requested twice, so 12 GiB may stay, 2/14 of the CPU goes too
    left = select_victims(node, (1000.0, 14.0 * GIB), [PodRequests(0, 2 * GIB)], PodRequests(0, 2 * GIB))
    assert left == (pytest.approx(1000 * 12 / 14), 12 * GIB)
    assert select_victims(node, (100.0, 0.0), [PodRequests(3000)], PodRequests(1500)) is None  # not even then
    assert select_victims(node, (100.0, 0.0), [PodRequests(300)], PodRequests(300)) is None  # fits already
    assert select_victims(Node("free"), (0.0, 0.0), [pod], pod) is None  # nothing allocatable is known


def test_who_may_preempt() -> None:
    assert may_preempt(2_000_001_000, "PreemptLowerPriority", 0)
    assert not may_preempt(2_000_001_000, "Never", 0)
    assert not may_preempt(0, "PreemptLowerPriority", 0)  # strictly lower only
    assert not may_preempt(None, "PreemptLowerPriority", 0)  # unknown: taken as 0
    assert may_preempt(None, "PreemptLowerPriority", -1)


# -- reading the priority from a manifest -----------------------------------------------------------

@pytest.mark.parametrize(("priority", "expected"), [
    ("", ("", 0, "PreemptLowerPriority")),
    ("priorityClassName: system-node-critical", ("system-node-critical", 2000001000, "PreemptLowerPriority")),
    ("priorityClassName: system-cluster-critical\npriority: 2000000000",
     ("system-cluster-critical", 2000000000, "PreemptLowerPriority")),
    ("priorityClassName: batch-high", ("batch-high", None, "PreemptLowerPriority")),
    ("priorityClassName: batch-high\npriority: -5\npreemptionPolicy: Never", ("batch-high", -5, "Never")),
    ("priority: 7", ("", 7, "PreemptLowerPriority")),
    ("preemptionPolicy: null", ("", 0, "PreemptLowerPriority")),  # null is absent: defaulted
])
def test_the_manifest_s_priority(priority, expected) -> None:
    spec = load_daemonset_text(manifest(priority), "ds.yaml").spec
    assert (spec.priority_class_name, spec.priority, spec.preemption_policy) == expected


@pytest.mark.parametrize(("priority", "where", "rule"), [
    ("priorityClassName: system-node-critical\npriority: 1000", "11: spec.template.spec.priority",
     "must be 2000001000 or unset with priorityClassName system-node-critical: the Priority admission plugin "
     "forbids every pod whose priority (1000) differs from its class's"),
    ("priorityClassName: system-node-critical\npreemptionPolicy: Never", "11: spec.template.spec.preemptionPolicy",
     "must be PreemptLowerPriority or unset with priorityClassName system-node-critical"),
    ("preemptionPolicy: Sometimes", "10: spec.template.spec.preemptionPolicy",
     "Unsupported value: 'Sometimes': supported values: \"Never\", \"PreemptLowerPriority\""),
    # only an absent one is defaulted: "" is a value, and not a supported one (audit 8 item 11)
    ("preemptionPolicy: ''", "10: spec.template.spec.preemptionPolicy",
     "Unsupported value: '': supported values: \"Never\", \"PreemptLowerPriority\""),
    ("priorityClassName: Batch_High", "10: spec.template.spec.priorityClassName",
     "invalid name 'Batch_High': a lowercase RFC 1123 subdomain"),
    ("priority: 3000000000", "10: spec.template.spec.priority", "is out of range for an int32"),
    ("priority: high", "10: spec.template.spec.priority", "must be an integer"),
])
def test_priority_fields_the_api_server_refuses(priority, where, rule) -> None:
    with pytest.raises(ManifestError) as caught:
        load_daemonset_text(manifest(priority), "ds.yaml")
    assert str(caught.value).startswith(f"ds.yaml:{where}: {rule}")


# -- settings and the warning --------------------------------------------------------------------------

def test_priority_options_are_int32s() -> None:
    assert build_scenario(nodes=2, priority="-7", other_pods_priority=" 12 ").daemonset.priority == -7
    for bad in ("high", "1.5", True, "2147483648", "--1"):
        with pytest.raises(OptionError, match="must be an integer from -2147483648 to 2147483647"):
            build_scenario(nodes=2, priority=bad)


def test_an_unknown_class_is_warned_about_unless_its_value_is_given() -> None:
    spec = load_daemonset_text(manifest("priorityClassName: batch-high"), "ds.yaml").spec
    notes = ignored_options(build_scenario(daemonset_spec=spec, node_list=NODES), [])
    assert [name for name, _ in notes] == ["manifest"]
    assert "priorityClassName batch-high is not a built-in class" in notes[0][1]
    assert ignored_options(build_scenario(daemonset_spec=spec, node_list=NODES, priority=10), ["priority"]) == ()


def _write(tmp_path: Path, text: str) -> tuple[str, str]:
    ds, nodes = tmp_path / "ds.yaml", tmp_path / "nodes.json"
    ds.write_text(text, encoding="utf-8")
    items = [{"metadata": {"name": n.name, "labels": dict(n.labels)},
              "status": {"allocatable": {"cpu": "4", "memory": "16Gi"},
                         "conditions": [{"type": "Ready", "status": "True"}]}} for n in NODES]
    nodes.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}), encoding="utf-8")
    return str(ds), str(nodes)


def test_simulate_warns_in_one_line_and_preempts_once_told_the_value(tmp_path, capsys) -> None:
    ds, nodes = _write(tmp_path, manifest("priorityClassName: batch-high"))
    flags = ["simulate", "--manifest", ds, "--nodes-file", nodes, "--node-utilization", "0.9", "--stall-after",
             "300", "--controller", "ideal", "-o", "json"]
    assert main(flags) == 0
    out, err = capsys.readouterr()
    assert err == ("rollsim: warning: argument --manifest: the pod template's priorityClassName batch-high is not a "
                   "built-in class and the template has no spec.priority: preemption is not modelled for it "
                   "(priority taken as 0); give the class's value with --priority (daemonset.priority)\n")
    assert json.loads(out)["preemptions"] == 0 and not json.loads(out)["completed"]
    assert main([*flags, "--priority", "1000"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and json.loads(out)["preemptions"] == 4 and json.loads(out)["completed"]
    assert main([*flags, "--priority", "high"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_the_console_summary_says_what_was_preempted_and_only_then(tmp_path, capsys) -> None:
    ds, nodes = _write(tmp_path, manifest())
    flags = ["simulate", "--manifest", ds, "--nodes-file", nodes, "--controller", "ideal"]
    assert main([*flags, "--node-utilization", "0.9"]) == 0
    # 200m of the 3,600m on each of 4 nodes (the new pod's 300m less the 100m free), and as much of memory
    line = ("  preempted          other workloads on 4 nodes (800m CPU, 3.2 GiB memory evicted) for daemon pods "
            "that did not fit")
    assert line in capsys.readouterr().out.splitlines()
    assert main([*flags, "--node-utilization", "0.8"]) == 0  # fits without preempting: no line
    assert "preempted" not in capsys.readouterr().out


def test_a_nominated_preemptor_s_room_is_reserved_from_a_lower_priority_daemonset() -> None:
    """The scheduler filters a pod as if the pods of equal or higher priority nominated to its node
    were there (``RunFilterPluginsWithNominatedPods``/``addGENominatedPods``): the room cilium's victims
    free (0.1 s after its first attempt) is cilium's, not the priority-0 logger's, whose retry comes
    first. So exactly the 250m cilium lacks is evicted, once (the logger's pod took the room and
    cilium evicted a second time, 350m in all, when the nomination reserved nothing).
    """
    nodes = nodes_from_pools([{"name": "p", "count": 1, "allocatable": {"cpu": "1", "memory": "64Gi"}}])
    timings = dict(schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0)
    logger = {"name": "logger", "requests_cpu": "100m", "max_surge": "100%", "max_unavailable": 0, **timings}
    r = simulate(build_scenario(node_list=nodes, node_utilization=0.55, name="cilium", requests_cpu="300m",
                                priority=2000001000, max_surge="100%", max_unavailable=0, victim_termination=0.1,
                                also=[logger], **CONSTANT))
    assert (r.summary["preemptions"], r.summary["preempted_cpu_millis"]) == (1, 250)
    assert r.summary["completed"] and r.others["logger"]["completed"]


def test_the_nominator_reserves_for_pods_of_lower_or_equal_priority_only() -> None:
    """``addGENominatedPods``: a nominee counts for pods of its priority or lower, never for itself
    or for a pod of higher priority, and not once it is deleted or forgotten (bound)."""
    from rollsim.cluster.preemption import Nominator
    from rollsim.controller.pods import Pod

    nominee, other = Pod(1, 0, 1, 0.0, owner="a"), Pod(2, 0, 1, 0.0, owner="b")
    requests = PodRequests(300, 0)
    nominator = Nominator()
    nominator.nominate(nominee, requests, 100)
    assert nominator.reserved(other, 0) == nominator.reserved(other, 100) == [requests]
    assert nominator.reserved(other, 101) == nominator.reserved(nominee, 0) == []
    assert nominator.reserved(Pod(3, 1, 1, 0.0, owner="b"), 0) == []
    nominee.deleting = True
    assert nominator.reserved(other, 0) == []
    nominee.deleting = False
    nominator.forget(nominee)
    assert nominator.reserved(other, 0) == []


@pytest.mark.parametrize(("policy", "said"), [("PreemptLowerPriority", True), ("Never", False)])
def test_a_pod_pending_beside_a_lower_priority_daemonset_says_upstream_would_preempt_it(policy, said) -> None:
    """cilium (system-node-critical, 400m) cannot fit beside its old pod and logger's (priority 0,
    300m) even with every other workload evicted; upstream's scheduler would evict logger's pod
    and bind it, which rollsim never does (a departure): the stop detail says so, unless cilium
    may not preempt (``preemptionPolicy: Never``)."""
    nodes = nodes_from_pools([{"name": "p", "count": 2, "allocatable": {"cpu": "1", "memory": "4Gi"}}])
    r = simulate(build_scenario(node_list=nodes, node_utilization=0.2, name="cilium", requests_cpu="400m",
                                priority=2000001000, preemption_policy=policy, max_surge=1, max_unavailable=0,
                                also=[{"name": "logger", "requests_cpu": "300m"}], **{**CONSTANT, "stall_after": 120}))
    assert r.summary["stop_cause"] == "pending-resources"
    upstream = "the real scheduler would have preempted logger's lower-priority pods to make room"
    assert (upstream in r.summary["stop_detail"]) is said
