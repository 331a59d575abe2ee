"""Idempotency-Key: a retried POST replays the first answer instead of acting twice."""

from __future__ import annotations

import uuid

import pytest

from service.domain.idempotency import EXPIRED_PRUNED_PER_CLAIM
from tests.support.api import Org, OrgFactory, expect
from tests.support.database import owner_connection
from tests.support.webhooks import register

LOCAL_HOOK = "http://127.0.0.1:9/hook"


def _new_member(email: str) -> dict[str, str]:
    return {"email": email, "name": "Retry Rita"}


def test_a_retry_replays_the_first_answer_and_creates_nothing(orgs: OrgFactory) -> None:
    org = orgs.create()
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = org.admin.api.post("/api/v1/members", json=_new_member("rita@example.com"), headers=key)
    second = org.admin.api.post(
        "/api/v1/members", json=_new_member("rita@example.com"), headers=key
    )
    assert expect(first, 201) == expect(second, 201)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    listed = expect(org.admin.api.get("/api/v1/members?q=rita"), 200)
    assert len(listed) == 1


def test_the_same_key_with_another_body_answers_422(orgs: OrgFactory) -> None:
    org = orgs.create()
    key = {"Idempotency-Key": "same-key"}
    expect(
        org.admin.api.post("/api/v1/members", json=_new_member("a@example.com"), headers=key), 201
    )
    body = expect(
        org.admin.api.post(
            "/api/v1/members", json=_new_member("bob.retry@example.com"), headers=key
        ),
        422,
    )
    assert body["status"] == "Unprocessable Entity"
    assert "Idempotency-Key" in body["errors"]
    assert expect(org.admin.api.get("/api/v1/members?q=bob.retry"), 200) == []


def test_an_error_answer_is_replayed_too(orgs: OrgFactory) -> None:
    org = orgs.create()
    key = {"Idempotency-Key": "dup"}
    body = _new_member(org.admin.email)
    first = expect(org.admin.api.post("/api/v1/members", json=body, headers=key), 409)
    second = expect(org.admin.api.post("/api/v1/members", json=body, headers=key), 409)
    assert first == second


def test_keys_belong_to_one_member_and_one_organisation(orgs: OrgFactory) -> None:
    one, other = orgs.create(), orgs.create()
    key = {"Idempotency-Key": "shared-by-accident"}
    expect(
        one.admin.api.post("/api/v1/members", json=_new_member("x@example.com"), headers=key), 201
    )
    created = other.admin.api.post(
        "/api/v1/members", json=_new_member("x@example.com"), headers=key
    )
    assert expect(created, 201)["email"] == "x@example.com"
    assert "Idempotent-Replayed" not in created.headers


def test_an_invalid_key_answers_422(orgs: OrgFactory) -> None:
    org = orgs.create()
    response = org.admin.api.post(
        "/api/v1/members", json=_new_member("k@example.com"), headers={"Idempotency-Key": "x" * 256}
    )
    assert expect(response, 422)["errors"]["Idempotency-Key"]


def _stored_answers(owner_url: str, org_id: str) -> list[str]:
    with owner_connection(owner_url) as owner:
        rows = owner.execute(
            "SELECT response_body FROM idempotency_keys WHERE org_id = %s", (org_id,)
        ).fetchall()
    return [row[0] for row in rows]


@pytest.mark.parametrize(
    ("path", "body", "secret"),
    [
        ("/api/v1/api-tokens", {"name": "hris", "scopes": ["read"]}, "token"),
        ("/api/v1/webhooks", {"url": LOCAL_HOOK, "events": ["cycle.launched"]}, "secret"),
        ("/api/v1/members/{member}/invitation", None, "token"),
    ],
)
def test_a_secret_is_shown_once_and_kept_for_no_replay(
    dev_org: Org, owner_url: str, path: str, body: dict[str, object] | None, secret: str
) -> None:
    org = dev_org  # webhooks to 127.0.0.1 allowed
    invitee = {"email": f"{uuid.uuid4().hex[:10]}@example.com", "name": "Invitee"}
    member = expect(org.admin.api.post("/api/v1/members", json=invitee), 201)  # no password
    path = path.format(member=member["id"])
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = expect(org.admin.api.post(path, json=body, headers=key), 201)
    replay = org.admin.api.post(path, json=body, headers=key)
    replayed = expect(replay, 201)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert first[secret]
    assert replayed[secret] is None
    assert {k: v for k, v in replayed.items() if k != secret} == {
        k: v for k, v in first.items() if k != secret
    }
    assert not any(first[secret] in stored for stored in _stored_answers(owner_url, org.id))


def test_a_rotated_secret_is_kept_for_no_replay(dev_org: Org, owner_url: str) -> None:
    org = dev_org
    created = register(org, LOCAL_HOOK)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    path = f"/api/v1/webhooks/{created['id']}/rotate-secret"
    rotated = expect(org.admin.api.post(path, json={}, headers=key), 200)
    replayed = expect(org.admin.api.post(path, json={}, headers=key), 200)
    assert rotated["secret"] != created["secret"]
    assert replayed["secret"] is None
    assert replayed["id"] == rotated["id"]
    assert not any(rotated["secret"] in stored for stored in _stored_answers(owner_url, org.id))


def _keys_of(owner_url: str, org_id: str) -> int:
    with owner_connection(owner_url) as owner:
        row = owner.execute("SELECT count(*) FROM idempotency_keys WHERE org_id = %s", (org_id,))
        return int(row.fetchone()[0])  # type: ignore[index]


def test_expired_keys_leave_as_new_ones_are_claimed(orgs: OrgFactory, owner_url: str) -> None:
    org, other = orgs.create(), orgs.create()
    for owner_org in (org, other):
        for n in range(EXPIRED_PRUNED_PER_CLAIM + 5):
            key = {"Idempotency-Key": f"old-{n}"}
            body = _new_member(f"old{n}@example.com")
            expect(owner_org.admin.api.post("/api/v1/members", json=body, headers=key), 201)
    with owner_connection(owner_url) as owner:
        owner.execute(
            "UPDATE idempotency_keys SET created_at = now() - interval '25 hours'"
            " WHERE org_id IN (%s, %s)",
            (org.id, other.id),
        )
    fresh = {"Idempotency-Key": "fresh"}
    expect(org.admin.api.post("/api/v1/teams", json={"name": "T"}, headers=fresh), 201)
    assert _keys_of(owner_url, org.id) == 5 + 1  # ten expired went, the new one came
    assert _keys_of(owner_url, other.id) == EXPIRED_PRUNED_PER_CLAIM + 5  # not its keys
    again = {"Idempotency-Key": "fresh-2"}
    expect(org.admin.api.post("/api/v1/teams", json={"name": "U"}, headers=again), 201)
    assert _keys_of(owner_url, org.id) == 2
