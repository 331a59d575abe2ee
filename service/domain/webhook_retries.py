"""When a failed delivery is tried again, and when it is given up.

Exponential backoff with jitter: each wait is ``factor`` times the one before, up to
a ceiling, and spread by up to ``jitter`` either way so that the deliveries that
failed together (an endpoint that was down) do not all come back at the same
second. With the defaults, 8 attempts over about 19 hours: at once, then after
30 s, 2 min, 8 min, 32 min, 2 h 8 min, 8 h and 8 h.

The receiver has its say (Standard Webhooks): a ``Retry-After`` on a failed answer (a
429 or 503 most often) puts the next attempt no earlier than it asks, though never
further than the longest wait; 410 Gone asks for no more messages at all: the
delivery fails at once and its endpoint is to be deactivated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

#: The answer by which a receiver asks to hear no more.
GONE = 410
#: A ``Retry-After`` asking for longer is read as this (the schedule caps it anyway).
LONGEST_RETRY_AFTER = timedelta(days=365)
_DELAY_SECONDS = re.compile(r"[0-9]+")


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class NextStep:
    status: DeliveryStatus
    next_attempt_at: datetime | None
    #: Why a failed delivery was given up; None unless it failed.
    failure: str | None = None
    #: The receiver answered 410 Gone: its endpoint is deactivated with the attempt.
    endpoint_gone: bool = False


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """The wait a ``Retry-After`` header asks for (RFC 9110: a number of seconds, or
    an HTTP date), never negative nor longer than ``LONGEST_RETRY_AFTER``; None when
    there is none or it cannot be read."""
    if value is None:
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        seconds = min(int(value), int(LONGEST_RETRY_AFTER.total_seconds()))
        return timedelta(seconds=seconds)
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if at.tzinfo is None:  # the obsolete asctime form: HTTP dates are always GMT
        at = at.replace(tzinfo=UTC)
    return min(max(at - now, timedelta(0)), LONGEST_RETRY_AFTER)


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    max_attempts: int = 8
    first_delay: timedelta = timedelta(seconds=30)
    factor: float = 4.0
    longest_delay: timedelta = timedelta(hours=8)
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")

    def delay_after(self, attempt: int, spread: float) -> timedelta:
        """The wait after failed attempt number ``attempt`` (1-based); ``spread`` is a
        random number in [-1, 1]."""
        grown = self.first_delay.total_seconds() * self.factor ** min(max(attempt - 1, 0), 64)
        nominal = min(self.longest_delay.total_seconds(), grown)
        return timedelta(seconds=nominal * (1 + self.jitter * max(-1.0, min(1.0, spread))))

    def after_attempt(
        self,
        attempt: int,
        succeeded: bool,
        now: datetime,
        spread: float,
        *,
        status_code: int | None = None,
        retry_after: timedelta | None = None,
    ) -> NextStep:
        """After attempt number ``attempt``, answered ``status_code`` (None: no answer)
        with ``retry_after`` (the wait its ``Retry-After`` asked for, if any)."""
        if succeeded:
            return NextStep(DeliveryStatus.DELIVERED, None)
        if status_code == GONE:
            return NextStep(
                DeliveryStatus.FAILED,
                None,
                failure="The endpoint answered 410 Gone: it asked for no more messages, "
                "and was deactivated.",
                endpoint_gone=True,
            )
        if attempt >= self.max_attempts:
            return NextStep(
                DeliveryStatus.FAILED, None, failure=f"No 2xx answer in {attempt} attempts."
            )
        wait = self.delay_after(attempt, spread)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.longest_delay))
        return NextStep(DeliveryStatus.PENDING, now + wait)
