"""Against real worker processes: revocation and deactivation take effect on the very
next request under load, and the failed-log-in limit is one limit for all workers.

Run against a real gunicorn (two worker processes with four threads each) on a
free 127.0.0.1 port, with 20 requests in flight at once from client threads.
Why not the Flask test client in threads: it shares one process and one
connection pool, so it cannot show that no worker keeps a credential cached;
two processes with pooled, already-used connections can, and the threads make
the requests genuinely concurrent on the server side too.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from tests.support.api import PASSWORD
from tests.support.gunicorn import CONCURRENCY, Server, running_gunicorn


@pytest.fixture(scope="module")
def server(owner_url: str) -> Iterator[Server]:
    with running_gunicorn(owner_url) as running:
        yield running


@dataclass
class Tenant:
    slug: str
    admin_token: str


def _sign_up(server: Server, suffix: str) -> Tenant:
    slug = f"load-{suffix}-{os.urandom(4).hex()}"
    status, _ = server.call(
        "POST",
        "/api/v1/orgs",
        body={
            "name": "Load",
            "slug": slug,
            "admin": {"email": "root@example.com", "name": "Root", "password": PASSWORD},
        },
    )
    assert status == 201
    return Tenant(slug, _log_in(server, slug, "root@example.com"))


def _log_in(server: Server, slug: str, email: str) -> str:
    status, body = server.call(
        "POST", "/api/v1/auth/token", body={"org": slug, "email": email, "password": PASSWORD}
    )
    assert status == 200, body
    token: str = body["access_token"]
    return token


def _api_token(server: Server, token: str, scopes: list[str]) -> tuple[str, str]:
    status, body = server.call(
        "POST", "/api/v1/api-tokens", token, {"name": "integration", "scopes": scopes}
    )
    assert status == 201, body
    return body["id"], body["token"]


def test_twenty_concurrent_requests_with_a_revoked_token_all_fail(server: Server) -> None:
    tenant = _sign_up(server, "revoke")
    token_id, secret = _api_token(server, tenant.admin_token, ["read"])
    # Every worker has served the token (and pooled its connections) before the revocation.
    assert server.burst("/api/v1/me", secret) == [200] * CONCURRENCY
    status, _ = server.call("DELETE", f"/api/v1/api-tokens/{token_id}", tenant.admin_token)
    assert status == 204
    assert server.burst("/api/v1/me", secret) == [401] * CONCURRENCY
    # The admin's own log-in is untouched.
    assert server.call("GET", "/api/v1/me", tenant.admin_token)[0] == 200


def test_a_deactivated_member_is_locked_out_of_every_worker_at_once(server: Server) -> None:
    tenant = _sign_up(server, "deactivate")
    status, body = server.call(
        "POST",
        "/api/v1/members",
        tenant.admin_token,
        {
            "email": "second@example.com",
            "name": "Second",
            "access_role": "admin",
            "password": PASSWORD,
        },
    )
    assert status == 201, body
    second_id = body["id"]
    session = _log_in(server, tenant.slug, "second@example.com")
    _, api_token = _api_token(server, session, ["read", "write", "admin"])
    assert server.burst("/api/v1/members", session) == [200] * CONCURRENCY
    assert server.burst("/api/v1/members", api_token) == [200] * CONCURRENCY
    status, _ = server.call("POST", f"/api/v1/members/{second_id}/deactivate", tenant.admin_token)
    assert status == 200
    assert server.burst("/api/v1/members", session) == [401] * CONCURRENCY
    assert server.burst("/api/v1/members", api_token) == [401] * CONCURRENCY


def test_revocation_while_requests_are_in_flight_leaves_no_success_after_it(
    server: Server,
) -> None:
    """Requests racing the revocation may pass; none that starts after it commits may."""
    tenant = _sign_up(server, "race")
    token_id, secret = _api_token(server, tenant.admin_token, ["read"])
    barrier = threading.Barrier(CONCURRENCY + 1)
    revoked_at: list[float] = []

    def one(_: int) -> list[tuple[float, int]]:
        """Requests from before the revocation until one starts after it has committed."""
        barrier.wait(timeout=30)
        answers: list[tuple[float, int]] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            started = time.monotonic()
            answers.append((started, server.call("GET", "/api/v1/org", secret)[0]))
            if revoked_at and started > revoked_at[0]:
                break
        return answers

    with ThreadPoolExecutor(CONCURRENCY + 1) as pool:
        futures = [pool.submit(one, i) for i in range(CONCURRENCY)]

        def revoke() -> None:
            barrier.wait(timeout=30)
            assert (
                server.call("DELETE", f"/api/v1/api-tokens/{token_id}", tenant.admin_token)[0]
                == 204
            )
            revoked_at.append(time.monotonic())

        pool.submit(revoke).result()
        results = [answer for f in futures for answer in f.result()]
    assert {status for _, status in results} <= {200, 401}
    after = [status for started, status in results if started > revoked_at[0]]
    assert len(after) >= CONCURRENCY  # every thread went on past the revocation
    assert set(after) == {401}
    assert server.burst("/api/v1/org", secret) == [401] * CONCURRENCY


def test_ten_concurrent_failed_log_ins_lock_the_identity_on_every_worker(
    server: Server,
) -> None:
    tenant = _sign_up(server, "throttle")
    attempt = {"org": tenant.slug, "email": "root@example.com", "password": "wrong password"}
    barrier = threading.Barrier(10)

    def fail(_: int) -> int:
        barrier.wait(timeout=30)
        return server.call("POST", "/api/v1/auth/token", body=attempt)[0]

    with ThreadPoolExecutor(10) as pool:
        assert list(pool.map(fail, range(10))) == [401] * 10
    right = {**attempt, "password": PASSWORD}
    # Whichever worker answers, the correct password is now refused too.
    statuses = {server.call("POST", "/api/v1/auth/token", body=right)[0] for _ in range(6)}
    assert statuses == {429}
