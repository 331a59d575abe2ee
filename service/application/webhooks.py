"""Webhook endpoints: registered by admins, their secrets shown at creation and rotation
only, every change audited; their delivery log."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from service.application import audit
from service.application.concurrency import check_version
from service.application.context import Context, require_org_admin
from service.application.pagination import Page, PageRequest
from service.application.webhook_ports import DeliveryRecord
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
