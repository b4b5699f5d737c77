"""Where runs execute: in this process, in local processes, or on a Dask cluster.

The one place that picks the executor: by name, or any ``concurrent.futures.Executor`` the
caller made (and keeps open). Every choice yields a ``Backend`` whose
``submit`` is ``concurrent.futures.Executor.submit`` and returns a
``concurrent.futures.Future``; the runner needs nothing else, and sorts results by
configuration and replication, so the choice never changes an output. Dask is
imported only when asked for, with an error that names the missing extra.

Local worker processes (``rollsim.sweep.pool``) are forked warm where that is safe and
die with the process that started them, SIGKILL included. No more workers start than
there are runs to do, and one run goes in this process unless an executor is named.
Local workers are capped at ``WORKERS_PER_CORE`` per core (``ROLLSIM_MAX_WORKERS`` moves
the cap): more processes than that only share the same cores. The cap holds for the
default (the cores here) as for ``--workers``: a lower ``ROLLSIM_MAX_WORKERS`` lowers it. A Dask backend reports a
lost scheduler or an empty cluster through ``Backend.trouble``; the runner gives up when
the trouble lasts ``LOST_AFTER_S`` seconds.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rollsim.spec.limits import LimitError, env_positive_int
from rollsim.spec.quantity import is_ascii_digits
from rollsim.sweep.pool import open_pool, start_method

__all__ = ["EXECUTORS", "Backend", "ExecutorError", "SerialExecutor", "choose_executor", "open_executor",
           "available_cores", "check_workers", "default_workers", "max_workers", "scheduler_address", "LOST_AFTER_S",
           "WORKERS_PER_CORE"]

EXECUTORS = ("serial", "processes", "dask")
_DASK_EXTRA = "pip install 'rollsim[dask]' (or dask[distributed])"
# Local workers beyond a few per core only share the same cores (and memory: ~150 MiB each).
WORKERS_PER_CORE = 4
_MAX_WORKERS_ENV = "ROLLSIM_MAX_WORKERS"
# How long a Dask scheduler may stay unreachable, or a cluster without workers, before the
# sweep gives up (a nanny restarts a dead worker in seconds; an autoscaler may take longer).
LOST_AFTER_S = 60.0
_WORKER_SETUP = "rollsim.sweep.dask_worker"  # preloaded by a local cluster's workers: they leave signals to the sweep
_ASK_S = 10.0  # the longest one question to the scheduler may take
_CLOSE_S = 10.0  # closing a client whose scheduler is gone must not wait Dask's 60 s
# Dask logs every failed reconnection, and every comm and heartbeat that a stopping cluster
# breaks, with a traceback (and tornado and asyncio what they were left holding); the runner
# says what happened in one line. These are the loggers of this process (the client, and the
# scheduler and nannies of a local cluster, whose workers are told by ``silence_logs``);
# ``distributed`` and ``distributed.client`` have levels of their own (dask's config).
_DASK_LOGGERS = ("distributed", "distributed.client", "distributed.core", "distributed.comm", "distributed.batched",
                 "distributed.utils", "distributed.nanny", "distributed.scheduler", "distributed.worker",
                 "tornado", "tornado.application", "asyncio")


_SCHEMES = ("tcp", "tls", "ucx", "ws", "wss")
_PORT_NEEDED = ("tcp", "tls", "ucx")  # Dask's parse_host_port has no default port for these; ws has the URL's
_ADDRESS = re.compile(r"(?:(?P<scheme>[a-z]+)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+)(?::(?P<port>[^/]*))?/?")


def scheduler_address(text: str) -> str:
    """A Dask scheduler address, ``[scheme://]host:port`` (``ws``/``wss``: the port may be left out),
    checked before anything is loaded; ``ValueError`` says what is wrong.
    """
    m = _ADDRESS.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"must be a Dask scheduler address such as tcp://10.0.0.5:8786, got {text!r}")
    scheme = m["scheme"] or "tcp"  # Dask's default
    if scheme == "inproc":
        raise ValueError(f"an inproc:// address names a scheduler inside one Python process, which a new "
                         f"process cannot reach; use tcp://HOST:PORT, got {text!r}")
    if scheme not in _SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; use {', '.join(_SCHEMES)}, got {text!r}")
    port = m["port"]
    if port is None and scheme in _PORT_NEEDED:
        raise ValueError(f"the address has no port: write HOST:PORT, such as tcp://10.0.0.5:8786, got {text!r}")
    if port is not None and not (is_ascii_digits(port) and 0 < int(port) < 65536):
        raise ValueError(f"the port must be a number from 1 to 65535, got {text!r}")
    return text.strip()


class ExecutorError(ValueError):
    """Executor options that do not fit together, a missing extra, or an unreachable cluster.

    ``option`` names the parameter whose value breaks ``rule`` (the CLI's flag of the same
    name: ``argument --workers: ...``); the message is ``option: rule``, or the rule alone.
    """

    def __init__(self, rule: str, option: str | None = None) -> None:
        self.rule, self.option = rule, option
        super().__init__(f"{option}: {rule}" if option else rule)


def _healthy() -> str | None:
    return None


class SerialExecutor(Executor):
    """Runs each call at once, in this process, when it is submitted.

    A ``KeyboardInterrupt`` is not stored in the future: it stops the caller.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` now; a future already done with its result or exception."""
        future: Future = Future()
        future.set_running_or_notify_cancel()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)
        return future


@dataclass(frozen=True)
class Backend:
    """An open executor and what the manifest says about it.

    ``name`` is ``serial``, ``processes``, ``dask-local`` or ``dask:<address>``;
    ``workers`` how many runs can go at once; ``inline`` that ``submit`` runs the call
    before it returns (so a caller should submit one run at a time); ``trouble`` says
    what is wrong with the executor right now ("dask scheduler at X lost"), or None;
    ``forked`` that every worker was forked from this process when the executor opened,
    so it holds what this process held then (``rollsim.sweep.schedule.inheriting``).
    """

    executor: Executor
    name: str
    workers: int
    inline: bool = False
    trouble: Callable[[], str | None] = _healthy
    forked: bool = False

    @property
    def watched(self) -> bool:
        """Whether ``trouble`` can report anything (a Dask cluster's): a local executor's cannot."""
        return self.trouble is not _healthy

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Submit ``fn(*args, **kwargs)`` to the executor."""
        return self.executor.submit(fn, *args, **kwargs)


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def max_workers() -> int:
    """The most local workers a sweep may start: ``ROLLSIM_MAX_WORKERS`` if set, else
    ``WORKERS_PER_CORE`` per core.
    """
    return env_positive_int(_MAX_WORKERS_ENV, WORKERS_PER_CORE * available_cores())


def default_workers() -> int:
    """The local workers when none are asked for: the cores here, but no more than ``max_workers()``
    (a lower ``ROLLSIM_MAX_WORKERS`` lowers the default; an invalid one is a ``LimitError``).
    """
    return min(available_cores(), max_workers())


def check_workers(workers: int) -> int:
    """``workers`` if within ``max_workers()``; else ``LimitError`` stating the cap and how to move it."""
    bound = max_workers()
    if workers > bound:
        source = (f"set by {_MAX_WORKERS_ENV}" if os.environ.get(_MAX_WORKERS_ENV, "").strip()
                  else f"{WORKERS_PER_CORE} per core, {available_cores()} here")
        raise LimitError(f"{workers:,} workers exceed the limit of {bound:,} local workers ({source}); "
                         f"set {_MAX_WORKERS_ENV} to raise it")
    return workers


def _pool_size(executor: Executor) -> int:
    """How many calls a caller's executor runs at once: a ``concurrent.futures`` pool's
    ``max_workers`` (it keeps it as ``_max_workers``), else the cores here (audit 13: a
    ``ThreadPoolExecutor(3)`` was recorded as the 2 cores).
    """
    size = getattr(executor, "_max_workers", None)
    return size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else available_cores()


def choose_executor(workers: int | None, executor: str | Executor | None,
                    scheduler: str | None, runs: int | None = None) -> tuple[str, int | str]:
    """Check the options and decide: ``(kind, workers or address)``.

    An ``Executor`` instance is the caller's own: ``("given", workers)``, where ``workers``
    (default: the pool's size, ``_pool_size``) only sets how many runs are kept in flight.

    ``kind`` is ``serial`` (one worker: in this process), ``processes`` (a local process
    pool; all cores by default, ``max_workers()`` at most), ``dask-local`` (a Dask cluster started here) or
    ``dask`` (an existing cluster at ``scheduler``, which sets its own worker count).
    ``runs``, when known, is how many runs (or tasks) there are: no more local workers
    start than that, and a single one runs in this process unless an executor is named.
    Local workers are capped by ``max_workers()``: more asked for is a ``LimitError``, as is an
    invalid ``ROLLSIM_MAX_WORKERS`` whenever the run is local; a ``ROLLSIM_START_METHOD``
    that is no start method here is an ``ExecutorError``.
    """
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ExecutorError(f"must be a positive integer, got {workers!r}", "workers")
    if isinstance(executor, Executor):
        if scheduler is not None:
            raise ExecutorError("does not go with an executor object: the object already chose", "scheduler")
        return "given", workers if workers is not None else _pool_size(executor)
    if executor is not None and executor not in EXECUTORS:
        raise ExecutorError(f"must be one of {', '.join(EXECUTORS)}, got {executor!r}", "executor")
    if scheduler is not None:
        if not isinstance(scheduler, str) or not scheduler.strip():
            raise ExecutorError(f"must be the address of a Dask scheduler, got {scheduler!r}", "scheduler")
        try:
            scheduler_address(scheduler)
        except ValueError as exc:
            raise ExecutorError(str(exc), "scheduler") from None
        if executor not in (None, "dask"):
            raise ExecutorError(f"{executor} does not go with a Dask scheduler's address (that is the dask "
                                "executor's)", "executor")
        if workers is not None:
            raise ExecutorError("does not go with a Dask scheduler's address: the Dask cluster has its own "
                                "workers", "workers")
        return "dask", scheduler.strip()
    if executor == "serial":
        if workers not in (None, 1):
            raise ExecutorError(f"the serial executor has one worker, got {workers}", "workers")
        return "serial", check_workers(1)  # a local run: ROLLSIM_MAX_WORKERS is checked here too
    n = check_workers(workers) if workers is not None else default_workers()
    if runs is not None:
        n = max(1, min(n, runs))
    if executor == "dask":
        return "dask-local", n
    if executor is None and n == 1:
        return "serial", 1
    try:
        start_method()  # ROLLSIM_START_METHOD checked here, before any file is touched
    except ValueError as exc:
        raise ExecutorError(str(exc)) from None
    return "processes", n


def _dask() -> Any:
    try:
        import distributed
    except ImportError:
        raise ExecutorError(f"the Dask executor needs the optional 'dask' extra: {_DASK_EXTRA}") from None
    return distributed


@contextmanager
def open_executor(workers: int | None = None, executor: str | Executor | None = None,
                  scheduler: str | None = None, runs: int | None = None) -> Iterator[Backend]:
    """Open the executor the options ask for (see ``choose_executor``) and close it after.

    Leaving the block by an exception (Ctrl-C included) cancels the calls that have not
    started and stops local workers at once. An executor object passed in is used as it
    is and left open: whoever made it shuts it down.
    """
    kind, arg = choose_executor(workers, executor, scheduler, runs)
    if kind == "given":
        assert isinstance(executor, Executor)
        inline = isinstance(executor, SerialExecutor)
        yield Backend(executor, type(executor).__name__, 1 if inline else int(arg), inline=inline)
        return
    if kind == "serial":
        yield Backend(SerialExecutor(), "serial", 1, inline=True)
        return
    if kind == "processes":
        method = start_method()
        with open_pool(int(arg), method) as pool:
            yield Backend(pool, "processes", int(arg), forked=method == "fork")
        return
    distributed = _dask()
    with _quiet(_DASK_LOGGERS):
        if kind == "dask-local":
            import dask

            n = int(arg)
            # One single-threaded worker process per core, on loopback. No dashboard, and no
            # statistical profiler: it samples the running task every 10 ms, which slowed a
            # pure-Python simulation by about a fifth in our measurements. The scheduler's HTTP
            # server starts even without a dashboard, on port 8787 unless told: on a free loopback
            # port, so that a second sweep at once does not warn that 8787 is taken.
            with dask.config.set({"distributed.worker.profile.enabled": False}):
                cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                                   host="127.0.0.1", dashboard_address=None,
                                                   scheduler_kwargs={"dashboard": False,
                                                                     "dashboard_address": "127.0.0.1:0"},
                                                   silence_logs=logging.CRITICAL, preload=[_WORKER_SETUP])
            with cluster:
                client = distributed.Client(cluster)
                try:
                    yield Backend(client.get_executor(pure=False), "dask-local", n,
                                  trouble=_dask_trouble(client, f"local dask scheduler at {cluster.scheduler_address}"))
                finally:
                    _close(client)
            return
        address = str(arg)
        try:
            client = distributed.Client(address)
        except (OSError, TimeoutError) as exc:
            raise ExecutorError(f"no Dask scheduler answers at {address} ({exc})", "scheduler") from None
        except (ValueError, TypeError) as exc:  # Dask refused the address: TLS without its settings, no ucx
            raise ExecutorError(f"Dask cannot connect to {address}: {exc}", "scheduler") from None
        try:
            n = sum(client.nthreads().values())  # runs that can go at once
            yield Backend(client.get_executor(pure=False), f"dask:{address}", n,
                          trouble=_dask_trouble(client, f"dask scheduler at {address}"))
        finally:
            _close(client)


@contextmanager
def _quiet(names: tuple[str, ...]) -> Iterator[None]:
    """Only critical records from these loggers while the block runs."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _dask_trouble(client: Any, scheduler: str) -> Callable[[], str | None]:
    """What is wrong with a Dask cluster now: its scheduler gone, or no worker left."""

    def trouble() -> str | None:
        if client.status != "running":  # "connecting" while the client retries, then "closed"
            return f"{scheduler} lost"
        try:
            identity = client.sync(client.scheduler.identity, n_workers=0, callback_timeout=_ASK_S)
        except Exception:  # noqa: BLE001 - OSError, CommClosedError, TimeoutError...: it did not answer
            return f"{scheduler} lost"
        if not identity.get("n_workers"):
            return f"every worker of the {scheduler} lost"
        return None

    return trouble


def _close(client: Any) -> None:
    """Close a Dask client within ``_CLOSE_S``, even when its scheduler is gone."""
    try:
        client.close(timeout=_CLOSE_S)
    except Exception:  # noqa: BLE001, S110 - a scheduler that is gone cannot be told goodbye
        pass
