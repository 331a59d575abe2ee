"""Log-in sessions, API tokens and invitations: secrets shown once, stored hashed.

Tokens carry at least 256 random bits, so a fast hash (SHA-256) is as safe as a
slow one for them; passwords, chosen by people, get argon2id instead.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from service.domain.access import Scope
from service.domain.tenancy import TenantOwned

API_TOKEN_PREFIX = "prt_"  # noqa: S105 - a prefix, not a secret
SESSION_TOKEN_PREFIX = "prs_"  # noqa: S105
INVITATION_TOKEN_PREFIX = "pri_"  # noqa: S105
DISPLAY_PREFIX_LENGTH = 12


def new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(eq=False)
class ApiToken(TenantOwned):
    org_id: UUID
    id: UUID
    member_id: UUID
    name: str
    prefix: str
    token_hash: str
    scopes: list[str] = field(default_factory=lambda: [Scope.READ.value])
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(eq=False)
class AuthSession(TenantOwned):
    org_id: UUID
    id: UUID
    member_id: UUID
    token_hash: str
    expires_at: datetime
    created_at: datetime | None = None


@dataclass(eq=False)
class Invitation(TenantOwned):
    org_id: UUID
    id: UUID
    member_id: UUID
    token_hash: str
    expires_at: datetime
    accepted_at: datetime | None = None
    created_at: datetime | None = None
