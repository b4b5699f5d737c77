"""Resource quantities as apimachinery's ``resource.ParseQuantity`` reads them."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rollsim.spec.quantity import Quantity, cpu_millis, is_ascii_digits, memory_bytes, parse_quantity

MI, GI = 2**20, 2**30


@pytest.mark.parametrize(
    ("text", "millis", "value"),
    [
        ("100m", 100, 1),
        ("0.5", 500, 1),
        ("1", 1000, 1),
        ("0", 0, 0),
        ("200Mi", 200 * MI * 1000, 200 * MI),
        ("1Gi", GI * 1000, GI),
        ("1.5Gi", 3 * GI // 2 * 1000, 3 * GI // 2),
        ("1G", 10**12, 10**9),
        ("128974848", 128974848000, 128974848),
        ("129e6", 129 * 10**9, 129 * 10**6),
        ("123Mi", 128974848000, 128974848),
        ("2k", 2 * 10**6, 2000),
        ("1e3", 10**6, 1000),
        ("1E3", 10**6, 1000),
        ("1e+3", 10**6, 1000),
        ("1E-3", 1, 1),
        ("1Ki", 1024 * 1000, 1024),
        ("1E", 10**21, 10**18),  # E alone is exa, not an exponent
        ("1.5m", 2, 1),  # MilliValue rounds up
        ("5n", 1, 1),
        ("0.1", 100, 1),
        (".5", 500, 1),
        ("1.", 1000, 1),
        ("+2", 2000, 2),
        (" 100m ", 100, 1),  # the JSON decoder trims spaces
        ("1e-20", 1, 1),  # rounded up to one nano
        ("16Ei", (2**63 - 1) * 1000, 2**63 - 1),  # binary values saturate at int64
        ("m", 0, 0),  # apimachinery's scanner reads a bare suffix as zero
        (1, 1000, 1),
        (0.25, 250, 1),
        (3.0, 3000, 3),
    ],
)
def test_parsing_table(text: object, millis: int, value: int) -> None:
    q = parse_quantity(text)
    assert (q.millis, q.value) == (millis, value)
    assert cpu_millis(text) == millis and memory_bytes(text) == value


def test_negative_values_parse_and_round_away_from_zero() -> None:
    assert parse_quantity("-1").value == -1
    assert parse_quantity("-1.5m").millis == -2


def test_format_follows_the_suffix() -> None:
    assert parse_quantity("1Gi").format == "BinarySI"
    assert parse_quantity("1G").format == "DecimalSI"
    assert parse_quantity("1e9").format == "DecimalExponent"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("abc", "expected a number with an optional suffix"),
        ("1K", "did you mean k (1000) or Ki (1024)"),
        ("1mi", "did you mean Mi"),
        ("1e", "unknown suffix 'e'"),
        ("1Mii", "unknown suffix 'Mii'"),
        ("1.5.5", "expected a number"),
        ("1 Mi", "no spaces"),
        ("200MB", "quantities have no 'B'"),
        ("--1", "expected a number"),
        ("1e3.5", "expected a number"),
        ("0x10", "expected a number"),
        ("Pi", "no digits"),
        ("1e99999", "out of range"),
        ("nan", "expected a number"),
        (True, "string or a number"),
        (None, "string or a number"),
        ([1], "string or a number"),
        (float("inf"), "finite"),
    ],
)
def test_invalid_quantities_raise_value_error_with_a_message(text: object, words: str) -> None:
    with pytest.raises(ValueError, match="quantit") as info:
        parse_quantity(text)
    assert words in str(info.value)


@given(st.integers(min_value=0, max_value=10**15), st.sampled_from(["Ki", "Mi", "Gi", "Ti"]))
def test_binary_suffixes_multiply_exactly(n: int, suffix: str) -> None:
    power = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40}[suffix]
    assert parse_quantity(f"{n}{suffix}").value == min(n << power, 2**63 - 1)


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10**6),
       st.sampled_from(["n", "u", "m", "", "k", "M", "G", "T"]))
def test_decimal_values_are_exact_and_round_up(whole: int, fraction: int, suffix: str) -> None:
    exponent = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12}[suffix]
    text = f"{whole}.{fraction}{suffix}"
    exact = Fraction(f"{whole}.{fraction}") * Fraction(10) ** exponent
    nanos = -(-exact * 10**9 // 1)  # rounded up to a whole nano
    assert parse_quantity(text) == Quantity(int(nanos), "DecimalSI")
    assert parse_quantity(text).millis == -(-nanos // 10**6)


@given(st.text(max_size=12))
def test_any_text_parses_or_raises_value_error(text: str) -> None:
    try:
        q = parse_quantity(text)
    except ValueError as exc:
        assert str(exc)
    else:
        assert isinstance(q.nanos, int)


@given(st.text(alphabet="0123456789.+-eEinumkKMGTP ", max_size=10))
def test_quantity_shaped_text_parses_or_raises_value_error(text: str) -> None:
    try:
        q = parse_quantity(text)
    except ValueError as exc:
        assert str(exc).startswith(("invalid quantity", "a quantity"))
    else:
        assert q.format in ("DecimalSI", "BinarySI", "DecimalExponent")


@pytest.mark.parametrize(("text", "expected"), [
    ("0", True), ("0123456789", True), ("", False), (" 1", False), ("+1", False), ("1.0", False),
    ("\u0661\u0660", False), ("\uff11\uff10", False), ("\u00b2", False), ("1\u0660", False)])
def test_only_ascii_digits_are_digits(text: str, expected: bool) -> None:
    """The one rule for digits (Go's strconv): str.isdigit() and \\d also take "١٠", "１０" and "²"."""
    assert is_ascii_digits(text) is expected


def test_an_exponent_of_other_digits_is_no_exponent() -> None:
    with pytest.raises(ValueError, match="^invalid quantity '1e\u0663': expected a number"):
        parse_quantity("1e\u0663")
