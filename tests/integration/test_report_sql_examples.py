"""Edge cases of the report SQL, seeded directly: rounding on a negative scale, nine-box
boundaries, missing final ratings, a role missing from the snapshot, drafts, and a
report that freezes released outcomes once."""

from __future__ import annotations

import json
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
from flask import Flask

from bench.seed_reports import Competency, Cycle, Dataset, Participant, Person, Review, Role, write
from service.application.report_ports import ReportScope
from tests.support.database import conninfo

D = Decimal


def _seed(owner_url: str, data: Dataset) -> None:
    with psycopg.connect(conninfo(owner_url)) as conn:
        write(conn, data, create_org=True)


def _reports(app: Flask, data: Dataset, cycle: Cycle) -> tuple[dict[str, Any], dict[str, Any]]:
    uow = app.extensions["review_service"].unit_of_work()
    try:
        uow.bind_tenant(data.org_id)
        uow.reports.report_cycle(cycle.id, None)
        uow.reports.freeze_released_outcomes(cycle.id)
        uow.commit()
        scope = ReportScope(cycle.id, released=cycle.state == "released")
        parts = list(uow.reports.promotion_readiness(scope))
        metrics = json.loads(uow.reports.team_metrics(scope))
    finally:
        uow.close()
    rows = {r["name"]: r for r in (json.loads(p.json) for p in parts if p.is_row)}
    return rows, metrics


def _organisation(scale: tuple[int, int], scores: dict[str, int | None]) -> tuple[Dataset, Cycle]:
    """One competency, one role (expected 0, weight 1) above another; a boss reviews them."""
    data = Dataset(uuid.uuid4())
    comp = Competency(uuid.uuid4(), "craft")
    data.competencies = [comp]
    low = Role(uuid.uuid4(), "L1", "ic", 1, {comp.id: (0, D(1))})
    high = Role(uuid.uuid4(), "L2", "ic", 2, {comp.id: (0, D(1))})
    data.roles = [low, high]
    boss = Person(uuid.uuid4(), "Boss", "head_of_product", high.id)
    data.people = [boss]
    cycle = Cycle(uuid.uuid4(), "H1", date(2025, 1, 1), date(2025, 6, 30), "calibrating", scale)
    for name, score in scores.items():
        person = Person(uuid.uuid4(), name, "pm", low.id, boss.id)
        data.people.append(person)
        cycle.participants.append(Participant(person.id, low.id, boss.id))
        if score is not None:
            ratings: dict[uuid.UUID, int | None] = {comp.id: score}
            cycle.reviews.append(Review(person.id, boss.id, "manager", ratings=ratings))
    data.cycles = [cycle]
    return data, cycle


def test_scores_round_half_up_even_below_zero(app: Flask, owner_url: str) -> None:
    data, cycle = _organisation((-2, 2), {"a": -2, "b": -1, "c": 0})
    comp = data.competencies[0].id
    # Two competencies' worth of weight: make overall scores -1.5 and -0.5 with a calibration.
    data.roles[0].expectations = {comp: (0, D(1))}
    second = Competency(uuid.uuid4(), "care", 1)
    data.competencies.append(second)
    for role in data.roles:
        role.expectations[second.id] = (0, D(1))
    a, b, c = cycle.participants
    cycle.calibrations[(a.member_id, second.id)] = -1  # a: (-2 + -1) / 2 = -1.5
    cycle.calibrations[(b.member_id, second.id)] = 0  # b: (-1 + 0) / 2 = -0.5
    cycle.calibrations[(c.member_id, second.id)] = 2  # c: (0 + 2) / 2 = 1
    _seed(owner_url, data)
    rows, metrics = _reports(app, data, cycle)
    assert [rows[n]["overall_score"] for n in "abc"] == [-1.5, -0.5, 1]
    assert metrics["overall_distribution"] == {"-2": 0, "-1": 1, "0": 1, "1": 1, "2": 0}


def test_nine_box_boundaries_are_exclusive_below(app: Flask, owner_url: str) -> None:
    # Scale 1-4: low below 2, medium below 3, high from 3.
    data, cycle = _organisation((1, 4), {"a": 1, "b": 2, "c": 3, "d": 4})
    for review in cycle.reviews:
        review.potential = "medium"
    _seed(owner_url, data)
    _, metrics = _reports(app, data, cycle)
    boxes = {(b["performance"], b["potential"]): b["count"] for b in metrics["nine_box"]}
    assert boxes[("low", "medium")] == 1
    assert boxes[("medium", "medium")] == 1
    assert boxes[("high", "medium")] == 2


def test_missing_ratings_drafts_and_roles_outside_the_snapshot(app: Flask, owner_url: str) -> None:
    data, cycle = _organisation((1, 5), {"draft": None, "open": None, "gone": 3, "fine": 4})
    comp = data.competencies[0].id
    boss = data.people[0].id
    draft, open_, gone, _fine = cycle.participants
    cycle.reviews.append(
        Review(draft.member_id, boss, "manager", "in_progress", {comp: 5}, "ready_now", "high")
    )
    gone.role_id = uuid.uuid4()  # a role the snapshot does not hold
    _seed(owner_url, data)
    rows, metrics = _reports(app, data, cycle)
    assert rows["draft"]["final_ratings"] == []  # a draft never counts
    assert rows["draft"]["manager_recommendation"] is None
    assert rows["draft"]["readiness"] is None
    assert rows["draft"]["gaps"] == [
        {"competency_id": str(comp), "final": None, "expected": 0, "gap": None}
    ]
    assert rows["open"]["readiness"] is None
    assert rows["gone"]["readiness"] is None
    assert rows["gone"]["overall_score"] is None
    assert rows["fine"]["readiness"] == "ready_now"
    assert metrics["readiness_counts"] == {
        "ready_now": 1,
        "ready_soon": 0,
        "not_ready": 0,
        "top_of_track": 0,
    }
    assert metrics["completion"]["by_type"]["manager"] == {
        "assigned": 3,
        "submitted": 2,
        "rate": 0.6667,
    }
    del open_


def test_released_outcomes_are_frozen_once(app: Flask, owner_url: str) -> None:
    data, cycle = _organisation((1, 5), {"a": 3, "b": 4})
    cycle.state = "released"
    _seed(owner_url, data)
    uow = app.extensions["review_service"].unit_of_work()
    try:
        uow.bind_tenant(data.org_id)
        assert uow.reports.freeze_released_outcomes(cycle.id) == 2
        assert uow.reports.freeze_released_outcomes(cycle.id) == 0
        uow.commit()
    finally:
        uow.close()
    with psycopg.connect(conninfo(owner_url)) as conn:
        frozen = conn.execute(
            "SELECT weighted_mean_gap, readiness, final_ratings FROM cycle_outcomes"
            " WHERE org_id = %s ORDER BY weighted_mean_gap",
            (data.org_id,),
        ).fetchall()
    comp = str(data.competencies[0].id)
    assert frozen == [(D(3), "ready_now", {comp: 3}), (D(4), "ready_now", {comp: 4})]
