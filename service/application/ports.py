"""What the use cases need from the outside world, as protocols.

The adapters implement them over PostgreSQL; the composition root wires them.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

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
from service.domain.access import Principal
from service.domain.audit import AuditEvent
from service.domain.career import Competency, ProductRole, Team
from service.domain.credentials import ApiToken, AuthSession, Invitation
from service.domain.idempotency import IdempotencyRecord
from service.domain.member import Member
from service.domain.organisation import Organisation


@dataclass(frozen=True, slots=True)
class LoginRecord:
    org_id: UUID
    member_id: UUID
    password_hash: str | None
    status: str


@dataclass(frozen=True, slots=True)
class InvitationRecord:
    org_id: UUID
    invitation_id: UUID
    member_id: UUID


@dataclass(frozen=True, slots=True)
class MemberFilters:
    team_id: UUID | None = None
    manager_id: UUID | None = None
    product_role_id: UUID | None = None
    status: str | None = None
    q: str | None = None


@dataclass(frozen=True, slots=True)
class AuditFilters:
    entity_type: str | None = None
    entity_id: UUID | None = None
    actor_id: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    #: Leave out the events about this member's own reviews, calibration and peers.
    not_about: UUID | None = None


class Credentials(Protocol):
    """The narrow path used before the tenant is known (log-in, tokens, invitations)."""

    def find_login(self, slug: str, email: str) -> LoginRecord | None: ...

    def resolve_token(self, token_hash: str) -> Principal | None:
        """The principal of a bearer token; binds its organisation as the tenant."""
        ...

    def find_invitation(self, token_hash: str) -> InvitationRecord | None: ...

    def login_failures(self, identity: str, window_seconds: int) -> tuple[int, int]:
        """(failures within the window, seconds until the oldest leaves it)."""
        ...

    def record_login_failure(self, identity: str, window_seconds: int) -> None: ...

    def clear_login_failures(self, identity: str) -> None: ...


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

    def active_admin_count(self) -> int:
        """Counted under ``lock_admins``, so two admins demoting each other at once
        cannot both see the other one still there."""
        ...

    def direct_reports(self, manager_id: UUID) -> list[Member]:
        """The active members whose manager is ``manager_id``, by name."""
        ...


class ApiTokens(Protocol):
    def add(self, token: ApiToken) -> None: ...

    def get(self, token_id: UUID) -> ApiToken | None: ...

    def list(self, page: PageRequest) -> Page[ApiToken]: ...

    def active_count(self, now: datetime) -> int:
        """The organisation's tokens neither revoked nor expired at ``now``, counted under
        a lock held until the transaction ends, so two tokens made at once count each
        other."""
        ...


class AuthSessions(Protocol):
    def add(self, session: AuthSession) -> None: ...

    def end_all(self, member_id: UUID) -> int:
        """End every log-in session of the member at once; how many there were."""
        ...


class Invitations(Protocol):
    def add(self, invitation: Invitation) -> None: ...

    def get(self, invitation_id: UUID) -> Invitation | None: ...

    def revoke_open(self, member_id: UUID, now: datetime) -> None:
        """Expire every unused invitation of the member (a new one replaces them)."""
        ...

    def claim(self, invitation_id: UUID, now: datetime) -> bool:
        """Mark an open invitation accepted, atomically: of concurrent claims one wins."""
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


# --- The career framework and the organisation's structure -------------------------


@dataclass(frozen=True, slots=True)
class RolePosition:
    """Where a role sits on the ladder: enough to derive every role's next role."""

    id: UUID
    name: str
    track: str
    level: int


@dataclass(frozen=True, slots=True)
class StrandedExpectation:
    """An expectation that a proposed rating scale would leave outside it."""

    role_name: str
    track: str
    level: int
    competency_key: str
    expected_score: int


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """A member as the directory shows them to every member of the organisation."""

    member: Member
    manager_name: str | None = None
    team_name: str | None = None
    product_role_name: str | None = None
    #: In a subtree: 1 for a direct report, 2 for their reports, and so on.
    depth: int | None = None


