"""gunicorn's settings wherever the service is served: ``make run``, the image, the
tests' and the benchmarks' servers (``--config=python:service.gunicorn_conf``).

- gunicorn's own lines (start, workers booting or timing out, tracebacks) are JSON
  like the service's, one object per line, so a log pipeline reads one format; it
  writes no access line of its own (the service's request line is that).
- No control socket (gunicorn 27): every gunicorn on a host would share one path in
  the user's home, which the image's user cannot write.
- A request gunicorn cannot parse (a malformed request line or header, a URI or headers
  over its limits) is answered by gunicorn itself, before the service sees it: in the
  service's one JSON error shape, not gunicorn's HTML page.
"""

from __future__ import annotations

import json
import socket
from typing import Any

from gunicorn import util
from gunicorn.glogging import Logger

from service.api.errors import error_payload
from service.logs import FORMAT, RENAMED

control_socket_disable = True


class ServiceLogger(Logger):  # type: ignore[misc]
    """No access line from gunicorn: the service logs every request itself, with its
    request id (``service.requests``), and a second line per request would cost a
    formatted record each (gunicorn turns it on whenever logging is configured)."""

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        return None


logger_class = ServiceLogger


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's ``util.write_error``, answering in the API's error shape. gunicorn offers
    no hook for these answers; its workers call this module function for every one."""
    payload = error_payload(status_int, mesg)
    body = json.dumps(payload)
    head = (
        f"HTTP/1.1 {status_int} {payload['status']}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body.encode())}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body.encode())


util.write_error = write_json_error

_JSON_LINES = {"level": "INFO", "handlers": ["json"], "propagate": False}
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": FORMAT,
            "rename_fields": RENAMED,
        }
    },
    "handlers": {
        "json": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    # gunicorn merges this over its defaults, whose root logger names a handler of theirs.
    "root": {"level": "INFO", "handlers": ["json"]},
    "loggers": {"gunicorn.error": _JSON_LINES},
}
