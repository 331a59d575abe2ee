"""Reviews: reading them as the caller may, saving drafts, submitting, reopening."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple
from uuid import UUID

from service.application import audit
from service.application.concurrency import check_version
from service.application.context import Context
from service.application.cycle_access import viewer_of
from service.application.cycle_ports import (
    ListedReviews,
    RatingRecord,
    RatingSheet,
    ReviewExpectation,
    ReviewFilters,
    ReviewRecord,
)
from service.application.pagination import PageRequest
from service.domain.access import Scope
from service.domain.cycle import CycleState, ReviewCycle, ReviewType, in_competency_order
from service.domain.errors import Forbidden, NotFound
from service.domain.review import RatingChange, Review, ReviewRules, ReviewStatus
from service.domain.review_visibility import (
    ReviewFacts,
    Viewer,
    actions_on_review,
    review_actions,
    review_visibility,
    reviewer_shown_to,
)


@dataclass(frozen=True, slots=True)
class ReviewView:
    """A review as the caller may see it: its author only where they may know it; what
    the reviewee's role expects of each competency, as the cycle snapshotted it (None
    when the reviewee had no role in the snapshot)."""

    record: ReviewRecord
    reviewer_shown: bool
    allowed_actions: list[str]
    expectations: tuple[ReviewExpectation, ...] | None = None


def record_of(review: Review, cycle_state: CycleState, order: Sequence[UUID] = ()) -> ReviewRecord:
    """The review as a record, its ratings in the cycle's competency order (as lists)."""
    ratings = in_competency_order(review.ratings, order, lambda r: r.competency_id)
    return ReviewRecord(
        id=review.id,
        cycle_id=review.cycle_id,
        reviewee_id=review.reviewee_id,
        reviewer_id=review.reviewer_id,
        type=review.type,
        status=review.status,
        summary=review.summary,
        promotion_recommendation=review.promotion_recommendation,
        potential=review.potential,
        submitted_at=review.submitted_at,
        updated_at=review.updated_at,
        version=review.version,
        cycle_state=cycle_state,
        ratings=tuple(
            RatingRecord(r.competency_id, r.score, r.comment, list(r.evidence)) for r in ratings
        ),
    )


#: What decides the terms of a listed review: written by the viewer or not, its type,
#: its status, its cycle's state.
ReviewKind = tuple[bool, ReviewType, ReviewStatus, CycleState]
REVIEW_KINDS: tuple[ReviewKind, ...] = tuple(
    itertools.product((False, True), ReviewType, ReviewStatus, CycleState)
)


class ListingTerms(NamedTuple):
    """What a viewer may know of and do with one kind of review."""

    reviewer_shown: bool
    allowed_actions: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class ListingRules:
    """A viewer's terms for every kind of review, judged by the domain's rules. The
    kinds are enumerations' members, equal to (and hashed as) their values: a listed
    row's ``row[:4]`` finds its terms as it is. One object per viewer, compared by
    identity, so the HTTP edge may keep what it writes from it."""

    terms: Mapping[ReviewKind, ListingTerms]


@dataclass(frozen=True, slots=True)
class ReviewListing:
    reviews: ListedReviews
    rules: ListingRules


def list_reviews(ctx: Context, filters: ReviewFilters, page: PageRequest) -> ReviewListing:
    caller = ctx.caller
    caller.require_scope(Scope.READ)
    viewer = viewer_of(caller)
    return ReviewListing(ctx.uow.reviews.list(filters, viewer, page), listing_rules(viewer))


@lru_cache(maxsize=256)
def listing_rules(viewer: Viewer) -> ListingRules:
    """The viewer's terms for every kind of review: a few hundred calls of the domain's
    rules, made once per viewer (a member, their role, whether they may write) rather
    than for every review of every page."""
    return ListingRules(
        {
            (authored, type_, status, state): ListingTerms(
                reviewer_shown_to(viewer, type_, authored=authored),
                tuple(actions_on_review(viewer, status, state, authored=authored)),
            )
            for authored, type_, status, state in REVIEW_KINDS
        }
    )


def list_my_reviews(
    ctx: Context, cycle_id: UUID | None, status: ReviewStatus | None, page: PageRequest
) -> ReviewListing:
    """The reviews the caller writes, but for those of cancelled cycles."""
    filters = ReviewFilters(
        cycle_id=cycle_id, reviewer_id=ctx.caller.member_id, status=status, open_cycles_only=True
    )
    return list_reviews(ctx, filters, page)


@dataclass(frozen=True, slots=True)
class _Loaded:
    review: Review
    cycle: ReviewCycle
    viewer: Viewer
    reviewer_shown: bool


