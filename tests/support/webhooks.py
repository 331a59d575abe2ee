"""Webhooks in tests: a receiver on 127.0.0.1, signature checks written from the
Standard Webhooks specification (not the service's code), and a deliverer that can
reach nothing but this machine."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
from flask import Flask

from service.adapters.webhook_sender import HttpWebhookSender, ResolvingHosts
from service.application.webhook_delivery import Deliverer
from service.application.webhook_ports import DueDelivery
from service.bootstrap import WebhookSettings, webhook_deliverer
from service.domain.webhooks import new_signing_secret
from tests.support.api import Org, expect
from tests.support.apps import running_app
from tests.support.database import scratch_database

WEBHOOKS = "/api/v1/webhooks"
#: A public address, written as an IP so that no DNS is needed; never called in tests.
PUBLIC_URL = "https://93.184.216.34/hooks"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    #: When it came in (``time.monotonic()``), before the receiver's delay.
    arrived_at: float = 0.0


@dataclass
class Receiver:
    """Answers every POST with ``status`` after ``delay`` seconds, and keeps it;
    ``arrived`` is set as soon as a POST has come in (before the delay). ``peak``: the
    most POSTs it was answering at once."""

    status: int = 200
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    port: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)
    answering: int = 0
    peak: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"


@contextmanager
def receiver(status: int = 200, delay: float = 0.0) -> Iterator[Receiver]:
    state = Receiver(status, delay)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            arrived_at = time.monotonic()
            with lock:
                state.answering += 1
                state.peak = max(state.peak, state.answering)
            state.arrived.set()
            time.sleep(state.delay)
            with lock:
                state.answering -= 1
                state.received.append(
                    Received({k.lower(): v for k, v in self.headers.items()}, body, arrived_at)
                )
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def signature_matches(secret: str, received: Received) -> bool:
    """``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``, keyed with the base64
    part of the secret, among the space-separated signatures."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    headers = received.headers
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [s.split(",", 1)[1] for s in headers["webhook-signature"].split(" ") if "," in s]
    return any(hmac.compare_digest(expected, s) for s in given)


class LoopbackOnlyHosts(ResolvingHosts):
    """Resolves only to loopback addresses: whatever other tests left in the outbox, a
    test deliverer never sends a packet off this machine."""

    def __init__(self) -> None:
        super().__init__(allow_loopback=True)

    def addresses(self, host: str, port: int) -> list[str]:
        found = super().addresses(host, port)
        return [a for a in found if ipaddress.ip_address(a.split("%")[0]).is_loopback]


def local_deliverer(app: Flask, **settings: Any) -> Deliverer:
    """The app's deliverer with ``settings`` (``WebhookSettings`` fields), reaching only
    this machine; one message at a time unless ``concurrency`` says otherwise."""
    chosen = WebhookSettings(
        **({"allow_loopback": True, "timeout_seconds": 5, "concurrency": 1} | settings)
    )
    wired = webhook_deliverer(app.extensions["review_service"], chosen)
    return Deliverer(
        unit_of_work=wired.unit_of_work,
        sender=HttpWebhookSender(
            LoopbackOnlyHosts(),
            timeout_seconds=chosen.timeout_seconds,
            connections=chosen.concurrency,
        ),
        schedule=wired.schedule,
        idle_seconds=0.05,
        concurrency=wired.concurrency,
        in_flight_per_organisation=wired.in_flight_per_organisation,
    )


@contextmanager
def loopback_app(owner_url: str) -> Iterator[Flask]:
    """The API as a development set-up runs it: http://127.0.0.1 endpoints allowed."""
    with running_app(owner_url, WEBHOOKS_ALLOW_LOOPBACK="true") as app:
        yield app


def make_due(owner: psycopg.Connection, delivery_id: str) -> None:
    """Skip the backoff wait (the schedule itself is checked before)."""
    owner.execute(
        "UPDATE webhook_deliveries SET next_attempt_at = now() - interval '1 second'"
        " WHERE id = %s AND status = 'pending'",
        (delivery_id,),
    )


