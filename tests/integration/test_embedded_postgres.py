"""The embedded PostgreSQL server behind ``make run`` starts, answers and stops."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg

from service.adapters.embedded_postgres import start_embedded_postgres


def _postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postmaster.pid").read_text().splitlines()[0])


def _is_running(pid: int) -> bool:
    """A live postgres process; an exited one awaiting reaping by init (a zombie) is not."""
    if not Path("/proc").is_dir():  # no procfs (macOS)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    name, state = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2]
    return name == "postgres" and state != "Z"


def test_starts_answers_and_stops(tmp_path: Path) -> None:
    data_dir = tmp_path / "pg"

    with start_embedded_postgres(data_dir) as server:
        assert server.url.startswith("postgresql+psycopg://postgres@/postgres?host=")
        with psycopg.connect(server.conninfo_for("postgres")) as connection:
            row = connection.execute("SELECT 1, current_setting('is_superuser')").fetchone()
        assert row == (1, "on")
        pid = _postmaster_pid(data_dir)
        assert _is_running(pid)

    assert not (data_dir / "postmaster.pid").exists()
    assert not _is_running(pid)
