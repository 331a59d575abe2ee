"""Team metrics of a cycle: the formulas of PRODUCT.md ("Team metrics"), in plain Python.

Production computes these metrics in SQL (``service/adapters/reports``); these
functions are the specification the property tests hold that SQL to. Every
fractional figure is exact until rounded half up to ``readiness.PLACES`` decimals,
once, at the end (a difference of two means is one fraction, rounded once).
Decisions where PRODUCT.md is silent:

- Completion counts the reviews about the participants in scope; an upward review
  (about a manager, who may not take part) counts with the participant who writes
  it. ``rate`` is None when nothing is assigned.
- ``calibration.changed`` counts participants with a calibrated rating that differs
  from the manager's, or stands where the manager gave none.
- Overall scores enter the distribution and the nine box as the report shows them
  (rounded to 4 places); people without an overall score (or without a potential,
  for the nine box) are left out, as are people whose readiness cannot be computed
  from the readiness counts.
- Reviewer leniency lists the most lenient first (delta descending, then reviewer).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Context, Decimal
from fractions import Fraction
from uuid import UUID

from service.domain.cycle import ReviewType
from service.domain.readiness import Readiness, final_ratings, rounded
from service.domain.review import Potential

REVIEW_TYPES = tuple(t.value for t in ReviewType)
#: The nine box's levels, low to high: a potential's, and the performance's too.
LEVELS = tuple(p.value for p in Potential)


@dataclass(frozen=True, slots=True)
class ParticipantScores:
    """What the team metrics need about one participant in scope."""

    member_id: UUID
    #: The manager review (submitted, by the snapshotted manager): reviewer and ratings.
    reviewer_id: UUID | None = None
    manager: Mapping[UUID, int] = field(default_factory=dict)
    calibrated: Mapping[UUID, int] = field(default_factory=dict)
    #: The submitted self review's ratings.
    self_ratings: Mapping[UUID, int] = field(default_factory=dict)
    overall_score: Decimal | None = None
    readiness: Readiness | None = None
    potential: str | None = None

    @property
    def finals(self) -> dict[UUID, int]:
        return final_ratings(self.manager, self.calibrated)


@dataclass(frozen=True, slots=True)
class Counts:
    assigned: int
    submitted: int

    @property
    def rate(self) -> Decimal | None:
        return None if self.assigned == 0 else rounded(Fraction(self.submitted, self.assigned))


@dataclass(frozen=True, slots=True)
class CompetencySummary:
    mean: Decimal | None
    median: Decimal | None
    stddev: Decimal | None
    distribution: dict[str, int]


@dataclass(frozen=True, slots=True)
class Leniency:
    reviewer_id: UUID
    mean_given: Decimal
    delta: Decimal
    count: int


def completion(reviews: Iterable[tuple[str, bool]]) -> tuple[Counts, dict[str, Counts]]:
    """``(type, submitted)`` of each review in scope -> in all, and per review type."""
    assigned = dict.fromkeys(REVIEW_TYPES, 0)
    submitted = dict.fromkeys(REVIEW_TYPES, 0)
    for review_type, done in reviews:
        assigned[review_type] += 1
        submitted[review_type] += int(done)
    by_type = {t: Counts(assigned[t], submitted[t]) for t in REVIEW_TYPES}
    return Counts(sum(assigned.values()), sum(submitted.values())), by_type


def _mean(values: Sequence[int]) -> Fraction | None:
    return Fraction(sum(values), len(values)) if values else None


def _sqrt(value: Fraction) -> Decimal:
    precise = Context(prec=50)
    return precise.sqrt(precise.divide(Decimal(value.numerator), Decimal(value.denominator)))


def competency_summary(finals: Sequence[int], scale: tuple[int, int]) -> CompetencySummary:
    """Mean, median, population standard deviation and count per scale point."""
    low, high = scale
    distribution = {str(p): sum(1 for v in finals if v == p) for p in range(low, high + 1)}
    if not finals:
        return CompetencySummary(None, None, None, distribution)
    mean = Fraction(sum(finals), len(finals))
    ordered = sorted(finals)
    middle = len(ordered) // 2
    median = (
        Fraction(ordered[middle])
        if len(ordered) % 2
        else Fraction(ordered[middle - 1] + ordered[middle], 2)
    )
    variance = sum(((v - mean) ** 2 for v in finals), Fraction(0)) / len(finals)
    return CompetencySummary(rounded(mean), rounded(median), rounded(_sqrt(variance)), distribution)


def nearest_point(score: Decimal) -> int:
    """Rounded half up to the nearest scale point (2.5 -> 3, -1.5 -> -1)."""
    return math.floor(Fraction(score) + Fraction(1, 2))


def overall_distribution(
    scores: Iterable[Decimal | None], scale: tuple[int, int]
) -> dict[str, int]:
    low, high = scale
    points = [nearest_point(s) for s in scores if s is not None]
    return {str(p): points.count(p) for p in range(low, high + 1)}


def readiness_counts(classes: Iterable[Readiness | None]) -> dict[str, int]:
    found = [c for c in classes if c is not None]
    return {r.value: found.count(r) for r in Readiness}


def calibration_changed(participants: Iterable[ParticipantScores]) -> int:
    return sum(
        1
        for p in participants
        if any(p.manager.get(k) != score for k, score in p.calibrated.items())
    )


def mean_shift(participants: Sequence[ParticipantScores], competency: UUID) -> Decimal | None:
    """Mean of final minus manager rating, over participants with a manager rating."""
    shifts = [
        p.finals[competency] - p.manager[competency]
        for p in participants
        if competency in p.manager
    ]
    return rounded(_mean(shifts))


def self_awareness(participants: Sequence[ParticipantScores], competency: UUID) -> Decimal | None:
    """Mean of self minus final rating, over participants with both."""
    differences = [
        p.self_ratings[competency] - p.finals[competency]
        for p in participants
        if competency in p.self_ratings and competency in p.finals
    ]
    return rounded(_mean(differences))


def reviewer_leniency(participants: Iterable[ParticipantScores]) -> list[Leniency]:
    """Per manager: mean of the ratings they gave minus the mean of all, most lenient first."""
    given: dict[UUID, list[int]] = {}
    for p in participants:
        if p.reviewer_id is not None and p.manager:
            given.setdefault(p.reviewer_id, []).extend(p.manager.values())
    every = [score for scores in given.values() for score in scores]
    if not every:
        return []
    overall = Fraction(sum(every), len(every))
    exact = {r: Fraction(sum(s), len(s)) - overall for r, s in given.items()}
    ordered = sorted(given, key=lambda r: (-exact[r], str(r)))
    return [
        Leniency(r, _round(Fraction(sum(given[r]), len(given[r]))), _round(exact[r]), len(given[r]))
        for r in ordered
    ]


def change_since_previous(current: Sequence[int], previous: Sequence[int] | None) -> Decimal | None:
    """Mean of this cycle's final ratings minus the previous cycle's, for one competency."""
    if not current or not previous:
        return None
    return rounded(Fraction(sum(current), len(current)) - Fraction(sum(previous), len(previous)))


def performance(score: Decimal, scale: tuple[int, int]) -> str:
    """``low`` below min + (max-min)/3, ``medium`` below min + 2(max-min)/3, else ``high``."""
    low, high = scale
    span = Fraction(high - low)
    if Fraction(score) < low + span / 3:
        return "low"
    if Fraction(score) < low + 2 * span / 3:
        return "medium"
    return "high"


def nine_box(
    participants: Iterable[ParticipantScores], scale: tuple[int, int]
) -> list[tuple[str, str, int]]:
    """All nine boxes, performance then potential from low to high, with their counts."""
    placed = [
        (performance(p.overall_score, scale), p.potential)
        for p in participants
        if p.overall_score is not None and p.potential is not None
    ]
    return [(perf, pot, placed.count((perf, pot))) for perf in LEVELS for pot in LEVELS]


def nine_box_unplaced(participants: Iterable[ParticipantScores]) -> int:
    """Participants in no box: without an overall score or without a potential."""
    return sum(1 for p in participants if p.overall_score is None or p.potential is None)


def _round(value: Fraction) -> Decimal:
    result = rounded(value)
    assert result is not None
    return result
