"""Configuration labels and swept values in words (audit H9: ``also=[{'name': 'calico-node', …}]``)."""

from __future__ import annotations

import json
import re
import textwrap

import pytest
from rollsim.present.plotmath import label_of
from rollsim.sweep.experiment_file import load_experiment
from rollsim.sweep.labels import config_label, value_text
from rollsim.sweep.slo import display

ITEM = {"name": "calico-node", "max_unavailable": 3, "ready": "lognormal(median=3, p95=6)"}


def test_a_list_of_daemonsets_reads_as_its_names_and_settings() -> None:
    assert value_text([]) == "none"
    assert value_text([ITEM]) == "calico-node (maxUnavailable 3; ready lognormal(median=3, p95=6))"
    assert value_text([{"name": "a"}, {"name": "b", "max_surge": "10%"}]) == "a + b (maxSurge 10%)"
    assert value_text({"cpu": "100m"}) == "cpu 100m"
    assert value_text("10%") == "10%" and value_text(5) == "5"


def test_a_value_reads_the_same_from_the_experiment_and_from_summary_csv() -> None:
    """summary.csv holds a swept list as JSON text (keys sorted); a condition read from it and a label
    made from the experiment name the value alike, and the figures' ``label_of`` finds it in the label.
    """
    text = json.dumps([{"name": "calico-node", "max_unavailable": 3}], sort_keys=True)
    assert display(text) == display([{"name": "calico-node", "max_unavailable": 3}]) == (
        "calico-node (maxUnavailable 3)")
    label = config_label({"strategy.max_unavailable": 1, "also": [{"name": "calico-node", "max_unavailable": 3}]},
                         None)
    assert label == "maxUnavailable 1, calico-node (maxUnavailable 3) updated at the same time"
    assert label_of("also", text) in label.split(", ")
    assert display("[not json") == "[not json"


def test_grid_labels_name_other_daemonsets_in_words(tmp_path) -> None:
    path = tmp_path / "u.yaml"
    path.write_text(textwrap.dedent("""\
        name: u
        scenario: {cluster: {nodes: 5}, controller: {mode: ideal}}
        grid:
          strategy.max_unavailable: [1, 3]
          also:
            - []
            - [{name: calico-node, max_unavailable: 3}]
        replications: 1
        """))
    labels = [c.label for c in load_experiment(path).configurations]
    alone = "no other DaemonSet updated at the same time"
    calico = "calico-node (maxUnavailable 3) updated at the same time"
    assert labels == [f"maxUnavailable 1, {alone}", f"maxUnavailable 1, {calico}",
                      f"maxUnavailable 3, {alone}", f"maxUnavailable 3, {calico}"]


def test_an_also_item_reads_alike_whatever_the_order_of_its_keys() -> None:
    """A label (the file's order) and a finding's condition (summary.csv's JSON, keys sorted) spelt one
    also: item two ways; both read the keys in the settings' order now."""
    import json

    item = {"name": "b", "max_unavailable": 4, "schedule": 1, "probe_period": 0, "pull": 2}
    text = "b (maxUnavailable 4; schedule 1; pull 2; probe_period 0)"  # the Kubernetes field, as labels write it
    assert value_text([item]) == text
    assert value_text(json.dumps([item], sort_keys=True)) == text


