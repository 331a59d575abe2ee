"""Writing the reports as JSON or CSV, streamed: memory stays flat whatever their size.

Both formats come from the same JSON that PostgreSQL rendered, so the CSV holds
exactly the JSON's values (numbers as PostgreSQL wrote them, ``true``/``false``,
empty for null).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from service.application.report_ports import ReadinessPart, ReportCompetency

#: Rows written per chunk of the response body.
CHUNK_ROWS = 500

READINESS_COLUMNS = (
    "member_id",
    "name",
    "current_role_id",
    "next_role_id",
    "overall_score",
    "readiness",
    "weighted_mean_gap",
    "manager_recommendation",
    "disagreement",
    "trend_per_cycle",
    "cycles_to_ready",
    "promotion_cost_currency",
    "promotion_cost_amount",
)

METRIC_COLUMNS = ("metric", "competency_id", "key", "value")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


#: What a spreadsheet reads as the start of a formula (OWASP's "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _as_text(value: str | None) -> str | None:
    """A person's own text, written so that a spreadsheet shows it rather than runs it:
    a name such as ``=HYPERLINK(...)`` gets a leading apostrophe."""
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _load(document: str) -> Any:
    # Keep numbers as PostgreSQL wrote them: the CSV then equals the JSON digit for digit.
    return json.loads(document, parse_float=str)


class _Lines:
    """A csv writer into a string buffer, drained chunk by chunk."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")

    def write(self, values: Iterable[Any]) -> None:
        self.writer.writerow([_text(v) for v in values])

    def drain(self) -> str:
        chunk = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return chunk


def readiness_json(cycle_id: str, parts: Iterable[ReadinessPart]) -> Iterator[str]:
    """``{"cycle_id", "rows": [...], "promotion_cost": [...]}``, rows as PostgreSQL wrote them."""
    yield f'{{"cycle_id": "{cycle_id}", "rows": ['
    batch: list[str] = []
    first = True
    costs = "[]"
    for part in parts:
        if not part.is_row:
            costs = part.json
            continue
        batch.append(part.json)
        if len(batch) >= CHUNK_ROWS:
            yield ("" if first else ",") + ",".join(batch)
            first, batch = False, []
    if batch:
        yield ("" if first else ",") + ",".join(batch)
    yield f'], "promotion_cost": {costs}}}'


def readiness_header(competencies: Sequence[ReportCompetency]) -> list[str]:
    header = list(READINESS_COLUMNS)
    for competency in competencies:
        header += [f"final.{competency.key}", f"expected.{competency.key}"]
        header.append(f"gap.{competency.key}")
    return header


def readiness_csv(
    competencies: Sequence[ReportCompetency], parts: Iterable[ReadinessPart]
) -> Iterator[str]:
    """One line per participant; final, expected and gap per competency of the cycle."""
    lines = _Lines()
    lines.write(readiness_header(competencies))
    ids = [str(c.competency_id) for c in competencies]
    count = 0
    for part in parts:
        if not part.is_row:
            continue
        row = _load(part.json)
        cost = row["promotion_cost"] or {}
        finals = {r["competency_id"]: r["score"] for r in row["final_ratings"]}
        gaps = {g["competency_id"]: g for g in row["gaps"]}
        values = [
            row["member_id"],
            _as_text(row["name"]),
            row["current_role_id"],
            row["next_role_id"],
            row["overall_score"],
            row["readiness"],
            row["weighted_mean_gap"],
            row["manager_recommendation"],
            row["disagreement"],
            row["outlook"]["trend_per_cycle"],
            row["outlook"]["cycles_to_ready"],
            cost.get("currency"),
            cost.get("amount"),
        ]
        for competency_id in ids:
            gap = gaps.get(competency_id) or {}
            values += [finals.get(competency_id), gap.get("expected"), gap.get("gap")]
        lines.write(values)
        count += 1
        if count % CHUNK_ROWS == 0:
            yield lines.drain()
    yield lines.drain()


def metric_lines(document: dict[str, Any]) -> Iterator[tuple[str, Any, Any, Any]]:
    """The team-metrics document as ``(metric, competency_id, key, value)`` lines."""
    yield ("participants", None, None, document["participants"])
    completion = document["completion"]
    for key in ("assigned", "submitted", "rate"):
        yield ("completion", None, key, completion[key])
    for review_type, counts in completion["by_type"].items():
        for key in ("assigned", "submitted", "rate"):
            yield (f"completion.by_type.{review_type}", None, key, counts[key])
    for item in document["competencies"]:
        for key in ("mean", "median", "stddev"):
            yield (f"competencies.{key}", item["competency_id"], None, item[key])
        for point, count in item["distribution"].items():
            yield ("competencies.distribution", item["competency_id"], point, count)
    for point, count in document["overall_distribution"].items():
        yield ("overall_distribution", None, point, count)
    for readiness, count in document["readiness_counts"].items():
        yield ("readiness_counts", None, readiness, count)
    calibration = document["calibration"]
    yield ("calibration.changed", None, None, calibration["changed"])
    for item in calibration["mean_shift"]:
        yield ("calibration.mean_shift", item["competency_id"], None, item["value"])
    for item in document["reviewer_leniency"]:
        for key in ("mean_given", "delta", "count"):
            yield (f"reviewer_leniency.{key}", None, item["reviewer_id"], item[key])
    for item in document["self_awareness"]:
        yield ("self_awareness", item["competency_id"], None, item["value"])
    change = document["change_since_previous"]
    if change is None:
        yield ("change_since_previous", None, None, None)
    else:
        for item in change:
            yield ("change_since_previous", item["competency_id"], None, item["value"])
    for box in document["nine_box"]:
        yield ("nine_box", None, f"{box['performance']}/{box['potential']}", box["count"])
    yield ("nine_box_unplaced", None, None, document["nine_box_unplaced"])


def team_metrics_csv(document: str) -> Iterator[str]:
    lines = _Lines()
    lines.write(METRIC_COLUMNS)
    for line in metric_lines(_load(document)):
        lines.write(line)
    yield lines.drain()
