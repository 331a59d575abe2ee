"""Logging in, resolving bearer tokens and redeeming invitations."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from service.application import audit
from service.application.context import Context
from service.domain.access import Principal
from service.domain.credentials import (
    SESSION_TOKEN_PREFIX,
    AuthSession,
    hash_secret,
    new_secret,
)
from service.domain.errors import Invalid, NotFound, TooManyRequests, Unauthenticated
from service.domain.member import normalise_email

INVALID_LOGIN = "The organisation, email or password is not correct."
MIN_PASSWORD_LENGTH = 12


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int
    expires_at: datetime


def _identity(slug: str, email: str) -> str:
    """The failure counter's key: the very slug and email the log-in looks up (already
    normalised), so that no spelling counts apart yet matches the same member (Python
    and PostgreSQL lower-case some letters differently: "İ")."""
    return hashlib.sha256(f"{slug}\n{email}".encode()).hexdigest()


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            "The password is too short.",
            {"password": [f"Use at least {MIN_PASSWORD_LENGTH} characters."]},
        )


def log_in(ctx: Context, slug: str, email: str, password: str) -> IssuedToken:
    """Exchange credentials for a bearer token.

    A wrong organisation, email or password all answer the same, as slowly; ten
    failures for one identity within the window answer 429 until it passes.
    """
    policies = ctx.policies
    window = int(policies.login_window.total_seconds())
    slug, email = slug.strip().lower(), normalise_email(email)
    identity = _identity(slug, email)
    credentials = ctx.uow.credentials
    failures, retry_after = credentials.login_failures(identity, window)
    if failures >= policies.login_max_failures:
        raise TooManyRequests("Too many failed log-ins; try again later.", max(retry_after, 1))
    record = credentials.find_login(slug, email)
    if record is None or record.password_hash is None:
        ctx.passwords.dummy_verify()
        ok = False
    else:
        ok = ctx.passwords.verify(record.password_hash, password) and record.status == "active"
    if not ok or record is None:
        credentials.record_login_failure(identity, window)
        ctx.uow.commit()
        raise Unauthenticated(INVALID_LOGIN)
    if failures:
        credentials.clear_login_failures(identity)
    ctx.uow.bind_tenant(record.org_id)
    secret = new_secret(SESSION_TOKEN_PREFIX)
    now = ctx.now()
    expires_at = now + policies.session_ttl
    ctx.uow.auth_sessions.add(
        AuthSession(
            org_id=record.org_id,
            id=uuid.uuid4(),
            member_id=record.member_id,
            token_hash=hash_secret(secret),
            created_at=now,
            expires_at=expires_at,
        )
    )
    ctx.uow.commit()
    return IssuedToken(secret, int(policies.session_ttl.total_seconds()), expires_at)


def authenticate(ctx: Context, bearer_token: str) -> Principal:
    principal = ctx.uow.credentials.resolve_token(hash_secret(bearer_token))
    if principal is None:
        raise Unauthenticated("The token is not valid, or has expired or been revoked.")
    ctx.principal = principal
    return principal


def accept_invitation(ctx: Context, token: str, password: str) -> None:
    """Set a member's first password with a one-time invitation.

    Invitations are issued only to members without a password (``invite_member``);
    one that finds a password set all the same (issued before that rule) reads as used,
    so an invitation never replaces a password someone chose. Any log-in session the
    member had ends: whoever holds one did not log in with this password.
    """
    check_password_strength(password)
    record = ctx.uow.credentials.find_invitation(hash_secret(token))
    if record is None:
        raise NotFound("Invitation")
    ctx.uow.bind_tenant(record.org_id)
    password_hash = ctx.passwords.hash(password)  # slow: before the claim locks the row
    member = ctx.uow.members.get(record.member_id)
    if member is None or member.password_hash is not None:
        raise NotFound("Invitation")
    # The look-up above is only a read: the claim decides, so a token works once
    # even when two redemptions race.
    if not ctx.uow.invitations.claim(record.invitation_id, ctx.now()):
        raise NotFound("Invitation")
    member.password_hash = password_hash
    sessions_ended = ctx.uow.auth_sessions.end_all(member.id)
    audit.record(
        ctx,
        org_id=record.org_id,
        actor_id=member.id,
        entity_type="member",
        entity_id=member.id,
        action="invitation.accepted",
        after={"invitation_id": str(record.invitation_id), "sessions_ended": sessions_ended},
    )
    ctx.uow.commit()
