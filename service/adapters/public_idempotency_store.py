"""Keys of requests sent without a token, through the SECURITY DEFINER functions of
migration 0009: the request role cannot read ``public_idempotency_keys`` itself, so no
query here can answer with another caller's stored answer."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from service.application.ports import HeldPublicKey

_CLAIM = text("SELECT * FROM public_idempotency_claim(:key_digest, :request_digest, :lifetime)")
_COMPLETE = text(
    "SELECT public_idempotency_complete(:key_digest, :request_digest, :status_code,"
    " :body, CAST(:headers AS jsonb))"
)
_RELEASE = text("SELECT public_idempotency_release(:key_digest, :request_digest)")


class SqlPublicIdempotency:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(
        self, key_digest: str, request_digest: str, lifetime_seconds: int
    ) -> HeldPublicKey | None:
        row = self.session.execute(
            _CLAIM,
            {
                "key_digest": key_digest,
                "request_digest": request_digest,
                "lifetime": lifetime_seconds,
            },
        ).one()
        if row.claimed:
            return None
        return HeldPublicKey(
            same_request=bool(row.same_request),
            status_code=row.answer_status,
            response_body=row.answer_body,
            response_headers=row.answer_headers,
        )

    def complete(
        self,
        key_digest: str,
        request_digest: str,
        status_code: int,
        body: str,
        headers: Mapping[str, Any],
    ) -> None:
        self.session.execute(
            _COMPLETE,
            {
                "key_digest": key_digest,
                "request_digest": request_digest,
                "status_code": status_code,
                "body": body,
                "headers": json.dumps(dict(headers)),
            },
        )

    def release(self, key_digest: str, request_digest: str) -> None:
        self.session.execute(_RELEASE, {"key_digest": key_digest, "request_digest": request_digest})
