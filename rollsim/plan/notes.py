"""What a plan's answer notes beside its setting (plan.json ``answer.note``): what the patch does to
an OnDelete DaemonSet, the stall a surge with minReadySeconds can meet, why the patch writes a count
where the label gives a percent, a budget that keeps the floor only through pods stuck on unreachable
nodes, a minReadySeconds lowered below the DaemonSet's own, and what durations count beside NotReady
nodes the DaemonSet should run on. Each returns its sentence, or None where it has nothing to say;
``answer_note`` joins them.
"""

from __future__ import annotations

from rollsim.plan.candidates import SURGE, UNAVAILABLE, Setting, as_int_or_percent, patch_value
from rollsim.plan.evidence import Evidence
from rollsim.plan.stalls import can_stall
from rollsim.present.render import count_of, format_share
from rollsim.spec.budget import scaled_value
from rollsim.spec.scenario import Scenario
from rollsim.spec.startstate import held_for_good
from rollsim.sweep.slo import floor_nodes

__all__ = ["ON_DELETE_NOTE", "answer_note", "edge_note", "held_budget_note", "min_ready_note", "not_ready_note",
           "surge_wake_note"]

# the patch sets updateStrategy.type: what it does to a DaemonSet whose pods an operator replaces
ON_DELETE_NOTE = ("the DaemonSet uses OnDelete: this patch switches it to RollingUpdate, so the controller replaces "
                  "its pods itself, starting when the patch is applied")


def surge_wake_note(chosen: Evidence, scenario: Scenario) -> str | None:
    """With maxSurge and minReadySeconds a rollout can stall, in the real controller as in
    realistic mode (README, "With maxSurge and minReadySeconds it can stall a rollout"): a node's
    old pod stays beside its available new one when the one re-check it asked for was dropped
    by the delaying queue. Say why, and what lets such a rollout finish; how often the family's
    runs stalled is the answer's stall risk (``rollsim.plan.stalls``).
    """
    s = chosen.setting
    if not can_stall(s.family, scenario.controller):
        return None
    return (f"with maxSurge and minReadySeconds {s.min_ready_seconds:g} the real controller can stall: when the "
            "re-check a node's new pod asks for is dropped, its old pod stays beside the available new one until "
            "another event or the informers' resync, 12–24 h on (README, \"With maxSurge and minReadySeconds it can "
            "stall\"); if a rollout stalls so, deleting the old pod by hand (or any event of the DaemonSet's) lets "
            "it finish")


def edge_note(setting: Setting, desired: int, limit: int | None = None) -> str | None:
    """Why the patch writes a count where the setting's label gives a percent (``patch_value``), or None."""
    shown, written = as_int_or_percent(setting.count, desired), patch_value(setting, desired, limit)
    if shown == written:
        return None
    more = scaled_value(str(shown), desired + 1)
    if setting.kind == SURGE:
        return (f"the patch writes maxSurge {written}, not {shown}: {shown} of {desired + 1:,} nodes is {more:,}, "
                f"so one node more (a NotReady node back, a node added) would ask for more surge pods at once than "
                f"the surge budget allows ({limit:,})")
    return (f"the patch writes maxUnavailable {written}, not {shown}: {shown} of {desired + 1:,} nodes is {more:,}, "
            "so one node more would take down one more at once than the plan measured")


def min_ready_note(setting: Setting, scenario: Scenario) -> str | None:
    """Where the answer lowers the DaemonSet's own minReadySeconds (``--min-ready-seconds`` let it):
    what that guard is for, which the runs cannot weigh (audit 40: 10 s went to 0 unsaid).
    """
    own = scenario.daemonset.min_ready_seconds
    if setting.min_ready_seconds >= own:
        return None
    faults = scenario.new_pods.any
    return (f"minReadySeconds {setting.min_ready_seconds:g} lowers the DaemonSet's own {own:g}: a pod then counts "
            "available as soon as it is Ready, so a new pod that crashes just after Ready is replaced on the next "
            "node before anything notices"
            + ("" if faults else "; the runs' new pods are healthy, so they weigh only the time it saves, not "
                                 "that guard"))


def not_ready_note(chosen: Evidence, not_ready: int) -> str | None:
    """Where the answer's runs were judged done before NotReady nodes the DaemonSet should run on
    (``evidence.healthy_view``): what its durations count, and what ``kubectl rollout status`` does.
    """
    if not any(s.get("healthy_only") for s in chosen.summaries):
        return None
    nodes = count_of(not_ready, "NotReady node") if not_ready else "NotReady nodes"
    return (f"the {nodes} the DaemonSet should run on never get an available new pod, in any setting: the "
            "durations are until every other node is updated, and kubectl rollout status does not return (nor "
            "does the status count the update done) until they come back or their Node objects are deleted; "
            "while NotReady they count unavailable in the floor"
            + (", and against maxUnavailable" if chosen.setting.kind == UNAVAILABLE else ""))


def held_budget_note(setting: Setting, scenario: Scenario, floor: float, desired: int) -> str | None:
    """Where a maxUnavailable answer keeps the floor only thanks to old pods stuck terminating on
    unreachable nodes that are no longer desired (``held_for_good``): they hold part of the budget
    for as long as they stay, and should they go during the rollout (the Node objects deleted, the
    nodes back) the whole budget is spent on desired nodes (audit 40: maxUnavailable 60 of 1,112
    kept 95% with 7 such pods, 94.6% without them). None where the budget keeps the floor either way.
    """
    held = held_for_good(scenario) if setting.kind == UNAVAILABLE else 0
    allowed = desired - floor_nodes(floor, desired)  # nodes the floor lets be down at once
    if not held or setting.count <= allowed:
        return None
    worst = (desired - setting.count) / desired
    return (f"maxUnavailable {setting.count:,} keeps the floor only while the old pods of the "
            f"{count_of(held, 'unreachable node')} (Ready=Unknown, no longer desired) stay terminating: they hold "
            f"{held:,} of its {setting.count:,}; should they go during the rollout (the Node objects deleted, or the "
            f"nodes back), up to {setting.count:,} of the {desired:,} desired nodes can be down at once, "
            f"{format_share(worst, [floor])} available against the floor's {format_share(floor)}; "
            + (f"maxUnavailable {allowed:,} keeps it either way" if allowed >= 1 else
               "only a surge (maxUnavailable 0) keeps it either way"))


def answer_note(chosen: Evidence, scenario: Scenario, floor: float, desired: int, limit: int | None,
                not_ready: int) -> str | None:
    """Every note of the answer ``chosen`` that has something to say, joined; None when none has
    (``limit``: the most surge pods with one node more, ``document.surge_limit``; ``not_ready``: the
    NotReady nodes the DaemonSet should run on).
    """
    s = chosen.setting
    notes = (ON_DELETE_NOTE if not scenario.daemonset.strategy.rolling else None, surge_wake_note(chosen, scenario),
             edge_note(s, desired, limit), held_budget_note(s, scenario, floor, desired),
             min_ready_note(s, scenario), not_ready_note(chosen, not_ready))
    return "; ".join(n for n in notes if n) or None
