"""Kubernetes resource quantities ("100m", "0.5", "200Mi", "1.5Gi", "1e3", "2k") as exact integers.

Mirrors ``resource.ParseQuantity`` in k8s.io/apimachinery/pkg/api/resource/quantity.go:
the same scanner (sign, digits, optional fraction, suffix), the same suffixes (decimal
``n u m "" k M G T P E``, binary ``Ki Mi Gi Ti Pi Ei``, exponents ``e3``/``E-2``), the
same rounding (a non-zero value is rounded away from zero to a whole number of nanos)
and the same cap (a binary-suffixed value saturates at 2^63-1). Its quirks are kept on
purpose, so that rollsim accepts exactly what the API server accepts: "m" alone and
"+" parse as zero, "1." as one. ``value``/``millis`` round up as ``Quantity.Value()``
and ``MilliValue()`` do. One deliberate difference: exponents beyond ±10000 are rejected
(apimachinery truncates them to 32 bits; nobody means ``1e99999``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rollsim.spec.quoting import written

__all__ = ["MAX_INT64", "Quantity", "cpu_millis", "go_reads_as_float", "int64_amount", "is_ascii_digits",
           "memory_bytes", "parse_quantity"]

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"

_DECIMAL = {"": 0, "n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_BINARY_BY_LOWER = {k.lower(): k for k in _BINARY}
_DIGITS = frozenset("0123456789")
_SUFFIX_CHARS = frozenset("eEinumkKMGTP")
MAX_INT64 = 2**63 - 1  # what the API server and scheduler keep millicores and bytes in
_MAX_EXPONENT = 10_000
_NANO = 10**9
_EXAMPLES = "such as 100m, 0.5, 200Mi, 1.5Gi, 1G or 1e3"
_SUFFIXES = "n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent such as e3"


def is_ascii_digits(text: str) -> bool:
    r"""Whether ``text`` is one or more ASCII digits, the only digits Go's ``strconv`` (and so the
    API server) reads: ``str.isdigit()`` and ``\d`` also take "١٠" and "１０", and ``isdigit()``
    takes "²", which ``int()`` then refuses.
    """
    return text.isascii() and text.isdigit()


def go_reads_as_float(text: str) -> bool:
    """Whether ``text`` is in the alphabet Go's ``strconv.ParseFloat`` reads a decimal in: ASCII,
    with no ``_`` (``float()`` also reads "١٠" and "1_0"); whether it parses is ``float()``'s to say.
    """
    return text.isascii() and "_" not in text


@dataclass(frozen=True, slots=True)
class Quantity:
    """A parsed quantity: its exact value in nanos (10^-9 units) and the format its suffix implies."""

    nanos: int
    format: str = DECIMAL_SI
    capped: bool = field(default=False, compare=False)  # a binary value saturated at 2^63-1, as the API server does

    def scaled_value(self, scale: int) -> int:
        """``ceil(value / 10^scale)``, rounding away from zero, as ``Quantity.ScaledValue`` does."""
        shift = scale + 9
        if shift <= 0:
            return self.nanos * 10**-shift
        magnitude = -(-abs(self.nanos) // 10**shift)
        return magnitude if self.nanos >= 0 else -magnitude

    @property
    def value(self) -> int:
        """Whole units (bytes, cores), rounded up: ``Quantity.Value()``."""
        return self.scaled_value(0)

    @property
    def millis(self) -> int:
        """Thousandths (millicores), rounded up: ``Quantity.MilliValue()``."""
        return self.scaled_value(-3)


class _Scanned:
    __slots__ = ("denom", "num", "positive", "suffix", "value")

    def __init__(self, positive: bool, value: str, num: str, denom: str = "", suffix: str = "") -> None:
        self.positive, self.value, self.num, self.denom, self.suffix = positive, value, num, denom, suffix


def _run(text: str, start: int, chars: frozenset[str]) -> int:
    """The index of the first character at or after ``start`` that is not in ``chars``."""
    while start < len(text) and text[start] in chars:
        start += 1
    return start


def _scan(text: str) -> _Scanned:
    """Mirrors ``parseQuantityString``: split sign, integer digits, fraction digits and suffix."""
    positive, pos, end = True, 0, len(text)
    if text[0] in "+-":
        positive, pos = text[0] == "+", 1
    pos = _run(text, pos, frozenset("0"))  # leading zeros
    if pos >= end:
        return _Scanned(positive, "0", "0")
    i = _run(text, pos, _DIGITS)
    num = text[pos:i]
    if i >= end:
        return _Scanned(positive, text, num)
    pos, num = i, num or "0"
    denom = ""
    if text[pos] == ".":
        i = _run(text, pos + 1, _DIGITS)
        denom = text[pos + 1:i]
        if i >= end:
            return _Scanned(positive, text, num, denom)
        pos = i
    value, suffix_start = text[:pos], pos
    pos = _run(text, pos, _SUFFIX_CHARS)
    if pos < end and text[pos] in "+-":
        pos += 1
    if _run(text, pos, _DIGITS) < end:
        raise ValueError(_format_error(text))
    return _Scanned(positive, value, num, denom, text[suffix_start:])


def _format_error(text: str) -> str:
    hint = ""
    if text[-1:] in ("B", "b"):
        hint = " (quantities have no 'B': write 200Mi or 200M)"
    elif any(c.isspace() for c in text):
        hint = " (no spaces between the number and the suffix)"
    return f"invalid quantity {text!r}: expected a number with an optional suffix, {_EXAMPLES}{hint}"


def _interpret(text: str, suffix: str) -> tuple[int, int, str]:
    """Mirrors ``suffixHandler.interpret``: (base, exponent, format) of a suffix."""
    if suffix in _DECIMAL:
        return 10, _DECIMAL[suffix], DECIMAL_SI
    if suffix in _BINARY:
        return 2, _BINARY[suffix], BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        if suffix[1:].count("-") + suffix[1:].count("+") <= 1 and is_ascii_digits(suffix[1:].lstrip("+-")):
            exponent = int(suffix[1:])
            if abs(exponent) > _MAX_EXPONENT:
                raise ValueError(f"invalid quantity {text!r}: exponent {exponent} is out of range "
                                 f"(at most ±{_MAX_EXPONENT})")
            return 10, exponent, DECIMAL_EXPONENT
    if not any(c.isalpha() for c in suffix):
        raise ValueError(_format_error(text))
    near = "k (1000) or Ki (1024)" if suffix == "K" else _BINARY_BY_LOWER.get(suffix.lower(), "")
    hint = f" (did you mean {near}?)" if near else ""
    raise ValueError(f"invalid quantity {text!r}: unknown suffix {suffix!r}; use {_SUFFIXES}{hint}")


def _exact_nanos(s: _Scanned, text: str, base: int, exponent: int) -> int:
    """The slow path of ``ParseQuantity`` (``inf.Dec``): exact value, rounded away from zero to nanos."""
    body = s.value.lstrip("+-")
    whole, _, fraction = body.partition(".")
    if not (whole + fraction):
        raise ValueError(f"invalid quantity {text!r}: the number has no digits")
    numerator = int(whole + fraction)
    if base == 2:
        numerator <<= exponent
    shift = 9 - len(fraction) + (exponent if base == 10 else 0)
    if shift >= 0:
        nanos = numerator * 10**shift
    elif numerator == 0:
        nanos = 0
    elif -shift > len(str(numerator)):
        nanos = 1  # less than one nano: rounded up to the smallest representable value
    else:
        nanos = -(-numerator // 10**-shift)
    return nanos if s.positive else -nanos


def parse_quantity(value: object) -> Quantity:
    """Parse a quantity as the API server does; raises ``ValueError`` with a readable message.

    Accepts a string, or an int or float (YAML ``cpu: 1`` or ``cpu: 0.5``), which is
    parsed from its decimal text as the JSON decoder hands it to ``ParseQuantity``.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"a quantity must be a string or a number, {_EXAMPLES}; got {written(value)}")  # noqa: TRY004
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"a quantity must be finite, got {value!r}")
    text = value.strip() if isinstance(value, str) else repr(value)
    if not text:
        raise ValueError(f"a quantity must not be empty; write a number with an optional suffix, {_EXAMPLES}")
    if text == "0":
        return Quantity(0)
    s = _scan(text)
    base, exponent, fmt = _interpret(text, s.suffix)
    # The fast path (int64Amount) and the slow path (inf.Dec) agree on every value they
    # both accept; only the slow path needs digits, so mirror when the fast path applies.
    if base == 10:
        precision, scale = 18 - len(s.num) - len(s.denom), exponent - len(s.denom)
    elif s.denom == "":
        precision, scale = 15 - len(s.num) - exponent * 3 // 10 - 1, 0
    else:
        precision, scale = -1, 0
    if precision >= 0 and scale >= -9:
        magnitude = int(s.num + s.denom) * (1 << exponent if base == 2 else 1)
        if magnitude <= MAX_INT64:
            nanos = magnitude * 10 ** (scale + 9)
            return Quantity(nanos if s.positive else -nanos, fmt)
    nanos = _exact_nanos(s, text, base, exponent)
    if base == 2 and abs(nanos) > MAX_INT64 * _NANO:  # the slow path's cap on binary values
        return Quantity(MAX_INT64 * _NANO * (1 if nanos > 0 else -1), fmt, capped=True)
    return Quantity(nanos, fmt)


def cpu_millis(value: object) -> int:
    """A CPU quantity in millicores, rounded up ("100m" → 100, "0.5" → 500, "1" → 1000)."""
    return parse_quantity(value).millis


def memory_bytes(value: object) -> int:
    """A memory quantity in bytes, rounded up ("200Mi" → 209715200, "1G" → 10^9)."""
    return parse_quantity(value).value


def int64_amount(value: object, unit: str, parsed: Quantity | None = None) -> int:
    """Millicores (``unit="millicores"``) or bytes (``"bytes"``) as the scheduler keeps them, in an int64.

    A value beyond 2^63-1 is refused the same way whatever its suffix: ``1e400`` CPU and
    ``99999999999999999999999999Ei`` memory alike (the API server caps the second at
    2^63-1 while parsing and overflows on the first when the scheduler reads it).
    ``parsed`` is ``value`` already parsed (``parse_quantity``), so that it is not parsed again.
    """
    q = parse_quantity(value) if parsed is None else parsed
    amount = q.millis if unit == "millicores" else q.value
    if q.capped or abs(amount) > MAX_INT64:
        raise ValueError(f"must be at most 2^63-1 {unit}, got {value!r}")
    return amount
