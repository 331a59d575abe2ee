"""Fixtures for tests that talk to PostgreSQL directly, beside the API.

``owner`` is a psycopg connection to this session's test database as the
migration owner (a superuser in tests); ``as_request_role`` turns it into the
serving role with ``SET ROLE``, exactly as the api does with one owner URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import pytest
from flask import Flask

from tests.support.api import Org, OrgFactory, expect
from tests.support.database import owner_connection

REQUEST_ROLE = "review_app"
#: Tables that belong to no organisation, each with the reason it may.
NON_TENANT_TABLES = {
    "alembic_version": "migration bookkeeping",
    "login_failures": "keyed by a hash of slug and email; only SECURITY DEFINER functions",
    "organisations": "the tenants themselves, protected on their id",
    "public_idempotency_keys": "keys sent before any tenant; only SECURITY DEFINER functions",
}


@pytest.fixture
def owner(owner_url: str) -> Iterator[psycopg.Connection]:
    """The owner's connection; whatever a test does is rolled back."""
    with owner_connection(owner_url, autocommit=False) as connection:
        yield connection
        connection.rollback()


@contextmanager
def as_request_role(
    connection: psycopg.Connection, org_id: str | None = None
) -> Iterator[psycopg.Connection]:
    """Inside a savepoint: the request role, tenant ``org_id`` (or none)."""
    with connection.transaction(force_rollback=True):
        connection.execute(f"SET LOCAL ROLE {REQUEST_ROLE}")
        if org_id is not None:
            connection.execute("SELECT set_config('app.current_org', %s, true)", (org_id,))
        yield connection


def tenant_tables(connection: psycopg.Connection) -> list[str]:
    rows = connection.execute(
        """
        SELECT c.relname FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
        ORDER BY c.relname
        """
    ).fetchall()
    return [row[0] for row in rows]


@dataclass
class TwoOrgs:
    """Two organisations with a row in every foundation table each."""

    a: Org
    b: Org


def _populate(org: Org) -> None:
    api = org.admin.api
    # Without a password: only such a member can be invited.
    invitee = {"email": f"invitee@{org.slug}.example.com", "name": "Invitee", "title": "PM"}
    pm = expect(api.post("/api/v1/members", json=invitee), 201)
    expect(api.post(f"/api/v1/members/{pm['id']}/invitation"), 201)
    expect(api.post("/api/v1/api-tokens", json={"name": "bi", "scopes": ["read"]}), 201)
    expect(api.patch("/api/v1/org", json={"settings": {"peer_anonymity_threshold": 4}}), 200)


@pytest.fixture(scope="module")
def two_orgs(app: Flask) -> TwoOrgs:
    factory = OrgFactory(app.test_client())
    orgs = TwoOrgs(factory.create("Alpha"), factory.create("Beta"))
    _populate(orgs.a)
    _populate(orgs.b)
    return orgs
