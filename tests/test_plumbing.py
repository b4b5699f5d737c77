"""The controller's plumbing: token bucket, failed-pod backoff, expectations, work queue,
random streams, OnDelete deleter specs and the ranked set behind the fast path."""

from __future__ import annotations

import os
import subprocess
import sys
import zlib

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from rollsim.cluster.countedsyncs import failure_delay
from rollsim.cluster.informer import ADDED, DELETED, MODIFIED, Informer
from rollsim.cluster.workqueue import QUEUE_BURST, QUEUE_QPS, WorkQueue
from rollsim.controller.expectations import EXPECTATIONS_TIMEOUT, Expectations
from rollsim.controller.flowcontrol import Backoff, TokenBucket
from rollsim.controller.index import RankedSet
from rollsim.controller.pods import Pod
from rollsim.spec.deleters import DeleterSpec, parse_deleter
from rollsim.spec.streams import Streams, stream_key

# -- TokenBucket ---------------------------------------------------------------------------


class TestTokenBucket:
    def test_burst_then_qps_spacing(self) -> None:
        bucket = TokenBucket(20, 30)
        grants = [bucket.reserve(0.0) for _ in range(40)]
        assert grants[:30] == [0.0] * 30
        assert grants[30:] == pytest.approx([i / 20 for i in range(1, 11)], abs=1e-12)

    def test_calls_arriving_later_queue_behind_earlier_ones(self) -> None:
        bucket = TokenBucket(20, 30)
        for _ in range(31):
            bucket.reserve(0.0)  # the 31st is granted at 0.05
        # Asked at 0.01, after the bucket went negative: FIFO at the sustained rate.
        assert bucket.reserve(0.01) == pytest.approx(0.10, abs=1e-12)
        assert bucket.reserve(0.02) == pytest.approx(0.15, abs=1e-12)

    def test_refills_fully_after_idle(self) -> None:
        bucket = TokenBucket(20, 30)
        for _ in range(40):
            bucket.reserve(0.0)
        grants = [bucket.reserve(100.0) for _ in range(31)]
        assert grants[:30] == [100.0] * 30  # capped at burst: not 2,000 tokens
        assert grants[30] == pytest.approx(100.05, abs=1e-12)

    def test_partial_refill(self) -> None:
        bucket = TokenBucket(20, 30)
        for _ in range(30):
            bucket.reserve(0.0)
        grants = [bucket.reserve(0.5) for _ in range(11)]  # 0.5 s × 20/s = 10 tokens
        assert grants[:10] == [0.5] * 10
        assert grants[10] == pytest.approx(0.55, abs=1e-12)

    def test_sustained_rate(self) -> None:
        bucket = TokenBucket(5, 1)
        grants = [bucket.reserve(float(t)) for t in range(10)]  # one call a second, well under 5 qps
        assert grants == [float(t) for t in range(10)]

    @pytest.mark.parametrize(("qps", "burst"), [(0, 30), (-1, 30), (20, 0)])
    def test_rejects_bad_arguments(self, qps, burst) -> None:
        with pytest.raises(ValueError):
            TokenBucket(qps, burst)


# -- Backoff -------------------------------------------------------------------------------


class TestBackoff:
    def test_doubles_from_one_second_to_the_cap(self) -> None:
        backoff = Backoff()
        delays = []
        for i in range(14):
            backoff.next("k", float(i))
            delays.append(backoff.get("k"))
        assert delays == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900]

    def test_unknown_key(self) -> None:
        backoff = Backoff()
        assert backoff.get("nope") == 0.0
        assert not backoff.in_backoff_since_update("nope", 0.0)

    def test_keys_are_independent(self) -> None:
        backoff = Backoff()
        for _ in range(3):
            backoff.next("a", 0.0)
        backoff.next("b", 0.0)
        assert (backoff.get("a"), backoff.get("b")) == (4, 1)

    def test_resets_after_twice_the_maximum_idle(self) -> None:
        backoff = Backoff(1.0, 900.0)
        for _ in range(5):
            backoff.next("k", 0.0)
        assert backoff.get("k") == 16
        backoff.next("k", 1800.0)  # exactly 2 × max: not yet expired, keeps doubling
        assert backoff.get("k") == 32
        backoff.next("k", 1800.0 + 1800.001)
        assert backoff.get("k") == 1

    def test_in_backoff_since_update(self) -> None:
        backoff = Backoff(1.0, 900.0)
        backoff.next("k", 10.0)
        assert backoff.in_backoff_since_update("k", 10.0)
        assert backoff.in_backoff_since_update("k", 10.999)
        assert not backoff.in_backoff_since_update("k", 11.0)  # strict <, as upstream
        backoff.next("k", 20.0)  # 2 s now
        assert backoff.in_backoff_since_update("k", 21.5)
        assert not backoff.in_backoff_since_update("k", 22.0)

    def test_expired_entry_is_not_in_backoff(self) -> None:
        backoff = Backoff(1.0, 10.0)
        for _ in range(5):
            backoff.next("k", 0.0)  # capped at 10
        assert backoff.in_backoff_since_update("k", 9.0)
        assert not backoff.in_backoff_since_update("k", 20.5)


