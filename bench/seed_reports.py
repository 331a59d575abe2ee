"""Review-cycle data for reports, written in bulk with PostgreSQL ``COPY`` as the owner.

``Dataset`` describes an organisation's ladder, people and cycles (launch snapshot,
participants, reviews with ratings, calibrations) as plain Python; ``write`` copies it
into the tables the cycle workflow fills, so benchmarks, property tests and API tests
seed identical shapes of data without going through thousands of HTTP calls.
``bench.report_organisation`` makes the organisation of ``make bench`` with it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg


@dataclass
class Competency:
    id: UUID
    key: str
    position: int = 0


@dataclass
class Role:
    id: UUID
    name: str
    track: str
    level: int
    #: competency id -> (expected_score, weight)
    expectations: dict[UUID, tuple[int, Decimal]]
    band: tuple[str, Decimal, Decimal] | None = None


@dataclass
class Person:
    id: UUID
    name: str
    access_role: str = "pm"
    role_id: UUID | None = None
    manager_id: UUID | None = None
    team_id: UUID | None = None
    email: str = ""


@dataclass
class Participant:
    member_id: UUID
    role_id: UUID | None
    manager_id: UUID | None


@dataclass
class Review:
    reviewee_id: UUID
    reviewer_id: UUID
    type: str
    status: str = "submitted"
    #: competency id -> score (None: left open in a draft)
    ratings: dict[UUID, int | None] = field(default_factory=dict)
    recommendation: str | None = None
    potential: str | None = None
    submitted_at: datetime | None = None
    id: UUID = field(default_factory=uuid.uuid4)


@dataclass
class Cycle:
    id: UUID
    name: str
    period_start: date
    period_end: date
    state: str = "released"
    scale: tuple[int, int] = (1, 5)
    ready_soon_max_gap: Decimal = Decimal(1)
    ready_soon_min_mean_gap: Decimal = Decimal("-0.5")
    review_types: tuple[str, ...] = ("self", "manager", "peer")
    #: the ladder as launched (defaults to the dataset's roles and competencies)
    roles: list[Role] | None = None
    competencies: list[Competency] | None = None
    participants: list[Participant] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    #: (member id, competency id) -> calibrated score
    calibrations: dict[tuple[UUID, UUID], int] = field(default_factory=dict)


@dataclass
class Dataset:
    org_id: UUID
    competencies: list[Competency] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    teams: dict[UUID, str] = field(default_factory=dict)
    people: list[Person] = field(default_factory=list)
    cycles: list[Cycle] = field(default_factory=list)

    def roles_of(self, cycle: Cycle) -> list[Role]:
        return self.roles if cycle.roles is None else cycle.roles

    def competencies_of(self, cycle: Cycle) -> list[Competency]:
        return self.competencies if cycle.competencies is None else cycle.competencies


def next_roles(roles: Sequence[Role]) -> dict[UUID, UUID | None]:
    """The next role of each role: the lowest higher level on the same track."""
    result: dict[UUID, UUID | None] = {}
    for role in roles:
        higher = [r for r in roles if r.track == role.track and r.level > role.level]
        result[role.id] = min(higher, key=lambda r: r.level).id if higher else None
    return result


def _copy(
    cur: psycopg.Cursor[Any], table: str, columns: str, rows: Iterable[Sequence[Any]]
) -> None:
    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def write(conn: psycopg.Connection[Any], data: Dataset, *, create_org: bool = False) -> None:
    """Copy the dataset in (as the owner, so row-level security lets it in); commits.

    The dataset's ladder replaces the one a new organisation starts with.
    """
    org = data.org_id
    with conn.cursor() as cur:
        if create_org:
            cur.execute(
                "INSERT INTO organisations (id, name, slug, settings) VALUES (%s, %s, %s, %s)",
                (org, "Reports org", f"reports-{org.hex[:12]}", '{"rating_scale": {}}'),
            )
        for table in ("expectations", "product_roles", "competencies"):
            cur.execute(f"DELETE FROM {table} WHERE org_id = %s", (org,))
        _copy(cur, "teams", "org_id, id, name", ((org, t, n) for t, n in data.teams.items()))
        _copy(
            cur,
            "competencies",
            "org_id, id, key, name, position",
            ((org, c.id, c.key, c.key.title(), c.position) for c in data.competencies),
        )
        _copy(
            cur,
            "product_roles",
            "org_id, id, name, track, level, pay_currency, pay_min, pay_max",
            ((org, r.id, r.name, r.track, r.level, *(r.band or (None,) * 3)) for r in data.roles),
        )
        _copy(
            cur,
            "expectations",
            "org_id, id, role_id, competency_id, expected_score, weight",
            (
                (org, uuid.uuid4(), r.id, c, e, w)
                for r in data.roles
                for c, (e, w) in r.expectations.items()
            ),
        )
        # Managers first is not needed: the constraint is checked per statement.
        _copy(
            cur,
            "members",
            "org_id, id, email, name, access_role, product_role_id, manager_id, team_id",
            (
                (
                    org,
                    p.id,
                    p.email or f"{p.id.hex[:16]}@reports.example",
                    p.name,
                    p.access_role,
                    p.role_id,
                    p.manager_id,
                    p.team_id,
                )
                for p in data.people
            ),
        )
        for cycle in data.cycles:
            _write_cycle(cur, data, cycle)
    conn.commit()


def _write_cycle(cur: psycopg.Cursor[Any], data: Dataset, cycle: Cycle) -> None:
    org = data.org_id
    launched = cycle.state != "draft"
    low, high = cycle.scale
    labels = "[" + ",".join(f'"{p}"' for p in range(low, high + 1)) + "]"
    cur.execute(
        "INSERT INTO review_cycles (org_id, id, name, period_start, period_end, review_types,"
        " state, scale_min, scale_max, scale_labels, peer_anonymity_threshold,"
        " ready_soon_max_gap, ready_soon_min_mean_gap, launched_at, released_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 3, %s, %s, %s, %s)",
        (
            org,
            cycle.id,
            cycle.name,
            cycle.period_start,
            cycle.period_end,
            list(cycle.review_types),
            cycle.state,
            low if launched else None,
            high if launched else None,
            labels if launched else None,
            cycle.ready_soon_max_gap if launched else None,
            cycle.ready_soon_min_mean_gap if launched else None,
            datetime.now(UTC) if launched else None,
            datetime.now(UTC) if cycle.state == "released" else None,
        ),
    )
    if not launched:
        return
    c_id = cycle.id
    _copy(
        cur,
        "cycle_competencies",
        "org_id, id, cycle_id, competency_id, key, name, position",
        (
            (org, uuid.uuid4(), c_id, c.id, c.key, c.key.title(), c.position)
            for c in data.competencies_of(cycle)
        ),
    )
    roles = data.roles_of(cycle)
    following = next_roles(roles)
    _copy(
        cur,
        "cycle_roles",
        "org_id, id, cycle_id, role_id, name, track, level, pay_currency, pay_min, pay_max,"
        " next_role_id",
        (
            (
                org,
                uuid.uuid4(),
                c_id,
                r.id,
                r.name,
                r.track,
                r.level,
                *(r.band or (None,) * 3),
                following[r.id],
            )
            for r in roles
        ),
    )
    _copy(
        cur,
        "cycle_expectations",
        "org_id, id, cycle_id, role_id, competency_id, expected_score, weight",
        (
            (org, uuid.uuid4(), c_id, r.id, c, e, w)
            for r in roles
            for c, (e, w) in r.expectations.items()
        ),
    )
    teams = {person.id: person.team_id for person in data.people}  # as launch keeps them
    _copy(
        cur,
        "cycle_participants",
        "org_id, id, cycle_id, member_id, product_role_id, manager_id, team_id",
        (
            (org, uuid.uuid4(), c_id, p.member_id, p.role_id, p.manager_id, teams[p.member_id])
            for p in cycle.participants
        ),
    )
    _copy(
        cur,
        "reviews",
        "org_id, id, cycle_id, reviewee_id, reviewer_id, type, status, promotion_recommendation,"
        " potential, submitted_at",
        (
            (
                org,
                r.id,
                c_id,
                r.reviewee_id,
                r.reviewer_id,
                r.type,
                r.status,
                r.recommendation,
                r.potential,
                r.submitted_at or (datetime.now(UTC) if r.status == "submitted" else None),
            )
            for r in cycle.reviews
        ),
    )
    _copy(
        cur,
        "review_ratings",
        "org_id, id, review_id, competency_id, score",
        ((org, uuid.uuid4(), r.id, c, s) for r in cycle.reviews for c, s in r.ratings.items()),
    )
    _copy(
        cur,
        "calibrations",
        "org_id, id, cycle_id, member_id, competency_id, score",
        ((org, uuid.uuid4(), c_id, m, c, s) for (m, c), s in cycle.calibrations.items()),
    )
