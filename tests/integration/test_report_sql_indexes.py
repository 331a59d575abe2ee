"""The report indexes as migrated: covering columns as tables.py declares them, and no
two indexes of a table on the same key.

Alembic's ``compare_metadata`` (the schema drift test) compares index keys but not
``INCLUDE`` columns, which the reports' index-only scans depend on
(docs/report-plans.md); this compares them for every index and unique key.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import UniqueConstraint, create_engine, inspect

from service.adapters.tables import metadata


def _declared_includes() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for table in metadata.tables.values():
        uniques = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
        for item in (*table.indexes, *uniques):
            found[str(item.name)] = list(item.dialect_options["postgresql"]["include"] or [])
    return found


def test_covering_columns_match_and_no_key_is_indexed_twice(owner_url: str) -> None:
    engine = create_engine(owner_url)
    try:
        inspector = inspect(engine)
        migrated: dict[str, list[str]] = {}
        keys: dict[str, Counter[tuple[str, ...]]] = {}
        for table in metadata.tables:
            indexes = inspector.get_indexes(table)
            primary = inspector.get_pk_constraint(table)["constrained_columns"]
            keys[table] = Counter(
                [tuple(primary), *(tuple(str(c) for c in i["column_names"]) for i in indexes)]
            )
            for index in indexes:
                include = index.get("dialect_options", {}).get("postgresql_include", [])
                migrated[index["name"]] = list(include)
    finally:
        engine.dispose()
    declared = _declared_includes()
    assert {name: declared.get(name, []) for name in migrated} == migrated
    repeated = {t: [k for k, n in c.items() if n > 1] for t, c in keys.items()}
    assert {t: k for t, k in repeated.items() if k} == {}
