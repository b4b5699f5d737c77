"""Distribution spec strings: a tokenizer and a recursive-descent parser, never ``eval``.

Grammar (names case-insensitive, whitespace anywhere)::

    spec     := NUMBER | NAME "(" [arg ("," arg)*] ")"
    arg      := [NAME "="] NUMBER      (positional arguments come first)

Error messages are one line and quote the spec; positions in them count from 0.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from rollsim.spec.distributions.base import Distribution, DistributionError
from rollsim.spec.distributions.empirical import Empirical
from rollsim.spec.distributions.families import Constant, Exponential, Gamma, LogNormal, Uniform
from rollsim.spec.distributions.stragglers import Stragglers
from rollsim.spec.quoting import describe

__all__ = ["parse_distribution", "split_spec_hint"]

_FAMILIES: dict[str, tuple[type[Distribution], tuple[str, ...]]] = {
    "constant": (Constant, ("value",)),
    "exponential": (Exponential, ("mean",)),
    "uniform": (Uniform, ("low", "high")),
    "lognormal": (LogNormal, ("median", "p95")),
    "gamma": (Gamma, ("mean", "cv")),
    "empirical": (Empirical, ()),
    "stragglers": (Stragglers, ("median", "p95", "fraction", "tail")),
}

_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<punct>[(),=])"
)


class _Token(NamedTuple):
    kind: str  # "number", "name", one of "(),=" or "end"
    text: str
    pos: int


def _tokenize(spec: str) -> list[_Token]:
    """Split ``spec`` into tokens, ending with an ``end`` token."""
    tokens, pos = [], 0
    while pos < len(spec):
        m = _TOKEN.match(spec, pos)
        if m is None:
            raise DistributionError(
                f"unexpected character {spec[pos]!r} at position {pos} in {spec!r}"
            )
        kind = m.lastgroup or ""
        if kind != "ws":
            tokens.append(_Token(m.group() if kind == "punct" else kind, m.group(), pos))
        pos = m.end()
    tokens.append(_Token("end", "", len(spec)))
    return tokens


class _Parser:
    """Recursive-descent parser over the token list of one spec."""

    __slots__ = ("i", "spec", "tokens")

    def __init__(self, spec: str) -> None:
        self.spec, self.tokens, self.i = spec, _tokenize(spec), 0

    def fail(self, tok: _Token, what: str) -> DistributionError:
        found = "end of spec" if tok.kind == "end" else repr(tok.text)
        return DistributionError(
            f"{what}, got {found} at position {tok.pos} in {self.spec!r}"
        )

    def take(self, kind: str) -> _Token:
        tok = self.tokens[self.i]
        if tok.kind != kind:
            wanted = {"number": "a number", "name": "a distribution name", "end": "end of spec"}
            raise self.fail(tok, f"expected {wanted.get(kind, repr(kind))}")
        self.i += 1
        return tok

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def number(self) -> float:
        tok = self.peek()
        if tok.kind == "name" and tok.text.lower() in ("nan", "inf", "infinity"):
            raise DistributionError(
                f"non-finite number {tok.text!r} at position {tok.pos} in {self.spec!r}"
            )
        return float(self.take("number").text)

    def parse(self) -> Distribution:
        """``spec := NUMBER | NAME "(" args ")"``, then the end of the text."""
        if self.peek().kind == "end":
            raise DistributionError(f"empty distribution spec {self.spec!r}")
        if self.peek().kind == "number":
            keywords: dict[str, float] = {}
            family, positional = "constant", [self.number()]
        else:
            family = self.take("name").text.lower()
            if family not in _FAMILIES:
                raise DistributionError(
                    f"unknown distribution {family!r} in {self.spec!r}; "
                    f"expected one of {', '.join(_FAMILIES)}"
                )
            self.take("(")
            positional, keywords = self.args()
            self.take(")")
        self.take("end")
        return _build(family, positional, keywords, self.spec)

    def args(self) -> tuple[list[float], dict[str, float]]:
        """``[arg ("," arg)*]`` with positional arguments before keywords."""
        positional: list[float] = []
        keywords: dict[str, float] = {}
        if self.peek().kind == ")":
            return positional, keywords
        while True:
            tok = self.peek()
            if tok.kind == "name" and self.peek(1).kind == "=":
                key = tok.text.lower()
                if key in keywords:
                    raise DistributionError(
                        f"duplicate argument {key!r} at position {tok.pos} in {self.spec!r}"
                    )
                self.i += 2
                keywords[key] = self.number()
            elif keywords:
                raise self.fail(tok, "expected a keyword argument (positional ones come first)")
            else:
                positional.append(self.number())
            if self.peek().kind != ",":
                return positional, keywords
            self.i += 1


def _build(
    family: str, positional: list[float], keywords: dict[str, float], spec: str
) -> Distribution:
    """Bind parsed arguments to the family's parameters and construct it."""
    cls, params = _FAMILIES[family]
    try:
        if not params:  # empirical: values only, positionally
            if keywords:
                raise DistributionError(
                    f"{family}: takes values positionally, got keyword {next(iter(keywords))!r}"
                )
            return cls(tuple(positional))  # type: ignore[call-arg]
        if len(positional) > len(params):
            raise DistributionError(
                f"{family}: takes at most {len(params)} argument"
                f"{'s' if len(params) > 1 else ''} ({', '.join(params)}), got {len(positional)}"
            )
        bound = dict(zip(params, positional))
        for key, value in keywords.items():
            if key not in params:
                raise DistributionError(
                    f"{family}: unknown argument {key!r}; expected {', '.join(params)}"
                )
            if key in bound:
                raise DistributionError(f"{family}: argument {key!r} given twice")
            bound[key] = value
        missing = [p for p in params if p not in bound]
        if missing:
            raise DistributionError(f"{family}: missing argument {', '.join(missing)}")
        return cls(**bound)
    except DistributionError as err:
        raise DistributionError(f"{err} in {spec!r}") from None


