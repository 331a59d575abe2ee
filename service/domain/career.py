"""The career framework: competencies, teams and the product-role ladder."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from service.domain.tenancy import TenantOwned


@dataclass(eq=False)
class Team(TenantOwned):
    org_id: UUID
    id: UUID
    name: str
    description: str | None = None
    version: int = 1
    created_at: datetime | None = None


@dataclass(eq=False)
class Competency(TenantOwned):
    org_id: UUID
    id: UUID
    key: str
    name: str
    description: str | None = None
    retired: bool = False
    position: int = 0
    version: int = 1
    created_at: datetime | None = None


@dataclass(eq=False)
class Expectation(TenantOwned):
    org_id: UUID
    id: UUID
    role_id: UUID
    competency_id: UUID
    expected_score: int
    weight: Decimal
    description: str | None = None


@dataclass(eq=False)
class ProductRole(TenantOwned):
    org_id: UUID
    id: UUID
    name: str
    track: str
    level: int
    description: str | None = None
    pay_currency: str | None = None
    pay_min: Decimal | None = None
    pay_max: Decimal | None = None
    expectations: list[Expectation] = field(default_factory=list)
    version: int = 1
    created_at: datetime | None = None
