"""The unit of work: one session, one transaction at a time, one tenant.

Nothing is written unless a use case calls ``commit()``; ``close()`` (at the
end of every request) rolls back whatever was left.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from service.adapters import repositories as repos
from service.adapters.credentials import SqlCredentials
from service.adapters.tenancy import TenantSession, bind
from service.domain.errors import Conflict, PreconditionFailed


class SqlUnitOfWork:
    def __init__(self, session_factory: sessionmaker[TenantSession]) -> None:
        self.session = session_factory()
        s = self.session
        self.credentials = SqlCredentials(s)
        self.organisations = repos.OrganisationRepository(s)
        self.members = repos.MemberRepository(s)
        self.api_tokens = repos.ApiTokenRepository(s)
        self.auth_sessions = repos.AuthSessionRepository(s)
        self.invitations = repos.InvitationRepository(s)
        self.audit_log = repos.AuditLogRepository(s)

    def bind_tenant(self, org_id: UUID) -> None:
        bind(self.session, org_id)

    def flush(self) -> None:
        try:
            self.session.flush()
        except IntegrityError as error:
            self.session.rollback()
            raise conflict_from(error) from error
        except StaleDataError as error:
            self.session.rollback()
            raise PreconditionFailed(
                "The resource changed since you read it; read it again."
            ) from error

    def commit(self) -> None:
        self.flush()
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def close(self) -> None:
        self.session.close()


CONSTRAINT_MESSAGES = {
    "uq_organisations_slug": "An organisation with this slug already exists.",
    "uq_members_org_id_email": "A member with this email already exists.",
    "uq_teams_org_id_name": "A team with this name already exists.",
    "uq_competencies_org_id_key": "A competency with this key already exists.",
    "uq_product_roles_org_id_track_level": "A role with this level already exists on the track.",
}


def conflict_from(error: IntegrityError) -> Conflict:
    """A constraint violation as the caller should read it (409)."""
    diag = getattr(error.orig, "diag", None)
    name = getattr(diag, "constraint_name", None) or ""
    if name in CONSTRAINT_MESSAGES:
        return Conflict(CONSTRAINT_MESSAGES[name])
    if name.startswith("fk_"):
        return Conflict("It is still in use, or refers to something that does not exist.")
    return Conflict("The change conflicts with the current state.")


def register_constraint_message(constraint: str, message: str) -> None:
    CONSTRAINT_MESSAGES[constraint] = message