def parse_distribution(spec: str | int | float | Distribution) -> Distribution:
    """Read a duration spec: a Distribution (returned as is), a number, or a string.

    >>> parse_distribution("Uniform( 1, high=3 )")
    Uniform(low=1.0, high=3.0)
    >>> str(parse_distribution(2))
    'constant(2)'
    """
    if isinstance(spec, Distribution):
        return spec
    if isinstance(spec, numbers.Real) and not isinstance(spec, bool):
        return Constant(float(spec))
    if not isinstance(spec, str):
        raise DistributionError(f"expected a distribution spec or a number, got {describe(spec)}")
    return _Parser(spec).parse()


def split_spec_hint(key: object, mapping: Mapping[Any, Any]) -> str:
    """A hint for an unknown ``key`` of ``mapping`` that is the tail of a spec YAML split at its
    comma, else ``""``: unquoted in a flow mapping, ``{ready: lognormal(median=20, p95=45)}``
    reads as ``ready: "lognormal(median=20"`` and a key ``p95=45)``.

    >>> split_spec_hint("p95=45)", {"ready": "lognormal(median=20", "p95=45)": None})
    'a comma split the value of ready: quote it, ready: "lognormal(median=20, p95=45)"'
    """
    text = str(key)
    if "=" not in text and ")" not in text:
        return ""
    keys = list(mapping)
    at = keys.index(key) if key in keys else len(keys)
    for start in range(at - 1, -1, -1):  # the nearest value before it with a parenthesis left open
        head = mapping[keys[start]]
        if not isinstance(head, str) or "(" not in head:
            continue
        if head.count("(") <= head.count(")"):
            break
        parts = [head]
        for tail in keys[start + 1:]:  # the keys the commas made, up to the one that closes it
            parts.append(str(tail))
            if ")" in str(tail) or mapping[tail] is not None:
                break
        return f'a comma split the value of {keys[start]}: quote it, {keys[start]}: "{", ".join(parts)}"'
    return 'it looks like the rest of a value a comma split: quote values with commas, "lognormal(median=20, p95=45)"'
