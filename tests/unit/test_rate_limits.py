"""The quota arithmetic, on the ``limits`` library's in-process store."""

from __future__ import annotations

import logging
import time
import uuid

import pytest

from service.adapters.rate_limits import Unlimited, WindowRateLimiter
from service.application import rate_limits
from service.bootstrap import ConfigurationError, RateLimitSettings, trusted_proxies
from service.domain.access import AccessRole, Principal
from service.domain.errors import TooManyRequests


def _key() -> str:
    return f"test:{uuid.uuid4()}"


def test_a_budget_counts_down_then_refuses_until_the_window_frees() -> None:
    limiter, key = WindowRateLimiter("memory://", "3/minute"), _key()
    quotas = [limiter.charge(key) for _ in range(4)]
    assert [q.allowed for q in quotas if q] == [True, True, True, False]
    assert [q.remaining for q in quotas if q] == [2, 1, 0, 0]
    refused = quotas[-1]
    assert refused is not None
    assert refused.limit == 3
    assert 1 <= refused.retry_after <= 60
    assert refused.reset_at >= int(time.time())


def test_keys_have_budgets_of_their_own() -> None:
    limiter, spender, other = WindowRateLimiter("memory://", "1/minute"), _key(), _key()
    assert limiter.charge(spender).allowed  # type: ignore[union-attr]
    assert not limiter.charge(spender).allowed  # type: ignore[union-attr]
    assert limiter.charge(other).allowed  # type: ignore[union-attr]


def test_the_tightest_of_several_windows_is_reported_and_enforced() -> None:
    limiter, key = WindowRateLimiter("memory://", "100/minute;2/second"), _key()
    first = limiter.charge(key)
    assert first is not None
    assert (first.limit, first.remaining) == (2, 1)
    limiter.charge(key)
    third = limiter.charge(key)
    assert third is not None
    assert not third.allowed
    assert third.limit == 2


def test_an_unreachable_store_lets_requests_through_uncounted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Port 1 refuses connections: the quota store is down, the API must stay up.
    limiter = WindowRateLimiter("redis://127.0.0.1:1/0", "1/minute")
    with caplog.at_level(logging.WARNING, logger="service.adapters.rate_limits"):
        assert [limiter.charge(_key()) for _ in range(5)] == [None] * 5
    # One warning while it stays down, not a traceback per request.
    assert [r.getMessage() for r in caplog.records] == [
        "rate limit store unavailable: requests not counted"
    ]


def test_limits_can_be_switched_off() -> None:
    assert isinstance(RateLimitSettings(per_token="off", per_address="off").limiter(), Unlimited)
    assert Unlimited().charge(_key()) is None


def test_credentials_and_addresses_are_counted_under_rules_of_their_own() -> None:
    limiter = RateLimitSettings(per_token="2/minute", per_address="1/minute").limiter()
    member, token = f"member:{uuid.uuid4()}", f"api-token:{uuid.uuid4()}"
    address = rate_limits.address_key("198.51.100.7")
    assert [limiter.charge(member).allowed for _ in range(3)] == [True, True, False]  # type: ignore[union-attr]
    assert limiter.charge(token).limit == 2  # type: ignore[union-attr]
    assert [limiter.charge(address).allowed for _ in range(2)] == [True, False]  # type: ignore[union-attr]
    assert limiter.charge("elsewhere:1") is None  # a kind without rules is not counted


def test_each_kind_can_be_switched_off_alone() -> None:
    tokens_only = RateLimitSettings(per_token="1/minute", per_address="off").limiter()
    addresses_only = RateLimitSettings(per_token="off", per_address="1/minute").limiter()
    address = rate_limits.address_key("198.51.100.8")
    assert tokens_only.charge(address) is None
    assert tokens_only.charge(f"member:{uuid.uuid4()}") is not None
    assert addresses_only.charge(f"member:{uuid.uuid4()}") is None
    assert addresses_only.charge(address) is not None


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.9", "address:203.0.113.9"),
        (" 203.0.113.9 ", "address:203.0.113.9"),
        ("::ffff:203.0.113.9", "address:203.0.113.9"),
        ("2001:db8:1:2:aaaa::1", "address:2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "address:2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "address:2001:db8:1:3::/64"),
        (None, "address:unknown"),
        ("", "address:unknown"),
    ],
)
def test_an_address_is_counted_as_one_client(address: str | None, key: str) -> None:
    """An IPv6 client holds a whole /64: varying the last 64 bits buys no budget."""
    assert rate_limits.address_key(address) == key


def test_a_spent_address_budget_is_refused_in_its_own_words() -> None:
    limiter, key = WindowRateLimiter("memory://", "1/minute"), rate_limits.address_key("::1")
    limiter.charge(key)
    with pytest.raises(TooManyRequests) as raised:
        rate_limits.enforce(limiter.charge(key), rate_limits.ADDRESS_SPENT)
    assert "address" in str(raised.value)


@pytest.mark.parametrize("value", ["-1", "two", "1.5"])
def test_a_bad_number_of_trusted_proxies_stops_the_start(value: str) -> None:
    with pytest.raises(ConfigurationError):
        trusted_proxies(value)


def test_no_proxy_is_trusted_unless_configured() -> None:
    assert trusted_proxies(None) == 0
    assert trusted_proxies("") == 0
    assert trusted_proxies(" 2 ") == 2


@pytest.mark.parametrize(
    ("per_token", "storage_url"),
    [("lots/minute", "memory://"), ("", "memory://"), ("10/minute", "carrier-pigeon://x")],
)
def test_a_bad_setting_stops_the_start(per_token: str, storage_url: str) -> None:
    with pytest.raises(ConfigurationError):
        RateLimitSettings(per_token=per_token, storage_url=storage_url).limiter()


@pytest.mark.parametrize("per_address", ["lots/minute", ""])
def test_a_bad_address_budget_stops_the_start(per_address: str) -> None:
    with pytest.raises(ConfigurationError):
        RateLimitSettings(per_token="off", per_address=per_address).limiter()


def test_api_tokens_have_their_own_budget_and_log_ins_share_their_members() -> None:
    org, member, token = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    session = Principal(org, member, AccessRole.ADMIN)
    integration = Principal(org, member, AccessRole.ADMIN, token_id=token)
    assert rate_limits.quota_key(session) == f"member:{member}"
    assert rate_limits.quota_key(integration) == f"api-token:{token}"


def test_a_spent_budget_is_refused_with_the_wait() -> None:
    limiter, key = WindowRateLimiter("memory://", "1/minute"), _key()
    rate_limits.enforce(limiter.charge(key))
    refused = limiter.charge(key)
    with pytest.raises(TooManyRequests) as raised:
        rate_limits.enforce(refused)
    assert refused is not None
    assert raised.value.retry_after == refused.retry_after
    rate_limits.enforce(None)  # no quota applies: nothing to refuse
