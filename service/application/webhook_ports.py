"""What webhooks need from the outside world: storage, an outbox, DNS and HTTP."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from service.application.pagination import Page, PageRequest
from service.domain.webhook_events import WebhookEvent
from service.domain.webhook_retries import NextStep
from service.domain.webhooks import Webhook


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    attempt: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One event on its way to one endpoint, with every attempt so far."""

    id: UUID
    event_id: UUID
    event_type: str
    payload: dict[str, Any]
    status: str
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    #: Why a failed delivery was given up.
    failure: str | None = None


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A claimed delivery, leased to its deliverer until ``leased_until``, with what
    sending it needs."""

    org_id: UUID
    id: UUID
    webhook_id: UUID
    event_id: UUID
    url: str
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None
    payload: dict[str, Any]
    attempts: int
    leased_until: datetime


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    url: str
    message_id: str
    body: str
    secrets: list[str]


@dataclass(frozen=True, slots=True)
class SendResult:
    status_code: int | None
    error: str | None
    duration_ms: int
    #: The answer's ``Retry-After`` header, as sent.
    retry_after: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Webhooks(Protocol):
    def add(self, webhook: Webhook) -> None: ...

    def get(self, webhook_id: UUID) -> Webhook | None: ...

    def delete(self, webhook: Webhook) -> None:
        """With its deliveries and their attempts."""
        ...

    def list(self, page: PageRequest) -> Page[Webhook]: ...

    def registered_count(self) -> int:
        """The organisation's endpoints, active or not; another registration in the
        organisation waits for this transaction to end before it counts."""
        ...


class WebhookOutbox(Protocol):
    def enqueue(self, org_id: UUID, event_id: UUID, event: WebhookEvent) -> None:
        """One delivery per active endpoint of the organisation subscribed to the
        event's type, in the current transaction; nothing when there is none."""
        ...

    def deliveries(
        self, webhook_id: UUID, status: str | None, page: PageRequest
    ) -> Page[DeliveryRecord]: ...

    def claim_due(self, lease: timedelta, per_organisation: int) -> DueDelivery | None:
        """A due delivery of the organisation whose turn it is (the fewest deliveries
        on their way, then the longest since its last, then the earliest due), never
        of one that holds ``per_organisation`` unexpired leases already; others skip
        it while this transaction holds it. Its organisation is bound as the tenant,
        and it is leased for ``lease``, so that once this transaction commits, no
        deliverer claims it again before the lease runs out. None when nothing is due
        that this claim may take."""
        ...

    def record_attempt(self, due: DueDelivery, attempt: DeliveryAttempt, step: NextStep) -> bool:
        """The attempt and the delivery's next step, with ``due``'s organisation bound,
        giving the lease back; nothing (False) when the lease was lost: the delivery is
        no longer as it was claimed (deleted, dropped, or claimed again after the lease
        ran out). A delivery whose endpoint was deactivated meanwhile stays parked."""
        ...

    def drop_unsubscribed(self, webhook_id: UUID, events: builtins.list[str]) -> int:
        """Fail the endpoint's pending deliveries of event types not in ``events``
        (saying so), giving back their leases; how many."""
        ...

    def prune(self, before: datetime) -> int:
        """Delete finished deliveries created before ``before`` (never within the last
        day), with their attempts and events left without a delivery; how many."""
        ...


class WebhookHosts(Protocol):
    """Where this deployment lets webhooks go."""

    @property
    def allow_loopback(self) -> bool: ...

    def addresses(self, host: str, port: int) -> builtins.list[str]:
        """Every address the host resolves to; empty when it does not resolve."""
        ...


class WebhookSender(Protocol):
    @property
    def longest_attempt(self) -> timedelta:
        """The longest a ``send`` takes before it gives up (resolving the host aside)."""
        ...

    def send(self, message: OutgoingMessage, now: datetime) -> SendResult:
        """POST the signed message; never raises for the receiver's faults."""
        ...

    def close(self) -> None:
        """Let go of open connections."""
        ...
