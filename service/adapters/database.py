"""Engines: the owner's for migrations, the request role's for serving.

With two credentials (``APP_DATABASE_URL`` set) the service logs in as a role
that owns no table. With one owner or superuser URL it still serves as that
role, by ``SET ROLE`` on every new connection, so row-level security applies
either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ClauseElement, CursorResult, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPICursor, ExecutionContext
from sqlalchemy.orm import Session

NEVER_AUTOMATICALLY = 2**31 - 1
_PSYCOPG = make_url("postgresql+psycopg://").get_dialect()()
#: The execution option that asks for a server-side prepared statement (see below).
PREPARED = "prepare"


def serving_engine(
    url: str, *, set_role: str | None, pool_size: int = 5, max_overflow: int = 5
) -> Engine:
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=1800,
        connect_args={
            "connect_timeout": 5,
            "application_name": "perf-review-api",
            # Requests are short: compiling a plan to machine code (JIT) costs tens of
            # milliseconds, more than it saves, whenever stale statistics inflate a
            # plan's estimated cost (right after a bulk import, for instance).
            # Times rendered by PostgreSQL (the review list's stored JSON) and by Python
            # must agree: the session speaks UTC whatever the server's default.
            "options": "-c jit=off -c timezone=UTC",
            # No automatic server-side prepared statements: after five runs PostgreSQL
            # may switch a prepared statement to a generic plan that cannot see the
            # organisation or the manager it filters on (the subtree of 10,000 people went
            # from 31 to 63 ms), and forcing custom plans would re-plan every foreign-key
            # check inside bulk writes (a 5,000-person launch went from 0.46 to 1.1 s).
            # A threshold never reached, rather than None (which psycopg reads as "never,
            # even when asked"), leaves the hot reads free to opt in: see PREPARED.
            "prepare_threshold": NEVER_AUTOMATICALLY,
        },
    )
    event.listen(engine, "do_execute", _execute_prepared)
    if set_role:
        role = set_role

        @event.listens_for(engine, "connect")
        def _become_request_role(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f'SET ROLE "{role}"')
            dbapi_connection.commit()

    return engine


def _execute_prepared(
    cursor: DBAPICursor, statement: str, parameters: Any, context: ExecutionContext
) -> bool:
    """Hot reads opt in to a server-side prepared statement, planned once per connection
    (``execution_options(prepare=True)``): planning a four-table join under row-level
    security costs PostgreSQL three times as long as running it."""
    if not context.execution_options.get(PREPARED):
        return False
    cursor.execute(statement, parameters, prepare=True)  # type: ignore[call-arg]
    return True


@dataclass(frozen=True, slots=True)
class DriverStatement:
    """SQL text as psycopg takes it (``%(name)s`` parameters), with the values of the
    constants SQLAlchemy turned into parameters while compiling."""

    sql: str
    constants: Mapping[str, Any]


def driver_statement(statement: ClauseElement) -> DriverStatement:
    """A Core statement compiled once, for statements run often: callers cache it."""
    compiled = statement.compile(dialect=_PSYCOPG)
    given = {name for name, value in compiled.params.items() if value is None}
    constants = {k: v for k, v in compiled.params.items() if k not in given}
    return DriverStatement(str(compiled), constants)


def run_prepared(
    session: Session, statement: DriverStatement | str, values: Mapping[str, Any]
) -> CursorResult[Any]:
    """The hot reads: SQL text run in the session's transaction as a prepared statement,
    without SQLAlchemy's per-execution compile-cache look-up (a tenth of a millisecond a
    statement, as much as PostgreSQL spends running one)."""
    if isinstance(statement, DriverStatement):
        sql, values = statement.sql, {**statement.constants, **values}
    else:
        sql = statement
    return session.connection().exec_driver_sql(sql, values, execution_options={PREPARED: True})
