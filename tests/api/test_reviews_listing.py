"""The review list is written by PostgreSQL (migration 0006, ``adapters/review_list.py``):
it must answer each review exactly as reading it alone does, after every kind of write,
whoever made it, whatever its text holds."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask

from tests.support.api import ApiClient, OrgFactory, Person, expect
from tests.support.cycles import CYCLES, build_team, etag, launched_cycle, review_of
from tests.support.database import owner_connection

REVIEWS = "/api/v1/reviews"
#: Quotes, a backslash, control characters, markup, accents and an emoji.
AWKWARD = 'She said "ship it" \\ then\n\tleft. </script> Déjà vu 🚀 \u2028 \x01'


def _listed_as_read(api: ApiClient, cycle_id: str) -> list[dict[str, Any]]:
    """Every review the caller lists, checked equal to reading it alone (but for its
    role's expectations, which only a review read alone carries)."""
    listed: list[dict[str, Any]] = expect(
        api.get(f"{REVIEWS}?cycle_id={cycle_id}&page_size=100"), 200
    )
    for review in listed:
        alone = expect(api.get(f"{REVIEWS}/{review['id']}"), 200)
        assert "expectations" not in review
        assert "expectations" in alone
        del alone["expectations"]
        assert review == alone
    order = [(r["cycle_id"], r["reviewee_id"], r["type"], r["id"]) for r in listed]
    assert order == sorted(order)  # never by reviewer: that would name anonymous ones
    return listed


def _save(person: Person, review_id: str, body: dict[str, Any]) -> None:
    headers = {"If-Match": etag(person.api, review_id)}
    expect(person.api.patch(f"{REVIEWS}/{review_id}", json=body, headers=headers), 200)


def test_a_listed_review_follows_every_write_exactly_as_a_read_does(orgs: OrgFactory) -> None:
    org = orgs.create()
    team = build_team(org, pms=1)
    admin, manager, pm = org.admin.api, team.manager, team.pms[0]
    cid = launched_cycle(admin)["id"]
    review = review_of(manager.api, cid, "manager", pm.id)
    first, *others = team.ladder.competency_ids
    viewers = (manager.api, admin, team.head.api)

    # A partial draft, in the reverse of the cycle's order, with awkward text.
    ratings = [{"competency_id": c, "score": 3} for c in reversed(others)]
    _save(manager, review["id"], {"ratings": ratings, "summary": AWKWARD, "potential": "high"})
    assert [
        r["competency_id"] for r in review_of(manager.api, cid, "manager", pm.id)["ratings"]
    ] == others
    for api in viewers:
        _listed_as_read(api, cid)

    # One rating changed, one added with evidence; the rest kept.
    evidence = [{"title": AWKWARD, "url": 'https://docs.example/prd?q="x"&y=1'}]
    _save(
        manager,
        review["id"],
        {
            "ratings": [
                {"competency_id": first, "score": 5, "comment": AWKWARD, "evidence": evidence}
            ]
        },
    )
    listed = {r["id"]: r for r in _listed_as_read(manager.api, cid)}
    assert listed[review["id"]]["ratings"][0]["evidence"] == evidence

    headers = {"If-Match": etag(manager.api, review["id"])}
    expect(manager.api.post(f"{REVIEWS}/{review['id']}/submit", headers=headers), 200)
    for api in viewers:
        _listed_as_read(api, cid)

    headers = {"If-Match": etag(admin, review["id"])}
    expect(admin.post(f"{REVIEWS}/{review['id']}/reopen", headers=headers), 200)
    for api in viewers:
        _listed_as_read(api, cid)


def test_reviews_written_in_bulk_and_whole_seconds_are_listed_as_read(
    orgs: OrgFactory, owner_url: str
) -> None:
    """Ratings written by SQL (a data fix, a bulk fill) reach the list too; a time with
    no fraction of a second is written as Python writes it (no ``.000000``)."""
    org = orgs.create()
    team = build_team(org, pms=2)
    admin = org.admin.api
    cid = launched_cycle(admin)["id"]
    with owner_connection(owner_url) as owner:
        values = {"cycle": cid, "comment": AWKWARD}
        owner.execute(
            """
            INSERT INTO review_ratings (org_id, id, review_id, competency_id, score, comment)
            SELECT r.org_id, gen_random_uuid(), r.id, cc.competency_id, 2 + cc.position,
                   %(comment)s
            FROM reviews r
            JOIN cycle_competencies cc ON cc.org_id = r.org_id AND cc.cycle_id = r.cycle_id
            WHERE r.cycle_id = %(cycle)s
            """,
            values,
        )
        owner.execute(
            "UPDATE reviews SET status = 'submitted', submitted_at = '2026-07-01T10:00:00Z',"
            " updated_at = '2026-07-01T10:00:00.5Z' WHERE cycle_id = %(cycle)s",
            values,
        )
    listed = _listed_as_read(admin, cid)
    assert len(listed) == 4 + 3 + 3  # self, manager, upward
    assert all(len(r["ratings"]) == len(team.ladder.competency_ids) for r in listed)
    assert {r["submitted_at"] for r in listed} == {"2026-07-01T10:00:00+00:00"}
    with owner_connection(owner_url) as owner:
        owner.execute(
            "DELETE FROM review_ratings WHERE review_id IN"
            " (SELECT id FROM reviews WHERE cycle_id = %s)",
            (cid,),
        )
    assert all(r["ratings"] == [] for r in _listed_as_read(admin, cid))


def test_pages_add_up_to_the_list_and_say_how_many_there_are(orgs: OrgFactory) -> None:
    """X-Pagination's total counts what the caller may see, on every page, past the last
    one too (an admin's is counted apart from the page, a manager's with it)."""
    org = orgs.create()
    team = build_team(org, pms=3)
    cid = launched_cycle(org.admin.api)["id"]
    for person in (org.admin, team.head, team.manager, team.pms[0]):
        whole = expect(person.api.get(f"{REVIEWS}?cycle_id={cid}&page_size=100"), 200)
        pages, number = [], 1
        while True:
            response = person.api.get(f"{REVIEWS}?cycle_id={cid}&page_size=3&page={number}")
            page = expect(response, 200)
            assert json.loads(response.headers["X-Pagination"])["total"] == len(whole)
            if not page:
                break
            pages += page
            number += 1
        assert pages == whole
        assert number == (len(whole) + 2) // 3 + 1


def test_the_list_runs_as_a_prepared_statement(app: Flask, orgs: OrgFactory) -> None:
    """Planned once per connection: planning it cost PostgreSQL as much as running it."""
    org = orgs.create()
    team = build_team(org, pms=1)
    cid = launched_cycle(org.admin.api)["id"]
    engine = app.extensions["review_engine"]
    engine.dispose()  # one connection from here on: the requests' and the check's
    for api in (org.admin.api, team.manager.api, team.pms[0].api):
        expect(api.get(f"{REVIEWS}?cycle_id={cid}"), 200)
        expect(api.get(f"{CYCLES}/{cid}"), 200)
    with engine.connect() as conn:
        prepared = conn.exec_driver_sql("SELECT statement FROM pg_prepared_statements").all()
    assert sum("listed_json" in row[0] for row in prepared) == 2  # an admin's, a manager's
