"""Row-level security, shared by every migration that adds a tenant table.

The request role (``APP_DB_ROLE``, default ``review_app``) owns no table and
sees only rows of ``app.current_org``, set per transaction with
``set_config('app.current_org', <org id>, true)``. An unset tenant reads as
NULL, so a query that forgot it returns nothing instead of failing open. The
owner (the migration credential, which also owns the narrow SECURITY DEFINER
log-in functions) keeps its own policy so those functions and data migrations
work under FORCE ROW LEVEL SECURITY.
"""

from __future__ import annotations

import os

from alembic import op

CURRENT_ORG = "NULLIF(current_setting('app.current_org', true), '')::uuid"


def app_role() -> str:
    role = os.environ.get("APP_DB_ROLE", "review_app")
    if not role.replace("_", "").isalnum():
        raise RuntimeError(f"APP_DB_ROLE must be a plain identifier, not {role!r}")
    return role


def ensure_app_role() -> None:
    role = app_role()
    op.execute(
        f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
            END IF;
        END $$;
        """
    )
    op.execute(f"GRANT {role} TO CURRENT_USER")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")


def protect(
    table: str, *, key: str = "org_id", privileges: str = "SELECT, INSERT, UPDATE, DELETE"
) -> None:
    role = app_role()
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} TO {role} "
        f"USING ({key} = {CURRENT_ORG}) WITH CHECK ({key} = {CURRENT_ORG})"
    )
    op.execute(
        f"CREATE POLICY owner_maintenance ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)"
    )
    op.execute(f"GRANT {privileges} ON {table} TO {role}")


def grant_execute(signature: str) -> None:
    """A SECURITY DEFINER function for the request role only: PostgreSQL lets PUBLIC
    execute a new function unless told otherwise."""
    op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app_role()}")
