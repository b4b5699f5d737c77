"""The Kubernetes version switch: each version-dependent rule, both sides, and nothing else.

* Inclusive availability from v1.34 (kubernetes/kubernetes#132122), in ``is_pod_available``,
  the index's timers and so in the rollout's closed form. The issue's measurements against the
  real v1.36 controller (10 nodes, maxUnavailable 1, minReadySeconds 10, a 15 s cycle: 250 s;
  100 nodes, maxUnavailable 3: 850 s) are the closed form ``ceil(N / k) * (cycle + M)``; up to
  v1.33 it is ``ceil(N / k) * (cycle + M + 1)`` (260 s and 884 s).
* The ``StaleControllerConsistencyDaemonSet`` gate from v1.36 (KEP-5647,
  kubernetes/kubernetes#134937): no sync acts before the informers have read its own writes.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
import simpy
from rollsim import build_scenario, simulate
from rollsim.cluster.apiserver import ApiPodControl, ApiServer
from rollsim.cluster.nodestore import NodeStore
from rollsim.controller.classify import classify_node
from rollsim.controller.consistency import DAEMONSETS, PODS, ConsistencyStore
from rollsim.controller.daemon import DaemonSetController, StaleCacheError
from rollsim.controller.index import NodeIndex
from rollsim.controller.pods import RUNNING, Pod, is_pod_available
from rollsim.spec.node import Node, PodPlacement, uniform_nodes
from rollsim.spec.options import OptionError
from rollsim.spec.scenario import ControllerSettings, UpdateStrategy
from rollsim.spec.versions import (
    SUPPORTED_VERSIONS,
    VersionRules,
    cluster_version,
    kubelet_skew,
    newer_differences,
    older_differences,
    parse_version,
    rules_for,
)

CYCLE = 15.0  # delete -> Ready on the same node: the app is ready 15 s after its start
CONSTANT = dict(schedule=0, pull=0, start=0, ready=CYCLE, terminate=0, probe_period=0)


# -- the switch ------------------------------------------------------------------------------

def test_rules_by_version() -> None:
    assert rules_for("1.33") == VersionRules(inclusive_availability=False, stale_consistency_gate=False,
                                             pod_level_resources=False, backoff_error_carries_expiry=False)
    assert rules_for("1.34") == VersionRules(True, False, backoff_error_carries_expiry=False)
    assert rules_for("1.35") == VersionRules(True, False)
    assert rules_for("1.36") == rules_for("1.37") == VersionRules(True, True)  # v1.37 changed none of them
    assert ControllerSettings().kubernetes_version == "1.37" == SUPPORTED_VERSIONS[-1]


@pytest.mark.parametrize(("minor", "differs"), [
    (32, ("#130514", "SchedulerPopFromBackoffQ")),
    (31, ("#130514", "SchedulerPopFromBackoffQ", "SchedulerQueueingHints", "40 s")),
    (30, ("#130514", "SchedulerPopFromBackoffQ", "SchedulerQueueingHints", "40 s", "#123233")),
    (22, ("#130514", "SchedulerPopFromBackoffQ", "SchedulerQueueingHints", "40 s", "#123233")),
    (21, ("#130514", "SchedulerPopFromBackoffQ", "SchedulerQueueingHints", "40 s", "#123233",
          "DaemonSetUpdateSurge"))])
def test_an_older_cluster_is_told_what_differs_from_the_rules_it_gets(minor, differs) -> None:
    """Clamped to 1.33's rules, a cluster is told what its own controllers do otherwise, and only that."""
    found = older_differences(minor)
    assert len(found) == len(differs) and all(d in f for d, f in zip(differs, found))
    version, note = cluster_version(f"v1.{minor}.3")
    assert version == "1.33" and note.startswith(f"the cluster runs v1.{minor}.3, older than the oldest modelled "
                                                 f"version: the rules of 1.33 apply, but on v1.{minor} ")
    assert note.endswith("; ".join(found))
    assert older_differences(33) == () and cluster_version("v1.33.0") == ("1.33", None)


