"""Logging in, bearer tokens, API tokens and their scopes, and what is never shown."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from service.domain.credentials import hash_secret
from tests.support.api import PASSWORD, ApiClient, Org, OrgFactory, expect
from tests.support.career import csv_of, post_csv
from tests.support.database import owner_connection


def _log_in(client: FlaskClient, org: str, email: str, password: str) -> tuple[int, str]:
    response = client.post(
        "/api/v1/auth/token", json={"org": org, "email": email, "password": password}
    )
    return response.status_code, response.get_data(as_text=True)


def _token(org: Org, scopes: list[str], **fields: object) -> dict[str, object]:
    body = {"name": f"{'-'.join(scopes)} integration", "scopes": scopes, **fields}
    created: dict[str, object] = expect(org.admin.api.post("/api/v1/api-tokens", json=body), 201)
    return created


def test_log_in_answers_a_bearer_token(orgs: OrgFactory) -> None:
    org = orgs.create()
    response = org.client.post(
        "/api/v1/auth/token",
        json={"org": org.slug.upper(), "email": org.admin.email.upper(), "password": PASSWORD},
    )
    body = expect(response, 200)
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    me = expect(ApiClient(org.client, body["access_token"]).get("/api/v1/me"), 200)
    assert me["id"] == org.admin.id


def test_wrong_org_email_or_password_get_one_identical_answer(orgs: OrgFactory) -> None:
    org, other = orgs.create(), orgs.create()
    pending = expect(
        org.admin.api.post(
            "/api/v1/members", json={"email": "no-password@example.com", "name": "Invitee"}
        ),
        201,
    )
    assert pending["status"] == "active"
    answers = {
        _log_in(org.client, *attempt)
        for attempt in (
            ("no-such-org", org.admin.email, PASSWORD),
            (other.slug, org.admin.email, PASSWORD),  # a real org, not theirs
            (org.slug, "nobody@example.com", PASSWORD),
            (org.slug, org.admin.email, "wrong password"),
            (org.slug, "no-password@example.com", PASSWORD),  # invited, no password yet
        )
    }
    assert len(answers) == 1
    status, text = answers.pop()
    assert status == 401
    assert json.loads(text)["message"] == "The organisation, email or password is not correct."


def test_a_deactivated_member_is_refused_on_the_very_next_request(orgs: OrgFactory) -> None:
    org = orgs.create()
    second = org.add_member(access_role="admin")
    token = expect(
        second.api.post("/api/v1/api-tokens", json={"name": "mine", "scopes": ["read"]}), 201
    )["token"]
    api_token = ApiClient(org.client, str(token))
    expect(second.api.get("/api/v1/me"), 200)
    expect(api_token.get("/api/v1/me"), 200)
    expect(org.admin.api.post(f"/api/v1/members/{second.id}/deactivate"), 200)
    expect(second.api.get("/api/v1/me"), 401)
    expect(api_token.get("/api/v1/me"), 401)
    status, _ = _log_in(org.client, org.slug, second.email, PASSWORD)
    assert status == 401


def test_a_revoked_api_token_is_refused(orgs: OrgFactory) -> None:
    org = orgs.create()
    created = _token(org, ["read"])
    client = ApiClient(org.client, str(created["token"]))
    expect(client.get("/api/v1/org"), 200)
    expect(org.admin.api.delete(f"/api/v1/api-tokens/{created['id']}"), 204)
    expect(client.get("/api/v1/org"), 401)
    listed = expect(org.admin.api.get("/api/v1/api-tokens"), 200)
    assert created["id"] not in {t["id"] for t in listed}
    expect(org.admin.api.delete(f"/api/v1/api-tokens/{created['id']}"), 404)


def test_an_expired_api_token_is_refused(orgs: OrgFactory, owner_url: str) -> None:
    org = orgs.create()
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    created = _token(org, ["read"], expires_at=soon)
    client = ApiClient(org.client, str(created["token"]))
    expect(client.get("/api/v1/me"), 200)
    with owner_connection(owner_url) as owner:
        owner.execute(
            "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = %s",
            (created["id"],),
        )
    expect(client.get("/api/v1/me"), 401)


def test_an_expiry_in_the_past_is_refused(orgs: OrgFactory) -> None:
    org = orgs.create()
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    response = org.admin.api.post(
        "/api/v1/api-tokens", json={"name": "old", "scopes": ["read"], "expires_at": past}
    )
    assert "expires_at" in expect(response, 422)["errors"]
    naive = org.admin.api.post(
        "/api/v1/api-tokens",
        json={"name": "naive", "scopes": ["read"], "expires_at": "2999-01-01T00:00:00"},
    )
    assert "expires_at" in expect(naive, 422)["errors"]


def test_scopes_are_enforced(orgs: OrgFactory) -> None:
    org = orgs.create()
    read_only = ApiClient(org.client, str(_token(org, ["read"])["token"]))
    expect(read_only.get("/api/v1/members"), 200)
    new_member = {"email": "ro@example.com", "name": "RO"}
    expect(read_only.post("/api/v1/members", json=new_member), 403)
    expect(read_only.patch("/api/v1/org", json={"name": "x"}), 403)
    expect(read_only.post("/api/v1/api-tokens", json={"name": "x", "scopes": ["read"]}), 403)
    admin_only = ApiClient(org.client, str(_token(org, ["admin"])["token"]))
    expect(admin_only.post("/api/v1/members", json=new_member), 201)
    expect(admin_only.get("/api/v1/members"), 403)  # scopes are not hierarchical


def test_a_token_without_every_scope_hands_out_no_credential(orgs: OrgFactory) -> None:
    """A password, an invitation or the admin role lets a person sign in with every
    scope: a token holding fewer cannot give one (it would then hold them all)."""
    org = orgs.create()
    admin_only = ApiClient(org.client, str(_token(org, ["admin"])["token"]))
    full = ApiClient(org.client, str(_token(org, ["read", "write", "admin"])["token"]))
    with_password = {"email": "door@example.com", "name": "Door", "password": PASSWORD}
    expect(admin_only.post("/api/v1/members", json=with_password), 403)
    pm = org.add_member(title="PM")  # with a password
    newcomer = expect(
        admin_only.post("/api/v1/members", json={"email": "n@example.com", "name": "N"}), 201
    )
    expect(admin_only.post(f"/api/v1/members/{newcomer['id']}/invitation"), 403)
    promote = {"access_role": "admin"}
    expect(admin_only.patch(f"/api/v1/members/{pm.id}", json=promote), 403)
    promoted_by_file = csv_of(f"{pm.email},{pm.email.split('@')[0]},,admin,,,")
    expect(post_csv(admin_only, promoted_by_file), 403)
    assert expect(org.admin.api.get(f"/api/v1/members/{pm.id}"), 200)["access_role"] == "pm"
    expect(full.post(f"/api/v1/members/{newcomer['id']}/invitation"), 201)
    expect(full.patch(f"/api/v1/members/{pm.id}", json=promote), 200)
    expect(full.post("/api/v1/members", json=with_password), 201)


def test_a_token_cannot_mint_a_token(orgs: OrgFactory) -> None:
    """Not wider, nor the same: a minted token would outlive its parent's expiry and
    revocation. Tokens are made by a signed-in admin."""
    org = orgs.create()
    expiring = {"expires_at": "2099-01-01T00:00:00Z"}
    everything = ApiClient(
        org.client, str(_token(org, ["read", "write", "admin"], **expiring)["token"])
    )
    for scopes in (["admin"], ["admin", "read"], ["read", "write", "admin"]):
        body = {"name": "child", "scopes": scopes}
        refused = expect(everything.post("/api/v1/api-tokens", json=body), 403)
        assert "signed-in admin" in refused["message"]
    expect(
        org.admin.api.post("/api/v1/api-tokens", json={"name": "by a person", "scopes": ["admin"]}),
        201,
    )


def test_an_api_token_acts_as_the_admin_who_made_it(orgs: OrgFactory) -> None:
    org = orgs.create()
    client = ApiClient(org.client, str(_token(org, ["read"])["token"]))
    assert expect(client.get("/api/v1/me"), 200)["id"] == org.admin.id
    pm = org.add_member()
    expect(pm.api.post("/api/v1/api-tokens", json={"name": "pm", "scopes": ["read"]}), 403)


def test_last_used_at_is_set_by_a_read_only_request(orgs: OrgFactory) -> None:
    org = orgs.create()
    created = _token(org, ["read"])
    assert created["last_used_at"] is None
    before = datetime.now(UTC)
    expect(ApiClient(org.client, str(created["token"])).get("/api/v1/me"), 200)
    listed = {t["id"]: t for t in expect(org.admin.api.get("/api/v1/api-tokens"), 200)}
    used = datetime.fromisoformat(listed[created["id"]]["last_used_at"])
    assert used >= before - timedelta(seconds=5)


def test_token_secrets_are_shown_only_on_create(orgs: OrgFactory) -> None:
    org = orgs.create()
    created = _token(org, ["read", "write"])
    secret = str(created["token"])
    assert secret.startswith(str(created["prefix"]))
    assert set(created) >= {"id", "name", "prefix", "scopes", "created_at", "last_used_at"}
    listed = org.admin.api.get("/api/v1/api-tokens")
    audit = org.admin.api.get("/api/v1/audit-events?entity_type=api_token")
    for response in (listed, audit):
        text = response.get_data(as_text=True)
        assert secret not in text
        assert hash_secret(secret) not in text
        assert "token_hash" not in text
    assert all("token" not in t for t in listed.get_json())


@pytest.mark.parametrize("scopes", [[], ["everything"]])
def test_scopes_must_be_known_and_present(orgs: OrgFactory, scopes: list[str]) -> None:
    org = orgs.create()
    response = org.admin.api.post("/api/v1/api-tokens", json={"name": "x", "scopes": scopes})
    assert "scopes" in expect(response, 422)["errors"]


def test_password_hashes_appear_in_no_response_and_no_audit_event(orgs: OrgFactory) -> None:
    org = orgs.create()
    api = org.admin.api
    invitee = {"email": "invitee@example.com", "name": "Invitee"}  # invited: no password
    pm_id = expect(api.post("/api/v1/members", json=invitee), 201)["id"]
    invitation = expect(api.post(f"/api/v1/members/{pm_id}/invitation"), 201)
    new_password = "a new password, long enough"
    expect(
        org.client.post(
            "/api/v1/auth/accept-invitation",
            json={"token": invitation["token"], "password": new_password},
        ),
        204,
    )
    pm_api = org.log_in(invitee["email"], new_password)
    expect(api.patch(f"/api/v1/members/{pm_id}", json={"title": "Senior PM"}), 200)
    responses = [
        api.get("/api/v1/me"),
        api.get("/api/v1/members"),
        api.get(f"/api/v1/members/{pm_id}"),
        pm_api.get("/api/v1/members"),
        api.get("/api/v1/org"),
        api.get("/api/v1/audit-events?page_size=100"),
    ]
    for response in responses:
        text = response.get_data(as_text=True)
        assert response.status_code == 200, text
        for secret in ("password", "$argon2", PASSWORD, new_password, invitation["token"]):
            assert secret not in text, (secret, response.request.path)


def test_an_expiry_sent_with_an_offset_is_answered_in_utc(orgs: OrgFactory) -> None:
    org = orgs.create()
    created = _token(org, ["read"], expires_at="2030-01-01T05:00:00+05:00")
    assert created["expires_at"] == "2030-01-01T00:00:00+00:00"
    listed = expect(org.admin.api.get("/api/v1/api-tokens"), 200)
    assert [t["expires_at"] for t in listed if t["id"] == created["id"]] == [created["expires_at"]]
