"""The tenancy rules of PRODUCT.md, read from PostgreSQL's catalog after migrating.

Written over the catalog rather than a list of tables, so every table a later
migration adds is held to the same rules.
"""

from __future__ import annotations

import psycopg
import pytest

from tests.integration.conftest import NON_TENANT_TABLES, REQUEST_ROLE, tenant_tables


def _public_tables(owner: psycopg.Connection) -> list[str]:
    rows = owner.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def _constraints(owner: psycopg.Connection, table: str, kind: str) -> list[tuple[str, list[str]]]:
    """(name, columns) of the constraints of one kind (p, u, f) on ``table``."""
    rows = owner.execute(
        """
        SELECT con.conname,
               array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
                     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n
                     ORDER BY k.i)
        FROM pg_constraint con
        WHERE con.conrelid = %s::regclass AND con.contype = %s
        ORDER BY 1
        """,
        (f"public.{table}", kind),
    ).fetchall()
    return [(name, list(columns)) for name, columns in rows]


def test_every_table_is_a_tenant_table_or_says_why_not(owner: psycopg.Connection) -> None:
    others = set(_public_tables(owner)) - set(tenant_tables(owner))
    assert others <= set(NON_TENANT_TABLES), (
        f"{sorted(others - set(NON_TENANT_TABLES))} have no org_id; add one, or list the "
        "table with its reason in tests/integration/conftest.py NON_TENANT_TABLES"
    )


def test_row_level_security_is_enabled_and_forced_on_every_tenant_table(
    owner: psycopg.Connection,
) -> None:
    rows = owner.execute(
        "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
        " WHERE relname = ANY(%s) AND relnamespace = 'public'::regnamespace",
        ([*tenant_tables(owner), "organisations"],),
    ).fetchall()
    unprotected = [name for name, enabled, forced in rows if not (enabled and forced)]
    assert unprotected == []


def test_every_tenant_table_has_a_policy_for_the_request_role(owner: psycopg.Connection) -> None:
    rows = owner.execute(
        "SELECT tablename, qual, with_check FROM pg_policies"
        " WHERE schemaname = 'public' AND %s = ANY(roles)",
        (REQUEST_ROLE,),
    ).fetchall()
    policies = {table: (qual, check) for table, qual, check in rows}
    for table in [*tenant_tables(owner), "organisations"]:
        assert table in policies, f"{table}: no policy for {REQUEST_ROLE}"
        qual, check = policies[table]
        for clause in (qual, check):
            assert "app.current_org" in clause, (table, clause)


@pytest.mark.parametrize("kind", ["p", "u"])
def test_org_id_is_in_every_primary_key_and_unique_constraint(
    owner: psycopg.Connection, kind: str
) -> None:
    missing = [
        (table, name)
        for table in tenant_tables(owner)
        for name, columns in _constraints(owner, table, kind)
        if "org_id" not in columns
    ]
    assert missing == []
    assert all(_constraints(owner, t, "p") for t in tenant_tables(owner)), "a table without a PK"


def test_org_id_leads_every_primary_key(owner: psycopg.Connection) -> None:
    """``(org_id, id)``: the distribution column first, as Citus and the spec want."""
    wrong = {
        table: columns
        for table in tenant_tables(owner)
        for _, columns in _constraints(owner, table, "p")
        if columns[0] != "org_id"
    }
    assert wrong == {}


def test_every_unique_index_includes_org_id(owner: psycopg.Connection) -> None:
    """Unique indexes made without a constraint are held to the same rule."""
    rows = owner.execute(
        """
        SELECT t.relname, i.relname,
               array(SELECT a.attname FROM pg_attribute a
                     WHERE a.attrelid = t.oid AND a.attnum = ANY(x.indkey))
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        WHERE x.indisunique AND t.relname = ANY(%s)
          AND t.relnamespace = 'public'::regnamespace
        """,
        (tenant_tables(owner),),
    ).fetchall()
    assert [(t, i) for t, i, columns in rows if "org_id" not in columns] == []


def test_every_foreign_key_carries_org_id_to_org_id(owner: psycopg.Connection) -> None:
    """A composite key makes a reference to another organisation's row impossible."""
    rows = owner.execute(
        """
        SELECT src.relname, con.conname, dst.relname,
               array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
                     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n
                     ORDER BY k.i),
               array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
                     JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n
                     ORDER BY k.i)
        FROM pg_constraint con
        JOIN pg_class src ON src.oid = con.conrelid
        JOIN pg_class dst ON dst.oid = con.confrelid
        WHERE con.contype = 'f' AND src.relnamespace = 'public'::regnamespace
        """
    ).fetchall()
    tenants = set(tenant_tables(owner))
    wrong = []
    for source, name, target, columns, referenced in rows:
        if source not in tenants:
            continue
        expected = "id" if target == "organisations" else "org_id"
        pairs = dict(zip(columns, referenced, strict=True))
        if pairs.get("org_id") != expected:
            wrong.append((source, name, target))
    assert wrong == []
    assert rows, "no foreign keys found at all"


def test_the_request_role_cannot_bypass_row_level_security(owner: psycopg.Connection) -> None:
    row = owner.execute(
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles"
        " WHERE rolname = %s",
        (REQUEST_ROLE,),
    ).fetchone()
    assert row == (False, False, False, False)
    # Nor can it become a role that could: it is granted no other role.
    granted = owner.execute(
        "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid"
        " WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = %s)",
        (REQUEST_ROLE,),
    ).fetchall()
    assert granted == []


def test_the_request_role_owns_nothing(owner: psycopg.Connection) -> None:
    owned = owner.execute(
        """
        WITH app AS (SELECT oid FROM pg_roles WHERE rolname = %s)
        SELECT 'relation', relname::text FROM pg_class, app WHERE relowner = app.oid
        UNION ALL SELECT 'function', proname::text FROM pg_proc, app WHERE proowner = app.oid
        UNION ALL SELECT 'type', typname::text FROM pg_type, app WHERE typowner = app.oid
        UNION ALL SELECT 'schema', nspname::text FROM pg_namespace, app WHERE nspowner = app.oid
        UNION ALL SELECT 'database', datname::text FROM pg_database, app WHERE datdba = app.oid
        """,
        (REQUEST_ROLE,),
    ).fetchall()
    assert owned == []


def test_security_definer_functions_pin_their_search_path(owner: psycopg.Connection) -> None:
    """Otherwise the caller could shadow a table with its own and read as the owner."""
    rows = owner.execute(
        "SELECT proname, proconfig FROM pg_proc"
        " WHERE prosecdef AND pronamespace = 'public'::regnamespace"
    ).fetchall()
    assert rows, "the log-in functions are SECURITY DEFINER"
    unpinned = [name for name, config in rows if not any("search_path=" in c for c in config or [])]
    assert unpinned == []


def test_the_request_role_may_run_only_the_log_in_functions_it_is_granted(
    owner: psycopg.Connection,
) -> None:
    rows = owner.execute(
        "SELECT proname FROM pg_proc WHERE prosecdef AND pronamespace = 'public'::regnamespace"
        " AND has_function_privilege('public', oid, 'EXECUTE')"
    ).fetchall()
    assert rows == [], "SECURITY DEFINER functions must not be executable by PUBLIC"
