"""Webhook endpoints: mapped like every other versioned entity (``orm.py``), so the
unit of work's flush checks the version read and answers a stale write with 412."""

from __future__ import annotations

from sqlalchemy import func, select

from service.adapters.repositories import Repository, paginate
from service.adapters.webhook_tables import webhooks
from service.application.pagination import Page, PageRequest
from service.domain.webhooks import Webhook

#: First key of the transaction-level advisory lock on an organisation's endpoints
#: (``repositories.ADMINS_LOCK`` and ``structure_repositories.REPORTING_LOCK`` differ).
WEBHOOKS_LOCK = 0x7E6B


class WebhookRepository(Repository[Webhook]):
    entity = Webhook
    table = webhooks

    def list(self, page: PageRequest) -> Page[Webhook]:
        c = webhooks.c
        return paginate(self.session, select(Webhook).order_by(c.created_at, c.id), page)

    def registered_count(self) -> int:
        # Counted under the lock, held until the transaction ends: of two registrations
        # at once, the second counts after the first commits, so both cannot pass the cap.
        self.hold_lock(WEBHOOKS_LOCK)
        c = webhooks.c
        return int(
            self.session.execute(
                select(func.count()).select_from(Webhook).where(c.org_id == self.org_id)
            ).scalar_one()
        )
