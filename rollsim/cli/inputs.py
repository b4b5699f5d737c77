"""What a command reads: the scenario from flags and files, a live cluster's flags, standard input once.

Flags override files, as an experiment file's keys do (``rollsim.spec.options.build_scenario``).
An error of the library that names an option or a file key is turned into one naming the
flag the user typed (``argument --nodes-file: ...``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rollsim.cli.exits import UsageError
from rollsim.cli.show import say

__all__ = ["flag_names", "live", "not_an_input", "one_stdin", "scenario_from"]


def live(args: argparse.Namespace) -> dict[str, Any] | None:
    """--context/--kubeconfig/--namespace (and plan's --calibrate) as given, or None for files only."""
    given = {k: getattr(args, k, None) for k in ("context", "kubeconfig", "namespace", "calibrate")}
    given = {k: v for k, v in given.items() if v}
    return given or None


def flag_names(names: tuple[str, ...]) -> str:
    """``("max_surge", "max_unavailable")`` -> ``--max-surge/--max-unavailable``."""
    return "/".join("--" + n.replace("_", "-") for n in names)


_FILE_FLAGS = {"manifest": "--manifest", "strict": "--strict", "nodes_file": "--nodes-file",
               "timings_file": "--timings"}


def one_stdin(**inputs: Any) -> None:
    """Standard input can be read once: at most one input may be ``-``."""
    dashes = [flag for flag, value in inputs.items() if value == "-"]
    if len(dashes) > 1:
        raise UsageError(f"arguments {'/'.join(dashes)}: only one input can be read from standard input (-)")


def not_an_input(flag: str, out: Path | None, **inputs: Any) -> None:
    """Refuse an output file (``flag``'s) that is one of the command's ``inputs`` (by name, its
    file; a symlink to it too): the run would overwrite what it read, and report success.
    """
    if out is None:
        return
    for name, given in inputs.items():
        if given not in (None, "-") and Path(given).exists() and Path(given).resolve() == Path(out).resolve():
            raise UsageError(f"argument {flag}: is the input {name} ({given}); it would be overwritten, "
                             "choose another file")


def input_flag_error(exc: ValueError) -> UsageError:
    """An input option's error (``cluster.nodes_file: no such file: x``) under its flag."""
    from rollsim.io.inputs import FILE_OPTIONS, InputError

    if isinstance(exc, InputError):
        key, message = exc.key, exc.rule
    else:  # a pool's or a live read's error, "<key path>: <rule>"
        key, _, message = str(exc).partition(": ")
    flag = {FILE_OPTIONS[n]: f for n, f in _FILE_FLAGS.items()}.get(key, key)
    return UsageError(f"argument {flag}: {message}")


def check_live_flags_read(args: argparse.Namespace, experiments: Sequence[Any]) -> None:
    """Refuse ``-n`` when no experiment of ``rollsim run`` reads a manifest, and ``--context`` or
    ``--kubeconfig`` when none reads an input (``ds/NAME``, a manifest whose cluster's version is
    asked, a node list, pools, a timing profile): the flag would change nothing, and ``simulate
    --nodes 10 -n NS`` is refused alike (exit 2), not run as if the flag did something.
    """
    from rollsim.io.fileoptions import FILE_OPTIONS

    reads = [{k for c in e.configurations for k in c.options if k in FILE_OPTIONS} for e in experiments]
    files = ", ".join(e.document.file for e in experiments)
    none = f"{files} reads none" if len(experiments) == 1 else f"none of {files} does"
    if getattr(args, "namespace", None) is not None and not any("manifest" in r for r in reads):
        raise UsageError("argument -n/--namespace: applies only to an experiment that reads a manifest "
                         f"(daemonset.manifest: a file, or ds/NAME); {none}")
    for flag in ("context", "kubeconfig"):
        if getattr(args, flag, None) and not any(reads):
            raise UsageError(f"argument --{flag}: applies only to an experiment that reads ds/NAME or input files "
                             f"(daemonset.manifest, cluster.nodes_file, cluster.pools, timings); {none}")


def scenario_from(args: argparse.Namespace):
    """The scenario of ``rollsim simulate``: its files (or a live cluster), then its flags."""
    from rollsim.io.inputs import live_status_notes, load_inputs, measured_failures
    from rollsim.spec.limits import LimitError
    from rollsim.spec.options import OptionError, build_scenario, ignored_options

    files = {"manifest": args.manifest, "nodes_file": args.nodes_file, "timings_file": args.timings,
             "strict": True if args.strict else None}
    files = {k: v for k, v in files.items() if v is not None}
    if args.daemonset is not None and "manifest" not in files:
        raise UsageError("argument --daemonset: applies only with --manifest")
    if getattr(args, "namespace", None) is not None and "manifest" not in files:  # nodes are in no namespace
        raise UsageError("argument -n/--namespace: applies only with --manifest (a file, or ds/NAME)")
    one_stdin(**{_FILE_FLAGS[k]: v for k, v in files.items() if k != "strict"})
    try:
        counted = any(getattr(args, k, None) is not None for k in ("nodes", "control_plane_nodes"))
        inputs = load_inputs(files, name=args.daemonset, live=live(args), node_count=counted,
                             kubernetes_version=getattr(args, "kubernetes_version", None))
    except ValueError as exc:
        if hasattr(exc, "file") or isinstance(exc, LimitError):  # a ConfigError names its own file and line,
            raise  # a bad ROLLSIM_MAX_YAML_* its variable (no flag's fault)
        raise input_flag_error(exc) from None
    options = {name: getattr(args, name) for name in args.scenario_options}
    options = {**inputs.defaults(), **{k: v for k, v in options.items() if v is not None}}
    try:
        scenario = build_scenario(daemonset_spec=inputs.daemonset_spec, node_list=inputs.node_list, **options)
    except OptionError as exc:  # every flag's rule, and the rules that tie two flags together
        _warn(args, inputs.warnings)
        plural = "s" if len(exc.options) > 1 else ""
        raise UsageError(f"argument{plural} {flag_names(exc.options)}: {exc.message}") from None
    _warn(args, (*inputs.warnings, *_surge_on_old_cluster(args, inputs, scenario),
                 *live_status_notes(inputs, scenario.nodes, scenario.daemonset.placement),
                 *measured_failures(inputs, getattr(args, "new_pods", None) is not None)))
    for name, note in ignored_options(scenario, [n for n in args.scenario_options if getattr(args, n) is not None]):
        say(args, f"rollsim: warning: argument {flag_names((name,))}: {note}", sys.stderr)
    return scenario


def _warn(args: argparse.Namespace, warnings: Any) -> None:
    for warning in warnings:
        say(args, f"rollsim: warning: {warning}", sys.stderr)


def _surge_on_old_cluster(args: argparse.Namespace, inputs: Any, scenario: Any) -> list[str]:
    """Refuse a maxSurge that the named cluster (older than v1.22) would drop; a warning when it
    is the live DaemonSet's own (``rollsim.io.inputs.surge_on_old_cluster``).
    """
    from rollsim.io.inputs import is_live, surge_on_old_cluster

    strategy = scenario.daemonset.strategy
    why, warning = surge_on_old_cluster(inputs, strategy.max_surge, strategy.rolling, is_live(args.manifest),
                                        getattr(args, "max_surge", None) is not None)
    if why is not None:
        raise UsageError(f"argument --max-surge: {why} (--max-surge 0 --max-unavailable N)")
    return [] if warning is None else [warning]
