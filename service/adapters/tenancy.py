"""Tenant scoping of the ORM session: fails closed.

Every ORM statement gets ``org_id = <bound tenant>`` on every tenant-owned
entity it touches (SQLAlchemy's ``with_loader_criteria``); a statement run
before a tenant is bound raises instead of reading everything. Row-level
security in PostgreSQL is the second, independent guard.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import event, text
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from service.domain.organisation import Organisation
from service.domain.tenancy import TenantOwned

TENANT_KEY = "org_id"
#: The setting row-level security reads (``migrations/rls.py``), for this transaction.
TENANT_SETTING = "app.current_org"


def set_tenant(value: str) -> str:
    """SQL that sets the transaction's tenant to ``value`` (an expression): statements
    that learn the tenant themselves (a token, a claimed delivery) set it in passing."""
    return f"set_config('{TENANT_SETTING}', {value}, true)"


SET_TENANT = text(f"SELECT {set_tenant(':org_id')}")


class TenantNotBound(RuntimeError):
    """An ORM query ran with no organisation bound: a bug, never a user error."""


def bound_tenant(session: Session) -> UUID | None:
    value = session.info.get(TENANT_KEY)
    return value if isinstance(value, UUID) else None


def bind(session: Session, org_id: UUID, *, already_set: bool = False) -> None:
    """Scope the session to ``org_id``, now and in every later transaction."""
    session.info[TENANT_KEY] = org_id
    if session.in_transaction() and not already_set:
        session.execute(SET_TENANT, {"org_id": str(org_id)})


class TenantSession(Session):
    """A session that scopes every ORM statement to its bound organisation."""


def _scope_statement(state: ORMExecuteState) -> None:
    if not state.is_orm_statement:
        return
    org_id = bound_tenant(state.session)
    if org_id is None:
        raise TenantNotBound("No organisation is bound to this unit of work.")
    criteria = []
    for mapper in state.all_mappers:
        entity = mapper.class_
        if issubclass(entity, TenantOwned):
            key = mapper.local_table.c[TENANT_KEY]
        elif issubclass(entity, Organisation):
            key = mapper.local_table.c.id
        else:
            continue
        criteria.append(with_loader_criteria(entity, key == org_id, include_aliases=True))
    if criteria:
        state.statement = state.statement.options(*criteria)


def _set_tenant_on_begin(session: Session, _transaction: Any, connection: Any) -> None:
    # set_config(..., true) lasts one transaction: re-bind after every commit.
    org_id = bound_tenant(session)
    if org_id is not None:
        connection.execute(SET_TENANT, {"org_id": str(org_id)})


def _check_new_objects(session: Session, _context: Any, _instances: Any) -> None:
    org_id = bound_tenant(session)
    for obj in session.new | session.dirty:
        owner = obj.id if isinstance(obj, Organisation) else getattr(obj, TENANT_KEY, None)
        if owner != org_id:
            raise TenantNotBound("An object of another organisation was about to be written.")


event.listen(TenantSession, "do_orm_execute", _scope_statement)
event.listen(TenantSession, "after_begin", _set_tenant_on_begin)
event.listen(TenantSession, "before_flush", _check_new_objects)
