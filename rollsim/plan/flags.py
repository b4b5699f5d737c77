"""The flags of ``rollsim plan``, and the ``PlanRequest`` they make.

Kept beside the plan (not in ``rollsim.cli``) so that the command line stays a thin layer:
``add_plan_arguments`` declares the flags, ``request_from_args`` turns parsed flags into a
``PlanRequest``. A bad value is an ``argparse.ArgumentTypeError`` naming the rule (argparse
adds the flag), or a ``FlagError`` naming the flag.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from rollsim.io.outputs import output_folder
from rollsim.plan.constraints import MIN_CONFIDENCE, Constraints, parse_duration, parse_fraction, parse_probability
from rollsim.plan.request import PlanRequest
from rollsim.plan.search import SearchSettings
from rollsim.spec.duration import is_bare_number
from rollsim.spec.kinds import daemonset_ref
from rollsim.spec.limits import LIMITS, LimitError, check_limit, limit
from rollsim.spec.options import RULES, non_negative_integer
from rollsim.spec.settings import BY_NAME
from rollsim.sweep.executors import scheduler_address

__all__ = ["FlagError", "add_plan_arguments", "request_from_args"]


MAX_REPLICATIONS = SearchSettings().max_replications  # --max-replications' default


class FlagError(ValueError):
    """A flag that does not fit the others: the message names it."""


def _checked(rule: Callable[[str], Any]) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return rule(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = getattr(rule, "__name__", "value")
    return convert


class _AsWritten(float):
    """A probability flag's value that keeps its text as given (``0.9999999``, ``99.9%``), for a
    message to quote: a rounded ``1`` is a value the flag itself refuses.
    """

    written: str


def _percent_slip(text: str, value: float, what: str) -> None:
    """Refuse a percent under 1 (``0.95%``): the fraction written with a percent sign it most likely
    is (audit 30: ``--floor 0.95%`` planned for a floor of 0.95%; audit 32: a window probability
    and a confidence of 0.95% ran 5 seeds where 59 confirm a p95).
    """
    if text.strip().endswith("%") and 0 < value < 0.01:
        raise ValueError(f"{what} of {text.strip()} is almost none: write the share as a percent "
                         f"({100 * value * 100:g}%) or a fraction ({100 * value:g}), not both (got {text!r})")


def _probability(text: str) -> float:
    value = _AsWritten(parse_probability(text))
    _percent_slip(text, value, "a probability")
    value.written = text
    return value


def _as_written(value: float) -> str:
    return getattr(value, "written", f"{value:.12g}")


def _confidence(text: str) -> float:
    """``--confidence``: a probability of at least one half (audit 34: 0.3 was taken, a bound more
    likely wrong than right).
    """
    value = _probability(text)
    if value < MIN_CONFIDENCE:
        raise ValueError(f"must be at least {MIN_CONFIDENCE:g} (50%): a verdict at a lower confidence is more likely "
                         f"wrong than right, got {text!r}")
    return value


def _seconds_list(text: str) -> tuple[float, ...]:
    """The minReadySeconds values, each whole seconds as the API's int32 field takes them (``RULES``),
    each once (audit 34: ``0,0`` was taken as ``0`` without a word).
    """
    values = tuple(RULES["min_ready_seconds"](v) for v in text.split(","))
    twice = next((v for i, v in enumerate(values) if v in values[:i]), None)
    if twice is not None:
        raise ValueError(f"{twice:g} is given twice; give each value once, got {text!r}")
    return values


def _window(text: str) -> float:
    """``--window``: a duration with its unit, as kubectl's ``--timeout`` takes one (Go's
    ``time.ParseDuration``: "missing unit in duration"). A bare number was read as seconds, and
    ``--window 30`` planned for 30 seconds where every example writes ``30m`` (audit 30).
    """
    if is_bare_number(text.strip()):  # Go's number forms (.5, +30), not digits alone
        raise ValueError(f"needs a unit, as kubectl's --timeout does: {text.strip()}s, {text.strip()}m or "
                         f"{text.strip()}h (got {text!r})")
    return parse_duration(text)


def _floor(text: str) -> float:
    """``--floor``: a share, from ``95%`` or ``0.95``; a percent under 1 (``0.95%``) is refused as the
    fraction written with a percent sign it most likely is (audit 30: it planned for a floor of 0.95%).
    """
    value = parse_fraction(text)
    _percent_slip(text, value, "a floor")
    return value


def _tolerance(text: str) -> float:
    value = parse_fraction(text)
    if value >= 1:
        raise ValueError(f"must be less than 1, got {text!r}")
    return value


def _at_least_two(text: str) -> int:
    value = non_negative_integer(text)
    if value < 2:
        raise ValueError(f"must be at least 2 (a spread needs two runs), got {text!r}")
    return check_limit("replications", value)  # before a run starts: 2^31 of them filled the memory


# scenario settings plan takes as simulate does: the other pods' share of each node's allocatable and their
# priority decide whether a surge pod fits or preempts (a node list gives allocatable, not the pods' requests)
# what the nodes hold beside the DaemonSet (whether a surge pod fits), and the daemon pod's priority (a
# PriorityClass the manifest names without its value: whether it preempts them)
PASSED_THROUGH = ("node_utilization", "other_pods_priority", "priority")


def add_plan_arguments(p: argparse.ArgumentParser, live_flags: Callable[[Any], None]) -> None:
    """Declare the flags of ``rollsim plan`` on ``p``; ``live_flags`` adds --context/--kubeconfig/-n."""
    inputs = p.add_argument_group("the DaemonSet and the cluster (files, or live with ds/NAME and --context)")
    inputs.add_argument("--manifest", metavar="DS.yaml|ds/NAME", help="a DaemonSet manifest, or ds/NAME in the cluster")
    inputs.add_argument("--daemonset", type=_checked(daemonset_ref), metavar="NAME",
                        help="which DaemonSet of a manifest with several (NAMESPACE/NAME where one name is in two "
                        "namespaces)")
    inputs.add_argument("--strict", action="store_true", help="unknown manifest fields are errors, not warnings")
    inputs.add_argument("--nodes-file", metavar="NODES.json", help="kubectl get nodes -o json")
    inputs.add_argument("--nodes", type=_checked(RULES["nodes"]), metavar="N", help="N identical nodes instead")
    inputs.add_argument("--timings", metavar="TIMINGS.yaml", help="a timing profile written by rollsim calibrate")
    live_flags(inputs)
    inputs.add_argument("--calibrate", action="store_true", help="fit timings from the live pods and their events")
    inputs.add_argument("--controller", choices=("ideal", "realistic"), help="controller model (default realistic)")
    for name in ("disk_pressure_for", "eviction_pressure_transition_period"):  # nodes listed with DiskPressure
        setting = BY_NAME[name]
        inputs.add_argument(setting.flag_name, type=_checked(RULES[name]), metavar=setting.kind.metavar,
                            help=setting.help_text() + "; for the nodes listed with the DiskPressure condition")
    for name in PASSED_THROUGH:
        setting = BY_NAME[name]
        inputs.add_argument(setting.flag_name, type=_checked(RULES[name]), metavar=setting.kind.metavar,
                            help=setting.help_text())
    inputs.add_argument("--kubernetes-version", type=_checked(RULES["kubernetes_version"]), metavar="1.MM",
                        help="whose controller rules apply (default: a live cluster's own version, else a node "
                             "list's newest kubelet's where its kubelets rule out the newest modelled, else that)")
    c = p.add_argument_group("constraints")
    c.add_argument("--floor", type=_checked(_floor), default=0.95, metavar="F",
                   help="min share of nodes with an available pod at every moment, e.g. 95%% (default 95%%)")
    c.add_argument("--window", type=_checked(_window), metavar="T",
                   help="maintenance window, a duration with its unit, e.g. 30m or 1h30m")
    c.add_argument("--window-probability", type=_checked(_probability), metavar="P",
                   help="finish within the window with this probability (default 0.95: duration p95 ≤ T; the answer "
                        "is run 59 times for 0.95, 299 for 0.99, at --confidence 0.95); without --window, the share "
                        "of rollouts that must finish at all where a family stalled or can (maxSurge with "
                        "minReadySeconds)")
    c.add_argument("--confidence", type=_checked(_confidence), default=0.95, metavar="C",
                   help="confidence of the window and \"as fast\" verdicts and of the stall-risk bound (default 0.95)")
    c.add_argument("--surge-pods", type=_checked(non_negative_integer), metavar="N", help="extra pods at once")
    c.add_argument("--surge-cpu", type=_checked(RULES["requests_cpu"]), metavar="CPU", help="extra CPU at once, e.g. 4")
    c.add_argument("--surge-memory", type=_checked(RULES["requests_memory"]), metavar="MEM",
                   help="extra memory at once, e.g. 8Gi")
    c.add_argument("--no-surge", action="store_true", help="do not consider maxSurge")
    c.add_argument("--min-ready-seconds", type=_checked(_seconds_list), metavar="S[,S...]",
                   help="minReadySeconds values the plan may choose (default: the DaemonSet's)")
    s = p.add_argument_group("search")
    s.add_argument("--replications", type=_checked(_at_least_two), default=5, metavar="N",
                   help="replications per setting, more when a window or \"as fast\" verdict is unclear (default 5)")
    s.add_argument("--max-replications", type=_checked(_at_least_two), default=None, metavar="N",
                   help=f"the most replications a setting gets while a verdict is unclear (default {MAX_REPLICATIONS}, "
                        "or --replications if more); the answer is run to the count its window bound needs, 59 at "
                        "the defaults")
    s.add_argument("--tolerance", type=_checked(_tolerance), default=0.02, metavar="F",
                   help="settings shown (at --confidence) within this share of the fastest's mean duration count as "
                        "as fast (default 0.02)")
    s.add_argument("--least", action="store_true",
                   help="with a window, also find the least that fits: the smallest budget of the answer's family "
                        "that meets every constraint (a bisection and its 59 confirming runs: 60-70%% more runs)")
    s.add_argument("--seed", type=_checked(non_negative_integer), metavar="N",
                   help="root seed: replication r of every setting runs with the same seed drawn from it (common "
                        "random numbers); default one drawn from the inputs, so the same inputs always run the same "
                        "seeds and other inputs their own")
    s.add_argument("--workers", type=_checked(RULES["workers"]), metavar="N",
                   help="local worker processes (default all cores, at most ROLLSIM_MAX_WORKERS; 1 runs in this "
                        "process)")
    s.add_argument("--executor", choices=("serial", "processes", "dask"),
                   help="where the runs go: processes (a local pool; the default with more than one worker), serial "
                        "(this process) or dask (starts a local Dask cluster)")
    s.add_argument("--scheduler", type=_checked(scheduler_address), metavar="ADDRESS",
                   help="run on an existing Dask cluster (tcp://host:8786)")
    s.add_argument("--out-dir", "--out", dest="out", type=_checked(output_folder), metavar="DIR",
                   help="plan folder (default results/plan-<daemonset>)")


def request_from_args(args: argparse.Namespace, live: dict[str, Any] | None) -> PlanRequest:
    """The ``PlanRequest`` of parsed flags; ``live`` is the --context/--kubeconfig/-n/--calibrate settings."""
    from rollsim.io.inputs import is_live

    if args.calibrate and not is_live(args.manifest):
        raise FlagError("argument --calibrate: applies only with --manifest ds/NAME (a live cluster)")
    if args.daemonset is not None and args.manifest is None:
        raise FlagError("argument --daemonset: applies only with --manifest")
    if getattr(args, "namespace", None) is not None and args.manifest is None:  # nodes are in no namespace
        raise FlagError("argument -n/--namespace: applies only with --manifest (a file, or ds/NAME)")
    files = {"manifest": args.manifest, "nodes_file": args.nodes_file, "timings_file": args.timings,
             "strict": True if args.strict else None}
    _check_surge_flags(args)
    _check_window_flags(args)
    probability = 0.95 if args.window_probability is None else float(args.window_probability)
    constraints = Constraints(args.floor, args.window, probability, args.surge_pods, args.surge_cpu,
                              args.surge_memory, not args.no_surge, args.min_ready_seconds, float(args.confidence))
    if args.max_replications is not None and args.max_replications < args.replications:
        raise FlagError(f"argument --max-replications: must be at least --replications ({args.replications}), "
                        f"got {args.max_replications}")
    most = args.max_replications if args.max_replications is not None else max(args.replications, MAX_REPLICATIONS)
    if args.max_replications is None:
        try:
            check_limit("replications", most)
        except LimitError:  # the variable lowered below the default
            bound = LIMITS["replications"]
            raise FlagError(f"argument --max-replications: its default ({most}) is beyond {bound.env}"
                            f"={limit('replications')}; give --max-replications N within it") from None
    settings = SearchSettings(args.replications, most, args.tolerance, args.seed, least=args.least)
    return PlanRequest(constraints=constraints, settings=settings,
                       files={k: v for k, v in files.items() if v is not None}, daemonset=args.daemonset, live=live,
                       options={"nodes": args.nodes, "controller": args.controller,
                                "kubernetes_version": args.kubernetes_version,
                                "disk_pressure_for": args.disk_pressure_for,
                                "eviction_pressure_transition_period": args.eviction_pressure_transition_period,
                                **{name: getattr(args, name) for name in PASSED_THROUGH}},
                       out=args.out,
                       workers=args.workers, executor=args.executor, scheduler=args.scheduler,
                       progress=not args.quiet)


def _check_surge_flags(args: argparse.Namespace) -> None:
    """Refuse a surge budget beside ``--no-surge``: the plan considers no maxSurge then, and the
    budget would be dropped without a word.
    """
    budget = [flag for flag, value in (("--surge-pods", args.surge_pods), ("--surge-cpu", args.surge_cpu),
                                       ("--surge-memory", args.surge_memory)) if value is not None]
    if args.no_surge and budget:
        raise FlagError(f"argument {budget[0]}: not allowed with argument --no-surge (a surge budget bounds maxSurge, "
                        "which --no-surge leaves out of the plan); give one or the other")


def _check_window_flags(args: argparse.Namespace) -> None:
    """Refuse ``--least`` without ``--window`` (the least budget that fits no window), as
    ``--daemonset`` without ``--manifest`` is, and ``--window-probability`` without it where no family
    can stall (``--no-surge``, ``--controller ideal``); and a window probability that needs more runs than the
    replications limit allows (``runs_to_confirm``: the answer's, with a window; without one, those
    of a setting whose family stalled, when ``--window-probability`` is given), naming the flag and
    its value as given, before any run.
    """
    from rollsim.plan.evidence import runs_to_confirm_refused

    if args.window is None and args.least:
        raise FlagError("argument --least: applies only with --window (without one every budget fits)")
    if args.window is None and args.window_probability is not None:  # without a window it bounds stalls alone
        stall_free = ("--no-surge" if args.no_surge else
                      "--controller ideal" if getattr(args, "controller", None) == "ideal" else None)
        if stall_free is not None:
            raise FlagError(f"argument --window-probability: without --window it bounds the rollouts that stall, and "
                            f"with {stall_free} none can (only maxSurge with minReadySeconds in realistic mode "
                            "does); give --window, or leave it out")
    if args.window is None and args.window_probability is None:  # stall runs are asked for only if a family can stall
        return
    p = 0.95 if args.window_probability is None else float(args.window_probability)
    refused = runs_to_confirm_refused(p, float(args.confidence), args.window is not None)
    if refused is not None:
        if args.window_probability is None:  # the default probability: the confidence asked for them
            said = f"--confidence: {_as_written(args.confidence)} at the default --window-probability 0.95"
        else:
            said = f"--window-probability: {_as_written(args.window_probability)} at --confidence " \
                   f"{_as_written(args.confidence)}"
        raise FlagError(f"argument {said} {refused}")
