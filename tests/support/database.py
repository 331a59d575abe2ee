"""Which PostgreSQL the tests use.

In order: ``TEST_DATABASE_URL``; else the local server at 127.0.0.1:5432 (user postgres,
trust) when it answers within two seconds; else an embedded server with its data in
``.data/test-postgres``, stopped when the test process exits. Tests never skip for want
of a database: an explicit ``TEST_DATABASE_URL`` that does not answer is an error.
"""

from __future__ import annotations

import atexit
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from service.adapters.embedded_postgres import EmbeddedPostgres, start_embedded_postgres

LOCAL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
EMBEDDED_DATA_DIR = Path(__file__).resolve().parents[2] / ".data" / "test-postgres"
CONNECT_TIMEOUT_SECONDS = 2

_embedded: EmbeddedPostgres | None = None


class DatabaseUnavailableError(RuntimeError):
    """TEST_DATABASE_URL is set but the server does not answer."""


def resolve_test_database_url() -> str:
    """An owner/superuser SQLAlchemy URL (``postgresql+psycopg``) of a maintenance database.

    Tests create their own database from it. Memoised per process for the embedded server.
    """
    explicit = os.environ.get("TEST_DATABASE_URL")
    if explicit:
        url = _with_psycopg_driver(explicit)
        error = _probe(url)
        if error is not None:
            where = " (CI=true)" if os.environ.get("CI") == "true" else ""
            raise DatabaseUnavailableError(
                f"TEST_DATABASE_URL{where} is set but PostgreSQL does not answer at "
                f"{make_url(url).render_as_string(hide_password=True)}: {error}"
            )
        return url
    if _probe(LOCAL_URL) is None:
        return LOCAL_URL
    return _embedded_url()


def _embedded_url() -> str:
    global _embedded
    if _embedded is None:
        _embedded = start_embedded_postgres(EMBEDDED_DATA_DIR)
        atexit.register(_embedded.stop)
    return _embedded.url


def _with_psycopg_driver(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def conninfo(url: str) -> str:
    """A SQLAlchemy URL as psycopg's conninfo."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def owner_connection(url: str, *, autocommit: bool = True) -> psycopg.Connection:
    """A connection as the database's owner (no row-level security): to set a scene up
    or look behind the API. Use it in a ``with`` block."""
    return psycopg.connect(conninfo(url), autocommit=autocommit)


def _probe(url: str) -> str | None:
    """None if a connection succeeds within the timeout, else why it did not."""
    try:
        with psycopg.connect(conninfo(url), connect_timeout=CONNECT_TIMEOUT_SECONDS) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        return str(error).strip() or type(error).__name__
    return None


def wait_for_a_lock_wait(watcher: psycopg.Connection, what: str = "the request") -> None:
    """Return once some session of this database waits for a lock (a request blocked
    behind another transaction); fail the test after ten seconds."""
    for _ in range(200):
        row = watcher.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
        if row and row[0]:
            return
        time.sleep(0.05)
    pytest.fail(f"{what} never waited for the lock")


@contextmanager
def scratch_database(revision: str = "head", prefix: str = "review_scratch") -> Iterator[str]:
    """The owner's URL of a database of its own, migrated to ``revision`` and dropped
    afterwards: for tests that move the schema, or must see no other test's rows."""
    from alembic import command

    from service.cli import alembic_config

    maintenance = resolve_test_database_url()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(conninfo(maintenance), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(maintenance).set(database=name).render_as_string(hide_password=False)
    try:
        if revision != "base":
            command.upgrade(alembic_config(url), revision)
        yield url
    finally:
        with psycopg.connect(conninfo(maintenance), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
