"""Durations of pod lifecycle phases, as small value objects parsed from spec strings.

How long the kubelet takes to pull an image, how long a container takes to become
Ready, how long termination takes: each is a non-negative random duration in
seconds, written in a scenario as a spec string such as ``"2"``,
``"exponential(mean=3)"`` or ``"lognormal(median=1.1, p95=1.7)"``.

Each distribution knows its exact mean, variance and quantiles, so simulations
can be checked against theory, and ``str(d)`` is a canonical spec that
``parse_distribution`` reads back to an equal object. Sampling uses only the
generator passed in, never global random state.

Specs are read by a tokenizer and a recursive-descent parser; user text is never
evaluated. Grammar (names case-insensitive, whitespace anywhere)::

    spec     := NUMBER | NAME "(" [arg ("," arg)*] ")"
    arg      := [NAME "="] NUMBER      (positional arguments come first)

Error messages are one line and quote the spec; positions in them count from 0.
"""

from __future__ import annotations

import math
import numbers
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Constant",
    "Distribution",
    "DistributionError",
    "Empirical",
    "Exponential",
    "Gamma",
    "LogNormal",
    "Uniform",
    "parse_distribution",
]

#: Standard normal 95th percentile: ``p95 = median * exp(sigma * Z95)``.
Z95 = 1.6448536269514722
#: Above this gamma shape (cv below ~0.0032) quantiles use Wilson–Hilferty.
_WH_SHAPE = 1e5
#: Below this cv a gamma's spread is under float resolution: it is its mean.
_TINY_CV = 1e-16


class DistributionError(ValueError):
    """A distribution spec or parameter is invalid; the message says what and where."""


def _fmt(x: float) -> str:
    """Shortest text that parses back to exactly ``x`` (integers without ``.0``)."""
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)


def _real(family: str, name: str, x: Any) -> float:
    """``x`` as a finite, non-negative float, or a DistributionError naming it."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise DistributionError(f"{family}: {name} must be a number, got {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise DistributionError(f"{family}: {name} ({x}) must be a finite number")
    if x < 0:
        raise DistributionError(f"{family}: {name} ({_fmt(x)}) must be >= 0")
    return x + 0.0  # turns -0.0 into 0.0


def _exp(x: float) -> float:
    """``math.exp`` that overflows to ``inf`` instead of raising."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _check_q(q: float) -> float:
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile level q must be in [0, 1], got {q!r}")
    return float(q)


class Distribution(ABC):
    """A non-negative duration in seconds with exact moments and quantiles."""

    __slots__ = ()

    @property
    @abstractmethod
    def mean(self) -> float:
        """The exact mean."""

    @property
    @abstractmethod
    def variance(self) -> float:
        """The exact variance."""

    @abstractmethod
    def sample(
        self, rng: np.random.Generator, size: int | None = None
    ) -> float | NDArray[np.float64]:
        """One draw as a float (``size=None``) or a float64 array of ``size`` draws."""

    @abstractmethod
    def quantile(self, q: float) -> float:
        """The value below which a fraction ``q`` of draws fall."""

    @abstractmethod
    def __str__(self) -> str:
        """Canonical spec string, parsed back to an equal object."""


@dataclass(frozen=True, slots=True)
class Constant(Distribution):
    """Always ``value`` seconds."""

    value: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _real("constant", "value", self.value))

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    def sample(
        self, rng: np.random.Generator, size: int | None = None
    ) -> float | NDArray[np.float64]:
        return self.value if size is None else np.full(size, self.value, dtype=np.float64)

    def quantile(self, q: float) -> float:
        _check_q(q)
        return self.value

    def __str__(self) -> str:
        return f"constant({_fmt(self.value)})"


@dataclass(frozen=True, slots=True)
class Exponential(Distribution):
    """Memoryless duration with the given ``mean`` (0 means always 0)."""

    # field() keeps dataclass from taking the base's abstract ``mean`` as a default
    mean: float = field()

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _real("exponential", "mean", self.mean))

    @property
    def variance(self) -> float:
        return self.mean * self.mean

    def sample(
        self, rng: np.random.Generator, size: int | None = None
    ) -> float | NDArray[np.float64]:
        draw = rng.exponential(self.mean, size)
        return float(draw) if size is None else draw

    def quantile(self, q: float) -> float:
        q = _check_q(q)
        if self.mean == 0.0:
            return 0.0
        return math.inf if q == 1.0 else -self.mean * math.log1p(-q)

    def __str__(self) -> str:
        return f"exponential(mean={_fmt(self.mean)})"


