"""What ``/me/feedback`` reads: released cycles from one person's side.

Four statements for a page, whatever its length: the cycles (with the person's
snapshotted role and the outcome release froze for them), the competencies' order,
the submitted reviews about the person with their ratings, and the weighted mean gaps
of every released cycle (the outlook's series, which reaches past the page).

Final ratings, overall score and readiness are read from ``cycle_outcomes``, which
``release_cycle`` fills in the release's own transaction with the report SQL
(``service/adapters/reports/outcomes_sql.py``): the readiness report on a released
cycle reads the same rows, so both say the same. The reviews follow the report SQL's
rules too (``service/adapters/reports/assessment.py``): competencies ordered by
position then key in byte order (``COLLATE "C"``), and the person's one manager
review, whoever wrote it (the snapshotted manager, or the one it was handed to).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import and_, exists, func, or_, select

from service.adapters import tables
from service.adapters.repositories import TenantQueries, page_of
from service.application.cycle_ports import (
    FeedbackCycle,
    GapPoint,
    RatingRecord,
    ReceivedReview,
)
from service.application.pagination import Page, PageRequest
from service.domain.cycle import CycleState, ReviewType
from service.domain.readiness import Readiness
from service.domain.review import ReviewStatus
from service.domain.scoring import RatingContent, ReviewContent

_c = tables.review_cycles.c
_p = tables.cycle_participants.c
_r = tables.reviews.c
_o = tables.cycle_outcomes.c
_cc = tables.cycle_competencies.c
#: The competencies' order in every report: position, then key in byte order.
COMPETENCY_ORDER = (_cc.position, _cc.key.collate("C"))


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
                _p.member_id.label("participant"),
                upward_count.label("upward_assigned"),
                _p.product_role_id,
                _o.next_role_id,
                _o.final_list,
                _o.overall_score,
                _o.readiness,
            )
            .outerjoin(
                tables.cycle_participants,
                and_(_p.org_id == _c.org_id, _p.cycle_id == _c.id, _p.member_id == member_id),
            )
            # One row per participant and released cycle (unique key); none for someone
            # who only received upward reviews in it.
            .outerjoin(
                tables.cycle_outcomes,
                and_(_o.org_id == _c.org_id, _o.cycle_id == _c.id, _o.member_id == _p.member_id),
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
        order = self._competency_order([row.id for row in found.items])
        items = [
            FeedbackCycle(
                cycle_id=row.id,
                name=row.name,
                period_start=row.period_start,
                period_end=row.period_end,
                released_at=row.released_at,
                peer_anonymity_threshold=int(row.peer_anonymity_threshold or 1),
                participant=row.participant is not None,
                upward_assigned=int(row.upward_assigned),
                product_role_id=row.product_role_id,
                next_role_id=row.next_role_id,
                competency_order=order.get(row.id, []),
                # The report row's list: the cycle's competencies with a final rating,
                # in their order (null when there is none).
                final_ratings=[
                    (UUID(rating["competency_id"]), int(rating["score"]))
                    for rating in row.final_list or []
                ],
                overall_score=None if row.overall_score is None else Decimal(row.overall_score),
                readiness=None if row.readiness is None else Readiness(row.readiness),
            )
            for row in found.items
        ]
        return Page(items, found.total)

    def gap_history(self, member_id: UUID) -> list[GapPoint]:
        rows = self.session.execute(
            select(_c.id, _c.period_start, _c.period_end, _o.weighted_mean_gap)
            .join(tables.cycle_outcomes, and_(_o.org_id == _c.org_id, _o.cycle_id == _c.id))
            .where(
                _c.org_id == self.org_id,
                _c.state == CycleState.RELEASED,
                _o.member_id == member_id,
                _o.weighted_mean_gap.is_not(None),
            )
        )
        return [GapPoint(row[0], row[1], row[2], Decimal(row[3])) for row in rows]

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

    def received_reviews(self, member_id: UUID, cycle_ids: Sequence[UUID]) -> list[ReceivedReview]:
        if not cycle_ids:
            return []
        rr = tables.review_ratings.c
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
