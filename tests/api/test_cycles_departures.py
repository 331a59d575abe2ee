"""People who leave during a cycle: the manager reviews a departed manager had still to
write go to each reviewee's manager now (PRODUCT.md: anyone who has direct reports
writes the manager review of those reports)."""

from __future__ import annotations

from typing import Any

from tests.support.api import Org, OrgFactory, audit_events, expect
from tests.support.cycles import (
    CYCLES,
    build_team,
    etag,
    launched_cycle,
    my_reviews,
    review_of,
    scores,
    write_review,
)


def _events(org: Org, action: str) -> list[dict[str, Any]]:
    events = audit_events(org, entity_type="review")
    return [e for e in events if e["action"] == action]


def _handed_over(org: Org) -> list[dict[str, Any]]:
    return _events(org, "reassigned")


def test_a_departed_managers_open_manager_reviews_go_to_the_next_manager(
    orgs: OrgFactory,
) -> None:
    org = orgs.create()
    team = build_team(org, pms=3)
    cid = launched_cycle(org.admin.api)["id"]
    manager = team.manager.api
    drafted, submitted, untouched = team.pms
    draft = review_of(manager, cid, "manager", drafted.id)
    write_review(manager, draft["id"], scores(team.ladder, 4), comment="Half done", submit=False)
    done = review_of(manager, cid, "manager", submitted.id)
    write_review(manager, done["id"], scores(team.ladder, 3))
    stale = etag(org.admin.api, draft["id"])

    expect(org.admin.api.post(f"/api/v1/members/{team.manager.id}/deactivate"), 200)

    mine = {r["reviewee_id"]: r for r in my_reviews(team.head.api, cid) if r["type"] == "manager"}
    # The two open ones; the head's own review of the departed manager is withdrawn.
    assert set(mine) == {drafted.id, untouched.id}
    taken_over = mine[drafted.id]
    assert taken_over["status"] == "in_progress"
    assert {r["comment"] for r in taken_over["ratings"]} == {"Half done"}  # the draft goes too
    assert taken_over["allowed_actions"] == ["update", "submit"]
    write_review(team.head.api, taken_over["id"], scores(team.ladder, 5))
    # The submitted one stays the departed manager's; an ETag read before answers 412.
    kept = expect(org.admin.api.get(f"/api/v1/reviews/{done['id']}"), 200)
    assert (kept["reviewer_id"], kept["status"]) == (team.manager.id, "submitted")
    body = {"summary": "x"}
    patch = team.head.api.patch(
        f"/api/v1/reviews/{draft['id']}", json=body, headers={"If-Match": stale}
    )
    expect(patch, 412)
    handed = _handed_over(org)
    assert {e["entity_id"] for e in handed} == {draft["id"], mine[untouched.id]["id"]}
    assert all(e["after"]["reviewer_id"] == team.head.id for e in handed)
    # The snapshot of who managed whom in the cycle stays as it was.
    rows = expect(org.admin.api.get(f"{CYCLES}/{cid}/participants?page_size=100"), 200)
    assert {r["member_id"]: r["manager_id"] for r in rows}[drafted.id] == team.manager.id


def test_a_handed_over_manager_review_gives_the_results(orgs: OrgFactory) -> None:
    """Results read a person's manager review whoever wrote it: the manager it was handed
    to, not only the one the cycle snapshotted."""
    org = orgs.create()
    team = build_team(org, pms=1)
    admin, pm = org.admin.api, team.pms[0]
    cid = launched_cycle(admin, review_types=["self", "manager"])["id"]
    expect(admin.post(f"/api/v1/members/{team.manager.id}/deactivate"), 200)
    handed = review_of(team.head.api, cid, "manager", pm.id)
    write_review(
        team.head.api,
        handed["id"],
        scores(team.ladder, 4),
        summary="Written by the head",
        promotion_recommendation="ready_now",
        potential="high",
    )
    finals = sorted((cid_, 4) for cid_ in team.ladder.competency_ids)

    def final(rows: list[dict[str, Any]]) -> list[tuple[str, int]]:
        (row,) = (r for r in rows if r["member_id"] == pm.id)
        return sorted((f["competency_id"], f["score"]) for f in row["final_ratings"])

    assert final(expect(admin.get(f"{CYCLES}/{cid}/participants"), 200)) == finals
    report = expect(admin.get(f"/api/v1/reports/promotion-readiness?cycle_id={cid}"), 200)
    assert final(report["rows"]) == finals
    (row,) = (r for r in report["rows"] if r["member_id"] == pm.id)
    assert row["manager_recommendation"] == "ready_now"
    assert float(row["overall_score"]) == 4.0

    expect(admin.post(f"{CYCLES}/{cid}/calibrate"), 200)
    expect(admin.post(f"{CYCLES}/{cid}/release"), 200)
    (item,) = expect(pm.api.get("/api/v1/me/feedback"), 200)
    assert sorted((f["competency_id"], f["score"]) for f in item["final_ratings"]) == finals
    assert item["manager_review"]["summary"] == "Written by the head"
    assert item["readiness"] is not None


