"""The service's own settings, from the environment: a bad one is named at start."""

from __future__ import annotations

import pytest

from service.bootstrap import ConfigurationError, Settings

URL = "postgresql://u@h/db"


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("WEBHOOKS_MAX_ATTEMPTS", "abc", "WEBHOOKS_MAX_ATTEMPTS must be a whole number"),
        ("SESSION_TTL_SECONDS", "12h", "SESSION_TTL_SECONDS must be a whole number"),
        ("DB_POOL_SIZE", "five", "DB_POOL_SIZE must be a whole number"),
        ("WEBHOOKS_TIMEOUT_SECONDS", "soon", "WEBHOOKS_TIMEOUT_SECONDS must be a number"),
        ("LOG_LEVEL", "verbose", "LOG_LEVEL must be one of"),
        ("DATABASE_URL", "mysql://db/reviews", "DATABASE_URL must be a PostgreSQL URL"),
    ],
)
def test_a_bad_setting_is_named_at_start(name: str, value: str, says: str) -> None:
    env = {"DATABASE_URL": URL, name: value}
    with pytest.raises(ConfigurationError, match=says):
        Settings.from_env(env)


def test_empty_settings_take_their_defaults() -> None:
    settings = Settings.from_env({"DATABASE_URL": URL, "DB_POOL_SIZE": ""})
    assert settings.pool_size == 5
    assert (
        Settings.from_env({"DATABASE_URL": "postgres://u@h/db", "LOG_LEVEL": "debug"}).log_level
        == "DEBUG"
    )
