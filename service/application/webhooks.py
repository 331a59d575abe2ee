"""Webhook endpoints: registered by admins, their secrets shown at creation and rotation
only, every change audited; their delivery log.

An inactive endpoint's pending deliveries are parked (migration 0017's trigger, on any
change of ``active``): they wait, costing the deliverers' claim nothing, and fall due at
once when it is active again. Unsubscribing from an event type drops the deliveries
queued of it. A receiver that answers 410 Gone has its endpoint deactivated by the
deliverer, audited with no actor.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from service.application import audit
from service.application.concurrency import check_version
from service.application.context import Context, require_org_admin
from service.application.pagination import Page, PageRequest
from service.application.ports import UnitOfWork
from service.application.webhook_ports import DeliveryRecord
from service.domain.audit import AuditEvent
from service.domain.errors import Invalid, NotFound
from service.domain.webhooks import (
    Webhook,
    addresses_refusal,
    ensure_room_for_another,
    new_signing_secret,
    normalise_events,
    parse_endpoint_url,
)

#: Never in the audit log: the secrets sign messages and stay retrievable; the time of
#: a change is the event's own.
_NOT_AUDITED = frozenset({"secret", "previous_secret", "updated_at"})


@dataclass(frozen=True, slots=True)
class NewWebhook:
    url: str
    events: list[str]
    description: str | None = None
    active: bool = True


def _checked_url(ctx: Context, url: str) -> str:
    """The URL, once its host resolves, and only to addresses we may call."""
    hosts = ctx.uow.webhook_hosts
    endpoint = parse_endpoint_url(url, allow_loopback=hosts.allow_loopback)
    addresses = hosts.addresses(endpoint.host, endpoint.port)
    refusal = addresses_refusal(addresses, allow_loopback=hosts.allow_loopback)
    if refusal is not None:
        raise Invalid("The URL is not allowed.", {"url": [refusal]})
    return endpoint.url


def _snapshot(webhook: Webhook) -> dict[str, Any]:
    return audit.snapshot(webhook, exclude=_NOT_AUDITED)


def _webhook(ctx: Context, webhook_id: UUID) -> Webhook:
    webhook = ctx.uow.webhooks.get(webhook_id)
    if webhook is None:
        raise NotFound("Webhook")
    return webhook


def create_webhook(ctx: Context, cmd: NewWebhook) -> Webhook:
    caller = require_org_admin(ctx)
    url = _checked_url(ctx, cmd.url)
    events = normalise_events(cmd.events)
    ensure_room_for_another(ctx.uow.webhooks.registered_count())
    now = ctx.now()
    webhook = Webhook(
        org_id=caller.org_id,
        id=uuid.uuid4(),
        url=url,
        events=events,
        secret=new_signing_secret(),
        description=cmd.description,
        active=cmd.active,
        created_at=now,
        updated_at=now,
    )
    ctx.uow.webhooks.add(webhook)
    audit.record(
        ctx, entity_type="webhook", entity_id=webhook.id, action="created", after=_snapshot(webhook)
    )
    ctx.uow.commit()
    return webhook


def list_webhooks(ctx: Context, page: PageRequest) -> Page[Webhook]:
    require_org_admin(ctx)
    return ctx.uow.webhooks.list(page)


def get_webhook(ctx: Context, webhook_id: UUID) -> Webhook:
    require_org_admin(ctx)
    return _webhook(ctx, webhook_id)


def update_webhook(
    ctx: Context, webhook_id: UUID, values: Mapping[str, Any], expected_version: int | None
) -> Webhook:
    require_org_admin(ctx)
    webhook = _webhook(ctx, webhook_id)
    check_version(webhook.version, expected_version)
    before = _snapshot(webhook)
    if "url" in values:
        webhook.url = _checked_url(ctx, values["url"])
    if "events" in values:
        webhook.events = normalise_events(values["events"])
        # What was queued of a type it no longer wants is not sent.
        ctx.uow.webhook_outbox.drop_unsubscribed(webhook.id, webhook.events)
    if "description" in values:
        webhook.description = values["description"]
    if "active" in values:
        webhook.active = bool(values["active"])
    changed = audit.record_changes(
        ctx, entity_type="webhook", entity_id=webhook.id, before=before, after=_snapshot(webhook)
    )
    if changed:
        webhook.updated_at = ctx.now()
    ctx.uow.commit()
    return webhook


def stop_gone_endpoint(uow: UnitOfWork, webhook_id: UUID, delivery_id: UUID, at: datetime) -> bool:
    """The receiver answered delivery ``delivery_id`` with 410 Gone: the endpoint is
    deactivated (its queued deliveries are parked with it), in the unit of work that
    records the attempt, and audited as the service's doing (no actor). Whether it was
    active until now."""
    webhook = uow.webhooks.get(webhook_id)
    if webhook is None or not webhook.active:
        return False
    webhook.active = False
    webhook.updated_at = at
    # Straight to the log: no one made this change, and a webhook's own changes
    # publish no event (``audit.record`` would publish the ones that do).
    uow.audit_log.add(
        AuditEvent(
            org_id=webhook.org_id,
            id=uuid.uuid4(),
            actor_id=None,
            entity_type="webhook",
            entity_id=webhook.id,
            action="deactivated",
            before={"active": True},
            after={"active": False, "reason": "gone", "delivery_id": str(delivery_id)},
            created_at=at,
        )
    )
    return True


def delete_webhook(ctx: Context, webhook_id: UUID, expected_version: int | None) -> None:
    """With its delivery log; deliveries not yet made are dropped."""
    require_org_admin(ctx)
    webhook = _webhook(ctx, webhook_id)
    check_version(webhook.version, expected_version)
    before = _snapshot(webhook)
    ctx.uow.webhooks.delete(webhook)
    audit.record(ctx, entity_type="webhook", entity_id=webhook.id, action="deleted", before=before)
    ctx.uow.commit()


def rotate_secret(
    ctx: Context, webhook_id: UUID, grace: timedelta, expected_version: int | None
) -> Webhook:
    require_org_admin(ctx)
    webhook = _webhook(ctx, webhook_id)
    check_version(webhook.version, expected_version)
    now = ctx.now()
    webhook.rotate_secret(now, grace)
    webhook.updated_at = now
    audit.record(
        ctx,
        entity_type="webhook",
        entity_id=webhook.id,
        action="secret_rotated",
        after={"previous_secret_expires_at": _snapshot(webhook)["previous_secret_expires_at"]},
    )
    ctx.uow.commit()
    return webhook


def list_deliveries(
    ctx: Context, webhook_id: UUID, status: str | None, page: PageRequest
) -> Page[DeliveryRecord]:
    require_org_admin(ctx)
    webhook = _webhook(ctx, webhook_id)
    return ctx.uow.webhook_outbox.deliveries(webhook.id, status, page)
