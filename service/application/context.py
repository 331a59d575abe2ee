"""What every use case receives: the transaction, the caller and the policies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from service.application.credential_ports import PasswordHasher
from service.application.ports import UnitOfWork
from service.application.rate_limits import RateLimiter
from service.domain.access import ALL_SCOPES, Principal, Scope
from service.domain.errors import Forbidden, Unauthenticated


@dataclass(frozen=True, slots=True)
class Policies:
    signup_enabled: bool = True
    session_ttl: timedelta = timedelta(hours=12)
    invitation_ttl: timedelta = timedelta(days=7)
    login_max_failures: int = 10
    login_window: timedelta = timedelta(minutes=15)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Context:
    uow: UnitOfWork
    passwords: PasswordHasher
    policies: Policies
    principal: Principal | None = None

    @property
    def caller(self) -> Principal:
        if self.principal is None:
            raise Unauthenticated("Authentication is required.")
        return self.principal

    def now(self) -> datetime:
        return utc_now()


def require_org_admin(ctx: Context) -> Principal:
    """The organisation's configuration and people are admins' business: an admin,
    through a credential that carries the admin scope."""
    caller = ctx.caller
    caller.require_scope(Scope.ADMIN)
    caller.require_admin()
    return caller


def require_every_scope(ctx: Context, what: str) -> None:
    """A credential for a person (a password, an invitation, the admin role of someone
    who signs in) carries every scope: only a caller holding every scope hands one out,
    as a token never grants more than it holds."""
    if not ctx.caller.scopes >= ALL_SCOPES:
        raise Forbidden(
            f"{what} gives a person every scope when they sign in: it takes a credential"
            " holding every scope (read, write and admin)."
        )


@dataclass(frozen=True, slots=True)
class Wiring:
    """What the composition root provides to the edges: how to open a unit of work."""

    unit_of_work: Callable[[], UnitOfWork]
    passwords: PasswordHasher
    policies: Policies
    rate_limiter: RateLimiter

    def context(self) -> Context:
        return Context(uow=self.unit_of_work(), passwords=self.passwords, policies=self.policies)
