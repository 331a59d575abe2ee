"""Integration tokens: made by admins, shown once, stored hashed, revocable."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from service.application import audit
from service.application.context import Context, require_org_admin
from service.application.pagination import Page, PageRequest
from service.domain.access import Scope
from service.domain.credentials import (
    API_TOKEN_PREFIX,
    DISPLAY_PREFIX_LENGTH,
    ApiToken,
    hash_secret,
    new_secret,
)
from service.domain.errors import Conflict, Forbidden, Invalid, NotFound

#: Each token has a request budget of its own: the cap bounds what one organisation's
#: tokens can spend together.
MAX_ACTIVE_API_TOKENS = 50


@dataclass(frozen=True, slots=True)
class NewApiToken:
    name: str
    scopes: list[Scope]
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CreatedApiToken:
    token: ApiToken
    secret: str


def create_api_token(ctx: Context, cmd: NewApiToken) -> CreatedApiToken:
    caller = require_org_admin(ctx)
    if caller.token_id is not None:
        # A token that could mint tokens would outlive its own expiry and revocation.
        raise Forbidden("API tokens are created by a signed-in admin, not by another token.")
    now = ctx.now()
    if cmd.expires_at is not None and cmd.expires_at <= now:
        raise Invalid("The expiry is in the past.", {"expires_at": ["Must be in the future."]})
    if ctx.uow.api_tokens.active_count(now) >= MAX_ACTIVE_API_TOKENS:
        raise Conflict(
            f"The organisation already has {MAX_ACTIVE_API_TOKENS} active API tokens, the"
            " most it may have; revoke one it no longer uses first."
        )
    secret = new_secret(API_TOKEN_PREFIX)
    token = ApiToken(
        org_id=caller.org_id,
        id=uuid.uuid4(),
        member_id=caller.member_id,
        name=cmd.name.strip(),
        prefix=secret[:DISPLAY_PREFIX_LENGTH],
        token_hash=hash_secret(secret),
        scopes=sorted({s.value for s in cmd.scopes}),
        created_at=now,
        # Answered in UTC, as every later read shows it, whatever offset it came with.
        expires_at=cmd.expires_at.astimezone(UTC) if cmd.expires_at else None,
    )
    ctx.uow.api_tokens.add(token)
    audit.record(
        ctx,
        entity_type="api_token",
        entity_id=token.id,
        action="created",
        after=audit.snapshot(token),
    )
    ctx.uow.commit()
    return CreatedApiToken(token, secret)


def list_api_tokens(ctx: Context, page: PageRequest) -> Page[ApiToken]:
    require_org_admin(ctx)
    return ctx.uow.api_tokens.list(page)


def revoke_api_token(ctx: Context, token_id: UUID) -> None:
    require_org_admin(ctx)
    token = ctx.uow.api_tokens.get(token_id)
    if token is None or token.revoked_at is not None:
        raise NotFound("API token")
    before = audit.snapshot(token)
    token.revoked_at = ctx.now()
    audit.record(
        ctx,
        entity_type="api_token",
        entity_id=token.id,
        action="revoked",
        before=before,
        after=audit.snapshot(token),
    )
    ctx.uow.commit()
