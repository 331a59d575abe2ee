"""Who sees which review, and what they may do with it: the blindness rules.

Pure functions over plain facts, so the API's single reads apply them directly and
the list query (``adapters.review_list``) can be held to them by tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from service.domain.cycle import CycleState, ReviewType
from service.domain.review import ReviewAction, ReviewStatus


@dataclass(frozen=True, slots=True)
class Viewer:
    member_id: UUID
    is_admin: bool
    can_write: bool = True


@dataclass(frozen=True, slots=True)
class ReviewFacts:
    """What the visibility policy needs to know about one review and its caller."""

    type: ReviewType
    status: ReviewStatus
    reviewer_id: UUID
    reviewee_id: UUID
    cycle_state: CycleState
    #: The reviewee reports to the viewer, directly or not (current reporting line).
    oversees_reviewee: bool
    #: The viewer's own other reviews of the same reviewee in the cycle: None when
    #: there are none, else whether all of them are submitted.
    own_reviews_submitted: bool | None


@dataclass(frozen=True, slots=True)
class ReviewVisibility:
    reviewer_shown: bool


ANONYMOUS_TYPES = frozenset({ReviewType.PEER, ReviewType.UPWARD})


def reviewer_shown(viewer: Viewer, review_type: ReviewType, reviewer_id: UUID) -> bool:
    return reviewer_shown_to(viewer, review_type, authored=viewer.member_id == reviewer_id)


def reviewer_shown_to(viewer: Viewer, review_type: ReviewType, *, authored: bool) -> bool:
    """Peer and upward reviews are anonymous to all but their author and admins;
    the author of a self or manager review follows from the reviewee anyway.

    ``authored``: the viewer wrote the review. The reviewer matters only as that, so a
    list can judge each kind of review once (``reviewer_shown`` for one review).
    """
    return viewer.is_admin or authored or review_type not in ANONYMOUS_TYPES


def review_visibility(viewer: Viewer, facts: ReviewFacts) -> ReviewVisibility | None:
    """None when the viewer may not see the review at all.

    1. Its author always sees it.
    2. Its reviewee sees nothing before release; afterwards their manager review
       (peer and upward reviews reach them only aggregated, at ``/me/feedback``).
    3. Blindness: a viewer who reviews the same person in the cycle sees another
       review of them only once both are submitted, whatever their role.
    4. Admins see the rest; managers up the chain the submitted reviews of their
       subtree. Nobody else sees anything.
    """
    shown = ReviewVisibility(reviewer_shown(viewer, facts.type, facts.reviewer_id))
    if viewer.member_id == facts.reviewer_id:
        return shown
    submitted = facts.status is ReviewStatus.SUBMITTED
    if viewer.member_id == facts.reviewee_id:
        released = facts.cycle_state is CycleState.RELEASED
        return shown if released and facts.type is ReviewType.MANAGER and submitted else None
    if facts.own_reviews_submitted is not None and not (facts.own_reviews_submitted and submitted):
        return None
    if viewer.is_admin:
        return shown
    if facts.oversees_reviewee and submitted:
        return shown
    return None


def review_actions(
    viewer: Viewer, reviewer_id: UUID, status: ReviewStatus, cycle_state: CycleState
) -> list[str]:
    return actions_on_review(viewer, status, cycle_state, authored=viewer.member_id == reviewer_id)


def actions_on_review(
    viewer: Viewer, status: ReviewStatus, cycle_state: CycleState, *, authored: bool
) -> list[str]:
    """What the viewer may do next with a review they can see (``authored``: they
    wrote it)."""
    if not viewer.can_write or not cycle_state.takes_review_writes:
        return []
    actions: list[str] = []
    if authored and status is not ReviewStatus.SUBMITTED:
        actions += [ReviewAction.UPDATE.value, ReviewAction.SUBMIT.value]
    if viewer.is_admin and status is ReviewStatus.SUBMITTED:
        actions.append(ReviewAction.REOPEN.value)
    return actions
