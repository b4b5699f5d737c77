"""Stall risk: a family's runs pooled, its Clopper–Pearson bound, and a choice that weighs it."""

from __future__ import annotations

import math

import pytest
from rollsim.plan.answer import choose, decide, passed_over, ruled_out
from rollsim.plan.candidates import SURGE, UNAVAILABLE, Family, Setting
from rollsim.plan.constraints import Constraints
from rollsim.plan.document import _stall_risk
from rollsim.plan.evidence import Evidence, WindowRule
from rollsim.plan.pace import PaceRule
from rollsim.plan.search import Capacity, Search, SearchSettings
from rollsim.plan.stalls import stall_risks, upper_rate

C = Constraints(min_available_fraction=0.9, window_s=3600)
CAP = Capacity(0, 0, C)
RULE = PaceRule(0.02, 0.95)
WINDOW = WindowRule.of(C)


def _run(duration: float | None, availability: float = 1.0, stalled: bool = False, cause: str = "completed"):
    return {"completed": duration is not None, "duration_s": duration, "stalled": stalled, "stop_cause": cause,
            "min_available_fraction": availability, "max_surge_observed": 0, "unavailable_node_seconds": 0.0}


def _evidence(setting: Setting, durations, availability: float = 1.0, stalls: int = 0) -> Evidence:
    runs = [_run(d, availability) for d in durations]
    runs += [_run(None, availability, True, "old-pod-kept") for _ in range(stalls)]
    return Evidence(setting, tuple(runs))


def test_the_upper_bound_is_clopper_pearsons():
    from scipy import stats

    assert upper_rate(0, 35, 0.95) == pytest.approx(1 - 0.05 ** (1 / 35))  # 8.2%
    assert upper_rate(0, 35, 0.95) == pytest.approx(0.0820, abs=1e-4)
    for k, n in ((1, 35), (3, 20), (8, 20), (1, 5)):
        u = upper_rate(k, n, 0.95)
        assert k / n < u < 1 and stats.binom.cdf(k, n, u) == pytest.approx(0.05)  # k or fewer: 5% at the bound
    assert upper_rate(5, 5, 0.95) == upper_rate(0, 0, 0.95) == 1.0
    assert upper_rate(1, 35, 0.99) > upper_rate(1, 35, 0.95) > upper_rate(1, 350, 0.95)
    with pytest.raises(ValueError):
        upper_rate(6, 5, 0.95)


def test_a_familys_runs_are_pooled_over_its_settings_screened_ones_too():
    """maxSurge at minReadySeconds 10: 30 stalled in 1 of 5, 31 in none of 5, 50 (screened)
    none of 2: 1 of 12 runs of 3 settings. A run cut at the horizon is slow, not stalled; another
    family's stalls are its own.
    """
    surge = Family(SURGE, 10.0)
    evidence = [_evidence(surge.at(30), [500.0] * 4, stalls=1), _evidence(surge.at(31), [490.0] * 5),
                _evidence(surge.at(50), [450.0] * 2),
                Evidence(Setting(UNAVAILABLE, 1, 10.0), (_run(None, 0.98),) * 3),  # at the horizon
                _evidence(Setting(SURGE, 4, 0.0), [900.0], stalls=2)]
    risks = stall_risks(evidence, 0.95)
    risk = risks[surge]
    assert (risk.stalled, risk.runs, risk.settings, risk.causes) == (1, 12, 3, (("old-pod-kept", 1),))
    assert risk.estimate == pytest.approx(1 / 12) and risk.upper == pytest.approx(upper_rate(1, 12, 0.95))
    assert risk.describe() == ("1 of 12 runs over 5 seeds of maxSurge, minReadySeconds 10 (3 settings) stalled "
                               f"(old-pod-kept): 8.3%, at most {100 * risk.upper:.0f}% at 95% confidence")
    assert risks[Family(UNAVAILABLE, 10.0)].stalled == 0 and risks[Family(UNAVAILABLE, 10.0)].runs == 3
    assert risks[Family(SURGE, 0.0)].stalled == 2
    assert risks[Family(UNAVAILABLE, 10.0)].describe().startswith(
        "0 of 3 runs over 3 seeds of maxUnavailable, minReadySeconds 10 (1 setting) stalled: 0%, at most 63%")
    assert risk.as_dict()["causes"] == {"old-pod-kept": 1}


