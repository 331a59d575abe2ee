"""The outbox against PostgreSQL: same transaction as the change, claims that skip
each other, and the command line that runs the deliverer."""

from __future__ import annotations

import threading
from typing import Any

import psycopg
from flask import Flask

from tests.integration.conftest import REQUEST_ROLE
from tests.support.api import Org, expect
from tests.support.database import conninfo, owner_connection, wait_for_a_lock_wait
from tests.support.webhooks import (
    NOBODY,
    WEBHOOKS,
    deactivate_someone,
    deliveries,
    local_deliverer,
    receiver,
    register,
)


def _pause(org: Org, webhook_id: str) -> None:
    expect(org.admin.api.patch(f"{WEBHOOKS}/{webhook_id}", json={"active": False}), 200)


def test_a_change_rolled_back_at_commit_leaves_nothing_in_the_outbox(
    dev_org: Org, owner_url: str
) -> None:
    webhook_id = register(dev_org, NOBODY)["id"]
    person = dev_org.add_member()
    deactivate = f"/api/v1/members/{person.id}/deactivate"
    answers: list[Any] = []
    with owner_connection(owner_url) as watcher, psycopg.connect(conninfo(owner_url)) as locker:
        # The request writes its outbox rows, then waits for the member's row at commit;
        # meanwhile the member changes: its write is stale (412) and all of it rolls back.
        locker.execute("SELECT 1 FROM members WHERE id = %s FOR UPDATE", (person.id,))
        request = threading.Thread(
            target=lambda: answers.append(dev_org.admin.api.post(deactivate))
        )
        request.start()
        wait_for_a_lock_wait(watcher)
        locker.execute("UPDATE members SET version = version + 1 WHERE id = %s", (person.id,))
        locker.commit()
        request.join(30)
        assert expect(answers[0], 412)["code"] == 412
        events = watcher.execute(
            "SELECT count(*) FROM webhook_events WHERE org_id = %s", (dev_org.id,)
        ).fetchone()
    assert events == (0,)
    assert deliveries(dev_org, webhook_id) == []
    expect(dev_org.admin.api.post(deactivate), 200)  # the same change, committed, is published
    assert len(deliveries(dev_org, webhook_id)) == 1
    _pause(dev_org, webhook_id)


def test_a_claimed_delivery_is_skipped_by_concurrent_claims(dev_org: Org, owner_url: str) -> None:
    webhook_id = register(dev_org, NOBODY)["id"]
    for _ in range(2):
        deactivate_someone(dev_org)
    claims = []
    with (
        psycopg.connect(conninfo(owner_url)) as first,
        psycopg.connect(conninfo(owner_url)) as second,
    ):
        for connection in (first, second):
            connection.execute(f"SET ROLE {REQUEST_ROLE}")
            cursor = connection.execute("SELECT * FROM webhook_claim_due(4)")
            assert [c.name for c in cursor.description or []] == ["org_id", "delivery_id"]
            claims.append(cursor.fetchone())
            # Without a tenant the request role still sees no delivery itself.
            assert connection.execute("SELECT count(*) FROM webhook_deliveries").fetchone() == (0,)
        first.rollback()
        second.rollback()
    assert claims[0] is not None
    assert claims[0] != claims[1]
    _pause(dev_org, webhook_id)


def test_two_deliverers_never_send_the_same_delivery(dev_app: Flask, dev_org: Org) -> None:
    deliverers = [local_deliverer(dev_app) for _ in range(2)]
    counts = [0, 0]
    start = threading.Barrier(2)

    def work(index: int) -> None:
        start.wait()
        counts[index] = deliverers[index].deliver_due()

    with receiver(delay=0.3) as rx:
        webhook_id = register(dev_org, rx.url)["id"]
        for _ in range(6):
            deactivate_someone(dev_org)
        workers = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
    sent = [r.headers["webhook-id"] for r in rx.received]
    found = deliveries(dev_org, webhook_id)
    assert sorted(sent) == sorted(d["event_id"] for d in found)  # each exactly once
    assert len(set(sent)) == 6
    assert all(d["status"] == "delivered" and len(d["attempts"]) == 1 for d in found)
    assert all(counts), counts  # both were delivering, at the same time


def test_a_paused_endpoints_pending_deliveries_wait(dev_app: Flask, dev_org: Org) -> None:
    with receiver() as rx:
        webhook_id = register(dev_org, rx.url)["id"]
        deactivate_someone(dev_org)
        _pause(dev_org, webhook_id)
        local_deliverer(dev_app).deliver_due()
        assert rx.received == []
        expect(dev_org.admin.api.patch(f"{WEBHOOKS}/{webhook_id}", json={"active": True}), 200)
        local_deliverer(dev_app).deliver_due()
    assert len(rx.received) == 1
    assert [d["status"] for d in deliveries(dev_org, webhook_id)] == ["delivered"]


def test_the_command_line_delivers_what_is_due(
    dev_app: Flask, dev_org: Org, owner_url: str
) -> None:
    with owner_connection(owner_url) as owner:
        # The command's own sender may call public addresses: make sure none is due.
        due = owner.execute(
            "SELECT w.url FROM webhook_deliveries d"
            " JOIN webhooks w ON w.org_id = d.org_id AND w.id = d.webhook_id"
            " WHERE d.status = 'pending' AND w.active AND w.url NOT LIKE 'http://127.0.0.1:%'"
        ).fetchall()
    assert due == []
    with receiver() as rx:
        webhook_id = register(dev_org, rx.url)["id"]
        deactivate_someone(dev_org)
        # The command runs on the app's own settings (loopback allowed on dev_app).
        result = dev_app.test_cli_runner().invoke(args=["webhooks", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert "webhook deliveries" in result.output
    assert len(rx.received) == 1
    assert [d["status"] for d in deliveries(dev_org, webhook_id)] == ["delivered"]