def test_swept_settings_read_as_kubernetes_and_people_spell_them() -> None:
    """Audit 18 C2: labels and recommendations said ``max_unavailable=0, max_surge=5%, priority=2000001000``
    and ``disk_pressure_nodes=3@0`` where a manifest and a change review say ``maxUnavailable 0, maxSurge
    5%`` and ``priorityClassName: system-node-critical``; fluentd's variant names already did. The value
    as summary.csv reads it back (JSON text, floats) names alike."""
    from rollsim.sweep.labels import setting_words

    params = {"strategy.max_unavailable": 0, "strategy.max_surge": "5%", "daemonset.priority": 2000001000}
    assert config_label(params, None) == "maxUnavailable 0, maxSurge 5%, system-node-critical"
    assert setting_words("daemonset.priority", 2000000000) == "system-cluster-critical"
    assert setting_words("daemonset.priority", 1000.0) == "priority 1,000"
    assert setting_words("strategy.min_ready_seconds", 30.0) == "minReadySeconds 30"
    assert setting_words("strategy.type", "OnDelete") == "OnDelete"
    assert setting_words("deleter", "batch:50") == "batches of 50"
    assert setting_words("deleter", "batch:50:30") == "batches of 50 with a 30s pause"
    assert setting_words("cluster.disk_pressure_nodes", "3@0") == "3 nodes under disk pressure from the start"
    assert setting_words("cluster.disk_pressure_nodes", []) == setting_words("cluster.disk_pressure_nodes", "[]") \
        == "no disk pressure"
    assert setting_words("cluster.add_nodes", "100@60+120") == "100 nodes added from 1m00s to 3m00s"
    assert setting_words("cluster.not_ready_nodes", 14) == "14 nodes NotReady"
    assert setting_words("cluster.not_ready_nodes", "20@300") == "20 nodes NotReady from 5m00s"
    # N@T+D spreads the N starts over D seconds and the state lasts (audit 20: "from 5m00s to 7m00s" read
    # as an outage that ended); nodes added or removed come and go over that span
    assert setting_words("cluster.not_ready_nodes", "20@300+120") == "20 nodes going NotReady between 5m00s and 7m00s"
    assert setting_words("cluster.disk_pressure_nodes", "3@0+600") == \
        "3 nodes coming under disk pressure between the start and 10m00s"
    assert setting_words("faults.old_pods_unready", "50@120+60") == \
        "old pods losing readiness on 50 nodes between 2m00s and 3m00s"
    assert setting_words("cluster.nodes", 5000) == "5,000 nodes"
    assert setting_words("daemonset.host_ports", "[9100]") == "hostPort 9100"
    assert setting_words("cluster.node_utilization", 0.5) == "other pods requesting 50% of each node"
    assert label_of("strategy.max_surge", "10%") == "maxSurge 10%"  # the figures' legends find it in the label


def test_a_request_reads_as_the_manifest_writes_it() -> None:
    """Audit 18 C7: the setup table said "memory request (bytes) | 209,715,200" for a manifest's 200Mi."""
    from rollsim.present.render import format_setting
    from rollsim.spec.describe import DESCRIPTION_LABELS

    assert DESCRIPTION_LABELS["requests_memory_bytes"] == "memory request"
    assert DESCRIPTION_LABELS["requests_cpu_millis"] == "CPU request"
    assert format_setting("requests_memory_bytes", 200 * 2**20) == "200Mi"
    assert format_setting("requests_memory_bytes", 3 * 2**30) == "3Gi"
    assert format_setting("requests_cpu_millis", 100) == "100m"
    assert format_setting("priority", 2000001000) == "system-node-critical" and format_setting("priority", 0) == "0"
    assert format_setting("deleter", "batch:50") == "batches of 50"
    assert format_setting("node_changes", ["disk-pressure 3@0"]) == "3 nodes under disk pressure from the start"
    # a fault and a clock skew as the labels say them (the results table said crashloop:0.02 and 300:0.05)
    assert format_setting("new_pods", "crashloop:0.02") == "2% of new pods crash-looping"
    assert format_setting("new_pods", "crashloop") == "new pods crash-looping"
    assert format_setting("new_pods", "healthy") == "healthy new pods"
    assert format_setting("clock_skew", "300:0.05") == "5% of kubelet clocks 5m ahead"
    assert format_setting("clock_skew", 0) == format_setting("clock_skew", "0") == "no clock skew"


def test_a_wrapped_label_keeps_a_setting_with_its_value() -> None:
    """``maxUnavailable 1`` is two words now (it was ``max_unavailable=1``): a tick label wrapped at 40
    characters read "stragglers 2% at +300 s, maxUnavailable" over a lone "1"."""
    from rollsim.present.plotaxes import wrap

    assert wrap("stragglers 2% at +300 s, maxUnavailable 1", 40) == "stragglers 2% at +300 s,\nmaxUnavailable 1"
    assert wrap("maxSurge 5%, system-node-critical, 3 nodes under disk pressure from the start", 40).splitlines()[1] \
        .startswith("3 nodes")
    for text in ("maxUnavailable 5% (lowest 952 < SLO floor 953)", "kube-system/ds-1 did not complete in 2 of 3 runs"):
        lines = wrap(text, 30).splitlines()  # a run of numbers is still wrapped, and no line is a lone number
        assert len(lines) == 2 and all(len(line) <= 30 and not line.isdigit() for line in lines)


