"""What ``/me/feedback`` says: final ratings, overall score and readiness from the
cycle's snapshot, whatever changes afterwards."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from flask import Flask

from service.domain.readiness import Expected, Thresholds, assess
from tests.support.api import OrgFactory, expect
from tests.support.cycles import CYCLES, build_team, launched_cycle, review_of, scores, write_review
from tests.support.report_world import READINESS, build_world


def _expected(role: dict) -> dict[UUID, Expected]:  # type: ignore[type-arg]
    return {
        UUID(e["competency_id"]): Expected(e["expected_score"], Decimal(str(e["weight"])))
        for e in role["expectations"]
    }


def test_feedback_scores_with_the_snapshot(orgs: OrgFactory) -> None:
    org = orgs.create()
    team = build_team(org, pms=1)
    admin, framework, pm = org.admin.api, team.ladder, team.pms[0]
    current, next_role = framework.roles[2], framework.roles[3]
    cid = launched_cycle(admin, review_types=["self", "manager"])["id"]
    ids = framework.competency_ids
    manager_review = review_of(team.manager.api, cid, "manager", pm.id)
    write_review(
        team.manager.api,
        manager_review["id"],
        scores(framework, 4, 3, 2),
        comment="Specific praise",
        summary="Good half",
        promotion_recommendation="ready_now",
        potential="medium",
    )
    write_review(pm.api, review_of(pm.api, cid, "self", pm.id)["id"], scores(framework, 5))
    expect(admin.post(f"{CYCLES}/{cid}/calibrate", json={}), 409)  # the head's is open
    expect(admin.post(f"{CYCLES}/{cid}/calibrate", json={"force": True}), 200)
    calibration = {"ratings": [{"competency_id": ids[2], "score": 3}], "note": "Cross-team"}
    expect(admin.put(f"{CYCLES}/{cid}/participants/{pm.id}/calibration", json=calibration), 200)
    # Before release the reviewee sees nothing of it.
    assert expect(pm.api.get("/api/v1/me/feedback"), 200) == []
    expect(admin.post(f"{CYCLES}/{cid}/release"), 200)

    # After release the ladder changes: weights, expectations and the person's role.
    for role in (current, next_role):
        expect(
            admin.patch(
                f"/api/v1/product-roles/{role['id']}",
                json={
                    "expectations": [
                        {"competency_id": c, "expected_score": 1, "weight": 1} for c in ids
                    ]
                },
            ),
            200,
        )
    expect(
        admin.patch(f"/api/v1/members/{pm.id}", json={"product_role_id": framework.roles[6]["id"]}),
        200,
    )

    item = expect(pm.api.get("/api/v1/me/feedback"), 200)[0]
    finals = {UUID(ids[0]): 4, UUID(ids[1]): 3, UUID(ids[2]): 3}
    assert item["final_ratings"] == [
        {"competency_id": str(k), "score": v} for k, v in finals.items()
    ]
    assessment = assess(finals, _expected(current), _expected(next_role), Thresholds())
    assert assessment.overall_score is not None
    assert item["overall_score"] == float(assessment.overall_score)
    assert item["readiness"] == assessment.readiness
    assert item["manager_review"]["summary"] == "Good half"
    assert [r["comment"] for r in item["manager_review"]["ratings"]] == ["Specific praise"] * 3
    assert "promotion_recommendation" not in item["manager_review"]
    assert [r["score"] for r in item["self_review"]["ratings"]] == [5, 5, 5]
    assert item["peer_feedback"] == {"count": 0}
    assert item["upward_feedback"] is None
    # The manager's own feedback holds nothing of their report's.
    theirs = expect(team.manager.api.get("/api/v1/me/feedback"), 200)
    assert all(f["self_review"] is None or f["self_review"]["ratings"] == [] for f in theirs)


def test_feedback_says_what_the_readiness_report_says_of_a_released_cycle(app: Flask) -> None:
    """Feedback applies the domain's formulas, the report reads the frozen outcomes:
    the same final ratings (in the same order), overall score, readiness and outlook."""
    world = build_world(app)
    admin = world.org.admin.api
    for name in ("Q1", "Q2"):
        cycle = world.cycles[name]
        report = expect(admin.get(f"{READINESS}?cycle_id={cycle}"), 200)
        rows = {r["member_id"]: r for r in report["rows"]}
        assert {r["readiness"] for r in rows.values()} > {None}  # B and C were reviewed
        for person in world.people.values():
            if person.id not in rows:
                continue
            feedback = expect(person.api.get("/api/v1/me/feedback"), 200)
            item = next(i for i in feedback if i["cycle_id"] == cycle)
            row = rows[person.id]
            assert item["final_ratings"] == row["final_ratings"]
            assert item["readiness"] == row["readiness"]
            expected = row["overall_score"]
            assert item["overall_score"] == (None if expected is None else float(expected))
            # The outlook over their released cycles up to this one, as the report has it.
            assert item["outlook"] == row["outlook"]
    # C's gaps: -2 in Q1, -1.5 in Q2 (tests/support/report_world.py).
    c_feedback = expect(world.people["C"].api.get("/api/v1/me/feedback"), 200)
    q2 = next(i for i in c_feedback if i["cycle_id"] == world.cycles["Q2"])
    assert q2["outlook"] == {"trend_per_cycle": 0.5, "cycles_to_ready": 3}