def test_what_a_departed_member_had_left_to_write_or_receive_is_withdrawn(
    orgs: OrgFactory,
) -> None:
    org = orgs.create()
    team = build_team(org, pms=2)
    cid = launched_cycle(org.admin.api)["id"]
    leaver, stayer = team.pms
    nominate = {"reviewee_id": stayer.id, "reviewer_ids": [leaver.id]}
    expect(org.admin.api.post(f"{CYCLES}/{cid}/peer-nominations", json=nominate), 201)
    own = review_of(leaver.api, cid, "self", leaver.id)
    write_review(leaver.api, own["id"], scores(team.ladder, 4))  # submitted: stays
    expect(org.admin.api.post(f"/api/v1/members/{leaver.id}/deactivate"), 200)

    def reviews(**query: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = expect(
            org.admin.api.get("/api/v1/reviews", query_string={"cycle_id": cid, **query}), 200
        )
        return found

    about = reviews(reviewee_id=leaver.id)
    assert [(r["type"], r["status"]) for r in about] == [("self", "submitted")]
    assert reviews(reviewer_id=leaver.id) == about  # the peer and upward reviews are gone
    assert {e["before"]["type"] for e in _events(org, "withdrawn")} == {"manager", "peer", "upward"}
    rows = expect(org.admin.api.get(f"{CYCLES}/{cid}/participants?page_size=100"), 200)
    progress = {r["member_id"]: r["progress"] for r in rows}
    assert progress[leaver.id] == {"assigned": 1, "submitted": 1}
    again = {"reviewee_id": leaver.id, "reviewer_ids": [stayer.id]}
    expect(org.admin.api.post(f"{CYCLES}/{cid}/peer-nominations", json=again), 409)


def test_without_a_manager_above_their_manager_reviews_are_withdrawn(orgs: OrgFactory) -> None:
    org = orgs.create()
    team = build_team(org, pms=1)
    cid = launched_cycle(org.admin.api)["id"]
    expect(org.admin.api.post(f"/api/v1/members/{team.head.id}/deactivate"), 200)
    query = {"cycle_id": cid, "reviewee_id": team.manager.id, "type": "manager"}
    assert expect(org.admin.api.get("/api/v1/reviews", query_string=query), 200) == []
    assert _handed_over(org) == []
    # The head's manager review of the manager, their self review, the upward one of them.
    assert sorted(e["before"]["type"] for e in _events(org, "withdrawn")) == [
        "manager",
        "self",
        "upward",
    ]


def test_a_cancelled_cycle_shows_no_results(orgs: OrgFactory) -> None:
    org = orgs.create()
    team = build_team(org, pms=1)
    cid = launched_cycle(org.admin.api)["id"]
    review = review_of(team.manager.api, cid, "manager", team.pms[0].id)
    write_review(team.manager.api, review["id"], scores(team.ladder, 4))
    expect(org.admin.api.post(f"{CYCLES}/{cid}/cancel"), 200)
    rows = expect(org.admin.api.get(f"{CYCLES}/{cid}/participants?page_size=100"), 200)
    assert rows
    assert all("final_ratings" not in r for r in rows)


def test_a_cancelled_cycle_leaves_nothing_to_write(orgs: OrgFactory) -> None:
    org = orgs.create()
    team = build_team(org, pms=1)
    kept = launched_cycle(org.admin.api, name="Kept")["id"]
    dropped = launched_cycle(org.admin.api, name="Dropped")["id"]
    pm = team.pms[0].api
    expect(org.admin.api.post(f"{CYCLES}/{dropped}/cancel"), 200)
    listed = expect(pm.get("/api/v1/me/reviews?page_size=100"), 200)
    assert {r["cycle_id"] for r in listed} == {kept}
    assert my_reviews(pm, dropped) == []
    everything = expect(pm.get(f"/api/v1/reviews?cycle_id={dropped}"), 200)
    assert everything
    assert all(r["allowed_actions"] == [] for r in everything)


def test_a_report_by_team_describes_the_team_as_it_was_at_launch(orgs: OrgFactory) -> None:
    """Later edits change no past cycle (PRODUCT.md): moving a person to another team
    after launch leaves the cycle's team reports as they were."""
    org = orgs.create()
    team = build_team(org, pms=2)
    admin = org.admin.api
    squad = expect(admin.post("/api/v1/teams", json={"name": "Squad"}), 201)["id"]
    other = expect(admin.post("/api/v1/teams", json={"name": "Other"}), 201)["id"]
    for person in team.pms:
        expect(admin.patch(f"/api/v1/members/{person.id}", json={"team_id": squad}), 200)
    cid = launched_cycle(admin)["id"]
    mover = team.pms[0]
    expect(admin.patch(f"/api/v1/members/{mover.id}", json={"team_id": other}), 200)

    def participants(team_id: str) -> int:
        query = {"cycle_id": cid, "team_id": team_id}
        found = expect(admin.get("/api/v1/reports/team-metrics", query_string=query), 200)
        return int(found["participants"])

    assert (participants(squad), participants(other)) == (2, 0)
    rows = expect(
        admin.get(
            "/api/v1/reports/promotion-readiness",
            query_string={"cycle_id": cid, "team_id": squad},
        ),
        200,
    )["rows"]
    assert {r["member_id"] for r in rows} == {p.id for p in team.pms}
