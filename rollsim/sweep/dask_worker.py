"""Preloaded by the workers of the local Dask cluster a sweep starts (``rollsim.sweep.executors``).

A Ctrl-C or a ``kill`` of the process group reaches the workers too. Left to them, each
would stop on its own, mid-run, and both it and its nanny would log the broken comms and
heartbeats with tracebacks. They ignore SIGINT and SIGTERM instead, as the local pool's
workers do (``rollsim.sweep.pool``): the sweep saves what is finished and closes the
cluster, which stops them.
"""

from __future__ import annotations

import threading
from typing import Any

from rollsim.sweep.interrupt import ignore_stop_signals

__all__ = ["dask_setup"]


def dask_setup(worker: Any) -> None:
    """Dask's preload hook, run in the worker's process as it starts."""
    if threading.current_thread() is threading.main_thread():
        ignore_stop_signals()
