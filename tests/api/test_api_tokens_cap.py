"""An organisation holds at most 50 active API tokens (audit finding F13).

Each token has a request budget of its own, so tokens without end would multiply what
one admin can spend. Revoked and expired tokens are not active: they leave room.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from werkzeug.test import TestResponse

from service.application.api_tokens import MAX_ACTIVE_API_TOKENS
from tests.support.api import Org, OrgFactory, expect
from tests.support.database import owner_connection


def _make(org: Org, name: str = "bi", **extra: str) -> TestResponse:
    return org.admin.api.post(
        "/api/v1/api-tokens", json={"name": name, "scopes": ["read"], **extra}
    )


def _fill(org: Org, owner_url: str) -> list[str]:
    """All but one token made straight in the database (fast), the last through the API."""
    with owner_connection(owner_url) as owner:
        owner.execute(
            "INSERT INTO api_tokens (org_id, id, member_id, name, prefix, token_hash, scopes)"
            " SELECT %s, gen_random_uuid(), %s, 'seeded', 'prt_seed', md5(random()::text),"
            " ARRAY['read']::text[] FROM generate_series(1, %s)",
            (org.id, org.admin.id, MAX_ACTIVE_API_TOKENS - 1),
        )
    expect(_make(org), 201)
    listed = expect(org.admin.api.get("/api/v1/api-tokens", query_string={"page_size": 100}), 200)
    assert len(listed) == MAX_ACTIVE_API_TOKENS
    return [token["id"] for token in listed]


def test_one_token_over_the_cap_is_refused_and_makes_nothing(
    orgs: OrgFactory, owner_url: str
) -> None:
    org = orgs.create()
    _fill(org, owner_url)
    body = expect(_make(org, "one too many"), 409)
    assert str(MAX_ACTIVE_API_TOKENS) in body["message"]
    assert "revoke" in body["message"]
    listed = expect(org.admin.api.get("/api/v1/api-tokens", query_string={"page_size": 100}), 200)
    assert len(listed) == MAX_ACTIVE_API_TOKENS
    assert "one too many" not in {token["name"] for token in listed}


def test_revoked_and_expired_tokens_leave_room(orgs: OrgFactory, owner_url: str) -> None:
    org = orgs.create()
    ids = _fill(org, owner_url)
    expect(org.admin.api.delete(f"/api/v1/api-tokens/{ids[0]}"), 204)
    expect(_make(org, "after a revocation"), 201)
    expect(_make(org), 409)
    with owner_connection(owner_url) as owner:
        owner.execute(
            "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = %s",
            (ids[1],),
        )
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    expect(_make(org, "after an expiry", expires_at=soon), 201)  # expiring ones count too
    expect(_make(org), 409)


def test_the_cap_is_per_organisation(orgs: OrgFactory, owner_url: str) -> None:
    full, other = orgs.create(), orgs.create()
    _fill(full, owner_url)
    expect(_make(full), 409)
    expect(_make(other), 201)
