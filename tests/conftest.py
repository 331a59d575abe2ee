"""Shared fixtures: one fresh PostgreSQL database per test session (per xdist worker).

Tests isolate themselves by tenant: each makes its own organisations, with
unique slugs, so nothing needs rolling back and tests may run in parallel.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.api import ApiClient, Org, OrgFactory
from tests.support.apps import running_app
from tests.support.database import scratch_database


@pytest.fixture(scope="session")
def owner_url() -> Iterator[str]:
    """The owner's URL of this session's own database, migrated to head."""
    with scratch_database(prefix="review_test") as url:
        yield url


@pytest.fixture(scope="session")
def app(owner_url: str) -> Iterator[Flask]:
    with running_app(owner_url) as application:
        yield application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def anonymous(client: FlaskClient) -> ApiClient:
    return ApiClient(client, None)


@pytest.fixture
def orgs(client: FlaskClient) -> OrgFactory:
    return OrgFactory(client)


@pytest.fixture(scope="module")
def dev_app(owner_url: str) -> Iterator[Flask]:
    """The API as a development set-up runs it: http://127.0.0.1 webhooks allowed."""
    from tests.support.webhooks import loopback_app

    with loopback_app(owner_url) as app:
        yield app


@pytest.fixture
def dev_org(dev_app: Flask) -> Org:
    """An organisation on ``dev_app``, with its admin logged in."""
    return OrgFactory(dev_app.test_client()).create()
