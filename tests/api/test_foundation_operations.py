"""Probes, request ids, the JSON log line, and the self-hosted API documentation."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from pythonjsonlogger.json import JsonFormatter

from service.app import create_app
from service.logs import RequestIdFilter
from tests.support.api import OrgFactory, expect

UNREACHABLE_DB = "postgresql+psycopg://x@127.0.0.1:1/none"


@pytest.fixture(scope="module")
def no_database() -> Iterator[Flask]:
    """Built without touching the database: create_app must not connect."""
    app = create_app({"DATABASE_URL": UNREACHABLE_DB, "LOG_LEVEL": "WARNING"})
    yield app
    app.extensions["review_engine"].dispose()


def test_health_and_ready_answer_200(client: FlaskClient) -> None:
    assert expect(client.get("/health"), 200) == {"status": "ok"}
    assert expect(client.get("/ready"), 200) == {"status": "ready"}


def test_ready_answers_503_in_the_error_shape_without_a_database(no_database: Flask) -> None:
    client = no_database.test_client()
    assert expect(client.get("/health"), 200) == {"status": "ok"}
    body = expect(client.get("/ready"), 503)
    assert body["code"] == 503
    assert body["status"] == "Service Unavailable"
    assert body["message"]


def test_an_api_call_without_a_database_answers_503_with_retry_after(no_database: Flask) -> None:
    client = no_database.test_client()
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer prs_whatever"})
    body = expect(response, 503)
    assert body == {
        "code": 503,
        "status": "Service Unavailable",
        "message": "The service cannot reach its database just now; retry shortly.",
    }
    assert int(response.headers["Retry-After"]) > 0
    assert response.mimetype == "application/json"
    body = expect(
        client.post("/api/v1/auth/token", json={"org": "o", "email": "a@b.c", "password": "p"}),
        503,
    )
    assert "Traceback" not in json.dumps(body)


def test_the_docs_need_no_database(no_database: Flask) -> None:
    client = no_database.test_client()
    expect(client.get("/openapi.json"), 200)
    assert client.get("/docs").status_code == 200


def test_a_request_id_is_echoed(client: FlaskClient) -> None:
    response = client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"


@pytest.mark.parametrize("incoming", [None, "", "x" * 129, "bad\u0007id"])
def test_a_missing_or_unusable_request_id_is_replaced(
    client: FlaskClient, incoming: str | None
) -> None:
    headers = {} if incoming is None else {"X-Request-ID": incoming}
    response = client.get("/health", headers=headers)
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_one_json_log_line_per_request(orgs: OrgFactory, caplog: pytest.LogCaptureFixture) -> None:
    org = orgs.create()
    caplog.set_level(logging.INFO, logger="service.requests")
    caplog.clear()
    org.admin.api.get("/api/v1/me", headers={"X-Request-ID": "log-me"})
    records = [r for r in caplog.records if r.name == "service.requests"]
    assert len(records) == 1
    line = JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
    ).format(records[0])
    assert "\n" not in line
    fields = json.loads(line)
    assert fields["message"] == "request"
    assert fields["request_id"] == "log-me"
    assert (fields["method"], fields["path"], fields["status"]) == ("GET", "/api/v1/me", 200)
    assert fields["duration_ms"] >= 0
    assert (fields["org_id"], fields["member_id"]) == (org.id, org.admin.id)
    assert "Authorization" not in line
    assert str(org.admin.api.token) not in line


def test_errors_are_logged_too(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="service.requests")
    caplog.clear()
    client.get("/api/v1/nowhere")
    client.get("/api/v1/me")
    statuses = [getattr(r, "status", None) for r in caplog.records if r.name == "service.requests"]
    assert statuses == [404, 401]


def test_swagger_ui_is_served_from_the_service_itself(client: FlaskClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    urls += re.findall(r"""\burl\s*:\s*["']([^"']+)["']""", html)
    assert urls
    for url in urls:
        assert not re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", url, re.IGNORECASE), url
        assert url.startswith(("/docs/assets/", "/openapi.json")) or not url.startswith("/"), url
        asset = client.get(url if url.startswith("/") else f"/docs/{url}")
        asset.close()  # a file streamed from disk
        assert asset.status_code == 200, url
    assert any(url.endswith(".js") for url in urls)
    assert any(url.endswith(".css") for url in urls)
    assert "http://" not in html
    assert "https://" not in html


def test_lines_logged_while_serving_carry_the_request_id(app: Flask) -> None:
    """A warning or a traceback logged by any module during a request names it."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect()
    handler.addFilter(RequestIdFilter())
    watched = logging.getLogger("service.test_request_id")
    watched.addHandler(handler)
    try:
        with app.test_request_context("/api/v1/me"):
            g.request_id = "trace-me"  # as api.requests sets it first thing
            watched.warning("store unavailable")
        watched.warning("outside any request")
    finally:
        watched.removeHandler(handler)
    assert [getattr(r, "request_id", None) for r in records] == ["trace-me", None]
