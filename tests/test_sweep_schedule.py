"""How a sweep sends its runs out: largest first, small ones batched, scenarios packed once;
the local pool forked warm where that is safe; SIGTERM as Ctrl-C; the worker cap."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from rollsim.cli import main
from rollsim.spec.churn import NodeChange
from rollsim.spec.limits import LimitError
from rollsim.spec.scenario import DaemonSetSpec, Scenario, Workload
from rollsim.sweep import dispatch, executors, pool, schedule
from rollsim.sweep.executors import choose_executor, max_workers
from rollsim.sweep.experiment_file import load_experiment
from rollsim.sweep.results import load_results
from rollsim.sweep.runner import RunError, RunInterrupted, run_experiment
from rollsim.sweep.schedule import BATCH_COST, TASKS_PER_WORKER, batches, largest_first, pack, run_cost, unpack

from helpers import one_error_line

SMALL = """\
name: small
scenario: {cluster: {nodes: 5}, controller: {mode: ideal}}
grid:
  strategy.max_unavailable: [1, 2]
replications: 10
seed: 4
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "e.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# -- order and batches -----------------------------------------------------------------------


def test_run_cost_counts_every_node_and_daemonset() -> None:
    base = run_cost(Scenario(nodes=100))
    assert run_cost(Scenario(nodes=1000)) - base == 900
    assert run_cost(Scenario(nodes=100, node_changes=(NodeChange("add", 50, 10.0),))) - base == 50
    assert run_cost(Scenario(nodes=100, node_changes=(NodeChange("remove", 50, 10.0),))) == base
    two = Scenario(nodes=100, also=(Workload(daemonset=DaemonSetSpec(name="other")),))
    assert run_cost(two) - base == 100


def test_largest_first_keeps_the_order_of_equals() -> None:
    items = [("a", 1), ("b", 5), ("c", 1), ("d", 5), ("e", 3)]
    assert [n for n, _ in largest_first(items, lambda i: i[1])] == ["b", "d", "e", "a", "c"]


@pytest.mark.parametrize(("costs", "workers"), [
    ([1000] * 24, 2), ([30] * 200, 2), ([30] * 8, 2), ([600, 400, 100, 100, 30, 30, 30], 1), ([], 3),
    ([30] * 3, 4),
])
def test_batches_keep_every_run_once_in_order(costs: list[int], workers: int) -> None:
    items = list(enumerate(costs))
    tasks = batches(items, lambda i: i[1], workers)
    assert [i for task in tasks for i in task] == items
    for task in tasks:
        assert len(task) == 1 or sum(c for _, c in task) <= BATCH_COST
    assert len(tasks) >= min(len(items), TASKS_PER_WORKER * workers)


def test_large_runs_go_one_per_task_and_small_ones_together() -> None:
    assert batches([1000] * 24, lambda c: c, 2) == [[1000]] * 24
    small = batches([30] * 200, lambda c: c, 2)
    assert max(len(t) for t in small) == BATCH_COST // 30 and len(small) < 20


def test_a_packed_scenario_is_read_once_per_worker() -> None:
    scenario = Scenario(nodes=30)
    packed = pack(scenario)
    assert pack(scenario) == packed  # the same bytes, the same key
    first = unpack(packed)
    assert first == scenario and unpack(packed) is first and unpack(scenario) is scenario
    for n in range(1, 12):  # a few kept, the oldest forgotten
        unpack(pack(Scenario(nodes=n)))
    assert unpack(packed) is not first and len(schedule._read) <= schedule._KEPT


def test_the_registry_of_inherited_scenarios_lasts_the_block() -> None:
    """What a forked worker would hold; the pool's side is checked in a fresh interpreter
    (``test_forked_workers_are_warm_hold_no_lock_freeze_nothing_and_hold_the_scenarios``).
    """
    scenarios = {0: Scenario(nodes=3), 1: Scenario(nodes=5)}
    with schedule.inheriting(scenarios):
        assert unpack(schedule.Inherited(1)) is scenarios[1]
        assert schedule.inherited(scenarios[0]) == schedule.Inherited(0)
    assert unpack(scenarios[0]) is scenarios[0]
    with pytest.raises(RuntimeError, match="scenario 0 was not registered"):
        unpack(schedule.Inherited(0))  # the registry is emptied after the block


