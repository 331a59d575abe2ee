"""Anonymous clients cannot make the server hash passwords without end (audit finding F6).

Sign-up, log-in and redeeming an invitation each hash a password (argon2id, slow on
purpose). The limit of ten failed log-ins per identity does not stop a client that
varies the organisation or the email, so these writes share one budget per client
address (``RATE_LIMIT_PER_ADDRESS``), charged before the body is read. Behind a load
balancer the client is what ``TRUSTED_PROXIES`` proxies appended to X-Forwarded-For.

The budgets here are small and counted in each app's own memory; every test spends
them from an address of its own. Organisations are made on the shared ``app`` (same
database, generous budget), so that setting a scene spends nothing here.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.api import PASSWORD, ApiClient, OrgFactory, expect
from tests.support.apps import running_app
from tests.support.database import owner_connection

BUDGET = 3
_addresses = (f"198.51.100.{n}" for n in itertools.count(1))


@pytest.fixture(scope="module")
def tight_app(owner_url: str) -> Iterator[Flask]:
    with running_app(owner_url, RATE_LIMIT_PER_ADDRESS=f"{BUDGET}/minute") as app:
        yield app


@pytest.fixture(scope="module")
def proxied_app(owner_url: str) -> Iterator[Flask]:
    """Behind one load balancer, which appends the client's address to X-Forwarded-For."""
    with running_app(
        owner_url, RATE_LIMIT_PER_ADDRESS=f"{BUDGET}/minute", TRUSTED_PROXIES="1"
    ) as app:
        yield app


def _client(app: Flask, address: str | None = None) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address or next(_addresses)
    return client


def _log_in(client: FlaskClient, org: str, email: str, password: str = PASSWORD) -> TestResponse:
    return client.post(
        "/api/v1/auth/token", json={"org": org, "email": email, "password": password}
    )


def _strangers(client: FlaskClient, times: int) -> list[int]:
    """Log-ins with a new organisation and email each time: never the same identity."""
    return [
        _log_in(client, f"org-{uuid.uuid4().hex[:8]}", f"{uuid.uuid4().hex[:8]}@x.com").status_code
        for _ in range(times)
    ]


def _identity(slug: str, email: str) -> str:
    return hashlib.sha256(f"{slug}\n{email}".encode()).hexdigest()


