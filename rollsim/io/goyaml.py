"""Plain YAML numbers as go-yaml v2 reads them: kubectl and the API server (``sigs.k8s.io/yaml``).

PyYAML follows YAML 1.1: base-60 numbers (``1:30`` is 90), a float needs a dot and a signed
exponent (``1e3`` and ``-.5`` are strings). go-yaml v2's ``resolve`` (resolve.go) has no base
60 ("purposefully unsupported") and reads a float by its ``yamlStyleFloat`` rule, so ``1e3``,
``1.5e3``, ``-.5``, ``+.5`` and ``08`` are floats there. ``GoYamlNumbers`` puts that rule in
place of PyYAML's int and float resolvers, in rollsim's loaders and in its dumper (which then
quotes a string such as ``"1e3"`` that would come back a number).
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

__all__ = ["FLOAT_TAG", "INT_TAG", "GoYamlNumbers", "SafeDumper", "construct_go_int", "go_yaml_number_tag"]

INT_TAG, FLOAT_TAG = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"

# resolveMap's floats: the only special values go-yaml knows (no sign on .nan)
_SPECIAL_FLOATS = frozenset({".nan", ".NaN", ".NAN",
                             *(f"{sign}.{inf}" for sign in ("", "+", "-") for inf in ("inf", "Inf", "INF"))})
# strconv.ParseInt(s, 0, 64) (Go 1.13+): a sign, then 0b/0o/0x in either case, a leading 0 (octal), or decimal
_GO_INT = re.compile(r"[-+]?(?:0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)", re.ASCII)
_LEGACY_OCTAL = re.compile(r"0[0-7]+", re.ASCII)
# resolve.go's yamlStyleFloat, matched (as there) after the underscores are dropped
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?", re.ASCII)
# strconv.ParseFloat of a scalar that starts with a dot (go-yaml's '.' hint, no underscore dropped):
# Go's float syntax, where an underscore may only stand between two digits
_DOT_FLOAT = re.compile(r"\.[0-9](?:_?[0-9])*(?:[eE][-+]?[0-9](?:_?[0-9])*)?", re.ASCII)


def _finite(text: str) -> bool:
    """Whether ``strconv.ParseFloat`` returns no error: it refuses a value past float64's range."""
    return math.isfinite(float(text.replace("_", "")))


def go_yaml_number_tag(value: str) -> str | None:
    """The int or float tag go-yaml v2's ``resolve`` gives the plain scalar ``value``, or None.

    Mirrors its hints: ``.`` is ``strconv.ParseFloat``; a sign or digit drops the underscores,
    then tries ``strconv.ParseInt(plain, 0, 64)``, then ``yamlStyleFloat`` and ``ParseFloat``.
    An integer past 64 bits stays an integer (go-yaml v2 reads a decimal one as a float).
    """
    if value in _SPECIAL_FLOATS:
        return FLOAT_TAG
    hint = value[:1]
    if hint == ".":
        return FLOAT_TAG if _DOT_FLOAT.fullmatch(value) and _finite(value) else None
    if not hint or hint not in "+-0123456789":
        return None
    plain = value.replace("_", "")
    if _GO_INT.fullmatch(plain):
        return INT_TAG
    if _YAML_STYLE_FLOAT.fullmatch(plain) and _finite(plain):
        return FLOAT_TAG
    return None


def construct_go_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """An int-tagged scalar's value as ``strconv.ParseInt(plain, 0, 64)`` reads it (``010`` is 8,
    ``0o10`` 8, ``0X10`` 16), after go-yaml drops its underscores.
    """
    plain = str(loader.construct_scalar(node)).replace("_", "")
    sign, digits = (-1, plain[1:]) if plain[:1] == "-" else (1, plain.removeprefix("+"))
    return sign * (int(digits, 8) if _LEGACY_OCTAL.fullmatch(digits) else int(digits, 0))


class GoYamlNumbers:
    """A PyYAML resolver mixin: plain numbers by ``go_yaml_number_tag``, PyYAML's int and float
    resolvers (YAML 1.1, base 60) removed; the rest (null, bool, timestamp) is PyYAML's.
    """

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in (INT_TAG, FLOAT_TAG)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """The tag of a node: a plain scalar's number tag as go-yaml's, else PyYAML's."""
        if kind is yaml.ScalarNode and implicit[0]:
            tag = go_yaml_number_tag(value)
            if tag is not None:
                return tag
        return super().resolve(kind, value, implicit)  # type: ignore[misc]


class SafeDumper(yaml.SafeDumper):
    """``yaml.SafeDumper`` that quotes every string that go-yaml v2 (rollsim's loaders) *or* YAML 1.1
    (PyYAML's own ``yaml.SafeLoader``, base 60 included) would read as anything but a string: what
    it writes reads back the same under either, so a results folder written before rollsim read
    numbers as go-yaml does (by PyYAML's dumper, quoting by YAML 1.1 alone) and one written since
    are both read right by ``yaml.SafeLoader`` (``rollsim.sweep.results``, ``rollsim.sweep.folder``).
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """go-yaml's number tag where it reads a number, else YAML 1.1's tag (PyYAML's)."""
        if kind is yaml.ScalarNode and implicit[0]:
            tag = go_yaml_number_tag(value)
            if tag is not None:
                return tag
        return super().resolve(kind, value, implicit)
