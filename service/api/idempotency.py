"""``Idempotency-Key`` on POSTs: replay the first answer to a retry.

Authenticated POSTs keep their keys per member; public ones (sign-up, log-in,
accept-invitation) in one space shared by every anonymous client, each answer
readable only by the same request (``application.idempotency`` tells how). A request
without the header does nothing more than before.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from flask import Response, g, request

from service.api.operations import REPLAYED as REPLAYED_HEADER
from service.api.operations import Access
from service.application import idempotency
from service.application.context import Context
from service.domain.idempotency import fingerprint

log = logging.getLogger("service.idempotency")

HEADER = "Idempotency-Key"
#: Response headers worth replaying with the body.
KEPT_HEADERS = ("Content-Type", "ETag", "Location", "X-Pagination")


@dataclass(frozen=True, slots=True)
class _Claim:
    """The key this request holds, until its answer is stored."""

    key: str
    fingerprint: str
    #: The operation's access rule: whether it is public, which field shows a secret.
    access: Access


def sent() -> bool:
    """Whether the request asks for idempotency: a POST with the header."""
    return request.method == "POST" and HEADER in request.headers


def before_view(ctx: Context, access: Access) -> Response | None:
    """Claim the key, or answer with the stored response of the first request (a public
    operation's key is claimed without a token: see ``application.idempotency``)."""
    if not sent():
        return None
    key = request.headers[HEADER]
    sent_request = fingerprint(request.method, request.full_path, request.get_data(cache=True))
    if access.public:
        replay = idempotency.claim_public(ctx, key, sent_request)
    else:
        replay = idempotency.claim(ctx, key, sent_request)
    if replay is None:
        g.idempotency_claim = _Claim(key, sent_request, access)
        return None
    response = Response(replay.body, status=replay.status_code)
    for name, value in replay.headers.items():
        response.headers[name] = value
    response.headers[REPLAYED_HEADER] = "true"
    return response


def after_view(ctx: Context, response: Response) -> None:
    """Store the answer of a request that claimed a key (nothing otherwise)."""
    claim: _Claim | None = g.pop("idempotency_claim", None)
    if claim is None or response.is_streamed:
        return
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    body = response.get_data(as_text=True)
    if claim.access.shown_once is not None:
        body = _without_secret(body, claim.access.shown_once)
    try:
        if claim.access.public:
            idempotency.complete_public(
                ctx, claim.key, claim.fingerprint, response.status_code, body, headers
            )
        else:
            idempotency.complete(ctx, claim.key, response.status_code, body, headers)
    except Exception:  # the change itself is committed; never turn it into a 500
        log.exception("could not store the idempotent response")


def _without_secret(body: str, field: str) -> str:
    """A secret is shown once: its answer is kept for replays with the secret null."""
    try:
        answer = json.loads(body)
    except ValueError:
        return body
    if isinstance(answer, dict) and answer.get(field) is not None:
        answer[field] = None
        return json.dumps(answer)
    return body
