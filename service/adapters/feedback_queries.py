"""What ``/me/feedback`` reads: released cycles from one person's side.

Five statements for a page, whatever its length: the cycles (with the person's
snapshotted role), the competencies' order, the calibrations, the role
expectations, and the submitted reviews about the person with their ratings.

The inputs follow the report SQL's rules (``service/adapters/reports/assessment.py``)
so both give the same numbers: competencies ordered by position then key in byte
order (``COLLATE "C"``), the manager review written by the manager the cycle
snapshotted, no readiness for a role missing from the snapshot, and the default
thresholds of ``Thresholds`` (the SQL's ``COALESCE``) should a cycle lack them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import and_, exists, func, or_, select

from service.adapters import tables
from service.adapters.repositories import TenantQueries, page_of
from service.application.cycle_ports import FeedbackCycle, RatingRecord, ReceivedReview
from service.application.pagination import Page, PageRequest
from service.domain.cycle import CycleState, ReviewType
from service.domain.readiness import Expected, Thresholds
from service.domain.review import ReviewStatus
from service.domain.scoring import RatingContent, ReviewContent

_c = tables.review_cycles.c
_p = tables.cycle_participants.c
_r = tables.reviews.c
_cr = tables.cycle_roles.c
_cc = tables.cycle_competencies.c
#: The competencies' order in every report: position, then key in byte order.
COMPETENCY_ORDER = (_cc.position, _cc.key.collate("C"))
DEFAULTS = Thresholds()


class SqlFeedbackQueries(TenantQueries):
    def released_cycles(self, member_id: UUID, page: PageRequest) -> Page[FeedbackCycle]:
        org = self.org_id
        about_me = and_(
            _r.org_id == _c.org_id,
            _r.cycle_id == _c.id,
            _r.reviewee_id == member_id,
            _r.type == ReviewType.UPWARD,
        )
        upward = exists(select(_r.id).where(about_me))
        upward_count = select(func.count()).where(about_me).scalar_subquery()
        statement = (
            select(
                _c.id,
                _c.name,
                _c.period_start,
                _c.period_end,
                _c.released_at,
                _c.peer_anonymity_threshold,
                _c.ready_soon_max_gap,
                _c.ready_soon_min_mean_gap,
                _p.member_id.label("participant"),
                upward_count.label("upward_assigned"),
                _p.product_role_id,
                _cr.role_id.label("role_in_snapshot"),
                _cr.next_role_id,
            )
            .outerjoin(
                tables.cycle_participants,
                and_(_p.org_id == _c.org_id, _p.cycle_id == _c.id, _p.member_id == member_id),
            )
            .outerjoin(
                tables.cycle_roles,
                and_(
                    _cr.org_id == _c.org_id,
                    _cr.cycle_id == _c.id,
                    _cr.role_id == _p.product_role_id,
                ),
            )
            .where(
                _c.org_id == org,
                _c.state == CycleState.RELEASED,
                or_(_p.member_id.is_not(None), upward),
            )
            .order_by(_c.period_end.desc(), _c.released_at.desc(), _c.id)
        )
        found = page_of(self.session, statement, page, lambda row: row)
        if not found.items:
            return Page([], found.total)
        cycle_ids = [row.id for row in found.items]
        order = self._competency_order(cycle_ids)
        calibrated = self._calibrations(member_id, cycle_ids)
        roles = {
            (row.id, role)
            for row in found.items
            for role in (row.product_role_id, row.next_role_id)
            if role is not None
        }
        expected = self._expectations(cycle_ids, roles)
        items = []
        for row in found.items:
            items.append(
                FeedbackCycle(
                    cycle_id=row.id,
                    name=row.name,
                    period_start=row.period_start,
                    period_end=row.period_end,
                    released_at=row.released_at,
                    peer_anonymity_threshold=int(row.peer_anonymity_threshold or 1),
                    ready_soon_max_gap=_or_default(
                        row.ready_soon_max_gap, DEFAULTS.ready_soon_max_gap
                    ),
                    ready_soon_min_mean_gap=_or_default(
                        row.ready_soon_min_mean_gap, DEFAULTS.ready_soon_min_mean_gap
                    ),
                    participant=row.participant is not None,
                    upward_assigned=int(row.upward_assigned),
                    product_role_id=row.product_role_id,
                    next_role_id=row.next_role_id,
                    competency_order=order.get(row.id, []),
                    calibrated=calibrated.get(row.id, {}),
                    # A role missing from the snapshot has no expectations: no readiness.
                    expectations=(
                        _role(expected, row.id, row.product_role_id)
                        if row.role_in_snapshot is not None
                        else None
                    ),
                    next_expectations=_role(expected, row.id, row.next_role_id),
                )
            )
        return Page(items, found.total)

    def _competency_order(self, cycle_ids: Sequence[UUID]) -> dict[UUID, list[UUID]]:
        rows = self.session.execute(
            select(_cc.cycle_id, _cc.competency_id)
            .where(_cc.org_id == self.org_id, _cc.cycle_id.in_(list(cycle_ids)))
            .order_by(_cc.cycle_id, *COMPETENCY_ORDER)
        )
        order: dict[UUID, list[UUID]] = {}
        for cycle_id, competency_id in rows:
            order.setdefault(cycle_id, []).append(competency_id)
        return order

    def _calibrations(
        self, member_id: UUID, cycle_ids: Sequence[UUID]
    ) -> dict[UUID, dict[UUID, int]]:
        cal = tables.calibrations.c
        rows = self.session.execute(
            select(cal.cycle_id, cal.competency_id, cal.score).where(
                cal.org_id == self.org_id,
                cal.member_id == member_id,
                cal.cycle_id.in_(list(cycle_ids)),
            )
        )
        found: dict[UUID, dict[UUID, int]] = {}
        for cycle_id, competency_id, score in rows:
            found.setdefault(cycle_id, {})[competency_id] = score
        return found

    def _expectations(
        self, cycle_ids: Sequence[UUID], roles: set[tuple[UUID, UUID]]
    ) -> dict[tuple[UUID, UUID], dict[UUID, Expected]]:
        if not roles:
            return {}
        ce = tables.cycle_expectations.c
        rows = self.session.execute(
            select(ce.cycle_id, ce.role_id, ce.competency_id, ce.expected_score, ce.weight)
            .join(
                tables.cycle_competencies,
                and_(
                    _cc.org_id == ce.org_id,
                    _cc.cycle_id == ce.cycle_id,
                    _cc.competency_id == ce.competency_id,
                ),
            )
            .where(
                ce.org_id == self.org_id,
                ce.cycle_id.in_(list(cycle_ids)),
                ce.role_id.in_(list({role for _, role in roles})),
            )
            .order_by(ce.cycle_id, ce.role_id, *COMPETENCY_ORDER)
        )
        found: dict[tuple[UUID, UUID], dict[UUID, Expected]] = {}
        for cycle_id, role_id, competency_id, expected_score, weight in rows:
            if (cycle_id, role_id) in roles:
                found.setdefault((cycle_id, role_id), {})[competency_id] = Expected(
                    int(expected_score), Decimal(weight)
                )
        return found

    def received_reviews(self, member_id: UUID, cycle_ids: Sequence[UUID]) -> list[ReceivedReview]:
        if not cycle_ids:
            return []
        rr = tables.review_ratings.c
        # The manager review is the one launch assigned to the snapshotted manager.
        snapshot_manager = (
            select(_p.manager_id)
            .where(_p.org_id == _r.org_id, _p.cycle_id == _r.cycle_id, _p.member_id == member_id)
            .scalar_subquery()
        )
        rows = self.session.execute(
            select(
                _r.id,
                _r.cycle_id,
                _r.type,
                _r.reviewer_id,
                _r.summary,
                rr.competency_id,
                rr.score,
                rr.comment,
                rr.evidence,
            )
            .outerjoin(tables.review_ratings, and_(rr.org_id == _r.org_id, rr.review_id == _r.id))
            .outerjoin(
                tables.cycle_competencies,
                and_(
                    _cc.org_id == rr.org_id,
                    _cc.cycle_id == _r.cycle_id,
                    _cc.competency_id == rr.competency_id,
                ),
            )
            .where(
                _r.org_id == self.org_id,
                _r.reviewee_id == member_id,
                _r.cycle_id.in_(list(cycle_ids)),
                _r.status == ReviewStatus.SUBMITTED,
                or_(_r.type != ReviewType.MANAGER, _r.reviewer_id == snapshot_manager),
            )
            .order_by(_r.cycle_id, _r.id, *COMPETENCY_ORDER)
        )
        grouped: dict[UUID, tuple[Any, list[RatingRecord]]] = {}
        for row in rows:
            head, ratings = grouped.setdefault(row.id, (row, []))
            if row.competency_id is not None:
                ratings.append(
                    RatingRecord(row.competency_id, row.score, row.comment, row.evidence or [])
                )
        received = []
        for head, ratings in grouped.values():
            content = ReviewContent(
                head.summary,
                tuple(RatingContent(r.competency_id, r.score, r.comment) for r in ratings),
            )
            received.append(
                ReceivedReview(head.cycle_id, head.type, head.reviewer_id, content, tuple(ratings))
            )
        return received


def _role(
    expected: dict[tuple[UUID, UUID], dict[UUID, Expected]], cycle_id: UUID, role_id: UUID | None
) -> dict[UUID, Expected] | None:
    if role_id is None:
        return None
    return expected.get((cycle_id, role_id), {})


def _or_default(value: Decimal | None, default: Decimal) -> Decimal:
    return default if value is None else Decimal(value)
