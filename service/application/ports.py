"""What the use cases need from the outside world, as protocols.

The adapters implement them over PostgreSQL; the composition root wires them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from service.application.career_ports import (
    Competencies,
    MemberImports,
    ProductRoles,
    ReportingLines,
    Teams,
)
from service.application.credential_ports import (
    ApiTokens,
    AuthSessions,
    Credentials,
    Invitations,
)
from service.application.cycle_ports import (
    CycleLaunch,
    CycleRepository,
    FeedbackQueries,
    ParticipantRepository,
    ReviewRepository,
)
from service.application.pagination import Page, PageRequest
from service.application.report_ports import ReportQueries
from service.application.webhook_ports import WebhookHosts, WebhookOutbox, Webhooks
from service.domain.audit import AuditEvent
from service.domain.idempotency import IdempotencyRecord
from service.domain.member import Member
from service.domain.organisation import Organisation


@dataclass(frozen=True, slots=True)
class AuditFilters:
    entity_type: str | None = None
    entity_id: UUID | None = None
    actor_id: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    #: Leave out the events about this member's own reviews, calibration and peers.
    not_about: UUID | None = None


class Organisations(Protocol):
    def add(self, org: Organisation) -> None: ...

    def get(self, org_id: UUID) -> Organisation | None: ...


class Members(Protocol):
    def add(self, member: Member) -> None: ...

    def get(self, member_id: UUID) -> Member | None: ...

    def get_by_email(self, email: str) -> Member | None: ...

    def lock_admins(self) -> None:
        """Serialise changes to who is an active admin of the organisation until the
        transaction ends (take it before the reporting lines' lock)."""
        ...

    def active_admin_count(self, now: datetime, *, excluding: Collection[UUID] = ()) -> int:
        """The active admins who can log in (who have a password, or an invitation open
        at ``now``), other than those ``excluding``: an admin who cannot log in can
        never be invited either, as only an admin invites. Counted under
        ``lock_admins``, so two admins demoting each other at once cannot both see the
        other one still there."""
        ...

    def direct_reports(self, manager_id: UUID) -> list[Member]:
        """The active members whose manager is ``manager_id``, by name."""
        ...


class AuditLog(Protocol):
    def add(self, event: AuditEvent) -> None: ...

    def list(self, filters: AuditFilters, page: PageRequest) -> Page[AuditEvent]: ...


class IdempotencyStore(Protocol):
    def get_for_update(self, member_id: UUID, key: str) -> IdempotencyRecord | None:
        """The member's record for ``key``, locked until the transaction ends."""
        ...

    def add(self, record: IdempotencyRecord) -> None: ...

    def delete(self, record: IdempotencyRecord) -> None: ...

    def prune_expired(self, created_before: datetime, limit: int) -> None:
        """Delete up to ``limit`` of the organisation's oldest records created before
        ``created_before``, skipping any another request holds."""
        ...


@dataclass(frozen=True, slots=True)
class HeldPublicKey:
    """A key sent without a token that another request holds: the same request (its
    answer, once there is one) or another request (no answer: not this caller's)."""

    same_request: bool
    status_code: int | None = None
    response_body: str | None = None
    response_headers: Mapping[str, Any] | None = None


class PublicIdempotencyStore(Protocol):
    """Keys of requests sent without a token (sign-up, log-in, accept-invitation), held
    by digest only, and read and written through narrow functions: the request role
    cannot read the answers of other callers."""

    def claim(
        self, key_digest: str, request_digest: str, lifetime_seconds: int
    ) -> HeldPublicKey | None:
        """Claim the key (None), or tell how it is held; a record older than
        ``lifetime_seconds`` counts as none, and a few expired ones are pruned."""
        ...

    def complete(
        self,
        key_digest: str,
        request_digest: str,
        status_code: int,
        body: str,
        headers: Mapping[str, Any],
    ) -> None: ...

    def release(self, key_digest: str, request_digest: str) -> None:
        """Let go of a claim that has no answer yet, so that a retry runs again."""
        ...


class UnitOfWork(Protocol):
    """One transaction of one request, scoped to one organisation once bound."""

    @property
    def credentials(self) -> Credentials: ...

    @property
    def organisations(self) -> Organisations: ...

    @property
    def members(self) -> Members: ...

    @property
    def api_tokens(self) -> ApiTokens: ...

    @property
    def auth_sessions(self) -> AuthSessions: ...

    @property
    def invitations(self) -> Invitations: ...

    @property
    def audit_log(self) -> AuditLog: ...

    @property
    def teams(self) -> Teams: ...

    @property
    def competencies(self) -> Competencies: ...

    @property
    def product_roles(self) -> ProductRoles: ...

    @property
    def reporting_lines(self) -> ReportingLines: ...

    @property
    def member_imports(self) -> MemberImports: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...

    @property
    def public_idempotency(self) -> PublicIdempotencyStore: ...

    @property
    def cycles(self) -> CycleRepository: ...

    @property
    def participants(self) -> ParticipantRepository: ...

    @property
    def cycle_launch(self) -> CycleLaunch: ...

    @property
    def reviews(self) -> ReviewRepository: ...

    @property
    def feedback(self) -> FeedbackQueries: ...

    @property
    def reports(self) -> ReportQueries: ...

    @property
    def webhooks(self) -> Webhooks: ...

    @property
    def webhook_outbox(self) -> WebhookOutbox: ...

    @property
    def webhook_hosts(self) -> WebhookHosts:
        """Where this deployment lets webhooks go (set by the composition root)."""
        ...

    def bind_tenant(self, org_id: UUID) -> None: ...

    def flush(self) -> None:
        """Send pending writes now, so constraint violations surface here."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def close(self, *, succeeded: bool = False) -> None:
        """End the unit of work.

        After a successful request that committed nothing, the open transaction
        only read, and perhaps stamped an API token's ``last_used_at``: it is
        committed (which costs what a rollback costs), so the stamp is kept.
        Anything else is rolled back.
        """
        ...


class Clock(Protocol):
    def __call__(self) -> datetime: ...


Snapshot = Mapping[str, Any]
