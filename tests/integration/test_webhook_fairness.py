"""Fair delivery end to end: one organisation's backlog to a slow receiver does not hold
up another organisation's delivery, and a deliverer has as many messages on their way
as its concurrency allows, and no more of one organisation's than the cap."""

from __future__ import annotations

import threading
import time

import pytest
from flask import Flask

from service.application.webhook_delivery import Deliverer
from tests.support.api import Org, OrgFactory, expect
from tests.support.webhooks import (
    WEBHOOKS,
    deactivate_someone,
    deliveries,
    local_deliverer,
    receiver,
    register,
)

#: How long the slow receiver takes to answer each message.
SLOW = 1.5
BACKLOG = 10


def _pause(org: Org, webhook_id: str) -> None:
    expect(org.admin.api.patch(f"{WEBHOOKS}/{webhook_id}", json={"active": False}), 200)


def _in_background(deliverer: Deliverer, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=deliverer.deliver_due, args=(stop,))
    thread.start()
    return thread


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_backlog_to_a_slow_receiver_does_not_hold_up_another_organisation(
    dev_app: Flask, concurrency: int
) -> None:
    orgs = OrgFactory(dev_app.test_client())
    busy, quiet = orgs.create(), orgs.create()
    deliverer = local_deliverer(dev_app, concurrency=concurrency)
    stop = threading.Event()
    with receiver(delay=SLOW) as slow, receiver() as fast:
        busy_hook = register(busy, slow.url)
        for _ in range(BACKLOG):
            deactivate_someone(busy)
        quiet_hook = register(quiet, fast.url)
        deactivate_someone(quiet)  # due after every one of busy's
        started = time.monotonic()
        thread = _in_background(deliverer, stop)
        try:
            assert fast.arrived.wait(30)
        finally:
            stop.set()
            thread.join(30)
    waited = fast.received[0].arrived_at - started
    # In the order they fell due it would wait for the whole backlog (15 s with one
    # message at a time); it waits for at most one of busy's messages.
    assert waited < SLOW + 1.0, waited
    assert len(slow.received) <= concurrency
    (delivered,) = deliveries(quiet, quiet_hook["id"])
    assert delivered["status"] == "delivered"
    # The stop let the messages on their way finish, and recorded them.
    attempted = [d for d in deliveries(busy, busy_hook["id"]) if d["attempts"]]
    assert len(attempted) == len(slow.received)
    assert all(d["status"] == "delivered" for d in attempted)
    _pause(busy, busy_hook["id"])


def test_a_deliverer_sends_its_concurrency_at_once(dev_app: Flask, dev_org: Org) -> None:
    deliverer = local_deliverer(dev_app, concurrency=3)
    with receiver(delay=0.5) as rx:
        hook = register(dev_org, rx.url)
        for _ in range(6):
            deactivate_someone(dev_org)
        started = time.monotonic()
        assert deliverer.deliver_due() >= 6
        took = time.monotonic() - started
    assert rx.peak == 3
    assert took < 6 * 0.5  # one at a time would take 3 s
    found = deliveries(dev_org, hook["id"])
    assert sorted(r.headers["webhook-id"] for r in rx.received) == sorted(
        d["event_id"] for d in found
    )
    assert all(d["status"] == "delivered" and len(d["attempts"]) == 1 for d in found)


def test_one_organisation_has_no_more_than_its_cap_on_their_way(
    dev_app: Flask, dev_org: Org
) -> None:
    deliverer = local_deliverer(dev_app, concurrency=6, in_flight_per_organisation=2)
    with receiver(delay=0.3) as rx:
        hook = register(dev_org, rx.url)
        for _ in range(6):
            deactivate_someone(dev_org)
        # --once semantics: it does not stop at the cap, it waits for a lease to be free.
        assert deliverer.deliver_due() >= 6
    assert rx.peak == 2
    assert len(rx.received) == 6
    assert all(d["status"] == "delivered" for d in deliveries(dev_org, hook["id"]))
