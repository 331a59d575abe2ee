"""Who may do what: access roles, token scopes and the principal of a request."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from service.domain.errors import Forbidden


class AccessRole(StrEnum):
    ADMIN = "admin"
    HEAD_OF_PRODUCT = "head_of_product"
    PM = "pm"


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


ALL_SCOPES = frozenset(Scope)


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: a member, possibly acting through an API token.

    A log-in token carries every scope; an API token only the scopes it was made
    with, and it acts as the admin who made it, never beyond those scopes.
    """

    org_id: UUID
    member_id: UUID
    access_role: AccessRole
    scopes: frozenset[Scope] = ALL_SCOPES
    token_id: UUID | None = None

    @property
    def is_admin(self) -> bool:
        return self.access_role is AccessRole.ADMIN

    def require_scope(self, scope: Scope) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"This token lacks the '{scope}' scope.")

    def require_role(self, *roles: AccessRole) -> None:
        if self.access_role not in roles:
            raise Forbidden("Your access role does not allow this.")

    def require_admin(self) -> None:
        self.require_role(AccessRole.ADMIN)
