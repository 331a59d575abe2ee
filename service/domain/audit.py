"""The audit log: who changed what, with its state before and after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from service.domain.tenancy import TenantOwned

#: What the audit log records changes of: the values of ``entity_type``, and of the
#: log's filter by it (a misspelt one would otherwise answer an empty list).
AUDITED_ENTITIES = (
    "api_token",
    "competency",
    "cycle_participant",
    "member",
    "member_import",
    "organisation",
    "product_role",
    "review",
    "review_cycle",
    "team",
    "webhook",
)


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

    def __post_init__(self) -> None:
        if self.entity_type not in AUDITED_ENTITIES:  # a new kind joins the list first
            raise ValueError(f"Not an audited entity: {self.entity_type!r}")
