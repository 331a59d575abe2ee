"""Sending webhooks: signed the Standard Webhooks way, bounded in time, and only to
addresses this deployment allows.

The address rule is checked where the connection is made, on the very addresses
connected to: a host that resolved to a public address when the endpoint was
registered and resolves to an internal one now (DNS rebinding) is refused. No
proxy from the environment, no redirects followed (a redirect is a failed attempt).

The timeout bounds the whole attempt, not each socket operation: connecting, the TLS
handshake, sending and reading the answer's head share it, so a receiver that drips
its answer a byte at a time cannot keep a deliverer busy for longer (resolving the
host name is left to the system resolver's own timeouts).
"""

from __future__ import annotations

import math
import socket
import ssl
import threading
import time
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import httpcore
import httpx
from standardwebhooks import Webhook as Signer

from service.application.webhook_ports import OutgoingMessage, SendResult
from service.domain.errors import Invalid
from service.domain.webhooks import addresses_refusal, parse_endpoint_url

USER_AGENT = "perf-review-webhooks/1.0"


class ResolvingHosts:
    """DNS through the system resolver, and the deployment's loopback rule."""

    def __init__(self, *, allow_loopback: bool) -> None:
        self._allow_loopback = allow_loopback

    @property
    def allow_loopback(self) -> bool:
        return self._allow_loopback

    def addresses(self, host: str, port: int) -> list[str]:
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return []
        return list(dict.fromkeys(str(info[4][0]) for info in found))


class AddressRefused(httpcore.ConnectError):
    """The host resolves to an address webhooks may not reach."""


class AttemptDeadline:
    """When the current thread's attempt must be over; socket operations get what is
    left of it (or their own timeout, when shorter)."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def lasting(self, seconds: float) -> Iterator[None]:
        self._local.ends_at = time.monotonic() + seconds
        try:
            yield
        finally:
            self._local.ends_at = None

    def budget(self, timeout: float | None, late: type[httpcore.TimeoutException]) -> float | None:
        """The timeout for the next socket operation; raises ``late`` when none is left."""
        ends_at: float | None = getattr(self._local, "ends_at", None)
        if ends_at is None:
            return timeout
        left = ends_at - time.monotonic()
        if left <= 0:
            raise late("The attempt's time is up.")
        return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the attempt's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: AttemptDeadline) -> None:
        self.inner = inner
        self.deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, self.deadline.budget(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, self.deadline.budget(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        budget = self.deadline.budget(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(
            self.inner.start_tls(ssl_context, server_hostname, budget), self.deadline
        )

    def get_extra_info(self, info: str) -> typing.Any:
        return self.inner.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    def __init__(self, hosts: ResolvingHosts, deadline: AttemptDeadline | None = None) -> None:
        self.hosts = hosts
        self.deadline = deadline or AttemptDeadline()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self.hosts.addresses(host, port)
        refusal = addresses_refusal(addresses, allow_loopback=self.hosts.allow_loopback)
        if refusal is not None:
            raise AddressRefused(f"{host}: {refusal}")
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            budget = self.deadline.budget(timeout, httpcore.ConnectTimeout)
            try:
                stream = super().connect_tcp(address, port, budget, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
                continue
            return DeadlineStream(stream, self.deadline)
        assert failure is not None
        raise failure


class GuardedTransport(httpx.HTTPTransport):
    def __init__(
        self,
        hosts: ResolvingHosts,
        deadline: AttemptDeadline | None = None,
        *,
        connections: int = 10,
    ) -> None:
        super().__init__(trust_env=False)
        # httpx builds its pool without a way to pass a network backend: replace it.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=connections,
            max_keepalive_connections=min(5, connections),
            network_backend=GuardedBackend(hosts, deadline),
        )


def signed_headers(message: OutgoingMessage, now: datetime) -> dict[str, str]:
    """``webhook-signature`` carries one ``v1,<base64 HMAC-SHA256>`` per secret (the
    previous one too during a rotation's grace period); a receiver accepts any."""
    signatures = [
        Signer(secret).sign(msg_id=message.message_id, timestamp=now, data=message.body)
        for secret in message.secrets
    ]
    return {
        "webhook-id": message.message_id,
        "webhook-timestamp": str(math.floor(now.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
    }


class HttpWebhookSender:
    """Safe to share between threads: httpx's client is, and each thread's attempt has
    a deadline of its own. Up to ``connections`` sends at once (ten at least) never
    wait for a connection of the pool."""

    def __init__(
        self, hosts: ResolvingHosts, *, timeout_seconds: float, connections: int = 10
    ) -> None:
        self.hosts = hosts
        self.timeout_seconds = timeout_seconds
        self.deadline = AttemptDeadline()
        self.client = httpx.Client(
            transport=GuardedTransport(hosts, self.deadline, connections=max(10, connections)),
            timeout=httpx.Timeout(timeout_seconds),
            follow_redirects=False,
            trust_env=False,
            headers={"user-agent": USER_AGENT},
        )

    @property
    def longest_attempt(self) -> timedelta:
        return timedelta(seconds=self.timeout_seconds)

    def send(self, message: OutgoingMessage, now: datetime) -> SendResult:
        started = time.monotonic()

        def result(
            status_code: int | None, error: str | None, retry_after: str | None = None
        ) -> SendResult:
            elapsed = round((time.monotonic() - started) * 1000)
            return SendResult(status_code, error, elapsed, retry_after)

        try:
            parse_endpoint_url(message.url, allow_loopback=self.hosts.allow_loopback)
            with (
                self.deadline.lasting(self.timeout_seconds),
                self.client.stream(
                    "POST",
                    message.url,
                    content=message.body.encode(),
                    headers=signed_headers(message, now),
                ) as response,
            ):
                # Only the status (and a Retry-After) matters; the body is never read.
                return result(response.status_code, None, response.headers.get("retry-after"))
        except Invalid as refused:
            return result(None, f"refused: {'; '.join(refused.errors.get('url', []))}")
        except httpx.TimeoutException as error:
            return result(None, f"timeout ({type(error).__name__})")
        except httpx.HTTPError as error:
            return result(None, f"{type(error).__name__}: {error}")
        except Exception as error:  # whatever a receiver does, the worker goes on
            return result(None, f"{type(error).__name__}: {error}")

    def close(self) -> None:
        self.client.close()
