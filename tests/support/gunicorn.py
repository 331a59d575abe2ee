"""A real gunicorn serving the app on a test database, for tests that need real worker
processes or a real HTTP server (not Flask's test client)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.apps import app_env

ROOT = Path(__file__).resolve().parents[2]
CONCURRENCY = 20
START_TIMEOUT = 30.0


@dataclass
class Server:
    base: str
    log: list[str]

    def call(
        self, method: str, path: str, token: str | None = None, body: Any = None
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def burst(self, path: str, token: str) -> list[int]:
        """``CONCURRENCY`` GETs released together; their status codes."""
        barrier = threading.Barrier(CONCURRENCY)

        def one(_: int) -> int:
            barrier.wait(timeout=30)
            return self.call("GET", path, token)[0]

        with ThreadPoolExecutor(CONCURRENCY) as pool:
            return list(pool.map(one, range(CONCURRENCY)))


def _drain(stream: Any, log: list[str], ready: threading.Event, found: list[str]) -> None:
    for line in stream:
        log.append(line)
        if "Listening at: " in line and not found:
            found.append(line.split("Listening at: ")[1].split()[0])
            ready.set()


@contextmanager
def running_gunicorn(owner_url: str, **extra_env: str) -> Iterator[Server]:
    """gunicorn (two workers of four threads) on a free loopback port, until the block ends."""
    env = app_env(owner_url, **extra_env)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [
            str(gunicorn),
            "--config=python:service.gunicorn_conf",
            "--workers=2",
            "--threads=4",
            "--bind=127.0.0.1:0",  # the kernel picks a free port; gunicorn logs it
            "--log-level=info",
            "service.app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    log: list[str] = []
    found: list[str] = []
    ready = threading.Event()
    threading.Thread(target=_drain, args=(process.stderr, log, ready, found), daemon=True).start()
    try:
        assert ready.wait(START_TIMEOUT), "gunicorn did not start:\n" + "".join(log)
        server = Server(found[0], log)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if server.call("GET", "/health")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "no worker answered:\n" + "".join(log)
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
