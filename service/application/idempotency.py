"""Replaying retried POSTs (the ``Idempotency-Key`` header).

The key is claimed, and committed, before the use case runs, so a concurrent
retry sees it and answers 409 instead of acting twice; the answer is stored
when the request ends. A key reused with another request answers 422. Keys
belong to the member who sent them and live 24 hours.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from service.application.context import Context
from service.domain.errors import Conflict, Invalid
from service.domain.idempotency import MAX_KEY_LENGTH, IdempotencyRecord


@dataclass(frozen=True, slots=True)
class Replay:
    status_code: int
    body: str
    headers: dict[str, Any]


def claim(ctx: Context, key: str, fingerprint: str) -> Replay | None:
    """Claim ``key`` for this request, or return the answer it already had."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Invalid(
            "The Idempotency-Key is not valid.",
            {"Idempotency-Key": [f"Use 1 to {MAX_KEY_LENGTH} printable characters."]},
        )
    caller = ctx.caller
    store = ctx.uow.idempotency
    now = ctx.now()
    record = store.get_for_update(caller.member_id, key)
    if record is not None and record.expired(now):
        store.delete(record)
        ctx.uow.flush()
        record = None
    if record is None:
        store.add(
            IdempotencyRecord(
                org_id=caller.org_id,
                id=uuid.uuid4(),
                member_id=caller.member_id,
                key=key,
                fingerprint=fingerprint,
                created_at=now,
            )
        )
        ctx.uow.commit()
        return None
    if record.fingerprint != fingerprint:
        raise Invalid(
            "This Idempotency-Key was used with another request.",
            {"Idempotency-Key": ["Use a new key for a different request."]},
        )
    if not record.completed:
        raise Conflict("A request with this Idempotency-Key is still being processed.")
    return Replay(record.status_code or 200, record.response_body or "", record.response_headers)


def complete(ctx: Context, key: str, status_code: int, body: str, headers: dict[str, Any]) -> None:
    """Remember the answer; a server error releases the key so a retry runs again."""
    ctx.uow.rollback()  # whatever the request left open is not ours to commit
    store = ctx.uow.idempotency
    record = store.get_for_update(ctx.caller.member_id, key)
    if record is None or record.completed:
        return
    if status_code >= 500:
        store.delete(record)
    else:
        record.status_code = status_code
        record.response_body = body
        record.response_headers = headers
    ctx.uow.commit()
