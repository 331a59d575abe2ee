"""Leases against PostgreSQL: while a message is on its way its delivery's row is not
locked (the claim committed a lease instead), and an attempt that outlasted its lease
is not recorded over the attempt of the deliverer that claimed the delivery next."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import psycopg
import pytest
from flask import Flask

from service.application.webhook_delivery import Deliverer
from service.application.webhook_ports import OutgoingMessage, SendResult, WebhookSender
from tests.support.api import Org, expect
from tests.support.database import owner_connection
from tests.support.webhooks import (
    WEBHOOKS,
    deactivate_someone,
    deliveries,
    local_deliverer,
    receiver,
    register,
)


@pytest.fixture(scope="module")
def owner(owner_url: str) -> Iterator[psycopg.Connection]:
    with owner_connection(owner_url) as connection:
        yield connection


def _in_background(deliverer: Deliverer) -> tuple[threading.Thread, list[int]]:
    counts: list[int] = []
    thread = threading.Thread(target=lambda: counts.append(deliverer.deliver_due()))
    thread.start()
    return thread, counts


def test_a_delivery_in_flight_is_leased_not_locked(
    dev_app: Flask, dev_org: Org, owner: psycopg.Connection
) -> None:
    deliverer = local_deliverer(dev_app)
    with receiver(delay=2) as rx:
        hook = register(dev_org, rx.url)
        deactivate_someone(dev_org)
        thread, counts = _in_background(deliverer)
        assert rx.arrived.wait(30)
        # The receiver holds the request: the delivery's row is free, leased ahead by
        # the sender's longest attempt and a margin; it is still due when it was due.
        with owner.transaction():
            row = owner.execute(
                "SELECT status, attempts, leased_until - now(), next_attempt_at <= now()"
                " FROM webhook_deliveries WHERE webhook_id = %s FOR UPDATE NOWAIT",
                (hook["id"],),
            ).fetchone()
        assert row is not None
        status, attempts, lease_left, due = row
        assert (status, attempts, due) == ("pending", 0, True)
        lease = deliverer.lease
        assert lease - timedelta(seconds=10) < lease_left <= lease
        # Removing the endpoint does not wait for the message to be answered.
        expect(dev_org.admin.api.delete(f"{WEBHOOKS}/{hook['id']}"), 204)
        assert rx.received == []
        thread.join(30)
    assert counts
    assert counts[0] >= 1
    assert len(rx.received) == 1
    left = owner.execute(
        "SELECT (SELECT count(*) FROM webhook_deliveries WHERE org_id = %(org)s),"
        " (SELECT count(*) FROM webhook_attempts WHERE org_id = %(org)s)",
        {"org": dev_org.id},
    ).fetchone()
    assert left == (0, 0)  # gone with its endpoint; the late attempt was not recorded


class ShortLease:
    """A sender whose lease runs out as soon as it is taken (its longest attempt is
    said to be nothing), as when a send outlasts its lease."""

    longest_attempt = timedelta(0)

    def __init__(self, inner: WebhookSender) -> None:
        self.inner = inner

    def send(self, message: OutgoingMessage, now: datetime) -> SendResult:
        return self.inner.send(message, now)

    def close(self) -> None:
        self.inner.close()


def test_an_attempt_that_outlasted_its_lease_leaves_the_next_claims_attempt_alone(
    dev_app: Flask, dev_org: Org
) -> None:
    normal = local_deliverer(dev_app)
    late = Deliverer(
        unit_of_work=normal.unit_of_work,
        sender=ShortLease(normal.sender),
        schedule=normal.schedule,
        lease_margin=timedelta(0),
    )
    with receiver(delay=1) as rx:
        hook = register(dev_org, rx.url)
        deactivate_someone(dev_org)
        thread, _ = _in_background(late)
        assert rx.arrived.wait(30)
        # The first message is still on its way; its lease has run out, so another
        # deliverer claims the delivery again and sends it too.
        assert normal.deliver_due() >= 1
        thread.join(30)
    first, second = rx.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]  # at least once
    (delivery,) = deliveries(dev_org, hook["id"])
    assert delivery["status"] == "delivered"
    assert [(a["attempt"], a["status_code"]) for a in delivery["attempts"]] == [(1, 200)]
    expect(dev_org.admin.api.patch(f"{WEBHOOKS}/{hook['id']}", json={"active": False}), 200)
