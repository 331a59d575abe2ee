"""Webhook endpoints: mapped like every other versioned entity (``orm.py``), so the
unit of work's flush checks the version read and answers a stale write with 412."""

from __future__ import annotations

from sqlalchemy import select

from service.adapters.repositories import Repository, paginate
from service.adapters.webhook_tables import webhooks
from service.application.pagination import Page, PageRequest
from service.domain.webhooks import Webhook


class WebhookRepository(Repository[Webhook]):
    entity = Webhook
    table = webhooks

    def list(self, page: PageRequest) -> Page[Webhook]:
        c = webhooks.c
        return paginate(self.session, select(Webhook).order_by(c.created_at, c.id), page)
