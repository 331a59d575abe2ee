"""How a receiver's answer moves a delivery on: `Retry-After` (seconds or an HTTP date)
puts the next attempt no earlier than asked, within the schedule's longest wait; 410
Gone ends the delivery and its endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.domain.webhook_retries import DeliveryStatus, RetrySchedule, retry_after
from tests.support.webhooks import due_delivery
from tests.unit.test_webhook_deliverer_leases import NOW as CLOCK
from tests.unit.test_webhook_deliverer_leases import Journal, RecordingSender, _deliverer

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "wait"),
    [
        ("120", timedelta(seconds=120)),
        (" 0 ", timedelta(0)),
        ("Fri, 27 Nov 2026 14:00:00 GMT", timedelta(hours=2)),
        ("Friday, 27-Nov-26 12:30:00 GMT", timedelta(minutes=30)),  # RFC 850, obsolete
        ("Fri Nov 27 12:00:10 2026", timedelta(seconds=10)),  # asctime, obsolete
        ("Fri, 27 Nov 2026 11:00:00 GMT", timedelta(0)),  # already past
        ("9" * 40, timedelta(days=365)),  # bounded, not an overflow
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(header: str, wait: timedelta) -> None:
    assert retry_after(header, NOW) == wait


@pytest.mark.parametrize("header", [None, "", "soon", "-5", "1.5", "١٢٠", "²", "Fri, 99 Nov"])
def test_an_unreadable_retry_after_is_ignored(header: str | None) -> None:
    assert retry_after(header, NOW) is None


def test_the_next_attempt_waits_for_the_backoff_or_retry_after_whichever_is_later() -> None:
    schedule = RetrySchedule()

    def next_wait(attempt: int, asked: timedelta | None) -> timedelta | None:
        step = schedule.after_attempt(attempt, False, NOW, 0, status_code=503, retry_after=asked)
        assert step.status is DeliveryStatus.PENDING
        assert step.next_attempt_at is not None
        return step.next_attempt_at - NOW

    assert next_wait(1, None) == timedelta(seconds=30)
    assert next_wait(1, timedelta(seconds=5)) == timedelta(seconds=30)
    assert next_wait(1, timedelta(hours=1)) == timedelta(hours=1)
    assert next_wait(3, timedelta(minutes=1)) == timedelta(minutes=8)
    # Never further than the schedule's longest wait, whatever is asked.
    assert next_wait(1, timedelta(days=10)) == schedule.longest_delay
    # The attempts still run out.
    last = schedule.after_attempt(8, False, NOW, 0, status_code=429, retry_after=timedelta(1))
    assert (last.status, last.next_attempt_at) == (DeliveryStatus.FAILED, None)
    assert last.failure == "No 2xx answer in 8 attempts."


def test_410_gone_fails_the_delivery_at_once_and_stops_its_endpoint() -> None:
    schedule = RetrySchedule()
    gone = schedule.after_attempt(1, False, NOW, 0, status_code=410)
    assert (gone.status, gone.next_attempt_at, gone.endpoint_gone) == (
        DeliveryStatus.FAILED,
        None,
        True,
    )
    assert gone.failure is not None
    assert "410 Gone" in gone.failure
    for status_code in (404, 500, None):
        step = schedule.after_attempt(1, False, NOW, 0, status_code=status_code)
        assert (step.status, step.endpoint_gone, step.failure) == (
            DeliveryStatus.PENDING,
            False,
            None,
        )
    delivered = schedule.after_attempt(1, True, NOW, 0, status_code=200)
    assert (delivered.endpoint_gone, delivered.failure) == (False, None)


def test_the_deliverer_schedules_by_the_answers_retry_after() -> None:
    journal = Journal(due_delivery(CLOCK, attempts=0))
    sender = RecordingSender(journal, status_code=503, retry_after="3600")
    assert _deliverer(journal, sender).deliver_next() is True
    ((_, attempt, step),) = journal.recorded
    assert attempt.status_code == 503
    assert step.next_attempt_at == CLOCK + timedelta(hours=1)
