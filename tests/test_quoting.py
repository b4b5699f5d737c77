"""How messages quote what a user wrote: YAML, on one line, never Python's repr of a mapping or a boolean."""

from __future__ import annotations

import numpy as np
import pytest
from rollsim.spec.quoting import as_written, describe, written


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (None, "null"),
        ({"a": [1, "x y"]}, "{a: [1, x y]}"),
        ([1, 2], "[1, 2]"),
        ("abc", "'abc'"),
        (3, "3"),
        (2.5, "2.5"),
    ],
)
def test_written_is_yaml_for_what_python_writes_otherwise(value, text) -> None:
    assert written(value) == text


def test_a_key_yaml_cannot_write_on_one_line_stays_one_line() -> None:
    assert "\n" not in written({"\n": None})


def test_as_written_replaces_only_the_repr_of_the_value() -> None:
    assert as_written("must be an integer, got {'a': 1}", {"a": 1}) == "must be an integer, got {a: 1}"
    assert as_written("must be an integer, got True", True) == "must be an integer, got true"
    assert as_written("must be at least 1, got 'True'", "True") == "must be at least 1, got 'True'"  # a string stays


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "null"), (np.bool_(False), "the boolean false"), ({}, "a mapping"), ([], "a list"), (3, "the number 3")],
)
def test_describe_names_a_kind(value, text) -> None:
    assert describe(value) == text
