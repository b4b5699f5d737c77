"""The local process pool: started once per sweep, warm before the first run, gone with the sweep.

**Start method.** On Linux the workers are forked from the sweep's process when no other
Python thread runs in it (``start_method``): a fork costs about 0.02 s and the workers
start with rollsim, NumPy, pandas and SimPy already imported, where a forkserver must
start a fresh interpreter and import them (1.8–2.3 s on a 2-core machine, before the first
run can start). Anywhere else (another Python thread alive, as in a notebook kernel or
after a Dask client; macOS; Windows) it is the forkserver, preloaded with the runner,
or spawn. ``ROLLSIM_START_METHOD`` (fork, forkserver or spawn) overrides the choice.

Why the fork is safe here: a child forked from a multi-threaded process can deadlock on a
lock that another thread held at the moment of the fork. The fork happens only when the
main thread is the process's one Python thread, so no Python-level lock (stdout buffers,
logging, a user's lock) can be held by anyone else; CPython resets its own (the GIL, the
import lock) in the child. The other threads are native pools of libraries that register
``pthread_atfork`` handlers for exactly this (OpenBLAS, Arrow and its jemalloc), and a
worker only simulates and encodes its run's two parquet files in memory (Arrow again: a
sweep whose process had just run Arrow's thread pools on a 2,000,000-row frame forked
workers that encoded their runs as usual); it writes no file. ``ProcessPoolExecutor``
forks every worker before it starts its own manager thread (CPython issue 90622), and a
broken pool is never refilled. Objects alive at the fork are not frozen (``gc.freeze``),
as is often advised to spare a worker the pages its collections would copy: ``simulate``
turns the collector off for its run and frees its world with one young collection at the
end (``rollsim.simulation``'s ``_collector_out_of_the_way``), which never walks the
inherited objects; the pages a full collection copies are copied once per worker.

**Lifeline.** Each worker watches a pipe whose only writer is the sweep's process and
exits when the kernel closes it, however that process ends (SIGKILL included). A forked
worker inherits the writing end too, and closes it first. Workers ignore SIGINT and
SIGTERM: a Ctrl-C or a ``kill`` of the process group reaches the sweep, which saves what
is finished and kills its workers (``stop_pool``).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing.connection import Connection

from rollsim.sweep.interrupt import ignore_stop_signals

__all__ = ["START_METHODS", "open_pool", "start_method", "stop_pool"]

START_METHODS = ("fork", "forkserver", "spawn")
_METHOD_ENV = "ROLLSIM_START_METHOD"
_PRELOAD = ["rollsim.sweep.runner"]  # what a forkserver imports once, for every worker it forks


def start_method() -> str:
    """``fork`` on Linux when this process runs no other Python thread, else ``forkserver``
    where there is one, else ``spawn``; ``ROLLSIM_START_METHOD`` overrides it.
    """
    available = multiprocessing.get_all_start_methods()
    asked = os.environ.get(_METHOD_ENV, "").strip()
    if asked:
        if asked not in START_METHODS or asked not in available:
            usable = ", ".join(m for m in START_METHODS if m in available)
            raise ValueError(f"{_METHOD_ENV} must be one of {usable}, got {asked!r}")
        return asked
    if sys.platform == "linux" and "fork" in available and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in available else "spawn"


def _start_worker(parent: Connection, inherited_writer: int | None) -> None:
    """A pool worker: leave SIGINT and SIGTERM to the sweep, and exit when the sweep is gone.

    ``parent`` is the reading end of a pipe whose one writer is the sweep's process: when
    that process ends, however it ends, the kernel closes the writer and the read ends.
    Only then the worker exits, mid-run if need be. A pipe works with every start method
    and OS, unlike Linux's PR_SET_PDEATHSIG, which would name the forkserver as the
    parent. A forked worker got the writing end too (``inherited_writer``): it closes it,
    or it would keep its own lifeline open.
    """
    if inherited_writer is not None:
        os.close(inherited_writer)
    ignore_stop_signals()
    threading.Thread(target=_exit_when_closed, args=(parent,), name="rollsim-parent-watch", daemon=True).start()


def _exit_when_closed(parent: Connection) -> None:
    try:
        parent.recv_bytes()  # nothing is ever sent: this returns only at end of file
    except (EOFError, OSError):
        pass
    os._exit(1)


def _warm(pool: ProcessPoolExecutor, workers: int, method: str) -> None:
    """Start every worker now, while the sweep prepares, rather than at the first run.

    With fork, the first submit forks them all, in this thread, before the pool starts its
    manager thread. Python 3.12+ warns about forking a process with native threads: see
    the module docstring for why that is safe here (and the warning filter is changed only
    while no other thread runs).
    """
    if method != "fork":
        for _ in range(workers):  # a forkserver's or spawn's workers start one per call
            pool.submit(os.getpid)
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r".*multi-threaded, use of fork\(\)", DeprecationWarning)
        pool.submit(os.getpid)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and kill the workers now, without waiting for their runs.

    SIGKILL, since the workers ignore SIGTERM (they leave it to the sweep). The workers and the
    result pipe are taken before ``shutdown``, which drops the pool's references to them
    (without ``wait``, Python before 3.14 then kills nothing). A worker killed while it sent a
    run's result leaves half a message in that pipe, and the pool's manager thread, reading the
    rest, would wait for ever: the interpreter then hung at exit, joining it (seen under load,
    about once in 40 interrupted sweeps). This process holds the pipe's writing end too; closed
    once the workers are killed, the read ends, and the manager thread finds the pool broken.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    pool.shutdown(wait=False, cancel_futures=True)
    kill = getattr(pool, "kill_workers", None)  # Python 3.14+
    if kill is not None:
        kill()
    for process in processes:
        process.kill()
    if writer is not None:
        writer.close()


@contextmanager
def open_pool(workers: int, method: str | None = None) -> Iterator[ProcessPoolExecutor]:
    """A ``ProcessPoolExecutor`` of ``workers`` started and warm; shut down after the block.
    ``method`` is the start method, ``start_method()`` by default.

    Leaving the block by an exception (Ctrl-C included) cancels the calls that have not
    started and kills the workers at once.
    """
    method = method or start_method()
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(_PRELOAD)
    reader, writer = context.Pipe(duplex=False)  # the workers' lifeline: see _start_worker
    try:
        inherited = writer.fileno() if method == "fork" else None
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                   initargs=(reader, inherited))
        try:
            _warm(pool, workers, method)
            yield pool
        except BaseException:
            stop_pool(pool)
            raise
        pool.shutdown(wait=True)
    finally:
        writer.close()
        reader.close()
