"""Budget arithmetic (``rollsim.spec.budget``): int-or-percent parsing, scaling, validation, and
upstream ``TestGetUnavailableNumbers`` (pkg/controller/daemon/update_test.go)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rollsim.spec.budget import (
    Budgets,
    allows_surge,
    is_zero,
    parse_int_or_percent,
    scaled_value,
    updated_desired_node_counts,
    validate_rolling_update,
)

# -- TestGetUnavailableNumbers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "desired", "max_unavailable", "max_surge", "expected"),
    [
        # expected = (maxSurge, maxUnavailable, desiredNumberScheduled)
        ("No nodes", 0, 0, 0, (0, 0, 0)),
        ("Two nodes with ready pods", 2, 1, 0, (0, 1, 2)),
        ("Two nodes, one node without pods", 2, 0, 0, (0, 1, 2)),
        ("Two nodes, one node without pods, surge", 2, 0, 0, (0, 1, 2)),
        ("Two nodes with pods, MaxUnavailable in percents", 2, "50%", 0, (0, 1, 2)),
        ("Two nodes with pods, MaxUnavailable in percents, surge", 2, 0, "50%", (1, 0, 2)),
        ("Two nodes with pods, MaxUnavailable is 100%, surge", 2, 0, "100%", (2, 0, 2)),
        ("Two nodes with pods, MaxUnavailable in percents, pod terminating", 3, "50%", 0, (0, 2, 3)),
    ],
)
def test_get_unavailable_numbers(name: str, desired: int, max_unavailable, max_surge, expected) -> None:
    """Upstream ``TestGetUnavailableNumbers`` (pkg/controller/daemon/update_test.go).

    ``desired`` is the number of nodes that should run the pod (every node in these cases;
    pods, empty nodes and terminating pods do not change it). Both budgets zero falls back
    to maxUnavailable=1 when desired > 0; percentages are rounded up (50% of 3 -> 2).
    """
    got = updated_desired_node_counts(desired, max_unavailable, max_surge)
    assert isinstance(got, Budgets)
    assert (got.max_surge, got.max_unavailable, got.desired) == expected, name


def test_updated_desired_node_counts_not_rolling() -> None:
    """For a non-RollingUpdate strategy both counts scale to 0; the run-time fallback still
    makes maxUnavailable 1 when some node should run the pod (as upstream)."""
    assert tuple(updated_desired_node_counts(5, "50%", 0, rolling=False)) == (0, 1, 5)
    assert tuple(updated_desired_node_counts(0, "50%", 0, rolling=False)) == (0, 0, 0)


def test_percent_budget_recomputed_from_desired() -> None:
    """A percent budget follows desiredNumberScheduled (nodes joining or leaving)."""
    assert updated_desired_node_counts(288, "5%", 0).max_unavailable == 15  # NVSentinel #1764
    assert updated_desired_node_counts(300, "5%", 0).max_unavailable == 15
    assert updated_desired_node_counts(301, "5%", 0).max_unavailable == 16
    assert updated_desired_node_counts(164, "10%", 0).max_unavailable == 17  # test-infra #31706
    assert updated_desired_node_counts(19, "10%", 0).max_unavailable == 2
    assert updated_desired_node_counts(10, 0, "10%").max_surge == 1
    assert updated_desired_node_counts(1, "1%", 0).max_unavailable == 1


# -- parse_int_or_percent ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0), (3, 3), ("3", 3), ("0", 0), ("10%", "10%"), ("0%", "0%"), ("100%", "100%"),
     ("250%", "250%")],
)
def test_parse_int_or_percent_accepts(value, expected) -> None:
    got = parse_int_or_percent(value)
    assert got == expected
    assert type(got) is type(expected)


@pytest.mark.parametrize(
    "value",
    [-1, "-1", "-10%", "abc", "", "%", "10%%", "1.5", "1.5%", "10 %", "%10", "0x10", 1.5, None,
     True, False, [], {}, "ten"],
)
def test_parse_int_or_percent_rejects(value) -> None:
    with pytest.raises(ValueError):
        parse_int_or_percent(value)


@pytest.mark.parametrize("value", ["\u0661\u0660%", "\uff11\uff10%", "\u0661\u0660", "\uff11\uff10", "\u00b2",
                                   "\u00b2%", "-\u0661", "1\u0660"])
def test_only_ascii_digits_make_an_int_or_percent(value) -> None:
    """Go's strconv.Atoi (intstr) reads ASCII digits only; "١٠%" was taken as 10% and "²" was
    "invalid literal for int() with base 10".
    """
    with pytest.raises(ValueError, match=r"^maxSurge must be an integer or a percent such as '10%', got "):
        parse_int_or_percent(value, "maxSurge")


@pytest.mark.parametrize("value", ["\u0661\u0660%", "\uff11\uff10%", "\u00b2"])
def test_the_flag_gives_the_rule_for_non_ascii_digits(value, capsys) -> None:
    from rollsim.cli import main

    assert main(["simulate", "--nodes", "10", "--max-unavailable", value]) == 2
    assert capsys.readouterr().err == (f"rollsim: error: argument --max-unavailable: value must be an integer or a "
                                       f"percent such as '10%', got {value!r}\n")


def test_parse_int_or_percent_names_the_field() -> None:
    with pytest.raises(ValueError, match="maxSurge"):
        parse_int_or_percent("bad", "maxSurge")


# -- scaled_value ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "total", "expected"),
    [
        (5, 100, 5),
        (5, 0, 5),  # an int is used as given
        ("5%", 288, 15),  # ceil(14.4)
        ("50%", 3, 2),  # ceil(1.5)
        ("50%", 2, 1),
        ("10%", 164, 17),
        ("1%", 1, 1),
        ("0%", 1000, 0),
        ("100%", 7, 7),
        ("10%", 0, 0),
        ("33%", 100, 33),
        ("200%", 3, 6),
    ],
)
def test_scaled_value_rounds_up(value, total: int, expected: int) -> None:
    assert scaled_value(value, total) == expected


def test_scaled_value_round_down() -> None:
    assert scaled_value("5%", 288, round_up=False) == 14
    assert scaled_value("50%", 3, round_up=False) == 1
    assert scaled_value(4, 10, round_up=False) == 4


def test_is_zero() -> None:
    assert is_zero(0) and is_zero("0%")
    assert not is_zero(1) and not is_zero("1%")


# -- validate_rolling_update -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("mu", "ms", "expected"),
    [
        (1, 0, (1, 0)),
        (0, 1, (0, 1)),
        ("3", 0, (3, 0)),
        ("25%", 0, ("25%", 0)),
        ("100%", "0%", ("100%", "0%")),
        ("0%", "10%", ("0%", "10%")),
        (0, "100%", (0, "100%")),
        (10, "0", (10, 0)),
    ],
)
def test_validate_rolling_update_accepts(mu, ms, expected) -> None:
    assert validate_rolling_update(mu, ms) == expected


@pytest.mark.parametrize("mu, ms", [(0, 0), ("0%", 0), (0, "0%"), ("0%", "0%"), ("0", "0")])
def test_validate_rolling_update_rejects_both_zero(mu, ms) -> None:
    with pytest.raises(ValueError, match="cannot be 0"):
        validate_rolling_update(mu, ms)


@pytest.mark.parametrize("mu, ms", [(1, 1), ("10%", 1), (1, "10%"), ("1%", "1%"), (5, "100%")])
def test_validate_rolling_update_rejects_both_non_zero(mu, ms) -> None:
    with pytest.raises(ValueError, match="may not be set"):
        validate_rolling_update(mu, ms)


@pytest.mark.parametrize("mu, ms", [("101%", 0), (0, "101%"), ("250%", 0), (0, "1000%")])
def test_validate_rolling_update_rejects_over_100_percent(mu, ms) -> None:
    with pytest.raises(ValueError, match="100%"):
        validate_rolling_update(mu, ms)


@pytest.mark.parametrize("mu, ms", [(-1, 0), (0, -1), (-1, 1), ("-5%", 0), (0, "-1")])
def test_validate_rolling_update_rejects_negative(mu, ms) -> None:
    with pytest.raises(ValueError):
        validate_rolling_update(mu, ms)


@pytest.mark.parametrize(
    "mu, ms", [("abc", 0), (0, "x%"), ("1.5", 0), ("", 1), (None, 1), (1, None), ("10 %", 0), (True, 0)]
)
def test_validate_rolling_update_rejects_bad_strings(mu, ms) -> None:
    with pytest.raises(ValueError):
        validate_rolling_update(mu, ms)


# -- allows_surge ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("max_surge", "rolling", "expected"),
    [
        (0, True, False),
        ("0%", True, False),
        (1, True, True),
        (3, True, True),
        ("1%", True, True),  # SurgeCount(ds, 1) = ceil(0.01) = 1
        ("100%", True, True),
        (1, False, False),  # OnDelete never surges
        ("50%", False, False),
    ],
)
def test_allows_surge(max_surge, rolling: bool, expected: bool) -> None:
    assert allows_surge(max_surge, rolling) is expected


# -- property ------------------------------------------------------------------------------

_nonzero_value = st.one_of(
    st.integers(min_value=1, max_value=10_000),
    st.integers(min_value=1, max_value=100).map(lambda p: f"{p}%"),
)
_zero_value = st.sampled_from([0, "0%", "0"])
_valid_pair = st.one_of(
    st.tuples(_nonzero_value, _zero_value),  # maxUnavailable only
    st.tuples(_zero_value, _nonzero_value),  # maxSurge only
)


def _expected(value, desired: int) -> int:
    if isinstance(value, str) and value.endswith("%"):
        p = int(value[:-1])
        return -(-p * desired // 100)  # exact integer ceil(p * desired / 100)
    return int(value)


@settings(max_examples=200, deadline=None)
@given(desired=st.integers(min_value=1, max_value=100_000), pair=_valid_pair)
def test_resolved_budgets_never_both_zero(desired: int, pair) -> None:
    """For any desired > 0 and any pair validation accepts, the resolved budgets are never
    both zero, and a percent budget is ceil(p * desired / 100)."""
    mu, ms = validate_rolling_update(*pair)
    budgets = updated_desired_node_counts(desired, mu, ms)
    assert budgets.desired == desired
    assert budgets.max_unavailable > 0 or budgets.max_surge > 0
    assert budgets.max_surge == _expected(ms, desired)
    want_mu = _expected(mu, desired)
    assert budgets.max_unavailable == (want_mu if want_mu or budgets.max_surge else 1)
    for value, got in ((mu, budgets.max_unavailable), (ms, budgets.max_surge)):
        if isinstance(value, str) and value.endswith("%") and got:
            assert got == math.ceil(int(value[:-1]) * desired / 100)
    # a non-zero percent of a positive count is never rounded away
    assert not (budgets.max_unavailable == 0 and budgets.max_surge == 0)


@pytest.mark.parametrize("text", ["-1", "-10%", " -3 "])
def test_a_negative_budget_is_named_as_negative(text) -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        parse_int_or_percent(text, "maxUnavailable")
