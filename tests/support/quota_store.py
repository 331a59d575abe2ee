"""Which Redis the quota tests use: ``TEST_REDIS_URL``, else the local server at
127.0.0.1:6379 when it answers. Without one they skip, except with ``CI=true``, where a
missing Redis fails them (``.ci/run`` starts this machine's)."""

from __future__ import annotations

import os

import pytest
import redis

LOCAL_URL = "redis://127.0.0.1:6379/0"


def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL") or LOCAL_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get("CI") == "true" or os.environ.get("TEST_REDIS_URL"):
            pytest.fail(f"Redis does not answer at {url}: {error}")
        pytest.skip(f"no Redis at {url} (set TEST_REDIS_URL, or CI=true to require one)")
    return url
