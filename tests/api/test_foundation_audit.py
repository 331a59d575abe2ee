"""The audit log: every change, with before and after; read by admins, with filters."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.api import OrgFactory, audit_events, expect


def _only(events: list[dict[str, Any]], action: str) -> dict[str, Any]:
    found = [e for e in events if e["action"] == action]
    assert len(found) == 1, events
    return found[0]


def test_sign_up_records_the_organisation_and_its_admin(orgs: OrgFactory) -> None:
    org = orgs.create()
    events = audit_events(org)
    org_created = _only(audit_events(org, entity_type="organisation"), "created")
    assert org_created["entity_id"] == org.id
    assert org_created["after"]["slug"] == org.slug
    admin_created = _only(audit_events(org, entity_type="member"), "created")
    assert admin_created["entity_id"] == org.admin.id
    assert admin_created["after"]["access_role"] == "admin"
    assert all(e["actor_id"] == org.admin.id for e in events)
    keys = {"id", "actor_id", "entity_type", "entity_id", "action", "before", "after"}
    assert all(set(e) >= keys | {"created_at"} for e in events)


def test_settings_changes_keep_before_and_after(orgs: OrgFactory) -> None:
    org = orgs.create()
    expect(org.admin.api.patch("/api/v1/org", json={"settings": {"ready_soon_max_gap": 2}}), 200)
    event = _only(audit_events(org, entity_type="organisation"), "updated")
    assert event["entity_id"] == org.id
    assert event["before"]["settings"]["ready_soon_max_gap"] == 1.0
    assert event["after"]["settings"]["ready_soon_max_gap"] == 2.0


def test_a_change_that_changes_nothing_records_nothing(orgs: OrgFactory) -> None:
    org = orgs.create()
    expect(org.admin.api.patch("/api/v1/org", json={"name": "Acme Product"}), 200)
    assert [e for e in audit_events(org) if e["action"] == "updated"] == []


def test_member_changes_are_recorded(orgs: OrgFactory) -> None:
    org = orgs.create()
    pm = org.add_member(title="PM")
    expect(org.admin.api.patch(f"/api/v1/members/{pm.id}", json={"title": "Senior PM"}), 200)
    expect(org.admin.api.post(f"/api/v1/members/{pm.id}/deactivate"), 200)
    events = audit_events(org, entity_id=pm.id)
    assert _only(events, "created")["after"]["title"] == "PM"
    updated = _only(events, "updated")
    assert (updated["before"]["title"], updated["after"]["title"]) == ("PM", "Senior PM")
    deactivated = _only(events, "deactivated")
    assert deactivated["before"]["status"] == "active"
    assert deactivated["after"]["status"] == "deactivated"


def test_tokens_and_invitations_are_recorded(orgs: OrgFactory) -> None:
    org = orgs.create()
    token = expect(
        org.admin.api.post("/api/v1/api-tokens", json={"name": "bi", "scopes": ["read"]}), 201
    )
    expect(org.admin.api.delete(f"/api/v1/api-tokens/{token['id']}"), 204)
    tokens = audit_events(org, entity_type="api_token", entity_id=token["id"])
    assert _only(tokens, "created")["after"]["scopes"] == ["read"]
    revoked = _only(tokens, "revoked")
    assert revoked["before"]["revoked_at"] is None
    assert revoked["after"]["revoked_at"] is not None
    invitee = {"email": "invitee@example.com", "name": "Invitee"}  # invited: no password
    pm_id = expect(org.admin.api.post("/api/v1/members", json=invitee), 201)["id"]
    invitation = expect(org.admin.api.post(f"/api/v1/members/{pm_id}/invitation"), 201)
    expect(
        org.client.post(
            "/api/v1/auth/accept-invitation",
            json={"token": invitation["token"], "password": "long enough password"},
        ),
        204,
    )
    member_events = audit_events(org, entity_id=pm_id)
    assert "invitation_id" in _only(member_events, "invited")["after"]
    accepted = _only(member_events, "invitation.accepted")
    assert accepted["actor_id"] == pm_id


def test_filters_by_actor_and_time(orgs: OrgFactory) -> None:
    org = orgs.create()
    second = org.add_member(access_role="admin")
    middle = datetime.now(UTC)
    time.sleep(0.01)
    expect(second.api.patch("/api/v1/org", json={"name": "Renamed by second"}), 200)
    by_second = audit_events(org, actor_id=second.id)
    assert [e["action"] for e in by_second] == ["updated"]
    after = audit_events(org, since=middle.isoformat())
    assert [e["action"] for e in after] == ["updated"]
    before = audit_events(org, until=middle.isoformat())
    assert "updated" not in {e["action"] for e in before}
    assert len(before) + len(after) == len(audit_events(org))


def test_newest_first_and_paginated(orgs: OrgFactory) -> None:
    org = orgs.create()
    for title in ("a", "b", "c"):
        expect(org.admin.api.patch(f"/api/v1/members/{org.admin.id}", json={"title": title}), 200)
    response = org.admin.api.get(f"/api/v1/audit-events?page_size=2&entity_id={org.admin.id}")
    page = expect(response, 200)
    assert [e["after"]["title"] for e in page] == ["c", "b"]
    pagination = json.loads(response.headers["X-Pagination"])
    assert (pagination["total"], pagination["total_pages"]) == (4, 2)  # created + 3 updates


@pytest.mark.parametrize(
    "query",
    [
        "since=yesterday",
        "since=2026-01-01T00:00:00",
        "entity_id=1",
        "until=2026-13-01",
        "entity_type=cycle",  # a misspelt kind (review_cycle) is not an empty list
    ],
)
def test_bad_filters_answer_422(orgs: OrgFactory, query: str) -> None:
    org = orgs.create()
    expect(org.admin.api.get(f"/api/v1/audit-events?{query}"), 422)


def test_the_kinds_of_entity_are_listed_and_each_filters(orgs: OrgFactory) -> None:
    org = orgs.create()
    org.add_member(title="PM")
    refused = expect(org.admin.api.get("/api/v1/audit-events?entity_type=cycle"), 422)
    assert list(refused["errors"]) == ["entity_type"]
    kinds = {e["entity_type"] for e in expect(org.admin.api.get("/api/v1/audit-events"), 200)}
    assert {"organisation", "member", "competency", "product_role"} <= kinds
    for kind in kinds:
        found = expect(org.admin.api.get(f"/api/v1/audit-events?entity_type={kind}"), 200)
        assert {e["entity_type"] for e in found} == {kind}


def test_only_admins_read_the_audit_log(orgs: OrgFactory) -> None:
    org = orgs.create()
    hop = org.add_member(access_role="head_of_product")
    pm = org.add_member()
    expect(hop.api.get("/api/v1/audit-events"), 403)
    expect(pm.api.get("/api/v1/audit-events"), 403)


def test_another_organisations_events_are_invisible(orgs: OrgFactory) -> None:
    mine, theirs = orgs.create(), orgs.create()
    assert audit_events(mine, entity_id=theirs.admin.id) == []
    assert audit_events(mine, actor_id=theirs.admin.id) == []
    assert audit_events(mine, entity_id=theirs.id) == []
    their_entities = {e["entity_id"] for e in audit_events(theirs)}
    assert their_entities
    assert their_entities.isdisjoint({e["entity_id"] for e in audit_events(mine)})