def test_a_failure_inside_a_batch_keeps_the_runs_before_it(monkeypatch) -> None:
    def fail_on_seed_2(scenario, seed):
        if seed == 2:
            raise ValueError("boom")
        return seed

    monkeypatch.setattr(dispatch, "run_one", fail_on_seed_2)
    scenario = pack(Scenario(nodes=3))
    outputs, error = dispatch.run_batch([(scenario, 1), (scenario, 2), (scenario, 3)])
    assert outputs == [1] and isinstance(error, ValueError) and "Traceback" in error.__notes__[0]
    with pytest.raises(ValueError, match="boom"):  # a task's first run fails as run_one does
        dispatch.run_batch([(scenario, 2), (scenario, 3)])


def test_batched_runs_are_saved_and_counted_one_by_one(tmp_path: Path, monkeypatch) -> None:
    experiment = load_experiment(write(tmp_path, SMALL))
    calls: list[int] = []

    def fail_on_the_seventh(scenario, seed):
        calls.append(seed)
        if len(calls) == 7:
            raise ValueError("boom")
        return real(scenario, seed)

    real = dispatch.run_one
    monkeypatch.setattr(dispatch, "run_one", fail_on_the_seventh)
    seen: list[int] = []
    with ThreadPoolExecutor(1) as threads, pytest.raises(RunError, match="failed: boom"):
        # one worker: 20 runs in tasks of 5 (at least 4 tasks), the 7th run fails in the second task
        run_experiment(experiment, tmp_path / "out", executor=threads, workers=1,
                       progress=lambda done, total: seen.append(done))
    assert seen == [1, 2, 3, 4, 5, 6]
    assert len(list((tmp_path / "out" / "runs").glob("*.json"))) == 6


def test_batched_and_single_runs_give_the_same_bytes(tmp_path: Path) -> None:
    experiment = load_experiment(write(tmp_path, SMALL))
    run_experiment(experiment, tmp_path / "serial", workers=1)
    with ThreadPoolExecutor(2) as threads:
        run_experiment(experiment, tmp_path / "batched", executor=threads, workers=2)
    for name in ("runs.csv", "summary.csv"):
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "batched" / name).read_bytes()


# -- which executor, how many workers --------------------------------------------------------


def test_one_run_goes_in_this_process(tmp_path: Path) -> None:
    path = write(tmp_path, "name: one\nscenario: {cluster: {nodes: 5}}\nreplications: 1\n")
    report = run_experiment(load_experiment(path), tmp_path / "one", workers=2)
    assert (report.executor, report.workers) == ("serial", 1)


@pytest.mark.parametrize(("options", "expected"), [
    ((2, None, None, 1), ("serial", 1)),
    ((None, None, None, 1), ("serial", 1)),
    ((4, None, None, 3), ("processes", 3)),
    ((2, "processes", None, 1), ("processes", 1)),  # named: kept, with no more workers than runs
    ((2, "dask", None, 1), ("dask-local", 1)),
])
def test_no_more_workers_than_runs(options, expected) -> None:
    assert choose_executor(*options) == expected


