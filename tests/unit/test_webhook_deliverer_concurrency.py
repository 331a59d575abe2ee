"""Several messages on their way at once: the deliverer claims only while a thread is
free, sends on that thread with nothing of the database held, waits for a lease to be
free when its organisations are at their cap, and lets the attempts on their way
finish when it is stopped."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.application.webhook_delivery import Deliverer
from service.application.webhook_ports import (
    DeliveryAttempt,
    DueDelivery,
    OutgoingMessage,
    SendResult,
)
from service.bootstrap import ConfigurationError, WebhookSettings, webhook_deliverer
from service.domain.webhook_retries import NextStep
from tests.support.webhooks import due_delivery

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


class Outbox:
    """Due deliveries handed out one claim at a time; ``cap`` leases at most (as the
    database's per-organisation cap would), each given back when its attempt is
    recorded. Shared by every unit of work, on every thread."""

    def __init__(self, count: int, cap: int = 100, failing: int = 0) -> None:
        self.waiting = [due_delivery(NOW) for _ in range(count)]
        self.cap = cap
        self.failing = {d.id for d in self.waiting[:failing]}
        self.lock = threading.Lock()
        self.claims = 0
        self.leased: set[uuid.UUID] = set()
        self.recorded: list[uuid.UUID] = []
        self.units_open: Counter[int] = Counter()

    def claim_due(self, lease: timedelta, per_organisation: int) -> DueDelivery | None:
        with self.lock:
            self.claims += 1
            if not self.waiting or len(self.leased) >= self.cap:
                return None
            due = self.waiting.pop(0)
            self.leased.add(due.id)
            return due

    def record_attempt(self, due: DueDelivery, attempt: DeliveryAttempt, step: NextStep) -> bool:
        if due.id in self.failing:
            raise ConnectionError("the database went away")
        with self.lock:
            self.leased.discard(due.id)
            self.recorded.append(due.id)
        return True


class UnitOfWork:
    def __init__(self, outbox: Outbox) -> None:
        self.webhook_outbox = outbox
        outbox.units_open[threading.get_ident()] += 1

    def bind_tenant(self, org_id: uuid.UUID) -> None: ...

    def commit(self) -> None: ...

    def close(self) -> None:
        self.webhook_outbox.units_open[threading.get_ident()] -= 1


class GatedSender:
    """Holds every message until ``gate`` opens; counts those it holds at once."""

    longest_attempt = timedelta(seconds=10)

    def __init__(self, outbox: Outbox, *, open_gate: bool = False) -> None:
        self.outbox = outbox
        self.gate = threading.Event()
        if open_gate:
            self.gate.set()
        self.lock = threading.Lock()
        self.sending = 0
        self.peak = 0
        self.threads: set[int] = set()

    def send(self, message: OutgoingMessage, now: datetime) -> SendResult:
        # Nothing of the database is held by the thread that sends.
        assert self.outbox.units_open[threading.get_ident()] == 0
        with self.lock:
            self.sending += 1
            self.peak = max(self.peak, self.sending)
            self.threads.add(threading.get_ident())
        try:
            assert self.gate.wait(10)
            return SendResult(200, None, 1)
        finally:
            with self.lock:
                self.sending -= 1

    def close(self) -> None: ...


def _deliverer(outbox: Outbox, sender: GatedSender, concurrency: int) -> Deliverer:
    return Deliverer(
        unit_of_work=lambda: UnitOfWork(outbox),  # type: ignore[arg-type,return-value]
        sender=sender,
        idle_seconds=0.01,
        clock=lambda: NOW,
        spread=lambda: 0.0,
        concurrency=concurrency,
    )


def _until(condition: Any, what: str) -> None:
    for _ in range(500):
        if condition():
            return
        time.sleep(0.01)
    pytest.fail(f"never: {what}")


def _in_background(deliverer: Deliverer, stop: threading.Event | None = None) -> Any:
    counts: list[int] = []
    thread = threading.Thread(target=lambda: counts.append(deliverer.deliver_due(stop)))
    thread.start()
    return thread, counts


def test_it_has_its_concurrency_of_messages_on_their_way_and_claims_no_more() -> None:
    outbox = Outbox(7)
    sender = GatedSender(outbox)
    thread, counts = _in_background(_deliverer(outbox, sender, concurrency=3))
    _until(lambda: sender.sending == 3, "three messages on their way")
    time.sleep(0.1)
    assert (sender.sending, outbox.claims) == (3, 3)  # no claim without a free thread
    sender.gate.set()
    thread.join(10)
    assert counts == [7]
    assert len(set(outbox.recorded)) == 7
    assert sender.peak == 3
    assert len(sender.threads) == 3


def test_one_at_a_time_by_default() -> None:
    outbox = Outbox(3)
    sender = GatedSender(outbox, open_gate=True)
    deliverer = Deliverer(
        unit_of_work=lambda: UnitOfWork(outbox),  # type: ignore[arg-type,return-value]
        sender=sender,
    )
    assert deliverer.deliver_due() == 3
    assert sender.peak == 1


def test_a_claim_that_finds_the_cap_reached_is_made_again_when_a_lease_is_free() -> None:
    outbox = Outbox(6, cap=2)
    sender = GatedSender(outbox)
    thread, counts = _in_background(_deliverer(outbox, sender, concurrency=4))
    _until(lambda: sender.sending == 2, "two messages on their way")
    sender.gate.set()
    thread.join(10)
    assert counts == [6]
    assert len(outbox.recorded) == 6
    assert sender.peak == 2


def test_a_stop_lets_the_messages_on_their_way_finish_and_claims_no_more() -> None:
    outbox = Outbox(6)
    sender = GatedSender(outbox)
    stop = threading.Event()
    thread, counts = _in_background(_deliverer(outbox, sender, concurrency=2), stop)
    _until(lambda: sender.sending == 2, "two messages on their way")
    stop.set()
    time.sleep(0.05)
    assert thread.is_alive()  # waiting for the attempts on their way
    sender.gate.set()
    thread.join(10)
    assert counts == [2]
    assert len(outbox.recorded) == 2
    assert len(outbox.waiting) == 4


def test_an_attempt_that_cannot_be_recorded_leaves_the_others_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outbox = Outbox(4, failing=1)
    sender = GatedSender(outbox, open_gate=True)
    with caplog.at_level(logging.ERROR, logger="service.webhooks"):
        assert _deliverer(outbox, sender, concurrency=2).deliver_due() == 4
    assert len(outbox.recorded) == 3
    (failure,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "not recorded" in failure.getMessage()
    assert failure.exc_info is not None


def test_the_settings_give_the_deliverer_its_concurrency_and_the_cap() -> None:
    defaults = WebhookSettings.from_env({})
    assert (defaults.concurrency, defaults.in_flight_per_organisation) == (8, 4)
    chosen = WebhookSettings.from_env(
        {"WEBHOOKS_CONCURRENCY": "3", "WEBHOOKS_IN_FLIGHT_PER_ORGANISATION": "2"}
    )
    wiring: Any = type("Wiring", (), {"unit_of_work": staticmethod(lambda: None)})()
    deliverer = webhook_deliverer(wiring, chosen)
    try:
        assert (deliverer.concurrency, deliverer.in_flight_per_organisation) == (3, 2)
    finally:
        deliverer.sender.close()
    for name in ("WEBHOOKS_CONCURRENCY", "WEBHOOKS_IN_FLIGHT_PER_ORGANISATION"):
        with pytest.raises(ConfigurationError, match=name):
            WebhookSettings.from_env({name: "0"})
