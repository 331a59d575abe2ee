"""Idempotency records, locked while a request decides what to do with its key."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select

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