@dataclass(frozen=True, slots=True)
class Uniform(Distribution):
    """Equally likely anywhere in ``[low, high]``."""

    low: float
    high: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "low", _real("uniform", "low", self.low))
        object.__setattr__(self, "high", _real("uniform", "high", self.high))
        if self.low > self.high:
            raise DistributionError(
                f"uniform: low ({_fmt(self.low)}) must be <= high ({_fmt(self.high)})"
            )

    @property
    def mean(self) -> float:
        return self.low + (self.high - self.low) / 2.0

    @property
    def variance(self) -> float:
        width = self.high - self.low
        return width * width / 12.0

    def sample(
        self, rng: np.random.Generator, size: int | None = None
    ) -> float | NDArray[np.float64]:
        draw = rng.uniform(self.low, self.high, size)
        return float(draw) if size is None else draw

    def quantile(self, q: float) -> float:
        return min(self.high, self.low + _check_q(q) * (self.high - self.low))

    def __str__(self) -> str:
        return f"uniform(low={_fmt(self.low)}, high={_fmt(self.high)})"


@dataclass(frozen=True, slots=True)
class LogNormal(Distribution):
    """Right-skewed duration given by its ``median`` and 95th percentile ``p95``.

    ``p95 == median`` is allowed and gives sigma 0 (always the median).
    """

    median: float
    p95: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "median", _real("lognormal", "median", self.median))
        object.__setattr__(self, "p95", _real("lognormal", "p95", self.p95))
        if self.median <= 0.0:
            raise DistributionError(f"lognormal: median ({_fmt(self.median)}) must be > 0")
        if self.p95 < self.median:
            raise DistributionError(
                f"lognormal: p95 ({_fmt(self.p95)}) must be >= median ({_fmt(self.median)})"
            )

    @property
    def sigma(self) -> float:
        """Standard deviation of the log of the duration."""
        return (math.log(self.p95) - math.log(self.median)) / Z95

    @property
    def mean(self) -> float:
        return self.median * _exp(self.sigma**2 / 2.0)

    @property
    def variance(self) -> float:
        s2 = self.sigma**2
        if s2 == 0.0:
            return 0.0
        # median**2 * exp(s2) * (exp(s2) - 1), in logs so no factor overflows alone
        return _exp(2.0 * math.log(self.median) + 2.0 * s2 + math.log(-math.expm1(-s2)))

    def sample(
        self, rng: np.random.Generator, size: int | None = None
    ) -> float | NDArray[np.float64]:
        draw = rng.lognormal(math.log(self.median), self.sigma, size)
        return float(draw) if size is None else draw

    def quantile(self, q: float) -> float:
        q = _check_q(q)
        if self.sigma == 0.0 or q == 0.5:
            return self.median
        if q == 0.0:
            return 0.0
        if q == 1.0:
            return math.inf
        return self.median * _exp(self.sigma * NormalDist().inv_cdf(q))

    def __str__(self) -> str:
        return f"lognormal(median={_fmt(self.median)}, p95={_fmt(self.p95)})"


@dataclass(frozen=True, slots=True)
class Gamma(Distribution):
    """Duration with the given ``mean`` and coefficient of variation ``cv``.

    Shape ``k = 1/cv**2`` and scale ``mean/k``; ``cv=1`` is the exponential.
    Quantiles invert the regularized incomplete gamma function by bisection;
    for ``k > 1e5`` (cv below about 0.0032), where that loses precision and
    speed, they use the Wilson–Hilferty approximation instead: relative error
    below 1e-8 for ``0.001 <= q <= 0.999`` and below 1e-6 out to ``q = 1e-12``.
    """

    mean: float = field()  # see Exponential
    cv: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _real("gamma", "mean", self.mean))
        object.__setattr__(self, "cv", _real("gamma", "cv", self.cv))
        if self.mean <= 0.0:
            raise DistributionError(f"gamma: mean ({_fmt(self.mean)}) must be > 0")
        if self.cv <= 0.0:
            raise DistributionError(f"gamma: cv ({_fmt(self.cv)}) must be > 0")
        if self.shape == 0.0 or math.isinf(self.scale):
            raise DistributionError(
                f"gamma: cv ({_fmt(self.cv)}) is too large for mean ({_fmt(self.mean)}); "
                "shape 1/cv**2 or scale mean*cv**2 leaves the float range"
            )

    @property
    def shape(self) -> float:
        """Shape parameter ``k``."""
        return 1.0 / self.cv / self.cv

    @property
    def scale(self) -> float:
        """Scale parameter ``theta``; ``mean = k * theta``."""
        return self.mean * self.cv * self.cv

    @property
    def variance(self) -> float:
        sd = self.mean * self.cv
        return sd * sd

    def sample(
        self, rng: np.random.Generator, size: int | None = None
    ) -> float | NDArray[np.float64]:
        if self.cv < _TINY_CV:  # the shape would overflow; the spread is invisible anyway
            return Constant(self.mean).sample(rng, size)
        draw = rng.gamma(self.shape, self.scale, size)
        return float(draw) if size is None else draw

    def quantile(self, q: float) -> float:
        q = _check_q(q)
        if self.cv < _TINY_CV:
            return self.mean
        return _gamma_quantile(self.shape, q) * self.scale

    def __str__(self) -> str:
        return f"gamma(mean={_fmt(self.mean)}, cv={_fmt(self.cv)})"


