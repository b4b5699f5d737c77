"""Several DaemonSets in one cluster (``also:``): inputs a cluster could not be in, or that say
what no one wrote, are refused; the items are a set keyed by namespace/name.
"""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest
from rollsim import build_scenario, simulate
from rollsim.io.nodes import nodes_from_pools
from rollsim.io.yamldoc import ConfigError
from rollsim.spec.node import (
    Node,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    PodPlacement,
    Taint,
    Toleration,
)
from rollsim.spec.options import OptionError
from rollsim.spec.scenario import DaemonSetSpec
from rollsim.sweep.experiment_file import load_experiment

FAST = dict(schedule=1, pull=1, start=1, ready=1, terminate=1, probe_period=0)


def write(tmp_path, text: str):
    path = tmp_path / "exp.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def pool(cpu: str = "2", count: int = 20, **extra):
    return nodes_from_pools([{"name": "p", "count": count, "allocatable": {"cpu": cpu, "memory": "8Gi"}, **extra}])


# -- H1: the old pods a run starts with must fit their nodes together ----------------------------

def test_two_daemonsets_whose_old_pods_do_not_fit_together_are_refused() -> None:
    """2 CPU nodes, other pods request 80% (1,600m): 250m fits alone, 250m + 250m does not. The
    scheduler would have kept one of the two old pods Pending, so the run cannot start with both
    running on every node: refused, naming the item, the nodes and the requests against the free.
    """
    nodes = pool()
    common = dict(node_list=nodes, node_utilization=0.8, requests_cpu="250m", max_unavailable="10%")
    assert build_scenario(**common).also == ()  # alone it fits
    with pytest.raises(OptionError) as info:
        build_scenario(**common, also=[{"name": "calico-node", "requests_cpu": "250m"}])
    exc = info.value
    assert exc.options == ("also",) and exc.within == "[0].requests_cpu"
    assert exc.rule.startswith("calico-node's old pod does not fit on 20 of 20 nodes (e.g. p-00): 250m cpu + "
                               "fluentd-elasticsearch's 250m > 400m free (2,000m allocatable, node_utilization 0.8 "
                               "to other pods); NodeResourcesFit would keep one Pending"), exc.rule
    assert str(exc).startswith("also: item 0 (calico-node): requests_cpu: ")
    # 200m + 200m fits the 400m left: accepted
    build_scenario(**{**common, "requests_cpu": "200m"}, also=[{"name": "calico-node", "requests_cpu": "200m"}])


def test_the_misfit_counts_only_the_nodes_that_run_both() -> None:
    """Two DaemonSets on nodes apart never share one: each fits its own."""
    nodes = tuple(Node(f"{p}-{i}", taints=(Taint("pool", p),), allocatable_cpu_millis=2000)
                  for p in "ab" for i in range(2))
    a, b = ([{"key": "pool", "operator": "Equal", "value": v}] for v in "ab")
    both = [{"key": "pool", "operator": "Exists"}]
    item = {"name": "agent", "requests_cpu": "300m", "tolerations": b}
    build_scenario(node_list=nodes, node_utilization=0.8, requests_cpu="300m", tolerations=a, also=[item])
    with pytest.raises(OptionError, match=r"on 2 of 2 nodes \(e\.g\. b-0\): 300m cpu \+ fluentd-elasticsearch's 300m"):
        build_scenario(node_list=nodes, node_utilization=0.8, requests_cpu="300m", tolerations=both, also=[item])


def test_the_first_item_that_does_not_fit_beside_those_before_it_is_named() -> None:
    items = [{"name": "a", "requests_cpu": "400m"}, {"name": "b", "requests_cpu": "400m"}]
    with pytest.raises(OptionError, match=r"item 1 \(b\): requests_cpu: b's old pod does not fit on 20 of 20 nodes "
                                          r"\(e\.g\. p-00\): 400m cpu \+ fluentd-elasticsearch's 400m \+ a's 400m > "
                                          r"1,000m free"):
        build_scenario(node_list=pool(), node_utilization=0.5, requests_cpu="400m", also=items)


def test_the_studys_own_old_pod_must_fit_beside_the_other_pods() -> None:
    """node_utilization is the other pods' share: the DaemonSet's own old pod comes on top of it."""
    with pytest.raises(OptionError) as info:
        build_scenario(node_list=pool(), node_utilization=0.8, requests_cpu="500m")
    assert info.value.options == ("requests_cpu", "node_utilization")
    assert info.value.message.startswith("fluentd-elasticsearch's old pod does not fit on 20 of 20 nodes (e.g. p-00): "
                                         "500m cpu > 400m free")
    build_scenario(node_list=pool(), node_utilization=0.75, requests_cpu="500m")  # 1,500m + 500m: fits exactly


