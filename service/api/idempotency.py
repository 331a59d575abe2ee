"""``Idempotency-Key`` on authenticated POSTs: replay the first answer to a retry."""

from __future__ import annotations

import json
import logging

from flask import Response, g, request

from service.application import idempotency
from service.application.context import Context
from service.domain.idempotency import fingerprint

log = logging.getLogger("service.idempotency")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
#: Response headers worth replaying with the body.
KEPT_HEADERS = ("Content-Type", "ETag", "Location", "X-Pagination")


def before_view(ctx: Context) -> Response | None:
    """Claim the key, or answer with the stored response of the first request."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return None
    replay = idempotency.claim(
        ctx, key, fingerprint(request.method, request.full_path, request.get_data(cache=True))
    )
    if replay is None:
        g.idempotency_key = key
        return None
    response = Response(replay.body, status=replay.status_code)
    for name, value in replay.headers.items():
        response.headers[name] = value
    response.headers[REPLAYED_HEADER] = "true"
    return response


def after_view(ctx: Context, response: Response, shown_once: str | None) -> None:
    key: str | None = g.pop("idempotency_key", None)
    if key is None or response.is_streamed:
        return
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    body = response.get_data(as_text=True)
    if shown_once is not None:
        body = _without_secret(body, shown_once)
    try:
        idempotency.complete(ctx, key, response.status_code, body, headers)
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