@dataclass(frozen=True, slots=True)
class Empirical(Distribution):
    """Resamples uniformly from observed ``values`` (e.g. measured pull times)."""

    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if isinstance(self.values, (str, bytes)) or not hasattr(self.values, "__iter__"):
            raise DistributionError(f"empirical: values must be a sequence, got {self.values!r}")
        values = tuple(_real("empirical", "value", v) for v in self.values)
        if not values:
            raise DistributionError("empirical: needs at least one value")
        object.__setattr__(self, "values", values)

    @property
    def mean(self) -> float:
        n = len(self.values)
        try:
            return math.fsum(self.values) / n
        except OverflowError:
            return math.fsum(v / n for v in self.values)

    @property
    def variance(self) -> float:
        m = self.mean
        return math.fsum((v - m) * (v - m) for v in self.values) / len(self.values)

    def sample(
        self, rng: np.random.Generator, size: int | None = None
    ) -> float | NDArray[np.float64]:
        index = rng.integers(len(self.values), size=size)
        if size is None:
            return self.values[int(index)]
        return np.asarray(self.values, dtype=np.float64)[index]

    def quantile(self, q: float) -> float:
        return float(np.quantile(np.asarray(self.values, dtype=np.float64), _check_q(q)))

    def __str__(self) -> str:
        return f"empirical({', '.join(_fmt(v) for v in self.values)})"


# --- gamma quantile -------------------------------------------------------------


def _gamma_pq(k: float, x: float) -> tuple[float, float]:
    """Regularized incomplete gammas ``(P(k, x), Q(k, x))``, ``P + Q = 1``.

    The series gives ``P`` below ``x = k + 1`` and Lentz's continued fraction
    gives ``Q`` above it (Numerical Recipes 6.2), each accurate in its own tail.
    """
    if x <= 0.0:
        return 0.0, 1.0
    prefix = _exp(k * math.log(x) - x - math.lgamma(k))
    max_iter = 1000 + int(20 * math.sqrt(k))
    if x < k + 1.0:
        term = total = 1.0 / k
        a = k
        for _ in range(max_iter):
            a += 1.0
            term *= x / a
            total += term
            if term < total * 1e-17:
                break
        p = min(1.0, total * prefix)
        return p, 1.0 - p
    tiny = 1e-300
    b = x + 1.0 - k
    c, d = 1.0 / tiny, 1.0 / b
    h = d
    for i in range(1, max_iter):
        an = -i * (i - k)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        h *= d * c
        if abs(d * c - 1.0) < 1e-16:
            break
    q = min(1.0, prefix * h)
    return 1.0 - q, q


def _gamma_quantile(k: float, q: float) -> float:
    """Quantile of the gamma distribution with shape ``k`` and scale 1."""
    if q == 0.0:
        return 0.0
    if q == 1.0:
        return math.inf
    if k > _WH_SHAPE:
        c = 1.0 / (9.0 * k)
        return k * max(0.0, 1.0 - c + NormalDist().inv_cdf(q) * math.sqrt(c)) ** 3

    def below(x: float) -> bool:
        # compare in the tail where the CDF is held accurately; 1 - q is exact for q > 0.5
        p, upper = _gamma_pq(k, x)
        return p < q if q <= 0.5 else upper > 1.0 - q

    lo, hi = 0.0, max(k, 1.0)
    while below(hi) and hi < 1e300:
        lo, hi = hi, hi * 2.0
    for _ in range(1200):  # enough halvings to reach the smallest subnormal
        mid = hi / 2.0 if lo == 0.0 else lo + (hi - lo) / 2.0
        if mid in (lo, hi) or hi - lo <= 1e-15 * hi:
            break
        if below(mid):
            lo = mid
        else:
            hi = mid
    return lo + (hi - lo) / 2.0


# --- parsing --------------------------------------------------------------------

_FAMILIES: dict[str, tuple[type[Distribution], tuple[str, ...]]] = {
    "constant": (Constant, ("value",)),
    "exponential": (Exponential, ("mean",)),
    "uniform": (Uniform, ("low", "high")),
    "lognormal": (LogNormal, ("median", "p95")),
    "gamma": (Gamma, ("mean", "cv")),
    "empirical": (Empirical, ()),
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

    __slots__ = ("spec", "tokens", "i")

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
            family, positional, keywords = "constant", [self.number()], {}
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
        return Constant(spec)  # type: ignore[arg-type]
    if not isinstance(spec, str):
        raise DistributionError(
            f"expected a distribution spec or a number, got {type(spec).__name__} {spec!r}"
        )
    return _Parser(spec).parse()
