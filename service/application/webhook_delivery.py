"""Delivering the outbox: claim a due delivery, send it signed, record the attempt.

No transaction stays open while a message is on its way. The claim (``SKIP LOCKED``,
so deliverers running side by side each take another delivery) leases the delivery
until past the longest a send may take, and commits at once. The message is sent
outside any transaction, and the attempt recorded in a second one, only if the
delivery is still as leased. A deliverer that dies mid-attempt leaves the delivery
pending, to be claimed again when the lease runs out: at least once, never lost. One
whose send outlasted its lease (resolving the host, say) records nothing if another
deliverer has claimed the delivery since: that deliverer's attempt counts.

A deliverer has up to ``concurrency`` messages on their way at once, each sent and
recorded on a thread of its own, so one endpoint that times out does not idle it.
Claims are made one at a time by the thread that runs the deliverer, only when a
thread is free. They take turns between organisations, and no organisation holds more
than ``in_flight_per_organisation`` leases across all deliverers: one organisation's
backlog, or its endpoints that time out, cannot hold up another's deliveries.

The receiver's answer steers the schedule: a ``Retry-After`` delays the next attempt
(within the longest wait), and 410 Gone fails the delivery and deactivates its
endpoint, in the transaction that records the attempt.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
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
from service.application.webhooks import stop_gone_endpoint
from service.domain.webhook_retries import NextStep, RetrySchedule, retry_after
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
    #: Added to the sender's longest attempt to make a claim's lease: resolving the
    #: host, and recording the attempt, take time too.
    lease_margin: timedelta = timedelta(minutes=1)
    #: Messages on their way at once, each on a thread of its own.
    concurrency: int = 1
    #: Leases one organisation may hold at once, across every deliverer.
    in_flight_per_organisation: int = 4

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.in_flight_per_organisation < 1:
            raise ValueError("in_flight_per_organisation must be at least 1")

    @property
    def lease(self) -> timedelta:
        """How long a claimed delivery is left to its deliverer."""
        return self.sender.longest_attempt + self.lease_margin

    def deliver_next(self) -> bool:
        """Attempt the next due delivery, if any, in this thread; False when none is
        due that this deliverer may take."""
        due = self._claim()
        if due is None:
            return False
        self._attempt(due)
        return True

    def _attempt(self, due: DueDelivery) -> None:
        """Send the claimed delivery and record the attempt; never raises: an attempt
        that could not be recorded is made again once its lease runs out."""
        facts: dict[str, object] = {"org_id": str(due.org_id), "delivery_id": str(due.id)}
        try:
            started = self.clock()
            result = self.sender.send(message_of(due, started), started)
            attempt = DeliveryAttempt(
                attempt=due.attempts + 1,
                attempted_at=started,
                status_code=result.status_code,
                error=result.error,
                duration_ms=result.duration_ms,
            )
            now = self.clock()
            step = self.schedule.after_attempt(
                attempt.attempt,
                result.succeeded,
                now,
                self.spread(),
                status_code=result.status_code,
                retry_after=None if result.succeeded else retry_after(result.retry_after, now),
            )
            facts |= {
                "attempt": attempt.attempt,
                "status_code": result.status_code,
                "error": result.error,
                "outcome": step.status.value,
            }
            recorded = self._record(due, attempt, step)
        except Exception:  # the database away, say: the lease runs out, it is sent again
            log.exception("webhook attempt not recorded; it is made again later", extra=facts)
            return
        if not recorded:
            log.warning(
                "webhook attempt not recorded: the delivery was removed or dropped, or "
                "claimed again after the lease ran out",
                extra=facts,
            )
            return
        log.info("webhook attempt", extra=facts)
        if step.endpoint_gone:
            log.warning(
                "webhook endpoint deactivated: it answered 410 Gone",
                extra=facts | {"webhook_id": str(due.webhook_id)},
            )

    def _claim(self) -> DueDelivery | None:
        """The next due delivery, leased in a transaction of its own (committed)."""
        uow = self.unit_of_work()
        try:
            due = uow.webhook_outbox.claim_due(self.lease, self.in_flight_per_organisation)
            if due is not None:
                uow.commit()
            return due
        finally:
            uow.close()

    def _record(self, due: DueDelivery, attempt: DeliveryAttempt, step: NextStep) -> bool:
        uow = self.unit_of_work()
        try:
            uow.bind_tenant(due.org_id)
            recorded = uow.webhook_outbox.record_attempt(due, attempt, step)
            if recorded and step.endpoint_gone:
                stop_gone_endpoint(uow, due.webhook_id, due.id, attempt.attempted_at)
            uow.commit()
            return recorded
        finally:
            uow.close()

    def deliver_due(self, stop: threading.Event | None = None) -> int:
        """Everything due now (retries fall due later), up to ``concurrency`` messages
        at once, unless stopped; the count of attempts. It returns once nothing more may
        be claimed and every attempt it made is over (a stop lets those finish too).

        A claim that finds nothing (the organisations with something due are at their
        cap, held by this deliverer or others) is made again when one of this
        deliverer's attempts ends, or after ``idle_seconds``, while any is on its way.
        """
        stopping = stop or threading.Event()
        count = 0
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="webhook-send") as sends:
            in_flight: set[Future[None]] = set()
            while not stopping.is_set():
                if len(in_flight) >= self.concurrency:
                    in_flight = wait(in_flight, return_when=FIRST_COMPLETED).not_done
                    continue
                due = self._claim()
                if due is None:
                    if not in_flight:
                        break
                    in_flight = wait(
                        in_flight, timeout=self.idle_seconds, return_when=FIRST_COMPLETED
                    ).not_done
                    continue
                in_flight.add(sends.submit(self._attempt, due))
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
