"""Sweep throughput: runs per second of ``run_experiment`` on 1 and 2 workers, and Dask.

A fixed experiment — 1,000 nodes, maxUnavailable 5% / 10% / 20% × minReadySeconds 0 / 10,
4 replications: 24 runs — is run from scratch (``force``) on each executor. The wall time
is the whole ``run_experiment`` call: starting the executor (the forkserver and its
workers, or the Dask cluster), the runs, saving each run, and writing the tables. The
benchmark also checks that every executor wrote byte-identical runs.csv and summary.csv.

    python3 benchmarks/sweep.py [--nodes 1000] [--replications 4] [--repeats 1]
                                [--no-dask] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

EXPERIMENT = """\
name: sweep-bench
description: Sweep throughput benchmark.
scenario: {{cluster: {{nodes: {nodes}}}}}
grid:
  strategy.max_unavailable: ["5%", "10%", "20%"]
  strategy.min_ready_seconds: [0, 10]
replications: {replications}
seed: 1
"""


def measure(experiment_file: Path, out: Path, repeats: int, **options) -> dict:
    """Median wall time of ``repeats`` full sweeps with ``options``; the last one's report."""
    from rollsim.sweep.experiment import load_experiment
    from rollsim.sweep.runner import run_experiment

    experiment = load_experiment(experiment_file)
    walls = []
    for _ in range(repeats):
        start = time.perf_counter()
        report = run_experiment(experiment, out, force=True, progress=False, **options)
        walls.append(time.perf_counter() - start)
    wall = statistics.median(walls)
    return {"executor": report.executor.split(":")[0], "workers": report.workers, "runs": report.runs_run,
            "wall_s": wall, "runs_per_s": report.runs_run / wall}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=1, help="sweeps per executor; the median is shown")
    parser.add_argument("--no-dask", action="store_true", help="skip the local Dask cluster")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        experiment_file = root / "sweep.yaml"
        experiment_file.write_text(EXPERIMENT.format(nodes=args.nodes, replications=args.replications))
        cases = [("1 worker", {"workers": 1}), ("2 processes", {"workers": 2})]
        if not args.no_dask:
            try:
                import distributed  # noqa: F401
                cases.append(("Dask local, 2 workers", {"workers": 2, "executor": "dask"}))
            except ImportError:
                print("Dask not installed: skipping the Dask row", file=sys.stderr)
        rows, outputs = [], []
        for name, options in cases:
            out = root / f"out{len(rows)}"
            rows.append({"case": name, **measure(experiment_file, out, args.repeats, **options)})
            outputs.append(out)
        identical = all((outputs[0] / f).read_bytes() == (o / f).read_bytes()
                        for o in outputs[1:] for f in ("runs.csv", "summary.csv"))

    base = rows[0]["runs_per_s"]
    print(f"{rows[0]['runs']} runs of {args.nodes:,} nodes, median of {args.repeats} sweep(s)\n")
    print("| executor | workers | runs | wall s | runs/s | speed-up vs 1 worker |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['case']} ({r['executor']}) | {r['workers']} | {r['runs']} | {r['wall_s']:.2f} | "
              f"{r['runs_per_s']:.2f} | {r['runs_per_s'] / base:.2f}× |")
    print(f"\nruns.csv and summary.csv identical across executors: {'yes' if identical else 'NO'}")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