@pytest.mark.parametrize("given", ["1.36", 1.36, "v1.36", "1.36.2", "v1.36.2-gke.100", "1.36-eks", " 1.36"])
def test_version_spellings(given) -> None:
    assert parse_version(given) == "1.36"


@pytest.mark.parametrize(("bad", "hint"), [
    ("1.32", r"; for an older cluster give 1\.33 \(a live cluster of 1\.32 gets"),
    ("1.38", "; for a newer cluster give 1.37")])
def test_a_version_outside_the_range_is_offered_the_nearest(bad, hint) -> None:
    """Audit 7: a live 1.32 cluster got the nearest rules, a user with a manifest was told only no."""
    with pytest.raises(ValueError, match=hint):
        parse_version(bad)


@pytest.mark.parametrize("bad", ["1.32", "1.38", "2.0", "latest", 1.3])
def test_unmodelled_versions_are_rejected(bad) -> None:
    with pytest.raises(OptionError) as err:
        build_scenario(kubernetes_version=bad)
    assert err.value.options == ("kubernetes_version",)


def test_versions_with_the_same_rules_give_the_same_run() -> None:
    """The switch changes exactly the rules it names: 1.34 and 1.35 share theirs."""
    common = dict(nodes=40, max_unavailable=3, min_ready_seconds=3)
    a = simulate(build_scenario(kubernetes_version="1.34", **common), seed=4)
    b = simulate(build_scenario(kubernetes_version="1.35", **common), seed=4)
    assert a.summary == b.summary


# -- inclusive availability (v1.34, kubernetes/kubernetes#132122) ----------------------------

def ready_pod(since: float) -> Pod:
    return Pod(1, 0, 1, 0.0, scheduled=True, phase=RUNNING, ready=True, ready_since=since)


def test_is_pod_available_at_exactly_min_ready_seconds() -> None:
    """Upstream ``TestIsPodAvailable``'s boundary case, both sides of the change."""
    pod = ready_pod(since=100.0)
    assert is_pod_available(pod, 10, 110.0, inclusive=True)
    assert not is_pod_available(pod, 10, 110.0, inclusive=False)
    assert is_pod_available(pod, 10, 110.5, inclusive=False)
    assert not is_pod_available(pod, 10, 109.9, inclusive=True)
    assert is_pod_available(pod, 0, 100.0, inclusive=False)  # minReadySeconds 0: Ready is enough


@pytest.mark.parametrize(("inclusive", "available_at_flip"), [(True, 1), (False, 0)])
def test_index_timer_fires_at_the_flip_by_the_same_comparison(inclusive, available_at_flip) -> None:
    pod, now = ready_pod(since=0.0), [0.0]
    index = NodeIndex(lambda _n: classify_node([pod], True, True, True, 1, 10.0, False, now[0], inclusive),
                      [0.0], inclusive)
    index.mark(0)
    assert index.refresh(5.0).totals["available"] == 0
    now[0] = 10.0
    assert index.refresh(10.0).totals["available"] == available_at_flip
    now[0] = 10.5
    assert index.refresh(10.5).totals["available"] == 1


@pytest.mark.parametrize(("nodes", "k", "v136", "v133"), [(10, 1, 250.0, 260.0), (100, 3, 850.0, 884.0)])
@pytest.mark.parametrize("reference", [False, True])
def test_the_issue_figures_in_closed_form(nodes, k, v136, v133, reference) -> None:
    """ceil(N / k) rounds of (cycle + M) from v1.34, of (cycle + M + 1) before."""
    m, rounds = 10.0, math.ceil(nodes / k)
    common = dict(nodes=nodes, max_unavailable=k, min_ready_seconds=m, controller="ideal", **CONSTANT)
    for version, expected in (("1.36", v136), ("1.35", v136), ("1.34", v136), ("1.33", v133)):
        s = simulate(build_scenario(kubernetes_version=version, **common), reference=reference).summary
        assert s["completed"]
        assert s["duration_s"] == pytest.approx(expected)
    assert v136 == rounds * (CYCLE + m) and v133 == rounds * (CYCLE + m + 1)


