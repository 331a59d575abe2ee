"""What the review-cycle use cases need from the database, as protocols and records.

Writes go through domain objects (``ReviewCycle``, ``CycleParticipant``,
``Review``); the read side (lists, participants, feedback) returns plain records
built by a constant number of queries, whatever the page size.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, Protocol
from uuid import UUID

from service.application.pagination import Page, PageRequest
from service.domain.calibration import CycleParticipant
from service.domain.cycle import CycleState, ReviewCycle, ReviewType
from service.domain.readiness import Readiness
from service.domain.review import Potential, Recommendation, Review, ReviewStatus
from service.domain.review_visibility import Viewer
from service.domain.scoring import ReviewContent

#: How a write locks the cycle's row: see ``CycleRepository.get_locked``.
CycleLock = Literal["update", "share"]


@dataclass(frozen=True, slots=True)
class CycleFilters:
    state: CycleState | None = None


@dataclass(frozen=True, slots=True)
class CycleListing:
    cycle: ReviewCycle
    participant_count: int


@dataclass(frozen=True, slots=True)
class CycleCompetency:
    """A competency as the cycle snapshotted it at launch."""

    competency_id: UUID
    key: str
    name: str
    description: str | None
    position: int


@dataclass(frozen=True, slots=True)
class Selection:
    """Who takes part: teams, members, or (both None) every eligible member;
    ``within`` limits it to one head of product's subtree."""

    team_ids: Sequence[UUID] | None
    member_ids: Sequence[UUID] | None
    within: UUID | None = None


@dataclass(frozen=True, slots=True)
class ChosenMember:
    """What a selection needs to know of a chosen member."""

    active: bool
    #: Within the selection's ``within`` subtree (always, without one).
    in_scope: bool
    #: Has a rung of the ladder, which results and readiness are measured against.
    has_role: bool = True


@dataclass(frozen=True, slots=True)
class SelectionFacts:
    """Of the teams and members a selection names, those that exist, and how."""

    teams: frozenset[UUID]
    members: Mapping[UUID, ChosenMember]
    #: Teams with someone the chooser may make a participant (active, with a product
    #: role, within their subtree).
    teams_with_people: frozenset[UUID] = frozenset()


@dataclass(frozen=True, slots=True)
class LaunchCounts:
    participants: int
    reviews: int
    competencies: int
    roles: int


@dataclass(frozen=True, slots=True)
class ParticipantRecord:
    member_id: UUID
    product_role_id: UUID | None
    manager_id: UUID | None
    assigned: int
    submitted: int
    calibrated_scores: dict[UUID, int] = field(default_factory=dict)
    manager_scores: dict[UUID, int | None] = field(default_factory=dict)
    calibration_note: str | None = None


@dataclass(frozen=True, slots=True)
class ParticipantScope:
    """Whose rows a caller sees: everyone (admins) or their subtree."""

    viewer_id: UUID
    everyone: bool


@dataclass(frozen=True, slots=True)
class ReviewFilters:
    cycle_id: UUID | None = None
    reviewee_id: UUID | None = None
    reviewer_id: UUID | None = None
    type: ReviewType | None = None
    status: ReviewStatus | None = None
    #: Not the reviews of cancelled cycles (a to-do list: nobody writes those any more).
    open_cycles_only: bool = False


@dataclass(frozen=True, slots=True)
class RatingRecord:
    competency_id: UUID
    score: int | None
    comment: str | None
    evidence: list[dict[str, str]]


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    id: UUID
    cycle_id: UUID
    reviewee_id: UUID
    reviewer_id: UUID
    type: ReviewType
    status: ReviewStatus
    summary: str | None
    promotion_recommendation: Recommendation | None
    potential: Potential | None
    submitted_at: datetime | None
    updated_at: datetime | None
    version: int
    cycle_state: CycleState
    ratings: tuple[RatingRecord, ...]