@dataclass(frozen=True, slots=True)
class ChainLink:
    """One person on the way up a reporting line."""

    id: UUID
    name: str
    manager_id: UUID | None
    active: bool


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """A member as the bulk import reads and writes them (no ORM object per row)."""

    id: UUID
    email: str
    name: str
    title: str | None
    access_role: str
    product_role_id: UUID | None
    manager_id: UUID | None
    team_id: UUID | None
    status: str
    version: int


class Teams(Protocol):
    def add(self, team: Team) -> None: ...

    def get(self, team_id: UUID) -> Team | None: ...

    def delete(self, team: Team) -> None: ...

    def list(self, page: PageRequest) -> Page[Team]: ...

    def names(self) -> dict[UUID, str]:
        """Every team's name by id (what a people CSV may name)."""
        ...

    def member_count(self, team_id: UUID) -> int: ...


class Competencies(Protocol):
    def add(self, competency: Competency) -> None: ...

    def get(self, competency_id: UUID) -> Competency | None: ...

    def list(self, page: PageRequest, retired: bool | None) -> Page[Competency]: ...

    def all(self) -> builtins.list[Competency]: ...


class ProductRoles(Protocol):
    def add(self, role: ProductRole) -> None: ...

    def get(self, role_id: UUID) -> ProductRole | None: ...

    def delete(self, role: ProductRole) -> None: ...

    def list(self, page: PageRequest, track: str | None) -> Page[ProductRole]: ...

    def positions(self) -> builtins.list[RolePosition]:
        """Every role of the ladder, without expectations (a few dozen rows)."""
        ...

    def expecting(self, competency_id: UUID) -> builtins.list[ProductRole]: ...

    def holder_count(self, role_id: UUID) -> int: ...

    def stranded(self, low: int, high: int) -> builtins.list[StrandedExpectation]: ...

    def mark_changed(self, role: ProductRole) -> None:
        """A change to the expectations alone still moves the role's version (ETag)."""
        ...


class ReportingLines(Protocol):
    def lock(self) -> None:
        """Serialise reporting-line changes of the organisation until the transaction ends,
        so that two concurrent changes cannot close a loop between them."""
        ...

    def manager_chain(self, start_id: UUID, stop_at: UUID | None = None) -> list[ChainLink]:
        """``start_id`` and their managers up the line (one recursive query), stopping
        after ``stop_at`` when it is met."""
        ...

    def oversees(self, viewer_id: UUID, member_id: UUID) -> bool:
        """``member_id`` reports to ``viewer_id``, directly or not."""
        ...

    def directory(self, filters: MemberFilters, page: PageRequest) -> Page[DirectoryEntry]: ...

    def entry(self, member_id: UUID) -> DirectoryEntry | None: ...

    def reports(
        self, root_id: UUID, max_depth: int | None, page: PageRequest
    ) -> Page[DirectoryEntry]:
        """Everyone under ``root_id``, with their depth (one recursive query)."""
        ...


class MemberImports(Protocol):
    def people(self) -> list[PersonRecord]: ...

    def insert_teams(self, teams: list[Team]) -> None: ...

    def insert_people(self, people: list[PersonRecord]) -> None: ...

    def update_people(self, people: list[PersonRecord]) -> int:
        """Write the new values where the version still matches; the count written."""
        ...

    def add_audit_events(self, events: list[AuditEvent]) -> None: ...

    def refresh_statistics(self) -> None:
        """Bring the planner's statistics of people up to date, uncommitted rows
        included, so the next queries do not plan for the organisation it was."""
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


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def dummy_verify(self) -> None:
        """Spend the time of a verification, so unknown accounts answer as slowly."""
        ...


class Clock(Protocol):
    def __call__(self) -> datetime: ...


Snapshot = Mapping[str, Any]
