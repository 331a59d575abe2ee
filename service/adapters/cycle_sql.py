"""SQL building blocks shared by the review-cycle repositories.

Core statements (not ORM ones) are not scoped by the session's loader criteria,
so every one of them names ``org_id`` itself; row-level security stays the
second guard.
"""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import (
    CTE,
    ColumnElement,
    CursorResult,
    Result,
    and_,
    exists,
    literal,
    select,
)

from service.adapters import tables

T = TypeVar("T")

#: No real chart is this deep; the bound ends a walk should the data ever loop.
DEPTH_GUARD = 100


#: SQLAlchemy keeps an INSERT's row count only when asked.
COUNTED = {"preserve_rowcount": True}


def rowcount(result: Result[Any]) -> int:
    """Rows an INSERT ... SELECT (executed with ``COUNTED``), UPDATE or DELETE touched."""
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def subtree(
    org_id: UUID | ColumnElement[Any], root_id: UUID | ColumnElement[Any], name: str = "subtree"
) -> CTE:
    """Everyone reporting to ``root_id``, directly or not (not the root)."""
    m = tables.members.c
    tree = (
        select(m.id, literal(1).label("depth"))
        .where(m.org_id == org_id, m.manager_id == root_id)
        .cte(name, recursive=True)
    )
    return tree.union_all(
        select(m.id, tree.c.depth + 1)
        .join(tree, and_(m.org_id == org_id, m.manager_id == tree.c.id))
        .where(tree.c.depth < DEPTH_GUARD)
    )


def reports_to(org_id: UUID, member_id: UUID, manager_id: UUID) -> ColumnElement[bool]:
    """True when ``member_id`` reports to ``manager_id``, directly or not: a walk up
    from the member (a handful of rows), not down from the manager."""
    m = tables.members.c
    up = (
        select(m.manager_id.label("id"), literal(1).label("depth"))
        .where(m.org_id == org_id, m.id == member_id)
        .cte("chain_up", recursive=True)
    )
    up = up.union_all(
        select(m.manager_id, up.c.depth + 1)
        .join(up, and_(m.org_id == org_id, m.id == up.c.id))
        .where(up.c.depth < DEPTH_GUARD, up.c.id != manager_id)
    )
    return exists(select(up.c.id).where(up.c.id == manager_id))
