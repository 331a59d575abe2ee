"""The narrow path before the tenant is known: SECURITY DEFINER functions.

The request role cannot read members, sessions or tokens of an unknown
organisation; these functions (defined in migration 0001) answer exactly one
look-up each, by slug and email or by a token's hash.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.orm import Session

from service.adapters.database import run_prepared
from service.adapters.tenancy import bind, set_tenant
from service.application.credential_ports import InvitationRecord, LoginRecord
from service.domain.access import ALL_SCOPES, AccessRole, Principal, Scope

# Resolving the token and setting the tenant share one round trip.
_RESOLVE = (
    "SELECT r.org_id, r.member_id, r.access_role, r.scopes, r.token_id,"
    f" {set_tenant('r.org_id::text')}"
    " FROM auth_resolve_token(%(token_hash)s) AS r"
)


class SqlCredentials:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find_login(self, slug: str, email: str) -> LoginRecord | None:
        row = self.session.execute(
            text("SELECT * FROM auth_find_login(:slug, :email)"),
            {"slug": slug.strip(), "email": email.strip()},
        ).first()
        if row is None:
            return None
        return LoginRecord(row.org_id, row.member_id, row.password_hash, row.status)

    def resolve_token(self, token_hash: str) -> Principal | None:
        row = run_prepared(self.session, _RESOLVE, {"token_hash": token_hash}).first()
        if row is None:
            return None
        org_id: UUID = row.org_id
        bind(self.session, org_id, already_set=True)
        scopes = ALL_SCOPES if row.scopes is None else frozenset(Scope(s) for s in row.scopes)
        return Principal(
            org_id=org_id,
            member_id=row.member_id,
            access_role=AccessRole(row.access_role),
            scopes=scopes,
            token_id=row.token_id,
        )

    def find_invitation(self, token_hash: str) -> InvitationRecord | None:
        row = self.session.execute(
            text("SELECT * FROM auth_find_invitation(:token_hash)"), {"token_hash": token_hash}
        ).first()
        if row is None:
            return None
        return InvitationRecord(row.org_id, row.invitation_id, row.member_id)

    def login_failures(self, identity: str, window_seconds: int) -> tuple[int, int]:
        row = self.session.execute(
            text("SELECT * FROM auth_login_failures(:identity, :window)"),
            {"identity": identity, "window": window_seconds},
        ).one()
        return int(row.failures), int(row.retry_after)

    def record_login_failure(self, identity: str, window_seconds: int) -> None:
        self.session.execute(
            text("SELECT auth_record_login_failure(:identity, :window)"),
            {"identity": identity, "window": window_seconds},
        )

    def clear_login_failures(self, identity: str) -> None:
        self.session.execute(
            text("SELECT auth_clear_login_failures(:identity)"), {"identity": identity}
        )
