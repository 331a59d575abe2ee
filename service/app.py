"""The application factory: ``gunicorn 'service.app:create_app()'``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from flask import Flask, Response
from sqlalchemy.exc import OperationalError
from swagger_ui_bundle import swagger_ui_path

from service import bootstrap, cli, logs
from service.api import init_api
from service.api.errors import error_response

JSON_BODY_LIMIT = 1024 * 1024
#: Seconds a client should wait before retrying when the database is unavailable.
RETRY_AFTER_UNAVAILABLE = 5
log = logging.getLogger("service.errors")


def database_unavailable(error: OperationalError) -> Response:
    """The database cannot be reached, or ended the statement itself (a restart, a
    timeout, a deadlock it resolved): nothing was done, and the request may be retried."""
    log.warning("database unavailable: %s", type(error.orig).__name__, exc_info=error)
    return error_response(
        503,
        "The service cannot reach its database just now; retry shortly.",
        headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE)},
    )


def create_app(env: Mapping[str, str] | None = None) -> Flask:
    settings = bootstrap.Settings.from_env(env)
    logs.configure(settings.log_level)
    app = Flask("service")
    app.config["MAX_CONTENT_LENGTH"] = JSON_BODY_LIMIT
    app.json.sort_keys = False  # type: ignore[attr-defined]
    wired = bootstrap.wire(settings)
    app.extensions["review_service"] = wired.wiring
    app.extensions["review_readiness"] = wired.readiness
    app.extensions["review_engine"] = wired.engine
    init_api(app, Path(swagger_ui_path))
    app.register_error_handler(OperationalError, database_unavailable)
    cli.register(app)
    return app