def test_realistic_v136_is_within_a_second_per_round_of_the_measured_figure() -> None:
    """Realistic mode (watch delays, API latency, whole-second timestamps, the consistency gate)
    against the issue's 250 s: a round costs the cycle plus M plus a few watch delays, less the
    up to 1 s that whole-second lastTransitionTimes give back."""
    s = simulate(build_scenario(nodes=10, max_unavailable=1, min_ready_seconds=10, **CONSTANT), seed=0).summary
    assert 10 * (CYCLE + 10 - 1) <= s["duration_s"] < 10 * (CYCLE + 10 + 1)


@pytest.mark.parametrize("seed", [0, 1])
def test_in_realistic_mode_the_inclusive_rule_changes_nothing(seed) -> None:
    """The 250 s against 260 s is ideal mode's: a realistic re-check at minReadySeconds comes after
    a sync that saw the pod Ready late by the watch delay and API latency, so it finds the pod
    available under the strict rule too, and v1.33 and v1.35 (which differ in that rule alone) give
    the same rollout, with whole-second timestamps or without. With no delay at all they differ.
    """
    common = dict(nodes=10, max_unavailable=1, min_ready_seconds=10, **CONSTANT)
    for whole_seconds in (True, False):
        runs = [simulate(build_scenario(kubernetes_version=v, whole_second_timestamps=whole_seconds, **common),
                         seed=seed).summary for v in ("1.33", "1.35")]
        assert runs[0] == runs[1]
    instant = dict(watch_delay="constant(0)", api_latency="constant(0)", **common)
    undelayed = [simulate(build_scenario(kubernetes_version=v, **instant), seed=seed).summary["duration_s"]
                 for v in ("1.33", "1.35")]
    assert undelayed[0] > undelayed[1] + 5


# -- the consistency gate (v1.36, KEP-5647, kubernetes/kubernetes#134937) ---------------------

def test_consistency_store_mirrors_is_ready() -> None:
    store = ConsistencyStore()
    assert store.is_ready()  # nothing written
    store.wrote_at(PODS, 5)
    store.wrote_at(DAEMONSETS, 6)
    store.read_at(PODS, 7)
    assert not store.is_ready()  # the status write (6) is not read yet
    store.read_at(DAEMONSETS, 6)
    assert store.is_ready() and store.skips == 1
    store.wrote_at(PODS, 9)
    store.read_at(PODS, 8)
    assert not store.is_ready()


def test_consistency_store_keeps_the_highest_version_written_and_read() -> None:
    """Upstream ``WroteAt`` keeps the latest written version only if it is greater than the one
    recorded, and ``ReadAt`` raises the read mark (``RaiseTo``): an event delivered late, at an
    older version, does not lower it.
    """
    store = ConsistencyStore()
    store.wrote_at(PODS, 5)
    store.wrote_at(PODS, 9)
    store.read_at(PODS, 5)
    assert not store.is_ready()  # 9 was written: reading 5 is not enough
    store.wrote_at(PODS, 7)  # a write acknowledged out of order does not lower the mark
    store.read_at(PODS, 8)
    assert not store.is_ready()
    store.read_at(PODS, 9)
    store.read_at(PODS, 7)  # late: the informer has read 9 already
    assert store.is_ready()


class _Writes:
    """Pod control for one node: each write gets the next resource version, recorded as WroteAt."""

    def __init__(self, store: ConsistencyStore) -> None:
        self.store, self.rv, self.creates = store, 0, 0

    def _next(self, resource: str) -> float:
        self.rv += 1
        self.store.wrote_at(resource, self.rv)
        return 0.0

    def create(self, node: int, revision: int) -> float:
        self.creates += 1
        return self._next(PODS)

    def delete(self, pod: Pod) -> float:
        return self._next(PODS)

    def write_status(self, status: dict[str, int]) -> float:
        return self._next(DAEMONSETS)


