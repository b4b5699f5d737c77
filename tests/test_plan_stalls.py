"""Stall risk: a family's runs pooled, its Clopper–Pearson bound, and a choice that weighs it."""

from __future__ import annotations

import json
import math

import pytest
from rollsim.plan.answer import choose, decide, passed_over, ruled_out, stalls_too_often
from rollsim.plan.candidates import SURGE, UNAVAILABLE, Family, Setting
from rollsim.plan.constraints import Constraints
from rollsim.plan.document import _stall_risk
from rollsim.plan.evidence import Evidence, WindowRule
from rollsim.plan.pace import PaceRule
from rollsim.plan.relax import stalls_relaxed
from rollsim.plan.search import Capacity, Search, SearchSettings
from rollsim.plan.stalls import SEED_CORRELATION, design_effect, stall_risks, upper_rate

C = Constraints(min_available_fraction=0.9, window_s=3600)
CAP = Capacity(0, 0, C)
RULE = PaceRule(0.02, 0.95)
WINDOW = WindowRule.of(C)
OPEN = Constraints(min_available_fraction=0.9)  # no window: stalls weigh only among the as fast
ANY_TIME = WindowRule.of(OPEN)


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
    # seeds 0 and 1 ran 3 settings, 2 to 4 ran 2: 2.5 runs a seed, size-weighted (30 / 12), a design
    # effect of 1 + 1.5 × 0.14 = 1.21: the 12 runs count as 9.9 independent ones, the stall as 0.83
    assert risk.cluster_size == pytest.approx(2.5) and risk.effective_runs == pytest.approx(12 / 1.21)
    assert risk.estimate == pytest.approx(1 / 12) and risk.upper == pytest.approx(upper_rate(1 / 1.21, 12 / 1.21, 0.95))
    assert risk.upper > upper_rate(1, 12, 0.95)  # wider than if every run were independent
    assert risk.describe() == ("1 of 12 runs over 5 seeds of maxSurge, minReadySeconds 10 (3 settings) stalled "
                               f"(old-pod-kept): 8.3%, at most {100 * risk.upper:.0f}% at 95% confidence")
    assert risks[Family(UNAVAILABLE, 10.0)].stalled == 0 and risks[Family(UNAVAILABLE, 10.0)].runs == 3
    assert risks[Family(SURGE, 0.0)].stalled == 2
    assert risks[Family(UNAVAILABLE, 10.0)].describe().startswith(
        "0 of 3 runs over 3 seeds of maxUnavailable, minReadySeconds 10 (1 setting) stalled: 0%, at most 63%")
    assert risk.as_dict()["causes"] == {"old-pod-kept": 1}


def test_the_design_effect_is_kishs():
    assert design_effect(1.0) == 1.0 and design_effect(0.5) == 1.0  # one run a seed: independent
    assert design_effect(5.5) == pytest.approx(1 + 4.5 * SEED_CORRELATION)
    assert design_effect(3.0, correlation=1.0) == 3.0  # fully correlated: a seed's runs count once


def test_a_setting_that_stalled_in_every_run_is_a_deadlock_of_its_count_not_pooled():
    """maxUnavailable 1 and 2 deadlock on the budget NotReady nodes hold (every run stalls); 3 never
    stalls: its family's stall risk is 3's, not a race the counts share.
    """
    family = Family(UNAVAILABLE, 0.0)
    evidence = [_evidence(family.at(1), [], stalls=5), _evidence(family.at(2), [], stalls=5),
                _evidence(family.at(3), [700.0] * 5)]
    risk = stall_risks(evidence, 0.95)[family]
    assert (risk.stalled, risk.runs, risk.settings) == (0, 5, 1)