@dataclass(frozen=True, slots=True)
class ReviewExpectation:
    """What the reviewee's role, as the cycle snapshotted it, expects of one competency:
    shown to reviewers beside the rating. Both null where the role sets none for it."""

    competency_id: UUID
    expected_score: int | None
    description: str | None


@dataclass(frozen=True, slots=True)
class RatingSheet:
    """What one review is rated against, from the cycle's snapshot: its competencies in
    order, and what the reviewee's snapshotted role expects of each (None when the
    reviewee has no role in the snapshot: an upward review's manager who does not take
    part in the cycle, or a participant launched without one)."""

    competency_ids: tuple[UUID, ...]
    expectations: tuple[ReviewExpectation, ...] | None


#: A listed review, as the database writes it for the API (``ReviewSchema``): whether
#: the viewer wrote it, its type, status and cycle state (their enumerations' values:
#: what the visibility rules still decide on), then two pieces of its JSON object: all
#: of it but the end, left open, and the author's part (``,"reviewer_id":...`` with its
#: times, which could hint at who wrote an anonymous review).
ListedRow = tuple[bool, str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class ListedReviews:
    """A page of listed reviews, and how many the viewer may see in all."""

    rows: Sequence[ListedRow]
    total: int


@dataclass(frozen=True, slots=True)
class ReviewContext:
    """The facts about a caller and one review's reviewee that visibility needs."""

    oversees_reviewee: bool
    own_reviews_submitted: bool | None


@dataclass(frozen=True, slots=True)
class FeedbackCycle:
    """One released cycle from one person's side: their snapshot, and the results
    release froze for them (``cycle_outcomes``; none when they did not take part)."""

    cycle_id: UUID
    name: str
    period_start: date
    period_end: date
    released_at: datetime | None
    peer_anonymity_threshold: int
    participant: bool
    #: Upward reviews about the person in the cycle, submitted or not.
    upward_assigned: int
    product_role_id: UUID | None
    next_role_id: UUID | None
    competency_order: list[UUID]
    #: (competency, score) in the competencies' order, as the readiness report lists them.
    final_ratings: list[tuple[UUID, int]]
    overall_score: Decimal | None
    readiness: Readiness | None


@dataclass(frozen=True, slots=True)
class GapPoint:
    """A released cycle's frozen weighted mean gap for one person: a point of the
    readiness outlook."""

    cycle_id: UUID
    period_start: date
    period_end: date
    weighted_mean_gap: Decimal


@dataclass(frozen=True, slots=True)
class ReceivedReview:
    """A submitted review about the person: with its author only where it is known
    to them anyway (their manager, themselves)."""

    cycle_id: UUID
    type: ReviewType
    reviewer_id: UUID
    content: ReviewContent
    ratings: tuple[RatingRecord, ...]


class CycleRepository(Protocol):
    def add(self, cycle: ReviewCycle) -> None: ...

    def get(self, cycle_id: UUID) -> ReviewCycle | None: ...

    def get_locked(self, cycle_id: UUID, lock: CycleLock) -> ReviewCycle | None:
        """The cycle, its row locked until the transaction ends, read afresh.

        ``update`` (transitions, changes): one at a time. ``share`` (writes whose rules
        depend on the cycle's state: reviews, calibration, nominations): side by side,
        but they wait for a transition in flight and then see the state it left.
        """
        ...

    def list(
        self, filters: CycleFilters, viewer: Viewer, page: PageRequest
    ) -> Page[CycleListing]: ...

    def visible(self, cycle: ReviewCycle, viewer: Viewer) -> bool:
        """A non-admin sees a cycle they made, or a launched one they take part in,
        review in, or oversee someone in."""
        ...

    def participant_count(self, cycle_id: UUID) -> int: ...

    def competencies(self, cycle_id: UUID) -> builtins.list[CycleCompetency]: ...

    def open_manager_reviews(self, cycle_id: UUID) -> builtins.list[UUID]:
        """Reviewees whose manager review is not submitted yet."""
        ...


class ParticipantRepository(Protocol):
    def selection_facts(self, selection: Selection) -> SelectionFacts:
        """The named teams that exist, and the named members that exist, with whether
        each is active and within the selection's scope."""
        ...

    def select(self, cycle: ReviewCycle, selection: Selection) -> int:
        """(Re)place a draft's participants by the selection; how many there are."""
        ...

    def get(
        self, cycle_id: UUID, member_id: UUID, *, lock: bool = False
    ) -> CycleParticipant | None: ...

    def list(
        self,
        cycle: ReviewCycle,
        scope: ParticipantScope,
        page: PageRequest,
        *,
        results: bool,
        member_id: UUID | None = None,
    ) -> Page[ParticipantRecord]:
        """With ``results``, each row's calibrated and manager ratings too (one more query)."""
        ...


class CycleLaunch(Protocol):
    def competency_count(self) -> int:
        """The competencies a launch would snapshot now (those not retired)."""
        ...

    def launch(self, cycle: ReviewCycle) -> LaunchCounts:
        """Snapshot the ladder and the participants, and create every self, manager
        and upward review the cycle's types ask for: a handful of set-based statements."""
        ...


@dataclass(frozen=True, slots=True)
class HandedOver:
    """A manager review given to another reviewer."""

    review_id: UUID
    cycle_id: UUID
    reviewee_id: UUID
    reviewer_id: UUID


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """An unsubmitted review taken out of an active cycle."""

    review_id: UUID
    cycle_id: UUID
    reviewee_id: UUID
    reviewer_id: UUID
    type: str
    status: str


class ReviewRepository(Protocol):
    def add(self, review: Review) -> None: ...

    def get(self, review_id: UUID) -> Review | None: ...

    def list(self, filters: ReviewFilters, viewer: Viewer, page: PageRequest) -> ListedReviews:
        """The page of reviews the viewer may see (``review_visibility`` in SQL)."""
        ...

    def context(self, review: Review, viewer: Viewer) -> ReviewContext: ...

    def rating_sheet(self, cycle_id: UUID, reviewee_id: UUID) -> RatingSheet:
        """The cycle's competencies in order, with the reviewee's snapshotted role's
        expectations: one statement."""
        ...

    def peer_reviewers(self, cycle_id: UUID, reviewee_id: UUID) -> builtins.list[UUID]: ...

    def awaited_from(self, cycle_id: UUID, reviewer_id: UUID) -> set[UUID]:
        """The reviewees whose review by ``reviewer_id`` in the cycle is not submitted."""
        ...

    def active_members(self, member_ids: Sequence[UUID]) -> set[UUID]: ...

    def hand_over_manager_reviews(self, from_reviewer: UUID) -> builtins.list[HandedOver]:
        """Give the unsubmitted manager reviews that ``from_reviewer`` writes in active
        cycles to each reviewee's current manager (one statement); those whose reviewee
        has no manager now, or whose manager writes one already, stay."""
        ...

    def withdraw_open_reviews(self, member_id: UUID) -> builtins.list[Withdrawn]:
        """Delete the unsubmitted reviews of active cycles that ``member_id`` writes or is
        the subject of (one statement); submitted ones stay."""
        ...


class FeedbackQueries(Protocol):
    def released_cycles(self, member_id: UUID, page: PageRequest) -> Page[FeedbackCycle]:
        """Released cycles the member took part in or received upward reviews in,
        latest period first."""
        ...

    def received_reviews(self, member_id: UUID, cycle_ids: Sequence[UUID]) -> list[ReceivedReview]:
        """Submitted reviews about the member in those cycles, with their ratings."""
        ...

    def gap_history(self, member_id: UUID) -> list[GapPoint]:
        """The member's weighted mean gap in every released cycle that has one."""
        ...
