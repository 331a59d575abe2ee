"""The audit log: who changed what, with its state before and after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from service.domain.tenancy import TenantOwned


@dataclass(eq=False)
class AuditEvent(TenantOwned):
    org_id: UUID
    id: UUID
    actor_id: UUID | None
    entity_type: str
    entity_id: UUID
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    created_at: datetime | None = None
