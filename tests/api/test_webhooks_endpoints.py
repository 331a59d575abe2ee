"""Webhook endpoints over HTTP: registration rules, secrets, who may, and tenancy."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from service.domain.webhooks import MAX_WEBHOOKS_PER_ORGANISATION
from tests.support.api import ApiClient, OrgFactory, api_token, expect
from tests.support.webhooks import PUBLIC_URL, WEBHOOKS


def _create(api: ApiClient, **fields: object) -> dict[str, object]:
    body = {"url": PUBLIC_URL, "events": ["cycle.launched"], **fields}
    created: dict[str, object] = expect(api.post(WEBHOOKS, json=body), 201)
    return created


def test_an_admin_registers_changes_and_removes_a_webhook(orgs: OrgFactory) -> None:
    api = orgs.create().admin.api
    response = api.post(
        WEBHOOKS,
        json={
            "url": PUBLIC_URL,
            "events": ["review.submitted", "cycle.launched", "review.submitted"],
            "description": "HRIS sync",
        },
    )
    created = expect(response, 201)
    assert created["events"] == ["cycle.launched", "review.submitted"]
    assert (created["url"], created["description"], created["active"]) == (
        PUBLIC_URL,
        "HRIS sync",
        True,
    )
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:])) >= 24
    path = f"{WEBHOOKS}/{created['id']}"

    read = api.get(path)
    assert "secret" not in expect(read, 200)
    assert secret not in read.get_data(as_text=True)
    listed = api.get(WEBHOOKS)
    assert [w["id"] for w in expect(listed, 200)] == [created["id"]]
    assert secret not in listed.get_data(as_text=True)
    assert json.loads(listed.headers["X-Pagination"])["total"] == 1

    stale = api.patch(path, json={"active": False}, headers={"If-Match": '"v0"'})
    assert expect(stale, 412)["code"] == 412
    changed = api.patch(
        path,
        json={"active": False, "events": ["member.deactivated"]},
        headers={"If-Match": read.headers["ETag"]},
    )
    assert (expect(changed, 200)["active"], changed.get_json()["events"]) == (
        False,
        ["member.deactivated"],
    )
    assert changed.headers["ETag"] != read.headers["ETag"]

    expect(api.delete(path), 204)
    expect(api.get(path), 404)
    log = api.get(f"/api/v1/audit-events?entity_id={created['id']}&page_size=100")
    assert sorted(e["action"] for e in expect(log, 200)) == ["created", "deleted", "updated"]
    assert secret not in log.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/hooks",  # not HTTPS
        "ftp://93.184.216.34/hooks",
        "https://user:password@93.184.216.34/hooks",  # userinfo
        "https://10.0.0.7/hooks",  # private
        "https://192.168.1.1/hooks",
        "https://100.64.0.1/hooks",  # shared (carrier-grade NAT)
        "https://127.0.0.1/hooks",  # loopback, not allowed by this deployment
        "http://127.0.0.1:8080/hooks",
        "https://localhost/hooks",
        "https://[::1]/hooks",
        "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "https://[::ffff:10.0.0.1]/hooks",  # private, IPv4-mapped
        "https://[64:ff9b::a9fe:a9fe]/latest/meta-data/",  # NAT64 of 169.254.169.254
        "https://[64:ff9b::a00:1]/hooks",  # NAT64 of 10.0.0.1
        "https://[64:ff9b::7f00:1]/hooks",  # NAT64 of 127.0.0.1
        "https://[64:ff9b:1::a9fe:a9fe]/hooks",  # local-use NAT64
        "https://[2002:a9fe:a9fe::1]/hooks",  # 6to4
        "https://[::a9fe:a9fe]/hooks",  # IPv4-compatible
        "https://[::ffff:0:a9fe:a9fe]/hooks",  # SIIT
        "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hooks",  # Teredo
        "https://0.0.0.0/hooks",
        "https://no-such-host.invalid/hooks",  # does not resolve
        "not a url",
        "/relative/path",
    ],
)
def test_urls_that_could_reach_inside_are_refused(orgs: OrgFactory, url: str) -> None:
    api = orgs.create().admin.api
    body = expect(api.post(WEBHOOKS, json={"url": url, "events": ["cycle.launched"]}), 422)
    assert (body["code"], body["status"]) == (422, "Unprocessable Entity")
    assert list(body["errors"]) == ["url"], body
    created = _create(api)
    patched = api.patch(f"{WEBHOOKS}/{created['id']}", json={"url": url})
    assert list(expect(patched, 422)["errors"]) == ["url"]


def test_unknown_events_and_unknown_fields_are_refused(orgs: OrgFactory) -> None:
    api = orgs.create().admin.api
    unknown = expect(
        api.post(WEBHOOKS, json={"url": PUBLIC_URL, "events": ["cycle.exploded"]}), 422
    )
    assert "events" in unknown["errors"]
    assert (
        "events"
        in expect(api.post(WEBHOOKS, json={"url": PUBLIC_URL, "events": []}), 422)["errors"]
    )
    smuggled = api.post(
        WEBHOOKS, json={"url": PUBLIC_URL, "events": ["cycle.launched"], "secret": "whsec_mine"}
    )
    assert expect(smuggled, 422)["errors"] == {"secret": ["Unknown field."]}
    path = f"{WEBHOOKS}/{_create(api)['id']}"
    assert expect(api.patch(path, json={"org_id": str(uuid.uuid4())}), 422)["errors"] == {
        "org_id": ["Unknown field."]
    }
    assert expect(api.post(f"{path}/rotate-secret", json={"secret": "x"}), 422)["errors"] == {
        "secret": ["Unknown field."]
    }
    assert "status" in expect(api.get(f"{path}/deliveries?status=lost"), 422)["errors"]


def test_the_secret_is_shown_only_when_created_or_rotated(orgs: OrgFactory) -> None:
    api = orgs.create().admin.api
    created = _create(api)
    path = f"{WEBHOOKS}/{created['id']}"
    rotated = expect(api.post(f"{path}/rotate-secret"), 200)
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != created["secret"]
    expires = datetime.fromisoformat(rotated["previous_secret_expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(hours=24))) < timedelta(minutes=1)
    read = api.get(path)
    text = read.get_data(as_text=True)
    assert 'secret"' not in text.replace("previous_secret_expires_at", "")
    assert created["secret"] not in text
    assert rotated["secret"] not in text
    at_once = api.post(
        f"{path}/rotate-secret",
        json={"grace_period_seconds": 0},
        headers={"If-Match": read.headers["ETag"]},
    )
    assert expect(at_once, 200)["previous_secret_expires_at"] is None
    stale = api.post(f"{path}/rotate-secret", headers={"If-Match": read.headers["ETag"]})
    expect(stale, 412)
    log = expect(api.get(f"/api/v1/audit-events?entity_id={created['id']}"), 200)
    assert [e["action"] for e in log].count("secret_rotated") == 2
    assert all(s not in json.dumps(log) for s in (created["secret"], rotated["secret"]))


def test_only_admins_through_the_admin_scope_manage_webhooks(orgs: OrgFactory) -> None:
    org = orgs.create()
    webhook = _create(org.admin.api)
    path = f"{WEBHOOKS}/{webhook['id']}"
    refused = {
        "pm": org.add_member(access_role="pm").api,
        "head_of_product": org.add_member(access_role="head_of_product").api,
        "token:read,write": api_token(org, ["read", "write"]),
    }
    calls = [
        ("GET", WEBHOOKS, None),
        ("POST", WEBHOOKS, {"url": PUBLIC_URL, "events": ["cycle.launched"]}),
        ("GET", path, None),
        ("PATCH", path, {"description": "mine"}),
        ("POST", f"{path}/rotate-secret", {}),
        ("GET", f"{path}/deliveries", None),
        ("DELETE", path, None),
    ]
    for name, api in refused.items():
        for method, target, body in calls:
            response = api.request(method, target, json=body)
            assert response.status_code == 403, (name, method, target)
            assert "secret" not in response.get_data(as_text=True)
    admin_token = api_token(org, ["admin"])
    for method, target, body in calls:
        assert admin_token.request(method, target, json=body).status_code < 300, (method, target)


def test_another_organisations_webhook_answers_like_a_random_id(orgs: OrgFactory) -> None:
    mine, theirs = orgs.create(), orgs.create()
    foreign = _create(theirs.admin.api, description="theirs")
    api = mine.admin.api
    for suffix, method, body in (
        ("", "GET", None),
        ("", "PATCH", {"description": "mine now"}),
        ("/rotate-secret", "POST", {}),
        ("/deliveries", "GET", None),
        ("", "DELETE", None),
    ):
        answers = [
            api.request(method, f"{WEBHOOKS}/{webhook_id}{suffix}", json=body)
            for webhook_id in (foreign["id"], uuid.uuid4())
        ]
        assert [a.status_code for a in answers] == [404, 404], (method, suffix)
        assert answers[0].get_json() == answers[1].get_json()
    assert expect(api.get(WEBHOOKS), 200) == []
    kept = expect(theirs.admin.api.get(f"{WEBHOOKS}/{foreign['id']}"), 200)
    assert (kept["description"], kept["previous_secret_expires_at"]) == ("theirs", None)


def test_an_organisation_keeps_a_bounded_number_of_webhooks(orgs: OrgFactory) -> None:
    org, other = orgs.create(), orgs.create()
    api = org.admin.api
    made = [_create(api, active=n % 2 == 0) for n in range(MAX_WEBHOOKS_PER_ORGANISATION)]
    one_more = {"url": PUBLIC_URL, "events": ["cycle.launched"], "active": False}
    refused = expect(api.post(WEBHOOKS, json=one_more), 409)
    assert (refused["code"], refused["status"]) == (409, "Conflict")
    assert f"at most {MAX_WEBHOOKS_PER_ORGANISATION} webhooks" in refused["message"]
    assert "inactive" in refused["message"]
    listed = api.get(f"{WEBHOOKS}?page_size=100")
    assert json.loads(listed.headers["X-Pagination"])["total"] == MAX_WEBHOOKS_PER_ORGANISATION
    # Another organisation's endpoints are its own business.
    _create(other.admin.api)
    # Inactive ones count too; a deleted one makes room.
    expect(api.patch(f"{WEBHOOKS}/{made[0]['id']}", json={"active": False}), 200)
    expect(api.post(WEBHOOKS, json=one_more), 409)
    expect(api.delete(f"{WEBHOOKS}/{made[0]['id']}"), 204)
    _create(api)
    expect(api.post(WEBHOOKS, json=one_more), 409)


def test_the_cap_is_documented_on_create(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    create = spec["paths"]["/api/v1/webhooks"]["post"]
    assert "409" in create["responses"]
    assert f"at most {MAX_WEBHOOKS_PER_ORGANISATION} webhooks" in create["description"]
