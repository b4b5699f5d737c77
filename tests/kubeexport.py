"""A simulated rollout as ``kubectl get pods -o json`` and ``kubectl get events -o json`` print it.

The new-revision pods of a ``RunResult`` become v1 Pods as the API server returns them
after the rollout: names from ``generateName`` (``fluentd-elasticsearch-x7k2p``), the
DaemonSet's labels and ownerReference, the node affinity the controller adds, and the
status the kubelet writes (conditions, containerStatuses). ``metav1.Time`` is stored to
the second, truncated, so every time is rounded down; event messages carry the pull
duration to the millisecond, as the kubelet's ``Truncate(time.Millisecond)`` does.
Everything is deterministic: names and uids are hashes of the DaemonSet and the node.
``rollsim.io.calibrate`` reads these back, which is how the calibration is tested.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rollsim.simulation import RunResult

__all__ = ["DEFAULT_IMAGE", "DEFAULT_START", "export_events", "export_pods", "go_duration"]

DEFAULT_IMAGE = "quay.io/fluentd_elasticsearch/fluentd:v5.0.1"
DEFAULT_IMAGE_SIZE = 512_734_208  # bytes: a ~500 MB fluentd image with its plugins
DEFAULT_START = "2026-11-26T10:00:00Z"
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apimachinery/pkg/util/rand: no vowels, no 0/1/3
_DAEMONSET_TOLERATIONS = [  # added by the DaemonSet controller (util.AddOrUpdateDaemonPodTolerations)
    {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists"},
    {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/disk-pressure", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/memory-pressure", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/pid-pressure", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/unschedulable", "operator": "Exists"},
]


def _hash(*parts: object) -> bytes:
    return hashlib.sha256("/".join(map(str, parts)).encode()).digest()


def _suffix(*parts: object, length: int = 5) -> str:
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in _hash(*parts)[:length])


def _uid(*parts: object) -> str:
    return str(uuid.UUID(bytes=_hash(*parts)[:16], version=4))


def _epoch(start: str) -> float:
    """Unix seconds of an RFC 3339 time (UTC if it names no zone)."""
    t = datetime.fromisoformat(start.replace("Z", "+00:00").replace("z", "+00:00"))
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp()


def _rfc3339(t: float) -> str:
    """Whole seconds, rounded down, as the API server serialises ``metav1.Time``."""
    return datetime.fromtimestamp(math.floor(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _micro(t: float) -> str:
    """``metav1.MicroTime`` (events' eventTime)."""
    return datetime.fromtimestamp(math.floor(t * 1e6) / 1e6, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def go_duration(seconds: float) -> str:
    """Go's ``time.Duration.String`` of ``seconds`` truncated to milliseconds (``6.071s``, ``812ms``, ``1m2.5s``)."""
    ms = math.floor(seconds * 1000 + 1e-6)  # the epsilon absorbs float error (6.071 * 1000)
    if ms <= 0:
        return "0s"
    if ms < 1000:
        return f"{ms}ms"
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, frac = divmod(rem, 1000)
    text = f"{s}.{frac:03d}".rstrip("0").rstrip(".") + "s"
    if h:
        return f"{h}h{m}m{text}"
    return f"{m}m{text}" if m else text


class _Names:
    """Names and ids of one DaemonSet's objects, all derived from its namespace and name."""

    def __init__(self, namespace: str, name: str, revision: int = 2) -> None:
        self.namespace, self.name, self.revision = namespace, name, revision
        self.ds_uid = _uid(namespace, name, "daemonset")
        self.hash = _suffix(namespace, name, revision, length=10)  # controller-revision-hash

    def pod(self, node: str) -> str:
        return f"{self.name}-{_suffix(self.namespace, self.name, self.revision, node)}"

    def pod_uid(self, node: str) -> str:
        return _uid(self.namespace, self.name, self.revision, node)


def _host_ip(index: int) -> str:
    return f"10.{index // 65536 % 64}.{index // 256 % 256}.{index % 256 + 1 if index % 256 < 254 else 254}"


def _pod_ip(index: int) -> str:
    """The first address of the node's /24 pod CIDR from 10.64.0.0/10 (node IPAM), after the gateway."""
    return f"10.{64 + index // 256 % 64}.{index % 256}.2"


def _new_pods(result: RunResult) -> list[tuple[int, dict[str, Any]]]:
    """``(node index, row)`` of every node that got a new-revision pod."""
    rows = enumerate(result.nodes.to_dict("records"))
    return [(i, row) for i, row in rows if not math.isnan(row["new_created_at_s"])]


def _pod(names: _Names, index: int, row: dict[str, Any], t0: float, image: str, result: RunResult,
         resource_version: int) -> dict[str, Any]:
    node = row["node"]
    ds = result.scenario.daemonset
    at = {k: (t0 + row[f"new_{k}_at_s"] if not math.isnan(row[f"new_{k}_at_s"]) else None)
          for k in ("created", "scheduled", "pulled", "started", "ready")}
    pod_name = names.pod(node)
    probe = ds.readiness_probe
    container: dict[str, Any] = {
        "image": image, "imagePullPolicy": "IfNotPresent", "name": names.name,
        "resources": {"limits": {"memory": "200Mi"}, "requests": {"cpu": "100m", "memory": "200Mi"}},
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
        "volumeMounts": [{"mountPath": "/var/log", "name": "varlog"},
                         {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                          "name": "kube-api-access-" + _suffix(pod_name, "sa"), "readOnly": True}],
    }
    if probe.period_seconds > 0:
        container["readinessProbe"] = {
            "failureThreshold": probe.failure_threshold, "httpGet": {"path": "/metrics", "port": 24231,
                                                                      "scheme": "HTTP"},
            "initialDelaySeconds": int(probe.initial_delay_seconds), "periodSeconds": int(probe.period_seconds),
            "successThreshold": probe.success_threshold, "timeoutSeconds": 1}
    spec = {
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}}},
        "containers": [container], "dnsPolicy": "ClusterFirst", "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority", "priority": 0, "restartPolicy": "Always",
        "schedulerName": "default-scheduler", "securityContext": {}, "serviceAccount": "default",
        "serviceAccountName": "default", "terminationGracePeriodSeconds": int(ds.termination_grace_period_seconds),
        "tolerations": [{"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane",
                         "operator": "Exists"}, *_DAEMONSET_TOLERATIONS],
        "volumes": [{"hostPath": {"path": "/var/log", "type": ""}, "name": "varlog"}],
    }
    status: dict[str, Any] = {"phase": "Pending", "qosClass": "Burstable"}
    if at["scheduled"] is not None:
        spec["nodeName"] = node
        started, ready = at["started"], at["ready"]

        def condition(kind: str, when: float | None, reason: str | None = None) -> dict[str, Any]:
            c = {"lastProbeTime": None, "lastTransitionTime": _rfc3339(when if when is not None else at["scheduled"]),
                 "status": "True" if when is not None else "False", "type": kind}
            if when is None and reason:
                c.update(message=f"containers with unready status: [{names.name}]", reason=reason)
            return c

        status["conditions"] = [
            condition("PodReadyToStartContainers", at["scheduled"]),
            condition("Initialized", at["scheduled"]),
            condition("Ready", ready, "ContainersNotReady"),
            condition("ContainersReady", ready, "ContainersNotReady"),
            condition("PodScheduled", at["scheduled"]),
        ]
        cs: dict[str, Any] = {"image": image, "lastState": {}, "name": names.name, "ready": ready is not None,
                              "restartCount": 0, "started": started is not None}
        if started is not None:
            cs = {"containerID": "containerd://" + _hash(pod_name, "container").hex(),
                  "image": image, "imageID": image.rsplit(":", 1)[0] + "@sha256:" + _hash(image).hex(), **cs,
                  "state": {"running": {"startedAt": _rfc3339(started)}}}
            status["phase"] = "Running"
        else:
            cs["state"] = {"waiting": {"reason": "ContainerCreating"}}
        status.update(containerStatuses=[cs], hostIP=_host_ip(index), hostIPs=[{"ip": _host_ip(index)}],
                      podIP=_pod_ip(index), podIPs=[{"ip": _pod_ip(index)}],
                      startTime=_rfc3339(at["scheduled"]))
        status = {k: status[k] for k in sorted(status)}
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "creationTimestamp": _rfc3339(at["created"]),  # type: ignore[arg-type]
            "generateName": f"{names.name}-",
            "labels": {"controller-revision-hash": names.hash, "name": names.name,
                       "pod-template-generation": str(names.revision)},
            "name": pod_name, "namespace": names.namespace,
            "ownerReferences": [{"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True,
                                 "kind": "DaemonSet", "name": names.name, "uid": names.ds_uid}],
            "resourceVersion": str(resource_version), "uid": names.pod_uid(node),
        },
        "spec": spec, "status": status,
    }


