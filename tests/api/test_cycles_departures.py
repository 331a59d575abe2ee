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


def _handed_over(org: Org) -> list[dict[str, Any]]:
    events = audit_events(org, entity_type="review")
    return [e for e in events if e["action"] == "reassigned"]


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
    assert set(mine) == {team.manager.id, drafted.id, untouched.id}  # the head's own, and two
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


def test_without_a_manager_above_the_reviews_stay_with_the_departed(orgs: OrgFactory) -> None:
    org = orgs.create()
    team = build_team(org, pms=1)
    cid = launched_cycle(org.admin.api)["id"]
    expect(org.admin.api.post(f"/api/v1/members/{team.head.id}/deactivate"), 200)
    query = {"cycle_id": cid, "reviewee_id": team.manager.id, "type": "manager"}
    (review,) = expect(org.admin.api.get("/api/v1/reviews", query_string=query), 200)
    assert review["reviewer_id"] == team.head.id
    assert _handed_over(org) == []
