"""What a reviewee or a reviewer with a review still to write may not learn: not
through the audit log, the participants' results or the reports, admins included
(PRODUCT.md: reviews are blind; the reviewee sees nothing before release)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.api import OrgFactory, Person, expect
from tests.support.cycles import (
    CYCLES,
    Team,
    build_team,
    launched_cycle,
    review_of,
    scores,
    write_review,
)

READINESS = "/api/v1/reports/promotion-readiness"


@dataclass
class World:
    team: Team
    admin: Person
    other_admin: Person
    cycle_id: str


@pytest.fixture
def world(orgs: OrgFactory) -> World:
    """The admin is a PM of the team, reviewed like anyone; their manager has reviewed
    them and one other PM."""
    org = orgs.create()
    team = build_team(org, pms=2)
    admin = org.admin
    mine = {"product_role_id": team.ladder.roles[2]["id"], "manager_id": team.manager.id}
    expect(admin.api.patch(f"/api/v1/members/{admin.id}", json=mine), 200)
    other_admin = org.add_member(access_role="admin")
    cid = launched_cycle(admin.api)["id"]
    manager = team.manager.api
    for person in (admin, team.pms[0]):
        review = review_of(manager, cid, "manager", person.id)
        write_review(manager, review["id"], scores(team.ladder, 5), comment="Outstanding")
    return World(team, admin, other_admin, cid)


def _participant(api: Any, cycle_id: str, member_id: str) -> dict[str, Any]:
    rows = expect(api.get(f"{CYCLES}/{cycle_id}/participants?page_size=100"), 200)
    return next(r for r in rows if r["member_id"] == member_id)


def test_the_audit_log_keeps_no_review_content(world: World) -> None:
    events = expect(
        world.other_admin.api.get("/api/v1/audit-events?entity_type=review&page_size=100"), 200
    )
    submitted = [e for e in events if e["action"] == "submitted"]
    assert {e["after"]["reviewee_id"] for e in submitted} == {world.admin.id, world.team.pms[0].id}
    for event in submitted:
        assert set(event["after"]) == {"status", "type", "cycle_id", "reviewee_id"}


def test_an_admin_reads_nothing_of_their_own_reviews_in_the_audit_log(world: World) -> None:
    def about_me(api: Any) -> list[dict[str, Any]]:
        events = expect(api.get("/api/v1/audit-events?page_size=100"), 200)
        return [
            e
            for e in events
            if world.admin.id in {(e["after"] or {}).get(k) for k in ("reviewee_id", "member_id")}
            and e["entity_type"] != "member"
        ]

    assert about_me(world.other_admin.api) != []  # the other admin reads them
    assert about_me(world.admin.api) == []


def test_results_wait_for_release_for_their_own_participant(world: World) -> None:
    admin = world.admin.api
    assert "final_ratings" not in _participant(admin, world.cycle_id, world.admin.id)
    assert "final_ratings" in _participant(admin, world.cycle_id, world.team.pms[0].id)
    rows = expect(admin.get(f"{READINESS}?cycle_id={world.cycle_id}"), 200)["rows"]
    assert world.admin.id not in {r["member_id"] for r in rows}
    assert world.team.pms[0].id in {r["member_id"] for r in rows}
    expect(admin.post(f"{CYCLES}/{world.cycle_id}/calibrate", json={"force": True}), 200)
    expect(admin.post(f"{CYCLES}/{world.cycle_id}/release"), 200)
    released = expect(admin.get(f"{READINESS}?cycle_id={world.cycle_id}"), 200)["rows"]
    assert world.admin.id in {r["member_id"] for r in released}
    assert "final_ratings" in _participant(admin, world.cycle_id, world.admin.id)


def test_a_reviewer_sees_no_results_of_whom_they_have_still_to_review(world: World) -> None:
    pm = world.team.pms[0]
    nominate = {"reviewee_id": pm.id, "reviewer_ids": [world.other_admin.id]}
    expect(world.admin.api.post(f"{CYCLES}/{world.cycle_id}/peer-nominations", json=nominate), 201)
    reader = world.other_admin.api
    assert "final_ratings" not in _participant(reader, world.cycle_id, pm.id)
    rows = expect(reader.get(f"{READINESS}?cycle_id={world.cycle_id}"), 200)["rows"]
    assert pm.id not in {r["member_id"] for r in rows}
    peer = review_of(reader, world.cycle_id, "peer", pm.id)
    write_review(reader, peer["id"], scores(world.team.ladder, 3))
    assert "final_ratings" in _participant(reader, world.cycle_id, pm.id)
    rows = expect(reader.get(f"{READINESS}?cycle_id={world.cycle_id}"), 200)["rows"]
    assert pm.id in {r["member_id"] for r in rows}


def test_nobody_calibrates_their_own_ratings(world: World) -> None:
    admin = world.admin.api
    expect(admin.post(f"{CYCLES}/{world.cycle_id}/calibrate", json={"force": True}), 200)
    body = {"ratings": [{"competency_id": world.team.ladder.competency_ids[0], "score": 1}]}
    path = f"{CYCLES}/{world.cycle_id}/participants/{{}}/calibration"
    expect(admin.put(path.format(world.admin.id), json=body), 403)
    expect(world.other_admin.api.put(path.format(world.admin.id), json=body), 200)


def test_a_manager_of_the_reviewee_is_not_their_peer(world: World) -> None:
    team, pm = world.team, world.team.pms[1]
    path = f"{CYCLES}/{world.cycle_id}/peer-nominations"
    for manager in (team.manager, team.head):  # direct, and up the line
        body = {"reviewee_id": pm.id, "reviewer_ids": [manager.id]}
        refused = expect(world.other_admin.api.post(path, json=body), 422)
        assert "reviewer_ids" in refused["errors"]
    peers = {"reviewee_id": pm.id, "reviewer_ids": [team.pms[0].id]}
    expect(world.other_admin.api.post(path, json=peers), 201)


def test_a_reviewer_with_a_review_still_to_write_does_not_calibrate(world: World) -> None:
    """Calibrating answers the manager's ratings, which blindness hides from them."""
    pm = world.team.pms[0]
    nominate = {"reviewee_id": pm.id, "reviewer_ids": [world.other_admin.id]}
    expect(world.admin.api.post(f"{CYCLES}/{world.cycle_id}/peer-nominations", json=nominate), 201)
    expect(world.admin.api.post(f"{CYCLES}/{world.cycle_id}/calibrate", json={"force": True}), 200)
    path = f"{CYCLES}/{world.cycle_id}/participants/{pm.id}/calibration"
    refused = expect(world.other_admin.api.put(path, json={"ratings": []}), 403)
    assert "final_ratings" not in refused
    answer = expect(world.admin.api.put(path, json={"ratings": []}), 200)
    assert answer["final_ratings"]  # the manager's, to an admin who owes no review of them


