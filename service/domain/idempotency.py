"""Idempotency keys: a retried POST replays the first answer instead of acting twice."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from service.domain.tenancy import TenantOwned

#: How long a key is remembered; a key older than this acts as new.
KEY_LIFETIME = timedelta(hours=24)
#: Expired records each claim deletes: more than it adds, so they cannot pile up.
EXPIRED_PRUNED_PER_CLAIM = 10
MAX_KEY_LENGTH = 255


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests "the same": method, path and exact body."""
    return _digest(method.encode(), path.encode(), body)


def releases_key(status_code: int) -> bool:
    """An answer that is no answer to the request: a server error, or 429 ("not now",
    with a ``Retry-After`` a replay would not carry). The key is let go, so that a
    retry runs again instead of being told the same for 24 hours."""
    return status_code >= 500 or status_code == 429


def public_key_digest(key: str) -> str:
    """The per-key record of a key sent without a token (``application.idempotency``)."""
    return _digest(b"public idempotency key", key.encode())


def public_request_digest(key: str, request_fingerprint: str) -> str:
    """What the answer to a key sent without a token is kept under: the key with the
    request's fingerprint, so that only the same request can read it."""
    return _digest(b"public idempotency request", key.encode(), request_fingerprint.encode())


@dataclass(eq=False)
class IdempotencyRecord(TenantOwned):
    org_id: UUID
    id: UUID
    member_id: UUID
    key: str
    fingerprint: str
    created_at: datetime
    status_code: int | None = None
    response_body: str | None = None
    response_headers: dict[str, Any] = field(default_factory=dict)

    @property
    def completed(self) -> bool:
        return self.status_code is not None

    def expired(self, now: datetime) -> bool:
        return now - self.created_at > KEY_LIFETIME
