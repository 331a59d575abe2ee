"""Webhook endpoints, in Core statements scoped to the bound organisation.

Core rather than the ORM: an endpoint is one flat row, and ``orm.py`` belongs to
the review work. Every statement names ``org_id`` itself (row-level security is
the second guard), and a save carries the version it read, as the ORM's
``version_id_col`` would.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import delete, insert, select, update

from service.adapters.repositories import TenantQueries, page_of
from service.adapters.webhook_tables import webhooks
from service.application.pagination import Page, PageRequest
from service.domain.errors import PreconditionFailed
from service.domain.webhooks import Webhook

_COLUMNS = (
    "url",
    "events",
    "description",
    "active",
    "secret",
    "previous_secret",
    "previous_secret_expires_at",
    "updated_at",
)


def _webhook(row: Any) -> Webhook:
    return Webhook(
        org_id=row.org_id,
        id=row.id,
        url=row.url,
        events=list(row.events),
        secret=row.secret,
        description=row.description,
        active=row.active,
        previous_secret=row.previous_secret,
        previous_secret_expires_at=row.previous_secret_expires_at,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _values(webhook: Webhook) -> dict[str, Any]:
    return {name: getattr(webhook, name) for name in _COLUMNS}


class WebhookRepository(TenantQueries):
    def add(self, webhook: Webhook) -> None:
        self.session.execute(
            insert(webhooks).values(
                org_id=self.org_id,
                id=webhook.id,
                version=webhook.version,
                created_at=webhook.created_at,
                **_values(webhook),
            )
        )

    def get(self, webhook_id: UUID) -> Webhook | None:
        c = webhooks.c
        row = self.session.execute(
            select(webhooks).where(c.org_id == self.org_id, c.id == webhook_id)
        ).first()
        return None if row is None else _webhook(row)

    def save(self, webhook: Webhook) -> None:
        c = webhooks.c
        saved = self.session.execute(
            update(webhooks)
            .where(c.org_id == self.org_id, c.id == webhook.id, c.version == webhook.version)
            .values(version=c.version + 1, **_values(webhook))
            .returning(c.version)
        ).first()
        if saved is None:
            raise PreconditionFailed("The resource changed since you read it; read it again.")
        webhook.version = saved.version

    def delete(self, webhook: Webhook) -> None:
        c = webhooks.c
        self.session.execute(delete(webhooks).where(c.org_id == self.org_id, c.id == webhook.id))

    def list(self, page: PageRequest) -> Page[Webhook]:
        c = webhooks.c
        statement = select(webhooks).where(c.org_id == self.org_id).order_by(c.created_at, c.id)
        return page_of(self.session, statement, page, _webhook)
