"""The HTTP edge: blueprints in the order their tags appear in the docs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint as FlaskBlueprint
from flask import Flask, send_from_directory
from flask_smorest import Api
from werkzeug.wrappers import Response

from service.api import errors, requests
from service.api.api_tokens.routes import blp as api_tokens
from service.api.audit_events.routes import blp as audit_events
from service.api.auth.routes import blp as auth
from service.api.base import SCHEMA_FORMS, ErrorSchema
from service.api.competencies.routes import blp as competencies
from service.api.cycles.participants import blp as cycle_participants
from service.api.cycles.routes import blp as cycles
from service.api.feedback.routes import blp as feedback
from service.api.members.import_routes import blp as member_import
from service.api.members.routes import blp as members
from service.api.operations import HEADER_DOCS, RETRY_AFTER
from service.api.ops.routes import blp as ops
from service.api.organisations.routes import blp as organisations
from service.api.product_roles.routes import blp as product_roles
from service.api.reports.routes import blp as reports
from service.api.reviews.routes import blp as reviews
from service.api.spec_fields import Plugin
from service.api.teams.routes import blp as teams
from service.api.webhooks.routes import blp as webhooks

MODULES = [
    organisations,
    auth,
    members,
    member_import,
    teams,
    competencies,
    product_roles,
    cycles,
    cycle_participants,
    reviews,
    feedback,
    reports,
    api_tokens,
    webhooks,
    audit_events,
]

API_TITLE = "Performance reviews for product organisations"
API_VERSION = "1.0.0"
API_DESCRIPTION = """\
Career ladders, review cycles, calibration, feedback and promotion readiness for
product-management organisations.

Authenticate with `Authorization: Bearer <token>`: a log-in token from
`POST /api/v1/auth/token`, or an integration token from `POST /api/v1/api-tokens`.
Every error has one JSON shape: `{"code", "status", "message", "errors"}`. A body field
or a query parameter an operation does not take answers 422 (`errors` names it), so a
misspelt filter never returns an unfiltered list.
Lists are paginated with `page` and `page_size` (at most 100); the
`X-Pagination` header carries the totals.

Each token has a request budget (by default 1,200 a minute; a member's log-in tokens
share one). Authenticated answers carry `X-RateLimit-Limit`, `X-RateLimit-Remaining`
and `X-RateLimit-Reset` (Unix time); a spent budget answers 429 with `Retry-After`
(seconds). Ten failed log-ins for one identity within 15 minutes also answer 429, and
so do sign-ups, log-ins and invitation redemptions beyond 30 a minute from one client
address.

Every POST, with a token or without, takes an `Idempotency-Key` header (a fresh UUID per
request): a retry with the same key and request within 24 hours replays the first
answer with `Idempotent-Replayed: true` instead of acting twice. Secrets shown once
(tokens, webhook secrets) are null in a replay.
"""


def openapi_config(swagger_assets: Path) -> dict[str, Any]:
    return {
        "API_TITLE": API_TITLE,
        "API_VERSION": API_VERSION,
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        "OPENAPI_SWAGGER_UI_URL": "/docs/assets/",
        "API_SPEC_OPTIONS": {
            "info": {"description": API_DESCRIPTION},
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                }
            },
            "security": [{"bearerAuth": []}],
        },
    }


def _docs_assets(directory: Path) -> FlaskBlueprint:
    """Swagger UI served by the service itself: no request leaves the machine."""
    blueprint = FlaskBlueprint("docs_assets", __name__)

    @blueprint.get("/docs/assets/<path:filename>")
    def asset(filename: str) -> Response:
        return send_from_directory(directory, filename, max_age=86400)

    return blueprint


def _document_idempotency(api: Api) -> None:
    """Every POST takes ``Idempotency-Key``; say so once, in the spec."""
    api.spec.components.parameter(
        "IdempotencyKey",
        "header",
        {
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            "description": (
                "Send a unique key (a UUID) to make a retry safe: the same key with the "
                "same request within 24 hours replays the first answer (with "
                "`Idempotent-Replayed: true`) instead of acting twice; the same key with "
                "another request answers 422; while the first is still running, 409. A "
                "server error (5xx) or a 429 keeps nothing: the retry runs again. Keys sent "
                "with a token are the caller's own; keys sent without one (sign-up, log-in, "
                "accepting an invitation) are shared by every anonymous client, so use a "
                "fresh random UUID: another client's key answers 422, and only the very "
                "same request reads its answer."
            ),
        },
    )
    for operations in api.spec._paths.values():
        post = operations.get("post")
        if post is not None:
            post.setdefault("parameters", []).append(
                {"$ref": "#/components/parameters/IdempotencyKey"}
            )


def _document_retry_after(api: Api) -> None:
    """flask-smorest's shared 429 answer, with its ``Retry-After`` header: registered
    again, lazily as flask-smorest registers it, before any operation refers to it."""
    api.spec.components.header(RETRY_AFTER, HEADER_DOCS[RETRY_AFTER])
    response = {
        "description": "Too Many Requests: the token's budget is spent.",
        "content": {"application/json": {"schema": api.ERROR_SCHEMA}},
        "headers": {RETRY_AFTER: RETRY_AFTER},
    }
    api.spec.components.response("TOO_MANY_REQUESTS", response, lazy=True)


class _Api(Api):  # type: ignore[misc]
    """flask-smorest's Api, documenting errors in the project's one error shape."""

    ERROR_SCHEMA = SCHEMA_FORMS.response(ErrorSchema)


def init_api(app: Flask, swagger_assets: Path) -> Api:
    app.config.update(openapi_config(swagger_assets))
    # Answers and request bodies are documented in their own forms, named here.
    plugin = Plugin(schema_name_resolver=SCHEMA_FORMS.name)
    api = _Api(app, spec_kwargs={"marshmallow_plugin": plugin})
    _document_retry_after(api)
    for module in MODULES:
        api.register_blueprint(module)
    _document_idempotency(api)
    app.register_blueprint(ops)
    app.register_blueprint(_docs_assets(swagger_assets))
    errors.register(app)
    requests.register(app)
    return api
