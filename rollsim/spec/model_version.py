"""The version of the model: what a saved run's results depend on besides its scenario and seed.

``MODEL_VERSION`` is part of every run id (``rollsim.sweep.experiment``), so a results folder
written by an older rollsim is simulated again rather than silently reused.

The rule: bump it (by one) in any change after which the same scenario and seed can give
different results: a changed default, a new draw from a random stream or a changed order
of draws, a fix to the controller, kubelet, scheduler or registry model, a changed metric
or summary key. Refactors that keep every result identical (the upstream scenarios and the
benchmarks' figures unchanged) keep it. The package version (``rollsim.__version__``) is
separate: it names releases, this names results.
"""

from __future__ import annotations

__all__ = ["MODEL_VERSION"]

# 10: the OnDelete deleter leaves nodes that should not run the DaemonSet (NotReady, deleted) alone and stops
# waiting for them; a deleter at work that stalls is "on-delete-waiting"; daemon pods of higher priority
# preempt the other workloads; summary keys preempt*
# 11: a pull that fails (pull-error: a manifest the registry refuses) fails with the registry's answer (its
# pull-rate token and latency), without the pull time, and draws nothing from the pull stream; a crash-looping
# container restarts, and a failed image is pulled again, at the kubelet's first pod sync after the back-off
# (rollsim.cluster.podworker: stream pod_workers); a registry may refuse requests over its limit (over_limit),
# and a refused pull keeps the container start drawn before it (all one session's: no results of these
# changes were released between them, so one number)
# 12: a nominated preemptor's room is reserved from pods of lower or equal priority (addGENominatedPods); a
# node's link (node_bandwidth) caps every DaemonSet's pulls on it; an also item's random streams are keyed by its
# namespace/name (they were keyed by its name unless another item shared it); the API server deletes a pod never
# bound to a node, or Failed or Succeeded, at once (CheckGracefulDelete: one DELETED event, no terminating phase,
# whatever the kubelet's state); a deletion that finds no pod is an observed deletion (syncNodes); nodes added
# during a run copy a template node (labels, taints, allocatable) (one session's changes: one number)
# 13: nodes added during a run copy the shapes of the cluster's Ready, schedulable workers in proportion to their
# counts (rollsim.spec.churn.join_templates), where they all copied the most common one: runs of a node list of
# several shapes with add_nodes change; a homogeneous list (every --nodes N, every shipped study) does not
# 14: a pull after a registry error's back-off leaves the back-off as it starts (a run stopped during it reads
# the pod as pulling, stop_cause no longer registry-errors for it); stop_detail counts with thousands separators
# and the registry-queued sentence in durations (2h00m06s, where it said 7,206.0 s); a stall while new pods are
# Ready but not yet available says so (it said "no progress" alone) (one session's changes: one number)
# 15: a failed pod is no second agent on its node (max_surge_observed: --new-pods rejected with surge); a
# node's failed pods are deleted oldest first (podByCreationTimestampAndPhase order: they were taken in the
# cache's order) and requeue the key once, not once each (the delaying queue's one waiting entry: events counted
# without queue_dedup change); a node whose available new pod has failed pods beside it stops as
# failed-pods-left (it read as rejected); disk pressure (--disk-pressure-nodes) (one session's changes: one number)
# 16: PodGC's gcTerminated (--terminated-pod-gc-threshold, 12,500): failed pods beyond it are deleted;
# a node list's PIDPressure condition is read (its kubelet rejects pods as under DiskPressure); every
# DaemonSet's pods on a node coming under pressure are evicted (the study's alone before); the recorder's pending
# counts new pods in phase Pending, surge nodes with two pods bound, updated a node by its oldest pod
# (terminating too); summary key healthy_nodes
# 17: initialDelaySeconds skips readiness probe ticks rather than moving them (a delay made pods Ready sooner:
# runs of a manifest whose delay is not a multiple of its period change); in realistic mode the eviction manager
# runs its synchronize loop (10 s, 1 s after an eviction, one pod a synchronize, lowest priority first; stream
# eviction_manager) (one session's changes: one number)
# 18: a daemon pod that does not fit waits among the scheduler's unschedulable pods and is tried again when a
# bound pod leaves (deleted or terminal) and its back-off has passed, or after 5 minutes there, where it was
# retried on its back-off alone (1, 2, 4, 8, 10, 10 ... s)
# 19: a moved unschedulable pod, and a preemptor whose victims are gone, are tried at once, not after the rest of
# their back-off (SchedulerPopFromBackoffQ, on from v1.33: the idle scheduler pops the back-off queue)
# 20: a pod delete records no resource version in the v1.36 consistency store (WroteAt follows creates and
# status writes only: kubernetes/kubernetes#138400; audit 16): fewer refused syncs in realistic mode from v1.36
# 21: a node pulls one image at a time whatever the image (serializeImagePulls): pulls without an image size
# queue too (two DaemonSets' pulls ran side by side on a node; audit 19); AddRateLimited takes the longer of the
# per-key delay and DefaultControllerRateLimiter's overall bucket (10 qps, burst 100) in realistic mode: fewer
# refused syncs counted (stale_sync_skips, syncs) from v1.36, durations unchanged where one DaemonSet runs;
# every DaemonSet after the first draws its map order in list order, not in node-id order (ids follow the first's
# map order, so a node's rank in the others' orders hung on it: invisible until their pulls shared a node)
# 22: the OnDelete deleter (batch:K, rate:S) deletes nothing until the controller has observed the DaemonSet's
# generation (status.observedGeneration >= metadata.generation, as kubectl rollout status waits for it): its
# first deletion comes when the controller's first status write after the template change lands (about 0.1 s in
# realistic mode), not at time 0; a node of its batch holding an old-revision pod again (recreated from the
# template the controller held before) is deleted again (audit 31: a batch waited for ever beside such a pod);
# with maxSurge, stop_detail of rejected or evicted new pods says the controller creates another in the same sync
# (podsShouldBeOnNode's surge branch), not after its back-off (one session's changes: one number)
# 23: two summary keys (max_extra_pods: the pods beyond one a node, terminating ones included; done_99_s: when 99%
# of the desired nodes had an available new pod) and a timeline column (extra_pods); no simulated event changed
# (audit 35: a surge's cost counted its live pods only; the last-nodes finding read when new pods existed)
# 24: a new pod's end state names a fault (crash-looping, failing to pull, never Ready) only where that pod was
# drawn faulty (PodRuntime.faulty_pods), not wherever some new pod may be: a rollout stopped by a healthy
# straggler, with --new-pods crashloop:0.003, was stop_cause crash-looping (audit 41); no simulated event changed
MODEL_VERSION = 24
