"""The outbox's retention: finished deliveries older than the retention leave it, with
their attempts and events; nothing pending and nothing of the last day ever does."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import psycopg
from flask import Flask

from tests.integration.conftest import REQUEST_ROLE
from tests.support.api import Org, OrgFactory
from tests.support.database import owner_connection
from tests.support.webhooks import (
    NOBODY,
    deactivate_someone,
    local_deliverer,
    receiver,
    register,
)


def _age(owner: psycopg.Connection, org: Org, days: int) -> None:
    """Everything of the organisation's outbox, made ``days`` old."""
    for table in ("webhook_events", "webhook_deliveries"):
        owner.execute(
            f"UPDATE {table} SET created_at = now() - make_interval(days => %s) WHERE org_id = %s",
            (days, org.id),
        )


def _count(owner: psycopg.Connection, table: str, org: Org) -> int:
    row = owner.execute(
        f"SELECT count(*) FROM {table} WHERE org_id = %s",
        (org.id,),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_finished_deliveries_past_the_retention_leave_with_their_attempts_and_events(
    dev_app: Flask, owner_url: str
) -> None:
    orgs = OrgFactory(dev_app.test_client())
    done, waiting = orgs.create(), orgs.create()
    deliverer = dataclasses.replace(local_deliverer(dev_app), retention=timedelta(days=7))
    with receiver() as rx:
        register(done, rx.url)
        for _ in range(2):
            deactivate_someone(done)
        assert deliverer.deliver_due() >= 2
    register(waiting, NOBODY)
    deactivate_someone(waiting)  # pending: its first attempt is due, not yet made
    with owner_connection(owner_url) as owner:
        _age(owner, done, 8)
        _age(owner, waiting, 8)
        assert _count(owner, "webhook_attempts", done) == 2
        assert deliverer.prune() >= 2
        for table in ("webhook_events", "webhook_deliveries", "webhook_attempts"):
            assert _count(owner, table, done) == 0, table
        # A pending delivery stays, however old: it has not been sent yet.
        assert _count(owner, "webhook_deliveries", waiting) == 1
        assert _count(owner, "webhook_events", waiting) == 1


def test_the_last_day_is_never_pruned_whatever_the_retention(
    dev_app: Flask, owner_url: str
) -> None:
    org = OrgFactory(dev_app.test_client()).create()
    eager = dataclasses.replace(local_deliverer(dev_app), retention=timedelta(0))
    with receiver() as rx:
        register(org, rx.url)
        deactivate_someone(org)
        assert eager.deliver_due() >= 1
    eager.prune()
    with owner_connection(owner_url) as owner:
        assert _count(owner, "webhook_deliveries", org) == 1
        assert _count(owner, "webhook_attempts", org) == 1


def test_the_request_role_prunes_only_through_the_function(owner_url: str) -> None:
    """The outbox stays append-only for the request role: no DELETE of its own."""
    with owner_connection(owner_url) as owner:
        rows = owner.execute(
            "SELECT table_name FROM information_schema.role_table_grants"
            " WHERE grantee = %s AND privilege_type = 'DELETE' AND table_name LIKE 'webhook%%'",
            (REQUEST_ROLE,),
        ).fetchall()
        executable = owner.execute(
            "SELECT has_function_privilege(%s, 'webhook_prune(timestamp with time zone)',"
            " 'EXECUTE')",
            (REQUEST_ROLE,),
        ).fetchone()
    assert [r[0] for r in rows] == ["webhooks"]
    assert executable == (True,)
