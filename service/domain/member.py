"""Members of an organisation and their reporting lines."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from service.domain.access import AccessRole
from service.domain.errors import Conflict, Invalid
from service.domain.tenancy import TenantOwned


class MemberStatus(StrEnum):
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


@dataclass(eq=False)
class Member(TenantOwned):
    org_id: UUID
    id: UUID
    email: str
    name: str
    access_role: AccessRole
    title: str | None = None
    product_role_id: UUID | None = None
    manager_id: UUID | None = None
    team_id: UUID | None = None
    status: MemberStatus = MemberStatus.ACTIVE
    password_hash: str | None = None
    version: int = 1
    created_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.status is MemberStatus.ACTIVE

    def deactivate(self) -> None:
        if not self.is_active:
            raise Conflict("The member is already deactivated.")
        self.status = MemberStatus.DEACTIVATED


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_reporting_loop(
    member_id: UUID, new_manager_id: UUID, managers: Mapping[UUID, UUID | None]
) -> list[UUID] | None:
    """The loop that ``member_id -> new_manager_id`` would close, or None.

    ``managers`` maps each member to their current manager; the returned list
    starts and ends with ``member_id``.
    """
    chain = [member_id]
    current: UUID | None = new_manager_id
    seen = {member_id}
    while current is not None:
        chain.append(current)
        if current == member_id:
            return chain
        if current in seen:  # a loop elsewhere; not ours to report
            return None
        seen.add(current)
        current = managers.get(current)
    return None


def check_manager(member_id: UUID, manager: Member | None) -> None:
    if manager is None:
        return
    if manager.id == member_id:
        raise Invalid(
            "A member cannot manage themselves.", {"manager_id": ["Cannot be the member."]}
        )
    if not manager.is_active:
        raise Invalid("The manager is deactivated.", {"manager_id": ["Must be an active member."]})
