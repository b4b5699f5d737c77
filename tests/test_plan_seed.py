"""A plan's root seed: given with ``--seed``, or drawn from its inputs (audit 30).

With one fixed default every plan ran the same replication seeds, and so shared one sample's luck:
root seed 0's 59 runs were a light-tailed draw (a 300-node plan's p95 27m03s against about 30m40s
over 2,200 new seeds, its answer "maxUnavailable 15" against "no setting fits" on 9 of 10 other
roots). Drawn from the inputs, the same inputs run the same seeds (a plan asked again reuses its
runs, and answers the same) and other inputs their own.
"""

from __future__ import annotations

import dataclasses

from rollsim import build_scenario
from rollsim.plan import Constraints, plan
from rollsim.plan.search import SearchSettings
from rollsim.plan.store import inputs_seed
from rollsim.spec.scenario import ROLLING_UPDATE, UpdateStrategy
from rollsim.sweep.experiment import replication_seed

SCENARIO = build_scenario(nodes=30, controller="ideal")
CONSTRAINTS = Constraints(min_available_fraction=0.9, window_s=7200)


def test_the_seed_drawn_from_the_inputs_is_the_same_for_the_same_inputs_and_not_for_others() -> None:
    assert inputs_seed(SCENARIO) == inputs_seed(build_scenario(nodes=30, controller="ideal"))
    # the manifest's own update strategy and minReadySeconds are what the plan replaces: the same seed
    applied = dataclasses.replace(SCENARIO.daemonset, strategy=UpdateStrategy(ROLLING_UPDATE, "10%", 0),
                                  min_ready_seconds=10.0)
    assert inputs_seed(dataclasses.replace(SCENARIO, daemonset=applied)) == inputs_seed(SCENARIO)
    others = {inputs_seed(build_scenario(nodes=n, controller="ideal")) for n in range(20, 40)}
    assert len(others) == 20 and all(0 <= s < 2**32 for s in others)


def test_a_plan_without_a_seed_runs_the_one_drawn_from_its_inputs_and_says_so() -> None:
    settings = SearchSettings(replications=3, max_replications=6)
    drawn = plan(SCENARIO, CONSTRAINTS, settings=settings, workers=1, report=False).document
    assert drawn["search"]["seed"] == inputs_seed(SCENARIO) and drawn["search"]["seed_drawn_from_inputs"]
    assert drawn["answer"]["seeds"][:3] == [replication_seed(inputs_seed(SCENARIO), r) for r in range(3)]
    given = plan(SCENARIO, CONSTRAINTS, settings=dataclasses.replace(settings, seed=inputs_seed(SCENARIO)),
                 workers=1, report=False).document
    assert not given["search"]["seed_drawn_from_inputs"] and given["answer"] == drawn["answer"]
    zero = plan(SCENARIO, CONSTRAINTS, settings=dataclasses.replace(settings, seed=0), workers=1,
                report=False).document
    assert zero["search"]["seed"] == 0 and zero["answer"]["seeds"][0] == replication_seed(0, 0)


def test_the_answer_says_how_far_its_bound_is_from_the_window() -> None:
    """Audit 30's answer had its bound 29 s inside a 30-minute window, and 9 of 10 other seeds found
    nothing: a margin under a twentieth of the window is called narrow.
    """
    from rollsim.present.plan_evidence import margin_words

    assert margin_words(1770.9, 1800.0) == ("; 29s within the window (a narrow margin: the bound moves with the "
                                            "seeds, and another --seed can answer otherwise)")
    assert margin_words(1500.0, 1800.0) == "; 5m00s within the window"
    assert margin_words(1500.0, None) == "" and margin_words(float("inf"), 1800.0) == ""
