"""Counting the SQL statements a request sends, for constant-statement tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    """Every statement the app's engine sends while the block runs, in order."""
    engine = app.extensions["review_engine"]
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
