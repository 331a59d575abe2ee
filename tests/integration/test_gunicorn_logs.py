"""gunicorn's own lines are JSON like the service's: one object per line, so one log
pipeline reads everything the process writes (service.gunicorn_conf)."""

from __future__ import annotations

import json

from tests.support.gunicorn import running_gunicorn


def test_every_line_gunicorn_writes_is_a_json_object(owner_url: str) -> None:
    with running_gunicorn(owner_url, LOG_LEVEL="INFO") as server:
        assert server.call("GET", "/health")[0] == 200
        lines = list(server.log)
    assert any("Listening at: " in line for line in lines)
    records = [json.loads(line) for line in lines if line.strip()]
    assert all(isinstance(r, dict) and {"time", "level", "message"} <= set(r) for r in records)
    loggers = [r.get("logger") for r in records]
    assert {"gunicorn.error", "service.requests"} <= set(loggers)
    # One line per request, the service's: gunicorn writes no access line of its own.
    assert "gunicorn.access" not in loggers
