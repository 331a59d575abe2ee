"""Every error, from every layer, as one JSON shape.

``{"code": <status>, "status": <reason>, "message": <text>, "errors": {...}}``,
with the exception's own headers kept (``Allow`` on 405, ``WWW-Authenticate``
on 401, ``Retry-After`` on 429), and never a stack trace.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, jsonify
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from service.domain import errors as domain

log = logging.getLogger("service.errors")

STATUS_BY_ERROR: dict[type[domain.DomainError], int] = {
    domain.Unauthenticated: 401,
    domain.Forbidden: 403,
    domain.NotFound: 404,
    domain.Conflict: 409,
    domain.PreconditionFailed: 412,
    domain.Invalid: 422,
    domain.PreconditionRequired: 428,
    domain.TooManyRequests: 429,
}

LOCATIONS = {"json", "query", "form", "headers", "files"}
#: Seconds a client should wait before retrying when the database is unavailable.
RETRY_AFTER_UNAVAILABLE = 5
AUTHENTICATE = 'Bearer realm="api"'
#: Reason phrases that Python 3.13 renamed after RFC 9110, kept as clients have read them
#: (RFC 7231 and 4918), so that ``status`` does not change with the interpreter.
PINNED_PHRASES = {
    413: "Request Entity Too Large",
    414: "Request-URI Too Long",
    422: "Unprocessable Entity",
}


def reason_phrase(code: int) -> str:
    return PINNED_PHRASES.get(code) or HTTPStatus(code).phrase


def error_payload(code: int, message: str | None = None, errors: Any = None) -> dict[str, Any]:
    """The one error shape, whoever answers: the app, or gunicorn before it
    (``service.gunicorn_conf``)."""
    payload: dict[str, Any] = {
        "code": code,
        "status": reason_phrase(code),
        "message": message or HTTPStatus(code).description or reason_phrase(code),
    }
    if errors:
        payload["errors"] = errors
    return payload


def error_response(
    code: int,
    message: str | None = None,
    errors: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    response = jsonify(error_payload(code, message, errors))
    response.status_code = code
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if code == 401:
        response.headers.setdefault("WWW-Authenticate", AUTHENTICATE)
    return response


def handle_domain_error(error: domain.DomainError) -> Response:
    code = next((c for cls, c in STATUS_BY_ERROR.items() if isinstance(error, cls)), 400)
    headers: dict[str, str] = {}
    if isinstance(error, domain.TooManyRequests):
        headers["Retry-After"] = str(error.retry_after)
    return error_response(code, error.message, error.errors, headers)


def handle_http_exception(error: HTTPException) -> Response:
    code = error.code or 500
    if code >= 500 and isinstance(error, InternalServerError):
        original = error.original_exception
        if original is not None:
            log.error("unhandled error", exc_info=original)
        return error_response(500, "Something went wrong on our side; it has been logged.")
    data = getattr(error, "data", None) or {}
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    errors = data.get("errors") or data.get("messages")
    if isinstance(errors, dict) and len(errors) == 1 and set(errors) <= LOCATIONS:
        errors = next(iter(errors.values()))
    message = data.get("message")
    if isinstance(errors, list):
        # Not field errors (e.g. a body that is not JSON): say it in the message,
        # so ``errors`` is always an object keyed by field, as documented.
        message = message or " ".join(str(e) for e in errors)
        errors = None
    message = message or _default_message(code, error)
    return error_response(code, message, errors, headers)


def _default_message(code: int, error: HTTPException) -> str:
    if code == 422:
        return "The request is not valid; see errors."
    return str(error.description or reason_phrase(code))


def handle_database_unavailable(error: OperationalError) -> Response:
    """The database cannot be reached, or ended the statement itself (a restart, a
    timeout, a deadlock it resolved): nothing was done, and the request may be retried."""
    log.warning("database unavailable: %s", type(error.orig).__name__, exc_info=error)
    return error_response(
        503,
        "The service cannot reach its database just now; retry shortly.",
        headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE)},
    )


def handle_unexpected(error: Exception) -> Response:
    log.error("unhandled error", exc_info=error)
    return error_response(500, "Something went wrong on our side; it has been logged.")


def register(app: Flask) -> None:
    app.register_error_handler(domain.DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
