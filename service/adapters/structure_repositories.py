"""Reporting lines and the people directory: recursive queries, one statement each."""

from __future__ import annotations

from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import Select, and_, bindparam, func, literal, or_, select
from sqlalchemy.dialects.postgresql import UUID as PgUUID

from service.adapters import tables
from service.adapters.database import DriverStatement, driver_statement, run_prepared
from service.adapters.reporting_lines import LOOP_GUARD, reports_to, subtree
from service.adapters.repositories import (
    TenantQueries,
    page_from_rows,
    page_of,
    substring_pattern,
)
from service.application.career_ports import ChainLink, DirectoryEntry, MemberFilters
from service.application.pagination import Page, PageRequest
from service.domain.access import AccessRole
from service.domain.member import Member, MemberStatus

#: First key of the transaction-level advisory lock on an organisation's reporting lines.
REPORTING_LOCK = 0x5EED
#: Built once: an alias builds its column collection on first use, which costs more
#: (~0.3 ms) than the rest of a one-member read together.
_MANAGER = tables.members.alias("manager")
#: The names shown beside a member, from ``_with_names``.
_NAMES = (
    _MANAGER.c.name.label("manager_name"),
    tables.teams.c.name.label("team_name"),
    tables.product_roles.c.name.label("product_role_name"),
)


#: A member's columns as the hot read answers them: all but the password hash.
_MEMBER_COLUMNS = tuple(c for c in tables.members.c if c.key != "password_hash")


def _with_names(base: Any) -> Any:
    """``base`` (members, or members joined to a page of ids) with their manager, team
    and role, for their names."""
    m, manager, team, role = tables.members, _MANAGER, tables.teams, tables.product_roles
    return (
        base.outerjoin(
            manager, and_(manager.c.org_id == m.c.org_id, manager.c.id == m.c.manager_id)
        )
        .outerjoin(team, and_(team.c.org_id == m.c.org_id, team.c.id == m.c.team_id))
        .outerjoin(role, and_(role.c.org_id == m.c.org_id, role.c.id == m.c.product_role_id))
    )


class ReportingLinesRepository(TenantQueries):
    def lock(self) -> None:
        self.hold_lock(REPORTING_LOCK)

    def manager_chain(self, start_id: UUID, stop_at: UUID | None = None) -> list[ChainLink]:
        m, org = tables.members.c, self.org_id
        chain = (
            select(m.id, m.name, m.manager_id, m.status, literal(0).label("depth"))
            .where(m.org_id == org, m.id == start_id)
            .cte("chain", recursive=True)
        )
        step = (
            select(m.id, m.name, m.manager_id, m.status, chain.c.depth + 1)
            .join(chain, and_(m.org_id == org, m.id == chain.c.manager_id))
            .where(chain.c.depth < LOOP_GUARD)
        )
        if stop_at is not None:
            step = step.where(chain.c.id != stop_at)
        chain = chain.union_all(step)
        rows = self.session.execute(select(chain).order_by(chain.c.depth))
        return [
            ChainLink(row.id, row.name, row.manager_id, row.status == MemberStatus.ACTIVE.value)
            for row in rows
        ]

    def oversees(self, viewer_id: UUID, member_id: UUID) -> bool:
        if viewer_id == member_id:
            return False
        return bool(
            self.session.execute(select(reports_to(self.org_id, member_id, viewer_id))).scalar_one()
        )

    def _entries(self, rows: Any = None) -> Select[Any]:
        """Members with the names of their manager, team and role: one statement,
        however many members. ``rows``, when given, is a subquery of the ids wanted,
        joined first."""
        m = tables.members
        base: Any = m
        if rows is not None:
            base = rows.join(m, and_(m.c.org_id == self.org_id, m.c.id == rows.c.id))
        return select(Member, *_NAMES).select_from(_with_names(base))

    @staticmethod
    def _entry(row: Any, member: Member | None = None) -> DirectoryEntry:
        """A row of ``_entries`` (its first column the member), or of the hot read with
        its ``member`` built from the columns."""
        return DirectoryEntry(
            member=row[0] if member is None else member,
            manager_name=row.manager_name,
            team_name=row.team_name,
            product_role_name=row.product_role_name,
            depth=getattr(row, "depth", None),
        )

    def directory(self, filters: MemberFilters, page: PageRequest) -> Page[DirectoryEntry]:
        c = tables.members.c
        statement = self._entries()
        for column, value in (
            (c.team_id, filters.team_id),
            (c.manager_id, filters.manager_id),
            (c.product_role_id, filters.product_role_id),
            (c.status, filters.status),
        ):
            if value is not None:
                statement = statement.where(column == value)
        if filters.q:
            pattern = substring_pattern(filters.q)
            statement = statement.where(or_(c.name.ilike(pattern), c.email.ilike(pattern)))
        return page_of(self.session, statement.order_by(c.name, c.id), page, self._entry)

    def entry(self, member_id: UUID) -> DirectoryEntry | None:
        """The hot read of ``GET /me`` and ``GET /members/{id}``: a Core statement built
        once, executed with bound values (no ORM loading)."""
        values = {"org": self.org_id, "member": member_id}
        row = run_prepared(self.session, _entry_sql(), values).first()
        if row is None:
            return None
        columns = row._mapping
        member = Member(
            **{c.key: columns[c.key] for c in _MEMBER_COLUMNS}
            | {
                "access_role": AccessRole(columns["access_role"]),
                "status": MemberStatus(columns["status"]),
            }
        )
        return self._entry(row, member)

    def reports(
        self, root_id: UUID, max_depth: int | None, page: PageRequest
    ) -> Page[DirectoryEntry]:
        """One statement: the subtree is ordered and cut to the page first (it carries
        names for that), so only the page's rows are joined to their details."""
        c = tables.members.c
        tree = subtree(self.org_id, root_id, "reports", max_depth)
        rows = (
            select(tree.c.id, tree.c.depth, func.count().over().label("_total"))
            .order_by(tree.c.depth, tree.c.name, tree.c.id)
            .limit(page.page_size)
            .offset(page.offset)
            .subquery("page")
        )
        statement = (
            self._entries(rows)
            .add_columns(rows.c.depth, rows.c._total)
            .order_by(rows.c.depth, c.name, c.id)
        )
        found = self.session.execute(statement).all()
        return page_from_rows(self.session, found, page, self._entry, select(tree.c.id))


@cache
def _entry_sql() -> DriverStatement:
    return driver_statement(_entry_statement())


def _entry_statement() -> Select[Any]:
    """One member with the names of their manager, team and role."""
    m = tables.members
    org = bindparam("org", type_=PgUUID(as_uuid=True))
    member = bindparam("member", type_=PgUUID(as_uuid=True))
    return (
        select(*_MEMBER_COLUMNS, *_NAMES)
        .select_from(_with_names(m))
        .where(m.c.org_id == org, m.c.id == member)
    )
