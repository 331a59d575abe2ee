"""Promotion readiness end to end, through the cycle workflow, with hand-computed values
(the organisation of ``tests/support/report_world.py``)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask

from tests.support.api import expect
from tests.support.report_world import READINESS, Reviewed, build_world


@pytest.fixture(scope="module")
def world(app: Flask) -> Reviewed:
    return build_world(app)


def _rows(body: dict[str, Any], world: Reviewed) -> dict[str, dict[str, Any]]:
    names = {p.id: n for n, p in world.people.items()}
    return {names[r["member_id"]]: r for r in body["rows"]}


def _finals(world: Reviewed, row: dict[str, Any]) -> tuple[int, ...]:
    by_id = {r["competency_id"]: r["score"] for r in row["final_ratings"]}
    return tuple(by_id[world.comps[k]] for k in "sle")


def test_each_class_with_its_gaps_and_a_calibration_overriding_the_manager(
    world: Reviewed,
) -> None:
    body = expect(world.people["H"].api.get(f"{READINESS}?cycle_id={world.cycles['Q3']}"), 200)
    rows = _rows(body, world)
    assert list(rows) == ["A", "B", "C", "D", "E", "T"]  # H's subtree, ordered by name
    assert {n: r["readiness"] for n, r in rows.items()} == {
        "A": "ready_now", "B": "ready_soon", "C": "not_ready", "D": "ready_now",
        "E": "ready_now", "T": "top_of_track",
    }  # fmt: skip
    assert _finals(world, rows["D"]) == (3, 3, 3)  # the calibration beats the manager's 2
    assert {n: r["overall_score"] for n, r in rows.items()} == {
        "A": 3.3333, "B": 3.75, "C": 3, "D": 3, "E": 4, "T": 5,
    }  # fmt: skip
    assert {n: r["weighted_mean_gap"] for n, r in rows.items()} == {
        "A": 0.25, "B": -0.25, "C": -1, "D": 0, "E": 0, "T": None,
    }  # fmt: skip
    b = rows["B"]
    assert b["current_role_id"] == world.roles["R2"]
    assert b["next_role_id"] == world.roles["R3"]
    assert [(g["final"], g["expected"], g["gap"]) for g in b["gaps"]] == [
        (4, 4, 0), (3, 4, -1), (4, 4, 0),
    ]  # fmt: skip
    assert rows["T"]["gaps"] == []
    assert rows["T"]["next_role_id"] is None


def test_recommendations_and_disagreements(world: Reviewed) -> None:
    body = expect(world.org.admin.api.get(f"{READINESS}?cycle_id={world.cycles['Q3']}"), 200)
    rows = _rows(body, world)
    assert {n: (r["manager_recommendation"], r["disagreement"]) for n, r in rows.items()} == {
        "A": ("ready_now", False),
        "B": ("ready_now", True),  # computed ready_soon
        "C": ("not_ready", False),
        "D": ("ready_soon", True),  # computed ready_now after calibration
        "E": (None, False),
        "F": ("ready_now", False),
        "T": ("ready_now", False),  # never for the top of the track
    }


def test_a_rising_and_a_falling_outlook(world: Reviewed) -> None:
    rows = _rows(
        expect(world.org.admin.api.get(f"{READINESS}?cycle_id={world.cycles['Q3']}"), 200), world
    )
    # C: -2, -1.5, -1 -> slope 0.5, ready in ceil(1 / 0.5) = 2 cycles.
    assert rows["C"]["outlook"] == {"trend_per_cycle": 0.5, "cycles_to_ready": 2}
    # B: 0, -0.25, -0.25 -> slope -0.125: no realistic date.
    assert rows["B"]["outlook"] == {"trend_per_cycle": -0.125, "cycles_to_ready": None}
    # One point only (earlier manager reviews left open): no trend; ready already.
    assert rows["A"]["outlook"] == {"trend_per_cycle": None, "cycles_to_ready": 0}
    assert rows["T"]["outlook"] == {"trend_per_cycle": None, "cycles_to_ready": None}


def test_a_past_report_looks_back_from_its_own_cycle(world: Reviewed) -> None:
    rows = _rows(
        expect(world.org.admin.api.get(f"{READINESS}?cycle_id={world.cycles['Q2']}"), 200), world
    )
    # C in Q2: -2, -1.5 -> slope 0.5, ceil(1.5 / 0.5) = 3; Q3 ended later and does not count.
    assert rows["C"]["outlook"] == {"trend_per_cycle": 0.5, "cycles_to_ready": 3}
    assert rows["A"]["readiness"] is None  # no submitted manager review in Q2
    assert [g["final"] for g in rows["A"]["gaps"]] == [None, None, None]


def test_promotion_cost_in_two_currencies(world: Reviewed) -> None:
    admin = expect(world.org.admin.api.get(f"{READINESS}?cycle_id={world.cycles['Q3']}"), 200)
    rows = _rows(admin, world)
    assert rows["A"]["promotion_cost"] == {"currency": "EUR", "amount": 15000}
    assert rows["E"]["promotion_cost"] == {"currency": "USD", "amount": 40000}
    assert rows["B"]["promotion_cost"] is None  # not ready now
    assert rows["T"]["promotion_cost"] is None
    assert admin["promotion_cost"] == [
        {"currency": "EUR", "amount": 45000, "count": 3},
        {"currency": "USD", "amount": 40000, "count": 1},
    ]
    head = expect(world.people["H"].api.get(f"{READINESS}?cycle_id={world.cycles['Q3']}"), 200)
    assert head["cycle_id"] == world.cycles["Q3"]
    assert head["promotion_cost"] == [
        {"currency": "EUR", "amount": 30000, "count": 2},
        {"currency": "USD", "amount": 40000, "count": 1},
    ]


def test_a_team_filter(world: Reviewed) -> None:
    path = f"{READINESS}?cycle_id={world.cycles['Q3']}&team_id={world.team}"
    assert list(_rows(expect(world.org.admin.api.get(path), 200), world)) == ["A", "B"]


def test_the_csv_equals_the_json(world: Reviewed) -> None:
    path = f"{READINESS}?cycle_id={world.cycles['Q3']}"
    body = expect(world.org.admin.api.get(path), 200)
    answer = world.org.admin.api.get(path, headers={"Accept": "text/csv"})
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    lines = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert len(lines) == len(body["rows"])
    keys = {
        world.comps[k]: name
        for k, name in zip("sle", ("strategy", "leadership", "execution"), strict=True)
    }
    for line, row in zip(lines, body["rows"], strict=True):
        cost = row["promotion_cost"] or {}
        expected = {
            "member_id": row["member_id"],
            "name": row["name"],
            "current_role_id": row["current_role_id"],
            "next_role_id": row["next_role_id"],
            "overall_score": row["overall_score"],
            "readiness": row["readiness"],
            "weighted_mean_gap": row["weighted_mean_gap"],
            "manager_recommendation": row["manager_recommendation"],
            "disagreement": row["disagreement"],
            "trend_per_cycle": row["outlook"]["trend_per_cycle"],
            "cycles_to_ready": row["outlook"]["cycles_to_ready"],
            "promotion_cost_currency": cost.get("currency"),
            "promotion_cost_amount": cost.get("amount"),
        }
        for item in row["final_ratings"]:
            expected[f"final.{keys[item['competency_id']]}"] = item["score"]
        for gap in row["gaps"]:
            expected[f"expected.{keys[gap['competency_id']]}"] = gap["expected"]
            expected[f"gap.{keys[gap['competency_id']]}"] = gap["gap"]
        for column, value in expected.items():
            assert _same(line[column], value), (column, line[column], value)
        filled = {c for c, v in line.items() if v != ""}
        assert filled <= set(expected)


def _same(text: str, value: Any) -> bool:
    if value is None:
        return text == ""
    if isinstance(value, bool):
        return text == ("true" if value else "false")
    if isinstance(value, int | float):
        return Decimal(text) == Decimal(str(value))
    return text == str(value)
