"""Scheduled calls: a function called at a later instant, as cheaply as SimPy allows.

The cluster's components (informers, API writes, kubelets, work queue, workers) wait only
to call something later. A ``simpy.Timeout`` with a callback, or a process resumed by one,
does that with an ``Event`` (attribute dictionary, callback list, value) and, for a
process, a generator resumed through ``Process._resume`` and an extra event when it ends.
``call_later`` puts a small slotted object straight on the environment's queue instead,
with the same key a ``Timeout`` of the same delay created at the same moment would get
(time, ``NORMAL`` priority, the next event id), so it is processed at exactly the same
place among the other events: replacing a timeout by a call changes no event's order.
``call_soon`` is the same at ``URGENT`` priority, where ``env.process`` starts a process
(its ``Initialize`` event), so a process turned into calls starts at the same place too.
``Environment.step`` reads only ``callbacks`` and ``_ok`` of what it pops.

A process turned into calls is a chain of them, one per wait (the kubelet's pod phases,
``rollsim/cluster/kubelet.py``).

``run_until`` is ``Environment.run(until=event)`` with the stepping inlined: a ``Call`` is
called straight from the loop (no callback list, no ``step`` frame); every other event is
processed as ``Environment.step`` processes it. The order of events is the queue's, as before.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any, cast

import simpy
from simpy.core import StopSimulation
from simpy.events import NORMAL, URGENT

__all__ = ["call_later", "call_soon", "Call", "Cursor", "run_until"]


class Call:
    """One scheduled call of ``fn(*args)``: an entry of the event queue, not a SimPy ``Event``."""

    __slots__ = ("callbacks", "fn", "args")
    _ok = True  # read by Environment.step: a call never fails

    def __init__(self, fn: Callable[..., object], args: tuple[object, ...]) -> None:
        self.fn = fn
        self.args = args
        self.callbacks: tuple[Callable[[Call], None], ...] | None = _CALLBACKS


class call_later(Call):  # lowercase: named for what calling it does
    """``call_later(env, delay, fn, *args)``: call ``fn(*args)`` ``delay`` seconds from now, where
    ``env.timeout(delay)`` made now would fire. A ``Call`` that puts itself on the queue when made
    (as a SimPy ``Timeout`` schedules itself), so a scheduled call costs one call, not two; and
    compiled, a call of the class by its own name is a direct call of its constructor.
    """

    __slots__ = ()

    def __init__(self, env: simpy.Environment, delay: float, fn: Callable[..., object], *args: object) -> None:
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        self.fn = fn
        self.args = args
        self.callbacks = _CALLBACKS
        queue: list[Any] = env._queue  # a Call stands where an Event would
        heappush(queue, (env._now + delay, NORMAL, next(env._eid), self))


class call_soon(Call):  # lowercase, as call_later
    """``call_soon(env, fn, *args)``: call ``fn(*args)`` now, where a process started now
    (``env.process``) would take its first step: a ``Call`` that puts itself on the queue when
    made, now, at ``URGENT`` priority.
    """

    __slots__ = ()

    def __init__(self, env: simpy.Environment, fn: Callable[..., object], *args: object) -> None:
        self.fn = fn
        self.args = args
        self.callbacks = _CALLBACKS
        queue: list[Any] = env._queue
        heappush(queue, (env._now, URGENT, next(env._eid), self))


def _run(call: Call) -> None:
    call.fn(*call.args)


_CALLBACKS = (_run,)  # every call's callbacks, for Environment.step (run_until calls a call directly)


class Cursor:
    """Where a run is: the queue entry (time, priority, id, event) being processed, so that
    a component can tell whether an entry it left off the queue would have had its turn yet
    (``rollsim/cluster/workqueue.py``: syncs that would do nothing).
    """

    __slots__ = ("entry",)

    def __init__(self) -> None:
        self.entry: tuple[Any, ...] = (-math.inf,)  # before the run: before every entry


def _process(event: Any) -> None:
    """Process a SimPy event as ``Environment.step`` does: its callbacks, then a failure crashes the run."""
    callbacks, event.callbacks = event.callbacks, None
    for callback in callbacks:
        callback(event)
    if not event._ok and not hasattr(event, "_defused"):
        exc = type(event._value)(*event._value.args)
        exc.__cause__ = event._value
        raise exc


def run_until(env: simpy.Environment, until: simpy.Event, cursor: Cursor | None = None) -> Any:
    """``env.run(until=until)``, stepping inline: returns ``until``'s value once it is processed.

    Mirrors ``Environment.run`` and ``Environment.step`` (simpy/core.py) for everything but a
    ``Call``, which is called directly. A run that empties the queue before ``until`` is
    processed raises ``RuntimeError``, as SimPy's does. With a ``cursor``, the entry being
    processed is kept in it (a loop of its own: the run without one pays nothing for it).
    """
    callbacks = cast(Any, until).callbacks  # None once processed, though SimPy types it a list (mypyc checks that)
    if callbacks is None:
        return until.value
    callbacks.append(StopSimulation.callback)
    queue: list[Any] = env._queue
    try:
        if cursor is None:
            while queue:
                env._now, _, _, event = heappop(queue)
                kind = event.__class__
                if kind is call_later or kind is Call or kind is call_soon:
                    event.fn(*event.args)
                    continue  # (a loop that ends in an if/else here costs CPython 3.11 far more per event)
                _process(event)  # a SimPy event (rare: nearly every entry is a call)
        else:  # the same loop, keeping the entry (ideal mode's work queue reads it: skipped syncs)
            while queue:
                cursor.entry = entry = heappop(queue)
                env._now = entry[0]
                event = entry[3]
                kind = event.__class__
                if kind is call_later or kind is Call or kind is call_soon:
                    event.fn(*event.args)
                    continue
                _process(event)
    except StopSimulation as stop:
        return stop.args[0]
    raise RuntimeError(f'No scheduled events left but "until" event was not triggered: {until}')
