"""Participants of a cycle: choosing them in a draft, locking one, and their list.

The list is one statement for the page (progress counted in a LATERAL subquery) and,
for those who may see results, one more for the page's calibrated and manager ratings.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import UUID as PgUUID

from service.adapters import tables
from service.adapters.cycle_sql import COUNTED, rowcount
from service.adapters.reporting_lines import subtree
from service.adapters.repositories import TenantQueries, page_of
from service.application.cycle_ports import (
    ChosenMember,
    ParticipantRecord,
    ParticipantScope,
    Selection,
    SelectionFacts,
)
from service.application.pagination import Page, PageRequest
from service.domain.calibration import CycleParticipant
from service.domain.cycle import CycleState, ReviewCycle, ReviewType
from service.domain.member import MemberStatus
from service.domain.review import ReviewStatus

_p = tables.cycle_participants.c
_r = tables.reviews.c
_m = tables.members.c


class SqlParticipantRepository(TenantQueries):
    def selection_facts(self, selection: Selection) -> SelectionFacts:
        org = self.org_id
        teams: frozenset[UUID] = frozenset()
        teams_with_people: frozenset[UUID] = frozenset()
        if selection.team_ids:
            t = tables.teams.c
            eligible = [
                _m.org_id == org,
                _m.team_id == t.id,
                _m.status == MemberStatus.ACTIVE,
                _m.product_role_id.is_not(None),
            ]
            if selection.within is not None:
                tree = subtree(org, selection.within, "team_scope")
                eligible.append(_m.id.in_(select(tree.c.id)))
            found = self.session.execute(
                select(t.id, exists(select(_m.id).where(*eligible)).label("has_people")).where(
                    t.org_id == org, t.id.in_(list(selection.team_ids))
                )
            ).all()
            teams = frozenset(row.id for row in found)
            teams_with_people = frozenset(row.id for row in found if row.has_people)
        members: dict[UUID, ChosenMember] = {}
        if selection.member_ids:
            in_scope: ColumnElement[bool] = true()
            if selection.within is not None:
                tree = subtree(org, selection.within, "selection_scope")
                in_scope = _m.id.in_(select(tree.c.id))
            rows = self.session.execute(
                select(_m.id, _m.status, _m.product_role_id, in_scope.label("in_scope")).where(
                    _m.org_id == org, _m.id.in_(list(selection.member_ids))
                )
            )
            members = {
                row.id: ChosenMember(
                    row.status == MemberStatus.ACTIVE,
                    bool(row.in_scope),
                    has_role=row.product_role_id is not None,
                )
                for row in rows
            }
        return SelectionFacts(teams, members, teams_with_people)

    def select(self, cycle: ReviewCycle, selection: Selection) -> int:
        org = self.org_id
        self.session.execute(
            delete(tables.cycle_participants).where(_p.org_id == org, _p.cycle_id == cycle.id)
        )
        chosen = select(
            _m.org_id,
            func.gen_random_uuid(),
            literal(cycle.id, PgUUID(as_uuid=True)),
            _m.id,
        ).where(_m.org_id == org, _m.status == MemberStatus.ACTIVE)
        if selection.member_ids is not None:
            chosen = chosen.where(_m.id.in_(list(selection.member_ids)))
        else:
            # Eligible: active members with a product role (of the chosen teams).
            chosen = chosen.where(_m.product_role_id.is_not(None))
            if selection.team_ids is not None:
                chosen = chosen.where(
                    _m.team_id.in_(list(selection.team_ids)) if selection.team_ids else false()
                )
        if selection.within is not None:
            tree = subtree(org, selection.within, "selection_scope")
            chosen = chosen.where(_m.id.in_(select(tree.c.id)))
        result = self.session.execute(
            insert(tables.cycle_participants).from_select(
                ["org_id", "id", "cycle_id", "member_id"], chosen
            ),
            execution_options=COUNTED,
        )
        return rowcount(result)

    def get(
        self, cycle_id: UUID, member_id: UUID, *, lock: bool = False
    ) -> CycleParticipant | None:
        statement = select(CycleParticipant).where(
            _p.cycle_id == cycle_id, _p.member_id == member_id
        )
        if lock:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return self.session.execute(statement).scalar_one_or_none()

    def list(
        self,
        cycle: ReviewCycle,
        scope: ParticipantScope,
        page: PageRequest,
        *,
        results: bool,
        member_id: UUID | None = None,
    ) -> Page[ParticipantRecord]:
        org = self.org_id
        counts = (
            select(
                func.count().label("assigned"),
                func.count().filter(_r.status == ReviewStatus.SUBMITTED).label("submitted"),
            )
            .where(
                _r.org_id == _p.org_id, _r.cycle_id == _p.cycle_id, _r.reviewee_id == _p.member_id
            )
            .lateral("progress")
        )
        draft = cycle.state is CycleState.DRAFT
        statement = (
            select(
                _p.member_id,
                # A draft has no snapshot yet: show what launching would take.
                (_m.product_role_id if draft else _p.product_role_id).label("product_role_id"),
                (_m.manager_id if draft else _p.manager_id).label("manager_id"),
                counts.c.assigned,
                counts.c.submitted,
                _p.calibration_note,
            )
            .select_from(tables.cycle_participants)
            .join(tables.members, and_(_m.org_id == _p.org_id, _m.id == _p.member_id))
            .join(counts, true())
            .where(_p.org_id == org, _p.cycle_id == cycle.id)
            .order_by(_m.name, _p.member_id)
        )
        if member_id is not None:
            statement = statement.where(_p.member_id == member_id)
        if not scope.everyone:
            tree = subtree(org, scope.viewer_id, "participant_scope")
            statement = statement.where(_p.member_id.in_(select(tree.c.id)))
        found = page_of(self.session, statement, page, lambda row: row)
        shown = self._results(cycle.id, [row.member_id for row in found.items]) if results else {}
        records = []
        for row in found.items:
            calibrated, manager = shown.get(row.member_id, ({}, {}))
            records.append(
                ParticipantRecord(
                    member_id=row.member_id,
                    product_role_id=row.product_role_id,
                    manager_id=row.manager_id,
                    assigned=int(row.assigned),
                    submitted=int(row.submitted),
                    calibrated_scores=calibrated,
                    manager_scores=manager,
                    calibration_note=row.calibration_note,
                )
            )
        return Page(records, found.total)

    def _results(
        self, cycle_id: UUID, member_ids: Sequence[UUID]
    ) -> dict[UUID, tuple[dict[UUID, int], dict[UUID, int | None]]]:
        """Calibrated and submitted manager ratings of a page of participants: one query."""
        if not member_ids:
            return {}
        org = self.org_id
        cal = tables.calibrations.c
        rr = tables.review_ratings.c
        calibrated = select(
            cal.member_id.label("member_id"),
            cal.competency_id.label("competency_id"),
            cal.score.label("score"),
            literal("calibrated").label("source"),
        ).where(cal.org_id == org, cal.cycle_id == cycle_id, cal.member_id.in_(member_ids))
        manager = (
            select(_r.reviewee_id, rr.competency_id, rr.score, literal("manager"))
            .join(tables.review_ratings, and_(rr.org_id == _r.org_id, rr.review_id == _r.id))
            # The one manager review of each reviewee (a unique index), whoever writes it:
            # the snapshotted manager, or the manager it was handed to when they left.
            .where(
                _r.org_id == org,
                _r.cycle_id == cycle_id,
                _r.reviewee_id.in_(member_ids),
                _r.type == ReviewType.MANAGER,
                _r.status == ReviewStatus.SUBMITTED,
            )
        )
        found: dict[UUID, tuple[dict[UUID, int], dict[UUID, int | None]]] = {}
        for row in self.session.execute(union_all(calibrated, manager)):
            entry = found.setdefault(row.member_id, ({}, {}))
            if row.source == "calibrated":
                entry[0][row.competency_id] = row.score
            else:
                entry[1][row.competency_id] = row.score
        return found
