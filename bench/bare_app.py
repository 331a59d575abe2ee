"""The baseline: a bare Flask endpoint doing the single-row read of ``GET /members/{id}``.

No authentication, no schema, no access check, no log line. The first two routes read
through one psycopg connection per gunicorn worker (opened on first use, so after the
fork), with no tenant setting and no ORM:

- ``/bare/...`` in autocommit: the read is the request's one round trip;
- ``/bare-tx/...`` in a transaction shaped like the service's (``BEGIN``, the read,
  ``ROLLBACK``: three round trips), the baseline that isolates what authentication and
  the tenant setting add;
- ``/floor/...`` through SQLAlchemy's Session with the tenant set in the transaction,
  as the service must read: the stack's floor, below which no service built on it goes.

It connects as the owner (whose RLS policy lets it read every row), so it pays no tenant
check. Served by the same gunicorn settings as the service:
``gunicorn 'bench.bare_app:create_app()'`` with DATABASE_URL.
"""

from __future__ import annotations

import os
from typing import Any
from uuid import UUID

import psycopg
from flask import Flask, abort, jsonify
from flask.typing import ResponseReturnValue
from psycopg.rows import dict_row
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

# The columns MemberSchema answers with, from the same table and primary key.
READ_MEMBER = (
    "SELECT id, email, name, title, access_role, product_role_id, manager_id, team_id,"
    " status, version FROM members WHERE org_id = %s AND id = %s"
)


def create_app(database_url: str | None = None) -> Flask:
    url = database_url or os.environ["DATABASE_URL"]
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    app = Flask("bare")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["bare_connection"] = None

    def connection() -> psycopg.Connection[dict[str, Any]]:
        conn: psycopg.Connection[dict[str, Any]] | None = app.extensions["bare_connection"]
        if conn is None or conn.closed:
            conn = psycopg.connect(conninfo, autocommit=True, row_factory=dict_row)
            app.extensions["bare_connection"] = conn
        return conn

    @app.get("/ready")
    def ready() -> ResponseReturnValue:
        return {"status": "ready"}

    def answer(row: dict[str, Any] | None) -> ResponseReturnValue:
        if row is None:
            abort(404)
        return jsonify({k: str(v) if isinstance(v, UUID) else v for k, v in row.items()})

    @app.get("/bare/orgs/<uuid:org_id>/members/<uuid:member_id>")
    def member(org_id: UUID, member_id: UUID) -> ResponseReturnValue:
        return answer(connection().execute(READ_MEMBER, (org_id, member_id)).fetchone())

    @app.get("/bare-tx/orgs/<uuid:org_id>/members/<uuid:member_id>")
    def member_in_transaction(org_id: UUID, member_id: UUID) -> ResponseReturnValue:
        conn = connection()
        with conn.transaction(force_rollback=True):
            row = conn.execute(READ_MEMBER, (org_id, member_id)).fetchone()
        return answer(row)

    # The floor: what the stack and the tenancy rule cost before any of the service's own
    # work. SQLAlchemy's pool and Session, a transaction, the tenant set in it with
    # set_config(..., true) as PRODUCT.md requires, the read: no authentication, schema,
    # access check or log line. As the owner, whose policy passes every row, so
    # PostgreSQL evaluates no tenant check: the floor is, if anything, optimistic.
    engine = create_engine(url, pool_size=1, max_overflow=0)
    app.extensions["floor_engine"] = engine
    set_tenant = text("SELECT set_config('app.current_org', :org_id, true)")
    read = text(READ_MEMBER % (":org_id", ":member_id"))

    @app.get("/floor/orgs/<uuid:org_id>/members/<uuid:member_id>")
    def member_floor(org_id: UUID, member_id: UUID) -> ResponseReturnValue:
        params = {"org_id": str(org_id), "member_id": member_id}
        with Session(engine) as session, session.begin():
            session.execute(set_tenant, params)
            row = session.execute(read, params).mappings().first()
        return answer(dict(row) if row else None)

    return app
