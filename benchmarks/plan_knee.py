"""How often ``rollsim plan``'s knee search answers a count that is not as fast, on simulated evidence.

The knee (``rollsim.plan.search.Search.knee``) bisects counts 1..top for the smallest count
shown within the tolerance τ (2%) of the fastest (the top), each comparison paired over common
seeds and looked at on the ladder 5, 10, 20, 40 (``rollsim.plan.pace.PaceRule``). It tests
several counts, and the answer is the smallest that passed: a count truly beyond τ that passes
by chance can become it. Each trial draws a monotone family of ``top`` = 300 counts whose true
mean duration is ``base × (1 + s(c))`` (``s`` the true slowdown against the top), replication r
of every count sharing a common component (sd ``--common``, the seed's dice) plus an
independent one (sd ``--noise``: 1% gives bounds of about ±0.5% at 40 seeds, as real plans
show), and runs the real ``Search.knee`` with the real rule on it. Curves:

* ``hyperbolic``: s(c) = a (1/c − 1/top), τ reached at count 40 (a real maxSurge curve's shape:
  +1.8% at 338 of 3,000, about a tenth of the counts);
* ``batches``: s(c) = (τ + ε) (⌈top/c⌉ − 1) / 2, each wave of ⌈top/c⌉ adding (τ + ε) / 2:
  two waves (counts 150 to 299) well within τ, three (100 to 149) just beyond it, a cliff;
* ``flat``: s(c) = τ + ε below count 150, then falling linearly to 0 at the top.

``ε`` (``--excess``, 0.1% and 0.0001%) puts many counts just beyond τ: every count the
bisection tests below the boundary is, the worst case for selection (as ε → 0 each of them is
called as fast about as often as a count exactly at τ). Reported: the share of trials whose
answer is truly more than τ slower (the family-wise false "as fast" rate, to be held to
1 − C = 5%), the share of single comparisons of a count exactly τ slower than the top called
as fast (what each comparison promises), the answer's mean replications, and the mean
distance of the answer above the true boundary (the smallest count truly within τ). The
README's figure on the knee comes from this script.

    python3 benchmarks/plan_knee.py [--trials 2000] [--excess 0.001,0.000001] [--noise 0.01] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from rollsim.plan.candidates import SURGE, Family, Setting
from rollsim.plan.constraints import Constraints
from rollsim.plan.evidence import Evidence
from rollsim.plan.search import Capacity, Search, SearchSettings

TOP, BASE, MOST, TAU = 300, 1200.0, 40, 0.02
FAMILY = Family(SURGE, 0.0)


def curve(name: str, excess: float = 0.001, top: int = TOP, tau: float = TAU) -> np.ndarray:
    """The true slowdown against the top of counts 0..top (index 0 unused; ``excess`` is ε)."""
    c = np.arange(top + 1, dtype=float)
    c[0] = 1.0
    if name == "hyperbolic":
        a = tau / (1 / 40 - 1 / top)
        return a * (1 / c - 1 / top)
    if name == "batches":
        return (tau + excess) / 2 * (np.ceil(top / c) - 1)
    if name == "flat":
        return np.where(c < 150, tau + excess, (tau - 0.0001) * (top - c) / (top - 150))
    raise ValueError(f"unknown curve {name!r}")


class Drawn:
    """An evaluator of one family's counts whose replication r of count c is the r-th of fixed
    paired durations ``base (1 + s(c)) (1 + common_r + noise_{c,r})``, the first ``n`` of them
    when the search asks for ``n``.
    """

    def __init__(self, slowdown: np.ndarray, rng: np.random.Generator, common: float, noise: float) -> None:
        self.durations = BASE * (1 + slowdown)[:, None] * (
            1 + common * rng.standard_normal(MOST)[None, :] + noise * rng.standard_normal((len(slowdown), MOST)))
        self.asked: dict[Setting, int] = {}

    def evaluate(self, settings, n):
        for s in settings:
            self.asked[s] = max(n, self.asked.get(s, 0))
        return [self.evidence(s) for s in settings]

    def evidence(self, setting):
        return Evidence(setting, tuple({"completed": True, "duration_s": float(x), "stalled": False,
                                        "min_available_fraction": 1.0, "max_surge_observed": setting.count,
                                        "unavailable_node_seconds": 0.0}
                                       for x in self.durations[setting.count, :self.asked.get(setting, 0)]))

    def evaluated(self):
        return [self.evidence(s) for s in self.asked]


def search_of(ev: Drawn) -> Search:
    """The plan's search on ``ev``, with its rules and ladder (no window, no floor to keep)."""
    c = Constraints(min_available_fraction=0.0)
    return Search(ev, c, TOP, Capacity(0, 0, c), (FAMILY,), SearchSettings(tolerance=TAU))


