"""The fair claim (migrations 0012 and 0017) against PostgreSQL, through the outbox
repository: organisations take turns whatever their backlog, none holds more leases
than its cap (two claims at once included), a lease that runs out is claimed again,
and an inactive endpoint's deliveries are parked: out of the claim's index, so that a
backlog of them costs a claim nothing, and due again, at once, when it is active again,
whoever changes ``active`` (the API, the deliverer on a 410, a data fix).

On a database of its own: a claim looks across every organisation, and the session's
database holds what other tests left due. A claim's cost is judged by the buffers it
touches (``EXPLAIN (ANALYZE, BUFFERS)``), never by its time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from flask import Flask

from service.application.webhook_ports import DeliveryAttempt, DueDelivery
from service.domain.webhook_retries import DeliveryStatus, NextStep
from tests.support.apps import running_app
from tests.support.database import owner_connection, wait_for_a_lock_wait
from tests.support.webhooks import SeededEndpoint, outbox_of_its_own, seed_due, seed_endpoint

LEASE = timedelta(minutes=1)
#: Enough that walking it would cost a claim over a thousand buffers; quick to write.
BACKLOG = 50_000
#: What a claim may touch beyond the same claim without the backlog (its plans may
#: differ a little, reading a few more index pages): far below what walking costs.
SLACK = 64


@pytest.fixture(scope="module")
def own_url() -> Iterator[str]:
    with outbox_of_its_own() as url:
        yield url


@pytest.fixture(scope="module")
def app(own_url: str) -> Iterator[Flask]:
    with running_app(own_url) as application:
        yield application


@pytest.fixture
def owner(own_url: str) -> Iterator[psycopg.Connection]:
    """The owner's connection, on an empty outbox."""
    with owner_connection(own_url) as connection:
        connection.execute("DELETE FROM webhook_events")  # and their deliveries, by cascade
        yield connection


def claim(app: Flask, cap: int = 4, lease: timedelta = LEASE) -> DueDelivery | None:
    """One claim, committed, as a deliverer makes it."""
    uow = app.extensions["review_service"].unit_of_work()
    try:
        due: DueDelivery | None = uow.webhook_outbox.claim_due(lease, cap)
        uow.commit()
        return due
    finally:
        uow.close()


def give_back(app: Flask, due: DueDelivery, *, delivered: bool = True) -> bool:
    """The attempt recorded (delivered, or failed with a retry in an hour)."""
    now = datetime.now(UTC)
    attempt = DeliveryAttempt(due.attempts + 1, now, 200 if delivered else 500, None, 5)
    step = (
        NextStep(DeliveryStatus.DELIVERED, None)
        if delivered
        else NextStep(DeliveryStatus.PENDING, now + timedelta(hours=1))
    )
    uow = app.extensions["review_service"].unit_of_work()
    try:
        uow.bind_tenant(due.org_id)
        recorded: bool = uow.webhook_outbox.record_attempt(due, attempt, step)
        uow.commit()
        return recorded
    finally:
        uow.close()


def org_of(due: DueDelivery | None) -> str | None:
    return None if due is None else str(due.org_id)