#: An endpoint nobody answers (the discard port): its deliveries stay pending.
NOBODY = "http://127.0.0.1:9/hooks"


def register(org: Org, url: str, events: Sequence[str] = ("member.deactivated",)) -> dict[str, Any]:
    """An endpoint (by default for ``member.deactivated``, the easiest event to cause),
    as its create answers it (with its secret)."""
    created: dict[str, Any] = expect(
        org.admin.api.post(WEBHOOKS, json={"url": url, "events": list(events)}), 201
    )
    return created


def deliveries(org: Org, webhook_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = expect(
        org.admin.api.get(f"{WEBHOOKS}/{webhook_id}/deliveries?page_size=100"), 200
    )
    return found


def deactivate_someone(org: Org) -> str:
    """A new member, deactivated: one ``member.deactivated`` event; their id."""
    person = org.add_member()
    expect(org.admin.api.post(f"/api/v1/members/{person.id}/deactivate"), 200)
    return person.id


#: A database of its own, for tests that need every organisation's outbox to themselves
#: (a claim looks across organisations, and the session's database holds what other
#: tests left).
outbox_of_its_own = scratch_database


@dataclass(frozen=True)
class SeededEndpoint:
    org_id: str
    webhook_id: str
    secret: str


def seed_endpoint(owner: psycopg.Connection, url: str = NOBODY) -> SeededEndpoint:
    """An organisation with one active ``member.deactivated`` endpoint, written as the
    owner (no API): for a database of its own."""
    org_id, webhook_id, secret = str(uuid.uuid4()), str(uuid.uuid4()), new_signing_secret()
    owner.execute(
        "INSERT INTO organisations (id, name, slug, settings) VALUES (%s, %s, %s, '{}')",
        (org_id, "Seeded", f"seeded-{org_id[:8]}"),
    )
    owner.execute(
        "INSERT INTO webhooks (org_id, id, url, events, secret)"
        " VALUES (%s, %s, %s, ARRAY['member.deactivated'], %s)",
        (org_id, webhook_id, url, secret),
    )
    return SeededEndpoint(org_id, webhook_id, secret)


def seed_due(
    owner: psycopg.Connection, endpoint: SeededEndpoint, count: int = 1, *, since: float = 60.0
) -> list[str]:
    """``count`` deliveries to ``endpoint``, the first due ``since`` seconds ago and each
    next one a second later; their ids, earliest due first."""
    ids = []
    for n in range(count):
        event_id, delivery_id = str(uuid.uuid4()), str(uuid.uuid4())
        payload = {"type": "member.deactivated", "timestamp": "2026-11-28T09:00:00Z", "data": {}}
        owner.execute(
            "INSERT INTO webhook_events (org_id, id, type, payload)"
            " VALUES (%s, %s, 'member.deactivated', %s)",
            (endpoint.org_id, event_id, json.dumps(payload)),
        )
        owner.execute(
            "INSERT INTO webhook_deliveries (org_id, id, webhook_id, event_id, next_attempt_at)"
            " VALUES (%s, %s, %s, %s, now() - make_interval(secs => %s))",
            (endpoint.org_id, delivery_id, endpoint.webhook_id, event_id, since - n),
        )
        ids.append(delivery_id)
    return ids


def due_delivery(
    now: datetime, *, org_id: uuid.UUID | None = None, attempts: int = 0
) -> DueDelivery:
    """A claimed delivery as the outbox hands it to a deliverer, leased for 70 s."""
    return DueDelivery(
        org_id=org_id or uuid.uuid4(),
        id=uuid.uuid4(),
        webhook_id=uuid.uuid4(),
        event_id=uuid.uuid4(),
        url="https://hooks.example.com/in",
        secret=new_signing_secret(),
        previous_secret=None,
        previous_secret_expires_at=None,
        payload={"type": "member.deactivated", "timestamp": now.isoformat(), "data": {}},
        attempts=attempts,
        leased_until=now + timedelta(seconds=70),
    )
