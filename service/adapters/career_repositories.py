"""Teams, competencies and the ladder: loading and saving, a constant number of queries.

Expectations load with their role (a ``selectin`` relationship: one more query per
list, whatever its length).
"""

from __future__ import annotations

import builtins
from uuid import UUID

from sqlalchemy import func, select

from service.adapters import tables
from service.adapters.repositories import Repository, paginate
from service.application.career_ports import RolePosition, StrandedExpectation
from service.application.pagination import Page, PageRequest
from service.domain.career import Competency, ProductRole, Team
from service.domain.cycle import CycleState

#: First key of the transaction-level advisory lock on an organisation's ladder: what
#: its expectations must fit (the rating scale, the competencies not retired) and the
#: expectations themselves. Distinct from ``repositories.ADMINS_LOCK`` and
#: ``API_TOKENS_LOCK``, ``structure_repositories.REPORTING_LOCK`` and
#: ``webhook_repositories.WEBHOOKS_LOCK``.
LADDER_LOCK = 0x1ADD


class TeamRepository(Repository[Team]):
    entity = Team
    table = tables.teams

    def list(self, page: PageRequest) -> Page[Team]:
        c = tables.teams.c
        return paginate(self.session, select(Team).order_by(c.name, c.id), page)

    def names(self) -> dict[UUID, str]:
        t = tables.teams.c
        rows = self.session.execute(select(t.id, t.name).where(t.org_id == self.org_id))
        return {row.id: row.name for row in rows}

    def member_count(self, team_id: UUID) -> int:
        m = tables.members.c
        return int(
            self.session.execute(
                select(func.count()).where(m.org_id == self.org_id, m.team_id == team_id)
            ).scalar_one()
        )

    def draft_cycle_count(self, team_id: UUID) -> int:
        c = tables.review_cycles.c
        return int(
            self.session.execute(
                select(func.count()).where(
                    c.org_id == self.org_id,
                    c.state == CycleState.DRAFT,
                    c.team_ids.contains([team_id]),
                )
            ).scalar_one()
        )


class CompetencyRepository(Repository[Competency]):
    entity = Competency
    table = tables.competencies

    def list(self, page: PageRequest, retired: bool | None) -> Page[Competency]:
        c = tables.competencies.c
        statement = select(Competency).order_by(c.position, c.key, c.id)
        if retired is not None:
            statement = statement.where(c.retired.is_(retired))
        return paginate(self.session, statement, page)

    def all(self) -> builtins.list[Competency]:
        c = tables.competencies.c
        statement = select(Competency).order_by(c.position, c.key, c.id)
        return list(self.session.execute(statement).scalars())


class ProductRoleRepository(Repository[ProductRole]):
    entity = ProductRole
    table = tables.product_roles

    def lock_ladder(self) -> None:
        self.hold_lock(LADDER_LOCK)

    def list(self, page: PageRequest, track: str | None) -> Page[ProductRole]:
        c = tables.product_roles.c
        statement = select(ProductRole).order_by(c.track, c.level, c.id)
        if track is not None:
            statement = statement.where(c.track == track)
        return paginate(self.session, statement, page)

    def positions(self) -> builtins.list[RolePosition]:
        c = tables.product_roles.c
        rows = self.session.execute(
            select(c.id, c.name, c.track, c.level)
            .where(c.org_id == self.org_id)
            .order_by(c.track, c.level)
        )
        return [RolePosition(row.id, row.name, row.track, row.level) for row in rows]

    def expecting(self, competency_id: UUID) -> builtins.list[ProductRole]:
        r, e = tables.product_roles.c, tables.expectations.c
        used_by = select(e.role_id).where(e.org_id == self.org_id, e.competency_id == competency_id)
        statement = select(ProductRole).where(r.id.in_(used_by)).order_by(r.track, r.level)
        return list(self.session.execute(statement).scalars())

    def holder_count(self, role_id: UUID) -> int:
        m = tables.members.c
        return int(
            self.session.execute(
                select(func.count()).where(m.org_id == self.org_id, m.product_role_id == role_id)
            ).scalar_one()
        )

    def stranded(self, low: int, high: int) -> builtins.list[StrandedExpectation]:
        r, e, c = tables.product_roles, tables.expectations, tables.competencies
        rows = self.session.execute(
            select(r.c.name, r.c.track, r.c.level, c.c.key, e.c.expected_score)
            .select_from(e)
            .join(r, (r.c.org_id == e.c.org_id) & (r.c.id == e.c.role_id))
            .join(c, (c.c.org_id == e.c.org_id) & (c.c.id == e.c.competency_id))
            .where(
                e.c.org_id == self.org_id,
                (e.c.expected_score < low) | (e.c.expected_score > high),
            )
            .order_by(r.c.track, r.c.level, c.c.position, c.c.key)
        )
        return [StrandedExpectation(*row) for row in rows]

    def mark_changed(self, role: ProductRole) -> None:
        # The version column moves only when a column of the role itself changes;
        # setting it by hand makes the UPDATE carry "WHERE version = <read>" too.
        role.version = role.version + 1
