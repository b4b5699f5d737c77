"""The API server's rules on a DaemonSet's pod template, and what rollsim reads from it.

The template rules a DaemonSet adds (restartPolicy Always, no activeDeadlineSeconds), the
containers' names, images, readiness probes (``SetDefaults_Probe``) and host ports
(``hostNetwork`` defaults), and the placement: nodeSelector, required node affinity and
tolerations (``ValidateTolerations``), and the priority (``priorityClassName``, ``priority``,
``preemptionPolicy``) as the Priority admission plugin will set it on the DaemonSet's pods. The
pod's resource requests are in ``rollsim.io.manifest.resources``.
"""

from __future__ import annotations

from typing import Any

from rollsim.io.manifest.errors import Where, flow, show
from rollsim.io.manifest.validation import (
    as_int,
    as_list,
    as_map,
    as_text,
    non_negative,
)
from rollsim.spec.labelsyntax import (
    DNS_LABEL_RULE,
    DNS_SUBDOMAIN_RULE,
    is_dns_label,
    is_dns_subdomain,
    label_key_problem,
    label_value_problem,
)
from rollsim.spec.node import (
    FIELD_NODE_NAME,
    NODE_SELECTOR_OPERATORS,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    PodPlacement,
    Toleration,
)
from rollsim.spec.priority import PREEMPT_LOWER_PRIORITY, PREEMPTION_POLICIES, builtin_priority
from rollsim.spec.scenario import MAX_PORT, ReadinessProbe, is_port

__all__ = ["host_ports", "placement", "pod_template", "priority", "readiness_probe"]

_PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
# (field, API default); a zero is defaulted too, as SetDefaults_Probe does
_PROBE_FIELDS = (("initialDelaySeconds", 0), ("periodSeconds", 10), ("successThreshold", 1),
                 ("failureThreshold", 3), ("timeoutSeconds", 1))


def pod_template(where: Where, pod: dict[str, Any]) -> float:
    """The DaemonSet's rules on the pod template; returns terminationGracePeriodSeconds (default 30)."""
    containers = as_list(pod.get("containers"))
    if not containers:
        raise where.error("spec.template.spec.containers", "required: a pod template needs at least one container")
    seen: set[str] = set()
    for i, c in enumerate(containers):
        c, path = as_map(c), f"spec.template.spec.containers[{i}]"
        name = c.get("name")
        if not name:
            raise where.error(f"{path}.name", "required: every container needs a name")
        if not is_dns_label(name):
            raise where.error(f"{path}.name", f"invalid name {show(name)}: {DNS_LABEL_RULE}")
        if name in seen:
            raise where.error(f"{path}.name", f"duplicate container name {show(name)}")
        seen.add(name)
        if not c.get("image"):
            raise where.error(f"{path}.image", "required: every container needs an image")
    restart = pod.get("restartPolicy") or "Always"
    if restart != "Always":
        raise where.error("spec.template.spec.restartPolicy", f"must be Always in a DaemonSet, got {show(restart)}")
    if pod.get("activeDeadlineSeconds") is not None:
        raise where.error("spec.template.spec.activeDeadlineSeconds",
                          "must not be set: activeDeadlineSeconds is not supported in a DaemonSet")
    grace = pod.get("terminationGracePeriodSeconds")
    non_negative(where, grace, "spec.template.spec.terminationGracePeriodSeconds")
    return float(as_int(grace, 30))


