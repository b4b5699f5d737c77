"""Reading an experiment file (``rollsim.sweep.experiment``): every key checked, every
configuration's scenario built, each error naming the file, the line and the rule broken.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

from rollsim.io.clusterversion import ClusterVersion
from rollsim.io.inputs import (
    FILE_OPTIONS,
    Inputs,
    is_live,
    live_status_notes,
    measured_failures,
    split_file_options,
    surge_on_old_cluster,
)
from rollsim.io.outputs import folder_name
from rollsim.io.yamldoc import ConfigError, Document, keeping_stdin, load_yaml
from rollsim.spec.distributions import split_spec_hint
from rollsim.spec.limits import LimitError, check_limit
from rollsim.spec.options import (
    OptionError,
    also_in_key_order,
    build_scenario,
    ignored_in_also,
    ignored_options,
    option_for_path,
    option_path,
)
from rollsim.spec.quoting import describe, expected_one_of, written
from rollsim.spec.scenario import Scenario
from rollsim.sweep.also_manifests import with_also_manifests
from rollsim.sweep.config import scenario_options
from rollsim.sweep.experiment import (
    DEFAULT_DECISIONS,
    TOP_KEYS,
    Configuration,
    Experiment,
    Reported,
    expand_grid,
    grid_items,
)
from rollsim.sweep.experiment_inputs import InputCache, configuration_inputs
from rollsim.sweep.kept_inputs import cluster_reads
from rollsim.sweep.labels import config_label
from rollsim.sweep.repeats import check_distinct, check_grid_values, check_listed_once, check_not_overridden
from rollsim.sweep.slo import parse_slo

__all__ = ["load_experiment"]


def _dotted(doc: Document, path: str, mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Check that every key of ``mapping`` is a scenario option's dotted path; return flat options."""
    out = {}
    for key, value in mapping.items():
        name = _option_name(str(key))
        if name is None:
            hint = split_spec_hint(key, mapping)
            raise doc.error(f"{path}.{key}", f"not a scenario key; {hint}" if hint else
                            "not a scenario key (use dotted paths such as strategy.max_unavailable)")
        out[name] = value
    return out


_FILE_BY_PATH = {path: name for name, path in FILE_OPTIONS.items()}


def _option_name(path: str) -> str | None:
    """The option a dotted key sets: a scenario option or a file input."""
    return option_for_path(path) or _FILE_BY_PATH.get(path)


def _source(name: str, point: Mapping[str, Any], grid: Mapping[str, Any],
            variant: Mapping[str, Any], where: str) -> str:
    """The key path that set option ``name`` for a configuration: grid item, variant or scenario."""
    path = FILE_OPTIONS[name] if name in FILE_OPTIONS else option_path(name)
    if path in point:
        values = grid[path]
        if isinstance(values, list) and point[path] in values:
            return f"grid.{path}[{values.index(point[path])}]"
        return f"grid.{path}"
    if name in variant:
        return f"{where}.{path}"
    return f"scenario.{path}"


MAX_VARIANT_NAME = 200  # characters of a variant's name: its label in every table, finding and figure


