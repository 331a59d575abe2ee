"""Engines: the owner's for migrations, the request role's for serving.

With two credentials (``APP_DATABASE_URL`` set) the service logs in as a role
that owns no table. With one owner or superuser URL it still serves as that
role, by ``SET ROLE`` on every new connection, so row-level security applies
either way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine.interfaces import DBAPICursor, ExecutionContext

NEVER_AUTOMATICALLY = 2**31 - 1
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
            "options": "-c jit=off",
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
