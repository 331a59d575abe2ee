"""Webhooks end to end: a change, its outbox row, the deliverer, a local receiver.

The API here runs as a development set-up does (``WEBHOOKS_ALLOW_LOOPBACK=true``), so
endpoints may be http://127.0.0.1; the deliverer reaches nothing but this machine.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from flask import Flask

from service.domain.webhooks import new_signing_secret
from tests.support.api import Org, expect
from tests.support.cycles import build_team, launched_cycle, review_of, scores, write_review
from tests.support.database import owner_connection
from tests.support.webhooks import (
    WEBHOOKS,
    deactivate_someone,
    deliveries,
    local_deliverer,
    make_due,
    receiver,
    register,
    signature_matches,
)


@pytest.fixture(scope="module")
def owner(owner_url: str) -> Iterator[psycopg.Connection]:
    with owner_connection(owner_url) as connection:
        yield connection


def test_a_launch_is_delivered_signed_and_logged(dev_app: Flask, dev_org: Org) -> None:
    build_team(dev_org, pms=2)
    with receiver() as rx:
        hook = register(dev_org, rx.url, ["cycle.launched"])
        cycle = launched_cycle(dev_org.admin.api, review_types=["self", "manager"])
        (pending,) = deliveries(dev_org, hook["id"])
        assert (pending["status"], pending["attempts"]) == ("pending", [])
        payload = pending["payload"]
        assert payload["type"] == "cycle.launched"
        assert payload["data"]["cycle_id"] == cycle["id"]
        assert (payload["data"]["state"], payload["data"]["previous_state"]) == ("active", "draft")
        assert payload["data"]["participants"] == 4
        assert local_deliverer(dev_app).deliver_due() >= 1
    (received,) = rx.received
    assert signature_matches(hook["secret"], received)
    assert not signature_matches(new_signing_secret(), received)
    tampered = type(received)(received.headers, received.body.replace(b"active", b"ACTIVE"))
    assert not signature_matches(hook["secret"], tampered)
    assert json.loads(received.body) == payload
    assert received.headers["webhook-id"] == pending["event_id"]
    sent_at = datetime.fromtimestamp(int(received.headers["webhook-timestamp"]), UTC)
    assert abs((datetime.now(UTC) - sent_at).total_seconds()) < 60
    assert received.headers["content-type"] == "application/json"
    (delivered,) = deliveries(dev_org, hook["id"])
    assert (delivered["status"], delivered["next_attempt_at"]) == ("delivered", None)
    (attempt,) = delivered["attempts"]
    assert (attempt["attempt"], attempt["status_code"], attempt["error"]) == (1, 200, None)
    assert attempt["duration_ms"] >= 0
    assert delivered["delivered_at"] is not None


def test_a_failing_endpoint_is_retried_with_backoff_then_given_up(
    dev_app: Flask, dev_org: Org, owner: psycopg.Connection
) -> None:
    deliverer = local_deliverer(dev_app, max_attempts=3)
    with receiver(status=500) as rx:
        hook = register(dev_org, rx.url, ["member.deactivated"])
        member_id = deactivate_someone(dev_org)
        for attempt in (1, 2, 3):
            started = datetime.now(UTC)
            deliverer.deliver_due()
            (delivery,) = deliveries(dev_org, hook["id"])
            assert len(delivery["attempts"]) == attempt
            if attempt < 3:
                assert delivery["status"] == "pending"
                wait = datetime.fromisoformat(delivery["next_attempt_at"]) - started
                nominal = 30 * 4 ** (attempt - 1)  # 30 s, then 2 min, spread by 20 %
                assert nominal * 0.8 - 1 <= wait.total_seconds() <= nominal * 1.2 + 5
                deliverer.deliver_due()  # not due yet: nothing is sent
                assert len(rx.received) == attempt
                make_due(owner, delivery["id"])
        deliverer.deliver_due()
    assert len(rx.received) == 3
    assert len({r.headers["webhook-id"] for r in rx.received}) == 1
    assert (delivery["status"], delivery["next_attempt_at"], delivery["delivered_at"]) == (
        "failed",
        None,
        None,
    )
    assert [(a["attempt"], a["status_code"]) for a in delivery["attempts"]] == [
        (1, 500),
        (2, 500),
        (3, 500),
    ]
    data = delivery["payload"]["data"]
    assert (data["member_id"], data["status"]) == (member_id, "deactivated")
    assert "password" not in json.dumps(delivery["payload"])
    # Removing the endpoint removes its log too (a cascade the request role may not do
    # by hand: it can neither delete deliveries nor attempts).
    expect(dev_org.admin.api.delete(f"{WEBHOOKS}/{hook['id']}"), 204)
    left = owner.execute(
        "SELECT (SELECT count(*) FROM webhook_deliveries WHERE org_id = %(org)s),"
        " (SELECT count(*) FROM webhook_attempts WHERE org_id = %(org)s)",
        {"org": dev_org.id},
    ).fetchone()
    assert left == (0, 0)


def test_an_unreachable_endpoint_records_the_error(dev_app: Flask, dev_org: Org) -> None:
    with receiver() as rx:
        url = rx.url
    hook = register(dev_org, url, ["member.deactivated"])  # nobody listens there any more
    deactivate_someone(dev_org)
    local_deliverer(dev_app).deliver_due()
    (delivery,) = deliveries(dev_org, hook["id"])
    (attempt,) = delivery["attempts"]
    assert attempt["status_code"] is None
    assert "ConnectError" in attempt["error"]
    assert delivery["status"] == "pending"
    expect(dev_org.admin.api.patch(f"{WEBHOOKS}/{hook['id']}", json={"active": False}), 200)


def test_a_rotated_secret_signs_beside_the_previous_one_for_its_grace_period(
    dev_app: Flask, dev_org: Org
) -> None:
    deliverer = local_deliverer(dev_app)
    with receiver() as rx:
        hook = register(dev_org, rx.url, ["member.deactivated"])
        path = f"{WEBHOOKS}/{hook['id']}/rotate-secret"
        rotated = expect(dev_org.admin.api.post(path), 200)["secret"]
        deactivate_someone(dev_org)
        deliverer.deliver_due()
        retired = expect(dev_org.admin.api.post(path, json={"grace_period_seconds": 0}), 200)[
            "secret"
        ]
        deactivate_someone(dev_org)
        deliverer.deliver_due()
    during, after = rx.received
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert signature_matches(rotated, during)
    assert signature_matches(hook["secret"], during)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert signature_matches(retired, after)
    assert not signature_matches(rotated, after)


def test_a_peer_or_upward_review_is_announced_without_its_reviewer(
    dev_app: Flask, dev_org: Org
) -> None:
    team = build_team(dev_org, pms=1)
    hook = register(dev_org, "http://127.0.0.1:9/hooks", ["review.submitted"])
    cycle = launched_cycle(dev_org.admin.api, review_types=["self", "upward"])
    pm = team.pms[0]
    marks = scores(team.ladder, 3)
    for kind, reviewee in (("upward", team.manager.id), ("self", pm.id)):
        review = review_of(pm.api, cycle["id"], kind, reviewee)
        write_review(pm.api, review["id"], marks, comment="confidential words", summary="x")
    payloads = {d["payload"]["data"]["type"]: d["payload"] for d in deliveries(dev_org, hook["id"])}
    upward, own = payloads["upward"]["data"], payloads["self"]["data"]
    assert set(upward) == {"review_id", "cycle_id", "reviewee_id", "type", "status"}
    assert (upward["reviewee_id"], upward["status"]) == (team.manager.id, "submitted")
    assert pm.id not in json.dumps(payloads["upward"])
    assert own["reviewer_id"] == pm.id
    assert "confidential" not in json.dumps(payloads)
    expect(dev_org.admin.api.patch(f"{WEBHOOKS}/{hook['id']}", json={"active": False}), 200)


def test_events_go_only_to_active_endpoints_subscribed_to_them(dev_org: Org) -> None:
    wanted = register(dev_org, "http://127.0.0.1:9/a", ["member.deactivated"])
    other = register(dev_org, "http://127.0.0.1:9/b", ["cycle.launched"])
    paused = register(dev_org, "http://127.0.0.1:9/c", ["member.deactivated"])
    expect(dev_org.admin.api.patch(f"{WEBHOOKS}/{paused['id']}", json={"active": False}), 200)
    deactivate_someone(dev_org)
    counts = [len(deliveries(dev_org, h["id"])) for h in (wanted, other, paused)]
    assert counts == [1, 0, 0]
    expect(dev_org.admin.api.patch(f"{WEBHOOKS}/{wanted['id']}", json={"active": False}), 200)