def _run(sync):
    try:
        while True:
            next(sync)
    except StopIteration as stop:
        return stop.value


@pytest.mark.parametrize("version", ["1.36", "1.35"])
def test_a_sync_waits_until_the_informer_has_read_its_own_writes(version) -> None:
    store = ConsistencyStore()
    writes = _Writes(store)
    c = DaemonSetController(nodes=[Node("a"), Node("b")], placement=PodPlacement(), strategy=UpdateStrategy(),
                            min_ready_seconds=0, pod_control=writes, clock=lambda: 0.0, requeue=lambda _d: None,
                            rank=[0.0, 1.0], rules=rules_for(version), consistency=store)
    assert _run(c.sync()) is None and writes.creates == 2  # two creates (rv 1, 2) and a status (rv 3)
    for uid, node in ((1, 0), (2, 1)):  # the pod informer delivers both creates
        store.read_at(PODS, uid)
        c.pod_added(Pod(uid, node, 0, 0.0))
    c.pod_deleted(1)  # someone else removed a pod: a sync would create it again at once
    if version == "1.36":
        assert isinstance(_run(c.sync()), StaleCacheError)  # the status write (rv 3) is unread
        assert writes.creates == 2
        store.read_at(DAEMONSETS, 3)
    assert _run(c.sync()) is None and writes.creates == 3


def test_the_store_records_creates_and_status_writes_but_not_deletes() -> None:
    """Through v1.37 a pod delete's response carries no version the store can wait for
    (kubernetes/kubernetes#138400; #138724 is in v1.38): ``WroteAt`` follows creates and status
    writes only, so after a delete alone the gate is open (audit 16).
    """
    env = simpy.Environment()
    api = ApiServer(env, NodeStore(uniform_nodes(2)))
    api.add_daemonset("ds")
    control = ApiPodControl(env, api, "ds", None, None)
    store = control.consistency = ConsistencyStore()
    old = api.seed_pod("ds", 0, 0, 0.0)
    control.delete(old)
    assert old.deleting and old.resource_version > 0 and not store.refuses()  # nothing recorded
    control.create(1, 1)
    created = api.pods_by_node[1][0]
    assert store.refuses()  # the create is unread
    store.read_at(PODS, created.resource_version)
    assert not store.refuses()
    control.write_status({"ready": 0})
    assert store.refuses()  # the status write is unread
    store.read_at(DAEMONSETS, api.daemonsets["ds"].resource_version)
    assert not store.refuses()


def test_a_newer_cluster_is_told_what_its_version_is_known_to_do_otherwise() -> None:
    """v1.38 (not modelled) waits for the controller's deletes as well (kubernetes/kubernetes#138724)."""
    assert newer_differences(37) == ()
    minor, warning = cluster_version("v1.38.1")
    assert minor == "1.37" and "#138724" in warning and "deletes" in warning
    assert newer_differences(39) == newer_differences(38) != ()


def test_the_gate_shows_in_realistic_runs_only_from_v136() -> None:
    common = dict(nodes=30, max_unavailable=2, min_ready_seconds=2)
    on = simulate(build_scenario(kubernetes_version="1.36", **common), seed=1).summary
    off = simulate(build_scenario(kubernetes_version="1.35", **common), seed=1).summary
    assert on["completed"] and off["completed"]
    assert on["stale_sync_skips"] > 0 and off["stale_sync_skips"] == 0
    assert on["sync_errors"] == off["sync_errors"] == 0
    ideal = simulate(build_scenario(controller="ideal", **common)).summary
    assert ideal["stale_sync_skips"] == 0  # writes are observed at once: never stale


def test_settings_realistic_switches_default_on() -> None:
    c = ControllerSettings()
    assert (c.queue_dedup, c.status_requeue, c.whole_second_timestamps, c.node_watch_delay) == (True, True, True, None)
    assert dataclasses.replace(c, node_watch_delay="constant(2)").node_watch_delay.mean == 2.0


