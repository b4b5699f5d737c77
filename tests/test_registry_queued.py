"""A rollout stopped while new pods' image requests wait in a queueing registry's queue over its limit:
``registry-queued``, naming the limit and when the next request is served, not a slow straggler."""

from __future__ import annotations

import pandas as pd
import pytest
from rollsim import build_scenario, simulate
from rollsim.observe.stopcause import (
    AVAILABLE,
    CAUSE_TEXT,
    CAUSES,
    NEW_STATES,
    PULL_ERRORED,
    PULL_QUEUED,
    PULL_RATE_LIMITED,
    REGISTRY_QUEUED,
    STARTING,
    EndState,
    NodeEnd,
    RegistryLimit,
    stop_cause,
)
from rollsim.spec.registry import limit_words, parse_pull_window

from helpers import scripted_registry_errors

# constant timings: the old pods go at 5 s, the new ones bind at 6 s and ask the registry then; a pod
# served at 6 s is Ready at 6 + 2 + 3 + 4 = 15 s, so the stall detector stops the run at 15 + 600 s
CONSTANT = dict(schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0)
TEN = dict(nodes=10, max_unavailable="100%", controller="ideal", stall_after=600, **CONSTANT)
SIZED = dict(image_size="100MB", node_bandwidth="50MB/s")  # 2 s over the node's link: the same pull time


@pytest.mark.parametrize("image", [{}, SIZED], ids=["timed-pull", "sized-pull"])
def test_a_pull_window_that_binds_stops_the_rollout_on_the_registry_not_a_straggler(image) -> None:
    """10 nodes, ``--registry-pull-window 5/2h``: 5 pulls served at 6 s, the other 5 wait until the first
    leaves the window at 2 h + 6 s = 7,206 s. Nothing progresses after 15 s, so the stall detector stops
    the run at 615 s with 5 pods in the registry's queue, 6,591 s before the next is served."""
    s = simulate(build_scenario(**TEN, registry_pull_window="5/2h", **image)).summary
    assert s["stalled"] and s["end_s"] == pytest.approx(615.0)
    assert s["stop_cause"] == REGISTRY_QUEUED == "registry-queued"
    assert s["stop_detail"] == (
        "no progress while 5 new pods waited in the registry's queue for its limit of 5 per 2h "
        "(--registry-over-limit queue): the next is served when the oldest request in its window leaves it, "
        "2h00m06s into the run (1h49m51s after the stop); a longer stall_after would wait for it; "
        "5 nodes of 10 updated (new pod available)")
    assert "straggler" not in s["stop_detail"]


def test_a_token_bucket_that_binds_names_its_rate_and_next_token() -> None:
    """``--registry-pull-rate 1/20m --registry-pull-burst 5``: 5 served at 6 s from the burst, the next
    token at 6 + 1,200 s; the run stops at 615 s with the other 5 queued."""
    s = simulate(build_scenario(**TEN, registry_pull_rate="1/20m", registry_pull_burst=5)).summary
    assert s["stop_cause"] == "registry-queued" and s["end_s"] == pytest.approx(615.0)
    assert ("5 new pods waited in the registry's queue for its pull rate of 3/h (burst 5) (--registry-over-limit "
            "queue): the next is served when its next token comes, 20m06s into the run (9m51s after the stop)"
            ) in s["stop_detail"]


def test_a_slow_straggler_under_a_limit_that_does_not_bind_is_still_stalled() -> None:
    """Every pull served at once (10 of 100 per 2h), then Ready 700 s later: nothing waits for the
    registry, so the stop is the straggler's, with its sentence as before."""
    s = simulate(build_scenario(**{**TEN, "ready": 700}, registry_pull_window="100/2h")).summary
    assert s["stop_cause"] == "stalled"
    assert s["stop_detail"] == ("no progress, 10 new pods still on the way to Ready (a slow straggler: a longer "
                                "stall_after would wait for it); 0 nodes of 10 updated (new pod available)")


def test_the_reported_run_stops_on_the_registry() -> None:
    """The brief's run: 150 nodes, 200 MB, Docker Hub's anonymous limit. maxUnavailable 1 takes 100 pulls
    in about 2 hours; the 101st waits until the first leaves the window, 6 hours on, past the stall detector."""
    s = simulate(build_scenario(nodes=150, image_size="200MB", registry_pull_window="100/6h")).summary
    assert s["stop_cause"] == "registry-queued" and "100 nodes of 150 updated" in s["stop_detail"]
    assert "1 new pod waited in the registry's queue for its limit of 100 per 6h" in s["stop_detail"]
    assert "a longer stall_after would wait for it" in s["stop_detail"]


def test_the_console_says_why_at_the_end_of_the_run() -> None:
    from rollsim.present.console_simulate import format_summary

    result = simulate(build_scenario(**TEN, registry_pull_window="5/2h"))
    line = next(x for x in format_summary(result, 0.0).splitlines() if x.startswith("  stopped because"))
    assert line == f"  stopped because    {result.summary['stop_detail']}"


