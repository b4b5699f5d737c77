"""How often ``rollsim plan`` says a setting meets its window, on simulated evidence.

Each trial draws 40 normal durations (mean 600 s, sd 60 s) for one setting and lets the plan's
search decide whether it meets a window placed ``margin`` standard deviations above the true
p95: replications 5, 10, 20, 40 while the verdict is unclear, each look at its share of the
95% confidence (``rollsim.plan.evidence.look_level``), and, for comparison, every look at the
full 95% (the rule before). At margin 0 the "meets" rate is the false-claim rate, which should
stay near or under 5%; above 0 it is the power. The README's figures on the window verdict
come from this script.

    python3 benchmarks/plan_window.py [--trials 20000] [--margins 0,1] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from rollsim.plan.candidates import UNAVAILABLE, Setting
from rollsim.plan.constraints import Constraints
from rollsim.plan.evidence import Evidence, WindowRule
from rollsim.plan.search import Capacity, Search, SearchSettings

MEAN, SD, MOST = 600.0, 60.0, 40
SETTING = Setting(UNAVAILABLE, 3, 0.0)


class Drawn:
    """An evaluator whose runs are the first ``n`` of fixed durations (what the search asks for)."""

    def __init__(self, durations: np.ndarray) -> None:
        self.durations, self.asked = durations, 0

    def evaluate(self, settings, n):
        self.asked = max(n, self.asked)
        return [self.evidence(s) for s in settings]

    def evidence(self, setting):
        return Evidence(setting, tuple({"completed": True, "duration_s": float(x), "stalled": False,
                                        "min_available_fraction": 1.0, "max_surge_observed": 0,
                                        "unavailable_node_seconds": 0.0} for x in self.durations[:self.asked]))

    def evaluated(self):
        return [self.evidence(SETTING)]


def trial(durations: np.ndarray, c: Constraints, every_look_at_95: bool) -> tuple[bool, int]:
    """Whether the search says the setting meets the window, and the replications it took."""
    search = Search(Drawn(durations), c, 100, Capacity(0, 0, c), (), SearchSettings())
    if every_look_at_95:
        search.window = WindowRule.of(c)
    e = search.one(SETTING)
    return search.window.meets(e), e.replications


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trials", type=int, default=20000)
    p.add_argument("--margins", default="0,1", help="window above the true p95, in standard deviations")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    z = float(stats.norm.ppf(0.95))
    print("| window − true p95 (sd) | rule | said to meet | mean replications |")
    print("|---:|---|---:|---:|")
    for margin in (float(m) for m in args.margins.split(",")):
        c = Constraints(min_available_fraction=0.9, window_s=MEAN + (z + margin) * SD)
        for name, at_95 in (("looks share 95%", False), ("each look at 95%", True)):
            said, reps = 0, []
            for i in range(args.trials):
                durations = np.random.default_rng(np.random.SeedSequence(args.seed, spawn_key=(i,))).normal(
                    MEAN, SD, MOST)
                met, n = trial(durations, c, at_95)
                said += met
                reps.append(n)
            print(f"| {margin:g} | {name} | {100 * said / args.trials:.1f}% | {np.mean(reps):.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
