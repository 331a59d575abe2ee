"""Invitations: a one-time, expiring token that lets a person set their password."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask

from service.domain.credentials import hash_secret
from tests.support.api import Org, OrgFactory, Person, audit_events, expect
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


# --- who may be invited: only a member without a password (audit finding F5) -----------


def _events(org: Org, member_id: str, action: str) -> list[dict[str, Any]]:
    return [e for e in audit_events(org, entity_id=member_id) if e["action"] == action]


def _invitations_of(owner_url: str, member_id: str) -> int:
    with owner_connection(owner_url) as owner:
        row = owner.execute(
            "SELECT count(*) FROM invitations WHERE member_id = %s", (member_id,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_member_with_a_password_cannot_be_invited_and_nothing_changes(
    orgs: OrgFactory, owner_url: str
) -> None:
    """Redeeming would replace the password: whoever holds the token, the inviting admin
    included, could then log in as the member and act in their name."""
    org = orgs.create()
    for person in (org.add_member(), org.add_member(access_role="admin")):
        refused = org.admin.api.post(f"/api/v1/members/{person.id}/invitation")
        body = expect(refused, 409)
        assert "already has a password" in body["message"]
        assert _invitations_of(owner_url, person.id) == 0
        assert _events(org, person.id, "invited") == []
        expect(person.api.get("/api/v1/me"), 200)  # their session goes on
        org.log_in(person.email)  # and their password is theirs
    own = org.admin.api.post(f"/api/v1/members/{org.admin.id}/invitation")
    expect(own, 409)


def test_an_invitation_sent_before_the_rule_cannot_replace_a_password(
    orgs: OrgFactory, owner_url: str
) -> None:
    """An open invitation of a member who has a password (issued before invitations were
    refused to them) reads as used, and the password stays."""
    org = orgs.create()
    person = org.add_member()
    token = "pri_issued-before-the-rule"
    with owner_connection(owner_url) as owner:
        owner.execute(
            "INSERT INTO invitations (org_id, id, member_id, token_hash, expires_at)"
            " VALUES (%s, gen_random_uuid(), %s, %s, now() + interval '1 day')",
            (org.id, person.id, hash_secret(token)),
        )
    expect(_accept(org, token), 404)
    expect(person.api.get("/api/v1/me"), 200)
    org.log_in(person.email)
    expect(
        org.client.post(
            "/api/v1/auth/token",
            json={"org": org.slug, "email": person.email, "password": NEW_PASSWORD},
        ),
        401,
    )


def test_redeeming_an_invitation_ends_the_members_earlier_sessions(
    orgs: OrgFactory, owner_url: str
) -> None:
    """An operator clears a password (say, a member lost it): the member is invited again,
    and whoever still held a log-in token of theirs loses it when the invitation is used."""
    org = orgs.create()
    person = org.add_member()
    other = org.add_member()
    earlier = [person.api, org.log_in(person.email)]
    with owner_connection(owner_url) as owner:
        owner.execute("UPDATE members SET password_hash = NULL WHERE id = %s", (person.id,))
    token = _invite(org, person)["token"]
    for session in earlier:
        expect(session.get("/api/v1/me"), 200)  # until the invitation is used
    expect(_accept(org, token), 204)
    for session in earlier:
        expect(session.get("/api/v1/me"), 401)
    expect(other.api.get("/api/v1/me"), 200)  # nobody else's
    assert expect(org.log_in(person.email, NEW_PASSWORD).get("/api/v1/me"), 200)["id"] == person.id
    accepted = _events(org, person.id, "invitation.accepted")
    assert [event["after"]["sessions_ended"] for event in accepted] == [2]
    assert accepted[0]["actor_id"] == person.id


def test_a_first_invitation_ends_no_session_of_anyone(orgs: OrgFactory) -> None:
    org = orgs.create()
    person = _invitee(org)
    expect(_accept(org, _invite(org, person)["token"]), 204)
    accepted = _events(org, person.id, "invitation.accepted")
    assert [event["after"]["sessions_ended"] for event in accepted] == [0]
    expect(org.admin.api.get("/api/v1/me"), 200)
