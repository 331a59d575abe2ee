"""The unit of work: one session, one transaction at a time, one tenant.

Nothing is written unless a use case calls ``commit()``; ``close()`` (at the
end of every request) rolls back whatever was left.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from service.adapters import repositories as repos
from service.adapters.career_repositories import (
    CompetencyRepository,
    ProductRoleRepository,
    TeamRepository,
)
from service.adapters.constraints import conflict_from
from service.adapters.credentials import SqlCredentials
from service.adapters.cycle_launch import SqlCycleLaunch
from service.adapters.cycle_repositories import SqlCycleRepository
from service.adapters.feedback_queries import SqlFeedbackQueries
from service.adapters.idempotency_store import IdempotencyRepository
from service.adapters.member_import_store import MemberImportRepository
from service.adapters.participant_repositories import SqlParticipantRepository
from service.adapters.reports import SqlReportQueries
from service.adapters.review_repositories import SqlReviewRepository
from service.adapters.structure_repositories import ReportingLinesRepository
from service.adapters.tenancy import TenantSession, bind
from service.domain.errors import PreconditionFailed


class SqlUnitOfWork:
    def __init__(self, session_factory: sessionmaker[TenantSession]) -> None:
        self.session = session_factory()
        s = self.session
        self.credentials = SqlCredentials(s)
        self.organisations = repos.OrganisationRepository(s)
        self.members = repos.MemberRepository(s)
        self.api_tokens = repos.ApiTokenRepository(s)
        self.auth_sessions = repos.AuthSessionRepository(s)
        self.invitations = repos.InvitationRepository(s)
        self.audit_log = repos.AuditLogRepository(s)
        self.teams = TeamRepository(s)
        self.competencies = CompetencyRepository(s)
        self.product_roles = ProductRoleRepository(s)
        self.reporting_lines = ReportingLinesRepository(s)
        self.member_imports = MemberImportRepository(s)
        self.idempotency = IdempotencyRepository(s)
        self.cycles = SqlCycleRepository(s)
        self.participants = SqlParticipantRepository(s)
        self.cycle_launch = SqlCycleLaunch(s)
        self.reviews = SqlReviewRepository(s)
        self.feedback = SqlFeedbackQueries(s)
        self.reports = SqlReportQueries(s)

    def bind_tenant(self, org_id: UUID) -> None:
        bind(self.session, org_id)

    def flush(self) -> None:
        try:
            self.session.flush()
        except IntegrityError as error:
            self.session.rollback()
            raise conflict_from(error) from error
        except StaleDataError as error:
            self.session.rollback()
            raise PreconditionFailed(
                "The resource changed since you read it; read it again."
            ) from error

    def commit(self) -> None:
        self.flush()
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def close(self, *, succeeded: bool = False) -> None:
        session = self.session
        try:
            if (
                succeeded
                and session.in_transaction()
                and not (session.new or session.dirty or session.deleted)
            ):
                session.commit()
        finally:
            session.close()
