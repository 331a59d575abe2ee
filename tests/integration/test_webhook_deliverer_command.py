"""The deliverer's command (``flask webhooks deliver``) as operators run it: it has
``WEBHOOKS_CONCURRENCY`` messages on their way at once, and on SIGTERM it claims no
more but lets those finish and records them.

On a database of its own: the command's sender may call any public address, so it must
find nothing due but what this test seeds.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.apps import app_env
from tests.support.database import owner_connection
from tests.support.webhooks import outbox_of_its_own, receiver, seed_due, seed_endpoint

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def own_url() -> Iterator[str]:
    with outbox_of_its_own() as url:
        yield url


def test_sigterm_lets_the_messages_on_their_way_finish(own_url: str) -> None:
    with owner_connection(own_url) as owner, receiver(delay=1.5) as rx:
        endpoint = seed_endpoint(owner, rx.url)
        seed_due(owner, endpoint, 5)
        env = app_env(
            own_url,
            WEBHOOKS_ALLOW_LOOPBACK="true",
            WEBHOOKS_CONCURRENCY="3",
            WEBHOOKS_IDLE_SECONDS="0.1",
        )
        command = [sys.executable, "-m", "flask", "--app", "service.app", "webhooks", "deliver"]
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            for _ in range(300):
                if rx.answering == 3 or process.poll() is not None:
                    break
                time.sleep(0.1)
            assert rx.answering == 3, "three messages on their way at once"
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert process.returncode == 0, output
        assert rx.peak == 3
        assert len(rx.received) == 3
        rows = owner.execute(
            "SELECT d.status, count(a.id) FROM webhook_deliveries d"
            " LEFT JOIN webhook_attempts a ON a.org_id = d.org_id AND a.delivery_id = d.id"
            " GROUP BY d.id, d.status ORDER BY d.status"
        ).fetchall()
    # The three on their way when it stopped were recorded; the other two wait.
    assert sorted((row[0], row[1]) for row in rows) == [("delivered", 1)] * 3 + [("pending", 0)] * 2
