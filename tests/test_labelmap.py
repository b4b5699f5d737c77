"""Label maps (``rollsim.spec.labelmap``): read-only mappings equal to dicts, small per node."""

from __future__ import annotations

import pickle
import sys

import pytest
from rollsim.spec.labelmap import HOSTNAME_LABEL, frozen_map
from rollsim.spec.node import Node, kubelet_labels, uniform_nodes


@pytest.mark.parametrize("data", [
    {}, {"a": "1"}, {"a": "1", "b": ""}, kubelet_labels("n-7"), {HOSTNAME_LABEL: "h"},
    {"zone": "z1", HOSTNAME_LABEL: "h", "kubernetes.io/os": "windows"},
])
def test_a_frozen_map_reads_as_its_dict(data: dict[str, str]) -> None:
    frozen = frozen_map(data, "labels")
    assert frozen == data and data == frozen and dict(frozen) == data
    assert list(frozen) == list(data) and len(frozen) == len(data) and repr(frozen) == repr(data)
    assert all(frozen[k] == v and frozen.get(k) == v and k in frozen for k, v in data.items())
    assert frozen.get("missing") is None and frozen.get("missing", "x") == "x" and "missing" not in frozen
    with pytest.raises(KeyError):
        frozen["missing"]
    assert frozen != {**data, "extra": "1"}
    assert frozen_map(frozen, "labels") is frozen
    assert pickle.loads(pickle.dumps(frozen)) == frozen


def test_equal_maps_hash_alike_whatever_their_form() -> None:
    """A map with a hostname label (template and host) and one without are equal and hash
    equally to another map of the same items, in any key order.
    """
    a = frozen_map(kubelet_labels("x"), "labels")
    b = frozen_map(dict(reversed(kubelet_labels("x").items())), "labels")
    assert a == b and hash(a) == hash(b)
    assert frozen_map({"a": "1", "b": "2"}, "s") == frozen_map({"b": "2", "a": "1"}, "s")
    assert hash(frozen_map({"a": "1", "b": "2"}, "s")) == hash(frozen_map({"b": "2", "a": "1"}, "s"))
    assert a != frozen_map(kubelet_labels("y"), "labels")


def test_a_pools_nodes_share_all_but_their_hostname() -> None:
    """Nodes whose labels differ only in the hostname hold one small object each."""
    first, second = (node.labels for node in uniform_nodes(2))
    assert first["kubernetes.io/hostname"] == "node-0" and second["kubernetes.io/hostname"] == "node-1"
    assert first._template is second._template  # type: ignore[attr-defined]
    assert sys.getsizeof(first) <= 48


def test_keys_and_values_must_be_strings() -> None:
    with pytest.raises(ValueError, match="node labels must map str to str"):
        Node("a", {"k": 1})  # type: ignore[dict-item]
