"""The pod's effective cpu and memory requests, as the scheduler's NodeResourcesFit counts them.

The scheduler (``computePodResourceRequest`` in
``pkg/scheduler/framework/plugins/noderesources/fit.go``) and the kubelet's admission both take a
pod's request from ``PodRequests`` in ``k8s.io/component-helpers/resource/helpers.go``
(kubernetes/kubernetes ``staging/src/k8s.io/component-helpers/resource/helpers.go``, read at
commits c4b5de20 and 0085214e; the spec-only path rollsim needs is the same in both). For each
resource, ``AggregateContainerRequests``::

    max( sum(containers) + sum(sidecars),
         for each init container i that is not a sidecar: request(i) + sum(sidecars before i) )

where a sidecar is an init container with ``restartPolicy: Always`` (KEP-753). Pod-level
``spec.resources.requests`` (KEP-2837, feature gate ``PodLevelResources``: alpha in v1.32, beta
and on by default from v1.34) then replace that sum for the resources they name, and the pod
overhead (``spec.overhead``) is added. The API server's defaults come first, on the pod the
DaemonSet controller creates (``SetDefaults_Pod``): a container's or init container's limit
stands in for its absent request, and a pod-level limit for an absent pod-level request when no
container requests that resource (``defaultPodRequests``).
"""

from __future__ import annotations

from typing import Any

from rollsim.io.manifest.errors import Where
from rollsim.io.manifest.validation import as_list, as_map
from rollsim.spec.quantity import MAX_INT64, Quantity, int64_amount, parse_quantity

__all__ = ["POD_LEVEL_DROPPED", "aggregate_container_requests", "pod_requests", "unchecked_resources",
           "without_pod_level"]

_COUNTED = ("cpu", "memory")  # what rollsim's scheduler and kubelet check
_BASE = "spec.template.spec"
_UNITS = {"cpu": "millicores", "memory": "bytes"}  # as the scheduler keeps them, in an int64
_MI, _GI = 2**20, 2**30

ResourceList = dict[str, int]  # resource name -> nanos, as v1.ResourceList: a name is present or not


def pod_requests(where: Where, pod: dict[str, Any]) -> tuple[int, int]:
    """The pod template's effective cpu (millicores) and memory (bytes) requests: ``PodRequests``.

    Checks every resources stanza it reads as the API server does (quantities not negative, a
    request not above its limit, pod-level requests not below the containers' aggregate).
    """
    containers = [_container(where, c, f"{_BASE}.containers[{i}]")
                  for i, c in enumerate(as_list(pod.get("containers")))]
    init_containers = [(as_map(c).get("restartPolicy") == "Always",
                        _container(where, c, f"{_BASE}.initContainers[{i}]"))
                       for i, c in enumerate(as_list(pod.get("initContainers")))]
    overhead = _resource_list(where, as_map(pod.get("overhead")), f"{_BASE}.overhead")
    pod_level = as_map(pod.get("resources"))
    level_requests, level_limits = _requirements(where, pod_level, f"{_BASE}.resources")

    total = aggregate_container_requests(containers, init_containers)
    for name, nanos in level_requests.items():
        if name in _COUNTED and total.get(name, 0) > nanos:
            raise where.error(f"{_BASE}.resources.requests[{name}]",
                              f"must be greater than or equal to aggregate container requests of "
                              f"{_show(name, total[name])}, got {as_map(pod_level.get('requests')).get(name)}",
                              f"{_BASE}.resources.requests.{name}")
    # defaultPodRequests then PodRequests: a pod-level request replaces the aggregate; a pod-level
    # limit stands in for it only where no container requests the resource
    total = {**level_limits, **total, **level_requests}
    _add(total, overhead)
    cpu, memory = Quantity(total.get("cpu", 0)).millis, Quantity(total.get("memory", 0)).value
    for name, amount in (("cpu", cpu), ("memory", memory)):
        if amount > MAX_INT64:  # each quantity fits, their sum does not
            raise where.error(_BASE, f"the pod's {name} request (containers, init containers, overhead and "
                                     f"pod-level resources together) must be at most 2^63-1 {_UNITS[name]}, "
                                     f"got {amount}")
    return cpu, memory


# the field a server without PodLevelResources drops, and the warning that says so
POD_LEVEL_DROPPED = (f"{_BASE}.resources",
                     "pod-level resources are dropped before Kubernetes 1.34 (feature gate PodLevelResources, alpha "
                     "and off; dropDisabledPodLevelResources): the pods request what their containers do "
                     "(--kubernetes-version 1.34 or later counts them)")


def without_pod_level(data: dict[str, Any]) -> dict[str, Any] | None:
    """The DaemonSet object ``data`` without its pod template's ``spec.resources``, as
    ``dropDisabledPodLevelResources`` leaves it when the ``PodLevelResources`` gate is off (it
    runs before validation, so the dropped stanza is not checked); None when it sets none.
    """
    spec = as_map(data.get("spec"))
    template = as_map(spec.get("template"))
    pod = as_map(template.get("spec"))
    if not as_map(pod.get("resources")):
        return None
    pod = {k: v for k, v in pod.items() if k != "resources"}
    return {**data, "spec": {**spec, "template": {**template, "spec": pod}}}


