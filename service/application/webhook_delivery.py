"""Delivering the outbox: claim a due delivery, send it signed, record the attempt.

One delivery per transaction. The claim locks the delivery's row until the attempt
is recorded and committed, so deliverers running side by side skip it (``SKIP
LOCKED``) instead of sending it twice; a deliverer that dies mid-attempt leaves the
row unlocked and unchanged, to be sent again: at least once, never lost.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from service.application.context import utc_now
from service.application.ports import UnitOfWork
from service.application.webhook_ports import (
    DeliveryAttempt,
    DueDelivery,
    OutgoingMessage,
    WebhookSender,
)
from service.domain.webhook_retries import RetrySchedule
from service.domain.webhooks import signing_secrets

log = logging.getLogger("service.webhooks")


def _spread() -> float:
    return random.uniform(-1.0, 1.0)  # noqa: S311 - jitter, not a secret


def message_of(due: DueDelivery, now: datetime) -> OutgoingMessage:
    return OutgoingMessage(
        url=due.url,
        # The event's id: the same on every retry, so receivers can drop duplicates.
        message_id=str(due.event_id),
        body=json.dumps(due.payload, separators=(",", ":"), ensure_ascii=False),
        secrets=signing_secrets(
            due.secret, due.previous_secret, due.previous_secret_expires_at, now
        ),
    )


@dataclass(frozen=True)
class Deliverer:
    unit_of_work: Callable[[], UnitOfWork]
    sender: WebhookSender
    schedule: RetrySchedule = field(default_factory=RetrySchedule)
    idle_seconds: float = 1.0
    clock: Callable[[], datetime] = utc_now
    spread: Callable[[], float] = _spread
    #: Finished deliveries older than this leave the outbox; checked every prune period.
    retention: timedelta = timedelta(days=30)
    prune_every: timedelta = timedelta(hours=1)

    def deliver_next(self) -> bool:
        """Attempt the next due delivery, if any; False when none is due."""
        uow = self.unit_of_work()
        try:
            outbox = uow.webhook_outbox
            due = outbox.claim_due()
            if due is None:
                return False
            started = self.clock()
            result = self.sender.send(message_of(due, started), started)
            attempt = DeliveryAttempt(
                attempt=due.attempts + 1,
                attempted_at=started,
                status_code=result.status_code,
                error=result.error,
                duration_ms=result.duration_ms,
            )
            step = self.schedule.after_attempt(
                attempt.attempt, result.succeeded, self.clock(), self.spread()
            )
            outbox.record_attempt(due, attempt, step)
            uow.commit()
            log.info(
                "webhook attempt",
                extra={
                    "org_id": str(due.org_id),
                    "delivery_id": str(due.id),
                    "attempt": attempt.attempt,
                    "status_code": result.status_code,
                    "error": result.error,
                    "outcome": step.status.value,
                },
            )
            return True
        finally:
            uow.close()

    def deliver_due(self, stop: threading.Event | None = None) -> int:
        """Everything due now (retries fall due later), unless stopped; the count."""
        count = 0
        while (stop is None or not stop.is_set()) and self.deliver_next():
            count += 1
        return count

    def prune(self) -> int:
        """Finished deliveries older than the retention leave the outbox; how many."""
        uow = self.unit_of_work()
        try:
            removed = uow.webhook_outbox.prune(self.clock() - self.retention)
            uow.commit()
        finally:
            uow.close()
        if removed:
            log.info("webhook outbox pruned", extra={"deliveries_removed": removed})
        return removed

    def run(self, stop: threading.Event) -> None:
        """Until ``stop`` is set: deliver what is due, sleep briefly when idle, and
        prune the outbox once a prune period (several deliverers may: it is idempotent)."""
        pruned_at: datetime | None = None
        while not stop.is_set():
            try:
                if pruned_at is None or self.clock() - pruned_at >= self.prune_every:
                    self.prune()
                    pruned_at = self.clock()
                delivered = self.deliver_due(stop)
            except Exception:  # the database away, say: keep the worker alive
                log.exception("webhook delivery failed; trying again shortly")
                delivered = 0
            if delivered == 0:
                stop.wait(self.idle_seconds)
