"""``make bench`` in its quick mode: it runs, prints its tables and judges the goals.

The benchmarks print figures, they are not timed tests: nothing here depends on how fast
the machine is. Tiny sizes keep the run to a few seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import baselines  # noqa: E402
import bench  # noqa: E402
import modes  # noqa: E402
import plan_knee  # noqa: E402
import plan_window  # noqa: E402
import scale  # noqa: E402
import sweep  # noqa: E402


@pytest.mark.parametrize("nodes", [1, 25, 200])
def test_the_bare_models_update_every_node(nodes) -> None:
    # model 1: start, request, 5 timeouts, release, end; model 2: start, 5 timeouts, end
    assert baselines.resource_model(nodes)[0] == 9 * nodes
    assert baselines.chain_model(nodes)[0] == 7 * nodes


def test_quick_bench_prints_its_table_and_goals(tmp_path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "bench.py"), "--sizes", "60,30", "--repeats", "1",
         "--no-startup", "--no-sweep", "--json", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "| nodes | rollsim CPU s |" in text and "ratio vs model 1" in text and "ratio vs model 2" in text
    rows = [line for line in text.splitlines() if line.startswith(("| 30 |", "| 60 |"))]
    assert [r.split("|")[1].strip() for r in rows] == ["30", "60"]  # sorted, one row per size
    goals = [line for line in text.splitlines() if line.startswith(("PASS", "FAIL", "SKIP"))]
    assert len(goals) == 7
    assert all(line.startswith("SKIP") for line in goals)  # no goal size, no start-up, no sweep measured
    scale = json.loads(out.read_text())["scale"]
    assert [r["nodes"] for r in scale] == [30, 60]
    assert all(r["completed"] and r["events"] > 0 and r["m1_events"] == 9 * r["nodes"] for r in scale)


def _row(nodes: int, cpu: float, rss: float = 100.0, m1: float | None = None) -> dict:
    row = {"nodes": nodes, "cpu_s": cpu, "peak_rss_mib": rss}
    return row if m1 is None else {**row, "m1_cpu_s": m1}


def test_goal_lines_judge_each_goal() -> None:
    rows = [_row(10000, 0.9, m1=0.5), _row(100000, 11.0, 500), _row(1000000, 100.0, 2100)]
    starts = [{"command": "rollsim --help", "cpu_s": 0.2}, {"command": "rollsim simulate --nodes 10", "cpu_s": 1.5}]
    lines = bench.goal_lines(rows, starts, speedup=1.8, swept=True)
    verdicts = [line.split()[0] for line in lines]
    # 10k: 1.8x model 1 and 0.9 s; 100k: CPU over; 1M: RSS over; help ok; simulate over; sweep ok;
    # growth: 100 us/node against 90 us/node, 1.11x
    assert verdicts == ["PASS", "FAIL", "FAIL", "PASS", "FAIL", "PASS", "PASS"]


def test_the_native_build_gets_its_own_scale_goals_and_speedups() -> None:
    pure = [{**_row(10000, 1.2, m1=0.3), "events": 129, "syncs": 4},
            {**_row(100000, 14.0, 320), "events": 9, "syncs": 1}]
    native = [{**_row(10000, 0.8, m1=0.3), "events": 129, "syncs": 4},
              {**_row(100000, 9.5, 300), "events": 8, "syncs": 1}]
    lines = bench.goal_lines(pure, None, None, swept=False, native_rows=native)
    assert len(lines) == 11
    extra = lines[7:]
    assert [line.split()[0] for line in extra] == ["FAIL", "PASS", "SKIP", "PASS"]  # 2.7x model 1; 9.5 s; no 1M
    assert all("(native build)" in line for line in extra) and not any("native" in line for line in lines[:7])
    table = bench.speedup_table(pure, native).splitlines()
    assert table[2] == "| 10,000 | 1.20 | 0.80 | 1.50× | yes |"
    assert table[3].endswith("| NO |")  # a build whose run differs is flagged, not averaged in


def test_scale_refuses_a_native_run_of_the_pure_package(tmp_path) -> None:
    proc = subprocess.run([sys.executable, str(BENCH / "scale.py"), "--one", "20", "--baselines", "",
                           "--native", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "make native" in proc.stderr


def test_growth_worse_than_linear_fails() -> None:
    line = bench.growth_line([_row(10000, 1.0), _row(1000000, 200.0)])
    assert line.startswith("FAIL") and "2.00×" in line


def test_growth_names_the_bare_models_growth() -> None:
    rows = [{**_row(10000, 1.0), "m2_cpu_s": 0.1}, {**_row(100000, 10.0), "m2_cpu_s": 1.5}, _row(1000000, 100.0)]
    line = bench.growth_line(rows)
    assert line.startswith("PASS") and "1.00×" in line and "bare model 2: 1.50× from 10,000 to 100,000" in line


def test_sweep_speedup_reads_what_sweep_py_writes() -> None:
    # sweep.py --json: per executor, one row per repeat (the same repeat's rows pair up)
    rows = {"serial": [{"workers": 1, "wall_s": 10.0}, {"workers": 1, "wall_s": 12.0}, {"workers": 1, "wall_s": 9.0}],
            "processes": [{"workers": 2, "wall_s": 5.0}, {"workers": 2, "wall_s": 8.0}, {"workers": 2, "wall_s": 6.0}],
            "dask": [{"workers": 2, "wall_s": 2.0}] * 3}
    assert bench.sweep_speedup(rows) == pytest.approx(1.5)  # median of 2.0, 1.5, 1.5; Dask is not the figure
    assert bench.sweep_speedup({"serial": rows["serial"]}) is None
    assert bench.sweep_speedup({}) is None


def test_the_sweep_goal_names_the_machines_ceiling() -> None:
    rows = {sweep.CEILING: [{"speedup": 1.8}, {"speedup": 1.6}, {"speedup": 1.75}]}
    assert bench.sweep_ceiling(rows) == pytest.approx(1.75)
    assert bench.sweep_ceiling({}) is None
    line = bench.goal_lines([], None, 1.4, True, ceiling=1.75)[5]
    assert line.startswith("FAIL") and "1.40× (the machine's ceiling for two processes: 1.75×; 80% of it)" in line


def test_ceiling_lines_pair_each_repeat_with_its_own_ceiling() -> None:
    measured = [{"speedup": 2.0, "cpu_ratio": 1.1}, {"speedup": 1.5, "cpu_ratio": 1.2}]
    rows = {"serial": [{"wall_s": 10.0}, {"wall_s": 9.0}], "processes": [{"wall_s": 5.5}, {"wall_s": 6.0}]}
    ceiling, share = sweep.ceiling_lines(measured, rows)
    assert "1.75× (1.50–2.00×) one process simulating them all, with 1.15× its CPU" in ceiling
    assert share == "2 processes reach 95% of the ceiling (91%–100%)"  # 1.82/2.0 and 1.5/1.5


def test_the_ceiling_splits_the_runs_between_two_loops(tmp_path) -> None:
    experiment = tmp_path / "sweep.yaml"
    experiment.write_text(sweep.EXPERIMENT.format(nodes=10, replications=1))  # 6 runs
    found = sweep.ceiling(experiment)
    assert (found["one"]["runs"], found["one"]["workers"]) == (6, 1)
    assert (found["two"]["runs"], found["two"]["workers"]) == (6, 2)
    assert found["speedup"] == pytest.approx(found["one"]["wall_s"] / found["two"]["wall_s"])
    assert sweep.simulate_share(experiment, 1, 2)["runs"] == 3


def test_growth_over_the_same_sizes_divides_by_model_2s_growth() -> None:
    rows = [{**_row(10000, 1.0), "m2_cpu_s": 0.1}, {**_row(1000000, 150.0), "m2_cpu_s": 12.0}]
    line = bench.growth_line(rows)
    assert line.startswith("FAIL") and "1.50×" in line and "bare model 2: 1.20×" in line
    assert "rollsim's growth ÷ model 2's: 1.25×" in line


def test_model_2_alone_above_the_baseline_limit() -> None:
    assert scale.baselines_for(100000, 100000) == ("m1", "m2")
    assert scale.baselines_for(1000000, 100000) == ("m2",)


def test_modes_judges_both_targets_at_every_max_unavailable() -> None:
    # realistic ÷ ideal: 2.0× at 1% fails "realistic ≤ 1.5× ideal", 0.67× at 10% fails "ideal no slower"
    lines = modes.goal_lines({"1%": 2.0, "10%": 0.67}, 10000)
    assert [line.split()[0] for line in lines] == ["FAIL", "FAIL"]
    assert "(worst 2.00×)" in lines[0] and "(worst 0.67×)" in lines[1]
    assert [line.split()[0] for line in modes.goal_lines({"1%": 1.5, "10%": 1.0}, 10000)] == ["PASS", "PASS"]


def test_modes_prints_its_table_and_goal_lines() -> None:
    proc = subprocess.run([sys.executable, str(BENCH / "modes.py"), "--nodes", "40", "--repeats", "1"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr  # 1: a target missed (tiny runs are all overhead)
    rows = [line for line in proc.stdout.splitlines() if line.startswith(("| 1% |", "| 10% |"))]
    assert len(rows) == 2
    goals = [line for line in proc.stdout.splitlines() if line.startswith(("PASS", "FAIL"))]
    assert len(goals) == 2 and "ideal no slower than realistic" in goals[1]


def test_plan_window_prints_a_row_per_margin_and_rule(capsys) -> None:
    """The script behind the README's window-verdict figures runs; a window 3 sd above the true
    p95 of normal durations is met by nearly every plan under each rule (the figures themselves
    take 20,000 trials); on the straggler's bimodal durations the screen alone claims a window on
    the true p95 far more often than the confirmed rule does.
    """
    assert plan_window.main(["--trials", "40", "--margins", "0,3"]) == 0
    rows = [[cell.strip() for cell in line.split("|")[1:-1]] for line in capsys.readouterr().out.splitlines()
            if line.startswith(("| normal |", "| straggler |"))]
    assert len(rows) == 2 * 2 * len(plan_window.RULES)
    assert all(float(r[3].strip("%")) >= 90 for r in rows if r[:2] == ["normal", "3"])
    said = {r[2]: float(r[3].strip("%")) for r in rows if r[:2] == ["straggler", "0"]}
    assert said["looks share 95%"] > 25 and said["screen, then 59 runs"] <= 12.5


def test_plan_knee_prints_a_row_per_curve(capsys) -> None:
    """The script behind the README's knee figures runs and prints its five rows and the single
    comparison's rate (the figures themselves take 2,000 trials).
    """
    assert plan_knee.main(["--trials", "10"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith(("| hyperbolic", "| batches", "| flat"))]
    assert len(rows) == 5 and all(0 <= float(r.split("|")[3].strip(" %")) <= 100 for r in rows)
    assert "One comparison of a count exactly τ slower than the top: called as fast in" in out
