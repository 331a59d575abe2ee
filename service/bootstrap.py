"""The composition root: reads configuration and wires the concrete adapters."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from limits.errors import ConfigurationError as LimitsConfigurationError
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import sessionmaker

from service.adapters import orm
from service.adapters.database import serving_engine
from service.adapters.passwords import Argon2Passwords
from service.adapters.rate_limits import RulesByKind, Unlimited, WindowRateLimiter
from service.adapters.tenancy import TenantSession
from service.adapters.unit_of_work import SqlUnitOfWork
from service.adapters.webhook_sender import HttpWebhookSender, ResolvingHosts
from service.application.context import Policies, Wiring
from service.application.rate_limits import (
    ADDRESS_KEYS,
    API_TOKEN_KEYS,
    MEMBER_KEYS,
    RateLimiter,
)
from service.application.webhook_delivery import Deliverer
from service.domain.webhook_retries import RetrySchedule


class ConfigurationError(RuntimeError):
    pass


def _whole(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole-number setting; a ``ConfigurationError`` that names it otherwise."""
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {text!r}") from None


def _decimal(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {text!r}") from None


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in LOG_LEVELS:
        raise ConfigurationError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {value!r}")
    return level


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """``WEBHOOKS_ALLOW_LOOPBACK=true`` lets endpoints be http://127.0.0.1 or localhost:
    for development and tests only, never where the service shares a network.
    ``WEBHOOKS_CONCURRENCY``: messages one deliverer has on their way at once.
    ``WEBHOOKS_IN_FLIGHT_PER_ORGANISATION``: of those, across every deliverer, at most
    this many of one organisation's; keep it below the concurrency, so that one
    organisation alone never takes every thread of a deliverer."""

    allow_loopback: bool = False
    max_attempts: int = 8
    first_retry_seconds: float = 30.0
    timeout_seconds: float = 10.0
    idle_seconds: float = 1.0
    retention_days: float = 30.0
    concurrency: int = 8
    in_flight_per_organisation: int = 4

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ConfigurationError("WEBHOOKS_CONCURRENCY must be at least 1")
        if self.in_flight_per_organisation < 1:
            raise ConfigurationError("WEBHOOKS_IN_FLIGHT_PER_ORGANISATION must be at least 1")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebhookSettings:
        env = os.environ if env is None else env
        return cls(
            allow_loopback=_flag(env.get("WEBHOOKS_ALLOW_LOOPBACK"), False),
            max_attempts=_whole(env, "WEBHOOKS_MAX_ATTEMPTS", 8),
            first_retry_seconds=_decimal(env, "WEBHOOKS_FIRST_RETRY_SECONDS", 30),
            timeout_seconds=_decimal(env, "WEBHOOKS_TIMEOUT_SECONDS", 10),
            idle_seconds=_decimal(env, "WEBHOOKS_IDLE_SECONDS", 1),
            retention_days=_decimal(env, "WEBHOOKS_RETENTION_DAYS", 30),
            concurrency=_whole(env, "WEBHOOKS_CONCURRENCY", 8),
            in_flight_per_organisation=_whole(env, "WEBHOOKS_IN_FLIGHT_PER_ORGANISATION", 4),
        )


# 20 requests a second on average, with room for a web page's burst of calls.
DEFAULT_RATE_LIMIT = "1200/minute"
# Sign-ups, log-ins and invitation redemptions from one client address. Each hashes a
# password (argon2id: about 0.1 s of a core and 64 MiB), so this holds one address to
# about a twentieth of a core. A person needs a few a day; an office behind one NAT
# logging in at nine o'clock stays well under it.
DEFAULT_ADDRESS_RATE_LIMIT = "30/minute"


@dataclass(frozen=True, slots=True)
class RateLimitSettings:
    """``RATE_LIMIT_PER_TOKEN``: each credential's budget, in the ``limits`` notation
    (``1200/minute``, or several: ``1200/minute;60/second``), ``off`` for none.
    ``RATE_LIMIT_PER_ADDRESS``: the budget of each client address (an IPv6 one by its
    /64) for the public writes that hash a password (sign-up, log-in, redeeming an
    invitation), in the same notation, ``off`` for none; see ``TRUSTED_PROXIES``.
    ``RATE_LIMIT_STORAGE_URL``: where the counts live; ``memory://`` counts per worker
    process, so set ``redis://...`` wherever more than one process serves."""

    per_token: str = DEFAULT_RATE_LIMIT
    per_address: str = DEFAULT_ADDRESS_RATE_LIMIT
    storage_url: str = "memory://"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RateLimitSettings:
        return cls(
            per_token=env.get("RATE_LIMIT_PER_TOKEN", DEFAULT_RATE_LIMIT).strip(),
            per_address=env.get("RATE_LIMIT_PER_ADDRESS", DEFAULT_ADDRESS_RATE_LIMIT).strip(),
            storage_url=env.get("RATE_LIMIT_STORAGE_URL", "memory://").strip(),
        )

    def limiter(self) -> RateLimiter:
        per_token = self._counted(self.per_token)
        per_address = self._counted(self.per_address)
        if per_token is None and per_address is None:
            return Unlimited()
        limiters: dict[str, RateLimiter] = {}
        if per_token is not None:
            limiters[API_TOKEN_KEYS] = limiters[MEMBER_KEYS] = per_token
        if per_address is not None:
            limiters[ADDRESS_KEYS] = per_address
        return RulesByKind(limiters)

    def _counted(self, rules: str) -> WindowRateLimiter | None:
        if rules.lower() == "off":
            return None
        try:
            return WindowRateLimiter(self.storage_url, rules)
        except (ValueError, LimitsConfigurationError) as error:  # bad rule, unknown store
            raise ConfigurationError(f"Rate limits: {error}") from error


def trusted_proxies(value: str | None) -> int:
    """``TRUSTED_PROXIES``: how many reverse proxies (load balancers) stand in front of
    the service, each appending to ``X-Forwarded-For``. 0 (the default) trusts no such
    header: the client is the peer of the connection."""
    try:
        count = int((value or "0").strip())
    except ValueError:
        count = -1
    if count < 0:
        raise ConfigurationError(
            f"TRUSTED_PROXIES must be a number of proxies (0 or more), not {value!r}"
        )
    return count


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable, read from the environment only."""

    database_url: str
    set_role: str | None
    policies: Policies
    fast_password_hashing: bool
    pool_size: int
    log_level: str
    webhooks: WebhookSettings
    rate_limits: RateLimitSettings
    trusted_proxies: int = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        app_url = env.get("APP_DATABASE_URL")
        owner_url = env.get("DATABASE_URL")
        if not app_url and not owner_url:
            raise ConfigurationError("Set DATABASE_URL (or APP_DATABASE_URL) to a PostgreSQL URL.")
        url = normalise_url(app_url or owner_url or "")
        if not url.startswith("postgresql+psycopg://"):
            which = "APP_DATABASE_URL" if app_url else "DATABASE_URL"
            raise ConfigurationError(f"{which} must be a PostgreSQL URL (postgresql://...).")
        role = env.get("APP_DB_ROLE", "review_app")
        return cls(
            database_url=url,
            # With one owner URL, serve as the request role all the same.
            set_role=None if app_url else role,
            policies=Policies(
                signup_enabled=_flag(env.get("SIGNUP_ENABLED"), True),
                session_ttl=timedelta(seconds=_whole(env, "SESSION_TTL_SECONDS", 43200)),
                invitation_ttl=timedelta(days=_whole(env, "INVITATION_TTL_DAYS", 7)),
                login_max_failures=_whole(env, "LOGIN_MAX_FAILURES", 10),
                login_window=timedelta(seconds=_whole(env, "LOGIN_WINDOW_SECONDS", 900)),
            ),
            fast_password_hashing=_flag(env.get("FAST_PASSWORD_HASHING"), False),
            pool_size=_whole(env, "DB_POOL_SIZE", 5),
            log_level=_log_level(env.get("LOG_LEVEL", "INFO")),
            webhooks=WebhookSettings.from_env(env),
            rate_limits=RateLimitSettings.from_env(env),
            trusted_proxies=trusted_proxies(env.get("TRUSTED_PROXIES")),
        )


def normalise_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def query_as_owner(sql: str, params: Mapping[str, Any] | None = None) -> tuple[Any, ...] | None:
    """The first row of one query run as the schema owner (``DATABASE_URL``), who sees
    across organisations, which the request role cannot; for the command line's
    bootstrapping questions. ``ConfigurationError`` without an owner's URL."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise ConfigurationError("Set DATABASE_URL to the owner's URL.")
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            row = connection.execute(text(sql), dict(params or {})).first()
    finally:
        engine.dispose()
    return None if row is None else tuple(row)


@dataclass(frozen=True, slots=True)
class Wired:
    wiring: Wiring
    engine: Engine
    readiness: Callable[[], bool]


def wire(settings: Settings) -> Wired:
    orm.start_mappers()
    engine = serving_engine(
        settings.database_url, set_role=settings.set_role, pool_size=settings.pool_size
    )
    session_factory = sessionmaker(
        bind=engine, class_=TenantSession, expire_on_commit=False, autoflush=False
    )

    revisions = schema_revisions()

    def readiness() -> bool:
        """The database answers, and its schema is at least at the revision of this
        code: an API deployed ahead of its migrations is not ready. A schema already
        past it (a revision this code does not know) is: replicas of the release before
        keep serving while the next one's migrations run."""
        try:
            with engine.connect() as connection:
                found = connection.execute(text("SELECT version_num FROM alembic_version"))
                return revisions is None or revisions.reached({row[0] for row in found})
        except Exception:  # any failure means "not ready"
            return False

    hosts = ResolvingHosts(allow_loopback=settings.webhooks.allow_loopback)
    wiring = Wiring(
        unit_of_work=lambda: SqlUnitOfWork(session_factory, hosts),
        passwords=Argon2Passwords(fast=settings.fast_password_hashing),
        policies=settings.policies,
        rate_limiter=settings.rate_limits.limiter(),
    )
    return Wired(wiring, engine, readiness)


MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@dataclass(frozen=True, slots=True)
class SchemaRevisions:
    """The migrations shipped beside this code: where they end, and every revision."""

    heads: frozenset[str]
    known: frozenset[str]

    def reached(self, current: set[str]) -> bool:
        """The schema is at this code's head, or past it (at a revision it does not
        know, from a later release); not behind it, nor unmigrated."""
        return current == self.heads or (bool(current) and not current & self.known)


def schema_revisions() -> SchemaRevisions | None:
    """None where the migrations are not shipped with the code (then readiness asks
    only that the database answers)."""
    if not (MIGRATIONS / "versions").is_dir():
        return None
    scripts = ScriptDirectory(str(MIGRATIONS))
    known = frozenset(script.revision for script in scripts.walk_revisions())
    return SchemaRevisions(frozenset(scripts.get_heads()), known)


def webhook_deliverer(wiring: Wiring, settings: WebhookSettings) -> Deliverer:
    """The deliverer of ``flask webhooks deliver``, over the app's units of work."""
    hosts = ResolvingHosts(allow_loopback=settings.allow_loopback)
    return Deliverer(
        unit_of_work=wiring.unit_of_work,
        sender=HttpWebhookSender(
            hosts, timeout_seconds=settings.timeout_seconds, connections=settings.concurrency
        ),
        schedule=RetrySchedule(
            max_attempts=settings.max_attempts,
            first_delay=timedelta(seconds=settings.first_retry_seconds),
        ),
        idle_seconds=settings.idle_seconds,
        retention=timedelta(days=settings.retention_days),
        concurrency=settings.concurrency,
        in_flight_per_organisation=settings.in_flight_per_organisation,
    )
