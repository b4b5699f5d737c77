"""The other DaemonSets of an update (``also``): what did not complete, in words."""

from __future__ import annotations

from rollsim.present.others import Shortfall, shortfall_text, shortfalls_by_config


def short(name: str, failed: int, config: int = 1, ran: int = 3) -> Shortfall:
    return Shortfall(config, f"config {config}", name, failed, ran, "")


def test_shortfall_text_names_what_did_not_complete_and_how_often() -> None:
    assert shortfall_text([short("node-exporter", 2)]) == "node-exporter did not complete in 2 of 3"
    # as often: named together; else each with its count
    three = [short("a", 3), short("b", 3), short("c", 1)]
    assert shortfall_text(three) == "a, b did not complete in 3 of 3; c in 1 of 3"
    nine = [short(f"ds-{i}", 3) for i in range(1, 10)]
    assert shortfall_text(nine) == "9 DaemonSets ds-1 … ds-9 did not complete in 3 of 3"


def test_shortfalls_are_grouped_by_configuration_in_order() -> None:
    found = [short("a", 1, config=2), short("b", 1, config=0), short("c", 2, config=2)]
    assert {c: [s.name for s in group] for c, group in shortfalls_by_config(found).items()} == {2: ["a", "c"],
                                                                                               0: ["b"]}
    assert list(shortfalls_by_config(found)) == [2, 0]