# -- Expectations --------------------------------------------------------------------------


class TestExpectations:
    def test_no_record_is_satisfied(self) -> None:
        assert Expectations().satisfied(0.0)

    def test_set_then_observe(self) -> None:
        exp = Expectations()
        exp.set(2, 1, now=0.0)
        assert exp.pending == (2, 1)
        assert not exp.satisfied(0.0)
        exp.creation_observed()
        exp.creation_observed()
        assert not exp.satisfied(1.0)  # a deletion is still outstanding
        exp.deletion_observed()
        assert exp.satisfied(1.0)
        assert exp.pending == (0, 0)

    def test_over_observation_stays_satisfied(self) -> None:
        exp = Expectations()
        exp.set(1, 0, now=0.0)
        exp.creation_observed()
        exp.creation_observed()
        assert exp.pending == (-1, 0)
        assert exp.satisfied(0.0)

    def test_times_out_after_five_minutes(self) -> None:
        assert EXPECTATIONS_TIMEOUT == 300.0
        exp = Expectations()
        exp.set(3, 3, now=100.0)
        assert not exp.satisfied(100.0 + 299.0)
        assert not exp.satisfied(100.0 + 300.0)  # isExpired is strict: Since(ts) > timeout
        assert exp.satisfied(100.0 + 300.001)

    def test_custom_timeout(self) -> None:
        exp = Expectations(timeout=5.0)
        exp.set(1, 0, now=0.0)
        assert not exp.satisfied(5.0)
        assert exp.satisfied(5.5)

    def test_set_replaces_and_restarts_the_clock(self) -> None:
        exp = Expectations()
        exp.set(5, 5, now=0.0)
        exp.set(1, 0, now=250.0)
        assert exp.pending == (1, 0)
        assert not exp.satisfied(400.0)  # 150 s after the second set
        assert exp.satisfied(551.0)

    def test_lower_and_clear(self) -> None:
        exp = Expectations()
        exp.set(4, 2, now=0.0)
        exp.lower(add=3, delete=1)
        assert exp.pending == (1, 1)
        assert not exp.satisfied(0.0)
        exp.clear()
        assert exp.pending == (0, 0)
        assert exp.satisfied(0.0)


# -- WorkQueue -----------------------------------------------------------------------------


def _take(env: simpy.Environment, queue: WorkQueue, log: list) -> None:
    """A getter that records (time, key) when it is handed a key."""

    def proc():
        key = yield queue.get()
        log.append((env.now, key))

    env.process(proc())


