"""Review cycles: loading, saving, the list a caller may see, and their snapshot.

The list is one statement for the page (a window count, the participant count in a
scalar subquery): constant, whatever the page size.
"""

from __future__ import annotations

import builtins
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    and_,
    exists,
    func,
    or_,
    select,
    true,
)

from service.adapters import tables
from service.adapters.reporting_lines import subtree
from service.adapters.repositories import Repository, page_of
from service.application.cycle_ports import (
    CycleCompetency,
    CycleFilters,
    CycleListing,
    CycleLock,
)
from service.application.pagination import Page, PageRequest
from service.domain.cycle import CycleState, ReviewCycle, ReviewType
from service.domain.review import ReviewStatus
from service.domain.review_visibility import Viewer

_c = tables.review_cycles.c
_p = tables.cycle_participants.c
_r = tables.reviews.c
_m = tables.members.c


class SqlCycleRepository(Repository[ReviewCycle]):
    entity = ReviewCycle
    table = tables.review_cycles

    def get_locked(self, cycle_id: UUID, lock: CycleLock) -> ReviewCycle | None:
        statement = select(ReviewCycle).where(_c.id == cycle_id)
        # FOR SHARE blocks only those who change the row: state-dependent writes hold it
        # side by side, and queue behind a transition's FOR UPDATE; after the wait the
        # row comes back as the transition left it (and populate_existing refreshes it).
        statement = statement.with_for_update(read=lock == "share")
        return self.session.execute(
            statement.execution_options(populate_existing=True)
        ).scalar_one_or_none()

    def _visible(self, viewer: Viewer) -> ColumnElement[bool]:
        if viewer.is_admin:
            return true()
        org, me = self.org_id, viewer.member_id
        tree = subtree(org, me, "cycle_viewer_subtree")
        takes_part = exists(
            select(_p.id).where(
                _p.org_id == _c.org_id,
                _p.cycle_id == _c.id,
                or_(_p.member_id == me, _p.member_id.in_(select(tree.c.id))),
            )
        )
        reviews_in = exists(
            select(_r.id).where(
                _r.org_id == _c.org_id,
                _r.cycle_id == _c.id,
                or_(_r.reviewer_id == me, _r.reviewee_id == me),
            )
        )
        return or_(
            _c.created_by == me,
            and_(_c.state != CycleState.DRAFT, or_(takes_part, reviews_in)),
        )

    def list(self, filters: CycleFilters, viewer: Viewer, page: PageRequest) -> Page[CycleListing]:
        count = (
            select(func.count())
            .where(_p.org_id == _c.org_id, _p.cycle_id == _c.id)
            .scalar_subquery()
        )
        statement = (
            select(ReviewCycle, count.label("participants"))
            .where(_c.org_id == self.org_id, self._visible(viewer))
            .order_by(_c.period_end.desc(), _c.created_at.desc(), _c.id)
        )
        if filters.state is not None:
            statement = statement.where(_c.state == filters.state)
        return page_of(self.session, statement, page, lambda row: CycleListing(row[0], row[1]))

    def visible(self, cycle: ReviewCycle, viewer: Viewer) -> bool:
        if viewer.is_admin:
            return True
        statement = select(
            exists(
                select(_c.id).where(
                    _c.org_id == self.org_id, _c.id == cycle.id, self._visible(viewer)
                )
            )
        )
        return bool(self.session.execute(statement).scalar_one())

    def participant_count(self, cycle_id: UUID) -> int:
        return int(
            self.session.execute(
                select(func.count()).where(_p.org_id == self.org_id, _p.cycle_id == cycle_id)
            ).scalar_one()
        )

    def competencies(self, cycle_id: UUID) -> builtins.list[CycleCompetency]:
        cc = tables.cycle_competencies.c
        rows = self.session.execute(
            select(cc.competency_id, cc.key, cc.name, cc.description, cc.position)
            .where(cc.org_id == self.org_id, cc.cycle_id == cycle_id)
            .order_by(cc.position, cc.key)
        )
        return [CycleCompetency(*row) for row in rows]

    def open_manager_reviews(self, cycle_id: UUID) -> builtins.list[UUID]:
        rows = self.session.execute(
            select(_r.reviewee_id)
            .where(
                _r.org_id == self.org_id,
                _r.cycle_id == cycle_id,
                _r.type == ReviewType.MANAGER,
                _r.status != ReviewStatus.SUBMITTED,
            )
            .order_by(_r.reviewee_id)
        )
        return [row[0] for row in rows]
