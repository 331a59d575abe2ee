"""JSON logs on standard error: one object per line."""

from __future__ import annotations

import logging
import sys

from flask import g, has_app_context
from pythonjsonlogger.json import JsonFormatter


class RequestIdFilter(logging.Filter):
    """Every line logged while a request is served carries its ``request_id`` (the
    ``X-Request-ID`` it came with, or the one made for it), so a caller's id finds the
    warning or the traceback too, not only the request's own line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id") and has_app_context():
            request_id = g.get("request_id")
            if request_id is not None:
                record.request_id = request_id
        return True


#: The fields of every line, and their names; gunicorn's own lines use them too
#: (``service.gunicorn_conf``).
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
RENAMED = {"asctime": "time", "levelname": "level", "name": "logger"}


def configure(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter(FORMAT, rename_fields=RENAMED))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
