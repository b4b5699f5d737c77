"""A JSON Schema (draft 2020-12) of experiment files, generated from the setting declarations.

Editors use it to complete keys, show each key's help and flag wrong types while a file
is written (``experiments/experiment.schema.json``; see ``experiments/README.md``).
``rollsim schema`` prints it. The loader (``rollsim.sweep.experiment_file.load_experiment``)
stays the authority: it checks everything the schema checks, and the rules that tie
several values together.
"""

from __future__ import annotations

import json
from typing import Any

from rollsim.io.inputs import FILE_OPTIONS
from rollsim.spec.settings import SETTINGS, Setting
from rollsim.sweep.slo import STATISTICS

__all__ = ["experiment_schema", "schema_text"]

DRAFT = "https://json-schema.org/draft/2020-12/schema"

# the input files' keys (rollsim.io.fileoptions.FILE_OPTIONS), described for editors
_FILE_SCHEMAS: dict[str, dict[str, Any]] = {
    "manifest": {"type": "string", "minLength": 1,
                 "description": "an apps/v1 DaemonSet manifest (kubectl get -o yaml), relative to this file"},
    "strict": {"type": "boolean", "description": "unknown manifest fields are errors, not warnings"},
    "nodes_file": {"type": "string", "minLength": 1,
                   "description": "kubectl get nodes -o json, relative to this file (replaces cluster.nodes)"},
    "pools": {"type": "array", "description": "node pools (replace cluster.nodes)", "items": {
        "type": "object", "required": ["name", "count"], "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1}, "count": {"type": "integer", "minimum": 0},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "taints": {"type": "array", "items": {
                "type": "object", "required": ["key"], "additionalProperties": False,
                "properties": {"key": {"type": "string"}, "value": {"type": "string"},
                               "effect": {"enum": ["NoSchedule", "PreferNoSchedule", "NoExecute"]}}}},
            "allocatable": {"type": "object", "additionalProperties": False,
                            "properties": {"cpu": {"type": ["string", "number"]},
                                           "memory": {"type": ["string", "number"]}}},
            "ready": {"type": "boolean"}, "timings": {"type": "object", "maxProperties": 0,
                                                  "description": "per-pool timings are not modelled (empty only)"}}}},
    "timings_file": {"type": "string", "minLength": 1,
                     "description": "a timing profile written by rollsim calibrate, relative to this file"},
}


def _value(setting: Setting) -> dict[str, Any]:
    """The schema of one setting's value: its kind's, with its help and default."""
    schema = {**setting.kind.schema, "description": setting.help_text()}
    if setting.default not in (None, ()) and setting.field is not None:
        schema["default"] = setting.default
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


def _scenario(values: dict[str, str]) -> dict[str, Any]:
    """The nested ``scenario`` section: sections of keys, and top-level keys."""
    sections: dict[str, dict[str, Any]] = {}
    top: dict[str, Any] = {}
    for name, key in values.items():
        section, _, rest = key.partition(".")
        if rest:
            sections.setdefault(section, {})[rest] = _ref(name)
        elif section not in top:
            top[section] = _ref(name)
    properties = {section: {"type": ["object", "null"], "additionalProperties": False, "properties": keys}
                  for section, keys in sections.items()}
    if "timings" in top:  # timings given as a path: a profile written by rollsim calibrate
        properties["timings"] = {"anyOf": [properties["timings"], top.pop("timings")]}
    return {"type": ["object", "null"], "additionalProperties": False, "properties": {**properties, **top}}


def experiment_schema() -> dict[str, Any]:
    """The JSON Schema of an experiment file."""
    values = {s.name: s.key for s in SETTINGS} | dict(FILE_OPTIONS)
    defs: dict[str, Any] = {s.name: _value(s) for s in SETTINGS} | _FILE_SCHEMAS
    dotted = {key: _ref(name) for name, key in values.items()}
    grid = {key: {"type": "array", "minItems": 1, "items": ref} for key, ref in dotted.items()}
    statistic = {"enum": list(STATISTICS)}
    limit = {"anyOf": [{"type": "number"}, {"type": "object", "required": ["limit"], "additionalProperties": False,
                                            "properties": {"limit": {"type": "number"}, "statistic": statistic}}]}
    return {
        "$schema": DRAFT,
        "title": "rollsim experiment",
        "description": "A study: a base scenario, variants, a grid, replications, a seed and an SLO "
                       "(rollsim run EXPERIMENT.yaml).",
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "pattern": r"^[^/.][^/]*$",
                     "description": "the results folder's name (results/NAME)"},
            "description": {"type": "string", "description": "what the study asks, shown in the report"},
            "decisions": {"type": "array", "items": {"type": "string"}, "uniqueItems": True, "description":
                          "the dotted keys the user chooses (default: the strategy's fields, minReadySeconds "
                          "and the deleter); other swept keys are conditions that get findings"},
            "scenario": _scenario(values),
            "variants": {"type": ["array", "null"], "description": "named configurations of dotted keys",
                         "items": {"type": "object", "additionalProperties": False,
                                   "properties": {"name": {"type": "string"}, **dotted}}},
            "grid": {"type": ["object", "null"], "additionalProperties": False, "properties": grid,
                     "description": "dotted keys to lists of values; the runs are the product"},
            "reported": {"type": "array", "description": "figures reported by a real cluster, for rollsim validate: "
                         "dotted keys of the case, duration_s and source; fitted (what the inputs took from "
                         "the figure) and fitted_variants (whose: all when not given)",
                         "items": {"type": "object", "required": ["duration_s", "source"],
                                   "properties": {"duration_s": {"type": "number", "exclusiveMinimum": 0},
                                                  "source": {"type": "string", "minLength": 1},
                                                  "fitted": {"type": "string"},
                                                  "fitted_variants": {"type": "array", "items": {"type": "string"}},
                                                  **dotted}}},
            "replications": {"type": "integer", "minimum": 1, "default": 1},
            "seed": {"type": "integer", "minimum": 0, "default": 0},
            "slo": {"type": ["object", "null"], "description": "constraints on summary metrics",
                    "properties": {"statistic": statistic}, "additionalProperties": False,
                    "patternProperties": {"^(max|min)_[a-z0-9_]+$": limit}},
        },
        "$defs": defs,
    }


def schema_text() -> str:
    """The schema as the committed ``experiments/experiment.schema.json`` holds it."""
    return json.dumps(experiment_schema(), indent=2, ensure_ascii=False) + "\n"
