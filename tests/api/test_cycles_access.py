"""Who may run, read, nominate in and calibrate a cycle: roles, subtrees and states."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.api import OrgFactory, expect
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


def _nominate(api: Any, cid: str, reviewee: str, peers: list[str]) -> Any:
    return api.post(
        f"{CYCLES}/{cid}/peer-nominations", json={"reviewee_id": reviewee, "reviewer_ids": peers}
    )


def test_cycles_are_run_by_admins_and_the_head_who_made_them(orgs: OrgFactory) -> None:
    org = orgs.create()
    team = build_team(org, pms=2)
    other_head = org.add_member(access_role="head_of_product")
    admin, head = org.admin.api, team.head.api
    theirs = new_cycle(admin)
    mine = new_cycle(head)
    assert mine["allowed_actions"] == ["update", "launch", "cancel"]
    # A head does not run the admin's cycle, and does not see it while it is a draft.
    expect(head.get(f"{CYCLES}/{theirs['id']}"), 404)
    expect(head.post(f"{CYCLES}/{theirs['id']}/launch"), 404)
    expect(other_head.api.get(f"{CYCLES}/{mine['id']}"), 404)
    assert [c["id"] for c in expect(head.get(CYCLES), 200)] == [mine["id"]]
    # PMs run nothing; they see a cycle once launched and they take part.
    pm = team.pms[0].api
    expect(pm.post(CYCLES, json=cycle_body()), 403)
    expect(pm.get(f"{CYCLES}/{mine['id']}"), 404)
    expect(head.post(f"{CYCLES}/{mine['id']}/launch"), 200)
    seen = expect(pm.get(f"{CYCLES}/{mine['id']}"), 200)
    assert seen["allowed_actions"] == []
    expect(pm.post(f"{CYCLES}/{mine['id']}/cancel"), 403)
    expect(pm.patch(f"{CYCLES}/{mine['id']}", json={"name": "x"}), 403)
    # The head sees the admin's cycle once launched (it covers their subtree) but
    # cannot run it; the admin runs the head's.
    expect(admin.post(f"{CYCLES}/{theirs['id']}/launch"), 200)
    launched = expect(head.get(f"{CYCLES}/{theirs['id']}"), 200)
    assert launched["allowed_actions"] == []
    expect(head.post(f"{CYCLES}/{theirs['id']}/cancel"), 403)
    assert expect(admin.get(f"{CYCLES}/{mine['id']}"), 200)["allowed_actions"] == [
        "update",
        "calibrate",
        "cancel",
    ]
    # A read-only token sees but runs nothing.
    token = expect(admin.post("/api/v1/api-tokens", json={"name": "bi", "scopes": ["read"]}), 201)[
        "token"
    ]
    reader = type(admin)(admin.client, token)
    assert expect(reader.get(f"{CYCLES}/{mine['id']}"), 200)["allowed_actions"] == []


def test_participants_and_results_follow_the_reporting_line(orgs: OrgFactory) -> None:
    org = orgs.create()
    team = build_team(org, pms=2)
    elsewhere = build_team(org, pms=1)
    admin = org.admin.api
    cid = launched_cycle(admin)["id"]
    pm = team.pms[0]
    write_review(
        team.manager.api,
        review_of(team.manager.api, cid, "manager", pm.id)["id"],
        scores(team.ladder, 4),
    )
    expect(admin.post(f"{CYCLES}/{cid}/calibrate", json={"force": True}), 200)

    everyone = expect(admin.get(f"{CYCLES}/{cid}/participants?page_size=100"), 200)
    assert len(everyone) == 7  # both teams: a head, a manager and their PMs each
    row = next(p for p in everyone if p["member_id"] == pm.id)
    assert row["progress"] == {"assigned": 2, "submitted": 1}  # self and manager
    assert row["final_ratings"] == [
        {"competency_id": c, "score": 4} for c in team.ladder.competency_ids
    ]
    assert row["calibrated"] is False

    head_rows = expect(team.head.api.get(f"{CYCLES}/{cid}/participants?page_size=100"), 200)
    assert {p["member_id"] for p in head_rows} == {team.manager.id, *(p.id for p in team.pms)}
    # Blindness: the head has still to submit their manager review of the team's manager.
    shown = {p["member_id"] for p in head_rows if "final_ratings" in p}
    assert shown == {p.id for p in team.pms}
    manager_rows = expect(team.manager.api.get(f"{CYCLES}/{cid}/participants"), 200)
    assert {p["member_id"] for p in manager_rows} == {p.id for p in team.pms}
    assert all("final_ratings" not in p and "calibrated" not in p for p in manager_rows)
    assert expect(pm.api.get(f"{CYCLES}/{cid}/participants"), 200) == []

    body = {"ratings": [{"competency_id": team.ladder.competency_ids[0], "score": 2}]}
    path = f"{CYCLES}/{cid}/participants/{{}}/calibration"
    expect(team.head.api.put(path.format(elsewhere.pms[0].id), json=body), 403)
    expect(team.manager.api.put(path.format(pm.id), json=body), 403)  # a PM manager
    calibrated = team.head.api.put(path.format(pm.id), json={**body, "note": "Fair"})
    assert expect(calibrated, 200)["final_ratings"][0]["score"] == 2
    # If-Match honoured when sent; the audit log keeps before and after.
    expect(team.head.api.put(path.format(pm.id), json=body, headers={"If-Match": '"v1"'}), 412)
    again = team.head.api.put(
        path.format(pm.id),
        json={"ratings": [], "note": None},
        headers={"If-Match": calibrated.headers["ETag"]},
    )
    assert expect(again, 200)["calibrated"] is False
    events = expect(
        admin.get("/api/v1/audit-events?entity_type=cycle_participant&page_size=100"), 200
    )
    mine = [e for e in events if e["after"]["member_id"] == pm.id]
    assert [e["action"] for e in mine] == ["calibrated", "calibrated"]
    assert mine[1]["before"]["ratings"] == []
    assert mine[1]["after"]["ratings"][0]["score"] == 2
    assert mine[1]["after"]["note"] == "Fair"
    assert mine[0]["after"]["ratings"] == []
    assert mine[0]["before"]["note"] == "Fair"

    invalid = {"ratings": [{"competency_id": team.ladder.competency_ids[0], "score": 9}]}
    expect(admin.put(path.format(pm.id), json=invalid), 422)
    twice = {"ratings": [body["ratings"][0], body["ratings"][0]]}
    expect(admin.put(path.format(pm.id), json=twice), 422)
    expect(admin.post(f"{CYCLES}/{cid}/release"), 200)
    expect(admin.put(path.format(pm.id), json=body), 409)  # no longer calibrating


def test_peer_nominations(orgs: OrgFactory) -> None:
    org = orgs.create()
    team = build_team(org, pms=4)
    admin = org.admin.api
    pm, peers = team.pms[0], team.pms[1:]
    draft = new_cycle(admin, max_peers_per_reviewee=2)
    cid = draft["id"]
    expect(_nominate(admin, cid, pm.id, [peers[0].id]), 409)  # not active yet
    expect(admin.post(f"{CYCLES}/{cid}/launch"), 200)

    expect(_nominate(pm.api, cid, pm.id, [peers[0].id]), 403)  # self-nomination off
    expect(_nominate(peers[0].api, cid, pm.id, [peers[1].id]), 403)  # a fellow participant
    expect(_nominate(team.manager.api, cid, pm.id, [pm.id]), 422)  # nobody peers themselves
    expect(_nominate(team.manager.api, cid, pm.id, [peers[0].id, peers[0].id]), 422)
    expect(_nominate(team.manager.api, cid, pm.id, [p.id for p in peers]), 422)  # over 2
    expect(_nominate(team.manager.api, cid, pm.id, [str(uuid.uuid4())]), 422)
    done = expect(_nominate(team.manager.api, cid, pm.id, [peers[0].id]), 201)
    assert done == {"reviewee_id": pm.id, "reviewer_ids": [peers[0].id], "peer_count": 1}
    expect(_nominate(team.head.api, cid, pm.id, [peers[0].id]), 409)  # already nominated
    expect(_nominate(team.head.api, cid, pm.id, [peers[1].id, peers[2].id]), 409)  # 3 > 2
    expect(_nominate(team.head.api, cid, pm.id, [peers[1].id]), 201)  # above the manager
    assert review_of(peers[0].api, cid, "peer", pm.id)["status"] == "not_started"

    allowed = launched_cycle(admin, allow_self_nomination=True)
    expect(_nominate(pm.api, allowed["id"], pm.id, [peers[2].id]), 201)
    expect(admin.post(f"{CYCLES}/{allowed['id']}/cancel"), 200)
    expect(_nominate(pm.api, allowed["id"], pm.id, [peers[1].id]), 409)  # cancelled


def test_a_head_of_product_never_reaches_outside_their_subtree(orgs: OrgFactory) -> None:
    org = orgs.create()
    team = build_team(org, pms=1)
    other = build_team(org, pms=1)
    cid = launched_cycle(org.admin.api)["id"]
    theirs = review_of(other.manager.api, cid, "manager", other.pms[0].id)
    write_review(other.manager.api, theirs["id"], scores(team.ladder, 3))
    head = team.head.api
    expect(head.get(f"/api/v1/reviews/{theirs['id']}"), 404)
    listed = expect(head.get(f"/api/v1/reviews?cycle_id={cid}&reviewee_id={other.pms[0].id}"), 200)
    assert listed == []
    rows = expect(head.get(f"{CYCLES}/{cid}/participants?page_size=100"), 200)
    assert other.pms[0].id not in {r["member_id"] for r in rows}


def test_a_chosen_team_must_hold_someone_the_chooser_may_choose(orgs: OrgFactory) -> None:
    """Another head's team answers 422 as another head's member does, not an empty cycle;
    and so does a team with nobody eligible in it, for an admin too."""
    org = orgs.create()
    team = build_team(org, pms=1)
    other = build_team(org, pms=1)
    growth = expect(org.admin.api.post("/api/v1/teams", json={"name": "Growth"}), 201)
    empty = expect(org.admin.api.post("/api/v1/teams", json={"name": "Empty"}), 201)
    moved = {"team_id": growth["id"]}
    expect(org.admin.api.patch(f"/api/v1/members/{other.pms[0].id}", json=moved), 200)
    refused = expect(team.head.api.post(CYCLES, json=cycle_body(team_ids=[growth["id"]])), 422)
    assert list(refused["errors"]) == ["team_ids"]
    empty_team = cycle_body(team_ids=[empty["id"]])
    expect(org.admin.api.post(CYCLES, json=empty_team), 422)
    chosen = expect(org.admin.api.post(CYCLES, json=cycle_body(team_ids=[growth["id"]])), 201)
    assert chosen["participant_count"] == 1


def test_chosen_members_are_checked_again_at_launch(orgs: OrgFactory) -> None:
    """Moved out of the head's subtree, or left without a role, after the draft was
    written: the launch says so (409) rather than reviewing someone else's people."""
    org = orgs.create()
    team = build_team(org, pms=3)
    other = build_team(org, pms=0)
    moved, roleless, kept = team.pms
    draft = new_cycle(team.head.api, member_ids=[p.id for p in team.pms])
    admin = org.admin.api
    expect(admin.patch(f"/api/v1/members/{moved.id}", json={"manager_id": other.manager.id}), 200)
    expect(admin.patch(f"/api/v1/members/{roleless.id}", json={"product_role_id": None}), 200)
    refused = expect(team.head.api.post(f"{CYCLES}/{draft['id']}/launch"), 409)
    errors = refused["errors"]["member_ids"]
    assert len(errors) == 2
    assert any(moved.id in e and "subtree" in e for e in errors)
    assert any(roleless.id in e and "product role" in e for e in errors)
    assert expect(admin.get(f"{CYCLES}/{draft['id']}"), 200)["state"] == "draft"
    chosen = {"member_ids": [kept.id]}
    expect(team.head.api.patch(f"{CYCLES}/{draft['id']}", json=chosen), 200)
    launched = expect(team.head.api.post(f"{CYCLES}/{draft['id']}/launch"), 200)
    assert launched["participant_count"] == 1


def test_a_pm_taking_part_does_not_learn_who_else_was_chosen(orgs: OrgFactory) -> None:
    org = orgs.create()
    team = build_team(org, pms=2)
    chosen = [p.id for p in team.pms]
    cid = launched_cycle(org.admin.api, member_ids=chosen)["id"]
    pm = team.pms[0].api
    seen = expect(pm.get(f"{CYCLES}/{cid}"), 200)
    assert "member_ids" not in seen
    assert seen["participant_count"] == 2
    assert all("member_ids" not in c for c in expect(pm.get(CYCLES), 200))
    assert expect(org.admin.api.get(f"{CYCLES}/{cid}"), 200)["member_ids"] == chosen
    assert expect(team.head.api.get(f"{CYCLES}/{cid}"), 200)["member_ids"] == chosen
