"""Faults injected into real sweeps: a killed `rollsim run` leaves no process behind and
resumes to the same bytes, and a Dask cluster that goes away ends the run in one line.

These start Python processes and Dask clusters on loopback, so they are marked slow
(`make test-slow`; CI runs them after the default suite).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from rollsim.cli import main
from rollsim.sweep import dispatch, executors
from rollsim.sweep.experiment_file import load_experiment
from rollsim.sweep.runner import run_experiment

psutil = pytest.importorskip("psutil")
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT = """\
name: faults
scenario: {cluster: {nodes: 50}}
grid:
  strategy.max_unavailable: [1, 2, 5, "10%"]
replications: 5
seed: 3
slo: {max_duration_s: 1500}
"""


@pytest.fixture
def experiment_file(tmp_path: Path) -> Path:
    path = tmp_path / "faults.yaml"
    path.write_text(EXPERIMENT, encoding="utf-8")
    return path


def saved(out: Path) -> int:
    runs = out / "runs"
    return len(list(runs.glob("*.json"))) if runs.is_dir() else 0


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def rollsim_run(experiment_file: Path, out: Path, tag: str, *extra: str) -> subprocess.Popen:
    """`python -m rollsim run` in a child process whose descendants all carry ``tag`` in their environment."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ROLLSIM_TEST_TAG": tag}
    return subprocess.Popen([sys.executable, "-m", "rollsim", "run", str(experiment_file), "--out", str(out), *extra],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def tagged(tag: str) -> list:
    """Every live process started under ``tag`` (orphans included: they keep their environment)."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("ROLLSIM_TEST_TAG") == tag and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except psutil.Error:
            pass
    return found


# -- no process left behind ------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_sweep_leaves_no_process_behind(experiment_file: Path, tmp_path: Path, sig) -> None:
    tag, out = uuid.uuid4().hex, tmp_path / "out"
    sweep = rollsim_run(experiment_file, out, tag, "--workers", "2")
    try:
        wait_until(lambda: saved(out) >= 1, 120, "the first saved run")
        assert len(tagged(tag)) >= 3  # rollsim and its two workers (and a forkserver where fork is not used)
        sweep.send_signal(sig)
        sweep.wait(timeout=30)
        deadline = time.monotonic() + 20  # the workers exit at once; the rest follow them
        while (left := tagged(tag)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left, [" ".join(p.cmdline())[:120] for p in left]
    finally:
        for process in tagged(tag):
            process.kill()


def test_sigterm_ends_a_sweep_as_ctrl_c_does(experiment_file: Path, tmp_path: Path) -> None:
    """SIGTERM to the whole process group (as a service manager or a CI timeout sends it):
    exit 130, one line saying how many runs are saved, those runs on disk, no process left."""
    tag, out = uuid.uuid4().hex, tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ROLLSIM_TEST_TAG": tag}
    sweep = subprocess.Popen([sys.executable, "-m", "rollsim", "run", str(experiment_file), "--out", str(out),
                              "--workers", "2", "-q"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    try:
        wait_until(lambda: saved(out) >= 2, 120, "two saved runs")
        os.killpg(sweep.pid, signal.SIGTERM)  # the workers get it too, and leave it to the sweep
        _, err = sweep.communicate(timeout=60)
        assert sweep.returncode == 130, err
        match = re.fullmatch(rf"rollsim: interrupted: (\d+) of 20 runs are saved in {re.escape(str(out))}; "
                             r"run again to resume\n", err)
        assert match, err
        assert int(match.group(1)) == saved(out) >= 2
        wait_until(lambda: not tagged(tag), 20, "the workers to end")
    finally:
        for process in tagged(tag):
            process.kill()


def _catches_sigterm(pid: int) -> bool:
    """Whether process ``pid`` has a SIGTERM handler installed (``SigCgt`` in ``/proc/PID/status``)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next((line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), "0")
    return bool(int(caught, 16) >> (signal.SIGTERM - 1) & 1)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the handlers from /proc")
@pytest.mark.parametrize("delay", [0.0, 0.05, 0.1, 0.3])
def test_sigterm_as_rollsim_run_starts_is_one_line(experiment_file: Path, tmp_path: Path, delay: float) -> None:
    """During the imports and the parsing of the flags SIGTERM ended `rollsim run` with 143 and nothing said.

    ``delay`` counts from the moment the process took SIGTERM over (its first step, ``take_over``):
    before that the interpreter itself is starting, and no program can say anything; counted from
    the process's start, a loaded machine put the signal there (exit -15).
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    sweep = subprocess.Popen([sys.executable, "-m", "rollsim", "run", str(experiment_file), "--out-dir",
                              str(tmp_path / "out"), "--workers", "1", "-q"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not _catches_sigterm(sweep.pid):  # polled finely: the imports after take_over are the window tested
        assert sweep.poll() is None and time.monotonic() < deadline, "SIGTERM was never taken over"
        time.sleep(0.001)
    time.sleep(delay)
    sweep.send_signal(signal.SIGTERM)
    _, err = sweep.communicate(timeout=60)
    assert sweep.returncode == 130, err
    assert err.count("\n") == 1 and err.startswith("rollsim: interrupted") and "Traceback" not in err, err


# -- a Dask cluster that goes away -----------------------------------------------------------


class DaskCluster:
    """A scheduler and a worker process (two single-threaded workers under a nanny) on loopback."""

    def __init__(self, tmp_path: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        file = tmp_path / "scheduler.json"
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env, "start_new_session": True}
        self.scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                                           "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file",
                                           str(file)], **quiet)
        self.workers = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", "--nworkers", "2",
                                         "--nthreads", "1", "--no-dashboard", "--scheduler-file", str(file)], **quiet)
        wait_until(lambda: file.is_file() and file.stat().st_size > 0, 60, "the Dask scheduler")
        self.address = json.loads(file.read_text())["address"]
        import distributed

        with distributed.Client(self.address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)

    def lose_scheduler(self) -> None:
        self.scheduler.kill()

    def lose_workers(self) -> None:
        os.killpg(self.workers.pid, signal.SIGKILL)  # the nanny and both workers

    def close(self) -> None:
        for process in (self.workers, self.scheduler):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[DaskCluster]:
    pytest.importorskip("distributed")
    cluster = DaskCluster(tmp_path)
    yield cluster
    cluster.close()


@pytest.mark.parametrize("fault", ["scheduler", "workers"])
def test_a_lost_dask_cluster_ends_the_run_in_one_line(fault: str, dask_cluster: DaskCluster, experiment_file: Path,
                                                       tmp_path: Path, monkeypatch, capfd) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr(executors, "LOST_AFTER_S", 3.0)
    save, killed = dispatch._save_run, []

    def save_then_fail(*args) -> None:
        save(*args)
        if not killed:
            killed.append(time.monotonic())
            dask_cluster.lose_scheduler() if fault == "scheduler" else dask_cluster.lose_workers()

    monkeypatch.setattr(dispatch, "_save_run", save_then_fail)
    pool = ThreadPoolExecutor(1)  # a sweep that would wait forever fails here instead of hanging CI
    try:
        code = pool.submit(main, ["run", str(experiment_file), "--out", str(out), "--scheduler",
                                  dask_cluster.address, "-q"]).result(timeout=180)  # -q: no progress lines
    finally:
        pool.shutdown(wait=False)  # a hung sweep ends when the fixture takes the cluster down
    elapsed = time.monotonic() - killed[0]
    err = capfd.readouterr().err
    assert code == 1
    assert err.count("\n") == 1, err
    lost = ("dask scheduler at {a} lost" if fault == "scheduler" else
            "every worker of the dask scheduler at {a} lost for 3 s").format(a=re.escape(dask_cluster.address))
    match = re.fullmatch(rf"rollsim: error: {lost}; (\d+) of 20 runs saved in {re.escape(str(out))}; "
                         r"rerun to resume\n", err)
    assert match, err
    assert int(match.group(1)) == saved(out) >= 1
    assert elapsed < 30  # the bound: LOST_AFTER_S, plus a poll and one question to the scheduler


LARGER = EXPERIMENT.replace("nodes: 50", "nodes: 2000")  # runs that last long enough to be interrupted


def _new_session_with_default_signals() -> None:  # a shell's background job starts ignoring SIGINT
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("target", ["group", "process"])
def test_an_interrupted_dask_sweep_says_one_line(tmp_path: Path, sig, target: str) -> None:
    """The local Dask cluster's workers, nannies and scheduler logged 60-90 lines of broken comms and
    heartbeats, with tracebacks, before rollsim's line: now only rollsim's line shows."""
    pytest.importorskip("distributed")
    path, out, tag = tmp_path / "larger.yaml", tmp_path / "out", uuid.uuid4().hex
    path.write_text(LARGER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ROLLSIM_TEST_TAG": tag}
    sweep = subprocess.Popen([sys.executable, "-m", "rollsim", "run", str(path), "--out-dir", str(out), "--executor",
                              "dask", "--workers", "2", "-q"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, preexec_fn=_new_session_with_default_signals)
    try:
        wait_until(lambda: saved(out) >= 1, 120, "the first saved run")
        os.killpg(sweep.pid, sig) if target == "group" else sweep.send_signal(sig)
        _, err = sweep.communicate(timeout=60)
        assert sweep.returncode == 130, err
        assert re.fullmatch(rf"rollsim: interrupted: \d+ of 20 runs are saved in {re.escape(str(out))}; "
                            r"run again to resume\n", err), err
        wait_until(lambda: not tagged(tag), 30, "the cluster's processes to end")
    finally:
        for process in tagged(tag):
            process.kill()


# -- kill at random moments, resume, same bytes ----------------------------------------------


def test_a_sweep_killed_at_random_moments_resumes_to_the_same_bytes(experiment_file: Path, tmp_path: Path) -> None:
    """Four kills (SIGKILL and Ctrl-C's SIGINT, two each), each at a seeded random moment:
    after a random number of the remaining runs is saved, plus a random fraction of a
    second (so inside a run, between two, or while the tables are written)."""
    reference = tmp_path / "reference"
    run_experiment(load_experiment(experiment_file), reference, workers=1)

    rng = np.random.default_rng(20261201)
    out, tag = tmp_path / "killed", uuid.uuid4().hex
    for sig in (signal.SIGKILL, signal.SIGINT, signal.SIGKILL, signal.SIGINT):
        target = saved(out) + int(rng.integers(0, (20 - saved(out)) // 2 + 1))
        sweep = rollsim_run(experiment_file, out, tag, "--workers", "2")
        wait_until(lambda s=sweep, t=target: saved(out) >= t or s.poll() is not None, 120, f"{target} saved runs")
        time.sleep(float(rng.uniform(0.0, 0.5)))
        sweep.send_signal(sig)
        sweep.wait(timeout=60)
        wait_until(lambda: not tagged(tag), 30, "the killed sweep's processes to end")
    resumed = subprocess.run([sys.executable, "-m", "rollsim", "run", str(experiment_file), "--out", str(out),
                              "--workers", "2"], env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    for name in ("runs.csv", "summary.csv"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    assert saved(out) == 20


def test_a_local_dask_sweep_says_nothing_when_port_8787_is_taken(experiment_file: Path, tmp_path: Path) -> None:
    """The local cluster's scheduler starts an HTTP server even without a dashboard, on 8787 by
    default: a second sweep at once (or anything else on 8787) printed Dask's "Port 8787 is
    already in use" warning. It listens on a free loopback port now."""
    pytest.importorskip("distributed")
    import socket

    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a connection of an earlier run may linger
    try:  # if the bind fails, something else holds 8787: it is taken either way
        holder.bind(("127.0.0.1", 8787))
        holder.listen()
    except OSError:
        pass
    try:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-m", "rollsim", "run", str(experiment_file), "--out-dir",
                               str(tmp_path / "out"), "--executor", "dask", "--workers", "2", "-q"],
                              env=env, capture_output=True, text=True, timeout=300)
    finally:
        holder.close()
    assert done.returncode == 0 and done.stderr == "", done.stderr
