"""Migration 0011: recording a failed log-in prunes old failures of every identity, as
the request role always could, and its downgrade puts the function of 0001 back.

Run on a database of its own: going down and up again must not disturb the tests that
share this session's database. (The pruning through the API is tested in
tests/api/test_login_abuse.py.)
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from alembic import command

from service.cli import alembic_config
from tests.integration.conftest import REQUEST_ROLE
from tests.support.database import conninfo, scratch_database

RECORD = "auth_record_login_failure(text, integer)"
#: Migration 0001's body of the function, to the character.
BODY_OF_0001 = """
    DELETE FROM login_failures
    WHERE identity = p_identity
      AND failed_at <= now() - make_interval(secs => p_window_seconds);
    INSERT INTO login_failures (identity) VALUES (p_identity);
"""


@pytest.fixture(scope="module")
def own_database() -> Iterator[str]:
    with scratch_database() as url:
        yield url


def _function(url: str) -> tuple[str, bool, bool, bool]:
    """Body, SECURITY DEFINER, and EXECUTE for the request role and for PUBLIC."""
    with psycopg.connect(conninfo(url)) as owner:
        row = owner.execute(
            "SELECT prosrc, prosecdef,"
            " has_function_privilege(%s, oid, 'EXECUTE'),"
            " EXISTS (SELECT FROM aclexplode(proacl) a WHERE a.grantee = 0)"
            " FROM pg_proc WHERE oid = %s::regprocedure",
            (REQUEST_ROLE, RECORD),
        ).fetchone()
    assert row is not None
    return row[0], row[1], row[2], row[3]


def _index_exists(url: str) -> bool:
    with psycopg.connect(conninfo(url)) as owner:
        row = owner.execute("SELECT to_regclass('public.ix_login_failures_failed_at')").fetchone()
    return row is not None and row[0] is not None


def _record_as_request_role(url: str, old: int) -> list[str]:
    """``old`` failures of other identities from a day ago, one failure recorded by the
    request role (15-minute window); the identities left, oldest first."""
    with psycopg.connect(conninfo(url)) as owner:
        owner.execute("DELETE FROM login_failures")
        for n in range(old):
            owner.execute(
                "INSERT INTO login_failures (identity, failed_at)"
                " VALUES (%s, now() - interval '1 day' - make_interval(mins => %s))",
                (f"old-{n}", n),
            )
        owner.execute(f"SET ROLE {REQUEST_ROLE}")
        owner.execute("SELECT auth_record_login_failure('new', 900)")
        owner.execute("RESET ROLE")
        rows = owner.execute("SELECT identity FROM login_failures ORDER BY failed_at").fetchall()
        owner.rollback()
    return [row[0] for row in rows]


def test_recording_a_failure_prunes_ten_of_the_oldest_past_the_window(own_database: str) -> None:
    body, definer, request_role_may, public_may = _function(own_database)
    assert "SKIP LOCKED" in body
    assert (definer, request_role_may, public_may) == (True, True, False)
    assert _index_exists(own_database)
    assert _record_as_request_role(own_database, 12) == ["old-1", "old-0", "new"]


def test_the_downgrade_restores_the_function_of_0001_and_the_upgrade_returns(
    own_database: str,
) -> None:
    config = alembic_config(own_database)
    command.downgrade(config, "0010")
    try:
        body, definer, request_role_may, public_may = _function(own_database)
        assert body == BODY_OF_0001
        assert (definer, request_role_may, public_may) == (True, True, False)
        assert not _index_exists(own_database)
        # Only the identity's own old failures went, as before.
        assert _record_as_request_role(own_database, 3) == ["old-2", "old-1", "old-0", "new"]
    finally:
        command.upgrade(config, "head")
    assert "SKIP LOCKED" in _function(own_database)[0]
    assert _index_exists(own_database)
