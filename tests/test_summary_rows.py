"""A summary row as the report and the findings read it: absent numbers, completion counts, the SLO verdict."""

from __future__ import annotations

import math

import pandas as pd
from rollsim.present.readings import completion
from rollsim.present.summary_rows import completed_counts, completed_text, num, slo_failed, slo_ok

NAN = math.nan


def test_counts_come_from_completed_else_from_the_fraction_else_are_unknown() -> None:
    assert completed_counts({"runs": 3, "completed": 2}) == (2, 3)
    assert completed_text({"runs": 3, "completed": 2}) == "2/3"
    assert completed_text({"runs": 4, "completed_fraction": 0.75}) == "3/4"  # an older summary
    assert completed_text({"runs": 3, "completed": NAN, "completed_fraction": 1.0}) == "3/3"
    done, runs = completed_counts({"runs": 3})  # neither: unknown, not an error
    assert math.isnan(done) and runs == 3 and completed_text({"runs": 3}) == "—"
    assert completed_text({"completed": 2}) == "—"


def test_findings_read_a_row_without_counts_by_its_duration() -> None:
    summary = pd.DataFrame([{"config": 0, "label": "a", "runs": 3, "duration_s_mean": 90.0},
                            {"config": 1, "label": "b", "runs": 3, "duration_s_mean": NAN, "stop_cause": ""}])
    assert completion(summary)[0].startswith("1 of 2 configurations completed in every replication")
    assert "b (—)" in " ".join(completion(summary))


def test_numbers_and_verdicts_as_a_csv_gives_them() -> None:
    assert num("12.5") == 12.5 and math.isnan(num(None)) and math.isnan(num("n/a"))
    assert slo_ok({}) and slo_ok({"slo_ok": NAN}) and slo_ok({"slo_ok": "True"}) and not slo_ok({"slo_ok": "false"})
    assert not slo_ok({"slo_ok": 0}) and slo_ok({"slo_ok": "yes"})
    assert slo_failed({"slo_failed": "duration;floor"}) == ["duration", "floor"]
    assert slo_failed({"slo_failed": NAN}) == []
