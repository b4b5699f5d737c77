"""Label keys and values as the API server validates them (IsQualifiedName, IsValidLabelValue)."""

from __future__ import annotations

import re

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


@pytest.mark.parametrize("text", ["a", "a-b", "0", "a" * 63, "a" * 64, "a.b", "A", "-a", "a-", "", "a_b",
                                  "a" * 63 + ".b", ("a" * 63 + ".") * 3 + "a" * 61, ("a" * 63 + ".") * 3 + "a" * 62,
                                  "a..b", "a.-b"])
def test_the_json_schema_says_what_the_checks_say_of_names_and_namespaces(text: str) -> None:
    """One DNS-1123 pattern: the JSON schema's (editors) is built from the one the checks use."""
    from rollsim.spec.kinds import NAMESPACE, OBJECT_NAME
    from rollsim.spec.labelsyntax import is_dns_label, is_dns_subdomain

    for kind, check in ((NAMESPACE, is_dns_label), (OBJECT_NAME, is_dns_subdomain)):
        schema = kind.schema
        by_schema = (schema["minLength"] <= len(text) <= schema["maxLength"]
                     and re.search(schema["pattern"], text) is not None)
        assert by_schema == check(text), (kind.metavar, text)


@pytest.mark.parametrize("name", ["a" * 64, "Fluentd", "a_b", "-a"])
def test_a_container_name_is_a_dns_label_with_the_api_servers_words(tmp_path, name: str) -> None:
    from rollsim.io.manifest import ManifestError, load_daemonset
    from rollsim.spec.labelsyntax import DNS_LABEL_RULE

    from test_manifest import edit, write

    with pytest.raises(ManifestError, match=f"containers\\[0\\].name: invalid name '.*': {re.escape(DNS_LABEL_RULE)}$"):
        load_daemonset(write(tmp_path, edit(("      - name: agent", f"      - name: {name}"))))
    assert load_daemonset(write(tmp_path, edit(("      - name: agent", f"      - name: {'a' * 63}")))).spec is not None