def export_pods(result: RunResult, *, namespace: str = "kube-system", name: str = "fluentd-elasticsearch",
                start: str = DEFAULT_START, image: str = DEFAULT_IMAGE) -> dict[str, Any]:
    """The new-revision pods of ``result`` as ``kubectl get pods -o json`` prints them.

    ``start`` is the wall-clock time of the template change (simulated time 0).
    """
    names, t0 = _Names(namespace, name), _epoch(start)
    items = [_pod(names, i, row, t0, image, result, 1_000_000 + 17 * k)
             for k, (i, row) in enumerate(_new_pods(result))]
    items.sort(key=lambda pod: pod["metadata"]["name"])  # etcd key order: namespace/name
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


_REASONS = ("Scheduled", "Pulling", "Pulled", "Created", "Started")


def _event(names: _Names, node: str, t: float, reason: str, message: str, *, scheduler: bool = False,
           resource_version: int = 0) -> dict[str, Any]:
    pod = names.pod(node)
    when = _rfc3339(t)
    event: dict[str, Any] = {
        "apiVersion": "v1", "count": 1, "eventTime": None, "firstTimestamp": when,
        "involvedObject": {"apiVersion": "v1", "fieldPath": f"spec.containers{{{names.name}}}", "kind": "Pod",
                           "name": pod, "namespace": names.namespace, "resourceVersion": "",
                           "uid": names.pod_uid(node)},
        "kind": "Event", "lastTimestamp": when, "message": message,
        # client-go names events "<object>.<UnixNano hex>"; the reason's index keeps same-instant ones apart
        "metadata": {"creationTimestamp": when, "name": f"{pod}.{math.floor(t * 1e9) + _REASONS.index(reason):x}",
                     "namespace": names.namespace, "resourceVersion": str(resource_version),
                     "uid": _uid(pod, reason, t)},
        "reason": reason, "reportingComponent": "kubelet", "reportingInstance": node,
        "source": {"component": "kubelet", "host": node}, "type": "Normal",
    }
    if scheduler:  # the scheduler uses the events.k8s.io API: eventTime, no count or timestamps
        del event["involvedObject"]["fieldPath"]
        event.update(action="Binding", count=None, eventTime=_micro(t), firstTimestamp=None, lastTimestamp=None,
                     reportingComponent="default-scheduler", reportingInstance="default-scheduler-control-plane",
                     source={})
    return event


