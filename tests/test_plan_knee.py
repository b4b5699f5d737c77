"""The knee search's claim: the count it answers is truly more than the tolerance slower at most 1 − C of the time.

The knee bisects and answers the smallest count shown as fast, so a count beyond the tolerance
that passes by chance can become the answer (a selection over the counts tested). These are
small versions of ``benchmarks/plan_knee.py``: the real ``Search.knee`` and ``PaceRule`` on a
simulated family with paired noise, at its worst case (a cliff: every count the bisection
tests below the boundary only just beyond the tolerance).
"""

from __future__ import annotations

import math

import numpy as np
from rollsim.plan.candidates import SURGE, Family, Setting
from rollsim.plan.constraints import Constraints
from rollsim.plan.evidence import Evidence
from rollsim.plan.pace import PaceRule
from rollsim.plan.search import Capacity, Search, SearchSettings

TOP, TAU = 300, 0.02
FAMILY = Family(SURGE, 0.0)
# waves of ⌈300/c⌉: two (counts 150 to 299) +1% against the top, three (100 to 149) +2.0001%, four +3%...
CLIFF = (TAU + 1e-6) / 2 * (np.ceil(TOP / np.arange(1, TOP + 1)) - 1)
SLOWDOWN = np.concatenate([[math.nan], CLIFF])  # by count


class _Paired:
    """Replication r of count c takes ``1200 (1 + s(c)) (1 + 3% z_r + 1% e_cr)``: a seed's common
    part and each run's own (bounds of about ±0.5% at 40 seeds, as real plans show).
    """

    def __init__(self, rng: np.random.Generator) -> None:
        self.durations = 1200 * (1 + SLOWDOWN[:, None]) * (
            1 + 0.03 * rng.standard_normal(40)[None, :] + 0.01 * rng.standard_normal((TOP + 1, 40)))
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


def _knees(trials: int, rule: PaceRule | None = None) -> list[int | None]:
    c = Constraints(min_available_fraction=0.0)
    out = []
    for i in range(trials):
        search = Search(_Paired(np.random.default_rng(np.random.SeedSequence(0, spawn_key=(i,)))), c, TOP,
                        Capacity(0, 0, c), (FAMILY,), SearchSettings())
        if rule is not None:
            search.rule = rule
        search.one(FAMILY.at(TOP))
        out.append(search.knee(FAMILY, TOP, FAMILY.at(TOP)))
    return out


def test_the_knee_answers_a_count_beyond_the_tolerance_at_most_one_minus_c_of_the_time():
    """Counts 100 to 149 are 2.0001% slower, 150 to 299 1%: bisecting from 300 tests 150, then
    (if it passes) 75 and up to seven counts from 112 to 149, each of which, passing by chance,
    would be the answer. Over its four looks at 98.75% each the knee answered one of them in 19 of these 400
    (4.1% of 2,000 in ``benchmarks/plan_knee.py``, where one comparison of a count exactly 2%
    slower passes in 3.5%): the tests share the top's runs and the seeds, so they err together
    more than apart, and the selection adds little. Each look at 95% answered one in 54 of 400.
    """
    trials, bound = 400, 0.05 + 3 * math.sqrt(0.05 * 0.95 / 400)
    knees = _knees(trials)
    assert all(k is not None and k >= 100 for k in knees)
    assert sum(SLOWDOWN[k] > TAU for k in knees) / trials <= bound
    assert np.mean([k - 150 for k in knees]) < 30  # and it finds the boundary: +15 counts on average
    at_95 = _knees(trials, PaceRule(TAU, 0.95, 1))  # why the looks share it: 54 of these 400 (13.5%)
    assert sum(SLOWDOWN[k] > TAU for k in at_95) / trials > 0.1
