"""Who sees which review: blindness, release, anonymity, reporting lines, tenants."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.api import ApiClient, Org, OrgFactory, Person, expect
from tests.support.cycles import (
    CYCLES,
    Team,
    build_team,
    launched_cycle,
    review_of,
    scores,
    write_review,
)

REVIEWS = "/api/v1/reviews"


def _ids(api: ApiClient, query: str = "") -> set[str]:
    return {r["id"] for r in expect(api.get(f"{REVIEWS}?page_size=100&{query}"), 200)}


def _visible(api: ApiClient, review_id: str) -> dict[str, Any] | None:
    response = api.get(f"{REVIEWS}/{review_id}")
    if response.status_code == 404:
        return None
    body: dict[str, Any] = expect(response, 200)
    return body


def _nominate(team: Team, cid: str, reviewee: Person, peers: list[Person]) -> None:
    expect(
        team.manager.api.post(
            f"{CYCLES}/{cid}/peer-nominations",
            json={"reviewee_id": reviewee.id, "reviewer_ids": [p.id for p in peers]},
        ),
        201,
    )


def test_blind_until_both_are_submitted_and_nothing_for_the_reviewee_before_release(
    orgs: OrgFactory,
) -> None:
    org = orgs.create()
    team = build_team(org, pms=2)
    admin, manager = org.admin.api, team.manager.api
    pm, peer = team.pms
    cid = launched_cycle(admin)["id"]
    _nominate(team, cid, pm, [peer])
    own = review_of(pm.api, cid, "self", pm.id)
    managers = review_of(manager, cid, "manager", pm.id)
    peers = review_of(peer.api, cid, "peer", pm.id)

    write_review(pm.api, own["id"], scores(team.ladder, 3))
    # The manager still writes theirs: the submitted self review stays hidden.
    assert _visible(manager, own["id"]) is None
    assert own["id"] not in _ids(manager, f"reviewee_id={pm.id}")
    write_review(manager, managers["id"], scores(team.ladder, 4), submit=False)
    assert _visible(manager, own["id"]) is None
    write_review(manager, managers["id"], scores(team.ladder, 4))
    assert _visible(manager, own["id"]) is not None
    # The peer review is not submitted: still hidden from the manager.
    assert _visible(manager, peers["id"]) is None
    write_review(peer.api, peers["id"], scores(team.ladder, 2))
    shown = _visible(manager, peers["id"])
    assert shown is not None
    assert "reviewer_id" not in shown  # anonymous to the manager

    # The head of product above sees submitted reviews of the subtree, peers anonymous.
    head_view = _visible(team.head.api, peers["id"])
    assert head_view is not None
    assert "reviewer_id" not in head_view
    assert _visible(team.head.api, managers["id"])["reviewer_id"] == team.manager.id  # type: ignore[index]

    # The reviewee sees only what they write, until release; then their manager review.
    assert _ids(pm.api) == {r["id"] for r in expect(pm.api.get("/api/v1/me/reviews"), 200)}
    assert _visible(pm.api, managers["id"]) is None
    assert _visible(pm.api, peers["id"]) is None
    # A peer reviewer sees only the review they write.
    assert _ids(peer.api, f"reviewee_id={pm.id}") == {peers["id"]}
    assert _visible(peer.api, own["id"]) is None

    expect(admin.post(f"{CYCLES}/{cid}/calibrate", json={"force": True}), 200)
    assert _visible(pm.api, managers["id"]) is None
    expect(admin.post(f"{CYCLES}/{cid}/release"), 200)
    released = _visible(pm.api, managers["id"])
    assert released is not None
    assert released["reviewer_id"] == team.manager.id
    assert _visible(pm.api, peers["id"]) is None  # peers reach them only aggregated


def test_a_pm_never_reads_another_pms_review_and_lists_agree_with_reads(
    orgs: OrgFactory,
) -> None:
    org = orgs.create()
    team = build_team(org, pms=3)
    other = build_team(org, pms=1, head=team.head)
    admin = org.admin.api
    cid = launched_cycle(admin)["id"]
    _nominate(team, cid, team.pms[0], team.pms[1:])
    every = expect(admin.get(f"{REVIEWS}?cycle_id={cid}&page_size=100"), 200)
    people = {p.id: p for p in [*team.everyone, *other.everyone]}
    # Half submitted, half not: blindness and drafts both in play.
    for review in every[::2]:
        write_review(people[review["reviewer_id"]].api, review["id"], scores(team.ladder, 3))
    # Every caller: the list shows exactly the reviews a read by id shows, and each
    # exactly as that read does (the list is written without marshmallow), but for the
    # role's expectations, which only a review read alone carries.
    for person in [org.admin, *team.everyone, *other.everyone]:
        listed = {
            r["id"]: r
            for r in expect(person.api.get(f"{REVIEWS}?cycle_id={cid}&page_size=100"), 200)
        }
        readable = {r["id"]: _visible(person.api, r["id"]) for r in every}
        alone = {
            k: {f: x for f, x in v.items() if f != "expectations"}
            for k, v in readable.items()
            if v is not None
        }
        assert listed == alone, person
    # A PM without reports reads only their own.
    for pm in team.pms:
        mine = {r["id"] for r in every if r["reviewer_id"] == pm.id}
        assert _ids(pm.api, f"cycle_id={cid}") == mine
    # A manager never reads reviews of another manager's people.
    theirs = {r["id"] for r in every if r["reviewee_id"] in {p.id for p in other.pms}}
    assert not theirs & _ids(team.manager.api, f"cycle_id={cid}")


def test_filtering_by_someone_elses_id_never_names_anonymous_authors(orgs: OrgFactory) -> None:
    org = orgs.create()
    team = build_team(org, pms=3)
    admin = org.admin.api
    cid = launched_cycle(admin)["id"]
    pm, peer = team.pms[0], team.pms[1]
    _nominate(team, cid, pm, [peer, team.pms[2]])
    for p in team.pms[1:]:
        write_review(p.api, review_of(p.api, cid, "peer", pm.id)["id"], scores(team.ladder, 3))
    write_review(peer.api, review_of(peer.api, cid, "self", peer.id)["id"], scores(team.ladder, 3))
    for p in (pm, peer):
        own = review_of(team.manager.api, cid, "manager", p.id)
        write_review(team.manager.api, own["id"], scores(team.ladder, 3))
    mine = team.manager.api.get(f"{REVIEWS}?cycle_id={cid}&reviewer_id={peer.id}&page_size=100")
    assert [r["type"] for r in expect(mine, 200)] == ["self"]
    everyone = expect(team.manager.api.get(f"{REVIEWS}?cycle_id={cid}&type=peer"), 200)
    assert len(everyone) == 2
    assert all("reviewer_id" not in r for r in everyone)
    assert (
        len(expect(admin.get(f"{REVIEWS}?cycle_id={cid}&reviewer_id={peer.id}&type=peer"), 200))
        == 1
    )


def _released_with_peers(org: Org, submitted: int, threshold: int) -> tuple[Team, str, Person]:
    admin = org.admin.api
    expect(
        admin.patch("/api/v1/org", json={"settings": {"peer_anonymity_threshold": threshold}}), 200
    )
    team = build_team(org, pms=threshold + 1)
    pm, peers = team.pms[0], team.pms[1:]
    cid = launched_cycle(admin)["id"]
    _nominate(team, cid, pm, peers)
    for n, peer in enumerate(peers[:submitted]):
        review = review_of(peer.api, cid, "peer", pm.id)
        write_review(
            peer.api, review["id"], scores(team.ladder, 2 + n % 3), comment=f"peer {n} says hi"
        )
    # Upward reviews of the manager: every PM writes one (the threshold decides).
    for n, person in enumerate(team.pms[:submitted]):
        review = review_of(person.api, cid, "upward", team.manager.id)
        write_review(person.api, review["id"], scores(team.ladder, 4), summary=f"upward {n}")
    expect(admin.post(f"{CYCLES}/{cid}/calibrate", json={"force": True}), 200)
    expect(admin.post(f"{CYCLES}/{cid}/release"), 200)
    return team, cid, pm


def test_peer_and_upward_feedback_below_the_threshold_is_a_count(orgs: OrgFactory) -> None:
    team, _, pm = _released_with_peers(orgs.create(), submitted=2, threshold=3)
    item = expect(pm.api.get("/api/v1/me/feedback"), 200)[0]
    assert item["peer_feedback"] == {"count": 2}
    upward = expect(team.manager.api.get("/api/v1/me/feedback"), 200)[0]["upward_feedback"]
    assert upward == {"count": 2}


def test_peer_and_upward_feedback_at_the_threshold_shows_comments_unattributed(
    orgs: OrgFactory,
) -> None:
    team, _, pm = _released_with_peers(orgs.create(), submitted=3, threshold=3)
    item = expect(pm.api.get("/api/v1/me/feedback"), 200)[0]
    peer = item["peer_feedback"]
    assert peer["count"] == 3
    texts = [c["text"] for c in peer["comments"]]
    assert sorted(set(texts)) == ["peer 0 says hi", "peer 1 says hi", "peer 2 says hi"]
    # Sorted by competency then text: the order says nothing about who wrote what.
    order = {c: i for i, c in enumerate(team.ladder.competency_ids)}
    keys = [(order[c["competency_id"]], c["text"]) for c in peer["comments"]]
    assert keys == sorted(keys)
    text = str(item)
    assert all(p.id not in text for p in team.pms[1:])
    upward = expect(team.manager.api.get("/api/v1/me/feedback"), 200)[0]["upward_feedback"]
    assert upward["count"] == 3
    assert sorted(c["text"] for c in upward["comments"]) == ["upward 0", "upward 1", "upward 2"]
    assert {r["mean"] for r in upward["ratings"]} == {4.0}
    assert all(p.id not in str(upward) for p in team.pms)


def test_another_organisations_reviews_and_cycles_are_not_found(orgs: OrgFactory) -> None:
    mine, theirs = orgs.create(), orgs.create()
    build_team(mine, pms=1)
    team = build_team(theirs, pms=1)
    cid = launched_cycle(theirs.admin.api)["id"]
    review = review_of(team.pms[0].api, cid, "self", team.pms[0].id)
    api = mine.admin.api
    random_review, random_cycle = uuid.uuid4(), uuid.uuid4()
    for foreign, missing in (
        (api.get(f"{REVIEWS}/{review['id']}"), api.get(f"{REVIEWS}/{random_review}")),
        (api.get(f"{CYCLES}/{cid}"), api.get(f"{CYCLES}/{random_cycle}")),
        (api.get(f"{CYCLES}/{cid}/participants"), api.get(f"{CYCLES}/{random_cycle}/participants")),
        (api.post(f"{CYCLES}/{cid}/cancel"), api.post(f"{CYCLES}/{random_cycle}/cancel")),
        (
            api.patch(f"{REVIEWS}/{review['id']}", json={}, headers={"If-Match": '"v1"'}),
            api.patch(f"{REVIEWS}/{random_review}", json={}, headers={"If-Match": '"v1"'}),
        ),
    ):
        assert foreign.status_code == missing.status_code == 404
        assert foreign.get_json() == missing.get_json()
    assert _ids(api) == set()
    assert expect(api.get(CYCLES), 200) == []
    assert expect(theirs.admin.api.get(f"{CYCLES}/{cid}"), 200)["state"] == "active"
