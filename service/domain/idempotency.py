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
MAX_KEY_LENGTH = 255


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests "the same": method, path and exact body."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


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
