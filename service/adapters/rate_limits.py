"""Request quotas counted by the ``limits`` library.

The counts live in the store of ``RATE_LIMIT_STORAGE_URL``: Redis (``redis://...``) where
several workers or hosts serve, so that they share one count; ``memory://`` counts in
each worker process, which only a single-process development server should rely on.
Windows slide (``limits``' sliding window counter), so a burst at a window's edge
does not get twice the budget. Credentials and client addresses are counted under
rules of their own (``RulesByKind``), in the same store.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping

from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from service.application.rate_limits import Quota, RateLimiter

log = logging.getLogger(__name__)

NAMESPACE = "review-api"
UNAVAILABLE_WARNING_SECONDS = 60.0


class WindowRateLimiter:
    def __init__(self, storage_url: str, rules: str) -> None:
        """``rules`` in the ``limits`` notation, ``;``-separated: ``1200/minute;50/second``."""
        self._rules: list[RateLimitItem] = parse_many(rules)
        self._storage = storage_from_string(storage_url)
        self._strategy = SlidingWindowCounterRateLimiter(self._storage)
        self._warned_at: float | None = None

    def charge(self, key: str) -> Quota | None:
        try:
            quota = self._charge(key)
        except Exception:  # the store's own errors vary with the backend
            self._warn_unavailable()
            return None
        if self._warned_at is not None:
            log.warning("rate limit store available again: requests are counted")
            self._warned_at = None
        return quota

    def _warn_unavailable(self) -> None:
        """Once a minute at most, with the error: not a traceback per request while the
        store is down."""
        now = time.monotonic()
        if self._warned_at is None or now - self._warned_at >= UNAVAILABLE_WARNING_SECONDS:
            log.warning("rate limit store unavailable: requests not counted", exc_info=True)
            self._warned_at = now

    def _charge(self, key: str) -> Quota:
        tightest: Quota | None = None
        for rule in self._rules:
            allowed = self._strategy.hit(rule, NAMESPACE, key)
            stats = self._strategy.get_window_stats(rule, NAMESPACE, key)
            quota = _quota(allowed, rule.amount, stats.remaining, stats.reset_time)
            if not allowed:
                return quota
            if tightest is None or quota.remaining < tightest.remaining:
                tightest = quota
        assert tightest is not None  # parse_many refuses an empty rule set
        return tightest


class Unlimited:
    """``RATE_LIMIT_PER_TOKEN=off`` (or ``RATE_LIMIT_PER_ADDRESS=off``): nothing is counted."""

    def charge(self, key: str) -> Quota | None:
        return None


class RulesByKind:
    """One limiter for the edges, with a budget for each kind of key: the part of the
    key before its first ``:`` (``api-token``, ``member``, ``address``). A key of a
    kind without a limiter is not counted."""

    def __init__(self, limiters: Mapping[str, RateLimiter]) -> None:
        self._limiters = dict(limiters)

    def charge(self, key: str) -> Quota | None:
        limiter = self._limiters.get(key.partition(":")[0])
        return None if limiter is None else limiter.charge(key)


def _quota(allowed: bool, limit: int, remaining: int, reset_time: float) -> Quota:
    wait = max(1, math.ceil(reset_time - time.time()))
    return Quota(
        allowed=allowed,
        limit=limit,
        remaining=max(0, remaining),
        reset_at=math.ceil(reset_time),
        retry_after=wait,
    )
