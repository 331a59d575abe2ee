"""Idempotency-Key: a retried POST replays the first answer instead of acting twice."""

from __future__ import annotations

import uuid

from tests.support.api import OrgFactory, expect


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
