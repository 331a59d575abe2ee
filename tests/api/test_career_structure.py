"""People and structure: roles, teams, managers, loops, subtrees and who sees what."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.api import Org, OrgFactory, Person, audit_events, expect
from tests.support.career import csv_of, members_by_email, post_csv, role_named


def _chart(org: Org) -> dict[str, Person]:
    """hop -> lead -> (senior -> apm, pm); admin and an outsider PM apart."""
    api = org.admin.api
    team = expect(api.post("/api/v1/teams", json={"name": "Payments"}), 201)
    people: dict[str, Person] = {}
    people["hop"] = org.add_member(
        access_role="head_of_product",
        name="Hana",
        product_role_id=role_named(api, "Head of Product")["id"],
    )
    people["lead"] = org.add_member(
        name="Luis",
        manager_id=people["hop"].id,
        team_id=team["id"],
        product_role_id=role_named(api, "Product Lead")["id"],
    )
    people["senior"] = org.add_member(name="Sara", manager_id=people["lead"].id, team_id=team["id"])
    people["pm"] = org.add_member(name="Priya", manager_id=people["lead"].id)
    people["apm"] = org.add_member(name="Alex", manager_id=people["senior"].id)
    people["outsider"] = org.add_member(name="Olga")
    return people


def test_members_carry_their_role_team_and_manager(orgs: OrgFactory) -> None:
    org = orgs.create()
    people = _chart(org)
    lead = expect(org.admin.api.get(f"/api/v1/members/{people['lead'].id}"), 200)
    assert lead["manager_id"] == people["hop"].id
    assert lead["manager_name"] == "Hana"
    assert lead["team_name"] == "Payments"
    assert lead["product_role_name"] == "Product Lead"
    created = audit_events(org, entity_type="member", entity_id=people["lead"].id)[-1]
    assert created["after"]["manager_id"] == people["hop"].id


def test_unknown_or_foreign_references_answer_422(orgs: OrgFactory) -> None:
    org, other = orgs.create(), orgs.create()
    foreign = other.add_member()
    target = org.add_member()
    for body, field in (
        ({"manager_id": str(uuid.uuid4())}, "manager_id"),
        ({"manager_id": foreign.id}, "manager_id"),
        ({"team_id": str(uuid.uuid4())}, "team_id"),
        ({"product_role_id": str(uuid.uuid4())}, "product_role_id"),
        ({"manager_id": target.id}, "manager_id"),  # themselves
    ):
        answer = org.admin.api.patch(f"/api/v1/members/{target.id}", json=body)
        assert list(expect(answer, 422)["errors"]) == [field]
    unknown = org.admin.api.patch(f"/api/v1/members/{target.id}", json={"manager_id": foreign.id})
    assert expect(unknown, 422)["errors"]["manager_id"] == ["No such member."]


def test_a_manager_must_be_active(orgs: OrgFactory) -> None:
    org = orgs.create()
    manager, report = org.add_member(), org.add_member()
    expect(org.admin.api.post(f"/api/v1/members/{manager.id}/deactivate"), 200)
    answer = org.admin.api.patch(f"/api/v1/members/{report.id}", json={"manager_id": manager.id})
    assert expect(answer, 422)["errors"]["manager_id"] == ["Must be an active member."]


def test_a_reporting_loop_is_refused_naming_it_and_nothing_changes(orgs: OrgFactory) -> None:
    org = orgs.create()
    people = _chart(org)
    hop_path = f"/api/v1/members/{people['hop'].id}"
    before = org.admin.api.get(hop_path)
    answer = org.admin.api.patch(
        hop_path, json={"manager_id": people["apm"].id, "title": "Changed too"}
    )
    refused = expect(answer, 422)
    assert refused["message"] == (
        "Hana cannot report to Alex: that would close a reporting loop "
        "(Hana → Alex → Sara → Luis → Hana)."
    )
    assert refused["errors"]["manager_id"] == [
        "Would close a reporting loop: Hana → Alex → Sara → Luis → Hana."
    ]
    after = org.admin.api.get(hop_path)
    assert after.get_json() == before.get_json()
    assert after.headers["ETag"] == before.headers["ETag"]
    # A move that closes no loop is fine, and audited with before and after.
    moved = org.admin.api.patch(
        f"/api/v1/members/{people['apm'].id}", json={"manager_id": people["pm"].id}
    )
    assert expect(moved, 200)["manager_id"] == people["pm"].id
    event = audit_events(org, entity_type="member", entity_id=people["apm"].id)[0]
    assert (event["before"]["manager_id"], event["after"]["manager_id"]) == (
        people["senior"].id,
        people["pm"].id,
    )


def _reports(person: Person, root: Person, **query: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = expect(
        person.api.get(f"/api/v1/members/{root.id}/reports", query_string=query), 200
    )
    return found


def test_reports_are_the_whole_subtree_with_depth(orgs: OrgFactory) -> None:
    org = orgs.create()
    people = _chart(org)
    admin = Person(org.admin.id, org.admin.email, org.admin.api)
    subtree = _reports(admin, people["hop"])
    assert [(r["name"], r["depth"]) for r in subtree] == [
        ("Luis", 1),
        ("Priya", 2),
        ("Sara", 2),
        ("Alex", 3),
    ]
    assert subtree[2]["manager_name"] == "Luis"
    assert [r["name"] for r in _reports(admin, people["hop"], max_depth=1)] == ["Luis"]
    assert _reports(admin, people["apm"]) == []
    page = admin.api.get(
        f"/api/v1/members/{people['hop'].id}/reports", query_string={"page_size": 2, "page": 2}
    )
    assert [r["name"] for r in expect(page, 200)] == ["Sara", "Alex"]
    assert '"total": 4' in page.headers["X-Pagination"]


def test_everyone_reads_anyones_reports_in_full(orgs: OrgFactory) -> None:
    org = orgs.create()
    people = _chart(org)
    by_admin = _reports(Person(org.admin.id, org.admin.email, org.admin.api), people["lead"])
    assert {r["name"] for r in by_admin} == {"Sara", "Priya", "Alex"}
    for viewer in ("hop", "pm", "outsider"):
        assert _reports(people[viewer], people["lead"]) == by_admin
    assert all({"email", "access_role", "depth"} <= set(r) for r in by_admin)


def test_reports_of_another_organisations_member_answer_404(orgs: OrgFactory) -> None:
    org, other = orgs.create(), orgs.create()
    theirs = other.add_member()
    for member_id in (theirs.id, str(uuid.uuid4())):
        answer = org.admin.api.get(f"/api/v1/members/{member_id}/reports")
        assert expect(answer, 404)["message"] == "Member not found."


def test_every_member_reads_the_whole_directory(orgs: OrgFactory) -> None:
    """PRODUCT.md: a PM reads the directory; the Member shape is the same for everyone."""
    org = orgs.create()
    people = _chart(org)

    def listed(person_api: Any, **query: Any) -> dict[str, dict[str, Any]]:
        found = expect(person_api.get("/api/v1/members", query_string=query), 200)
        return {m["name"]: m for m in found}

    everyone = listed(org.admin.api)
    assert len(everyone) == 7
    for viewer in (people["hop"].api, people["pm"].api):
        assert listed(viewer) == everyone
    luis = listed(people["pm"].api)["Luis"]
    assert luis["email"] == people["lead"].email
    assert luis["access_role"] == "pm"
    assert (luis["team_name"], luis["product_role_name"], luis["manager_name"]) == (
        "Payments",
        "Product Lead",
        "Hana",
    )
    one = expect(people["pm"].api.get(f"/api/v1/members/{people['outsider'].id}"), 200)
    assert one == {k: v for k, v in everyone["Olga"].items() if k in one}
    # Names and emails are searched alike, by everyone.
    assert set(listed(people["pm"].api, q=people["outsider"].email[:8])) == {"Olga"}
    assert set(listed(people["pm"].api, q="oLg")) == {"Olga"}


def test_the_directory_filters(orgs: OrgFactory) -> None:
    org = orgs.create()
    people = _chart(org)
    lead = expect(org.admin.api.get(f"/api/v1/members/{people['lead'].id}"), 200)

    def names(**query: Any) -> set[str]:
        found = expect(org.admin.api.get("/api/v1/members", query_string=query), 200)
        return {m["name"] for m in found}

    assert names(manager_id=people["lead"].id) == {"Sara", "Priya"}
    assert names(team_id=lead["team_id"]) == {"Luis", "Sara"}
    assert names(product_role_id=lead["product_role_id"]) == {"Luis"}
    expect(org.admin.api.post(f"/api/v1/members/{people['outsider'].id}/deactivate"), 200)
    assert names(status="deactivated") == {"Olga"}
    assert names(q="a", manager_id=people["lead"].id) == {"Sara", "Priya"}
    assert names(team_id=str(uuid.uuid4())) == set()


def test_deactivating_a_manager_moves_their_reports_up_the_line(orgs: OrgFactory) -> None:
    org = orgs.create()
    people = _chart(org)
    api = org.admin.api
    expect(api.post(f"/api/v1/members/{people['lead'].id}/deactivate"), 200)
    for name in ("senior", "pm"):
        moved = expect(api.get(f"/api/v1/members/{people[name].id}"), 200)
        assert moved["manager_id"] == people["hop"].id, name
        event = audit_events(org, entity_type="member", entity_id=people[name].id)[0]  # newest
        assert event["action"] == "updated"
        assert event["before"] == {"manager_id": people["lead"].id}
        assert event["after"] == {"manager_id": people["hop"].id, "reason": "manager_deactivated"}
    # Indirect reports keep their own manager; the head of product's subtree is whole.
    apm = expect(api.get(f"/api/v1/members/{people['apm'].id}"), 200)
    assert apm["manager_id"] == people["senior"].id
    subtree = {r["id"] for r in _reports(people["hop"], people["hop"])}
    assert {people["senior"].id, people["pm"].id, people["apm"].id} <= subtree


def test_reports_skip_deactivated_managers_or_end_with_none(orgs: OrgFactory) -> None:
    org = orgs.create()
    people = _chart(org)
    api = org.admin.api
    expect(api.post(f"/api/v1/members/{people['outsider'].id}/deactivate"), 200)  # no reports
    expect(api.post(f"/api/v1/members/{people['hop'].id}/deactivate"), 200)
    lead = expect(api.get(f"/api/v1/members/{people['lead'].id}"), 200)
    assert lead["manager_id"] is None  # the head of product had no manager
    expect(api.post(f"/api/v1/members/{people['senior'].id}/deactivate"), 200)
    apm = expect(api.get(f"/api/v1/members/{people['apm'].id}"), 200)
    assert apm["manager_id"] == people["lead"].id


def test_a_loop_beyond_the_depth_a_walk_checks_is_refused(orgs: OrgFactory) -> None:
    """A chain deeper than the walk's bound (1,000) could hide a loop: refused, not
    taken on trust."""
    org = orgs.create()
    depth = 1005
    rows = [
        f"p{i}@deep.example,P{i},,,,{f'p{i - 1}@deep.example' if i else ''}," for i in range(depth)
    ]
    expect(post_csv(org.admin.api, csv_of(*rows)), 200)
    people = members_by_email(org)
    top, bottom = people["p0@deep.example"], people[f"p{depth - 1}@deep.example"]
    refused = org.admin.api.patch(f"/api/v1/members/{top['id']}", json={"manager_id": bottom["id"]})
    assert "manager_id" in expect(refused, 422)["errors"]
    assert expect(org.admin.api.get(f"/api/v1/members/{top['id']}"), 200)["manager_id"] is None
