"""gunicorn's settings wherever the service is served: ``make run``, the image, the
tests' and the benchmarks' servers (``--config=python:service.gunicorn_conf``).

- gunicorn's own lines (start, workers booting or timing out, tracebacks) are JSON
  like the service's, one object per line, so a log pipeline reads one format.
- No control socket (gunicorn 27): every gunicorn on a host would share one path in
  the user's home, which the image's user cannot write.
"""

from __future__ import annotations

from typing import Any

from service.logs import FORMAT, RENAMED

control_socket_disable = True

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
    "loggers": {"gunicorn.error": _JSON_LINES, "gunicorn.access": _JSON_LINES},
}
