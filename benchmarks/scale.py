"""How rollsim's wall time and memory scale with the number of nodes.

For each size, one rollout with the realistic controller, maxUnavailable 10% and the
default lognormal timings (``rollsim.build_scenario``) is timed in a fresh child process,
followed in the same child by a bare-SimPy baseline: plain processes chaining
``yield env.timeout(...)`` until they have produced the same number of SimPy events.
The ratio of the two wall times cancels most of the machine's noise.

    python3 benchmarks/scale.py [--sizes 1000,5000,20000,100000] [--repeats N]
                                [--seed S] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
os.environ.setdefault("ROLLSIM_MAX_NODES", "10000000")  # measuring size is the point: lift the input limit

DEFAULT_SIZES = (1000, 5000, 20000, 100000)
MIB = 1024  # ru_maxrss is in KiB on Linux


def peak_rss_kib() -> int:
    """This process's peak resident set size so far, in KiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def time_rollout(nodes: int, seed: int) -> tuple[float, dict]:
    """Wall time of ``simulate`` (scenario built outside the clock) and its summary."""
    import rollsim

    scenario = rollsim.build_scenario(nodes=nodes, max_unavailable="10%")
    start = time.perf_counter()
    result = rollsim.simulate(scenario, seed=seed)
    return time.perf_counter() - start, result.summary


def _chain(env, steps: int, draw):
    """A plain SimPy process: ``steps`` timeouts with random delays."""
    for _ in range(steps):
        yield env.timeout(draw())


def time_bare_simpy(events: int, processes: int, seed: int) -> float:
    """Wall time for plain processes to produce ``events`` SimPy events.

    Stepped by the same peek/step/count loop as ``rollsim.simulate``, stopping at exactly
    ``events`` events (each process has room for more than its share).
    """
    import simpy

    draw = random.Random(seed).expovariate
    start = time.perf_counter()
    env = simpy.Environment()
    steps = math.ceil(events / processes)
    for _ in range(processes):
        env.process(_chain(env, steps, lambda: draw(1.0)))
    done = 0
    while done < events and env.peek() < math.inf:
        env.step()
        done += 1
    return time.perf_counter() - start


def measure_one(nodes: int, repeats: int, seed: int) -> dict:
    """One row, measured in the current (fresh) process."""
    import rollsim  # noqa: F401 -- count the imports in the baseline RSS
    import simpy  # noqa: F401

    base_kib = peak_rss_kib()
    walls, summary = [], {}
    for _ in range(repeats):
        wall, summary = time_rollout(nodes, seed)
        walls.append(wall)
    peak_kib = peak_rss_kib()
    events = summary["events"]
    bare = statistics.median(time_bare_simpy(events, nodes, seed) for _ in range(repeats))
    wall = statistics.median(walls)
    return {
        "nodes": nodes, "repeats": repeats, "wall_s": wall, "events": events,
        "events_per_s": events / wall, "syncs": summary["syncs"],
        "completed": summary["completed"],
        "peak_rss_mib": peak_kib / MIB, "rss_increment_mib": (peak_kib - base_kib) / MIB,
        "us_per_node": wall / nodes * 1e6,
        "baseline_wall_s": bare, "baseline_events_per_s": events / bare,
        "ratio_vs_baseline": wall / bare,
    }


def measure_in_child(nodes: int, repeats: int, seed: int) -> dict:
    """Run ``measure_one`` in a fresh interpreter so peak RSS belongs to this size alone."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", str(nodes),
           "--repeats", str(repeats), "--seed", str(seed)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def markdown_table(rows: list[dict]) -> str:
    """The rows as a Markdown table."""
    head = ("| nodes | wall s | events | events/s | syncs | peak RSS MiB | +RSS MiB "
            "| µs/node | bare SimPy events/s | ratio vs bare |")
    lines = [head, "|" + "---:|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['nodes']:,} | {r['wall_s']:.2f} | {r['events']:,} | {r['events_per_s']:,.0f} "
            f"| {r['syncs']:,} | {r['peak_rss_mib']:.0f} | {r['rss_increment_mib']:.0f} "
            f"| {r['us_per_node']:.0f} | {r['baseline_events_per_s']:,.0f} "
            f"| {r['ratio_vs_baseline']:.1f}× |")
    return "\n".join(lines)


def check(label: str, ok: bool | None, detail: str) -> str:
    """One target line; ``ok=None`` means not measured."""
    verdict = "SKIP" if ok is None else ("PASS" if ok else "FAIL")
    return f"{verdict}  {label}: {detail}"


def target_lines(rows: list[dict]) -> list[str]:
    """PASS/FAIL lines for the targets; SKIP when the size was not measured."""
    by = {r["nodes"]: r for r in rows}
    lines = []
    r5 = by.get(5000)
    lines.append(check("5,000 nodes < 1 s", r5 and r5["wall_s"] < 1.0,
                       f"{r5['wall_s']:.2f} s" if r5 else "not measured"))
    r100 = by.get(100000)
    lines.append(check("100,000 nodes < 30 s", r100 and r100["wall_s"] < 30.0,
                       f"{r100['wall_s']:.2f} s" if r100 else "not measured"))
    lines.append(check("100,000 nodes < 2 GiB peak", r100 and r100["peak_rss_mib"] < 2048,
                       f"{r100['peak_rss_mib']:.0f} MiB" if r100 else "not measured"))
    small, large = rows[0], rows[-1]
    growth = large["us_per_node"] / small["us_per_node"]
    lines.append(check("per-node time growth ≤ 2×", growth <= 2.0 if len(rows) > 1 else None,
                       f"{growth:.2f}× from {small['nodes']:,} to {large['nodes']:,} nodes "
                       "(≤ ~1.5 is linear)"))
    return lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                   help="comma-separated node counts (default: %(default)s)")
    p.add_argument("--repeats", type=int, default=None,
                   help="runs per size, wall time is the median (default: 3 up to 5k nodes, 1 above)")
    p.add_argument("--seed", type=int, default=0, help="root seed (default: %(default)s)")
    p.add_argument("--json", type=Path, default=None, help="also write the rows to this file")
    p.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.one is not None:  # child mode: print one JSON row
        print(json.dumps(measure_one(args.one, args.repeats or 1, args.seed)))
        return 0
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    rows = []
    for nodes in sizes:
        repeats = args.repeats or (3 if nodes <= 5000 else 1)
        print(f"measuring {nodes:,} nodes × {repeats} ...", file=sys.stderr, flush=True)
        rows.append(measure_in_child(nodes, repeats, args.seed))
    print(markdown_table(rows))
    print()
    print("\n".join(target_lines(rows)))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
