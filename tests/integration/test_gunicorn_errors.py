"""A request gunicorn refuses before the service sees it is answered in the one JSON
error shape too, never as gunicorn's HTML page (service.gunicorn_conf)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.support.gunicorn import Server, running_gunicorn


@pytest.fixture(scope="module")
def server(owner_url: str) -> Iterator[Server]:
    with running_gunicorn(owner_url) as running:
        yield running


def _raw(base: str, request: bytes) -> tuple[str, dict[str, str], bytes]:
    url = urlsplit(base)
    with socket.create_connection((url.hostname, url.port), timeout=10) as conn:
        conn.sendall(request)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return status, headers, body


@pytest.mark.parametrize(
    ("request_bytes", "code", "status"),
    [
        (b"NOT A REQUEST\r\n\r\n", 400, "Bad Request"),
        (b"GET /health HTTP/1.1\r\nBad Header Name: x\r\n\r\n", 400, "Bad Request"),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "Request-URI Too Long"),
        (
            b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: y\r\n" * 200 + b"\r\n",
            431,
            "Request Header Fields Too Large",
        ),
    ],
    ids=["request-line", "header-name", "uri-too-long", "too-many-headers"],
)
def test_what_gunicorn_refuses_is_answered_in_the_error_shape(
    server: Server, request_bytes: bytes, code: int, status: str
) -> None:
    line, headers, body = _raw(server.base, request_bytes)
    assert server.call("GET", "/health")[0] == 200  # the worker serves on
    assert line == f"HTTP/1.1 {code} {status}"
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(body)
    answer = json.loads(body)
    assert answer["code"] == code
    assert answer["status"] == status
    assert answer["message"]
    assert "<" not in body.decode()