def test_the_reports_findings_group_the_stop_under_the_registry() -> None:
    from rollsim.present.readings import completion

    summary = pd.DataFrame({"config": [0, 1], "label": ["hub", "mirror"], "runs": [2, 2],
                            "completed": [0, 2], "completed_fraction": [0.0, 1.0],
                            "stop_cause": ["registry-queued", "completed"]})
    text = " ".join(completion(summary))
    assert CAUSE_TEXT[REGISTRY_QUEUED] in text and "hub" in text
    assert CAUSE_TEXT[REGISTRY_QUEUED].startswith("new pods waiting in the registry's queue for its limit")


def _queued_end(queued: int, horizon: bool = False, registry: RegistryLimit | None = None) -> EndState:
    return EndState((), alike=((NodeEnd("", old="none", new=AVAILABLE), 3), (NodeEnd("", old="none", new=STARTING), 1),
                               (NodeEnd("", old="none", new=PULL_QUEUED), queued)),
                    horizon_reached=horizon, registry=registry)


def test_queued_pods_outweigh_a_straggler_and_the_sentence_says_when() -> None:
    """Pure: the cause is the registry's as soon as one new pod waits in its queue, even beside one
    still starting; the horizon says a later horizon would wait; without the registry's details the
    sentence still names the queue."""
    hub = RegistryLimit("its limit of 100 per 6h", window=True, next_at=21_606.0, stopped_at=7_200.0)
    cause = stop_cause(_queued_end(2, registry=hub))
    assert cause.cause == REGISTRY_QUEUED and REGISTRY_QUEUED in CAUSES and PULL_QUEUED in NEW_STATES
    assert cause.sentence == (
        "no progress while 2 new pods waited in the registry's queue for its limit of 100 per 6h "
        "(--registry-over-limit queue): the next is served when the oldest request in its window leaves it, "
        "6h00m06s into the run (4h00m06s after the stop); a longer stall_after would wait for it; "
        "3 nodes of 6 updated (new pod available)")
    late = stop_cause(_queued_end(1, horizon=True, registry=hub)).sentence
    assert late.startswith("the horizon was reached while 1 new pod waited") and "a later horizon would" in late
    bare = stop_cause(_queued_end(1)).sentence
    assert bare.startswith("no progress while 1 new pod waited in the registry's queue for its limit (")
    assert stop_cause(_queued_end(0, registry=hub)).cause == "stalled"


def test_the_limit_in_words() -> None:
    assert limit_words(None, None, parse_pull_window("100/6h")) == "its limit of 100 per 6h"
    assert limit_words(None, None, "5/2h") == "its limit of 5 per 2h"
    assert limit_words(5.0, None, None) == "its pull rate of 5/s (burst 5)"
    assert limit_words(0.5, 3, None) == "its pull rate of 30/m (burst 3)"
    assert limit_words(100 / 21600, 100, None) == "its pull rate of 16.67/h (burst 100)"
    assert limit_words(None, None, None) == "its limit"


def test_pods_in_back_off_name_the_cause_before_queued_ones_which_are_said_too() -> None:
    """Pure: with new pods in ImagePullBackOff after a registry error and others in its queue, the
    back-off is the cause (registry-errors) and its sentence counts the queued pods, naming the limit;
    the refusals' sentence names the limit too."""
    hub = RegistryLimit("its limit of 5 per 2h", window=True, next_at=7_206.0, stopped_at=615.0)
    nodes = ((NodeEnd("", old="none", new=PULL_ERRORED), 1), (NodeEnd("", old="none", new=PULL_QUEUED), 2),
             (NodeEnd("", old="none", new=PULL_RATE_LIMITED), 0))
    cause = stop_cause(EndState((), alike=nodes, registry=hub))
    assert cause.cause == "registry-errors"
    assert ("no progress while 1 new pod waited out ImagePullBackOff: the registry failed their pulls part way"
            in cause.sentence)
    assert "; 2 more waiting in the registry's queue for its limit of 5 per 2h;" in cause.sentence
    refused = ((NodeEnd("", old="none", new=PULL_RATE_LIMITED), 2), (NodeEnd("", old="none", new=PULL_ERRORED), 1))
    sentence = stop_cause(EndState((), alike=refused, registry=hub)).sentence
    assert "refused their pulls over its limit of 5 per 2h (429" in sentence
    assert "; 1 more after a pull failed part way;" in sentence


@pytest.mark.parametrize("image", [{}, SIZED], ids=["timed-pull", "sized-pull"])
def test_a_retry_after_a_registry_error_waiting_in_the_queue_is_queued(monkeypatch, image) -> None:
    """10 nodes, ``--registry-pull-window 5/2h``, a flaky registry whose first request fails half way
    (at 7 s, after the 5 served at 6 s took the window): that pod pulls again after its back-off, into the
    queue, so at the stop (615 s) 6 pods wait in it: registry-queued, not registry-errors (the pull after
    the back-off has left it, whether it waits in the queue or pulls)."""
    scripted_registry_errors(monkeypatch, [0.5], whole_seconds=False)
    s = simulate(build_scenario(**TEN, registry_pull_window="5/2h", registry_error_rate=0.5, **image)).summary
    assert s["registry_errors"] == 1 and s["stalled"] and s["end_s"] == pytest.approx(615.0)
    assert s["stop_cause"] == REGISTRY_QUEUED
    assert s["stop_detail"].startswith("no progress while 6 new pods waited in the registry's queue for its limit "
                                       "of 5 per 2h (--registry-over-limit queue): the next is served when the "
                                       "oldest request in its window leaves it, 2h00m06s into the run")
