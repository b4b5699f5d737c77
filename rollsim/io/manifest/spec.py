"""A checked DaemonSet object turned into the ``DaemonSetSpec`` rollsim simulates."""

from __future__ import annotations

from rollsim.io.manifest import pod, resources, volumes
from rollsim.io.manifest.objects import ManifestObject
from rollsim.io.manifest.validation import (
    as_int,
    as_list,
    as_map,
    as_text,
    non_negative,
    object_meta,
    selector,
    update_strategy,
)
from rollsim.spec.scenario import DaemonSetSpec, ReadinessProbe

__all__ = ["daemonset_spec"]


def daemonset_spec(obj: ManifestObject, namespace: str | None = None) -> tuple[DaemonSetSpec, dict[str, str], bool]:
    """The spec, the DaemonSet's ``metadata.labels``, and whether any container has a readinessProbe.

    ``namespace`` (``-n``) is the DaemonSet's when the manifest gives none (else ``default``).

    Applies the API server's defaults and value rules (``rollsim.io.manifest.validation``,
    ``rollsim.io.manifest.pod`` and ``rollsim.io.manifest.resources``) in the order it reports
    them; ``obj`` has had its fields and types checked (``rollsim.io.manifest.fields``).
    """
    where, data = obj.where, obj.data
    meta = as_map(data.get("metadata"))
    name, namespace = object_meta(where, meta, namespace)
    spec = as_map(data.get("spec"))
    selector(where, spec)
    template = as_map(as_map(spec.get("template")).get("spec"))
    grace = pod.pod_template(where, template)
    non_negative(where, spec.get("minReadySeconds"), "spec.minReadySeconds")
    non_negative(where, spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    strategy = update_strategy(where, spec)
    placement = pod.placement(where, template)
    containers = as_list(template.get("containers"))
    probe = pod.readiness_probe(where, containers)
    cpu, memory = resources.pod_requests(where, template)
    ports = pod.host_ports(where, template, containers)
    class_name, priority, policy = pod.priority(where, template)
    paths = volumes.host_paths(template)
    labels = {k: as_text(val) for k, val in as_map(meta.get("labels")).items()}
    try:
        ds = DaemonSetSpec(
            name=name, namespace=namespace, strategy=strategy,
            min_ready_seconds=float(as_int(spec.get("minReadySeconds"), 0)),
            termination_grace_period_seconds=grace, placement=placement,
            readiness_probe=probe if probe is not None else ReadinessProbe(0.0, 0.0),
            labels=tuple(labels.items()), requests_cpu_millis=cpu, requests_memory_bytes=memory, host_ports=ports,
            priority_class_name=class_name, priority=priority, preemption_policy=policy, host_paths=paths,
        )
    except ValueError as exc:  # the checks above should have caught it; still say where
        raise where.error("spec", str(exc)) from None
    return ds, labels, probe is not None
