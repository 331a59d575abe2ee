"""Idempotency records, locked while a request decides what to do with its key."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, select

from service.adapters import tables
from service.adapters.repositories import Repository
from service.domain.idempotency import IdempotencyRecord


class IdempotencyRepository(Repository[IdempotencyRecord]):
    entity = IdempotencyRecord
    table = tables.idempotency_keys

    def get_for_update(self, member_id: UUID, key: str) -> IdempotencyRecord | None:
        c = self.table.c
        return self.session.execute(
            select(IdempotencyRecord)
            .where(c.member_id == member_id, c.key == key)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()

    def prune_expired(self, created_before: datetime, limit: int) -> None:
        c = self.table.c
        # A CTE runs once; "id IN (SELECT ... LIMIT n)" may be rescanned by the plan and,
        # with ties in created_at, pick other rows each time: more than n would go.
        oldest = (
            select(c.id)
            .where(c.org_id == self.org_id, c.created_at < created_before)
            .order_by(c.created_at, c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("oldest_expired")
        )
        self.session.execute(
            delete(self.table).where(c.org_id == self.org_id, c.id.in_(select(oldest.c.id)))
        )
