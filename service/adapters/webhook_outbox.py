"""The webhook outbox: events in, deliveries claimed and leased, attempts recorded.

A claim (migration 0012's ``webhook_claim_due``) picks an organisation's due delivery,
taking turns between organisations and keeping each under its cap of leases, and
locks it; the repository leases it (``leased_until``), in the claiming transaction,
which the deliverer commits before it sends. The row is locked only for that short
transaction; the lease keeps other deliverers off it while the message is on its
way. The attempt is recorded in a second transaction, and only if the delivery is
still as it was leased; recording gives the lease back.

``parked`` is kept by migration 0017's trigger on ``webhooks.active``, whoever writes
it: this module never sets it. A delivery parked while on its way stays parked when
its attempt is recorded (the recording leaves the flag alone).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import String

from service.adapters.repositories import TenantQueries, page_of
from service.adapters.tenancy import bind, set_tenant
from service.adapters.webhook_tables import webhook_attempts, webhook_deliveries, webhook_events
from service.application.pagination import Page, PageRequest
from service.application.webhook_ports import DeliveryAttempt, DeliveryRecord, DueDelivery
from service.domain.webhook_events import WebhookEvent
from service.domain.webhook_retries import DeliveryStatus, NextStep

# One statement, whatever the number of endpoints, and none of its rows when no
# active endpoint subscribes: the event row is written only for someone to deliver to.
# Deliveries fall due at the database's now(), the clock the claim compares with.
# The endpoints are read FOR KEY SHARE: an endpoint whose deletion is in flight is
# waited for, then skipped (a plain read would pick it, and the delivery's foreign key
# would fail once the deletion commits); one read here is not deleted before the commit.
_ENQUEUE = text(
    """
    WITH targets AS (
        SELECT id FROM webhooks
        WHERE org_id = :org_id AND active AND CAST(:type AS varchar) = ANY(events)
        FOR KEY SHARE
    ), event AS (
        INSERT INTO webhook_events (org_id, id, type, payload, created_at)
        SELECT :org_id, :event_id, :type, CAST(:payload AS jsonb), :created_at
        WHERE EXISTS (SELECT FROM targets)
        RETURNING id
    )
    INSERT INTO webhook_deliveries
        (org_id, id, webhook_id, event_id, status, next_attempt_at, created_at)
    SELECT :org_id, gen_random_uuid(), targets.id, event.id, 'pending', now(), now()
    FROM targets CROSS JOIN event
    """
)
# Across organisations, finished rows only (migration 0008): before any tenant is bound.
_PRUNE = text("SELECT webhook_prune(:before)")
# Claiming and binding the tenant share one round trip (as resolving a token does).
# The claim holds the organisation's claim lock (an advisory lock) until the commit,
# so the lease below is counted by the next claim of the organisation.
_CLAIM = text(
    f"SELECT c.org_id, c.delivery_id, {set_tenant('c.org_id::text')}"
    " FROM webhook_claim_due(:per_organisation) AS c"
)
# The lease, and what sending needs, in one round trip (under row-level security, the
# claimed delivery's organisation bound). The delivery stays due when it was due.
_LEASE = text(
    """
    UPDATE webhook_deliveries d
    SET leased_until = now() + CAST(:lease AS interval)
    FROM webhooks w, webhook_events e
    WHERE d.org_id = :org_id AND d.id = :delivery_id
      AND w.org_id = d.org_id AND w.id = d.webhook_id
      AND e.org_id = d.org_id AND e.id = d.event_id
    RETURNING d.org_id, d.id, d.webhook_id, d.event_id, d.attempts, d.leased_until,
              e.payload, w.url, w.secret, w.previous_secret, w.previous_secret_expires_at
    """
)
# The endpoint's pending deliveries of event types it no longer subscribes to: failed,
# saying so, and their leases given back (an attempt on its way is not recorded).
_DROP_UNSUBSCRIBED = text(
    """
    UPDATE webhook_deliveries d
    SET status = 'failed', next_attempt_at = NULL,
        failure = 'The endpoint stopped subscribing to ' || e.type || '.',
        leased_until = LEAST(d.leased_until, now())
    FROM webhook_events e
    WHERE d.org_id = :org_id AND d.webhook_id = :webhook_id AND d.status = 'pending'
      AND e.org_id = d.org_id AND e.id = d.event_id AND NOT e.type = ANY(:events)
    """
).bindparams(bindparam("events", type_=ARRAY(String)))
MAX_ERROR_LENGTH = 500
_PAYLOAD_ORDER = ("type", "timestamp", "data")


def _payload(stored: dict[str, Any]) -> dict[str, Any]:
    """In the order it was written (JSONB keeps keys shortest first)."""
    return {k: stored[k] for k in _PAYLOAD_ORDER if k in stored} | stored


class WebhookOutboxRepository(TenantQueries):
    def enqueue(self, org_id: UUID, event_id: UUID, event: WebhookEvent) -> None:
        self.session.execute(
            _ENQUEUE,
            {
                "org_id": org_id,
                "event_id": event_id,
                "type": event.type,
                "payload": json.dumps(event.payload(), separators=(",", ":")),
                "created_at": event.timestamp,
            },
        )

    def deliveries(
        self, webhook_id: UUID, status: str | None, page: PageRequest
    ) -> Page[DeliveryRecord]:
        d, e = webhook_deliveries.c, webhook_events.c
        statement = (
            select(
                d.id,
                d.event_id,
                e.type,
                e.payload,
                d.status,
                d.created_at,
                d.next_attempt_at,
                d.delivered_at,
                d.failure,
            )
            .join_from(
                webhook_deliveries,
                webhook_events,
                (e.org_id == d.org_id) & (e.id == d.event_id),
            )
            .where(d.org_id == self.org_id, d.webhook_id == webhook_id)
            .order_by(d.created_at.desc(), d.id.desc())
        )
        if status is not None:
            statement = statement.where(d.status == status)
        listed = page_of(self.session, statement, page, lambda row: row)
        attempts = self._attempts([row.id for row in listed.items])
        return Page(
            [
                DeliveryRecord(
                    id=row.id,
                    event_id=row.event_id,
                    event_type=row.type,
                    payload=_payload(row.payload),
                    status=row.status,
                    created_at=row.created_at,
                    next_attempt_at=row.next_attempt_at,
                    delivered_at=row.delivered_at,
                    attempts=attempts.get(row.id, []),
                    failure=row.failure,
                )
                for row in listed.items
            ],
            listed.total,
        )

    def _attempts(self, delivery_ids: list[UUID]) -> dict[UUID, list[DeliveryAttempt]]:
        found: dict[UUID, list[DeliveryAttempt]] = defaultdict(list)
        if not delivery_ids:
            return found
        a = webhook_attempts.c
        rows = self.session.execute(
            select(webhook_attempts)
            .where(a.org_id == self.org_id, a.delivery_id.in_(delivery_ids))
            .order_by(a.delivery_id, a.attempt)
        )
        for row in rows:
            found[row.delivery_id].append(
                DeliveryAttempt(
                    row.attempt, row.attempted_at, row.status_code, row.error, row.duration_ms
                )
            )
        return found

    def claim_due(self, lease: timedelta, per_organisation: int) -> DueDelivery | None:
        claimed = self.session.execute(_CLAIM, {"per_organisation": per_organisation}).first()
        if claimed is None:
            return None
        org_id: UUID = claimed.org_id
        bind(self.session, org_id, already_set=True)
        row: Any = self.session.execute(
            _LEASE, {"org_id": org_id, "delivery_id": claimed.delivery_id, "lease": lease}
        ).one()
        return DueDelivery(
            org_id=row.org_id,
            id=row.id,
            webhook_id=row.webhook_id,
            event_id=row.event_id,
            url=row.url,
            secret=row.secret,
            previous_secret=row.previous_secret,
            previous_secret_expires_at=row.previous_secret_expires_at,
            payload=_payload(row.payload),
            attempts=row.attempts,
            leased_until=row.leased_until,
        )

    def drop_unsubscribed(self, webhook_id: UUID, events: list[str]) -> int:
        dropped = self.session.execute(
            _DROP_UNSUBSCRIBED,
            {"org_id": self.org_id, "webhook_id": webhook_id, "events": events},
        )
        return int(dropped.rowcount)  # type: ignore[attr-defined]

    def prune(self, before: datetime) -> int:
        removed = self.session.execute(_PRUNE, {"before": before}).scalar_one()
        return int(removed)

    def record_attempt(self, due: DueDelivery, attempt: DeliveryAttempt, step: NextStep) -> bool:
        d = webhook_deliveries.c
        delivered = step.status is DeliveryStatus.DELIVERED
        # Only the lease's holder moves the delivery on: still pending, with the
        # attempts and the lease it was claimed with. It gives the lease back (the
        # time it did so is the organisation's last turn, for the next claims).
        moved_on = self.session.execute(
            update(webhook_deliveries)
            .where(
                d.org_id == due.org_id,
                d.id == due.id,
                d.status == DeliveryStatus.PENDING.value,
                d.attempts == due.attempts,
                d.leased_until == due.leased_until,
            )
            .values(
                status=step.status.value,
                attempts=attempt.attempt,
                next_attempt_at=step.next_attempt_at,
                delivered_at=attempt.attempted_at if delivered else None,
                failure=step.failure,
                leased_until=func.least(d.leased_until, func.now()),
            )
            .returning(d.id)
        ).first()
        if moved_on is None:
            return False
        error = attempt.error[:MAX_ERROR_LENGTH] if attempt.error else None
        self.session.execute(
            insert(webhook_attempts).values(
                org_id=due.org_id,
                id=uuid.uuid4(),
                delivery_id=due.id,
                attempt=attempt.attempt,
                attempted_at=attempt.attempted_at,
                status_code=attempt.status_code,
                error=error,
                duration_ms=attempt.duration_ms,
            )
        )
        return True
