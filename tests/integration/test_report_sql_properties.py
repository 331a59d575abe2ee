"""The report SQL agrees with the domain's formulas on random organisations.

Hypothesis draws an organisation (scales, ladders with weights and pay bands, a
reporting tree, teams), several cycles (released or not, ties in period ends),
reviews in every state with missing ratings, calibrations, recommendations and
potentials; the data goes in with ``COPY`` and both reports come out of the real
adapter (as the request role, under row-level security). ``report_oracle``
computes the same reports from the same data with ``service.domain``.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from flask import Flask
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bench.seed_reports import (
    Competency,
    Cycle,
    Dataset,
    Participant,
    Person,
    Review,
    Role,
    write,
)
from service.application.report_ports import ReportScope
from tests.support.database import conninfo
from tests.support.report_oracle import Visibility, readiness_report, team_metrics

WEIGHTS = [Decimal("0.5"), Decimal(1), Decimal("1.25"), Decimal(2), Decimal("0.3333"), Decimal(3)]
SCALES = [(1, 5), (0, 4), (1, 3), (-2, 2), (1, 10)]
PERIOD_ENDS = [date(2025, 3, 31), date(2025, 6, 30), date(2025, 9, 30)]


@st.composite
def organisations(draw: st.DrawFn) -> tuple[Dataset, Visibility, int]:
    data = Dataset(uuid.uuid4())
    scale = draw(st.sampled_from(SCALES))
    low, high = scale
    score = st.sampled_from(range(low, high + 1))
    middle = (low + high) // 2
    expected = st.integers(max(low, middle - 1), min(high, middle + 1))
    data.competencies = [
        Competency(uuid.uuid4(), f"c{i}", draw(st.integers(0, 1)))
        for i in range(draw(st.integers(1, 4)))
    ]
    for track in ("product", "design")[: draw(st.integers(1, 2))]:
        levels = draw(st.lists(st.integers(1, 9), min_size=2, max_size=4, unique=True))
        for level in levels:
            expectations = {
                c.id: (draw(expected), draw(st.sampled_from(WEIGHTS)))
                for c in data.competencies
                if draw(st.integers(0, 9)) < 9
            }
            band = None
            if draw(st.booleans()):
                low_pay = Decimal(draw(st.integers(1000, 9000))) + Decimal("0.05")
                band = (
                    draw(st.sampled_from(["EUR", "USD"])),
                    low_pay,
                    low_pay + draw(st.integers(0, 999)),
                )
            data.roles.append(
                Role(uuid.uuid4(), f"{track}{level}", track, level, expectations, band)
            )
    data.teams = {uuid.uuid4(): f"team{i}" for i in range(2)}
    teams = [None, *data.teams]
    for i in range(draw(st.integers(3, 10))):
        managers = [p.id for p in data.people]
        manager = draw(st.sampled_from(managers)) if managers and _often(draw) else None
        role = draw(st.sampled_from([r.id for r in data.roles])) if _often(draw) else None
        data.people.append(
            Person(uuid.uuid4(), f"P{i:02d}", "pm", role, manager, draw(st.sampled_from(teams)))
        )
    for n in range(draw(st.integers(1, 4))):
        end = draw(st.sampled_from(PERIOD_ENDS))
        cycle = Cycle(
            uuid.uuid4(),
            f"cycle {n}",
            end - timedelta(days=draw(st.integers(30, 90))),
            end,
            draw(st.sampled_from(["released", "released", "released", "active", "calibrating"])),
            scale,
            draw(st.sampled_from([Decimal(0), Decimal("0.5"), Decimal(1), Decimal(2)])),
            draw(st.sampled_from([Decimal(0), Decimal("-0.25"), Decimal("-0.5"), Decimal(-1)])),
        )
        _fill(draw, data, cycle, score)
        data.cycles.append(cycle)
    report = draw(st.integers(0, len(data.cycles) - 1))
    seen = Visibility(
        subtree_of=None if _often(draw) else draw(st.sampled_from([p.id for p in data.people])),
        team_id=None if _often(draw) else draw(st.sampled_from(list(data.teams))),
    )
    return data, seen, report


def _often(draw: st.DrawFn) -> bool:
    """True four times in five."""
    return draw(st.integers(0, 4)) > 0


def _fill(draw: st.DrawFn, data: Dataset, cycle: Cycle, score: st.SearchStrategy[int]) -> None:
    people = [p for p in data.people if _often(draw)] or data.people[:1]
    roles = [None, *[r.id for r in data.roles]]
    for person in people:
        # Usually the current role; sometimes another one was snapshotted.
        role = person.role_id if _often(draw) else draw(st.sampled_from(roles))
        cycle.participants.append(Participant(person.id, role, person.manager_id))
    comps = [c.id for c in data.competencies]

    def ratings() -> dict[uuid.UUID, int | None]:
        # Now and then a rating is left open (None) or missing altogether.
        return {
            c: draw(st.one_of(st.none(), score) if draw(st.integers(0, 19)) == 0 else score)
            for c in comps
            if draw(st.integers(0, 29)) > 0
        }

    status = st.sampled_from(["submitted"] * 5 + ["in_progress"])
    for p in cycle.participants:
        if p.manager_id is not None:
            cycle.reviews.append(
                Review(
                    p.member_id,
                    p.manager_id,
                    "manager",
                    draw(status),
                    ratings(),
                    draw(st.sampled_from([None, "ready_now", "ready_soon", "not_ready"])),
                    draw(st.sampled_from([None, "low", "medium", "high"])),
                )
            )
            cycle.reviews.append(
                Review(p.manager_id, p.member_id, "upward", draw(status), ratings())
            )
        if _often(draw):
            cycle.reviews.append(Review(p.member_id, p.member_id, "self", draw(status), ratings()))
        others = [q.id for q in data.people if q.id not in (p.member_id, p.manager_id)]
        if others and draw(st.booleans()):
            peer = draw(st.sampled_from(others))
            cycle.reviews.append(Review(p.member_id, peer, "peer", draw(status), ratings()))
        for c in comps:
            if draw(st.integers(0, 5)) == 0:
                cycle.calibrations[(p.member_id, c)] = draw(score)


def _decimals(document: str) -> Any:
    return json.loads(document, parse_float=Decimal, parse_int=int)


def _normalise(value: Any) -> Any:
    """Numbers as Decimal (4.0 == 4), so the SQL's JSON and the oracle compare exactly."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | Decimal):
        return Decimal(value).normalize()
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    raise TypeError(value)


