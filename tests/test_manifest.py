"""Reading DaemonSet manifests: what kubectl takes, the API defaults, and one-line errors."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rollsim.io.manifest import LoadedDaemonSet, ManifestError, load_daemonset
from rollsim.io.yamldoc import ConfigError
from rollsim.spec.node import (
    NodeSelectorRequirement,
    NodeSelectorTerm,
    PodPlacement,
    Toleration,
)
from rollsim.spec.scenario import DaemonSetSpec, ReadinessProbe, UpdateStrategy
from rollsim.spec.volumes import HostPath, parse_host_path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "manifests"
SHIPPED = ROOT / "experiments" / "manifests" / "fluentd-elasticsearch.yaml"

BASE = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels:
      app: agent
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 1
  template:
    metadata:
      labels:
        app: agent
    spec:
      containers:
      - name: agent
        image: example.com/agent:1.0
"""


def write(tmp_path: Path, text: str, name: str = "ds.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def edit(*changes: tuple[str, str]) -> str:
    """BASE with each (old, new) replaced once; ``old`` must be there."""
    text = BASE
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def marked_line(text: str) -> int:
    """The 1-based line carrying the ``# <-`` marker."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if "# <-" in line)


def test_the_shipped_manifest_reads_as_the_docs_example() -> None:
    loaded = load_daemonset(SHIPPED)
    assert isinstance(loaded, LoadedDaemonSet)
    tolerations = tuple(Toleration(key, "Exists", effect="NoSchedule") for key in
                        ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master"))
    assert loaded.spec == DaemonSetSpec(
        name="fluentd-elasticsearch", namespace="kube-system", strategy=UpdateStrategy("RollingUpdate", 1, 0),
        min_ready_seconds=0.0, termination_grace_period_seconds=30.0, placement=PodPlacement(tolerations=tolerations),
        readiness_probe=ReadinessProbe(5.0, 10.0, 1, 3), labels=(("k8s-app", "fluentd-logging"),),
        requests_cpu_millis=100, requests_memory_bytes=200 * 2**20, host_ports=(),
        host_paths=(HostPath("/var/log"), HostPath("/var/lib/docker/containers", read_only=True)),
    )
    assert loaded.warnings == () and loaded.has_readiness_probe
    assert loaded.labels == {"k8s-app": "fluentd-logging"}
    assert loaded.source == str(SHIPPED)


def test_kubectl_get_output_with_status_and_managed_fields() -> None:
    loaded = load_daemonset(DATA / "kubectl-get.yaml", strict=True)
    spec = loaded.spec
    assert (spec.name, spec.namespace) == ("node-exporter", "monitoring")
    assert spec.strategy == UpdateStrategy("RollingUpdate", "10%", 0)
    assert spec.min_ready_seconds == 10.0 and spec.termination_grace_period_seconds == 15.0
    assert spec.readiness_probe == ReadinessProbe(0.0, 5.0, 2, 3)
    assert spec.placement.host_network and spec.placement.node_selector == {"kubernetes.io/os": "linux"}
    assert spec.placement.tolerations == (Toleration("", "Exists"),)
    # requests cpu 102m; memory only has a limit, which the API server copies into requests
    assert (spec.requests_cpu_millis, spec.requests_memory_bytes) == (102, 180 * 2**20)
    assert spec.host_ports == (9100,)
    assert loaded.warnings == ()


def test_a_list_picks_by_name_and_lists_the_names_otherwise() -> None:
    loaded = load_daemonset(DATA / "list.yaml", name="csi-node")
    spec = loaded.spec
    assert spec.strategy.type == "OnDelete" and spec.min_ready_seconds == 5.0
    assert spec.placement.node_selector == {"storage": "ssd"}
    assert spec.placement.required_node_affinity == (
        NodeSelectorTerm(match_expressions=(
            NodeSelectorRequirement("node.kubernetes.io/instance-type", "NotIn", ("t3.micro",)),)),
        NodeSelectorTerm(match_fields=(NodeSelectorRequirement("metadata.name", "In", ("node-7",)),)),
    )
    assert (spec.requests_cpu_millis, spec.requests_memory_bytes) == (520, 2**30 + 64 * 2**20)
    assert not loaded.has_readiness_probe and spec.readiness_probe.period_seconds == 0
    proxy = load_daemonset(DATA / "list.yaml", name="kube-proxy").spec
    assert proxy.strategy == UpdateStrategy("RollingUpdate", 0, "25%")
    with pytest.raises(ManifestError) as info:
        load_daemonset(DATA / "list.yaml")
    assert ("2 DaemonSets in this file (kube-system/kube-proxy, kube-system/csi-node); choose one by name "
            "(--daemonset NAME") in str(info.value)


@pytest.mark.parametrize(("weight", "ok"), [(500, False), (0, False), (1, True), (100, True)])
def test_a_preferred_node_affinitys_weight_is_checked(tmp_path: Path, weight: int, ok: bool) -> None:
    """Audit 34: ``validatePreferredSchedulingTerms`` refuses a weight outside 1-100; it was accepted."""
    term = f"[{{weight: {weight}, preference: {{}}}}]"
    path = write(tmp_path, edit(("    spec:\n      containers:", "    spec:\n      affinity: {nodeAffinity: "
                                 f"{{preferredDuringSchedulingIgnoredDuringExecution: {term}}}}}\n      containers:")))
    if ok:
        assert load_daemonset(path).spec.name == "agent"
        return
    with pytest.raises(ManifestError, match=r"preferredDuringSchedulingIgnoredDuringExecution\[0\]\.weight: must be "
                                            rf"in the range 1-100, got the number {weight}"):
        load_daemonset(path)


def test_one_daemonset_defined_twice_is_named_not_a_choice(tmp_path: Path) -> None:
    """Audit 34: two objects of one key asked for --daemonset NAMESPACE/NAME, which cannot tell them apart."""
    one = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: ds}\nspec:\n  selector: {matchLabels: {app: x}}\n" \
          "  template: {metadata: {labels: {app: x}}, spec: {containers: [{name: c, image: i}]}}\n"
    path = tmp_path / "twice.yaml"
    path.write_text(one + "---\n" + one, encoding="utf-8")
    for name in (None, "ds", "default/ds"):
        with pytest.raises(ManifestError) as info:
            load_daemonset(path, name=name)
        assert str(info.value) == f"{path}:8: default/ds is defined twice in this file (also at line 1): keep one"


def test_a_typed_daemonset_list_needs_no_kind_on_its_items(tmp_path: Path) -> None:
    item = yaml.safe_load(BASE)
    del item["kind"], item["apiVersion"]
    path = write(tmp_path, json.dumps({"apiVersion": "apps/v1", "kind": "DaemonSetList", "items": [item]}), "l.json")
    assert load_daemonset(path).spec.name == "agent"


def test_multi_document_files_pick_a_daemonset_by_name() -> None:
    npd = load_daemonset(DATA / "multi.yaml", name="node-problem-detector").spec
    # two probes: each timing is the maximum over them (the pod is Ready when its last container is)
    assert npd.readiness_probe == ReadinessProbe(15.0, 20.0, 1, 6)
    assert (npd.requests_cpu_millis, npd.requests_memory_bytes) == (10, 80 * 2**20)
    fluent_bit = load_daemonset(DATA / "multi.yaml", name="fluent-bit").spec
    assert fluent_bit.readiness_probe == ReadinessProbe(0.0, 10.0, 1, 3)  # API defaults
    assert fluent_bit.namespace == "logging" and fluent_bit.host_ports == ()


@pytest.mark.parametrize(("name", "words", "line"), [
    (None, "2 DaemonSets in this file (logging/fluent-bit, kube-system/node-problem-detector); choose one by name "
           "(--daemonset NAME, or daemonset.name in an experiment; an experiment's also: items update others beside "
           "it)", 37),
    ("fluentd", "no DaemonSet named 'fluentd' in this file; it has: logging/fluent-bit, "
                "kube-system/node-problem-detector", 13),
])
def test_multi_document_errors_list_the_names(name: str | None, words: str, line: int) -> None:
    with pytest.raises(ManifestError) as info:
        load_daemonset(DATA / "multi.yaml", name=name)
    assert str(info.value) == f"{DATA / 'multi.yaml'}:{line}: {words}"


DUPNAME = DATA / "dupname.yaml"  # kubectl get ds -A -o yaml: fluent-bit in logging and in logging-canary


@pytest.mark.parametrize(("name", "namespace", "key"), [
    ("logging/fluent-bit", None, "logging/fluent-bit"),
    ("logging-canary/fluent-bit", None, "logging-canary/fluent-bit"),
    ("fluent-bit", "logging-canary", "logging-canary/fluent-bit"),  # kubectl's -n with the name
    (None, "logging", "logging/fluent-bit"),  # -n alone: the one DaemonSet in that namespace
    ("logging-canary/fluent-bit", "logging-canary", "logging-canary/fluent-bit"),
])
def test_one_name_in_two_namespaces_is_picked_by_namespace_and_name(name, namespace, key) -> None:
    loaded = load_daemonset(DUPNAME, name=name, namespace=namespace)
    assert loaded.spec.key == key and loaded.namespace_from == "metadata.namespace"
    # the canary is the one that surges: the namespace picked the object, not only its label
    assert loaded.spec.strategy.max_surge == (1 if key.startswith("logging-canary/") else 0)


@pytest.mark.parametrize(("name", "namespace", "line", "words"), [
    (None, None, 62, "2 DaemonSets in this file (logging/fluent-bit, logging-canary/fluent-bit); choose one with "
                     "--daemonset NAMESPACE/NAME, or -n NAMESPACE --daemonset NAME (in an experiment: "
                     "daemonset.name and daemonset.namespace)"),
    ("fluent-bit", None, 62, "2 DaemonSets in this file (logging/fluent-bit, logging-canary/fluent-bit); choose one "
                             "with --daemonset NAMESPACE/NAME, or -n NAMESPACE --daemonset NAME"),
    ("other/fluent-bit", None, 6, "no DaemonSet named 'fluent-bit' in namespace 'other' in this file; it has: "
                                  "logging/fluent-bit, logging-canary/fluent-bit"),
    ("fluent-bit", "other", 6, "no DaemonSet named 'fluent-bit' in namespace 'other' in this file; it has: "
                               "logging/fluent-bit, logging-canary/fluent-bit"),
    ("fluentd", None, 6, "no DaemonSet named 'fluentd' in this file; it has: logging/fluent-bit, "
                         "logging-canary/fluent-bit"),
    # the name says one namespace and -n another: kubectl's refusal, at the object's namespace
    ("logging/fluent-bit", "logging-canary", 10, "metadata.namespace: the namespace from the provided object "
                                                 "'logging' does not match the namespace 'logging-canary' "
                                                 "(-n/--namespace); you must pass --namespace=logging (or no -n) to "
                                                 "use it, as kubectl apply does"),
])
def test_one_name_in_two_namespaces_errors_say_what_picks_one(name, namespace, line, words) -> None:
    with pytest.raises(ManifestError) as info:
        load_daemonset(DUPNAME, name=name, namespace=namespace)
    assert str(info.value).startswith(f"{DUPNAME}:{line}: {words}")
    assert "\n" not in str(info.value)


def test_a_manifest_without_a_namespace_takes_the_one_n_gives(tmp_path: Path) -> None:
    """``kubectl apply -n NS -f``: a manifest without metadata.namespace (helm template's) is put in NS;
    without -n it is in ``default``, and says that it was not the manifest's.
    """
    path = write(tmp_path, BASE)
    given = load_daemonset(path, namespace="logging")
    assert given.spec.namespace == "logging" and given.namespace_from == "-n/--namespace"
    defaulted = load_daemonset(path)
    assert defaulted.spec.namespace == "default" and defaulted.namespace_from == "default"
    # both forms of a manifest with pod-level resources are in it
    pod_level = BASE.replace("    spec:\n      containers:", "    spec:\n      resources:\n        requests:\n"
                             "          cpu: 100m\n      containers:")
    older = load_daemonset(write(tmp_path, pod_level, "p.yaml"), namespace="logging").for_version("1.33")
    assert older.spec.namespace == "logging"


def test_a_manifest_in_another_namespace_than_n_is_refused_as_kubectl_refuses_it() -> None:
    with pytest.raises(ManifestError) as info:
        load_daemonset(SHIPPED, namespace="logging")
    assert str(info.value) == (f"{SHIPPED}:10: metadata.namespace: the namespace from the provided object "
                               "'kube-system' does not match the namespace 'logging' (-n/--namespace); you must pass "
                               "--namespace=kube-system (or no -n) to use it, as kubectl apply does")
    loaded = load_daemonset(SHIPPED, namespace="kube-system")  # the same namespace is no conflict
    assert loaded.spec.namespace == "kube-system" and loaded.namespace_from == "metadata.namespace"


def test_json_as_kubectl_get_prints_it_even_indented_with_tabs() -> None:
    spec = load_daemonset(DATA / "daemonset.json", strict=True).spec
    assert spec.name == "cilium" and spec.strategy == UpdateStrategy("RollingUpdate", 2, 0)
    assert spec.termination_grace_period_seconds == 1.0
    assert spec.host_ports == (9962,)  # hostNetwork: hostPort defaults to containerPort
    assert spec.readiness_probe == ReadinessProbe(0.0, 30.0, 1, 3)


def test_api_defaults(tmp_path: Path) -> None:
    text = BASE.replace("  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxUnavailable: 1\n", "")
    text += "        readinessProbe:\n          tcpSocket: {port: 80}\n          periodSeconds: 0\n"
    loaded = load_daemonset(write(tmp_path, text))
    spec = loaded.spec
    assert spec.namespace == "default"
    assert spec.strategy == UpdateStrategy("RollingUpdate", 1, 0)
    assert spec.min_ready_seconds == 0.0 and spec.termination_grace_period_seconds == 30.0
    assert spec.readiness_probe == ReadinessProbe(0.0, 10.0, 1, 3)  # 0 is defaulted like unset
    assert (spec.requests_cpu_millis, spec.requests_memory_bytes, spec.host_ports) == (0, 0, ())
    assert spec.labels == () and loaded.labels == {}


HOST_PATHS = BASE + """\
        volumeMounts:
        - {name: logs, mountPath: /var/log}
        - {name: containers, mountPath: /var/lib/docker/containers, readOnly: true}
        - {name: state, mountPath: /state, readOnly: true}
      initContainers:
      - name: setup
        image: example.com/setup:1.0
        volumeMounts:
        - {name: state, mountPath: /state}
      volumes:
      - {name: logs, hostPath: {path: /var/log}}
      - {name: containers, hostPath: {path: /var/lib/docker/containers, type: Directory}}
      - {name: state, hostPath: {path: /var/lib/agent}}
      - {name: unused, hostPath: {path: /srv}}
      - {name: scratch, emptyDir: {}}
"""


def test_host_path_volumes_are_read_with_how_they_are_mounted(tmp_path: Path) -> None:
    """Audit 18 B5: the pod template's hostPath volumes, the host files an old and a surge pod on one
    node share: each mounted one, read-only only where every mount of it (init containers too) is;
    one no container mounts, or one without a path, names no host file the pods share."""
    spec = load_daemonset(write(tmp_path, HOST_PATHS)).spec
    assert spec.host_paths == (HostPath("/var/log"), HostPath("/var/lib/docker/containers", read_only=True),
                               HostPath("/var/lib/agent"))
    assert [str(h) for h in spec.host_paths] == ["/var/log (read-write)", "/var/lib/docker/containers (read-only)",
                                                 "/var/lib/agent (read-write)"]
    assert [parse_host_path(str(h)) for h in spec.host_paths] == list(spec.host_paths)
    assert load_daemonset(write(tmp_path, BASE)).spec.host_paths == ()
    no_path = load_daemonset(write(tmp_path, HOST_PATHS.replace("hostPath: {path: /var/log}", "hostPath: {}")))
    assert [h.path for h in no_path.spec.host_paths] == ["/var/lib/docker/containers", "/var/lib/agent"]


@pytest.mark.parametrize(("rolling", "expected"), [
    ("maxUnavailable: 10%", ("10%", 0)),
    ("maxUnavailable: 100%", ("100%", 0)),
    ("maxUnavailable: 0\n      maxSurge: 25%", (0, "25%")),
    ("maxUnavailable: 0%\n      maxSurge: 1", ("0%", 1)),
    ("maxUnavailable: 3", (3, 0)),
    ("maxUnavailable: 2.0", (2, 0)),
    ("maxUnavailable: 1e0", (1, 0)),  # a float to go-yaml (yamlStyleFloat), as 1.0; a string to YAML 1.1
    ("maxUnavailable: +.2e1", (2, 0)),
    ("maxUnavailable: null", (1, 0)),
    ("maxSurge: 0", (1, 0)),
])
def test_int_or_percent_values(tmp_path: Path, rolling: str, expected: tuple[object, object]) -> None:
    spec = load_daemonset(write(tmp_path, edit(("maxUnavailable: 1", rolling)))).spec
    assert (spec.strategy.max_unavailable, spec.strategy.max_surge) == expected


@pytest.mark.parametrize(("value", "hint"), [('"3"', True), ('" 3"', True), ('"\u0663"', False), ('"\u00b2"', False)])
def test_a_quoted_count_is_told_to_lose_its_quotes_only_if_it_is_ascii_digits(tmp_path: Path, value: str,
                                                                              hint: bool) -> None:
    """Unquoted, "٣" is still a string to YAML and the API server: no hint would help it."""
    with pytest.raises(ManifestError) as info:
        load_daemonset(write(tmp_path, edit(("maxUnavailable: 1", f"maxUnavailable: {value}"))))
    assert ("without quotes" in str(info.value)) is hint


def test_on_delete_ignores_rolling_update_values_the_api_does_not_check(tmp_path: Path) -> None:
    kept = edit(("type: RollingUpdate", "type: OnDelete"), ("maxUnavailable: 1", "maxUnavailable: 20%"))
    assert load_daemonset(write(tmp_path, kept)).spec.strategy == UpdateStrategy("OnDelete", "20%", 0)
    invalid = edit(("type: RollingUpdate", "type: OnDelete"), ("maxUnavailable: 1", "maxUnavailable: lots"))
    assert load_daemonset(write(tmp_path, invalid)).spec.strategy == UpdateStrategy("OnDelete")


ROLLING = "      maxUnavailable: 1\n"
CONTAINER = "      - name: agent\n        image: example.com/agent:1.0\n"
POD_SPEC = "    spec:\n      containers:\n"
_AFFINITY = ("spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
             ".nodeSelectorTerms[0]")


def _affinity(kind: str, requirement: str) -> str:
    """A pod spec whose one node selector term has ``requirement`` (a flow mapping), marked, under ``kind``."""
    return ("    spec:\n      affinity:\n        nodeAffinity:\n"
            "          requiredDuringSchedulingIgnoredDuringExecution:\n"
            f"            nodeSelectorTerms:\n            - {kind}:\n              - {requirement}  # <-\n"
            "      containers:\n")


CASES = [
    # ValidateRollingUpdateDaemonSet
    ("both-zero", [(ROLLING, "      maxUnavailable: 0  # <-\n      maxSurge: 0\n")],
     "spec.updateStrategy.rollingUpdate.maxUnavailable", "cannot be 0 when maxSurge is 0"),
    ("both-zero-percent", [(ROLLING, "      maxUnavailable: 0%  # <-\n      maxSurge: 0%\n")],
     "spec.updateStrategy.rollingUpdate.maxUnavailable", "cannot be 0 when maxSurge is 0"),
    ("both-non-zero", [(ROLLING, "      maxUnavailable: 1\n      maxSurge: 10%  # <-\n")],
     "spec.updateStrategy.rollingUpdate.maxSurge", "may not be set when maxUnavailable is non-zero"),
    ("over-100", [(ROLLING, "      maxUnavailable: 150%  # <-\n")],
     "spec.updateStrategy.rollingUpdate.maxUnavailable", "must not be greater than 100%"),
    ("surge-over-100", [(ROLLING, "      maxUnavailable: 0\n      maxSurge: 101%  # <-\n")],
     "spec.updateStrategy.rollingUpdate.maxSurge", "must not be greater than 100%"),
    ("negative", [(ROLLING, "      maxUnavailable: -1  # <-\n")],
     "spec.updateStrategy.rollingUpdate.maxUnavailable", "must be greater than or equal to 0"),
    ("string-count", [(ROLLING, '      maxUnavailable: "3"  # <-\n')],
     "spec.updateStrategy.rollingUpdate.maxUnavailable",
     "a valid percent string must be a numeric string followed by an ending '%'"),
    ("not-a-percent", [(ROLLING, "      maxUnavailable: ten%  # <-\n")],
     "spec.updateStrategy.rollingUpdate.maxUnavailable",
     "a valid percent string must be a numeric string followed by an ending '%'"),
    ("boolean", [(ROLLING, "      maxUnavailable: 0\n      maxSurge: true  # <-\n")],
     "spec.updateStrategy.rollingUpdate.maxSurge", "must be an integer or a percent string"),
    ("fraction", [(ROLLING, "      maxUnavailable: 1.5  # <-\n")],
     "spec.updateStrategy.rollingUpdate.maxUnavailable", "must be an integer or a percent string"),
    # an IntOrString's integer and spec.minReadySeconds are int32s: the API server's decoder refuses more
    ("int32-count", [(ROLLING, "      maxUnavailable: 2147483648  # <-\n")],
     "spec.updateStrategy.rollingUpdate.maxUnavailable", "is out of range for an int32, got 2147483648"),
    ("int32-min-ready", [("spec:\n  selector:", "spec:\n  minReadySeconds: 1099511627776  # <-\n  selector:")],
     "spec.minReadySeconds", "is out of range for an int32, got 1099511627776"),
    ("strategy-type", [("    type: RollingUpdate\n", "    type: Rolling  # <-\n")],
     "spec.updateStrategy.type", "must be RollingUpdate or OnDelete, got 'Rolling'"),
    # ValidateDaemonSetSpec
    ("min-ready", [("spec:\n  selector:", "spec:\n  minReadySeconds: -5  # <-\n  selector:")],
     "spec.minReadySeconds", "must be greater than or equal to 0"),
    ("history", [("spec:\n  selector:", "spec:\n  revisionHistoryLimit: -1  # <-\n  selector:")],
     "spec.revisionHistoryLimit", "must be greater than or equal to 0"),
    ("restart-policy", [(POD_SPEC, "    spec:\n      restartPolicy: OnFailure  # <-\n      containers:\n")],
     "spec.template.spec.restartPolicy", "must be Always in a DaemonSet, got 'OnFailure'"),
    ("active-deadline", [(POD_SPEC, "    spec:\n      activeDeadlineSeconds: 60  # <-\n      containers:\n")],
     "spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds is not supported in a DaemonSet"),
    ("no-selector", [("spec:\n  selector:\n    matchLabels:\n      app: agent\n", "spec:  # <-\n")],
     "spec.selector", "required: apps/v1 has no default selector"),
    ("empty-selector", [("  selector:\n    matchLabels:\n      app: agent\n", "  selector: {}  # <-\n")],
     "spec.selector", "empty selector is invalid for daemonset"),
    ("selector-operator", [("    matchLabels:\n      app: agent\n",
                            "    matchExpressions:\n    - key: app\n      operator: Equals  # <-\n")],
     "spec.selector.matchExpressions[0].operator", "must be one of In, NotIn, Exists, DoesNotExist"),
    ("selector-values", [("    matchLabels:\n      app: agent\n",
                          "    matchExpressions:\n    - key: app  # <-\n      operator: In\n")],
     "spec.selector.matchExpressions[0].values", "must be specified when `operator` is 'In' or 'NotIn'"),
    ("no-template", [("  template:\n    metadata:\n      labels:\n        app: agent\n" + POD_SPEC + CONTAINER, ""),
                     ("spec:\n", "spec:  # <-\n")],
     "spec.template", "required: a DaemonSet needs a pod template"),
    ("labels-mismatch", [("      labels:\n        app: agent\n", "      labels:  # <-\n        app: other\n")],
     "spec.template.metadata.labels", "selector does not match template labels: matchLabels needs app=agent"),
    ("expressions-mismatch", [("    matchLabels:\n      app: agent\n",
                               "    matchExpressions:\n    - {key: app, operator: NotIn, values: [agent]}\n"),
                              ("      labels:\n        app: agent\n", "      labels:  # <-\n        app: agent\n")],
     "spec.template.metadata.labels", "selector does not match template labels: matchExpressions needs app NotIn"),
    ("null-container", [(CONTAINER, "      - null  # <-\n")],
     "spec.template.spec.containers[0].name", "required: every container needs a name"),
    ("empty-containers", [("      containers:\n" + CONTAINER, "      containers: []  # <-\n")],
     "spec.template.spec.containers", "at least one container"),
    ("no-image", [("        image: example.com/agent:1.0\n", ""), ("      - name: agent", "      - name: agent  # <-")],
     "spec.template.spec.containers[0].image", "required: every container needs an image"),
    ("duplicate-container", [(CONTAINER, CONTAINER + "      - name: agent  # <-\n        image: x\n")],
     "spec.template.spec.containers[1].name", "duplicate container name 'agent'"),
    ("grace", [(POD_SPEC, "    spec:\n      terminationGracePeriodSeconds: -1  # <-\n      containers:\n")],
     "spec.template.spec.terminationGracePeriodSeconds", "must be greater than or equal to 0"),
    # kind, apiVersion, metadata
    ("kind", [("kind: DaemonSet", "kind: Deployment  # <-")], "kind", "must be DaemonSet, got 'Deployment'"),
    ("extensions", [("apiVersion: apps/v1", "apiVersion: extensions/v1beta1  # <-")], "apiVersion",
     "must be apps/v1, got 'extensions/v1beta1': DaemonSets in extensions/v1beta1 and apps/v1beta2 are gone"),
    ("apps-v1beta2", [("apiVersion: apps/v1", "apiVersion: apps/v1beta2  # <-")], "apiVersion",
     "removed in Kubernetes 1.16"),
    ("no-api-version", [("apiVersion: apps/v1\nkind: DaemonSet", "kind: DaemonSet  # <-")], "apiVersion",
     "required: set apiVersion: apps/v1"),
    ("no-name", [("  name: agent\n", "  labels: {}\n"), ("metadata:", "metadata:  # <-")], "metadata.name",
     "required: a DaemonSet needs a name"),
    ("bad-name", [("  name: agent", "  name: Agent_1  # <-")], "metadata.name", "a lowercase RFC 1123 subdomain"),
    # field types, as the API server's decoder checks them
    ("label-number", [("  name: agent\n", "  name: agent\n  labels:\n    version: 2  # <-\n")],
     "metadata.labels[version]", "must be a string, got the number 2 (quote it in YAML)"),
    ("image-mapping", [("        image: example.com/agent:1.0", "        image: {name: agent}  # <-")],
     "spec.template.spec.containers[0].image", "must be a string, got a mapping"),
    ("min-ready-string", [("spec:\n  selector:", "spec:\n  minReadySeconds: '10'  # <-\n  selector:")],
     "spec.minReadySeconds", "must be an integer, got the string '10'"),
    ("containers-mapping", [("      containers:\n" + CONTAINER, "      containers: {name: agent}  # <-\n")],
     "spec.template.spec.containers", "must be a list, got a mapping"),
    ("host-network-string", [(POD_SPEC, "    spec:\n      hostNetwork: 'yes'  # <-\n      containers:\n")],
     "spec.template.spec.hostNetwork", "must be true or false, got the string 'yes'"),
    # the pod template's placement and containers
    ("toleration-seconds", [(POD_SPEC, ("    spec:\n      tolerations:\n      - key: a\n        operator: Exists\n"
                                       "        effect: NoSchedule  # <-\n        tolerationSeconds: 30\n"
                                       "      containers:\n"))],
     "spec.template.spec.tolerations[0].effect", "must be 'NoExecute' when `tolerationSeconds` is set"),
    ("toleration-empty-key", [(POD_SPEC, ("    spec:\n      tolerations:\n      - operator: Equal  # <-\n"
                                         "      containers:\n"))],
     "spec.template.spec.tolerations[0].operator", "must be Exists when `key` is empty"),
    ("toleration-operator", [(POD_SPEC, ("    spec:\n      tolerations:\n      - key: a\n"
                                        "        operator: Exist  # <-\n      containers:\n"))],
     "spec.template.spec.tolerations[0].operator", "must be Equal or Exists, got 'Exist'"),
    # ValidateTolerations checks a non-empty key with ValidateLabelName (audit 8 item 11)
    ("toleration-key", [(POD_SPEC, ("    spec:\n      tolerations:\n      - key: '150%'  # <-\n"
                                   "        operator: Exists\n      containers:\n"))],
     "spec.template.spec.tolerations[0].key", "invalid label key '150%': name part must consist of"),
    ("toleration-key-prefix", [(POD_SPEC, ("    spec:\n      tolerations:\n      - key: Example.com/t  # <-\n"
                                          "        operator: Exists\n      containers:\n"))],
     "spec.template.spec.tolerations[0].key", "invalid label key 'Example.com/t': prefix part must be"),
    ("no-terms", [(POD_SPEC, ("    spec:\n      affinity:\n        nodeAffinity:\n"
                             "          requiredDuringSchedulingIgnoredDuringExecution:\n"
                             "            nodeSelectorTerms: []  # <-\n      containers:\n"))],
     "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
     "must have at least one node selector term"),
    ("gt-not-integer", [(POD_SPEC, ("    spec:\n      affinity:\n        nodeAffinity:\n"
                                   "          requiredDuringSchedulingIgnoredDuringExecution:\n"
                                   "            nodeSelectorTerms:\n            - matchExpressions:\n"
                                   "              - {key: cores, operator: Gt, values: [many]}  # <-\n"
                                   "      containers:\n"))],
     ("spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
     ".nodeSelectorTerms[0].matchExpressions[0]"), "operator Gt needs exactly one integer value"),
    # label syntax (ValidateLabels, ValidateNodeSelectorRequirement): unchecked, a bad NotIn value matched every node
    ("notin-bad-value", [(POD_SPEC, ("    spec:\n      affinity:\n        nodeAffinity:\n"
                                    "          requiredDuringSchedulingIgnoredDuringExecution:\n"
                                    "            nodeSelectorTerms:\n            - matchExpressions:\n"
                                    "              - {key: z, operator: NotIn, values: [ok, 'bad value!']}  # <-\n"
                                    "      containers:\n"))],
     ("spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
     ".nodeSelectorTerms[0].matchExpressions[0].values[1]"), "invalid label value 'bad value!': a valid label must"),
    ("expression-bad-key", [(POD_SPEC, ("    spec:\n      affinity:\n        nodeAffinity:\n"
                                       "          requiredDuringSchedulingIgnoredDuringExecution:\n"
                                       "            nodeSelectorTerms:\n            - matchExpressions:\n"
                                       "              - {key: Example.com/zone, operator: Exists}  # <-\n"
                                       "      containers:\n"))],
     ("spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
     ".nodeSelectorTerms[0].matchExpressions[0].key"), "prefix part must be a lowercase RFC 1123 subdomain"),
    # ValidateNodeSelectorRequirement's operator rules, before the requirement is built (was: its tuple's repr)
    ("expression-exists-values", [(POD_SPEC, _affinity("matchExpressions", "{key: z, operator: Exists, values: [a]}"))],
     _AFFINITY + ".matchExpressions[0].values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
    ("expression-gt-two-values", [(POD_SPEC, _affinity("matchExpressions", "{key: z, operator: Gt, values: [a, b]}"))],
     _AFFINITY + ".matchExpressions[0].values", "must be specified single value when `operator` is 'Lt' or 'Gt'"),
    ("expression-in-no-values", [(POD_SPEC, _affinity("matchExpressions", "{key: z, operator: In}"))],
     _AFFINITY + ".matchExpressions[0].values", "must be specified when `operator` is 'In' or 'NotIn'"),
    ("expression-operator", [(POD_SPEC, _affinity("matchExpressions", "{key: z, operator: Equals, values: [a]}"))],
     _AFFINITY + ".matchExpressions[0].operator",
     "must be one of In, NotIn, Exists, DoesNotExist, Gt, Lt, got 'Equals'"),
    # ValidateNodeFieldSelectorRequirement (audit 4 item 4: a dataclass repr, under matchFields)
    ("fields-two-values",
     [(POD_SPEC, _affinity("matchFields", "{key: metadata.name, operator: In, values: [a, 'on']}"))],
     _AFFINITY + ".matchFields[0].values", "must be only one value when `operator` is 'In' or 'NotIn' for node field "
                                           "selector (got 2 values: [a, 'on'])"),
    ("fields-no-values", [(POD_SPEC, _affinity("matchFields", "{key: metadata.name, operator: NotIn}"))],
     _AFFINITY + ".matchFields[0].values", "for node field selector (got none)"),
    ("fields-operator", [(POD_SPEC, _affinity("matchFields", "{key: metadata.name, operator: Exists}"))],
     _AFFINITY + ".matchFields[0].operator", "must be In or NotIn for a node field selector, got 'Exists'"),
    ("fields-key", [(POD_SPEC, _affinity("matchFields", "{key: metadata.labels, operator: In, values: [a]}"))],
     _AFFINITY + ".matchFields[0].key", "not a valid field selector key: must be metadata.name, got 'metadata.labels'"),
    ("fields-node-name", [(POD_SPEC, _affinity("matchFields", "{key: metadata.name, operator: In, values: [Node_1]}"))],
     _AFFINITY + ".matchFields[0].values[0]", "invalid node name 'Node_1': a lowercase RFC 1123 subdomain"),
    ("node-selector-bad-value", [(POD_SPEC, ("    spec:\n      nodeSelector:\n        disktype: ssd fast  # <-\n"
                                            "      containers:\n"))],
     "spec.template.spec.nodeSelector", "invalid label value 'ssd fast'"),
    ("probe-period", [(CONTAINER, CONTAINER + "        readinessProbe:\n          exec: {command: [/bin/true]}\n"
                                              "          periodSeconds: -10  # <-\n")],
     "spec.template.spec.containers[0].readinessProbe.periodSeconds", "must be greater than or equal to 0"),
    ("probe-no-handler", [(CONTAINER, CONTAINER + "        readinessProbe:  # <-\n          periodSeconds: 5\n")],
     "spec.template.spec.containers[0].readinessProbe", "must specify a handler type"),
    ("probe-two-handlers", [(CONTAINER, CONTAINER + "        readinessProbe:\n          exec: {command: [/bin/true]}\n"
                                                    "          tcpSocket: {port: 80}  # <-\n")],
     "spec.template.spec.containers[0].readinessProbe.tcpSocket", "may not specify more than 1 handler type"),
    ("requests-over-limits", [(CONTAINER, CONTAINER + "        resources:\n          requests:\n"
                                                      "            cpu: 2  # <-\n"
                                                      "          limits:\n            cpu: 1\n")],
     "spec.template.spec.containers[0].resources.requests[cpu]", "must be less than or equal to cpu limit"),
    ("bad-quantity", [(CONTAINER, CONTAINER + "        resources:\n          requests:\n"
                                              "            memory: 200MB  # <-\n")],
     "spec.template.spec.containers[0].resources.requests[memory]", "invalid quantity '200MB'"),
    ("negative-quantity", [(CONTAINER, CONTAINER + "        resources:\n          limits:\n"
                                                   "            cpu: -1  # <-\n")],
     "spec.template.spec.containers[0].resources.limits[cpu]", "must be greater than or equal to 0"),
    ("host-port-range", [(CONTAINER, CONTAINER + "        ports:\n        - containerPort: 80\n"
                                                 "          hostPort: 70000  # <-\n")],
     "spec.template.spec.containers[0].ports[0].hostPort", "must be between 1 and 65535"),
    ("host-network-port", [(POD_SPEC, "    spec:\n      hostNetwork: true\n      containers:\n"),
                           (CONTAINER, CONTAINER + "        ports:\n        - containerPort: 80\n"
                                                   "          hostPort: 8080  # <-\n")],
     "spec.template.spec.containers[0].ports[0].hostPort", "must match `containerPort` when `hostNetwork` is true"),
    # YAML
    ("duplicate-key", [("  name: agent\n", "  name: agent\n  name: other  # <-\n")], "metadata.name",
     "duplicate key 'name'"),
    ("yaml-tag", [("  name: agent\n", "  name: agent\n  labels: !!set {a}  # <-\n")], "metadata.labels",
     "YAML tag 'tag:yaml.org,2002:set' is not allowed"),
]


@pytest.mark.parametrize(("changes", "path", "rule"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_rule_gives_one_line_with_file_line_path_and_rule(
    tmp_path: Path, changes: list[tuple[str, str]], path: str, rule: str
) -> None:
    text = edit(*changes)
    file = write(tmp_path, text)
    with pytest.raises(ManifestError) as info:
        load_daemonset(file)
    err = info.value
    assert isinstance(err, ConfigError)
    message = str(err)
    assert "\n" not in message
    assert (err.file, err.line, err.path) == (str(file), marked_line(text), path)
    assert message.startswith(f"{file}:{marked_line(text)}: {path}: ")
    assert rule in message


def test_the_int32_bound_is_written_once() -> None:
    """The flags' kinds, the manifest's IntOrString and its int32 fields (minReadySeconds, ports,
    probes) are bounded by one constant, ``rollsim.spec.kinds.INT32_MAX`` (it was written three times).
    """
    import re

    import rollsim
    import rollsim.io.manifest.fields
    import rollsim.io.manifest.validation
    from rollsim.spec import kinds

    assert rollsim.io.manifest.fields.INT32_MAX is kinds.INT32_MAX
    assert rollsim.io.manifest.validation.INT32_MAX is kinds.INT32_MAX
    package = Path(rollsim.__file__).parent
    written = sorted(str(p.relative_to(package)) for p in package.rglob("*.py")
                     if re.search(r"2\s*\*\*\s*31|1\s*<<\s*31|214748364[78]", p.read_text(encoding="utf-8")))
    assert written == ["spec/kinds.py"]


def test_list_items_report_the_line_in_the_file(tmp_path: Path) -> None:
    item = "\n".join("  " + line for line in edit((ROLLING, "      maxUnavailable: 0  # <-\n")).splitlines())
    text = "apiVersion: v1\nkind: List\nitems:\n-" + item[1:] + "\n"
    with pytest.raises(ManifestError) as info:
        load_daemonset(write(tmp_path, text))
    assert info.value.line == marked_line(text)
    assert info.value.path == "spec.updateStrategy.rollingUpdate.maxUnavailable"


def test_unknown_fields_are_warnings_by_default_and_errors_when_strict() -> None:
    file = DATA / "unknown-fields.yaml"
    loaded = load_daemonset(file)
    assert loaded.warnings == (
        f"{file}:20: spec.template.spec.volumes[1].hostPath.sspath: unknown field (did you mean 'path'?)",
        (f"{file}:24: spec.template.spec.containers[0].imagePullPolicyy: unknown field "
        "(did you mean 'imagePullPolicy'?)"),
        f"{file}:28: spec.revisionHistoryLimitt: unknown field (did you mean 'revisionHistoryLimit'?)",
    )
    assert loaded.spec.name == "log-agent"
    with pytest.raises(ManifestError) as info:
        load_daemonset(file, strict=True)
    assert str(info.value) == loaded.warnings[0]
    assert info.value.path == "spec.template.spec.volumes[1].hostPath.sspath"


def test_unknown_fields_are_not_checked_further(tmp_path: Path) -> None:
    text = edit(("  name: agent\n", "  name: agent\n  extra: {labels: {a: 1}}\n"))
    warnings = load_daemonset(write(tmp_path, text)).warnings
    assert warnings == (f"{tmp_path / 'ds.yaml'}:5: metadata.extra: unknown field",)


def test_a_tab_used_for_indentation_is_named() -> None:
    file = DATA / "tab-indent.yaml"
    with pytest.raises(ManifestError) as info:
        load_daemonset(file)
    assert str(info.value) == (f"{file}:6: YAML syntax error (column 1): a tab character is used for indentation; "
                               "YAML indentation must use spaces")


@pytest.mark.parametrize(("text", "line", "words"), [
    ("a: b\n  c: d\n", 2, "YAML syntax error (column 4): mapping values are not allowed here"),
    ("a:\n  b: 1\n c: 2\n", 3, "expected <block end>, but found '<block mapping start>'"),
    ("a: [1,\t2]\n", 1, "a tab character separates values here"),
    ('a: "open\n', 2, "while scanning a quoted scalar found unexpected end of stream"),
    ("a: *nowhere\n", 1, "found undefined alias 'nowhere'"),
    ("a: &x [*x]\n", 1, "recursive data"),
    ("a: !custom 1\n", 1, "could not determine a constructor for the tag '!custom'"),
    ("a: b\x07\n", 1, "is not allowed in YAML"),
    ("", 1, "no DaemonSet in this file: it holds no Kubernetes object"),
    ("- 1\n- 2\n", 1, "document 1 is a list, not a Kubernetes object"),
    ("apiVersion: v1\nkind: ConfigMap\n", 2, "kind: must be DaemonSet, got 'ConfigMap'"),
    ("kind: Service\n---\nkind: ConfigMap\n", 1, "no DaemonSet among the 2 objects in this file"),
    ("metadata: {}\n", 1, "kind: required"),
    ("[" * 5000, 1, "nested too deeply"),
])
def test_yaml_and_document_errors(tmp_path: Path, text: str, line: int, words: str) -> None:
    file = write(tmp_path, text)
    with pytest.raises(ManifestError) as info:
        load_daemonset(file)
    assert str(info.value).startswith(f"{file}:{line}: ")
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_files_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="cannot read"):
        load_daemonset(tmp_path / "missing.yaml")
    with pytest.raises(ManifestError, match="cannot read"):
        load_daemonset(tmp_path)
    (tmp_path / "latin1.yaml").write_bytes(b"kind: DaemonSet\nname: caf\xe9\n")
    with pytest.raises(ManifestError, match=r"latin1.yaml:2: not UTF-8 text"):
        load_daemonset(tmp_path / "latin1.yaml")


def test_yaml_niceties_kubectl_accepts(tmp_path: Path) -> None:
    text = edit(("metadata:\n  name: agent\n",
                 ("metadata:\n  name: agent\n  creationTimestamp: 2024-05-01T10:00:00Z\n"
                 "  labels: &labels\n    app: agent\n")),
                ("      labels:\n        app: agent\n", "      labels:\n        <<: *labels\n        tier: node\n"))
    loaded = load_daemonset(write(tmp_path, text), strict=True)
    assert loaded.labels == {"app": "agent"}


# ------------------------------------------------------------------------------ fuzzing

_FUZZ_DIR = Path(tempfile.mkdtemp(prefix="rollsim-manifest-fuzz-"))
_FUZZ_FILE = _FUZZ_DIR / "fuzz.yaml"


def _load_or_config_error(text: str, name: str | None = None) -> None:
    _FUZZ_FILE.write_text(text, encoding="utf-8")
    try:
        loaded = load_daemonset(_FUZZ_FILE, name=name)
    except ConfigError as exc:
        assert str(exc) and len(str(exc).splitlines()) == 1
        assert exc.file == str(_FUZZ_FILE)
    else:
        assert isinstance(loaded, LoadedDaemonSet)
        assert all(len(w.splitlines()) == 1 for w in loaded.warnings)


_FRAGMENTS = ["apiVersion: apps/v1\n", "kind: DaemonSet\n", "kind: List\n", "items:\n", "- ", "  ", "\t", ": ",
              "---\n", "metadata:\n", "  name: x\n", "spec:\n", "  selector: {}\n", "{", "}", "[", "]", ",", "&a ",
              "*a", "<<: ", "!!set ", "\"", "'", "#", "\n", "null", "1e3", "-1", "10%", "0", "?", "|\n", "%"]
_YAMLISH = st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=5)), max_size=30).map("".join)
_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
    | st.sampled_from(["apps/v1", "DaemonSet", "List", "10%", "100m", "Exists", "RollingUpdate"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["apiVersion", "kind", "metadata", "name", "spec", "items", "selector", "template",
                         "matchLabels", "containers", "updateStrategy", "rollingUpdate", "maxSurge", "x"])
        | st.text(max_size=6), inner, max_size=5),
    max_leaves=25,
)
_FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FUZZ
@given(_YAMLISH)
def test_fuzz_yaml_ish_text_gives_a_daemonset_or_a_config_error(text: str) -> None:
    _load_or_config_error(text)


@_FUZZ
@given(_JSONISH, st.booleans())
def test_fuzz_json_data_gives_a_daemonset_or_a_config_error(data: object, as_json: bool) -> None:
    _load_or_config_error(json.dumps(data) if as_json else yaml.safe_dump(data))


def _paths(data: object, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


_SHIPPED_DATA = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


@_FUZZ
@given(st.data())
def test_fuzz_mutated_manifests_give_a_daemonset_or_a_config_error(data: st.DataObject) -> None:
    doc = json.loads(json.dumps(_SHIPPED_DATA))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(doc)[1:]))
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = data.draw(_JSONISH)
    _load_or_config_error(yaml.safe_dump(doc))


@pytest.mark.parametrize(("changes", "path", "rule"), [
    ((("maxUnavailable: 1", "maxUnavailable: 1:30"),), "maxUnavailable", "invalid value '1:30'"),
    ((("  updateStrategy:", "  minReadySeconds: 1:00\n  updateStrategy:"),), "minReadySeconds", "1:00"),
    ((("image: example.com/agent:1.0", "image: example.com/agent:1.0\n        resources: {requests: {cpu: 1:30}}"),),
     "requests[cpu]", "invalid quantity '1:30'"),
    ((("image: example.com/agent:1.0", "image: example.com/agent:1.0\n        ports: [{containerPort: 80, "
                                       "hostPort: 1:20}]"),), "hostPort", "1:20"),
])
def test_base_60_numbers_are_strings_as_go_yaml_reads_them(tmp_path, changes, path, rule):
    """PyYAML (YAML 1.1) read ``1:30`` as 90 (sexagesimal): maxUnavailable 90, 90 CPUs, minReadySeconds
    60, hostPort 80. go-yaml, which kubectl and the API server read YAML with, reads a string, which
    they refuse where a number belongs; so does rollsim now.
    """
    with pytest.raises(ManifestError) as info:
        load_daemonset(write(tmp_path, edit(*changes)))
    assert path in str(info.value) and rule in str(info.value)


def test_numbers_go_yaml_reads_as_numbers_stay_numbers():
    """010 (octal), 0x10, 0b10 and 1_0 are numbers in go-yaml too (strconv.ParseInt, base 0)."""
    from rollsim.io.yamldoc import FastSafeLoader, SafeLoader

    text = "a: 010\nb: 0x10\nc: 1_0\nd: 0b10\ne: 1.5\nf: 1:30\ng: 1:30.5\nh: -1:00\n"
    for loader in (SafeLoader, FastSafeLoader):
        assert yaml.load(text, Loader=loader) == {"a": 8, "b": 16, "c": 10, "d": 2, "e": 1.5, "f": "1:30",
                                                  "g": "1:30.5", "h": "-1:00"}
