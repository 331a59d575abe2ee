"""When a failed delivery is tried again, and when it is given up.

Exponential backoff with jitter: each wait is ``factor`` times the one before, up to
a ceiling, and spread by up to ``jitter`` either way so that the deliveries that
failed together (an endpoint that was down) do not all come back at the same
second. With the defaults, 8 attempts over about 19 hours: at once, then after
30 s, 2 min, 8 min, 32 min, 2 h 8 min, 8 h and 8 h.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class NextStep:
    status: DeliveryStatus
    next_attempt_at: datetime | None


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
        self, attempt: int, succeeded: bool, now: datetime, spread: float
    ) -> NextStep:
        if succeeded:
            return NextStep(DeliveryStatus.DELIVERED, None)
        if attempt >= self.max_attempts:
            return NextStep(DeliveryStatus.FAILED, None)
        return NextStep(DeliveryStatus.PENDING, now + self.delay_after(attempt, spread))
