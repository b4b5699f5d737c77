"""The Kubernetes minor versions rollsim models, and the controller rules that differ between them.

Every rule that changed between the versions below is one field of ``VersionRules``, named
with the upstream change that introduced it; ``rules_for(version)`` is the only place that
maps a version to its rules, so the version switch changes exactly these and nothing else.

* ``inclusive_availability`` (v1.34, kubernetes/kubernetes#132122): ``podutil.IsPodAvailable``
  treats a pod as available once ``lastTransitionTime + minReadySeconds <= now``; before, the
  comparison was strict (``Before``). With the inclusive rule the re-check that
  ``updateDaemonSetStatus`` schedules after exactly ``minReadySeconds`` finds the pod
  available; with the strict one, an ideal controller waits for ``updatePod``'s
  ``minReadySeconds + 1 s`` requeue.
* ``stale_consistency_gate`` (v1.36, KEP-5647 "stale controller handling",
  kubernetes/kubernetes#134937, feature gate ``StaleControllerConsistencyDaemonSet``, beta and
  on by default in v1.36): ``syncDaemonSet`` first asks its ``ConsistencyStore``
  (``pkg/controller/daemon/util/consistency.go``) whether the informers have observed the
  resource versions of the controller's own last writes (its pod creates and status writes: a
  delete's response carries no version of its event through v1.37, kubernetes/kubernetes#138400,
  so deletes are not recorded; ``rollsim.cluster.apiserver.ApiPodControl._delete``); if not, the sync takes no action
  ("Kubernetes v1.36: staleness mitigation for controllers", kubernetes.io blog, 2026-04-28;
  metric ``daemonset_controller_stale_sync_skips_total``). rollsim returns an error, so the key
  is requeued with the rate limiter; the informer event that catches the cache up enqueues it
  too, so the sync goes ahead when that event arrives either way.

* ``node_monitor_grace_period`` (v1.32, kubernetes/kubernetes#126287): the node lifecycle
  controller's ``--node-monitor-grace-period`` default, 40 s before and 50 s since (a kubelet
  that stops posting keeps Ready=True that long; ``rollsim.spec.lifecycle``). Every modelled
  version has 50 s; the rule is kept here so that the default follows the version.
* ``pod_level_resources`` (v1.34, KEP-2837, feature gate ``PodLevelResources``: alpha and off
  in v1.32 and v1.33, beta and on from v1.34, ``pkg/features/kube_features.go``): with the gate
  off the API server drops a pod template's pod-level ``spec.resources``
  (``dropDisabledPodLevelResources``, before validation), so the pods' requests are their
  containers' alone. Not a controller rule: the manifest reader applies it
  (``rollsim.io.manifest.LoadedDaemonSet.for_version``).
* ``backoff_error_carries_expiry`` (v1.35, kubernetes/kubernetes#133066, reviewed in July 2025;
  dated to v1.35 by a third-party account of its merge, its milestone not in reach, its release
  note ``NONE``, so ``CHANGELOG-1.35.md`` does not list it): a kubelet
  sync that finds a container in CrashLoopBackOff returns a ``BackoffError`` carrying the
  back-off's expiry, and ``podWorkers.completeWork`` requeues the pod for the time left to it
  instead of the 10 s ``backOffPeriod``. Not a controller rule: the kubelet's pod worker
  (``rollsim.cluster.podworker``) applies it.

A cluster older than the oldest modelled minor is simulated with that minor's rules
(``cluster_version``); ``older_differences`` says what its own controllers do otherwise.

v1.37 changes none of these rules, and adds none: ``StaleControllerConsistencyDaemonSet`` stays
beta and on by default (KEP-5647's ``kep.yaml``, latest milestone v1.37, extends the pattern to
other controllers), and the v1.37.0-rc.0 release notes (kubernetes/sig-release's draft; the
final notes and the controller's v1.37 source were not in reach) list no change to the DaemonSet
controller, to ``IsPodAvailable`` or to ``--node-monitor-grace-period`` (their two DaemonSet
entries are API validation of image volumes, kubernetes/kubernetes#135989, and a kubeadm patch
target, #138090).
Its node lifecycle controller re-reads an expired-looking Lease from the API server before
posting Ready=Unknown (kubernetes/kubernetes#138698): a stopped kubelet's Lease is just as old
there, so the grace period is the same. ``rules_for("1.37")`` is ``rules_for("1.36")``.

v1.38 is not modelled (in alpha on 2026-12-05: ``CHANGELOG-1.38.md``, v1.38.0-alpha.1 and
alpha.2, "changelog since v1.37.0"). Of its changes, what would touch these rules: delete
responses carry the resource version of the delete (kubernetes/kubernetes#138724), which lets
the consistency store wait for a controller's deletes too; the consistency store moves to
client-go (#142537, alpha.2); the ``SeparateTaintEvictionController`` gate is removed (#141789:
taint eviction stays in its own controller); the kubelet no longer reports a container recreated
while it could not reach the API server Ready before its probe ran (#141487), nor runs liveness
and readiness probes before a restarted container's startup probe succeeds (#141342). Audit 16
(2026-12-05) read these from the alpha changelogs; the v1.38 controller source was not in reach.

Not a version rule, because every modelled version has it: the node-update queue of
kubernetes/kubernetes#130514 (v1.33; the regression report kubernetes/kubernetes#132459 dates it
to the v1.32 to v1.33 upgrade). ``addNode`` and ``updateNode`` only put the node's name on a
``nodeUpdateQueue``, and ``syncNodeUpdate`` enqueues a DaemonSet only when the node should run
its pod and none is bound to it, or must not keep (``shouldContinueRunning`` false) a pod bound
to it, or (kubernetes/kubernetes#132477, v1.35, cherry-picked to release-1.34 and release-1.33 by
#133749 and #133992) has one bound while the DaemonSet's ``status.numberMisscheduled`` is above
zero. It changes which node events sync the DaemonSet (``InformerCache.sync_node_update``);
the first v1.33 and v1.34 patch releases, without the third case, are not modelled. Before
#130514 (v1.32 and older, not modelled) ``addNode`` enqueued when ``shouldRun`` and
``updateNode`` when the old and new node's ``(shouldRun, shouldContinueRunning)`` differed. A
node's deletion never enqueues (the node informer has no delete handler).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rollsim.spec.budget import IntOrPercent, is_zero
from rollsim.spec.lifecycle import grace_period_for

__all__ = ["DEFAULT_VERSION", "KUBELET_SKEW", "SUPPORTED_VERSIONS", "SURGE_SINCE", "VersionRules", "cluster_version",
           "kubelet_range", "kubelet_skew", "kubelets_version", "newer_differences", "older_differences",
           "parse_version", "rules_for", "served_minor", "surge_dropped"]

SUPPORTED_VERSIONS = ("1.33", "1.34", "1.35", "1.36", "1.37")
DEFAULT_VERSION = "1.37"  # the newest release
KUBELET_SKEW = 3  # minors a kubelet may lag the API server (the version skew policy, since v1.28; 2 before)
SURGE_SINCE = 22  # DaemonSet maxSurge: feature gate DaemonSetUpdateSurge alpha (off) 1.21, beta (on) 1.22, GA 1.25


def parse_version(value: object) -> str:
    """``"1.36"`` (or ``1.36``, ``v1.36``, ``1.36.2``) → ``"1.36"``; only the modelled minors."""
    text = str(value).strip().lstrip("v")
    # a server's gitVersion too: 1.34.2, 1.34.2-gke.100, 1.34-eks (the major and minor, whatever follows)
    match = re.match(r"(\d+)\.(\d+)(?:[.+-].*)?$", text)
    minor = f"{match.group(1)}.{match.group(2)}" if match else text
    if isinstance(value, float):  # a YAML number: 1.36
        minor = f"{value:.2f}"
    if minor not in SUPPORTED_VERSIONS:
        # a YAML number as read (1.3, whether the file says 1.3 or 1.30, which YAML reads alike), and the
        # version it most likely stands for, quoted, as the fix
        got = repr(value)
        if isinstance(value, float):
            lost = f"as YAML reads {minor} unquoted; " if minor != repr(value) else ""
            got = f"the number {value!r} ({lost}quote it: \"{minor}\")"
        raise ValueError(f"must be a modelled version, {SUPPORTED_VERSIONS[0]} to {SUPPORTED_VERSIONS[-1]}, "
                         f"got {got}{_nearest(minor)}")
    return minor


def _nearest(minor: str) -> str:
    """For a 1.N outside the modelled range, the modelled version whose rules come nearest, as a
    live cluster of that version gets them (``cluster_version``); else empty. Only for a minor of
    two digits or more: ``1.3`` is more likely ``1.30`` or ``1.33`` mistyped than a cluster of 2016,
    and telling it what "a live cluster of 1.3" gets would be advice about a cluster nobody runs.
    """
    match = re.fullmatch(r"1\.(\d+)", minor)
    if match is None or int(match.group(1)) < 10:
        return ""
    n, oldest, newest = int(match.group(1)), SUPPORTED_VERSIONS[0], SUPPORTED_VERSIONS[-1]
    if n < int(oldest.split(".")[1]):
        return (f"; for an older cluster give {oldest} (a live cluster of {minor} gets {oldest}'s rules, and a "
                "warning of what differs)")
    if n > int(newest.split(".")[1]):
        return f"; for a newer cluster give {newest}"
    return ""


@dataclass(frozen=True, slots=True)
class VersionRules:
    """The controller rules that depend on the Kubernetes version (see the module docstring)."""

    inclusive_availability: bool = True
    stale_consistency_gate: bool = True
    node_monitor_grace_period: float = 50.0
    pod_level_resources: bool = True
    backoff_error_carries_expiry: bool = True


def _minor(version: str) -> int:
    return int(version.split(".")[1])


def rules_for(version: str) -> VersionRules:
    """The rules of ``version`` (one of ``SUPPORTED_VERSIONS``)."""
    minor = _minor(parse_version(version))
    return VersionRules(
        inclusive_availability=minor >= 34,  # kubernetes/kubernetes#132122
        stale_consistency_gate=minor >= 36,  # KEP-5647, kubernetes/kubernetes#134937
        node_monitor_grace_period=grace_period_for(minor),  # kubernetes/kubernetes#126287 (v1.32)
        pod_level_resources=minor >= 34,  # KEP-2837: PodLevelResources beta, on by default
        # the kubelet's crash-loop sync error carries its expiry (BackoffError), kubernetes/kubernetes#133066;
        # reviewed July 2025, v1.35 by a third-party account of its merge (rollsim.cluster.podworker)
        backoff_error_carries_expiry=minor >= 35,
    )


def served_minor(git_version: str | None) -> int | None:
    """The minor of an API server's ``gitVersion`` (``v1.29.4``, ``v1.36.4-eks-5b3f5d1``: 29,
    36), or None when there is none or it does not read as ``v1.MINOR``.
    """
    found = re.match(r"v?1\.(\d+)(?:\.|$|[-+])", (git_version or "").strip())
    return None if found is None else int(found.group(1))


def older_differences(minor: int) -> tuple[str, ...]:
    """What a cluster of v1.``minor``, older than the oldest modelled minor, does unlike that
    minor's rules (which rollsim simulates it with): each one clause naming the upstream change.
    """
    out = []
    if minor < 33:
        out.append("a node event syncs the DaemonSet by the older addNode/updateNode rules "
                   "(the node-update queue is kubernetes/kubernetes#130514, v1.33)")
        out.append("a Pending pod the scheduler tries again waits out its back-off, 1 s doubling to 10 s (feature "
                   "gate SchedulerPopFromBackoffQ, on from v1.33, pops it at once)")
    if minor < 32:
        out.append("any pod's deletion moves a Pending pod that wanted a host port, not only one that held the "
                   "port (feature gate SchedulerQueueingHints, on from v1.32)")
        out.append(f"--node-monitor-grace-period defaults to {grace_period_for(minor):g} s, not 50 s "
                   "(kubernetes/kubernetes#126287, v1.32; --node-monitor-grace-period 40 sets it)")
    if minor < 31:
        out.append("an unavailable old pod does not use up maxUnavailable (so more available ones go at once) "
                   "unless its patch release has kubernetes/kubernetes#123233 (v1.31; backported to v1.28-v1.30 by "
                   "#127774-#127776)")
    if minor < SURGE_SINCE:
        out.append("a DaemonSet cannot surge: its API server drops maxSurge (feature gate DaemonSetUpdateSurge, "
                   "beta from v1.22)")
    return tuple(out)


def newer_differences(minor: int) -> tuple[str, ...]:
    """What a cluster of v1.``minor``, newer than the newest modelled minor, is known to do
    unlike that minor's rules (from the newer releases' changelogs; the rest is not known here).
    """
    out = []
    if minor >= 38:
        out.append("its consistency gate also waits for the controller's own pod deletes to be read, since a "
                   "delete's response carries their resource version (kubernetes/kubernetes#138724, v1.38): "
                   "rollsim's syncs after a delete may go ahead sooner than that cluster's")
    return tuple(out)


def surge_dropped(git_version: str | None, max_surge: IntOrPercent, rolling: bool = True) -> str | None:
    """Why a cluster of ``git_version`` cannot roll a DaemonSet with this non-zero ``max_surge``,
    or None (it can, or its version is not known).

    Before v1.22 the API server drops ``maxSurge`` (``dropDisabledFields``: feature gate
    DaemonSetUpdateSurge, alpha and off in v1.21, beta from v1.22) and validates what is left
    (``ValidateRollingUpdateDaemonSet`` then requires a non-zero maxUnavailable). A non-zero
    maxSurge comes with maxUnavailable 0 (they may not both be set), so the cluster would refuse
    the update outright: nothing it would run can be simulated with surge.
    """
    minor = served_minor(git_version)
    if minor is None or minor >= SURGE_SINCE or not rolling or is_zero(max_surge):
        return None
    return (f"the cluster runs {git_version}, whose API server drops a DaemonSet's maxSurge (feature gate "
            f"DaemonSetUpdateSurge, beta from v1.22) and so refuses maxSurge {max_surge} with maxUnavailable 0: "
            "before v1.22 maxSurge must be 0 and maxUnavailable non-zero")


def cluster_version(git_version: str | None) -> tuple[str | None, str | None]:
    """The modelled minor whose rules a cluster of ``git_version`` (its API server's
    ``/version``, as ``kubectl version`` prints it: ``v1.37.2``, ``v1.36.4-eks-5b3f5d1``)
    runs, and a warning when it is not modelled exactly: a cluster older than the oldest
    modelled minor gets that one's rules (the warning says what differs, ``older_differences``),
    a newer one the newest's (changes after it are not modelled); a version that does not read
    as ``v1.MINOR`` gives no minor.
    """
    if not git_version:
        return None, None
    minor = served_minor(git_version)
    if minor is None:
        return None, f"the cluster's version {git_version!r} is not v1.MINOR: the default {DEFAULT_VERSION} applies"
    oldest, newest = _minor(SUPPORTED_VERSIONS[0]), _minor(SUPPORTED_VERSIONS[-1])
    if minor < oldest:
        differs = "; ".join(older_differences(minor))
        return SUPPORTED_VERSIONS[0], (f"the cluster runs {git_version}, older than the oldest modelled version: "
                                       f"the rules of {SUPPORTED_VERSIONS[0]} apply, but on v1.{minor} {differs}")
    if minor > newest:
        known = "".join(f"; on v1.{minor} {d}" for d in newer_differences(minor))
        return SUPPORTED_VERSIONS[-1], (f"the cluster runs {git_version}, newer than the newest modelled version: "
                                        f"the rules of {SUPPORTED_VERSIONS[-1]} apply (later changes are not "
                                        f"modelled){known}")
    return f"1.{minor}", None


def kubelet_range(kubelets: Iterable[str]) -> tuple[int, int] | None:
    """The minors a cluster whose nodes run ``kubelets`` can run (the version skew policy: a kubelet is
    never newer than the API server and at most ``KUBELET_SKEW`` minors older), or None when no
    kubelet version reads as ``v1.MINOR``: from the newest kubelet's minor to the oldest's plus the
    skew (just the newest's, for a list that is skewed itself).
    """
    minors = sorted({m for m in map(served_minor, kubelets) if m is not None})
    if not minors:
        return None
    return minors[-1], max(minors[-1], minors[0] + KUBELET_SKEW)


def _kubelets_said(kubelets: Iterable[str], low: int, high: int) -> str:
    """``the node list's kubelets run v1.33.4 to v1.34.0 (...), so its cluster runs v1.34 to v1.36 (...)``:
    what ``kubelet_range`` (``low``, ``high``) read from them, as both warnings begin.
    """
    listed = sorted(set(kubelets), key=lambda v: (served_minor(v) or 0, v))
    running = listed[0] if len(listed) == 1 else f"{listed[0]} to {listed[-1]}"
    cluster = f"v1.{low}" if low == high else f"v1.{low} to v1.{high}"
    return (f"the node list's kubelets run {running} (status.nodeInfo.kubeletVersion), so its cluster runs {cluster} "
            f"(a kubelet is never newer than the API server and at most {KUBELET_SKEW} minors older)")


def kubelets_version(kubelets: Sequence[str]) -> tuple[str, str] | None:
    """The version to simulate when none is given and no cluster was asked, and why, when a node
    list's ``kubelets`` rule out the default: the minor of its newest kubelet (a control plane is
    upgraded before its nodes, so a cluster whose newest kubelet is v1.34 most likely runs v1.34),
    or the oldest modelled one for a cluster older than every one (with what its own minor does
    unlike it). None when the default can be the cluster's version, is the nearest to it, or the
    kubelets say nothing (audit 25: a node list of v1.33 and v1.34 kubelets was planned with 1.37's
    rules, a warning aside; audit 27: not the newest the skew policy allows, the least likely).
    """
    bounds = kubelet_range(kubelets)
    if bounds is None:
        return None
    low, high = bounds
    if high >= _minor(DEFAULT_VERSION):
        return None
    oldest = SUPPORTED_VERSIONS[0]
    why = f"{_kubelets_said(kubelets, low, high)}: "
    if low >= _minor(oldest):
        version = f"1.{low}"
        return version, (f"{why}the controller rules of {version}, its newest kubelet's (a control plane is "
                         "upgraded before its nodes), apply; --kubernetes-version names the cluster's own")
    return oldest, (f"{why}the controller rules of {oldest}, the oldest modelled, apply, but on v1.{low} "
                    f"{'; '.join(older_differences(low))}")


def kubelet_skew(version: str, kubelets: Iterable[str], named: str) -> str | None:
    """Why ``version`` (the modelled minor a run simulates, ``named`` as the warning names it:
    ``the default 1.37``, ``the 1.34 given``) cannot be the version of a cluster
    whose nodes run ``kubelets`` (a node list's ``status.nodeInfo.kubeletVersion``), or None when
    it can, or when it is the nearest modelled version to every one it could be.

    The version skew policy (kubernetes.io/releases/version-skew-policy): a kubelet is never newer
    than the API server and at most ``KUBELET_SKEW`` minors older. So the cluster runs a minor from
    the newest kubelet's to the oldest's plus ``KUBELET_SKEW`` (just the newest's, for a list that
    is skewed itself).
    """
    kubelets = list(kubelets)
    bounds = kubelet_range(kubelets)
    if bounds is None:
        return None
    low, high = bounds
    minor = _minor(version)
    if low <= minor <= high:
        return None
    oldest, newest = SUPPORTED_VERSIONS[0], SUPPORTED_VERSIONS[-1]
    possible = [v for v in SUPPORTED_VERSIONS if low <= _minor(v) <= high]
    if not possible and version == (oldest if high < _minor(oldest) else newest):
        return None
    why = f"{_kubelets_said(kubelets, low, high)}, not {named}"
    if possible:
        return f"{why}: give the cluster's version (--kubernetes-version {' or '.join(possible)})"
    if high < _minor(oldest):
        return (f"{why}: rollsim models {oldest} to {newest}, and --kubernetes-version {oldest} comes nearest; "
                f"on v1.{high} {'; '.join(older_differences(high))}")
    return f"{why}: --kubernetes-version {newest}, the newest modelled, comes nearest (later changes are not modelled)"
