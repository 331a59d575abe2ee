"""What one request says to PostgreSQL: its SQL statements and its wire round trips.

Measured in this process with Flask's test client, so it is exact rather than sampled.
The round trips come from libpq's own protocol trace of the request's connection: every
``ReadyForQuery`` the server sends ends one round trip (no pipelining is in use), which
counts the ``BEGIN`` and ``ROLLBACK``/``COMMIT`` psycopg sends besides the SQLAlchemy
statements (``before_cursor_execute`` events), and the connection set-up not at all.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psycopg import pq
from sqlalchemy import event

from bench.bare_app import READ_MEMBER

_TRACE_FLAGS = pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE


@dataclass(slots=True)
class Conversation:
    """One request's exchange: the statements the app ran and the round trips on the wire."""

    statements: list[str] = field(default_factory=list)
    round_trips: list[str] = field(default_factory=list)  # what each round trip sent, in short

    def as_json(self) -> dict[str, Any]:
        return {
            "statements": len(self.statements),
            "round_trips": len(self.round_trips),
            "wire": self.round_trips,
        }


def _short(sql: str, width: int = 72) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def parse_trace(text: str) -> list[str]:
    """One entry per round trip: the first message the client sent in it, in short."""
    trips: list[str] = []
    first: str | None = None
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        direction, message = parts[0], parts[2]
        detail = parts[3].strip() if len(parts) > 3 else ""
        if direction == "F" and first is None and message == "Bind":
            # Bind "<portal>" "<statement>" ...: a statement prepared earlier
            names = detail.split(" ")
            first = f"Bind prepared {names[1] if len(names) > 1 else '?'}"
        elif direction == "F" and first is None and message != "Sync":
            first = f"{message} {_short(detail.strip(chr(34)))}".strip()
        elif direction == "B" and message == "ReadyForQuery":
            trips.append(first or "?")
            first = None
    return trips


class Tracer:
    """libpq's protocol trace of one connection, from ``start`` to ``stop``."""

    def __init__(self, pgconn: Any) -> None:
        self.pgconn = pgconn
        self.sink = tempfile.NamedTemporaryFile("w+", suffix=".trace")  # noqa: SIM115
        pgconn.trace(self.sink.fileno())
        pgconn.set_trace_flags(_TRACE_FLAGS)

    def stop(self) -> list[str]:
        """The round trips since the start; libpq flushes its stream on untrace."""
        self.pgconn.untrace()
        try:
            return parse_trace(Path(self.sink.name).read_text(errors="replace"))
        finally:
            self.sink.close()


def service_conversation(
    app: Any, path: str, headers: dict[str, str], repeat: int = 10, engine: Any = None
) -> Conversation:
    """The last of ``repeat`` requests (so psycopg's statement preparation has settled),
    on ``engine``, by default the service's."""
    engine = engine or app.extensions["review_engine"]
    client = app.test_client()
    current: list[Conversation] = []
    tracers: dict[int, Tracer] = {}

    def on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        tracers[id(dbapi_connection)] = Tracer(dbapi_connection.pgconn)

    def on_checkin(dbapi_connection: Any, _record: Any) -> None:
        tracer = tracers.pop(id(dbapi_connection), None)
        if tracer is not None:
            trips = tracer.stop()
            if current:
                current[-1].round_trips.extend(trips)

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if current:
            current[-1].statements.append(_short(statement))

    listeners: list[tuple[Any, str, Callable[..., None]]] = [
        (engine.pool, "checkout", on_checkout),
        (engine.pool, "checkin", on_checkin),
        (engine, "before_cursor_execute", on_execute),
    ]
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    try:
        for _ in range(repeat):
            current[:] = [Conversation()]
            answer = client.get(path, headers=headers)
            if answer.status_code != 200:
                raise RuntimeError(f"GET {path}: {answer.status_code} {answer.get_data()[:300]!r}")
        return current[-1]
    finally:
        for target, name, listener in listeners:
            event.remove(target, name, listener)


def bare_conversation(app: Any, path: str, repeat: int = 10) -> Conversation:
    """The same for the bare app, whose one connection lives in ``app.extensions``."""
    client = app.test_client()
    client.get(path)  # opens the connection
    conversation = Conversation()
    for _ in range(repeat):
        tracer = Tracer(app.extensions["bare_connection"].pgconn)
        answer = client.get(path)
        trips = tracer.stop()
        if answer.status_code != 200:
            raise RuntimeError(f"GET {path}: {answer.status_code}")
        conversation = Conversation(statements=[_short(READ_MEMBER)], round_trips=trips)
    return conversation
