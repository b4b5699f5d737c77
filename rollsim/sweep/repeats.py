"""What an experiment file may not say twice (``rollsim.sweep.experiment_file``): a key both a
variant and the grid set, a grid value given twice or as null, two configurations of one scenario,
a key listed twice under ``decisions``.

Each would run something other than what the labels say: the grid's value replaces the
variant's while the variant's name stays in the label; a repeated value runs every run twice
under two labels for one setting (``1`` and ``"1"``, ``5`` and ``5.0``); a null keeps the
default under the label ``=None``; a decision listed twice says nothing the first did not, and is
more likely a slip for another key. Each is refused with the keys and lines that clash.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

from rollsim.io.yamldoc import ConfigError, Document
from rollsim.spec.quoting import flow
from rollsim.spec.scenario import Scenario

__all__ = ["check_distinct", "check_grid_values", "check_listed_once", "check_not_overridden", "first_repeat"]


def _shown(value: Any) -> str:
    """A value as YAML would be written, near enough: text quoted, so ``1`` and ``"1"`` differ."""
    return json.dumps(value, default=str)


def check_not_overridden(doc: Document, where: str, variant: Mapping[str, Any], grid: Mapping[str, Any],
                         option: Callable[[str], str | None]) -> None:
    """Refuse a key that the variant at ``where`` and the grid both set (``option`` maps a dotted
    key to the option it sets): every grid value would replace the variant's, which no run
    would use while the variant's name labels them all.
    """
    in_grid = {option(key): key for key in grid}
    for key in variant:
        if key == "name" or (grid_key := in_grid.get(option(key))) is None:
            continue
        line = doc.line(f"{where}.{key}")
        raise ConfigError("both set it: each grid value would replace the variant's "
                          f"{_shown(variant[key])}, though its name labels the runs; set it in one, not both",
                          f"grid.{grid_key} and {where}.{key} (line {line})", doc.file, doc.line(f"grid.{grid_key}"))


def check_grid_values(doc: Document, grid: Mapping[str, Any]) -> None:
    """Refuse null as a grid value (no key documents it: it would keep the default, labelled
    ``=None``) and a value given twice in one key's list (the same label twice).
    """
    for key, values in grid.items():
        items = values if isinstance(values, (list, tuple)) else [values]
        for i, value in enumerate(items):
            if value is None:
                where = f"grid.{key}[{i}]" if items is values else f"grid.{key}"
                raise doc.error(where, "null is not a value a grid can sweep (it would run the default, labelled "
                                       f"{key.rsplit('.', 1)[-1]}=None); write the value itself, or, where no "
                                       "value says what leaving it out does (no limit), a variant without the key")
        repeat = first_repeat([str(v) for v in items])  # as labels show them
        if repeat is not None:
            first, second = repeat
            raise _repeat(doc, key, first, second, items[first], items[second], "read the same in labels")


def first_repeat(items: Iterable[Hashable]) -> tuple[int, int] | None:
    """The indexes of the first item equal to an earlier one, and of that earlier one; None if none repeats.

    >>> first_repeat(["a", "b", "c", "b", "a"])
    (1, 3)
    """
    seen: dict[Hashable, int] = {}
    for i, item in enumerate(items):
        first = seen.setdefault(item, i)
        if first != i:
            return first, i
    return None


def check_listed_once(doc: Document, path: str, items: Sequence[Hashable]) -> None:
    """Refuse an item of the list at ``path`` (``decisions``) that an earlier item repeats, at its line,
    naming the earlier one's: the list says the same thing twice, and only one of them is read.
    """
    repeat = first_repeat(items)
    if repeat is not None:
        first, second = repeat
        raise doc.error(f"{path}[{second}]", f"{flow(items[second])} repeats {path}[{first}] (line "
                                             f"{doc.line(f'{path}[{first}]')}); give each once")


def _repeat(doc: Document, key: str, first: int, second: int, a: Any, b: Any, why: str) -> ConfigError:
    both = "" if _shown(a) == _shown(b) else f": {_shown(a)} and {_shown(b)} {why}"
    return doc.error(f"grid.{key}", f"the value {_shown(a)} repeats (items {first} and {second}{both}), so its "
                                    "configurations would run twice; give each value once")


def check_distinct(doc: Document, labels: Sequence[str], scenarios: Sequence[Scenario],
                   origins: Sequence[tuple[int, tuple[int, ...]]], grid: Mapping[str, Any]) -> None:
    """Refuse two configurations of one scenario (they would run the same runs twice) or of
    one label (their results could not be told apart). ``origins`` gives each configuration's
    variant index and its grid items (``rollsim.sweep.experiment.grid_items``); the grid has
    passed ``check_grid_values``.
    """
    by_scenario: dict[Scenario, int] = {}
    by_label: dict[str, int] = {}
    for i, (label, scenario) in enumerate(zip(labels, scenarios)):
        if (first := by_scenario.setdefault(scenario, i)) != i:
            raise _clash(doc, labels, origins, grid, first, i, "the same scenario")
        if (first := by_label.setdefault(label, i)) != i:
            raise _clash(doc, labels, origins, grid, first, i, "the same label")


def _clash(doc: Document, labels: Sequence[str], origins: Sequence[tuple[int, tuple[int, ...]]],
           grid: Mapping[str, Any], first: int, second: int, what: str) -> ConfigError:
    (va, ia), (vb, ib) = origins[first], origins[second]
    keys = list(grid)
    differ = [k for k, a, b in zip(keys, ia, ib) if a != b]
    # one grid key's two values are one setting (two that read the same in labels, and so would
    # give one label, check_grid_values refused first)
    if what == "the same scenario" and va == vb and len(differ) == 1:
        key = differ[0]
        index_a, index_b = ia[keys.index(key)], ib[keys.index(key)]
        return _repeat(doc, key, index_a, index_b, grid[key][index_a], grid[key][index_b], "are one setting")
    if va != vb and ia == ib:  # two variants (two variant indexes: the file has variants)
        other = f"variants[{va}] (line {doc.line(f'variants[{va}]')})"
        a, b = _shown(labels[first]), _shown(labels[second])
        rule = (f"is labelled {b}, as {other} is; give the variants distinct names" if what == "the same label" else
                f"is the same scenario as {other}, so its runs would run twice ({a} and {b}); drop one, "
                "or make them differ")
        return doc.error(f"variants[{vb}]", rule)
    return doc.error("grid" if grid else "variants",
                     f"configurations {_shown(labels[first])} and {_shown(labels[second])} have {what}, so their runs "
                     "could not be told apart; drop one, or make them differ")
