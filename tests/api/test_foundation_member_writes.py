"""Changing people under concurrency: an admin always remains, a clash answers 409.

The races are made deterministic by holding one side open in a unit of work of the
app itself (the real database) while the request under test runs on a thread, and
by waiting, in ``pg_locks`` / ``pg_stat_activity``, until that request is seen
blocked on it before letting the held side commit.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from werkzeug.test import TestResponse

from service.adapters.repositories import ADMINS_LOCK
from service.domain.access import AccessRole
from service.domain.member import LAST_ADMIN, Member
from tests.support.api import ApiClient, Org, OrgFactory, Person, audit_events, expect
from tests.support.career import import_csv, members_by_email, post_csv

WAIT_S = 20.0


class Request(threading.Thread):
    """One API request on its own thread (the test client is per thread)."""

    def __init__(self, send: Callable[[], TestResponse]) -> None:
        super().__init__(daemon=True)
        self.send = send
        self.response: TestResponse | None = None

    def run(self) -> None:
        self.response = self.send()

    def answer(self) -> TestResponse:
        self.join(WAIT_S)
        assert self.response is not None, "the request did not finish"
        return self.response


@contextmanager
def _observer(owner_url: str) -> Iterator[Callable[[str, dict[str, Any]], int]]:
    engine = create_engine(owner_url)

    def count(sql: str, params: dict[str, Any]) -> int:
        with engine.connect() as connection:
            return int(connection.execute(text(sql), params).scalar_one())

    try:
        yield count
    finally:
        engine.dispose()


def _wait_until_blocked(request: Request, blocked: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not blocked():
        assert request.is_alive(), "the request ran through instead of waiting"
        assert time.monotonic() < deadline, "the request never waited"
        time.sleep(0.02)


WAITING_FOR_ADMINS_LOCK = """
SELECT count(*) FROM pg_locks
WHERE locktype = 'advisory' AND NOT granted AND objsubid = 2
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND classid = CAST(:key AS oid)
  AND objid::text::bigint = (hashtext(:org)::bigint + 4294967296) % 4294967296
"""


def _demote_a(org: Org, b: ApiClient, a: Person) -> Callable[[], TestResponse]:
    return lambda: b.patch(f"/api/v1/members/{a.id}", json={"access_role": "pm"})


def _deactivate_a(org: Org, b: ApiClient, a: Person) -> Callable[[], TestResponse]:
    return lambda: b.post(f"/api/v1/members/{a.id}/deactivate")


def _import_a_as_pm(org: Org, b: ApiClient, a: Person) -> Callable[[], TestResponse]:
    return lambda: post_csv(b, f"email,name,access_role\n{a.email},Admin,pm\n")


@pytest.mark.parametrize(
    ("second", "status"),
    [(_demote_a, 409), (_deactivate_a, 409), (_import_a_as_pm, 422)],
    ids=["demote", "deactivate", "import"],
)
def test_two_admins_removing_each_other_at_once_leave_one(
    app: Flask,
    orgs: OrgFactory,
    owner_url: str,
    second: Callable[[Org, ApiClient, Person], Callable[[], TestResponse]],
    status: int,
) -> None:
    """A demotes B while B demotes (deactivates, re-imports as a PM) A. A's change is
    held open after taking the admins' lock; B's must wait for it, then count again
    and refuse. With a plain count both would see two admins and leave none."""
    org = orgs.create()
    a = Person(org.admin.id, org.admin.email, org.admin.api)
    b = org.add_member(access_role="admin")
    held = app.extensions["review_service"].unit_of_work()
    try:
        held.bind_tenant(uuid.UUID(org.id))
        assert held.members.active_admin_count(datetime.now(UTC)) == 2  # takes the lock too
        request = Request(second(org, ApiClient(app.test_client(), b.api.token), a))
        request.start()
        with _observer(owner_url) as count:
            params = {"key": ADMINS_LOCK, "org": org.id}
            _wait_until_blocked(request, lambda: count(WAITING_FOR_ADMINS_LOCK, params) == 1)
        demoted = held.members.get(uuid.UUID(b.id))
        assert demoted is not None
        demoted.access_role = AccessRole.PM
        held.commit()
    finally:
        held.close()
    answer = expect(request.answer(), status)
    assert "at least one active admin" in str(answer)
    people = members_by_email(org)
    assert (people[a.email]["access_role"], people[a.email]["status"]) == ("admin", "active")
    assert people[b.email]["access_role"] == "pm"


WAITING_TO_INSERT_MEMBERS = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock'
  AND query LIKE 'INSERT INTO members %'
"""