class TestWorkQueue:
    def test_deduplicates_queued_keys(self) -> None:
        env = simpy.Environment()
        queue = WorkQueue(env)
        for key in ("a", "a", "b", "a", "b"):
            queue.add(key)
        assert len(queue) == 2
        log: list = []
        for _ in range(3):
            _take(env, queue, log)
        env.run()
        assert [k for _, k in log] == ["a", "b"]  # FIFO, each once; the third getter waits
        assert len(queue) == 0

    def test_key_added_while_processing_is_requeued_after_done(self) -> None:
        env = simpy.Environment()
        queue = WorkQueue(env)
        queue.add("ds")
        first: list = []
        _take(env, queue, first)
        env.run()
        assert first == [(0, "ds")]
        queue.add("ds")  # arrives while "ds" is being processed
        queue.add("ds")
        assert len(queue) == 0  # held back, not queued
        second: list = []
        _take(env, queue, second)  # an idle worker must not get it
        env.run(until=5)
        assert second == []
        queue.done("ds")
        env.run(until=6)
        assert second == [(5, "ds")]  # exactly once, right after done
        queue.done("ds")
        assert len(queue) == 0

    def test_done_without_new_adds_does_not_requeue(self) -> None:
        env = simpy.Environment()
        queue = WorkQueue(env)
        queue.add("ds")
        log: list = []
        _take(env, queue, log)
        _take(env, queue, log)
        env.run()
        queue.done("ds")
        env.run(until=10)
        assert log == [(0, "ds")]

    def test_add_after(self) -> None:
        env = simpy.Environment()
        queue = WorkQueue(env)
        log: list = []
        _take(env, queue, log)
        queue.add_after("ds", 7.5)
        env.run(until=7)
        assert log == []
        env.run()
        assert log == [(7.5, "ds")]
        _take(env, queue, log)
        queue.add_after("x", 0.0)  # no delay: at once
        env.run()
        assert log[-1] == (7.5, "x")

    def test_rate_limited_retries_double_and_forget_resets(self) -> None:
        env = simpy.Environment()
        queue = WorkQueue(env)
        times = []
        for _ in range(4):
            log: list = []
            _take(env, queue, log)
            start = env.now
            queue.add_rate_limited("ds")
            env.run()
            times.append(log[0][0] - start)
            queue.done("ds")
        assert times == pytest.approx([0.005, 0.01, 0.02, 0.04])
        queue.forget("ds")
        log = []
        _take(env, queue, log)
        start = env.now
        queue.add_rate_limited("ds")
        env.run()
        assert log[0][0] - start == pytest.approx(0.005)

    def test_rate_limited_delay_is_capped(self) -> None:
        env = simpy.Environment()
        queue = WorkQueue(env)
        log: list = []

        def worker():
            while True:
                key = yield queue.get()
                log.append(env.now)
                queue.done(key)

        env.process(worker())
        for _ in range(30):
            queue.add_rate_limited("k")  # uncapped, the 30th would wait 0.005 × 2^29 s (~31 days)
        env.run()
        assert log[:3] == pytest.approx([0.005, 0.01, 0.02])
        assert max(log) == pytest.approx(1000.0)
        assert env.now == pytest.approx(1000.0)

    def test_rate_limited_delay_after_thousands_of_failures(self) -> None:
        """A key that fails sync after sync (an old pod on a deleted node, with surge, fails every
        sync until PodGC removes it: one per pod event in ideal mode) keeps the 1000 s cap: 2**n
        grew past what a float holds, an OverflowError after about 1,030 failures.
        """
        assert failure_delay(5_000) == 1000.0
        assert [failure_delay(n) for n in (0, 1, 17, 18)] == [0.005, 0.01, 0.005 * 2**17, 1000.0]

    def test_rate_limited_retries_share_the_overall_bucket(self) -> None:
        """``DefaultControllerRateLimiter`` is the longer of the per-key delay and one 10 qps, burst 100
        bucket for the whole queue (``MaxOfRateLimiter``; every ``When`` takes a token): 100 keys failing
        at once retry after 5 ms, the 101st and 102nd after 0.1 s and 0.2 s; one second later 10
        tokens are back. Without the bucket (ideal mode) every key waits its own 5 ms.
        """
        env = simpy.Environment()
        queue = WorkQueue(env, dedup=True, limiter=TokenBucket(QUEUE_QPS, QUEUE_BURST))
        delays = [queue.when(0, 0.0) for _ in range(102)]
        assert delays[:100] == [0.005] * 100
        assert delays[100:] == pytest.approx([0.1, 0.2])
        # at 1.2 s the bucket has earned 12 tokens since, 2 of them owed: 10 calls at 5 ms, then 0.1 s
        assert [queue.when(0, 1.2) for _ in range(11)] == pytest.approx([0.005] * 10 + [0.1])
        assert queue.when(20, 1.2) == failure_delay(20)  # a long per-key delay is the longer one
        unlimited = WorkQueue(env)
        assert {unlimited.when(0, 0.0) for _ in range(200)} == {0.005}

    @settings(max_examples=30, deadline=None)
    @given(
        seed=st.integers(0, 2**32 - 1),
        workers=st.integers(1, 4),
        keys=st.integers(1, 3),
    )
    def test_never_handed_to_two_workers_and_no_add_is_lost(self, seed, workers, keys) -> None:
        env = simpy.Environment()
        queue = WorkQueue(env)
        rng = np.random.default_rng(seed)
        processing: set = set()
        seq = [0]
        adds: list[tuple[int, str]] = []
        starts: list[tuple[int, str]] = []
        violations: list = []

        def tick() -> int:
            seq[0] += 1
            return seq[0]

        def worker():
            while True:
                key = yield queue.get()
                if key in processing:
                    violations.append((env.now, key))
                processing.add(key)
                starts.append((tick(), key))
                yield env.timeout(float(rng.exponential(1.0)))
                processing.discard(key)
                queue.done(key)

        def producer():
            for _ in range(60):
                yield env.timeout(float(rng.exponential(0.3)))
                key = f"k{int(rng.integers(keys))}"
                adds.append((tick(), key))
                queue.add(key)

        for _ in range(workers):
            env.process(worker())
        env.process(producer())
        env.run(until=10_000)

        assert violations == []
        assert not processing and len(queue) == 0
        # Every add is followed by a processing of that key that starts after it.
        for at, key in adds:
            assert any(s > at and k == key for s, k in starts), (at, key)
        # And processing never starts without a preceding add of that key.
        assert len(starts) <= len(adds)


