"""What a receiver's answer and an admin's changes do to the deliveries queued: 410 Gone
stops the endpoint, an inactive endpoint's deliveries wait and fall due at once when it
is active again, and unsubscribing drops what was queued of that type."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from flask import Flask

from tests.support.api import Org, expect
from tests.support.webhooks import (
    NOBODY,
    WEBHOOKS,
    deactivate_someone,
    deliveries,
    local_deliverer,
    receiver,
    register,
)


def _pause(org: Org, webhook_id: str, active: bool = False) -> dict[str, object]:
    changed: dict[str, object] = expect(
        org.admin.api.patch(f"{WEBHOOKS}/{webhook_id}", json={"active": active}), 200
    )
    return changed


def test_a_410_gone_fails_the_delivery_and_deactivates_the_endpoint(
    dev_app: Flask, dev_org: Org, caplog: pytest.LogCaptureFixture
) -> None:
    with receiver(status=410) as rx:
        hook = register(dev_org, rx.url)
        etag = dev_org.admin.api.get(f"{WEBHOOKS}/{hook['id']}").headers["ETag"]
        deactivate_someone(dev_org)
        deactivate_someone(dev_org)
        caplog.set_level(logging.INFO, logger="service.webhooks")
        local_deliverer(dev_app).deliver_due()
    # One attempt: the endpoint asked for no more, so the other delivery waits.
    assert len(rx.received) == 1
    later, earlier = deliveries(dev_org, hook["id"])
    assert (earlier["status"], earlier["next_attempt_at"]) == ("failed", None)
    assert [a["status_code"] for a in earlier["attempts"]] == [410]
    assert "410 Gone" in earlier["failure"]
    assert (later["status"], later["attempts"], later["failure"]) == ("pending", [], None)
    read = dev_org.admin.api.get(f"{WEBHOOKS}/{hook['id']}")
    assert expect(read, 200)["active"] is False
    assert read.headers["ETag"] != etag
    # Audited as the service's doing (no actor), in the transaction of the attempt.
    log = expect(dev_org.admin.api.get(f"/api/v1/audit-events?entity_id={hook['id']}"), 200)
    (gone,) = [e for e in log if e["action"] == "deactivated"]
    assert gone["actor_id"] is None
    assert (gone["before"], gone["after"]) == (
        {"active": True},
        {"active": False, "reason": "gone", "delivery_id": earlier["id"]},
    )
    (logged,) = [r for r in caplog.records if "410 Gone" in r.getMessage()]
    assert logged.levelno == logging.WARNING
    assert getattr(logged, "webhook_id", None) == hook["id"]
    # No new event is queued for it; reactivated, it gets the one that waited.
    deactivate_someone(dev_org)
    assert len(deliveries(dev_org, hook["id"])) == 2
    with receiver() as rx:
        expect(
            dev_org.admin.api.patch(
                f"{WEBHOOKS}/{hook['id']}", json={"url": rx.url, "active": True}
            ),
            200,
        )
        local_deliverer(dev_app).deliver_due()
    assert [r.headers["webhook-id"] for r in rx.received] == [later["event_id"]]
    _pause(dev_org, hook["id"])


def test_a_paused_endpoint_gets_its_waiting_deliveries_at_once_when_resumed(
    dev_app: Flask, dev_org: Org
) -> None:
    deliverer = local_deliverer(dev_app)
    with receiver(status=500) as rx:
        hook = register(dev_org, rx.url)
        deactivate_someone(dev_org)
        deliverer.deliver_due()
    (failed_once,) = deliveries(dev_org, hook["id"])
    retry_at = datetime.fromisoformat(failed_once["next_attempt_at"])
    assert retry_at > datetime.now(UTC)  # the backoff: about 30 s away
    _pause(dev_org, hook["id"])
    (waiting,) = deliveries(dev_org, hook["id"])
    assert (waiting["status"], waiting["next_attempt_at"]) == (
        "pending",
        failed_once["next_attempt_at"],
    )
    with receiver() as rx:
        expect(
            dev_org.admin.api.patch(
                f"{WEBHOOKS}/{hook['id']}", json={"url": rx.url, "active": True}
            ),
            200,
        )
        (resumed,) = deliveries(dev_org, hook["id"])
        assert datetime.fromisoformat(resumed["next_attempt_at"]) <= datetime.now(UTC)
        deliverer.deliver_due()
    assert len(rx.received) == 1
    (delivered,) = deliveries(dev_org, hook["id"])
    assert delivered["status"] == "delivered"
    _pause(dev_org, hook["id"])


def test_unsubscribing_drops_the_deliveries_queued_of_that_type(dev_org: Org) -> None:
    hook = register(dev_org, NOBODY, ["member.deactivated", "cycle.launched"])
    path = f"{WEBHOOKS}/{hook['id']}"
    deactivate_someone(dev_org)
    # Still subscribed to the type: kept.
    expect(dev_org.admin.api.patch(path, json={"events": ["member.deactivated"]}), 200)
    (kept,) = deliveries(dev_org, hook["id"])
    assert (kept["status"], kept["failure"]) == ("pending", None)
    # No longer: dropped, with the reason, and never sent.
    expect(dev_org.admin.api.patch(path, json={"events": ["cycle.launched"]}), 200)
    (dropped,) = deliveries(dev_org, hook["id"])
    assert (dropped["status"], dropped["next_attempt_at"], dropped["attempts"]) == (
        "failed",
        None,
        [],
    )
    assert dropped["failure"] == "The endpoint stopped subscribing to member.deactivated."
    # Subscribing again does not bring it back.
    expect(dev_org.admin.api.patch(path, json={"events": ["member.deactivated"]}), 200)
    (still,) = deliveries(dev_org, hook["id"])
    assert still["status"] == "failed"
    _pause(dev_org, hook["id"])
