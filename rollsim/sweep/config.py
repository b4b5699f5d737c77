"""The ``scenario`` section of an experiment file: its sections and keys, checked for shape.

Values are checked later by ``build_scenario``; every key comes from the setting
declarations (``rollsim.spec.settings.SETTINGS``) and the input files (``FILE_OPTIONS``).
"""

from __future__ import annotations

from typing import Any

from rollsim.io.inputs import FILE_OPTIONS
from rollsim.io.yamldoc import Document
from rollsim.spec.distributions import split_spec_hint
from rollsim.spec.quoting import describe, expected_one_of
from rollsim.spec.settings import SETTINGS

__all__ = ["scenario_options"]

_SCHEMA = " (rollsim schema lists them)"  # where a shortened list of keys is whole
_SECTIONS: dict[str, set[str]] = {}
_BY_PATH: dict[str, str] = {}
for _name, _path in [*((s.name, s.key) for s in SETTINGS), *FILE_OPTIONS.items()]:
    _section_name, _, _key = _path.partition(".")
    if _key:
        _SECTIONS.setdefault(_section_name, set()).add(_key)
        _BY_PATH[_path] = _name
    elif _section_name not in _SECTIONS:  # a top-level option such as deleter or horizon_s
        _SECTIONS[_section_name] = {""}
        _BY_PATH[_section_name] = _name


def scenario_options(doc: Document, data: Any, path: str = "scenario") -> dict[str, Any]:
    """The flat options a nested ``scenario`` section sets, after checking its shape.

    Unknown sections and keys are errors; values are checked later by ``build_scenario``.
    """
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise doc.error(path, f"must be a mapping, got {describe(data)}")
    options: dict[str, Any] = {}
    for section, value in data.items():
        keys = _SECTIONS.get(section)
        where = f"{path}.{section}"
        if keys is None:
            raise doc.error(where, f"unknown key; {expected_one_of(section, sorted(_SECTIONS), _SCHEMA)}")
        if keys == {""}:  # a top-level option such as deleter or horizon_s
            options[_BY_PATH[section]] = value
            continue
        if value is None:
            continue
        if section == "timings" and isinstance(value, str):  # a timing profile (rollsim calibrate)
            options["timings_file"] = value
            continue
        if not isinstance(value, dict):
            raise doc.error(where, f"must be a mapping, got {describe(value)}")
        for key, item in value.items():
            name = _BY_PATH.get(f"{section}.{key}")
            if name is None:
                hint = split_spec_hint(key, value)
                raise doc.error(f"{where}.{key}", f"unknown key; {hint + '; ' if hint else ''}"
                                                  f"{expected_one_of(key, sorted(keys), _SCHEMA)}")
            options[name] = item
    return options
