"""Reviews: the aggregate for writes, and the facts visibility needs (lists: review_list).

The list (``review_list``) is ``service.domain.review.review_visibility`` written in
SQL; an API test checks both agree, review by review. A single review is read through
the ORM and judged by the domain function itself, with the facts ``context`` finds.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import and_, func, select, text

from service.adapters import review_list, tables
from service.adapters.reporting_lines import reports_to
from service.adapters.repositories import Repository
from service.application.cycle_ports import (
    HandedOver,
    ListedReviews,
    RatingSheet,
    ReviewContext,
    ReviewExpectation,
    ReviewFilters,
    Withdrawn,
)
from service.application.pagination import PageRequest
from service.domain.cycle import CycleState, ReviewType
from service.domain.member import MemberStatus
from service.domain.review import Review, ReviewStatus
from service.domain.review_visibility import Viewer

_r = tables.reviews.c
_c = tables.review_cycles.c
_rr = tables.review_ratings.c


#: The manager reviews a departed manager had still to write, to each reviewee's manager
#: now; the version moves on, so an ETag read before answers 412.
_HAND_OVER = text(
    f"""
UPDATE reviews r
SET reviewer_id = m.manager_id, version = r.version + 1, updated_at = now()
FROM members m, review_cycles c
WHERE r.org_id = :org AND r.reviewer_id = :gone
  AND r.type = '{ReviewType.MANAGER.value}' AND r.status <> '{ReviewStatus.SUBMITTED.value}'
  AND c.org_id = r.org_id AND c.id = r.cycle_id AND c.state = '{CycleState.ACTIVE.value}'
  AND m.org_id = r.org_id AND m.id = r.reviewee_id
  AND m.manager_id IS NOT NULL AND m.manager_id <> :gone
  AND NOT EXISTS (
      SELECT 1 FROM reviews x
      WHERE x.org_id = r.org_id AND x.cycle_id = r.cycle_id AND x.reviewee_id = r.reviewee_id
        AND x.reviewer_id = m.manager_id AND x.type = r.type)
RETURNING r.id, r.cycle_id, r.reviewee_id, r.reviewer_id
"""
)

#: What nobody will write, or nobody will be reviewed by, once a member has left.
_WITHDRAW = text(
    f"""
DELETE FROM reviews r USING review_cycles c
WHERE r.org_id = :org AND (r.reviewer_id = :gone OR r.reviewee_id = :gone)
  AND r.status <> '{ReviewStatus.SUBMITTED.value}'
  AND c.org_id = r.org_id AND c.id = r.cycle_id AND c.state = '{CycleState.ACTIVE.value}'
RETURNING r.id, r.cycle_id, r.reviewee_id, r.reviewer_id, r.type, r.status
"""
)


class SqlReviewRepository(Repository[Review]):
    entity = Review
    table = tables.reviews

    def list(self, filters: ReviewFilters, viewer: Viewer, page: PageRequest) -> ListedReviews:
        return review_list.list_reviews(self.session, self.org_id, filters, viewer, page)

    def context(self, review: Review, viewer: Viewer) -> ReviewContext:
        org, me = self.org_id, viewer.member_id
        own = (
            select(func.bool_and(_r.status == ReviewStatus.SUBMITTED))
            .where(
                _r.org_id == org,
                _r.cycle_id == review.cycle_id,
                _r.reviewee_id == review.reviewee_id,
                _r.reviewer_id == me,
                _r.id != review.id,
            )
            .scalar_subquery()
        )
        row = self.session.execute(
            select(reports_to(org, review.reviewee_id, me).label("oversees"), own.label("own"))
        ).one()
        return ReviewContext(bool(row.oversees), row.own)

    def rating_sheet(self, cycle_id: UUID, reviewee_id: UUID) -> RatingSheet:
        org = self.org_id
        cc, ce, p = (
            tables.cycle_competencies.c,
            tables.cycle_expectations.c,
            tables.cycle_participants.c,
        )
        # The reviewee's role at launch (null: none, or not a participant), found once.
        role = (
            select(p.product_role_id)
            .where(p.org_id == org, p.cycle_id == cycle_id, p.member_id == reviewee_id)
            .scalar_subquery()
        )
        rows = self.session.execute(
            select(cc.competency_id, ce.expected_score, ce.description, role.label("role_id"))
            .select_from(tables.cycle_competencies)
            .outerjoin(
                tables.cycle_expectations,
                and_(
                    ce.org_id == cc.org_id,
                    ce.cycle_id == cc.cycle_id,
                    ce.competency_id == cc.competency_id,
                    ce.role_id == role,
                ),
            )
            .where(cc.org_id == org, cc.cycle_id == cycle_id)
            .order_by(cc.position, cc.key)
        ).all()
        order = tuple(row.competency_id for row in rows)
        if not rows or rows[0].role_id is None:
            return RatingSheet(order, None)
        return RatingSheet(
            order,
            tuple(
                ReviewExpectation(row.competency_id, row.expected_score, row.description)
                for row in rows
            ),
        )

    def peer_reviewers(self, cycle_id: UUID, reviewee_id: UUID) -> builtins.list[UUID]:
        rows = self.session.execute(
            select(_r.reviewer_id).where(
                _r.org_id == self.org_id,
                _r.cycle_id == cycle_id,
                _r.reviewee_id == reviewee_id,
                _r.type == ReviewType.PEER,
            )
        )
        return [row[0] for row in rows]

    def awaited_from(self, cycle_id: UUID, reviewer_id: UUID) -> set[UUID]:
        rows = self.session.execute(
            select(_r.reviewee_id).where(
                _r.org_id == self.org_id,
                _r.cycle_id == cycle_id,
                _r.reviewer_id == reviewer_id,
                _r.status != ReviewStatus.SUBMITTED,
            )
        )
        return {row[0] for row in rows}

    def hand_over_manager_reviews(self, from_reviewer: UUID) -> builtins.list[HandedOver]:
        rows = self.session.execute(_HAND_OVER, {"org": self.org_id, "gone": from_reviewer}).all()
        return [HandedOver(*row) for row in rows]

    def withdraw_open_reviews(self, member_id: UUID) -> builtins.list[Withdrawn]:
        rows = self.session.execute(_WITHDRAW, {"org": self.org_id, "gone": member_id}).all()
        return [Withdrawn(*row) for row in rows]

    def active_members(self, member_ids: Sequence[UUID]) -> set[UUID]:
        if not member_ids:
            return set()
        m = tables.members.c
        rows = self.session.execute(
            select(m.id).where(
                m.org_id == self.org_id,
                m.id.in_(list(member_ids)),
                m.status == MemberStatus.ACTIVE,
            )
        )
        return {row[0] for row in rows}
