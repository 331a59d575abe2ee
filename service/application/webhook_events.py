"""Publishing webhook events into the outbox, from the audit log.

Every change an integrator can subscribe to is audited through ``audit.record``, in
the transaction of the change; publishing from there puts the event in the outbox in
that same transaction (committed with the change, or rolled back with it), without
each use case having to remember it.
"""

from __future__ import annotations

import uuid

from service.application.context import Context
from service.domain.audit import AuditEvent
from service.domain.webhook_events import Change, webhook_event_of


def publish(ctx: Context, audited: AuditEvent) -> None:
    event = webhook_event_of(
        Change(
            entity_type=audited.entity_type,
            entity_id=audited.entity_id,
            action=audited.action,
            actor_id=audited.actor_id,
            before=audited.before,
            after=audited.after,
        ),
        audited.created_at or ctx.now(),
    )
    if event is not None:
        ctx.uow.webhook_outbox.enqueue(audited.org_id, uuid.uuid4(), event)
