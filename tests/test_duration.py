"""Durations read as Go's time.ParseDuration reads them (src/time/format.go)."""

from __future__ import annotations

import pytest
from rollsim.spec.duration import format_bound, format_duration, go_duration_ns, go_duration_seconds, read_duration

H = 3600 * 10**9


@pytest.mark.parametrize(("text", "ns"), [
    ("5m", 300 * 10**9), ("-5m", -300 * 10**9), ("+5m", 300 * 10**9), ("-1.5h", -5400 * 10**9),
    ("0", 0), ("-0", 0), ("+0", 0), ("-0s", 0),
    (".5s", 5 * 10**8), ("5.s", 5 * 10**9), ("-.5s", -5 * 10**8),
    ("1h30m", 5400 * 10**9), ("6.071s", 6_071_000_000), ("812ms", 812_000_000), ("1µs", 1000), ("1μs", 1000),
    ("0.5ns", 0), ("1.9ns", 1), ("1.0000000000000000000000001h", H),  # whole nanoseconds, truncated
    ("0.1h", 360 * 10**9), ("1.3h", 4680 * 10**9),  # float64 fractions, as Go computes them
    ("2562047h", 2562047 * H), ("2562047h47m16.854775807s", 2**63 - 1), ("-2562047h47m16.854775808s", -(2**63)),
])
def test_go_reads_these_durations(text: str, ns: int) -> None:
    assert go_duration_ns(text) == ns


@pytest.mark.parametrize("text", [
    "2562048h", "9999999999h", "2562047h47m16.854775808s", "9223372036854775808ns", "9" * 30 + "s",  # past int64
    "", "-", "+", "5", "-5", "1h30", ".s", ".", "-.s", "1e3s", "5sec", "5 s", "s", "--5s", "+-5s", "1h-5m",
])
def test_go_refuses_these_durations(text: str) -> None:
    assert go_duration_ns(text) is None


def test_seconds_are_whole_nanoseconds_and_a_bare_number_takes_the_unit_given() -> None:
    assert go_duration_seconds("0.5ns") == 0.0 and go_duration_seconds("812ms") == 0.812
    assert go_duration_seconds("1800") is None and go_duration_seconds("1800", bare_unit="s") == 1800.0
    assert [go_duration_seconds(t, bare_unit="s") for t in (".5", "5.", "0.5", "-5", "+5", "-0")] == \
        [0.5, 5.0, 0.5, -5.0, 5.0, 0.0]
    assert go_duration_seconds("1e3", bare_unit="s") is None and go_duration_seconds("9" * 30, bare_unit="s") is None


def test_a_bound_is_written_rounded_up():
    """A bound over a window never reads as the window, and reads as the window a relaxation allows
    (audit 30: "p95 bound 47m03s" beside "allow 47m04s" for a bound of 2823.4 s).
    """
    assert format_duration(1800.2) == "30m00s" and format_bound(1800.2) == "30m01s"
    assert format_bound(2823.4) == "47m04s" and format_bound(2823.0) == "47m03s"
    assert format_bound(4.21) == "4.3s" and format_bound(4.2) == "4.2s" and format_bound(9.99) == "10s"
    assert format_bound(float("inf")) == "∞" and format_bound(None) == format_duration(None)


@pytest.mark.parametrize(("text", "why"), [
    ("99999999h", "past the longest duration Go's time.ParseDuration reads, 2562047h47m16s"),
    ("2562048h", "past the longest duration"), ("9" * 30, "past the longest duration"),
    ("1h30", "write 1h30m"), ("1h 30m", "write 1h30m"),
])
def test_a_refused_duration_says_what_is_wrong(text: str, why: str) -> None:
    """Audit 34: --window 99999999h was refused as "must be a duration such as 30m", which it is."""
    with pytest.raises(ValueError, match="must be a duration") as refused:
        read_duration(text)
    assert why in str(refused.value)
    with pytest.raises(ValueError) as bad:
        read_duration("5sec")
    assert "past the longest" not in str(bad.value)
