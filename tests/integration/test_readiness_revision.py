"""GET /ready answers 503 until the schema is at the revision the code was written
for, and 200 once it is, without a restart: an API deployed ahead of its migrations
is not ready (docs/operations.md)."""

from __future__ import annotations

from alembic import command

from service.bootstrap import SchemaRevisions, schema_revisions
from service.cli import alembic_config
from tests.support.api import expect
from tests.support.apps import running_app
from tests.support.database import scratch_database


def test_ready_waits_for_the_migrations_of_this_code() -> None:
    assert schema_revisions() is not None
    with scratch_database("0012") as url, running_app(url) as app:
        client = app.test_client()
        behind = expect(client.get("/ready"), 503)
        assert behind["code"] == 503
        assert expect(client.get("/health"), 200) == {"status": "ok"}
        command.upgrade(alembic_config(url), "head")
        assert expect(client.get("/ready"), 200) == {"status": "ready"}


def test_a_database_never_migrated_is_not_ready() -> None:
    with scratch_database("base") as url, running_app(url) as app:
        expect(app.test_client().get("/ready"), 503)


def test_a_schema_past_this_code_is_ready_for_it() -> None:
    """During a release, the migrations of the next version run while this one serves."""
    revisions = SchemaRevisions(frozenset({"0013"}), frozenset({"0012", "0013"}))
    assert revisions.reached({"0013"})
    assert revisions.reached({"0014_next_release"})
    assert not revisions.reached({"0012"})
    assert not revisions.reached(set())
