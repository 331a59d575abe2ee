"""What logging in, tokens and invitations need from the outside world: the narrow
path before the tenant is known, the token and session stores, password hashing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from service.application.pagination import Page, PageRequest
from service.domain.access import Principal
from service.domain.credentials import ApiToken, AuthSession, Invitation


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


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def dummy_verify(self) -> None:
        """Spend the time of a verification, so unknown accounts answer as slowly."""
        ...