# -- Informer -----------------------------------------------------------------------------


class RecordingController:
    """Stands in for the controller's informer handlers: logs (time, handler, uid, scheduled)."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.log: list[tuple[float, str, int, bool]] = []

    def pod_added(self, pod: Pod) -> None:
        self.log.append((self.env.now, ADDED, pod.uid, pod.scheduled))

    def pod_updated(self, pod: Pod) -> None:
        self.log.append((self.env.now, MODIFIED, pod.uid, pod.scheduled))

    def pod_deleted(self, uid: int) -> None:
        self.log.append((self.env.now, DELETED, uid, False))


def informer_with(delays: list[float]):
    env = simpy.Environment()
    controller = RecordingController(env)
    scripted = iter(delays)
    return env, controller, Informer(env, controller, lambda: next(scripted))




class TestInformer:
    def test_no_delay_delivers_at_once(self) -> None:
        env = simpy.Environment()
        controller = RecordingController(env)
        informer = Informer(env, controller, None)
        pod = Pod(1, 0, 1, 0.0)
        informer.notify(ADDED, pod)
        pod.scheduled = True
        informer.notify(MODIFIED, pod)
        assert controller.log == [(0, ADDED, 1, False), (0, MODIFIED, 1, True)]

    def test_delivers_a_snapshot_after_the_delay(self) -> None:
        env, controller, informer = informer_with([0.25])
        pod = Pod(1, 0, 1, 0.0)
        informer.notify(ADDED, pod)
        pod.scheduled = True  # changed after the notification: not in the event
        env.run()
        assert controller.log == [(0.25, ADDED, 1, False)]

    def test_a_later_event_never_overtakes_an_earlier_one(self) -> None:
        env, controller, informer = informer_with([1.0, 0.1, 0.05])
        pod = Pod(1, 0, 1, 0.0)
        informer.notify(ADDED, pod)
        env.run(until=0.5)
        pod.scheduled = True
        informer.notify(MODIFIED, pod)  # would land at 0.6, before the ADDED at 1.0
        other = Pod(2, 1, 1, 0.5)
        informer.notify(ADDED, other)  # another object is not held back
        env.run()
        assert [(kind, uid) for _, kind, uid, _ in controller.log] == [(ADDED, 2), (ADDED, 1), (MODIFIED, 1)]
        assert controller.log[1][0] == controller.log[2][0] == 1.0

    def test_order_survives_float_rounding(self) -> None:
        env, controller, informer = informer_with([0.6, 0.01])
        pod = Pod(1, 0, 1, 0.0)
        informer.notify(ADDED, pod)  # due at 0.6
        env.run(until=0.059)
        pod.scheduled = True
        informer.notify(MODIFIED, pod)  # due at 0.069, held back to 0.6
        env.run()
        assert [kind for _, kind, _, _ in controller.log] == [ADDED, MODIFIED]
        assert controller.log[0][0] <= controller.log[1][0]

    def test_delete_releases_the_hold(self) -> None:
        env, controller, informer = informer_with([1.0, 0.1, 0.1])
        pod = Pod(1, 0, 1, 0.0)
        informer.notify(ADDED, pod)
        informer.notify(DELETED, pod)  # held back to 1.0
        env.run()
        assert [kind for _, kind, _, _ in controller.log] == [ADDED, DELETED]
        assert informer._deliveries_of(1) == []  # nothing of the pod left on its way
        informer.notify(ADDED, Pod(1, 0, 1, 1.0))  # a new object with the same uid starts afresh
        env.run()
        assert controller.log[-1][0] == pytest.approx(1.1)


# -- Streams -------------------------------------------------------------------------------


class TestStreams:
    def test_same_name_same_numbers(self) -> None:
        a = Streams(7)["pull"].random(5)
        b = Streams(7)["pull"].random(5)
        assert a.tolist() == b.tolist()

    def test_different_names_differ(self) -> None:
        s = Streams(7)
        assert s["pull"].random(5).tolist() != s["start"].random(5).tolist()

    def test_different_seeds_differ(self) -> None:
        assert Streams(1)["pull"].random(5).tolist() != Streams(2)["pull"].random(5).tolist()

    def test_independent_of_access_order(self) -> None:
        one, two = Streams(42), Streams(42)
        a1 = one["a"].random(3)
        b1 = one["b"].random(3)
        b2 = two["b"].random(3)
        two["zzz"].random(100)  # an unrelated stream used in between changes nothing
        a2 = two["a"].random(3)
        assert a1.tolist() == a2.tolist()
        assert b1.tolist() == b2.tolist()

    def test_a_name_is_one_generator_per_streams(self) -> None:
        s = Streams(3)
        assert s["x"] is s["x"]
        first = s["x"].random()
        assert s["x"].random() != first  # continues, not restarted

    def test_stream_key_is_stable(self) -> None:
        assert stream_key("ab") == (zlib.crc32(b"ab"), 2, 97, 98)
        assert stream_key("pull") != stream_key("pulL")

    def test_not_salted_by_python_hash(self) -> None:
        code = "from rollsim.spec.streams import Streams; print(Streams(5)['pull'].random(3).tolist())"
        out = set()
        for hashseed in ("1", "2"):
            env = {**os.environ, "PYTHONHASHSEED": hashseed}
            out.add(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                   env=env, cwd=os.path.dirname(os.path.dirname(__file__)),
                                   check=True).stdout)
        assert len(out) == 1
        assert out.pop().strip() == str(Streams(5)["pull"].random(3).tolist())

    @pytest.mark.parametrize("seed", [-1, 1.5])
    def test_rejects_bad_seeds(self, seed) -> None:
        with pytest.raises(ValueError):
            Streams(seed)


# -- parse_deleter -------------------------------------------------------------------------


class TestParseDeleter:
    @pytest.mark.parametrize(
        ("spec", "expected"),
        [
            ("none", DeleterSpec("none")),
            ("batch:5", DeleterSpec("batch", count=5)),
            ("batch:5:30", DeleterSpec("batch", count=5, pause=30.0)),
            ("batch:1:2.5", DeleterSpec("batch", count=1, pause=2.5)),
            ("rate:10", DeleterSpec("rate", interval=10.0)),
            ("rate:.5", DeleterSpec("rate", interval=0.5)),
            ("rate:2.", DeleterSpec("rate", interval=2.0)),
            ("  RATE:3 ", DeleterSpec("rate", interval=3.0)),
            ("Batch:2", DeleterSpec("batch", count=2)),
        ],
    )
    def test_valid(self, spec, expected) -> None:
        assert parse_deleter(spec) == expected

    @pytest.mark.parametrize("spec", ["none", "batch:5", "batch:5:30", "batch:1:2.5", "rate:10", "rate:0.5"])
    def test_str_round_trips(self, spec) -> None:
        parsed = parse_deleter(spec)
        assert parse_deleter(str(parsed)) == parsed
        assert str(parsed) == spec

    def test_spec_passes_through(self) -> None:
        spec = DeleterSpec("batch", count=3)
        assert parse_deleter(spec) is spec

    @pytest.mark.parametrize(
        "spec",
        [
            "", "foo", "batch", "batch:", "batch:0", "batch:-1", "batch:1.5", "batch:2:", "batch:2:-1",
            "batch:2:3:4", "rate", "rate:", "rate:0", "rate:-1", "rate:abc", "rate:1:2", "none:1",
            "delete:3",
        ],
    )
    def test_invalid(self, spec) -> None:
        with pytest.raises(ValueError):
            parse_deleter(spec)

    @pytest.mark.parametrize(
        "kwargs",
        [dict(kind="bogus"), dict(kind="batch", count=0), dict(kind="rate", interval=0.0),
         dict(kind="batch", count=1, pause=-1.0)],
    )
    def test_spec_validation(self, kwargs) -> None:
        with pytest.raises(ValueError):
            DeleterSpec(**kwargs)


# -- RankedSet -----------------------------------------------------------------------------


def _expected(rank, members, k):
    return sorted(members, key=lambda m: (rank[m], m))[: max(k, 0)]


class TestRankedSet:
    def test_smallest_in_rank_order(self) -> None:
        rank = [0.5, 0.1, 0.9, 0.3, 0.7]
        s = RankedSet(rank, [0, 1, 2, 3, 4])
        assert s.smallest(3) == [1, 3, 0]
        assert s.smallest(10) == [1, 3, 0, 4, 2]
        assert s.smallest(0) == [] and s.smallest(-1) == []
        s.discard(3)
        assert s.smallest(2) == [1, 0]
        assert 3 not in s and len(s) == 4

    def test_ties_broken_by_id(self) -> None:
        s = RankedSet([1.0, 0.0, 1.0, 0.0], [0, 1, 2, 3])
        assert s.smallest(3) == [1, 3, 0]

    @settings(max_examples=100, deadline=None)
    @given(
        data=st.data(),
        size=st.integers(1, 150),
    )
    def test_smallest_matches_sorted(self, data, size) -> None:
        rank = data.draw(st.lists(st.floats(0, 1, allow_nan=False) | st.sampled_from([0.25, 0.5]),
                                  min_size=size, max_size=size))
        initial = data.draw(st.sets(st.integers(0, size - 1)))
        s = RankedSet(rank, initial)
        members = set(initial)
        ops = data.draw(st.lists(st.tuples(st.sampled_from(["add", "discard", "smallest"]),
                                           st.integers(0, size - 1)), max_size=300))
        for op, arg in ops:
            if op == "add":
                s.add(arg)
                members.add(arg)
            elif op == "discard":
                s.discard(arg)
                members.discard(arg)
            else:
                k = arg % (len(members) + 2)
                assert s.smallest(k) == _expected(rank, members, k)
                assert s.smallest(k) == _expected(rank, members, k)  # the heap survives a query
            assert len(s) == len(members)
            assert set(s) == members
        for k in range(len(members) + 2):
            assert s.smallest(k) == _expected(rank, members, k)

    def test_many_discards_then_readds(self) -> None:
        rank = np.random.default_rng(0).random(500).tolist()
        s = RankedSet(rank, range(500))
        for k in range(0, 500, 1):
            if k % 7:
                s.discard(k)  # triggers heap compaction on the way
        for k in range(0, 500, 3):
            s.add(k)
        members = {k for k in range(500) if k % 7 == 0 or k % 3 == 0}
        assert s.smallest(40) == _expected(rank, members, 40)
        assert s.smallest(len(members)) == _expected(rank, members, len(members))


def test_atomic_writes_get_the_mode_a_plain_open_would(tmp_path) -> None:
    import os

    from rollsim.io.atomic import write_text

    umask = os.umask(0o022)
    try:
        write_text(tmp_path / "f.txt", "x")
        assert (tmp_path / "f.txt").stat().st_mode & 0o777 == 0o644
        assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]
    finally:
        os.umask(umask)
