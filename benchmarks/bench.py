"""``make bench``: everything issue 12 measures, in one run, with PASS/FAIL for its goals.

1. Scale (``scale.py``): rollsim at each size in a fresh child process, against the two
   bare SimPy models of ``baselines.py`` measured in the same child (both up to 100,000
   nodes, model 2 alone above);
   CPU seconds, wall seconds, peak RSS, µs/node, events/node, and the ratios.
2. Start-up (``startup.py``): ``rollsim --help`` and ``rollsim simulate --nodes 10``, CPU
   seconds of fresh processes.
3. Sweeps (``sweep.py``, run as it is): runs/s of a 24-run sweep on 1 worker, 2 processes
   and local Dask, and the speed-up.

With ``--native DIR`` (``make bench`` passes build/native, built by ``make native``) the scale
table is measured a second time against the native build, with its speed-up over the
pure-Python package and the scale goals judged for each.

    python3 benchmarks/bench.py [--sizes 1000,10000,100000,1000000] [--no-startup]
                                [--no-sweep] [--native DIR] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scale  # noqa: E402 -- after the path: benchmarks/ is not a package
import startup  # noqa: E402
import sweep  # noqa: E402

DEFAULT_SIZES = (1000, 10000, 100000, 1000000)
GIB = 1024  # MiB


def run_sweep() -> tuple[str, dict[str, list[dict]]]:
    """``sweep.py``'s printed table and its measurements: per executor, one row per repeat."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sweep.json"
        proc = subprocess.run([sys.executable, str(HERE / "sweep.py"), "--json", str(out)],
                              capture_output=True, text=True)
        rows = json.loads(out.read_text()) if out.exists() else {}
    text = proc.stdout.strip() or f"sweep.py failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}"
    return text, rows


def sweep_speedup(rows: dict[str, list[dict]]) -> float | None:
    """2 local processes against 1 worker: the median over repeats of the serial sweep's wall
    time over the same repeat's 2-process wall time (``sweep.py``'s own figure); None if either
    is missing.
    """
    ratios = sweep.speedups(rows, "processes")
    return statistics.median(ratios) if ratios else None


def sweep_ceiling(rows: dict[str, list[dict]]) -> float | None:
    """The machine's ceiling for 2 processes (``sweep.ceiling``), median over repeats; None if not measured."""
    measured = rows.get(sweep.CEILING) or []
    return statistics.median(c["speedup"] for c in measured) if measured else None


def check(label: str, ok: bool | None, detail: str) -> str:
    """One goal line; ``ok=None`` means not measured (SKIP)."""
    verdict = "SKIP" if ok is None else ("PASS" if ok else "FAIL")
    return f"{verdict}  {label}: {detail}"


def _both(row: dict | None, cpu_max: float, rss_max_mib: float) -> tuple[bool | None, str]:
    if row is None:
        return None, "not measured"
    ok = row["cpu_s"] <= cpu_max and row["peak_rss_mib"] <= rss_max_mib
    return ok, f"{row['cpu_s']:.2f} s CPU, {row['peak_rss_mib']:.0f} MiB peak RSS"


def scale_goal_lines(rows: list[dict], build: str = "") -> list[str]:
    """PASS/FAIL (or SKIP) for the goals the scale table measures; ``build`` names the build."""
    by = {r["nodes"]: r for r in rows}
    suffix = f" ({build} build)" if build else ""
    lines = []
    r10 = by.get(10000)
    label = "10,000 nodes ≤ 2× bare model 1 and ≤ 1 s CPU" + suffix
    if r10 and r10.get("m1_cpu_s"):
        ratio = r10["cpu_s"] / r10["m1_cpu_s"]
        lines.append(check(label, ratio <= 2 and r10["cpu_s"] <= 1, f"{ratio:.1f}× model 1, {r10['cpu_s']:.2f} s CPU"))
    else:
        lines.append(check(label, None, "not measured"))
    lines.append(check("100,000 nodes ≤ 10 s CPU and ≤ 600 MiB" + suffix, *_both(by.get(100000), 10, 600)))
    lines.append(check("1,000,000 nodes ≤ 120 s CPU and ≤ 2 GiB" + suffix, *_both(by.get(1000000), 120, 2 * GIB)))
    lines.append(growth_line(rows, suffix))
    return lines


def goal_lines(rows: list[dict], starts: list[dict] | None, speedup: float | None, swept: bool,
               native_rows: list[dict] | None = None, ceiling: float | None = None) -> list[str]:
    """PASS/FAIL (or SKIP) for each of issue 12's goals (the scale goals once more for the native build)."""
    scale_lines = scale_goal_lines(rows)
    lines = scale_lines[:3]
    limits = {"rollsim --help": 0.3, "rollsim simulate --nodes 10": 1.0}
    for command, limit in limits.items():
        row = next((s for s in starts or [] if s["command"] == command), None)
        lines.append(check(f"`{command}` ≤ {limit} s CPU", None if row is None else row["cpu_s"] <= limit,
                           "not measured" if row is None else f"{row['cpu_s']:.2f} s"))
    detail = f"{speedup:.2f}×" if speedup is not None else ("no result" if swept else "not measured")
    if speedup is not None and ceiling is not None:
        detail += f" (the machine's ceiling for two processes: {ceiling:.2f}×; {speedup / ceiling:.0%} of it)"
    lines.append(check("24-run sweep on 2 processes ≥ 1.7× one worker",
                       None if speedup is None else speedup >= 1.7, detail))
    lines.append(scale_lines[3])
    if native_rows is not None:
        lines += scale_goal_lines(native_rows, "native")
    return lines


