"""Repositories: loading and saving domain objects, one query per list."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, Select, Table, and_, false, func, or_, select, update
from sqlalchemy.orm import Session

from service.adapters import tables
from service.adapters.cycle_sql import rowcount
from service.adapters.tenancy import TenantNotBound, bound_tenant
from service.application.pagination import Page, PageRequest
from service.application.ports import AuditFilters
from service.domain.access import AccessRole
from service.domain.audit import AuditEvent
from service.domain.credentials import ApiToken, AuthSession, Invitation
from service.domain.member import Member, MemberStatus
from service.domain.organisation import Organisation

T = TypeVar("T")
R = TypeVar("R")

#: First key of the transaction-level advisory lock on an organisation's admins
#: (``structure_repositories.REPORTING_LOCK`` is the reporting lines').
ADMINS_LOCK = 0xAD31
#: First key of the transaction-level advisory lock on an organisation's API tokens.
API_TOKENS_LOCK = 0xA7C5


def substring_pattern(term: str) -> str:
    """An ILIKE pattern matching ``term`` anywhere, its wildcards taken literally."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class TenantQueries:
    """Base of every repository: the session, and the bound tenant for Core statements."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def org_id(self) -> UUID:
        """The bound tenant, for Core statements the ORM scoping does not see."""
        org_id = bound_tenant(self.session)
        if org_id is None:
            raise TenantNotBound("No organisation is bound to this unit of work.")
        return org_id

    def hold_lock(self, key: int) -> None:
        """Serialise one kind of change in the bound organisation until the transaction
        ends (a transaction-level advisory lock on ``key`` and the organisation)."""
        self.session.execute(
            select(func.pg_advisory_xact_lock(key, func.hashtext(str(self.org_id))))
        )


def page_of(
    session: Session, statement: Select[Any], page: PageRequest, convert: Callable[[Any], R]
) -> Page[R]:
    """The page's rows and the total in one statement (a window count)."""
    counted = statement.add_columns(func.count().over().label("_total"))
    rows = session.execute(counted.limit(page.page_size).offset(page.offset)).all()
    return page_from_rows(session, rows, page, convert, statement)


def page_from_rows(
    session: Session,
    rows: Sequence[Any],
    page: PageRequest,
    convert: Callable[[Any], R],
    everything: Select[Any],
) -> Page[R]:
    """The page of ``rows`` (each carrying the window count ``_total``). Past the last
    page no row carries it, and the total, which X-Pagination still needs, is counted
    from ``everything``: one more statement, only then."""
    if rows:
        return Page([convert(row) for row in rows], int(rows[0]._total))
    if page.page == 1:
        return Page([], 0)
    total = session.execute(
        select(func.count()).select_from(everything.order_by(None).subquery())
    ).scalar_one()
    return Page([], int(total))


def paginate(session: Session, statement: Select[Any], page: PageRequest) -> Page[Any]:
    """A page of ORM entities (the statement's first column)."""
    return page_of(session, statement, page, lambda row: row[0])


class Repository(TenantQueries, Generic[T]):
    entity: type[T]
    table: Table

    def add(self, obj: T) -> None:
        self.session.add(obj)

    def get(self, entity_id: UUID) -> T | None:
        # Scoped to the bound tenant by the session; the id alone never crosses it.
        return self.session.execute(
            select(self.entity).where(self.table.c.id == entity_id)
        ).scalar_one_or_none()

    def delete(self, obj: T) -> None:
        self.session.delete(obj)


class OrganisationRepository(Repository[Organisation]):
    entity = Organisation
    table = tables.organisations


class MemberRepository(Repository[Member]):
    entity = Member
    table = tables.members

    def get_by_email(self, email: str) -> Member | None:
        return self.session.execute(
            select(Member).where(self.table.c.email == email)
        ).scalar_one_or_none()

    def direct_reports(self, manager_id: UUID) -> list[Member]:
        c = self.table.c
        return list(
            self.session.execute(
                select(Member)
                .where(c.manager_id == manager_id, c.status == MemberStatus.ACTIVE.value)
                .order_by(c.name, c.id)
            ).scalars()
        )

    def lock_admins(self) -> None:
        self.hold_lock(ADMINS_LOCK)

    def active_admin_count(self, now: datetime, *, excluding: Collection[UUID] = ()) -> int:
        # Counted under the lock, held until the transaction ends: of two admins
        # demoting each other at once, the second counts after the first commits.
        self.lock_admins()
        c = tables.members.c
        i = tables.invitations.c
        invited = (
            select(i.id)
            .where(
                i.org_id == c.org_id,
                i.member_id == c.id,
                i.accepted_at.is_(None),
                i.expires_at > now,
            )
            .exists()
        )
        counted = (
            select(func.count())
            .select_from(Member)
            .where(
                c.access_role == AccessRole.ADMIN.value,
                c.status == MemberStatus.ACTIVE.value,
                or_(c.password_hash.is_not(None), invited),
            )
        )
        if excluding:
            counted = counted.where(c.id.not_in(list(excluding)))
        return int(self.session.execute(counted).scalar_one())


