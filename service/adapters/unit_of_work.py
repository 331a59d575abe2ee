"""The unit of work: one session, one transaction at a time, one tenant.

Nothing is written unless a use case calls ``commit()``; ``close()`` (at the
end of every request) rolls back whatever was left.
"""

from __future__ import annotations

from functools import cached_property
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
from service.adapters.public_idempotency_store import SqlPublicIdempotency
from service.adapters.reports import SqlReportQueries
from service.adapters.review_repositories import SqlReviewRepository
from service.adapters.structure_repositories import ReportingLinesRepository
from service.adapters.tenancy import TenantSession, bind
from service.adapters.webhook_outbox import WebhookOutboxRepository
from service.adapters.webhook_repositories import WebhookRepository
from service.adapters.webhook_sender import ResolvingHosts
from service.domain.errors import PreconditionFailed


class SqlUnitOfWork:
    def __init__(
        self,
        session_factory: sessionmaker[TenantSession],
        webhook_hosts: ResolvingHosts | None = None,
    ) -> None:
        self.session = session_factory()
        self.webhook_hosts = webhook_hosts or ResolvingHosts(allow_loopback=False)

    # Repositories are made on first use: a request touches two or three of them.
    @cached_property
    def credentials(self) -> SqlCredentials:
        return SqlCredentials(self.session)

    @cached_property
    def organisations(self) -> repos.OrganisationRepository:
        return repos.OrganisationRepository(self.session)

    @cached_property
    def members(self) -> repos.MemberRepository:
        return repos.MemberRepository(self.session)

    @cached_property
    def api_tokens(self) -> repos.ApiTokenRepository:
        return repos.ApiTokenRepository(self.session)

    @cached_property
    def auth_sessions(self) -> repos.AuthSessionRepository:
        return repos.AuthSessionRepository(self.session)

    @cached_property
    def invitations(self) -> repos.InvitationRepository:
        return repos.InvitationRepository(self.session)

    @cached_property
    def audit_log(self) -> repos.AuditLogRepository:
        return repos.AuditLogRepository(self.session)

    @cached_property
    def teams(self) -> TeamRepository:
        return TeamRepository(self.session)

    @cached_property
    def competencies(self) -> CompetencyRepository:
        return CompetencyRepository(self.session)

    @cached_property
    def product_roles(self) -> ProductRoleRepository:
        return ProductRoleRepository(self.session)

    @cached_property
    def reporting_lines(self) -> ReportingLinesRepository:
        return ReportingLinesRepository(self.session)

    @cached_property
    def member_imports(self) -> MemberImportRepository:
        return MemberImportRepository(self.session)

    @cached_property
    def idempotency(self) -> IdempotencyRepository:
        return IdempotencyRepository(self.session)

    @cached_property
    def public_idempotency(self) -> SqlPublicIdempotency:
        return SqlPublicIdempotency(self.session)

    @cached_property
    def cycles(self) -> SqlCycleRepository:
        return SqlCycleRepository(self.session)

    @cached_property
    def participants(self) -> SqlParticipantRepository:
        return SqlParticipantRepository(self.session)

    @cached_property
    def cycle_launch(self) -> SqlCycleLaunch:
        return SqlCycleLaunch(self.session)

    @cached_property
    def reviews(self) -> SqlReviewRepository:
        return SqlReviewRepository(self.session)

    @cached_property
    def feedback(self) -> SqlFeedbackQueries:
        return SqlFeedbackQueries(self.session)

    @cached_property
    def reports(self) -> SqlReportQueries:
        return SqlReportQueries(self.session)

    @cached_property
    def webhooks(self) -> WebhookRepository:
        return WebhookRepository(self.session)

    @cached_property
    def webhook_outbox(self) -> WebhookOutboxRepository:
        return WebhookOutboxRepository(self.session)

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
