"""Row counts of bulk Core statements, for the repositories that write in bulk.

Core statements (not ORM ones) are not scoped by the session's loader criteria,
so every one of them names ``org_id`` itself; row-level security stays the
second guard.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult, Result

#: SQLAlchemy keeps an INSERT's row count only when asked.
COUNTED = {"preserve_rowcount": True}


def rowcount(result: Result[Any]) -> int:
    """Rows an INSERT ... SELECT (executed with ``COUNTED``), UPDATE or DELETE touched."""
    assert isinstance(result, CursorResult)
    return int(result.rowcount)
