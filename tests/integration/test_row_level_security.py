"""Row-level security, the second guard, tested at the SQL level as the request role.

Every tenant table (found in the catalog, so tables added later are covered)
must read nothing without a tenant, only the tenant's rows with one, and refuse
a row naming another organisation, whatever the query says.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg import sql

from tests.integration.conftest import REQUEST_ROLE, TwoOrgs, as_request_role, tenant_tables

#: Tables the foundation fills for every organisation (the fixture adds a row to each).
FOUNDATION_TABLES = {"members", "api_tokens", "auth_sessions", "invitations", "audit_events"}
RLS_REFUSAL = "row-level security"


def _count(connection: psycopg.Connection, table: str, where: str = "true") -> int:
    query = sql.SQL("SELECT count(*) FROM {} WHERE " + where).format(sql.Identifier(table))
    row = connection.execute(query).fetchone()
    assert row is not None
    return int(row[0])


def _refusal(connection: psycopg.Connection, statement: Any, params: Any = None) -> str:
    """Why PostgreSQL refused ``statement`` (run in a savepoint); fails if it did not."""
    try:
        with connection.transaction():
            connection.execute(statement, params)
    except psycopg.errors.InsufficientPrivilege as error:
        return str(error)
    pytest.fail(f"not refused: {statement!r}")


def test_the_catalog_lists_the_foundation_tables(owner: psycopg.Connection) -> None:
    assert set(tenant_tables(owner)) >= FOUNDATION_TABLES


def test_without_a_tenant_the_request_role_reads_nothing(
    owner: psycopg.Connection, two_orgs: TwoOrgs
) -> None:
    tables = [*tenant_tables(owner), "organisations"]
    for table in FOUNDATION_TABLES | {"organisations"}:
        assert _count(owner, table) > 0, f"{table} has no rows to hide"
    with as_request_role(owner):
        seen = {table: _count(owner, table) for table in tables}
    assert seen == dict.fromkeys(tables, 0)


def test_an_empty_tenant_setting_reads_nothing_either(
    owner: psycopg.Connection, two_orgs: TwoOrgs
) -> None:
    with as_request_role(owner, ""):
        assert _count(owner, "members") == 0
        assert _count(owner, "organisations") == 0


def test_a_tenant_reads_only_its_own_rows(owner: psycopg.Connection, two_orgs: TwoOrgs) -> None:
    a, b = two_orgs.a.id, two_orgs.b.id
    expected = {t: _count(owner, t, f"org_id = '{a}'") for t in tenant_tables(owner)}
    with as_request_role(owner, a):
        visible = {t: _count(owner, t) for t in expected}
        foreign = {t: _count(owner, t, f"org_id <> '{a}'") for t in expected}
        # Naming the other organisation explicitly changes nothing.
        asked_for_b = {t: _count(owner, t, f"org_id = '{b}'") for t in expected}
        organisations = owner.execute("SELECT id::text FROM organisations").fetchall()
    assert visible == expected
    assert foreign == dict.fromkeys(expected, 0)
    assert asked_for_b == dict.fromkeys(expected, 0)
    assert organisations == [(a,)]
    for table in FOUNDATION_TABLES:
        assert visible[table] > 0, table


def test_inserting_a_row_of_another_organisation_is_refused(
    owner: psycopg.Connection, two_orgs: TwoOrgs
) -> None:
    a, b = two_orgs.a.id, two_orgs.b.id
    tried = []
    for table in tenant_tables(owner):
        if _count(owner, table, f"org_id = '{a}'") == 0:
            continue
        # A copy of one of A's rows, relabelled as B's, inserted while A is the tenant.
        copy_as_b = sql.SQL(
            "INSERT INTO {t} SELECT (jsonb_populate_record(NULL::{t},"
            " to_jsonb(x) || jsonb_build_object('org_id', %s::text))).*"
            " FROM {t} x LIMIT 1"
        ).format(t=sql.Identifier(table))
        with as_request_role(owner, a):
            why = _refusal(owner, copy_as_b, (b,))
        assert RLS_REFUSAL in why, (table, why)
        tried.append(table)
    assert set(tried) >= FOUNDATION_TABLES


def test_moving_a_row_to_another_organisation_is_refused(
    owner: psycopg.Connection, two_orgs: TwoOrgs
) -> None:
    a, b = two_orgs.a.id, two_orgs.b.id
    tried = []
    for table in tenant_tables(owner):
        if _count(owner, table, f"org_id = '{a}'") == 0:
            continue
        move = sql.SQL("UPDATE {} SET org_id = %s WHERE org_id = %s").format(sql.Identifier(table))
        with as_request_role(owner, a):
            why = _refusal(owner, move, (b, a))
        # The audit log refuses any UPDATE outright; every other table by its policy.
        assert ("permission denied" if table == "audit_events" else RLS_REFUSAL) in why, why
        tried.append(table)
    assert set(tried) >= FOUNDATION_TABLES


def test_another_organisations_rows_cannot_be_changed_or_deleted(
    owner: psycopg.Connection, two_orgs: TwoOrgs
) -> None:
    a, b = two_orgs.a.id, two_orgs.b.id
    with as_request_role(owner, a):
        renamed = owner.execute(
            "UPDATE members SET name = 'taken over' WHERE org_id = %s", (b,)
        ).rowcount
        deleted = owner.execute("DELETE FROM api_tokens WHERE org_id = %s", (b,)).rowcount
        settings = owner.execute(
            "UPDATE organisations SET name = 'taken over' WHERE id = %s", (b,)
        ).rowcount
    assert (renamed, deleted, settings) == (0, 0, 0)
    assert _count(owner, "members", f"org_id = '{b}' AND name = 'taken over'") == 0


def test_the_request_role_cannot_rewrite_the_audit_log(
    owner: psycopg.Connection, two_orgs: TwoOrgs
) -> None:
    a = two_orgs.a.id
    with as_request_role(owner, a):
        assert _count(owner, "audit_events") > 0
        for statement in (
            "UPDATE audit_events SET action = 'forged' WHERE org_id = %s",
            "DELETE FROM audit_events WHERE org_id = %s",
            "TRUNCATE audit_events",
        ):
            why = _refusal(owner, statement, (a,) if "%s" in statement else None)
            assert "permission denied" in why


def test_the_request_role_cannot_delete_an_organisation_or_read_login_failures(
    owner: psycopg.Connection, two_orgs: TwoOrgs
) -> None:
    a = two_orgs.a.id
    with as_request_role(owner, a):
        for statement in (
            "DELETE FROM organisations WHERE id = %s",
            "SELECT count(*) FROM login_failures WHERE identity <> %s",
        ):
            assert "permission denied" in _refusal(owner, statement, (a,))


def test_the_tenant_setting_lasts_one_transaction(
    owner: psycopg.Connection, two_orgs: TwoOrgs
) -> None:
    """``set_config(..., true)``: a pooled connection never carries a tenant over."""
    owner.execute(f"SET ROLE {REQUEST_ROLE}")
    try:
        owner.execute("SELECT set_config('app.current_org', %s, true)", (two_orgs.a.id,))
        assert _count(owner, "members") > 0
        owner.commit()
        assert _count(owner, "members") == 0
    finally:
        owner.rollback()
        owner.execute("RESET ROLE")