def test_an_import_clashing_with_a_concurrent_write_answers_409_and_writes_nothing(
    app: Flask, orgs: OrgFactory, owner_url: str
) -> None:
    """The import's bulk statements bypass the unit of work's flush; a constraint they
    break is still a 409 with its reason. Here a member with the same email is added
    meanwhile: the import read the people before it, and its insert waits on it."""
    org = orgs.create()
    held = app.extensions["review_service"].unit_of_work()
    try:
        held.bind_tenant(uuid.UUID(org.id))
        held.members.add(
            Member(
                org_id=uuid.UUID(org.id),
                id=uuid.uuid4(),
                email="taken@x.com",
                name="Taken Meanwhile",
                access_role=AccessRole.PM,
            )
        )
        held.flush()  # written, not committed: invisible to the import's reads
        api = ApiClient(app.test_client(), org.admin.api.token)
        request = Request(lambda: post_csv(api, "email,name\nnew@x.com,Nia\ntaken@x.com,Tay\n"))
        request.start()
        with _observer(owner_url) as count:
            _wait_until_blocked(request, lambda: count(WAITING_TO_INSERT_MEMBERS, {}) >= 1)
        held.commit()
    finally:
        held.close()
    refused = expect(request.answer(), 409)
    assert refused["message"] == "A member with this email already exists."
    people = members_by_email(org)
    assert set(people) == {org.admin.email, "taken@x.com"}
    assert people["taken@x.com"]["name"] == "Taken Meanwhile"
    assert audit_events(org, entity_type="member_import") == []


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(orgs: OrgFactory) -> None:
    org = orgs.create()
    me = f"/api/v1/members/{org.admin.id}"
    refused = expect(org.admin.api.patch(me, json={"access_role": "pm"}), 409)
    assert refused["message"] == LAST_ADMIN
    expect(org.admin.api.post(f"{me}/deactivate"), 409)
    second = org.add_member(access_role="admin")
    expect(org.admin.api.patch(f"/api/v1/members/{second.id}", json={"access_role": "pm"}), 200)


def test_the_last_admin_able_to_log_in_is_kept(orgs: OrgFactory) -> None:
    """An admin without a password or an open invitation cannot log in, and only an
    admin can invite them: they do not count as the admin who must remain."""
    org = orgs.create()
    api = org.admin.api
    me = f"/api/v1/members/{org.admin.id}"
    other = expect(
        api.post(
            "/api/v1/members", json={"email": "n2@x.com", "name": "N", "access_role": "admin"}
        ),
        201,
    )
    refused = expect(api.patch(me, json={"access_role": "pm"}), 409)
    assert refused["message"] == LAST_ADMIN
    expect(api.post(f"{me}/deactivate"), 409)
    # Invited, they can log in (once they accept): now the first may step down.
    expect(api.post(f"/api/v1/members/{other['id']}/invitation"), 201)
    expect(api.patch(me, json={"access_role": "pm"}), 200)


def test_a_name_is_stored_trimmed_on_create_and_on_update(orgs: OrgFactory) -> None:
    org = orgs.create()
    person = org.add_member(name="  Ann Lee ")
    path = f"/api/v1/members/{person.id}"
    assert expect(org.admin.api.get(path), 200)["name"] == "Ann Lee"
    changed = expect(org.admin.api.patch(path, json={"name": " Ann Lee-Smith  "}), 200)
    assert changed["name"] == "Ann Lee-Smith"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/members", {"email": "n@x.com"}),
        ("/api/v1/teams", {}),
        ("/api/v1/competencies", {"key": "abc"}),
        ("/api/v1/product-roles", {"track": "ic", "level": 1}),
        (
            "/api/v1/cycles",
            {"period_start": "2026-01-01", "period_end": "2026-06-30", "review_types": ["self"]},
        ),
        ("/api/v1/api-tokens", {"scopes": ["read"]}),
    ],
)
def test_a_name_of_only_spaces_is_refused(
    orgs: OrgFactory, path: str, body: dict[str, Any]
) -> None:
    """Names are stored trimmed: one of only spaces would be stored empty."""
    api = orgs.create().admin.api
    for name in ("   ", "\t \n"):
        assert "name" in expect(api.post(path, json={**body, "name": name}), 422)["errors"]


def test_an_organisation_and_its_admin_need_a_name_that_is_not_only_spaces(
    orgs: OrgFactory,
) -> None:
    org = orgs.create()
    assert "name" in expect(org.admin.api.patch("/api/v1/org", json={"name": "  "}), 422)["errors"]
    admin = {"email": "a@x.com", "name": " ", "password": "long enough password"}
    refused = orgs.client.post("/api/v1/orgs", json={"name": " ", "slug": "blank", "admin": admin})
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {"name", "admin"}


def test_imported_and_added_members_are_audited_in_one_shape(orgs: OrgFactory) -> None:
    org = orgs.create()
    added = org.add_member(name="Added")
    import_csv(org.admin.api, "email,name,title\nimported@x.com,Imported,PM\n")
    imported = members_by_email(org)["imported@x.com"]
    by_api = audit_events(org, entity_type="member", entity_id=added.id)[0]
    by_import = audit_events(org, entity_type="member", entity_id=imported["id"])[0]
    assert by_api["action"] == by_import["action"] == "created"
    assert set(by_import["after"]) == set(by_api["after"])
    assert by_import["after"]["access_role"] == "pm"
    assert by_import["after"]["status"] == "active"
    import_csv(org.admin.api, "email,name,title\nimported@x.com,Imported,Senior PM\n")
    updated = audit_events(org, entity_type="member", entity_id=imported["id"])[0]
    assert set(updated["before"]) == set(updated["after"]) == set(by_api["after"])
    assert (updated["before"]["title"], updated["after"]["title"]) == ("PM", "Senior PM")