def test_an_experiment_names_the_items_line(tmp_path) -> None:
    path = write(tmp_path, """\
        name: o
        scenario:
          cluster:
            pools: [{name: p, count: 20, allocatable: {cpu: "2", memory: 8Gi}}]
            node_utilization: 0.8
          daemonset: {name: fluentd, requests_cpu: 250m}
        variants:
          - {name: alone}
          - name: with calico
            also:
              - {name: calico-node,
                 requests_cpu: 250m}
        """)
    with pytest.raises(ConfigError, match=rf"^{path}:12: variants\[1\]\.also\[0\]\.requests_cpu: calico-node's old pod "
                                          r"does not fit on 20 of 20 nodes \(e\.g\. p-00\): 250m cpu \+ fluentd's"):
        load_experiment(path)


# -- H2: an item that matches no node -----------------------------------------------------------

TAINTED = """\
    name: e
    scenario:
      cluster:
        pools: [{name: gpu, count: 20, taints: [{key: gpu, value: "true", effect: NoSchedule}]}]
      daemonset: {name: fluentd, tolerations: [{key: gpu, operator: Exists, effect: NoSchedule}]}
      also:
        - {name: calico-node%s}
    """


def test_an_item_that_matches_no_node_is_refused_as_the_studys_own_is(tmp_path) -> None:
    with pytest.raises(ConfigError) as info:
        load_experiment(write(tmp_path, TAINTED % ""))
    assert str(info.value).endswith(
        ":7: scenario.also[0]: matches no node (20 of 20 nodes: untolerated taint gpu=true:NoSchedule, e.g. gpu-00); "
        "fix its tolerations or host_network, or set its allow_no_nodes: true if that is intended"), str(info.value)


def test_an_items_own_allow_no_nodes_accepts_it(tmp_path) -> None:
    experiment = load_experiment(write(tmp_path, TAINTED % ", allow_no_nodes: true"))
    assert [w.daemonset.name for w in experiment.configurations[0].scenario.also] == ["calico-node"]
    with pytest.raises(ConfigError, match=r":7: scenario\.also\[0\]\.allow_no_nodes: "):
        load_experiment(write(tmp_path, TAINTED % ", allow_no_nodes: maybe"))


def test_nodes_that_join_are_asked_too_as_copies_of_the_nodes_there() -> None:
    """Nodes that join copy a node of the cluster (``join_template``), so whether they would run a
    DaemonSet is known at the start: on a cluster of gpu nodes, an item that does not tolerate the
    gpu taint runs on no node now or later; from an empty cluster, nodes that join (the kubelet's
    labels alone) may run it (review R4: ``add_nodes`` used to skip the check)."""
    nodes = nodes_from_pools([{"name": "gpu", "count": 2, "taints": [{"key": "gpu", "value": "true",
                                                                      "effect": "NoSchedule"}]}])
    gpu = [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}]
    for joining in ({}, {"add_nodes": "1@10"}):
        with pytest.raises(OptionError, match="item 0 .b.: matches no node"):
            build_scenario(node_list=nodes, tolerations=gpu, also=[{"name": "b"}], **joining)
    build_scenario(nodes=0, add_nodes="1@10", also=[{"name": "b"}])
    ssd = DaemonSetSpec(placement=PodPlacement(node_selector={"disktype": "ssd"}))
    with pytest.raises(OptionError, match="matches no node|no node"):
        build_scenario(daemonset_spec=ssd, nodes=10, add_nodes="5@60")
    build_scenario(daemonset_spec=ssd, nodes=10, add_nodes="5@60", allow_no_nodes=True)


# -- H7: a null name ----------------------------------------------------------------------------

def test_a_null_name_is_refused_not_taken_as_the_default(tmp_path) -> None:
    path = write(tmp_path, "name: n\nscenario:\n  cluster: {nodes: 20}\n  daemonset: {name: fluentd}\n"
                           "  also: [{name: null}]\n")
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    assert str(info.value) == f"{path}:5: scenario.also[0].name: must be a non-empty string, got null"


# -- H8: the items are a set keyed by namespace/name --------------------------------------------