def test_the_choice_prefers_an_as_fast_family_in_which_nothing_stalled():
    """maxSurge keeps every node available, so it wins among the equally fast, unless its family
    stalled (here beside the setting, not in it): then the stall-free maxUnavailable, as fast, is
    chosen, and the maxSurge one says why it lost. A stall-free family that is slower is not.
    """
    surge, unavailable = Family(SURGE, 10.0), Family(UNAVAILABLE, 10.0)
    ms = _evidence(surge.at(40), [600.0, 610.0, 590.0, 605.0, 595.0])
    beside = _evidence(surge.at(39), [602.0, 611.0, 593.0, 606.0], stalls=1)  # does not fit: it stalled
    mu = _evidence(unavailable.at(5), [603.0, 612.0, 592.0, 607.0, 598.0], availability=0.95)
    slow_mu = _evidence(unavailable.at(2), [900.0, 910.0, 890.0, 905.0, 895.0], availability=0.98)
    assert choose([ms, mu], C, CAP, WINDOW, RULE) is ms  # nothing stalled: availability decides
    assert choose([ms, beside, mu], C, CAP, WINDOW, RULE) is mu
    risks = stall_risks([ms, beside, mu], 0.95)
    assert ruled_out(ms, mu, C, CAP, WINDOW, RULE, best=ms, risks=risks) == (
        "the fastest (mean 10m00s) but its family stalled: 1 of 10 runs over 5 seeds of maxSurge, minReadySeconds 10 "
        "(2 settings) stalled (old-pod-kept): 10%, at most 39% at 95% confidence")
    assert ruled_out(_evidence(surge.at(41), [601.0, 611.0, 591.0, 606.0, 596.0]), mu, C, CAP, WINDOW, RULE, best=ms,
                     risks=risks).startswith("as fast (mean 10m01s, at most +0.2% at 95% confidence) but its family "
                                             "stalled: 1 of 10 runs")
    assert choose([ms, beside, slow_mu], C, CAP, WINDOW, RULE) is ms  # the stall-free family is not as fast


class _Stored:
    """An evaluator holding fixed evidence (no more replications to add)."""

    def __init__(self, evidence) -> None:
        self.by = {e.setting: e for e in evidence}

    def evaluate(self, settings, n):
        return [self.by[s] for s in settings]

    def evidence(self, setting):
        return self.by[setting]

    def evaluated(self):
        return list(self.by.values())


def test_the_answer_states_its_familys_stall_risk_and_what_it_was_chosen_over():
    surge, unavailable = Family(SURGE, 10.0), Family(UNAVAILABLE, 10.0)
    ms = _evidence(surge.at(40), [600.0, 610.0, 590.0, 605.0, 595.0])
    beside = _evidence(surge.at(39), [602.0, 611.0, 593.0, 606.0], stalls=1)
    mu = _evidence(unavailable.at(5), [603.0, 612.0, 592.0, 607.0, 598.0], availability=0.95)
    search = Search(_Stored([ms, beside, mu]), C, 100, CAP, (surge, unavailable), SearchSettings(max_replications=5))
    chosen = decide(search)
    assert chosen is mu and passed_over(search, chosen) == [ms]
    risk = _stall_risk(search, chosen, 100)
    assert (risk["stalled"], risk["runs"], risk["upper_bound"]) == (0, 5, pytest.approx(upper_rate(0, 5, 0.95)))
    assert risk["text"] == ("0 of 5 runs over 5 seeds of maxUnavailable, minReadySeconds 10 (1 setting) stalled: 0%, "
                            "at most 45% at 95% confidence; chosen over maxSurge 40% (= 40), minReadySeconds 10, as "
                            "fast, whose family stalled: 1 of 10 runs over 5 seeds of maxSurge, minReadySeconds 10 "
                            "(2 settings) stalled (old-pod-kept): 10%, at most 39% at 95% confidence")
    # without the stall-free family the maxSurge answer carries its family's risk, and what a stall costs
    alone = Search(_Stored([ms, beside]), C, 100, CAP, (surge,), SearchSettings(max_replications=5))
    chosen = decide(alone)
    assert chosen is ms
    risk = _stall_risk(alone, chosen, 100)
    assert risk["stalled"] == 1 and risk["estimate"] == pytest.approx(0.1) and not risk["passed_over"]
    assert risk["text"].endswith("; a rollout that stalls misses the window: none of the answer's own 5 runs did "
                                 "(its window bound counts them), and its family's stalls are the risk that it would")
    assert math.isclose(risk["upper_bound"], upper_rate(1, 10, 0.95))
