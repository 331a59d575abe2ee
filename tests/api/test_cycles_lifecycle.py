"""The whole life of a review cycle over HTTP, and the rules of each step."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import psycopg
import pytest
from flask import Flask

from tests.support.api import ApiClient, OrgFactory, expect
from tests.support.cycles import (
    CYCLES,
    build_team,
    cycle_body,
    launched_cycle,
    new_cycle,
    review_of,
    scores,
    write_review,
)
from tests.support.database import owner_connection


def test_the_whole_life_of_a_cycle(orgs: OrgFactory) -> None:
    org = orgs.create()
    team = build_team(org, pms=3)
    admin = org.admin.api
    framework = team.ladder
    cycle = new_cycle(admin)
    assert cycle["state"] == "draft"
    assert cycle["allowed_actions"] == ["update", "launch", "cancel"]
    assert cycle["participant_count"] == 5  # everyone with a product role
    cid = cycle["id"]

    launched = expect(admin.post(f"{CYCLES}/{cid}/launch"), 200)
    assert launched["state"] == "active"
    assert launched["allowed_actions"] == ["update", "calibrate", "cancel"]
    assert launched["rating_scale"] == {
        "min": 1,
        "max": 5,
        "labels": ["far below", "below", "meets", "exceeds", "far exceeds"],
    }
    assert launched["peer_anonymity_threshold"] == 3
    detail = expect(admin.get(f"{CYCLES}/{cid}"), 200)
    assert [c["key"] for c in detail["competencies"]] == ["strategy", "leadership", "execution"]

    pm = team.pms[0]
    # Self, manager and upward reviews exist; the manager nominates peers.
    expect(
        team.manager.api.post(
            f"{CYCLES}/{cid}/peer-nominations",
            json={"reviewee_id": pm.id, "reviewer_ids": [p.id for p in team.pms[1:]]},
        ),
        201,
    )
    write_review(pm.api, review_of(pm.api, cid, "self", pm.id)["id"], scores(framework, 3))
    for peer in team.pms[1:]:
        write_review(peer.api, review_of(peer.api, cid, "peer", pm.id)["id"], scores(framework, 4))
    manager_review = review_of(team.manager.api, cid, "manager", pm.id)
    write_review(
        team.manager.api,
        manager_review["id"],
        scores(framework, 4, 3, 5),
        summary="Strong quarter",
        promotion_recommendation="ready_soon",
        potential="high",
    )

    blocked = expect(admin.post(f"{CYCLES}/{cid}/calibrate", json={}), 409)
    assert pm.id not in blocked["errors"]["open_manager_reviews"]
    assert team.pms[1].id in blocked["errors"]["open_manager_reviews"]
    assert expect(admin.get(f"{CYCLES}/{cid}"), 200)["state"] == "active"
    calibrating = expect(admin.post(f"{CYCLES}/{cid}/calibrate", json={"force": True}), 200)
    assert calibrating["allowed_actions"] == ["update", "release"]

    strategy = framework.competency_ids[0]
    calibrated = expect(
        admin.put(
            f"{CYCLES}/{cid}/participants/{pm.id}/calibration",
            json={"ratings": [{"competency_id": strategy, "score": 5}], "note": "Calibrated up"},
        ),
        200,
    )
    assert calibrated["calibrated"] is True
    assert calibrated["final_ratings"][0] == {"competency_id": strategy, "score": 5}

    expect(admin.post(f"{CYCLES}/{cid}/release"), 200)
    feedback = expect(pm.api.get("/api/v1/me/feedback"), 200)
    assert len(feedback) == 1
    item = feedback[0]
    assert item["cycle_id"] == cid
    assert item["final_ratings"] == [
        {"competency_id": cid_, "score": s}
        for cid_, s in zip(framework.competency_ids, [5, 3, 5], strict=True)
    ]
    assert item["manager_review"]["summary"] == "Strong quarter"
    assert item["self_review"]["ratings"][0]["score"] == 3
    assert item["peer_feedback"] == {"count": 2}  # below the threshold of 3: no text
    assert item["readiness"] in {"ready_now", "ready_soon", "not_ready"}
    assert isinstance(item["overall_score"], float)

    events = expect(admin.get(f"/api/v1/audit-events?entity_id={cid}&page_size=100"), 200)
    assert {"created", "launched", "calibrating", "released", "peers_nominated"} <= {
        e["action"] for e in events
    }
    submitted = expect(
        admin.get(f"/api/v1/audit-events?entity_id={manager_review['id']}&page_size=100"), 200
    )
    assert {"started", "submitted"} <= {e["action"] for e in submitted}


def test_transitions_not_allowed_answer_409_and_change_nothing(orgs: OrgFactory) -> None:
    org = orgs.create()
    build_team(org, pms=1)
    admin = org.admin.api
    cid = new_cycle(admin)["id"]
    for action in ("calibrate", "release"):
        expect(admin.post(f"{CYCLES}/{cid}/{action}", json={}), 409)
    expect(admin.post(f"{CYCLES}/{cid}/launch"), 200)
    for action in ("launch", "release"):
        expect(admin.post(f"{CYCLES}/{cid}/{action}"), 409)
    expect(admin.post(f"{CYCLES}/{cid}/cancel"), 200)
    for action in ("launch", "calibrate", "release", "cancel"):
        response = admin.post(f"{CYCLES}/{cid}/{action}", json={})
        assert response.status_code == 409, (action, response.get_json())
    cycle = expect(admin.get(f"{CYCLES}/{cid}"), 200)
    assert cycle["state"] == "cancelled"
    assert cycle["allowed_actions"] == []
    assert cycle["released_at"] is None


def test_a_second_launch_cannot_duplicate_anything(orgs: OrgFactory, owner_url: str) -> None:
    org = orgs.create()
    build_team(org, pms=2)
    admin = org.admin.api
    cycle = launched_cycle(admin)
    expect(admin.post(f"{CYCLES}/{cycle['id']}/launch"), 409)
    with owner_connection(owner_url) as owner:
        counts = owner.execute(
            "SELECT (SELECT count(*) FROM reviews WHERE cycle_id = %(c)s),"
            " (SELECT count(*) FROM cycle_competencies WHERE cycle_id = %(c)s)",
            {"c": cycle["id"]},
        ).fetchone()
        assert counts == (4 + 3 + 3, 3)  # self 4, manager 3, upward 3
        # The database itself refuses a duplicate assignment or snapshot row.
        for statement in (
            "INSERT INTO reviews (org_id, id, cycle_id, reviewee_id, reviewer_id, type)"
            " SELECT org_id, gen_random_uuid(), cycle_id, reviewee_id, reviewer_id, type"
            " FROM reviews WHERE cycle_id = %(c)s LIMIT 1",
            # A second manager review of a person, by anyone else.
            "INSERT INTO reviews (org_id, id, cycle_id, reviewee_id, reviewer_id, type)"
            " SELECT r.org_id, gen_random_uuid(), r.cycle_id, r.reviewee_id, m.id, r.type"
            " FROM reviews r JOIN members m ON m.org_id = r.org_id"
            " AND m.id NOT IN (r.reviewer_id, r.reviewee_id)"
            " WHERE r.cycle_id = %(c)s AND r.type = 'manager' LIMIT 1",
            "INSERT INTO cycle_competencies (org_id, id, cycle_id, competency_id, key, name)"
            " SELECT org_id, gen_random_uuid(), cycle_id, competency_id, key, name"
            " FROM cycle_competencies WHERE cycle_id = %(c)s LIMIT 1",
        ):
            with pytest.raises(psycopg.errors.UniqueViolation):
                owner.execute(statement, {"c": cycle["id"]})


def test_launch_snapshots_the_ladder_and_people(orgs: OrgFactory) -> None:
    org = orgs.create()
    team = build_team(org, pms=1)
    admin = org.admin.api
    framework = team.ladder
    pm = team.pms[0]
    cid = launched_cycle(admin)["id"]

    # Afterwards: a new manager, a new role, new expectations, a new competency.
    expect(admin.patch(f"/api/v1/members/{pm.id}", json={"manager_id": team.head.id}), 200)
    expect(
        admin.patch(f"/api/v1/members/{pm.id}", json={"product_role_id": framework.roles[7]["id"]}),
        200,
    )
    role = framework.roles[2]
    expect(
        admin.patch(
            f"/api/v1/product-roles/{role['id']}",
            json={
                "expectations": [
                    {"competency_id": c, "expected_score": 5, "weight": 9}
                    for c in framework.competency_ids
                ]
            },
        ),
        200,
    )
    expect(admin.post("/api/v1/competencies", json={"key": "data", "name": "Data fluency"}), 201)

    participants = expect(admin.get(f"{CYCLES}/{cid}/participants?page_size=100"), 200)
    mine = next(p for p in participants if p["member_id"] == pm.id)
    assert mine["manager_id"] == team.manager.id
    assert mine["product_role_id"] == role["id"]
    detail = expect(admin.get(f"{CYCLES}/{cid}"), 200)
    assert len(detail["competencies"]) == 3
    # The manager review stays with the manager of the snapshot.
    review = review_of(team.manager.api, cid, "manager", pm.id)
    assert review["reviewer_id"] == team.manager.id


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"self_review_due": "2025-12-31"}, "self_review_due"),  # before the period
        ({"manager_review_due": "2025-06-30"}, "manager_review_due"),
        ({"review_types": ["peer"], "max_peers_per_reviewee": 0}, "max_peers_per_reviewee"),
    ],
)
def test_a_cycle_that_cannot_run_as_set_is_refused(
    orgs: OrgFactory, fields: dict[str, Any], field: str
) -> None:
    admin = orgs.create().admin.api
    refused = expect(admin.post(CYCLES, json=cycle_body(**fields)), 422)
    assert list(refused["errors"]) == [field]


def test_a_draft_is_editable_and_a_launched_cycle_only_its_name_and_dates(
    orgs: OrgFactory,
) -> None:
    org = orgs.create()
    team = build_team(org, pms=2)
    admin = org.admin.api
    cid = new_cycle(admin)["id"]
    chosen = expect(
        admin.patch(f"{CYCLES}/{cid}", json={"member_ids": [team.pms[0].id], "name": "Pilot"}),
        200,
    )
    assert (chosen["participant_count"], chosen["name"]) == (1, "Pilot")
    expect(admin.patch(f"{CYCLES}/{cid}", json={"period_end": "2025-01-01"}), 422)
    expect(admin.post(f"{CYCLES}/{cid}/launch"), 200)
    expect(admin.patch(f"{CYCLES}/{cid}", json={"review_types": ["self"]}), 409)
    expect(admin.patch(f"{CYCLES}/{cid}", json={"member_ids": [team.pms[1].id]}), 409)
    renamed = admin.patch(
        f"{CYCLES}/{cid}", json={"name": "Pilot H1", "self_review_due": "2026-08-01"}
    )
    body = expect(renamed, 200)
    assert (body["name"], body["self_review_due"]) == ("Pilot H1", "2026-08-01")
    # Launched, its due dates still keep to the period.
    early = expect(admin.patch(f"{CYCLES}/{cid}", json={"self_review_due": "2020-01-01"}), 422)
    assert list(early["errors"]) == ["self_review_due"]
    # If-Match is honoured when sent; naming several versions is naming none.
    stale = admin.patch(f"{CYCLES}/{cid}", json={"name": "x"}, headers={"If-Match": '"v1"'})
    expect(stale, 412)
    both = f'"v1", {renamed.headers["ETag"]}'
    expect(admin.patch(f"{CYCLES}/{cid}", json={"name": "x"}, headers={"If-Match": both}), 412)
    expect(
        admin.patch(
            f"{CYCLES}/{cid}", json={"name": "y"}, headers={"If-Match": renamed.headers["ETag"]}
        ),
        200,
    )


def test_participants_by_team_by_member_and_within_a_subtree(orgs: OrgFactory) -> None:
    org = orgs.create()
    team = build_team(org, pms=2)
    other = build_team(org, pms=1)
    admin = org.admin.api
    squad = expect(admin.post("/api/v1/teams", json={"name": "Squad"}), 201)
    for person in (team.pms[0], other.pms[0]):
        expect(admin.patch(f"/api/v1/members/{person.id}", json={"team_id": squad["id"]}), 200)
    by_team = new_cycle(admin, team_ids=[squad["id"]])
    assert by_team["participant_count"] == 2
    expect(admin.post(CYCLES, json=cycle_body(team_ids=[str(uuid.uuid4())])), 422)
    expect(
        admin.post(CYCLES, json=cycle_body(team_ids=[squad["id"]], member_ids=[team.pms[0].id])),
        422,
    )

    head = team.head.api
    mine = new_cycle(head)
    assert mine["participant_count"] == 3  # the manager and two PMs under this head
    outside = head.post(CYCLES, json=cycle_body(member_ids=[other.pms[0].id]))
    assert "member_ids" in expect(outside, 422)["errors"]
    # Results are measured against a rung: a chosen member without one is refused.
    unranked = org.add_member(manager_id=team.manager.id)
    refused = expect(admin.post(CYCLES, json=cycle_body(member_ids=[unranked.id])), 422)
    assert refused["errors"]["member_ids"] == [f"Has no product role: {unranked.id}."]
    listed = expect(head.get(f"{CYCLES}/{mine['id']}/participants?page_size=100"), 200)
    assert {p["member_id"] for p in listed} == {team.manager.id, *(p.id for p in team.pms)}
    expect(team.pms[0].api.post(CYCLES, json=cycle_body()), 403)


def test_launch_needs_participants_and_creates_only_the_chosen_types(orgs: OrgFactory) -> None:
    org = orgs.create()
    team = build_team(org, pms=2)
    admin = org.admin.api
    empty = new_cycle(admin, member_ids=[])
    assert empty["allowed_actions"] == ["update", "cancel"]  # a launch would fail
    expect(admin.post(f"{CYCLES}/{empty['id']}/launch"), 409)
    assert expect(admin.get(f"{CYCLES}/{empty['id']}"), 200)["state"] == "draft"

    cycle = launched_cycle(admin, review_types=["manager"], member_ids=[p.id for p in team.pms])
    reviews = expect(admin.get(f"/api/v1/reviews?cycle_id={cycle['id']}&page_size=100"), 200)
    assert sorted((r["type"], r["reviewer_id"]) for r in reviews) == [
        ("manager", team.manager.id),
        ("manager", team.manager.id),
    ]
    # No peer type: nominations are refused.
    nominate = team.manager.api.post(
        f"{CYCLES}/{cycle['id']}/peer-nominations",
        json={"reviewee_id": team.pms[0].id, "reviewer_ids": [team.pms[1].id]},
    )
    expect(nominate, 409)


def test_two_concurrent_launches_make_one_set_of_reviews(
    app: Flask, orgs: OrgFactory, owner_url: str
) -> None:
    org = orgs.create()
    team = build_team(org, pms=3)
    cycle = new_cycle(org.admin.api, member_ids=[p.id for p in team.pms])
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def launch() -> None:
        api = ApiClient(app.test_client(), org.admin.api.token)
        barrier.wait()
        statuses.append(api.post(f"{CYCLES}/{cycle['id']}/launch").status_code)

    threads = [threading.Thread(target=launch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409]
    with owner_connection(owner_url) as owner:
        row = owner.execute(
            "SELECT count(*), count(DISTINCT (reviewee_id, reviewer_id, type)),"
            " count(*) FILTER (WHERE type = 'upward' AND reviewee_id = %(m)s)"
            " FROM reviews WHERE cycle_id = %(c)s",
            {"c": cycle["id"], "m": team.manager.id},
        ).fetchone()
    # Self and manager reviews of the three, and their upward reviews of the manager,
    # who does not take part in this cycle.
    assert row == (9, 9, 3)


def test_a_name_of_only_spaces_is_refused(orgs: OrgFactory) -> None:
    admin = orgs.create().admin.api
    assert "name" in expect(admin.post(CYCLES, json=cycle_body(name="   ")), 422)["errors"]
    cid = new_cycle(admin)["id"]
    renamed = admin.patch(f"{CYCLES}/{cid}", json={"name": " \t "})
    assert "name" in expect(renamed, 422)["errors"]
    assert expect(admin.get(f"{CYCLES}/{cid}"), 200)["name"] == "H1 review"


def test_launch_without_a_current_competency_is_refused_and_changes_nothing(
    orgs: OrgFactory,
) -> None:
    org = orgs.create()
    team = build_team(org, pms=1)
    admin = org.admin.api
    for competency_id in team.ladder.competency_ids:
        retire = admin.patch(f"/api/v1/competencies/{competency_id}", json={"retired": True})
        expect(retire, 200)
    cid = new_cycle(admin)["id"]
    refused = expect(admin.post(f"{CYCLES}/{cid}/launch"), 409)
    assert "competency" in refused["message"]
    assert expect(admin.get(f"{CYCLES}/{cid}"), 200)["state"] == "draft"
    assert expect(admin.get(f"/api/v1/reviews?cycle_id={cid}"), 200) == []


def test_teams_and_everyone_eligible_are_read_at_launch(orgs: OrgFactory) -> None:
    """A draft written weeks ahead takes part as the organisation is on launch day."""
    org = orgs.create()
    team = build_team(org, pms=2)
    admin = org.admin.api
    squad = expect(admin.post("/api/v1/teams", json={"name": "Squad"}), 201)
    leaving, staying = team.pms
    for person in (leaving, staying):
        expect(admin.patch(f"/api/v1/members/{person.id}", json={"team_id": squad["id"]}), 200)
    by_team = new_cycle(admin, team_ids=[squad["id"]])
    everyone = new_cycle(admin, name="Everyone")
    assert by_team["participant_count"] == 2
    role = team.ladder.roles[2]["id"]
    hired = org.add_member(product_role_id=role, team_id=squad["id"], manager_id=team.manager.id)
    expect(admin.patch(f"/api/v1/members/{leaving.id}", json={"team_id": None}), 200)

    expect(admin.post(f"{CYCLES}/{by_team['id']}/launch"), 200)
    rows = expect(admin.get(f"{CYCLES}/{by_team['id']}/participants?page_size=100"), 200)
    assert {r["member_id"] for r in rows} == {staying.id, hired.id}
    launched = expect(admin.post(f"{CYCLES}/{everyone['id']}/launch"), 200)
    assert launched["participant_count"] == everyone["participant_count"] + 1
