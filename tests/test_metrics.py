"""Summary metrics over hand-written frames, and the recorder that produces those frames."""

from __future__ import annotations

import math
from array import array

import numpy as np
import pandas as pd
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from rollsim.cluster.apiserver import ApiServer
from rollsim.cluster.nodestore import NodeStore
from rollsim.cluster.operators import KubectlView
from rollsim.controller.pods import FAILED, PENDING, RUNNING, Pod
from rollsim.observe.metrics import SUMMARY_KEYS, peak_overlap, summarize, unavailable_node_seconds
from rollsim.observe.recorder import NODE_COLUMNS, TIMELINE_COLUMNS, Recorder
from rollsim.observe.rollout import RolloutStatus
from rollsim.spec.node import Node, PodPlacement

NAN = math.nan


def timeline(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (time_s, available, updated, surge) for 4 desired nodes."""
    frame = pd.DataFrame(rows, columns=["time_s", "available", "updated", "surge"])
    frame["desired"] = 4
    frame["unavailable"] = 4 - frame["available"]
    frame["terminating"] = 0
    frame["pending"] = 0
    frame["extra_pods"] = frame["surge"]
    return frame[list(TIMELINE_COLUMNS)]


def nodes(downtimes: list[float], desired: list[bool]) -> pd.DataFrame:
    n = len(downtimes)
    return pd.DataFrame({
        "node": [f"node-{i}" for i in range(n)],
        "desired": desired,
        "old_deleted_at_s": [NAN] * n,
        "new_created_at_s": [NAN] * n,
        "new_ready_at_s": [NAN] * n,
        "new_available_at_s": [NAN] * n,
        "downtime_s": downtimes,
    })


# time, available, updated, surge  (4 desired nodes)
FIVE_ROWS = timeline([
    (0.0, 4, 0, 0),
    (10.0, 2, 1, 1),
    (15.0, 3, 2, 2),
    (30.0, 3, 3, 0),
    (40.0, 4, 4, 0),
])


class TestUnavailableNodeSeconds:
    def test_five_rows(self) -> None:
        # unavailable 0,2,1,1,0 on [0,10), [10,15), [15,30), [30,40), [40,50)
        assert unavailable_node_seconds(FIVE_ROWS, 50.0) == 0 * 10 + 2 * 5 + 1 * 15 + 1 * 10 + 0 * 10
        assert unavailable_node_seconds(FIVE_ROWS, 50.0) == 35.0

    def test_end_at_the_last_row(self) -> None:
        assert unavailable_node_seconds(FIVE_ROWS, 40.0) == 35.0

    def test_end_before_the_last_row_counts_nothing_after_it(self) -> None:
        # The last level has zero width; earlier intervals are counted in full.
        assert unavailable_node_seconds(FIVE_ROWS, 35.0) == 35.0

    def test_last_level_runs_until_end(self) -> None:
        tl = timeline([(0.0, 4, 0, 0), (10.0, 1, 0, 0)])
        assert unavailable_node_seconds(tl, 25.0) == 3 * 15

    def test_single_row(self) -> None:
        assert unavailable_node_seconds(timeline([(0.0, 1, 0, 0)]), 7.5) == 3 * 7.5
        assert unavailable_node_seconds(timeline([(0.0, 1, 0, 0)]), 0.0) == 0.0

    def test_empty(self) -> None:
        assert unavailable_node_seconds(timeline([]), 100.0) == 0.0

    def test_starts_later_than_zero(self) -> None:
        tl = timeline([(5.0, 2, 0, 0), (9.0, 4, 0, 0)])
        assert unavailable_node_seconds(tl, 20.0) == 2 * 4


class TestSummarize:
    def test_five_rows(self) -> None:
        nf = nodes([10.0, 20.0, 30.0, 40.0, 999.0], [True, True, True, True, False])
        s = summarize(FIVE_ROWS, nf, completed_at=40.0, end=40.0)
        assert tuple(s) == SUMMARY_KEYS
        assert s == {
            "nodes": 4,
            "completed": True,
            "duration_s": 40.0,
            "updated": 4,
            "min_available": 2,
            "min_available_fraction": 0.5,
            "max_unavailable_observed": 2,
            "unavailable_node_seconds": 35.0,
            "max_surge_observed": 2, "max_extra_pods": 2,
            "node_downtime_p50_s": 25.0,
            "node_downtime_p95_s": pytest.approx(38.5),  # linear interpolation, not-desired excluded
            "node_downtime_max_s": 40.0,
            "stalled": False,
            "stalled_at_s": None,
            "unavailable_at_end": int(FIVE_ROWS["unavailable"].iloc[-1]),
            "peak_concurrent_pulls": 0,
            "mean_pull_s": None,
            "registry_bytes_served": None,
            "unschedulable_pods": 0,
            "preemptions": 0,
            "preempted_cpu_millis": 0,
            "preempted_memory_bytes": 0,
            "rolled_back": False,
            "rollback_done_s": None,
        }

    def test_stall_and_pulls(self) -> None:
        nf = nodes([10.0, 20.0, 30.0, 40.0], [True] * 4)
        s = summarize(FIVE_ROWS, nf, None, 100.0, stalled_at=30.0, pulls=[(0.0, 4.0), (1.0, 3.0), (3.0, 5.0)])
        assert (s["stalled"], s["stalled_at_s"]) == (True, 30.0)
        assert s["peak_concurrent_pulls"] == 2  # the pull ending at 3 frees before the one starting at 3
        assert s["mean_pull_s"] == pytest.approx((4 + 2 + 2) / 3)

    def test_pulls_as_the_kubelet_keeps_them(self) -> None:
        """A flat C array ``start0, end0, start1, ...`` (the kubelet's) reads as the pairs do."""
        nf = nodes([10.0, 20.0, 30.0, 40.0], [True] * 4)
        pairs = [(0.0, 4.0), (1.0, 3.0), (3.0, 5.0), (3.5, 4.5)]
        flat = array("d", [t for pair in pairs for t in pair])
        by_pairs, by_flat = (summarize(FIVE_ROWS, nf, None, 100.0, pulls=p) for p in (pairs, flat))
        assert (by_flat["peak_concurrent_pulls"], by_flat["mean_pull_s"]) == (3, 2.25)
        assert by_flat == by_pairs
        empty = summarize(FIVE_ROWS, nf, None, 100.0, pulls=array("d"))
        assert (empty["peak_concurrent_pulls"], empty["mean_pull_s"]) == (0, None)

    def test_not_completed(self) -> None:
        nf = nodes([10.0, 20.0, 30.0, 40.0], [True] * 4)
        s = summarize(FIVE_ROWS.iloc[:3], nf, completed_at=None, end=100.0)
        assert s["completed"] is False
        assert s["duration_s"] is None
        assert s["updated"] == 2  # the last row, not the maximum
        assert s["unavailable_node_seconds"] == 10 + 85

    def test_types_are_plain_python(self) -> None:
        s = summarize(FIVE_ROWS, nodes([1.0, 2.0, 3.0, 4.0], [True] * 4), 40.0, 40.0)
        for key in ("nodes", "updated", "min_available", "max_unavailable_observed", "max_surge_observed"):
            assert type(s[key]) is int, key
        for key in ("duration_s", "unavailable_node_seconds", "node_downtime_p50_s", "node_downtime_max_s"):
            assert type(s[key]) is float, key

    def test_no_desired_nodes(self) -> None:
        tl = pd.DataFrame({c: [0] for c in TIMELINE_COLUMNS}).astype({"time_s": float})
        nf = nodes([0.0, 0.0], [False, False])
        s = summarize(tl, nf, completed_at=0.0, end=0.0)
        assert s["nodes"] == 0
        assert s["min_available_fraction"] is None  # a share of no node is none, not 100% (nomatch)
        assert s["node_downtime_p50_s"] is None
        assert s["node_downtime_p95_s"] is None
        assert s["node_downtime_max_s"] is None
        assert s["unavailable_node_seconds"] == 0.0

    def test_empty_frames(self) -> None:
        tl = timeline([])
        nf = nodes([], [])
        s = summarize(tl, nf, completed_at=None, end=10.0)
        assert s["nodes"] == 0
        assert s["updated"] == 0
        assert s["min_available"] == 0
        assert s["max_unavailable_observed"] == 0
        assert s["max_surge_observed"] == 0
        assert s["unavailable_node_seconds"] == 0.0
        assert s["node_downtime_max_s"] is None

    def test_empty_timeline_uses_desired_as_min_available(self) -> None:
        s = summarize(timeline([]), nodes([0.0, 0.0, 0.0], [True, True, False]), None, 0.0)
        assert s["min_available"] == 2
        assert s["min_available_fraction"] == 1.0


# -- the recorder, driven by hand ------------------------------------------------------------


class Driver:
    """A recorder on 3 nodes (the third not desired: it lacks the DaemonSet's node selector),
    driven through a real API server, with revision 1 current from the start."""

    def __init__(self, min_ready: float = 0.0) -> None:
        self.env = simpy.Environment()
        pool = {"pool": "agents"}
        nodes = NodeStore([Node("a", labels=pool), Node("b", labels=pool), Node("c")])
        self.api = ApiServer(self.env, nodes)
        ds = self.api.add_daemonset("agent")
        for node in (0, 1):
            self.api.seed_pod("agent", node, 0, -100.0)
        self.rec = Recorder(self.env, self.api, ds, PodPlacement(node_selector=pool), min_ready)
        self.rec.watch()
        self.api.set_revision("agent", 1)

    def pods(self, node: int) -> list[Pod]:
        return self.api.pods_by_node[node]

    def at(self, t: float) -> None:
        self.env.run(until=t)

    def delete(self, node: int) -> None:
        pod = next(p for p in self.pods(node) if not p.deleting)
        self.api.delete_pod(pod.uid)

    def remove_terminating(self, node: int) -> None:
        for pod in [p for p in self.pods(node) if p.deleting]:
            self.api.remove_pod(pod)

    def create(self, node: int) -> Pod:
        return self.api.create_pod("agent", node, 1)

    def surge_pod(self, node: int, created: float, bound: float) -> Pod:
        """A new pod created on ``node`` at ``created`` (Pending, unbound), bound at ``bound``."""
        self.at(created)
        pod = self.create(node)
        self.at(bound)
        self.bind(pod)
        return pod

    def terminate(self, pod: Pod, deleted: float, gone: float) -> None:
        """``pod`` is deleted at ``deleted`` (terminating) and gone from the API at ``gone``."""
        self.at(deleted)
        self.api.delete_pod(pod.uid)
        self.at(gone)
        self.remove_terminating(pod.node)

    def update(self, pod: Pod, at: float, **fields: object) -> None:
        """At ``at``, ``pod``'s status changes to ``fields`` (the kubelet or the scheduler writes it)."""
        self.at(at)
        for name, value in fields.items():
            setattr(pod, name, value)
        self.api.pod_status_changed(pod)

    def bind(self, pod: Pod) -> None:
        """The scheduler binds it: on the node, still Pending."""
        pod.scheduled = True
        self.api.pod_status_changed(pod)

    def ready(self, pod: Pod) -> None:
        pod.scheduled, pod.phase, pod.ready, pod.ready_since = True, RUNNING, True, self.env.now
        self.api.pod_status_changed(pod)

    def available(self, pod: Pod) -> None:
        """The kubelet's minReadySeconds timer fires."""
        self.api.pod_became_available(pod)


class TestRecorder:
    def test_downtime_and_levels(self) -> None:
        d = Driver()
        d.at(5)
        d.delete(0)
        d.at(8)
        d.remove_terminating(0)
        new = d.create(0)  # same instant: one row
        d.at(12)
        d.ready(new)
        d.at(15)
        d.delete(1)
        tl, nf = d.rec.to_frames(20.0)

        assert list(tl.columns) == list(TIMELINE_COLUMNS)
        assert tl["time_s"].tolist() == [0.0, 5.0, 8.0, 12.0, 15.0]
        assert tl["desired"].tolist() == [2] * 5
        assert tl["available"].tolist() == [2, 1, 1, 2, 1]
        assert tl["unavailable"].tolist() == [0, 1, 1, 0, 1]
        assert tl["updated"].tolist() == [0, 0, 1, 1, 1]
        assert tl["terminating"].tolist() == [0, 1, 0, 0, 1]
        assert tl["pending"].tolist() == [0, 0, 1, 0, 0]

        assert list(nf.columns) == list(NODE_COLUMNS)
        assert nf["node"].tolist() == ["a", "b", "c"]
        assert nf["desired"].tolist() == [True, True, False]
        a, b, c = (nf.iloc[i] for i in range(3))
        assert (a.old_deleted_at_s, a.new_created_at_s, a.new_ready_at_s, a.new_available_at_s) == (5, 8, 12, 12)
        assert a.downtime_s == 7.0
        assert b.old_deleted_at_s == 15.0 and math.isnan(b.new_created_at_s)
        assert b.downtime_s == 5.0  # still down at the end: counted up to end
        assert c.downtime_s == 0.0 and math.isnan(c.old_deleted_at_s)

        # The two views agree: node downtime adds up to the integral of unavailability.
        assert nf["downtime_s"].sum() == unavailable_node_seconds(tl, 20.0) == 12.0

    def test_min_ready_seconds_delays_availability(self) -> None:
        d = Driver(min_ready=3.0)
        d.at(5)
        d.delete(0)
        d.at(8)
        d.remove_terminating(0)
        new = d.create(0)
        d.at(12)
        d.ready(new)
        d.at(15)
        d.available(new)
        tl, nf = d.rec.to_frames(15.0)
        assert tl["available"].tolist() == [2, 1, 1, 1, 2]
        assert nf.loc[0, "new_ready_at_s"] == 12.0
        assert nf.loc[0, "new_available_at_s"] == 15.0
        assert nf.loc[0, "downtime_s"] == 10.0

    def test_surge_level(self) -> None:
        """A surge pod is a second pod on the node once bound (before, created and unschedulable, it
        is not there), pending until it runs; the node is updated once the old pod, terminating,
        is gone: ``updateDaemonSetStatus`` counts a node by its oldest pod."""
        d = Driver()
        new = d.surge_pod(1, created=2, bound=3)  # Pending, then bound: old and new together on the node
        d.at(9)
        d.ready(new)
        d.terminate(d.pods(1)[0], deleted=10, gone=12)  # the old pod
        tl, nf = d.rec.to_frames(12.0)
        assert tl["time_s"].tolist() == [0, 2, 3, 9, 10, 12]
        assert tl["surge"].tolist() == [0, 0, 1, 1, 0, 0]
        assert tl["pending"].tolist() == [0, 1, 1, 0, 0, 0]
        assert tl["terminating"].tolist() == [0, 0, 0, 0, 1, 0]
        assert tl["updated"].tolist() == [0, 0, 0, 0, 0, 1]
        assert tl["available"].tolist() == [2] * 6
        assert nf.loc[1, "downtime_s"] == 0.0

    def test_updated_reads_the_first_pod_after_a_rollback(self) -> None:
        """After ``kubectl rollout undo`` (the old revision is current again) a node whose old pod
        was never replaced is updated at once, the newer pod of the abandoned revision beside it
        notwithstanding: ``updateDaemonSetStatus`` reads the node by its oldest pod, and so does
        the controller's status (``node_status``); counting every pod left it 1 of 2."""
        d = Driver()
        new = d.surge_pod(1, created=2, bound=3)
        d.at(5)
        d.api.set_revision("agent", 0)
        d.terminate(new, deleted=6, gone=8)  # the controller deletes the abandoned revision's pod
        tl, _ = d.rec.to_frames(8.0)
        assert tl["time_s"].tolist() == [0, 2, 3, 5, 6, 8]
        assert tl["updated"].tolist() == [0, 0, 0, 2, 2, 2]
        assert tl["terminating"].tolist() == [0, 0, 0, 0, 1, 0]

    def test_updated_reads_bound_pods_first(self) -> None:
        """``podByCreationTimestampAndPhase`` puts bound pods before unbound ones: a new pod bound
        beside an older old pod that never was (unschedulable) makes the node updated."""
        d = Driver()
        old = d.pods(1)[0]
        old.scheduled, old.phase, old.ready = False, PENDING, False  # evicted from the scheduler's view: Pending
        d.api.pod_status_changed(old)
        d.at(2)
        new = d.create(1)  # both unbound: the older, old one comes first
        d.at(3)
        d.bind(new)
        tl, _ = d.rec.to_frames(3.0)
        assert tl["time_s"].tolist() == [0, 2, 3]
        assert tl["updated"].tolist() == [0, 0, 1]
        assert tl["surge"].tolist() == [0, 0, 0]  # one pod bound

    def test_a_failed_old_pod_older_than_the_new_one_keeps_the_node_not_updated(self) -> None:
        """Failed pods are kept apart by the API server (``failed_by_node``); the oldest of them can
        still be the node's first pod, and the node is then counted by it, as the status does."""
        d = Driver()
        old = d.pods(1)[0]
        d.update(old, 1, phase=FAILED, ready=False)  # evicted by its kubelet
        d.at(2)
        new = d.create(1)
        d.at(4)
        d.ready(new)
        d.at(6)
        d.api.delete_pod(old.uid)  # terminal: gone at once
        d.at(7)
        newer = d.create(0)
        d.update(newer, 8, scheduled=True, phase=FAILED)  # rejected at admission: a failed new pod, after the old one
        tl, _ = d.rec.to_frames(8.0)
        assert tl["time_s"].tolist() == [0, 1, 2, 4, 6, 7, 8]
        assert tl["updated"].tolist() == [0, 0, 0, 0, 1, 1, 1]
        assert tl["available"].tolist() == [2, 1, 1, 2, 2, 2, 2]

    def test_pending_counts_new_pods_not_yet_running(self) -> None:
        """An old pod that loses readiness, or a new one that runs but is not Ready (a crash loop, a
        dead node), is not pending: "new pods created but not yet running"."""
        d = Driver()
        d.update(d.pods(0)[0], 1, ready=False)  # lost readiness: Running, not Ready
        new = d.surge_pod(1, created=2, bound=3)
        d.update(new, 4, phase=RUNNING)  # started, never Ready
        tl, _ = d.rec.to_frames(4.0)
        assert tl["time_s"].tolist() == [0, 1, 2, 3, 4]
        assert tl["pending"].tolist() == [0, 0, 1, 1, 0]
        assert tl["surge"].tolist() == [0, 0, 0, 1, 1]  # bound beside the old pod
        assert tl["available"].tolist() == [2, 1, 1, 1, 1]

    def test_undesired_node_pods_do_not_count(self) -> None:
        d = Driver()
        d.at(3)
        pod = d.create(2)
        d.at(4)
        d.ready(pod)
        tl, nf = d.rec.to_frames(4.0)
        assert tl["available"].tolist() == [2, 2, 2]  # desired levels ignore the node
        assert tl["updated"].tolist() == [0, 0, 0]
        assert tl["surge"].tolist() == [0, 0, 0]
        assert tl["pending"].tolist() == [0, 1, 0]  # pending/terminating count every pod
        assert nf.loc[2, "new_created_at_s"] == 3.0

    def test_kubectl_view_waits_for_the_new_pod(self) -> None:
        d = Driver()
        view = KubectlView(d.env, d.api, "agent", d.rec.desired, 0.0)  # the recorder's: the pool selector
        assert view.old_pod_nodes() == [0, 1]
        d.at(1)
        view.delete_old_pod(0)
        event = view.node_settled(0)
        assert not event.triggered
        assert view.old_pod_nodes() == [1]
        d.remove_terminating(0)
        new = d.create(0)
        assert not event.triggered
        d.at(6)
        d.ready(new)
        assert event.triggered and event.value is True
        assert view.node_settled(0).triggered  # already available: at once

    def test_completion_needs_the_observed_generation(self) -> None:
        """``daemon.Generation <= daemon.Status.ObservedGeneration``: the API server's generation
        (3), not the one a controller that has not seen the update yet writes beside its counts (2).
        """
        d = Driver()
        d.api.daemonsets["agent"].generation = 3
        done: list[float] = []
        rollout = RolloutStatus(d.env, d.api, "agent", on_done=lambda: done.append(d.env.now))
        status = dict(desired=2, current=2, ready=2, available=2, updated=2, misscheduled=0,
                      unavailable=0, observed_generation=2, generation=2)
        for t, written in ((1.0, status), (2.0, {**status, "available": 1, "generation": 3}),
                           (3.0, {**status, "observed_generation": 3, "generation": 3}),
                           (4.0, {**status, "observed_generation": 3, "generation": 3})):
            d.at(t)
            d.api.write_status("agent", written)
            if t < 3.0:
                assert rollout.completed_at is None and not done
        assert rollout.completed_at == 3.0 and done == [3.0]
        st = rollout.frame()
        assert st["time_s"].tolist() == [1.0, 2.0, 3.0, 4.0]
        assert np.array_equal(st["available"].to_numpy(), [2, 1, 2, 2])


# -- sums in an order the code fixes, not BLAS's ---------------------------------------------

_LONG_TIMELINE = """
import numpy as np, pandas as pd
from rollsim.observe.metrics import unavailable_node_seconds
rng = np.random.default_rng(9)
n = 200_000
frame = pd.DataFrame({"time_s": np.cumsum(rng.exponential(0.7, n)),
                      "unavailable": rng.integers(0, 5000, n)})
print(repr(unavailable_node_seconds(frame, float(frame["time_s"].iloc[-1]) + 1.0)))
"""


def test_unavailable_node_seconds_is_the_exact_sum_of_its_products() -> None:
    """Not BLAS's dot product, whose order of additions is the library's (it differed here)."""
    rng = np.random.default_rng(9)
    times = np.cumsum(rng.exponential(0.7, 200_000))
    levels = rng.integers(0, 5000, len(times)).astype(float)
    frame = pd.DataFrame({"time_s": times, "unavailable": levels})
    end = float(times[-1]) + 1.0
    widths = np.diff(np.append(times, end))
    assert unavailable_node_seconds(frame, end) == math.fsum((levels * widths).tolist())


def test_unavailable_node_seconds_does_not_depend_on_blas_threads() -> None:
    """A Dask nanny runs OpenBLAS with one thread; a laptop with all cores: same digits."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[1])
    values = set()
    for threads in ("1", "2"):
        env = {**os.environ, "PYTHONPATH": root, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads,
               "MKL_NUM_THREADS": threads}
        done = subprocess.run([sys.executable, "-c", _LONG_TIMELINE], env=env, capture_output=True, text=True,
                              timeout=120, check=True)
        values.add(done.stdout.strip())
    assert len(values) == 1, values


def test_min_available_fraction_over_a_long_timeline() -> None:
    """Read slice by slice: the lowest share anywhere, rows without desired nodes skipped."""
    n = 200_000
    desired = np.full(n, 100)
    desired[:70_000] = 0  # no desired node at all in the first slice
    available = np.full(n, 90)
    available[150_001] = 37
    frame = pd.DataFrame({"time_s": np.arange(n, dtype=float), "desired": desired, "available": available,
                          "unavailable": desired - np.minimum(available, desired), "updated": 0, "surge": 0})
    nf = pd.DataFrame({"node": ["a"], "desired": [True], "downtime_s": [0.0], "new_available_at_s": [1.0]})
    assert summarize(frame, nf, None, float(n))["min_available_fraction"] == 0.37
    frame["desired"] = 0
    assert summarize(frame, nf, None, float(n))["min_available_fraction"] is None  # never a desired node


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 6)), max_size=40))
def test_peak_overlap_is_the_most_intervals_open_at_once(pairs: list[tuple[int, int]]) -> None:
    """Against the definition: at the instant of each start, the intervals with start <= t < end."""
    intervals = [(float(s), float(s + d)) for s, d in pairs]
    most = max((sum(a <= t < b for a, b in intervals) for t, _ in intervals), default=0)
    assert peak_overlap(intervals) == most


def test_peak_overlap_of_many_pulls_reads_them_slice_by_slice() -> None:
    rng = np.random.default_rng(3)
    starts = rng.random(150_000) * 1000.0
    intervals = np.column_stack((starts, starts + rng.random(150_000) * 5.0))
    times = np.concatenate((intervals[:, 0], intervals[:, 1]))
    steps = np.concatenate((np.ones(len(starts), dtype=np.int64), -np.ones(len(starts), dtype=np.int64)))
    assert peak_overlap(intervals) == int(np.cumsum(steps[np.lexsort((steps, times))]).max())