def speedup_table(pure: list[dict], native: list[dict]) -> str:
    """Per size: the pure package's CPU, the native build's, and the ratio (same seed, same results)."""
    by = {r["nodes"]: r for r in native}
    lines = ["| nodes | pure CPU s | native CPU s | speed-up | same events |", "|---:|---:|---:|---:|:---:|"]
    for r in pure:
        n = by.get(r["nodes"])
        if n:
            same = "yes" if n["events"] == r["events"] and n["syncs"] == r["syncs"] else "NO"
            ratio = r["cpu_s"] / n["cpu_s"]
            lines.append(f"| {r['nodes']:,} | {r['cpu_s']:.2f} | {n['cpu_s']:.2f} | {ratio:.2f}× | {same} |")
    return "\n".join(lines)


def growth_line(rows: list[dict], suffix: str = "") -> str:
    """CPU per node at the largest size over that at 10,000 nodes (or the smallest size above it)."""
    label = "growth from 10k to the largest size no worse than linear (CPU/node ≤ 1.25×)" + suffix
    start = next((r for r in rows if r["nodes"] >= 10000), None)
    end = rows[-1] if rows else None
    if start is None or end is None or end["nodes"] <= start["nodes"]:
        return check(label, None, "needs 10,000 nodes and a larger size")
    growth = (end["cpu_s"] / end["nodes"]) / (start["cpu_s"] / start["nodes"])
    detail = f"{growth:.2f}× µs/node from {start['nodes']:,} to {end['nodes']:,} nodes (1.0 is linear)"
    bare = [r for r in rows if r["nodes"] >= start["nodes"] and r.get("m2_cpu_s")]
    if len(bare) > 1:  # SimPy's own per-event cost grows with its heap: the yardstick's growth
        m2 = (bare[-1]["m2_cpu_s"] / bare[-1]["nodes"]) / (bare[0]["m2_cpu_s"] / bare[0]["nodes"])
        detail += f"; bare model 2: {m2:.2f}× from {bare[0]['nodes']:,} to {bare[-1]['nodes']:,}"
        if bare[-1] is end and bare[0] is start:  # over the same sizes: what rollsim adds to SimPy's growth
            detail += f" (rollsim's growth ÷ model 2's: {growth / m2:.2f}×)"
    return check(label, growth <= 1.25, detail)


def measure_scale(sizes: list[int], repeats: int | None, seed: int,
                  native: Path | None) -> tuple[list[dict], list[dict] | None]:
    """The scale rows of the pure package and (``native``) of the native build, size by size
    in turns, so that the machine's drift (a third from hour to hour) falls on both alike.
    """
    rows: list[dict] = []
    native_rows: list[dict] | None = None if native is None else []
    for nodes in sizes:
        rows += scale.measure([nodes], repeats, seed, baseline_max=100000)
        if native_rows is not None:
            native_rows += scale.measure([nodes], repeats, seed, baseline_max=100000, native=native)
    return rows, native_rows


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                   help="comma-separated node counts (default: %(default)s)")
    p.add_argument("--repeats", type=int, default=None,
                   help="rollouts per size, best CPU time (default: 5 up to 10k nodes, 1 above)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-startup", action="store_true", help="skip the start-up measurement")
    p.add_argument("--no-sweep", action="store_true", help="skip the sweep benchmark")
    p.add_argument("--native", type=Path, default=None, metavar="DIR",
                   help="also measure the native build in DIR (make native: build/native)")
    p.add_argument("--json", type=Path, default=None, help="also write every figure to this file")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rows, native_rows = measure_scale(scale.parse_sizes(args.sizes), args.repeats, args.seed, args.native)
    print("## Scale: rollsim against bare SimPy (CPU seconds, best of the repeats)\n")
    print(scale.markdown_table(rows))
    print("\nratio = rollsim CPU ÷ the bare model's CPU, measured in the same child process; "
          "model 1: N processes over a Resource of 10% slots; model 2: 10% chains, no queue.")
    if native_rows is not None:
        print(f"\n## Scale: the native build ({args.native}, the core compiled with mypyc)\n")
        print(scale.markdown_table(native_rows))
        print("\n" + speedup_table(rows, native_rows))
    starts = None
    if not args.no_startup:
        print("measuring start-up ...", file=sys.stderr, flush=True)
        starts = startup.measure()
        print("\n## Start-up\n")
        print(startup.markdown_table(starts))
    speedup, sweep_rows = None, {}
    if not args.no_sweep:
        print("measuring sweeps ...", file=sys.stderr, flush=True)
        text, sweep_rows = run_sweep()
        speedup = sweep_speedup(sweep_rows)
        print("\n## Sweeps (benchmarks/sweep.py)\n")
        print(text)
    print("\n## Goals (issue 12)\n")
    print("\n".join(goal_lines(rows, starts, speedup, not args.no_sweep, native_rows, sweep_ceiling(sweep_rows))))
    if args.json:
        figures = {"scale": rows, "native": native_rows, "startup": starts, "sweep": sweep_rows}
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