def test_conditions_without_a_kubernetes_spelling_read_in_words() -> None:
    """Audit (what a reader sees) 1: bad-image's heading said "With new_pods=crashloop:0.02" beside its
    variant "2% of pods bad", clock-skew's findings "clock_skew=300:0.05 against clock_skew=0", surge-fit's
    labels "maxSurge 10%, node_utilization=0.5": the experiment's key=value, which a change review has to
    decode. Each now reads as the variant labels do, and the value as summary.csv holds it reads alike."""
    from rollsim.sweep.labels import setting_words

    assert setting_words("faults.new_pods", "crashloop:0.02") == "2% of new pods crash-looping"
    assert setting_words("faults.new_pods", "crashloop") == "new pods crash-looping"
    assert setting_words("faults.new_pods", "never-ready:0.5") == "50% of new pods never Ready"
    assert setting_words("faults.new_pods", None) == setting_words("faults.new_pods", "healthy") == "healthy new pods"
    assert setting_words("cluster.clock_skew", "300:0.05") == "5% of kubelet clocks 5m ahead"
    assert setting_words("cluster.clock_skew", "3600:0.05") == "5% of kubelet clocks 1h ahead"
    assert setting_words("cluster.clock_skew", -30) == "kubelet clocks 30s behind"
    assert setting_words("cluster.clock_skew", 0) == setting_words("cluster.clock_skew", 0.0) == "no clock skew"
    assert setting_words("cluster.node_utilization", "0.75") == "other pods requesting 75% of each node"
    assert setting_words("cluster.node_utilization", 0.07) == "other pods requesting 7% of each node"
    assert setting_words("faults.rollback_after", 300.0) == "rolled back 5m after the stall"
    assert setting_words("timings.probe_period", 10) == "readiness probe period 10s"
    assert setting_words("daemonset.host_network", "True") == "hostNetwork: yes"
    assert setting_words("controller.mode", "ideal") == "ideal controller"
    assert setting_words("cluster.nodes_file", "nodes.json") == "nodes file nodes.json"



@pytest.mark.parametrize(("key", "value", "words"), [
    ("cluster.serialize_image_pulls", False, "image pulls side by side"),
    ("cluster.serialize_image_pulls", "True", "one image pull at a time"),
    ("cluster.serialize_image_pulls", None, "serializeImagePulls as the kubelet defaults it"),
    ("cluster.max_parallel_image_pulls", 3, "at most 3 image pulls at once"),
    ("cluster.max_parallel_image_pulls", 1, "at most 1 image pull at once"),
    # audit 22: an unset setting, the registry's choice, a fraction of a second, thousands
    ("cluster.max_parallel_image_pulls", None, "no maxParallelImagePulls"),
    ("cluster.max_parallel_image_pulls", 1000000, "at most 1,000,000 image pulls at once"),
    ("registry.over_limit", "reject", "registry refusing requests over its limit (429)"),
    ("controller.node_monitor_grace_period", 10.5, "node monitor grace period 10.5s"),
    ("controller.node_monitor_grace_period", 60, "node monitor grace period 1m"),
    ("image.node_bandwidth", None, "node bandwidth unlimited"),
    ("cluster.disk_pressure_for", None, "disk pressure lasts the rest of the run"),
])
def test_the_kubelets_pulls_and_unset_settings_read_in_words(key, value, words) -> None:
    from rollsim.sweep.labels import setting_words

    assert setting_words(key, value) == words

def test_no_setting_reads_as_key_equals_value() -> None:
    """Every setting an experiment may sweep, at a value of its kind, is said without the experiment's
    ``key=value`` (a distribution keeps its own notation's parameters: ``lognormal(median=2, p95=5)``)."""
    from rollsim.io.fileoptions import FILE_OPTIONS
    from rollsim.spec import kinds
    from rollsim.spec.settings import SETTINGS
    from rollsim.sweep.labels import setting_words

    samples = [(kinds.DISTRIBUTION, "lognormal(median=2, p95=5)"), (kinds.BOOLEAN, True), (kinds.FRACTION, 0.5)]
    for s in SETTINGS:
        for value in (next((v for kind, v in samples if kind is s.kind), 3), None):
            words = setting_words(s.key, value)
            plain = re.sub(r"[a-z]+\([^)]*\)", "", words)  # a distribution: its own notation
            assert "=" not in plain and ("." not in s.key or s.key not in words), (s.key, words)
            assert "_" not in words or "_" in str(value), (s.key, words)  # no snake_case name
            assert ", " not in plain, (s.key, words)  # a label's parts are split on ", "
    for key in FILE_OPTIONS.values():
        assert "=" not in setting_words(key, "x.yaml")