def load_experiment(path: str | Path, live: Mapping[str, Any] | None = None,
                    kubernetes_version: str | None = None, cluster: ClusterVersion | None = None) -> Experiment:
    """Read and check an experiment file; every configuration's scenario is built (and checked) here.

    ``live`` (``context``, ``kubeconfig``, ``namespace``) is how ``daemonset.manifest: ds/NAME``
    is read from a cluster (``rollsim.io.inputs.load_inputs``). ``kubernetes_version`` replaces
    every configuration's ``controller.kubernetes_version`` (``rollsim validate
    --kubernetes-version``): its manifest is read for that version too (pod-level resources are
    dropped before v1.34), so that one version decides both. Each distinct set of input files is
    read once, and each configuration keeps it as its own version does; a named cluster's version
    is read once (``cluster``: shared by the experiments of one command).
    """
    with keeping_stdin() as piped:  # rollsim run -: kept in the results folder, from the one read of the pipe
        doc = load_yaml(path)
    data = doc.data
    if not isinstance(data, dict):
        raise ConfigError("an experiment file must be a mapping", file=doc.file, line=1)
    if "reading" in data:
        raise doc.error("reading", "the report's findings are computed from the results now; remove this key")
    if "configurations" in data and "source" in data:  # a results folder's experiment.yaml (describe_experiment)
        raise doc.error("source", f"this is a results folder's record of the experiment it ran, not an experiment "
                                  f"file: run the experiment file it names ({data['source']}), or "
                                  "rollsim report on the folder")
    if "apiVersion" in data and "kind" in data and "name" not in data:  # kubectl's, not rollsim's
        raise doc.error("kind", _kubernetes_object(data))
    for key in data:
        if key not in TOP_KEYS:
            raise doc.error(str(key), f"unknown key; {expected_one_of(key, TOP_KEYS)}")
    try:
        name = folder_name(data.get("name"))  # the results folder's name: checked after stripping
    except ValueError as exc:
        raise doc.error("name", str(exc)) from None
    description = data.get("description", "")
    if not isinstance(description, str):
        raise doc.error("description", "must be text")
    decisions = _decisions(doc, data.get("decisions"))
    replications = data.get("replications", 1)
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise doc.error("replications", f"must be a positive integer, got {written(replications)}")
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise doc.error("seed", f"must be a non-negative integer, got {written(seed)}")
    try:
        slo = parse_slo(data.get("slo"))
    except ValueError as exc:
        key, _, message = str(exc).partition(": ")
        raise doc.error(f"slo.{key}" if key else "slo", message) from None

    base = scenario_options(doc, data.get("scenario"))
    # only null (or no key) is none: 0, false or "" are no list (audit 34: they ran the base scenario alone)
    variants = data.get("variants")
    if variants is not None and not isinstance(variants, list):
        raise doc.error("variants", f"must be a list of mappings of dotted keys, got {describe(variants)}")
    variants = variants or [{}]
    grid = data.get("grid")
    if grid is not None and not isinstance(grid, dict):
        raise doc.error("grid", f"must be a mapping of dotted keys to lists of values, got {describe(grid)}")
    grid = grid or {}
    _dotted(doc, "grid", grid)
    _check_size(doc, len(variants), grid, replications)
    check_grid_values(doc, grid)  # first: a null alone is refused as null, not as a value that is no list
    try:
        points = expand_grid(grid)
    except ValueError as exc:
        key, _, message = str(exc).partition(": ")
        raise doc.error(f"grid.{key}", message) from None

    configurations: list[Configuration] = []
    origins: list[tuple[int, tuple[int, ...]]] = []  # each configuration's variant and grid items
    cache = InputCache(live, cluster or ClusterVersion(live))
    warnings: dict[str, None] = {}  # ordered, without repeats
    built: list[tuple[str, Inputs]] = []  # each configuration's label and inputs: what a cluster gave is kept
    given: Counter[str] = Counter()  # configurations giving each key (as source_of names it)
    ignored: Counter[tuple[str, str]] = Counter()  # ... and ignoring it, with the note why
    for v_index, variant in enumerate(variants):
        where = f"variants[{v_index}]"
        if not isinstance(variant, dict):
            raise doc.error(where, "must be a mapping of dotted keys (and an optional name)")
        variant = dict(variant)
        v_name = variant.pop("name", None)
        if v_name is not None and (not isinstance(v_name, (str, int, float)) or isinstance(v_name, bool)):
            raise doc.error(f"{where}.name", f"must be text, got {describe(v_name)}")
        if isinstance(v_name, str) and any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in v_name):
            # a line break split the report's lines (audit 34); a no-break space is text (audit 36)
            raise doc.error(f"{where}.name", f"must be one line without control characters, got {v_name!r}")
        if isinstance(v_name, str) and len(v_name) > MAX_VARIANT_NAME:  # a label no figure can place (audit 34)
            raise doc.error(f"{where}.name", f"must be at most {MAX_VARIANT_NAME} characters (a label in tables and "
                                             f"figures), got {len(v_name):,}")
        v_name = None if v_name is None else str(v_name)
        v_options = _dotted(doc, where, variant)
        check_not_overridden(doc, where, variant, grid, _option_name)
        for point, items in zip(points, grid_items(grid)):
            params = {**variant, **point}
            options = {**base, **v_options, **{cast(str, _option_name(k)): v for k, v in point.items()}}
            if kubernetes_version is not None:
                options["kubernetes_version"] = kubernetes_version
            label = config_label(point, v_name or (config_label(variant, None) if variant else None))
            options, files = split_file_options(options)
            counted = any(options.get(k) is not None for k in ("nodes", "control_plane_nodes"))
            source_of = functools.partial(_source, point=point, grid=grid, variant=v_options, where=where)
            inputs, digest = configuration_inputs(doc, files, options.get("name"), cache, source_of, counted,
                                                  options.get("kubernetes_version"), options.get("namespace"))
            warnings.update(dict.fromkeys(inputs.warnings))
            options, keyed, read = with_also_manifests(doc, options, cache, source_of)
            warnings.update(dict.fromkeys(read))
            try:
                scenario = build_scenario(daemonset_spec=inputs.daemonset_spec, node_list=inputs.node_list,
                                          **{**inputs.defaults(), **options})
            except OptionError as exc:
                named = ("pools" if name == "nodes_file" and "pools" in files else name for name in exc.options)
                sources = [_source(name, point, grid, v_options, where) for name in named]
                if exc.within and len(sources) == 1:  # a place inside a list of mappings (also): its own line
                    raise doc.error(sources[0] + exc.within, exc.rule) from None
                raise doc.error(" and ".join(sources), exc.message) from None
            warnings.update(dict.fromkeys(_ignored_in_also(doc, scenario, options, source_of)))
            for option in options:  # a setting ignored where it is given: warned after the loop, if everywhere
                given[source_of(option)] += 1
            ignored.update((source_of(name), note) for name, note in ignored_options(scenario, options))
            warnings.update(dict.fromkeys(_surge_on_old_cluster(doc, scenario, inputs, files, options, source_of)))
            warnings.update(dict.fromkeys(live_status_notes(inputs, scenario.nodes, scenario.daemonset.placement)))
            warnings.update(dict.fromkeys(measured_failures(inputs, options.get("new_pods") is not None)))
            options = {**keyed, **files, **digest}  # run ids change with file contents (also: items' manifests too)
            if options.get("also"):  # a set keyed by namespace/name, as the scenario keeps it
                options["also"] = also_in_key_order(options["also"])
            configurations.append(Configuration(len(configurations), label, params, options, scenario))
            built.append((label, inputs))
            origins.append((v_index, items))
    # a setting ignored by every configuration that gives it (one given in the scenario and used where the grid
    # turns its feature on is not ignored: disk_pressure_for beside disk_pressure_nodes: [[], 3@0])
    everywhere = {where: note for (where, note), count in ignored.items() if count == given[where]}
    _check_grid_not_ignored(doc, grid, everywhere)
    warnings.update(dict.fromkeys(f"{doc.file}{f':{line}' if (line := doc.line(where)) else ''}: {where}: {note}"
                                  for where, note in everywhere.items()))
    if kubernetes_version is None:  # one version for all makes a grid over versions one scenario, as asked
        check_distinct(doc, [c.label for c in configurations], [c.scenario for c in configurations], origins, grid)
    reported = _reported(doc, data.get("reported"))
    names = {str(v.get("name")) for v in variants if isinstance(v, dict) and v.get("name") is not None}
    for i, figure in enumerate(reported):
        for j, variant_name in enumerate(figure.fitted_variants):
            if variant_name not in names:
                raise doc.error(f"reported[{i}].fitted_variants[{j}]", f"names no variant: {variant_name!r}")
    for i, figure in enumerate(reported):  # validate would leave it out without a word
        if not any(figure.matches(c.params) for c in configurations):
            line = doc.line(f"reported[{i}]")
            warnings[f"{doc.file}:{line}: reported[{i}]: matches no configuration (its keys must be keys the "
                     "variants or grid set, with a value one of them takes); rollsim validate leaves it out"] = None
    return Experiment(name, description, tuple(configurations), replications, seed, slo, doc,
                      tuple(warnings), decisions, reported, cluster_reads(built), piped[0] if piped else None)


