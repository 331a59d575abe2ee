"""Recording and reading the audit log."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from service.application import webhook_events
from service.application.context import Context, require_org_admin
from service.application.pagination import Page, PageRequest
from service.application.ports import AuditFilters
from service.domain.audit import AuditEvent

#: Never written to the audit log, whatever the entity.
SECRET_FIELDS = frozenset({"password_hash", "token_hash"})


def _jsonable(value: Any) -> Any:
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return snapshot(value)
    return value


def snapshot(entity: Any, *, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A JSON-ready copy of a domain object's fields, secrets left out."""
    return {
        f.name: _jsonable(getattr(entity, f.name))
        for f in dataclasses.fields(entity)
        if f.name not in SECRET_FIELDS | exclude | {"org_id", "version", "created_at"}
    }


def event(
    ctx: Context,
    *,
    entity_type: str,
    entity_id: UUID,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    org_id: UUID | None = None,
    actor_id: UUID | None = None,
) -> AuditEvent:
    """An audit event by the caller (or ``actor_id``), now; ``record`` adds it, the
    CSV import writes many at once."""
    principal = ctx.principal
    return AuditEvent(
        org_id=org_id or ctx.caller.org_id,
        id=uuid.uuid4(),
        actor_id=actor_id or (principal.member_id if principal else None),
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        before=before,
        after=after,
        created_at=ctx.now(),
    )


def record(
    ctx: Context,
    *,
    entity_type: str,
    entity_id: UUID,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    org_id: UUID | None = None,
    actor_id: UUID | None = None,
) -> None:
    recorded = event(
        ctx,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        before=before,
        after=after,
        org_id=org_id,
        actor_id=actor_id,
    )
    ctx.uow.audit_log.add(recorded)
    # The webhook outbox hook: a change integrators subscribe to is published in this
    # same transaction (see webhook_events). The CSV import's bulk events bypass it,
    # and may: an import creates and updates people, it deactivates no one.
    webhook_events.publish(ctx, recorded)


def record_changes(
    ctx: Context,
    *,
    entity_type: str,
    entity_id: UUID,
    before: dict[str, Any],
    after: dict[str, Any],
    action: str = "updated",
) -> bool:
    """An update's event, with its snapshots, only when something changed; whether it did.
    A PATCH that sets what was already there leaves no trace."""
    if after == before:
        return False
    record(
        ctx, entity_type=entity_type, entity_id=entity_id, action=action, before=before, after=after
    )
    return True


def list_audit_events(ctx: Context, filters: AuditFilters, page: PageRequest) -> Page[AuditEvent]:
    """The organisation's log, but for what it says about the reader's own reviews: an
    admin is a reviewee like anyone, and learns nothing of their reviews, calibration
    or peers through the log (PRODUCT.md: blindness and anonymity)."""
    caller = require_org_admin(ctx)
    return ctx.uow.audit_log.list(replace(filters, not_about=caller.member_id), page)
