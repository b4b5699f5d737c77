"""One declaration per setting: defaults, flags, experiment keys, description and schema agree."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pytest
from rollsim.cli import main
from rollsim.spec.churn import NodeChange
from rollsim.spec.clockskew import ClockSkew
from rollsim.spec.deleters import DeleterSpec
from rollsim.spec.describe import DESCRIPTION_LABELS, describe_scenario, leaf_fields
from rollsim.spec.distributions import Distribution, parse_distribution
from rollsim.spec.faults import NewPodFaults
from rollsim.spec.node import Node, NodeSelectorRequirement, NodeSelectorTerm, Taint, Toleration
from rollsim.spec.options import build_scenario
from rollsim.spec.registry import PullWindow
from rollsim.spec.scenario import ON_DELETE, DaemonSetSpec, Scenario, UpdateStrategy, Workload
from rollsim.spec.settings import SETTINGS, field_default
from rollsim.spec.volumes import HostPath


def _at(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _replaced(obj: Any, path: str, value: Any) -> Any:
    head, _, rest = path.partition(".")
    return dataclasses.replace(obj, **{head: _replaced(getattr(obj, head), rest, value) if rest else value})


def test_every_setting_has_a_unique_name_key_and_field() -> None:
    for attribute in ("name", "key"):
        values = [getattr(s, attribute) for s in SETTINGS]
        assert len(values) == len(set(values)), attribute
    fields = [s.field for s in SETTINGS if s.field is not None]
    assert len(fields) == len(set(fields))


def test_build_scenario_defaults_are_the_declared_defaults() -> None:
    built = build_scenario()
    for s in SETTINGS:
        if s.field is None or s.name in ("nodes", "not_ready_nodes", "also"):
            continue
        expected = s.default if s.default is None else s.kind.rule(s.default)
        if s.name == "deleter":
            expected = DeleterSpec()
        assert _at(built, s.field) == expected, s.name
    assert len(built.nodes) == field_default("nodes") == 1000


def test_each_option_sets_its_field() -> None:
    """A value other than the default, for every setting: it reaches the setting's field."""
    samples = {"N": "7", "S": "3.5", "F": "0.25", "P": "0.25", "X": "3", "DIST": "constant(4)", "QPS": "7.5",
               "CPU": "250m", "MEM": "64Mi", "PORTS": "9100", "SIZE": "1GB", "RATE": "5MB/s", "N/s": "4/s",
               "N/WINDOW": "100/6h",
               "KIND[:F]": "crashloop", "none|batch:K[:PAUSE]|rate:S": "batch:3", "TEXT": "x", "S[:F]": "600:0.5",
               "NAME": "x.y", "NS": "x"}
    extra = {"max_surge": {"max_unavailable": 0}, "deleter": {"strategy": ON_DELETE},
             "max_parallel_image_pulls": {"serialize_image_pulls": False}}
    for s in SETTINGS:
        if s.field is None or s.name in ("nodes", "not_ready_nodes", "also"):
            continue
        if s.kind.choices:
            value: Any = next(c for c in s.kind.choices if c != s.default)
        else:
            given = {"tolerations": [{"operator": "Exists"}], "host_network": True, "queue_dedup": False,
                     "status_requeue": False, "whole_second_timestamps": False, "serialize_image_pulls": False,
                     "min_ready_seconds": "3",  # whole seconds (an int32 in the API)
                     "node_monitor_grace_period": "35"}  # more than the kubelet's 10 s heartbeat
            value = given[s.name] if s.name in given else samples[s.kind.metavar]
        built = build_scenario(nodes=10, **{s.name: value, **extra.get(s.name, {})})
        assert _at(built, s.field) == s.kind.rule(value) != _at(build_scenario(nodes=10), s.field), s.name


def test_every_flagged_setting_is_a_simulate_flag_with_its_default_in_the_help(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "2000")  # one line per flag
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for s in SETTINGS:
        if s.name == "namespace":  # -n/--namespace is the live cluster's (ds/NAME), not a scenario flag
            continue
        assert (f"{s.flag_name} " in text) == s.flag, s.name
        if s.flag:
            assert s.help_text() in text, s.name
    assert "(default stragglers(median=20, p95=45, fraction=0.02, tail=400))" in text and "(default 1000)" in text


# -- describe_scenario: every field ------------------------------------------------------------------

