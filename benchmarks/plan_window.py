"""How often ``rollsim plan`` says a setting meets its window, on simulated evidence.

Each trial draws durations for one setting and lets the plan's search decide whether it meets
a window placed ``margin`` standard deviations above the true p95: replications 5, 10, 20, 40
while the screening verdict is unclear, each look at its share of the 95% confidence
(``rollsim.plan.evidence.look_level``), then, as ``decide`` does for the setting it
recommends, 59 runs and the distribution-free bound (the longest of them). Three rules are
counted: the screen alone with every look at the full 95% (the rule before issue 11's looks),
the screen alone (the rule before the confirmation), and the screen then the confirmation
(today's). Two shapes of durations (``--shapes``): ``normal`` (mean 600 s, sd 60 s) and
``straggler`` (bimodal, as a straggler makes them: 12% of the runs in a cluster 120 s slower,
each N(·, 20 s); its sd, for the margin, is the mixture's). At margin 0 the "meets" rate is
the false-claim rate, which should stay near or under 5%; above 0 it is the power. The
README's figures on the window verdict come from this script.

    python3 benchmarks/plan_window.py [--trials 20000] [--margins 0,1] [--shapes normal,straggler] [--seed 0]
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

MEAN, SD, MOST = 600.0, 60.0, 59  # (59: the runs the confirmation takes)
SLOW_SHARE, FAST, SLOW, SPREAD = 0.12, 600.0, 720.0, 20.0  # the straggler shape
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


def trial(durations: np.ndarray, c: Constraints, rule: str) -> tuple[bool, int]:
    """Whether the search says the setting meets the window under ``rule`` (``RULES``), and the
    replications it took.
    """
    search = Search(Drawn(durations), c, 100, Capacity(0, 0, c), (), SearchSettings())
    if rule == "each look at 95%":
        search.window = WindowRule.of(c)
    e = search.one(SETTING)
    if rule == "screen, then 59 runs" and search.window.needs_confirming(e):
        e = search.confirm(SETTING)
    return search.window.meets(e), e.replications


RULES = ("each look at 95%", "looks share 95%", "screen, then 59 runs")


def draw(shape: str, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` durations of ``shape``."""
    if shape == "normal":
        return rng.normal(MEAN, SD, n)
    slow = rng.random(n) < SLOW_SHARE
    return np.where(slow, rng.normal(SLOW, SPREAD, n), rng.normal(FAST, SPREAD, n))


def p95_and_sd(shape: str) -> tuple[float, float]:
    """The shape's true p95 and standard deviation."""
    from scipy.optimize import brentq

    if shape == "normal":
        return MEAN + float(stats.norm.ppf(0.95)) * SD, SD
    cdf = lambda x: (1 - SLOW_SHARE) * stats.norm.cdf(x, FAST, SPREAD) + SLOW_SHARE * stats.norm.cdf(x, SLOW, SPREAD)  # noqa: E731
    sd = float(np.sqrt(SPREAD ** 2 + SLOW_SHARE * (1 - SLOW_SHARE) * (SLOW - FAST) ** 2))
    return float(brentq(lambda x: cdf(x) - 0.95, FAST, SLOW + 10 * SPREAD)), sd


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trials", type=int, default=20000)
    p.add_argument("--margins", default="0,1", help="window above the true p95, in standard deviations")
    p.add_argument("--shapes", default="normal,straggler", help="durations: normal, straggler")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    print("| durations | window − true p95 (sd) | rule | said to meet | mean replications |")
    print("|---|---:|---|---:|---:|")
    for shape in args.shapes.split(","):
        p95, sd = p95_and_sd(shape)
        for margin in (float(m) for m in args.margins.split(",")):
            c = Constraints(min_available_fraction=0.9, window_s=p95 + margin * sd)
            for rule in RULES:
                said, reps = 0, []
                for i in range(args.trials):
                    rng = np.random.default_rng(np.random.SeedSequence(args.seed, spawn_key=(i,)))
                    met, n = trial(draw(shape, rng, MOST), c, rule)
                    said += met
                    reps.append(n)
                print(f"| {shape} | {margin:g} | {rule} | {100 * said / args.trials:.1f}% | {np.mean(reps):.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