def test_two_orders_of_the_same_items_are_one_scenario(tmp_path) -> None:
    a, b = {"name": "a", "max_unavailable": "20%"}, {"name": "b", "max_surge": "10%"}
    assert build_scenario(nodes=5, also=[a, b]) == build_scenario(nodes=5, also=[b, a])
    path = write(tmp_path, """\
        name: v
        scenario: {cluster: {nodes: 20}}
        variants:
          - {name: ab, also: [{name: a}, {name: b}]}
          - {name: ba, also: [{name: b}, {name: a}]}
        """)
    with pytest.raises(ConfigError, match=r":5: variants\[1\]: is the same scenario as variants\[0\]"):
        load_experiment(path)


def test_the_order_given_does_not_change_the_results() -> None:
    """Pods of several DaemonSets created at one instant queue for a scheduler of limited
    throughput in the order their controllers synced: in the order given, before (the two orders
    differed in the fourth digit). Kept in key order, the run is the same; its streams are keyed by name.
    """
    items = [{"name": "a", "max_unavailable": "20%", "image_size": "50MB"}, {"name": "b", "max_surge": "10%"},
             {"name": "c", "max_unavailable": "40%"}]
    common = dict(nodes=300, max_unavailable="50%", scheduler_throughput=20, controller="ideal")
    forward = simulate(build_scenario(**common, also=items), seed=1)
    backward = simulate(build_scenario(**common, also=items[::-1]), seed=1)
    for mine, theirs in ((forward.summary, backward.summary),
                         *((forward.others[k], backward.others.get(k, {})) for k in forward.others)):
        assert pd.Series(mine).equals(pd.Series(theirs))  # NaN equal to NaN
    assert list(forward.others) == list(backward.others) == ["a", "b", "c"]


def test_a_run_id_does_not_depend_on_the_items_order(tmp_path) -> None:
    from rollsim.sweep.experiment import configuration_key

    text = "name: v\nscenario:\n  cluster: {nodes: 20}\n  also: [%s]\n"
    one = load_experiment(write(tmp_path, text % "{name: a}, {name: b, max_surge: 1}"))
    two = load_experiment(write(tmp_path, text % "{name: b, max_surge: 1}, {name: a}"))
    assert configuration_key(one.configurations[0]) == configuration_key(two.configurations[0])


def test_an_ignored_setting_names_the_items_place_as_given(tmp_path) -> None:
    """The scenario keeps the items in key order; a warning names the item where the file has it."""
    path = write(tmp_path, """\
        name: w
        scenario:
          cluster: {nodes: 5}
          also:
            - {name: zz, node_bandwidth: 100MB/s}
            - {name: aa}
        """)
    (warning,) = load_experiment(path).warnings
    assert warning.startswith(f"{path}:5: scenario.also[0].node_bandwidth (zz): ignored")


# -- H9: the DaemonSet whose pod holds a host port is named -------------------------------------

def test_a_new_pod_kept_off_by_another_daemonsets_host_port_names_it() -> None:
    """The study's DaemonSet runs on a dedicated node (tainted: the exporter does not tolerate it)
    and on the node that joins (a copy of the plain pool's nodes, which the exporter runs on): both
    want its host port 9100 there, and the exporter's pod, scheduled faster, binds first.
    """
    nodes = nodes_from_pools([{"name": "plain", "count": 2},
                              {"name": "solo", "count": 1,
                               "taints": [{"key": "dedicated", "value": "study", "effect": "NoSchedule"}]}])
    named = NodeSelectorRequirement("kubernetes.io/hostname", "In", ("solo-0", "added-00001"))
    study = DaemonSetSpec(placement=PodPlacement(
        required_node_affinity=(NodeSelectorTerm(match_expressions=(named,)),),
        tolerations=(Toleration(key="dedicated", operator="Exists", effect="NoSchedule"),)))
    slow_to_schedule = {**FAST, "schedule": 5}
    scenario = build_scenario(daemonset_spec=study, node_list=nodes, host_ports="9100", add_nodes="1@2",
                              stall_after=300, also=[{"name": "exporter", "host_ports": "9100", **FAST}],
                              **slow_to_schedule)
    result = simulate(scenario, seed=1)
    assert result.others["exporter"]["completed"]
    assert result.summary["stop_detail"].startswith(
        "1 new pod Pending, unschedulable (NodePorts: another DaemonSet's pod (exporter) holds the host port)")