_BASE = Scenario(nodes=4, daemonset=DaemonSetSpec(strategy=UpdateStrategy(ON_DELETE, 1, 0)))
# a different value for each field that is not a number, a bool or None (those change generically)
_OTHER: dict[str, Any] = {
    "daemonset.name": "other", "daemonset.namespace": "other", "daemonset.strategy.type": "RollingUpdate",
    "daemonset.placement.node_name": "node-1", "controller.mode": "ideal", "image.pull_policy": "Always",
    "daemonset.priority_class_name": "system-node-critical", "daemonset.preemption_policy": "Never",
    "daemonset.labels": (("app", "x"),), "daemonset.host_ports": (9100,),
    "daemonset.host_paths": (HostPath("/var/log"),),
    "daemonset.placement.node_selector": {"disk": "ssd"},
    "daemonset.placement.required_node_affinity": (
        NodeSelectorTerm((NodeSelectorRequirement("zone", "In", ("a",)),)),),
    "daemonset.placement.tolerations": (Toleration(operator="Exists"),),
    "deleter": DeleterSpec("batch", count=2), "new_pods": NewPodFaults("crashloop"),
    "node_changes": (NodeChange("add", 1, 5.0),), "max_parallel_image_pulls": 1,
    "also": (Workload(DaemonSetSpec(name="w")),),
    "nodes": (Node("node-0", {"zone": "a"}), Node("node-1"), Node("node-2"), Node("node-3")),
    "controller.kubernetes_version": "1.33", "not_ready_condition": "False",
    "controller.node_watch_delay": "constant(3)", "controller.unhealthy_zone_threshold": 0.6,
    "registry.over_limit": "reject", "registry.pull_burst": 5, "registry.pull_window": PullWindow(100, 21600.0),
    "clock_skew": ClockSkew(600, 0.5),
}


def _other(path: str, value: Any) -> Any:
    if path in _OTHER:
        return _OTHER[path]
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float) or value is None:
        return (value or 0.0) + 0.5
    if isinstance(value, Distribution):
        return parse_distribution("constant(7)")
    raise AssertionError(f"no other value for {path} = {value!r}: add one to _OTHER")


def _leaves(obj: Any) -> list[tuple[str, Any]]:
    return list(leaf_fields(obj))


def test_every_field_of_the_scenario_is_described() -> None:
    """Two scenarios that differ in any single field describe differently."""
    base = describe_scenario(_BASE)
    paths = [path for path, _ in _leaves(_BASE)]
    assert {"registry.latency", "controller.watch_delay", "controller.api_latency", "controller.burst_replicas",
            "daemonset.readiness_probe.success_threshold", "daemonset.readiness_probe.failure_threshold"} <= set(paths)
    for path, value in _leaves(_BASE):
        changed = describe_scenario(_replaced(_BASE, path, _other(path, value)))
        assert changed != base, path


def test_every_field_of_another_daemonset_is_described() -> None:
    workload = Workload(DaemonSetSpec(name="w", strategy=UpdateStrategy(ON_DELETE, 1, 0)))
    base = describe_scenario(dataclasses.replace(_BASE, also=(workload,)))
    for path, value in _leaves(workload):
        if path == "daemonset.name":
            continue  # must differ from the main DaemonSet's name
        other = _replaced(workload, path, _other(path, value))
        assert describe_scenario(dataclasses.replace(_BASE, also=(other,))) != base, path


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(Node) if f.name != "name" and f.compare])
def test_every_field_of_every_node_is_described(field) -> None:
    others = {"labels": {"a": "b"}, "taints": (Taint("dedicated"),), "ready": False, "unschedulable": True,
              "allocatable_cpu_millis": 1000, "allocatable_memory_bytes": 2**30, "disk_pressure": True,
              "pid_pressure": True}
    nodes = list(_BASE.nodes)
    nodes[2] = dataclasses.replace(nodes[2], **{field: others[field]})
    assert describe_scenario(dataclasses.replace(_BASE, nodes=tuple(nodes))) != describe_scenario(_BASE)


def test_a_nodes_kubelet_version_takes_no_part_in_its_description() -> None:
    """It only bounds the cluster's version (a warning): the runs of a list are the same whatever it says."""
    nodes = tuple(dataclasses.replace(n, kubelet_version="v1.30.0") for n in _BASE.nodes)
    assert describe_scenario(dataclasses.replace(_BASE, nodes=nodes)) == describe_scenario(_BASE)