def leases_held(owner: psycopg.Connection, endpoint: SeededEndpoint) -> int:
    row = owner.execute(
        "SELECT count(*) FROM webhook_deliveries WHERE org_id = %s AND leased_until > now()",
        (endpoint.org_id,),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_organisations_take_turns_whatever_their_backlog(
    app: Flask, owner: psycopg.Connection
) -> None:
    busy, quiet = seed_endpoint(owner), seed_endpoint(owner)
    backlog = seed_due(owner, busy, 10, since=600)
    seed_due(owner, quiet, 3, since=30)  # due long after all of busy's backlog
    # One at a time, each given back before the next claim (one deliverer, one thread):
    # neither was ever served, and busy's delivery is due first; then quiet has waited
    # longer since its last turn, whatever busy still has due.
    turns = []
    for _ in range(4):
        due = claim(app)
        assert due is not None
        turns.append(org_of(due))
        assert give_back(app, due)
    assert turns == [busy.org_id, quiet.org_id, busy.org_id, quiet.org_id]
    # Several at once (leases kept): the organisation with fewer on their way goes
    # first, then the one whose last lease is older.
    held = [claim(app) for _ in range(4)]
    assert [org_of(d) for d in held] == [busy.org_id, quiet.org_id, busy.org_id, busy.org_id]
    # Within an organisation, the earliest due first.
    assert [str(d.id) for d in held if d is not None and org_of(d) == busy.org_id] == backlog[2:5]


def test_an_organisation_holds_no_more_leases_than_its_cap(
    app: Flask, owner: psycopg.Connection
) -> None:
    busy, other = seed_endpoint(owner), seed_endpoint(owner)
    seed_due(owner, busy, 5, since=600)
    held = [claim(app, cap=2) for _ in range(2)]
    assert [org_of(d) for d in held] == [busy.org_id] * 2
    assert claim(app, cap=2) is None  # busy has three more due: none may be taken
    seed_due(owner, other, 1)
    assert org_of(claim(app, cap=2)) == other.org_id
    assert leases_held(owner, busy) == 2
    # A lease given back is a turn free again.
    assert held[0] is not None
    assert give_back(app, held[0])
    assert org_of(claim(app, cap=2)) == busy.org_id
    assert claim(app, cap=2) is None


def test_the_cap_holds_for_two_claims_at_once(
    app: Flask, owner: psycopg.Connection, own_url: str
) -> None:
    busy = seed_endpoint(owner)
    seed_due(owner, busy, 4, since=600)
    assert org_of(claim(app, cap=2)) == busy.org_id
    first = app.extensions["review_service"].unit_of_work()
    answers: list[DueDelivery | None] = []
    try:
        # A claim of the organisation's last lease, not yet committed ...
        taken = first.webhook_outbox.claim_due(LEASE, 2)
        assert org_of(taken) == busy.org_id
        second = threading.Thread(target=lambda: answers.append(claim(app, cap=2)))
        second.start()
        # ... makes the next claim of the organisation wait for it, not count without it.
        with owner_connection(own_url) as watcher:
            wait_for_a_lock_wait(watcher, "the second claim")
        first.commit()
    finally:
        first.close()
    second.join(30)
    assert answers == [None]
    assert leases_held(owner, busy) == 2


def test_many_claims_at_once_never_pass_the_cap(app: Flask, owner: psycopg.Connection) -> None:
    busy = seed_endpoint(owner)
    seed_due(owner, busy, 12, since=600)
    start = threading.Barrier(4)
    taken: list[DueDelivery] = []

    def claimer() -> None:
        start.wait(10)
        while (due := claim(app, cap=3)) is not None:
            taken.append(due)

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(taken) == 3
    assert len({d.id for d in taken}) == 3
    assert leases_held(owner, busy) == 3


def test_a_lease_that_runs_out_is_claimed_again(app: Flask, owner: psycopg.Connection) -> None:
    endpoint = seed_endpoint(owner)
    (delivery_id,) = seed_due(owner, endpoint)
    first = claim(app, lease=timedelta(seconds=1))
    assert first is not None
    assert str(first.id) == delivery_id
    assert claim(app) is None  # leased: no one else takes it
    time.sleep(1.2)
    second = claim(app)  # its deliverer never came back: the lease ran out
    assert second is not None
    assert second.id == first.id
    assert second.attempts == first.attempts == 0
    assert second.leased_until > first.leased_until
    # The late first attempt is not recorded over the second claim's.
    assert give_back(app, first, delivered=False) is False
    assert give_back(app, second) is True
    row = owner.execute(
        "SELECT d.status, d.leased_until <= now(), count(a.id)"
        " FROM webhook_deliveries d LEFT JOIN webhook_attempts a"
        "   ON a.org_id = d.org_id AND a.delivery_id = d.id"
        " WHERE d.id = %s GROUP BY d.status, d.leased_until",
        (delivery_id,),
    ).fetchone()
    assert row == ("delivered", True, 1)


def test_a_retry_waits_for_its_time_and_a_paused_endpoint_for_its_resumption(
    app: Flask, owner: psycopg.Connection
) -> None:
    endpoint = seed_endpoint(owner)
    seed_due(owner, endpoint)
    retried = claim(app)
    assert retried is not None
    assert give_back(app, retried, delivered=False)  # the retry falls due in an hour
    assert claim(app) is None
    seed_due(owner, endpoint)
    on_its_way = claim(app)
    assert on_its_way is not None
    _set_active(owner, endpoint, False)  # paused while a message is on its way
    assert give_back(app, on_its_way, delivered=False)  # its retry is parked with the rest
    assert _due_of(owner, endpoint) == (2, 0)
    assert claim(app) is None
    _set_active(owner, endpoint, True)  # resumed: all due at once, the retries' waits waived
    assert _due_of(owner, endpoint) == (0, 2)
    resumed = [claim(app) for _ in range(2)]
    assert {d.id for d in resumed if d is not None} == {retried.id, on_its_way.id}


def test_claims_at_once_spread_over_organisations_and_wait_only_for_a_moment(
    app: Flask, owner: psycopg.Connection
) -> None:
    stuck, other = seed_endpoint(owner), seed_endpoint(owner)
    seed_due(owner, stuck, 2, since=600)  # its turn first
    seed_due(owner, other, 1)
    first = app.extensions["review_service"].unit_of_work()
    try:
        # A claim of stuck's that does not commit (its deliverer paused, say) ...
        assert org_of(first.webhook_outbox.claim_due(LEASE, 4)) == stuck.org_id
        # ... sends the next claim to the next organisation at once ...
        started = time.monotonic()
        assert org_of(claim(app)) == other.org_id
        assert time.monotonic() - started < 0.5
        # ... and when none is left, the claim waits for it a second at most.
        started = time.monotonic()
        assert claim(app) is None
        assert 0.9 < time.monotonic() - started < 5
    finally:
        first.close()
    assert org_of(claim(app)) == stuck.org_id


def test_claims_and_attempts_at_once_over_many_organisations(
    app: Flask, owner: psycopg.Connection, own_url: str
) -> None:
    endpoints = [seed_endpoint(owner) for _ in range(5)]
    for endpoint in endpoints:
        seed_due(owner, endpoint, 8, since=600)
    start = threading.Barrier(6)
    failures: list[BaseException] = []
    most_held: list[int] = []

    def deliverer() -> None:
        try:
            with owner_connection(own_url) as watcher:
                start.wait(10)
                while (due := claim(app, cap=2)) is not None:
                    held = watcher.execute(
                        "SELECT count(*) FROM webhook_deliveries"
                        " WHERE org_id = %s AND leased_until > now()",
                        (due.org_id,),
                    ).fetchone()
                    assert held is not None
                    most_held.append(int(held[0]))
                    time.sleep(0.005)
                    assert give_back(app, due)
        except BaseException as error:  # reported below, with the thread's traceback
            failures.append(error)
            raise

    threads = [threading.Thread(target=deliverer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert max(most_held) <= 2
    rows = owner.execute(
        "SELECT d.status, count(a.id) FROM webhook_deliveries d"
        " LEFT JOIN webhook_attempts a ON a.org_id = d.org_id AND a.delivery_id = d.id"
        " GROUP BY d.id, d.status"
    ).fetchall()
    assert sorted(rows) == [("delivered", 1)] * 40


def _claim_buffers(owner: psycopg.Connection) -> int:
    """The shared buffers one claim touches (hit or read), once its plans are cached;
    rolled back, so that it claims nothing."""
    touched = 0
    for _ in range(3):
        with owner.transaction(force_rollback=True):
            row = owner.execute(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT * FROM webhook_claim_due(4)"
            ).fetchone()
        assert row is not None
        plan: dict[str, Any] = row[0][0]["Plan"]
        touched = int(plan["Shared Hit Blocks"]) + int(plan["Shared Read Blocks"])
    return touched


def _backlog(owner: psycopg.Connection, endpoint: SeededEndpoint, count: int) -> None:
    """``count`` deliveries of one event to ``endpoint``, all due a day ago or later."""
    (first,) = seed_due(owner, endpoint)
    owner.execute(
        "INSERT INTO webhook_deliveries (org_id, id, webhook_id, event_id, next_attempt_at)"
        " SELECT org_id, gen_random_uuid(), webhook_id, event_id,"
        "        now() - interval '1 day' + n * interval '1 ms'"
        " FROM webhook_deliveries, generate_series(1, %s) AS n WHERE id = %s",
        (count - 1, first),
    )


def _set_active(owner: psycopg.Connection, endpoint: SeededEndpoint, active: bool) -> None:
    """As a data fix would: straight in the table, as the owner."""
    owner.execute("UPDATE webhooks SET active = %s WHERE id = %s", (active, endpoint.webhook_id))


def _due_of(owner: psycopg.Connection, endpoint: SeededEndpoint) -> tuple[int, int]:
    """The endpoint's pending deliveries: parked, and due now (not parked)."""
    row = owner.execute(
        "SELECT count(*) FILTER (WHERE parked),"
        " count(*) FILTER (WHERE NOT parked AND next_attempt_at <= now())"
        " FROM webhook_deliveries WHERE webhook_id = %s AND status = 'pending'",
        (endpoint.webhook_id,),
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_a_parked_backlog_costs_the_claim_nothing(app: Flask, owner: psycopg.Connection) -> None:
    stuck, others = seed_endpoint(owner), [seed_endpoint(owner) for _ in range(3)]
    for endpoint in others:
        seed_due(owner, endpoint)
    # An endpoint of the same organisation as the backlog, with a delivery due after it.
    owner.execute(
        "INSERT INTO webhooks (org_id, id, url, events, secret)"
        " SELECT org_id, gen_random_uuid(), url, events, secret FROM webhooks WHERE id = %s",
        (stuck.webhook_id,),
    )
    owner.execute("ANALYZE webhook_deliveries")
    without_backlog = _claim_buffers(owner)

    _backlog(owner, stuck, BACKLOG)
    _set_active(owner, stuck, False)
    # As autovacuum soon does after so large an update: the index entries of the
    # versions before parking go (until then, a claim steps over them page by page).
    owner.execute("VACUUM (ANALYZE) webhook_deliveries")
    with_backlog = _claim_buffers(owner)
    assert with_backlog <= without_backlog + SLACK, (with_backlog, without_backlog)
    assert _due_of(owner, stuck) == (BACKLOG, 0)

    # The others' deliveries go as before; none of the backlog.
    taken = [claim(app) for _ in range(4)]
    assert {str(d.org_id) for d in taken if d is not None} == {e.org_id for e in others}
    assert all(d is None or str(d.webhook_id) != stuck.webhook_id for d in taken)

    # Active again: the whole backlog is due at once, in the order it fell due.
    _set_active(owner, stuck, True)
    assert _due_of(owner, stuck) == (0, BACKLOG)
    due = claim(app)
    assert due is not None
    assert str(due.webhook_id) == stuck.webhook_id