class ApiTokenRepository(Repository[ApiToken]):
    entity = ApiToken
    table = tables.api_tokens

    def list(self, page: PageRequest) -> Page[ApiToken]:
        c = tables.api_tokens.c
        statement = select(ApiToken).where(c.revoked_at.is_(None)).order_by(c.created_at, c.id)
        return paginate(self.session, statement, page)

    def active_count(self, now: datetime) -> int:
        self.hold_lock(API_TOKENS_LOCK)
        c = tables.api_tokens.c
        return int(
            self.session.execute(
                select(func.count())
                .select_from(ApiToken)
                .where(c.revoked_at.is_(None), c.expires_at.is_(None) | (c.expires_at > now))
            ).scalar_one()
        )


class AuthSessionRepository(Repository[AuthSession]):
    entity = AuthSession
    table = tables.auth_sessions

    def end_all(self, member_id: UUID) -> int:
        c = tables.auth_sessions.c
        ended = self.session.execute(
            tables.auth_sessions.delete().where(c.org_id == self.org_id, c.member_id == member_id)
        )
        return rowcount(ended)


class InvitationRepository(Repository[Invitation]):
    entity = Invitation
    table = tables.invitations

    def revoke_open(self, member_id: UUID, now: datetime) -> None:
        c = tables.invitations.c
        self.session.execute(
            update(Invitation)
            .where(c.member_id == member_id, c.accepted_at.is_(None), c.expires_at > now)
            .values(expires_at=now),
            execution_options={"synchronize_session": False},
        )

    def claim(self, invitation_id: UUID, now: datetime) -> bool:
        # One conditional UPDATE: a concurrent claim waits on the row, then finds it
        # accepted and matches nothing.
        c = tables.invitations.c
        claimed = self.session.execute(
            update(Invitation)
            .where(c.id == invitation_id, c.accepted_at.is_(None), c.expires_at > now)
            .values(accepted_at=now)
            .returning(c.id),
            execution_options={"synchronize_session": False},
        ).first()
        return claimed is not None


class AuditLogRepository(Repository[AuditEvent]):
    entity = AuditEvent
    table = tables.audit_events

    def list(self, filters: AuditFilters, page: PageRequest) -> Page[AuditEvent]:
        c = tables.audit_events.c
        statement = select(AuditEvent)
        for column, value in (
            (c.entity_type, filters.entity_type),
            (c.entity_id, filters.entity_id),
            (c.actor_id, filters.actor_id),
        ):
            if value is not None:
                statement = statement.where(column == value)
        if filters.since is not None:
            statement = statement.where(c.created_at >= filters.since)
        if filters.until is not None:
            statement = statement.where(c.created_at < filters.until)
        if filters.not_about is not None:
            statement = statement.where(~_about(filters.not_about))
        return paginate(self.session, statement.order_by(c.created_at.desc(), c.id), page)


#: Events whose snapshots name the reviewee (``reviewee_id``) or the participant
#: (``member_id``) whose reviews they concern.
REVIEW_EVENT_TYPES = ("review", "cycle_participant", "review_cycle")


def _about(member_id: UUID) -> ColumnElement[bool]:
    """An event about ``member_id``'s reviews: a submission, a calibration, a nomination."""
    c, me = tables.audit_events.c, str(member_id)
    named = or_(
        c.after["reviewee_id"].astext == me,
        c.before["reviewee_id"].astext == me,
        c.after["member_id"].astext == me,
        c.before["member_id"].astext == me,
    )
    return and_(c.entity_type.in_(REVIEW_EVENT_TYPES), func.coalesce(named, false()))