def test_value_objects_whose_text_loses_a_field_are_written_field_by_field() -> None:
    faults = NewPodFaults("crashloop", crash_after=9.0)  # "crashloop" alone would hide crash_after
    described = describe_scenario(dataclasses.replace(_BASE, new_pods=faults))["new_pods"]
    assert described == {"kind": "crashloop", "fraction": 1.0, "crash_after": 9.0}
    assert describe_scenario(_BASE)["new_pods"] == "healthy"


def test_the_description_is_plain_data_with_a_label_for_every_key() -> None:
    described = describe_scenario(build_scenario(nodes=5, also=[{"name": "calico", "ready": 3}]))

    def is_plain(v: Any) -> bool:
        if isinstance(v, list):
            return all(map(is_plain, v))
        if isinstance(v, Mapping):
            return all(isinstance(k, str) and is_plain(x) for k, x in v.items())
        return v is None or isinstance(v, (bool, int, float, str))

    assert is_plain(described)
    assert set(described) <= set(DESCRIPTION_LABELS)
    assert described["also"] == ["kube-system/calico (ready constant(3))"]
    for s in SETTINGS:  # every setting's field is described under the setting's key
        if s.field is not None and s.name not in ("name", "namespace"):  # those two: "daemonset"
            assert s.description_key in described, s.name
    assert described["daemonset"] == "kube-system/fluentd-elasticsearch"


def test_the_report_names_settings_as_it_did() -> None:
    expected = {"min_ready_seconds": "minReadySeconds (s)", "max_unavailable": "maxUnavailable",
                "probe_period": "readiness probe period (s)", "schedule": "scheduling time (s)",
                "kube_api_qps": "API client QPS", "workers": "controller workers", "horizon_s": "horizon (s)",
                "deleter": "OnDelete deleter", "daemonset": "DaemonSet", "labels": "DaemonSet labels"}
    assert {k: DESCRIPTION_LABELS[k] for k in expected} == expected


def test_an_unquoted_false_is_named_as_the_yaml_boolean_it_became() -> None:
    from rollsim.spec.options import OptionError, build_scenario

    with pytest.raises(OptionError, match='got the boolean False: quote it, "False"'):
        build_scenario(nodes=3, not_ready_nodes=1, not_ready_condition=False)


def test_another_daemonsets_settings_read_as_its_also_item_writes_them() -> None:
    """Audit H9: the report's "DaemonSets updated at the same time" printed raw field names and
    floats (``image_size_bytes 50000000.0``); each setting now reads as an ``also:`` item gives it,
    and values that differ still read differently.
    """
    scenario = build_scenario(nodes=3, also=[
        {"name": "a", "max_unavailable": "10%", "image_size": "50MB", "node_bandwidth": "25MB/s",
         "requests_cpu": "250m", "requests_memory": "128Mi"},
        {"name": "b", "image_size": "50000001", "requests_cpu": "2", "requests_memory": "1G", "image_cached": 1.0}])
    assert describe_scenario(scenario)["also"] == [
        "kube-system/a (maxUnavailable 10%; requests_cpu 250m; requests_memory 128Mi; image_size 50MB; "
        "node_bandwidth 25MB/s)",
        "kube-system/b (requests_cpu 2; requests_memory 1G; image_size 50000001 bytes; image_cached 1)"]


def test_the_sync_workers_and_the_controllers_counts_have_limits(capsys, monkeypatch) -> None:
    """``--workers 100000000`` filled the memory (a process each) before any error; the counts that
    are int32 flags upstream stop at 2^31-1. Both are one line, exit 2, before any work.
    """
    from rollsim.cli import main

    assert main(["simulate", "--nodes", "3", "-q", "--workers", "100000000"]) == 2
    assert capsys.readouterr().err == (
        "rollsim: error: argument --workers: 100,000,000 workers exceed the limit of 1,000 workers syncing "
        "DaemonSets (--concurrent-daemonset-syncs); set ROLLSIM_MAX_SYNC_WORKERS to raise it\n")
    assert main(["simulate", "--nodes", "3", "-q", "--kube-api-burst", "10000000000"]) == 2
    assert "must be an integer from 1 to 2147483647" in capsys.readouterr().err
    monkeypatch.setenv("ROLLSIM_MAX_SYNC_WORKERS", "3")
    assert main(["simulate", "--nodes", "3", "-q", "--workers", "3", "-o", "json"]) == 0
    assert main(["simulate", "--nodes", "3", "-q", "--workers", "4"]) == 2
