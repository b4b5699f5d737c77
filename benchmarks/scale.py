"""How rollsim's CPU time and memory scale with the number of nodes, against bare SimPy.

For each size, rollouts with the realistic controller, maxUnavailable 10% and the
default lognormal timings (``rollsim.build_scenario``) run in a fresh child process, each
followed, in the same child, by the two bare SimPy models of ``baselines.py`` updating the
same number of nodes (in turns: the machine's speed drifts). Times are CPU seconds
(``time.process_time``: the machine is shared, wall time is noise), the best of the repeats;
peak RSS is the child's ``ru_maxrss`` after the rollouts (the models are smaller).

    python3 benchmarks/scale.py [--sizes 1000,10000,100000] [--repeats N] [--seed S]
                                [--baseline-max 100000] [--native DIR] [--json PATH]

``--native DIR`` measures the native build in DIR (``make native``: build/native) instead of
the pure-Python package; a child refuses a build that is not compiled.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing
if "--native" in sys.argv[:-1]:  # a child measuring the native build: it comes first on the path
    sys.path.insert(0, str(Path(sys.argv[sys.argv.index("--native") + 1]).resolve()))

DEFAULT_SIZES = (1000, 10000, 100000)
BARE = ("m1", "m2")  # the bare models of baselines.MODELS, in its order
MIB = 1024  # ru_maxrss is in KiB on Linux


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MIB


def default_repeats(nodes: int) -> int:
    """Best of 5 up to 10,000 nodes (cheap, noisy), one run above."""
    return 5 if nodes <= 10000 else 1


def time_rollout(nodes: int, seed: int) -> tuple[float, float, dict]:
    """CPU and wall seconds of ``simulate`` (scenario built outside the clock), and its summary."""
    import rollsim

    scenario = rollsim.build_scenario(nodes=nodes, max_unavailable="10%")
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    result = rollsim.simulate(scenario, seed=seed)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return cpu, wall, result.summary


def build_of(module_file: str | None) -> str:
    """``"native"`` when the module was loaded from a compiled extension, else ``"pure"``."""
    return "native" if module_file and module_file.endswith((".so", ".pyd")) else "pure"


def measure_one(nodes: int, repeats: int, seed: int, baselines: tuple[str, ...], native: bool = False) -> dict:
    """One row, measured in the current (fresh) process, with the bare models named in ``baselines``."""
    os.environ.setdefault("ROLLSIM_MAX_NODES", "10000000")  # measuring size is the point: lift the input limit
    import rollsim.simulation  # -- imports are not the rollout's cost
    import simpy  # noqa: F401

    build = build_of(rollsim.simulation.__file__)
    if native and build != "native":
        raise SystemExit(f"scale.py: --native: {rollsim.simulation.__file__} is not compiled; run `make native`")

    from baselines import MODELS

    # rollsim and the bare models in turns, repeat by repeat: the machine's speed drifts, and a
    # ratio is only fair between runs made in the same minutes
    runs: list[tuple[float, float, dict]] = []
    bare: dict[str, list[tuple[int, float, float]]] = {key: [] for key in BARE}
    peak = 0.0
    for _ in range(repeats):
        runs.append(time_rollout(nodes, seed))
        peak = max(peak, peak_rss_mib())  # rollsim's peak: the bare models, run after it, are smaller
        gc.collect()
        for key, model in zip(BARE, MODELS.values()):
            if key in baselines:
                bare[key].append(model(nodes, seed))
    cpu, wall, summary = min(runs, key=lambda run: run[0])
    row: dict = {
        "nodes": nodes, "repeats": repeats, "cpu_s": cpu, "wall_s": wall, "events": summary["events"],
        "syncs": summary["syncs"], "completed": summary["completed"], "peak_rss_mib": peak,
        "build": build,
    }
    for key, measured in bare.items():
        if measured:
            events, m_cpu, m_wall = min(measured, key=lambda r: r[1])
            row.update({f"{key}_events": events, f"{key}_cpu_s": m_cpu, f"{key}_wall_s": m_wall})
    return row


def measure_in_child(nodes: int, repeats: int, seed: int, baselines: tuple[str, ...],
                     native: Path | None = None) -> dict:
    """Run ``measure_one`` in a fresh interpreter so peak RSS belongs to this size alone."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", str(nodes),
           "--repeats", str(repeats), "--seed", str(seed), "--baselines", ",".join(baselines)]
    if native is not None:
        cmd += ["--native", str(native)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _ratio(row: dict, key: str) -> str:
    return f"{row['cpu_s'] / row[key]:.1f}×" if row.get(key) else "—"


def _cpu(row: dict, key: str) -> str:
    return f"{row[key]:.2f}" if key in row else "—"


def _per_node(row: dict, key: str) -> str:
    return f"{row[key] / row['nodes']:.1f}" if key in row else "—"


def markdown_table(rows: list[dict]) -> str:
    """The rows as a Markdown table: rollsim, then each bare model and rollsim's ratio to it."""
    head = ("| nodes | rollsim CPU s | wall s | peak RSS MiB | µs/node | events/node "
            "| model 1 CPU s | ratio vs model 1 | model 2 CPU s | ratio vs model 2 "
            "| model 1 / model 2 events/node |")
    lines = [head, "|" + "---:|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['nodes']:,} | {r['cpu_s']:.2f} | {r['wall_s']:.2f} | {r['peak_rss_mib']:.0f} "
            f"| {r['cpu_s'] / r['nodes'] * 1e6:.0f} | {r['events'] / r['nodes']:.1f} "
            f"| {_cpu(r, 'm1_cpu_s')} | {_ratio(r, 'm1_cpu_s')} | {_cpu(r, 'm2_cpu_s')} "
            f"| {_ratio(r, 'm2_cpu_s')} | {_per_node(r, 'm1_events')} / {_per_node(r, 'm2_events')} |")
    return "\n".join(lines)


def measure(sizes: list[int], repeats: int | None, seed: int, baseline_max: int,
            native: Path | None = None) -> list[dict]:
    """One row per size, each from its own child process (of the native build in ``native``)."""
    rows = []
    for nodes in sizes:
        n = repeats or default_repeats(nodes)
        print(f"measuring {nodes:,} nodes × {n}{' (native build)' if native else ''} ...", file=sys.stderr, flush=True)
        rows.append(measure_in_child(nodes, n, seed, baselines_for(nodes, baseline_max), native))
    return rows


def baselines_for(nodes: int, baseline_max: int) -> tuple[str, ...]:
    """Both bare models up to ``baseline_max`` nodes; above it model 2 alone (model 1 is
    super-linear and would take longer than the rollout; model 2 stays the yardstick of
    SimPy's own growth at the largest sizes).
    """
    return BARE if nodes <= baseline_max else ("m2",)


def parse_sizes(text: str) -> list[int]:
    """``"1000,10_000"`` -> ``[1000, 10000]``, sorted."""
    return sorted(int(s.replace("_", "")) for s in text.split(",") if s.strip())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                   help="comma-separated node counts (default: %(default)s)")
    p.add_argument("--repeats", type=int, default=None,
                   help="runs per size, the best CPU time counts (default: 5 up to 10k nodes, 1 above)")
    p.add_argument("--seed", type=int, default=0, help="root seed (default: %(default)s)")
    p.add_argument("--baseline-max", type=int, default=100000,
                   help="run both bare models up to this size, model 2 alone above it (default: %(default)s)")
    p.add_argument("--native", type=Path, default=None, metavar="DIR",
                   help="measure the native build in DIR (make native: build/native)")
    p.add_argument("--json", type=Path, default=None, help="also write the rows to this file")
    p.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--baselines", default=",".join(BARE), help=argparse.SUPPRESS)  # child: the bare models to run
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.one is not None:  # child mode: print one JSON row
        chosen = tuple(key for key in args.baselines.split(",") if key)
        print(json.dumps(measure_one(args.one, args.repeats or 1, args.seed, chosen, args.native is not None)))
        return 0
    rows = measure(parse_sizes(args.sizes), args.repeats, args.seed, args.baseline_max, args.native)
    print(markdown_table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
