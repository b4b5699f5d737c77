"""Where runs execute: in this process, in local processes, or on a Dask cluster.

The one place that picks the executor: by name, or any ``concurrent.futures.Executor`` the
caller made (and keeps open). Every choice yields a ``Backend`` whose
``submit`` is ``concurrent.futures.Executor.submit`` and returns a
``concurrent.futures.Future``; the runner needs nothing else, and sorts results by
configuration and replication, so the choice never changes an output. Dask is
imported only when asked for, with an error that names the missing extra.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

__all__ = ["EXECUTORS", "Backend", "ExecutorError", "SerialExecutor", "choose_executor", "open_executor",
           "available_cores"]

EXECUTORS = ("serial", "processes", "dask")
_DASK_EXTRA = "pip install 'rollsim[dask]' (or dask[distributed])"


class ExecutorError(ValueError):
    """Executor options that do not fit together, a missing extra, or an unreachable cluster."""


class SerialExecutor(Executor):
    """Runs each call at once, in this process, when it is submitted.

    A ``KeyboardInterrupt`` is not stored in the future: it stops the caller.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
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
    before it returns (so a caller should submit one run at a time).
    """

    executor: Executor
    name: str
    workers: int
    inline: bool = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        return self.executor.submit(fn, *args, **kwargs)


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def choose_executor(workers: int | None, executor: str | Executor | None,
                    scheduler: str | None) -> tuple[str, int | str]:
    """Check the options and decide: ``(kind, workers or address)``.

    An ``Executor`` instance is the caller's own: ``("given", workers)``, where ``workers``
    (default: the cores here) only sets how many runs are kept in flight.

    ``kind`` is ``serial`` (one worker: in this process), ``processes`` (a local process
    pool; all cores by default), ``dask-local`` (a Dask cluster started here) or
    ``dask`` (an existing cluster at ``scheduler``, which sets its own worker count).
    """
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ExecutorError(f"workers must be a positive integer, got {workers!r}")
    if isinstance(executor, Executor):
        if scheduler is not None:
            raise ExecutorError("scheduler does not go with an executor object: the object already chose")
        return "given", workers if workers is not None else available_cores()
    if executor is not None and executor not in EXECUTORS:
        raise ExecutorError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if scheduler is not None:
        if not isinstance(scheduler, str) or not scheduler.strip():
            raise ExecutorError(f"scheduler must be the address of a Dask scheduler, got {scheduler!r}")
        if executor not in (None, "dask"):
            raise ExecutorError(f"scheduler is a Dask cluster's address; it does not go with executor {executor!r}")
        if workers is not None:
            raise ExecutorError("workers does not go with scheduler: the Dask cluster has its own workers")
        return "dask", scheduler.strip()
    if executor == "serial":
        if workers not in (None, 1):
            raise ExecutorError(f"the serial executor has one worker, got workers={workers}")
        return "serial", 1
    n = workers if workers is not None else available_cores()
    if executor == "dask":
        return "dask-local", n
    if executor is None and n == 1:
        return "serial", 1
    return "processes", n


def _ignore_sigint() -> None:
    """Pool workers leave Ctrl-C to the parent, which cancels the sweep and stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _process_context() -> multiprocessing.context.BaseContext:
    """forkserver where there is one (as Python 3.14 defaults to), else spawn.

    Not fork: the parent may already run threads (a progress bar, a Dask client), and
    fork() from a threaded process can deadlock. The server imports rollsim once, so
    each worker forks from it ready to run; as with spawn, a script that starts a sweep
    needs the ``if __name__ == "__main__":`` guard.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["rollsim.sweep.runner"])
    return context


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now, without waiting for their runs."""
    pool.shutdown(wait=False, cancel_futures=True)
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()


def _dask() -> Any:
    try:
        import distributed
    except ImportError:
        raise ExecutorError(f"the Dask executor needs the optional 'dask' extra: {_DASK_EXTRA}") from None
    return distributed


@contextmanager
def open_executor(workers: int | None = None, executor: str | Executor | None = None,
                  scheduler: str | None = None) -> Iterator[Backend]:
    """Open the executor the options ask for (see ``choose_executor``) and close it after.

    Leaving the block by an exception (Ctrl-C included) cancels the calls that have not
    started and stops local workers at once. An executor object passed in is used as it
    is and left open: whoever made it shuts it down.
    """
    kind, arg = choose_executor(workers, executor, scheduler)
    if kind == "given":
        assert isinstance(executor, Executor)
        inline = isinstance(executor, SerialExecutor)
        yield Backend(executor, type(executor).__name__, 1 if inline else int(arg), inline=inline)
        return
    if kind == "serial":
        yield Backend(SerialExecutor(), "serial", 1, inline=True)
        return
    if kind == "processes":
        n = int(arg)
        pool = ProcessPoolExecutor(n, mp_context=_process_context(), initializer=_ignore_sigint)
        try:
            yield Backend(pool, "processes", n)
        except BaseException:
            _stop_pool(pool)
            raise
        pool.shutdown(wait=True)
        return
    distributed = _dask()
    if kind == "dask-local":
        import dask

        n = int(arg)
        # One single-threaded worker process per core, on loopback. No dashboard, and no
        # statistical profiler: it samples the running task every 10 ms, which slowed a
        # pure-Python simulation by about a fifth in our measurements.
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                               host="127.0.0.1", dashboard_address=None)
        with cluster, distributed.Client(cluster) as client:
            yield Backend(client.get_executor(pure=False), "dask-local", n)
        return
    address = str(arg)
    try:
        client = distributed.Client(address)
    except (OSError, TimeoutError) as exc:
        raise ExecutorError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    with client:
        n = sum(client.nthreads().values())  # runs that can go at once
        yield Backend(client.get_executor(pure=False), f"dask:{address}", n)
