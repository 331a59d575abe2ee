"""The processes under test: gunicorn on a free loopback port, and the bench database.

Both are made and dropped by ``harness.BenchContext``; benchmarks get them from it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from tests.support.database import conninfo as libpq

ROOT = Path(__file__).resolve().parent.parent


class Database:
    """A database of its own on the benchmark's PostgreSQL server, as its owner."""

    def __init__(self, server_url: str, name: str) -> None:
        self.server_url = server_url
        self.name = name
        self.url = make_url(server_url).set(database=name).render_as_string(hide_password=False)

    @classmethod
    def create(cls) -> Database:
        server_url = os.environ.get("BENCH_DATABASE_URL")
        if not server_url:
            from tests.support.database import resolve_test_database_url

            server_url = resolve_test_database_url()
        from service.bootstrap import normalise_url

        database = cls(normalise_url(server_url), f"review_bench_{uuid.uuid4().hex[:12]}")
        with psycopg.connect(libpq(database.server_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database.name}"')
        try:
            database.migrate()
        except BaseException:
            database.drop()
            raise
        return database

    def migrate(self) -> None:
        from alembic import command

        from service.cli import alembic_config

        command.upgrade(alembic_config(self.url), "head")

    def connect(self) -> psycopg.Connection[Any]:
        """An owner connection, for seeding in bulk with SQL (RLS lets the owner in)."""
        return psycopg.connect(libpq(self.url))

    def backend_pids(self) -> list[int]:
        """The server processes of every connection to this database but our own."""
        with psycopg.connect(libpq(self.server_url), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,),
            ).fetchall()
        return [row[0] for row in rows]

    def drop(self) -> None:
        with psycopg.connect(libpq(self.server_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """gunicorn with sync workers on a free loopback port; its output goes to a log file."""

    def __init__(self, name: str, app: str, env: dict[str, str], workers: int, logs: Path) -> None:
        self.name = name
        self.app = app
        self.env = env
        self.workers = workers
        self.port = free_port()
        self.log_path = logs / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self, ready_path: str = "/ready", timeout: float = 60.0) -> Server:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--config=python:service.gunicorn_conf",
            "--worker-class=sync",
            f"--workers={self.workers}",
            f"--bind=127.0.0.1:{self.port}",
            "--graceful-timeout=5",
            self.app,
        ]
        with self.log_path.open("wb") as log:
            # A session of its own: a Ctrl-C meant for the bench reaches gunicorn only
            # through stop(), after the measurement is torn down in order.
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url(ready_path), timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} was not ready in {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)  # gunicorn's graceful stop of its workers
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def durations_ms(self, path: str, request_id: str | None = None) -> list[float]:
        """Server-side times of the service's requests to ``path`` (its JSON log lines),
        only those sent with ``X-Request-ID: <request_id>`` when it is given."""
        found = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if '"duration_ms"' not in line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if request_id is not None and record.get("request_id") != request_id:
                continue
            if record.get("path") == path and record.get("duration_ms") is not None:
                found.append(float(record["duration_ms"]))
        return found