def _failures_of(owner_url: str, identity: str) -> int:
    with owner_connection(owner_url) as owner:
        row = owner.execute(
            "SELECT count(*) FROM login_failures WHERE identity = %s", (identity,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def _assert_address_refusal(response: TestResponse) -> dict[str, Any]:
    body: dict[str, Any] = expect(response, 429)
    assert body["code"] == 429
    assert body["status"] == "Too Many Requests"
    assert "address" in body["message"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.mimetype == "application/json"
    # Those headers describe a token's budget; a public write spends none.
    assert "X-RateLimit-Limit" not in response.headers
    return body


def test_varying_the_identity_buys_no_more_log_ins(tight_app: Flask, orgs: OrgFactory) -> None:
    org = orgs.create()
    client = _client(tight_app)
    assert _strangers(client, BUDGET) == [401] * BUDGET
    # The right password too, once the address has spent its budget.
    _assert_address_refusal(_log_in(client, org.slug, org.admin.email))


def test_sign_up_log_in_and_invitations_share_one_budget(
    tight_app: Flask, orgs: OrgFactory
) -> None:
    org = orgs.create()
    client = _client(tight_app)
    slug = f"shared-{uuid.uuid4().hex[:8]}"
    sign_up = {
        "name": "Shared budget",
        "slug": slug,
        "admin": {"email": "root@example.com", "name": "Root", "password": PASSWORD},
    }
    invitation = {"token": "pri_unknown", "password": "long enough password"}
    expect(client.post("/api/v1/orgs", json=sign_up), 201)
    expect(_log_in(client, org.slug, org.admin.email), 200)
    expect(client.post("/api/v1/auth/accept-invitation", json=invitation), 404)
    late_slug = f"late-{uuid.uuid4().hex[:8]}"
    for refused in (
        client.post("/api/v1/orgs", json={**sign_up, "slug": late_slug}),
        _log_in(client, org.slug, org.admin.email),
        client.post("/api/v1/auth/accept-invitation", json=invitation),
    ):
        _assert_address_refusal(refused)
    # The refused sign-up made nothing: its slug is free for whoever comes next.
    elsewhere = _client(tight_app)
    expect(elsewhere.post("/api/v1/orgs", json={**sign_up, "slug": late_slug}), 201)


def test_a_refused_write_is_neither_read_nor_hashed(
    tight_app: Flask, orgs: OrgFactory, owner_url: str
) -> None:
    org = orgs.create()
    client = _client(tight_app)
    _strangers(client, BUDGET)
    # A body that would answer 400 or 413 is not even read.
    _assert_address_refusal(
        client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    )
    _assert_address_refusal(
        client.post("/api/v1/auth/token", data="x" * (2 * 1024 * 1024), content_type="text/plain")
    )
    # A failed log-in would be counted against its identity: this one never ran.
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    _assert_address_refusal(_log_in(client, org.slug, email, "wrong password"))
    assert _failures_of(owner_url, _identity(org.slug, email)) == 0


def test_each_address_has_a_budget_of_its_own(tight_app: Flask, orgs: OrgFactory) -> None:
    org = orgs.create()
    spent, fresh = _client(tight_app), _client(tight_app)
    _strangers(spent, BUDGET)
    _assert_address_refusal(_log_in(spent, org.slug, org.admin.email))
    expect(_log_in(fresh, org.slug, org.admin.email), 200)


def test_an_ipv6_client_is_counted_by_its_64_network(tight_app: Flask) -> None:
    """A subscriber holds a whole /64: each of its addresses is the same client."""
    network = f"2001:db8:{uuid.uuid4().int % 0xFFFF:x}:1"
    statuses = [
        _strangers(_client(tight_app, f"{network}::{host:x}"), 1)[0] for host in range(1, 5)
    ]
    assert statuses == [401] * BUDGET + [429]
    neighbour = f"2001:db8:{uuid.uuid4().int % 0xFFFF:x}:2::1"
    assert _strangers(_client(tight_app, neighbour), 1) == [401]


def test_a_client_cannot_claim_another_address_without_a_trusted_proxy(
    tight_app: Flask,
) -> None:
    client = _client(tight_app)
    statuses = [
        client.post(
            "/api/v1/auth/token",
            json={"org": "nobody", "email": f"{n}@x.com", "password": "wrong password"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(BUDGET + 1)
    ]
    assert statuses == [401] * BUDGET + [429]


def test_authenticated_requests_and_probes_spend_nothing_of_the_address(
    tight_app: Flask, orgs: OrgFactory
) -> None:
    org = orgs.create()
    client = _client(tight_app)
    admin = ApiClient(client, org.admin.api.token)
    for n in range(BUDGET + 2):
        expect(client.get("/health"), 200)
        expect(admin.post("/api/v1/teams", json={"name": f"Team {n}"}), 201)
        expect(admin.get("/api/v1/me"), 200)
    assert [_log_in(client, org.slug, org.admin.email).status_code for _ in range(BUDGET)] == [
        200
    ] * BUDGET


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(
    proxied_app: Flask, orgs: OrgFactory
) -> None:
    org = orgs.create()
    balancer = _client(proxied_app, "10.0.0.1")

    def log_in_as_client(client_address: str, spoofed: str = "") -> int:
        forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
        return balancer.post(
            "/api/v1/auth/token",
            json={"org": org.slug, "email": org.admin.email, "password": PASSWORD},
            headers={"X-Forwarded-For": forwarded},
        ).status_code

    first, second = next(_addresses), next(_addresses)
    # What the client itself put in the header, left of the proxy's entry, is not believed.
    statuses = [log_in_as_client(first, spoofed=f"192.0.2.{n}") for n in range(BUDGET + 1)]
    assert statuses == [200] * BUDGET + [429]
    assert log_in_as_client(second) == 200  # another client through the same balancer
    # A request that comes without the header is the balancer's own.
    direct = [_strangers(balancer, 1)[0] for _ in range(BUDGET + 1)]
    assert direct == [401] * BUDGET + [429]
    assert log_in_as_client(second) == 200


# --- failed log-ins of every identity are pruned ----------------------------------------


def test_a_failed_log_in_prunes_the_oldest_failures_past_the_window(
    client: FlaskClient, orgs: OrgFactory, owner_url: str
) -> None:
    """Every unknown identity tried used to leave a row for good. Each recorded failure
    now also deletes up to ten of the oldest ones of any identity past the window, so
    the table shrinks back while failures go on, and keeps what the limit still needs."""
    org = orgs.create()
    run = uuid.uuid4().hex[:8]
    with owner_connection(owner_url) as owner:
        # Older than anything another test leaves behind; oldest first is prune-{run}-14.
        for n in range(15):
            owner.execute(
                "INSERT INTO login_failures (identity, failed_at)"
                " VALUES (%s, now() - interval '300 days' - make_interval(mins => %s))",
                (f"prune-{run}-{n}", n),
            )
        owner.execute(
            "INSERT INTO login_failures (identity, failed_at)"
            " VALUES (%s, now() - interval '10 minutes')",
            (f"recent-{run}",),
        )

    def left() -> list[str]:
        with owner_connection(owner_url) as owner:
            rows = owner.execute(
                "SELECT identity FROM login_failures WHERE identity LIKE %s ORDER BY failed_at",
                (f"%-{run}%",),
            ).fetchall()
        return [row[0] for row in rows]

    expect(_log_in(client, org.slug, org.admin.email, "wrong password"), 401)
    assert left() == [f"prune-{run}-{n}" for n in range(4, -1, -1)] + [f"recent-{run}"]
    expect(_log_in(client, org.slug, f"other-{run}@example.com", "wrong password"), 401)
    assert left() == [f"recent-{run}"]  # within the window: still counted
    # The failures just recorded count as before.
    assert _failures_of(owner_url, _identity(org.slug, org.admin.email)) == 1