def test_the_choice_prefers_an_as_fast_family_in_which_nothing_stalled():
    """Without a window: maxSurge keeps every node available, so it wins among the equally fast,
    unless its family stalled (here beside the setting, not in it): then the stall-free
    maxUnavailable, as fast, is chosen, and the maxSurge one says why it lost. A stall-free family
    that is slower is not.
    """
    surge, unavailable = Family(SURGE, 10.0), Family(UNAVAILABLE, 10.0)
    ms = _evidence(surge.at(40), [600.0, 610.0, 590.0, 605.0, 595.0])
    beside = _evidence(surge.at(39), [602.0, 611.0, 593.0, 606.0], stalls=1)  # does not fit: it stalled
    mu = _evidence(unavailable.at(5), [603.0, 612.0, 592.0, 607.0, 598.0], availability=0.95)
    slow_mu = _evidence(unavailable.at(2), [900.0, 910.0, 890.0, 905.0, 895.0], availability=0.98)
    assert choose([ms, mu], OPEN, CAP, ANY_TIME, RULE) is ms  # nothing stalled: availability decides
    assert choose([ms, beside, mu], OPEN, CAP, ANY_TIME, RULE) is mu
    risks = stall_risks([ms, beside, mu], 0.95)
    assert ruled_out(ms, mu, OPEN, CAP, ANY_TIME, RULE, best=ms, risks=risks) == (
        "the fastest (mean 10m00s) but its family stalled: 1 of 10 runs over 5 seeds of maxSurge, minReadySeconds 10 "
        "(2 settings) stalled (old-pod-kept): 10%, at most 42% at 95% confidence")
    assert ruled_out(_evidence(surge.at(41), [601.0, 611.0, 591.0, 606.0, 596.0]), mu, OPEN, CAP, ANY_TIME, RULE,
                     best=ms, risks=risks).startswith("as fast (mean 10m01s, at most +0.2% at 95% confidence) but its "
                                                      "family stalled: 1 of 10 runs")
    assert choose([ms, beside, slow_mu], OPEN, CAP, ANY_TIME, RULE) is ms  # the stall-free family is not as fast


def test_with_a_window_a_family_that_stalls_too_often_is_out_whatever_its_settings_own_runs_did():
    """Audit 23: maxSurge 80% at minReadySeconds 10 was recommended for a 1 h window at p95 because its
    59 runs all finished, beside counts of its family that stalled (3% of its runs, at most 5.5%); it
    stalled in 16 of 300 new seeds. A stall misses the window, so a family whose stall bound is above
    the 5% the window lets miss it cannot meet it: the slower stall-free family is chosen, and the
    maxSurge setting says why it is out.
    """
    surge, unavailable = Family(SURGE, 10.0), Family(UNAVAILABLE, 10.0)
    ms = _evidence(surge.at(40), [600.0 + r for r in range(59)])
    beside = _evidence(surge.at(36), [620.0 + r for r in range(56)], stalls=3)
    slow_mu = _evidence(unavailable.at(2), [1500.0 + r for r in range(59)], availability=0.96)
    risks = stall_risks([ms, beside, slow_mu], 0.95)
    assert risks[surge].upper > 0.05 and stalls_too_often(ms, WINDOW, risks)
    assert not stalls_too_often(ms, ANY_TIME, risks) and not stalls_too_often(slow_mu, WINDOW, risks)
    assert choose([ms, beside, slow_mu], C, CAP, WINDOW, RULE) is slow_mu
    assert choose([ms, beside, slow_mu], OPEN, CAP, ANY_TIME, RULE) is ms  # no window: the fastest
    assert ruled_out(ms, slow_mu, C, CAP, WINDOW, RULE, risks=risks) == (
        "its family stalled too often for the window: 3 of 118 runs over 59 seeds of maxSurge, minReadySeconds 10 "
        f"(2 settings) stalled (old-pod-kept): 2.5%, at most {100 * risks[surge].upper:.1f}% at 95% confidence, more "
        "than the 5% of rollouts the window lets miss it")
    # a window that lets more rollouts miss it admits the family
    lenient = Constraints(min_available_fraction=0.9, window_s=3600, window_probability=0.9)
    assert choose([ms, beside, slow_mu], lenient, CAP, WindowRule.of(lenient), RULE) is ms
    # a family that stalled once in many runs is within the window's 5%: its fastest setting is chosen
    many = _evidence(surge.at(36), [620.0 + r for r in range(79)], stalls=1)
    more = _evidence(surge.at(40), [600.0 + r for r in range(80)])
    assert stall_risks([more, many], 0.95)[surge].upper < 0.05
    assert choose([more, many, slow_mu], C, CAP, WINDOW, RULE) is more


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
    search = Search(_Stored([ms, beside, mu]), OPEN, 100, CAP, (surge, unavailable), SearchSettings(max_replications=5))
    chosen = decide(search)
    assert chosen is mu and passed_over(search, chosen) == [ms]
    risk = _stall_risk(search, chosen, 100)
    assert (risk["stalled"], risk["runs"], risk["upper_bound"]) == (0, 5, pytest.approx(upper_rate(0, 5, 0.95)))
    assert risk["text"] == ("0 of 5 runs over 5 seeds of maxUnavailable, minReadySeconds 10 (1 setting) stalled: 0%, "
                            "at most 45% at 95% confidence; chosen over maxSurge 40% (= 40), minReadySeconds 10, as "
                            "fast, whose family stalled: 1 of 10 runs over 5 seeds of maxSurge, minReadySeconds 10 "
                            "(2 settings) stalled (old-pod-kept): 10%, at most 42% at 95% confidence")
    # with a window and no stall-free family, a family that stalled 1 in 10 fits nothing; lowering the
    # window's probability to what its stalls allow (1 − 42%, a whole percent) would admit it
    alone = Search(_Stored([ms, beside]), C, 100, CAP, (surge,), SearchSettings(max_replications=5))
    assert decide(alone) is None
    relaxed = stalls_relaxed(alone)
    assert relaxed is not None and relaxed.constraint == "window probability" and relaxed.evidence is ms
    assert relaxed.needed.startswith("lower it to 57% (--window-probability 0.57), what the stalls of maxSurge, "
                                     "minReadySeconds 10 allow (1 of 10 runs")
    # with many runs, one stall among them: the maxSurge answer carries its family's risk, and what a stall costs
    many = _evidence(surge.at(39), [602.0 + r for r in range(79)], stalls=1)
    more = _evidence(surge.at(40), [600.0 + r for r in range(80)])
    pooled = Search(_Stored([more, many]), C, 100, CAP, (surge,), SearchSettings(max_replications=80))
    chosen = decide(pooled)
    assert chosen is more
    risk = _stall_risk(pooled, chosen, 100)
    assert risk["stalled"] == 1 and risk["estimate"] == pytest.approx(1 / 160) and not risk["passed_over"]
    assert risk["text"].endswith("; a rollout that stalls misses the window: none of the answer's own 80 runs did "
                                 "(its window bound counts them), and its family's stalls are the risk that it would")
    assert math.isclose(risk["upper_bound"], upper_rate(1 / design_effect(2.0), 160 / design_effect(2.0), 0.95))


