"""One JSON shape for every error, from every layer (PRODUCT.md, Conventions).

``{"code": <status>, "status": <reason phrase>, "message": <text>, "errors": {...}?}``
with the headers the status calls for, and never a stack trace or HTML.
428 is not exercised: no foundation endpoint requires If-Match (review writes will).
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from service.api.errors import reason_phrase
from service.api.operations import operation
from service.app import create_app
from tests.support.api import PASSWORD, ApiClient, Org, OrgFactory, expect

ONE_MIB = 1024 * 1024
SHAPE_KEYS = {"code", "status", "message", "errors"}


def assert_error(response: TestResponse, code: int) -> dict[str, Any]:
    """The one error shape, with ``code``; returns the body."""
    text = response.get_data(as_text=True)
    assert response.status_code == code, (response.status_code, text)
    assert response.mimetype == "application/json", text
    body = response.get_json()
    assert isinstance(body, dict)
    assert set(body) <= SHAPE_KEYS
    assert body["code"] == code
    assert body["status"] == reason_phrase(code)
    assert isinstance(body["message"], str)
    assert body["message"]
    if "errors" in body:
        assert isinstance(body["errors"], dict), body
        assert body["errors"], body
    assert "Traceback" not in text
    assert "<html" not in text.lower()
    return body


@pytest.fixture(scope="module")
def org(app: Flask) -> Org:
    return OrgFactory(app.test_client()).create()


@pytest.fixture(scope="module")
def instrumented(owner_url: str) -> Iterator[Flask]:
    """An app of the test's own, with routes the real service does not have."""
    test_app = create_app(
        {
            "DATABASE_URL": owner_url,
            "FAST_PASSWORD_HASHING": "true",
            "LOG_LEVEL": "WARNING",
            "PATH": os.environ.get("PATH", ""),
        }
    )

    @operation("testBoom", public=True)
    def boom() -> str:
        raise RuntimeError("secret internals: password=hunter2")

    def undeclared() -> str:  # no operation(...): must be refused
        return "should never be served"

    test_app.add_url_rule("/api/v1/test-only/boom", view_func=boom)
    test_app.add_url_rule("/api/v1/test-only/undeclared", view_func=undeclared)
    yield test_app
    test_app.extensions["review_engine"].dispose()


def test_400_for_a_body_that_is_not_json(org: Org) -> None:
    for path in ("/api/v1/members", "/api/v1/auth/token"):
        response = org.admin.api.post(
            path, data="{not json", headers={"Content-Type": "application/json"}
        )
        body = assert_error(response, 400)
        assert "JSON" in body["message"]


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer prs_not-a-real-token"],
)
def test_401_with_www_authenticate(org: Org, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = org.client.get("/api/v1/me", headers=headers)
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_403_for_a_role_and_for_a_scope(org: Org) -> None:
    pm = org.add_member()
    assert_error(pm.api.get("/api/v1/audit-events"), 403)
    token = expect(
        org.admin.api.post("/api/v1/api-tokens", json={"name": "ro", "scopes": ["read"]}), 201
    )["token"]
    read_only = ApiClient(org.client, token)
    body = assert_error(read_only.post("/api/v1/members", json={"email": "x@example.com"}), 403)
    assert "scope" in body["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nowhere",
        "/nowhere",
        "/api/v1/members/not-a-uuid",
        "/api/v1/members/00000000-0000-4000-8000-000000000000",
        "/api/v2/members",
    ],
)
def test_404_for_unknown_routes_and_ids(org: Org, path: str) -> None:
    assert_error(org.admin.api.get(path), 404)


def test_404_without_a_token_for_an_unknown_route(org: Org) -> None:
    assert_error(org.client.get("/api/v1/nowhere"), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "/api/v1/me"), ("DELETE", "/api/v1/org"), ("PATCH", "/health"), ("POST", "/ready")],
)
def test_405_with_allow(org: Org, method: str, path: str) -> None:
    response = org.admin.api.request(method, path)
    assert_error(response, 405)
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert method not in allowed
    assert "GET" in allowed


def test_409_for_a_taken_email_and_a_taken_slug(org: Org) -> None:
    body = {"email": org.admin.email.upper(), "name": "Twin", "access_role": "pm"}
    assert_error(org.admin.api.post("/api/v1/members", json=body), 409)
    taken = {
        "name": "Copy",
        "slug": org.slug,
        "admin": {"email": "a@example.com", "name": "A", "password": PASSWORD},
    }
    assert_error(org.client.post("/api/v1/orgs", json=taken), 409)


def test_412_for_a_stale_if_match(org: Org) -> None:
    api = org.admin.api
    etag = api.get("/api/v1/org").headers["ETag"]
    expect(api.patch("/api/v1/org", json={"name": "Renamed"}, headers={"If-Match": etag}), 200)
    stale = api.patch("/api/v1/org", json={"name": "Again"}, headers={"If-Match": etag})
    assert_error(stale, 412)
    member = org.add_member()
    etag = api.get(f"/api/v1/members/{member.id}").headers["ETag"]
    expect(api.patch(f"/api/v1/members/{member.id}", json={"title": "PM"}), 200)
    stale = api.patch(
        f"/api/v1/members/{member.id}", json={"title": "Lead"}, headers={"If-Match": etag}
    )
    assert_error(stale, 412)
    # A tag that is no ETag of ours matches no version: precondition failed, too.
    garbage = api.patch("/api/v1/org", json={"name": "X"}, headers={"If-Match": '"nonsense"'})
    assert_error(garbage, 412)


