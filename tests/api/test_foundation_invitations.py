"""Invitations: a one-time, expiring token that lets a person set their password."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask

from tests.support.api import Org, OrgFactory, Person, expect
from tests.support.database import owner_connection

NEW_PASSWORD = "my own password, at last"


def _invite(org: Org, person: Person) -> dict[str, Any]:
    body: dict[str, Any] = expect(
        org.admin.api.post(f"/api/v1/members/{person.id}/invitation"), 201
    )
    return body


def _accept(org: Org, token: str, password: str = NEW_PASSWORD) -> Any:
    return org.client.post(
        "/api/v1/auth/accept-invitation", json={"token": token, "password": password}
    )


def _invitee(org: Org) -> Person:
    """A member created without a password, as most are."""
    email = f"invitee-{datetime.now(UTC).timestamp():.6f}@example.com"
    body = expect(org.admin.api.post("/api/v1/members", json={"email": email, "name": "New"}), 201)
    return Person(body["id"], email, org.admin.api)


def test_an_invitation_lets_the_person_set_a_password_and_log_in(orgs: OrgFactory) -> None:
    org = orgs.create()
    person = _invitee(org)
    invitation = _invite(org, person)
    assert set(invitation) == {"token", "expires_at"}
    expires = datetime.fromisoformat(invitation["expires_at"])
    assert timedelta(days=6) < expires - datetime.now(UTC) <= timedelta(days=7)
    expect(_accept(org, invitation["token"]), 204)
    me = expect(org.log_in(person.email, NEW_PASSWORD).get("/api/v1/me"), 200)
    assert me["id"] == person.id


def test_an_invitation_works_once(orgs: OrgFactory) -> None:
    org = orgs.create()
    person = _invitee(org)
    token = _invite(org, person)["token"]
    expect(_accept(org, token), 204)
    expect(_accept(org, token, "someone else's password"), 404)
    org.log_in(person.email, NEW_PASSWORD)


def test_a_new_invitation_voids_the_earlier_one(orgs: OrgFactory) -> None:
    org = orgs.create()
    person = _invitee(org)
    first = _invite(org, person)["token"]
    second = _invite(org, person)["token"]
    assert first != second
    expect(_accept(org, first), 404)
    expect(_accept(org, second), 204)


def test_an_expired_invitation_fails(orgs: OrgFactory, owner_url: str) -> None:
    org = orgs.create()
    person = _invitee(org)
    token = _invite(org, person)["token"]
    with owner_connection(owner_url) as owner:
        owner.execute(
            "UPDATE invitations SET expires_at = now() - interval '1 second' WHERE member_id = %s",
            (person.id,),
        )
    expect(_accept(org, token), 404)


def test_unknown_and_deactivated_invitations_read_alike(orgs: OrgFactory) -> None:
    org = orgs.create()
    person = _invitee(org)
    token = _invite(org, person)["token"]
    expect(org.admin.api.post(f"/api/v1/members/{person.id}/deactivate"), 200)
    voided = _accept(org, token)
    unknown = _accept(org, "pri_made-up")
    assert voided.status_code == unknown.status_code == 404
    assert voided.get_json() == unknown.get_json()


def test_a_deactivated_member_cannot_be_invited(orgs: OrgFactory) -> None:
    org = orgs.create()
    person = _invitee(org)
    expect(org.admin.api.post(f"/api/v1/members/{person.id}/deactivate"), 200)
    expect(org.admin.api.post(f"/api/v1/members/{person.id}/invitation"), 409)


def test_a_short_password_is_refused_and_keeps_the_invitation(orgs: OrgFactory) -> None:
    org = orgs.create()
    person = _invitee(org)
    token = _invite(org, person)["token"]
    assert "password" in expect(_accept(org, token, "short"), 422)["errors"]
    expect(_accept(org, token), 204)


def test_accepting_needs_no_bearer_token_and_refuses_extra_fields(orgs: OrgFactory) -> None:
    org = orgs.create()
    person = _invitee(org)
    token = _invite(org, person)["token"]
    response = org.client.post(
        "/api/v1/auth/accept-invitation",
        json={"token": token, "password": NEW_PASSWORD, "access_role": "admin"},
    )
    assert expect(response, 422)["errors"] == {"access_role": ["Unknown field."]}
    expect(_accept(org, token), 204)
    assert expect(org.admin.api.get(f"/api/v1/members/{person.id}"), 200)["access_role"] == "pm"


def test_racing_redemptions_of_one_invitation_let_exactly_one_through(
    orgs: OrgFactory, app: Flask
) -> None:
    """The race is decided in PostgreSQL (row lock and conditional update), so test-client
    requests on threads, each with its own session and connection, are enough to show it."""
    org = orgs.create()
    for _ in range(3):
        person = _invitee(org)
        token = _invite(org, person)["token"]
        barrier = threading.Barrier(4)

        def redeem(i: int, token: str = token, barrier: threading.Barrier = barrier) -> int:
            client = app.test_client()
            barrier.wait(timeout=30)
            response = client.post(
                "/api/v1/auth/accept-invitation",
                json={"token": token, "password": f"{NEW_PASSWORD} {i}"},
            )
            return response.status_code

        with ThreadPoolExecutor(4) as pool:
            statuses = sorted(pool.map(redeem, range(4)))
        assert statuses == [204, 404, 404, 404]