def _check_grid_not_ignored(doc: Document, grid: Mapping[str, Any], ignored: Mapping[str, str]) -> None:
    """Refuse a grid key of several values that every configuration ignores (``ignored``: each ignored
    setting's key path, ``grid.K[i]``, and why): ``strategy.max_unavailable`` under OnDelete. Its values
    would run one rollout under as many labels, as two variants of one scenario would (``check_distinct``).
    """
    for key, values in grid.items():
        if not isinstance(values, list) or len(values) < 2 or key == FILE_OPTIONS["manifest"]:
            continue  # manifests differ in more than the priority class a note says is unknown
        notes = [ignored.get(f"grid.{key}[{i}]") for i in range(len(values))]
        if all(notes):
            times = "twice" if len(values) == 2 else f"{len(values)} times"
            raise doc.error(f"grid.{key}", f"{notes[0]}, so its {len(values)} values would run the same rollouts "
                                           f"{times}; drop it from the grid")


def _kubernetes_object(data: Mapping[str, Any]) -> str:
    """Why a Kubernetes object (``apiVersion`` and ``kind``) is no experiment file, and where it goes:
    a DaemonSet to ``--manifest``, nodes to ``--nodes-file``, pods to ``rollsim calibrate``.
    """
    kind, items = data.get("kind"), data.get("items")
    kinds = {kind, *(i.get("kind") for i in items if isinstance(i, dict))} if isinstance(items, list) else {kind}
    shown = kind if isinstance(kind, str) and kind.isprintable() and len(kind) <= 40 else written(kind)
    rule = f"this is a Kubernetes manifest (kind {shown}), not an experiment file"
    if kinds & {"DaemonSet", "DaemonSetList"}:
        return rule + ": give it to rollsim simulate --manifest or rollsim plan --manifest (or daemonset.manifest)"
    if kinds & {"Node", "NodeList"}:
        return rule + ": give it to rollsim simulate --nodes-file or rollsim plan --nodes-file (or cluster.nodes_file)"
    if kinds & {"Pod", "PodList"}:
        return rule + ": give it to rollsim calibrate"
    return rule + " (rollsim schema describes one)"