def test_audit_23s_plan_recommends_the_stall_free_family_and_marks_the_surge_settings_it_ruled_out(tmp_path):
    """The 50-node plan of audit 23 (a 1 h window at p95, minReadySeconds 10): maxSurge's family stalls
    in about 4.5% of rollouts (600 seeds), too often to be shown within the window's 5%; the plan
    recommends maxUnavailable 2, and candidates.csv marks every maxSurge setting as ruled out for
    it. With a 100% floor no maxUnavailable fits: the binding constraint is the window's probability,
    and the relaxation names the probability the family's stalls allow.
    """
    import pandas as pd
    from rollsim.cli import main

    out = tmp_path / "p"
    assert main(["plan", "--nodes", "50", "--floor", "95%", "--window", "1h", "--min-ready-seconds", "10",
                 "--out-dir", str(out), "-q"]) == 0
    answer = json.loads((out / "plan.json").read_text())["answer"]
    assert answer["kind"] == "maxUnavailable" and answer["count"] == 2
    c = pd.read_csv(out / "candidates.csv")
    surge = c[c["kind"] == "maxSurge"]
    assert len(surge) and surge["family_stalls_too_often"].all() and not c.loc[c["kind"] != "maxSurge",
                                                                              "family_stalls_too_often"].any()
    strict = tmp_path / "strict"
    assert main(["plan", "--nodes", "50", "--floor", "100%", "--window", "1h", "--min-ready-seconds", "10",
                 "--out-dir", str(strict), "-q"]) == 3  # no setting fits
    plan = json.loads((strict / "plan.json").read_text())
    assert plan["answer"] is None and plan["binding"] == "window probability"
    first = plan["relaxations"][0]
    assert first["constraint"] == "window probability" and first["setting"].startswith("maxSurge")
