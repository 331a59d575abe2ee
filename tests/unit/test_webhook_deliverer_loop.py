"""The deliverer's loop: it prunes the outbox once a prune period, not on every pass,
and keeps running when a pass fails."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from service.application.webhook_delivery import Deliverer

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class FakeOutbox:
    def __init__(self) -> None:
        self.prunes: list[datetime] = []
        self.claims = 0
        self.fail_next_claim = False

    def prune(self, before: datetime) -> int:
        self.prunes.append(before)
        return 0

    def claim_due(self, lease: timedelta, per_organisation: int) -> None:
        self.claims += 1
        if self.fail_next_claim:
            self.fail_next_claim = False
            raise ConnectionError("the database went away")


class IdleSender:
    longest_attempt = timedelta(seconds=10)


class FakeUnitOfWork:
    def __init__(self, outbox: FakeOutbox) -> None:
        self.webhook_outbox = outbox

    def commit(self) -> None: ...

    def close(self) -> None: ...


class SteppingClock:
    """Each reading is ``step`` later than the one before."""

    def __init__(self, step: timedelta) -> None:
        self.now, self.step = START, step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


def _run(outbox: FakeOutbox, clock: SteppingClock, passes: int) -> None:
    stop = threading.Event()

    def counting_uow() -> Any:
        if outbox.claims >= passes:
            stop.set()
        return FakeUnitOfWork(outbox)

    deliverer = Deliverer(
        unit_of_work=counting_uow,
        sender=IdleSender(),  # type: ignore[arg-type]  # nothing is due: nothing is sent
        idle_seconds=0,
        clock=clock,
        retention=timedelta(days=30),
        prune_every=timedelta(hours=1),
    )
    deliverer.run(stop)


def test_the_outbox_is_pruned_once_a_period_with_the_retention() -> None:
    outbox = FakeOutbox()
    _run(outbox, SteppingClock(timedelta(minutes=10)), passes=24)
    cutoffs = outbox.prunes
    assert 2 <= len(cutoffs) < 24 // 2, cutoffs  # several periods passed; not every pass
    assert all(b - a >= timedelta(hours=1) for a, b in pairwise(cutoffs))
    # The first pass prunes, with the retention from its own clock reading.
    assert cutoffs[0] == START + timedelta(minutes=10) - timedelta(days=30)


def test_a_failed_pass_does_not_stop_the_deliverer() -> None:
    outbox = FakeOutbox()
    outbox.fail_next_claim = True
    _run(outbox, SteppingClock(timedelta(seconds=1)), passes=3)
    assert outbox.claims >= 3
    assert len(outbox.prunes) == 1
