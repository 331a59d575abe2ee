"""The application factory: ``gunicorn 'service.app:create_app()'``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from swagger_ui_bundle import swagger_ui_path
from werkzeug.middleware.proxy_fix import ProxyFix

from service import bootstrap, cli, logs
from service.api import init_api

JSON_BODY_LIMIT = 1024 * 1024


def create_app(env: Mapping[str, str] | None = None) -> Flask:
    settings = bootstrap.Settings.from_env(env)
    logs.configure(settings.log_level)
    app = Flask("service")
    if settings.trusted_proxies:
        # The client's address (its quota of public writes, the logs) is what the last
        # TRUSTED_PROXIES proxies appended to X-Forwarded-For; what a client sent itself
        # in that header is not believed.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    app.config["MAX_CONTENT_LENGTH"] = JSON_BODY_LIMIT
    app.json.sort_keys = False  # type: ignore[attr-defined]
    wired = bootstrap.wire(settings)
    app.extensions["review_service"] = wired.wiring
    app.extensions["review_readiness"] = wired.readiness
    app.extensions["review_engine"] = wired.engine
    # The deliverer (``flask webhooks deliver``) runs on the settings the API checks
    # endpoints with, not on a second reading of the environment.
    app.extensions["review_webhook_settings"] = settings.webhooks
    init_api(app, Path(swagger_ui_path))
    cli.register(app)
    return app
