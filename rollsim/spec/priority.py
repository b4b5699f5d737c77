"""Pod priority: the built-in PriorityClasses, ``preemptionPolicy``, and who may preempt whom.

A pod's priority is ``spec.priority``, which the Priority admission plugin
(``plugin/pkg/admission/priority``) sets from the PriorityClass that ``priorityClassName``
names (``establishPriority``). Two classes are built in (``pkg/apis/scheduling``:
``SystemNodeCritical``, ``SystemClusterCritical``); any other class is a cluster object whose
value a DaemonSet manifest cannot tell. A pod without a class gets the cluster's
``globalDefault`` class, or 0 when there is none (``DefaultPriorityWhenNoDefaultClassExists``);
rollsim takes 0. The scheduler lets a pod preempt only pods of strictly lower priority
(``isPreemptionAllowed`` in ``defaultpreemption``), and never when its ``preemptionPolicy`` is
``Never`` (``PodEligibleToPreemptOthers``).
"""

from __future__ import annotations

__all__ = [
    "SYSTEM_NODE_CRITICAL", "SYSTEM_CLUSTER_CRITICAL", "BUILTIN_PRIORITY_CLASSES", "SYSTEM_CRITICAL_PRIORITY",
    "PREEMPT_LOWER_PRIORITY", "PREEMPT_NEVER", "PREEMPTION_POLICIES", "builtin_class", "builtin_priority",
    "may_preempt", "is_critical",
]

SYSTEM_CRITICAL_PRIORITY = 2_000_000_000  # scheduling.SystemCriticalPriority: critical pods start here
SYSTEM_NODE_CRITICAL = "system-node-critical"
SYSTEM_CLUSTER_CRITICAL = "system-cluster-critical"
BUILTIN_PRIORITY_CLASSES = {SYSTEM_NODE_CRITICAL: SYSTEM_CRITICAL_PRIORITY + 1000,  # 2000001000
                            SYSTEM_CLUSTER_CRITICAL: SYSTEM_CRITICAL_PRIORITY}
PREEMPT_LOWER_PRIORITY, PREEMPT_NEVER = "PreemptLowerPriority", "Never"  # core/v1 PreemptionPolicy
PREEMPTION_POLICIES = (PREEMPT_LOWER_PRIORITY, PREEMPT_NEVER)


def builtin_priority(class_name: str) -> int | None:
    """The value of a built-in PriorityClass, or None for any other name."""
    return BUILTIN_PRIORITY_CLASSES.get(class_name)


def builtin_class(priority: int | None) -> str | None:
    """The built-in PriorityClass whose value ``priority`` is (``system-node-critical`` for
    2000001000), or None: how a manifest names that priority (``priorityClassName``).
    """
    return next((name for name, value in BUILTIN_PRIORITY_CLASSES.items() if value == priority), None)


def may_preempt(priority: int | None, policy: str, victims_priority: int) -> bool:
    """Whether a pod of ``priority`` and ``preemptionPolicy`` ``policy`` may preempt pods of
    ``victims_priority``: ``PodEligibleToPreemptOthers`` (not ``Never``) and ``isPreemptionAllowed``
    (the victims' priority strictly lower). An unknown priority (None) is taken as 0.
    """
    return policy != PREEMPT_NEVER and victims_priority < (priority or 0)


def is_critical(priority: int | None) -> bool:
    """Mirrors ``kubelettypes.IsCriticalPod`` for a DaemonSet's pod (neither static nor mirror): its
    priority at least ``SystemCriticalPriority``, as the kubelet's eviction manager, which neither
    evicts nor rejects such a pod, reads it. An unknown priority (None) is taken as 0.
    """
    return (priority or 0) >= SYSTEM_CRITICAL_PRIORITY
