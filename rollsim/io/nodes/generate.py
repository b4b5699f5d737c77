"""``make_nodes`` / ``write_nodes_json``: a realistic ``kubectl get nodes -o json`` document.

N nodes of a kOps-style cluster on EC2, tainted the way kubeadm (control plane), the node
lifecycle controller (NotReady) and ``kubectl cordon`` taint nodes. Deterministic in the
seed: ``experiments/nodes/sample-300.json`` is this output, and a test keeps it so.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from rollsim.io.atomic import write_text
from rollsim.io.nodes.fields import NOT_READY_TAINT, UNSCHEDULABLE_TAINT
from rollsim.io.nodes.pools import Pool, read_pools
from rollsim.spec.node import CONTROL_PLANE_LABEL, NO_EXECUTE, NO_SCHEDULE
from rollsim.spec.quoting import written
from rollsim.spec.versions import DEFAULT_VERSION

__all__ = ["NodeOptionError", "make_nodes", "nodes_json", "write_nodes_json"]

# (cpu, memory, allocatable cpu, allocatable memory, pods) as kubelet reports them on EC2
_INSTANCE_TYPES = {
    "m5.large": ("2", "7934440Ki", "1930m", "7244264Ki", "29"),
    "m5.xlarge": ("4", "15896244Ki", "3920m", "14879412Ki", "58"),
}
_READY_MESSAGES = {
    "MemoryPressure": ("KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    "DiskPressure": ("KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    "PIDPressure": ("KubeletHasSufficientPID", "kubelet has sufficient PID available"),
}
_NOT_READY = ("KubeletNotReady", ("container runtime network not ready: NetworkReady=false reason:"
                                  "NetworkPluginNotReady message:Network plugin returns error: "
                                  "cni plugin not initialized"))


class NodeOptionError(ValueError):
    """A rule ``make_nodes``'s options break. ``options`` names them (its keywords: ``("zones",)``,
    ``("not_ready", "cordoned")`` for their sum), ``rule`` says what is wrong; the message is the
    two together (``zones must be between 1 and 6, got 7``), and a caller that names the options
    otherwise (the CLI's flags) puts its own names before ``rule``.
    """

    def __init__(self, options: tuple[str, ...], rule: str) -> None:
        super().__init__(f"{' + '.join(options)} {rule}")
        self.options, self.rule = options, rule


def make_nodes(count: int, *, seed: int = 0, control_plane: int = 3, pools: Sequence[Mapping[str, Any]] | None = None,
               not_ready: int = 0, cordoned: int = 0, zones: int = 3, region: str = "us-east-1",
               kubelet_version: str | None = None, now: str = "2024-06-01T12:00:00Z") -> dict[str, Any]:
    """A realistic ``kubectl get nodes -o json`` document (kind List) for ``count`` nodes.

    A kOps-style cluster on EC2: ``control_plane`` nodes labelled and tainted
    ``node-role.kubernetes.io/control-plane:NoSchedule``; workers from ``pools`` (as in
    ``nodes_from_pools``; their counts must add up to ``count - control_plane``) or else one
    m5.xlarge instance group per zone, spread over ``zones`` zones. ``not_ready`` workers
    report Ready=False and carry ``node.kubernetes.io/not-ready`` NoSchedule and NoExecute,
    as the node lifecycle controller taints them; ``cordoned`` others are
    ``spec.unschedulable`` with the ``node.kubernetes.io/unschedulable:NoSchedule`` taint.
    Deterministic in ``seed``; timestamps are relative to ``now``, never the clock. Every kubelet
    runs ``kubelet_version`` (default: the default Kubernetes version's ``v1.MM.0``), so the list
    is one a cluster of that version can have (``rollsim.spec.versions.kubelet_skew``).
    """
    if kubelet_version is None:
        kubelet_version = f"v{DEFAULT_VERSION}.0"
    for name, value in (("count", count), ("control_plane", control_plane), ("not_ready", not_ready),
                        ("cordoned", cordoned), ("zones", zones)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise NodeOptionError((name,), f"must be a non-negative integer, got {written(value)}")
    if not 1 <= zones <= 6:
        raise NodeOptionError(("zones",), f"must be between 1 and 6, got {zones}")
    if control_plane > count:
        raise NodeOptionError(("control_plane",), f"({control_plane}) must not exceed the {count:,} nodes asked for "
                                                  f"(count); give at most {count:,}, or more nodes")
    if count > min(8000 * zones, 16000):
        most, per = min(8000 * zones, 16000), "1 zone" if zones == 1 else f"{zones} zones"
        raise NodeOptionError(("count",), f"must be at most {most:,} with {per} "
                                          "(a /19 subnet per zone, a /24 pod CIDR per node in 100.64.0.0/10)")
    workers = count - control_plane
    zone_names = [f"{region}{'abcdef'[z]}" for z in range(zones)]
    specs = read_pools(pools, "pools") if pools is not None else [
        Pool(f"nodes-{zone}", len(range(z, workers, zones)), {}, (), {}, None, None, True)
        for z, zone in enumerate(zone_names)]
    if sum(p.count for p in specs) != workers:
        raise ValueError(f"pool counts add up to {sum(p.count for p in specs)}, expected count - control_plane"
                         f" = {workers}")
    members = [p for p in specs for _ in range(p.count)]
    if pools is None:  # instance group i lives in zone i
        zone_of = [z for z, p in enumerate(specs) for _ in range(p.count)]
    else:
        zone_of = [i % zones for i in range(workers)]
    zone_of = [j % zones for j in range(control_plane)] + zone_of
    ready_workers = [i for i, p in enumerate(members) if p.ready]
    if not_ready + cordoned > len(ready_workers):
        raise NodeOptionError(("not_ready", "cordoned"), f"({not_ready + cordoned}) must not exceed the ready "
                                                         f"workers ({len(ready_workers)})")

    rng = np.random.default_rng(seed)
    chosen = [int(i) for i in rng.choice(ready_workers, not_ready + cordoned, replace=False)]
    down, cordon = set(chosen[:not_ready]), set(chosen[not_ready:])
    offsets = {z: iter(rng.choice(np.arange(16, 8176), zone_of.count(z), replace=False)) for z in range(zones)}
    base = datetime.strptime(now, "%Y-%m-%dT%H:%M:%SZ")
    domain = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
    items = []
    for k, z in enumerate(zone_of):
        off = int(next(offsets[z]))
        ip = f"10.0.{32 * z + off // 256}.{off % 256}"
        host = f"ip-{ip.replace('.', '-')}.{domain}"
        w = k - control_plane
        pool = members[w] if w >= 0 else None
        items.append(_node_object(
            rng, host, ip, k, pool, zone_names[z], region, base, kubelet_version,
            ready=pool is None or (pool.ready and w not in down), cordoned=w in cordon))
    items.sort(key=lambda n: n["metadata"]["name"])  # the API server lists by name
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def _stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _node_object(rng: np.random.Generator, host: str, ip: str, k: int, pool: Pool | None, zone: str, region: str,
                 now: datetime, kubelet_version: str, *, ready: bool, cordoned: bool) -> dict[str, Any]:
    """One Node as the API server returns it (without the ``images`` list and managedFields)."""
    itype = "m5.large" if pool is None else pool.labels.get("node.kubernetes.io/instance-type", "m5.xlarge")
    cpu, memory, alloc_cpu, alloc_memory, pods = _INSTANCE_TYPES.get(itype, _INSTANCE_TYPES["m5.xlarge"])
    if pool is not None and "cpu" in pool.allocatable:  # capacity = allocatable: no reservations known
        cpu = alloc_cpu = str(pool.allocatable["cpu"])
    if pool is not None and "memory" in pool.allocatable:
        memory = alloc_memory = str(pool.allocatable["memory"])
    created = now - timedelta(seconds=int(rng.integers(3600, 200 * 86400)))
    heartbeat = _stamp(now - timedelta(seconds=int(rng.integers(0, 40))))
    group = pool.name if pool is not None else f"control-plane-{zone}"
    labels = {
        "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/instance-type": itype,
        "beta.kubernetes.io/os": "linux", "kops.k8s.io/instancegroup": group, "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": host, "kubernetes.io/os": "linux", "node.kubernetes.io/instance-type": itype,
        "topology.kubernetes.io/region": region, "topology.kubernetes.io/zone": zone,
    }
    taints: list[dict[str, str]] = []
    if pool is None:
        labels.update({CONTROL_PLANE_LABEL: "", "node.kubernetes.io/exclude-from-external-load-balancers": ""})
        taints.append({"effect": NO_SCHEDULE, "key": CONTROL_PLANE_LABEL})
    else:  # kOps labels its workers with their role, as kubeadm labels its control plane
        labels.update({"node-role.kubernetes.io/node": "", **pool.labels})
        taints += [{"effect": t.effect, "key": t.key, **({"value": t.value} if t.value else {})} for t in pool.taints]
    if not ready:
        since = _stamp(now - timedelta(seconds=int(rng.integers(60, 3600))))
        taints += [{"effect": NO_SCHEDULE, "key": NOT_READY_TAINT},
                   {"effect": NO_EXECUTE, "key": NOT_READY_TAINT, "timeAdded": since}]
    if cordoned:
        taints.append({"effect": NO_SCHEDULE, "key": UNSCHEDULABLE_TAINT,
                       "timeAdded": _stamp(now - timedelta(seconds=int(rng.integers(60, 86400))))})
    cidr = f"100.{64 + k // 256}.{k % 256}.0/24"
    spec: dict[str, Any] = {"podCIDR": cidr, "podCIDRs": [cidr],
                            "providerID": f"aws:///{zone}/i-0{rng.bytes(8).hex()[:16]}"}
    if taints:
        spec["taints"] = taints
    if cordoned:
        spec["unschedulable"] = True
    conditions = [{"lastHeartbeatTime": heartbeat, "lastTransitionTime": _stamp(created + timedelta(seconds=40)),
                   "message": msg, "reason": reason, "status": "False", "type": kind}
                  for kind, (reason, msg) in _READY_MESSAGES.items()]
    reason, msg = ("KubeletReady", "kubelet is posting ready status") if ready else _NOT_READY
    conditions.append({"lastHeartbeatTime": heartbeat,
                       "lastTransitionTime": _stamp(created + timedelta(seconds=55)) if ready else since,
                       "message": msg, "reason": reason, "status": "True" if ready else "False", "type": "Ready"})
    storage = {"ephemeral-storage": "83873772Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0"}
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {
            "annotations": {"alpha.kubernetes.io/provided-node-ip": ip, "node.alpha.kubernetes.io/ttl": "0",
                            "volumes.kubernetes.io/controller-managed-attach-detach": "true"},
            "creationTimestamp": _stamp(created), "labels": dict(sorted(labels.items())), "name": host,
            "resourceVersion": str(int(rng.integers(10**6, 10**8))),
            "uid": str(uuid.UUID(bytes=rng.bytes(16), version=4)),
        },
        "spec": spec,
        "status": {
            "addresses": [{"address": ip, "type": "InternalIP"}, {"address": host, "type": "InternalDNS"},
                          {"address": host, "type": "Hostname"}],
            "allocatable": {"cpu": alloc_cpu, **storage, "ephemeral-storage": "76224326324",
                            "memory": alloc_memory, "pods": pods},
            "capacity": {"cpu": cpu, **storage, "memory": memory, "pods": pods},
            "conditions": conditions,
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {"architecture": "amd64", "containerRuntimeVersion": "containerd://1.7.16",
                         "kernelVersion": "6.1.90-99.173.amzn2023.x86_64", "kubeProxyVersion": kubelet_version,
                         "kubeletVersion": kubelet_version, "operatingSystem": "linux",
                         "osImage": "Amazon Linux 2023.4.20240528"},
        },
    }


def nodes_json(document: Mapping[str, Any]) -> str:
    """``document`` as deterministic JSON text, indented like kubectl's (but by 2), with a final newline."""
    return json.dumps(document, indent=2) + "\n"


def write_nodes_json(path: str | Path, count: int, **options: Any) -> dict[str, Any]:
    """Write ``make_nodes(count, **options)`` to ``path`` atomically; returns the document."""
    document = make_nodes(count, **options)
    write_text(Path(path), nodes_json(document))
    return document