def _reports(app: Flask, data: Dataset, seen: Visibility, cycle: Cycle) -> tuple[Any, Any]:
    uow = app.extensions["review_service"].unit_of_work()
    try:
        uow.bind_tenant(data.org_id)
        uow.reports.report_cycle(cycle.id, seen.team_id)
        uow.reports.freeze_released_outcomes(cycle.id)
        uow.commit()
        released = cycle.state == "released"
        scope = ReportScope(cycle.id, seen.team_id, seen.subtree_of, released)
        parts = list(uow.reports.promotion_readiness(scope))
        metrics = _decimals(uow.reports.team_metrics(scope))
    finally:
        uow.close()
    rows = {r["member_id"]: r for r in (_decimals(p.json) for p in parts if p.is_row)}
    costs = next(_decimals(p.json) for p in parts if not p.is_row)
    return {"rows": rows, "promotion_cost": costs}, metrics


@pytest.fixture
def seed(owner_url: str) -> Any:
    def write_dataset(data: Dataset) -> None:
        with psycopg.connect(conninfo(owner_url)) as conn:
            write(conn, data, create_org=True)

    return write_dataset


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(organisations())
def test_reports_agree_with_the_domain(
    app: Flask, seed: Any, drawn: tuple[Dataset, Visibility, int]
) -> None:
    data, seen, index = drawn
    seed(data)
    cycle = data.cycles[index]
    readiness, metrics = _reports(app, data, seen, cycle)

    expected = readiness_report(data, cycle, seen)
    for row in readiness["rows"].values():
        row.pop("name")
    for row in readiness["rows"].values():
        event(f"readiness {row['readiness']}")
        event(f"outlook trend {'set' if row['outlook']['trend_per_cycle'] is not None else 'null'}")
        event(f"cycles_to_ready {row['outlook']['cycles_to_ready']}")
    assert _normalise(readiness) == _normalise(expected)

    metrics.pop("cycle_id")
    assert _normalise(metrics) == _normalise(team_metrics(data, cycle, seen))


@st.composite
def histories(draw: st.DrawFn) -> tuple[Dataset, Visibility, int]:
    """A steady team reviewed cycle after cycle: long outlook series, rising or falling."""
    data = Dataset(uuid.uuid4())
    low, high = draw(st.sampled_from(SCALES))
    data.competencies = [
        Competency(uuid.uuid4(), f"c{i}", i) for i in range(draw(st.integers(1, 3)))
    ]
    weights = st.sampled_from(WEIGHTS)
    for level in (1, 2, 3):
        expectations = {
            c.id: (draw(st.integers(low, high)), draw(weights)) for c in data.competencies
        }
        data.roles.append(Role(uuid.uuid4(), f"L{level}", "product", level, expectations))
    head = Person(uuid.uuid4(), "Head", "head_of_product", data.roles[2].id)
    data.people = [head] + [
        Person(uuid.uuid4(), f"P{i}", "pm", data.roles[draw(st.integers(0, 1))].id, head.id)
        for i in range(draw(st.integers(1, 4)))
    ]
    score = st.integers(low, high)
    ends = sorted(draw(st.lists(st.sampled_from(range(6)), min_size=2, max_size=6)))
    for n, quarter in enumerate(ends):
        end = date(2024, 3, 31) + timedelta(days=91 * quarter)
        cycle = Cycle(
            uuid.uuid4(), f"q{n}", end - timedelta(days=80), end,
            draw(st.sampled_from(["released"] * 4 + ["calibrating"])), (low, high),
        )  # fmt: skip
        for person in data.people[1:]:
            cycle.participants.append(Participant(person.id, person.role_id, head.id))
            ratings: dict[uuid.UUID, int | None] = {c.id: draw(score) for c in data.competencies}
            cycle.reviews.append(Review(person.id, head.id, "manager", ratings=ratings))
        data.cycles.append(cycle)
    return data, Visibility(), draw(st.integers(0, len(data.cycles) - 1))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(histories())
def test_the_outlook_agrees_with_the_domain(
    app: Flask, seed: Any, drawn: tuple[Dataset, Visibility, int]
) -> None:
    data, seen, index = drawn
    seed(data)
    cycle = data.cycles[index]
    readiness, _ = _reports(app, data, seen, cycle)
    for row in readiness["rows"].values():
        row.pop("name")
        event(f"cycles_to_ready {row['outlook']['cycles_to_ready']}")
        event(f"trend {'set' if row['outlook']['trend_per_cycle'] is not None else 'null'}")
    assert _normalise(readiness) == _normalise(readiness_report(data, cycle, seen))