def export_events(result: RunResult, *, namespace: str = "kube-system", name: str = "fluentd-elasticsearch",
                  start: str = DEFAULT_START, image: str = DEFAULT_IMAGE,
                  image_size: int = DEFAULT_IMAGE_SIZE) -> dict[str, Any]:
    """The scheduler's and kubelets' events for the new pods, as ``kubectl get events -o json`` prints them.

    Scheduled, Pulling, Pulled (with the pull duration), Created and Started; a pull of
    0 s is a cache hit ("already present on machine", no Pulling event).
    """
    names, t0 = _Names(namespace, name), _epoch(start)
    events = []
    for _i, row in _new_pods(result):
        node = row["node"]
        scheduled, pulled, started = (t0 + row[f"new_{k}_at_s"] for k in ("scheduled", "pulled", "started"))
        if math.isnan(scheduled):
            continue
        pod = names.pod(node)
        events.append(_event(names, node, scheduled, "Scheduled",
                             f"Successfully assigned {names.namespace}/{pod} to {node}", scheduler=True))
        if math.isnan(pulled):
            events.append(_event(names, node, scheduled, "Pulling", f'Pulling image "{image}"'))
            continue
        took = go_duration(pulled - scheduled)
        if took == "0s":
            events.append(_event(names, node, pulled, "Pulled",
                                 f'Container image "{image}" already present on machine'))
        else:
            events.append(_event(names, node, scheduled, "Pulling", f'Pulling image "{image}"'))
            events.append(_event(names, node, pulled, "Pulled", f'Successfully pulled image "{image}" in {took} '
                                 f"({took} including waiting). Image size: {image_size} bytes."))
        if not math.isnan(started):
            events.append(_event(names, node, started, "Created", f"Created container {names.name}"))
            events.append(_event(names, node, started, "Started", f"Started container {names.name}"))
    events.sort(key=lambda e: e["metadata"]["name"])  # etcd key order: namespace/name
    for k, e in enumerate(events):
        e["metadata"]["resourceVersion"] = str(2_000_000 + 7 * k)
    return {"apiVersion": "v1", "items": events, "kind": "List", "metadata": {"resourceVersion": ""}}
