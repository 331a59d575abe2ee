"""The sender's timeout bounds a whole attempt, against real sockets on 127.0.0.1: a
receiver that answers a byte at a time (each byte well within the timeout) cannot keep
a deliverer for longer."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from service.adapters.webhook_sender import HttpWebhookSender
from service.application.webhook_ports import OutgoingMessage
from service.domain.webhooks import new_signing_secret
from tests.support.webhooks import LoopbackOnlyHosts, receiver

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def _whole_request(received: bytes) -> bool:
    """The head, and as much body as it announces (an answer sent before the body is
    read, then the close, would reset the connection under the sender)."""
    head, ended, body = received.partition(b"\r\n\r\n")
    lengths = [
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    ]
    return bool(ended) and len(body) >= sum(lengths)


@contextmanager
def dripping_receiver(gap: float, answer: bytes = ANSWER) -> Iterator[str]:
    """Reads the request, then answers (200, by default) one byte every ``gap``
    seconds."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    stop = threading.Event()

    def serve() -> None:
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        with connection:
            connection.settimeout(10)
            received = b""
            while not _whole_request(received):
                chunk = connection.recv(4096)
                if not chunk:
                    return
                received += chunk
            for byte in answer:
                if stop.wait(gap):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hooks"
    finally:
        stop.set()
        listener.close()
        thread.join(5)


def _message(url: str) -> OutgoingMessage:
    return OutgoingMessage(url, "evt_1", '{"type":"member.deactivated"}', [new_signing_secret()])


def test_a_dripping_answer_ends_at_the_attempts_timeout() -> None:
    sender = HttpWebhookSender(LoopbackOnlyHosts(), timeout_seconds=1)
    assert sender.longest_attempt == timedelta(seconds=1)
    try:
        # 55 bytes, one every 0.2 s: 11 s in all, though no read waits longer than 0.2 s.
        with dripping_receiver(gap=0.2) as url:
            started = time.monotonic()
            result = sender.send(_message(url), datetime.now(UTC))
            elapsed = time.monotonic() - started
    finally:
        sender.close()
    assert result.status_code is None
    assert result.error is not None
    assert result.error.startswith("timeout"), result.error
    assert elapsed < 3, elapsed


def test_each_attempt_has_its_own_time_on_a_kept_connection() -> None:
    sender = HttpWebhookSender(LoopbackOnlyHosts(), timeout_seconds=1)
    try:
        with receiver(delay=0.6) as rx:
            # Together longer than the timeout: each attempt starts its own clock.
            first = sender.send(_message(rx.url), datetime.now(UTC))
            second = sender.send(_message(rx.url), datetime.now(UTC))
    finally:
        sender.close()
    assert (first.status_code, second.status_code) == (200, 200), (first, second)
    assert len(rx.received) == 2


@pytest.mark.parametrize("status", [429, 503, 500])
def test_the_answers_retry_after_is_passed_on(status: int) -> None:
    answer = (
        f"HTTP/1.1 {status} Busy\r\nRetry-After: Fri, 27 Nov 2026 14:00:00 GMT\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n"
    ).encode()
    sender = HttpWebhookSender(LoopbackOnlyHosts(), timeout_seconds=5)
    try:
        with dripping_receiver(gap=0, answer=answer) as url:
            result = sender.send(_message(url), datetime.now(UTC))
        with receiver() as rx:  # none sent: none passed on
            plain = sender.send(_message(rx.url), datetime.now(UTC))
    finally:
        sender.close()
    assert (result.status_code, result.retry_after) == (status, "Fri, 27 Nov 2026 14:00:00 GMT")
    assert (plain.status_code, plain.retry_after) == (200, None)
