"""What a recommendation must also say when it surges (audit 39, on fluentd-1000's "Use maxSurge 10%"):
the whole ``updateStrategy`` to apply, what the runs did not check (whether each node has room for a
second pod), what the strategy does with a new image that never becomes available, and the
configuration to fall back on where a second agent cannot run beside the first.

Each function takes the study's ``Results`` and a configuration's scenario description (its
``experiment.yaml`` entry: ``strategy``, ``max_unavailable``, ``max_surge``, ``host_paths``, ...)
and returns report spans (``rollsim.present.render``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rollsim.present.render import format_number
from rollsim.present.summary_rows import num
from rollsim.spec.budget import is_zero
from rollsim.spec.volumes import parse_host_path
from rollsim.sweep.slo import Constraint, Recommendation, recommend

__all__ = ["apply_spans", "stall_words", "surges", "unfitted_words", "without_surge"]

Spans = list[tuple[str, str]]


def surges(scenario: Mapping[str, Any]) -> bool:
    """Whether a configuration runs a second pod on a node during its update: a RollingUpdate whose
    ``maxSurge`` is not zero (OnDelete never creates a pod before the old one is gone).
    """
    return scenario.get("strategy") == "RollingUpdate" and not is_zero(scenario.get("max_surge", 0))


def apply_spans(scenario: Mapping[str, Any]) -> Spans:
    """``Apply it as updateStrategy: {...}``: the configuration's ``spec.updateStrategy`` as the manifest
    writes it, every field given (``maxSurge: 10%`` pasted alone leaves maxUnavailable at its default,
    1, another strategy), and minReadySeconds where it is set; [] for a strategy it cannot write.
    """
    strategy = scenario.get("strategy")
    if strategy == "OnDelete":
        spans: Spans = [("b", "Apply it as "), ("code", "updateStrategy: {type: OnDelete}"),
                        ("", ", the old pods deleted as its deleter did")]
    elif strategy == "RollingUpdate":
        spans = [("b", "Apply it as "), ("code", f"updateStrategy: {{type: RollingUpdate, rollingUpdate: "
                 f"{{maxUnavailable: {scenario.get('max_unavailable')}, maxSurge: {scenario.get('max_surge')}}}}}")]
    else:
        return []
    if num(scenario.get("min_ready_seconds")) > 0:
        spans += [("", " and "), ("code", f"minReadySeconds: {format_number(num(scenario.get('min_ready_seconds')))}")]
    return [*spans, ("", ".")]


def unfitted_words(scenario: Mapping[str, Any]) -> str:
    """That whether each node has room for the surge pod was not simulated, where the nodes were
    given no allocatable (the description's ``requests_fitted: false``); "" otherwise.
    """
    if not surges(scenario) or scenario.get("requests_fitted") is not False:
        return ""
    return (" Whether each node has room for the surge pod beside the old one was not simulated: the nodes were "
            "given no allocatable cpu or memory, so every pod fit. Where a node lacks it, the surge pod stays "
            "Pending and the rollout waits on that node (the surge-fit study; give pools or a node list with "
            "allocatable to simulate it).")


def stall_words(scenario: Mapping[str, Any], budget: int | None) -> str:
    """What a surge with maxUnavailable 0 does with new pods that never become available, where the
    runs had healthy ones: ``rollingUpdate`` (pkg/controller/daemon/update.go) deletes a node's old
    pod only once its new pod is available (``IsPodAvailable``), and creates new pods only within
    the surge budget (``budget`` pods), so the rollout stalls with every old agent running.
    """
    if not surges(scenario) or not is_zero(scenario.get("max_unavailable", 1)) \
            or scenario.get("new_pods", "healthy") != "healthy":
        return ""
    held = f"up to {format_number(budget)} nodes" if budget else "the nodes of its surge budget"
    return (" With maxUnavailable 0 the controller deletes a node's old pod only once its new one is available, so "
            "a new image whose pods never become available (a crash loop) stalls the rollout with every old agent "
            f"still running, {held} holding a failing new pod beside it, until someone rolls back (the bad-image "
            "study).")


def _written_paths(scenario: Mapping[str, Any]) -> list[str]:
    """The paths of the hostPath volumes the pod template mounts read-write."""
    return [v.path for v in map(parse_host_path, scenario.get("host_paths") or []) if not v.read_only]


def without_surge(configs: Sequence[Mapping[str, Any]], scenarios: Mapping[str, Mapping[str, Any]],
                  constraints: Sequence[Constraint], recommended: Mapping[str, Any]
                  ) -> tuple[Recommendation, str] | None:
    """The fallback of a surge recommendation: ``recommend`` over the configurations that do not
    surge (``configs`` as ``recommend`` takes them, ``scenarios`` by label), with why one might need
    it (a second agent that cannot run beside the first: the read-write hostPath volumes the two
    pods of a node share while they overlap; nodes without room for it). None when the recommended
    configuration (``recommended``, its scenario) does not surge, or the study ran no configuration
    that does not.
    """
    if not surges(recommended):
        return None
    plain = [c for c in configs if not surges(scenarios.get(str(c["label"]), {}))]
    if not plain:
        return None
    written = _written_paths(recommended)
    shared = ""
    if written:
        volumes = "volume" if len(written) == 1 else "volumes"
        shared = f" (the two share the read-write hostPath {volumes} {', '.join(written)} while they overlap)"
    why = f"where a second agent cannot run on a node beside the first{shared}, or nodes lack room for it"
    return recommend(plain, list(constraints)), why