def _surge_on_old_cluster(doc: Document, scenario: Scenario, inputs: Inputs, files: Mapping[str, Any],
                          options: Mapping[str, Any], source_of: Callable[[str], str]) -> list[str]:
    """Refuse a configuration's maxSurge that the named cluster (older than v1.22) would drop, as
    ``simulate`` does (``surge_on_old_cluster``): the error names the key that set it; a warning
    when it is the live DaemonSet's own.
    """
    strategy = scenario.daemonset.strategy
    given = options.get("max_surge") is not None
    why, warning = surge_on_old_cluster(inputs, strategy.max_surge, strategy.rolling,
                                        is_live(files.get("manifest")), given)
    if why is not None:
        key = source_of("max_surge") if given else source_of("manifest")
        raise doc.error(key, why)
    return [] if warning is None else [warning]


def _ignored_in_also(doc: Document, scenario: Scenario, options: Mapping[str, Any],
                     source_of: Callable[[str], str]) -> list[str]:
    """One warning per setting an item of ``also`` gives and its DaemonSet ignores (``ignored_in_also``),
    named by its place in the list, its line and its name, as an error inside the list is.
    """
    out = []
    for within, item, note in ignored_in_also(scenario, options.get("also") or ()):
        path = source_of("also") + within
        line = doc.line(path)
        out.append(f"{doc.file}{f':{line}' if line else ''}: {path} ({item}): {note}")
    return out


def _reported(doc: Document, value: Any) -> tuple[Reported, ...]:
    """The ``reported`` list: each item dotted keys, ``duration_s`` (seconds) and ``source``, and
    optionally ``fitted`` (what the inputs took from the figure) with ``fitted_variants`` (whose).
    """
    if value is None:
        return ()
    if not isinstance(value, list):
        raise doc.error("reported", "must be a list of {dotted keys..., duration_s, source}")
    out = []
    for i, item in enumerate(value):
        where = f"reported[{i}]"
        if not isinstance(item, dict):
            raise doc.error(where, "must be a mapping of dotted keys, duration_s and source")
        item = dict(item)
        duration, source = item.pop("duration_s", None), item.pop("source", "")
        fitted, fitted_variants = item.pop("fitted", ""), item.pop("fitted_variants", [])
        if not isinstance(fitted, str):
            raise doc.error(f"{where}.fitted", "must say, as text, what the inputs took from the figure")
        if not isinstance(fitted_variants, list) or not all(isinstance(v, str) for v in fitted_variants) or \
                (fitted_variants and not fitted):
            raise doc.error(f"{where}.fitted_variants", "must be a list of variant names, beside fitted")
        if (isinstance(duration, bool) or not isinstance(duration, (int, float)) or not duration > 0
                or not math.isfinite(duration)):
            raise doc.error(f"{where}.duration_s",
                            f"must be a positive, finite number of seconds, got {written(duration)}")
        if not isinstance(source, str) or not source.strip():
            raise doc.error(f"{where}.source", "must name where the figure comes from")
        _dotted(doc, where, item)
        out.append(Reported(item, float(duration), source.strip(), fitted.strip(), tuple(fitted_variants)))
    return tuple(out)


def _check_size(doc: Document, variants: int, grid: Mapping[str, Any], replications: int) -> None:
    """Configurations and runs within their limits, counted before any is built."""
    configurations = variants * math.prod(len(v) if isinstance(v, (list, tuple)) else 1 for v in grid.values())
    try:
        check_limit("configurations", configurations)
    except LimitError as exc:
        raise doc.error("grid" if grid else "variants", str(exc)) from None
    try:
        check_limit("runs", configurations * replications)
    except LimitError as exc:
        raise doc.error("replications", str(exc)) from None


def _decisions(doc: Document, value: Any) -> tuple[str, ...]:
    """The ``decisions`` key: a list of dotted scenario keys (default ``DEFAULT_DECISIONS``)."""
    if value is None:
        return DEFAULT_DECISIONS
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise doc.error("decisions", "must be a list of dotted scenario keys, such as strategy.max_surge")
    for i, key in enumerate(value):
        if _option_name(key) is None:
            raise doc.error(f"decisions[{i}]", f"{key!r} is not a scenario key (use dotted paths such as "
                                               "strategy.max_unavailable)")
    check_listed_once(doc, "decisions", value)
    return tuple(value)
