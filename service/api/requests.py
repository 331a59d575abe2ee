"""The life of a request: its id, its caller, its access check, its log line.

Access is denied by default: a view reached without an ``operation(...)``
declaration answers 403. Public views need no token; every other view needs a
valid bearer token, the declared scope and one of the declared roles. A public
write (sign-up, log-in, redeeming an invitation: each hashes a password) is first
charged to the client's address, before its body is read.
"""

from __future__ import annotations

import io
import logging
import time
import uuid
from typing import Any

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from service.api import idempotency
from service.api.operations import JSON_METHODS, Access
from service.application import auth, rate_limits
from service.application.context import Context, Wiring
from service.domain.errors import Forbidden, Invalid, Unauthenticated

log = logging.getLogger("service.requests")

REQUEST_ID_HEADER = "X-Request-ID"
#: Endpoints outside the API: documentation, the spec and probes.
OPEN_BLUEPRINTS = frozenset({"api-docs", "ops", "docs_assets"})


def wiring() -> Wiring:
    value: Wiring = current_app.extensions["review_service"]
    return value


def context() -> Context:
    """The request's context (unit of work, caller), opened on first use."""
    ctx: Context | None = g.get("review_context")
    if ctx is None:
        ctx = wiring().context()
        g.review_context = ctx
    return ctx


def _access_of_endpoint() -> Access | None:
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    target = getattr(view_class, request.method.lower(), None) if view_class else view
    if target is None and request.method == "HEAD" and view_class is not None:
        target = getattr(view_class, "get", None)
    access: Access | None = getattr(target, "access", None)
    return access


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Send a bearer token in the Authorization header.")
    return token.strip()


def _before_request() -> Response | None:
    g.request_started = time.perf_counter()
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = (
        incoming if 0 < len(incoming) <= 128 and incoming.isprintable() else uuid.uuid4().hex
    )
    if request.endpoint is None or request.blueprint in OPEN_BLUEPRINTS:
        return None  # unknown routes answer 404 through the error handler
    if request.method == "OPTIONS":
        return None
    access = _access_of_endpoint()
    if access is None:
        raise Forbidden("This operation is not open to anyone.")
    if access.public and request.method in JSON_METHODS:
        _charge_client_address()
    if access.max_body is not None:
        request.max_content_length = access.max_body
    limit = request.max_content_length
    if limit is not None:
        _refuse_large_body(limit)
    if access.public:
        _check_input(access)
        # Without a key, nothing more: the view opens the unit of work when it needs it.
        return idempotency.before_view(context(), access) if idempotency.sent() else None
    ctx = context()
    principal = auth.authenticate(ctx, _bearer_token())
    # Charged before the access checks: a refused request costs the server all the same.
    g.quota = rate_limits.charge(wiring().rate_limiter, principal)
    rate_limits.enforce(g.quota)
    if access.scope is not None:
        principal.require_scope(access.scope)
    if access.roles:
        principal.require_role(*access.roles)
    # Who may call comes first: a refused caller learns nothing about the body it sent.
    _check_input(access)
    return idempotency.before_view(ctx, access)


def _charge_client_address() -> None:
    """429 once the address has spent its budget of public writes. Its answers carry no
    X-RateLimit headers: those describe a token's budget."""
    quota = rate_limits.charge_address(wiring().rate_limiter, request.remote_addr)
    rate_limits.enforce(quota, rate_limits.ADDRESS_SPENT)


def _refuse_large_body(limit: int) -> None:
    """413 for a body over ``limit``, whether or not the view reads it.

    Werkzeug refuses a declared Content-Length over the limit only when a view reads the
    body, and it cuts a chunked one at the limit without a word. A chunked body is read
    here, up to one byte past the limit, and handed on as a body of known length.
    """
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if chunked and request.method in JSON_METHODS:
        raw = request.environ["wsgi.input"]
        body = bytearray()
        while len(body) <= limit:
            chunk = raw.read(limit + 1 - len(body))
            if not chunk:
                break
            body += chunk
        if len(body) > limit:
            raise RequestEntityTooLarge(f"The body is over the limit of {limit} bytes.")
        # Before anything reads the length or the stream, both cached by Werkzeug (which
        # ignores Content-Length beside a chunked Transfer-Encoding).
        request.environ["wsgi.input"] = io.BytesIO(bytes(body))
        request.environ["CONTENT_LENGTH"] = str(len(body))
        request.environ.pop("HTTP_TRANSFER_ENCODING", None)
    if (request.content_length or 0) > limit:
        raise RequestEntityTooLarge(f"The body is over the limit of {limit} bytes.")


def _check_input(access: Access) -> None:
    _check_query(access)
    _check_body(access)


def _check_query(access: Access) -> None:
    """A query parameter the operation does not read answers 422, as an unknown body
    field does: a misspelt filter would otherwise return everything, unfiltered."""
    unknown = sorted(set(request.args) - access.query_names)
    if unknown:
        raise Invalid(
            "Unknown query parameter: " + ", ".join(unknown) + ".",
            {name: ["Unknown field."] for name in unknown},
        )


def _check_body(access: Access) -> None:
    if request.method not in JSON_METHODS or not request.content_length:
        return
    if request.mimetype not in access.body_types:
        raise UnsupportedMediaType(f"Send the body as {' or '.join(access.body_types)}.")
    if not access.takes_body:
        _refuse_unexpected_body()


def _refuse_unexpected_body() -> None:
    """An operation that takes no body accepts none, or an empty JSON object; anything
    else answers as an unknown field would in a body that is read."""
    sent = request.get_json(silent=True)
    if sent is None and request.get_data(cache=True).strip() not in (b"", b"null"):
        raise BadRequest("Invalid JSON body.")
    if isinstance(sent, dict) and sent:
        raise Invalid("This operation takes no body.", {name: ["Unknown field."] for name in sent})
    if sent not in (None, {}):
        raise Invalid("This operation takes no body.", {"_schema": ["Send no body, or {}."]})


def _after_request(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    g.request_succeeded = response.status_code < 400
    quota: rate_limits.Quota | None = g.get("quota")
    if quota is not None:
        response.headers.update(
            {
                "X-RateLimit-Limit": str(quota.limit),
                "X-RateLimit-Remaining": str(quota.remaining),
                "X-RateLimit-Reset": str(quota.reset_at),
            }
        )
    etag = g.get("response_etag")
    if etag and response.status_code < 300:
        response.headers["ETag"] = etag
    ctx: Context | None = g.get("review_context")
    if ctx is not None:
        idempotency.after_view(ctx, response)
    started = g.get("request_started")
    principal = ctx.principal if ctx else None
    fields: dict[str, Any] = {
        "request_id": g.get("request_id"),
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
        "org_id": str(principal.org_id) if principal else None,
        "member_id": str(principal.member_id) if principal else None,
    }
    log.info("request", extra=fields)
    return response


def _teardown(error: BaseException | None) -> None:
    ctx: Context | None = g.pop("review_context", None)
    if ctx is not None:
        ctx.uow.close(succeeded=error is None and g.get("request_succeeded", False))


def register(app: Flask) -> None:
    app.before_request(_before_request)
    app.after_request(_after_request)
    app.teardown_request(_teardown)
