"""Replaying retried POSTs (the ``Idempotency-Key`` header).

The key is claimed, and committed, before the use case runs, so a concurrent
retry sees it and answers 409 instead of acting twice; the answer is stored
when the request ends. A key reused with another request answers 422. Keys
live 24 hours; a server error (or a 429) releases the key, so a retry runs again.

Keys sent with a token belong to the member who sent them (``claim``,
``complete``): a row of ``idempotency_keys`` per member and key, under the
tenant's row-level security.

Keys sent without one (``claim_public``, ``complete_public``: sign-up, log-in,
accept-invitation) have no member or organisation to belong to, and every
anonymous client shares one space of keys. They are kept in
``public_idempotency_keys`` (migration 0009), which the request role cannot
read: only three SECURITY DEFINER functions reach it. The scheme:

- One record per key, found by a digest of the key alone (the key itself is not
  stored). That is what makes "the same key with another request" detectable:
  it answers 422, whoever sent it.
- The record holds the digest of the key with the request's fingerprint
  (method, path and exact body), and the answer is handed out only to a request
  with that same digest. An answer is thus addressed by key *and* request: a
  client who guesses or learns a key, but sends another body, gets 422 and never
  the answer; to read it one must send the very request, which for these three
  operations means knowing the password (or the invitation token) it carried,
  and then one could as well have sent it oneself. Log-in answers are kept with
  ``access_token`` null (``shown_once``), so even that replays no credential.
- Neither the key nor the body (which holds a password) is stored, only their
  digests; the answer is, without the log-in token. The request digest mixes in
  the key, so it cannot be matched against guessed bodies (passwords) without the
  key, and a key made as documented (a random UUID) cannot be recovered from its
  digest.
- What a shared space costs: two clients that pick the same key collide, and the
  second is refused (422) for a day. Keys are meant to be unique (UUIDs), so that
  happens only to clients that do not follow the documentation; the 422 tells them
  nothing but that the key is taken. Scoping keys by the client's address instead
  was ruled out: a retry may come from another address, and many clients share one.

Expired records act as none, and leave as they are met: a claim deletes its own
key's expired record, and up to ten of the oldest expired records of any key.
Each claim adds at most one record and removes up to ten expired ones, so expired
records cannot pile up faster than they are cleared, with no sweeper to run.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from service.application.context import Context
from service.domain.errors import Conflict, Invalid
from service.domain.idempotency import (
    EXPIRED_PRUNED_PER_CLAIM,
    KEY_LIFETIME,
    MAX_KEY_LENGTH,
    IdempotencyRecord,
    public_key_digest,
    public_request_digest,
    releases_key,
)


@dataclass(frozen=True, slots=True)
class Replay:
    status_code: int
    body: str
    headers: dict[str, Any]


def claim(ctx: Context, key: str, fingerprint: str) -> Replay | None:
    """Claim ``key`` for this request, or return the answer it already had."""
    _check_key(key)
    caller = ctx.caller
    store = ctx.uow.idempotency
    now = ctx.now()
    record = store.get_for_update(caller.member_id, key)
    if record is not None and record.expired(now):
        store.delete(record)
        ctx.uow.flush()
        record = None
    if record is None:
        # Each new key clears a few expired ones, so they never pile up.
        store.prune_expired(now - KEY_LIFETIME, EXPIRED_PRUNED_PER_CLAIM)
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
    return _held(
        record.fingerprint == fingerprint,
        record.status_code,
        record.response_body,
        record.response_headers,
    )


def complete(ctx: Context, key: str, status_code: int, body: str, headers: dict[str, Any]) -> None:
    """Remember the answer; a server error releases the key so a retry runs again."""
    ctx.uow.rollback()  # whatever the request left open is not ours to commit
    store = ctx.uow.idempotency
    record = store.get_for_update(ctx.caller.member_id, key)
    if record is None or record.completed:
        return
    if releases_key(status_code):
        store.delete(record)
    else:
        record.status_code = status_code
        record.response_body = body
        record.response_headers = headers
    ctx.uow.commit()


def claim_public(ctx: Context, key: str, fingerprint: str) -> Replay | None:
    """``claim`` for a request sent without a token (see the module's docstring)."""
    _check_key(key)
    held = ctx.uow.public_idempotency.claim(
        public_key_digest(key),
        public_request_digest(key, fingerprint),
        int(KEY_LIFETIME.total_seconds()),
    )
    ctx.uow.commit()  # the claim, and the expired records it pruned
    if held is None:
        return None
    return _held(held.same_request, held.status_code, held.response_body, held.response_headers)


def complete_public(
    ctx: Context, key: str, fingerprint: str, status_code: int, body: str, headers: dict[str, Any]
) -> None:
    """``complete`` for a request sent without a token."""
    ctx.uow.rollback()  # whatever the request left open is not ours to commit
    store = ctx.uow.public_idempotency
    key_digest, request_digest = public_key_digest(key), public_request_digest(key, fingerprint)
    if releases_key(status_code):
        store.release(key_digest, request_digest)
    else:
        store.complete(key_digest, request_digest, status_code, body, headers)
    ctx.uow.commit()


def _check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Invalid(
            "The Idempotency-Key is not valid.",
            {"Idempotency-Key": [f"Use 1 to {MAX_KEY_LENGTH} printable characters."]},
        )


def _held(
    same_request: bool,
    status_code: int | None,
    body: str | None,
    headers: Mapping[str, Any] | None,
) -> Replay:
    """What a request meets when its key is already held: the first answer, or why not."""
    if not same_request:
        raise Invalid(
            "This Idempotency-Key was used with another request.",
            {"Idempotency-Key": ["Use a new key for a different request."]},
        )
    if status_code is None:
        raise Conflict("A request with this Idempotency-Key is still being processed.")
    return Replay(status_code, body or "", dict(headers or {}))