def test_an_admin_learns_nobody_writing_about_them_from_the_audit_log(world: World) -> None:
    """A review's start and reopening name whom it is about, so the log hides them from
    that person as it hides the submission: their actor is the author."""
    peer = world.team.pms[1]
    nominate = {"reviewee_id": world.admin.id, "reviewer_ids": [peer.id]}
    expect(
        world.other_admin.api.post(f"{CYCLES}/{world.cycle_id}/peer-nominations", json=nominate),
        201,
    )
    draft = review_of(peer.api, world.cycle_id, "peer", world.admin.id)
    write_review(peer.api, draft["id"], scores(world.team.ladder, 2), submit=False)
    query = {"cycle_id": world.cycle_id, "reviewee_id": world.admin.id, "page_size": 100}
    about_me = {
        r["id"]
        for r in expect(world.other_admin.api.get("/api/v1/reviews", query_string=query), 200)
    }
    assert draft["id"] in about_me

    def review_events(api: Any) -> list[dict[str, Any]]:
        path = "/api/v1/audit-events?entity_type=review&page_size=100"
        return [e for e in expect(api.get(path), 200) if e["entity_id"] in about_me]

    started = [e for e in review_events(world.other_admin.api) if e["action"] == "started"]
    assert [e["actor_id"] for e in started if e["entity_id"] == draft["id"]] == [peer.id]
    assert review_events(world.admin.api) == []


def test_who_takes_part_is_no_news_to_someone_who_may_not_nominate(world: World) -> None:
    newcomer = world.team.org.add_member(title="Joined after the launch")
    path = f"{CYCLES}/{world.cycle_id}/peer-nominations"
    pm = world.team.pms[0]
    for reviewee in (world.team.pms[1], newcomer):  # a participant, and not one
        body = {"reviewee_id": reviewee.id, "reviewer_ids": [world.other_admin.id]}
        expect(pm.api.post(path, json=body), 403)
    body = {"reviewee_id": newcomer.id, "reviewer_ids": [pm.id]}
    refused = expect(world.admin.api.post(path, json=body), 422)
    assert "reviewee_id" in refused["errors"]