def test_workers_are_capped_per_core(monkeypatch, tmp_path: Path, capsys) -> None:
    monkeypatch.delenv("ROLLSIM_MAX_WORKERS", raising=False)
    cap = max_workers()
    assert cap == executors.WORKERS_PER_CORE * executors.available_cores()
    with pytest.raises(LimitError, match=rf"{cap + 1} workers exceed the limit of {cap} local workers "
                                         r"\(4 per core, \d+ here\); set ROLLSIM_MAX_WORKERS to raise it"):
        choose_executor(cap + 1, None, None)
    code = main(["run", str(write(tmp_path, SMALL)), "--workers", str(cap + 1), "--out-dir", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("rollsim: error: argument --workers: ") and err.count("\n") == 1, err
    assert "ROLLSIM_MAX_WORKERS" in err and not (tmp_path / "o").exists()
    monkeypatch.setenv("ROLLSIM_MAX_WORKERS", str(cap + 1))
    assert choose_executor(cap + 1, None, None) == ("processes", cap + 1)
    monkeypatch.setenv("ROLLSIM_MAX_WORKERS", "lots")
    with pytest.raises(LimitError, match="ROLLSIM_MAX_WORKERS must be a positive integer"):
        choose_executor(2, None, None)


def test_the_limit_caps_the_default_workers_too(monkeypatch) -> None:
    """Audit 4 item 5: without ``--workers`` the default (the cores) went past ``ROLLSIM_MAX_WORKERS=1``
    and ``ROLLSIM_MAX_WORKERS=abc`` passed unread. A lower limit lowers the default, which is no error.
    """
    monkeypatch.setattr(executors, "available_cores", lambda: 8)
    monkeypatch.delenv("ROLLSIM_MAX_WORKERS", raising=False)
    assert choose_executor(None, None, None) == ("processes", 8)
    monkeypatch.setenv("ROLLSIM_MAX_WORKERS", "3")
    assert choose_executor(None, None, None) == ("processes", 3)
    assert choose_executor(None, "dask", None) == ("dask-local", 3)
    assert choose_executor(None, None, None, 2) == ("processes", 2)  # still no more than the runs
    monkeypatch.setenv("ROLLSIM_MAX_WORKERS", "1")
    assert choose_executor(None, None, None) == ("serial", 1)
    assert choose_executor(None, "processes", None) == ("processes", 1)
    monkeypatch.setenv("ROLLSIM_MAX_WORKERS", "16")
    assert choose_executor(None, None, None) == ("processes", 8)  # a higher limit leaves the default alone


@pytest.mark.parametrize("value", ["abc", "0", "-2", "2.5"])
@pytest.mark.parametrize("options", [(None, None, None), (None, "processes", None), (None, "dask", None),
                                     (None, "serial", None), (None, None, None, 1)])
def test_an_invalid_limit_is_refused_whatever_sets_the_workers(monkeypatch, value, options) -> None:
    monkeypatch.setenv("ROLLSIM_MAX_WORKERS", value)
    with pytest.raises(LimitError, match=f"^ROLLSIM_MAX_WORKERS must be a positive integer, got '{value}'$"):
        choose_executor(*options)


@pytest.mark.parametrize("command", ["run", "plan"])
def test_run_and_plan_keep_the_limit_without_workers(monkeypatch, tmp_path: Path, capsys, command) -> None:
    """``rollsim run`` and ``rollsim plan`` without ``--workers``: an invalid ``ROLLSIM_MAX_WORKERS`` is exit 2
    with one line naming it and nothing written; ``ROLLSIM_MAX_WORKERS=1`` runs one worker, in this process.
    """
    monkeypatch.setattr(executors, "available_cores", lambda: 4)
    argv = (["run", str(write(tmp_path, SMALL))] if command == "run"
            else ["plan", "--nodes", "12", "--controller", "ideal", "--window", "1h", "--no-surge"])
    out = tmp_path / "out"
    monkeypatch.setenv("ROLLSIM_MAX_WORKERS", "abc")
    assert main([*argv, "--out", str(out)]) == 2
    assert one_error_line(capsys) == "rollsim: error: ROLLSIM_MAX_WORKERS must be a positive integer, got 'abc'"
    assert not out.exists()
    monkeypatch.setenv("ROLLSIM_MAX_WORKERS", "1")
    assert main([*argv, "--out", str(out), "-q"]) == (0 if command == "run" else 3)  # 12 nodes: no setting fits
    saved = json.loads((out / ("manifest.json" if command == "run" else "plan.json")).read_text(encoding="utf-8"))
    ran = saved if command == "run" else saved["search"]
    assert (ran["executor"], ran["workers"]) == ("serial", 1)


# -- the local pool --------------------------------------------------------------------------


linux = pytest.mark.skipif(sys.platform != "linux", reason="fork is chosen on Linux only")


@linux
def test_fork_only_while_no_other_python_thread_runs(monkeypatch) -> None:
    monkeypatch.delenv("ROLLSIM_START_METHOD", raising=False)
    with monkeypatch.context() as alone:  # as in a sweep's process: the suite itself may run threads
        alone.setattr(pool.threading, "active_count", lambda: 1)
        assert pool.start_method() == "fork"
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert pool.start_method() == "forkserver"
    finally:
        release.set()
        other.join()
    monkeypatch.setenv("ROLLSIM_START_METHOD", "spawn")
    assert pool.start_method() == "spawn"
    monkeypatch.setenv("ROLLSIM_START_METHOD", "vfork")
    with pytest.raises(ValueError, match="ROLLSIM_START_METHOD must be one of fork, forkserver, spawn"):
        pool.start_method()


def test_a_bad_start_method_is_one_line_before_any_file_is_touched(monkeypatch, tmp_path: Path, capsys) -> None:
    """``ROLLSIM_START_METHOD=bogus`` was an internal error when the pool opened, after ``--force`` had
    cleared the saved runs; it is exit 2 as ``ROLLSIM_MAX_WORKERS=abc`` is, for run and plan alike.
    """
    experiment, out = write(tmp_path, SMALL), tmp_path / "o"
    assert main(["run", str(experiment), "--out-dir", str(out), "--workers", "1", "-q"]) == 0
    saved = sorted(p.name for p in out.rglob("*"))
    monkeypatch.setenv("ROLLSIM_START_METHOD", "bogus")
    message = "rollsim: error: ROLLSIM_START_METHOD must be one of fork, forkserver, spawn, got 'bogus'\n"
    assert main(["run", str(experiment), "--out-dir", str(out), "--workers", "2", "--force"]) == 2
    assert capsys.readouterr().err == message
    assert sorted(p.name for p in out.rglob("*")) == saved
    assert main(["plan", "--nodes", "3", "--workers", "2", "--out", str(tmp_path / "p")]) == 2
    assert capsys.readouterr().err == message and not (tmp_path / "p").exists()
    with pytest.raises(executors.ExecutorError, match="ROLLSIM_START_METHOD must be one of"):
        choose_executor(2, None, None)
    assert choose_executor(1, None, None) == ("serial", 1)  # no pool, no start method


_WORKER_STATE = """
import gc, os, signal, sys
from pathlib import Path
import rollsim.sweep.runner  # noqa: F401 -- what a sweep's process has imported
from rollsim.spec.scenario import Scenario
from rollsim.sweep import executors, pool, schedule
from rollsim.sweep.folder import LOCK, locked

def state():
    fds = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass
    return (os.getppid(), "rollsim.simulation" in sys.modules, signal.getsignal(signal.SIGINT) == signal.SIG_IGN,
            signal.getsignal(signal.SIGTERM) == signal.SIG_IGN, [f for f in fds if f.endswith(LOCK)])

def held(key):  # the node count of the scenario a worker holds under key
    return len(schedule.unpack(schedule.Inherited(key)).nodes)

assert pool.start_method() == "fork"
with locked(Path(sys.argv[1])), pool.open_pool(1) as workers:
    parent, warm, no_int, no_term, locks = workers.submit(state).result(timeout=60)
    # nothing inherited is frozen (simulate frees its world with a young collection, which never walks them)
    frozen = workers.submit(gc.get_freeze_count).result(timeout=60)
assert parent == os.getpid() and warm and no_int and no_term, (parent, warm, no_int, no_term)
assert not locks, locks  # the sweep's lock is the sweep's alone
assert frozen == 0, frozen
# a worker forked while the scenarios are registered is sent their keys, not their bytes
with schedule.inheriting({0: Scenario(nodes=3), 1: Scenario(nodes=5)}), \
        executors.open_executor(workers=1, executor="processes") as backend:
    assert backend.forked
    assert [backend.submit(held, k).result(timeout=60) for k in (1, 0)] == [5, 3]
print("ok")
"""


@linux
def test_forked_workers_are_warm_hold_no_lock_freeze_nothing_and_hold_the_scenarios(tmp_path: Path) -> None:
    # in a fresh interpreter, as a sweep runs: no other thread, so the pool forks
    env = {k: v for k, v in os.environ.items() if k != "ROLLSIM_START_METHOD"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-c", _WORKER_STATE, str(tmp_path)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


# -- SIGTERM ---------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or sys.platform == "win32", reason="POSIX signals")
def test_sigterm_interrupts_a_sweep_as_ctrl_c_does(tmp_path: Path) -> None:
    experiment, out = load_experiment(write(tmp_path, SMALL)), tmp_path / "out"

    def terminate_after_three(done: int, total: int) -> None:
        if done == 3:
            os.kill(os.getpid(), signal.SIGTERM)

    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    with pytest.raises(RunInterrupted) as caught:
        run_experiment(experiment, out, workers=1, progress=terminate_after_three)
    assert (caught.value.finished, caught.value.total) == (3, 20)
    assert len(list((out / "runs").glob("*.json"))) == 3
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # given back when the sweep ends
    report = run_experiment(experiment, out, workers=1)
    assert (report.runs_run, report.runs_reused) == (17, 3)


def test_a_sweep_starts_its_largest_runs_first(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path, "name: sizes\nscenario: {controller: {mode: ideal}}\n"
                           "grid: {cluster.nodes: [3, 12, 6]}\nreplications: 2\nseed: 1\n")
    sizes: list[int] = []
    real = dispatch.run_one

    def record(scenario, seed):
        sizes.append(len(scenario.nodes))
        return real(scenario, seed)

    monkeypatch.setattr(dispatch, "run_one", record)
    run_experiment(load_experiment(path), tmp_path / "out", workers=1)
    assert sizes == [12, 12, 6, 6, 3, 3]
    assert list(load_results(tmp_path / "out").runs["cluster.nodes"]) == [3, 3, 12, 12, 6, 6]  # tables: file order


@pytest.mark.slow  # moved to CI's second lane, which has room (5-11 s each)
def test_stop_pool_kills_the_workers_and_ends_the_manager_thread() -> None:
    """stop_pool took the workers after ``shutdown(wait=False)``, which (before Python 3.14) drops
    the pool's list of them: nothing was killed, and a worker killed later mid-result left the
    manager thread reading half a message for ever (the interpreter hung at exit, joining it).
    Now the workers die at once and the manager thread ends."""
    import time
    from concurrent.futures import wait as wait_for
    from multiprocessing.connection import wait as wait_ended

    from rollsim.sweep.pool import open_pool, stop_pool

    with open_pool(2) as pool:
        processes = list(pool._processes.values())
        futures = [pool.submit(time.sleep, 60) for _ in range(2)]  # running or about to: neither ends by itself
        manager = pool._executor_manager_thread
        stop_pool(pool)
        for process in processes:
            # ended (its sentinel readable) within 10 s of a 60 s sleep: killed
            assert wait_ended([process.sentinel], timeout=10), f"{process.name} still runs after stop_pool"
            process.join(timeout=10)
            # SIGKILL's status; 255 where the forkserver could not report it (popen_forkserver's poll sets it on
            # EOF: seen once under load); None where the pool's manager thread reaped the worker first (this
            # thread's waitpid then fails, and poll reads None: seen once in CI under load)
            assert process.exitcode in (-signal.SIGKILL, 255, None)
        manager.join(timeout=10)
        assert not manager.is_alive()
        wait_for(futures, timeout=10)
