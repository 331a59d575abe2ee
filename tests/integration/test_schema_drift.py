"""The migrations build exactly the schema that service/adapters/tables.py describes."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from service.adapters.tables import metadata


def test_migrated_schema_matches_the_tables_module(owner_url: str) -> None:
    engine = create_engine(owner_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": False}
            )
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == []
