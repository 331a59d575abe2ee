"""Maps the plain domain classes onto the tables (SQLAlchemy imperative mapping).

The domain stays free of SQLAlchemy, yet its objects are the ones the session
loads and saves: no second model to keep in step. Versioned entities use
``version_id_col``, so an UPDATE carries ``WHERE version = <read version>`` and
of two concurrent writers exactly one wins.
"""

from __future__ import annotations

from sqlalchemy.orm import registry

from service.adapters import tables
from service.domain.audit import AuditEvent
from service.domain.career import Competency, Expectation, ProductRole, Team
from service.domain.credentials import ApiToken, AuthSession, Invitation
from service.domain.member import Member
from service.domain.organisation import Organisation

mapper_registry = registry(metadata=tables.metadata)
_mapped = False


def _versioned(table: object) -> dict[str, object]:
    return {"version_id_col": table.c.version}  # type: ignore[attr-defined]


def start_mappers() -> None:
    """Idempotent: the app factory and tests both call it."""
    global _mapped
    if _mapped:
        return
    _mapped = True
    m = mapper_registry.map_imperatively
    m(Organisation, tables.organisations, **_versioned(tables.organisations))
    m(Member, tables.members, **_versioned(tables.members))
    m(Team, tables.teams, **_versioned(tables.teams))
    m(Competency, tables.competencies, **_versioned(tables.competencies))
    m(Expectation, tables.expectations)
    m(
        ProductRole,
        tables.product_roles,
        **_versioned(tables.product_roles),
    )
    m(ApiToken, tables.api_tokens)
    m(AuthSession, tables.auth_sessions)
    m(Invitation, tables.invitations)
    m(AuditEvent, tables.audit_events)
