"""Request quotas: every authenticated request is charged to its credential.

An API token has a budget of its own. A member's log-in tokens share one, so logging
in again buys nothing. Public operations (sign-up, log-in, probes) are not charged
here: failed log-ins have their own limit per identity (``auth.log_in``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from service.domain.access import Principal
from service.domain.errors import TooManyRequests


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
        return f"api-token:{principal.token_id}"
    return f"member:{principal.member_id}"


def charge(limiter: RateLimiter, principal: Principal) -> Quota | None:
    """Count one request of the caller; ``enforce`` the answer (the edge shows the quota
    on refusals too)."""
    return limiter.charge(quota_key(principal))


def enforce(quota: Quota | None) -> None:
    """``TooManyRequests`` once the caller's budget is spent."""
    if quota is not None and not quota.allowed:
        raise TooManyRequests(
            "Too many requests with this token; retry after the number of seconds in Retry-After.",
            quota.retry_after,
        )