def _load(ctx: Context, review_id: UUID, *, write: bool = False) -> _Loaded:
    """The review if the caller may see it; 404 otherwise, exactly as a missing one.

    A write share-locks the cycle: a transition in flight (start of calibration) is
    waited for, and the cycle's state then read as it left it.
    """
    viewer = viewer_of(ctx.caller)
    cycles = ctx.uow.cycles
    review = ctx.uow.reviews.get(review_id)
    cycle = None
    if review is not None:
        cycle = (
            cycles.get_locked(review.cycle_id, "share") if write else cycles.get(review.cycle_id)
        )
    if review is None or cycle is None:
        raise NotFound("Review")
    if viewer.member_id == review.reviewer_id:
        return _Loaded(review, cycle, viewer, True)
    context = ctx.uow.reviews.context(review, viewer)
    visibility = review_visibility(
        viewer,
        ReviewFacts(
            type=review.type,
            status=review.status,
            reviewer_id=review.reviewer_id,
            reviewee_id=review.reviewee_id,
            cycle_state=cycle.state,
            oversees_reviewee=context.oversees_reviewee,
            own_reviews_submitted=context.own_reviews_submitted,
        ),
    )
    if visibility is None:
        raise NotFound("Review")
    return _Loaded(review, cycle, viewer, visibility.reviewer_shown)


def _present(loaded: _Loaded, sheet: RatingSheet) -> ReviewView:
    record = record_of(loaded.review, loaded.cycle.state, sheet.competency_ids)
    actions = review_actions(loaded.viewer, record.reviewer_id, record.status, record.cycle_state)
    # The role's expectations describe the role, not the person's results: whoever may
    # read the review reads them (an upward reviewer, their manager's role's).
    return ReviewView(record, loaded.reviewer_shown, actions, sheet.expectations)


def get_review(ctx: Context, review_id: UUID) -> ReviewView:
    ctx.caller.require_scope(Scope.READ)
    loaded = _load(ctx, review_id)
    return _present(loaded, _sheet(ctx, loaded))


def _sheet(ctx: Context, loaded: _Loaded) -> RatingSheet:
    """The cycle's competencies (in order) as its snapshot has them, with what the
    reviewee's snapshotted role expects of each: one statement."""
    return ctx.uow.reviews.rating_sheet(loaded.cycle.id, loaded.review.reviewee_id)


def _rules(cycle: ReviewCycle, sheet: RatingSheet) -> ReviewRules:
    """The cycle's scale and competencies (in order), as its snapshot has them."""
    return ReviewRules(
        scale_min=cycle.scale_min or 0,
        scale_max=cycle.scale_max or 0,
        competency_ids=sheet.competency_ids,
    )


def _authored(ctx: Context, review_id: UUID, expected_version: int | None) -> _Loaded:
    ctx.caller.require_scope(Scope.WRITE)
    loaded = _load(ctx, review_id, write=True)
    if loaded.viewer.member_id != loaded.review.reviewer_id:
        raise Forbidden("Only its reviewer writes a review.")
    check_version(loaded.review.version, expected_version, required=True)
    return loaded


def save_review(
    ctx: Context,
    review_id: UUID,
    ratings: Sequence[RatingChange],
    values: Mapping[str, Any],
    expected_version: int | None,
) -> ReviewView:
    """Save a draft partially: what is sent changes, the rest stays."""
    loaded = _authored(ctx, review_id, expected_version)
    review, cycle = loaded.review, loaded.cycle
    starting = review.status is ReviewStatus.NOT_STARTED
    sheet = _sheet(ctx, loaded)
    review.save_draft(ratings, values, _rules(cycle, sheet), cycle.state, ctx.now())
    if starting:
        audit.record(
            ctx,
            entity_type="review",
            entity_id=review.id,
            action="started",
            before={"status": ReviewStatus.NOT_STARTED.value},
            after=review.audit_facts(),  # whom it is about: hidden from them
        )
    ctx.uow.commit()
    return _present(loaded, sheet)


def submit_review(ctx: Context, review_id: UUID, expected_version: int | None) -> ReviewView:
    loaded = _authored(ctx, review_id, expected_version)
    review, cycle = loaded.review, loaded.cycle
    before = {"status": review.status.value}
    sheet = _sheet(ctx, loaded)
    review.submit(_rules(cycle, sheet), cycle.state, ctx.now())
    audit.record(
        ctx,
        entity_type="review",
        entity_id=review.id,
        action="submitted",
        before=before,
        after=review.audit_facts(),
    )
    ctx.uow.commit()
    return _present(loaded, sheet)


def reopen_review(ctx: Context, review_id: UUID, expected_version: int | None) -> ReviewView:
    caller = ctx.caller
    caller.require_scope(Scope.WRITE)
    caller.require_admin()
    loaded = _load(ctx, review_id, write=True)
    review = loaded.review
    check_version(review.version, expected_version, required=True)
    sheet = _sheet(ctx, loaded)
    review.reopen(loaded.cycle.state, ctx.now())
    audit.record(
        ctx,
        entity_type="review",
        entity_id=review.id,
        action="reopened",
        before={"status": ReviewStatus.SUBMITTED.value},
        after=review.audit_facts(),  # whom it is about: hidden from them
    )
    ctx.uow.commit()
    return _present(loaded, sheet)