# placement ------------------------------------------------------------------------------
def placement(where: Where, pod: dict[str, Any]) -> PodPlacement:
    """The pod template's tolerations, nodeSelector, required node affinity, hostNetwork and nodeName."""
    base = "spec.template.spec"
    tolerations = tuple(_toleration(where, as_map(t), f"{base}.tolerations[{i}]")
                        for i, t in enumerate(as_list(pod.get("tolerations"))))
    node_selector = {k: as_text(v) for k, v in as_map(pod.get("nodeSelector")).items()}
    for key, value in node_selector.items():  # ValidateLabels
        problem = label_key_problem(key) or label_value_problem(value)
        if problem:
            raise where.error(f"{base}.nodeSelector", problem, f"{base}.nodeSelector.{key}")
    affinity = as_map(as_map(pod.get("affinity")).get("nodeAffinity"))
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    terms: tuple[NodeSelectorTerm, ...] = ()
    if required is not None:
        path = f"{base}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
        raw_terms = as_list(as_map(required).get("nodeSelectorTerms"))
        if not raw_terms:
            raise where.error(path, "must have at least one node selector term")
        terms = tuple(_node_selector_term(where, as_map(t), f"{path}[{j}]") for j, t in enumerate(raw_terms))
    _preferred(where, affinity.get("preferredDuringSchedulingIgnoredDuringExecution"),
               f"{base}.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution")
    return PodPlacement(node_selector=node_selector, required_node_affinity=terms, tolerations=tolerations,
                        host_network=bool(pod.get("hostNetwork")), node_name=as_text(pod.get("nodeName")))


def _preferred(where: Where, preferred: Any, path: str) -> None:
    """``validatePreferredSchedulingTerms``: each term's weight in 1-100, its preference a valid node
    selector term (audit 34: a weight of 500 was accepted). Checked only: a DaemonSet pod's node is
    chosen for it, so a preference changes nothing the model does.
    """
    for j, term in enumerate(as_list(preferred)):
        term = as_map(term)
        if not 1 <= as_int(term.get("weight"), 0) <= 100:
            raise where.error(f"{path}[{j}].weight", f"must be in the range 1-100, got {show(term.get('weight'))}")
        _node_selector_term(where, as_map(term.get("preference")), f"{path}[{j}].preference")


def _toleration(where: Where, t: dict[str, Any], path: str) -> Toleration:
    """``ValidateTolerations``; tolerationSeconds is checked and otherwise ignored."""
    key, op, value, effect = (as_text(t.get(k)) for k in ("key", "operator", "value", "effect"))
    if key and (problem := label_key_problem(key)):  # ValidateLabelName, as for a nodeSelector's key
        raise where.error(f"{path}.key", problem)
    if op not in ("", "Equal", "Exists"):
        raise where.error(f"{path}.operator", f"must be Equal or Exists, got {show(op)}")
    if not key and op != "Exists":
        raise where.error(f"{path}.operator", "must be Exists when `key` is empty, which means \"match all "
                                              "values and all keys\"")
    if op == "Exists" and value:
        raise where.error(f"{path}.value", "must be empty when `operator` is 'Exists'")
    if effect not in ("", "NoSchedule", "PreferNoSchedule", "NoExecute"):
        raise where.error(f"{path}.effect", f"must be NoSchedule, PreferNoSchedule or NoExecute, got {show(effect)}")
    if t.get("tolerationSeconds") is not None and effect != "NoExecute":
        raise where.error(f"{path}.effect", "must be 'NoExecute' when `tolerationSeconds` is set")
    return Toleration(key, op or "Equal", value, effect)


def _node_selector_term(where: Where, term: dict[str, Any], path: str) -> NodeSelectorTerm:
    """``ValidateNodeSelectorTerm``: each requirement checked where the API server checks it, then built."""
    parts: dict[str, tuple[NodeSelectorRequirement, ...]] = {}
    for name in ("matchExpressions", "matchFields"):
        check = _check_label_requirement if name == "matchExpressions" else _check_field_requirement
        reqs = []
        for i, r in enumerate(as_list(term.get(name))):
            r = as_map(r)
            key, op = as_text(r.get("key")), as_text(r.get("operator"))
            values = tuple(as_text(v) for v in as_list(r.get("values")))
            check(where, key, op, values, f"{path}.{name}[{i}]")
            try:
                reqs.append(NodeSelectorRequirement(key, op, values))
            except ValueError as exc:
                raise where.error(f"{path}.{name}[{i}]", str(exc)) from None
        parts[name] = tuple(reqs)
    return NodeSelectorTerm(parts["matchExpressions"], parts["matchFields"])  # its matchFields rules checked above