def knee_trial(slowdown: np.ndarray, rng: np.random.Generator, common: float, noise: float) -> tuple[int | None, int]:
    """The knee the search answers against the top (``Search.knee``, as ``Search.run`` calls it
    for a family whose top is the fastest) and the replications the answer ran.
    """
    ev = Drawn(slowdown, rng, common, noise)
    search, top = search_of(ev), FAMILY.at(TOP)
    search.one(top)
    k = search.knee(FAMILY, TOP, top)
    return k, ev.asked.get(FAMILY.at(k if k is not None else TOP), 0)


def single_trial(rng: np.random.Generator, common: float, noise: float) -> bool:
    """Whether one count exactly τ slower than the top is called as fast by one comparison (``Search.settle``)."""
    slowdown = np.zeros(TOP + 1)
    slowdown[1] = TAU
    search, top, one = search_of(Drawn(slowdown, rng, common, noise)), FAMILY.at(TOP), FAMILY.at(1)
    search.evidence([top, one])
    return search.settle([one], top)[one].as_fast


def trial_rng(seed: int, *key: int) -> np.random.Generator:
    """Trial ``key``'s own stream of the root ``seed``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def measure(slowdown: np.ndarray, trials: int, seed: int, common: float, noise: float) -> dict[str, float]:
    """The knee's false "as fast" rate, replications and distance from the boundary over ``trials``."""
    boundary = int(np.argmax(slowdown[1:] <= TAU)) + 1
    false, reps, dist = 0, [], []
    for i in range(trials):
        k, n = knee_trial(slowdown, trial_rng(seed, i), common, noise)
        if k is None:  # not reached: the top itself is as fast as the top
            continue
        false += bool(slowdown[k] > TAU)
        reps.append(n)
        dist.append(k - boundary)
    return {"false": false / trials, "reps": float(np.mean(reps)), "dist": float(np.mean(dist)), "boundary": boundary}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trials", type=int, default=2000)
    p.add_argument("--excess", default="0.001,0.000001", help="ε: how far beyond τ the flat stretches are")
    p.add_argument("--common", type=float, default=0.03, help="sd of the seed's common component, relative")
    p.add_argument("--noise", type=float, default=0.01, help="sd of each run's own component, relative")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    rows = [("hyperbolic", 0.0)] + [(name, float(e)) for e in args.excess.split(",") for name in ("batches", "flat")]
    print("| curve | true boundary | answer more than τ slower | answer's replications | answer − boundary |")
    print("|---|---:|---:|---:|---:|")
    for name, excess in rows:
        m = measure(curve(name, excess), args.trials, args.seed, args.common, args.noise)
        label = name if name == "hyperbolic" else f"{name}, ε = {100 * excess:g}%"
        print(f"| {label} | {m['boundary']} | {100 * m['false']:.1f}% | {m['reps']:.1f} | {m['dist']:+.1f} |")
    single = sum(single_trial(trial_rng(args.seed, i, 1), args.common, args.noise) for i in range(args.trials))
    print(f"\nOne comparison of a count exactly τ slower than the top: called as fast in "
          f"{100 * single / args.trials:.1f}% of {args.trials:,}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
