"""Probes for orchestrators: liveness and readiness."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from service.api.errors import error_response

blp = Blueprint("ops", __name__)


@blp.get("/health")
def health() -> Response:
    """The process is up; says nothing of the database."""
    return jsonify(status="ok")


@blp.get("/ready")
def ready() -> Response:
    """The database answers; 503 in the error shape when it does not."""
    probe = current_app.extensions["review_readiness"]
    if probe():
        return jsonify(status="ready")
    return error_response(503, "The database does not answer.")
