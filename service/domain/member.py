"""Members of an organisation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from service.domain.access import AccessRole
from service.domain.errors import Conflict
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


#: Every organisation keeps one: it is who can manage people, tokens and settings.
#: One who can log in (a password, or an open invitation): only an admin invites.
LAST_ADMIN = (
    "The organisation must keep at least one active admin who can log in (with a password"
    " or an open invitation)."
)


def require_an_admin(active_admins_after: int) -> None:
    """A change that would leave the organisation without an active admin able to log
    in is refused."""
    if active_admins_after < 1:
        raise Conflict(LAST_ADMIN)


def normalise_email(email: str) -> str:
    return email.strip().lower()
