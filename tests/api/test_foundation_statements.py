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