def test_the_strict_rule_matters_only_with_min_ready_seconds() -> None:
    common = dict(nodes=30, max_unavailable=3, controller="ideal", **CONSTANT)
    old = simulate(build_scenario(kubernetes_version="1.33", **common)).summary
    new = simulate(build_scenario(kubernetes_version="1.34", **common)).summary
    assert old == new


def test_the_gate_is_invisible_when_writes_are_observed_at_once() -> None:
    common = dict(nodes=30, max_unavailable=3, min_ready_seconds=5, controller="ideal", **CONSTANT)
    assert (simulate(build_scenario(kubernetes_version="1.35", **common)).summary
            == simulate(build_scenario(kubernetes_version="1.36", **common)).summary)


def test_a_yaml_number_is_shown_as_read_and_the_minor_it_stands_for_quoted() -> None:
    """``kubernetes_version: 1.3`` (or 1.30: YAML reads both as the float 1.3) is shown as read, not as a 1.30 the
    file may not say (audit 17 item 13), with the version it most likely stands for, quoted, as the fix.
    """
    from rollsim.spec.versions import parse_version

    with pytest.raises(ValueError, match=r'got the number 1\.3 \(as YAML reads 1\.30 unquoted; quote it: "1\.30"\); '
                                         r'for an older'):
        parse_version(1.3)
    with pytest.raises(ValueError, match=r'got the number 1\.38 \(quote it: "1\.38"\); for a newer cluster give 1\.37$'
                   ):
        parse_version(1.38)
    with pytest.raises(ValueError, match=r"got '1\.30'; for an older cluster give 1\.33"):
        parse_version("1.30")
    assert parse_version(1.34) == "1.34"


# -- a node list's kubelets bound the cluster's version ----------------------------------------
@pytest.mark.parametrize(("version", "kubelets", "warns"), [
    ("1.37", ["v1.37.0"], None),
    ("1.37", ["v1.34.2", "v1.35.1"], None),  # the oldest kubelet three minors behind: allowed
    ("1.37", ["v1.33.9"], "runs v1.33 to v1.36"),  # four minors behind: not this version
    ("1.34", ["v1.35.0-eks-1"], "runs v1.35 to v1.38"),  # a kubelet newer than the API server
    ("1.37", ["v1.29.4"], "--kubernetes-version 1.33 comes nearest"),  # no modelled version can be it
    ("1.33", ["v1.29.4"], None),  # ... and 1.33, the nearest, was chosen
    ("1.37", ["v1.38.1"], None),  # newer than modelled: 1.37 is the nearest
    ("1.36", ["v1.38.1"], "--kubernetes-version 1.37, the newest modelled, comes nearest"),
    ("1.35", ["v1.31.0", "v1.36.0"], "runs v1.36 (a kubelet"),  # a list skewed itself: the newest kubelet's
    ("1.37", ["devel", ""], None),  # not v1.MINOR: nothing to say
])
def test_kubelet_skew(version, kubelets, warns) -> None:
    note = kubelet_skew(version, kubelets, f"the default {version}")
    if warns is None:
        assert note is None
    else:
        assert warns in note and f"not the default {version}" in note


def test_kubelet_skew_names_the_kubelets_and_what_an_older_cluster_does() -> None:
    note = kubelet_skew("1.37", ["v1.30.1", "v1.29.4", "v1.30.1"], "the 1.37 given")
    assert note.startswith("the node list's kubelets run v1.29.4 to v1.30.1 (status.nodeInfo.kubeletVersion), "
                           "so its cluster runs v1.30 to v1.32 (a kubelet is never newer than the API server and at "
                           "most 3 minors older), not the 1.37 given: rollsim models 1.33 to 1.37")
    assert note.endswith("; ".join(older_differences(32)))
    assert kubelet_skew("1.33", ["v1.36.0"], "the 1.33 given").endswith("give the cluster's version "
                                                               "(--kubernetes-version 1.36 or 1.37)")
