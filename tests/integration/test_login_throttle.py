"""The failed-log-in counter lives in PostgreSQL, so every worker shares it.

Two application instances on one database stand in for two gunicorn workers
(each has its own engine and pool, as a worker process would).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.api import PASSWORD, Org, OrgFactory, expect
from tests.support.apps import running_app
from tests.support.database import conninfo


@pytest.fixture(scope="module")
def second_worker(owner_url: str) -> Iterator[Flask]:
    with running_app(owner_url) as worker:
        yield worker


def _log_in(client: FlaskClient, org: Org, password: str) -> int:
    response = client.post(
        "/api/v1/auth/token",
        json={"org": org.slug, "email": org.admin.email, "password": password},
    )
    return response.status_code


def test_failures_on_two_workers_add_up_to_one_limit(
    app: Flask, second_worker: Flask, orgs: OrgFactory
) -> None:
    org = orgs.create()
    workers = [app.test_client(), second_worker.test_client()]
    statuses = [_log_in(workers[i % 2], org, "wrong password!") for i in range(10)]
    assert statuses == [401] * 10
    for worker in workers:
        response = worker.post(
            "/api/v1/auth/token",
            json={"org": org.slug, "email": org.admin.email, "password": PASSWORD},
        )
        body = expect(response, 429)
        assert int(response.headers["Retry-After"]) > 0
        assert body["code"] == 429


def test_the_limit_lifts_when_the_window_passes(
    app: Flask, orgs: OrgFactory, owner_url: str
) -> None:
    org = orgs.create()
    client = app.test_client()
    for _ in range(10):
        assert _log_in(client, org, "wrong password!") == 401
    assert _log_in(client, org, PASSWORD) == 429
    # Sixteen minutes pass for this identity's failures (a hash of slug and email).
    identity = hashlib.sha256(f"{org.slug}\n{org.admin.email}".encode()).hexdigest()
    with psycopg.connect(conninfo(owner_url)) as owner:
        aged = owner.execute(
            "UPDATE login_failures SET failed_at = failed_at - interval '16 minutes'"
            " WHERE identity = %s",
            (identity,),
        ).rowcount
    assert aged == 10
    assert _log_in(client, org, PASSWORD) == 200
