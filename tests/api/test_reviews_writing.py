"""Writing reviews: ETags, partial drafts, submission, read-only, reopening, evidence."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask

from tests.support.api import ApiClient, OrgFactory, expect
from tests.support.cycles import (
    CYCLES,
    Team,
    build_team,
    etag,
    launched_cycle,
    review_of,
    scores,
    write_review,
)

REVIEWS = "/api/v1/reviews"


def _setup(orgs: OrgFactory, pms: int = 2) -> tuple[Team, str]:
    org = orgs.create()
    team = build_team(org, pms=pms)
    return team, launched_cycle(org.admin.api)["id"]


def test_writes_need_the_current_etag(orgs: OrgFactory) -> None:
    team, cid = _setup(orgs)
    pm = team.pms[0].api
    review = review_of(pm, cid, "self", team.pms[0].id)
    path = f"{REVIEWS}/{review['id']}"
    expect(pm.patch(path, json={"summary": "draft"}), 428)
    expect(pm.post(f"{path}/submit"), 428)
    first = etag(pm, review["id"])
    saved = pm.patch(path, json={"summary": "draft"}, headers={"If-Match": first})
    expect(saved, 200)
    assert saved.headers["ETag"] != first
    expect(pm.patch(path, json={"summary": "again"}, headers={"If-Match": first}), 412)
    current = saved.headers["ETag"]
    # If-Match compares strongly: a weak or foreign tag matches no version.
    for stale in ("nonsense", '"bogus"', f"W/{current}"):
        expect(pm.patch(path, json={"summary": "x"}, headers={"If-Match": stale}), 412)
    star = expect(pm.patch(path, json={"summary": "x"}, headers={"If-Match": "*"}), 428)
    assert "If-Match: *" in star["message"]
    assert expect(pm.get(path), 200)["summary"] == "draft"
    both = f'"bogus", {current}'  # any of the listed tags may match
    expect(pm.patch(path, json={"summary": "kept"}, headers={"If-Match": both}), 200)


def test_drafts_save_partially_and_submission_needs_every_score(orgs: OrgFactory) -> None:
    team, cid = _setup(orgs)
    pm = team.pms[0].api
    ids = team.ladder.competency_ids
    review = review_of(pm, cid, "self", team.pms[0].id)
    path = f"{REVIEWS}/{review['id']}"
    body = {"ratings": [{"competency_id": ids[0], "score": 4, "comment": "Good bets"}]}
    first = expect(pm.patch(path, json=body, headers={"If-Match": etag(pm, review["id"])}), 200)
    assert first["status"] == "in_progress"
    # A later save of another field keeps the first rating; a comment alone keeps the score.
    body = {"ratings": [{"competency_id": ids[0], "comment": "Better bets"}], "summary": "Hi"}
    second = expect(pm.patch(path, json=body, headers={"If-Match": etag(pm, review["id"])}), 200)
    assert second["ratings"] == [
        {"competency_id": ids[0], "score": 4, "comment": "Better bets", "evidence": []}
    ]
    assert second["summary"] == "Hi"

    missing = expect(pm.post(f"{path}/submit", headers={"If-Match": etag(pm, review["id"])}), 422)
    assert set(missing["errors"]["ratings"]) == set(ids[1:])
    off_scale = {"ratings": [{"competency_id": ids[1], "score": 6}]}
    bad = expect(pm.patch(path, json=off_scale, headers={"If-Match": etag(pm, review["id"])}), 422)
    assert "score" in bad["errors"]["ratings"]["0"]
    unknown = {"ratings": [{"competency_id": team.head.id, "score": 3}]}
    expect(pm.patch(path, json=unknown, headers={"If-Match": etag(pm, review["id"])}), 422)
    manager_only = {"potential": "high"}
    expect(pm.patch(path, json=manager_only, headers={"If-Match": etag(pm, review["id"])}), 422)

    done = write_review(pm, review["id"], scores(team.ladder, 3))
    assert done["status"] == "submitted"
    assert done["allowed_actions"] == []
    # Read-only now.
    expect(
        pm.patch(path, json={"summary": "late"}, headers={"If-Match": etag(pm, review["id"])}), 409
    )
    expect(pm.post(f"{path}/submit", headers={"If-Match": etag(pm, review["id"])}), 409)


def test_evidence_takes_only_http_and_https_links_within_limits(orgs: OrgFactory) -> None:
    team, cid = _setup(orgs)
    pm = team.pms[0].api
    cid0 = team.ladder.competency_ids[0]
    review = review_of(pm, cid, "self", team.pms[0].id)
    path = f"{REVIEWS}/{review['id']}"

    def save(evidence: list[dict[str, str]]) -> Any:
        body = {"ratings": [{"competency_id": cid0, "evidence": evidence}]}
        return pm.patch(path, json=body, headers={"If-Match": etag(pm, review["id"])})

    for url in (
        "javascript:alert(1)",
        "ftp://files.example/prd",
        "data:text/html,hi",
        "/relative/prd",
        "https://" + "a" * 2100 + ".example",
    ):
        expect(save([{"title": "PRD", "url": url}]), 422)
    expect(save([{"title": "", "url": "https://docs.example/prd"}]), 422)
    expect(save([{"title": "x", "url": "https://docs.example/p"}] * 11), 422)
    saved = expect(save([{"title": "Launch PRD", "url": "http://intranet/prd-42"}]), 200)
    assert saved["ratings"][0]["evidence"] == [
        {"title": "Launch PRD", "url": "http://intranet/prd-42"}
    ]


def test_only_the_reviewer_writes_and_only_admins_reopen_while_active(orgs: OrgFactory) -> None:
    team, cid = _setup(orgs)
    admin = team.org.admin.api
    pm = team.pms[0]
    review = review_of(team.manager.api, cid, "manager", pm.id)
    path = f"{REVIEWS}/{review['id']}"
    tag = etag(team.manager.api, review["id"])
    # The admin sees it but may not write it; the reviewee may not even see it.
    expect(admin.patch(path, json={"summary": "x"}, headers={"If-Match": tag}), 403)
    expect(pm.api.patch(path, json={"summary": "x"}, headers={"If-Match": tag}), 404)

    write_review(team.manager.api, review["id"], scores(team.ladder, 4))
    expect(
        team.head.api.post(f"{path}/reopen", headers={"If-Match": etag(admin, review["id"])}), 403
    )
    shown = admin.get(path)
    assert expect(shown, 200)["allowed_actions"] == ["reopen"]
    reopened = expect(
        admin.post(f"{path}/reopen", headers={"If-Match": shown.headers["ETag"]}), 200
    )
    assert reopened["status"] == "in_progress"
    expect(admin.post(f"{path}/reopen", headers={"If-Match": etag(admin, review["id"])}), 409)
    events = expect(admin.get(f"/api/v1/audit-events?entity_id={review['id']}"), 200)
    assert "reopened" in {e["action"] for e in events}

    write_review(team.manager.api, review["id"], scores(team.ladder, 4))
    expect(admin.post(f"{CYCLES}/{cid}/calibrate", json={"force": True}), 200)
    expect(admin.post(f"{path}/reopen", headers={"If-Match": etag(admin, review["id"])}), 409)
    # Nothing is written after the cycle left `active`.
    own = review_of(pm.api, cid, "self", pm.id)
    late = pm.api.patch(
        f"{REVIEWS}/{own['id']}",
        json={"summary": "late"},
        headers={"If-Match": etag(pm.api, own["id"])},
    )
    expect(late, 409)
    assert expect(pm.api.get(f"{REVIEWS}/{own['id']}"), 200)["allowed_actions"] == []


def test_of_ten_concurrent_writers_with_one_etag_exactly_one_wins(
    app: Flask, orgs: OrgFactory
) -> None:
    team, cid = _setup(orgs, pms=1)
    pm = team.pms[0]
    review = review_of(pm.api, cid, "self", pm.id)
    path = f"{REVIEWS}/{review['id']}"
    tag = etag(pm.api, review["id"])
    ids = team.ladder.competency_ids
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def write(n: int) -> None:
        api = ApiClient(app.test_client(), pm.api.token)  # a client of its own per thread
        body = {"ratings": [{"competency_id": c, "score": 1 + n % 5} for c in ids]}
        barrier.wait()
        statuses.append(
            api.patch(
                path, json={**body, "summary": f"writer {n}"}, headers={"If-Match": tag}
            ).status_code
        )

    threads = [threading.Thread(target=write, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [412] * 9
    final = pm.api.get(path)
    assert final.headers["ETag"] == '"v2"'
    body = final.get_json()
    winner = int(body["summary"].split()[-1])
    assert {r["score"] for r in body["ratings"]} == {1 + winner % 5}


def test_bad_evidence_is_a_field_error_of_its_rating(orgs: OrgFactory) -> None:
    team, cid = _setup(orgs, pms=1)
    pm = team.pms[0].api
    cid0 = team.ladder.competency_ids[0]
    review = review_of(pm, cid, "self", team.pms[0].id)
    path = f"{REVIEWS}/{review['id']}"

    def errors(evidence: list[dict[str, str]]) -> Any:
        body = {"ratings": [{"competency_id": cid0, "evidence": evidence}]}
        saved = pm.patch(path, json=body, headers={"If-Match": etag(pm, review["id"])})
        return expect(saved, 422)["errors"]["ratings"]["0"]["evidence"]

    for url in ("http://[::1", "https://docs.example/a b", "ftp://files.example/prd"):
        assert "url" in errors([{"title": "PRD", "url": url}])["0"]
    assert "title" in errors([{"title": "  ", "url": "https://docs.example/prd"}])["0"]
    assert errors([{"title": "x", "url": "https://docs.example/p"}] * 11)
    assert expect(pm.get(path), 200)["status"] == "not_started"
