"""Request quotas: every authenticated request is charged to its credential, and every
anonymous write to the client's address.

An API token has a budget of its own. A member's log-in tokens share one, so logging
in again buys nothing. The public writes (sign-up, log-in, redeeming an invitation)
each hash a password, which is slow on purpose; they share one budget per client
address, charged before the body is read, so that rotating the email or the
organisation buys an anonymous client no more hashing. Failed log-ins also have their
own limit per identity (``auth.log_in``). Probes and the documentation are not charged.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Protocol

from service.domain.access import Principal
from service.domain.errors import TooManyRequests

#: The kinds of key charged (the part before the first ``:``), each with its own rules.
API_TOKEN_KEYS = "api-token"  # noqa: S105 - a kind of key, not a secret
MEMBER_KEYS = "member"
ADDRESS_KEYS = "address"
#: One IPv6 subscriber usually holds a whole /64: counted as one address.
IPV6_CLIENT_PREFIX = 64
MAX_UNPARSED_ADDRESS = 64

CREDENTIAL_SPENT = (
    "Too many requests with this token; retry after the number of seconds in Retry-After."
)
ADDRESS_SPENT = (
    "Too many sign-ups, log-ins or invitation redemptions from your network address;"
    " retry after the number of seconds in Retry-After."
)


@dataclass(frozen=True, slots=True)
class Quota:
    """What is left of the tightest of a caller's windows once this request is counted."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: int  # Unix time at which the window frees a request again
    retry_after: int  # seconds until then, at least 1


class RateLimiter(Protocol):
    def charge(self, key: str) -> Quota | None:
        """Count one request against ``key``; None when no quota applies (limits off,
        or the store unreachable: a quota outage must not take the API down)."""
        ...


def quota_key(principal: Principal) -> str:
    if principal.token_id is not None:
        return f"{API_TOKEN_KEYS}:{principal.token_id}"
    return f"{MEMBER_KEYS}:{principal.member_id}"


def address_key(address: str | None) -> str:
    """The key of a client address: an IPv4 address as it is, an IPv6 one by its /64
    network (its last 64 bits are the client's own to vary). An address that does not
    parse (none at all, behind a Unix socket) is counted as it reads, cut short."""
    written = (address or "").strip()
    try:
        parsed = ipaddress.ip_address(written)
    except ValueError:
        return f"{ADDRESS_KEYS}:{written[:MAX_UNPARSED_ADDRESS] or 'unknown'}"
    if isinstance(parsed, ipaddress.IPv6Address):
        mapped = parsed.ipv4_mapped
        if mapped is not None:
            return f"{ADDRESS_KEYS}:{mapped}"
        network = ipaddress.IPv6Network((parsed, IPV6_CLIENT_PREFIX), strict=False)
        return f"{ADDRESS_KEYS}:{network}"
    return f"{ADDRESS_KEYS}:{parsed}"


def charge(limiter: RateLimiter, principal: Principal) -> Quota | None:
    """Count one request of the caller; ``enforce`` the answer (the edge shows the quota
    on refusals too)."""
    return limiter.charge(quota_key(principal))


def charge_address(limiter: RateLimiter, address: str | None) -> Quota | None:
    """Count one anonymous write from ``address``; ``enforce(..., ADDRESS_SPENT)`` it."""
    return limiter.charge(address_key(address))


def enforce(quota: Quota | None, message: str = CREDENTIAL_SPENT) -> None:
    """``TooManyRequests`` once the budget is spent."""
    if quota is not None and not quota.allowed:
        raise TooManyRequests(message, quota.retry_after)
