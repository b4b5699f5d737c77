"""Label keys and values as the API server validates them (IsQualifiedName, IsValidLabelValue)."""

from __future__ import annotations

import pytest
from rollsim.spec.labelsyntax import label_key_problem, label_value_problem


@pytest.mark.parametrize("key", [
    "a", "A_b.c-d", "kubernetes.io/os", "node-role.kubernetes.io/control-plane", "topology.kubernetes.io/zone",
    "example.com/" + "x" * 63, "a" * 253 + "/b",
])
def test_valid_label_keys(key: str) -> None:
    assert label_key_problem(key) is None


@pytest.mark.parametrize(("key", "why"), [
    ("", "name part must be non-empty"),
    ("-a", "name part must consist of"),
    ("a-", "name part must consist of"),
    ("a b", "name part must consist of"),
    ("x" * 64, "no more than 63 characters"),
    ("/a", "prefix part must be non-empty"),
    ("example.com/", "name part must be non-empty"),
    ("Example.com/a", "prefix part must be a lowercase RFC 1123 subdomain"),
    ("a/b/c", "prefix part"),  # one '/' at most: 'a/b' is no subdomain
    ("a" * 254 + "/b", "at most 253 characters"),
])
def test_invalid_label_keys(key: str, why: str) -> None:
    problem = label_key_problem(key)
    assert problem is not None and why in problem and repr(key) in problem


@pytest.mark.parametrize("value", ["", "x", "v1.2_3", "A-b", "x" * 63])
def test_valid_label_values(value: str) -> None:
    assert label_value_problem(value) is None


@pytest.mark.parametrize(("value", "why"), [
    ("bad value!", "a valid label must consist of"),
    ("-a", "a valid label must consist of"),
    ("a.", "a valid label must consist of"),
    ("x" * 64, "no more than 63 characters"),
    ("\u0661", "a valid label must consist of"),  # ASCII only
])
def test_invalid_label_values(value: str, why: str) -> None:
    problem = label_value_problem(value)
    assert problem is not None and why in problem
