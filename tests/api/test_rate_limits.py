"""Per-token request quotas through the HTTP API (PRODUCT.md, Integrations: "Rate
limits per token and per login identity, answered 429 with Retry-After")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.support.api import ApiClient, Org, OrgFactory, api_token, expect
from tests.support.apps import running_app
from tests.support.quota_store import redis_url

BUDGET = 3


@pytest.fixture(scope="module")
def tight_app(owner_url: str) -> Iterator[Flask]:
    with running_app(owner_url, RATE_LIMIT_PER_TOKEN=f"{BUDGET}/minute") as app:
        yield app


@pytest.fixture
def org(tight_app: Flask) -> Org:
    # Sign-up and log-in are public: they spend no token's budget.
    return OrgFactory(tight_app.test_client()).create()


def _spend(api: ApiClient, times: int) -> list[int]:
    return [api.get("/api/v1/me").status_code for _ in range(times)]


def test_every_authenticated_answer_shows_what_is_left(org: Org) -> None:
    answers = [org.admin.api.get("/api/v1/me") for _ in range(BUDGET)]
    assert [a.headers["X-RateLimit-Limit"] for a in answers] == [str(BUDGET)] * BUDGET
    assert [int(a.headers["X-RateLimit-Remaining"]) for a in answers] == [2, 1, 0]
    assert all(int(a.headers["X-RateLimit-Reset"]) > 0 for a in answers)


def test_a_spent_budget_answers_429_in_the_error_shape_with_retry_after(org: Org) -> None:
    assert _spend(org.admin.api, BUDGET) == [200] * BUDGET
    refused = org.admin.api.get("/api/v1/me")
    body = expect(refused, 429)
    assert body["code"] == 429
    assert body["status"] == "Too Many Requests"
    assert "Retry-After" in body["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.mimetype == "application/json"


def test_a_refused_write_changes_nothing(org: Org) -> None:
    reader = org.add_member(access_role="admin")  # the admin's first request
    before = expect(reader.api.get("/api/v1/org"), 200)
    _spend(org.admin.api, BUDGET - 1)
    refused = org.admin.api.patch("/api/v1/org", json={"name": "Renamed while throttled"})
    expect(refused, 429)
    logged_in_again = org.log_in(org.admin.email)  # the same member: the same spent budget
    expect(logged_in_again.get("/api/v1/org"), 429)
    assert expect(reader.api.get("/api/v1/org"), 200)["name"] == before["name"]


def test_an_api_token_has_a_budget_of_its_own(org: Org) -> None:
    integration = api_token(org, ["read"])  # created with one of the admin's requests
    assert _spend(org.admin.api, BUDGET) == [200, 200, 429]
    assert _spend(integration, BUDGET + 1) == [200] * BUDGET + [429]


def test_requests_refused_for_access_are_charged_too(org: Org) -> None:
    pm = org.add_member()
    statuses = [pm.api.get("/api/v1/audit-events").status_code for _ in range(BUDGET + 1)]
    assert statuses == [403] * BUDGET + [429]


def test_public_operations_carry_no_quota(tight_app: Flask) -> None:
    client = tight_app.test_client()
    for path in ("/health", "/api/v1/me"):  # the second one without a token: 401
        answer = client.get(path)
        assert "X-RateLimit-Limit" not in answer.headers


@pytest.fixture(scope="module")
def two_workers(owner_url: str) -> Iterator[tuple[Flask, Flask]]:
    """Two app instances counting in one Redis, as two gunicorn workers would."""
    settings = {"RATE_LIMIT_PER_TOKEN": f"{BUDGET}/minute", "RATE_LIMIT_STORAGE_URL": redis_url()}
    with running_app(owner_url, **settings) as first, running_app(owner_url, **settings) as second:
        yield first, second


def test_workers_sharing_a_store_share_one_budget(two_workers: tuple[Flask, Flask]) -> None:
    first, second = two_workers
    org = OrgFactory(first.test_client()).create()
    on_first, on_second = org.admin.api, ApiClient(second.test_client(), org.admin.api.token)
    statuses = [(on_first if i % 2 else on_second).get("/api/v1/me").status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]
