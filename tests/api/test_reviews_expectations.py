"""A review read alone shows what the reviewee's role expects of each competency, as
the cycle's launch snapshotted the ladder: the yardstick beside the rating."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask

from tests.support.api import ApiClient, OrgFactory, expect
from tests.support.cycles import (
    CYCLES,
    Ladder,
    build_team,
    cycle_body,
    etag,
    launched_cycle,
    review_of,
    scores,
)
from tests.support.database import owner_connection
from tests.support.statements import counting

REVIEWS = "/api/v1/reviews"
ROLES = "/api/v1/product-roles"


def _expected(role: dict[str, Any], order: list[str]) -> list[dict[str, Any]]:
    """The role's expectations as a review shows them, in the cycle's order."""
    by_competency = {e["competency_id"]: e for e in role["expectations"]}
    return [
        {
            "competency_id": c,
            "expected_score": by_competency[c]["expected_score"] if c in by_competency else None,
            "description": by_competency[c]["description"] if c in by_competency else None,
        }
        for c in order
    ]


def _order(api: ApiClient, cycle_id: str) -> list[str]:
    cycle = expect(api.get(f"{CYCLES}/{cycle_id}"), 200)
    return [c["competency_id"] for c in cycle["competencies"]]


def _read(api: ApiClient, review_id: str) -> dict[str, Any]:
    read: dict[str, Any] = expect(api.get(f"{REVIEWS}/{review_id}"), 200)
    return read


def _edit_ladder(api: ApiClient, framework: Ladder) -> None:
    """Every role's expectations rewritten after launch."""
    for role in framework.roles.values():
        edited = [
            {
                "competency_id": e["competency_id"],
                "expected_score": 1,
                "weight": e["weight"],
                "description": "EDITED after launch",
            }
            for e in role["expectations"]
        ]
        expect(api.patch(f"{ROLES}/{role['id']}", json={"expectations": edited}), 200)


def test_reviewers_see_the_snapshotted_expectations_even_after_the_ladder_changes(
    orgs: OrgFactory,
) -> None:
    org = orgs.create()
    team = build_team(org, pms=2)
    admin, manager = org.admin.api, team.manager
    pm, peer = team.pms
    framework = team.ladder
    cid = launched_cycle(admin)["id"]
    order = _order(admin, cid)
    expect(
        manager.api.post(
            f"{CYCLES}/{cid}/peer-nominations",
            json={"reviewee_id": pm.id, "reviewer_ids": [peer.id]},
        ),
        201,
    )
    _edit_ladder(admin, framework)
    as_launched = _expected(framework.roles[2], order)
    assert all(e["description"] and e["expected_score"] > 1 for e in as_launched)

    # A peer (who cannot list the participants) sees the reviewee's role's yardstick.
    peers = review_of(peer.api, cid, "peer", pm.id)
    assert "expectations" not in peers  # lists leave it out
    assert _read(peer.api, peers["id"])["expectations"] == as_launched
    # So do the reviewee on their own self review, their manager, and an admin.
    own = review_of(pm.api, cid, "self", pm.id)
    assert _read(pm.api, own["id"])["expectations"] == as_launched
    managers = review_of(manager.api, cid, "manager", pm.id)
    assert _read(manager.api, managers["id"])["expectations"] == as_launched
    assert _read(admin, managers["id"])["expectations"] == as_launched
    # An upward reviewer sees their manager's role's (a description of the role).
    upward = review_of(pm.api, cid, "upward", manager.id)
    assert _read(pm.api, upward["id"])["expectations"] == _expected(framework.roles[4], order)

    # Every answer of one review carries them: a draft saved, submitted, reopened.
    ratings = [{"competency_id": c, "score": s} for c, s in scores(framework, 3).items()]
    saved = peer.api.patch(
        f"{REVIEWS}/{peers['id']}",
        json={"ratings": ratings},
        headers={"If-Match": etag(peer.api, peers["id"])},
    )
    assert expect(saved, 200)["expectations"] == as_launched
    submitted = peer.api.post(
        f"{REVIEWS}/{peers['id']}/submit", headers={"If-Match": saved.headers["ETag"]}
    )
    assert expect(submitted, 200)["expectations"] == as_launched
    reopened = admin.post(
        f"{REVIEWS}/{peers['id']}/reopen", headers={"If-Match": submitted.headers["ETag"]}
    )
    assert expect(reopened, 200)["expectations"] == as_launched

    # A cycle launched now snapshots the edited ladder.
    expect(admin.post(f"{CYCLES}/{cid}/cancel"), 200)
    later = launched_cycle(admin)["id"]
    fresh = review_of(pm.api, later, "self", pm.id)
    shown = _read(pm.api, fresh["id"])["expectations"]
    assert {(e["expected_score"], e["description"]) for e in shown} == {(1, "EDITED after launch")}


