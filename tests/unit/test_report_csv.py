"""The readiness CSV shows people's names as text, never as spreadsheet formulas."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pytest

from service.api.reports.formats import readiness_csv
from service.application.report_ports import ReadinessPart


def _row(name: str) -> ReadinessPart:
    row = {
        "member_id": str(uuid.uuid4()),
        "name": name,
        "current_role_id": None,
        "next_role_id": None,
        "overall_score": -0.5,
        "readiness": "top_of_track",
        "weighted_mean_gap": None,
        "manager_recommendation": None,
        "disagreement": False,
        "outlook": {"trend_per_cycle": None, "cycles_to_ready": None},
        "promotion_cost": None,
        "final_ratings": [],
        "gaps": [],
    }
    return ReadinessPart(is_row=True, json=json.dumps(row))


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1 555", "'+1 555"),
        ("-Ann", "'-Ann"),
        ("@Ann", "'@Ann"),
        ("Ann Lee", "Ann Lee"),
        ("O'Neil = great", "O'Neil = great"),
    ],
)
def test_a_name_that_reads_as_a_formula_is_written_as_text(name: str, shown: str) -> None:
    written = "".join(readiness_csv([], [_row(name)]))
    (line,) = csv.DictReader(io.StringIO(written))
    assert line["name"] == shown
    assert line["overall_score"] == "-0.5"  # numbers are not text: left as they are
