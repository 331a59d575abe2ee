"""Migration 0012: the fair claim replaces 0007's, with a lease of its own, and its
downgrade puts 0011's schema back, leases in flight kept out of reach. Migration 0017:
the deliveries of inactive endpoints are parked out of the claim's index, and failed
ones say why; its downgrade puts 0012's claim and index back.

Run on a database of its own: going down and up again must not disturb the tests that
share this session's database.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from alembic import command

from service.cli import alembic_config
from tests.integration.conftest import REQUEST_ROLE
from tests.support.database import owner_connection
from tests.support.webhooks import outbox_of_its_own, seed_due, seed_endpoint

FAIR = "webhook_claim_due(integer)"
OLD = "webhook_claim_due()"
NEW_INDEXES = {
    "ix_webhook_deliveries_pending_org_id_next_attempt_at",
    "ix_webhook_deliveries_org_id_leased_until",
}
OLD_INDEX = "ix_webhook_deliveries_next_attempt_at"


@pytest.fixture(scope="module")
def own_url() -> Iterator[str]:
    with outbox_of_its_own() as url:
        yield url


def _claims(owner: psycopg.Connection) -> dict[str, tuple[str, bool, bool, bool]]:
    """Each claim function by signature: body, SECURITY DEFINER, EXECUTE for the request
    role, EXECUTE for PUBLIC."""
    rows = owner.execute(
        "SELECT oid::regprocedure::text, prosrc, prosecdef,"
        " has_function_privilege(%s, oid, 'EXECUTE'),"
        " EXISTS (SELECT FROM aclexplode(proacl) a WHERE a.grantee = 0)"
        " FROM pg_proc WHERE proname = 'webhook_claim_due'",
        (REQUEST_ROLE,),
    ).fetchall()
    return {row[0]: (row[1], row[2], row[3], row[4]) for row in rows}


def _indexes(owner: psycopg.Connection) -> set[str]:
    rows = owner.execute(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'webhook_deliveries'"
    ).fetchall()
    return {row[0] for row in rows}


def _has_lease_column(owner: psycopg.Connection) -> bool:
    row = owner.execute(
        "SELECT count(*) FROM information_schema.columns"
        " WHERE table_name = 'webhook_deliveries' AND column_name = 'leased_until'"
    ).fetchone()
    return row == (1,)


def _claim_as_request_role(owner: psycopg.Connection, call: str) -> list[tuple[str, str]]:
    """What the claim answers the request role, which itself reads no delivery
    without a tenant; rolled back."""
    with owner.transaction(force_rollback=True):
        owner.execute(f"SET LOCAL ROLE {REQUEST_ROLE}")
        claimed = owner.execute(f"SELECT org_id::text, delivery_id::text FROM {call}").fetchall()
        assert owner.execute("SELECT count(*) FROM webhook_deliveries").fetchone() == (0,)
    return [(row[0], row[1]) for row in claimed]


def test_the_fair_claim_replaces_the_old_one(own_url: str) -> None:
    with owner_connection(own_url) as owner:
        claims = _claims(owner)
        assert set(claims) == {FAIR}
        body, definer, request_role_may, public_may = claims[FAIR]
        assert "SKIP LOCKED" in body
        assert "pg_advisory_xact_lock" in body
        assert (definer, request_role_may, public_may) == (True, True, False)
        assert _has_lease_column(owner)
        assert _indexes(owner) >= NEW_INDEXES
        assert OLD_INDEX not in _indexes(owner)


def test_the_downgrade_restores_0011_and_the_upgrade_returns(own_url: str) -> None:
    config = alembic_config(own_url)
    with owner_connection(own_url) as owner:
        endpoint = seed_endpoint(owner)
        waiting, in_flight, done = seed_due(owner, endpoint, 3)
        owner.execute(
            "UPDATE webhook_deliveries SET leased_until = now() + interval '1 minute'"
            " WHERE id = %s",
            (in_flight,),
        )
        owner.execute(
            "UPDATE webhook_deliveries SET status = 'delivered', next_attempt_at = NULL,"
            " delivered_at = now(), leased_until = now() WHERE id = %s",
            (done,),
        )
        lease = owner.execute(
            "SELECT leased_until FROM webhook_deliveries WHERE id = %s", (in_flight,)
        ).fetchone()
        command.downgrade(config, "0011")
        try:
            claims = _claims(owner)
            assert set(claims) == {OLD}
            body, definer, request_role_may, public_may = claims[OLD]
            assert "leased_until" not in body
            assert (definer, request_role_may, public_may) == (True, True, False)
            assert not _has_lease_column(owner)
            assert OLD_INDEX in _indexes(owner)
            assert not NEW_INDEXES & _indexes(owner)
            # The delivery on its way keeps its lease, the old way: in next_attempt_at.
            moved = owner.execute(
                "SELECT next_attempt_at FROM webhook_deliveries WHERE id = %s", (in_flight,)
            ).fetchone()
            assert moved == lease
            assert _claim_as_request_role(owner, "webhook_claim_due()") == [
                (endpoint.org_id, waiting)
            ]
        finally:
            command.upgrade(config, "head")
        assert set(_claims(owner)) == {FAIR}
        assert _has_lease_column(owner)
        assert _indexes(owner) >= NEW_INDEXES
        assert OLD_INDEX not in _indexes(owner)
        # Every row comes back without a lease; the one that was on its way is not due
        # before its old lease runs out.
        rows = owner.execute("SELECT count(*) FROM webhook_deliveries WHERE leased_until IS NULL")
        assert rows.fetchone() == (3,)
        assert _claim_as_request_role(owner, "webhook_claim_due(4)") == [(endpoint.org_id, waiting)]


def _claim_index_and_body(owner: psycopg.Connection) -> tuple[str, str]:
    row = owner.execute(
        "SELECT pg_get_expr(i.indpred, i.indrelid),"
        " (SELECT prosrc FROM pg_proc WHERE proname = 'webhook_claim_due')"
        " FROM pg_index i"
        " WHERE i.indexrelid = 'ix_webhook_deliveries_pending_org_id_next_attempt_at'::regclass"
    ).fetchone()
    assert row is not None
    return str(row[0]), str(row[1])


def test_0017_parks_what_waits_and_says_why_deliveries_failed(own_url: str) -> None:
    config = alembic_config(own_url)
    with owner_connection(own_url) as owner:
        command.downgrade(config, "0016")
        paused, live = seed_endpoint(owner), seed_endpoint(owner)
        try:
            seed_due(owner, paused, 2)
            (failed,) = seed_due(owner, live)
            owner.execute(
                "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL,"
                " attempts = 8 WHERE id = %s",
                (failed,),
            )
            # Before any trigger: nothing is parked yet.
            owner.execute("UPDATE webhooks SET active = false WHERE id = %s", (paused.webhook_id,))
            command.upgrade(config, "head")
            parked = owner.execute(
                "SELECT webhook_id::text, count(*) FROM webhook_deliveries"
                " WHERE parked AND status = 'pending' GROUP BY webhook_id"
            )
            assert parked.fetchall() == [(paused.webhook_id, 2)]
            failure = owner.execute(
                "SELECT failure FROM webhook_deliveries WHERE id = %s", (failed,)
            )
            assert failure.fetchone() == ("No 2xx answer in 8 attempts.",)
            predicate, body = _claim_index_and_body(owner)
            assert "NOT parked" in predicate
            assert body.count("AND NOT d.parked") == 4

            command.downgrade(config, "0016")
            predicate, body = _claim_index_and_body(owner)
            assert "parked" not in predicate + body
            pending = owner.execute(
                "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"
                " AND webhook_id = %s",
                (paused.webhook_id,),
            )
            assert pending.fetchone() == (2,)
        finally:
            command.upgrade(config, "head")
            # The other tests here count every delivery: none of these is left.
            owner.execute(
                "DELETE FROM organisations WHERE id IN (%s, %s)", (paused.org_id, live.org_id)
            )
