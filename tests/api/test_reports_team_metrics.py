"""Team metrics end to end, hand-computed for a head of product's subtree in Q3
(the organisation of ``tests/support/report_world.py``).

Final ratings (s, l, e) of H's people: A 3 3 4, B 4 3 4, C 3 3 3, D 3 3 3 (calibrated),
E 4 4 4, T 5 5 5; overall scores 3.3333, 3.75, 3, 3, 4, 5. Self reviews by A (4 4 4),
B (3 3 4) and C (4 3 3). Q2 (the previous released cycle) has finals for B (4 4 3)
and C (3 2 2) only.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask import Flask

from tests.support.api import expect
from tests.support.report_world import METRICS, Reviewed, build_world


@pytest.fixture(scope="module")
def world(app: Flask) -> Reviewed:
    return build_world(app)


@pytest.fixture(scope="module")
def metrics(world: Reviewed) -> dict[str, Any]:
    return dict(expect(world.people["H"].api.get(f"{METRICS}?cycle_id={world.cycles['Q3']}"), 200))


def _by_competency(
    world: Reviewed, items: list[dict[str, Any]], field: str = "value"
) -> dict[str, Any]:
    names = {v: k for k, v in world.comps.items()}
    return {names[i["competency_id"]]: i[field] for i in items}


def test_participants_and_completion(metrics: dict[str, Any]) -> None:
    assert metrics["participants"] == 6
    completion = metrics["completion"]
    assert (completion["assigned"], completion["submitted"], completion["rate"]) == (12, 9, 0.75)
    assert completion["by_type"] == {
        "self": {"assigned": 6, "submitted": 3, "rate": 0.5},
        "manager": {"assigned": 6, "submitted": 6, "rate": 1},
        "peer": {"assigned": 0, "submitted": 0, "rate": None},
        "upward": {"assigned": 0, "submitted": 0, "rate": None},
    }


def test_per_competency_statistics(world: Reviewed, metrics: dict[str, Any]) -> None:
    items = metrics["competencies"]
    assert _by_competency(world, items, "mean") == {"s": 3.6667, "l": 3.5, "e": 3.8333}
    assert _by_competency(world, items, "median") == {"s": 3.5, "l": 3, "e": 4}
    # Population standard deviations: sqrt(5/9), sqrt(7/12), sqrt(17/36).
    assert _by_competency(world, items, "stddev") == {"s": 0.7454, "l": 0.7638, "e": 0.6872}
    assert _by_competency(world, items, "distribution") == {
        "s": {"1": 0, "2": 0, "3": 3, "4": 2, "5": 1},
        "l": {"1": 0, "2": 0, "3": 4, "4": 1, "5": 1},
        "e": {"1": 0, "2": 0, "3": 2, "4": 3, "5": 1},
    }


def test_overall_distribution_and_readiness_counts(metrics: dict[str, Any]) -> None:
    assert metrics["overall_distribution"] == {"1": 0, "2": 0, "3": 3, "4": 2, "5": 1}
    assert metrics["readiness_counts"] == {
        "ready_now": 3, "ready_soon": 1, "not_ready": 1, "top_of_track": 1,
    }  # fmt: skip


def test_calibration_leniency_and_self_awareness(world: Reviewed, metrics: dict[str, Any]) -> None:
    assert metrics["calibration"]["changed"] == 1
    assert _by_competency(world, metrics["calibration"]["mean_shift"]) == {
        "s": 0.1667, "l": 0, "e": 0,
    }  # fmt: skip
    assert metrics["reviewer_leniency"] == [
        {"reviewer_id": world.people["H"].id, "mean_given": 3.6111, "delta": 0, "count": 18}
    ]
    assert _by_competency(world, metrics["self_awareness"]) == {"s": 0.3333, "l": 0.3333, "e": 0}


def test_change_since_the_previous_released_cycle(world: Reviewed, metrics: dict[str, Any]) -> None:
    assert _by_competency(world, metrics["change_since_previous"]) == {
        "s": 0.1667, "l": 0.5, "e": 1.3333,
    }  # fmt: skip
    first = expect(world.org.admin.api.get(f"{METRICS}?cycle_id={world.cycles['Q1']}"), 200)
    assert first["change_since_previous"] is None


def test_the_nine_box_lists_all_nine(metrics: dict[str, Any]) -> None:
    boxes = {(b["performance"], b["potential"]): b["count"] for b in metrics["nine_box"]}
    assert len(metrics["nine_box"]) == 9
    assert {k: v for k, v in boxes.items() if v} == {
        ("medium", "high"): 1,  # A 3.3333
        ("high", "medium"): 1,  # B 3.75
        ("medium", "medium"): 1,  # C 3
        ("medium", "low"): 1,  # D 3
        ("high", "high"): 2,  # E 4, T 5
    }
    assert metrics["nine_box_unplaced"] == 0  # all six have a score and a potential


def test_an_admin_sees_everyone(world: Reviewed) -> None:
    body = expect(world.org.admin.api.get(f"{METRICS}?cycle_id={world.cycles['Q3']}"), 200)
    assert body["participants"] == 7
    assert body["readiness_counts"]["ready_now"] == 4  # F as well
    leniency = {x["reviewer_id"]: x for x in body["reviewer_leniency"]}
    # All 21 manager ratings: 65 + 9 = 74, mean 3.5238; H gave 18 (3.6111), H2 gave 3 (3).
    assert leniency[world.people["H"].id]["delta"] == 0.0873
    assert leniency[world.people["H2"].id] == {
        "reviewer_id": world.people["H2"].id, "mean_given": 3, "delta": -0.5238, "count": 3,
    }  # fmt: skip
    assert body["reviewer_leniency"][0]["reviewer_id"] == world.people["H"].id


def test_the_csv_has_one_line_per_metric(world: Reviewed, metrics: dict[str, Any]) -> None:
    path = f"{METRICS}?cycle_id={world.cycles['Q3']}"
    answer = world.people["H"].api.get(path, headers={"Accept": "text/csv"})
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert lines[0] == ["metric", "competency_id", "key", "value"]
    found = {(m, c, k): v for m, c, k, v in lines[1:]}
    assert len(found) == len(lines) - 1
    assert float(found[("participants", "", "")]) == metrics["participants"]
    assert float(found[("completion.by_type.self", "", "rate")]) == 0.5
    assert found[("completion.by_type.peer", "", "rate")] == ""
    s = world.comps["s"]
    assert float(found[("competencies.mean", s, "")]) == 3.6667
    assert found[("competencies.distribution", s, "3")] == "3"
    assert float(found[("calibration.mean_shift", s, "")]) == 0.1667
    h = world.people["H"].id
    assert float(found[("reviewer_leniency.mean_given", "", h)]) == 3.6111
    assert found[("nine_box", "", "high/high")] == "2"
    assert found[("nine_box_unplaced", "", "")] == "0"
    assert found[("readiness_counts", "", "top_of_track")] == "1"
    assert float(found[("change_since_previous", world.comps["e"], "")]) == 1.3333
    every_number = [v for (m, *_), v in found.items() if v != ""]
    assert all(float(v) == float(v) for v in every_number)


def test_the_csv_says_when_there_is_no_previous_cycle(world: Reviewed) -> None:
    path = f"{METRICS}?cycle_id={world.cycles['Q1']}"
    text = world.org.admin.api.get(path, headers={"Accept": "text/csv"}).get_data(as_text=True)
    assert "change_since_previous,,,\r\n" in text
