"""The deliverer holds no transaction while a message is on its way: the claim (and
its lease) commits first, the attempt is recorded in a unit of work of its own."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from service.application.webhook_delivery import Deliverer
from service.application.webhook_ports import (
    DeliveryAttempt,
    DueDelivery,
    OutgoingMessage,
    SendResult,
)
from service.domain.webhook_retries import DeliveryStatus, NextStep
from tests.support.webhooks import due_delivery

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
ORG = uuid.uuid4()


class Journal:
    """What happened, in order, across every unit of work and the sender."""

    def __init__(self, due: DueDelivery | None, lease_kept: bool = True) -> None:
        self.entries: list[tuple[Any, ...]] = []
        self.open_units = 0
        self.due = due
        self.lease_kept = lease_kept
        self.recorded: list[tuple[DueDelivery, DeliveryAttempt, NextStep]] = []


class RecordingOutbox:
    def __init__(self, journal: Journal, unit: int) -> None:
        self.journal, self.unit = journal, unit

    def claim_due(self, lease: timedelta, per_organisation: int) -> DueDelivery | None:
        self.journal.entries.append(("claim", self.unit, lease))
        due, self.journal.due = self.journal.due, None
        return due

    def record_attempt(self, due: DueDelivery, attempt: DeliveryAttempt, step: NextStep) -> bool:
        self.journal.entries.append(("record", self.unit))
        self.journal.recorded.append((due, attempt, step))
        return self.journal.lease_kept


class RecordingUnitOfWork:
    def __init__(self, journal: Journal, unit: int) -> None:
        self.journal, self.unit = journal, unit
        self.webhook_outbox = RecordingOutbox(journal, unit)
        journal.open_units += 1

    def bind_tenant(self, org_id: uuid.UUID) -> None:
        self.journal.entries.append(("bind", self.unit, org_id))

    def commit(self) -> None:
        self.journal.entries.append(("commit", self.unit))

    def close(self) -> None:
        self.journal.entries.append(("close", self.unit))
        self.journal.open_units -= 1


class RecordingSender:
    longest_attempt = timedelta(seconds=10)

    def __init__(
        self, journal: Journal, status_code: int | None = 200, retry_after: str | None = None
    ) -> None:
        self.journal = journal
        self.status_code = status_code
        self.retry_after = retry_after
        self.sent: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage, now: datetime) -> SendResult:
        # Nothing of the database is held while the receiver takes its time.
        assert self.journal.open_units == 0
        self.journal.entries.append(("send",))
        self.sent.append(message)
        error = None if self.status_code else "timeout"
        return SendResult(self.status_code, error, 12, self.retry_after)

    def close(self) -> None: ...


def _deliverer(journal: Journal, sender: RecordingSender) -> Deliverer:
    units = iter(range(1, 100))
    return Deliverer(
        unit_of_work=lambda: RecordingUnitOfWork(journal, next(units)),  # type: ignore[arg-type,return-value]
        sender=sender,
        clock=lambda: NOW,
        spread=lambda: 0.0,
    )


def test_the_claim_commits_before_sending_and_the_attempt_is_recorded_apart() -> None:
    due = due_delivery(NOW, org_id=ORG, attempts=2)
    journal = Journal(due)
    sender = RecordingSender(journal)
    assert _deliverer(journal, sender).deliver_next() is True
    assert journal.entries == [
        ("claim", 1, timedelta(seconds=70)),  # the longest attempt and a minute's margin
        ("commit", 1),
        ("close", 1),
        ("send",),
        ("bind", 2, ORG),
        ("record", 2),
        ("commit", 2),
        ("close", 2),
    ]
    (message,) = sender.sent
    assert message.message_id == str(due.event_id)
    ((recorded, attempt, step),) = journal.recorded
    assert recorded is due
    assert (attempt.attempt, attempt.status_code) == (3, 200)
    assert step == NextStep(DeliveryStatus.DELIVERED, None)


def test_a_failed_attempt_is_recorded_with_its_retry() -> None:
    journal = Journal(due_delivery(NOW, org_id=ORG, attempts=2))
    _deliverer(journal, RecordingSender(journal, status_code=None)).deliver_next()
    ((_, attempt, step),) = journal.recorded
    assert (attempt.attempt, attempt.error) == (3, "timeout")
    assert step.status is DeliveryStatus.PENDING
    assert step.next_attempt_at is not None
    assert step.next_attempt_at > NOW


def test_nothing_due_opens_one_unit_of_work_and_sends_nothing() -> None:
    journal = Journal(None)
    sender = RecordingSender(journal)
    assert _deliverer(journal, sender).deliver_due() == 0
    assert journal.entries == [("claim", 1, timedelta(seconds=70)), ("close", 1)]
    assert sender.sent == []


def test_an_attempt_whose_lease_was_lost_counts_as_done_and_the_loop_goes_on() -> None:
    journal = Journal(due_delivery(NOW, org_id=ORG, attempts=2), lease_kept=False)
    sender = RecordingSender(journal)
    assert _deliverer(journal, sender).deliver_due() == 1
    assert [e[0] for e in journal.entries].count("record") == 1
    assert journal.open_units == 0
