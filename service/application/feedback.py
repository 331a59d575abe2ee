"""``/me/feedback``: what each released cycle says to the person it was about.

Final ratings, overall score and readiness are the outcomes release froze for the
person (``cycle_outcomes``, computed by the report SQL in the release transaction),
the very rows the readiness report on a released cycle reads: one source, so a
person's feedback and the report agree (``tests/api/test_cycles_feedback.py``).
Peer and upward feedback follow the anonymity rule of ``domain.scoring``, with the
threshold the cycle snapshotted at launch. The outlook is the readiness report's
(``service/adapters/reports/readiness_sql.py``) for the same person and cycle: the
weighted mean gaps of their released cycles that ended no later than it, the cycle's
own last among those ending the same day.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from service.application.context import Context
from service.application.cycle_ports import (
    FeedbackCycle,
    GapPoint,
    RatingRecord,
    ReceivedReview,
)
from service.application.pagination import Page, PageRequest
from service.domain.access import Scope
from service.domain.cycle import ReviewType
from service.domain.readiness import Outlook, Readiness, outlook
from service.domain.scoring import AnonymousFeedback, anonymous_feedback


@dataclass(frozen=True, slots=True)
class WrittenReview:
    """A review shown with its content (the manager's, or one's own self review)."""

    ratings: tuple[RatingRecord, ...]
    summary: str | None


@dataclass(frozen=True, slots=True)
class FeedbackItem:
    cycle: FeedbackCycle
    final_ratings: list[tuple[UUID, int]]
    overall_score: Decimal | None
    manager_review: WrittenReview | None
    self_review: WrittenReview | None
    peer_feedback: AnonymousFeedback
    #: Only for people who received upward reviews in the cycle.
    upward_feedback: AnonymousFeedback | None
    readiness: Readiness | None
    #: When they may be ready for the next role; only for participants.
    outlook: Outlook | None


def _written(reviews: list[ReceivedReview]) -> WrittenReview | None:
    if not reviews:
        return None
    review = reviews[0]
    return WrittenReview(review.ratings, review.content.summary)


def _outlook(cycle: FeedbackCycle, history: list[GapPoint]) -> Outlook:
    series = sorted(
        (p for p in history if p.period_end <= cycle.period_end),
        key=lambda p: (p.period_end, p.cycle_id == cycle.cycle_id, p.period_start, p.cycle_id),
    )
    return outlook([p.weighted_mean_gap for p in series])


def _item(
    member_id: UUID,
    cycle: FeedbackCycle,
    received: list[ReceivedReview],
    history: list[GapPoint],
) -> FeedbackItem:
    by_type: dict[ReviewType, list[ReceivedReview]] = {t: [] for t in ReviewType}
    for review in received:
        by_type[review.type].append(review)
    own = [r for r in by_type[ReviewType.SELF] if r.reviewer_id == member_id]
    managers = by_type[ReviewType.MANAGER]
    threshold = cycle.peer_anonymity_threshold
    order = cycle.competency_order
    peer = anonymous_feedback([r.content for r in by_type[ReviewType.PEER]], threshold, order)
    upward = (
        anonymous_feedback([r.content for r in by_type[ReviewType.UPWARD]], threshold, order)
        if cycle.upward_assigned
        else None
    )
    if not cycle.participant:
        return FeedbackItem(cycle, [], None, None, None, peer, upward, None, None)
    return FeedbackItem(
        cycle=cycle,
        final_ratings=cycle.final_ratings,
        overall_score=cycle.overall_score,
        manager_review=_written(managers),
        self_review=_written(own),
        peer_feedback=peer,
        upward_feedback=upward,
        readiness=cycle.readiness,
        outlook=_outlook(cycle, history),
    )


def my_feedback(ctx: Context, page: PageRequest) -> Page[FeedbackItem]:
    """One item per released cycle the caller took part in (or, as a manager,
    received upward reviews in), latest period first."""
    caller = ctx.caller
    caller.require_scope(Scope.READ)
    found = ctx.uow.feedback.released_cycles(caller.member_id, page)
    received = ctx.uow.feedback.received_reviews(
        caller.member_id, [c.cycle_id for c in found.items]
    )
    by_cycle: dict[UUID, list[ReceivedReview]] = {}
    for review in received:
        by_cycle.setdefault(review.cycle_id, []).append(review)
    took_part = any(c.participant for c in found.items)
    history = ctx.uow.feedback.gap_history(caller.member_id) if took_part else []
    return Page(
        [_item(caller.member_id, c, by_cycle.get(c.cycle_id, []), history) for c in found.items],
        found.total,
    )