def unchecked_resources(where: Where, pod: dict[str, Any]) -> tuple[str, ...]:
    """One ``file:line: path: note`` per resource other than cpu and memory that the pod template
    requests or limits (``nvidia.com/gpu``, ``ephemeral-storage``, hugepages): the scheduler
    rollsim models does not check them (README, departures), so a pod a node would refuse for
    them goes ahead. Notes, not errors: the manifest is valid.
    """
    stanzas = [*((f"{_BASE}.{kind}[{i}].resources", as_map(c).get("resources"))
                 for kind in ("initContainers", "containers") for i, c in enumerate(as_list(pod.get(kind)))),
               (f"{_BASE}.resources", pod.get("resources"))]
    notes: dict[str, str] = {}
    for path, resources in stanzas:
        for part in ("requests", "limits"):
            for name in as_map(as_map(resources).get(part)):
                if name not in _COUNTED and name not in notes:
                    notes[name] = str(where.error(
                        f"{path}.{part}[{name}]", f"{name} is not checked: rollsim's scheduler checks cpu, memory "
                                                  "and host ports only (README, departures)", f"{path}.{part}.{name}"))
    return tuple(notes.values())


def aggregate_container_requests(containers: list[ResourceList],
                                 init_containers: list[tuple[bool, ResourceList]]) -> ResourceList:
    """``AggregateContainerRequests``: regular containers and sidecars run together, each other
    init container runs alone beside the sidecars started before it; the pod needs the most of these.

    ``init_containers`` are ``(restartPolicy is Always, requests)`` in the pod's order.
    """
    result: ResourceList = {}
    for requests in containers:
        _add(result, requests)
    sidecars: ResourceList = {}
    init_peak: ResourceList = {}
    for restartable, requests in init_containers:
        if restartable:
            _add(result, requests)
            _add(sidecars, requests)
            running = dict(sidecars)
        else:
            running = dict(requests)
            _add(running, sidecars)
        _max(init_peak, running)
    _max(result, init_peak)
    return result


def _container(where: Where, container: Any, path: str) -> ResourceList:
    """One container's requests, its limits standing in for absent ones (``SetDefaults_Pod``)."""
    requests, limits = _requirements(where, as_map(as_map(container).get("resources")), f"{path}.resources")
    return {**limits, **requests}


def _requirements(where: Where, resources: dict[str, Any], path: str) -> tuple[ResourceList, ResourceList]:
    """A ``ResourceRequirements`` stanza's requests and limits, checked: none negative, and a cpu or
    memory request not above its limit (``ValidateResourceRequirements``).
    """
    requests = _resource_list(where, as_map(resources.get("requests")), f"{path}.requests")
    limits = _resource_list(where, as_map(resources.get("limits")), f"{path}.limits")
    for name in _COUNTED:
        if name in requests and name in limits and requests[name] > limits[name]:
            limit, request = as_map(resources.get("limits"))[name], as_map(resources.get("requests"))[name]
            limit = "null (read as 0)" if limit is None else limit  # a null Quantity unmarshals to zero
            raise where.error(f"{path}.requests[{name}]", f"must be less than or equal to {name} limit of "
                                                          f"{limit}, got {request}", f"{path}.requests.{name}")
    return requests, limits


def _resource_list(where: Where, raw: dict[str, Any], path: str) -> ResourceList:
    """A ``ResourceList`` in nanos; a negative quantity is an error (``ValidateResourceQuantityValue``).

    A cpu or memory quantity must also fit the int64 the scheduler reads it into (millicores, bytes),
    the bound ``--requests-cpu`` and a node list's allocatable have: the API server stores ``1e400``
    but the scheduler's ``MilliValue()`` overflows on it.
    """
    parsed: ResourceList = {}
    for name, value in raw.items():
        quantity = Quantity(0) if value is None else parse_quantity(value)  # syntax checked already
        if quantity.nanos < 0:
            raise where.error(f"{path}[{name}]", f"must be greater than or equal to 0, got {value}",
                              f"{path}.{name}")
        if name in _UNITS and value is not None:
            try:
                int64_amount(value, _UNITS[name], quantity)
            except ValueError as exc:
                raise where.error(f"{path}[{name}]", str(exc), f"{path}.{name}") from None
        parsed[name] = quantity.nanos
    return parsed


def _add(total: ResourceList, more: ResourceList) -> None:
    """``addResourceList``."""
    for name, nanos in more.items():
        total[name] = total.get(name, 0) + nanos


def _max(peak: ResourceList, other: ResourceList) -> None:
    """``maxResourceList``."""
    for name, nanos in other.items():
        if name not in peak or nanos > peak[name]:
            peak[name] = nanos


def _show(name: str, nanos: int) -> str:
    """A quantity as a message gives it: cpu in cores or millicores, memory in Gi, Mi or bytes."""
    q = Quantity(nanos)
    if name == "cpu":
        return str(q.value) if nanos % 10**9 == 0 else f"{q.millis}m"
    for suffix, unit in (("Gi", _GI), ("Mi", _MI)):
        if q.value % unit == 0 and q.value:
            return f"{q.value // unit}{suffix}"
    return str(q.value)
