"""A member deactivated while something is written for them, in either order.

A deactivation withdraws, in active cycles, the reviews its member had still to write
or be reviewed on, and hands their manager reviews over; it takes the organisation's
reporting-lines lock first. A launch and a peer nomination create such reviews: they
take the same lock, so one of the two requests waits for the other to commit, and no
open review is left to someone who has left. Each test holds one request inside its
transaction (``Held``), runs the other against it, and lets the first commit only once
the second is seen waiting (``interleave``); without the lock the second does not
wait, and an open review of the departed member remains.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from service.adapters.cycle_launch import SqlCycleLaunch
from service.adapters.review_repositories import SqlReviewRepository
from service.adapters.unit_of_work import SqlUnitOfWork
from service.application import peer_nominations
from tests.api.test_cycles_state_locks import Held, interleave
from tests.support.api import ApiClient, Org, OrgFactory, Person, expect
from tests.support.cycles import CYCLES, Team, build_team, launched_cycle, new_cycle
from tests.support.webhooks import PUBLIC_URL, WEBHOOKS, deliveries, register


def _client(app: Flask, person: Person) -> ApiClient:
    """A client of its own, for a request on another thread."""
    return ApiClient(app.test_client(), person.api.token)


def _deactivating(app: Flask, org: Org, person: Person) -> Any:
    admin = _client(app, org.admin)
    return lambda: admin.post(f"/api/v1/members/{person.id}/deactivate")


def _open_reviews_of(org: Org, cycle_id: str, person: Person) -> list[dict[str, Any]]:
    """The reviews in the cycle that ``person`` has still to write, or be reviewed on."""
    found: list[dict[str, Any]] = []
    for side in ("reviewer_id", "reviewee_id"):
        query = f"cycle_id={cycle_id}&{side}={person.id}&page_size=100"
        found += expect(org.admin.api.get(f"/api/v1/reviews?{query}"), 200)
    return [r for r in found if r["status"] != "submitted"]


def _withdrawing_reviews(monkeypatch: pytest.MonkeyPatch) -> Held:
    """A deactivation, held once it has withdrawn its member's open reviews."""
    return Held(monkeypatch, SqlReviewRepository, "withdraw_open_reviews", lambda r: r.session)


def _launch_scene(app: Flask, orgs: OrgFactory) -> tuple[Team, dict[str, Any], Any]:
    """A team, a draft cycle of self and manager reviews, and its launch to run."""
    org = orgs.create()
    team = build_team(org, pms=2)
    cycle = new_cycle(org.admin.api, review_types=["self", "manager"])
    admin = _client(app, org.admin)
    return team, cycle, lambda: admin.post(f"{CYCLES}/{cycle['id']}/launch")


def test_a_manager_deactivated_during_a_launch_keeps_no_open_review(
    app: Flask, orgs: OrgFactory, owner_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    team, cycle, launch = _launch_scene(app, orgs)
    held = Held(monkeypatch, SqlCycleLaunch, "launch", lambda launcher: launcher.session)

    race = interleave(owner_url, held, launch, _deactivating(app, team.org, team.manager))

    expect(race.held, 200)
    expect(race.then, 200)
    assert _open_reviews_of(team.org, cycle["id"], team.manager) == []
    # Their reports' manager reviews went to the manager above.
    for pm in team.pms:
        (review,) = expect(
            team.org.admin.api.get(
                f"/api/v1/reviews?cycle_id={cycle['id']}&reviewee_id={pm.id}&type=manager"
            ),
            200,
        )
        assert review["reviewer_id"] == team.head.id
    assert race.waited, "the deactivation did not wait for the launch in flight"


def test_a_launch_during_a_deactivation_leaves_the_departed_member_out(
    app: Flask, orgs: OrgFactory, owner_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    team, cycle, launch = _launch_scene(app, orgs)
    held = _withdrawing_reviews(monkeypatch)

    race = interleave(owner_url, held, _deactivating(app, team.org, team.manager), launch)

    expect(race.held, 200)
    launched = expect(race.then, 200)
    assert _open_reviews_of(team.org, cycle["id"], team.manager) == []
    assert launched["participant_count"] == 3  # the head and the two PMs
    assert race.waited, "the launch did not wait for the deactivation in flight"


def _nomination_scene(app: Flask, orgs: OrgFactory) -> tuple[Team, dict[str, Any], Any]:
    """An active cycle, and the manager's nomination of one PM as another's peer."""
    org = orgs.create()
    team = build_team(org, pms=2)
    cycle = launched_cycle(org.admin.api)
    manager = _client(app, team.manager)
    body = {"reviewee_id": team.pms[0].id, "reviewer_ids": [team.pms[1].id]}
    return team, cycle, lambda: manager.post(f"{CYCLES}/{cycle['id']}/peer-nominations", json=body)


def test_a_peer_deactivated_during_their_nomination_keeps_no_open_review(
    app: Flask, orgs: OrgFactory, owner_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    team, cycle, nominate = _nomination_scene(app, orgs)
    peer = team.pms[1]
    held = Held(
        monkeypatch, peer_nominations, "_refuse_managers_as_peers", lambda ctx: ctx.uow.session
    )

    race = interleave(owner_url, held, nominate, _deactivating(app, team.org, peer))

    expect(race.held, 201)
    expect(race.then, 200)
    assert _open_reviews_of(team.org, cycle["id"], peer) == []
    assert race.waited, "the deactivation did not wait for the nomination in flight"


def test_a_nomination_during_the_peers_deactivation_is_refused(
    app: Flask, orgs: OrgFactory, owner_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    team, cycle, nominate = _nomination_scene(app, orgs)
    peer = team.pms[1]
    held = _withdrawing_reviews(monkeypatch)

    race = interleave(owner_url, held, _deactivating(app, team.org, peer), nominate)

    expect(race.held, 200)
    refused = expect(race.then, 422)
    assert "active members" in refused["message"]
    assert _open_reviews_of(team.org, cycle["id"], peer) == []
    assert race.waited, "the nomination did not wait for the deactivation in flight"


def test_a_change_published_while_its_endpoint_is_deleted_skips_that_endpoint(
    app: Flask, orgs: OrgFactory, owner_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = orgs.create()
    doomed = register(org, PUBLIC_URL)
    kept = register(org, PUBLIC_URL)
    person = org.add_member()
    admin = _client(app, org.admin)
    # The deletion's flush, in its commit: the row is deleted, not yet committed.
    held = Held(monkeypatch, SqlUnitOfWork, "flush", lambda uow: uow.session)

    race = interleave(
        owner_url,
        held,
        lambda: admin.delete(f"{WEBHOOKS}/{doomed['id']}"),
        _deactivating(app, org, person),
    )

    assert race.held.status_code == 204
    expect(race.then, 200)
    expect(org.admin.api.get(f"{WEBHOOKS}/{doomed['id']}"), 404)
    (delivery,) = deliveries(org, kept["id"])
    assert delivery["payload"]["data"]["member_id"] == person.id
    assert race.waited, "the change did not wait for the endpoint's deletion"
    # Nothing left due to a public address for the command-line deliverer's test.
    expect(org.admin.api.delete(f"{WEBHOOKS}/{kept['id']}"), 204)
