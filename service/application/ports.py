"""What the use cases need from the outside world, as protocols.

The adapters implement them over PostgreSQL; the composition root wires them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from service.application.pagination import Page, PageRequest
from service.domain.access import Principal
from service.domain.audit import AuditEvent
from service.domain.credentials import ApiToken, AuthSession, Invitation
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
    #: When set, only these members (a head of product's subtree) are listed.
    within: frozenset[UUID] | None = None


@dataclass(frozen=True, slots=True)
class AuditFilters:
    entity_type: str | None = None
    entity_id: UUID | None = None
    actor_id: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None


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

    def list(self, filters: MemberFilters, page: PageRequest) -> Page[Member]: ...

    def active_admin_count(self) -> int: ...

    def subtree_ids(self, root_id: UUID) -> frozenset[UUID]:
        """Everyone reporting to ``root_id``, directly or not (not the root)."""
        ...


class ApiTokens(Protocol):
    def add(self, token: ApiToken) -> None: ...

    def get(self, token_id: UUID) -> ApiToken | None: ...

    def list(self, page: PageRequest) -> Page[ApiToken]: ...


class AuthSessions(Protocol):
    def add(self, session: AuthSession) -> None: ...


class Invitations(Protocol):
    def add(self, invitation: Invitation) -> None: ...

    def get(self, invitation_id: UUID) -> Invitation | None: ...

    def revoke_open(self, member_id: UUID, now: datetime) -> None:
        """Expire every unused invitation of the member (a new one replaces them)."""
        ...


class AuditLog(Protocol):
    def add(self, event: AuditEvent) -> None: ...

    def list(self, filters: AuditFilters, page: PageRequest) -> Page[AuditEvent]: ...


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

    def bind_tenant(self, org_id: UUID) -> None: ...

    def flush(self) -> None:
        """Send pending writes now, so constraint violations surface here."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def close(self) -> None:
        """End the unit of work, rolling back anything not committed."""
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
