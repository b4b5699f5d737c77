"""Where a report table's cells may break, how wide its columns must be, and how a table too
wide for a narrow window is split (``rollsim.present.tablefit``).
"""

from __future__ import annotations

import pytest
from rollsim.present.tablefit import column_widths, pieces, split_columns


@pytest.mark.parametrize(("text", "parts"), [
    ("lognormal(median=24, p95=40)", ["lognormal(", "median=24,", "p95=40)"]),  # after a name's parenthesis
    ("stragglers(median=14, p95=24, fraction=0.02, tail=500)",
     ["stragglers(", "median=14,", "p95=24,", "fraction=0.02,", "tail=500)"]),
    ("2h26m06s (2h18m44s–2h33m28s)", ["2h26m06s", "(2h18m44s–", "2h33m28s)"]),  # after a range's dash
    ("1,000,000,000", ["1,000,000,000"]),  # a number is one word
    ("identical pipeline, max_unavailable=10%", ["identical", "pipeline,", "max_unavailable=10%"]),
    ("✗ min_available_fraction: 94.9%", ["✗", "min_available_fraction:", "94.9%"]),  # a setting's name is one word
    ("maxUnavailable 10%, node_utilization=0.75", ["maxUnavailable", "10%,", "node_utilization=0.75"]),
    ("9 DaemonSets kube-system/ds-1 … kube-system/ds-9", ["9", "DaemonSets", "kube-system/ds-1", "…",
                                                        "kube-system/ds-9"]),  # never at a name's hyphen
    ("watch delays 2-5 s", ["watch", "delays", "2-5", "s"]),
])
def test_a_cell_breaks_between_words_only(text, parts) -> None:
    assert pieces(text) == parts


def test_a_header_breaks_where_a_browser_breaks_it() -> None:
    assert pieces("unavailable node-hours (mean)", header=True) == ["unavailable", "node-", "hours", "(mean)"]


def test_a_column_is_as_wide_as_its_longest_unbreakable_piece() -> None:
    widths = column_widths(["configuration", "app ready time (s)", "n"],
                           [["a", "lognormal(median=0.05, p95=0.25)", "1"], ["b", "—", "22"]])
    assert widths[0] == pytest.approx(1.1 * len("configuration") + 2)  # a bold header
    assert widths[1] == pytest.approx(len("median=0.05,") + 2)
    assert widths[2] == pytest.approx(7 + 2)  # at least a cell's least width


def test_a_table_that_fits_is_one_table() -> None:
    assert split_columns([20.0] * 5) == [[0, 1, 2, 3, 4]]
    assert split_columns([200.0, 200.0]) == [[0, 1]]  # a name and one column: nothing to split


def test_a_wide_table_is_split_where_its_columns_change_kind_each_part_with_the_first_column() -> None:
    settings, results = [15.0] * 6, [12.0] * 7  # 20 + 90 + 84 = 194: too wide for 124
    parts = split_columns([20.0, *settings, *results], keep=1, groups=[7], budget=124)
    assert parts == [[0, 1, 2, 3, 4, 5, 6], [0, 7, 8, 9, 10, 11, 12, 13]]
    assert sorted({c for p in parts for c in p}) == list(range(14))


def test_groups_that_fit_together_stay_together_and_one_too_wide_is_cut_evenly() -> None:
    widths = [20.0, 10.0, 10.0, 50.0, 50.0, 50.0, 50.0]  # groups: 1-2 and 3-6 (200: more than 104 of room)
    assert split_columns(widths, keep=1, groups=[3], budget=124) == [[0, 1, 2], [0, 3, 4], [0, 5, 6]]
    assert split_columns(widths, keep=1, groups=[2, 3], budget=124) == [[0, 1, 2], [0, 3, 4], [0, 5, 6]]
    # no groups given: as few parts as fit, as even as that many allows (not 4 + 1 columns)
    assert split_columns([10.0, *[20.0] * 5], keep=1, budget=100) == [[0, 1, 2, 3], [0, 4, 5]]



def test_one_setting_column_joins_the_results_rather_than_make_a_table_of_its_own() -> None:
    """many: 18 configurations of one swept key gave a table of the name and that one value."""
    widths = [20.0, 10.0, 50.0, 50.0, 50.0, 50.0]  # groups: 1 (a setting) and 2-5 (results, 200 wide)
    parts = split_columns(widths, keep=1, groups=[2], budget=124)
    assert [0, 1] not in parts and parts[0][:3] == [0, 1, 2]
    assert sorted({c for p in parts for c in p}) == list(range(6))
    # many's own: results that fit a table alone, but not with the setting beside them
    widths = [20.0, 15.0, 14.0, 25.0, 14.0, 15.0, 12.0, 9.0, 8.0, 6.0]  # results 103 of 104
    parts = split_columns(widths, keep=1, groups=[2], budget=124)
    assert [0, 1] not in parts and parts[0][:3] == [0, 1, 2] and len(parts) == 2
