"""Scenario options: one rule per option, and the precedence flag > file > default."""

from __future__ import annotations

import pytest
from rollsim.spec.node import Node, PodPlacement, Toleration
from rollsim.spec.options import OPTIONS, OptionError, build_scenario, option_for_path, option_path
from rollsim.spec.scenario import DaemonSetSpec, ReadinessProbe, UpdateStrategy

MANIFEST = DaemonSetSpec(
    name="node-exporter", namespace="monitoring",
    strategy=UpdateStrategy("RollingUpdate", "10%", 0), min_ready_seconds=15,
    termination_grace_period_seconds=60,
    placement=PodPlacement(tolerations=(Toleration(operator="Exists"),), host_network=True),
    readiness_probe=ReadinessProbe(5, 20, 2, 3), requests_cpu_millis=100, host_ports=(9100,),
)


def test_every_option_has_a_unique_key_path() -> None:
    paths = [path for path, _ in OPTIONS.values()]
    assert len(paths) == len(set(paths))
    assert all(option_for_path(option_path(name)) == name for name in OPTIONS)


def test_defaults_are_the_api_defaults() -> None:
    s = build_scenario()
    assert len(s.nodes) == 1000
    assert s.daemonset.strategy == UpdateStrategy("RollingUpdate", 1, 0)
    assert s.daemonset.min_ready_seconds == 0 and s.controller.mode == "realistic"


def test_the_manifest_is_the_base() -> None:
    ds = build_scenario(daemonset_spec=MANIFEST, nodes=10).daemonset
    assert ds == MANIFEST


def test_flags_override_the_manifest_field_by_field() -> None:
    ds = build_scenario(daemonset_spec=MANIFEST, nodes=10, min_ready_seconds=0, probe_period=5,
                        termination_grace_period_seconds=10).daemonset
    assert ds.min_ready_seconds == 0 and ds.termination_grace_period_seconds == 10
    assert ds.readiness_probe == ReadinessProbe(5, 5, 2, 3)  # only the period changed
    assert ds.placement == MANIFEST.placement and ds.host_ports == (9100,) and ds.name == "node-exporter"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, ("10%", 0)),
        ({"max_surge": "20%"}, (0, "20%")),          # surge alone: maxUnavailable becomes 0
        ({"max_unavailable": 3}, (3, 0)),
        ({"max_unavailable": 0, "max_surge": 2}, (0, 2)),
    ],
)
def test_strategy_over_a_manifest(options, expected) -> None:
    s = build_scenario(daemonset_spec=MANIFEST, nodes=10, **options).daemonset.strategy
    assert (s.max_unavailable, s.max_surge) == expected


def test_a_zero_surge_alone_keeps_the_base_budget() -> None:
    s = build_scenario(daemonset_spec=MANIFEST, nodes=10, max_surge=0).daemonset.strategy
    assert (s.max_unavailable, s.max_surge) == ("10%", 0)
    surge_base = DaemonSetSpec(strategy=UpdateStrategy("RollingUpdate", 0, 3))
    s = build_scenario(daemonset_spec=surge_base, nodes=10, max_unavailable=0).daemonset.strategy
    assert (s.max_unavailable, s.max_surge) == (0, 3)


def test_a_node_list_replaces_the_count() -> None:
    nodes = (Node("a"), Node("b", {"disk": "ssd"}))
    assert build_scenario(node_list=nodes).nodes == nodes
    with pytest.raises(OptionError) as info:
        build_scenario(node_list=nodes, nodes=5)
    assert info.value.options == ("nodes",)


@pytest.mark.parametrize(
    ("options", "names", "rule"),
    [
        ({"nodes": "many"}, ("nodes",), "non-negative integer"),
        ({"workers": 0}, ("workers",), "positive integer"),
        ({"kube_api_qps": 0}, ("kube_api_qps",), "greater than 0"),
        ({"max_unavailable": 2, "max_surge": 1}, ("max_unavailable", "max_surge"), "may not be set"),
        ({"tolerations": [{"key": "a", "operator": "Exists", "value": "x"}]}, ("tolerations",), "item 0"),
        # ValidateTolerations: a non-empty key is a label key (audit 8 item 11)
        ({"tolerations": [{"key": "a", "operator": "Exists"}, {"key": "1%", "operator": "Exists"}]},
         ("tolerations",), "item 1: toleration key: invalid label key '1%'"),
        ({"bogus": 1}, ("bogus",), "unknown scenario option"),
        # the API server refuses one hostPort/protocol declared twice (audit item 14)
        ({"host_ports": "9100,9100"}, ("host_ports",), "Duplicate value: host port 9100 given twice"),
        ({"host_ports": [24224, 9100, 24224]}, ("host_ports",), "Duplicate value: host port 24224"),
        ({"nodes": 10, "old_pods_unready": "11@5"}, ("old_pods_unready",), "starts with only 10 nodes"),
    ],
)
def test_errors_name_the_option(options, names, rule) -> None:
    with pytest.raises(OptionError) as info:
        build_scenario(**options)
    assert info.value.options == names and rule in info.value.message
