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
from service.api.members.routes import blp as members
from service.api.ops.routes import blp as ops
from service.api.organisations.routes import blp as organisations

MODULES = [organisations, auth, members, api_tokens, audit_events]

API_TITLE = "Performance reviews for product organisations"
API_VERSION = "1.0.0"
API_DESCRIPTION = """\
Career ladders, review cycles, calibration, feedback and promotion readiness for
product-management organisations.

Authenticate with `Authorization: Bearer <token>`: a log-in token from
`POST /api/v1/auth/token`, or an integration token from `POST /api/v1/api-tokens`.
Every error has one JSON shape: `{"code", "status", "message", "errors"}`.
Lists are paginated with `page` and `page_size` (at most 100); the
`X-Pagination` header carries the totals.
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


def init_api(app: Flask, swagger_assets: Path) -> Api:
    app.config.update(openapi_config(swagger_assets))
    api = Api(app)
    for module in MODULES:
        api.register_blueprint(module)
    app.register_blueprint(ops)
    app.register_blueprint(_docs_assets(swagger_assets))
    errors.register(app)
    requests.register(app)
    return api