def _check_label_requirement(where: Where, key: str, op: str, values: tuple[str, ...], path: str) -> None:
    """``ValidateNodeSelectorRequirement``: the operator's number of values, then the label rules: the
    key is a label key, and the values of ``In``/``NotIn`` are label values (the API server refuses
    others on a new object).
    """
    if op in ("In", "NotIn") and not values:
        raise where.error(f"{path}.values", "must be specified when `operator` is 'In' or 'NotIn'")
    if op in ("Exists", "DoesNotExist") and values:
        raise where.error(f"{path}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
    if op in ("Gt", "Lt") and len(values) != 1:
        raise where.error(f"{path}.values", "must be specified single value when `operator` is 'Lt' or 'Gt'")
    if op not in NODE_SELECTOR_OPERATORS:
        raise where.error(f"{path}.operator", f"must be one of {', '.join(NODE_SELECTOR_OPERATORS)}, got {show(op)}")
    if key and (problem := label_key_problem(key)):
        raise where.error(f"{path}.key", problem)
    for j, value in enumerate(values if op in ("In", "NotIn") else ()):
        if problem := label_value_problem(value):
            raise where.error(f"{path}.values[{j}]", problem)


def _check_field_requirement(where: Where, key: str, op: str, values: tuple[str, ...], path: str) -> None:
    """``ValidateNodeFieldSelectorRequirement``: operator In or NotIn with exactly one value, the key
    ``metadata.name`` and the value a node name (``ValidateNodeName``), in the API server's order.
    """
    if op not in ("In", "NotIn"):
        raise where.error(f"{path}.operator", f"must be In or NotIn for a node field selector, got {show(op)}")
    if len(values) != 1:
        got = f"{len(values)} values: {flow(list(values))}" if values else "none"
        raise where.error(f"{path}.values", "must be only one value when `operator` is 'In' or 'NotIn' for node "
                                            f"field selector (got {got})")
    if key != FIELD_NODE_NAME:
        raise where.error(f"{path}.key", f"not a valid field selector key: must be {FIELD_NODE_NAME}, got {show(key)}")
    if not is_dns_subdomain(values[0]):
        raise where.error(f"{path}.values[0]", f"invalid node name {show(values[0])}: {DNS_SUBDOMAIN_RULE}")


# containers -----------------------------------------------------------------------------
def readiness_probe(where: Where, containers: list[Any]) -> ReadinessProbe | None:
    """The containers' readiness probes, defaulted and checked, combined into one.

    A pod is Ready when its last container is. With several probes rollsim takes each
    timing's maximum over them (initialDelaySeconds, periodSeconds, successThreshold,
    failureThreshold): a pessimistic stand-in for the slowest container, exact when one
    container has a probe. None when no container has one.
    """
    probes = []
    for i, c in enumerate(containers):
        probe = as_map(c).get("readinessProbe")
        if probe is None:
            continue
        path = f"spec.template.spec.containers[{i}].readinessProbe"
        handlers = [h for h in _PROBE_HANDLERS if probe.get(h) is not None]
        if not handlers:
            raise where.error(path, "must specify a handler type (exec, httpGet, tcpSocket or grpc)")
        if len(handlers) > 1:
            raise where.error(f"{path}.{handlers[1]}", "may not specify more than 1 handler type")
        values = {}
        for name, default in _PROBE_FIELDS:
            non_negative(where, probe.get(name), f"{path}.{name}")
            values[name] = as_int(probe.get(name), 0) or default
        probes.append(values)
    if not probes:
        return None
    top = {name: max(p[name] for p in probes) for name, _ in _PROBE_FIELDS}
    return ReadinessProbe(float(top["initialDelaySeconds"]), float(top["periodSeconds"]),
                          top["successThreshold"], top["failureThreshold"])


def host_ports(where: Where, pod: dict[str, Any], containers: list[Any]) -> tuple[int, ...]:
    """Host ports, with hostNetwork's default (hostPort = containerPort); duplicates are rejected."""
    host_network = bool(pod.get("hostNetwork"))
    seen: set[tuple[int, str, str]] = set()
    ports: list[int] = []
    for i, c in enumerate(containers):
        for j, port in enumerate(as_list(as_map(c).get("ports"))):
            port, path = as_map(port), f"spec.template.spec.containers[{i}].ports[{j}]"
            container_port, host_port = as_int(port.get("containerPort"), 0), as_int(port.get("hostPort"), 0)
            if not is_port(container_port):
                raise where.error(f"{path}.containerPort", f"must be between 1 and {MAX_PORT}, inclusive, got "
                                                           f"{container_port}")
            if host_network and host_port == 0:
                host_port = container_port
            elif host_network and host_port != container_port:
                raise where.error(f"{path}.hostPort", "must match `containerPort` when `hostNetwork` is true")
            if host_port == 0:
                continue
            if not is_port(host_port):
                raise where.error(f"{path}.hostPort", f"must be between 1 and {MAX_PORT}, inclusive, got {host_port}")
            key = (host_port, as_text(port.get("protocol")) or "TCP", as_text(port.get("hostIP")))
            if key in seen:
                raise where.error(f"{path}.hostPort", f"duplicate host port {host_port}/{key[1]}")
            seen.add(key)
            if host_port not in ports:
                ports.append(host_port)
    return tuple(ports)


# priority -------------------------------------------------------------------------------
def priority(where: Where, pod: dict[str, Any]) -> tuple[str, int | None, str]:
    """The pod template's ``priorityClassName``, priority and ``preemptionPolicy``, as the Priority
    admission plugin (``establishPriority``) will set them on the DaemonSet's pods.

    The priority is ``spec.priority`` when the template has it, else a built-in class's value
    (``system-node-critical``, ``system-cluster-critical``), else None for another class (a cluster
    object the manifest cannot tell), else 0 (no class: rollsim does not know the cluster's
    ``globalDefault`` class). The plugin forbids every pod whose ``priority`` or ``preemptionPolicy``
    differs from what it computed from the class; for the built-in classes (value above,
    ``PreemptLowerPriority``) that is checked here, as the DaemonSet could never create a pod.
    """
    base = "spec.template.spec"
    class_name, given = as_text(pod.get("priorityClassName")), pod.get("priority")
    if class_name and not is_dns_subdomain(class_name):
        raise where.error(f"{base}.priorityClassName", f"invalid name {show(class_name)}: a lowercase RFC 1123 "
                                                       "subdomain must consist of lower case alphanumeric characters, "
                                                       "'-' or '.' (at most 253)")
    given_policy = pod.get("preemptionPolicy")  # only an absent (or null) one is defaulted: "" is refused
    policy = PREEMPT_LOWER_PRIORITY if given_policy is None else as_text(given_policy)
    if policy not in PREEMPTION_POLICIES:
        raise where.error(f"{base}.preemptionPolicy", f"Unsupported value: {show(policy)}: supported values: "
                                                      + ", ".join(f'"{p}"' for p in sorted(PREEMPTION_POLICIES)))
    builtin = builtin_priority(class_name)
    if builtin is not None and given is not None and int(given) != builtin:
        raise where.error(f"{base}.priority", f"must be {builtin} or unset with priorityClassName {class_name}: the "
                                              f"Priority admission plugin forbids every pod whose priority ({given}) "
                                              "differs from its class's")
    if builtin is not None and policy != PREEMPT_LOWER_PRIORITY:
        raise where.error(f"{base}.preemptionPolicy", f"must be {PREEMPT_LOWER_PRIORITY} or unset with "
                                                      f"priorityClassName {class_name}: the Priority admission plugin "
                                                      f"forbids every pod whose preemptionPolicy ({policy}) differs "
                                                      "from its class's")
    value = int(given) if given is not None else builtin if builtin is not None else None if class_name else 0
    return class_name, value, policy
