"""Constant statement counts: a list costs the same whatever its length, and
authentication costs one statement (token look-up and tenant binding together)."""

from __future__ import annotations

from flask import Flask

from tests.support.api import ApiClient, Org, OrgFactory, expect
from tests.support.statements import counting


def _statements(app: Flask, api: ApiClient, path: str) -> list[str]:
    with counting(app) as statements:
        expect(api.get(path), 200)
    return statements


def _grow(org: Org, n: int) -> None:
    for i in range(n):
        expect(org.admin.api.patch(f"/api/v1/members/{org.admin.id}", json={"title": f"t{i}"}), 200)
        expect(
            org.admin.api.post("/api/v1/api-tokens", json={"name": f"t{i}", "scopes": ["read"]}),
            201,
        )


def test_lists_cost_the_same_whatever_their_length(app: Flask, orgs: OrgFactory) -> None:
    small, large = orgs.create(), orgs.create()
    _grow(small, 1)
    _grow(large, 12)
    for path in ("/api/v1/audit-events?page_size=100", "/api/v1/api-tokens?page_size=100"):
        few = _statements(app, small.admin.api, path)
        many = _statements(app, large.admin.api, path)
        assert len(few) == len(many), (path, few, many)
        assert len(many) <= 3, many


def test_authentication_is_one_statement(app: Flask, orgs: OrgFactory) -> None:
    org = orgs.create()
    statements = _statements(app, org.admin.api, "/api/v1/me")
    resolving = [s for s in statements if "auth_resolve_token" in s]
    assert len(resolving) == 1
    assert "set_config" in resolving[0]
    assert len(statements) <= 2, statements


def _prepared_on_every_connection(app: Flask) -> list[str]:
    """What the pool's connections hold prepared (each connection its own)."""
    engine = app.extensions["review_engine"]
    found: list[str] = []
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT statement FROM pg_prepared_statements").all()
        found.extend(row[0] for row in rows)
    return found


def test_the_hot_reads_run_as_prepared_statements(app: Flask, orgs: OrgFactory) -> None:
    org = orgs.create()
    engine = app.extensions["review_engine"]
    engine.dispose()  # one connection from here on: the one the requests and the check use
    member = org.admin.id
    expect(org.admin.api.get("/api/v1/me"), 200)
    expect(org.admin.api.get(f"/api/v1/members/{member}"), 200)
    prepared = _prepared_on_every_connection(app)
    assert any("auth_resolve_token" in s for s in prepared), prepared
    assert any("manager_name" in s for s in prepared), prepared
    # Only when asked: an ordinary statement is never prepared behind the code's back.
    for _ in range(8):
        expect(org.admin.api.get("/api/v1/audit-events"), 200)
    assert not any("audit_events" in s for s in _prepared_on_every_connection(app))


def test_a_failed_request_leaves_the_prepared_reads_working(app: Flask, orgs: OrgFactory) -> None:
    """psycopg forgets its prepared statements on ROLLBACK: the next read prepares again."""
    org = orgs.create()
    app.extensions["review_engine"].dispose()
    for _ in range(3):
        expect(org.admin.api.get(f"/api/v1/members/{org.admin.id}"), 200)
        missing = org.admin.api.get("/api/v1/members/00000000-0000-4000-8000-000000000000")
        expect(missing, 404)
        assert missing.get_json()["code"] == 404
    assert org.admin.api.get("/api/v1/me").get_json()["id"] == str(org.admin.id)