def test_a_not_started_review_shows_every_competency_and_gaps_as_null(
    orgs: OrgFactory,
) -> None:
    org = orgs.create()
    team = build_team(org, pms=1)
    admin, pm = org.admin.api, team.pms[0]
    framework = team.ladder
    # Before launch: a competency the role sets nothing for, the role missing another.
    added = expect(
        admin.post("/api/v1/competencies", json={"key": "data", "name": "Data fluency"}), 201
    )
    role = framework.roles[2]
    fewer = [e for e in role["expectations"] if e["competency_key"] != "leadership"]
    role = expect(admin.patch(f"{ROLES}/{role['id']}", json={"expectations": fewer}), 200)
    cid = launched_cycle(admin)["id"]
    order = _order(admin, cid)
    assert added["id"] in order
    assert len(order) == len(framework.competency_ids) + 1

    own = review_of(pm.api, cid, "self", pm.id)
    read = _read(pm.api, own["id"])
    assert read["status"] == "not_started"
    assert read["ratings"] == []
    assert [e["competency_id"] for e in read["expectations"]] == order
    assert read["expectations"] == _expected(role, order)
    unset = {e["competency_id"] for e in read["expectations"] if e["expected_score"] is None}
    leadership = next(c["id"] for c in framework.competencies if c["key"] == "leadership")
    assert unset == {leadership, added["id"]}


def test_a_reviewee_without_a_role_in_the_snapshot_has_null_expectations(
    orgs: OrgFactory, owner_url: str
) -> None:
    org = orgs.create()
    team = build_team(org, pms=2)
    admin = org.admin.api
    chosen, other = team.pms
    cycle = expect(admin.post(CYCLES, json=cycle_body(member_ids=[chosen.id, other.id])), 201)
    cid = expect(admin.post(f"{CYCLES}/{cycle['id']}/launch"), 200)["id"]
    # Their manager does not take part: an upward review of them has no snapshot role.
    upward = review_of(chosen.api, cid, "upward", team.manager.id)
    assert _read(chosen.api, upward["id"])["expectations"] is None
    # The participants keep their roles' expectations.
    mine = review_of(chosen.api, cid, "self", chosen.id)
    assert _read(chosen.api, mine["id"])["expectations"] == _expected(
        team.ladder.roles[2], _order(admin, cid)
    )
    # A participant whose snapshot holds no role (launches now refuse one; an older
    # cycle, a data fix) shows none either, whatever their role is today.
    with owner_connection(owner_url) as owner:
        owner.execute(
            "UPDATE cycle_participants SET product_role_id = NULL"
            " WHERE cycle_id = %s AND member_id = %s",
            (cid, other.id),
        )
    own = review_of(other.api, cid, "self", other.id)
    assert _read(other.api, own["id"])["expectations"] is None


def test_another_organisations_review_is_still_not_found(orgs: OrgFactory) -> None:
    mine, theirs = orgs.create(), orgs.create()
    team = build_team(theirs, pms=1)
    cid = launched_cycle(theirs.admin.api)["id"]
    review = review_of(team.pms[0].api, cid, "self", team.pms[0].id)
    foreign = mine.admin.api.get(f"{REVIEWS}/{review['id']}")
    missing = mine.admin.api.get(f"{REVIEWS}/{uuid.uuid4()}")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_json() == missing.get_json()
    assert "expectations" not in (foreign.get_data(as_text=True))


def test_reading_one_review_costs_the_same_statements_whatever_the_competencies(
    app: Flask, orgs: OrgFactory
) -> None:
    """The expectations come with the cycle's competencies, in the one statement that
    already read them: none per competency, none more for a reader who is not the
    author."""
    counts: dict[tuple[int, str], int] = {}
    for extra in (0, 6):
        org = orgs.create()
        team = build_team(org, pms=2)
        admin, pm, peer = org.admin.api, *team.pms
        for n in range(extra):
            body = {"key": f"extra_{n}", "name": f"Extra {n}"}
            expect(admin.post("/api/v1/competencies", json=body), 201)
        cid = launched_cycle(admin)["id"]
        expect(
            team.manager.api.post(
                f"{CYCLES}/{cid}/peer-nominations",
                json={"reviewee_id": pm.id, "reviewer_ids": [peer.id]},
            ),
            201,
        )
        review = review_of(peer.api, cid, "peer", pm.id)
        for who, api in (("author", peer.api), ("admin", admin)):
            with counting(app) as statements:
                read = _read(api, review["id"])
            assert len(read["expectations"]) == 3 + extra
            counts[(extra, who)] = len(statements)
    assert counts[(0, "author")] == counts[(6, "author")]
    assert counts[(0, "admin")] == counts[(6, "admin")]
    # The caller's token, the review, its ratings, the cycle, (whether someone else may
    # see it,) and the competencies with their expectations: as before they were shown.
    assert counts[(0, "author")] == 5, counts
    assert counts[(0, "admin")] == 6, counts
