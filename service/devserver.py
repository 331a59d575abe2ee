"""The process behind ``make run``: database, migrations, demo data, then gunicorn and
one webhook deliverer beside it.

Without ``DATABASE_URL`` it starts an embedded PostgreSQL server with its data in
``.data/postgres`` (relative to the current directory, the repository root under make)
and hands its URL to every child. Webhook endpoints on this machine (http://127.0.0.1,
localhost) are allowed unless ``WEBHOOKS_ALLOW_LOOPBACK`` says otherwise: this is a
development server. SIGINT, SIGTERM or SIGHUP, sent to this process or to its whole
process group, stops gunicorn, the deliverer and the embedded server (only if this
process started it), then exits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from service.adapters.embedded_postgres import EmbeddedPostgres, start_embedded_postgres

DATA_DIR = Path(".data") / "postgres"
GUNICORN_STOP_TIMEOUT = 35.0  # gunicorn's graceful timeout is 30 s
DELIVERER_STOP_TIMEOUT = 15.0  # it finishes its sends in flight, side by side (10 s at most)
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class _Stop(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _SignalState:
    defer = False
    pending: int | None = None


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    if _SignalState.defer:  # while the database starts: act once its handle is in hand
        _SignalState.pending = signum
        return
    raise _Stop(signum)


def _start_database() -> EmbeddedPostgres:
    """Start the embedded server; a stop signal meanwhile is acted on once it is up."""
    _SignalState.defer = True
    try:
        return start_embedded_postgres(DATA_DIR)
    except Exception:
        # Ctrl-C to the process group also reaches initdb and pg_ctl, which then fail.
        if _SignalState.pending is None:
            raise
        raise _Stop(_SignalState.pending) from None
    finally:
        _SignalState.defer = False


def _log(message: str) -> None:
    print(f"[devserver] {message}", file=sys.stderr, flush=True)


def _flask_command(*args: str) -> list[str]:
    command = [sys.executable, "-m", "flask", "--app", "service.app", *args]
    _log(" ".join(["flask", *command[3:]]))
    return command


def _flask(env: dict[str, str], *args: str) -> None:
    subprocess.run(_flask_command(*args), env=env, check=True)  # noqa: S603 - our own interpreter and arguments


def _gunicorn_command(env: dict[str, str]) -> Sequence[str]:
    workers = env.get("WEB_CONCURRENCY") or "2"
    port = env.get("PORT") or "8000"
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--config=python:service.gunicorn_conf",
        "--workers",
        workers,
        "--bind",
        f"127.0.0.1:{port}",
        "service.app:create_app()",
    ]


def _stop_process(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        _log(f"pid {process.pid} did not stop in {timeout:.0f} s; killing it")
        process.kill()
        process.wait()


def main() -> int:
    for signum in _STOP_SIGNALS:
        signal.signal(signum, _on_signal)

    env = dict(os.environ)
    env.setdefault("WEBHOOKS_ALLOW_LOOPBACK", "true")
    database: EmbeddedPostgres | None = None
    gunicorn: subprocess.Popen[bytes] | None = None
    deliverer: subprocess.Popen[bytes] | None = None
    try:
        if not env.get("DATABASE_URL"):
            _log(f"starting embedded PostgreSQL in {DATA_DIR}")
            database = _start_database()
            if _SignalState.pending is not None:
                raise _Stop(_SignalState.pending)
            env["DATABASE_URL"] = database.url
            _log(f"DATABASE_URL={database.url}")
        _flask(env, "db", "upgrade")
        _flask(env, "demo", "seed")
        deliverer = subprocess.Popen(_flask_command("webhooks", "deliver"), env=env)  # noqa: S603
        gunicorn = subprocess.Popen(_gunicorn_command(env), env=env)  # noqa: S603 - as above
        code = gunicorn.wait()
        _log(f"gunicorn exited with status {code}")
        return code if code >= 0 else 128 - code
    except _Stop as stop:
        _log(f"received {stop}; shutting down")
        return 128 + stop.signum
    except subprocess.CalledProcessError as error:
        _log(f"{' '.join(map(str, error.cmd))} failed with status {error.returncode}")
        return 1
    finally:
        # A second Ctrl-C must not leave the database running: ignore signals from here on.
        for signum in _STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        if gunicorn is not None:
            _stop_process(gunicorn, GUNICORN_STOP_TIMEOUT)
        if deliverer is not None:
            _stop_process(deliverer, DELIVERER_STOP_TIMEOUT)
        if database is not None:
            _log("stopping embedded PostgreSQL")
            database.stop()


if __name__ == "__main__":
    sys.exit(main())