@pytest.mark.parametrize(
    ("path", "authenticated"),
    [("/api/v1/members", True), ("/api/v1/auth/token", False), ("/api/v1/orgs", False)],
)
def test_413_for_a_json_body_over_one_mib(org: Org, path: str, authenticated: bool) -> None:
    api = org.admin.api if authenticated else ApiClient(org.client, None)
    oversized = '{"name": "' + "x" * ONE_MIB + '"}'
    response = api.post(path, data=oversized, headers={"Content-Type": "application/json"})
    assert_error(response, 413)


def test_413_even_where_the_view_reads_no_body(org: Org) -> None:
    member = org.add_member()
    response = org.admin.api.post(
        f"/api/v1/members/{member.id}/deactivate",
        data="[" + "0," * ONE_MIB + "0]",
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 413)
    assert expect(org.admin.api.get(f"/api/v1/members/{member.id}"), 200)["status"] == "active"


def test_a_body_of_exactly_one_mib_is_read(org: Org) -> None:
    padding = ONE_MIB - len('{"name": ""}')
    body = '{"name": "' + "x" * padding + '"}'
    assert len(body) == ONE_MIB
    response = org.admin.api.patch(
        "/api/v1/org", data=body, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 422)  # read and validated (too long a name), not refused for size


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", None]
)
def test_415_for_a_body_that_is_not_json(org: Org, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = org.admin.api.post(
        "/api/v1/members", data='{"email": "a@example.com", "name": "A"}', headers=headers
    )
    assert_error(response, 415)


def test_422_lists_field_errors_and_refuses_unknown_fields(org: Org) -> None:
    body = assert_error(
        org.admin.api.post(
            "/api/v1/members", json={"email": "not an email", "role": "admin", "name": ""}
        ),
        422,
    )
    assert set(body["errors"]) == {"email", "role", "name"}
    assert body["errors"]["role"] == ["Unknown field."]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page_size=101", "page_size"),
        ("page_size=0", "page_size"),
        ("page=10001", "page"),
        ("page=0", "page"),
        ("page=abc", "page"),
    ],
)
def test_422_for_pages_out_of_bounds(org: Org, query: str, field: str) -> None:
    for path in ("/api/v1/members", "/api/v1/audit-events", "/api/v1/api-tokens"):
        body = assert_error(org.admin.api.get(f"{path}?{query}"), 422)
        assert field in body["errors"]


def test_the_largest_page_and_page_size_are_accepted(org: Org) -> None:
    assert expect(org.admin.api.get("/api/v1/members?page_size=100"), 200)
    assert expect(org.admin.api.get("/api/v1/members?page=10000"), 200) == []


def test_429_after_ten_failed_log_ins_with_retry_after(org: Org) -> None:
    member = org.add_member(email=f"mia-{uuid.uuid4().hex[:8]}@example.com")
    attempt = {"org": org.slug, "email": member.email, "password": "not the password"}
    for _ in range(10):
        assert_error(org.client.post("/api/v1/auth/token", json=attempt), 401)
    response = org.client.post("/api/v1/auth/token", json={**attempt, "password": PASSWORD})
    assert_error(response, 429)
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    # Spelt so that Python and PostgreSQL lower-case it apart ("İ" is "i̇" to Python,
    # "i" to PostgreSQL): a budget of its own, so it must match nobody.
    variant = member.email.replace("i", "\u0130", 1)
    assert "\u0130" in variant
    respelt = {**attempt, "email": variant, "password": PASSWORD}
    assert_error(org.client.post("/api/v1/auth/token", json=respelt), 401)
    # Another identity of the same organisation is not affected.
    expect(
        org.client.post(
            "/api/v1/auth/token",
            json={"org": org.slug, "email": org.admin.email, "password": PASSWORD},
        ),
        200,
    )


def test_500_without_a_stack_trace_and_logged(
    instrumented: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="service.errors")
    response = instrumented.test_client().get(
        "/api/v1/test-only/boom", headers={"X-Request-ID": "boom-1"}
    )
    body = assert_error(response, 500)
    assert "hunter2" not in response.get_data(as_text=True)
    assert "RuntimeError" not in body["message"]
    assert response.headers["X-Request-ID"] == "boom-1"
    logged = [r for r in caplog.records if r.name == "service.errors"]
    assert logged
    assert logged[0].exc_info is not None


def test_a_view_without_an_operation_declaration_is_refused(instrumented: Flask) -> None:
    assert_error(instrumented.test_client().get("/api/v1/test-only/undeclared"), 403)


def test_errors_carry_the_request_id(org: Org) -> None:
    for response in (
        org.client.get("/api/v1/nowhere", headers={"X-Request-ID": "trace-404"}),
        org.client.get("/api/v1/me", headers={"X-Request-ID": "trace-401"}),
    ):
        assert response.headers["X-Request-ID"].startswith("trace-")
