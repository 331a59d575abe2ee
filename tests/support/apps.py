"""Application instances for tests, configured as the shared ``app`` fixture is."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from service.app import create_app

# Far above what any test sends with one token, or from the test client's one address
# (127.0.0.1); tests/api/test_rate_limits.py and test_login_abuse.py set their own.
GENEROUS_RATE_LIMIT = "100000/minute"


def app_env(owner_url: str, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": owner_url,
        "FAST_PASSWORD_HASHING": "true",
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_PER_TOKEN": GENEROUS_RATE_LIMIT,
        "RATE_LIMIT_PER_ADDRESS": GENEROUS_RATE_LIMIT,
        "PATH": os.environ.get("PATH", ""),
        **extra,
    }


@contextmanager
def running_app(owner_url: str, **extra: str) -> Iterator[Flask]:
    """An app on the tests' database (its own engine and pool, as a gunicorn worker
    has), disposed of afterwards."""
    app = create_app(app_env(owner_url, **extra))
    app.config["TESTING"] = True
    try:
        yield app
    finally:
        app.extensions["review_engine"].dispose()
